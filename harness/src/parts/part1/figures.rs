//! Part 1's figures: KL against parameters, the learning curve (excess loss against tokens seen,
//! with each run's power-law trend), and the parse-tree probes' accuracy per level, trained model
//! against its randomly initialised control.

use super::{KL_MARKS, curve_of, measured, probed};
use crate::figure::{Axes, Figure, Line};
use crate::run::Manifest;
use crate::spec::Position;

/// A run's name in a legend: its model, and its recipe (a scale may train a model twice).
fn run_name(manifest: &Manifest) -> String {
    format!("{} / {}", manifest.model_name, manifest.recipe_name)
}

pub fn all(manifests: &[Manifest]) -> Vec<Figure> {
    let mut figures = vec![kl_vs_parameters(manifests)];
    figures.extend(learning_curves(manifests));
    figures.extend(probes(manifests));
    figures
}

fn kl_vs_parameters(manifests: &[Manifest]) -> Figure {
    let series = |position: Position, name: &str| {
        let points = manifests
            .iter()
            .filter(|m| m.spec.model.position == position)
            .filter_map(|m| measured(m).map(|g| (m.parameters as f64, g.kl)))
            .collect();
        (name.to_owned(), points)
    };
    Figure {
        name: "kl-vs-parameters".into(),
        title: "KL(p* ‖ q) per token vs parameters (lower is better)".into(),
        x_label: "parameters P".into(),
        y_label: "KL (nats per token)".into(),
        points: vec![
            series(Position::Rotary, "rotary"),
            series(Position::Absolute, "absolute"),
            series(Position::Uniform, "uniform attention"),
        ],
        lines: Vec::new(),
        axes: Axes::LogLog,
    }
}

fn learning_curves(manifests: &[Manifest]) -> Option<Figure> {
    let curves: Vec<_> = manifests
        .iter()
        .filter_map(|m| curve_of(m).map(|c| (run_name(m), c)))
        .collect();
    if curves.is_empty() {
        return None;
    }
    let mut lines: Vec<Line> = KL_MARKS
        .iter()
        .map(|&kl| Line::level(format!("KL {kl}"), kl))
        .collect();
    for (i, (_, curve)) in curves.iter().enumerate() {
        if let Some((factor, power)) = curve.fit {
            // From where the fit starts (the second half of training) to the plot's end.
            let seen = curve.points.last().map_or(0.0, |p| p.0);
            lines.push(Line {
                name: format!("trend: t^{power:.2}"),
                factor,
                power,
                series: Some(i),
                span: Some((seen / 2.0, f64::INFINITY)),
            });
        }
    }
    Some(Figure {
        name: "excess-loss-vs-tokens".into(),
        title: "Training loss minus the grammar's entropy (≈ KL per token) vs tokens seen".into(),
        x_label: "tokens seen".into(),
        y_label: "excess loss (nats per token)".into(),
        points: curves
            .into_iter()
            .map(|(label, c)| (label, c.points))
            .collect(),
        lines,
        axes: Axes::LogLog,
    })
}

/// Ancestor-probe accuracy per level, for each probed run and its control (Part 1 §4, Fig. 5's
/// comparison with a random model).
fn probes(manifests: &[Manifest]) -> Option<Figure> {
    let by_level = |accuracy: &[f64]| -> Vec<(f64, f64)> {
        (1..).map(f64::from).zip(accuracy.iter().copied()).collect()
    };
    let mut points = Vec::new();
    for manifest in manifests {
        if let Some(p) = probed(manifest) {
            let name = run_name(manifest);
            let control = format!("{name}, random init");
            points.push((name, by_level(&p.ancestor)));
            points.push((control, by_level(&p.ancestor_control)));
        }
    }
    (!points.is_empty()).then(|| Figure {
        name: "probe-ancestor-by-level".into(),
        title: "Linear probe of each position's ancestor non-terminal, by tree level".into(),
        x_label: "tree level (1 = just below the root)".into(),
        y_label: "probe accuracy on held-out sentences".into(),
        points,
        lines: Vec::new(),
        axes: Axes::Linear,
    })
}

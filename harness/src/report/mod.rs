//! The report of one suite scale: claims judged on the manifests, figures, `summary.json` and a
//! self-contained `report.html` (inline CSS and SVG; opens offline), rendered with tera from
//! `templates/report.html.tera` (one template for every part).

pub mod figures;

use std::path::Path;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::claims::{self, Outcome, Verdict};
use crate::data::stream::hex;
use crate::eval::capacity::Knowledge;
use crate::model::Position;
use crate::run::{Capacity, Manifest, Measurements};
use crate::suite::{Scale, Suite};
use crate::train::checkpoint::write_atomic;
use figures::Figure;

/// One row of the runs table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRow {
    pub run_id: String,
    pub label: String,
    pub exposures: u32,
    pub parameters: u64,
    /// The values of [`Summary::columns`], formatted.
    pub cells: Vec<String>,
    pub final_loss: f32,
    pub steps: u64,
    pub train_seconds: f64,
    pub device: String,
}

/// `summary.json`: everything the report shows, as data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Summary {
    pub suite: String,
    pub suite_version: u32,
    pub suite_sha256: String,
    pub paper: String,
    pub scale: Scale,
    pub code_revisions: Vec<String>,
    pub devices: Vec<String>,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub data_sha256: Vec<(String, String)>,
    pub claims: Vec<Outcome>,
    /// Headers of the measurement columns of the runs table.
    pub columns: Vec<String>,
    pub runs: Vec<RunRow>,
    /// What the measurements mean, printed under the report.
    pub method: String,
}

impl Summary {
    pub fn failed(&self) -> bool {
        self.claims.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

/// The kinds of measurement a report can tabulate: one per kind of dataset.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Capacity,
    Grammar,
}

impl Kind {
    fn of(manifests: &[Manifest]) -> Kind {
        match manifests.first().map(|m| &m.measurements) {
            Some(Measurements::Grammar { .. }) => Kind::Grammar,
            _ => Kind::Capacity,
        }
    }

    fn columns(self) -> Vec<String> {
        let names: &[&str] = match self {
            Kind::Capacity => &[
                "N",
                "bits",
                "R",
                "R<sup>max</sup>",
                "stored",
                "int8 kept",
                "int4 kept",
            ],
            Kind::Grammar => &[
                "accuracy",
                "cut accuracy",
                "KL (nats/token)",
                "entropy gen / grammar (bits)",
                "mean length",
                "unfinished",
            ],
        };
        names.iter().map(|&n| n.to_owned()).collect()
    }

    fn method(self) -> &'static str {
        match self {
            Kind::Capacity => {
                "R = bits / P with P counting only embedding rows of tokens that occur in the data \
                 (Part 3.3 App. A); bits from the exact formula of Part 3.3 §3–4."
            }
            Kind::Grammar => {
                "Accuracy: share of sentences sampled from <bos> at the suite's temperature that \
                 the grammar accepts (whole sentence). Cut accuracy: the same, continuing the first \
                 c tokens of held-out sentences. KL(p* ‖ q): exact next-token distribution over \
                 {EOS, terminals} against the model's, both smoothed with ε = 1e-5, averaged over \
                 every position of held-out sentences. Entropy: mean −log₂ q over the model's own \
                 samples against the grammar's exact sentence entropy."
            }
        }
    }
}

fn row(m: &Manifest) -> RunRow {
    let number = |v: f64, digits: usize| format!("{v:.digits$}");
    let optional = |v: Option<f64>| v.map_or("—".into(), |v| number(v, 3));
    let cells = match &m.measurements {
        Measurements::Capacity { capacity: c, .. } => {
            let people = match c.knowledge {
                Knowledge::Bios { n, .. } | Knowledge::Biod { n, .. } => n,
            };
            vec![
                number(people, 0),
                number(c.bits, 0),
                number(c.ratio, 3),
                number(c.max_ratio, 3),
                number(c.stored_fraction(), 3),
                optional(m.quantized_bits_kept(8)),
                optional(m.quantized_bits_kept(4)),
            ]
        }
        Measurements::Grammar { grammar: g } => vec![
            format!("{} ({} samples)", number(g.accuracy, 3), g.samples),
            format!("{} (cut{})", number(g.cut_accuracy, 3), g.cut),
            number(g.kl, 4),
            format!(
                "{} / {}",
                number(g.generated_entropy_bits, 1),
                number(g.grammar_entropy_bits, 1)
            ),
            format!(
                "{} (exact {})",
                number(g.mean_generated_length, 1),
                number(g.expected_length, 1)
            ),
            g.unfinished.to_string(),
        ],
    };
    RunRow {
        run_id: m.run_id.clone(),
        label: m.label(),
        exposures: m.exposures,
        parameters: m.parameters,
        cells,
        final_loss: m.final_loss,
        steps: m.steps,
        train_seconds: m.train_seconds,
        device: m.device.clone(),
    }
}

/// Part 3.3's figures: bits against parameters, and R against exposures.
fn capacity_figures(manifests: &[Manifest]) -> Vec<Figure> {
    let runs: Vec<(&Manifest, &Capacity)> = manifests
        .iter()
        .filter_map(|m| m.capacity().map(|c| (m, c)))
        .collect();
    let mut exposures: Vec<u32> = runs.iter().map(|(m, _)| m.exposures).collect();
    exposures.sort();
    exposures.dedup();
    let capacity_figure = Figure {
        name: "bits-vs-parameters".into(),
        title: "Bits of knowledge stored vs parameters (bits ≤ 0 not drawn)".into(),
        x_label: "parameters P (used embedding rows only)".into(),
        y_label: "bits stored".into(),
        points: exposures
            .iter()
            .map(|&e| {
                let points = runs
                    .iter()
                    .filter(|(m, _)| m.exposures == e)
                    .map(|(_, c)| (c.parameters as f64, c.bits))
                    .collect();
                (format!("{e} exposures"), points)
            })
            .collect(),
        lines: vec![("2 bits / parameter".into(), |p| 2.0 * p)],
    };
    let ratio_figure = Figure {
        name: "ratio-vs-exposures".into(),
        title: "Capacity ratio R = bits / P vs exposures (R ≤ 0 not drawn)".into(),
        x_label: "exposures".into(),
        y_label: "R (bits per parameter)".into(),
        points: unique(runs.iter().map(|(m, _)| m.model_name.clone()))
            .into_iter()
            .map(|model| {
                let points = runs
                    .iter()
                    .filter(|(m, _)| m.model_name == model)
                    .map(|(m, c)| (f64::from(m.exposures), c.ratio))
                    .collect();
                (model, points)
            })
            .collect(),
        lines: vec![("R = 2".into(), |_| 2.0)],
    };
    vec![capacity_figure, ratio_figure]
}

/// Part 1's figure: KL against parameters, one series per position encoding.
fn grammar_figures(manifests: &[Manifest]) -> Vec<Figure> {
    let series = |position: Position, name: &str| {
        let points = manifests
            .iter()
            .filter(|m| m.spec.model.position == position)
            .filter_map(|m| m.grammar().map(|g| (m.parameters as f64, g.kl)))
            .collect();
        (name.to_owned(), points)
    };
    vec![Figure {
        name: "kl-vs-parameters".into(),
        title: "KL(p* ‖ q) per token vs parameters (lower is better)".into(),
        x_label: "parameters P".into(),
        y_label: "KL (nats per token)".into(),
        points: vec![
            series(Position::Rotary, "rotary"),
            series(Position::Absolute, "absolute"),
        ],
        lines: Vec::new(),
    }]
}

fn unique(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = values.collect();
    v.sort();
    v.dedup();
    v
}

/// Judges the claims, draws the figures and writes `summary.json` and `report.html` into `dir`.
pub fn write(dir: &Path, suite: &Suite, scale: Scale, manifests: &[Manifest]) -> Result<Summary> {
    let claims: Vec<Outcome> = suite
        .claims
        .iter()
        .map(|c| claims::evaluate(c, manifests, scale))
        .collect();
    let kind = Kind::of(manifests);
    let figures = match kind {
        Kind::Capacity => capacity_figures(manifests),
        Kind::Grammar => grammar_figures(manifests),
    };
    let figure_dir = dir.join("figures");
    let svgs: Vec<String> = figures
        .iter()
        .map(|f| figures::render(f, &figure_dir))
        .collect::<Result<_>>()?;

    let summary = Summary {
        suite: suite.name.clone(),
        suite_version: suite.version,
        suite_sha256: hex(&Sha256::digest(serde_json::to_vec(suite)?)),
        paper: suite.paper.clone(),
        scale,
        code_revisions: unique(manifests.iter().map(|m| m.code_revision.clone())),
        devices: unique(manifests.iter().map(|m| m.device.clone())),
        train_seconds: manifests.iter().map(|m| m.train_seconds).sum(),
        eval_seconds: manifests.iter().map(|m| m.eval_seconds).sum(),
        data_sha256: {
            let mut hashes: Vec<(String, String)> = manifests
                .iter()
                .map(|m| {
                    (
                        m.spec.dataset.name().to_owned(),
                        m.data_sha256
                            .as_ref()
                            .map_or("unpinned".into(), |h| h.tokens.clone()),
                    )
                })
                .collect();
            hashes.sort();
            hashes.dedup();
            hashes
        },
        claims,
        columns: kind.columns(),
        runs: manifests.iter().map(row).collect(),
        method: kind.method().into(),
    };
    write_atomic(
        &dir.join("summary.json"),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    let html = render_html(&summary, &svgs)?;
    write_atomic(&dir.join("report.html"), html.as_bytes())?;
    Ok(summary)
}

fn render_html(summary: &Summary, svgs: &[String]) -> Result<String> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template(
        "report.html",
        include_str!("../../../templates/report.html.tera"),
    )
    .context("templates/report.html.tera")?;
    let mut context = tera::Context::from_serialize(summary)?;
    context.insert("figures", svgs);
    let verdicts: Vec<&str> = summary.claims.iter().map(|c| c.verdict.label()).collect();
    context.insert("verdict_labels", &verdicts);
    tera.render("report.html", &context).map_err(|e| {
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(inner) = source {
            message.push_str(&format!(": {inner}"));
            source = inner.source();
        }
        anyhow::anyhow!("rendering the report: {message}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Zero is a measurement and a bound, not a missing value (tera treats 0 as false).
    #[test]
    fn a_measured_zero_and_a_zero_bound_are_shown() {
        let claim: claims::Claim = toml::from_str(
            "id = \"Z\"\npaper = \"p\"\nstatement = \"s\"\nestimator = \"generation-accuracy\"\n\
             at_least = 0.0\nbinding_scales = []",
        )
        .unwrap();
        let summary = Summary {
            suite: "part1".into(),
            suite_version: 1,
            suite_sha256: String::new(),
            paper: String::new(),
            scale: Scale::Smoke,
            code_revisions: Vec::new(),
            devices: Vec::new(),
            train_seconds: 0.0,
            eval_seconds: 0.0,
            data_sha256: Vec::new(),
            claims: vec![Outcome {
                claim,
                measured: Some(0.0),
                evidence: "e".into(),
                verdict: Verdict::Pass,
            }],
            columns: Vec::new(),
            runs: Vec::new(),
            method: String::new(),
        };
        let html = render_html(&summary, &[]).unwrap();
        assert!(html.contains("≥ 0"), "the bound");
        assert!(
            html.contains("<td class=\"num\">0<div"),
            "the measurement: {html}"
        );
    }
}

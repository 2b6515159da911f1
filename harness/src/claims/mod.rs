//! Claims: a paper's statement as data (estimator, filters, bounds) and its verdict on the
//! manifests of a scale. Estimators form a small registry shared by every part.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::eval::grammar::GrammarMetrics;
use crate::model::{Mlp, Position};
use crate::run::Capacity;
use crate::run::Manifest;
use crate::suite::Scale;

/// The named estimators (`estimator = "..."` in suite files).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Largest bits-per-parameter ratio R among the runs.
    PeakRatio,
    /// Smallest R / R^max among models whose R^max ≤ `max_ratio_at_most`, each model at its
    /// best recipe (did small-data models store nearly everything?).
    StoredFraction,
    /// Smallest bits(quantized to `bits`-bit weights) / bits(full precision) among the runs.
    QuantizedBitsKept,
    /// Peak R of gated-MLP (LLaMA-style) runs divided by peak R of GELU-MLP (GPT2) runs.
    GatedOverGelu,
    /// Best generation accuracy from `<bos>` among grammar runs (of `position`, if given).
    GenerationAccuracy,
    /// Best generation accuracy of rotary runs minus that of absolute-position runs, on one
    /// dataset. Undecided (not measured) when both are 0: a tie at zero says nothing.
    RotaryMinusAbsoluteAccuracy,
    /// Lowest KL(p* ‖ q) of absolute-position runs divided by that of rotary runs, on one dataset.
    AbsoluteOverRotaryKl,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// Where the paper says it, e.g. "Part 3.3, Result 1, Fig. 1(a)".
    pub paper: String,
    pub statement: String,
    pub estimator: Estimator,
    /// Only runs with this many exposures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposures: Option<u32>,
    /// `stored-fraction`: the R^max threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio_at_most: Option<f64>,
    /// `quantized-bits-kept`: bits per weight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<u32>,
    /// `generation-accuracy`: only models with this position encoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// Scales at which a miss is a failure (exit status 1); elsewhere a miss is reported as
    /// "not reproduced at this scale".
    pub binding_scales: Vec<Scale>,
    /// Why the bounds differ from the paper's, when they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Claim {
    /// Checks that the fields the estimator needs are there; errors name the field.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if self.at_least.is_none() && self.at_most.is_none() {
            return Err(("at_least", "a claim needs at_least and/or at_most".into()));
        }
        match self.estimator {
            Estimator::StoredFraction if self.max_ratio_at_most.is_none() => Err((
                "max_ratio_at_most",
                "required by estimator stored-fraction".into(),
            )),
            Estimator::QuantizedBitsKept if self.bits.is_none() => {
                Err(("bits", "required by estimator quantized-bits-kept".into()))
            }
            _ => Ok(()),
        }
    }

    /// The bounds as text, e.g. "≥ 2 and ≤ 2.3".
    pub fn expectation(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(lo), Some(hi)) => format!("≥ {lo} and ≤ {hi}"),
            (Some(lo), None) => format!("≥ {lo}"),
            (None, Some(hi)) => format!("≤ {hi}"),
            (None, None) => String::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotReproducedAtThisScale,
    /// No run of this scale is of the kind the claim is about.
    NotMeasured,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NotReproducedAtThisScale => "not reproduced at this scale",
            Verdict::NotMeasured => "not measured at this scale",
        }
    }
}

/// A claim's outcome on one scale.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Outcome {
    pub claim: Claim,
    pub measured: Option<f64>,
    /// Which runs the value comes from.
    pub evidence: String,
    pub verdict: Verdict,
}

/// The run with the largest capacity ratio R.
fn best<'a>(
    runs: impl Iterator<Item = (&'a Manifest, &'a Capacity)>,
) -> Option<(&'a Manifest, &'a Capacity)> {
    runs.max_by(|a, b| a.1.ratio.total_cmp(&b.1.ratio))
}

/// The run whose grammar metric `key` is largest.
fn best_grammar<'a>(
    runs: impl Iterator<Item = (&'a Manifest, &'a GrammarMetrics)>,
    key: impl Fn(&GrammarMetrics) -> f64,
) -> Option<(&'a Manifest, &'a GrammarMetrics)> {
    runs.max_by(|a, b| key(a.1).total_cmp(&key(b.1)))
}

/// Compares rotary with absolute-position grammar runs dataset by dataset: `compare` gets both
/// groups' runs and returns a value and its explanation; the largest value over datasets wins.
fn rotary_vs_absolute<'a>(
    runs: &[(&'a Manifest, &'a GrammarMetrics)],
    compare: impl Fn(
        &[(&'a Manifest, &'a GrammarMetrics)],
        &[(&'a Manifest, &'a GrammarMetrics)],
    ) -> Option<(f64, String)>,
) -> (Option<f64>, String) {
    let datasets: std::collections::BTreeSet<&str> =
        runs.iter().map(|(m, _)| m.spec.dataset.name()).collect();
    let mut found: Vec<(f64, String)> = Vec::new();
    let mut undecided = Vec::new();
    for dataset in datasets {
        let of = |position: Position| -> Vec<(&'a Manifest, &'a GrammarMetrics)> {
            runs.iter()
                .copied()
                .filter(|(m, _)| m.spec.dataset.name() == dataset)
                .filter(|(m, _)| m.spec.model.position == position)
                .collect()
        };
        let (rotary, absolute) = (of(Position::Rotary), of(Position::Absolute));
        if rotary.is_empty() || absolute.is_empty() {
            continue;
        }
        match compare(&rotary, &absolute) {
            Some(result) => found.push(result),
            None => undecided.push(dataset),
        }
    }
    match found.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        Some((value, why)) => (Some(value), why),
        None if !undecided.is_empty() => (
            None,
            format!("no signal on {}: both at zero", undecided.join(", ")),
        ),
        None => (None, "needs rotary and absolute runs on one grammar".into()),
    }
}

/// Computes the claim's estimator on `manifests` and judges it.
pub fn evaluate(claim: &Claim, manifests: &[Manifest], scale: Scale) -> Outcome {
    let runs: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| claim.exposures.is_none_or(|e| m.exposures == e))
        .collect();
    let capacity: Vec<(&Manifest, &Capacity)> = runs
        .iter()
        .filter_map(|m| m.capacity().map(|c| (*m, c)))
        .collect();
    let grammar: Vec<(&Manifest, &GrammarMetrics)> = runs
        .iter()
        .filter_map(|m| m.grammar().map(|g| (*m, g)))
        .collect();
    let (measured, evidence) = match claim.estimator {
        Estimator::PeakRatio => match best(capacity.iter().copied()) {
            Some((m, c)) => (
                Some(c.ratio),
                format!(
                    "{} ({} params, {} runs)",
                    m.label(),
                    c.parameters,
                    capacity.len()
                ),
            ),
            None => (None, "no runs".into()),
        },
        Estimator::StoredFraction => {
            // A recipe search trains one model several times: judge each (dataset, model) by its
            // best recipe, as the paper reports tuned runs, then take the worst model.
            let limit = claim.max_ratio_at_most.unwrap_or(f64::INFINITY);
            let mut tuned: std::collections::BTreeMap<(&str, &str), (&Manifest, &Capacity)> =
                Default::default();
            for (m, c) in capacity
                .iter()
                .copied()
                .filter(|(_, c)| c.max_ratio <= limit)
            {
                let slot = tuned
                    .entry((m.spec.dataset.name(), m.model_name.as_str()))
                    .or_insert((m, c));
                if c.ratio > slot.1.ratio {
                    *slot = (m, c);
                }
            }
            match tuned
                .values()
                .min_by(|a, b| a.1.stored_fraction().total_cmp(&b.1.stored_fraction()))
            {
                Some((m, c)) => (
                    Some(c.stored_fraction()),
                    format!(
                        "worst of {} models with R^max ≤ {limit} (best recipe each): {}",
                        tuned.len(),
                        m.label()
                    ),
                ),
                None => (None, format!("no run with R^max ≤ {limit}")),
            }
        }
        Estimator::QuantizedBitsKept => {
            let bits = claim.bits.unwrap_or(8);
            let kept: Vec<(f64, &Manifest)> = capacity
                .iter()
                .filter(|(_, c)| c.bits > 0.0)
                .filter_map(|(m, _)| m.quantized_bits_kept(bits).map(|kept| (kept, *m)))
                .collect();
            match kept.iter().min_by(|a, b| a.0.total_cmp(&b.0)) {
                Some((value, m)) => (
                    Some(*value),
                    format!("worst of {} runs: {}", kept.len(), m.label()),
                ),
                None => (None, format!("no run quantized to {bits} bits")),
            }
        }
        Estimator::GatedOverGelu => {
            // Compare like with like: peaks on the same dataset; the largest ratio over datasets.
            let mut ratios: Vec<(f64, String)> = Vec::new();
            for dataset in capacity
                .iter()
                .map(|(m, _)| m.spec.dataset.name())
                .collect::<std::collections::BTreeSet<_>>()
            {
                let on = || {
                    capacity
                        .iter()
                        .copied()
                        .filter(move |(m, _)| m.spec.dataset.name() == dataset)
                };
                let gated = best(on().filter(|(m, _)| m.spec.model.mlp == Mlp::GatedSilu));
                let gelu = best(on().filter(|(m, _)| m.spec.model.mlp == Mlp::Gelu));
                if let (Some((g, gc)), Some((p, pc))) = (gated, gelu)
                    && pc.ratio > 0.0
                {
                    let why = format!(
                        "{dataset}: peak R {:.3} ({}) / {:.3} ({})",
                        gc.ratio,
                        g.label(),
                        pc.ratio,
                        p.label()
                    );
                    ratios.push((gc.ratio / pc.ratio, why));
                }
            }
            match ratios.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
                Some((value, why)) => (Some(value), why),
                None => (
                    None,
                    "needs gated-MLP and GELU-MLP runs on one dataset, the GELU peak above 0"
                        .into(),
                ),
            }
        }
        Estimator::GenerationAccuracy => {
            let eligible = grammar
                .iter()
                .copied()
                .filter(|(m, _)| claim.position.is_none_or(|p| m.spec.model.position == p));
            match best_grammar(eligible, |g| g.accuracy) {
                Some((m, g)) => (
                    Some(g.accuracy),
                    format!(
                        "{} ({} of {} samples; cut{} {:.3}; KL {:.4})",
                        m.label(),
                        (g.accuracy * g.samples as f64).round(),
                        g.samples,
                        g.cut,
                        g.cut_accuracy,
                        g.kl
                    ),
                ),
                None => (None, "no grammar runs".into()),
            }
        }
        Estimator::RotaryMinusAbsoluteAccuracy => {
            rotary_vs_absolute(&grammar, |rotary, absolute| {
                let (r, rg) = best_grammar(rotary.iter().copied(), |g| g.accuracy)?;
                let (a, ag) = best_grammar(absolute.iter().copied(), |g| g.accuracy)?;
                (rg.accuracy > 0.0 || ag.accuracy > 0.0).then(|| {
                    (
                        rg.accuracy - ag.accuracy,
                        format!(
                            "{:.3} ({}) − {:.3} ({})",
                            rg.accuracy,
                            r.label(),
                            ag.accuracy,
                            a.label()
                        ),
                    )
                })
            })
        }
        Estimator::AbsoluteOverRotaryKl => rotary_vs_absolute(&grammar, |rotary, absolute| {
            let (r, rg) = best_grammar(rotary.iter().copied(), |g| -g.kl)?;
            let (a, ag) = best_grammar(absolute.iter().copied(), |g| -g.kl)?;
            (rg.kl > 0.0).then(|| {
                (
                    ag.kl / rg.kl,
                    format!(
                        "KL {:.4} ({}) / {:.4} ({})",
                        ag.kl,
                        a.label(),
                        rg.kl,
                        r.label()
                    ),
                )
            })
        }),
    };
    let verdict = match measured {
        None => Verdict::NotMeasured,
        Some(v)
            if claim.at_least.is_none_or(|lo| v >= lo)
                && claim.at_most.is_none_or(|hi| v <= hi) =>
        {
            Verdict::Pass
        }
        Some(_) if claim.binding_scales.contains(&scale) => Verdict::Fail,
        Some(_) => Verdict::NotReproducedAtThisScale,
    };
    Outcome {
        claim: claim.clone(),
        measured,
        evidence,
        verdict,
    }
}

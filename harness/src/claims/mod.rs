//! Claims: a paper's statement as data (estimator, filters, bounds) and its verdict on the
//! manifests of a scale. Estimators form a small registry shared by every part.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Mlp;
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

fn best<'a>(runs: impl Iterator<Item = &'a Manifest>) -> Option<&'a Manifest> {
    runs.max_by(|a, b| a.capacity.ratio.total_cmp(&b.capacity.ratio))
}

/// Computes the claim's estimator on `manifests` and judges it.
pub fn evaluate(claim: &Claim, manifests: &[Manifest], scale: Scale) -> Outcome {
    let runs: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| claim.exposures.is_none_or(|e| m.exposures == e))
        .collect();
    let (measured, evidence) = match claim.estimator {
        Estimator::PeakRatio => match best(runs.iter().copied()) {
            Some(m) => (
                Some(m.capacity.ratio),
                format!(
                    "{} ({} params, {} runs)",
                    m.label(),
                    m.capacity.parameters,
                    runs.len()
                ),
            ),
            None => (None, "no runs".into()),
        },
        Estimator::StoredFraction => {
            // A recipe search trains one model several times: judge each (dataset, model) by its
            // best recipe, as the paper reports tuned runs, then take the worst model.
            let limit = claim.max_ratio_at_most.unwrap_or(f64::INFINITY);
            let mut tuned: std::collections::BTreeMap<(&str, &str), &Manifest> = Default::default();
            for m in runs
                .iter()
                .copied()
                .filter(|m| m.capacity.max_ratio <= limit)
            {
                let slot = tuned
                    .entry((m.spec.dataset.name(), m.model_name.as_str()))
                    .or_insert(m);
                if m.capacity.ratio > slot.capacity.ratio {
                    *slot = m;
                }
            }
            match tuned.values().min_by(|a, b| {
                a.capacity
                    .stored_fraction()
                    .total_cmp(&b.capacity.stored_fraction())
            }) {
                Some(m) => (
                    Some(m.capacity.stored_fraction()),
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
            let kept: Vec<(f64, &Manifest)> = runs
                .iter()
                .filter(|m| m.capacity.bits > 0.0)
                .filter_map(|m| {
                    m.quantized
                        .iter()
                        .find(|q| q.bits_per_weight == bits)
                        .map(|q| (q.bits / m.capacity.bits, *m))
                })
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
            for dataset in runs
                .iter()
                .map(|m| m.spec.dataset.name())
                .collect::<std::collections::BTreeSet<_>>()
            {
                let on = || {
                    runs.iter()
                        .copied()
                        .filter(move |m| m.spec.dataset.name() == dataset)
                };
                let gated = best(on().filter(|m| m.spec.model.mlp == Mlp::GatedSilu));
                let gelu = best(on().filter(|m| m.spec.model.mlp == Mlp::Gelu));
                if let (Some(g), Some(p)) = (gated, gelu)
                    && p.capacity.ratio > 0.0
                {
                    let why = format!(
                        "{dataset}: peak R {:.3} ({}) / {:.3} ({})",
                        g.capacity.ratio,
                        g.label(),
                        p.capacity.ratio,
                        p.label()
                    );
                    ratios.push((g.capacity.ratio / p.capacity.ratio, why));
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

//! Verdicts: a claim's estimator (computed by its part) judged against the claim's bounds at one
//! scale. Which estimators exist and what they compute is each part's business (`parts/<part>/`).

use serde::{Deserialize, Serialize};

use crate::parts::AnyPart;
use crate::run::Manifest;
use crate::spec::{Claim, Scale};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Pass,
    Fail,
    NotReproducedAtThisScale,
    /// The runs of this scale cannot decide the claim (none of the kind it is about, or runs
    /// that are planned but missing).
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

/// Computes the claim's estimator on the manifests it is about and judges it.
pub fn evaluate(
    part: &dyn AnyPart,
    claim: &Claim,
    manifests: &[Manifest],
    scale: Scale,
) -> Outcome {
    let runs: Vec<&Manifest> = manifests
        .iter()
        .filter(|m| claim.exposures.is_none_or(|e| m.exposures == e))
        .collect();
    let estimate = part.estimate(claim, &runs);
    let verdict = match estimate.value {
        None => Verdict::NotMeasured,
        Some(v) if claim.holds(v) => Verdict::Pass,
        Some(_) if claim.binding_scales.contains(&scale) => Verdict::Fail,
        Some(_) => Verdict::NotReproducedAtThisScale,
    };
    Outcome {
        claim: claim.clone(),
        measured: estimate.value,
        evidence: estimate.evidence,
        verdict,
    }
}

//! A paper's claim as data: which estimator computes it from the runs of a scale, the bounds it
//! must meet, and where those bounds bind. Estimators belong to parts (`parts/<part>/`); a claim
//! names one and carries its settings, which the part checks when the suite is loaded.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Scale;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// Where the paper says it, e.g. "Part 3.3, Result 1, Fig. 1(a)".
    pub paper: String,
    pub statement: String,
    /// One of the estimators of the suite's part, e.g. `peak-ratio` (`parts/<part>/claims.rs`).
    pub estimator: String,
    /// The estimator's own settings, e.g. `{ bits = 8 }` for `quantized-peak-kept`.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Only runs with this many exposures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposures: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_least: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_most: Option<f64>,
    /// The scales this claim is judged at; empty means every scale. A claim whose bounds
    /// depend on the scale (the paper's bound at `paper`, a calibrated floor at `smoke`) is
    /// written once per set of scales.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scales: Vec<Scale>,
    /// Scales at which a miss is a failure (exit status 1); elsewhere a miss is reported as
    /// "not reproduced at this scale".
    pub binding_scales: Vec<Scale>,
    /// Relative move of the measured value that `plm compare` lets through for this claim
    /// (default: its `--tolerance`), for claims whose noise is larger or smaller than most.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
    /// Why the bounds differ from the paper's, when they do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Claim {
    /// The bounds as text, e.g. "≥ 2 and ≤ 2.3".
    pub fn expectation(&self) -> String {
        match (self.at_least, self.at_most) {
            (Some(lo), Some(hi)) => format!("≥ {lo} and ≤ {hi}"),
            (Some(lo), None) => format!("≥ {lo}"),
            (None, Some(hi)) => format!("≤ {hi}"),
            (None, None) => String::new(),
        }
    }

    /// Whether the claim is judged at `scale`.
    pub fn applies_at(&self, scale: Scale) -> bool {
        self.scales.is_empty() || self.scales.contains(&scale)
    }

    /// Whether `value` meets the bounds.
    pub fn holds(&self, value: f64) -> bool {
        self.at_least.is_none_or(|lo| value >= lo) && self.at_most.is_none_or(|hi| value <= hi)
    }
}

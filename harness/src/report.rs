//! The report of one suite scale: claims judged on the finished runs, figures, `summary.json`
//! and a self-contained `report.html` (inline CSS and SVG; opens offline), rendered with tera from
//! `templates/report.html.tera` (one template for every part). What a part shows — its columns,
//! figures and method text — comes from the part.

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::artifacts::ScaleDir;
use crate::claims::{self, Outcome, Verdict};
use crate::figure;
use crate::parts::{AnyPart, Excerpt};
use crate::run::{Finished, Manifest, Run};
use crate::spec::{Scale, Suite};
use crate::util::{hex, write_atomic};

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
    /// What `plm verify` retrains and compares against: the trained weights' SHA-256, the CPU
    /// model and thread count they were trained with (bits match only on the same CPU model at
    /// one thread), and the part's measurements as the manifest holds them. Absent in summaries
    /// written before verify existed.
    #[serde(default)]
    pub weights_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    #[serde(default)]
    pub threads: usize,
    #[serde(default)]
    pub measurements: serde_json::Value,
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
    /// Wall time of the last `plm reproduce` that trained runs here, how many runs it trained
    /// and how many side by side; absent when no `reproduce` trained any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reproduced: Option<WallTime>,
    /// Sums over the runs.
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub data_sha256: Vec<(String, String)>,
    pub claims: Vec<Outcome>,
    /// Headers of the measurement columns of the runs table.
    pub columns: Vec<String>,
    pub runs: Vec<RunRow>,
    /// Planned runs without a manifest (`plm collect` on a partial sweep), as
    /// `label (id): state` (not started, interrupted, trained, or failed with its error).
    pub missing_runs: Vec<String>,
    /// Passages the part shows after the figures (e.g. problems and a model's solutions).
    #[serde(default)]
    pub excerpts: Vec<Excerpt>,
    /// What the measurements mean, printed under the report.
    pub method: String,
}

/// The last `plm reproduce` that trained runs of a scale (`reproduce.json`): a later
/// `reproduce` that finds every run cached, or a `plm collect`, keeps it.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct WallTime {
    pub seconds: f64,
    /// Runs trained side by side.
    pub jobs: usize,
    /// Runs it trained (the rest were cached).
    pub trained: usize,
}

impl Summary {
    /// A binding claim failed — or could not be measured although every planned run finished:
    /// a gate whose runs no longer decide it (a model or dataset renamed, a mechanism switched
    /// off so that the estimator finds no run of the kind) must not pass silently.
    pub fn failed(&self) -> bool {
        self.claims.iter().any(|c| {
            c.verdict == Verdict::Fail
                || (c.verdict == Verdict::NotMeasured
                    && self.missing_runs.is_empty()
                    && c.claim.binding_scales.contains(&self.scale))
        })
    }
}

fn row(part: &dyn AnyPart, run: &Finished) -> RunRow {
    let m = &run.manifest;
    RunRow {
        run_id: m.run_id.clone(),
        label: m.label(),
        exposures: m.exposures,
        parameters: m.parameters,
        cells: part.cells(m),
        final_loss: m.final_loss,
        steps: m.steps,
        train_seconds: run.timing.train_seconds,
        device: m.device.clone(),
        weights_sha256: m.weights_sha256.clone(),
        cpu: m.cpu.clone(),
        threads: m.threads,
        measurements: m.measurements.clone(),
    }
}

fn unique(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = values.collect();
    v.sort();
    v.dedup();
    v
}

/// Judges the claims on the finished runs, draws the figures and writes `summary.json`,
/// `report.html` and `figures/` into the scale folder. A claim whose exposures match a planned run
/// that has not finished is "not measured": a partial sweep does not judge.
pub fn write(
    dir: &ScaleDir,
    suite: &Suite,
    part: &dyn AnyPart,
    scale: Scale,
    planned: &[Run],
    finished: &[Finished],
    wall: Option<WallTime>,
) -> Result<Summary> {
    let manifests: Vec<Manifest> = finished.iter().map(|f| f.manifest.clone()).collect();
    let missing: Vec<&Run> = planned
        .iter()
        .filter(|r| !manifests.iter().any(|m| m.run_id == r.id))
        .collect();
    let claims: Vec<Outcome> = suite
        .claims
        .iter()
        .filter(|claim| claim.applies_at(scale))
        .map(|claim| {
            let waiting = missing
                .iter()
                .filter(|r| claim.exposures.is_none_or(|e| r.spec.recipe.exposures == e))
                .count();
            let mut outcome = claims::evaluate(part, claim, &manifests, scale);
            if waiting > 0 {
                outcome.evidence = format!(
                    "{waiting} planned run{} missing (so far: {} {})",
                    if waiting == 1 { "" } else { "s" },
                    outcome.measured.map_or("—".into(), |v| format!("{v:.3}")),
                    outcome.evidence
                );
                (outcome.measured, outcome.verdict) = (None, Verdict::NotMeasured);
            }
            outcome
        })
        .collect();
    let svgs: Vec<String> = part
        .figures(&manifests)
        .iter()
        .map(|f| figure::render(f, &dir.figures()))
        .collect::<Result<_>>()?;

    let summary = Summary {
        suite: suite.name.clone(),
        suite_version: suite.version,
        suite_sha256: hex(&Sha256::digest(serde_json::to_vec(suite)?)),
        paper: suite.paper.clone(),
        scale,
        code_revisions: unique(manifests.iter().map(|m| m.code_revision.clone())),
        devices: unique(manifests.iter().map(|m| m.device.clone())),
        reproduced: wall,
        train_seconds: finished.iter().map(|f| f.timing.train_seconds).sum(),
        eval_seconds: finished.iter().map(|f| f.timing.eval_seconds).sum(),
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
        columns: part.columns().iter().map(|&c| c.to_owned()).collect(),
        runs: finished.iter().map(|f| row(part, f)).collect(),
        missing_runs: missing
            .iter()
            .map(|r| {
                let state = dir.unfinished_state(&r.id);
                format!("{} ({}): {state}", r.label(), r.id)
            })
            .collect(),
        excerpts: part.excerpts(&manifests),
        method: part.method().into(),
    };
    write_atomic(
        &dir.summary(),
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    let html = render_html(&summary, &svgs)?;
    write_atomic(&dir.report(), html.as_bytes())?;
    Ok(summary)
}

/// The stylesheet every page inlines (reports and the index), so that each opens offline.
pub const STYLE: &str = include_str!("../../templates/style.css");

fn render_html(summary: &Summary, svgs: &[String]) -> Result<String> {
    let mut tera = tera::Tera::default();
    tera.add_raw_template(
        "report.html",
        include_str!("../../templates/report.html.tera"),
    )
    .context("templates/report.html.tera")?;
    let mut context = tera::Context::from_serialize(summary)?;
    context.insert("figures", svgs);
    context.insert("style", STYLE);
    let verdicts: Vec<&str> = summary.claims.iter().map(|c| c.verdict.label()).collect();
    context.insert("verdict_labels", &verdicts);
    tera.render("report.html", &context)
        .context("rendering templates/report.html.tera")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A summary at `scale` holding one claim (`bounds` completes its TOML) with that outcome.
    fn one_claim(bounds: &str, measured: Option<f64>, verdict: Verdict, scale: Scale) -> Summary {
        let claim: crate::spec::Claim = toml::from_str(&format!(
            "id = \"Z\"\npaper = \"p\"\nstatement = \"s\"\nestimator = \"generation-accuracy\"\n{bounds}"
        ))
        .unwrap();
        Summary {
            suite: "part1".into(),
            suite_version: 1,
            suite_sha256: String::new(),
            paper: String::new(),
            scale,
            code_revisions: Vec::new(),
            devices: Vec::new(),
            reproduced: None,
            train_seconds: 0.0,
            eval_seconds: 0.0,
            data_sha256: Vec::new(),
            claims: vec![Outcome {
                claim,
                measured,
                evidence: "e".into(),
                verdict,
            }],
            columns: Vec::new(),
            runs: Vec::new(),
            missing_runs: Vec::new(),
            excerpts: Vec::new(),
            method: String::new(),
        }
    }

    /// Zero is a measurement and a bound, not a missing value (tera treats 0 as false).
    #[test]
    fn a_measured_zero_and_a_zero_bound_are_shown() {
        let mut summary = one_claim(
            "at_least = 0.0\nbinding_scales = []",
            Some(0.0),
            Verdict::Pass,
            Scale::Smoke,
        );
        summary.missing_runs = vec!["d/m/r (0123)".into()];
        let html = render_html(&summary, &[]).unwrap();
        assert!(html.contains("≥ 0"), "the bound");
        assert!(!summary.failed(), "nothing binding failed");
        assert!(
            html.contains("Missing runs") && html.contains("(0123)"),
            "missing runs listed"
        );
        assert!(
            html.contains("<td class=\"num\">0<div"),
            "the measurement: {html}"
        );
    }

    /// A binding claim that no run decides fails the check once every planned run is there;
    /// while runs are missing it is only waiting.
    #[test]
    fn an_unmeasured_binding_claim_fails_when_no_run_is_missing() {
        let bounds = "at_least = 0.5\nbinding_scales = [\"smoke\"]";
        let mut summary = one_claim(bounds, None, Verdict::NotMeasured, Scale::Smoke);
        assert!(summary.failed());
        summary.missing_runs = vec!["d/m/r (0123)".into()];
        assert!(!summary.failed());
        let at_cpu = one_claim(bounds, None, Verdict::NotMeasured, Scale::Cpu);
        assert!(!at_cpu.failed(), "not binding at cpu");
    }
}

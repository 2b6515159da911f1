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
use crate::run::Manifest;
use crate::suite::{Scale, Suite};
use crate::train::checkpoint::write_atomic;
use figures::Figure;

/// One row of the runs table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRow {
    pub run_id: String,
    pub label: String,
    pub exposures: u32,
    pub people: f64,
    pub parameters: u64,
    pub bits: f64,
    pub ratio: f64,
    pub max_ratio: f64,
    pub stored_fraction: f64,
    pub int8_kept: Option<f64>,
    pub int4_kept: Option<f64>,
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
    pub runs: Vec<RunRow>,
}

impl Summary {
    pub fn failed(&self) -> bool {
        self.claims.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

fn row(m: &Manifest) -> RunRow {
    let kept = |bits: u32| {
        m.quantized
            .iter()
            .find(|q| q.bits_per_weight == bits)
            .map(|q| q.bits / m.capacity.bits)
    };
    let people = match m.capacity.knowledge {
        crate::eval::capacity::Knowledge::Bios { n, .. }
        | crate::eval::capacity::Knowledge::Biod { n, .. } => n,
    };
    RunRow {
        run_id: m.run_id.clone(),
        label: m.label(),
        exposures: m.exposures,
        people,
        parameters: m.capacity.parameters,
        bits: m.capacity.bits,
        ratio: m.capacity.ratio,
        max_ratio: m.capacity.max_ratio,
        stored_fraction: m.capacity.stored_fraction(),
        int8_kept: kept(8),
        int4_kept: kept(4),
        final_loss: m.final_loss,
        steps: m.steps,
        train_seconds: m.train_seconds,
        device: m.device.clone(),
    }
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
    let mut exposures: Vec<u32> = manifests.iter().map(|m| m.exposures).collect();
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
                let points = manifests
                    .iter()
                    .filter(|m| m.exposures == e)
                    .map(|m| (m.capacity.parameters as f64, m.capacity.bits))
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
        points: unique(manifests.iter().map(|m| m.model_name.clone()))
            .into_iter()
            .map(|model| {
                let points = manifests
                    .iter()
                    .filter(|m| m.model_name == model)
                    .map(|m| (f64::from(m.exposures), m.capacity.ratio))
                    .collect();
                (model, points)
            })
            .collect(),
        lines: vec![("R = 2".into(), |_| 2.0)],
    };
    let figure_dir = dir.join("figures");
    let svgs: Vec<String> = [capacity_figure, ratio_figure]
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
        runs: manifests.iter().map(row).collect(),
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

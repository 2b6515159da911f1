//! `artifacts/index.html`: every part and scale whose `summary.json` is present, on one page — per
//! suite and scale how the binding claims fared and from which code, then every claim with its
//! paper reference, the suite's note (the paper's value, the bound's reason), bound, measured
//! value and verdict, linking to the part's report. Written by
//! `plm collect --all` from the summaries alone, so committed cpu summaries count without their
//! runs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Serialize;

use crate::claims::Verdict;
use crate::report::Summary;
use crate::spec::Scale;
use crate::util::write_atomic;

/// One suite at one scale, as the index shows it.
#[derive(Serialize)]
struct Entry {
    suite: String,
    version: u32,
    scale: &'static str,
    /// `part3.3/cpu/report.html`, relative to the index.
    report: String,
    binding: usize,
    binding_passed: usize,
    runs: usize,
    missing_runs: usize,
    /// Short revisions, `-dirty` kept: a dirty one pins no code.
    revisions: Vec<String>,
    claims: Vec<Row>,
}

#[derive(Serialize)]
struct Row {
    id: String,
    paper: String,
    statement: String,
    /// The suite's note: the paper's number where it has one, and why the bound is what it is.
    note: String,
    expected: String,
    measured: Option<f64>,
    verdict: Verdict,
    verdict_label: &'static str,
    binding: bool,
}

/// Reads the summaries of `suites` (names) present under `artifacts` and writes
/// `artifacts/index.html`; a summary that cannot be parsed is an error naming it.
pub fn write(artifacts: &Path, suites: &[String]) -> Result<PathBuf> {
    let mut entries = Vec::new();
    for suite in suites {
        for scale in [Scale::Smoke, Scale::Cpu, Scale::Paper] {
            let path = artifacts
                .join(suite)
                .join(scale.name())
                .join("summary.json");
            if !path.exists() {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let summary: Summary = serde_json::from_str(&text).with_context(|| {
                format!("{} is corrupt: not a plm summary.json", path.display())
            })?;
            entries.push(entry(&summary, scale));
        }
    }
    let mut tera = tera::Tera::default();
    tera.add_raw_template(
        "index.html",
        include_str!("../../templates/index.html.tera"),
    )
    .context("templates/index.html.tera")?;
    let mut context = tera::Context::new();
    context.insert("entries", &entries);
    context.insert("style", crate::report::STYLE);
    let html = tera
        .render("index.html", &context)
        .context("rendering templates/index.html.tera")?;
    let out = artifacts.join("index.html");
    write_atomic(&out, html.as_bytes())?;
    Ok(out)
}

fn entry(summary: &Summary, scale: Scale) -> Entry {
    let claims: Vec<Row> = summary
        .claims
        .iter()
        .map(|o| Row {
            id: o.claim.id.clone(),
            paper: o.claim.paper.clone(),
            statement: o.claim.statement.clone(),
            note: o.claim.note.clone().unwrap_or_default(),
            expected: o.claim.expectation(),
            measured: o.measured,
            verdict: o.verdict,
            verdict_label: o.verdict.label(),
            binding: o.claim.binding_scales.contains(&scale),
        })
        .collect();
    let binding = claims.iter().filter(|c| c.binding);
    Entry {
        suite: summary.suite.clone(),
        version: summary.suite_version,
        scale: scale.name(),
        report: format!("{}/{}/report.html", summary.suite, scale.name()),
        binding: binding.clone().count(),
        binding_passed: binding.filter(|c| c.verdict == Verdict::Pass).count(),
        runs: summary.runs.len(),
        missing_runs: summary.missing_runs.len(),
        revisions: summary
            .code_revisions
            .iter()
            .map(|r| match r.strip_suffix("-dirty") {
                Some(rev) => format!("{}-dirty", &rev[..rev.len().min(7)]),
                None => r[..r.len().min(7)].to_owned(),
            })
            .collect(),
        claims,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index lists each present summary's claims with verdicts and links its report; a
    /// corrupt summary is named.
    #[test]
    fn the_index_shows_every_present_summary_and_names_a_corrupt_one() {
        let root = tempfile::tempdir().unwrap();
        let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../artifacts/part3.3/smoke/summary.json");
        let folder = root.path().join("part3.3/smoke");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::copy(&committed, folder.join("summary.json")).unwrap();
        let suites = vec!["part3.3".to_owned(), "part1".to_owned()];
        let html = std::fs::read_to_string(write(root.path(), &suites).unwrap()).unwrap();
        assert!(html.contains("href=\"part3.3/smoke/report.html\""));
        assert!(html.contains(">G2<") && html.contains("pass"));
        assert!(!html.contains("part1/"), "no summary, no entry");

        std::fs::write(folder.join("summary.json"), "{\"suite\": ").unwrap();
        let error = format!("{:#}", write(root.path(), &suites).unwrap_err());
        assert!(
            error.contains("part3.3/smoke/summary.json is corrupt"),
            "{error}"
        );
    }
}

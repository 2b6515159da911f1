//! `plm compare BASE NEW`: what moved between two reports of the same suite and scale — per claim
//! the measured values, their difference and the verdicts side by side, per run the cells that
//! changed. A regression is a claim binding at the scale whose verdict flipped or whose measured
//! value moved by more than its tolerance (relative to the base value; the claim's own
//! `tolerance` in the suite, else the command's), or a claim that one side does not have. A claim
//! the scale does not bind is shown, not judged: the scale reports it without a bound, and its
//! value moves as a seed does (Part 3.2's smoke differences of near-zero accuracies moved by
//! 110 % on another CPU). Runs are shown, not judged: their cells are formatted text, and the
//! claims are what a suite binds.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Serialize;

use crate::claims::{Outcome, Verdict};
use crate::report::{RunRow, Summary};
use crate::spec::Scale;

/// A `summary.json` and where it came from.
pub struct Side {
    pub file: PathBuf,
    pub summary: Summary,
}

impl Side {
    /// Reads `path`: a `summary.json`, or a folder holding one (a scale folder of artifacts).
    pub fn load(path: &Path) -> Result<Side> {
        let file = if path.is_dir() {
            path.join("summary.json")
        } else {
            path.to_path_buf()
        };
        let text = std::fs::read_to_string(&file)
            .with_context(|| format!("{}: cannot read", file.display()))?;
        let summary = serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: not a plm summary.json (written by `plm collect`)",
                file.display()
            )
        })?;
        Ok(Side { file, summary })
    }
}

/// One claim in both reports.
#[derive(Clone, Debug, Serialize)]
pub struct ClaimChange {
    pub id: String,
    pub base: Option<f64>,
    pub new: Option<f64>,
    /// `new − base`, when both are measured.
    pub difference: Option<f64>,
    pub base_verdict: Option<Verdict>,
    pub new_verdict: Option<Verdict>,
    /// The relative tolerance the move was judged with.
    pub tolerance: f64,
    /// Why this is a regression; `None` when it is not.
    pub regression: Option<String>,
}

/// One run whose cells differ, or that only one report has.
#[derive(Clone, Debug, Serialize)]
pub struct RunChange {
    pub label: String,
    pub base_id: Option<String>,
    pub new_id: Option<String>,
    /// `(column, base, new)` for each cell that differs.
    pub cells: Vec<(String, String, String)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub suite: String,
    pub scale: Scale,
    pub base_version: u32,
    pub new_version: u32,
    pub claims: Vec<ClaimChange>,
    /// Runs matched by run id, else by label.
    pub runs_matched: usize,
    pub runs_changed: Vec<RunChange>,
}

impl Comparison {
    pub fn regressions(&self) -> usize {
        self.claims
            .iter()
            .filter(|c| c.regression.is_some())
            .count()
    }
}

/// Compares two reports; an error (naming the file) when they are of different suites or scales.
pub fn compare(base: &Side, new: &Side, tolerance: f64) -> Result<Comparison> {
    let (b, n) = (&base.summary, &new.summary);
    if (b.suite.as_str(), b.scale) != (n.suite.as_str(), n.scale) {
        bail!(
            "{}: holds {} at scale {}, but {} holds {} at scale {}; compare reports of one suite and scale",
            new.file.display(),
            n.suite,
            n.scale.name(),
            base.file.display(),
            b.suite,
            b.scale.name()
        );
    }
    let mut claims: Vec<ClaimChange> = b
        .claims
        .iter()
        .map(|old| {
            let now = n.claims.iter().find(|c| c.claim.id == old.claim.id);
            claim_change(Some(old), now, b.scale, tolerance)
        })
        .collect();
    claims.extend(
        n.claims
            .iter()
            .filter(|c| !b.claims.iter().any(|old| old.claim.id == c.claim.id))
            .map(|c| claim_change(None, Some(c), b.scale, tolerance)),
    );
    let (runs_matched, runs_changed) = run_changes(b, n);
    Ok(Comparison {
        suite: b.suite.clone(),
        scale: b.scale,
        base_version: b.suite_version,
        new_version: n.suite_version,
        claims,
        runs_matched,
        runs_changed,
    })
}

fn claim_change(
    base: Option<&Outcome>,
    new: Option<&Outcome>,
    scale: Scale,
    tolerance: f64,
) -> ClaimChange {
    let either = base.or(new).expect("one side holds the claim");
    let binding = either.claim.binding_scales.contains(&scale);
    let tolerance = new
        .or(base)
        .and_then(|o| o.claim.tolerance)
        .unwrap_or(tolerance);
    let (b, n) = (base.and_then(|o| o.measured), new.and_then(|o| o.measured));
    let (bv, nv) = (base.map(|o| o.verdict), new.map(|o| o.verdict));
    let difference = b.zip(n).map(|(b, n)| n - b);
    let regression = match (base, new) {
        (None, _) => Some("not in BASE".to_string()),
        (_, None) => Some("not in NEW".to_string()),
        _ if !binding => None,
        _ if bv != nv => Some(format!(
            "verdict {} → {}",
            bv.map_or("-", Verdict::label),
            nv.map_or("-", Verdict::label)
        )),
        _ => match (b, n) {
            (Some(b), Some(n)) if moved(b, n, tolerance) => Some(format!(
                "moved {:+.1} % (tolerance {} %)",
                relative(b, n) * 100.0,
                tolerance * 100.0
            )),
            (Some(_), None) | (None, Some(_)) => Some("measured on one side only".to_string()),
            _ => None,
        },
    };
    ClaimChange {
        id: either.claim.id.clone(),
        base: b,
        new: n,
        difference,
        base_verdict: bv,
        new_verdict: nv,
        tolerance,
        regression,
    }
}

/// `(new − base) / |base|`; infinite when the base is 0 and the new value is not.
fn relative(base: f64, new: f64) -> f64 {
    if new == base {
        0.0
    } else {
        (new - base) / base.abs()
    }
}

fn moved(base: f64, new: f64, tolerance: f64) -> bool {
    relative(base, new).abs() > tolerance
}

/// Matches NEW's runs to BASE's by run id, else by label, and lists the cells that differ.
fn run_changes(base: &Summary, new: &Summary) -> (usize, Vec<RunChange>) {
    let by_id: HashMap<&str, &RunRow> = base.runs.iter().map(|r| (r.run_id.as_str(), r)).collect();
    let by_label: HashMap<&str, &RunRow> =
        base.runs.iter().map(|r| (r.label.as_str(), r)).collect();
    let mut matched_base = Vec::new();
    let mut changes = Vec::new();
    for run in &new.runs {
        let Some(old) = by_id
            .get(run.run_id.as_str())
            .or_else(|| by_label.get(run.label.as_str()))
        else {
            changes.push(RunChange {
                label: run.label.clone(),
                base_id: None,
                new_id: Some(run.run_id.clone()),
                cells: Vec::new(),
            });
            continue;
        };
        matched_base.push(old.run_id.as_str());
        let mut cells: Vec<(String, String, String)> = new
            .columns
            .iter()
            .zip(old.cells.iter().zip(&run.cells))
            .filter(|(_, (b, n))| b != n)
            .map(|(column, (b, n))| (column.clone(), b.clone(), n.clone()))
            .collect();
        if old.final_loss != run.final_loss {
            cells.push((
                "final loss".into(),
                old.final_loss.to_string(),
                run.final_loss.to_string(),
            ));
        }
        if !cells.is_empty() {
            changes.push(RunChange {
                label: run.label.clone(),
                base_id: Some(old.run_id.clone()),
                new_id: Some(run.run_id.clone()),
                cells,
            });
        }
    }
    changes.extend(
        base.runs
            .iter()
            .filter(|r| !matched_base.contains(&r.run_id.as_str()))
            .map(|r| RunChange {
                label: r.label.clone(),
                base_id: Some(r.run_id.clone()),
                new_id: None,
                cells: Vec::new(),
            }),
    );
    (matched_base.len(), changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_are_relative_to_the_base_and_any_move_from_zero_counts() {
        assert!(!moved(1.0, 1.04, 0.05));
        assert!(moved(1.0, 0.94, 0.05));
        assert!(moved(-2.0, -2.2, 0.05));
        assert!(!moved(0.0, 0.0, 0.05));
        assert!(moved(0.0, 1e-9, 0.05));
        assert_eq!(relative(2.0, 1.0), -0.5);
    }
}

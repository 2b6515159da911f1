//! `plm compare BASE NEW`: a table (or `--json`) of what moved; exit 1 on a regression.

use std::path::Path;

use anyhow::{Result, bail};

use super::Outcome;
use crate::compare::{Comparison, Side, compare};

pub(super) fn run(base: &Path, new: &Path, tolerance: f64, json: bool) -> Result<Outcome> {
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        bail!("--tolerance {tolerance}: give a relative tolerance ≥ 0, e.g. 0.1 for 10 %");
    }
    let (base, new) = (Side::load(base)?, Side::load(new)?);
    let comparison = compare(&base, &new, tolerance)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&comparison)?);
    } else {
        print_table(&comparison, &base, &new);
    }
    Ok(if comparison.regressions() > 0 {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

fn value(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.4}"))
}

fn print_table(c: &Comparison, base: &Side, new: &Side) {
    println!(
        "{} {}: BASE v{} {} → NEW v{} {}",
        c.suite,
        c.scale.name(),
        c.base_version,
        base.file.display(),
        c.new_version,
        new.file.display()
    );
    println!(
        "{:<22} {:>12} {:>12} {:>12}  {:<34} regression",
        "claim", "base", "new", "new − base", "verdicts"
    );
    for claim in &c.claims {
        let verdicts = format!(
            "{} → {}",
            claim.base_verdict.map_or("-", |v| v.label()),
            claim.new_verdict.map_or("-", |v| v.label())
        );
        println!(
            "{:<22} {:>12} {:>12} {:>12}  {:<34} {}",
            claim.id,
            value(claim.base),
            value(claim.new),
            claim.difference.map_or("-".into(), |d| format!("{d:+.4}")),
            verdicts,
            claim.regression.as_deref().unwrap_or("")
        );
    }
    println!(
        "runs: {} matched, {} with changes",
        c.runs_matched,
        c.runs_changed.len()
    );
    for run in &c.runs_changed {
        match (&run.base_id, &run.new_id) {
            (None, _) => println!("  {}: only in NEW", run.label),
            (_, None) => println!("  {}: only in BASE", run.label),
            _ => {
                let cells: Vec<String> = run
                    .cells
                    .iter()
                    .map(|(column, b, n)| format!("{column} {b} → {n}"))
                    .collect();
                println!("  {}: {}", run.label, cells.join("; "));
            }
        }
    }
    match c.regressions() {
        0 => println!("no regression"),
        n => println!("{n} regression{}", if n == 1 { "" } else { "s" }),
    }
}

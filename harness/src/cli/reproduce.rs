//! `plm reproduce` (data check → train → measure → claims → report) and `plm report` (re-render
//! from manifests without training).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{Outcome, progress_bar};
use crate::data::{build, stream};
use crate::report::{self, Summary};
use crate::run::{self, ExecuteOptions, Manifest};
use crate::suite::{Scale, Suite, list_suites, locate};
use crate::train::DeviceChoice;
use crate::train::checkpoint::write_atomic;

/// `part3.3` names one suite; `part3` every suite whose part starts with `part3.`.
fn suite_files(suites_dir: &Path, part: &str) -> Result<Vec<PathBuf>> {
    if let Ok(file) = locate(part, suites_dir) {
        return Ok(vec![file]);
    }
    let all = list_suites(suites_dir)?;
    let matching: Vec<PathBuf> = all
        .iter()
        .filter(|(name, _)| name.starts_with(&format!("{part}.")))
        .map(|(_, f)| f.clone())
        .collect();
    if matching.is_empty() {
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        bail!(
            "unknown part `{part}`; available: {} (or a prefix such as part3)",
            names.join(", ")
        );
    }
    Ok(matching)
}

/// Checks the pinned hashes of the datasets the scale trains on.
fn check_data(suite: &Suite, file: &Path, scale: Scale) -> Result<()> {
    let spec = suite.scales.get(scale);
    for dataset in spec
        .datasets
        .iter()
        .filter(|d| spec.sweeps.iter().any(|s| s.dataset == d.name()))
    {
        let bar = progress_bar(dataset.name());
        let summary = stream::summarize(
            build(dataset, suite.seed).as_ref(),
            dataset.name(),
            None,
            &bar,
        )?;
        bar.finish_and_clear();
        if let Some(pinned) = dataset.sha256()
            && *pinned != summary.sha256
        {
            bail!(
                "{}: dataset `{}` (scales.{}): generated tokens sha256 {} but the suite pins {}",
                file.display(),
                dataset.name(),
                scale.name(),
                summary.sha256.tokens,
                pinned.tokens
            );
        }
    }
    Ok(())
}

fn print_claims(summary: &Summary) {
    println!(
        "{:<5} {:<44} {:>10}  {:<16} verdict",
        "claim", "statement", "measured", "expected"
    );
    for outcome in &summary.claims {
        let statement: String = outcome.claim.statement.chars().take(44).collect();
        let measured = outcome.measured.map_or("—".into(), |v| format!("{v:.3}"));
        println!(
            "{:<5} {:<44} {:>10}  {:<16} {}",
            outcome.claim.id,
            statement,
            measured,
            outcome.claim.expectation(),
            outcome.verdict.label()
        );
    }
}

pub fn reproduce(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    device: DeviceChoice,
    artifacts: &Path,
) -> Result<Outcome> {
    let revision = run::code_revision();
    let mut failed = false;
    for file in suite_files(suites_dir, part)? {
        let suite = Suite::load(&file)?;
        let scale_dir = artifacts.join(&suite.name).join(scale.name());
        std::fs::create_dir_all(&scale_dir)
            .with_context(|| format!("cannot create {}", scale_dir.display()))?;
        check_data(&suite, &file, scale)?;
        let runs = run::plan(&suite, scale, &revision);
        println!(
            "{} v{} scale {}: {} runs → {}",
            suite.name,
            suite.version,
            scale.name(),
            runs.len(),
            scale_dir.display()
        );
        let options = ExecuteOptions {
            device,
            progress: true,
        };
        let mut manifests: Vec<Manifest> = Vec::new();
        for (i, planned) in runs.iter().enumerate() {
            let dir = scale_dir.join("runs").join(&planned.id);
            let manifest = run::execute(&suite, scale, planned, &dir, &revision, &options)?;
            println!(
                "[{}/{}] {} ({}): {}, {:.1}s",
                i + 1,
                runs.len(),
                planned.label(),
                planned.id,
                manifest.brief(),
                manifest.train_seconds + manifest.eval_seconds
            );
            manifests.push(manifest);
        }
        write_atomic(
            &scale_dir.join("suite.json"),
            serde_json::to_string_pretty(&suite)?.as_bytes(),
        )?;
        let ids: Vec<&str> = manifests.iter().map(|m| m.run_id.as_str()).collect();
        write_atomic(
            &scale_dir.join("runs.json"),
            serde_json::to_string_pretty(&ids)?.as_bytes(),
        )?;
        let summary = report::write(&scale_dir, &suite, scale, &manifests)?;
        print_claims(&summary);
        println!("report: {}", scale_dir.join("report.html").display());
        failed |= summary.failed();
    }
    Ok(if failed {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

/// Re-renders a scale folder's report from its manifests.
pub fn rerender(scale_dir: &Path) -> Result<Outcome> {
    let read = |name: &str| -> Result<String> {
        let path = scale_dir.join(name);
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {} (run `plm reproduce` first)", path.display()))
    };
    let suite: Suite = serde_json::from_str(&read("suite.json")?).context("suite.json")?;
    let ids: Vec<String> = serde_json::from_str(&read("runs.json")?).context("runs.json")?;
    let manifests: Vec<Manifest> = run::collect(scale_dir)?
        .into_iter()
        .filter(|m| ids.contains(&m.run_id))
        .collect();
    let scale = manifests.first().map_or(Scale::Smoke, |m| m.scale);
    let summary = report::write(scale_dir, &suite, scale, &manifests)?;
    print_claims(&summary);
    Ok(if summary.failed() {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

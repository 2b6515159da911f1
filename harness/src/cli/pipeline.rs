//! `plm reproduce`, `plm plan`, `plm run --id` and `plm collect`: argument handling and printing
//! around [`crate::driver`].

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::Outcome;
use crate::driver::{self, Job, Options, Reproduced};
use crate::report::Summary;
use crate::spec::Scale;
use crate::suite::{list_suites, locate};
use crate::train::DeviceChoice;

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
            "unknown part or suite file `{part}`; available: {} (or a prefix such as part3)",
            names.join(", ")
        );
    }
    Ok(matching)
}

pub(super) fn jobs(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    artifacts: &Path,
) -> Result<Vec<Job>> {
    suite_files(suites_dir, part)?
        .iter()
        .map(|file| Job::new(file, scale, artifacts))
        .collect()
}

/// Runs side by side as `--jobs` says, else one per thread on a CPU and one at a time on a GPU.
fn options(device: DeviceChoice, jobs: Option<usize>) -> Options {
    Options {
        device,
        progress: true,
        jobs: jobs.or(match device {
            DeviceChoice::Flex => None,
            _ => Some(1),
        }),
        threads: rayon::current_num_threads(),
    }
}

/// Prints the verdicts and where the report is; true when a claim failed where it binds.
fn print_summary(job: &Job, summary: &Summary) -> bool {
    print_claims(summary);
    println!("report: {}", job.dir.report().display());
    summary.failed()
}

fn outcome(failed: bool) -> Outcome {
    if failed {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    }
}

/// Mismatched data hashes on stderr; exit status 1, as `plm data` does.
fn print_mismatches(lines: Vec<String>) {
    for line in lines {
        eprintln!("error: hash mismatch: {line}");
    }
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
    for missing in &summary.missing_runs {
        println!("missing run: {missing}");
    }
}

pub fn reproduce(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    artifacts: &Path,
    device: DeviceChoice,
    parallel: Option<usize>,
) -> Result<Outcome> {
    let mut failed = false;
    let options = options(device, parallel);
    let revision = crate::run::code_revision();
    if revision.ends_with("-dirty") {
        eprintln!(
            "warning: the working tree has uncommitted changes: runs trained now record revision \
             {revision}, which pins no code; commit first for results others can check"
        );
    }
    for job in jobs(suites_dir, part, scale, artifacts)? {
        println!(
            "{} v{} scale {}: {} runs → {}",
            job.suite.name,
            job.suite.version,
            scale.name(),
            job.runs.len(),
            job.dir.path().display()
        );
        match driver::reproduce(&job, &options, &mut |line| println!("{line}"))? {
            Reproduced::DataMismatch(lines) => {
                print_mismatches(lines);
                failed = true;
            }
            Reproduced::Done(summary) => failed |= print_summary(&job, &summary),
        }
    }
    Ok(outcome(failed))
}

pub fn plan(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    artifacts: &Path,
    json: bool,
) -> Result<Outcome> {
    let mut all = Vec::new();
    for job in jobs(suites_dir, part, scale, artifacts)? {
        let planned = driver::plan(&job);
        if !json {
            println!(
                "{} v{} scale {}:",
                job.suite.name,
                job.suite.version,
                scale.name()
            );
            println!(
                "{:<16}  {:>14}  {:>10}  {:<8}  label",
                "run id", "est. tokens", "est. FLOPs", "status"
            );
            for p in &planned {
                let status = if p.finished { "finished" } else { "to do" };
                println!(
                    "{:<16}  {:>14}  {:>10.2e}  {status:<8}  {}",
                    p.id, p.estimated_tokens, p.estimated_flops, p.label
                );
            }
        }
        all.extend(planned);
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&all)?);
    }
    Ok(Outcome::Ok)
}

pub fn run_one(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    artifacts: &Path,
    id: &str,
    device: DeviceChoice,
) -> Result<Outcome> {
    let jobs = jobs(suites_dir, part, scale, artifacts)?;
    let Some(job) = jobs.iter().find(|j| j.runs.iter().any(|r| r.id == id)) else {
        // One job's error lists its plan.
        return Err(jobs[0].run(id).expect_err("id not planned"));
    };
    let run = job.run(id)?;
    let finished = match driver::finished(job, run)? {
        Some(finished) => finished,
        None => {
            let mismatches = driver::check_data(job, &[run])?;
            if !mismatches.is_empty() {
                print_mismatches(mismatches);
                return Ok(Outcome::CheckFailed);
            }
            let options = options(device, Some(1));
            match driver::run_one(job, run, &options, false)? {
                Some(finished) => finished,
                None => {
                    eprintln!("run {id} is locked by another process; waiting for it");
                    driver::run_one(job, run, &options, true)?.expect("waited for the lock")
                }
            }
        }
    };
    println!(
        "{} ({}): {}",
        run.label(),
        run.id,
        job.part.brief(&finished.manifest)
    );
    Ok(Outcome::Ok)
}

pub fn collect(suites_dir: &Path, part: &str, scale: Scale, artifacts: &Path) -> Result<Outcome> {
    let mut failed = false;
    for job in jobs(suites_dir, part, scale, artifacts)? {
        let summary = driver::collect(&job)?;
        println!(
            "{} v{} scale {}: {} of {} planned runs finished",
            job.suite.name,
            job.suite.version,
            scale.name(),
            summary.runs.len(),
            job.runs.len()
        );
        failed |= print_summary(&job, &summary);
    }
    Ok(outcome(failed))
}

/// `plm collect --all`: re-collects every suite at every scale with runs under `artifacts`, then
/// writes `artifacts/index.html` from every summary present.
pub fn collect_all(suites_dir: &Path, artifacts: &Path) -> Result<Outcome> {
    let mut failed = false;
    let suites = list_suites(suites_dir)?;
    for (_, file) in &suites {
        for scale in [Scale::Smoke, Scale::Cpu, Scale::Paper] {
            let job = Job::new(file, scale, artifacts)?;
            let runs = job.dir.path().join("runs");
            let has_runs = std::fs::read_dir(&runs).is_ok_and(|mut d| d.next().is_some());
            if has_runs {
                failed |= driver::collect(&job)?.failed();
                println!("{} {}: collected", job.suite.name, scale.name());
            }
        }
    }
    let names: Vec<String> = suites.into_iter().map(|(name, _)| name).collect();
    let index = crate::index::write(artifacts, &names)?;
    println!("index: {}", index.display());
    Ok(outcome(failed))
}

//! `plm verify`: do the committed numbers come out of this code? Two checks against a scale's
//! committed `summary.json`:
//!
//! - **claims**: every judged claim is estimated again from the runs' measurements as the summary
//!   holds them, with this code's estimators; a summary whose claim values were edited, or that
//!   an older estimator wrote, differs.
//! - **runs**: some runs are retrained from scratch in a temporary folder and compared with their
//!   rows: the weights' SHA-256 (training is bit-exact on one CPU, whatever the thread
//!   count), else, when the CPUs differ or the committed one is unknown, the measurements
//!   within [`TOLERANCE`].
//!
//! Which runs: by default those the binding claims' evidence names; `--runs K` draws K at random
//! from the seed, cheap runs likelier (weight 1 / (parameters × steps)), so that a quick check
//! covers the code paths of many runs; `--all` every run.

use anyhow::{Context, Result, bail};
use rand_core::Rng;
use serde_json::Value;

use crate::claims::{self, Verdict};
use crate::data::rng::StreamKey;
use crate::driver::{self, Job, Options, Reproduced};
use crate::report::{RunRow, Summary};
use crate::run::Manifest;

/// Two measured numbers agree when they differ by at most this much, relative to the larger
/// (absolute below 1): what floating-point reordering on another CPU can move, and less than a
/// single answer out of the few hundred that the smallest evaluations count.
pub const TOLERANCE: f64 = 1e-3;

/// Which committed runs to retrain.
#[derive(Clone, Copy, Debug)]
pub enum Selection {
    /// The runs the binding claims' evidence names.
    Evidence,
    /// `count` runs drawn from `seed`, cheap ones likelier.
    Drawn {
        count: usize,
        seed: u64,
    },
    All,
}

/// What retraining one run gave.
#[derive(Clone, Debug, PartialEq)]
pub enum RunVerdict {
    BitIdentical,
    /// Weights differ (another CPU, or one not recorded), measurements agree.
    Agrees(String),
    Differs(String),
}

impl std::fmt::Display for RunVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunVerdict::BitIdentical => write!(f, "bit-identical"),
            RunVerdict::Agrees(why) => write!(f, "agrees within {TOLERANCE:e} ({why})"),
            RunVerdict::Differs(what) => write!(f, "DIFFERS: {what}"),
        }
    }
}

/// The committed summary of `job`'s scale, with what verify needs in every row, and how many of
/// its rows were matched to this code's runs by label because their run ids differ (ids change
/// with the engine and part epochs; a row then stands for the run of the same dataset, model,
/// recipe and replica, and retraining it says whether this code still gives its numbers).
pub fn committed(job: &Job) -> Result<(Summary, usize)> {
    let path = job.dir.summary();
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (run `plm reproduce` or `plm collect` for this scale first)",
            path.display()
        )
    })?;
    let mut summary: Summary = serde_json::from_str(&text)
        .with_context(|| format!("{} is corrupt: not a plm summary.json", path.display()))?;
    if summary.suite != job.suite.name || summary.scale != job.scale {
        bail!(
            "{}: field `suite`/`scale` says {} {}, not {} {}",
            path.display(),
            summary.suite,
            summary.scale.name(),
            job.suite.name,
            job.scale.name()
        );
    }
    if let Some(row) = summary.runs.iter().find(|r| r.weights_sha256.is_empty()) {
        bail!(
            "{}: run {} has no field `weights_sha256`: the summary predates `plm verify`; \
             write it again with `plm collect {suite} --scale {scale}` where its runs are, or \
             `plm reproduce {suite} --scale {scale}`",
            path.display(),
            row.run_id,
            suite = job.suite.name,
            scale = job.scale.name()
        );
    }
    let mut relabelled = 0;
    for row in &mut summary.runs {
        if job.runs.iter().any(|r| r.id == row.run_id) {
            continue;
        }
        if let Some(run) = job.runs.iter().find(|r| r.label() == row.label) {
            row.run_id = run.id.clone();
            relabelled += 1;
        }
    }
    Ok((summary, relabelled))
}

/// The claims whose value or verdict this code does not obtain again from the summary's runs,
/// as one line each, and how many claims were checked.
pub fn recompute_claims(job: &Job, summary: &Summary) -> Result<(usize, Vec<String>)> {
    let manifests: Vec<Manifest> = summary
        .runs
        .iter()
        .map(|row| manifest_of(job, row))
        .collect::<Result<_>>()?;
    let mut checked = 0;
    let mut differences = Vec::new();
    for committed in &summary.claims {
        if committed.verdict == Verdict::NotMeasured {
            continue;
        }
        checked += 1;
        // Ids repeat across scales (a claim restated with other bounds), so match at this scale.
        let same = |c: &&crate::spec::Claim| c.id == committed.claim.id && c.applies_at(job.scale);
        let Some(claim) = job.suite.claims.iter().find(same) else {
            differences.push(format!("claim {}: not in the suite", committed.claim.id));
            continue;
        };
        let again = claims::evaluate(job.part, claim, &manifests, job.scale);
        // serde_json reads floats back to within an ulp, not always exactly.
        let same_value = match (committed.measured, again.measured) {
            (Some(a), Some(b)) => a == b || (a - b).abs() <= 1e-12 * a.abs().max(b.abs()),
            (a, b) => a == b,
        };
        if !same_value || again.verdict != committed.verdict {
            let shown = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v}"));
            differences.push(format!(
                "claim {}: the summary says {} ({}), its runs give {} ({})",
                claim.id,
                shown(committed.measured),
                committed.verdict.label(),
                shown(again.measured),
                again.verdict.label()
            ));
        }
    }
    Ok((checked, differences))
}

/// A committed row as the manifest the estimators read: the planned run's spec with the row's
/// measurements.
fn manifest_of(job: &Job, row: &RunRow) -> Result<Manifest> {
    let run = job
        .runs
        .iter()
        .find(|r| r.id == row.run_id)
        .with_context(|| {
            format!(
                "run {} ({}) of the summary is not in this code's plan of {} at scale {}: the \
             suite or the part's code epoch changed since it was written",
                row.run_id,
                row.label,
                job.suite.name,
                job.scale.name()
            )
        })?;
    Ok(Manifest {
        device: row.device.clone(),
        cpu: row.cpu.clone(),
        threads: row.threads,
        steps: row.steps,
        final_loss: row.final_loss,
        weights_sha256: row.weights_sha256.clone(),
        parameters: row.parameters,
        measurements: row.measurements.clone(),
        ..driver::planned_manifest(job, run)
    })
}

/// The run ids to retrain, in the summary's order.
pub fn select(summary: &Summary, selection: Selection) -> Vec<String> {
    let rows = &summary.runs;
    let chosen: Vec<bool> = match selection {
        Selection::All => vec![true; rows.len()],
        Selection::Evidence => {
            // Evidence strings name runs by label among other words ("A − B", "peak A").
            let words: Vec<&str> = summary
                .claims
                .iter()
                .filter(|c| c.claim.binding_scales.contains(&summary.scale))
                .flat_map(|c| c.evidence.split_whitespace())
                .map(|w| w.trim_matches(|c: char| ",;:()".contains(c)))
                .collect();
            rows.iter()
                .map(|r| words.contains(&r.label.as_str()))
                .collect()
        }
        Selection::Drawn { count, seed } => {
            // Weighted sampling without replacement (Efraimidis–Spirakis): the `count` largest
            // keys ln(u) / w.
            let mut rng = StreamKey::new(seed, &["verify"]).rng(0, 0);
            let mut keys: Vec<(f64, usize)> = rows
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let u = ((rng.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
                    let weight = 1.0 / (r.parameters.max(1) as f64 * r.steps.max(1) as f64);
                    (u.ln() / weight, i)
                })
                .collect();
            keys.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut chosen = vec![false; rows.len()];
            for &(_, i) in keys.iter().take(count) {
                chosen[i] = true;
            }
            chosen
        }
    };
    rows.iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(r, _)| r.run_id.clone())
        .collect()
}

/// Retrains runs `ids` (and the pretrained runs they start from) from scratch into `folder` and
/// compares each with its committed row: `Ok(Ok(verdicts))`, or `Ok(Err(lines))` when a
/// dataset no longer matches its pin (the lines say which) and nothing was trained.
pub fn retrain(
    job: &Job,
    summary: &Summary,
    ids: &[String],
    folder: &std::path::Path,
    options: &Options,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<std::result::Result<Vec<(String, RunVerdict)>, Vec<String>>> {
    let mut fresh = Job::new(&job.file, job.scale, folder)?;
    let mut wanted: Vec<String> = ids.to_vec();
    let mut i = 0;
    while i < wanted.len() {
        if let Some(parent) = &fresh.run(&wanted[i])?.parent
            && !wanted.contains(parent)
        {
            wanted.push(parent.clone());
        }
        i += 1;
    }
    fresh.runs.retain(|r| wanted.contains(&r.id));
    if let Reproduced::DataMismatch(lines) = driver::reproduce(&fresh, options, say)? {
        return Ok(Err(lines));
    }
    let mut verdicts = Vec::new();
    for row in summary.runs.iter().filter(|r| wanted.contains(&r.run_id)) {
        let run = fresh.run(&row.run_id)?;
        let finished = driver::finished(&fresh, run)?
            .with_context(|| format!("run {} did not finish", run.id))?;
        verdicts.push((row.run_id.clone(), compare_run(row, &finished.manifest)));
    }
    Ok(Ok(verdicts))
}

/// One retrained run against its committed row.
pub fn compare_run(row: &RunRow, fresh: &Manifest) -> RunVerdict {
    let exact = difference(&row.measurements, &fresh.measurements, 0.0, "measurements");
    if row.weights_sha256 == fresh.weights_sha256 {
        return match exact {
            None => RunVerdict::BitIdentical,
            Some(what) => {
                RunVerdict::Differs(format!("the same weights measure differently: {what}"))
            }
        };
    }
    let weights = format!(
        "weights sha256 {} ≠ committed {}",
        short(&fresh.weights_sha256),
        short(&row.weights_sha256)
    );
    let machines = match (&row.cpu, &fresh.cpu) {
        (Some(a), Some(b)) if a == b => {
            return RunVerdict::Differs(format!("{weights} on the same CPU ({a})"));
        }
        (Some(a), Some(b)) => format!("trained on {b}, committed on {a}"),
        (None, _) => "the committed run's CPU is not recorded".into(),
        (Some(a), None) => format!("committed on {a}, this CPU's model is unknown"),
    };
    match difference(
        &row.measurements,
        &fresh.measurements,
        TOLERANCE,
        "measurements",
    ) {
        None => RunVerdict::Agrees(format!("{weights}; {machines}")),
        Some(what) => RunVerdict::Differs(format!("{what}; {weights}; {machines}")),
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// The first place where `committed` and `fresh` differ, numbers by more than `tolerance`
/// relative to the larger (absolute below 1), as `path: committed → fresh`.
fn difference(committed: &Value, fresh: &Value, tolerance: f64, path: &str) -> Option<String> {
    let differs = || Some(format!("{path}: {committed} → {fresh}"));
    match (committed, fresh) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64()?, b.as_f64()?);
            if (a - b).abs() > tolerance * a.abs().max(b.abs()).max(1.0) {
                differs()
            } else {
                None
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (a, b))| difference(a, b, tolerance, &format!("{path}[{i}]"))),
        (Value::Object(a), Value::Object(b)) if a.len() == b.len() => {
            a.iter().find_map(|(k, v)| match b.get(k) {
                Some(w) => difference(v, w, tolerance, &format!("{path}.{k}")),
                None => differs(),
            })
        }
        (a, b) if a == b => None,
        _ => differs(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn measurements_agree_within_the_tolerance_and_name_the_first_difference() {
        let a = json!({"test": {"correct": [10, 20]}, "loss": 1.2345});
        assert_eq!(difference(&a, &a.clone(), 0.0, "m"), None);
        let near = json!({"test": {"correct": [10, 20]}, "loss": 1.2350});
        assert_eq!(difference(&a, &near, TOLERANCE, "m"), None);
        assert!(
            difference(&a, &near, 0.0, "m")
                .unwrap()
                .starts_with("m.loss: 1.2345")
        );
        let count = json!({"test": {"correct": [10, 21]}, "loss": 1.2345});
        assert_eq!(
            difference(&a, &count, TOLERANCE, "m").as_deref(),
            Some("m.test.correct[1]: 20 → 21")
        );
        let shape = json!({"test": {"correct": [10]}, "loss": 1.2345});
        assert!(difference(&a, &shape, TOLERANCE, "m").is_some());
    }
}

//! `plm verify PART`: retrain committed runs from scratch and check the committed claims; one
//! line per run, exit 1 on any difference.

use std::path::Path;

use anyhow::Result;

use super::Outcome;
use super::pipeline::jobs;
use crate::driver::Options;
use crate::spec::Scale;
use crate::train::DeviceChoice;
use crate::verify::{self, RunVerdict, Selection};

pub(super) fn run(
    suites_dir: &Path,
    part: &str,
    scale: Scale,
    artifacts: &Path,
    selection: Selection,
    device: DeviceChoice,
) -> Result<Outcome> {
    let mut differs = false;
    for job in jobs(suites_dir, part, scale, artifacts)? {
        let (summary, relabelled) = verify::committed(&job)?;
        let (checked, claims) = verify::recompute_claims(&job, &summary)?;
        println!(
            "{} v{} scale {}: {}",
            job.suite.name,
            job.suite.version,
            scale.name(),
            job.dir.summary().display()
        );
        if relabelled > 0 {
            println!(
                "  {relabelled} of {} runs have other ids in this code (an engine or part epoch \
                 changed): matched by label",
                summary.runs.len()
            );
        }
        for line in &claims {
            println!("  {line}");
        }
        if claims.is_empty() {
            println!("  claims: {checked} recomputed from the committed runs, all agree");
        }
        differs |= !claims.is_empty();

        let ids = verify::select(&summary, selection);
        println!(
            "  retraining {} of {} runs from scratch",
            ids.len(),
            summary.runs.len()
        );
        let folder = tempfile::Builder::new().prefix("plm-verify-").tempdir()?;
        let options = Options {
            device,
            progress: true,
            jobs: None,
            threads: rayon::current_num_threads(),
        };
        let retrained = verify::retrain(&job, &summary, &ids, folder.path(), &options, &mut |l| {
            println!("    {l}")
        })?;
        let verdicts = match retrained {
            Ok(verdicts) => verdicts,
            Err(mismatches) => {
                for line in mismatches {
                    println!("  DIFFERS: data: {line}");
                }
                differs = true;
                continue;
            }
        };
        let mut kept = false;
        for (id, verdict) in &verdicts {
            let label = summary
                .runs
                .iter()
                .find(|r| &r.run_id == id)
                .map_or("", |r| r.label.as_str());
            println!("  {label} ({id}): {verdict}");
            kept |= matches!(verdict, RunVerdict::Differs(_));
        }
        if kept {
            let path = folder.keep();
            println!("  the retrained runs are kept in {}", path.display());
            differs = true;
        }
    }
    Ok(if differs {
        Outcome::CheckFailed
    } else {
        Outcome::Ok
    })
}

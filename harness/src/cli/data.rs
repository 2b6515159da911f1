//! `plm data`: generate a suite's datasets at one scale and check their pinned hashes.

use std::path::Path;

use anyhow::{Context, Result};

use super::Outcome;
use crate::data::{build, stream};
use crate::spec::Scale;
use crate::suite::{self, locate};

pub fn run(suites_dir: &Path, part: &str, scale: Scale, out: Option<&Path>) -> Result<Outcome> {
    let file = locate(part, suites_dir)?;
    let suite = suite::load(&file)?;
    if let Some(out) = out {
        std::fs::create_dir_all(out)
            .with_context(|| format!("cannot create output folder {}", out.display()))?;
        let probe = out.join(".plm-write-test");
        std::fs::write(&probe, b"")
            .with_context(|| format!("output folder {} is not writable", out.display()))?;
        std::fs::remove_file(probe)?;
    }
    let datasets = &suite.scales.get(scale).datasets;
    println!(
        "suite {} v{} ({}), scale {}, seed {}",
        suite.name,
        suite.version,
        file.display(),
        scale.name(),
        suite.seed
    );
    println!(
        "{:<20} {:>8} {:>10} {:>12} {:>11}  {:<64}  status",
        "dataset", "people", "docs", "tokens", "vocab", "sha256(tokens)"
    );
    let mut mismatches = Vec::new();
    for spec in datasets {
        let source = build(spec, suite.seed);
        let bar = crate::progress::bar(spec.name(), "docs");
        let summary = stream::summarize(source.as_ref(), spec.name(), out, &bar)
            .with_context(|| format!("writing dataset `{}`", spec.name()))?;
        bar.finish_and_clear();
        let mismatch = crate::driver::pin_mismatch(&file, spec, scale, &summary.sha256);
        let status = match (spec.sha256(), mismatch) {
            (None, _) => "unpinned",
            (Some(_), None) => "ok",
            (Some(_), Some(line)) => {
                mismatches.push(line);
                "MISMATCH"
            }
        };
        let vocab = format!("{}/{}", summary.vocab_used, summary.vocab_size);
        println!(
            "{:<20} {:>8} {:>10} {:>12} {:>11}  {}  {status}",
            spec.name(),
            summary.people,
            summary.docs,
            summary.tokens,
            vocab,
            summary.sha256.tokens
        );
        println!(
            "{:<20} {:>8} {:>10} {:>12} {:>11}  {}  (text)",
            "", "", "", "", "", summary.sha256.text
        );
    }
    if mismatches.is_empty() {
        Ok(Outcome::Ok)
    } else {
        for line in &mismatches {
            eprintln!("error: hash mismatch: {line}");
        }
        Ok(Outcome::CheckFailed)
    }
}

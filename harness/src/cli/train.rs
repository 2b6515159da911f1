//! `plm train`: one training run from a spec file (dataset, model, recipe, seed).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::Outcome;
use crate::spec::{Invalid, TrainSpec};
use crate::train::{DeviceChoice, TrainOptions, train};

pub fn run(
    spec_file: &Path,
    out: &Path,
    device: DeviceChoice,
    resume: bool,
    stop_after: Option<u64>,
    start_from: Option<PathBuf>,
) -> Result<Outcome> {
    let text = std::fs::read_to_string(spec_file)
        .with_context(|| format!("cannot read {}", spec_file.display()))?;
    let spec: TrainSpec =
        toml::from_str(&text).map_err(|e| Invalid::field("", e.message()).in_file(spec_file))?;
    let options = TrainOptions {
        device,
        resume,
        stop_after,
        progress: true,
        start_from,
    };
    let trained = train(&spec, out, &options).map_err(|e| match e.downcast::<Invalid>() {
        Ok(invalid) => invalid.in_file(spec_file).into(),
        Err(other) => other,
    })?;
    let r = &trained.report;
    let first = r.losses.iter().take(20).sum::<f32>() / r.losses.len().clamp(1, 20) as f32;
    let last = r.losses.iter().rev().take(20).sum::<f32>() / r.losses.len().clamp(1, 20) as f32;
    let timing = &trained.timing;
    println!(
        "{} {}/{} steps on {} ({} threads): loss {first:.4} → {last:.4} (means of first/last 20), {:.0} tokens/s, {:.1}s",
        if r.finished { "finished" } else { "stopped at" },
        r.losses.len(),
        r.schedule.steps,
        r.device,
        r.threads,
        timing.tokens_per_second,
        timing.train_seconds
    );
    println!(
        "parameters {} (vocab {}/{} used), weights sha256 {}",
        r.parameters, r.vocab_used, r.vocab_size, r.weights_sha256
    );
    Ok(Outcome::Ok)
}

//! `plm bench`: throughput measurements (never timed tests).

use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Subcommand;

use super::Outcome;
use crate::data::bios::Bios;
use crate::data::{Doc, DocSource};
use crate::suite::BiosSpec;

#[derive(Subcommand)]
pub enum BenchTarget {
    /// bioS biographies per second with fresh wording and order, on the calling thread.
    Data {
        /// How long to measure.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
}

pub fn run(target: BenchTarget) -> Result<Outcome> {
    match target {
        BenchTarget::Data { seconds } => bench_bios(seconds),
    }
    Ok(Outcome::Ok)
}

fn bench_bios(seconds: f64) {
    let spec = BiosSpec {
        name: "bench".into(),
        people: 10_000,
        augmentation: "fresh".into(),
        entries: Some(1000),
        sha256: None,
    };
    let bios = Bios::new(&spec, 1);
    let vocab = bios.vocab();
    let budget = Duration::from_secs_f64(seconds);
    let mut doc = Doc::default();

    let measure = |with_text: bool, doc: &mut Doc| {
        let start = Instant::now();
        let (mut docs, mut tokens, mut chars) = (0u64, 0u64, 0u64);
        while start.elapsed() < budget {
            for _ in 0..1024 {
                bios.doc(docs % bios.num_docs(), doc);
                tokens += doc.tokens.len() as u64;
                if with_text {
                    chars += vocab.decode(&doc.tokens).len() as u64;
                }
                docs += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        (docs as f64 / secs, tokens as f64 / secs, chars)
    };
    let (per_sec, tokens_per_sec, _) = measure(false, &mut doc);
    println!(
        "bioS fresh wording, 1 thread: {per_sec:>12.0} biographies/s as tokens ({tokens_per_sec:.0} tokens/s)"
    );
    let (per_sec, _, chars) = measure(true, &mut doc);
    println!(
        "bioS fresh wording, 1 thread: {per_sec:>12.0} biographies/s as tokens + text ({chars} chars rendered)"
    );
}

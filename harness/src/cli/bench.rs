//! `plm bench`: throughput measurements (never timed tests).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Result;
use clap::Subcommand;
use serde::Serialize;

use super::Outcome;
use crate::data::bios::Bios;
use crate::data::bios::BiosSpec;
use crate::data::{Doc, DocSource};
use crate::model::Gpt;
use crate::spec::{ModelConfig, Recipe, Scale};
use crate::train::DeviceChoice;
use crate::train::packing::Batch;
use crate::train::trainer::{optimizer, train_step};

#[derive(Subcommand)]
pub enum BenchTarget {
    /// bioS biographies per second with fresh wording and order, on the calling thread.
    Data {
        /// How long to measure.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
    },
    /// Training throughput (forward, backward, global-norm clipping, AdamW): GPT2 shapes with
    /// head dimension 64, or every model of a suite scale at its recipe's batch and context.
    Train {
        #[arg(long, value_enum, default_value_t)]
        device: DeviceChoice,
        /// Shapes as LAYERSxD_MODEL, comma-separated.
        #[arg(
            long,
            default_value = "2x128,4x256,8x512",
            value_delimiter = ',',
            conflicts_with = "suite"
        )]
        shapes: Vec<String>,
        #[arg(long, default_value_t = 512, conflicts_with = "suite")]
        context: usize,
        #[arg(long, default_value_t = 8, conflicts_with = "suite")]
        batch: usize,
        #[arg(long, default_value_t = 2000, conflicts_with = "suite")]
        vocab: usize,
        /// Bench the models of this suite (a part such as `part3.3`, or a suite file) instead of
        /// `--shapes`: each model at the batch, context and optimiser of the recipes it trains
        /// with, and its dataset's vocabulary.
        #[arg(long, requires = "scale")]
        suite: Option<String>,
        #[arg(long, value_enum)]
        scale: Option<Scale>,
        /// Timed seconds per shape (at least 3 timed steps, after 2 untimed warm-up steps); the
        /// median step time is reported, which a busy machine disturbs less than the mean.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// Run burn's own operations instead of plm's fused kernels (to see what they gain).
        #[arg(long)]
        unfused: bool,
        /// Also write the results as JSON (read by bench/torch_train.py for the side-by-side table).
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
    },
}

pub fn run(suites_dir: &Path, target: BenchTarget) -> Result<Outcome> {
    match target {
        BenchTarget::Data { seconds } => bench_bios(seconds),
        BenchTarget::Train {
            device,
            shapes,
            context,
            batch,
            vocab,
            suite,
            scale,
            seconds,
            unfused,
            json,
        } => {
            crate::model::fused::set_enabled(!unfused);
            let cases = match (suite, scale) {
                (Some(part), Some(scale)) => suite_cases(suites_dir, &part, scale)?,
                _ => default_cases(&shapes, context, batch, vocab)?,
            };
            bench_train(device, &cases, seconds, json)?
        }
    }
    Ok(Outcome::Ok)
}

/// One model to bench, with the batch it trains on.
struct Case {
    name: String,
    model: ModelConfig,
    recipe: Recipe,
    vocab: usize,
}

/// GPT2 with head dimension 64 at each `LAYERSxD_MODEL`, AdamW at lr 1e-3, clipping at 1.
fn default_cases(
    shapes: &[String],
    context: usize,
    batch: usize,
    vocab: usize,
) -> Result<Vec<Case>> {
    let recipe: Recipe = toml::from_str(&format!(
        "exposures = 1\nbatch = {batch}\ncontext = {context}\nlr = 1e-3"
    ))?;
    shapes
        .iter()
        .map(|shape| {
            let (layers, d_model) = shape
                .split_once('x')
                .and_then(|(l, d)| Some((l.parse::<usize>().ok()?, d.parse::<usize>().ok()?)))
                .ok_or_else(|| anyhow::anyhow!("--shapes: `{shape}` is not LAYERSxD_MODEL"))?;
            Ok(Case {
                name: shape.clone(),
                model: ModelConfig::gpt2(layers, (d_model / 64).max(1), d_model),
                recipe: recipe.clone(),
                vocab,
            })
        })
        .collect()
}

/// Each distinct (model, batch, context, vocabulary) that a suite scale's sweeps train.
fn suite_cases(suites_dir: &Path, part: &str, scale: Scale) -> Result<Vec<Case>> {
    let suite = crate::suite::load(&crate::suite::locate(part, suites_dir)?)?;
    let mut cases: Vec<Case> = Vec::new();
    for run in crate::run::plan(&suite, scale, 0) {
        let vocab = crate::data::build(&run.spec.dataset, run.spec.seed)
            .vocab()
            .len();
        let recipe = run.spec.recipe;
        let seen = cases.iter().any(|c| {
            c.model == run.spec.model
                && c.vocab == vocab
                && (c.recipe.batch, c.recipe.context) == (recipe.batch, recipe.context)
        });
        if !seen {
            cases.push(Case {
                name: format!("{} b{}×{}", run.model_name, recipe.batch, recipe.context),
                model: run.spec.model,
                recipe,
                vocab,
            });
        }
    }
    Ok(cases)
}

fn bench_bios(seconds: f64) {
    let spec = BiosSpec {
        people: 10_000,
        pools: None,
        augmentation: "fresh".into(),
        entries: Some(1000),
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

/// One row of the training benchmark.
#[derive(Serialize)]
struct TrainBench {
    shape: String,
    model: ModelConfig,
    batch: usize,
    context: usize,
    vocab: usize,
    parameters: u64,
    tokens_per_second: f64,
    gflops: f64,
    peak_share: Option<f64>,
}

/// Estimated fp32 peak of the threads in use: cores × clock × FLOP per cycle, 64 with AVX-512
/// (two 512-bit FMA pipes, as on Intel server cores; Zen 4 and one-pipe parts reach half), 32
/// with FMA (two 256-bit pipes), 8 without. An estimate from /proc/cpuinfo, printed as such.
fn cpu_peak_gflops(threads: usize) -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let mhz: f64 = info
        .lines()
        .find(|l| l.starts_with("cpu MHz"))?
        .split(':')
        .nth(1)?
        .trim()
        .parse()
        .ok()?;
    let flags: Vec<&str> = info
        .lines()
        .find(|l| l.starts_with("flags"))?
        .split_whitespace()
        .collect();
    let per_cycle = if flags.contains(&"avx512f") {
        64.0
    } else if flags.contains(&"fma") {
        32.0
    } else {
        8.0
    };
    Some(threads as f64 * mhz / 1000.0 * per_cycle)
}

/// A batch of `batch` windows of `context` tokens spread over the vocabulary, every target
/// carrying loss: what a step costs does not depend on the tokens.
fn synthetic_batch(batch: usize, context: usize, vocab: usize) -> Batch {
    let n = batch * context;
    let tokens: Vec<u32> = (0..n + 1).map(|i| ((i * 7919) % vocab) as u32).collect();
    Batch {
        batch,
        context,
        inputs: tokens[..n].to_vec(),
        targets: tokens[1..].to_vec(),
        mask: vec![1.0; n],
    }
}

fn bench_train(
    device: DeviceChoice,
    cases: &[Case],
    seconds: f64,
    json: Option<PathBuf>,
) -> Result<()> {
    let threads = rayon::current_num_threads();
    let peak = if device == DeviceChoice::Flex {
        cpu_peak_gflops(threads)
    } else {
        None
    };
    let burn_device = device.device()?.autodiff();
    println!(
        "device {} ({threads} threads), {seconds} s per shape, median step time",
        device.name()
    );
    if let Some(peak) = peak {
        println!("estimated fp32 peak: {peak:.0} GFLOP/s");
    }
    println!(
        "{:<28} {:>10} {:>12} {:>10} {:>8}",
        "shape", "params", "tokens/s", "GFLOP/s", "% peak"
    );
    let mut rows = Vec::new();
    for case in cases {
        let (config, recipe, vocab) = (&case.model, &case.recipe, case.vocab);
        let (batch, context) = (recipe.batch, recipe.context);
        burn_device.seed(0);
        let mut model = Gpt::new(config, vocab, context, &burn_device);
        let mut optim = optimizer(recipe);
        let n = batch * context;
        let data = synthetic_batch(batch, context, vocab);
        let mut steps = Vec::new();
        let started = Instant::now();
        for step in 0.. {
            let start = Instant::now();
            // Clipping at 1 whatever the recipe says, as bench/torch_train.py does.
            let (updated, loss) = train_step(model, &mut optim, &data, 1.0, 1e-4);
            model = updated;
            let _ = loss.into_scalar::<f32>();
            if step >= 2 {
                steps.push(start.elapsed().as_secs_f64());
            }
            if steps.len() >= 3 && started.elapsed().as_secs_f64() >= seconds {
                break;
            }
        }
        steps.sort_by(f64::total_cmp);
        let tokens_per_second = n as f64 / steps[steps.len() / 2];
        let flops_per_token = config.training_flops_per_token(vocab, context);
        let gflops = flops_per_token * tokens_per_second / 1e9;
        let peak_share = peak.map(|p| gflops / p);
        println!(
            "{:<28} {:>10} {:>12.0} {:>10.1} {:>8}",
            case.name,
            config.parameters(vocab, context),
            tokens_per_second,
            gflops,
            peak_share.map_or("-".to_owned(), |s| format!("{:.1}%", 100.0 * s))
        );
        rows.push(TrainBench {
            shape: case.name.clone(),
            model: config.clone(),
            batch,
            context,
            vocab,
            parameters: config.parameters(vocab, context),
            tokens_per_second,
            gflops,
            peak_share,
        });
    }
    if let Some(path) = json {
        let doc = serde_json::json!({"device": device.name(), "threads": threads, "peak_gflops": peak, "rows": rows});
        std::fs::write(&path, serde_json::to_string_pretty(&doc)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every paper-scale model of every suite is built at its context and vocabulary and takes
    /// two AdamW steps at batch 1 on flex with a finite loss, so the paper scales are known to run
    /// (memory, shapes, positions at full context) before anyone rents a GPU for them. LoRA
    /// recipes train their base model here.
    #[test]
    #[ignore = "6 minutes on 2 cores: `cargo test --release -p plm -- --ignored paper_scale`"]
    fn paper_scale_models_build_and_train_two_steps_at_batch_1() {
        let suites_dir = crate::suite::default_suites_dir();
        let device = DeviceChoice::Flex.device().unwrap().autodiff();
        let mut without_models = Vec::new();
        for (part, _) in crate::suite::list_suites(&suites_dir).unwrap() {
            let cases = suite_cases(&suites_dir, &part, Scale::Paper).unwrap();
            if cases.is_empty() {
                without_models.push(part.clone());
            }
            for case in cases {
                let (recipe, context) = (&case.recipe, case.recipe.context);
                let started = Instant::now();
                let mut model = Gpt::new(&case.model, case.vocab, context, &device);
                let mut optim = optimizer(recipe);
                let data = synthetic_batch(1, context, case.vocab);
                for step in 0..2 {
                    let (updated, loss) =
                        train_step(model, &mut optim, &data, recipe.grad_clip, recipe.lr);
                    model = updated;
                    let loss = loss.into_scalar::<f32>();
                    assert!(
                        loss.is_finite(),
                        "{part} {}: step {step} loss {loss}",
                        case.name
                    );
                }
                eprintln!(
                    "{part} {}: {} parameters, 2 steps at batch 1 in {:.1} s",
                    case.name,
                    case.model.parameters(case.vocab, context),
                    started.elapsed().as_secs_f64()
                );
            }
        }
        assert!(
            without_models.is_empty(),
            "suites without paper-scale models: {without_models:?}"
        );
    }
}

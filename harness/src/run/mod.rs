//! Run identity, caching and execution: a suite scale expands into runs (dataset × model ×
//! recipe); each run trains (resumably), is measured, and leaves a manifest. A run whose
//! manifest exists is never recomputed; a run with a finished model but no manifest is only
//! measured again; an interrupted run resumes from its checkpoint.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::data::cfg::corpus::CfgCorpus;
use crate::data::{self, names::name_space, pools, stream::hex};
use crate::eval::capacity::{self, Knowledge, Losses};
use crate::eval::grammar::{self, GrammarEval, GrammarMetrics};
use crate::eval::quantize::quantize;
use crate::suite::{DatasetSpec, Scale, StreamHashes, Suite};
use crate::train::checkpoint::write_atomic;
use crate::train::{DeviceChoice, TrainOptions, TrainSpec, Trained, train};

/// One planned training run.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub model_name: String,
    pub recipe_name: String,
    pub spec: TrainSpec,
    pub data_sha256: Option<StreamHashes>,
    /// How a grammar model is measured (unused by other datasets).
    pub grammar_eval: GrammarEval,
}

impl Run {
    pub fn label(&self) -> String {
        label(&self.spec, &self.model_name, &self.recipe_name)
    }
}

/// `dataset/model/recipe`, how runs are named in logs and reports.
fn label(spec: &TrainSpec, model_name: &str, recipe_name: &str) -> String {
    format!("{}/{model_name}/{recipe_name}", spec.dataset.name())
}

/// The code revision (`git rev-parse HEAD`, `-dirty` with uncommitted changes), else "unknown".
pub fn code_revision() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let rev = String::from_utf8_lossy(&head.stdout).trim().to_owned();
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.stdout.is_empty());
            if dirty { format!("{rev}-dirty") } else { rev }
        }
        None => "unknown".into(),
    }
}

/// Expands a scale's sweeps into runs; the id hashes everything that can change the result.
pub fn plan(suite: &Suite, scale: Scale, revision: &str) -> Vec<Run> {
    let spec = suite.scales.get(scale);
    let mut runs = Vec::new();
    for sweep in &spec.sweeps {
        let dataset = spec
            .datasets
            .iter()
            .find(|d| d.name() == sweep.dataset)
            .expect("validated sweep")
            .clone();
        for model_name in &sweep.models {
            for recipe_name in &sweep.recipes {
                let train_spec = TrainSpec {
                    seed: suite.seed,
                    dataset: dataset.clone(),
                    model: spec.models[model_name].clone(),
                    recipe: spec.recipes[recipe_name].clone(),
                };
                let mut identity = serde_json::json!({
                    "suite": suite.name, "version": suite.version, "scale": scale.name(),
                    "spec": train_spec, "code": revision,
                });
                if let DatasetSpec::Cfg(_) = dataset {
                    identity["grammar_eval"] = serde_json::json!(spec.grammar_eval);
                }
                let id = hex(&Sha256::digest(identity.to_string()))[..16].to_owned();
                runs.push(Run {
                    id,
                    model_name: model_name.clone(),
                    recipe_name: recipe_name.clone(),
                    data_sha256: dataset.sha256().cloned(),
                    spec: train_spec,
                    grammar_eval: spec.grammar_eval.clone(),
                });
            }
        }
    }
    runs
}

/// Capacity measurements of one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Capacity {
    /// N, N0, K, C, D, L, T (bioD) or N, N0, S0 (bioS).
    pub knowledge: Knowledge,
    pub losses: Losses,
    pub bits: f64,
    pub max_bits: f64,
    /// P: trainable parameters without embedding rows of unused tokens.
    pub parameters: u64,
    /// R = bits / P.
    pub ratio: f64,
    /// R^max = max bits / P.
    pub max_ratio: f64,
}

impl Capacity {
    /// R / R^max: the share of the data's knowledge the model stored.
    pub fn stored_fraction(&self) -> f64 {
        self.bits / self.max_bits
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantized {
    pub bits_per_weight: u32,
    pub losses: Losses,
    pub bits: f64,
}

/// What a run measured, which depends on its dataset.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Measurements {
    /// Biographies (Part 3.3): bits of knowledge stored, in full precision and quantized.
    Capacity {
        capacity: Capacity,
        quantized: Vec<Quantized>,
    },
    /// A grammar (Part 1): generation accuracy, KL and entropy.
    Grammar { grammar: GrammarMetrics },
}

/// Everything a finished run reports: `manifest.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub suite: String,
    pub suite_version: u32,
    pub scale: Scale,
    pub model_name: String,
    pub recipe_name: String,
    pub exposures: u32,
    pub spec: TrainSpec,
    /// The dataset's pinned SHA-256 (the stream is checked against it before training).
    pub data_sha256: Option<StreamHashes>,
    pub code_revision: String,
    pub device: String,
    pub threads: usize,
    pub train_seconds: f64,
    pub eval_seconds: f64,
    pub steps: u64,
    pub final_loss: f32,
    pub tokens_per_second: f64,
    pub weights_sha256: String,
    /// Trainable parameters, counting only embedding rows of tokens that occur in the data.
    pub parameters: u64,
    pub measurements: Measurements,
}

impl Manifest {
    pub fn label(&self) -> String {
        label(&self.spec, &self.model_name, &self.recipe_name)
    }

    pub fn capacity(&self) -> Option<&Capacity> {
        match &self.measurements {
            Measurements::Capacity { capacity, .. } => Some(capacity),
            Measurements::Grammar { .. } => None,
        }
    }

    /// Bits kept after quantizing to `bits_per_weight`, as a share of full precision's.
    pub fn quantized_bits_kept(&self, bits_per_weight: u32) -> Option<f64> {
        match &self.measurements {
            Measurements::Capacity {
                capacity,
                quantized,
            } => quantized
                .iter()
                .find(|q| q.bits_per_weight == bits_per_weight)
                .map(|q| q.bits / capacity.bits),
            Measurements::Grammar { .. } => None,
        }
    }

    pub fn grammar(&self) -> Option<&GrammarMetrics> {
        match &self.measurements {
            Measurements::Grammar { grammar } => Some(grammar),
            Measurements::Capacity { .. } => None,
        }
    }

    /// One line for the console: the run's headline numbers.
    pub fn brief(&self) -> String {
        match &self.measurements {
            Measurements::Capacity { capacity: c, .. } => format!(
                "P {} bits {:.0} R {:.3} (R^max {:.3})",
                c.parameters, c.bits, c.ratio, c.max_ratio
            ),
            Measurements::Grammar { grammar: g } => format!(
                "P {} accuracy {:.3} cut{} {:.3} KL {:.4}",
                self.parameters, g.accuracy, g.cut, g.cut_accuracy, g.kl
            ),
        }
    }
}

/// The knowledge sizes of a dataset, for the capacity formula.
pub fn knowledge(dataset: &DatasetSpec) -> Result<(Knowledge, capacity::ValueSpans)> {
    match dataset {
        DatasetSpec::Bios(s) => {
            let p = pools::pools();
            let knowledge = Knowledge::Bios {
                n: s.people as f64,
                n0: name_space(p.name_pool_sizes()),
                s0: p.attribute_space(),
            };
            Ok((knowledge, capacity::bios_spans()))
        }
        DatasetSpec::Biod(s) => {
            let f = f64::from;
            let knowledge = Knowledge::Biod {
                n: s.people as f64,
                n0: name_space(s.name_pools),
                k: f(s.attributes),
                c: f(s.chunks),
                d: f(s.diversity),
                l: f(s.length),
                t: f(s.alphabet),
            };
            Ok((knowledge, capacity::biod_spans(s.length as usize)))
        }
        DatasetSpec::BiosQa(s) => bail!(
            "dataset `{}`: capacity is measured on biographies, not on QA",
            s.name
        ),
        DatasetSpec::Cfg(s) => bail!(
            "dataset `{}`: capacity is measured on biographies, not on grammars",
            s.name
        ),
    }
}

/// Part 3.3's measurements: bits stored, then again with int8 and int4 weights.
fn measure_capacity(run: &Run, trained: &Trained) -> Result<Measurements> {
    let (knowledge, spans) = knowledge(&run.spec.dataset)?;
    let source = data::build(&run.spec.dataset, run.spec.seed);
    let context = run.spec.recipe.context;
    let batch = run.spec.recipe.batch.max(8);
    let losses = capacity::measure(&trained.model, source.as_ref(), &spans, context, batch);
    let parameters = trained.report.parameters;
    let capacity = Capacity {
        knowledge,
        losses,
        bits: knowledge.bits(&losses),
        max_bits: knowledge.max_bits(),
        parameters,
        ratio: knowledge.bits(&losses) / parameters as f64,
        max_ratio: knowledge.max_bits() / parameters as f64,
    };
    let quantized = [8, 4]
        .into_iter()
        .map(|bits_per_weight| {
            let losses = capacity::measure(
                &quantize(trained.model.clone(), bits_per_weight),
                source.as_ref(),
                &spans,
                context,
                batch,
            );
            Quantized {
                bits_per_weight,
                losses,
                bits: knowledge.bits(&losses),
            }
        })
        .collect();
    Ok(Measurements::Capacity {
        capacity,
        quantized,
    })
}

/// The measurements a run's dataset calls for.
fn measure(run: &Run, trained: &Trained) -> Result<Measurements> {
    match &run.spec.dataset {
        DatasetSpec::Cfg(spec) => {
            let corpus = CfgCorpus::new(spec, run.spec.seed);
            let grammar = grammar::measure(
                &trained.model,
                &corpus,
                &run.grammar_eval,
                run.spec.recipe.context,
                run.spec.seed,
            );
            Ok(Measurements::Grammar { grammar })
        }
        _ => measure_capacity(run, trained),
    }
}

pub struct ExecuteOptions {
    pub device: DeviceChoice,
    pub progress: bool,
}

/// Runs (or reuses) one run in `dir` and returns its manifest.
pub fn execute(
    suite: &Suite,
    scale: Scale,
    run: &Run,
    dir: &Path,
    revision: &str,
    options: &ExecuteOptions,
) -> Result<Manifest> {
    let manifest_path = dir.join("manifest.json");
    if let Ok(text) = std::fs::read_to_string(&manifest_path) {
        match serde_json::from_str::<Manifest>(&text) {
            Ok(manifest) if manifest.run_id == run.id => return Ok(manifest),
            _ => eprintln!(
                "warning: {} is unreadable or stale; measuring again",
                manifest_path.display()
            ),
        }
    }
    if !matches!(run.spec.dataset, DatasetSpec::Cfg(_)) {
        // Fail before training when the dataset cannot be measured.
        knowledge(&run.spec.dataset)?;
    }
    let train_options = TrainOptions {
        device: options.device,
        resume: true,
        stop_after: None,
        progress: options.progress,
    };
    let trained = train(&run.spec, dir, &train_options)
        .with_context(|| format!("run {} ({})", run.id, run.label()))?;
    let report = &trained.report;
    let started = Instant::now();
    let measurements = measure(run, &trained)?;
    let manifest = Manifest {
        run_id: run.id.clone(),
        suite: suite.name.clone(),
        suite_version: suite.version,
        scale,
        model_name: run.model_name.clone(),
        recipe_name: run.recipe_name.clone(),
        exposures: run.spec.recipe.exposures,
        spec: run.spec.clone(),
        data_sha256: run.data_sha256.clone(),
        code_revision: revision.to_owned(),
        device: report.device.clone(),
        threads: report.threads,
        train_seconds: report.seconds,
        eval_seconds: started.elapsed().as_secs_f64(),
        steps: report.losses.len() as u64,
        final_loss: report.losses.last().copied().unwrap_or(f32::NAN),
        tokens_per_second: report.tokens_per_second,
        weights_sha256: report.weights_sha256.clone(),
        parameters: report.parameters,
        measurements,
    };
    write_atomic(
        &manifest_path,
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(manifest)
}

/// Every manifest under `scale_dir/runs/`.
pub fn collect(scale_dir: &Path) -> Result<Vec<Manifest>> {
    let runs = scale_dir.join("runs");
    let mut manifests = Vec::new();
    let entries =
        std::fs::read_dir(&runs).with_context(|| format!("cannot read {}", runs.display()))?;
    let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    dirs.sort();
    for dir in dirs {
        let path = dir.join("manifest.json");
        if path.exists() {
            let text = std::fs::read_to_string(&path)?;
            manifests.push(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a valid manifest", path.display()))?,
            );
        }
    }
    Ok(manifests)
}

//! The optimisation loop: seeded initialisation, AdamW with warmup + cosine decay, global-norm
//! clipping, periodic atomic checkpoints and exact resumption.
//!
//! A run directory holds `checkpoint.bin` while training and, when finished, `model.bpk` (the
//! weights), `timing.json` (wall-clock numbers, the only bytes that differ between identical
//! runs) and `train.json` (the [`TrainReport`]); `train.json` is written last, so its presence
//! means the run is complete.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::{Module, ModuleVisitor, Param, ParamGroup};
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::Bytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::checkpoint::{Checkpoint, State};
use super::clip::clip_global_norm;
use super::device::DeviceChoice;
use super::interrupt::{self, Interrupted};
use super::packing::{Batch, Packer, Schedule, schedule};
use crate::data;
use crate::model::{Gpt, lora};
use crate::spec::{ModelConfig, Recipe, TrainSpec};
use crate::util::{hex, write_atomic};

/// What a finished (or interrupted) run reports; saved as `train.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrainReport {
    pub spec: TrainSpec,
    pub spec_sha256: String,
    pub schedule: Schedule,
    /// Trainable parameters, counting only embedding rows of tokens that occur in the data.
    pub parameters: u64,
    pub vocab_size: usize,
    pub vocab_used: usize,
    pub device: String,
    pub threads: usize,
    /// Loss (mean nats per target token) of every step.
    pub losses: Vec<f32>,
    /// SHA-256 of all weights (f32 little-endian, in module order).
    pub weights_sha256: String,
    pub finished: bool,
}

pub struct TrainOptions {
    pub device: DeviceChoice,
    /// Continue from `checkpoint.bin` in the run directory.
    pub resume: bool,
    /// Stop (after checkpointing) once this many steps are done, as if interrupted.
    pub stop_after: Option<u64>,
    pub progress: bool,
    /// The finished run folder whose weights a finetuning spec (`TrainSpec::from`) starts from.
    pub start_from: Option<PathBuf>,
}

/// Wall-clock numbers of a run, kept apart in `timing.json`: every other file of a run is the
/// same bytes when the run is repeated at one thread, these never are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timing {
    /// Training seconds over all sessions of the run (resumption included).
    pub train_seconds: f64,
    pub tokens_per_second: f64,
    /// Seconds spent measuring the trained model (filled in by whoever measures it).
    #[serde(default)]
    pub eval_seconds: f64,
    /// Other wall-clock numbers of the measurement, by name (e.g. `verifier_ms`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub measurement: std::collections::BTreeMap<String, f64>,
}

impl Timing {
    pub fn load(run_dir: &Path) -> Result<Timing> {
        let path = run_dir.join("timing.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }

    pub fn save(&self, run_dir: &Path) -> Result<()> {
        write_atomic(
            &run_dir.join("timing.json"),
            serde_json::to_string_pretty(self)?.as_bytes(),
        )
    }
}

pub struct Trained {
    pub report: TrainReport,
    pub timing: Timing,
    /// The trained model on the training device, without autodiff.
    pub model: Gpt,
}

/// Hashes every float parameter's values in module order.
pub fn weights_sha256(model: &Gpt) -> String {
    struct Hasher(Sha256);
    impl ModuleVisitor for Hasher {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param.val().into_data().convert::<f32>();
            self.0.update(values.as_bytes());
        }
    }
    let mut hasher = Hasher(Sha256::new());
    model.visit(&mut hasher);
    hex(&hasher.0.finalize())
}

/// AdamW as the recipe says.
pub fn optimizer(recipe: &Recipe) -> ModuleOptimizer {
    let adamw = |decay: f64| {
        AdamWConfig::new()
            .with_beta_1(recipe.beta1 as f32)
            .with_beta_2(recipe.beta2 as f32)
            .with_epsilon(recipe.epsilon as f32)
            .with_weight_decay(decay as f32)
            .build()
    };
    // Norm gains/shifts and biases are not decayed (GPT-2 / nanoGPT convention).
    let no_decay =
        ParamGroup::from_any_regexes(vec![r"\.(gamma|beta|bias)$"]).expect("valid regex");
    ModuleOptimizer::from(adamw(recipe.weight_decay)).with_group(no_decay, adamw(0.0), None)
}

/// One optimisation step; returns the updated model and the step's loss (not yet read back).
pub fn train_step(
    model: Gpt,
    optim: &mut ModuleOptimizer,
    batch: &Batch,
    grad_clip: f64,
    lr: f64,
) -> (Gpt, Tensor<1>) {
    let (inputs, targets, mask) = to_tensors(batch, &model.device());
    let loss = model.masked_loss(inputs, targets, mask);
    let mut grads = GradientsParams::from_grads(loss.backward(), &model);
    if grad_clip > 0.0 {
        clip_global_norm(&model, &mut grads, grad_clip);
    }
    (optim.step(lr, model, grads), loss)
}

fn to_tensors(batch: &Batch, device: &Device) -> (Tensor<2, Int>, Tensor<2, Int>, Tensor<2>) {
    let shape = [batch.batch, batch.context];
    let ids = |v: &[u32]| {
        Tensor::<2, Int>::from_data(
            TensorData::new(v.iter().map(|&t| i64::from(t)).collect::<Vec<_>>(), shape),
            device,
        )
    };
    (
        ids(&batch.inputs),
        ids(&batch.targets),
        Tensor::from_data(TensorData::new(batch.mask.clone(), shape), device),
    )
}

/// Training progress as plain lines on stderr when it is not a terminal (a Slurm task's log, a
/// redirected run): where training starts or resumes, then every tenth of the steps.
struct StepLog {
    steps: u64,
    every: u64,
    visible: bool,
}

impl StepLog {
    fn new(steps: u64, start: u64, progress: bool) -> StepLog {
        let visible = progress && !std::io::stderr().is_terminal();
        if visible {
            let verb = if start == 0 { "starting" } else { "resuming" };
            eprintln!("train: {verb} at step {start} of {steps}");
        }
        StepLog {
            steps,
            every: steps.div_ceil(10).max(1),
            visible,
        }
    }

    fn step(&self, step: u64, status: &str) {
        if self.visible && step.is_multiple_of(self.every) {
            eprintln!("train: step {step}/{} {status}", self.steps);
        }
    }
}

fn progress_bar(steps: u64, start: u64, visible: bool) -> indicatif::ProgressBar {
    let bar = if visible {
        indicatif::ProgressBar::new(steps)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "train [{bar:30}] step {pos}/{len} {msg} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_position(start);
    bar
}

/// A finished run's training report, checked to belong to `spec`.
fn finished_report(spec: &TrainSpec, run_dir: &Path) -> Result<TrainReport> {
    let report_path = run_dir.join("train.json");
    let text = std::fs::read_to_string(&report_path)
        .with_context(|| format!("cannot read {}", report_path.display()))?;
    let report: TrainReport = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid training report", report_path.display()))?;
    if report.spec_sha256 != spec.sha256() {
        bail!(
            "{} belongs to another training spec; remove the run folder to retrain",
            report_path.display()
        );
    }
    Ok(report)
}

/// `model` with the weights of a finished run folder (`model.bpk`).
fn with_weights(model: Gpt, run_dir: &Path) -> Result<Gpt> {
    let weights_path = run_dir.join("model.bpk");
    let bytes = std::fs::read(&weights_path)
        .with_context(|| format!("cannot read {}", weights_path.display()))?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes))
        .with_context(|| format!("{} is corrupt", weights_path.display()))?;
    model
        .try_load_record(record)
        .map_err(|e| anyhow::anyhow!("{} does not fit the model: {e:?}", weights_path.display()))
}

/// A finished run's report and weights, for measuring again without retraining.
fn load_finished(
    spec: &TrainSpec,
    run_dir: &Path,
    device: DeviceChoice,
    vocab_size: usize,
) -> Result<Trained> {
    let report = finished_report(spec, run_dir)?;
    let model = Gpt::new(
        &spec.model,
        vocab_size,
        spec.recipe.context,
        &device.device()?,
    );
    Ok(Trained {
        report,
        timing: Timing::load(run_dir)?,
        model: with_weights(model, run_dir)?,
    })
}

/// A model initialised from `seed`, the same weights whatever else runs in the process.
pub fn initialised(
    config: &ModelConfig,
    vocab_size: usize,
    context: usize,
    seed: u64,
    device: &Device,
) -> Gpt {
    // The backend's random source is global: runs trained side by side in one process seed and
    // initialise one at a time, so that each gets the same weights as alone. burn initialises
    // parameters lazily, on first use, so a forward pass under the lock draws every initial
    // value now, in the order the first training step would draw them.
    seeded(device, seed, || {
        let model = Gpt::new(config, vocab_size, context, device);
        let _ = model.forward(Tensor::<2, Int>::zeros([1, 1], device));
        model
    })
}

/// Runs `draw` with the device's random source seeded, one caller at a time in the process.
fn seeded<T>(device: &Device, seed: u64, draw: impl FnOnce() -> T) -> T {
    static INITIALISING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = INITIALISING.lock().unwrap_or_else(|e| e.into_inner());
    device.seed(seed);
    draw()
}

/// Trains `spec` in `run_dir` (created if needed); a finished run is loaded, not retrained.
pub fn train(spec: &TrainSpec, run_dir: &Path, options: &TrainOptions) -> Result<Trained> {
    spec.model.check().map_err(|e| e.within("model"))?;
    spec.recipe.check().map_err(|e| e.within("recipe"))?;
    std::fs::create_dir_all(run_dir)
        .with_context(|| format!("cannot create run folder {}", run_dir.display()))?;
    let checkpoint_path = run_dir.join("checkpoint.bin");
    let recipe = &spec.recipe;

    let source = data::build(&spec.dataset, spec.seed);
    let plan = schedule(
        source.as_ref(),
        recipe.context,
        recipe.batch,
        recipe.packing,
        spec.training_seed(),
        recipe.exposures,
    )
    .map_err(|e| anyhow::anyhow!("dataset `{}`: {e}", spec.dataset.name()))?;
    let vocab_size = source.vocab().len();
    if run_dir.join("train.json").exists() {
        return load_finished(spec, run_dir, options.device, vocab_size);
    }

    let device = options.device.device()?.autodiff();
    let mut session = Session::start(spec, options, vocab_size, &device)?;
    if checkpoint_path.exists() {
        if !options.resume {
            bail!(
                "{} exists: pass --resume to continue that run, or remove it to start over",
                checkpoint_path.display()
            );
        }
        session = session.resume(&checkpoint_path)?;
    }
    let mut packer = Packer::new(
        source.as_ref(),
        recipe.context,
        recipe.loss_mask,
        recipe.packing,
        spec.training_seed(),
        recipe.exposures,
    );
    packer
        .skip_windows(session.state.step * recipe.batch as u64)
        .map_err(|e| anyhow::anyhow!(e))?;
    let (session, finished) =
        session.run(&mut packer, recipe, plan.steps, options, &checkpoint_path)?;
    let device_name = format!("{} ({:?})", options.device.name(), device);
    session.finish(spec, plan, vocab_size, device_name, finished, run_dir)
}

/// A training in progress: the model, its optimizer and the steps done so far.
struct Session {
    model: Gpt,
    optim: ModuleOptimizer,
    state: State,
}

impl Session {
    /// Step 0: the seeded initialisation, or the pretrained run's weights for a finetuning, with
    /// LoRA adapters attached when the recipe trains them.
    fn start(
        spec: &TrainSpec,
        options: &TrainOptions,
        vocab_size: usize,
        device: &Device,
    ) -> Result<Self> {
        let recipe = &spec.recipe;
        let mut model = initialised(
            &spec.model,
            vocab_size,
            recipe.context,
            spec.training_seed(),
            device,
        );
        if let Some(pretraining) = &spec.from {
            let parent = options.start_from.as_deref().with_context(|| {
                format!(
                    "this spec finetunes a model pretrained on `{}`: name the pretrained run's folder",
                    pretraining.dataset.name()
                )
            })?;
            finished_report(pretraining, parent)
                .with_context(|| format!("the pretrained run {}", parent.display()))?;
            model = with_weights(model, parent)?;
        }
        if let Some(lora) = &recipe.lora {
            // The adapters' random factors, drawn one run at a time as the initial weights are.
            model = seeded(device, spec.training_seed(), || lora::attach(model, lora));
        }
        Ok(Self {
            model,
            optim: optimizer(recipe),
            state: State {
                spec_sha256: spec.sha256(),
                step: 0,
                losses: Vec::new(),
                seconds: 0.0,
            },
        })
    }

    /// Continues from a checkpoint of the same spec: its weights, optimizer moments and losses.
    fn resume(self, path: &Path) -> Result<Self> {
        let checkpoint = Checkpoint::load(path)?;
        if checkpoint.state.spec_sha256 != self.state.spec_sha256 {
            bail!(
                "{} belongs to another training spec (sha256 {}); this spec is {}",
                path.display(),
                checkpoint.state.spec_sha256,
                self.state.spec_sha256
            );
        }
        let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(checkpoint.model))
            .with_context(|| format!("checkpoint {}: model section", path.display()))?;
        let model = self
            .model
            .try_load_record(record)
            .map_err(|e| anyhow::anyhow!("checkpoint {}: {e:?}", path.display()))?;
        let optim = self
            .optim
            .from_bytes(Bytes::from_bytes_vec(checkpoint.optimizer))
            .map_err(|e| {
                anyhow::anyhow!("checkpoint {}: optimizer section: {e:?}", path.display())
            })?;
        Ok(Self {
            model,
            optim,
            state: checkpoint.state,
        })
    }

    /// Writes the checkpoint the run resumes from.
    fn save_checkpoint(&self, path: &Path) -> Result<()> {
        let model_bytes = self
            .model
            .clone()
            .into_record()
            .into_bytes()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let optim_bytes = self
            .optim
            .into_bytes()
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Checkpoint {
            state: self.state.clone(),
            model: model_bytes.to_vec(),
            optimizer: optim_bytes.to_vec(),
        }
        .save(path)
    }

    /// Trains up to step `steps`, checkpointing every `checkpoint_every` steps, with progress;
    /// also whether it got there (not stopped by `stop_after` or a signal).
    fn run(
        mut self,
        packer: &mut Packer,
        recipe: &Recipe,
        steps: u64,
        options: &TrainOptions,
        checkpoint_path: &Path,
    ) -> Result<(Self, bool)> {
        let bar = progress_bar(steps, self.state.step, options.progress);
        let log = StepLog::new(steps, self.state.step, options.progress);
        let _training = interrupt::TrainingGuard::enter();
        let started = Instant::now();
        let (seconds_before, first_step) = (self.state.seconds, self.state.step);
        let tokens_per_step = (recipe.batch * recipe.context) as f64;
        let mut finished = true;
        while self.state.step < steps {
            if options
                .stop_after
                .is_some_and(|stop| self.state.step >= stop)
                || interrupt::requested().is_some()
            {
                finished = false;
                break;
            }
            let batch = match packer.next_batch(recipe.batch) {
                Some(batch) => batch.map_err(|e| anyhow::anyhow!(e))?,
                None => break,
            };
            let lr = recipe.learning_rate(self.state.step, steps);
            let (updated, loss) =
                train_step(self.model, &mut self.optim, &batch, recipe.grad_clip, lr);
            self.model = updated;
            let loss = loss.into_scalar::<f32>();
            if !loss.is_finite() {
                bail!(
                    "loss became {loss} at step {} (lr {lr:.3e}); weights from the last checkpoint ({}) are intact: lower the learning rate",
                    self.state.step + 1,
                    checkpoint_path.display()
                );
            }
            self.state.losses.push(loss);
            self.state.step += 1;
            let elapsed = started.elapsed().as_secs_f64();
            self.state.seconds = seconds_before + elapsed;
            bar.set_position(self.state.step);
            let session_steps = (self.state.step - first_step) as f64;
            let status = format!(
                "loss {loss:.4}  {:.0} tok/s",
                tokens_per_step * session_steps / elapsed.max(1e-9)
            );
            log.step(self.state.step, &status);
            bar.set_message(status);
            if recipe.checkpoint_every > 0
                && self.state.step.is_multiple_of(recipe.checkpoint_every)
                && self.state.step < steps
            {
                self.save_checkpoint(checkpoint_path)?;
            }
        }
        bar.finish_and_clear();
        Ok((self, finished))
    }

    /// A finished run: LoRA merged, `timing.json`, `model.bpk`, then `train.json`, and the
    /// checkpoint removed. An unfinished one: its checkpoint, and `Interrupted` after a signal.
    fn finish(
        mut self,
        spec: &TrainSpec,
        plan: Schedule,
        vocab_size: usize,
        device: String,
        finished: bool,
        run_dir: &Path,
    ) -> Result<Trained> {
        let recipe = &spec.recipe;
        let checkpoint_path = run_dir.join("checkpoint.bin");
        if finished && recipe.lora.is_some() {
            // A finished run keeps the merged weights: a plain model with the adapted outputs.
            self.model = lora::merge(self.model);
        }
        let state = &self.state;
        let tokens_per_step = (recipe.batch * recipe.context) as f64;
        let report = TrainReport {
            spec: spec.clone(),
            spec_sha256: state.spec_sha256.clone(),
            parameters: spec.model.parameters(plan.vocab_used, recipe.context),
            vocab_size,
            vocab_used: plan.vocab_used,
            device,
            threads: rayon::current_num_threads(),
            losses: state.losses.clone(),
            weights_sha256: weights_sha256(&self.model),
            schedule: plan,
            finished,
        };
        let timing = Timing {
            train_seconds: state.seconds,
            tokens_per_second: tokens_per_step * state.step as f64 / state.seconds.max(1e-9),
            eval_seconds: 0.0,
            measurement: Default::default(),
        };
        if finished {
            timing.save(run_dir)?;
            let weights = self
                .model
                .clone()
                .into_record()
                .into_bytes()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            write_atomic(&run_dir.join("model.bpk"), &weights)?;
            write_atomic(
                &run_dir.join("train.json"),
                serde_json::to_string_pretty(&report)?.as_bytes(),
            )?;
            if checkpoint_path.exists() {
                std::fs::remove_file(&checkpoint_path)?;
            }
        } else {
            self.save_checkpoint(&checkpoint_path)?;
            if let Some(signal) = interrupt::requested() {
                return Err(Interrupted {
                    signal,
                    step: state.step,
                    steps: report.schedule.steps,
                }
                .into());
            }
        }
        Ok(Trained {
            report,
            timing,
            model: self.model.valid(),
        })
    }
}

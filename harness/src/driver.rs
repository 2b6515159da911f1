//! The suite driver: check data → plan → run each → collect, as library calls. `plm reproduce`
//! is [`reproduce`]; `plm plan`, `plm run --id` and `plm collect` are its three steps, so a
//! cluster can run each planned run as its own job and collect at the end with the same result.
//!
//! Several processes may share one artifacts folder: a run is trained under its own lock (a
//! second process skips it and does other runs, then waits for it), and the summary and report
//! are written under the report lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::artifacts::{Lock, ScaleDir};
use crate::data::{self, Doc, stream};
use crate::parts::{self, AnyPart};
use crate::report::{self, Summary, WallTime};
use crate::run::{self, Finished, Manifest, Run};
use crate::spec::{Dataset, Scale, StreamHashes, Suite};
use crate::suite;
use crate::train::interrupt::Interrupted;
use crate::train::{DeviceChoice, Timing, TrainOptions, train};
use crate::util::write_atomic;

/// How runs are executed.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub device: DeviceChoice,
    /// Progress bars on stderr (hidden anyway when stderr is not a terminal).
    pub progress: bool,
    /// Runs trained side by side by [`reproduce`], sharing `threads`; `None`: one per thread.
    /// Small models barely use a second core, so on a CPU two runs at one thread each finish
    /// sooner than one run at two (Part 1's cpu model at batch 4: 1.63× faster on two threads
    /// than on one, not 2×). Fewer runs left to train than jobs: the threads are shared among
    /// those. When the runs do not divide evenly among the jobs, the odd ones are trained first,
    /// one at a time on all threads, so that no thread idles at the end while a last run trains
    /// alone on one; they are the plan's last runs, which suites list shortest (Part 3.3 v7: the
    /// first run, 637 s on one thread, took 521 s alone on two, while its last took 91 s).
    pub jobs: Option<usize>,
    /// Threads for training, all jobs together.
    pub threads: usize,
}

/// One suite at one scale, planned, with its artifacts folder.
pub struct Job {
    pub file: PathBuf,
    pub suite: Suite,
    pub part: &'static dyn AnyPart,
    pub scale: Scale,
    pub dir: ScaleDir,
    pub runs: Vec<Run>,
}

impl Job {
    /// Loads and checks the suite file and plans its runs at `scale`.
    pub fn new(file: &Path, scale: Scale, artifacts: &Path) -> Result<Job> {
        let suite = suite::load(file)?;
        let part = parts::find(&suite.name).map_err(anyhow::Error::msg)?;
        let runs = run::plan(&suite, scale, part.code_epoch());
        Ok(Job {
            file: file.to_owned(),
            dir: ScaleDir::new(artifacts, &suite.name, scale),
            part,
            scale,
            runs,
            suite,
        })
    }

    /// The planned run `id`, or an error listing the plan.
    pub fn run(&self, id: &str) -> Result<&Run> {
        self.runs.iter().find(|r| r.id == id).with_context(|| {
            let ids: Vec<&str> = self.runs.iter().map(|r| r.id.as_str()).collect();
            format!(
                "{} has no run `{id}` at scale {}; planned: {}",
                self.suite.name,
                self.scale.name(),
                ids.join(", ")
            )
        })
    }
}

/// One line of `plm plan`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PlannedRun {
    pub id: String,
    pub label: String,
    /// Exposures × the tokens of one round of the dataset (documents and their `<eos>`).
    pub estimated_tokens: u64,
    /// Training FLOPs for those tokens ([`crate::spec::ModelConfig::training_flops_per_token`]).
    #[serde(default)]
    pub estimated_flops: f64,
    pub finished: bool,
}

/// The plan with token and FLOP estimates and what is already finished; also written as
/// `plan.json`.
pub fn plan(job: &Job) -> Vec<PlannedRun> {
    // Runs share datasets: walk each dataset's first round once.
    let mut rounds: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    job.runs
        .iter()
        .map(|run| {
            let dataset = &run.spec.dataset;
            let (round, vocab) = *rounds
                .entry(dataset.name())
                .or_insert_with(|| tokens_of_one_round(dataset, run.spec.seed));
            let tokens = u64::from(run.spec.recipe.exposures) * round;
            let per_token = run
                .spec
                .model
                .training_flops_per_token(vocab, run.spec.recipe.context);
            PlannedRun {
                id: run.id.clone(),
                label: run.label(),
                estimated_tokens: tokens,
                estimated_flops: tokens as f64 * per_token,
                finished: job.dir.manifest(&run.id).exists(),
            }
        })
        .collect()
}

/// Documents whose tokens a plan counts, at most: beyond, it counts evenly spaced ones and
/// scales up (a paper-scale dataset of millions of documents would take hours to walk).
const COUNTED_DOCS: u64 = 50_000;

/// Tokens of one round of `dataset` and its vocabulary size.
fn tokens_of_one_round(dataset: &Dataset, seed: u64) -> (u64, usize) {
    let source = data::build(dataset, seed);
    let vocab = source.vocab().len();
    let mut doc = Doc::default();
    let docs = source.docs_per_entry();
    let stride = docs.div_ceil(COUNTED_DOCS).max(1);
    let (counted, tokens) = (0..docs)
        .step_by(stride as usize)
        .fold((0u64, 0u64), |(n, sum), i| {
            source.doc(i, &mut doc);
            (n + 1, sum + doc.tokens.len() as u64 + 1)
        });
    let tokens = if counted == docs {
        tokens
    } else {
        (tokens as f64 * docs as f64 / counted as f64).round() as u64
    };
    (tokens, vocab)
}

/// Regenerates the datasets `runs` train on and compares them with their pins; returns one
/// message per mismatch (empty: all match or are unpinned).
pub fn check_data(job: &Job, runs: &[&Run]) -> Result<Vec<String>> {
    let mut mismatches = Vec::new();
    let mut checked: Vec<&str> = Vec::new();
    for run in runs {
        let dataset = &run.spec.dataset;
        if checked.contains(&dataset.name()) {
            continue;
        }
        checked.push(dataset.name());
        let bar = crate::progress::bar(dataset.name(), "docs");
        let summary = stream::summarize(
            data::build(dataset, job.suite.seed).as_ref(),
            dataset.name(),
            None,
            &bar,
        )?;
        bar.finish_and_clear();
        mismatches.extend(pin_mismatch(&job.file, dataset, job.scale, &summary.sha256));
    }
    Ok(mismatches)
}

/// The line saying how a dataset's generated hashes differ from its pins (`file` is the suite);
/// `None` when they match or the dataset is not pinned.
pub fn pin_mismatch(
    file: &Path,
    dataset: &Dataset,
    scale: Scale,
    generated: &StreamHashes,
) -> Option<String> {
    let pinned = dataset.sha256().filter(|pinned| *pinned != generated)?;
    Some(format!(
        "{}: dataset `{}` (scales.{}): pinned tokens {} text {}, generated tokens {} text {}",
        file.display(),
        dataset.name(),
        scale.name(),
        pinned.tokens,
        pinned.text,
        generated.tokens,
        generated.text
    ))
}

/// Reads a finished run's manifest and timing: `None` when the run has no manifest (or one that
/// belongs to another run id: it is then measured again); an error naming the file when the
/// manifest cannot be read or parsed, so that a damaged run is never taken for a missing one
/// (the user decides whether to delete it and measure again).
pub fn finished(job: &Job, run: &Run) -> Result<Option<Finished>> {
    let path = job.dir.manifest(&run.id);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let manifest: Manifest = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is corrupt (delete it to measure run {} again)",
            path.display(),
            run.id
        )
    })?;
    if manifest.run_id != run.id {
        return Ok(None);
    }
    let timing = Timing::load(&job.dir.run_dir(&run.id)).unwrap_or_default();
    Ok(Some(Finished { manifest, timing }))
}

/// Trains (resuming from a checkpoint) and measures one run under its lock; a no-op returning the
/// manifest when the run has finished. `wait`: wait for another process holding the run's lock
/// (else return `None` at once).
pub fn run_one(job: &Job, run: &Run, options: &Options, wait: bool) -> Result<Option<Finished>> {
    job.dir.create()?;
    let Some(_lock): Option<Lock> = job.dir.lock_run(&run.id, wait)? else {
        return Ok(None);
    };
    if let Some(done) = finished(job, run)? {
        return Ok(Some(done));
    }
    // A failure is recorded for `plm collect` until an attempt succeeds; an interrupted attempt
    // leaves its checkpoint instead.
    let failure = job.dir.failure(&run.id);
    if failure.exists() {
        std::fs::remove_file(&failure)
            .with_context(|| format!("cannot remove {}", failure.display()))?;
    }
    match train_and_measure(job, run, options) {
        Ok(done) => Ok(Some(done)),
        Err(error) => {
            if error.downcast_ref::<Interrupted>().is_some() {
                return Err(error);
            }
            // The run's own error is what the caller needs; failing to record it only adds a note.
            let recorded = std::fs::create_dir_all(job.dir.run_dir(&run.id))
                .map_err(anyhow::Error::from)
                .and_then(|()| write_atomic(&failure, format!("{error:#}\n").as_bytes()));
            match recorded {
                Ok(()) => Err(error),
                Err(e) => {
                    Err(error.context(format!("(not recorded in {}: {e})", failure.display())))
                }
            }
        }
    }
}

/// The manifest fields the plan decides (identity, spec, pins, code epoch); what training and
/// measuring give is left empty for the caller to fill.
pub fn planned_manifest(job: &Job, run: &Run) -> Manifest {
    Manifest {
        run_id: run.id.clone(),
        suite: job.suite.name.clone(),
        suite_version: job.suite.version,
        scale: job.scale,
        model_name: run.model_name.clone(),
        recipe_name: run.recipe_name.clone(),
        exposures: run.spec.recipe.exposures,
        spec: run.spec.clone(),
        evaluation: run.evaluation.clone(),
        data_sha256: run.data_sha256.clone(),
        engine_epoch: run::ENGINE_EPOCH,
        code_epoch: job.part.code_epoch(),
        code_revision: String::new(),
        device: String::new(),
        cpu: None,
        threads: 0,
        steps: 0,
        final_loss: f32::NAN,
        weights_sha256: String::new(),
        parameters: 0,
        measurements: serde_json::Value::Null,
    }
}

/// Trains (resuming from a checkpoint) and measures one run whose lock the caller holds.
fn train_and_measure(job: &Job, run: &Run, options: &Options) -> Result<Finished> {
    let start_from = match &run.parent {
        None => None,
        Some(parent) => {
            // Trains the pretrained run first if nobody has, or waits for whoever is.
            run_one(job, job.run(parent)?, options, true)
                .with_context(|| format!("the run {} starts from", run.label()))?;
            Some(job.dir.run_dir(parent))
        }
    };
    let run_dir = job.dir.run_dir(&run.id);
    let train_options = TrainOptions {
        device: options.device,
        resume: true,
        stop_after: None,
        progress: options.progress,
        start_from,
    };
    let trained = train(&run.spec, &run_dir, &train_options)
        .with_context(|| format!("run {} ({})", run.id, run.label()))?;
    let started = Instant::now();
    let bar = crate::progress::bar("measure", "units");
    if !options.progress {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let measured = job
        .part
        .measure(run, &trained, &bar)
        .with_context(|| format!("measuring run {} ({})", run.id, run.label()))?;
    bar.finish_and_clear();
    let report = &trained.report;
    let manifest = Manifest {
        code_revision: run::code_revision(),
        device: report.device.clone(),
        cpu: run::cpu_model(),
        threads: report.threads,
        steps: report.losses.len() as u64,
        final_loss: report.losses.last().copied().unwrap_or(f32::NAN),
        weights_sha256: report.weights_sha256.clone(),
        parameters: report.parameters,
        measurements: measured.metrics,
        ..planned_manifest(job, run)
    };
    let timing = Timing {
        eval_seconds: started.elapsed().as_secs_f64(),
        measurement: measured.timings,
        ..trained.timing
    };
    timing.save(&run_dir)?;
    write_atomic(
        &job.dir.manifest(&run.id),
        serde_json::to_string_pretty(&manifest)?.as_bytes(),
    )?;
    Ok(Finished { manifest, timing })
}

/// Judges the claims on the manifests present and writes `suite.json`, `plan.json`,
/// `summary.json` and the report; planned runs without a manifest are listed as missing.
pub fn collect(job: &Job) -> Result<Summary> {
    job.dir.create()?;
    let _lock = job.dir.lock_report()?;
    let wall: Option<WallTime> = std::fs::read_to_string(job.dir.reproduce_json())
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let finished: Vec<Finished> = job
        .runs
        .iter()
        .filter_map(|r| finished(job, r).transpose())
        .collect::<Result<_>>()?;
    write_atomic(
        &job.dir.suite_json(),
        serde_json::to_string_pretty(&job.suite)?.as_bytes(),
    )?;
    write_atomic(
        &job.dir.plan_json(),
        serde_json::to_string_pretty(&plan(job))?.as_bytes(),
    )?;
    report::write(
        &job.dir, &job.suite, job.part, job.scale, &job.runs, &finished, wall,
    )
}

/// Where each planned run stands among [`run_side_by_side`]'s workers.
#[derive(Clone, Copy, PartialEq)]
enum Progress {
    Waiting,
    Taken,
    Done,
}

/// Takes the next run for a worker (see [`next_run`]) and marks it taken.
fn take_next(runs: &[Run], progress: &Mutex<Vec<Progress>>, from_end: bool) -> Option<usize> {
    let mut progress = progress.lock().unwrap_or_else(|e| e.into_inner());
    let parents: Vec<Option<usize>> = runs
        .iter()
        .map(|run| {
            let id = run.parent.as_ref()?;
            runs.iter().position(|r| &r.id == id)
        })
        .collect();
    let next = next_run(&progress, &parents, from_end)?;
    progress[next] = Progress::Taken;
    Some(next)
}

/// The first waiting run (the last, `from_end`) whose pretrained run, `parents[i]` if any, is
/// done; else the first waiting one (its worker then waits for the pretrained run).
fn next_run(progress: &[Progress], parents: &[Option<usize>], from_end: bool) -> Option<usize> {
    let waiting = |i: &usize| progress[*i] == Progress::Waiting;
    let ready = |i: &usize| waiting(i) && parents[*i].is_none_or(|p| progress[p] == Progress::Done);
    let ready = if from_end {
        (0..progress.len()).rev().find(ready)
    } else {
        (0..progress.len()).find(ready)
    };
    ready.or_else(|| (0..progress.len()).find(waiting))
}

/// Trains and measures the planned runs, `jobs` at a time, each on its own thread pool; workers
/// take runs in plan order (suites list the most informative first), finetunings once their
/// pretrained run is done. Returns the runs another process holds. After an error the other
/// workers finish their current run and stop.
fn run_side_by_side<'a>(
    job: &'a Job,
    options: &Options,
    workers: Workers,
    progress: &Mutex<Vec<Progress>>,
    report: &(dyn Fn(&Run, &Finished) + Sync),
) -> Result<Vec<&'a Run>> {
    let Workers {
        jobs,
        threads_per_job,
        to_train,
        from_end,
    } = workers;
    let trained = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let busy: Mutex<Vec<&Run>> = Mutex::new(Vec::new());
    let per_job = Options {
        progress: options.progress && jobs == 1,
        ..*options
    };
    let worker = || -> Result<()> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads_per_job)
            .start_handler(|_| plm_kernels::flush_subnormals_on_this_thread())
            .build()?;
        while !failed.load(Ordering::SeqCst)
            && to_train.is_none_or(|limit| trained.load(Ordering::SeqCst) < limit)
            && let Some(next) = take_next(&job.runs, progress, from_end)
        {
            let run = &job.runs[next];
            match finished(job, run) {
                Ok(None) => {
                    trained.fetch_add(1, Ordering::SeqCst);
                }
                Ok(Some(_)) => {}
                Err(e) => {
                    // As a failed run: the other workers stop after their current run.
                    failed.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
            let outcome = pool.install(|| run_one(job, run, &per_job, false));
            progress.lock().unwrap_or_else(|e| e.into_inner())[next] = Progress::Done;
            match outcome {
                Ok(Some(finished)) => report(run, &finished),
                Ok(None) => busy.lock().unwrap_or_else(|e| e.into_inner()).push(run),
                Err(e) => {
                    failed.store(true, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        Ok(())
    };
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs).map(|_| scope.spawn(worker)).collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a training worker panicked")))
            })
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(busy.into_inner().unwrap_or_else(|e| e.into_inner()))
}

/// How [`run_side_by_side`] shares the threads: `jobs` workers of `threads_per_job` threads,
/// stopping once they have trained `to_train` runs (finished ones do not count), if given, and
/// taking runs from the plan's end if `from_end`.
#[derive(Clone, Copy)]
struct Workers {
    jobs: usize,
    threads_per_job: usize,
    to_train: Option<usize>,
    from_end: bool,
}

/// What [`reproduce`] ended with.
pub enum Reproduced {
    /// A dataset's stream differs from its pin: nothing was trained.
    DataMismatch(Vec<String>),
    Done(Box<Summary>),
}

/// Check data → run every planned run → collect. Runs another process is working on are left
/// to it and waited for at the end. `say` receives one line per finished run.
pub fn reproduce(
    job: &Job,
    options: &Options,
    say: &mut (dyn FnMut(String) + Send),
) -> Result<Reproduced> {
    let started = Instant::now();
    job.dir.create()?;
    let mismatches = check_data(job, &job.runs.iter().collect::<Vec<_>>())?;
    if !mismatches.is_empty() {
        return Ok(Reproduced::DataMismatch(mismatches));
    }
    let total = job.runs.len();
    // A corrupt manifest stops here, before anything trains.
    let mut to_train = 0;
    for run in &job.runs {
        if finished(job, run)?.is_none() {
            to_train += 1;
        }
    }
    let line = |run: &Run, finished: &Finished, done: usize| {
        format!(
            "[{done}/{total}] {} ({}): {}, {:.1}s",
            run.label(),
            run.id,
            job.part.brief(&finished.manifest),
            finished.timing.train_seconds + finished.timing.eval_seconds
        )
    };
    let done = AtomicUsize::new(0);
    let say = Mutex::new(say);
    let report = |run: &Run, finished: &Finished| {
        let count = done.fetch_add(1, Ordering::SeqCst) + 1;
        let mut say = say.lock().unwrap_or_else(|e| e.into_inner());
        say(line(run, finished, count));
    };
    let jobs = options
        .jobs
        .unwrap_or(options.threads)
        .clamp(1, to_train.max(1));
    let threads_per_job = (options.threads / jobs).max(1);
    let progress = Mutex::new(vec![Progress::Waiting; job.runs.len()]);
    let odd = to_train % jobs;
    let mut busy = Vec::new();
    if odd > 0 && jobs > 1 {
        let plural = if odd == 1 { "" } else { "s" };
        say.lock().unwrap_or_else(|e| e.into_inner())(format!(
            "{odd} run{plural} from the plan's end first, one at a time on {} threads",
            options.threads
        ));
        let lead = Workers {
            jobs: 1,
            threads_per_job: options.threads,
            to_train: Some(odd),
            from_end: true,
        };
        busy.extend(run_side_by_side(job, options, lead, &progress, &report)?);
    }
    if jobs > 1 && to_train > odd {
        let plural = if threads_per_job == 1 { "" } else { "s" };
        say.lock().unwrap_or_else(|e| e.into_inner())(format!(
            "{jobs} runs side by side, {threads_per_job} thread{plural} each"
        ));
    }
    let rest = Workers {
        jobs,
        threads_per_job,
        to_train: None,
        from_end: false,
    };
    busy.extend(run_side_by_side(job, options, rest, &progress, &report)?);
    for run in busy {
        {
            let mut say = say.lock().unwrap_or_else(|e| e.into_inner());
            say(format!(
                "waiting for run {} ({}): another process is working on it",
                run.label(),
                run.id
            ));
        }
        let finished = run_one(job, run, options, true)?.expect("waited for the lock");
        report(run, &finished);
    }
    if to_train > 0 {
        let wall = WallTime {
            seconds: started.elapsed().as_secs_f64(),
            jobs,
            trained: to_train,
        };
        write_atomic(
            &job.dir.reproduce_json(),
            serde_json::to_string_pretty(&wall)?.as_bytes(),
        )?;
    }
    Ok(Reproduced::Done(Box::new(collect(job)?)))
}

#[cfg(test)]
mod tests {
    use super::{Progress::*, next_run};

    #[test]
    fn workers_take_runs_in_plan_order_and_leads_from_its_end() {
        let fresh = [Waiting, Waiting, Waiting];
        assert_eq!(next_run(&fresh, &[None, None, None], false), Some(0));
        assert_eq!(next_run(&fresh, &[None, None, None], true), Some(2));
        assert_eq!(next_run(&[Done, Taken, Done], &[None; 3], true), None);
    }

    #[test]
    fn a_finetuning_waits_for_its_pretraining_unless_nothing_else_is_left() {
        // Run 2 finetunes run 0.
        let parents = [None, None, Some(0)];
        assert_eq!(next_run(&[Waiting; 3], &parents, true), Some(1));
        assert_eq!(next_run(&[Taken, Taken, Waiting], &parents, false), Some(2));
        assert_eq!(next_run(&[Done, Taken, Waiting], &parents, true), Some(2));
    }
}

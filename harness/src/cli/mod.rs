//! The `plm` command line: parses arguments, calls the library, prints. Each subcommand lives in
//! its own module. Exit statuses: 0 success, 1 a check failed (a data hash differs from its pin,
//! a claim failed where it binds), 2 bad input (one line on stderr naming the file and field).

mod bench;
mod cfg;
mod compare;
mod data;
mod igsm;
mod list;
mod pipeline;
mod slurm;
mod train;
mod verify;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::spec::Scale;
use crate::train::DeviceChoice;

#[derive(Parser)]
#[command(
    name = "plm",
    version,
    about = "Physics of Language Models, reproducible"
)]
struct Cli {
    /// Folder holding the suites (default: ./suites, else the repository's suites/).
    #[arg(long, global = true, value_name = "DIR")]
    suites: Option<PathBuf>,
    /// CPU threads for tensor work (default: all cores); the count does not change training's bits.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

/// Which suites, at which scale, with results where: shared by every command that runs suites.
#[derive(Args, Clone)]
struct Target {
    /// A part (part3.3), a prefix (part3: every Part 3 suite) or a suite file.
    part: String,
    /// The suite's scale: smoke (CI, minutes), cpu (tens of minutes on 2 cores) or paper (the
    /// papers' recipes, for GPUs).
    #[arg(long, value_enum, default_value = "cpu")]
    scale: Scale,
    /// Artifacts folder: run folders and reports go under OUT/<suite>/<scale>/ (default: the
    /// repository's artifacts/).
    #[arg(long, value_name = "OUT")]
    out: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// List the suites with their versions and scales.
    List,
    /// Print the JSON Schema of suite files (committed as suites/schema.json).
    Schema,
    /// Generate a suite's datasets, print their hashes and check them against the pins.
    Data {
        /// A part (e.g. part3.3) or a path to a suite file.
        part: String,
        #[arg(long, value_enum, default_value = "cpu")]
        scale: Scale,
        /// Also write each dataset (tokens, text, vocabulary) under OUT/<dataset>/.
        #[arg(long, value_name = "OUT")]
        out: Option<PathBuf>,
    },
    /// Train one model from a spec file (seed, dataset, model, recipe) into a run folder.
    Train {
        spec: PathBuf,
        /// Run folder: checkpoint.bin while training; model.bpk, train.json and timing.json when
        /// finished.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        device: DeviceChoice,
        /// Continue from the run folder's checkpoint.
        #[arg(long)]
        resume: bool,
        /// Stop after this many steps, checkpointing as if interrupted (for resumption tests).
        #[arg(long, value_name = "STEPS")]
        stop_after: Option<u64>,
        /// The finished run folder a finetuning spec (one with `[from]`) starts from.
        #[arg(long, value_name = "RUN_DIR")]
        start_from: Option<PathBuf>,
    },
    /// Part 1's context-free grammars: sample, check, exact statistics.
    Cfg {
        #[command(subcommand)]
        command: cfg::CfgCommand,
    },
    /// Parts 2.1/2.2's grade-school math problems (iGSM): sample exactly as the official
    /// generator does.
    Igsm {
        #[command(subcommand)]
        command: igsm::IgsmCommand,
    },
    /// Reproduce a part: check data, train every planned run (cached, resumable), measure,
    /// judge the claims and write the report (= plan + run each + collect).
    Reproduce {
        #[command(flatten)]
        target: Target,
        #[arg(long, value_enum, default_value_t)]
        device: DeviceChoice,
        /// Runs trained side by side, each with THREADS / JOBS threads (default on flex: one run
        /// per thread, or all threads shared among fewer runs; on a GPU: 1).
        #[arg(long, value_name = "JOBS")]
        jobs: Option<usize>,
    },
    /// List the runs of a scale: run id, label, estimated tokens, finished or not.
    Plan {
        #[command(flatten)]
        target: Target,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Train and measure exactly one planned run (resuming from its checkpoint; a no-op when its
    /// manifest exists).
    Run {
        #[command(flatten)]
        target: Target,
        /// A run id from `plm plan`.
        #[arg(long)]
        id: String,
        #[arg(long, value_enum, default_value_t)]
        device: DeviceChoice,
    },
    /// Judge the claims and render the report from the manifests present, listing missing runs.
    Collect {
        /// A part (part3.3), a prefix (part3) or a suite file; omitted with --all.
        #[arg(required_unless_present = "all")]
        part: Option<String>,
        #[arg(long, value_enum, default_value = "cpu")]
        scale: Scale,
        /// Artifacts folder (default: the repository's artifacts/).
        #[arg(long, value_name = "OUT")]
        out: Option<PathBuf>,
        /// Every suite at every scale that has runs in the artifacts folder, then OUT/index.html:
        /// all parts' claims on one page (committed summaries without runs are shown as they are).
        #[arg(long, conflicts_with = "part")]
        all: bool,
    },
    /// Compare two reports of one suite and scale (summary.json files or scale folders): claims'
    /// values and verdicts side by side, runs' changed cells. Exit 1 when a claim the scale binds
    /// flips its verdict or moves by more than the tolerance (a claim's own `tolerance` in the
    /// suite overrides it), or a claim is on one side only.
    Compare {
        base: PathBuf,
        new: PathBuf,
        /// Relative move of a claim's measured value that is not a regression.
        #[arg(long, default_value_t = 0.1, value_name = "FRACTION")]
        tolerance: f64,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check a committed summary against this code: recompute its claims from its runs'
    /// measurements, retrain some runs from scratch in a temporary folder and compare each
    /// (weights bit for bit on the same CPU model, else measurements within 1e-3). Exit 1 on
    /// any difference.
    Verify {
        #[command(flatten)]
        target: Target,
        /// Retrain K runs drawn from --seed, cheap ones likelier (default: the runs the binding
        /// claims' evidence names).
        #[arg(long, value_name = "K", conflicts_with = "all")]
        runs: Option<usize>,
        /// Retrain every run.
        #[arg(long)]
        all: bool,
        /// Seed of the --runs draw.
        #[arg(long, default_value_t = 0, value_name = "X")]
        seed: u64,
        #[arg(long, value_enum, default_value_t)]
        device: DeviceChoice,
    },
    /// Write (and with --submit, submit) Slurm job arrays for a part at a scale: one array task
    /// per unfinished planned run (`plm run --id`), a stage per level of finetuning, then a
    /// dependent `plm collect`. Resubmitting resumes: finished runs are skipped, interrupted ones
    /// continue from their checkpoints.
    Slurm(slurm::SlurmArgs),
    /// Measure throughput.
    Bench {
        #[command(subcommand)]
        what: bench::BenchTarget,
    },
}

/// How a subcommand ended when it did not fail on bad input.
pub enum Outcome {
    Ok,
    /// A check did not pass; the subcommand already said which.
    CheckFailed,
}

/// Stack of the pool's threads, which run whole commands: the size of a main thread's.
const STACK_BYTES: usize = 8 << 20;

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let suites = cli.suites.unwrap_or_else(crate::suite::default_suites_dir);
    // flex computes on rayon's global pool, so it is built before any tensor work, and the whole
    // command then runs on one of its threads: a parallel operation is then a fork inside the
    // pool instead of a hand-off from this thread to the pool and back, which costs the small
    // models' training steps several percent.
    let mut pool = rayon::ThreadPoolBuilder::new()
        .stack_size(STACK_BYTES)
        .start_handler(|_| plm_kernels::flush_subnormals_on_this_thread());
    if let Some(threads) = cli.threads {
        pool = pool.num_threads(threads);
    }
    if let Err(e) = pool.build_global() {
        let threads = cli
            .threads
            .map_or(String::new(), |n| format!("--threads {n}: "));
        eprintln!("error: {threads}{e}");
        return ExitCode::from(2);
    }
    match rayon::scope(|_| dispatch(cli.command, &suites)) {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error:#}");
            match error.downcast_ref::<crate::train::interrupt::Interrupted>() {
                Some(interrupted) => ExitCode::from(interrupted.exit_status()),
                None => ExitCode::from(2),
            }
        }
    }
}

fn dispatch(command: Command, suites: &Path) -> anyhow::Result<Outcome> {
    let artifacts = |target: &Target| {
        target
            .out
            .clone()
            .unwrap_or_else(|| crate::artifacts::default_root(suites))
    };
    match command {
        Command::List => list::run(suites),
        Command::Schema => {
            print!("{}", crate::suite::json_schema());
            Ok(Outcome::Ok)
        }
        Command::Data { part, scale, out } => data::run(suites, &part, scale, out.as_deref()),
        Command::Train {
            spec,
            out,
            device,
            resume,
            stop_after,
            start_from,
        } => train::run(&spec, &out, device, resume, stop_after, start_from),
        Command::Cfg { command } => cfg::run(command),
        Command::Igsm { command } => igsm::run(command),
        Command::Reproduce {
            target,
            device,
            jobs,
        } => pipeline::reproduce(
            suites,
            &target.part,
            target.scale,
            &artifacts(&target),
            device,
            jobs,
        ),
        Command::Plan { target, json } => pipeline::plan(
            suites,
            &target.part,
            target.scale,
            &artifacts(&target),
            json,
        ),
        Command::Run { target, id, device } => pipeline::run_one(
            suites,
            &target.part,
            target.scale,
            &artifacts(&target),
            &id,
            device,
        ),
        Command::Collect {
            part,
            scale,
            out,
            all,
        } => {
            let out = out.unwrap_or_else(|| crate::artifacts::default_root(suites));
            match part {
                Some(part) if !all => pipeline::collect(suites, &part, scale, &out),
                _ => pipeline::collect_all(suites, &out),
            }
        }
        Command::Compare {
            base,
            new,
            tolerance,
            json,
        } => compare::run(&base, &new, tolerance, json),
        Command::Verify {
            target,
            runs,
            all,
            seed,
            device,
        } => {
            let selection = match (runs, all) {
                (_, true) => crate::verify::Selection::All,
                (Some(count), false) => crate::verify::Selection::Drawn { count, seed },
                (None, false) => crate::verify::Selection::Evidence,
            };
            verify::run(
                suites,
                &target.part,
                target.scale,
                &artifacts(&target),
                selection,
                device,
            )
        }
        Command::Slurm(args) => {
            let out = artifacts(&args.target);
            slurm::run(suites, &out, args)
        }
        Command::Bench { what } => bench::run(suites, what),
    }
}

//! The `plm` command line. Each subcommand lives in its own module; this file only parses
//! arguments and maps outcomes to exit statuses: 0 success, 1 a check failed (e.g. a hash
//! differs), 2 bad input (one line on stderr naming the file and field).

mod bench;
mod cfg;
mod data;
mod list;
mod reproduce;
mod train;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::suite::Scale;

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
    /// CPU threads for tensor work (default: all cores). One thread makes training bit-exact.
    #[arg(long, global = true, value_name = "N")]
    threads: Option<usize>,
    #[command(subcommand)]
    command: Command,
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
        #[arg(long, value_enum)]
        scale: Scale,
        /// Also write each dataset (tokens, text, vocabulary) under DIR/<dataset>/.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Train one model from a spec file (seed, dataset, model, recipe) into a run folder.
    Train {
        spec: PathBuf,
        /// Run folder: checkpoint.bin while training; model.bpk and train.json when finished.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        #[arg(long, value_enum, default_value_t)]
        device: crate::train::DeviceChoice,
        /// Continue from the run folder's checkpoint.
        #[arg(long)]
        resume: bool,
        /// Stop after this many steps, checkpointing as if interrupted (for resumption tests).
        #[arg(long, value_name = "STEPS")]
        stop_after: Option<u64>,
    },
    /// Part 1's context-free grammars: sample, check, exact statistics.
    Cfg {
        #[command(subcommand)]
        command: cfg::CfgCommand,
    },
    /// Reproduce a part: check data, train every run of the scale (cached, resumable), measure,
    /// judge the claims and write the report under ARTIFACTS/<suite>/<scale>/.
    Reproduce {
        /// A part (part3.3), a prefix (part3: every Part 3 suite) or a suite file.
        part: String,
        #[arg(long, value_enum, default_value = "cpu")]
        scale: Scale,
        #[arg(long, value_enum, default_value_t)]
        device: crate::train::DeviceChoice,
        /// Where run folders and reports go (default: the repository's artifacts/).
        #[arg(long, value_name = "DIR")]
        artifacts: Option<PathBuf>,
    },
    /// Re-render a scale folder's report (e.g. artifacts/part3.3/smoke) from its manifests.
    Report { dir: PathBuf },
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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let suites = cli.suites.unwrap_or_else(crate::suite::default_suites_dir);
    if let Some(threads) = cli.threads {
        // Must happen before any tensor work: flex computes on rayon's global pool.
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
        {
            eprintln!("error: --threads {threads}: {e}");
            return ExitCode::from(2);
        }
    }
    let result = match cli.command {
        Command::List => list::run(&suites),
        Command::Schema => {
            print!("{}", crate::suite::json_schema());
            Ok(Outcome::Ok)
        }
        Command::Data { part, scale, out } => data::run(&suites, &part, scale, out.as_deref()),
        Command::Train {
            spec,
            out,
            device,
            resume,
            stop_after,
        } => train::run(&spec, &out, device, resume, stop_after),
        Command::Cfg { command } => cfg::run(command),
        Command::Reproduce {
            part,
            scale,
            device,
            artifacts,
        } => {
            let artifacts = artifacts.unwrap_or_else(|| suites.join("..").join("artifacts"));
            reproduce::reproduce(&suites, &part, scale, device, &artifacts)
        }
        Command::Report { dir } => reproduce::rerender(&dir),
        Command::Bench { what } => bench::run(what),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(error) => {
            let chain: Vec<String> = error.chain().map(|e| e.to_string()).collect();
            eprintln!("error: {}", chain.join(": "));
            ExitCode::from(2)
        }
    }
}

/// A progress bar on stderr (hidden automatically when stderr is not a terminal).
fn progress_bar(label: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix:>14} [{bar:30}] {pos}/{len} docs {per_sec} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

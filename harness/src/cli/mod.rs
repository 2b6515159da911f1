//! The `plm` command line. Each subcommand lives in its own module; this file only parses
//! arguments and maps outcomes to exit statuses: 0 success, 1 a check failed (e.g. a hash
//! differs), 2 bad input (one line on stderr naming the file and field).

mod bench;
mod data;
mod list;

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
    let result = match cli.command {
        Command::List => list::run(&suites),
        Command::Schema => {
            print!("{}", crate::suite::json_schema());
            Ok(Outcome::Ok)
        }
        Command::Data { part, scale, out } => data::run(&suites, &part, scale, out.as_deref()),
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

//! `plm igsm`: Parts 2.1/2.2's grade-school math problems by hand — sample them exactly as the
//! official generator does, and check solutions.

use std::io::Write;

use anyhow::{Result, bail};
use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use super::Outcome;
use crate::data::igsm::{self, IdGenSettings, Rngs, World};

#[derive(Subcommand)]
pub enum IgsmCommand {
    /// Print problems, one JSON object per line: `problem`, `question`, `solution`, `answer`.
    ///
    /// With `--rng official` the output is exactly what the official generator
    /// (github.com/facebookresearch/iGSM) gives after `fix_seed(SEED)`, a fresh
    /// `IdGen(max_op, max_edge, perm_level, detail_level)` per problem and
    /// `gen_prob(list(range(23)), p_format=FORMAT)`.
    Sample {
        #[arg(long, value_enum, default_value_t = IgsmRng::Official)]
        rng: IgsmRng,
        #[command(flatten)]
        shape: Shape,
        /// 0–4: sentences shuffled at most that far; 5: any order; 6: none; `random`: drawn per
        /// problem as the official code does.
        #[arg(long, default_value = "5")]
        perm_level: String,
        /// 0–11: how much of each solution step is written; `random`: drawn per problem.
        #[arg(long, default_value = "0")]
        detail_level: String,
        /// `pq`: the question after the problem; `qp`: before it.
        #[arg(long, value_enum, default_value_t = Format::Pq)]
        format: Format,
        #[arg(long, default_value_t = 1)]
        count: u64,
    },

    /// Check the generator itself on problems of `fix_seed(SEED)`: the checker's verdicts, the
    /// operation counts against their definition, and (with `--op`) the birthday-paradox count
    /// of distinct solution templates (Part 2.1 Prop. 2.2). Prints JSON.
    Stats {
        #[command(flatten)]
        shape: Shape,
        #[arg(long, default_value_t = 1000)]
        count: usize,
    },
}

/// The official `IdGen` settings both subcommands take, and the seed.
#[derive(clap::Args)]
pub struct Shape {
    /// Most operations in a solution (iGSM-med: 15, iGSM-hard: 21).
    #[arg(long)]
    max_op: usize,
    /// Most instance parameters in a problem (iGSM-med: 20, iGSM-hard: 28).
    #[arg(long)]
    max_edge: usize,
    /// The solution's operation count itself (the official `op`), e.g. 15 for the paper's med
    /// op=15 evaluation; drawn per problem when absent. `stats` counts templates at it.
    #[arg(long)]
    op: Option<usize>,
    /// The seed of the official `fix_seed` (0 to 2^32 − 1, numpy's limit).
    #[arg(long)]
    seed: u32,
}

impl Shape {
    /// The checked `IdGen` settings with these levels.
    fn settings(&self, perm_level: Option<u8>, detail_level: Option<u8>) -> Result<IdGenSettings> {
        let settings = IdGenSettings {
            max_op: self.max_op,
            max_edge: self.max_edge,
            op: self.op,
            perm_level,
            detail_level,
        };
        igsm::official::check_settings(&settings)
            .map_err(|(_, message)| anyhow::anyhow!("{message}"))?;
        Ok(settings)
    }
}

/// Where the draws come from.
#[derive(Clone, Copy, ValueEnum)]
pub enum IgsmRng {
    /// CPython's `random` and numpy's legacy `RandomState`, seeded once, as the official code.
    Official,
}

/// Where the question goes.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Pq,
    Qp,
}

/// One line of `plm igsm sample`.
#[derive(Serialize)]
struct SampleLine {
    problem: String,
    question: String,
    solution: String,
    answer: u32,
}

pub fn run(command: IgsmCommand) -> Result<Outcome> {
    match command {
        IgsmCommand::Sample {
            rng: IgsmRng::Official,
            shape,
            perm_level,
            detail_level,
            format,
            count,
        } => {
            let settings = shape.settings(
                level("--perm-level", &perm_level, 6)?,
                level("--detail-level", &detail_level, 11)?,
            )?;
            sample(&settings, format, shape.seed, count)
        }
        IgsmCommand::Stats { shape, count } => {
            let settings = shape.settings(Some(5), Some(0))?;
            let world = World::official();
            let report = match shape.op {
                Some(_) => serde_json::json!({
                    "templates": igsm::stats::template_stats(&world, &settings, shape.seed, count)
                }),
                None => {
                    let (checker, ops) =
                        igsm::stats::checker_stats(&world, &settings, shape.seed, count);
                    serde_json::json!({ "checker": checker, "ops": ops })
                }
            };
            println!("{}", serde_json::to_string_pretty(&report)?);
            let rejected = shape.op.is_none()
                && report["checker"]["accepted"] != report["checker"]["problems"];
            Ok(if rejected {
                Outcome::CheckFailed
            } else {
                Outcome::Ok
            })
        }
    }
}

/// A level flag: a number up to `max`, or `random` (`None`).
fn level(flag: &str, value: &str, max: u8) -> Result<Option<u8>> {
    if value == "random" {
        return Ok(None);
    }
    match value.parse::<u8>() {
        Ok(level) if level <= max => Ok(Some(level)),
        _ => bail!("{flag} {value}: expected 0 to {max}, or `random`"),
    }
}

fn sample(settings: &IdGenSettings, format: Format, seed: u32, count: u64) -> Result<Outcome> {
    let world = World::official();
    let bins: Vec<u32> = (0..23).collect();
    let mut rng = Rngs::fix_seed(seed);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let generated = igsm::generate(&world, &mut rng, settings, &bins);
        let line = SampleLine {
            problem: generated.problem_text(format == Format::Qp),
            question: generated.question(),
            solution: generated.solution(),
            answer: generated.problem.answer,
        };
        serde_json::to_writer(&mut out, &line)?;
        writeln!(out)?;
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

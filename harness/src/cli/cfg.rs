//! `plm cfg`: Part 1's grammars by hand — sample sentences, check sentences, print exact
//! statistics, time the membership test.

use std::io::{BufRead, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};

use super::Outcome;
use crate::data::cfg::Grammar;
use crate::data::cfg::exact::{derivation_entropy, expected_length};
use crate::data::cfg::mt19937::Mt19937;
use crate::data::cfg::verify::is_sentence;

#[derive(Subcommand)]
pub enum CfgCommand {
    /// Print sentences, one per line, as terminal ids separated by spaces.
    Sample {
        /// cfg3b, cfg3e1, cfg3e2, cfg3f, cfg3g, cfg3h, cfg3i, cfg3j or cfg3k.
        #[arg(long)]
        grammar: String,
        #[arg(long)]
        seed: u64,
        #[arg(long, default_value_t = 1)]
        count: u64,
        #[arg(long, value_enum, default_value_t = RngKind::Chacha)]
        rng: RngKind,
    },
    /// Read sentences (lines of terminal ids) on stdin; print `ok` or `bad` for each line.
    Check {
        #[arg(long)]
        grammar: String,
    },
    /// Print the exact expected sentence length and entropy per sentence.
    Stats {
        #[arg(long)]
        grammar: String,
    },
    /// Time the membership test on sampled sentences (one thread).
    Bench {
        #[arg(long)]
        grammar: String,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
        count: u64,
    },
}

/// Where the rule choices of `plm cfg sample` come from.
#[derive(Clone, Copy, ValueEnum)]
pub enum RngKind {
    /// The project's seeded stream: sentence i of a seed can be generated on its own.
    Chacha,
    /// CPython's `random.Random(seed)`, one generator across all sentences: reproduces the
    /// published samples.
    #[value(name = "python-mt19937")]
    PythonMt19937,
}

pub fn run(command: CfgCommand) -> Result<Outcome> {
    match command {
        CfgCommand::Sample {
            grammar,
            seed,
            count,
            rng,
        } => sample(&Grammar::by_name(&grammar)?, seed, count, rng),
        CfgCommand::Check { grammar } => check(&Grammar::by_name(&grammar)?),
        CfgCommand::Stats { grammar } => Ok(stats(&Grammar::by_name(&grammar)?)),
        CfgCommand::Bench { grammar, count } => Ok(bench(&Grammar::by_name(&grammar)?, count)),
    }
}

fn sample(grammar: &Grammar, seed: u64, count: u64, rng: RngKind) -> Result<Outcome> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut write = |sentence: &[u32]| -> Result<()> {
        let words: Vec<String> = sentence.iter().map(u32::to_string).collect();
        writeln!(out, "{}", words.join(" "))?;
        Ok(())
    };
    match rng {
        RngKind::Chacha => {
            for index in 0..count {
                write(&grammar.sample(seed, index))?;
            }
        }
        RngKind::PythonMt19937 => {
            let mut mt = Mt19937::new(seed);
            let mut sentence = Vec::new();
            for _ in 0..count {
                grammar.sample_into(&mut mt, &mut sentence);
                write(&sentence)?;
            }
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

fn check(grammar: &Grammar) -> Result<Outcome> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut all_ok = true;
    for (number, line) in std::io::stdin().lock().lines().enumerate() {
        let line = line.context("cannot read stdin")?;
        let tokens = line
            .split_whitespace()
            .map(|word| {
                word.parse::<u32>().with_context(|| {
                    format!("stdin line {}: `{word}` is not a token id", number + 1)
                })
            })
            .collect::<Result<Vec<u32>>>()?;
        let ok = is_sentence(grammar, &tokens);
        all_ok &= ok;
        writeln!(out, "{}", if ok { "ok" } else { "bad" })?;
    }
    out.flush()?;
    Ok(if all_ok {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

fn stats(grammar: &Grammar) -> Outcome {
    let entropy = derivation_entropy(grammar);
    let (shortest, longest) = grammar.length_range();
    println!("grammar             {}", grammar.name());
    println!(
        "expected length     {:.3} tokens (range {shortest}..={longest})",
        expected_length(grammar)
    );
    println!(
        "entropy             {entropy:.3} nats = {:.3} bits per sentence (of the derivation: an upper bound, exact for an unambiguous grammar)",
        entropy / std::f64::consts::LN_2
    );
    Outcome::Ok
}

/// A measurement, not a test: sentences `0..count` of seed 0, timed one by one.
fn bench(grammar: &Grammar, count: u64) -> Outcome {
    let (mut total_ms, mut max_ms, mut tokens, mut rejected) = (0.0f64, 0.0f64, 0usize, 0u64);
    for index in 0..count {
        let sentence = grammar.sample(0, index);
        let start = Instant::now();
        let accepted = is_sentence(grammar, &sentence);
        let ms = start.elapsed().as_secs_f64() * 1e3;
        total_ms += ms;
        max_ms = max_ms.max(ms);
        tokens += sentence.len();
        rejected += u64::from(!accepted);
    }
    println!(
        "{}: verified {count} sampled sentences (mean length {:.1}): mean {:.3} ms, max {:.3} ms per sentence, 1 thread",
        grammar.name(),
        tokens as f64 / count as f64,
        total_ms / count as f64,
        max_ms
    );
    if rejected > 0 {
        eprintln!(
            "{rejected} sampled sentences were rejected: the verifier or the sampler is wrong"
        );
        return Outcome::CheckFailed;
    }
    Outcome::Ok
}

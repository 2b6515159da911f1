//! `plm cfg`: Part 1's grammars by hand — sample sentences, check sentences, print exact
//! statistics, time the membership test.

use std::io::{BufRead, Write};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};

use super::Outcome;
use crate::data::cfg::Grammar;
use crate::data::cfg::exact::{NextToken, derivation_entropy, expected_length, sentence_entropy};
use crate::data::cfg::verify::is_sentence;
use crate::data::mt19937::Mt19937;

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
        /// Sentences (of seed 0) over which to average the parse ambiguity H(derivation | sentence).
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..))]
        samples: u64,
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
        CfgCommand::Stats { grammar, samples } => Ok(stats(&Grammar::by_name(&grammar)?, samples)),
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

fn stats(grammar: &Grammar, samples: u64) -> Outcome {
    let bits = |nats: f64| nats / std::f64::consts::LN_2;
    let (shortest, longest) = grammar.length_range();
    let derivation = derivation_entropy(grammar);
    let (sentence, error) = sentence_entropy(grammar, 0, samples);
    println!("grammar             {}", grammar.name());
    println!(
        "expected length     {:.3} tokens (exact; possible lengths {shortest}..={longest})",
        expected_length(grammar)
    );
    println!(
        "derivation entropy  {derivation:.3} nats = {:.3} bits per sentence (exact; an upper bound on the sentence entropy)",
        bits(derivation)
    );
    println!(
        "sentence entropy    {sentence:.3} ± {error:.3} nats = {:.3} ± {:.3} bits per sentence (derivation entropy minus the mean parse ambiguity of {samples} sampled sentences)",
        bits(sentence),
        bits(error)
    );
    Outcome::Ok
}

/// A measurement, not a test: sentences `0..count` of seed 0, timed one by one, as sampled and
/// with one token replaced by another terminal (what a model's mistakes look like); then the
/// exact next-token distributions along the first few sentences.
fn bench(grammar: &Grammar, count: u64) -> Outcome {
    let sentences: Vec<Vec<u32>> = (0..count).map(|index| grammar.sample(0, index)).collect();
    let corrupted: Vec<Vec<u32>> = sentences
        .iter()
        .enumerate()
        .map(|(k, sentence)| {
            let mut bad = sentence.clone();
            let position = k * 7919 % bad.len();
            bad[position] = bad[position] % grammar.num_terminals() + 1;
            bad
        })
        .collect();
    let mean_length = sentences.iter().map(Vec::len).sum::<usize>() as f64 / count as f64;
    println!(
        "{}: {count} sampled sentences of mean length {mean_length:.1}, 1 thread",
        grammar.name()
    );
    let accepted = verify_timed("sampled", grammar, &sentences);
    verify_timed("one token replaced", grammar, &corrupted);

    let few = &sentences[..sentences.len().min(5)];
    let start = Instant::now();
    for sentence in few {
        let next = NextToken::new(grammar, sentence);
        for m in 0..=sentence.len() {
            next.distribution(m);
        }
    }
    let positions: usize = few.iter().map(|s| s.len() + 1).sum();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "  exact next-token distributions: {:.3} ms per sentence, {:.4} ms per position ({} sentences)",
        ms / few.len() as f64,
        ms / positions as f64,
        few.len()
    );

    if accepted < sentences.len() {
        eprintln!("a sampled sentence was rejected: the verifier or the sampler is wrong");
        return Outcome::CheckFailed;
    }
    Outcome::Ok
}

/// Prints the mean and max time of [`is_sentence`] over `sentences`; returns how many passed.
fn verify_timed(label: &str, grammar: &Grammar, sentences: &[Vec<u32>]) -> usize {
    let (mut total_ms, mut max_ms, mut accepted) = (0.0f64, 0.0f64, 0);
    for sentence in sentences {
        let start = Instant::now();
        accepted += usize::from(is_sentence(grammar, sentence));
        let ms = start.elapsed().as_secs_f64() * 1e3;
        total_ms += ms;
        max_ms = max_ms.max(ms);
    }
    println!(
        "  verify {label:<20} mean {:.3} ms, max {:.3} ms per sentence; {accepted} accepted",
        total_ms / sentences.len() as f64,
        max_ms
    );
    accepted
}

//! Part 1's measurements of a model trained on a grammar (arXiv:2305.13673, §2.3 and App. A):
//!
//! * generation accuracy: the share of sentences sampled from `<bos>` at temperature 1 that the
//!   grammar accepts (whole sentence, no partial credit);
//! * valid-prefix length: how many tokens a generation from `<bos>` stays in the language, i.e.
//!   the longest prefix that some sentence starts with (median over generations);
//! * cut-c accuracy: the same, continuing the first c tokens of held-out sentences;
//! * KL(p* ‖ q): at every position of held-out sentences, the exact next-token distribution over
//!   {EOS, terminals} against the model's, both smoothed with ε = 1e-5 and renormalised, averaged
//!   over positions;
//! * entropy: the model's entropy per sentence, estimated as the mean of −log₂ q(s) over its own
//!   samples, against the grammar's exact sentence entropy.
//!
//! Held-out sentences are indices `sentences..` of the training stream's generator, which the
//! training data (indices `0..sentences`) never contains.

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use indicatif::ProgressBar;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::data::DocSource;
use crate::data::cfg::corpus::CfgCorpus;
use crate::data::cfg::{exact, verify};
use crate::data::rng::StreamKey;
use crate::model::Gpt;
use crate::model::decode::{Generation, padded_input, sample, values};

/// Smoothing of both distributions in the KL, as in the authors' code.
const KL_EPSILON: f64 = 1e-5;
/// Sequences generated (or scored) at once.
const BATCH: usize = 128;

/// What [`measure`] reports for one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GrammarMetrics {
    pub grammar: String,
    pub samples: usize,
    /// Share of generations from `<bos>` in the language.
    pub accuracy: f64,
    /// Generations that reached the context length without `<eos>` (counted as wrong).
    pub unfinished: usize,
    /// Median over generations from `<bos>` of the longest prefix that a sentence starts with.
    #[serde(default)]
    pub median_valid_prefix: f64,
    pub cut: usize,
    pub cut_samples: usize,
    pub cut_accuracy: f64,
    /// Mean KL(p* ‖ q) in nats per position.
    pub kl: f64,
    pub kl_positions: usize,
    /// Mean −log₂ q(s) over the model's own samples: its entropy per sentence, in bits.
    pub generated_entropy_bits: f64,
    /// The grammar's sentence entropy in bits, and the standard error of its estimate.
    pub grammar_entropy_bits: f64,
    pub grammar_entropy_stderr_bits: f64,
    pub mean_generated_length: f64,
    pub expected_length: f64,
}

/// The terminals of `prompt` + `generation` (vocabulary ids), or `None` when the generation did
/// not finish or holds a token that is not a terminal (`<pad>`): such a generation is wrong.
fn finished_terminals(
    corpus: &CfgCorpus,
    prompt: &[u32],
    generation: &Generation,
) -> Option<Vec<u32>> {
    if !generation.finished {
        return None;
    }
    prompt
        .iter()
        .chain(&generation.tokens)
        .map(|&id| corpus.terminal(id))
        .collect()
}

/// How many tokens of a generation from `<bos>` some sentence starts with (a token that is not a
/// terminal ends the valid prefix).
fn valid_prefix(corpus: &CfgCorpus, generation: &Generation) -> usize {
    let terminals: Vec<u32> = generation
        .tokens
        .iter()
        .map_while(|&id| corpus.terminal(id))
        .collect();
    exact::valid_prefix_length(corpus.grammar(), &terminals)
}

/// The median of `values` (0 when empty).
fn median(mut values: Vec<usize>) -> f64 {
    values.sort_unstable();
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2] as f64,
        n => (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0,
    }
}

/// Sentences (terminal ids) as model input rows `<bos> sentence <pad>…`, `width` tokens each
/// (cut there when longer).
pub(super) fn bos_batch<S: AsRef<[u32]>>(
    model: &Gpt,
    corpus: &CfgCorpus,
    sentences: &[S],
    width: usize,
) -> Tensor<2, Int> {
    let (eos, pad) = (corpus.vocab().eos(), corpus.vocab().pad());
    let rows: Vec<Vec<u32>> = sentences
        .iter()
        .map(|sentence| {
            std::iter::once(eos)
                .chain(corpus.encode(sentence.as_ref()))
                .collect()
        })
        .collect();
    padded_input(&rows, width, pad, &model.device())
}

/// KL(p ‖ q) after smoothing both with ε and renormalising.
fn smoothed_kl(p: &[f64], q: &[f64]) -> f64 {
    let smooth = |v: &[f64]| {
        let total: f64 = v.iter().map(|x| x + KL_EPSILON).sum();
        v.iter()
            .map(|x| (x + KL_EPSILON) / total)
            .collect::<Vec<_>>()
    };
    let (p, q) = (smooth(p), smooth(q));
    p.iter().zip(&q).map(|(a, b)| a * (a.ln() - b.ln())).sum()
}

/// Mean KL(p* ‖ q) over every position of `sentences` (terminal ids; each shorter than
/// `context`): returns (mean, positions).
fn mean_kl(
    model: &Gpt,
    corpus: &CfgCorpus,
    sentences: &[Vec<u32>],
    context: usize,
) -> (f64, usize) {
    let grammar = corpus.grammar();
    let eos = corpus.vocab().eos();
    // Class c of the distributions: 0 = <eos>, t = terminal t.
    let class_ids: Vec<usize> = std::iter::once(eos)
        .chain(corpus.encode(&(1..=grammar.num_terminals()).collect::<Vec<_>>()))
        .map(|id| id as usize)
        .collect();
    let (mut total, mut positions) = (0.0, 0usize);
    for group in sentences.chunks(BATCH / 4) {
        let width = group
            .iter()
            .map(|s| s.len() + 1)
            .max()
            .unwrap_or(1)
            .min(context);
        let logits = model.forward(bos_batch(model, corpus, group, width));
        let vocab = logits.dims()[2];
        let log_q = values(log_softmax(logits, 2));
        for (row, sentence) in group.iter().enumerate() {
            let exact = exact::NextToken::new(grammar, sentence);
            for m in 0..=sentence.len().min(width - 1) {
                let p = exact
                    .distribution(m)
                    .expect("a held-out sentence's prefixes are prefixes of sentences");
                let at = (row * width + m) * vocab;
                let q: Vec<f64> = class_ids
                    .iter()
                    .map(|&c| f64::from(log_q[at + c]).exp())
                    .collect();
                total += smoothed_kl(&p, &q);
                positions += 1;
            }
        }
    }
    (total / positions.max(1) as f64, positions)
}

/// Measures a model trained on `corpus` with windows of `context` tokens; `progress` counts
/// sentences generated, continued and scored. Also returns the mean time of one membership test
/// of a generated sentence, in milliseconds (a wall-clock number, kept apart from the metrics).
pub fn measure(
    model: &Gpt,
    corpus: &CfgCorpus,
    settings: &GrammarEval,
    context: usize,
    seed: u64,
    progress: &ProgressBar,
) -> (GrammarMetrics, f64) {
    progress.set_length((settings.samples + settings.cut_samples + settings.kl_sentences) as u64);
    let grammar = corpus.grammar();
    let eos = corpus.vocab().eos();
    let key = StreamKey::new(seed, &["part1", "generate", grammar.name()]);
    let held_out = |count: usize| -> Vec<Vec<u32>> {
        (0..count as u64)
            .map(|i| corpus.sentence(corpus.people() as u64 + i))
            .collect()
    };

    // From <bos>.
    let mut from_bos = Vec::with_capacity(settings.samples);
    for start in (0..settings.samples).step_by(BATCH) {
        let rows = BATCH.min(settings.samples - start);
        let prompts = vec![vec![eos]; rows];
        from_bos.extend(sample(
            model,
            &prompts,
            context,
            settings.temperature,
            &key,
            start as u64,
            eos,
        ));
        progress.inc(rows as u64);
    }
    let mut verify_seconds = 0.0;
    let mut verified = 0usize;
    let mut is_valid = |terminals: Option<Vec<u32>>| match terminals {
        Some(t) => {
            let started = Instant::now();
            let ok = verify::is_sentence(grammar, &t);
            verify_seconds += started.elapsed().as_secs_f64();
            verified += 1;
            ok
        }
        None => false,
    };
    let correct = from_bos
        .iter()
        .filter(|g| is_valid(finished_terminals(corpus, &[], g)))
        .count();

    // Cut-c: continue the first c tokens of held-out sentences longer than c.
    let prompts: Vec<Vec<u32>> = held_out(settings.cut_samples)
        .into_iter()
        .map(|s| {
            let mut prompt = vec![eos];
            prompt.extend(corpus.encode(&s[..settings.cut.min(s.len())]));
            prompt
        })
        .collect();
    let mut cut_correct = 0usize;
    for (batch_index, group) in prompts.chunks(BATCH).enumerate() {
        let first = (settings.samples + batch_index * BATCH) as u64;
        let generations = sample(
            model,
            group,
            context,
            settings.temperature,
            &key,
            first,
            eos,
        );
        cut_correct += group
            .iter()
            .zip(&generations)
            .filter(|(prompt, g)| is_valid(finished_terminals(corpus, &prompt[1..], g)))
            .count();
        progress.inc(group.len() as u64);
    }

    let kl_sentences: Vec<Vec<u32>> = held_out(settings.kl_sentences)
        .into_iter()
        .filter(|s| s.len() < context)
        .collect();
    let (kl, kl_positions) = mean_kl(model, corpus, &kl_sentences, context);
    progress.inc(settings.kl_sentences as u64);

    let (entropy, stderr) = exact::sentence_entropy(grammar, seed, 200);
    let samples = from_bos.len().max(1) as f64;
    let metrics = GrammarMetrics {
        grammar: grammar.name().to_owned(),
        samples: from_bos.len(),
        accuracy: correct as f64 / samples,
        unfinished: from_bos.iter().filter(|g| !g.finished).count(),
        median_valid_prefix: median(from_bos.iter().map(|g| valid_prefix(corpus, g)).collect()),
        cut: settings.cut,
        cut_samples: prompts.len(),
        cut_accuracy: cut_correct as f64 / prompts.len().max(1) as f64,
        kl,
        kl_positions,
        generated_entropy_bits: -from_bos.iter().map(|g| g.log_q).sum::<f64>()
            / samples
            / std::f64::consts::LN_2,
        grammar_entropy_bits: entropy / std::f64::consts::LN_2,
        grammar_entropy_stderr_bits: stderr / std::f64::consts::LN_2,
        mean_generated_length: from_bos.iter().map(|g| g.tokens.len() as f64).sum::<f64>()
            / samples,
        expected_length: exact::expected_length(grammar),
    };
    (metrics, 1e3 * verify_seconds / verified.max(1) as f64)
}

/// How grammar models are measured (Part 1, arXiv:2305.13673, §2.3 and App. A).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrammarEval {
    /// Sentences generated from `<bos>` (Part 1 uses at least 500).
    #[serde(default = "five_hundred")]
    pub samples: usize,
    /// Prompt length c of the cut-c accuracy (Part 1's cut50).
    #[serde(default = "fifty")]
    pub cut: usize,
    /// Held-out sentences continued for the cut-c accuracy.
    #[serde(default = "five_hundred")]
    pub cut_samples: usize,
    /// Held-out sentences whose positions the KL averages over.
    #[serde(default = "one_hundred")]
    pub kl_sentences: usize,
    #[serde(default = "one")]
    pub temperature: f64,
    /// Held-out sentences for the parse-tree probes (half fit them, half score them); 0 skips
    /// the probes (Part 1, §4–5).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub probe_sentences: usize,
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

fn five_hundred() -> usize {
    500
}
fn fifty() -> usize {
    50
}
fn one_hundred() -> usize {
    100
}
fn one() -> f64 {
    1.0
}

impl Default for GrammarEval {
    fn default() -> Self {
        Self {
            samples: five_hundred(),
            cut: fifty(),
            cut_samples: five_hundred(),
            kl_sentences: one_hundred(),
            temperature: one(),
            probe_sentences: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothed_kl_is_zero_for_equal_and_positive_otherwise() {
        let p = [0.0, 0.5, 0.5, 0.0];
        assert!(smoothed_kl(&p, &p).abs() < 1e-12);
        let q = [0.25, 0.25, 0.25, 0.25];
        // Without smoothing KL = ln 2; the ε terms change it only slightly.
        assert!((smoothed_kl(&p, &q) - 2f64.ln()).abs() < 1e-3);
        // A q that misses p's support is bounded by the smoothing, not infinite.
        let miss = [1.0, 0.0, 0.0, 0.0];
        assert!(smoothed_kl(&p, &miss).is_finite());
    }

    /// The scoring path accepts the grammar's own sentences, in both forms it sees them (from
    /// `<bos>`, and as a prompt plus continuation), and rejects unfinished or corrupted ones.
    #[test]
    fn grammar_sentences_score_as_correct_and_corruptions_do_not() {
        let spec = crate::data::cfg::CfgSpec {
            grammar: "cfg3b".into(),
            sentences: 10,
        };
        let corpus = CfgCorpus::new(&spec, 3);
        let grammar = corpus.grammar();
        let correct = |prompt: &[u32], generation: &Generation| {
            finished_terminals(&corpus, prompt, generation)
                .is_some_and(|t| verify::is_sentence(grammar, &t))
        };
        for index in 0..10 {
            let ids = corpus.encode(&corpus.sentence(index));
            let whole = Generation {
                tokens: ids.clone(),
                finished: true,
                log_q: 0.0,
            };
            assert!(correct(&[], &whole));
            let continued = Generation {
                tokens: ids[50..].to_vec(),
                finished: true,
                log_q: 0.0,
            };
            assert!(correct(&ids[..50], &continued));
            let unfinished = Generation {
                finished: false,
                ..whole
            };
            assert!(!correct(&[], &unfinished));
            let mut padded = ids.clone();
            padded[7] = corpus.vocab().pad();
            let with_pad = Generation {
                tokens: padded,
                finished: true,
                log_q: 0.0,
            };
            assert!(!correct(&[], &with_pad));
        }
    }

    /// A sentence is valid to its end; a corruption (a token no sentence continues with there, or
    /// `<pad>`) ends the valid prefix just before it.
    #[test]
    fn valid_prefixes_end_at_the_first_mistake() {
        let spec = crate::data::cfg::CfgSpec {
            grammar: "cfg3b".into(),
            sentences: 4,
        };
        let corpus = CfgCorpus::new(&spec, 3);
        let grammar = corpus.grammar();
        let generation = |terminals: &[u32]| Generation {
            tokens: corpus.encode(terminals),
            finished: true,
            log_q: 0.0,
        };
        for index in 0..4 {
            let sentence = corpus.sentence(index);
            assert_eq!(
                valid_prefix(&corpus, &generation(&sentence)),
                sentence.len()
            );
            let at = 40;
            let p = exact::NextToken::new(grammar, &sentence)
                .distribution(at)
                .unwrap();
            let wrong = (1..p.len())
                .find(|&t| p[t] == 0.0)
                .expect("a terminal cannot follow");
            let mut corrupted = sentence.clone();
            corrupted[at] = wrong as u32;
            assert_eq!(valid_prefix(&corpus, &generation(&corrupted)), at);
            let mut padded = generation(&sentence);
            padded.tokens[at] = corpus.vocab().pad();
            assert_eq!(valid_prefix(&corpus, &padded), at);
        }
        assert_eq!(median(vec![5, 1, 9]), 5.0);
        assert_eq!(median(vec![4, 1, 9, 6]), 5.0);
    }
}

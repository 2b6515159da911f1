//! Linear probes of the parse tree (Part 1, arXiv:2305.13673, §4–5): does a trained GPT's last
//! hidden layer encode, at each position, the non-terminal above the current terminal at every
//! level of the tree, and whether that non-terminal ends there?
//!
//! Labels come from the sampler's own derivation ([`crate::data::cfg::parse`]). For each model
//! the probe is fitted on the hidden states of one set of held-out sentences and scored on
//! another. The same probe on a randomly initialised model of the same shape is the control: what
//! a linear map can read off the tokens and positions alone, without anything learnt.
//!
//! plm's probe is a plain linear map per position, fitted by ridge-regularised least squares on
//! one-hot labels (closed form, deterministic): the paper's probe also mixes a few neighbouring
//! positions with learnt weights, so plm's can only read less.

use serde::{Deserialize, Serialize};

use super::grammar::bos_batch;
use crate::data::cfg::corpus::CfgCorpus;
use crate::data::cfg::parse::Parsed;
use crate::model::Gpt;
use crate::parts::linear_probe::{feature_row, hidden_values, least_squares};

/// Sentences run through a model at once.
const BATCH: usize = 32;

/// Probe accuracies per non-terminal level 1..depth (level 0 is the root, above every position).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProbeMetrics {
    pub fitted_positions: usize,
    pub scored_positions: usize,
    /// Accuracy of the ancestor probe, trained model and control.
    pub ancestor: Vec<f64>,
    pub ancestor_control: Vec<f64>,
    /// Accuracy of the boundary probe (does the ancestor end here), trained model and control,
    /// and the share of the commoner label (what always guessing it scores).
    pub boundary: Vec<f64>,
    pub boundary_control: Vec<f64>,
    pub boundary_majority: Vec<f64>,
}

/// Probes `trained` and `control` on `sentences` held-out sentences from index `first` (the first
/// half fits, the second half scores).
pub fn measure(
    trained: &Gpt,
    control: &Gpt,
    corpus: &CfgCorpus,
    first: u64,
    sentences: usize,
    context: usize,
) -> ProbeMetrics {
    let parsed: Vec<Parsed> = (first..)
        .map(|index| corpus.parsed(index))
        .filter(|p| p.terminals.len() < context)
        .take(sentences)
        .collect();
    let (fit, score) = parsed.split_at(parsed.len() / 2);
    let labels = Labels::new(corpus, fit);
    let test = Labels::new(corpus, score);
    let probe = |model: &Gpt| {
        let weights = least_squares(&features(model, corpus, fit), &labels.targets, labels.width);
        test.accuracies(&features(model, corpus, score), &weights)
    };
    let ((ancestor, boundary), (ancestor_control, boundary_control)) =
        (probe(trained), probe(control));
    ProbeMetrics {
        fitted_positions: labels.positions,
        scored_positions: test.positions,
        ancestor,
        ancestor_control,
        boundary,
        boundary_control,
        boundary_majority: test.boundary_majority(),
    }
}

/// The last hidden layer at every terminal of `sentences` (after reading it), one row per
/// terminal with a trailing 1 for the bias.
fn features(model: &Gpt, corpus: &CfgCorpus, sentences: &[Parsed]) -> Vec<Vec<f64>> {
    let mut rows = Vec::new();
    for group in sentences.chunks(BATCH) {
        let width = 1 + group.iter().map(|p| p.terminals.len()).max().unwrap_or(0);
        let terminals: Vec<&[u32]> = group.iter().map(|p| p.terminals.as_slice()).collect();
        let (values, d) = hidden_values(model, bos_batch(model, corpus, &terminals, width));
        for (r, sentence) in group.iter().enumerate() {
            for i in 0..sentence.terminals.len() {
                rows.push(feature_row(&values, (r * width + i + 1) * d, d));
            }
        }
    }
    rows
}

/// One-hot targets of every probe, side by side: for each level 1..depth, one column per
/// symbol of the level (the ancestor), then one column per level (the boundary).
struct Labels {
    positions: usize,
    levels: Vec<Vec<u32>>,
    width: usize,
    /// `positions × width`, row-major.
    targets: Vec<f64>,
    /// Per position: the ancestor's column within its level, and the boundary, per level.
    truth: Vec<Vec<(usize, bool)>>,
}

impl Labels {
    fn new(corpus: &CfgCorpus, sentences: &[Parsed]) -> Self {
        let grammar = corpus.grammar();
        let levels: Vec<Vec<u32>> = (1..grammar.depth())
            .map(|l| grammar.level(l).to_vec())
            .collect();
        let symbol_columns: usize = levels.iter().map(Vec::len).sum();
        let width = symbol_columns + levels.len();
        let (mut targets, mut truth) = (Vec::new(), Vec::new());
        for sentence in sentences {
            for i in 0..sentence.terminals.len() {
                let mut row = vec![0.0; width];
                let mut offset = 0;
                let mut labels = Vec::with_capacity(levels.len());
                for (k, symbols) in levels.iter().enumerate() {
                    let l = k + 1;
                    let column = symbols
                        .iter()
                        .position(|&s| s == sentence.ancestor(i, l))
                        .expect("an ancestor of its level");
                    row[offset + column] = 1.0;
                    offset += symbols.len();
                    let ends = sentence.ends_at(i, l);
                    row[symbol_columns + k] = f64::from(u8::from(ends));
                    labels.push((column, ends));
                }
                targets.extend(row);
                truth.push(labels);
            }
        }
        Self {
            positions: truth.len(),
            levels,
            width,
            targets,
            truth,
        }
    }

    /// Accuracy per level of the ancestor probe (the largest score among the level's columns)
    /// and of the boundary probe (score above one half) with `weights` on `features`.
    fn accuracies(&self, features: &[Vec<f64>], weights: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
        let symbol_columns: usize = self.levels.iter().map(Vec::len).sum();
        let mut right = vec![(0usize, 0usize); self.levels.len()];
        for (x, truth) in features.iter().zip(&self.truth) {
            // Every column's score, once.
            let scores: Vec<f64> = weights
                .iter()
                .map(|w| x.iter().zip(w).map(|(a, b)| a * b).sum())
                .collect();
            let mut offset = 0;
            for (k, symbols) in self.levels.iter().enumerate() {
                let level = &scores[offset..offset + symbols.len()];
                let guess = (0..symbols.len())
                    .max_by(|&a, &b| level[a].total_cmp(&level[b]))
                    .expect("a level has symbols");
                offset += symbols.len();
                let (column, ends) = truth[k];
                right[k].0 += usize::from(guess == column);
                right[k].1 += usize::from((scores[symbol_columns + k] > 0.5) == ends);
            }
        }
        let share = |n: usize| n as f64 / self.positions.max(1) as f64;
        right.iter().map(|&(a, b)| (share(a), share(b))).unzip()
    }

    /// Per level, the share of the commoner boundary label.
    fn boundary_majority(&self) -> Vec<f64> {
        (0..self.levels.len())
            .map(|k| {
                let ends = self.truth.iter().filter(|t| t[k].1).count();
                ends.max(self.positions - ends) as f64 / self.positions.max(1) as f64
            })
            .collect()
    }
}

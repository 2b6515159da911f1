//! Exact-match answers, as Part 4.1 scores its synthetic tasks (arXiv:2512.17351, App. A) and
//! Part 3.1 its biography questions (arXiv:2309.14316, §3): a question counts as answered when
//! every token of its answer is the model's most likely token given the true text before it.
//! That is the same verdict as greedy decoding of the answer (a greedy decoder that stays on the
//! answer sees exactly the true prefix at each step), computed in one forward pass per document.

use std::ops::Range;

use crate::model::Gpt;
use crate::model::decode::{argmax_ids, padded_input};

/// Documents run through the model at once.
const BATCH: usize = 16;

/// One evaluation document: its tokens (without the leading `<bos>`) and its answers' ranges.
pub struct Question {
    pub tokens: Vec<u32>,
    pub answers: Vec<Range<usize>>,
}

/// For each document, whether each answer came out whole. Rows are `<bos> tokens <pad>…` (the
/// `<eos>` id doubles as `<bos>`, as in training); documents longer than `context − 1` tokens
/// are a suite error that the part rules out before training.
pub fn answered(
    model: &Gpt,
    questions: &[Question],
    bos: u32,
    pad: u32,
    context: usize,
) -> Vec<Vec<bool>> {
    let device = model.device();
    let mut verdicts = Vec::with_capacity(questions.len());
    for chunk in questions.chunks(BATCH) {
        let width = chunk.iter().map(|q| q.tokens.len() + 1).max().unwrap_or(1);
        assert!(
            width <= context,
            "an evaluation document exceeds the context"
        );
        let rows: Vec<Vec<u32>> = chunk
            .iter()
            .map(|q| {
                std::iter::once(bos)
                    .chain(q.tokens.iter().copied())
                    .collect()
            })
            .collect();
        let predicted = argmax_ids(model.forward(padded_input(&rows, width, pad, &device)));
        for (row, question) in chunk.iter().enumerate() {
            // Input position i predicts the token at document position i (input i + 1).
            let at = |i: usize| predicted[row * width + i];
            verdicts.push(
                question
                    .answers
                    .iter()
                    .map(|answer| answer.clone().all(|i| at(i) == question.tokens[i]))
                    .collect(),
            );
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::prelude::Device;

    use crate::model::decode::input;
    use crate::spec::ModelConfig;

    /// The model's greedy continuation of `prefix` (with `<bos>` 0 in front), `steps` tokens,
    /// one full forward pass per token.
    fn greedy(model: &Gpt, prefix: &[u32], steps: usize) -> Vec<u32> {
        let mut tokens = prefix.to_vec();
        for _ in 0..steps {
            let row: Vec<u32> = std::iter::once(0).chain(tokens.iter().copied()).collect();
            let width = row.len();
            let next = argmax_ids(model.forward(input(&row, 1, width, &model.device())));
            tokens.push(next[width - 1]);
        }
        tokens[prefix.len()..].to_vec()
    }

    /// Against greedy decoding, on a random model: documents whose answers are the model's own
    /// greedy continuations count as answered; the same with one answer token changed do not.
    #[test]
    fn the_one_pass_verdict_is_greedy_decodings() {
        let device = Device::flex();
        device.seed(5);
        let model = Gpt::new(&ModelConfig::gpt2(1, 2, 16), 9, 32, &device);
        let mut questions = Vec::new();
        let mut expected = Vec::new();
        for i in 0..12u32 {
            let prefix: Vec<u32> = (0..5 + i % 4).map(|j| 2 + (i * 7 + j * 3) % 7).collect();
            let answer = greedy(&model, &prefix, 3);
            let mut tokens = [prefix.clone(), answer].concat();
            let right = i % 2 == 0;
            if !right {
                let last = tokens.len() - 1 - (i as usize % 3);
                tokens[last] = (tokens[last] + 1) % 9;
            }
            questions.push(Question {
                answers: std::iter::once(prefix.len()..prefix.len() + 3).collect(),
                tokens,
            });
            expected.push(vec![right]);
        }
        assert_eq!(answered(&model, &questions, 0, 1, 32), expected);
    }
}

//! Greedy decoding of many prompts of different lengths side by side (Part 2.1 evaluates "beam
//! 1, no sampling", arXiv:2407.20311 §3). Every row advances one position per step through the
//! KV cache: it reads its own prompt while the prompt lasts, then its own last greedy token, so
//! rows of any lengths share each forward pass and no row ever attends to padding.

use burn::prelude::*;

use crate::model::{Gpt, KvCache};

/// Rows decoded in one batch.
const BATCH: usize = 16;

/// The greedy continuation of each prompt (ids, starting with `<bos>`), stopped when `done`
/// accepts it, after `max_new` tokens, or at the context's end.
pub fn greedy(
    model: &Gpt,
    prompts: &[Vec<u32>],
    context: usize,
    max_new: usize,
    done: impl Fn(&[u32]) -> bool,
) -> Vec<Vec<u32>> {
    let device = model.device();
    let mut out = Vec::with_capacity(prompts.len());
    for chunk in prompts.chunks(BATCH) {
        let rows = chunk.len();
        let mut generated: Vec<Vec<u32>> = vec![Vec::new(); rows];
        let mut finished: Vec<bool> = chunk.iter().map(|p| p.len() >= context).collect();
        let mut cache = KvCache::new(model, rows, context);
        let mut position = 0;
        while finished.iter().any(|f| !f) && position < context {
            let input: Vec<i64> = (0..rows)
                .map(|r| {
                    let prompt = &chunk[r];
                    let token = if position < prompt.len() {
                        prompt[position]
                    } else {
                        generated[r]
                            .last()
                            .copied()
                            .unwrap_or(prompt[prompt.len() - 1])
                    };
                    i64::from(token)
                })
                .collect();
            let ids = Tensor::<2, Int>::from_data(TensorData::new(input, [rows, 1]), &device);
            let predicted: Vec<i64> = model
                .decode(ids, &mut cache)
                .argmax(2)
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .expect("integer argmax");
            position += 1;
            for r in 0..rows {
                if finished[r] || position < chunk[r].len() {
                    continue;
                }
                generated[r].push(predicted[r] as u32);
                if done(&generated[r]) || generated[r].len() >= max_new || position >= context {
                    finished[r] = true;
                }
            }
        }
        out.extend(generated);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ModelConfig;

    /// Greedy decoding the slow way: one prompt at a time, the whole prefix through the model
    /// at every step (no cache, no batch).
    fn one_at_a_time(model: &Gpt, prompt: &[u32], steps: usize) -> Vec<u32> {
        let device = model.device();
        let mut tokens = prompt.to_vec();
        for _ in 0..steps {
            let ids: Vec<i64> = tokens.iter().map(|&t| i64::from(t)).collect();
            let input =
                Tensor::<2, Int>::from_data(TensorData::new(ids, [1, tokens.len()]), &device);
            let predicted: Vec<i64> = model
                .forward(input)
                .argmax(2)
                .into_data()
                .convert::<i64>()
                .try_to_vec::<i64>()
                .expect("integer argmax");
            tokens.push(*predicted.last().expect("a position") as u32);
        }
        tokens[prompt.len()..].to_vec()
    }

    /// Rows of different prompt lengths decoded side by side through the KV cache give each
    /// row exactly what it gets alone without a cache.
    #[test]
    fn lockstep_decoding_matches_decoding_each_prompt_alone() {
        let device = burn::prelude::Device::flex();
        let (vocab, context) = (23, 32);
        let model =
            crate::train::initialised(&ModelConfig::gpt2(2, 2, 16), vocab, context, 7, &device);
        let prompts: Vec<Vec<u32>> = vec![
            vec![0, 5, 9],
            vec![0, 1, 2, 3, 4, 5, 6, 7, 8],
            vec![0, 22],
            vec![0, 3, 3, 3, 3, 3],
        ];
        let steps = 12;
        let together = greedy(&model, &prompts, context, steps, |_| false);
        for (prompt, got) in prompts.iter().zip(&together) {
            assert_eq!(got.len(), steps);
            assert_eq!(
                got,
                &one_at_a_time(&model, prompt, steps),
                "prompt {prompt:?}"
            );
        }
        // A row stops when `done` says so, the others go on.
        let stopped = greedy(&model, &prompts, context, steps, |tokens| tokens.len() == 3);
        assert!(stopped.iter().all(|t| t.len() == 3));
        // The context bounds what the model reads: a 9-token prompt in a context of 12 feeds
        // 3 generated tokens back and predicts a 4th from the full window (as training does).
        let short = greedy(&model, &prompts[1..2], 12, steps, |_| false);
        assert_eq!(short[0].len(), 4);
    }
}

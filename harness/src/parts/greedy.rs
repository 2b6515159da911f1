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

//! Reading a model out: token ids into input tensors and tensors back into plain values, and
//! decoding — batched greedy decoding through the KV cache (Parts 2.1 and 2.2 evaluate "beam 1,
//! no sampling", arXiv:2407.20311 §3) and batched sampling at a temperature (Part 1 generates
//! from `<bos>`, arXiv:2305.13673 §2.3). Every part reads its models through these.

use burn::prelude::*;
use burn::tensor::activation::softmax;

use super::{Gpt, KvCache};
use crate::data::rng::{StreamKey, unit};

/// Rows decoded side by side in one greedy batch.
const GREEDY_BATCH: usize = 16;

/// Token ids, `rows` rows of `width` each (row-major), as a `[rows, width]` model input.
pub fn input(ids: &[u32], rows: usize, width: usize, device: &Device) -> Tensor<2, Int> {
    let ids: Vec<i64> = ids.iter().map(|&t| i64::from(t)).collect();
    Tensor::from_data(TensorData::new(ids, [rows, width]), device)
}

/// Rows of token ids, each cut or padded with `pad` to `width`, as a `[rows, width]` input.
pub fn padded_input<R: AsRef<[u32]>>(
    rows: &[R],
    width: usize,
    pad: u32,
    device: &Device,
) -> Tensor<2, Int> {
    let mut ids = Vec::with_capacity(rows.len() * width);
    for row in rows {
        let row = row.as_ref();
        ids.extend(row.iter().copied().take(width));
        ids.extend(std::iter::repeat_n(pad, width.saturating_sub(row.len())));
    }
    input(&ids, rows.len(), width, device)
}

/// The most likely token at every position of `[rows, time, vocab]` logits, row-major.
pub fn argmax_ids(logits: Tensor<3>) -> Vec<u32> {
    logits
        .argmax(2)
        .into_data()
        .convert::<i64>()
        .try_to_vec::<i64>()
        .expect("integer argmax")
        .into_iter()
        .map(|t| t as u32)
        .collect()
}

/// A float tensor's values, row-major.
pub fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .expect("f32 values")
}

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
    for chunk in prompts.chunks(GREEDY_BATCH) {
        let rows = chunk.len();
        let mut generated: Vec<Vec<u32>> = vec![Vec::new(); rows];
        let mut finished: Vec<bool> = chunk.iter().map(|p| p.len() >= context).collect();
        let mut cache = KvCache::new(model, rows, context);
        let mut position = 0;
        while finished.iter().any(|f| !f) && position < context {
            let tokens: Vec<u32> = (0..rows)
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
                    token
                })
                .collect();
            let predicted = argmax_ids(model.decode(input(&tokens, rows, 1, &device), &mut cache));
            position += 1;
            for r in 0..rows {
                if finished[r] || position < chunk[r].len() {
                    continue;
                }
                generated[r].push(predicted[r]);
                if done(&generated[r]) || generated[r].len() >= max_new || position >= context {
                    finished[r] = true;
                }
            }
        }
        out.extend(generated);
    }
    out
}

/// One sampled continuation.
pub struct Generation {
    /// Vocabulary ids after the prompt, without the final `<eos>`.
    pub tokens: Vec<u32>,
    pub finished: bool,
    /// ln q of every sampled token, `<eos>` included.
    pub log_q: f64,
}

/// Samples continuations of equal-length prompts (vocabulary ids, each starting with `<eos>`)
/// until every sequence emits `<eos>` or the context is full. Row `i` draws from its own random
/// stream `first_stream + i`, so results do not depend on the batch size.
pub fn sample(
    model: &Gpt,
    prompts: &[Vec<u32>],
    context: usize,
    temperature: f64,
    key: &StreamKey,
    first_stream: u64,
    eos: u32,
) -> Vec<Generation> {
    let device = model.device();
    let rows = prompts.len();
    let prompt_len = prompts[0].len();
    assert!(
        prompts.iter().all(|p| p.len() == prompt_len),
        "prompts of one batch have equal length"
    );
    let mut rngs: Vec<_> = (0..rows as u64)
        .map(|i| key.rng(first_stream + i, 0))
        .collect();
    let mut out: Vec<Generation> = (0..rows)
        .map(|_| Generation {
            tokens: Vec::new(),
            finished: false,
            log_q: 0.0,
        })
        .collect();
    let mut cache = KvCache::new(model, rows, context);
    let prompt: Vec<u32> = prompts.iter().flatten().copied().collect();
    let mut logits = model.decode(input(&prompt, rows, prompt_len, &device), &mut cache);
    loop {
        let [_, time, vocab] = logits.dims();
        let last = logits.narrow(1, time - 1, 1).reshape([rows, vocab]);
        let probabilities = values(softmax(last / temperature, 1));
        let mut next = vec![eos; rows];
        for (row, generation) in out.iter_mut().enumerate() {
            if generation.finished {
                continue;
            }
            let p = &probabilities[row * vocab..(row + 1) * vocab];
            let token = inverse_cdf(p, unit(&mut rngs[row]));
            generation.log_q += f64::from(p[token]).ln();
            if token as u32 == eos {
                generation.finished = true;
            } else {
                generation.tokens.push(token as u32);
                next[row] = token as u32;
            }
        }
        if out.iter().all(|g| g.finished) || cache.len() == context {
            return out;
        }
        logits = model.decode(input(&next, rows, 1, &device), &mut cache);
    }
}

/// Inverse-CDF draw from `p` with the uniform `u`; never an entry of probability 0 (rounding
/// can leave the cumulative sum just below `u`: then the last possible entry).
fn inverse_cdf(p: &[f32], u: f64) -> usize {
    let total: f64 = p.iter().map(|&x| f64::from(x)).sum();
    let mut acc = 0.0;
    for (i, &x) in p.iter().enumerate() {
        acc += f64::from(x) / total;
        if u < acc && x > 0.0 {
            return i;
        }
    }
    p.iter().rposition(|&x| x > 0.0).unwrap_or(0)
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
            let predicted = argmax_ids(model.forward(input(&tokens, 1, tokens.len(), &device)));
            tokens.push(*predicted.last().expect("a position"));
        }
        tokens[prompt.len()..].to_vec()
    }

    /// Rows of different prompt lengths decoded side by side through the KV cache give each
    /// row exactly what it gets alone without a cache.
    #[test]
    fn lockstep_decoding_matches_decoding_each_prompt_alone() {
        let device = burn::prelude::Device::flex();
        let (vocab, context) = (23, 32);
        let model = Gpt::new(&ModelConfig::gpt2(2, 2, 16), vocab, context, &device);
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

    #[test]
    fn inverse_cdf_sampling_follows_the_cumulative_sums() {
        let p = [0.1f32, 0.0, 0.6, 0.3];
        assert_eq!(inverse_cdf(&p, 0.05), 0);
        assert_eq!(inverse_cdf(&p, 0.1), 2);
        assert_eq!(inverse_cdf(&p, 0.69), 2);
        assert_eq!(inverse_cdf(&p, 0.71), 3);
        assert_eq!(inverse_cdf(&p, 0.999_999), 3);
        assert_eq!(
            inverse_cdf(&[0.5, 0.5, 0.0], 1.0),
            1,
            "never a zero-probability entry"
        );
    }
}

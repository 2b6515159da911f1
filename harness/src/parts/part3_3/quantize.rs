//! Post-training weight quantization (Part 3.3 Result 8), symmetric and per channel: every
//! weight matrix is rounded to `bits`-bit integers with one scale per output channel (per token
//! row for embeddings), then dequantized; norms and biases keep full precision. The capacity
//! losses are then measured again on the quantized model.

use crate::model::Gpt;

/// Rounds `values` (row-major `[rows, cols]`) to `bits` bits, one scale per group of indices.
fn quantize_groups(values: &mut [f32], groups: impl Iterator<Item = Vec<usize>>, bits: u32) {
    let levels = ((1u32 << (bits - 1)) - 1) as f32;
    for group in groups {
        let max = group
            .iter()
            .map(|&i| values[i].abs())
            .fold(0.0f32, f32::max);
        if max == 0.0 {
            continue;
        }
        let scale = max / levels;
        for i in group {
            values[i] = (values[i] / scale).round().clamp(-levels, levels) * scale;
        }
    }
}

/// The model with every 2-D weight quantized to `bits` bits.
pub fn quantize(model: Gpt, bits: u32) -> Gpt {
    model.map_parameters(|path, shape, mut values| {
        if let [rows, cols] = *shape {
            if path.ends_with("embedding.weight") {
                quantize_groups(
                    &mut values,
                    (0..rows).map(|r| (r * cols..(r + 1) * cols).collect()),
                    bits,
                );
            } else {
                // Linear weights are [in, out]: one scale per output column.
                quantize_groups(
                    &mut values,
                    (0..cols).map(|c| (0..rows).map(|r| r * cols + c).collect()),
                    bits,
                );
            }
        }
        values
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_channel_rounding_keeps_the_extremes_and_uses_few_levels() {
        let mut values = vec![1.0, -0.5, 0.3, 0.01, 2.0, -2.0];
        // Two columns of a [3, 2] matrix: (1.0, 0.3, 2.0) and (-0.5, 0.01, -2.0).
        quantize_groups(
            &mut values,
            (0..2).map(|c| (0..3).map(|r| r * 2 + c).collect()),
            4,
        );
        assert_eq!(values[4], 2.0, "the column maximum is exact");
        assert_eq!(values[5], -2.0);
        let step = 2.0 / 7.0;
        assert!((values[0] - (1.0f32 / step).round() * step).abs() < 1e-6);
        assert_eq!(values[3], 0.0, "0.01 rounds to zero at 4 bits");
    }
}

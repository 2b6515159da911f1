//! Test helpers: deterministic inputs, tolerant comparison, central finite differences in f64.

/// `n` values in (−scale, scale) from a fixed-seed generator (SplitMix64).
pub fn sample(n: usize, seed: u64, scale: f32) -> Vec<f32> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            ((z >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
        })
        .collect()
}

/// Fails unless every `got[i]` is within `tolerance · max |want|` of `want[i]`: relative to the
/// values' own scale, so that a wrong gradient of small magnitude cannot pass.
pub fn assert_close(got: &[f32], want: &[f32], tolerance: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tolerance * scale,
            "{what}[{i}]: got {g}, want {w} (values up to {scale})"
        );
    }
}

/// d f / d x by central differences (step 1e-2 relative to f32's precision, evaluated in f32
/// and summed in f64).
pub fn finite_difference(x: &[f32], f: impl Fn(&[f32]) -> f64) -> Vec<f32> {
    let h = 1e-2f32;
    let mut probe = x.to_vec();
    (0..x.len())
        .map(|i| {
            probe[i] = x[i] + h;
            let up = f(&probe);
            probe[i] = x[i] - h;
            let down = f(&probe);
            probe[i] = x[i];
            ((up - down) / (2.0 * f64::from(h))) as f32
        })
        .collect()
}

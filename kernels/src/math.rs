//! Branch-free `exp` and `erf` that the compiler turns into SIMD loops (the standard library's
//! call into libm one value at a time).

/// e^x for f32, relative error below 2e-7 on the range where the result is a normal f32; 0 below
/// −87.3 (where e^x underflows) and capped at e^88.
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // e^x = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by its Taylor polynomial
    // to degree 7 (remainder < 1e-8 relative).
    let x = x.clamp(-87.3, 88.0);
    // Round to nearest by adding 1.5·2²³: the sum's low mantissa bits then hold n as an integer
    // (no `round()`, a libm call on baseline x86-64, and no float-to-int conversion, which
    // compiles to scalar code with saturation checks; both stop vectorisation).
    const SHIFTER: f32 = 12_582_912.0;
    let shifted = x * std::f32::consts::LOG2_E + SHIFTER;
    let n = shifted - SHIFTER;
    // ln 2 split in two so that x − n·ln 2 keeps its low bits.
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // 2ⁿ: n + 127 in the exponent field.
    let n_bits = shifted.to_bits().wrapping_sub(SHIFTER.to_bits());
    let scale = f32::from_bits(n_bits.wrapping_add(127) << 23);
    p * scale
}

/// erf(x) for f32, absolute error below 1e-6 (Abramowitz & Stegun 7.1.26, whose own error is
/// 1.5e-7, evaluated in f32 with [`exp`]; 5.4e-7 measured).
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

/// Independent partial sums per reduction: floating-point addition is not associative, so the
/// compiler keeps a plain `.sum()` as one serial chain; 16 chains (one AVX-512 register) vectorise
/// and are added in a fixed order, so the result does not depend on the instruction set.
const LANES: usize = 16;

/// Σ f(values[i]).
#[inline(always)]
pub fn sum_map(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    let mut lanes = [0.0f32; LANES];
    for chunk in chunks {
        let chunk: &[f32; LANES] = chunk.try_into().expect("exact chunk");
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v);
        }
    }
    let mut total = lanes.iter().sum::<f32>();
    for &v in rest {
        total += f(v);
    }
    total
}

/// Σ a[i]·b[i] over the shorter length.
#[inline(always)]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (a[..n].chunks_exact(LANES), b[..n].chunks_exact(LANES));
    let (rest_a, rest_b) = (a.remainder(), b.remainder());
    let mut lanes = [0.0f32; LANES];
    for (ca, cb) in a.zip(b) {
        let ca: &[f32; LANES] = ca.try_into().expect("exact chunk");
        let cb: &[f32; LANES] = cb.try_into().expect("exact chunk");
        for ((lane, &x), &y) in lanes.iter_mut().zip(ca).zip(cb) {
            *lane += x * y;
        }
    }
    let mut total = lanes.iter().sum::<f32>();
    for (&x, &y) in rest_a.iter().zip(rest_b) {
        total += x * y;
    }
    total
}

/// The largest value (−∞ for an empty slice).
#[inline(always)]
pub fn max(values: &[f32]) -> f32 {
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    let mut lanes = [f32::NEG_INFINITY; LANES];
    for chunk in chunks {
        let chunk: &[f32; LANES] = chunk.try_into().expect("exact chunk");
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = lane.max(v);
        }
    }
    lanes
        .iter()
        .chain(rest)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Replaces each value v by e^(v − shift) and returns their sum.
#[inline(always)]
pub fn exp_in_place(values: &mut [f32], shift: f32) -> f32 {
    for v in values.iter_mut() {
        *v = exp(*v - shift);
    }
    sum_map(values, |v| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reductions_match_serial_sums_in_f64() {
        for n in [0, 1, 15, 16, 17, 100, 1000] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 53 % 89) as f32 - 44.0) / 5.0)
                .collect();
            let serial = |f: &dyn Fn(usize) -> f64| (0..n).map(f).sum::<f64>();
            let close =
                |got: f32, want: f64| (f64::from(got) - want).abs() <= 1e-4 * want.abs().max(1.0);
            assert!(close(
                sum_map(&a, |v| v * v),
                serial(&|i| f64::from(a[i]).powi(2))
            ));
            assert!(close(
                dot(&a, &b),
                serial(&|i| f64::from(a[i]) * f64::from(b[i]))
            ));
            let biggest = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            assert_eq!(max(&a), biggest);
        }
    }

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0.0f64;
        for i in -87_000..88_000 {
            let x = i as f32 / 1000.0;
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 2e-7, "relative error {worst}");
        assert_eq!(exp(-1000.0), exp(-87.3));
        assert!(exp(-1000.0) < 1e-37);
    }

    #[test]
    fn erf_matches_a_series_in_f64() {
        // Maclaurin series of erf in f64 where it converges quickly, the asymptotic series of
        // erfc beyond (four terms: truncation below 1e-8 for |x| ≥ 3): an independent reference
        // (the standard library has no erf).
        fn reference(x: f64) -> f64 {
            if x.abs() < 3.0 {
                let (mut term, mut sum, mut n) = (x, x, 0.0);
                while term.abs() > 1e-17 {
                    n += 1.0;
                    term *= -x * x / n;
                    sum += term / (2.0 * n + 1.0);
                }
                sum * 2.0 / std::f64::consts::PI.sqrt()
            } else {
                let a = x.abs();
                let inv = 1.0 / (a * a);
                let series = 1.0 - 0.5 * inv + 0.75 * inv * inv - 1.875 * inv * inv * inv;
                let erfc = (-a * a).exp() / (a * std::f64::consts::PI.sqrt()) * series;
                x.signum() * (1.0 - erfc)
            }
        }
        let mut worst = 0.0f64;
        for i in -5000..5000 {
            let x = i as f32 / 1000.0;
            worst = worst.max((f64::from(erf(x)) - reference(f64::from(x))).abs());
        }
        assert!(worst < 1e-6, "absolute error {worst}");
    }
}

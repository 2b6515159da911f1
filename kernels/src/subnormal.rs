//! Flush-to-zero for subnormal floats, set per thread.
//!
//! Training makes attention peaky: softmax probabilities near e⁻⁸⁷ and their products with values
//! and gradients fall below `f32::MIN_POSITIVE`. x86 cores compute with such subnormal numbers
//! through a slow microcode path, about a hundred times slower per instruction; in Part 1's
//! absolute-position model they made the matrix products of late training three times slower
//! than the rotary model's. Flush-to-zero (results) and denormals-are-zero (inputs) replace
//! them by 0, as GPUs do by default; the change to any sum is below one unit in the last place of
//! its normal-sized terms. The setting is per thread, so every thread pool that trains sets it on
//! each of its threads (`ThreadPoolBuilder::start_handler`). It is deterministic: the same inputs
//! give the same bits.

/// Sets flush-to-zero and denormals-are-zero on the calling thread (x86-64; elsewhere nothing).
pub fn flush_subnormals_on_this_thread() {
    #[cfg(target_arch = "x86_64")]
    {
        // MXCSR bit 15 is flush-to-zero, bit 6 denormals-are-zero.
        const FLUSH_TO_ZERO_AND_DENORMALS_ARE_ZERO: u32 = (1 << 15) | (1 << 6);
        // SAFETY: setting these two MXCSR bits changes only how subnormal values round; it cannot
        // unmask an exception or change the rounding mode.
        #[allow(deprecated)]
        unsafe {
            use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
            _mm_setcsr(_mm_getcsr() | FLUSH_TO_ZERO_AND_DENORMALS_ARE_ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnormal_products_become_zero_on_this_thread_only() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        let other = std::thread::spawn(move || tiny * half).join().unwrap();
        assert!(
            other > 0.0 && other < f32::MIN_POSITIVE,
            "default keeps subnormals"
        );
        std::thread::spawn(move || {
            flush_subnormals_on_this_thread();
            let product = std::hint::black_box(tiny) * std::hint::black_box(half);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(product, 0.0);
            let normal = std::hint::black_box(tiny) * std::hint::black_box(2.0f32);
            assert_eq!(normal, 2.0 * f32::MIN_POSITIVE);
        })
        .join()
        .unwrap();
    }
}

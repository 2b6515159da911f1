//! New output vectors written once, by the kernel that computes them.
//!
//! `vec![0.0; n]` zeroes its memory before a kernel overwrites every value: for the logits of a
//! 2000-token vocabulary that is a 32 MB pass on the calling thread alone, and such passes were
//! a tenth of a training step. [`fresh`] hands the kernel the vector's uninitialised memory
//! instead.

use std::mem::MaybeUninit;

/// Uninitialised output values.
pub(crate) type Slots = [MaybeUninit<f32>];

/// A vector of `len` values set by `fill`, which receives them uninitialised.
///
/// # Safety
/// `fill` must write every one of the `len` values (a panic in `fill` is fine: nothing is read).
pub(crate) unsafe fn fresh(len: usize, fill: impl FnOnce(&mut Slots)) -> Vec<f32> {
    let mut values = Vec::with_capacity(len);
    fill(&mut values.spare_capacity_mut()[..len]);
    // SAFETY: the caller promises that `fill` wrote all `len` values.
    unsafe { values.set_len(len) };
    values
}

//! Matrix products through the `gemm` crate (the one burn's CPU backend uses), on operands given
//! as strided views, so that transposes and column slices of a wider matrix cost no copy.

use gemm::{Parallelism, gemm};

use crate::fresh::fresh;

/// An `rows × cols` matrix inside `data`: element (i, j) is `data[i·row_stride + j·col_stride]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a> {
    data: &'a [f32],
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// Row-major rows `row_stride` apart (a column slice of a wider matrix when the row stride
    /// exceeds the width).
    pub fn rows(data: &'a [f32], row_stride: usize) -> Self {
        Self {
            data,
            row_stride,
            col_stride: 1,
        }
    }

    /// The transpose of row-major rows `row_stride` apart.
    pub fn transposed(data: &'a [f32], row_stride: usize) -> Self {
        Self {
            data,
            row_stride: 1,
            col_stride: row_stride,
        }
    }

    fn check(&self, rows: usize, cols: usize, what: &str) {
        let last = (rows - 1) * self.row_stride + (cols - 1) * self.col_stride;
        assert!(
            last < self.data.len(),
            "{what}: {rows} × {cols} view past its data"
        );
    }
}

/// `dst = scale · lhs · rhs`, or `dst += …` when `accumulate`, for `lhs` of `m × k` and `rhs` of
/// `k × n`; `dst` is row-major with rows `dst_stride` apart. `parallel` lets gemm split the
/// product over rayon's threads.
#[allow(clippy::too_many_arguments)]
pub(crate) fn product(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    dst_stride: usize,
    lhs: View,
    rhs: View,
    scale: f32,
    accumulate: bool,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(
        (m - 1) * dst_stride + n <= dst.len(),
        "product: destination too short"
    );
    if k == 0 {
        if !accumulate {
            for row in 0..m {
                dst[row * dst_stride..][..n].fill(0.0);
            }
        }
        return;
    }
    // SAFETY: `dst` holds the `m × n` destination (checked above) and, borrowed mutably, cannot
    // overlap the operands.
    unsafe {
        let dst = (dst.as_mut_ptr(), dst_stride);
        product_to((m, n, k), dst, [lhs, rhs], scale, accumulate, parallel)
    };
}

/// `lhs · rhs` (`m × n`, row-major) in a new vector that the product writes directly.
pub(crate) fn new_product(
    (m, n, k): (usize, usize, usize),
    lhs: View,
    rhs: View,
    parallel: bool,
) -> Vec<f32> {
    if k == 0 {
        return vec![0.0; m * n];
    }
    // SAFETY: with `accumulate` off gemm writes every one of the `m × n` values and reads none.
    unsafe {
        fresh(m * n, |slots| {
            let dst = (slots.as_mut_ptr().cast::<f32>(), n);
            product_to((m, n, k), dst, [lhs, rhs], 1.0, false, parallel);
        })
    }
}

/// [`product`] into raw memory (`dst`: the first value and the row stride), for `k > 0`.
///
/// # Safety
/// `dst` must be valid for writes (and, when `accumulate`, reads) of the `m × n` destination,
/// and must not overlap the operands.
unsafe fn product_to(
    (m, n, k): (usize, usize, usize),
    (dst, dst_stride): (*mut f32, usize),
    [lhs, rhs]: [View; 2],
    scale: f32,
    accumulate: bool,
    parallel: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    lhs.check(m, k, "left operand");
    rhs.check(k, n, "right operand");
    let parallelism = match rayon::current_num_threads() {
        threads if parallel && threads > 1 => Parallelism::Rayon(threads),
        _ => Parallelism::None,
    };
    // SAFETY: the checks above keep every index gemm reads inside the operands' slices, and the
    // caller vouches for `dst`.
    unsafe {
        gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_stride as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            if accumulate { 1.0 } else { 0.0 },
            scale,
            false,
            false,
            false,
            parallelism,
        );
    }
}

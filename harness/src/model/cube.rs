//! `plm-kernels`' cubecl kernels as burn autodiff operations on the GPU devices (`wgpu`, `cuda`):
//! the counterpart of [`super::fused`] for cubecl. burn 0.22 runs every cubecl runtime through
//! one backend (`Cube`), so one downcast covers both devices; on any other device each function
//! returns `None` and the caller runs burn's own operations. Built only with a GPU feature.
//!
//! burn's kernel fusion (a default feature of its cubecl crates) must stay off: it would wrap the
//! tensors this module reads. The `const` below fails to compile if it is ever turned on.

use burn::backend::Cube;
use burn::prelude::*;
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_backend::DType;
use burn_backend::cubecl::dtype_to_storage_type;
use burn_cubecl::kernel::into_contiguous;
use burn_cubecl::ops::numeric::empty_device_contiguous_dtype;
use burn_cubecl::tensor::CubeTensor;
use cubecl::calculate_cube_count_elemwise;
use cubecl::prelude::{CubeCount, CubeDim};
use plm_kernels::canon_cube as kernel;

type Tracked = Autodiff<Cube, NoCheckpointing>;

/// Fails to compile if burn's fusion wraps cubecl tensors (see the module).
const _: fn(CubeTensor) -> <Cube as burn_backend::BackendTypes>::FloatTensorPrimitive = |t| t;

/// A float tensor on a cubecl device: recorded by autodiff, or plain.
enum OnCube {
    Tracked(burn_backend::tensor::FloatTensor<Tracked>),
    Plain(CubeTensor),
}

impl OnCube {
    fn of<const D: usize>(tensor: &Tensor<D>) -> Option<Self> {
        if let Ok(t) = tensor.clone().try_into_primitive::<Tracked>() {
            return Some(Self::Tracked(t));
        }
        tensor
            .clone()
            .try_into_primitive::<Cube>()
            .ok()
            .map(Self::Plain)
    }

    fn primitive(&self) -> &CubeTensor {
        match self {
            Self::Tracked(t) => t.primitive(),
            Self::Plain(t) => t,
        }
    }
}

/// Cubes and units for one unit per value of `n`.
fn grid(tensor: &CubeTensor, n: usize) -> (CubeCount, CubeDim) {
    let dim = CubeDim::new(&tensor.client, n);
    (calculate_cube_count_elemwise(&tensor.client, n, dim), dim)
}

fn empty(like: &CubeTensor, shape: impl Into<burn_backend::Shape>) -> CubeTensor {
    empty_device_contiguous_dtype(
        like.client.clone(),
        like.device.clone(),
        shape.into(),
        DType::F32,
    )
}

fn sizes(h: &CubeTensor, w: &CubeTensor) -> [usize; 4] {
    let shape = h.meta.shape();
    [shape[0], shape[1], shape[2], w.meta.shape()[0]]
}

fn canon_forward(h: CubeTensor, w: CubeTensor) -> CubeTensor {
    let (h, w) = (into_contiguous(h), into_contiguous(w));
    let [batch, time, channels, taps] = sizes(&h, &w);
    let y = empty(&h, [batch, time, channels]);
    let n = batch * time * channels;
    if n > 0 {
        let (count, dim) = grid(&h, n);
        kernel::forward::launch(
            &y.client,
            count,
            dim,
            h.into_tensor_arg(),
            w.into_tensor_arg(),
            y.clone().into_tensor_arg(),
            time,
            channels,
            taps,
            dtype_to_storage_type(DType::F32),
        );
    }
    y
}

fn canon_backward(h: CubeTensor, w: CubeTensor, dy: CubeTensor) -> (CubeTensor, CubeTensor) {
    let (h, w, dy) = (into_contiguous(h), into_contiguous(w), into_contiguous(dy));
    let [batch, time, channels, taps] = sizes(&h, &w);
    let f32_type = dtype_to_storage_type(DType::F32);
    let client = h.client.clone();
    let dh = empty(&h, [batch, time, channels]);
    let rows = batch * time;
    let groups = rows.div_ceil(kernel::ROWS_PER_GROUP).max(1);
    let partial = empty(&h, [groups, taps, channels]);
    let dw = empty(&h, [taps, channels]);
    if rows * channels > 0 {
        let (count, dim) = grid(&h, rows * channels);
        kernel::input_gradient::launch(
            &client,
            count,
            dim,
            dy.clone().into_tensor_arg(),
            w.into_tensor_arg(),
            dh.clone().into_tensor_arg(),
            time,
            channels,
            taps,
            f32_type,
        );
    }
    let (count, dim) = grid(&h, groups * taps * channels);
    kernel::weight_gradient_partial::launch(
        &client,
        count,
        dim,
        dy.into_tensor_arg(),
        h.into_tensor_arg(),
        partial.clone().into_tensor_arg(),
        rows,
        time.max(1),
        channels,
        taps,
        f32_type,
    );
    let (count, dim) = grid(&dw, taps * channels);
    kernel::weight_gradient_sum::launch(
        &client,
        count,
        dim,
        partial.into_tensor_arg(),
        dw.clone().into_tensor_arg(),
        groups,
        f32_type,
    );
    (dh, dw)
}

#[derive(Debug)]
struct CanonOp;

impl Backward<Cube, 2> for CanonOp {
    /// The input and the weights.
    type State = (CubeTensor, CubeTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let dy = grads.consume::<Cube>(&ops.node);
        let (h, w) = ops.state.clone();
        let (dh, dw) = canon_backward(h, w, dy);
        for (parent, gradient) in ops.parents.iter().zip([dh, dw]) {
            if let Some(parent) = parent {
                grads.register::<Cube>(parent.id, gradient);
            }
        }
    }
}

/// `x + causal_conv(x, w)` (`model::canon`) on a cubecl device, in f32.
pub fn canon(x: &Tensor<3>, weight: &Tensor<2>) -> Option<Tensor<3>> {
    let (x_in, w_in) = (OnCube::of(x)?, OnCube::of(weight)?);
    let (h, w) = (x_in.primitive(), w_in.primitive());
    if h.dtype != DType::F32 || w.dtype != DType::F32 {
        return None;
    }
    let nodes = match (&x_in, &w_in) {
        (OnCube::Plain(_), OnCube::Plain(_)) => {
            return Some(Tensor::from_primitive::<Cube>(canon_forward(
                h.clone(),
                w.clone(),
            )));
        }
        (OnCube::Tracked(x), OnCube::Tracked(w)) => [x.node(), w.node()],
        // One side recorded and the other not: burn's operations handle that case.
        _ => return None,
    };
    let y = canon_forward(h.clone(), w.clone());
    let state = (h.clone(), w.clone());
    let tracked = match CanonOp
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(state, y),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    Some(Tensor::from_primitive::<Tracked>(tracked))
}

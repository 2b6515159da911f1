//! plm's fused kernels (`plm-kernels`, wired in by `plm::model::fused`) against burn's own
//! operations, through the whole model: the same weights and batch give the same loss, the same
//! logits and the same gradient for every parameter, for each architecture the suites use.
//!
//! One test function on purpose: the fused operations are switched off process-wide for the
//! reference pass, which must not race another test.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use plm::model::{Gpt, fused};
use plm::spec::{CanonSites, Mlp, ModelConfig, Norm, Position};

const VOCAB: usize = 11;
/// Longer than the attention kernel's query block (64), so that blocks are exercised.
const CONTEXT: usize = 70;
const BATCH: usize = 3;

fn configs() -> Vec<(&'static str, ModelConfig)> {
    let mut gpt2 = ModelConfig::gpt2(2, 2, 16);
    gpt2.rotary_fraction = 0.5;
    let mut llama = ModelConfig::gpt2(2, 2, 16);
    (llama.norm, llama.mlp, llama.tie_embeddings) = (Norm::RmsNorm, Mlp::GatedSilu, true);
    let mut absolute = ModelConfig::gpt2(1, 4, 32);
    absolute.position = Position::Absolute;
    // Part 4.1's Canon layers at all four sites, with the gated MLP and no positions.
    let mut canon = ModelConfig::gpt2(2, 2, 16);
    (canon.canon, canon.mlp, canon.position) =
        (CanonSites("ABCD".into()), Mlp::GatedSilu, Position::Nope);
    let mut attention_only = ModelConfig::gpt2(1, 1, 8);
    (attention_only.mlp, attention_only.rotary_fraction) = (Mlp::None, 1.0);
    vec![
        ("gpt2 rotary 1/2", gpt2),
        ("llama tied", llama),
        ("absolute positions", absolute),
        ("canon ABCD, NoPE, gated MLP", canon),
        ("no MLP, full rotary", attention_only),
    ]
}

fn ids(values: impl Fn(usize) -> usize, device: &Device) -> Tensor<2, Int> {
    let data: Vec<i64> = (0..BATCH * CONTEXT).map(|i| values(i) as i64).collect();
    Tensor::from_data(TensorData::new(data, [BATCH, CONTEXT]), device)
}

fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap()
}

/// Loss, logits (without autodiff) and every parameter's gradient, in module order.
fn run(model: &Gpt, device: &Device) -> (f32, Vec<f32>, Vec<Vec<f32>>) {
    let tokens = ids(|i| (i * 7 + i / 5) % VOCAB, device);
    let targets = ids(|i| (i * 3 + 1) % VOCAB, device);
    let mask: Vec<f32> = (0..BATCH * CONTEXT)
        .map(|i| if i % 4 == 0 { 0.0 } else { 1.0 })
        .collect();
    let mask = Tensor::from_data(TensorData::new(mask, [BATCH, CONTEXT]), device);
    let loss = model.masked_loss(tokens.clone(), targets, mask);
    let grads = GradientsParams::from_grads(loss.backward(), model);
    struct Collect<'a>(&'a GradientsParams, Vec<Vec<f32>>);
    impl ModuleVisitor for Collect<'_> {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let grad = self
                .0
                .get::<D>(param.id)
                .expect("every parameter has a gradient");
            self.1.push(read(grad));
        }
    }
    let mut collect = Collect(&grads, Vec::new());
    model.visit(&mut collect);
    let logits = read(model.clone().valid().forward(tokens.inner()));
    (read(loss)[0], logits, collect.1)
}

fn assert_close(what: &str, fused: &[f32], reference: &[f32]) {
    let scale = reference
        .iter()
        .fold(0.0f32, |m, v| m.max(v.abs()))
        .max(1e-3);
    let worst = fused
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1e-4 * scale,
        "{what}: largest difference {worst} (values up to {scale})"
    );
}

#[test]
fn fused_kernels_match_burns_operations_in_values_and_gradients() {
    let device = Device::flex().autodiff();
    for (name, config) in configs() {
        device.seed(5);
        let model = Gpt::new(&config, VOCAB, CONTEXT, &device);
        fused::set_enabled(true);
        let (loss, logits, grads) = run(&model, &device);
        fused::set_enabled(false);
        let (reference_loss, reference_logits, reference_grads) = run(&model, &device);
        fused::set_enabled(true);
        assert_close(&format!("{name}: loss"), &[loss], &[reference_loss]);
        assert_close(&format!("{name}: logits"), &logits, &reference_logits);
        assert_eq!(grads.len(), reference_grads.len());
        for (i, (g, r)) in grads.iter().zip(&reference_grads).enumerate() {
            assert_close(&format!("{name}: gradient of parameter {i}"), g, r);
        }
    }
}

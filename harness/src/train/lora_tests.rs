//! LoRA adapters trained by the trainer's own step, checked against their merge.

use burn::module::{Module, ModuleVisitor, Param};
use burn::prelude::*;

use super::packing::Batch;
use super::trainer::{optimizer, train_step};
use crate::model::Gpt;
use crate::model::lora::{attach, merge};
use crate::spec::{LoraSpec, ModelConfig};

/// Every parameter's values by module path.
fn weights(model: &Gpt) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let values = param.val().into_data().convert::<f32>().try_to_vec::<f32>();
            self.0.push(values.unwrap());
        }
    }
    let mut collect = Collect(Vec::new());
    model.visit(&mut collect);
    collect.0
}

fn logits(model: &Gpt, tokens: &[i64]) -> Vec<f32> {
    let input = Tensor::<2, Int>::from_data(
        TensorData::new(tokens.to_vec(), [1, tokens.len()]),
        &model.device(),
    );
    let out = model.forward(input).into_data().convert::<f32>();
    out.try_to_vec::<f32>().unwrap()
}

/// After a few training steps the adapted model and its merge give the same logits (and
/// not the pretrained model's), and merging changed only the adapted weights: the attention's
/// q/k/v matrices and the embedding.
#[test]
fn merged_adapters_give_the_adapted_outputs() {
    let device = Device::flex().autodiff();
    device.seed(3);
    let config = ModelConfig::gpt2(2, 2, 16);
    let base = Gpt::new(&config, 11, 16, &device);
    let tokens = [0i64, 4, 7, 2, 9, 3, 5, 1];
    let _ = logits(&base, &tokens);
    let spec = LoraSpec {
        rank: 2,
        embedding_rank: 4,
        alpha: 4.0,
    };
    let mut model = attach(base.clone(), &spec);
    assert_eq!(
        logits(&model, &tokens),
        logits(&base, &tokens),
        "B starts at 0"
    );
    let recipe: crate::spec::Recipe =
        toml::from_str("exposures = 1\nbatch = 1\ncontext = 8\nlr = 1e-2").unwrap();
    let mut optim = optimizer(&recipe);
    let batch = Batch {
        batch: 1,
        context: 8,
        inputs: tokens.iter().map(|&t| t as u32).collect(),
        targets: tokens.iter().map(|&t| (t as u32 + 1) % 11).collect(),
        mask: vec![1.0; 8],
    };
    for _ in 0..5 {
        model = train_step(model, &mut optim, &batch, 1.0, 1e-2).0;
    }
    let merged = merge(model.clone());
    let (adapted, plain) = (logits(&model, &tokens), logits(&merged, &tokens));
    let worst = adapted
        .iter()
        .zip(&plain)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "adapted vs merged logits differ by {worst}");
    let moved = adapted
        .iter()
        .zip(logits(&base, &tokens))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(moved > 1e-3, "the adapters changed the outputs ({moved})");

    let (before, after) = (weights(&base), weights(&merged));
    assert_eq!(before.len(), after.len(), "the merge is a plain model");
    let mut paths = Vec::new();
    base.clone().map_parameters(|path, _, values| {
        paths.push(path.to_owned());
        values
    });
    for ((path, b), a) in paths.iter().zip(&before).zip(&after) {
        let adapted = path.ends_with(".qkv.weight") || path == "token_embedding.weight";
        assert_eq!(b != a, adapted, "{path}");
    }
}

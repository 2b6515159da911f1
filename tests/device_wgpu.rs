//! The GPU code path: the same model and trainer on burn's `wgpu` device (cubecl kernels; in CI
//! over Mesa's software Vulkan driver lavapipe) must train like `flex`. Built only with
//! `--features wgpu`; `.ci/run` installs lavapipe and runs it after the README's test command.
#![cfg(feature = "wgpu")]

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use plm::data;
use plm::model::Gpt;
use plm::spec::TrainSpec;
use plm::train::DeviceChoice;
use plm::train::packing::Packer;
use plm::train::trainer::{optimizer, train_step, weights_sha256};

#[test]
fn a_few_steps_on_wgpu_match_flex() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/train_bios_small.toml"
    );
    let spec: TrainSpec = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let recipe = &spec.recipe;
    let source = data::build(&spec.dataset, spec.seed);
    let vocab = source.vocab().len();

    // Same initial weights on both devices: initialise on flex, copy the record to wgpu.
    let flex = DeviceChoice::Flex.device().unwrap().autodiff();
    flex.seed(spec.seed);
    let mut on_flex = Gpt::new(&spec.model, vocab, recipe.context, &flex);
    let record = on_flex.clone().into_record().into_bytes().unwrap();
    let gpu = DeviceChoice::Wgpu.device().unwrap().autodiff();
    let mut on_gpu = Gpt::new(&spec.model, vocab, recipe.context, &gpu)
        .load_record(ModuleRecord::from_bytes(record).unwrap());
    assert_eq!(
        weights_sha256(&on_flex),
        weights_sha256(&on_gpu),
        "identical start"
    );

    let (mut optim_flex, mut optim_gpu) = (optimizer(recipe), optimizer(recipe));
    let mut packer = Packer::new(
        source.as_ref(),
        recipe.context,
        recipe.loss_mask,
        recipe.packing,
        spec.seed,
        recipe.exposures,
    );
    for step in 0..5 {
        let batch = packer.next_batch(recipe.batch).unwrap().unwrap();
        let lr = recipe.learning_rate(step, 100);
        let (model, loss_flex) = train_step(on_flex, &mut optim_flex, &batch, recipe.grad_clip, lr);
        on_flex = model;
        let (model, loss_gpu) = train_step(on_gpu, &mut optim_gpu, &batch, recipe.grad_clip, lr);
        on_gpu = model;
        let (a, b) = (
            loss_flex.into_scalar::<f32>(),
            loss_gpu.into_scalar::<f32>(),
        );
        println!("step {step}: flex {a:.6} wgpu {b:.6}");
        assert!(
            (a - b).abs() < 1e-3 * a.abs().max(1.0),
            "step {step}: flex loss {a}, wgpu loss {b}"
        );
    }
}

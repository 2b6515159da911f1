//! The GPU code path: the same model and trainer on burn's `wgpu` device (cubecl kernels; in CI
//! over Mesa's software Vulkan driver lavapipe) must train like `flex`, and plm's own cubecl
//! kernel (the Canon layer) must compute what burn's operations compute. The package
//! `tests/device` builds this test with plm's `wgpu` feature as part of `cargo test --workspace`.
//! A machine without a Vulkan driver has no wgpu adapter: the tests then say so and pass, unless
//! `PLM_REQUIRE_WGPU` is set, as `.ci/run` sets it after installing lavapipe.

use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use plm::data;
use plm::model::Gpt;
use plm::spec::TrainSpec;
use plm::train::DeviceChoice;
use plm::train::packing::Packer;
use plm::train::trainer::{optimizer, train_step, weights_sha256};

/// Whether wgpu finds an adapter here (cubecl panics when it finds none).
fn wgpu_adapter() -> bool {
    let probe = std::panic::catch_unwind(|| {
        let device = DeviceChoice::Wgpu.device().unwrap();
        Tensor::<1>::zeros([1], &device).into_data()
    });
    match probe {
        Ok(_) => true,
        Err(_) if std::env::var_os("PLM_REQUIRE_WGPU").is_some() => {
            panic!(
                "PLM_REQUIRE_WGPU is set but wgpu finds no adapter (install mesa-vulkan-drivers)"
            )
        }
        Err(_) => {
            eprintln!(
                "skipped: wgpu finds no adapter on this machine (mesa-vulkan-drivers provides one)"
            );
            false
        }
    }
}

#[test]
fn a_few_steps_on_wgpu_match_flex() {
    if !wgpu_adapter() {
        return;
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/train_bios_small.toml"
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

/// Values `[n]` spread over about ±scale, the same on every run.
fn spread(n: usize, seed: usize, scale: f32) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.0 - 1.0) * scale)
        .collect()
}

/// The Canon layer's value and both gradients on `device`, by `op`.
fn canon_run(
    device: &Device,
    [batch, time, channels, kernel]: [usize; 4],
    op: impl Fn(Tensor<3>, Tensor<2>) -> Tensor<3>,
) -> [Vec<f32>; 3] {
    let h = Tensor::<3>::from_data(
        TensorData::new(
            spread(batch * time * channels, 1, 1.0),
            [batch, time, channels],
        ),
        device,
    )
    .require_grad();
    let w = Tensor::<2>::from_data(
        TensorData::new(spread(kernel * channels, 2, 0.5), [kernel, channels]),
        device,
    )
    .require_grad();
    let r = Tensor::<3>::from_data(
        TensorData::new(
            spread(batch * time * channels, 3, 1.0),
            [batch, time, channels],
        ),
        device,
    );
    let y = op(h.clone(), w.clone());
    let grads = (y.clone() * r).sum().backward();
    let read = |t: Tensor<3>| t.into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
    let dh = read(h.grad(&grads).unwrap());
    let dw = w
        .grad(&grads)
        .unwrap()
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap();
    [read(y), dh, dw]
}

/// plm's cubecl Canon kernel (forward and both gradients) on wgpu against the same operation
/// composed from burn's primitives on flex, for every kernel size and a window shorter than the
/// kernel.
#[test]
fn the_canon_kernel_on_wgpu_matches_burns_operations_on_flex() {
    if !wgpu_adapter() {
        return;
    }
    let gpu = DeviceChoice::Wgpu.device().unwrap().autodiff();
    let flex = DeviceChoice::Flex.device().unwrap().autodiff();
    for shape in [[2, 37, 48, 4], [3, 9, 5, 3], [2, 40, 7, 2], [2, 2, 6, 4]] {
        let got = canon_run(&gpu, shape, |h, w| {
            plm::model::cube::canon(&h, &w).expect("the cubecl kernel runs on wgpu")
        });
        let want = canon_run(&flex, shape, plm::model::canon::composed);
        for (name, got, want) in [
            ("y", &got[0], &want[0]),
            ("dh", &got[1], &want[1]),
            ("dw", &got[2], &want[2]),
        ] {
            let scale = want.iter().fold(1.0f32, |m, v| m.max(v.abs()));
            let worst = got
                .iter()
                .zip(want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(
                worst <= 1e-5 * scale,
                "{shape:?} {name}: largest difference {worst}"
            );
        }
    }
    // Evaluation (no autodiff) takes the kernel too.
    let plain = DeviceChoice::Wgpu.device().unwrap();
    let h = Tensor::<3>::from_data(TensorData::new(spread(24, 4, 1.0), [1, 4, 6]), &plain);
    let w = Tensor::<2>::from_data(TensorData::new(spread(24, 5, 0.5), [4, 6]), &plain);
    let y = plm::model::cube::canon(&h, &w).expect("plain tensors take the kernel");
    let reference = plm::model::canon::composed(h, w);
    let worst = (y - reference).abs().max().into_scalar::<f32>();
    assert!(worst < 1e-5, "evaluation: largest difference {worst}");
}

//! The GPT2 forward pass against an independent reference: `tests/fixtures/tiny_gpt2.py`
//! (pure Python, written from the model's definition) stores fixed weights, token ids and the
//! logits it computes; our burn model loaded with the same weights must agree within 1e-4.

use burn::prelude::*;
use plm::model::Gpt;
use plm::spec::ModelConfig;
use serde_json::Value;

fn floats(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn tiny_gpt2_logits_match_the_python_reference() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/tiny_gpt2.json"
    );
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let c = &fixture["config"];
    let get = |k: &str| c[k].as_u64().unwrap() as usize;
    let (vocab, d, heads, layers, context) = (
        get("vocab"),
        get("d_model"),
        get("heads"),
        get("layers"),
        get("context"),
    );
    let mut config = ModelConfig::gpt2(layers, heads, d);
    config.rotary_fraction = get("rotary_dims") as f64 / (d / heads) as f64;
    assert_eq!(config.rotary_dims(), get("rotary_dims"));

    let params = &fixture["params"];
    let device = Device::flex();
    let model = Gpt::new(&config, vocab, context, &device).map_parameters(|path, shape, _| {
        let parts: Vec<&str> = path.split('.').collect();
        let layer = |i: &str| &params["layers"][i.parse::<usize>().unwrap()];
        let value = match parts.as_slice() {
            ["token_embedding", "weight"] => &params["wte"],
            ["final_norm", _, "gamma"] => &params["lnf_gamma"],
            ["final_norm", _, "beta"] => &params["lnf_beta"],
            ["output", "weight"] => &params["head_weight"],
            ["blocks", i, "attention_norm", _, "gamma"] => &layer(i)["ln1_gamma"],
            ["blocks", i, "attention_norm", _, "beta"] => &layer(i)["ln1_beta"],
            ["blocks", i, "mlp_norm", _, "gamma"] => &layer(i)["ln2_gamma"],
            ["blocks", i, "mlp_norm", _, "beta"] => &layer(i)["ln2_beta"],
            ["blocks", i, "qkv", w] => &layer(i)[format!("qkv_{w}")],
            ["blocks", i, "projection", w] => &layer(i)[format!("proj_{w}")],
            ["blocks", i, "mlp", "up", w] => &layer(i)[format!("fc_{w}")],
            ["blocks", i, "mlp", "down", w] => &layer(i)[format!("out_{w}")],
            _ => panic!("no reference weights for parameter `{path}`"),
        };
        let values = floats(value);
        assert_eq!(
            values.len(),
            shape.iter().product::<usize>(),
            "shape of {path}"
        );
        values
    });

    let tokens: Vec<i64> = floats(&fixture["tokens"])
        .into_iter()
        .map(|t| t as i64)
        .collect();
    let batch = tokens.len() / context;
    let ids = Tensor::<2, Int>::from_data(TensorData::new(tokens, [batch, context]), &device);
    let logits = model.forward(ids).into_data().try_to_vec::<f32>().unwrap();
    let expected = floats(&fixture["logits"]);
    assert_eq!(logits.len(), expected.len());
    let worst = logits
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "max |logit difference| = {worst}");
}

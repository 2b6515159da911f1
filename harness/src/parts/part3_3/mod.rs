//! Part 3.3, "Knowledge Capacity Scaling Laws" (Allen-Zhu & Li, arXiv:2404.05405): how many bits
//! of knowledge a model stores per parameter. Measures bits stored on bioS/bioD ([`capacity`]),
//! again after int8/int4 quantization ([`quantize`]); estimators in [`claims`].

mod capacity;
mod claims;
mod quantize;

use anyhow::{Result, bail};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::{Estimate, Measured, Part};
use crate::data::{self, names::name_space, pools};
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{Claim, DatasetSpec, Invalid, Suite};
use crate::train::Trained;
use capacity::{Knowledge, Losses, ValueSpans};

pub struct Part33;

/// Capacity measurements of one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Capacity {
    /// N, N0, K, C, D, L, T (bioD) or N, N0, S0 (bioS).
    pub knowledge: Knowledge,
    pub losses: Losses,
    pub bits: f64,
    pub max_bits: f64,
    /// P: trainable parameters without embedding rows of unused tokens.
    pub parameters: u64,
    /// R = bits / P.
    pub ratio: f64,
    /// R^max = max bits / P.
    pub max_ratio: f64,
}

impl Capacity {
    /// R / R^max: the share of the data's knowledge the model stored.
    pub fn stored_fraction(&self) -> f64 {
        self.bits / self.max_bits
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Quantized {
    pub bits_per_weight: u32,
    pub losses: Losses,
    pub bits: f64,
}

/// What a Part 3.3 run measured: bits stored in full precision and quantized.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    pub capacity: Capacity,
    pub quantized: Vec<Quantized>,
}

impl Measurements {
    /// Bits kept after quantizing to `bits_per_weight`, as a share of full precision's.
    pub fn bits_kept(&self, bits_per_weight: u32) -> Option<f64> {
        self.quantized
            .iter()
            .find(|q| q.bits_per_weight == bits_per_weight)
            .map(|q| q.bits / self.capacity.bits)
    }
}

/// A manifest's Part 3.3 measurements.
fn measured(manifest: &Manifest) -> Option<Measurements> {
    super::measurements(manifest)
}

/// The knowledge sizes of a dataset for the capacity formula, and which spans p2/p3 read.
fn knowledge(dataset: &DatasetSpec) -> Result<(Knowledge, ValueSpans), String> {
    match dataset {
        DatasetSpec::Bios(s) => {
            let p = pools::pools();
            let knowledge = Knowledge::Bios {
                n: s.people as f64,
                n0: name_space(p.name_pool_sizes()),
                s0: p.attribute_space(),
            };
            Ok((knowledge, capacity::bios_spans()))
        }
        DatasetSpec::Biod(s) => {
            let f = f64::from;
            let knowledge = Knowledge::Biod {
                n: s.people as f64,
                n0: name_space(s.name_pools),
                k: f(s.attributes),
                c: f(s.chunks),
                d: f(s.diversity),
                l: f(s.length),
                t: f(s.alphabet),
            };
            Ok((knowledge, capacity::biod_spans(s.length as usize)))
        }
        other => Err(format!(
            "dataset `{}`: Part 3.3 measures capacity on biographies (bios, biod) only",
            other.name()
        )),
    }
}

impl Part for Part33 {
    fn name(&self) -> &'static str {
        "part3.3"
    }

    fn code_epoch(&self) -> u32 {
        1
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        super::check_claims::<claims::Estimator>(suite)?;
        super::check_trained_datasets(suite, |d| knowledge(d).map(|_| ()))
    }

    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured> {
        let (knowledge, spans) = match knowledge(&run.spec.dataset) {
            Ok(found) => found,
            Err(message) => bail!(message),
        };
        let source = data::build(&run.spec.dataset, run.spec.seed);
        let context = run.spec.recipe.context;
        let batch = run.spec.recipe.batch.max(8);
        let precisions = [None, Some(8), Some(4)];
        progress.set_length(precisions.len() as u64 * source.docs_per_entry());
        let mut losses = precisions.iter().map(|&bits| {
            let model = match bits {
                None => trained.model.clone(),
                Some(bits) => quantize::quantize(trained.model.clone(), bits),
            };
            capacity::measure(&model, source.as_ref(), &spans, context, batch, progress)
        });
        let full = losses.next().expect("full precision");
        let parameters = trained.report.parameters;
        let bits = knowledge.bits(&full);
        let capacity = Capacity {
            knowledge,
            losses: full,
            bits,
            max_bits: knowledge.max_bits(),
            parameters,
            ratio: bits / parameters as f64,
            max_ratio: knowledge.max_bits() / parameters as f64,
        };
        let quantized = [8, 4]
            .into_iter()
            .zip(losses)
            .map(|(bits_per_weight, losses)| Quantized {
                bits_per_weight,
                losses,
                bits: knowledge.bits(&losses),
            })
            .collect();
        Ok(Measured {
            measurements: serde_json::to_value(Measurements {
                capacity,
                quantized,
            })?,
            timings: Default::default(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        match measured(manifest) {
            Some(Measurements { capacity: c, .. }) => format!(
                "P {} bits {:.0} R {:.3} (R^max {:.3})",
                c.parameters, c.bits, c.ratio, c.max_ratio
            ),
            None => "no capacity measurements".into(),
        }
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "N",
            "bits",
            "R",
            "R<sup>max</sup>",
            "stored",
            "int8 kept",
            "int4 kept",
        ]
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        let Some(m) = measured(manifest) else {
            return vec!["—".into(); self.columns().len()];
        };
        let c = &m.capacity;
        let number = |v: f64, digits: usize| format!("{v:.digits$}");
        let optional = |v: Option<f64>| v.map_or("—".into(), |v| number(v, 3));
        let people = match c.knowledge {
            Knowledge::Bios { n, .. } | Knowledge::Biod { n, .. } => n,
        };
        vec![
            number(people, 0),
            number(c.bits, 0),
            number(c.ratio, 3),
            number(c.max_ratio, 3),
            number(c.stored_fraction(), 3),
            optional(m.bits_kept(8)),
            optional(m.bits_kept(4)),
        ]
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        let runs: Vec<(&Manifest, Capacity)> = manifests
            .iter()
            .filter_map(|m| measured(m).map(|c| (m, c.capacity)))
            .collect();
        let mut exposures: Vec<u32> = runs.iter().map(|(m, _)| m.exposures).collect();
        exposures.sort();
        exposures.dedup();
        let mut models: Vec<&str> = runs.iter().map(|(m, _)| m.model_name.as_str()).collect();
        models.sort();
        models.dedup();
        let bits_vs_parameters = Figure {
            name: "bits-vs-parameters".into(),
            title: "Bits of knowledge stored vs parameters (bits ≤ 0 not drawn)".into(),
            x_label: "parameters P (used embedding rows only)".into(),
            y_label: "bits stored".into(),
            points: exposures
                .iter()
                .map(|&e| {
                    let points = runs
                        .iter()
                        .filter(|(m, _)| m.exposures == e)
                        .map(|(_, c)| (c.parameters as f64, c.bits))
                        .collect();
                    (format!("{e} exposures"), points)
                })
                .collect(),
            lines: vec![("2 bits / parameter".into(), |p| 2.0 * p)],
        };
        let ratio_vs_exposures = Figure {
            name: "ratio-vs-exposures".into(),
            title: "Capacity ratio R = bits / P vs exposures (R ≤ 0 not drawn)".into(),
            x_label: "exposures".into(),
            y_label: "R (bits per parameter)".into(),
            points: models
                .into_iter()
                .map(|model| {
                    let points = runs
                        .iter()
                        .filter(|(m, _)| m.model_name == model)
                        .map(|(m, c)| (f64::from(m.exposures), c.ratio))
                        .collect();
                    (model.to_owned(), points)
                })
                .collect(),
            lines: vec![("R = 2".into(), |_| 2.0)],
        };
        vec![bits_vs_parameters, ratio_vs_exposures]
    }

    fn method(&self) -> &'static str {
        "R = bits / P with P counting only embedding rows of tokens that occur in the data \
         (Part 3.3, arXiv:2404.05405, App. A); bits from the exact formula of its §3–4 \
         (Definitions 3.1, 4.1). Quantized rows: weights rounded per output channel to 8 or 4 \
         bits, then measured again (its Result 8 uses GPTQ)."
    }

    fn estimators_schema(&self) -> schemars::Schema {
        schemars::schema_for!(claims::Estimator)
    }

    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate {
        match super::estimator::<claims::Estimator>(claim) {
            Ok(estimator) => claims::estimate(&estimator, runs),
            Err(e) => Estimate::none(format!("unusable claim: {e}")),
        }
    }
}

//! Part 3.3, "Knowledge Capacity Scaling Laws" (Allen-Zhu & Li, arXiv:2404.05405): how many bits
//! of knowledge a model stores per parameter. Measures bits stored on bioS/bioD ([`capacity`]),
//! again after int8/int4 quantization ([`quantize`]); estimators in [`claims`].

mod capacity;
mod claims;
mod figures;
mod law;
mod quantize;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::{Estimate, Measured, Measuring, Part};
use crate::data::biod::BiodSpec;
use crate::data::bios::BiosSpec;
use crate::data::{self, Generator, names::name_space, pools};
use crate::figure::Figure;
use crate::run::Manifest;
use crate::spec::Dataset;
use capacity::{BitTerms, Knowledge, Losses, ValueSpans};

pub struct Part33;

/// Capacity measurements of one model.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Capacity {
    /// N, N0, K, C, D, L, T (bioD) or N, N0, S0 (bioS).
    pub knowledge: Knowledge,
    pub losses: Losses,
    /// The bits stored, as the sum of its name, value and diversity terms.
    pub terms: BitTerms,
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
    /// Bits stored after quantizing the weights to `bits_per_weight` bits.
    pub fn quantized_bits(&self, bits_per_weight: u32) -> Option<f64> {
        self.quantized
            .iter()
            .find(|q| q.bits_per_weight == bits_per_weight)
            .map(|q| q.bits)
    }
}

/// Bits as a table cell: a negative total is a vacuous lower bound, not a measurement.
fn bits_cell(bits: f64) -> String {
    if bits < 0.0 {
        "< 0 (vacuous)".into()
    } else {
        format!("{bits:.0}")
    }
}

/// The knowledge sizes of a dataset for the capacity formula, and which spans p2/p3 read.
fn knowledge(dataset: &Dataset) -> Result<(Knowledge, ValueSpans), String> {
    if let Some(s) = BiosSpec::of(dataset) {
        let p = pools::pools();
        let knowledge = Knowledge::Bios {
            n: s.people as f64,
            n0: name_space(p.name_pool_sizes()),
            s0: p.attribute_space(),
        };
        Ok((knowledge, capacity::bios_spans()))
    } else if let Some(s) = BiodSpec::of(dataset) {
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
    } else {
        Err(format!(
            "dataset `{}` comes from `{}`; Part 3.3 measures capacity on bios and biod only",
            dataset.name, dataset.generator
        ))
    }
}

impl Part for Part33 {
    type Metrics = Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = super::NoSettings;

    const NAME: &'static str = "part3.3";

    /// 4: the fused CPU kernels (plm-kernels) round differently from burn's operations.
    const CODE_EPOCH: u32 = 5;
    const GENERATORS: &'static [&'static str] = &[BiosSpec::NAME, BiodSpec::NAME];

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        let (trained, progress, context) = (input.trained, input.progress, input.context());
        let (knowledge, spans) = match knowledge(input.dataset()) {
            Ok(found) => found,
            Err(message) => bail!(message),
        };
        let source = data::build(input.dataset(), input.seed());
        let batch = input.run.spec.recipe.batch.max(8);
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
        let terms = knowledge.terms(&full);
        let bits = terms.total();
        let capacity = Capacity {
            knowledge,
            losses: full,
            terms,
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
        Ok(Measured::untimed(Measurements {
            capacity,
            quantized,
        }))
    }

    fn brief(&self, _manifest: &Manifest, m: &Self::Metrics) -> String {
        let c = &m.capacity;
        format!(
            "P {} bits {} R {:.3} (R^max {:.3})",
            c.parameters,
            bits_cell(c.bits),
            c.ratio,
            c.max_ratio
        )
    }

    const COLUMNS: &'static [&'static str] = &[
        "N",
        "name bits",
        "value bits",
        "diversity bits",
        "bits",
        "R",
        "R<sup>max</sup>",
        "stored",
        "int8 R",
        "int4 R",
    ];

    fn cells(&self, _manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        let c = &m.capacity;
        // `+ 0.0` turns a rounded −0 into 0.
        let number = |v: f64, digits: usize| {
            let scale = 10f64.powi(digits as i32);
            format!("{:.digits$}", (v * scale).round() / scale + 0.0)
        };
        let ratio = |bits: f64| {
            if bits < 0.0 {
                "< 0 (vacuous)".into()
            } else {
                number(bits / c.parameters as f64, 3)
            }
        };
        vec![
            number(c.knowledge.people(), 0),
            number(c.terms.name, 0),
            number(c.terms.value, 0),
            number(c.terms.diversity, 0),
            bits_cell(c.bits),
            ratio(c.bits),
            number(c.max_ratio, 3),
            if c.bits < 0.0 {
                "< 0 (vacuous)".into()
            } else {
                number(c.stored_fraction(), 3)
            },
            m.quantized_bits(8).map_or("—".into(), ratio),
            m.quantized_bits(4).map_or("—".into(), ratio),
        ]
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        figures::figures(manifests)
    }

    const METHOD: &'static str = "R = bits / P with P counting only embedding rows of tokens that occur in the data \
         (Part 3.3, arXiv:2404.05405, App. A); bits from the exact formula of its §3–4 \
         (Definitions 3.1, 4.1), split into its name, value and diversity terms (its Fig. 13). \
         Bits are a lower bound on the knowledge stored: a negative total says nothing and is \
         shown as vacuous. The law bits = min(B_max(N), α·P) is fitted by least squares on log \
         bits over each model at its best recipe, with a bootstrap interval over runs. \
         Quantized columns: weights rounded per output channel to 8 or 4 bits, then measured \
         again (its Result 8 uses GPTQ).";

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

#[cfg(test)]
mod tests {
    use crate::data;
    use crate::data::Generator;
    use crate::data::biod::BiodSpec;
    use crate::spec::{Scale, Suite};
    use crate::train::packing::schedule;

    /// The bioD sweeps of the smoke and cpu scales train one person per window (context =
    /// document + 1), which is what their suite comments promise and what the capacity
    /// measurement reads: one round of N people is N windows.
    #[test]
    fn biod_sweeps_put_one_person_in_each_window() {
        let suite: Suite = toml::from_str(include_str!("../../../../suites/part3.3/v5.toml"))
            .expect("suite parses");
        for scale in [Scale::Smoke, Scale::Cpu] {
            let spec = suite.scales.get(scale);
            for sweep in &spec.sweeps {
                let dataset = spec
                    .datasets
                    .iter()
                    .find(|d| d.name() == sweep.dataset)
                    .unwrap();
                let Some(biod) = BiodSpec::of(dataset) else {
                    continue;
                };
                let source = data::build(dataset, suite.seed);
                for recipe in &sweep.recipes {
                    let recipe = &spec.recipes[recipe];
                    let plan = schedule(
                        source.as_ref(),
                        recipe.context,
                        recipe.batch,
                        recipe.packing,
                        1,
                        1,
                    )
                    .unwrap();
                    assert_eq!(plan.windows, biod.people as u64, "{}", dataset.name);
                }
            }
        }
    }
}

//! Part 3.1, knowledge storage and extraction (Allen-Zhu & Li, arXiv:2309.14316). So far: mixed
//! training (§4.1, Result 1) — a model trained from scratch on every person's biography and on
//! the questions about half of them (`bios-mixed`) — scored by exact-match answers to the six
//! questions about each person, for the people whose questions it trained on (`train`) and for
//! the others (`test`, out of distribution: their facts were only ever in biographies).

mod claims;
mod probe;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::bios_scores::{Answered, SIX, biography_recall, bos_and_pad, questions};
use super::{Estimate, Measured, Measuring, Part};
use crate::data::bios::{Bios, BiosSpec};
use crate::data::mixed::BiosMixedSpec;
use crate::data::pools::ATTRIBUTES;
use crate::data::qa::BiosQaSpec;
use crate::data::{DocSource, Generator};
use crate::figure::{Axes, Figure};
use crate::run::{Manifest, Run};

/// What a Part 3.1 run measured: the answers (QA on both halves for mixed training and QA
/// finetuning; recall of the biographies for pretraining) and a pretraining's P-probes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    #[serde(flatten)]
    pub answered: Answered,
    /// Pretraining: P-probe accuracies by position, the model and its untrained control.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<probe::ProbeCurves>,
}

/// The attribute Result 4 is read on (the paper's Fig. 5: the company name).
const EMPLOYER: usize = 4;

pub struct Part31;

impl Part for Part31 {
    type Metrics = Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = super::NoSettings;

    const NAME: &'static str = "part3.1";

    const CODE_EPOCH: u32 = 2;
    const GENERATORS: &'static [&'static str] =
        &[BiosSpec::NAME, BiosQaSpec::NAME, BiosMixedSpec::NAME];

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        let (context, seed, model) = (input.context(), input.seed(), input.model());
        let progress = input.progress;
        let qa = |people, pools| Measurements {
            answered: Answered::on_both_halves(
                |split| questions(people, pools, split, seed).score(model, context, SIX),
                progress,
            ),
            probe: None,
        };
        let dataset = input.dataset();
        let measurements = if let Some(spec) = BiosMixedSpec::of(dataset) {
            qa(spec.people, spec.pools)
        } else if let Some(spec) = BiosQaSpec::of(dataset) {
            qa(spec.people, spec.pools)
        } else if let Some(spec) = BiosSpec::of(dataset) {
            progress.set_length(2);
            let source = Bios::new(&spec, seed);
            let recall = biography_recall(&source, model, context);
            progress.inc(1);
            let control = control_model(input.run, source.vocab().len(), &model.device());
            let (bos, pad) = bos_and_pad();
            let probe = probe::measure(model, &control, &source, seed, bos, pad);
            progress.inc(1);
            Measurements {
                answered: Answered {
                    biographies: Some(recall),
                    ..Answered::default()
                },
                probe: Some(probe),
            }
        } else {
            bail!("dataset `{}` is not a bioS dataset", dataset.name);
        };
        Ok(Measured::untimed(measurements))
    }

    fn brief(&self, manifest: &Manifest, m: &Self::Metrics) -> String {
        format!("P {} {}", manifest.parameters, m.answered.brief())
    }

    const COLUMNS: &'static [&'static str] = &[
        "started from",
        "train QA",
        "test QA (out of distribution)",
        "test QA by attribute",
        "biography values recalled",
        "P-probe before the first value, trained / control",
        "P-probe on the employer, by position",
        "Q-probe from the name alone, trained / control",
    ];

    fn cells(&self, manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        let started_from = manifest
            .spec
            .from
            .as_ref()
            .map_or("scratch".into(), |from| from.dataset.name().to_owned());
        let (first_position, employer, from_name) = match &m.probe {
            None => ("—".into(), "—".into(), "—".into()),
            Some(p) => {
                let by_position: Vec<String> = p
                    .trained
                    .iter()
                    .map(|row| format!("{:.2}", row[EMPLOYER]))
                    .collect();
                (
                    beside(&p.trained[0], &p.control[0]),
                    by_position.join(" "),
                    beside(&p.from_name, &p.from_name_control),
                )
            }
        };
        std::iter::once(started_from)
            .chain(m.answered.cells())
            .chain([first_position, employer, from_name])
            .collect()
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        let mut points = Vec::new();
        let mut control = None;
        for manifest in manifests {
            let Some(probe) = Part31::metrics(manifest).and_then(|m| m.probe) else {
                continue;
            };
            let curve = |rows: &[Vec<f64>]| {
                let at = |(k, row): (usize, &Vec<f64>)| (k as f64, row[EMPLOYER]);
                rows.iter().enumerate().map(at).collect::<Vec<_>>()
            };
            points.push((manifest.label(), curve(&probe.trained)));
            control.get_or_insert_with(|| curve(&probe.control));
        }
        let Some(control) = control else {
            return Vec::new();
        };
        points.push(("untrained control".into(), control));
        vec![Figure {
            name: "p-probe-employer".into(),
            title: "P-probe: the employer read off the hidden state before each value".into(),
            x_label: "position: before the biography's k-th attribute value (0 = first)".into(),
            y_label: "employer accuracy (test people)".into(),
            points,
            lines: Vec::new(),
            axes: Axes::Linear,
        }]
    }

    const METHOD: &'static str = "Part 3.1 (arXiv:2309.14316), §4–6. Mixed training: every person's biography and the \
         six questions about the people of the train half, from scratch, each window all \
         biographies or all questions. Pretrain, then finetune: biographies only (single: one \
         fixed biography per person; multi5+permute: five wordings, sentences shuffled), then the \
         questions about the train half, every weight or LoRA adapters. Each model answers the \
         six questions about every person; an answer counts when every token of it is the \
         model's most likely token given the true text before it (greedy decoding's verdict). \
         Test accuracy is about the other half: facts the model only read in biographies. \
         Accuracies are means over the six attributes. Probes (pretrained models and an \
         untrained control of the same shape): a linear map fitted in closed form on the train \
         half's hidden states, scored on the test half's; the P-probe reads the last layer right \
         before each attribute value of a person's first biography, the Q-probe at the last \
         token of the name alone.";

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

/// `attribute trained / control · …` for one probe reading.
fn beside(trained: &[f64], control: &[f64]) -> String {
    let each: Vec<String> = ATTRIBUTES
        .iter()
        .zip(trained.iter().zip(control))
        .map(|(name, (t, c))| format!("{name} {t:.2} / {c:.2}"))
        .collect();
    each.join(" · ")
}

/// The probes' control: the run's model shape, initialised from another seed, never trained.
fn control_model(run: &Run, vocab: usize, device: &burn::prelude::Device) -> crate::model::Gpt {
    /// Mixed into the training seed so that the control is not the run's own initialisation.
    const CONTROL_SEED: u64 = 0x5031_C0A7;
    crate::train::initialised(
        &run.spec.model,
        vocab,
        run.spec.recipe.context,
        run.spec.training_seed() ^ CONTROL_SEED,
        device,
    )
}

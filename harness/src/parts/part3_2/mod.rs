//! Part 3.2, knowledge manipulation (Allen-Zhu & Li, arXiv:2309.14402). A model pretrained on
//! bioS biographies is finetuned on one task's questions about the people of the `train` half
//! and asked the same task about the `test` half: whether it can use stored knowledge for
//! partial retrieval (the birth year, §3), classification (birth-month parity, §4), comparison
//! (month ranking, §5) and inverse search (a name from a birth date, §6), with and without the
//! months spelled out first as a hint (the paper's chain of thought). Forward retrieval — the six
//! Part 3.1 questions finetuned the same way — shows what the model can extract at all.

mod claims;

use anyhow::{Result, bail};

use super::bios_scores::{Answered, Asked, SIX, biography_recall, questions};
use super::{Estimate, Measured, Measuring, Part};
use crate::data::Generator;
use crate::data::bios::{Bios, BiosSpec};
use crate::data::bios_tasks::{BiosTaskSpec, BiosTasks};
use crate::data::qa::BiosQaSpec;
use crate::figure::Figure;
use crate::run::Manifest;

/// What a Part 3.2 run measured: each task's (or the six questions') answers on both halves,
/// or a pretraining's recall of its biographies.
pub type Measurements = Answered;

pub struct Part32;

impl Part for Part32 {
    type Metrics = Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = super::NoSettings;

    const NAME: &'static str = "part3.2";

    const CODE_EPOCH: u32 = 1;
    const GENERATORS: &'static [&'static str] =
        &[BiosSpec::NAME, BiosQaSpec::NAME, BiosTaskSpec::NAME];

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        let (context, seed, model) = (input.context(), input.seed(), input.model());
        let (dataset, progress) = (input.dataset(), input.progress);
        let measurements = if let Some(spec) = BiosTaskSpec::of(dataset) {
            Answered::on_both_halves(
                |split| {
                    let asked = BiosTaskSpec {
                        split,
                        ..spec.clone()
                    };
                    Asked::from_answers(&BiosTasks::new(&asked, seed)).score(model, context, 1)
                },
                progress,
            )
        } else if let Some(spec) = BiosQaSpec::of(dataset) {
            Answered::on_both_halves(
                |split| questions(spec.people, spec.pools, split, seed).score(model, context, SIX),
                progress,
            )
        } else if let Some(spec) = BiosSpec::of(dataset) {
            Answered {
                biographies: Some(biography_recall(&Bios::new(&spec, seed), model, context)),
                ..Answered::default()
            }
        } else {
            bail!("dataset `{}` is not a bioS dataset", dataset.name);
        };
        Ok(Measured::untimed(measurements))
    }

    fn brief(&self, _manifest: &Manifest, m: &Self::Metrics) -> String {
        m.brief()
    }

    const COLUMNS: &'static [&'static str] = &[
        "task",
        "train accuracy",
        "test accuracy",
        "test by attribute (forward retrieval)",
        "biography values recalled",
    ];

    fn cells(&self, manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        let dataset = &manifest.spec.dataset;
        let task = if let Some(t) = BiosTaskSpec::of(dataset) {
            let name = serde_json::to_value(t.task)
                .map_or(String::new(), |v| v.as_str().unwrap_or_default().to_owned());
            if t.hints {
                format!("{name}, with hints")
            } else {
                name
            }
        } else if dataset.generator == BiosQaSpec::NAME {
            "forward retrieval (six questions)".into()
        } else {
            "pretraining".into()
        };
        std::iter::once(task).chain(m.cells()).collect()
    }

    fn figures(&self, _manifests: &[Manifest]) -> Vec<Figure> {
        Vec::new()
    }

    const METHOD: &'static str = "Part 3.2 (arXiv:2309.14402), §3–§6. A model pretrained on bioS biographies of every \
         person is finetuned on one task's questions about the train half of the people and asked \
         the same questions about the test half: the birth year alone, whether the birth month is \
         even, whether one person was born in an earlier month than another, and whose birth \
         date is given (inverse search). With hints, the answer opens with the months it follows \
         from (`October; Yes`), the paper's chain of thought; the whole answer, hint included, must \
         come out. Forward retrieval is the six Part 3.1 questions finetuned the same way. An \
         answer counts when every token of it is the model's most likely token given the true \
         text before it (greedy decoding's verdict).";

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

//! Part 3.2, knowledge manipulation (Allen-Zhu & Li, arXiv:2309.14402). A model pretrained on
//! bioS biographies is finetuned on one task's questions about the people of the `train` half
//! and asked the same task about the `test` half: whether it can use stored knowledge for
//! partial retrieval (the birth year, §3), classification (birth-month parity, §4), comparison
//! (month ranking, §5) and inverse search (a name from a birth date, §6), with and without the
//! months spelled out first as a hint (the paper's chain of thought). Forward retrieval — the six
//! Part 3.1 questions finetuned the same way — shows what the model can extract at all.

mod claims;

use anyhow::{Result, bail};
use indicatif::ProgressBar;

use super::bios_answers::{Answered, Asked, SIX, biography_recall, questions};
use super::{Estimate, Measured, Part};
use crate::data::bios::Bios;
use crate::data::tasks::BiosTasks;
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{BiosTaskSpec, Claim, DatasetSpec, Invalid, Suite};
use crate::train::Trained;

/// What a Part 3.2 run measured: each task's (or the six questions') answers on both halves,
/// or a pretraining's recall of its biographies.
pub type Measurements = Answered;

fn measured(manifest: &Manifest) -> Option<Measurements> {
    super::measurements::<Measurements>(manifest)
}

pub struct Part32;

impl Part for Part32 {
    fn name(&self) -> &'static str {
        "part3.2"
    }

    fn code_epoch(&self) -> u32 {
        1
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        super::check_claims::<claims::Estimator>(suite)?;
        super::check_trained_datasets(suite, |d| match d {
            DatasetSpec::Bios(_) | DatasetSpec::BiosQa(_) | DatasetSpec::BiosTask(_) => Ok(()),
            other => Err(format!(
                "dataset `{}`: Part 3.2 trains on `bios`, `bios-qa` and `bios-task`",
                other.name()
            )),
        })
    }

    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured> {
        let (context, seed, model) = (run.spec.recipe.context, run.spec.seed, &trained.model);
        let measurements = match &run.spec.dataset {
            DatasetSpec::BiosTask(spec) => Answered::on_both_halves(
                |split| {
                    let asked = BiosTaskSpec {
                        split,
                        ..spec.clone()
                    };
                    Asked::from_answers(&BiosTasks::new(&asked, seed)).score(model, context, 1)
                },
                progress,
            ),
            DatasetSpec::BiosQa(spec) => Answered::on_both_halves(
                |split| questions(spec.people, spec.pools, split, seed).score(model, context, SIX),
                progress,
            ),
            DatasetSpec::Bios(spec) => Answered {
                biographies: Some(biography_recall(&Bios::new(spec, seed), model, context)),
                ..Answered::default()
            },
            other => bail!("dataset `{}` is not a bioS dataset", other.name()),
        };
        Ok(Measured {
            measurements: serde_json::to_value(measurements)?,
            timings: Default::default(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        measured(manifest).map_or("no Part 3.2 measurements".into(), |m| m.brief())
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "task",
            "train accuracy",
            "test accuracy",
            "test by attribute (forward retrieval)",
            "biography values recalled",
        ]
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        let Some(m) = measured(manifest) else {
            return vec!["—".into(); self.columns().len()];
        };
        let task = match &manifest.spec.dataset {
            DatasetSpec::BiosTask(t) => {
                let name = serde_json::to_value(t.task)
                    .map_or(String::new(), |v| v.as_str().unwrap_or_default().to_owned());
                if t.hints {
                    format!("{name}, with hints")
                } else {
                    name
                }
            }
            DatasetSpec::BiosQa(_) => "forward retrieval (six questions)".into(),
            _ => "pretraining".into(),
        };
        std::iter::once(task).chain(m.cells()).collect()
    }

    fn figures(&self, _manifests: &[Manifest]) -> Vec<Figure> {
        Vec::new()
    }

    fn method(&self) -> &'static str {
        "Part 3.2 (arXiv:2309.14402), §3–§6. A model pretrained on bioS biographies of every \
         person is finetuned on one task's questions about the train half of the people and asked \
         the same questions about the test half: the birth year alone, whether the birth month is \
         even, whether one person was born in an earlier month than another, and whose birth \
         date is given (inverse search). With hints, the answer opens with the months it follows \
         from (`October; Yes`), the paper's chain of thought; the whole answer, hint included, must \
         come out. Forward retrieval is the six Part 3.1 questions finetuned the same way. An \
         answer counts when every token of it is the model's most likely token given the true \
         text before it (greedy decoding's verdict)."
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

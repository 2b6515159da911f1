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
use serde::{Deserialize, Serialize};

use super::bios_answers::{Asked, SplitAccuracy, biography_recall, questions};
use super::{Estimate, Measured, Part};
use crate::data::bios::Bios;
use crate::data::pools::ATTRIBUTES;
use crate::data::tasks::BiosTasks;
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{BiosTaskSpec, Claim, DatasetSpec, Invalid, Split, Suite};
use crate::train::Trained;

/// What a Part 3.2 run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    /// Task finetuning: exact-match accuracy on the people the task trained on, and on the
    /// others. Forward retrieval: per attribute, as Part 3.1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<SplitAccuracy>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<SplitAccuracy>,
    /// Pretraining: attribute values of every person's first biography completed from the text
    /// before them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biographies: Option<SplitAccuracy>,
}

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
        progress.set_length(2);
        let both_splits = |score: &dyn Fn(Split) -> SplitAccuracy| {
            let split = |s| {
                let accuracy = score(s);
                progress.inc(1);
                Some(accuracy)
            };
            Measurements {
                train: split(Split::Train),
                test: split(Split::Test),
                biographies: None,
            }
        };
        let measurements = match &run.spec.dataset {
            DatasetSpec::BiosTask(spec) => both_splits(&|split| {
                let asked = BiosTaskSpec {
                    split,
                    ..spec.clone()
                };
                Asked::from_answers(&BiosTasks::new(&asked, seed)).score(model, context, 1)
            }),
            DatasetSpec::BiosQa(spec) => both_splits(&|split| {
                questions(spec.people, spec.pools, split, seed).score(model, context, SIX)
            }),
            DatasetSpec::Bios(spec) => Measurements {
                train: None,
                test: None,
                biographies: Some(biography_recall(&Bios::new(spec, seed), model, context)),
            },
            other => bail!("dataset `{}` is not a bioS dataset", other.name()),
        };
        Ok(Measured {
            measurements: serde_json::to_value(measurements)?,
            timings: Default::default(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        match measured(manifest) {
            Some(Measurements {
                train: Some(train),
                test: Some(test),
                ..
            }) => format!(
                "accuracy train {:.3}, test {:.3}",
                train.mean(),
                test.mean()
            ),
            Some(Measurements {
                biographies: Some(recall),
                ..
            }) => format!("biography values recalled {:.3}", recall.mean()),
            _ => "no Part 3.2 measurements".into(),
        }
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
        let mean = |a: &Option<SplitAccuracy>| {
            a.as_ref()
                .map_or("—".into(), |a| format!("{:.3}", a.mean()))
        };
        let by_attribute = match (&manifest.spec.dataset, &m.test) {
            (DatasetSpec::BiosQa(_), Some(test)) => {
                let each: Vec<String> = ATTRIBUTES
                    .iter()
                    .enumerate()
                    .map(|(a, name)| format!("{name} {:.2}", test.of(a)))
                    .collect();
                each.join(" · ")
            }
            _ => "—".into(),
        };
        vec![
            task,
            mean(&m.train),
            mean(&m.test),
            by_attribute,
            mean(&m.biographies),
        ]
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

/// Scores per attribute: the six of bioS.
const SIX: usize = ATTRIBUTES.len();

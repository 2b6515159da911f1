//! Part 3.2's estimators: what a claim computes from the runs of a scale. Each reads the best
//! run (by test accuracy) of its kind, as the paper reports the best of its learning rates.

use schemars::JsonSchema;
use serde::Deserialize;

use super::measured;
use crate::parts::Estimate;
use crate::parts::bios_answers::SplitAccuracy;
use crate::run::Manifest;
use crate::spec::{DatasetSpec, Split, Task};

/// `estimator = "..."` in a Part 3.2 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// Accuracy on `split` of the best run finetuned on `task` (with or without hints).
    TaskAccuracy {
        task: Task,
        #[serde(default)]
        hints: bool,
        split: Split,
    },
    /// Test accuracy on `task` with hints minus without: what spelling the months out buys.
    HintGain { task: Task },
    /// Forward retrieval: accuracy on `split` for one attribute (index into bioS's six, 0 = the
    /// birth date) of the best run finetuned on the six questions.
    RetrievalAccuracy { attribute: usize, split: Split },
}

/// The best run (by mean test accuracy) among those `pick` accepts, with its accuracies.
fn best<'a>(
    runs: &[&'a Manifest],
    pick: impl Fn(&DatasetSpec) -> bool,
) -> Option<(SplitAccuracy, SplitAccuracy, &'a Manifest)> {
    runs.iter()
        .filter(|m| pick(&m.spec.dataset))
        .filter_map(|m| {
            let measured = measured(m)?;
            Some((measured.train?, measured.test?, *m))
        })
        .max_by(|a, b| a.1.mean().total_cmp(&b.1.mean()))
}

fn on_task(task: Task, hints: bool) -> impl Fn(&DatasetSpec) -> bool {
    move |d| matches!(d, DatasetSpec::BiosTask(t) if t.task == task && t.hints == hints)
}

fn of_split(train: SplitAccuracy, test: SplitAccuracy, split: Split) -> SplitAccuracy {
    match split {
        Split::Train => train,
        Split::Test => test,
    }
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let missing = |what: String| Estimate::none(format!("no {what} runs"));
    match *estimator {
        Estimator::TaskAccuracy { task, hints, split } => match best(runs, on_task(task, hints)) {
            Some((train, test, run)) => {
                Estimate::of(of_split(train, test, split).mean(), run.label())
            }
            None => missing(format!("{task:?} (hints {hints})")),
        },
        Estimator::HintGain { task } => {
            match (
                best(runs, on_task(task, true)),
                best(runs, on_task(task, false)),
            ) {
                (Some((_, with, a)), Some((_, without, b))) => Estimate::of(
                    with.mean() - without.mean(),
                    format!("{} − {}", a.label(), b.label()),
                ),
                _ => missing(format!("{task:?} with and without hints")),
            }
        }
        Estimator::RetrievalAccuracy { attribute, split } => {
            match best(runs, |d| matches!(d, DatasetSpec::BiosQa(_))) {
                Some((train, test, run)) if attribute < train.correct.len() => {
                    Estimate::of(of_split(train, test, split).of(attribute), run.label())
                }
                Some(_) => Estimate::none(format!("bioS has no attribute {attribute}")),
                None => missing("forward-retrieval".into()),
            }
        }
    }
}

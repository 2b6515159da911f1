//! Part 3.2's estimators: what a claim computes from the runs of a scale. Each reads the best
//! run (by test accuracy) of its kind, as the paper reports the best of its learning rates.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::data::Generator;
use crate::data::bios_tasks::{BiosTaskSpec, Task};
use crate::data::qa::{BiosQaSpec, Split};
use crate::parts::Estimate;
use crate::parts::bios_scores::best_on_test;
use crate::run::Manifest;

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
    /// Forward retrieval: accuracy on `split` of the best run finetuned on the six questions, for
    /// one attribute (index into bioS's six, 0 = the birth date) or, without `attribute`, over all
    /// six (the smoke gate's reading: one attribute on 50 people is too noisy to bound).
    RetrievalAccuracy {
        #[serde(default)]
        attribute: Option<usize>,
        split: Split,
    },
}

fn on_task(task: Task, hints: bool) -> impl Fn(&Manifest) -> bool {
    move |m| BiosTaskSpec::of(&m.spec.dataset).is_some_and(|t| t.task == task && t.hints == hints)
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let missing = |what: String| Estimate::none(format!("no {what} runs"));
    match *estimator {
        Estimator::TaskAccuracy { task, hints, split } => {
            match best_on_test(runs, on_task(task, hints)) {
                Some(best) => Estimate::of(best.of(split).mean(), best.run.label()),
                None => missing(format!("{task:?} (hints {hints})")),
            }
        }
        Estimator::HintGain { task } => {
            let (with, without) = (
                best_on_test(runs, on_task(task, true)),
                best_on_test(runs, on_task(task, false)),
            );
            match (with, without) {
                (Some(a), Some(b)) => Estimate::of(
                    a.test.mean() - b.test.mean(),
                    format!("{} − {}", a.run.label(), b.run.label()),
                ),
                _ => missing(format!("{task:?} with and without hints")),
            }
        }
        Estimator::RetrievalAccuracy { attribute, split } => {
            match best_on_test(runs, |m| m.spec.dataset.generator == BiosQaSpec::NAME) {
                Some(best) => match attribute {
                    None => Estimate::of(best.of(split).mean(), best.run.label()),
                    Some(a) if a < best.train.correct.len() => {
                        Estimate::of(best.of(split).of(a), best.run.label())
                    }
                    Some(a) => Estimate::none(format!("bioS has no attribute {a}")),
                },
                None => missing("forward-retrieval".into()),
            }
        }
    }
}

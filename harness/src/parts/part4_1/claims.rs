//! Part 4.1's estimators: what a claim computes from the runs of a scale. Every estimator reads
//! each run's accuracy at its task's hardest measured difficulty and takes, per architecture, the
//! best run (the best learning rate, as the paper reports the best of its grid).

use schemars::JsonSchema;
use serde::Deserialize;

use super::Part41;
use crate::parts::Estimate;
use crate::parts::Part;
use crate::run::Manifest;
use crate::spec::Position;

/// `estimator = "..."` in a Part 4.1 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// Best accuracy on `task` among runs with Canon layers (`canon = true`) or without, of
    /// `position` if given.
    Accuracy {
        task: String,
        canon: bool,
        #[serde(default)]
        position: Option<Position>,
    },
    /// Best accuracy with Canon layers minus best accuracy without, on `task`, both of
    /// `position`.
    CanonGain { task: String, position: Position },
    /// Best accuracy of NoPE models with Canon over that of rotary models with Canon, on `task`.
    NopeOverRotary { task: String },
}

/// The run of `task` with the best accuracy at the hardest difficulty among those `keep` accepts.
fn best<'a>(
    runs: &[&'a Manifest],
    task: &str,
    keep: impl Fn(&Manifest) -> bool,
) -> Option<(f64, &'a Manifest)> {
    runs.iter()
        .filter(|m| keep(m))
        .filter_map(|m| {
            let x = Part41::metrics(m).filter(|x| x.task == task)?;
            Some((x.accuracy.last()?.accuracy(), *m))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

fn has_canon(m: &Manifest) -> bool {
    !m.spec.model.canon.is_empty()
}

fn label(found: Option<(f64, &Manifest)>) -> String {
    found.map_or("none".into(), |(a, m)| format!("{a:.3} ({})", m.label()))
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    match estimator {
        Estimator::Accuracy {
            task,
            canon,
            position,
        } => {
            let found = best(runs, task, |m| {
                has_canon(m) == *canon && position.is_none_or(|p| m.spec.model.position == p)
            });
            match found {
                Some((accuracy, m)) => Estimate::of(accuracy, m.label()),
                None => Estimate::none(format!("no {task} runs of that architecture")),
            }
        }
        Estimator::CanonGain { task, position } => {
            let of = |canon: bool| {
                best(runs, task, |m| {
                    has_canon(m) == canon && m.spec.model.position == *position
                })
            };
            let (with, without) = (of(true), of(false));
            match (with, without) {
                (Some((a, _)), Some((b, _))) => {
                    Estimate::of(a - b, format!("{} − {}", label(with), label(without)))
                }
                _ => Estimate::none(format!("needs {task} runs with and without Canon")),
            }
        }
        Estimator::NopeOverRotary { task } => {
            let of = |position: Position| {
                best(runs, task, |m| {
                    has_canon(m) && m.spec.model.position == position
                })
            };
            let (nope, rotary) = (of(Position::Nope), of(Position::Rotary));
            match (nope, rotary) {
                (Some((a, _)), Some((b, _))) if b > 0.0 => {
                    Estimate::of(a / b, format!("{} / {}", label(nope), label(rotary)))
                }
                _ => Estimate::none(format!(
                    "needs {task} runs with Canon, NoPE and rotary, the rotary one above 0"
                )),
            }
        }
    }
}

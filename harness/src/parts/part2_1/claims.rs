//! Part 2.1's estimators: full-solution accuracy and redundancy of the best run (the best
//! learning rate, as the paper reports its best settings), and the generator's own checks.

use schemars::JsonSchema;
use serde::Deserialize;

use super::Part21;
use super::solutions::{DataChecks, best_accuracy};
use crate::parts::Estimate;
use crate::parts::Part;
use crate::run::Manifest;

/// `estimator = "..."` in a Part 2.1 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// The best run's full-solution accuracy on test templates with `ops = [low, high]`
    /// operations (all measured counts when absent).
    Accuracy {
        #[serde(default)]
        ops: Option<(usize, usize)>,
    },
    /// Unnecessary parameters per correct solution, of the run with the best accuracy.
    Redundancy,
    /// The share of the official stream's solutions the checker accepts.
    CheckerAcceptance,
    /// Total variation distance between the solutions' operation counts and the definition.
    OpDistance,
    /// Distinct solution templates at op = max_op: the birthday estimate (its 95% lower bound
    /// when no two templates collided).
    Templates,
}

/// The generator checks of the first run that has them.
fn data_checks(runs: &[&Manifest]) -> Option<(DataChecks, String)> {
    runs.iter()
        .find_map(|m| Some((Part21::metrics(m)?.data?, m.label())))
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    match estimator {
        Estimator::Accuracy { ops } => match best_accuracy(runs, *ops, |_| true) {
            Some((accuracy, problems, m)) => {
                Estimate::of(accuracy, format!("{} ({problems} problems)", m.label()))
            }
            None => Estimate::none("no iGSM runs"),
        },
        Estimator::Redundancy => {
            let best = best_accuracy(runs, None, |_| true);
            match best.and_then(|(_, _, m)| Some((Part21::metrics(m)?.redundancy()?, m))) {
                Some((redundancy, m)) => Estimate::of(redundancy, m.label()),
                None => Estimate::none("no correct solution to count redundancy in"),
            }
        }
        Estimator::CheckerAcceptance => match data_checks(runs) {
            Some((d, _)) => Estimate::of(
                d.checker.accepted as f64 / d.checker.problems.max(1) as f64,
                format!(
                    "{} of {} solutions (max_op {}, max_edge {}, seed {}){}",
                    d.checker.accepted,
                    d.checker.problems,
                    d.settings.max_op,
                    d.settings.max_edge,
                    d.settings.seed,
                    d.checker
                        .first_rejection
                        .map_or(String::new(), |e| format!("; first rejection: {e}"))
                ),
            ),
            None => Estimate::none("no run measured the generator checks"),
        },
        Estimator::OpDistance => match data_checks(runs) {
            Some((d, _)) => Estimate::of(
                d.ops.total_variation,
                format!(
                    "{} problems, counts by op {:?}",
                    d.ops.problems, d.ops.counts
                ),
            ),
            None => Estimate::none("no run measured the generator checks"),
        },
        Estimator::Templates => match data_checks(runs) {
            Some((d, _)) => {
                let t = &d.templates;
                Estimate::of(
                    t.estimate.unwrap_or(t.lower_bound_95),
                    format!(
                        "{} problems at op {}: {} colliding pairs; 95% lower bound {:.3e}",
                        t.problems, t.op, t.colliding_pairs, t.lower_bound_95
                    ),
                )
            }
            None => Estimate::none("no run measured the generator checks"),
        },
    }
}

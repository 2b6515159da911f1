//! Part 1's estimators: what a claim computes from the grammar runs of a scale.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Deserialize;

use super::grammar::GrammarMetrics;
use super::probe::ProbeMetrics;
use super::{measured, probed};
use crate::parts::Estimate;
use crate::run::Manifest;
use crate::spec::Position;

/// `estimator = "..."` in a Part 1 claim, with its settings.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(tag = "estimator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Estimator {
    /// Best generation accuracy from `<bos>` among grammar runs (of `position`, if given).
    GenerationAccuracy {
        #[serde(default)]
        position: Option<Position>,
    },
    /// Best cut-c accuracy among grammar runs (of `position`, if given).
    CutAccuracy {
        #[serde(default)]
        position: Option<Position>,
    },
    /// Longest median valid-prefix length of generations from `<bos>` (tokens) among grammar
    /// runs (of `position`, if given).
    MedianValidPrefix {
        #[serde(default)]
        position: Option<Position>,
    },
    /// Lowest KL(p* ‖ q) in nats per token among grammar runs (of `position`, if given).
    Kl {
        #[serde(default)]
        position: Option<Position>,
    },
    /// Best generation accuracy of rotary runs minus that of absolute-position runs, on one
    /// dataset. Undecided (not measured) when both are 0: a tie at zero says nothing.
    RotaryMinusAbsoluteAccuracy {},
    /// Lowest KL(p* ‖ q) of absolute-position runs divided by that of rotary runs, on one dataset.
    AbsoluteOverRotaryKl {},
    /// Lowest KL(p* ‖ q) of uniform-attention runs divided by that of rotary runs, on one
    /// dataset.
    UniformOverRotaryKl {},
    /// The parse-tree probe's ancestor accuracy on the `levels` deepest non-terminal levels:
    /// the lowest of them, for the run (of `position`, if given) where it is highest.
    ProbeAccuracy {
        levels: usize,
        #[serde(default)]
        position: Option<Position>,
    },
    /// The same levels' ancestor accuracy minus the control's (the probe on a randomly
    /// initialised model of the same shape): the smallest gap, for the best run.
    ProbeOverControl {
        levels: usize,
        #[serde(default)]
        position: Option<Position>,
    },
}

type Measured<'a> = (&'a Manifest, GrammarMetrics);

/// The run whose metric `key` is largest.
fn best<'a, 'b>(
    runs: impl Iterator<Item = &'b Measured<'a>>,
    key: impl Fn(&GrammarMetrics) -> f64,
) -> Option<&'b Measured<'a>> {
    runs.max_by(|a, b| key(&a.1).total_cmp(&key(&b.1)))
}

/// Compares rotary runs with the runs of position `other` dataset by dataset, on the recipes both
/// ran (a recipe only one side tried would let it pick its best learning rate from more):
/// `compare` gets both groups' runs and returns a value and its explanation; the largest value
/// over datasets wins.
fn rotary_vs(
    other: Position,
    runs: &[Measured],
    compare: impl Fn(&[&Measured], &[&Measured]) -> Option<(f64, String)>,
) -> Estimate {
    let datasets: BTreeSet<&str> = runs.iter().map(|(m, _)| m.spec.dataset.name()).collect();
    let mut found: Vec<(f64, String)> = Vec::new();
    let mut undecided = Vec::new();
    for dataset in datasets {
        let of = |position: Position| -> Vec<&Measured> {
            runs.iter()
                .filter(|(m, _)| m.spec.dataset.name() == dataset)
                .filter(|(m, _)| m.spec.model.position == position)
                .collect()
        };
        let recipes = |position: Position| -> BTreeSet<&str> {
            of(position)
                .iter()
                .map(|(m, _)| m.recipe_name.as_str())
                .collect()
        };
        let shared = &recipes(Position::Rotary) & &recipes(other);
        let on_shared = |position: Position| -> Vec<&Measured> {
            of(position)
                .into_iter()
                .filter(|(m, _)| shared.contains(m.recipe_name.as_str()))
                .collect()
        };
        let (rotary, others) = (on_shared(Position::Rotary), on_shared(other));
        if rotary.is_empty() || others.is_empty() {
            continue;
        }
        match compare(&rotary, &others) {
            Some(result) => found.push(result),
            None => undecided.push(dataset),
        }
    }
    match found.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)) {
        Some((value, why)) => Estimate::of(value, why),
        None if !undecided.is_empty() => Estimate::none(format!(
            "no signal on {}: both at zero",
            undecided.join(", ")
        )),
        None => Estimate::none(format!("needs rotary and {other:?} runs on one grammar")),
    }
}

pub fn estimate(estimator: &Estimator, runs: &[&Manifest]) -> Estimate {
    let grammar: Vec<Measured> = runs
        .iter()
        .filter_map(|m| measured(m).map(|g| (*m, g)))
        .collect();
    // The best run of `position` (any, if `None`) by `key`, reported as `value`.
    let best_of = |position: Option<Position>,
                   key: &dyn Fn(&GrammarMetrics) -> f64,
                   value: &dyn Fn(&GrammarMetrics) -> f64| {
        let eligible = grammar
            .iter()
            .filter(|(m, _)| position.is_none_or(|p| m.spec.model.position == p));
        match best(eligible, key) {
            Some((m, g)) => Estimate::of(
                value(g),
                format!(
                    "{} (accuracy {} of {} samples; cut{} {:.3}; median valid prefix {}; KL {:.4})",
                    m.label(),
                    (g.accuracy * g.samples as f64).round(),
                    g.samples,
                    g.cut,
                    g.cut_accuracy,
                    g.median_valid_prefix,
                    g.kl
                ),
            ),
            None => Estimate::none("no grammar runs"),
        }
    };
    match *estimator {
        Estimator::GenerationAccuracy { position } => {
            best_of(position, &|g| g.accuracy, &|g| g.accuracy)
        }
        Estimator::CutAccuracy { position } => {
            best_of(position, &|g| g.cut_accuracy, &|g| g.cut_accuracy)
        }
        Estimator::MedianValidPrefix { position } => {
            best_of(position, &|g| g.median_valid_prefix, &|g| {
                g.median_valid_prefix
            })
        }
        Estimator::Kl { position } => best_of(position, &|g| -g.kl, &|g| g.kl),
        Estimator::RotaryMinusAbsoluteAccuracy {} => {
            rotary_vs(Position::Absolute, &grammar, |rotary, absolute| {
                let (r, rg) = best(rotary.iter().copied(), |g| g.accuracy)?;
                let (a, ag) = best(absolute.iter().copied(), |g| g.accuracy)?;
                (rg.accuracy > 0.0 || ag.accuracy > 0.0).then(|| {
                    (
                        rg.accuracy - ag.accuracy,
                        format!(
                            "{:.3} ({}) − {:.3} ({})",
                            rg.accuracy,
                            r.label(),
                            ag.accuracy,
                            a.label()
                        ),
                    )
                })
            })
        }
        Estimator::ProbeAccuracy { levels, position } => {
            probe_estimate(runs, position, levels, |p, l| p.ancestor[l])
        }
        Estimator::ProbeOverControl { levels, position } => {
            probe_estimate(runs, position, levels, |p, l| {
                p.ancestor[l] - p.ancestor_control[l]
            })
        }
        Estimator::AbsoluteOverRotaryKl {} => kl_ratio_to_rotary(Position::Absolute, &grammar),
        Estimator::UniformOverRotaryKl {} => kl_ratio_to_rotary(Position::Uniform, &grammar),
    }
}

/// The lowest KL of `other`'s runs over the lowest KL of rotary runs.
fn kl_ratio_to_rotary(other: Position, grammar: &[Measured]) -> Estimate {
    rotary_vs(other, grammar, |rotary, others| {
        let (r, rg) = best(rotary.iter().copied(), |g| -g.kl)?;
        let (o, og) = best(others.iter().copied(), |g| -g.kl)?;
        (rg.kl > 0.0).then(|| {
            (
                og.kl / rg.kl,
                format!(
                    "KL {:.4} ({}) / {:.4} ({})",
                    og.kl,
                    o.label(),
                    rg.kl,
                    r.label()
                ),
            )
        })
    })
}

/// The smallest `value(probe, level)` over the `levels` deepest probed levels, for the run (of
/// `position`) where that smallest value is largest.
fn probe_estimate(
    runs: &[&Manifest],
    position: Option<Position>,
    levels: usize,
    value: impl Fn(&ProbeMetrics, usize) -> f64,
) -> Estimate {
    let worst = |p: &ProbeMetrics| -> Option<f64> {
        let probed = p.ancestor.len();
        (levels >= 1 && levels <= probed).then(|| {
            (probed - levels..probed)
                .map(|l| value(p, l))
                .fold(f64::INFINITY, f64::min)
        })
    };
    let best = runs
        .iter()
        .filter(|m| position.is_none_or(|p| m.spec.model.position == p))
        .filter_map(|m| probed(m).and_then(|p| Some((worst(&p)?, *m, p))))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((v, m, p)) => {
            let list = |values: &[f64]| {
                let shown: Vec<String> = values.iter().map(|v| format!("{v:.3}")).collect();
                shown.join(", ")
            };
            Estimate::of(
                v,
                format!(
                    "{}: ancestor accuracy by level 1.. {} (control {}); {} deepest levels",
                    m.label(),
                    list(&p.ancestor),
                    list(&p.ancestor_control),
                    levels
                ),
            )
        }
        None => Estimate::none(format!("no run probed at {levels} levels")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Generator;
    use crate::data::cfg::CfgSpec;
    use crate::spec::{ModelConfig, Scale, TrainSpec};

    /// A finished cfg3b run of `position` under `recipe` with the given KL.
    fn run(position: Position, recipe: &str, kl: f64) -> Manifest {
        let mut model = ModelConfig::gpt2(1, 1, 8);
        model.position = position;
        let grammar = GrammarMetrics {
            grammar: "cfg3b".into(),
            samples: 10,
            accuracy: 0.0,
            unfinished: 0,
            median_valid_prefix: 0.0,
            cut: 50,
            cut_samples: 10,
            cut_accuracy: 0.0,
            kl,
            kl_positions: 100,
            generated_entropy_bits: 0.0,
            grammar_entropy_bits: 0.0,
            grammar_entropy_stderr_bits: 0.0,
            mean_generated_length: 0.0,
            expected_length: 0.0,
        };
        Manifest {
            run_id: format!("{position:?}-{recipe}"),
            suite: "part1".into(),
            suite_version: 2,
            scale: Scale::Cpu,
            model_name: format!("{position:?}"),
            recipe_name: recipe.into(),
            exposures: 1,
            spec: TrainSpec {
                seed: 1,
                replica: 0,
                dataset: CfgSpec {
                    grammar: "cfg3b".into(),
                    sentences: 10,
                }
                .dataset("cfg3b-s10"),
                model,
                recipe: toml::from_str("exposures = 1\nbatch = 1\ncontext = 8\nlr = 1e-2").unwrap(),
                from: None,
            },
            evaluation: Default::default(),
            data_sha256: None,
            engine_epoch: 1,
            code_epoch: 1,
            code_revision: "test".into(),
            device: "test".into(),
            cpu: None,
            threads: 1,
            steps: 1,
            final_loss: 0.0,
            weights_sha256: String::new(),
            parameters: 1,
            measurements: serde_json::to_value(super::super::Measurements {
                grammar,
                probe: None,
                curve: None,
            })
            .unwrap(),
        }
    }

    #[test]
    fn position_comparisons_use_only_recipes_both_sides_ran() {
        let runs = [
            run(Position::Rotary, "lr-a", 0.01),
            run(Position::Rotary, "lr-b", 0.02),
            run(Position::Absolute, "lr-b", 0.03),
        ];
        let all: Vec<&Manifest> = runs.iter().collect();
        // Rotary's lr-a run is better, but absolute never ran lr-a: 0.03 / 0.02.
        let ratio = estimate(&Estimator::AbsoluteOverRotaryKl {}, &all);
        assert_eq!(ratio.value, Some(1.5), "{}", ratio.evidence);
        // Without absolute runs there is nothing to compare.
        let ratio = estimate(&Estimator::AbsoluteOverRotaryKl {}, &all[..2]);
        assert_eq!(ratio.value, None);
        // The rotary claims themselves take the best rotary run.
        let kl = estimate(
            &Estimator::Kl {
                position: Some(Position::Rotary),
            },
            &all,
        );
        assert_eq!(kl.value, Some(0.01));
    }
}

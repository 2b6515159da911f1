//! Part 4.1, "Architecture Design and the Magic of Canon Layers" (Allen-Zhu, arXiv:2512.17351):
//! models with and without Canon layers (`model::canon`), with rotary or no positions, trained on
//! the synthetic playground — Depo (reasoning depth), Mano (manipulation) and the copy task —
//! and scored by exact-match answers ([`super::exact_match`]) at each difficulty. Estimators in [`claims`].

mod claims;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use super::exact_match::{Question, answered};
use super::{Estimate, Measured, Measuring, Part};
use crate::data::copy::{Copy, CopySpec};
use crate::data::depo::{Depo, DepoSpec};
use crate::data::mano::{Mano, ManoSpec};
use crate::data::{Doc, DocSource, Generator, Vocab};
use crate::figure::{Axes, Figure};
use crate::run::Manifest;
use crate::spec::Dataset;

pub struct Part41;

/// Exact-match answers at one difficulty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Depo: hops k; Mano: operators ℓ; copy: tokens copied.
    pub difficulty: usize,
    pub correct: usize,
    pub questions: usize,
}

impl Point {
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.questions.max(1) as f64
    }
}

/// What a Part 4.1 run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    /// The task's generator: `depo`, `mano` or `copy`.
    pub task: String,
    /// Easiest difficulty first; the last is the one the claims read.
    pub accuracy: Vec<Point>,
}

/// Evaluation documents per difficulty: enough that an accuracy near Mano's chance level
/// (1/23) has a standard error of about 0.01 (a copy or Mano document asks one question, a Depo
/// document up to ten).
const EVAL_DOCS: u64 = 500;

/// A task's evaluation: its name, its vocabulary and its questions at each difficulty.
struct TaskEvaluation {
    task: &'static str,
    vocab: Vocab,
    levels: Vec<(usize, Vec<Question>)>,
}

/// The evaluation of the task `dataset` generates (`None` for another part's data).
fn task_evaluation(dataset: &Dataset, seed: u64) -> Option<TaskEvaluation> {
    let mut doc = Doc::default();
    let mut questions = |make: &mut dyn FnMut(u64, &mut Doc) -> Vec<std::ops::Range<usize>>| {
        (0..EVAL_DOCS)
            .map(|i| {
                let answers = make(i, &mut doc);
                Question {
                    tokens: doc.tokens.clone(),
                    answers,
                }
            })
            .collect::<Vec<_>>()
    };
    let name = &dataset.name;
    if let Some(spec) = DepoSpec::of(dataset) {
        let depo = Depo::new(&spec, name, seed);
        // The longest cycle, every hop count: the paper evaluates at n = N.
        let levels = (1..=spec.max_hops)
            .map(|k| {
                let qs = questions(&mut |i, doc| {
                    depo.probe(i, spec.max_nodes, k, doc)
                        .into_iter()
                        .map(|q| q.answer)
                        .collect()
                });
                (k, qs)
            })
            .collect();
        return Some(TaskEvaluation {
            task: "depo",
            vocab: depo.vocab().clone(),
            levels,
        });
    }
    if let Some(spec) = ManoSpec::of(dataset) {
        let mano = Mano::new(&spec, name, seed);
        let levels = (1..=spec.max_operators)
            .map(|l| {
                let qs = questions(&mut |i, doc| {
                    mano.probe(i, l, doc);
                    std::iter::once(doc.tokens.len() - 1..doc.tokens.len()).collect()
                });
                (l, qs)
            })
            .collect();
        return Some(TaskEvaluation {
            task: "mano",
            vocab: mano.vocab().clone(),
            levels,
        });
    }
    let spec = CopySpec::of(dataset)?;
    let copy = Copy::new(&spec, name, seed);
    let lengths = [spec.min_length, spec.max_length];
    let levels = lengths
        .iter()
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|length| {
            let qs = questions(&mut |i, doc| {
                copy.probe(i, length, doc);
                std::iter::once(length + 1..2 * length + 1).collect()
            });
            (length, qs)
        })
        .collect();
    Some(TaskEvaluation {
        task: "copy",
        vocab: copy.vocab().clone(),
        levels,
    })
}

impl Part for Part41 {
    type Metrics = Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = super::NoSettings;

    const NAME: &'static str = "part4.1";

    const CODE_EPOCH: u32 = 2;
    const GENERATORS: &'static [&'static str] = &[DepoSpec::NAME, ManoSpec::NAME, CopySpec::NAME];

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        let (dataset, progress, context) = (input.dataset(), input.progress, input.context());
        let Some(TaskEvaluation {
            task,
            vocab,
            levels,
        }) = task_evaluation(dataset, input.seed())
        else {
            bail!("dataset `{}` is not a Part 4.1 task", dataset.name());
        };
        let longest = levels
            .iter()
            .flat_map(|(_, qs)| qs)
            .map(|q| q.tokens.len() + 1)
            .max();
        if let Some(longest) = longest.filter(|&l| l > context) {
            bail!(
                "dataset `{}`: evaluation documents of {longest} tokens exceed the recipe's context of {context}",
                dataset.name()
            );
        }
        progress.set_length(levels.len() as u64);
        let (bos, pad) = (vocab.eos(), vocab.pad());
        let accuracy = levels
            .iter()
            .map(|(difficulty, qs)| {
                let verdicts = answered(input.model(), qs, bos, pad, context);
                progress.inc(1);
                Point {
                    difficulty: *difficulty,
                    correct: verdicts.iter().flatten().filter(|&&v| v).count(),
                    questions: verdicts.iter().map(Vec::len).sum(),
                }
            })
            .collect();
        let measurements = Measurements {
            task: task.to_owned(),
            accuracy,
        };
        Ok(Measured::untimed(measurements))
    }

    fn brief(&self, manifest: &Manifest, m: &Self::Metrics) -> String {
        let points: Vec<String> = m
            .accuracy
            .iter()
            .map(|p| format!("{}:{:.2}", p.difficulty, p.accuracy()))
            .collect();
        format!(
            "P {} {} accuracy {}",
            manifest.parameters,
            m.task,
            points.join(" ")
        )
    }

    const COLUMNS: &'static [&'static str] =
        &["task", "accuracy at the hardest", "accuracy by difficulty"];

    fn cells(&self, _manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        let hardest = m.accuracy.last().map_or("—".into(), |p| {
            format!(
                "{:.3} ({} of {}, difficulty {})",
                p.accuracy(),
                p.correct,
                p.questions,
                p.difficulty
            )
        });
        let all: Vec<String> = m
            .accuracy
            .iter()
            .map(|p| format!("{}: {:.2}", p.difficulty, p.accuracy()))
            .collect();
        vec![m.task.clone(), hardest, all.join(" · ")]
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        let mut figures = Vec::new();
        for (task, axis) in [
            ("depo", "hops k (cycle of N nodes)"),
            ("mano", "operators ℓ"),
            ("copy", "tokens copied"),
        ] {
            let points: Vec<(String, Vec<(f64, f64)>)> = manifests
                .iter()
                .filter_map(|m| Some((m, Part41::metrics(m)?)))
                .filter(|(_, x)| x.task == task)
                .map(|(m, x)| {
                    let curve = x
                        .accuracy
                        .iter()
                        .map(|p| (p.difficulty as f64, p.accuracy()))
                        .collect();
                    (format!("{} / {}", m.model_name, m.recipe_name), curve)
                })
                .collect();
            if points.is_empty() {
                continue;
            }
            figures.push(Figure {
                name: format!("{task}-accuracy"),
                title: format!("{task}: exact-match accuracy by difficulty"),
                x_label: axis.into(),
                y_label: "accuracy".into(),
                points,
                lines: Vec::new(),
                axes: Axes::Linear,
            });
        }
        figures
    }

    const METHOD: &'static str = "Part 4.1 (arXiv:2512.17351), §2.1 and App. A. Each model is scored on 500 fresh documents \
         per difficulty (Depo: every hop count k at the longest cycle N, ten questions per \
         document; Mano: every operator count ℓ; copy: the shortest and longest sequence). A \
         question counts when every answer token is the model's most likely token given the true \
         text before it (greedy decoding's verdict). Claims read the hardest difficulty and each \
         architecture's best learning rate. Canon layers: a depthwise causal \
         convolution of kernel 4 with a residual at the sites A (after the attention norm), B \
         (on q, k, v), C (after the MLP norm), D (inside the MLP).";

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

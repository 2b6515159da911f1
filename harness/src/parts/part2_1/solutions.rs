//! Full-solution accuracy on iGSM, shared by Parts 2.1 and 2.2 (arXiv:2407.20311 §3,
//! arXiv:2408.16293 §4): the model greedily writes a solution to fresh problems — of the test
//! templates, never trained on, or (a scale's choice) of the trained ones — and the checker (`data::igsm::checker`) reads every step. Accuracy counts
//! solutions whose every step is right and whose answer is the question's value; redundancy
//! counts the unnecessary parameters such solutions compute; retries count `[BACK]` sentences.
//! Also the generator's own checks (`data::igsm::stats`), which do not depend on the model.

use std::sync::Mutex;

use anyhow::Result;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Part21;
use crate::data::igsm::World;
use crate::data::igsm::checker::check;
use crate::data::igsm::dataset::{ANSWER, Igsm};
use crate::data::igsm::official::IdGenSettings;
use crate::data::igsm::stats::{
    CheckerStats, OpStats, TemplateStats, checker_stats, template_stats,
};
use crate::data::igsm::{IgsmSpec, IgsmSplit};
use crate::data::{DocSource, Vocab};
use crate::figure::{Axes, Figure};
use crate::model::decode::greedy;
use crate::parts::{Excerpt, Measured, Measuring, Part};
use crate::run::Manifest;
use crate::spec::Invalid;

/// `[scales.<scale>.evaluation]` of Parts 2.1 and 2.2.
#[derive(Clone, Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// How the iGSM models are measured; defaults apply when absent.
    #[serde(default)]
    pub igsm: IgsmEval,
}

/// How iGSM models are measured (Part 2.1, arXiv:2407.20311, §3): full solutions, greedily
/// decoded, on problems whose solution templates were never trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmEval {
    /// Test problems per operation count (the paper uses 4096).
    #[serde(default = "one_hundred")]
    pub problems: usize,
    /// The solution templates of the evaluation problems: `test` (never trained on, the
    /// paper's) or `train` (fresh problems of the trained templates: in distribution).
    #[serde(default)]
    pub split: IgsmSplit,
    /// The operation counts evaluated; 1 to the dataset's `max_op` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<Vec<usize>>,
    /// Checks of the generator itself, the same for every run (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<IgsmDataEval>,
}

impl Default for IgsmEval {
    fn default() -> Self {
        Self {
            problems: one_hundred(),
            split: Default::default(),
            ops: None,
            data: None,
        }
    }
}

/// The generator checks (Part 2.1 §2 and Prop. 2.2), on the official generator's own stream
/// `fix_seed(seed)` with the given settings (iGSM-med: 15 and 20).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmDataEval {
    pub max_op: usize,
    pub max_edge: usize,
    pub seed: u32,
    /// Problems whose solutions the checker reads and whose operation counts are tallied.
    pub problems: usize,
    /// Problems with exactly `max_op` operations whose templates are counted (birthday paradox).
    pub template_problems: usize,
}

fn one_hundred() -> usize {
    100
}

/// Accuracy at one operation count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpPoint {
    pub op: usize,
    pub problems: usize,
    /// Every step right and the answer right.
    pub correct: usize,
    /// The answer right, whatever the steps.
    pub answer_correct: usize,
    /// Unnecessary parameters computed, summed over correct solutions.
    pub redundant: usize,
    /// `[BACK]` sentences written, summed over all solutions.
    pub retries: usize,
}

impl OpPoint {
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.problems.max(1) as f64
    }
}

/// An evaluation problem, the model's solution and the checker's verdict, for the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Example {
    pub op: usize,
    pub problem: String,
    pub solution: String,
    pub model_solution: String,
    pub verdict: String,
}

/// The generator's own checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataChecks {
    pub settings: IgsmDataEval,
    pub checker: CheckerStats,
    pub ops: OpStats,
    pub templates: TemplateStats,
}

/// The checker on the training data's own solutions (retries included).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingCheck {
    pub solutions: usize,
    pub accepted: usize,
    /// `[BACK]` sentences in them.
    pub retries: usize,
    /// Their correct sentences, one per solution step: retries per step measure the rate at
    /// which the retry data inserts mistakes (0 in manifests written before it was counted).
    #[serde(default)]
    pub steps: usize,
}

/// What a Part 2.1 or 2.2 run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    /// The training data's retry rate (0 for error-free data).
    pub retry_rate: f64,
    pub training_check: TrainingCheck,
    pub by_op: Vec<OpPoint>,
    pub examples: Vec<Example>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataChecks>,
}

impl Measurements {
    /// Accuracy over the operation counts in `ops` (all when `None`), and the problems behind it.
    pub fn accuracy(&self, ops: Option<(usize, usize)>) -> (f64, usize) {
        let points: Vec<&OpPoint> = self
            .by_op
            .iter()
            .filter(|p| ops.is_none_or(|(low, high)| (low..=high).contains(&p.op)))
            .collect();
        let problems: usize = points.iter().map(|p| p.problems).sum();
        let correct: usize = points.iter().map(|p| p.correct).sum();
        (correct as f64 / problems.max(1) as f64, problems)
    }

    /// Unnecessary parameters per correct solution.
    pub fn redundancy(&self) -> Option<f64> {
        let correct: usize = self.by_op.iter().map(|p| p.correct).sum();
        let redundant: usize = self.by_op.iter().map(|p| p.redundant).sum();
        (correct > 0).then(|| redundant as f64 / correct as f64)
    }

    /// `[BACK]` sentences per evaluation problem.
    pub fn retries_per_problem(&self) -> f64 {
        let problems: usize = self.by_op.iter().map(|p| p.problems).sum();
        let retries: usize = self.by_op.iter().map(|p| p.retries).sum();
        retries as f64 / problems.max(1) as f64
    }
}

/// Problems shown in the report per run.
const EXAMPLES: usize = 2;

/// Measures a model trained on iGSM.
pub fn measure(input: Measuring<Evaluation>) -> Result<Measured<Measurements>> {
    let spec: IgsmSpec = input.settings()?;
    let (evaluation, progress, context) = (&input.evaluation.igsm, input.progress, input.context());
    let data = Igsm::new(&spec, &input.dataset().name, input.seed());
    let vocab: &Vocab = data.vocab();
    let ops: Vec<usize> = evaluation
        .ops
        .clone()
        .unwrap_or_else(|| (1..=spec.max_op).collect());
    progress.set_length(ops.len() as u64);
    let answer = vocab.id(ANSWER);
    let mut by_op = Vec::new();
    let mut examples = Vec::new();
    for &op in &ops {
        let problems: Vec<_> = (0..evaluation.problems as u64)
            .map(|i| data.eval_problem(i, op, evaluation.split))
            .collect();
        let prompts: Vec<Vec<u32>> = problems
            .iter()
            .map(|p| {
                std::iter::once(vocab.eos())
                    .chain(p.prompt.iter().copied())
                    .collect()
            })
            .collect();
        // A solution ends with `<ans> value`.
        let outputs = greedy(input.model(), &prompts, context, context, |tokens| {
            tokens.len() >= 2 && tokens[tokens.len() - 2] == answer
                || tokens.last() == Some(&vocab.eos())
        });
        let mut point = OpPoint {
            op,
            problems: problems.len(),
            correct: 0,
            answer_correct: 0,
            redundant: 0,
            retries: 0,
        };
        for (problem, output) in problems.iter().zip(&outputs) {
            let (solution, given) = split_output(vocab, output, answer);
            let truth = &problem.generated.problem;
            let verdict = check(truth, &solution, given);
            point.answer_correct += usize::from(given == Some(truth.answer));
            point.retries += verdict.retries;
            if verdict.correct {
                point.correct += 1;
                point.redundant += verdict.redundant;
            }
            if op == *ops.last().expect("an op") && examples.len() < EXAMPLES {
                examples.push(Example {
                    op,
                    problem: problem.generated.problem_text(false),
                    solution: problem.generated.solution(),
                    model_solution: format!(
                        "{solution} (answer: {})",
                        given.map_or("none".into(), |a| a.to_string())
                    ),
                    verdict: verdict.error.unwrap_or_else(|| "correct".into()),
                });
            }
        }
        by_op.push(point);
        progress.inc(1);
    }
    let measurements = Measurements {
        retry_rate: spec.retry.as_ref().map_or(0.0, |r| r.rate),
        training_check: training_check(&data),
        by_op,
        examples,
        data: evaluation.data.as_ref().map(data_checks),
    };
    Ok(Measured::untimed(measurements))
}

/// Training solutions the checker reads per run: at the smoke scale about 2,450 solution steps,
/// enough that the retry rate they measure has a standard error near 5 % of itself (seven seeds
/// spread with sd 0.048 around a ratio of 1).
const TRAINING_CHECKED: u64 = 2000;

fn training_check(data: &Igsm) -> TrainingCheck {
    let mut check_result = TrainingCheck {
        solutions: 0,
        accepted: 0,
        retries: 0,
        steps: 0,
    };
    for index in 0..TRAINING_CHECKED.min(data.spec().docs) {
        let (generated, sentences) = data.training_solution(index);
        let texts: Vec<&str> = sentences.iter().map(|s| s.text.as_str()).collect();
        let verdict = check(
            &generated.problem,
            &format!(" {}.", texts.join(". ")),
            Some(generated.problem.answer),
        );
        check_result.solutions += 1;
        check_result.accepted += usize::from(verdict.correct);
        check_result.retries += verdict.retries;
        check_result.steps += sentences.iter().filter(|s| !s.mistake).count();
    }
    check_result
}

/// The model's solution text and its answer (`None` when it wrote no `<ans> number`).
fn split_output(vocab: &Vocab, output: &[u32], answer: u32) -> (String, Option<u32>) {
    let end = output
        .iter()
        .position(|&t| t == answer)
        .unwrap_or(output.len());
    let solution = vocab.decode(&output[..end]);
    let given = output
        .get(end + 1)
        .and_then(|&t| vocab.token(t).parse::<u32>().ok());
    (format!(" {solution}"), given)
}

/// The generator checks of `settings`, computed once per process (every run of a suite asks
/// for the same ones).
fn data_checks(settings: &IgsmDataEval) -> DataChecks {
    static DONE: Mutex<Vec<DataChecks>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().expect("no panic while checking");
    if let Some(found) = done.iter().find(|d| d.settings == *settings) {
        return found.clone();
    }
    let world = World::official();
    let mut idgen = IdGenSettings {
        max_op: settings.max_op,
        max_edge: settings.max_edge,
        op: None,
        perm_level: Some(5),
        detail_level: Some(0),
    };
    let (checker, ops) = checker_stats(&world, &idgen, settings.seed, settings.problems);
    idgen.op = Some(settings.max_op);
    let templates = template_stats(&world, &idgen, settings.seed, settings.template_problems);
    let checks = DataChecks {
        settings: settings.clone(),
        checker,
        ops,
        templates,
    };
    done.push(checks.clone());
    checks
}

/// Checks a scale's evaluation settings beyond serde.
pub fn check_evaluation(evaluation: &Evaluation) -> Result<(), Invalid> {
    let evaluation = &evaluation.igsm;
    if evaluation.problems == 0 {
        return Err(Invalid::field("igsm.problems", "must be at least 1"));
    }
    if let Some(data) = &evaluation.data {
        let settings = IdGenSettings {
            max_op: data.max_op,
            max_edge: data.max_edge,
            op: None,
            perm_level: None,
            detail_level: None,
        };
        crate::data::igsm::official::check_settings(&settings)
            .map_err(|(field, message)| Invalid::field(format!("igsm.data.{field}"), message))?;
    }
    Ok(())
}

/// One console line.
pub fn brief(manifest: &Manifest, m: &Measurements) -> String {
    let (accuracy, problems) = m.accuracy(None);
    format!(
        "P {} accuracy {accuracy:.3} of {problems} evaluation problems",
        manifest.parameters
    )
}

pub const COLUMNS: &[&str] = &[
    "retry rate",
    "accuracy (all ops)",
    "accuracy by op",
    "answer only",
    "redundancy",
    "retries per problem",
];

pub fn cells(m: &Measurements) -> Vec<String> {
    let (accuracy, problems) = m.accuracy(None);
    let by_op: Vec<String> = m
        .by_op
        .iter()
        .map(|p| format!("{}: {:.2}", p.op, p.accuracy()))
        .collect();
    let answers: usize = m.by_op.iter().map(|p| p.answer_correct).sum();
    vec![
        format!("{}", m.retry_rate),
        format!("{accuracy:.3} ({problems} problems)"),
        by_op.join(" · "),
        format!("{:.3}", answers as f64 / problems.max(1) as f64),
        m.redundancy().map_or("—".into(), |r| format!("{r:.3}")),
        format!("{:.2}", m.retries_per_problem()),
    ]
}

/// Accuracy by operation count, one curve per run.
pub fn figures(manifests: &[Manifest]) -> Vec<Figure> {
    let points: Vec<(String, Vec<(f64, f64)>)> = manifests
        .iter()
        .filter_map(|m| Some((m, Part21::metrics(m)?)))
        .map(|(m, x)| {
            let curve = x
                .by_op
                .iter()
                .map(|p| (p.op as f64, p.accuracy()))
                .collect();
            (m.label(), curve)
        })
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    vec![Figure {
        name: "accuracy-by-op".into(),
        title: "Full-solution accuracy by operations (the scale's evaluation split)".into(),
        x_label: "operations in the solution (op)".into(),
        y_label: "accuracy".into(),
        points,
        lines: Vec::new(),
        axes: Axes::Linear,
    }]
}

/// The run with the best accuracy over `ops` among those `keep` accepts: (accuracy, problems,
/// run).
pub fn best_accuracy<'a>(
    runs: &[&'a Manifest],
    ops: Option<(usize, usize)>,
    keep: impl Fn(&Measurements) -> bool,
) -> Option<(f64, usize, &'a Manifest)> {
    runs.iter()
        .filter_map(|m| {
            let x = Part21::metrics(m).filter(|x| keep(x))?;
            let (accuracy, problems) = x.accuracy(ops);
            (problems > 0).then_some((accuracy, problems, *m))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Each run's example problems with its solutions.
pub fn excerpts(manifests: &[Manifest]) -> Vec<Excerpt> {
    manifests
        .iter()
        .filter_map(|m| Some((m, Part21::metrics(m)?)))
        .flat_map(|(m, x)| {
            x.examples
                .into_iter()
                .enumerate()
                .map(move |(i, e)| Excerpt {
                    title: format!(
                        "{} — evaluation problem {} with {} operations",
                        m.label(),
                        i + 1,
                        e.op
                    ),
                    lines: vec![
                        ("problem".into(), e.problem),
                        ("the generator's solution".into(), e.solution),
                        ("the model's solution".into(), e.model_solution),
                        ("checker".into(), e.verdict),
                    ],
                })
        })
        .collect()
}

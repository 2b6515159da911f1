//! Part 2.2's retry data ("How to Learn From Mistakes on Grade-School Math Problems",
//! arXiv:2408.16293, §4 and §5): before each solution sentence, with probability `rate`, a wrong
//! parameter is written and withdrawn at once — `Define X as [BACK]` — then (with probability
//! `rate` again, and so on) another, then the right sentence.
//!
//! As the official `id_retry_gen.py` and `id_retry_weak_gen.py` (whose draws, after the
//! problem's, come from the same Python stream; this follows them):
//! * `retry`: the wrong parameter is one that cannot be computed yet from the sentences so far
//!   (and was not written yet): a real mistake;
//! * `retry_weak`: it is a parameter of the correct solution from this sentence on (the current
//!   one included, the official `self_contain=True`): a "fake mistake" needing no look at the
//!   dependency graph.

use super::checker::{BACK, inputs};
use super::dag::Param;
use super::problem::Problem;
use super::python::PyRandom;
use crate::data::igsm::RetryKind;

/// One solution sentence, and whether it is a withdrawn mistake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sentence {
    pub text: String,
    pub mistake: bool,
}

/// The solution's sentences with mistakes inserted at `rate`.
pub fn with_retries(
    problem: &Problem,
    py: &mut PyRandom,
    kind: RetryKind,
    rate: f64,
) -> Vec<Sentence> {
    let all = problem.all_params();
    let order = &problem.topological_order;
    let mut sentences = Vec::new();
    for (i, correct) in problem.solution.iter().enumerate() {
        let known = &order[..i];
        let mut candidates: Vec<Param> = match kind {
            RetryKind::Retry => all
                .iter()
                .copied()
                .filter(|p| !known.contains(p) && !computable(problem, p, known))
                .collect(),
            RetryKind::RetryWeak => order[i..].to_vec(),
        };
        // The official code picks by index into `all_param`, in that order.
        candidates.sort_by_key(|p| all.iter().position(|q| q == p));
        while !candidates.is_empty() {
            if py.random() >= rate {
                break;
            }
            let wrong = py.choice(&candidates);
            candidates.retain(|p| *p != wrong);
            sentences.push(Sentence {
                text: format!("Define {} as {BACK}", problem.full_name(&wrong)),
                mistake: true,
            });
        }
        sentences.push(Sentence {
            text: correct.clone(),
            mistake: false,
        });
    }
    sentences
}

/// Whether every input of `param` is among `known` (the RNG needs nothing).
fn computable(problem: &Problem, param: &Param, known: &[Param]) -> bool {
    inputs(problem, param).iter().all(|p| known.contains(p))
}

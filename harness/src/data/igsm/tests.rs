//! Tests of the checker and the retry data on problems from the official generator.

use rand_chacha::ChaCha8Rng;

use super::checker::{check, inputs};
use super::retry::with_retries;
use super::*;
use crate::data::rng::{StreamKey, index};
use crate::data::igsm::RetryKind;

/// `count` problems of `fix_seed(seed)` (one stream), with the settings of iGSM-med or hard.
fn problems(
    seed: u32,
    max_op: usize,
    max_edge: usize,
    detail_level: Option<u8>,
    count: usize,
) -> Vec<Generated> {
    let world = World::official();
    let settings = IdGenSettings {
        max_op,
        max_edge,
        op: None,
        perm_level: Some(5),
        detail_level,
    };
    let mut rng = Rngs::fix_seed(seed);
    let bins: Vec<u32> = (0..23).collect();
    (0..count)
        .map(|_| generate(&world, &mut rng, &settings, &bins))
        .collect()
}

fn text(sentences: &[String]) -> String {
    format!(" {}.", sentences.join(". "))
}

#[test]
fn every_generated_solution_is_accepted() {
    let mut checked = 0;
    for generated in problems(42, 15, 20, Some(0), 300)
        .into_iter()
        .chain(problems(7, 21, 28, Some(0), 60))
        // Detail levels that name each parameter and write each step's symbols.
        .chain(
            problems(3, 12, 18, None, 300)
                .into_iter()
                .filter(|g| [2, 6, 8].contains(&g.detail_level)),
        )
    {
        let problem = &generated.problem;
        let verdict = check(problem, &generated.solution(), Some(problem.answer));
        assert!(
            verdict.correct,
            "{:?}\n{}",
            verdict.error,
            generated.solution()
        );
        assert_eq!(verdict.defined, problem.solution.len());
        assert_eq!(verdict.redundant, 0);
        checked += 1;
    }
    assert!(checked > 400, "{checked}");
}

/// A random order of the solution's sentences in which every parameter comes after its inputs.
fn shuffled_valid_order(problem: &Problem, rng: &mut ChaCha8Rng) -> Vec<String> {
    let order = &problem.topological_order;
    let mut done: Vec<Param> = Vec::new();
    let mut sentences = Vec::new();
    while done.len() < order.len() {
        let ready: Vec<usize> = (0..order.len())
            .filter(|&i| !done.contains(&order[i]))
            .filter(|&i| {
                inputs(problem, &order[i])
                    .iter()
                    .all(|p| done.contains(p) || !order.contains(p))
            })
            .collect();
        let pick = ready[index(rng, ready.len())];
        done.push(order[pick]);
        sentences.push(problem.solution[pick].clone());
    }
    sentences
}

#[test]
fn any_valid_order_is_accepted_and_a_broken_one_is_not() {
    let mut rng = StreamKey::new(0, &["igsm-checker-test"]).rng(0, 0);
    let mut reordered = 0;
    for generated in problems(11, 15, 20, Some(0), 200) {
        let problem = &generated.problem;
        let sentences = shuffled_valid_order(problem, &mut rng);
        reordered += usize::from(sentences != problem.solution);
        let verdict = check(problem, &text(&sentences), Some(problem.answer));
        assert!(verdict.correct, "{:?}", verdict.error);
        if sentences.len() >= 2 {
            // The last sentence needs an earlier one: moving it first breaks a reference.
            let mut broken = problem.solution.clone();
            let last = broken.pop().expect("two sentences");
            broken.insert(0, last);
            let verdict = check(problem, &text(&broken), None);
            let error = verdict.error.expect("rejected");
            assert!(!verdict.correct);
            assert!(error.starts_with("sentence 1:"), "{error}");
        }
    }
    assert!(reordered > 20, "{reordered}");
}

#[test]
fn corrupted_solutions_are_rejected_naming_the_sentence() {
    for generated in problems(5, 15, 20, Some(0), 100) {
        let problem = &generated.problem;
        let n = problem.solution.len();
        // A wrong final value in the last sentence.
        let mut wrong_value = problem.solution.clone();
        let last = wrong_value[n - 1].clone();
        let (head, value) = last.rsplit_once(" = ").expect("a step");
        let value: u32 = value.parse().expect("a number");
        wrong_value[n - 1] = format!("{head} = {}", (value + 1) % 23);
        let verdict = check(problem, &text(&wrong_value), None);
        assert_eq!(
            verdict
                .error
                .map(|e| e.starts_with(&format!("sentence {n}:"))),
            Some(true)
        );
        // The question never computed.
        let verdict = check(problem, &text(&problem.solution[..n - 1]), None);
        assert!(verdict.error.expect("rejected").contains("never defined"));
        // The right solution and a wrong answer.
        let verdict = check(
            problem,
            &generated.solution(),
            Some((problem.answer + 1) % 23),
        );
        assert!(verdict.error.expect("rejected").starts_with("answer"));
        // An unknown parameter.
        let verdict = check(problem, " Define Nobody's Nothing as a; so a = 3.", None);
        assert!(
            verdict
                .error
                .expect("rejected")
                .contains("no parameter is called")
        );
    }
}

#[test]
fn a_correct_unnecessary_step_counts_as_redundancy() {
    let mut found = 0;
    for generated in problems(9, 15, 20, Some(0), 100) {
        let mut problem = generated.problem;
        // An unnecessary instance parameter computed from the RNG and necessary parameters only.
        let Some(extra) = problem.all_params().into_iter().find(|p| {
            p.is_instance()
                && problem.template.contains(p)
                && !problem.topological_order.contains(p)
                && inputs(&problem, p)
                    .iter()
                    .all(|q| problem.topological_order.contains(q))
        }) else {
            continue;
        };
        let mut rng = Rngs::fix_seed(1);
        problem.decode(&mut rng, extra);
        let verdict = check(&problem, &text(&problem.solution), Some(problem.answer));
        assert!(verdict.correct, "{:?}", verdict.error);
        assert_eq!(verdict.redundant, 1);
        found += 1;
    }
    assert!(found > 10, "{found}");
}

#[test]
fn retry_data_names_wrong_parameters_and_checks() {
    for generated in problems(13, 15, 20, Some(0), 60) {
        let problem = &generated.problem;
        for kind in [RetryKind::Retry, RetryKind::RetryWeak] {
            let mut py = python::PyRandom::seeded(3);
            let sentences = with_retries(problem, &mut py, kind, 0.5);
            let mistakes = sentences.iter().filter(|s| s.mistake).count();
            let texts: Vec<String> = sentences.iter().map(|s| s.text.clone()).collect();
            let verdict = check(problem, &text(&texts), Some(problem.answer));
            assert!(verdict.correct, "{:?}", verdict.error);
            assert_eq!(verdict.retries, mistakes);
            // Every mistake names a parameter that is wrong at that point.
            let mut known = Vec::new();
            for sentence in &sentences {
                let name = sentence
                    .text
                    .strip_prefix("Define ")
                    .and_then(|t| t.rsplit_once(" as "))
                    .unwrap()
                    .0;
                let param = problem
                    .all_params()
                    .into_iter()
                    .find(|p| problem.full_name(p) == name)
                    .unwrap();
                if sentence.mistake {
                    assert!(!known.contains(&param));
                    match kind {
                        RetryKind::Retry => {
                            assert!(!inputs(problem, &param).iter().all(|p| known.contains(p)))
                        }
                        RetryKind::RetryWeak => assert!(problem.topological_order.contains(&param)),
                    }
                } else {
                    known.push(param);
                }
            }
        }
        let mut py = python::PyRandom::seeded(3);
        let none = with_retries(problem, &mut py, RetryKind::Retry, 0.0);
        assert!(none.iter().all(|s| !s.mistake) && none.len() == problem.solution.len());
    }
}

/// The operation count and template bin (the official `op_`, `to_hash()`) of the first 100
/// problems of each golden configuration, as the official code printed them
/// (`tests/fixtures/igsm/*.op_hash`, from `official_sample.py --debug`).
#[test]
fn operation_counts_and_template_bins_match_the_official_code() {
    let files = [
        ("med_seed42", 42, 15, 20, Some(5), Some(0)),
        ("hard_seed7", 7, 21, 28, Some(5), Some(0)),
        ("random_levels_qp_seed1", 1, 10, 15, None, None),
        ("mild_detail7_seed3", 3, 12, 18, Some(2), Some(7)),
    ];
    let world = World::official();
    let bins: Vec<u32> = (0..23).collect();
    for (file, seed, max_op, max_edge, perm_level, detail_level) in files {
        let path = format!(
            "{}/../tests/fixtures/igsm/{file}.op_hash",
            env!("CARGO_MANIFEST_DIR")
        );
        let expected = std::fs::read_to_string(&path).unwrap();
        let settings = IdGenSettings {
            max_op,
            max_edge,
            op: None,
            perm_level,
            detail_level,
        };
        let mut rng = Rngs::fix_seed(seed);
        let ours: String = (0..100)
            .map(|_| {
                let g = generate(&world, &mut rng, &settings, &bins);
                format!("{} {}\n", g.op, g.problem.template_hash())
            })
            .collect();
        assert_eq!(ours, expected, "{file}");
    }
}

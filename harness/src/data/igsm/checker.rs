//! The full-solution checker (Part 2.1 §3, arXiv:2407.20311: a solution counts only if every
//! step is right). It reads a solution written in the generator's format — at the detail levels
//! that name each parameter and write each step's operands (0, 2, 6 and 8: `Define X as a; b =
//! a + 3 = 5 + 3 = 8; so …`, or X itself in place of its letter) — and checks, sentence by
//! sentence:
//!
//! * the parameter exists and is defined once, under a fresh letter;
//! * every letter a step uses was defined before (else: an undefined reference);
//! * every step's arithmetic mod 23 (its numbers are its operands' values; its result follows);
//! * the parameter's value is its true value, computed from exactly its true inputs
//!   (instance parameters: the problem's dependency graph; totals: the structure).
//!
//! Any order in which every input comes first is accepted. Parameters the question does not
//! need but that are computed correctly count as redundancy. A Part 2.2 retry sentence,
//! `Define X as [BACK]`, withdraws nothing and defines nothing; it is counted.

use std::collections::{BTreeSet, HashMap};

use super::dag::Param;
use super::problem::Problem;
use super::text::MODULUS;

/// The word a retry sentence ends with (Part 2.2, arXiv:2408.16293 §4).
pub const BACK: &str = "[BACK]";

/// What the checker found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Every step right, the question's parameter defined, and the answer (if given) its value.
    pub correct: bool,
    /// Parameters defined.
    pub defined: usize,
    /// Defined parameters the question does not need.
    pub redundant: usize,
    /// `[BACK]` sentences.
    pub retries: usize,
    /// The first error, naming the sentence (1-based) and what was wrong.
    pub error: Option<String>,
}

/// The true inputs of `param` (the RNG vertex left out): its dependency-graph predecessors for
/// an instance parameter, its structural inputs for a total.
pub fn inputs(problem: &Problem, param: &Param) -> BTreeSet<Param> {
    if param.is_instance() {
        if !problem.template.contains(param) {
            // Not an edge of the structure: nothing to compute it from.
            return BTreeSet::new();
        }
        return problem
            .template
            .predecessors(param)
            .into_iter()
            .filter(|p| *p != Param::RNG)
            .collect();
    }
    let (i, j, k) = (param.i, param.j, param.k);
    let mut set = BTreeSet::new();
    for child in problem.children(i, j) {
        set.insert(Param::instance(i, j, child));
        if k - i > 1 {
            set.insert(Param::abstract_(i + 1, child, k));
        }
    }
    set
}

/// A defined letter: its value and the parameters it was computed from.
struct Symbol {
    value: u32,
    depends_on: BTreeSet<Param>,
}

/// Checks `solution` (the text after the problem, e.g. ` Define … .`) against `problem`, and
/// `answer` if the model gave one.
pub fn check(problem: &Problem, solution: &str, answer: Option<u32>) -> Verdict {
    let by_name: HashMap<String, Param> = problem
        .all_params()
        .into_iter()
        .map(|p| (problem.full_name(&p), p))
        .collect();
    let mut verdict = Verdict {
        correct: false,
        defined: 0,
        redundant: 0,
        retries: 0,
        error: None,
    };
    let mut symbols: HashMap<String, Symbol> = HashMap::new();
    let mut values: HashMap<Param, u32> = HashMap::new();
    let text = solution.trim().trim_end_matches('.');
    let sentences = text.split(". ").filter(|s| !s.is_empty());
    for (number, sentence) in sentences.enumerate() {
        let fail = |message: String| format!("sentence {}: {message}", number + 1);
        match check_sentence(problem, &by_name, &mut symbols, &values, sentence) {
            Ok(Sentence::Retry) => verdict.retries += 1,
            Ok(Sentence::Defined(param, value)) => {
                values.insert(param, value);
                verdict.defined += 1;
                if !problem.topological_order.contains(&param) {
                    verdict.redundant += 1;
                }
            }
            Err(message) => {
                verdict.error = Some(fail(message));
                return verdict;
            }
        }
    }
    let question = problem.question;
    verdict.error = match (values.get(&question), answer) {
        (None, _) => Some(format!(
            "the question's {} is never defined",
            problem.full_name(&question)
        )),
        (Some(&value), Some(given)) if given != value => Some(format!(
            "answer {given}, but {} is {value}",
            problem.full_name(&question)
        )),
        _ => None,
    };
    verdict.correct = verdict.error.is_none();
    verdict
}

enum Sentence {
    Retry,
    Defined(Param, u32),
}

fn check_sentence(
    problem: &Problem,
    by_name: &HashMap<String, Param>,
    symbols: &mut HashMap<String, Symbol>,
    values: &HashMap<Param, u32>,
    sentence: &str,
) -> Result<Sentence, String> {
    let mut parts = sentence.split("; ");
    let definition = parts.next().unwrap_or_default();
    // `Define X as a`, or X itself when the detail level writes no letters for parameters.
    let (name, symbol) = match definition.strip_prefix("Define ") {
        Some(rest) => rest
            .rsplit_once(" as ")
            .ok_or_else(|| format!("`{definition}` is not `Define <parameter> as <letter>`"))?,
        None => (definition, definition),
    };
    let param = *by_name
        .get(name)
        .ok_or_else(|| format!("no parameter is called `{name}`"))?;
    if param.is_instance() && !problem.template.contains(&param) {
        return Err(format!("{name} is not a parameter of this problem"));
    }
    if symbol == BACK {
        return Ok(Sentence::Retry);
    }
    if values.contains_key(&param) {
        return Err(format!("{name} is defined twice"));
    }
    let steps: Vec<&str> = parts.collect();
    let (last, intermediates) = steps
        .split_last()
        .ok_or_else(|| format!("{name} is defined but never computed"))?;
    for step in intermediates {
        let (letter, value, depends_on) = evaluate(symbols, step)?;
        define(symbols, letter, value, depends_on)?;
    }
    let (so, value, depends_on) = evaluate(symbols, last)?;
    if so != format!("so {symbol}") {
        return Err(format!("the last step computes `{so}`, not `so {symbol}`"));
    }
    let wanted = inputs(problem, &param);
    if depends_on != wanted {
        let missing: Vec<String> = wanted
            .difference(&depends_on)
            .map(|p| problem.full_name(p))
            .collect();
        let extra: Vec<String> = depends_on
            .difference(&wanted)
            .map(|p| problem.full_name(p))
            .collect();
        return Err(format!(
            "{name} is computed from the wrong parameters (missing: [{}], not its inputs: [{}])",
            missing.join(", "),
            extra.join(", ")
        ));
    }
    if value != problem.lookup[&param] {
        return Err(format!(
            "{name} comes out {value}, but it is {}",
            problem.lookup[&param]
        ));
    }
    define(symbols, symbol, value, BTreeSet::from([param]))?;
    Ok(Sentence::Defined(param, value))
}

fn define(
    symbols: &mut HashMap<String, Symbol>,
    letter: &str,
    value: u32,
    depends_on: BTreeSet<Param>,
) -> Result<(), String> {
    if symbols.contains_key(letter) {
        return Err(format!("letter {letter} is defined twice"));
    }
    symbols.insert(letter.to_string(), Symbol { value, depends_on });
    Ok(())
}

/// One step `x = <operands> [= <numbers>] = <result>`: the name it defines, its value and the
/// parameters it depends on.
fn evaluate<'a>(
    symbols: &HashMap<String, Symbol>,
    step: &'a str,
) -> Result<(&'a str, u32, BTreeSet<Param>), String> {
    let parts: Vec<&str> = step.split(" = ").collect();
    let (name, result) = match parts.as_slice() {
        [name, .., result] if parts.len() >= 2 => (*name, *result),
        _ => return Err(format!("`{step}` is not a step `x = … = value`")),
    };
    let result: u32 = number(result).ok_or_else(|| format!("`{step}` does not end in a value"))?;
    let middle = &parts[1..parts.len() - 1];
    let Some(hint) = middle.first() else {
        // A bare constant: the parameter comes from the RNG alone.
        return Ok((name, result, BTreeSet::new()));
    };
    let (operands, op) = split_operation(hint);
    let mut operand_values = Vec::new();
    let mut depends_on = BTreeSet::new();
    for operand in &operands {
        if let Some(value) = number(operand) {
            operand_values.push(value);
        } else {
            let symbol = symbols
                .get(*operand)
                .ok_or_else(|| format!("`{step}` uses {operand}, which is not defined yet"))?;
            operand_values.push(symbol.value);
            depends_on.extend(symbol.depends_on.iter().copied());
        }
    }
    if let Some(numbers) = middle.get(1) {
        let (written, _) = split_operation(numbers);
        let written: Vec<Option<u32>> = written.iter().map(|n| number(n)).collect();
        if written != operand_values.iter().map(|&v| Some(v)).collect::<Vec<_>>() {
            return Err(format!(
                "`{step}`: the numbers are not the operands' values"
            ));
        }
    }
    let value = match (op, operand_values.as_slice()) {
        (None, [a]) => *a,
        (Some('+'), [a, b]) => (a + b) % MODULUS,
        (Some('-'), [a, b]) => (a + MODULUS - b) % MODULUS,
        (Some('*'), [a, b]) => a * b % MODULUS,
        _ => return Err(format!("`{step}` is not one binary operation")),
    };
    if value != result {
        return Err(format!("`{step}`: the result should be {value}"));
    }
    Ok((name, value, depends_on))
}

/// `a + b` → (["a", "b"], '+'); a single operand → ([x], None).
fn split_operation(text: &str) -> (Vec<&str>, Option<char>) {
    for op in ['+', '-', '*'] {
        let separator = format!(" {op} ");
        if text.contains(&separator) {
            return (text.split(separator.as_str()).collect(), Some(op));
        }
    }
    (vec![text], None)
}

fn number(text: &str) -> Option<u32> {
    text.parse::<u32>().ok().filter(|&n| n < MODULUS)
}

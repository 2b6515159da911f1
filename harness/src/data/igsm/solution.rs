//! The solution: one sentence per necessary parameter, its computation split into binary
//! operations, each intermediate result named by a fresh random letter: the official
//! `Problem.decode` / `to_sol` over the expressions of `expression.rs`.
//!
//! A sentence reads `Define X as a; b = 3 + c = 3 + 4 = 7; so a = 5 * b = 5 * 7 = 12`: the
//! definition, the intermediate steps, then the parameter's own step (name, symbols, numbers,
//! value; detail levels leave parts out).

use super::dag::Param;
use super::expression::{Expression, Op};
use super::problem::{Problem, Rngs};
use super::text::MODULUS;

/// What writing out one expression gives: its finished intermediate steps, value and name.
struct Written {
    steps: Vec<String>,
    value: u32,
    name: String,
}

impl Problem {
    /// The official `get_symbol()`: a random unused letter ("..." once all 52 are used).
    fn symbol(&mut self, rng: &mut Rngs) -> String {
        if self.symbols.is_empty() {
            return "...".to_string();
        }
        let symbol = rng.py.choice(&self.symbols);
        super::structure::remove(&mut self.symbols, &symbol);
        symbol.to_string()
    }

    /// The official `decode(param)`: the solution sentence of one necessary parameter.
    pub(super) fn decode(&mut self, rng: &mut Rngs, param: Param) {
        let mut expression = self.expressions[&param].clone();
        expression.simplify();
        expression.binarify();
        self.write(rng, &expression, true);
    }

    /// The official `to_sol(exp, append)`.
    fn write(&mut self, rng: &mut Rngs, expression: &Expression, append: bool) -> Written {
        if let Some(param) = expression.param
            && let Some(name) = self.symbol_of.get(&param)
        {
            return Written {
                steps: Vec::new(),
                value: self.lookup[&param],
                name: name.clone(),
            };
        }
        if expression.param.is_none() && expression.children.is_empty() {
            let value = expression.value.expect("a constant has a value");
            return Written {
                steps: Vec::new(),
                value,
                name: value.to_string(),
            };
        }
        let mut steps = Vec::new();
        let mut values = Vec::new();
        let mut names = Vec::new();
        if expression.children.is_empty() {
            values.extend(expression.value);
        } else {
            for child in &expression.children {
                let written = self.write(rng, child, false);
                steps.extend(written.steps);
                values.push(written.value);
                names.push(written.name);
            }
        }
        let sign = match expression.op {
            Some(Op::Diff) => " - ",
            Some(Op::Mul) => " * ",
            _ => " + ",
        };
        let hint = (!self.style.name_omit && !names.is_empty()).then(|| names.join(sign));
        let numbers = (!self.style.cal_omit && values.len() > 1).then(|| {
            let numbers: Vec<String> = values.iter().map(u32::to_string).collect();
            numbers.join(sign)
        });
        let value = match expression.op {
            Some(Op::Diff) => (values[0] + MODULUS - values[1]) % MODULUS,
            Some(Op::Mul) => values[0] * values[1] % MODULUS,
            _ => values.iter().sum::<u32>() % MODULUS,
        };
        let (definition, name) = match expression.param {
            Some(param) if !self.style.define_var => {
                let full = self.full_name(&param);
                (full.clone(), full)
            }
            Some(param) if self.style.define_detail => {
                let name = self.symbol(rng);
                (format!("Define {} as {name}", self.full_name(&param)), name)
            }
            Some(_) => {
                let name = self.symbol(rng);
                (format!("Define {name}"), name)
            }
            None => {
                let name = self.symbol(rng);
                (name.clone(), name)
            }
        };
        if let Some(param) = expression.param {
            self.symbol_of.insert(param, name.clone());
            assert_eq!(
                self.lookup[&param], value,
                "the solution of {param:?} disagrees with its value"
            );
        }
        let result = value.to_string();
        // `x = symbols = numbers = value`, the parts a detail level leaves out skipped.
        let step = |first: &str| {
            let parts = [
                Some(first),
                hint.as_deref(),
                numbers.as_deref(),
                Some(result.as_str()),
            ];
            parts
                .into_iter()
                .flatten()
                .collect::<Vec<&str>>()
                .join(" = ")
        };
        if append {
            let mut sentence = vec![definition];
            sentence.extend(steps);
            sentence.push(step(&format!("so {name}")));
            self.solution.push(sentence.join("; "));
            Written {
                steps: Vec::new(),
                value,
                name,
            }
        } else {
            steps.push(step(&definition));
            Written { steps, value, name }
        }
    }
}

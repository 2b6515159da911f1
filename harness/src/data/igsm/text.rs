//! The problem text: item names (the official `Data.__call__`), one sentence and one value per
//! instance parameter (`parse`), the sentence shuffle (`shuffle`) and the question.

use super::dag::Param;
use super::expression::{Expression, Op};
use super::problem::{Problem, Rngs, Shuffle};

/// Arithmetic is mod 23 (the official `mod`).
pub const MODULUS: u32 = 23;

impl Problem {
    /// Draws a hierarchy, `d` consecutive categories of it, and for each layer one item list
    /// and `l[i]` distinct items of it.
    pub(super) fn draw_names(&mut self, rng: &mut Rngs) {
        let world = self.world.clone();
        let hierarchy = rng.py.choice(&world.hierarchies);
        let starts: Vec<usize> = (0..hierarchy.len() - self.d + 1).collect();
        let start = rng.py.choice(&starts);
        self.layer_names = hierarchy[start..start + self.d].to_vec();
        self.names = (0..self.d)
            .map(|i| {
                let lists = world.lists(&self.layer_names[i]);
                let list = &lists[rng.py.below(lists.len())].items;
                rng.py.sample(list, self.l[i])
            })
            .collect();
    }

    /// "each A's B" as the problem writes a parameter.
    fn described(&self, param: &Param) -> String {
        format!("each {}", self.full_name(param))
    }

    /// The official `Num()`: a constant from the RNG vertex, in 1..=22 when it multiplies.
    fn constant(rng: &mut Rngs, multiplies: bool) -> u32 {
        if multiplies {
            rng.py.randint(1, MODULUS as usize - 1) as u32
        } else {
            rng.py.randint(0, MODULUS as usize - 1) as u32
        }
    }

    /// The official `parse(param)`: the sentence and value of an instance parameter (its draws:
    /// the constant, add-or-multiply, sum-or-difference), the value of an abstract one.
    pub(super) fn parse(&mut self, rng: &mut Rngs, param: Param) {
        if param.is_abstract() {
            self.parse_total(param);
            return;
        }
        if !param.is_instance() {
            return;
        }
        let mut inputs = self.template.predecessors(&param);
        assert!(
            !inputs.is_empty(),
            "instance parameter {param:?} has no inputs"
        );
        let mut text = vec![format!("The number of {} equals", self.described(&param))];
        let mut top = Expression::param(param);
        let mut constant = None;
        if let Some(at) = inputs.iter().position(|p| *p == Param::RNG) {
            inputs.remove(at);
            if inputs.is_empty() {
                let value = Self::constant(rng, false);
                top.children.push(Expression::number(value));
                text.push(value.to_string());
                self.sentence_of.insert(param, text.join(" "));
                self.expressions.insert(param, top);
                self.lookup.insert(param, value);
                return;
            }
            let (op, value) = if rng.py.random() < 0.5 {
                let value = Self::constant(rng, false);
                text.push(format!("{value} more than"));
                (Op::Add, value)
            } else {
                let value = Self::constant(rng, true);
                text.push(format!("{value} times as much as"));
                (Op::Mul, value)
            };
            top.op = Some(op);
            top.children.push(Expression::number(value));
            constant = Some((op, value));
        }
        let mut rest = Expression::default();
        let values: Vec<u32> = inputs.iter().map(|p| self.lookup[p]).collect();
        let mut combined = 0;
        match inputs.len() {
            1 => {
                combined = values[0];
                text.push(self.described(&inputs[0]));
            }
            2 => {
                let (a, b) = (self.described(&inputs[0]), self.described(&inputs[1]));
                if rng.py.random() < 0.5 {
                    text.push(format!("the sum of {a} and {b}"));
                    combined = (values[0] + values[1]) % MODULUS;
                    rest.op = Some(Op::Sum);
                } else {
                    text.push(format!("the difference of {a} and {b}"));
                    combined = (values[0] + MODULUS - values[1]) % MODULUS;
                    rest.op = Some(Op::Diff);
                }
            }
            n => {
                rest.op = Some(Op::Sum);
                text.push("the sum of".to_string());
                for (i, input) in inputs.iter().enumerate() {
                    let name = self.described(input);
                    text.push(if i == n - 1 {
                        format!("and {name}")
                    } else if i == n - 2 {
                        name
                    } else {
                        format!("{name},")
                    });
                    combined = (combined + values[i]) % MODULUS;
                }
            }
        }
        rest.children = inputs
            .iter()
            .zip(&values)
            .map(|(p, &v)| Expression::known(*p, v))
            .collect();
        let value = match constant {
            None => {
                // The inputs are the parameter's own expression (the official `exp1 = exp0`).
                top.op = rest.op;
                top.children = rest.children;
                combined
            }
            Some((op, number)) => {
                top.children.push(rest);
                match op {
                    Op::Mul => number * combined % MODULUS,
                    _ => (number + combined) % MODULUS,
                }
            }
        };
        self.sentence_of.insert(param, text.join(" "));
        self.expressions.insert(param, top);
        self.lookup.insert(param, value);
    }

    /// An abstract total: the sum of its instance inputs (one layer down), or of each child's
    /// count times that child's total (further down).
    fn parse_total(&mut self, param: Param) {
        let (i, j, k) = (param.i, param.j, param.k);
        let mut total = 0;
        let mut expression = Expression::param(param);
        expression.op = Some(Op::Sum);
        if i + 1 == k {
            for input in self.template.predecessors(&param) {
                let value = self.lookup[&input];
                total = (total + value) % MODULUS;
                expression.children.push(Expression::known(input, value));
            }
        } else {
            for child in self.children(i, j) {
                let count = Param::instance(i, j, child);
                let lower = Param::abstract_(i + 1, child, k);
                let (a, b) = (self.lookup[&count], self.lookup[&lower]);
                total = (total + a * b) % MODULUS;
                let mut product = Expression {
                    op: Some(Op::Mul),
                    ..Expression::default()
                };
                product.children = vec![Expression::known(count, a), Expression::known(lower, b)];
                expression.children.push(product);
            }
        }
        self.lookup.insert(param, total);
        self.expressions.insert(param, expression);
    }

    /// "How many B does A have?" (an instance) or "How many C does A have?" (a total).
    pub(super) fn question_sentence(&self) -> String {
        let q = self.question;
        let owner = &self.names[q.i][q.j];
        if q.is_instance() {
            format!("How many {} does {owner} have?", self.names[q.i + 1][q.k])
        } else {
            format!("How many {} does {owner} have?", self.layer_names[q.k])
        }
    }

    /// The official `shuffle()` of the problem order.
    pub(super) fn shuffle(&mut self, rng: &mut Rngs) {
        match self.style.shuffle {
            Shuffle::None => {}
            Shuffle::Hard => rng.py.shuffle(&mut self.problem_order),
            Shuffle::Mild(reach) => {
                let n_param = self.problem_order.len()
                    - usize::from(self.problem_order.contains(&Param::RNG));
                let slots: Vec<(usize, usize)> = (0..n_param)
                    .map(|i| (i + rng.py.randint(0, reach), i))
                    .collect();
                let mut sorted = Vec::with_capacity(n_param);
                for slot in 0..n_param + reach {
                    let mut pool: Vec<usize> = slots
                        .iter()
                        .filter(|(s, _)| *s == slot)
                        .map(|(_, i)| *i)
                        .collect();
                    rng.py.shuffle(&mut pool);
                    sorted.extend(pool);
                }
                super::structure::remove(&mut self.problem_order, &Param::RNG);
                let mut order: Vec<Param> = sorted.iter().map(|&i| self.problem_order[i]).collect();
                order.push(Param::RNG);
                self.problem_order = order;
            }
        }
    }
}

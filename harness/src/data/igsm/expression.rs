//! The official `Expression`: how a parameter's value is built from constants and other
//! parameters, before it is written out as solution steps (`solution.rs`).

use super::dag::Param;

/// An operation of the official expressions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// "x more than": written with " + ".
    Add,
    /// "the sum of": written with " + ".
    Sum,
    /// "the difference of a and b": a − b.
    Diff,
    /// "x times as much as", and a child's count times its total.
    Mul,
}

/// An official `Expression`: a constant, a reference to a parameter, or an operation over
/// children (an intermediate when it has no parameter).
#[derive(Clone, Debug, Default)]
pub struct Expression {
    pub value: Option<u32>,
    pub op: Option<Op>,
    pub param: Option<Param>,
    pub children: Vec<Expression>,
}

impl Expression {
    /// A parameter's own expression, children added later.
    pub fn param(param: Param) -> Self {
        Expression {
            param: Some(param),
            ..Self::default()
        }
    }

    /// A constant drawn from the RNG vertex.
    pub fn number(value: u32) -> Self {
        Expression {
            value: Some(value),
            ..Self::default()
        }
    }

    /// A reference to an earlier parameter and its value.
    pub fn known(param: Param, value: u32) -> Self {
        Expression {
            value: Some(value),
            param: Some(param),
            ..Self::default()
        }
    }

    /// The official `simplify()`: a single-child chain collapses into its child.
    pub fn simplify(&mut self) {
        if self.children.len() == 1 && (self.param.is_none() || self.children[0].param.is_none()) {
            let child = self.children.pop().expect("one child");
            if child.value.is_some() {
                self.value = child.value;
            }
            self.op = child.op;
            if self.param.is_none() {
                self.param = child.param;
            }
            self.children = child.children;
            self.simplify();
            return;
        }
        for child in &mut self.children {
            child.simplify();
        }
    }

    /// The official `binarify()`: `[a, b, c, d]` becomes `[(a + b) + c, d]`.
    pub fn binarify(&mut self) {
        for child in &mut self.children {
            child.binarify();
        }
        while self.children.len() > 2 {
            let rest = self.children.split_off(2);
            let pair = std::mem::take(&mut self.children);
            self.children = std::iter::once(Expression {
                op: Some(Op::Add),
                children: pair,
                ..Expression::default()
            })
            .chain(rest)
            .collect();
        }
    }
}

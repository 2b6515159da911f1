//! Mano, Part 4.1's test of knowledge manipulation (Allen-Zhu, arXiv:2512.17351, §2.1 and
//! App. A): modular arithmetic in prefix notation, `<len_ℓ> + * a b - c d <ans> v`, where the
//! expression has ℓ operators over single-token operands 0..23 and `v` is its value mod 23. The
//! model must hold the three operators' tables and apply them ℓ levels deep, without writing any
//! intermediate result down.
//!
//! Choices: ℓ is uniform in 1..=L; an expression of ℓ operators picks its operator uniformly
//! from {+, −, ×} and gives its left operand a uniform share 0..ℓ−1 of the remaining operators
//! (the right operand takes the rest), as the paper's code builds them. Training uses the loss on
//! every token (the paper's choice), so the answer span only serves evaluation. The code's
//! extras (two token ids per operator, a question-id token per length) are left out.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use rand_chacha::ChaCha8Rng;

use super::rng::{StreamKey, below};
use super::{Doc, SpanKind, Vocab};
use super::generator::at_least_one;
use super::{DocSource, Generator};
use crate::spec::Invalid;

/// Mano: prefix expressions mod 23 (Part 4.1 §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManoSpec {
    /// Documents (each one expression).
    pub docs: u64,
    /// L: the most operators an expression has (1..=L, uniform).
    pub max_operators: usize,
}

impl Generator for ManoSpec {
    const NAME: &'static str = "mano";

    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.docs, "docs")?;
        at_least_one(self.max_operators as u64, "max_operators")
    }

    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Mano::new(self, name, seed))
    }
}

/// The modulus (the paper's 23).
pub const MODULUS: u32 = 23;

const OPERATORS: [&str; 3] = ["+", "-", "*"];

pub struct Mano {
    spec: ManoSpec,
    /// The dataset's name, which seeds its streams.
    name: String,
    key: StreamKey,
    vocab: Vocab,
}

impl Mano {
    pub fn new(spec: &ManoSpec, name: &str, seed: u64) -> Self {
        let words: Vec<String> = (0..MODULUS)
            .map(|v| v.to_string())
            .chain(OPERATORS.iter().map(|o| o.to_string()))
            .chain((1..=spec.max_operators).map(length_word))
            .chain(["<ans>".to_owned()])
            .collect();
        Self {
            spec: spec.clone(),
            name: name.to_owned(),
            key: StreamKey::new(seed, &["mano", name]),
            vocab: Vocab::from_texts(words.iter().map(String::as_str)),
        }
    }

    /// Training document `index`; returns the answer's value.
    pub fn document(&self, index: u64, doc: &mut Doc) -> u32 {
        let mut rng = self.key.rng(index, 0);
        let operators = 1 + below(&mut rng, self.spec.max_operators as u32) as usize;
        self.write(&mut rng, operators, doc)
    }

    /// Evaluation document `index` (a stream apart from training's) with exactly `operators`
    /// operators; returns the answer's value.
    pub fn probe(&self, index: u64, operators: usize, doc: &mut Doc) -> u32 {
        let key = StreamKey::new(0, &["mano-eval", &self.name]);
        self.write(&mut key.rng(index, operators as u32), operators, doc)
    }

    fn write(&self, rng: &mut ChaCha8Rng, operators: usize, doc: &mut Doc) -> u32 {
        doc.clear();
        doc.tokens.push(self.vocab.id(&length_word(operators)));
        let value = self.expression(rng, operators, doc);
        doc.tokens.push(self.vocab.id("<ans>"));
        doc.push_span(SpanKind::Value(0), &[self.vocab.id(&value.to_string())]);
        value
    }

    /// Writes a random expression of `operators` operators and returns its value.
    fn expression(&self, rng: &mut ChaCha8Rng, operators: usize, doc: &mut Doc) -> u32 {
        if operators == 0 {
            let operand = below(rng, MODULUS);
            doc.tokens.push(self.vocab.id(&operand.to_string()));
            return operand;
        }
        let operator = below(rng, 3) as usize;
        doc.tokens.push(self.vocab.id(OPERATORS[operator]));
        let left_share = below(rng, operators as u32) as usize;
        let left = self.expression(rng, left_share, doc);
        let right = self.expression(rng, operators - 1 - left_share, doc);
        apply(operator, left, right)
    }

    /// The tokens of an answer value.
    pub fn value_token(&self, value: u32) -> u32 {
        self.vocab.id(&value.to_string())
    }
}

fn apply(operator: usize, a: u32, b: u32) -> u32 {
    match operator {
        0 => (a + b) % MODULUS,
        1 => (a + MODULUS - b) % MODULUS,
        _ => (a * b) % MODULUS,
    }
}

fn length_word(operators: usize) -> String {
    format!("<len{operators}>")
}

super::independent_documents!(Mano);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DocSource;

    /// Evaluates a prefix expression from its words, independently of the generator.
    fn evaluate(words: &mut std::slice::Iter<&str>) -> i64 {
        let word = *words.next().unwrap();
        let (a, b) = match word {
            "+" | "-" | "*" => (evaluate(words), evaluate(words)),
            operand => return operand.parse().unwrap(),
        };
        let value = match word {
            "+" => a + b,
            "-" => a - b,
            _ => a * b,
        };
        value.rem_euclid(23)
    }

    #[test]
    fn answers_are_the_expressions_values_mod_23() {
        let spec = ManoSpec {
            docs: 200,
            max_operators: 6,
        };
        let mano = Mano::new(&spec, "mano", 9);
        let mut doc = Doc::default();
        let mut lengths = [0usize; 7];
        for index in 0..200 {
            let value = mano.document(index, &mut doc);
            let words: Vec<&str> = doc.tokens.iter().map(|&t| mano.vocab().token(t)).collect();
            let operators: usize = words[0]["<len".len()..words[0].len() - 1].parse().unwrap();
            lengths[operators] += 1;
            let expression = &words[1..words.len() - 2];
            assert_eq!(expression.len(), 2 * operators + 1, "{words:?}");
            assert_eq!(
                expression.iter().filter(|w| OPERATORS.contains(w)).count(),
                operators
            );
            let mut iter = expression.iter();
            assert_eq!(evaluate(&mut iter), i64::from(value), "{words:?}");
            assert_eq!(words[words.len() - 2], "<ans>");
            assert_eq!(words[words.len() - 1], value.to_string());
            assert_eq!(
                doc.span_tokens(SpanKind::Value(0)),
                Some(&[mano.value_token(value)][..])
            );
        }
        assert_eq!(lengths[0], 0);
        assert!(
            lengths[1..].iter().all(|&n| n > 15),
            "ℓ spreads over 1..=6: {lengths:?}"
        );
        let value = mano.probe(3, 6, &mut doc);
        assert_eq!(doc.tokens.len(), 1 + 13 + 2);
        assert_eq!(doc.tokens[doc.tokens.len() - 1], mano.value_token(value));
    }
}

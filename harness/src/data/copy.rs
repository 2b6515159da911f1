//! The copy task of Part 4.1's Fig. 5 (Allen-Zhu, arXiv:2512.17351, §4): `x₁ … xₘ <copy> x₁ … xₘ`,
//! where `x` is a random arrangement of `m` distinct tokens. Copying needs an induction head —
//! find where the current token sat before and read what followed it — which takes one layer to
//! find the previous token and another to look it up; a Canon layer supplies the previous token
//! inside the first, so one layer with Canon copies where one without cannot.
//!
//! Choices: the paper copies a permutation of 500 tokens; here `m` is uniform in
//! `min_length..=max_length` so that no fixed offset between a token and its copy exists (a
//! rotary model could otherwise attend by position alone), and only the copy is trained on (its
//! value span), since the first half is random.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::rng::{StreamKey, below};
use super::{Doc, SpanKind, Vocab};
use super::generator::at_least_one;
use super::{DocSource, Generator};
use crate::spec::Invalid;

/// The copy task of Part 4.1's Fig. 5.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    /// Documents (each one sequence and its copy).
    pub docs: u64,
    /// Tokens to copy, at least and at most (uniform in between).
    pub min_length: usize,
    pub max_length: usize,
    /// Distinct tokens to draw from; at least `max_length`.
    pub alphabet: usize,
}

impl Generator for CopySpec {
    const NAME: &'static str = "copy";

    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.docs, "docs")?;
        at_least_one(self.min_length as u64, "min_length")?;
        if self.max_length < self.min_length {
            return Err(Invalid::field(
                "max_length",
                format!("{} is below min_length = {}", self.max_length, self.min_length),
            ));
        }
        if self.alphabet < self.max_length {
            return Err(Invalid::field(
                "alphabet",
                format!(
                    "{} tokens cannot make {} distinct ones",
                    self.alphabet, self.max_length
                ),
            ));
        }
        Ok(())
    }

    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Copy::new(self, name, seed))
    }
}

pub struct Copy {
    spec: CopySpec,
    /// The dataset's name, which seeds its streams.
    name: String,
    key: StreamKey,
    vocab: Vocab,
}

impl Copy {
    pub fn new(spec: &CopySpec, name: &str, seed: u64) -> Self {
        let words: Vec<String> = (0..spec.alphabet)
            .map(|t| format!("t{t}"))
            .chain(["<copy>".to_owned()])
            .collect();
        Self {
            spec: spec.clone(),
            name: name.to_owned(),
            key: StreamKey::new(seed, &["copy", name]),
            vocab: Vocab::from_texts(words.iter().map(String::as_str)),
        }
    }

    /// Training document `index`.
    pub fn document(&self, index: u64, doc: &mut Doc) {
        let span = (self.spec.max_length - self.spec.min_length + 1) as u32;
        let mut rng = self.key.rng(index, 0);
        let length = self.spec.min_length + below(&mut rng, span) as usize;
        self.write(&mut rng, length, doc);
    }

    /// Evaluation document `index` (a stream apart from training's) of exactly `length` tokens.
    pub fn probe(&self, index: u64, length: usize, doc: &mut Doc) {
        let key = StreamKey::new(0, &["copy-eval", &self.name]);
        self.write(&mut key.rng(index, length as u32), length, doc);
    }

    fn write(&self, rng: &mut rand_chacha::ChaCha8Rng, length: usize, doc: &mut Doc) {
        doc.clear();
        // The first `length` places of a Fisher–Yates shuffle: distinct tokens in random order.
        let mut pool: Vec<u32> = (0..self.spec.alphabet)
            .map(|t| self.vocab.id(&format!("t{t}")))
            .collect();
        for i in 0..length {
            let j = i + below(rng, (pool.len() - i) as u32) as usize;
            pool.swap(i, j);
        }
        let sequence = &pool[..length];
        doc.tokens.extend_from_slice(sequence);
        doc.tokens.push(self.vocab.id("<copy>"));
        doc.push_span(SpanKind::Value(0), sequence);
    }
}

super::independent_documents!(Copy);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DocSource;

    #[test]
    fn documents_are_distinct_tokens_then_the_same_again() {
        let spec = CopySpec {
            docs: 100,
            min_length: 5,
            max_length: 9,
            alphabet: 12,
        };
        let copy = Copy::new(&spec, "copy", 4);
        let mut doc = Doc::default();
        let mut lengths = std::collections::BTreeSet::new();
        for index in 0..100 {
            copy.document(index, &mut doc);
            let marker = copy.vocab().id("<copy>");
            let split = doc.tokens.iter().position(|&t| t == marker).unwrap();
            let (first, second) = (&doc.tokens[..split], &doc.tokens[split + 1..]);
            assert_eq!(first, second);
            assert_eq!(doc.span_tokens(SpanKind::Value(0)), Some(first));
            let distinct: std::collections::HashSet<_> = first.iter().collect();
            assert_eq!(distinct.len(), first.len());
            lengths.insert(first.len());
        }
        assert_eq!(lengths, (5..=9).collect());
        copy.probe(0, 12, &mut doc);
        assert_eq!(doc.tokens.len(), 25);
    }
}

//! The six bioS questions per person, in our own wording, with exact answers.
//!
//! One document per (person, attribute): `<question> Answer: <value>.` The answer span is
//! recorded as `SpanKind::Value(attribute)`, so answer-only losses and exact-match scoring read
//! the same tokens the biography used for that attribute.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bios::{Person, in_test_split, lexicon, sample_people};
use super::pools::{self, ATTRIBUTES, PoolSizes, QUESTIONS};
use super::vocab::Vocab;
use super::{Doc, DocSource, Generator, SpanKind};
use crate::spec::Invalid;

/// The six questions per person about bioS people, one split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosQaSpec {
    /// N: the same first N people as a `bios` dataset of this suite.
    pub people: usize,
    /// As the `bios` dataset's `pools` (the same people need the same pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// Which half of the people: each person falls in `train` or `test` by a fair coin.
    pub split: Split,
}

/// A half of the people of a suite (Part 3.1's QA split): each person falls in one by a fair
/// coin ([`in_test_split`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Test,
}

impl Generator for BiosQaSpec {
    const NAME: &'static str = "bios-qa";

    fn check(&self) -> Result<(), Invalid> {
        pools::check_people(self.people)?;
        pools::check_pool_sizes(self.pools)
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(BiosQa::new(self, seed))
    }
}

pub struct BiosQa {
    /// `(person index in the suite, person)` for the people in this split.
    members: Vec<(usize, Person)>,
    /// Tokenised `QUESTIONS` and the answer marker.
    questions: [(Vec<u32>, Vec<u32>); 6],
    answer: Vec<u32>,
}

impl BiosQa {
    pub fn new(spec: &BiosQaSpec, seed: u64) -> Self {
        let vocab = &lexicon().vocab;
        let want_test = spec.split == Split::Test;
        let members = sample_people(seed, spec.people, spec.pools)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| in_test_split(seed, *i) == want_test)
            .collect();
        Self {
            members,
            questions: QUESTIONS.map(|(before, after)| (vocab.encode(before), vocab.encode(after))),
            answer: vocab.encode("Answer:"),
        }
    }

    /// The suite-wide index of each person in this split, in document order.
    pub fn person_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.members.iter().map(|(i, _)| *i)
    }
}

impl DocSource for BiosQa {
    fn vocab(&self) -> &Vocab {
        &lexicon().vocab
    }

    fn people(&self) -> usize {
        self.members.len()
    }

    fn entries(&self) -> u32 {
        1
    }

    fn docs_per_entry(&self) -> u64 {
        (self.members.len() * ATTRIBUTES.len()) as u64
    }

    fn doc(&self, index: u64, doc: &mut Doc) {
        let lexicon = lexicon();
        let (member, attribute) = ((index / 6) as usize, (index % 6) as usize);
        let person = &self.members[member].1;
        let (before, after) = &self.questions[attribute];
        doc.clear();
        doc.tokens.extend_from_slice(before);
        lexicon.push_name(person, &mut doc.tokens);
        doc.tokens.extend_from_slice(after);
        doc.tokens.extend_from_slice(&self.answer);
        let mut value = Vec::new();
        lexicon.push_value(person, attribute, &mut value);
        doc.push_span(SpanKind::Value(attribute as u16), &value);
        if value.last() != Some(&lexicon.period()) {
            doc.tokens.push(lexicon.period());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bios::Bios;
    use crate::data::bios::BiosSpec;

    #[test]
    fn answers_equal_the_attribute_in_the_bio_and_splits_partition_people() {
        let people = 60;
        let bios = Bios::new(
            &BiosSpec {
                people,
                pools: None,
                augmentation: "multi2+permute".into(),
                entries: None,
            },
            3,
        );
        let qa = |split| {
            BiosQa::new(
                &BiosQaSpec {
                    people,
                    pools: None,
                    split,
                },
                3,
            )
        };
        let (train, test) = (qa(Split::Train), qa(Split::Test));
        let mut seen: Vec<usize> = train
            .person_indices()
            .chain(test.person_indices())
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            (0..people).collect::<Vec<_>>(),
            "every person in exactly one split"
        );
        assert!(train.people() > 15 && test.people() > 15);

        let (mut bio, mut question) = (Doc::default(), Doc::default());
        for split in [&train, &test] {
            for (member, person) in split.person_indices().enumerate() {
                bios.doc(person as u64, &mut bio);
                for attribute in 0..6u16 {
                    split.doc(member as u64 * 6 + u64::from(attribute), &mut question);
                    let kind = SpanKind::Value(attribute);
                    assert_eq!(question.span_tokens(kind), bio.span_tokens(kind));
                }
            }
        }
    }
}

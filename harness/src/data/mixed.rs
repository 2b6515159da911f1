//! Part 3.1's mixed training (Allen-Zhu & Li, arXiv:2309.14316, §4.1): the biographies of all N
//! people and the questions about the `train` half, trained together from scratch. Each window
//! holds biographies only or questions only (the paper's choice, which the packer keeps through
//! [`DocSource::kind`]), and the questions come in `qa_copies` copies per round to set their share
//! of the tokens.
//!
//! The biographies are exactly those of a `bios` dataset of the same people and augmentation,
//! and the questions those of a `bios-qa` dataset of the `train` split, so accuracy on the
//! `test` split's questions measures extraction for people whose questions were never seen.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bios::{Bios, BiosSpec};
use super::generator::at_least_one;
use super::pools::PoolSizes;
use super::qa::{BiosQa, BiosQaSpec, Split};
use super::{Doc, DocSource, Generator, Vocab};
use crate::spec::Invalid;

/// Part 3.1's mixed training: bioS biographies of every person and the questions about the
/// `train` half, each window all biographies or all questions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosMixedSpec {
    /// N: the same first N people as the suite's other bioS datasets.
    pub people: usize,
    /// As the `bios` dataset's `pools`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// The biographies' augmentation, as for `bios`.
    pub augmentation: String,
    /// Copies of every question about the `train` half in each round of biographies; the QA
    /// share of tokens follows (`plm data` prints the tokens). Part 3.1 trains with 80 % QA
    /// tokens: per person, one bioS biography is about 70 tokens and a copy of the questions
    /// about 45 (six of about 15 tokens, for half the people), so about 6 copies.
    pub qa_copies: u32,
}

impl BiosMixedSpec {
    /// The biographies alone, as a `bios` dataset.
    pub fn biographies(&self) -> BiosSpec {
        BiosSpec {
            people: self.people,
            pools: self.pools,
            augmentation: self.augmentation.clone(),
            entries: None,
        }
    }
}

impl Generator for BiosMixedSpec {
    const NAME: &'static str = "bios-mixed";

    fn check(&self) -> Result<(), Invalid> {
        self.biographies().check()?;
        at_least_one(u64::from(self.qa_copies), "qa_copies")
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(BiosMixed::new(self, seed))
    }
}

/// [`DocSource::kind`] of a biography.
pub const BIOGRAPHY: u8 = 0;
/// [`DocSource::kind`] of a question.
pub const QUESTION: u8 = 1;

pub struct BiosMixed {
    bios: Bios,
    questions: BiosQa,
    copies: u64,
}

impl BiosMixed {
    pub fn new(spec: &BiosMixedSpec, seed: u64) -> Self {
        let questions = BiosQaSpec {
            people: spec.people,
            pools: spec.pools,
            split: Split::Train,
        };
        Self {
            bios: Bios::new(&spec.biographies(), seed),
            questions: BiosQa::new(&questions, seed),
            copies: u64::from(spec.qa_copies),
        }
    }

    /// Where document `index` lies: `(kind, index in its source)`. An entry (a round) lists one
    /// entry of biographies, then the copies of the questions.
    fn locate(&self, index: u64) -> (u8, u64) {
        let biographies = self.bios.docs_per_entry();
        let (entry, within) = (index / self.docs_per_entry(), index % self.docs_per_entry());
        if within < biographies {
            (BIOGRAPHY, entry * biographies + within)
        } else {
            let questions = self.questions.docs_per_entry();
            (QUESTION, (within - biographies) % questions)
        }
    }
}

impl DocSource for BiosMixed {
    fn vocab(&self) -> &Vocab {
        self.bios.vocab()
    }

    fn people(&self) -> usize {
        self.bios.people()
    }

    fn entries(&self) -> u32 {
        self.bios.entries()
    }

    fn docs_per_entry(&self) -> u64 {
        self.bios.docs_per_entry() + self.copies * self.questions.docs_per_entry()
    }

    fn kinds(&self) -> u8 {
        2
    }

    fn kind(&self, index: u64) -> u8 {
        self.locate(index).0
    }

    fn doc(&self, index: u64, doc: &mut Doc) {
        match self.locate(index) {
            (BIOGRAPHY, i) => self.bios.doc(i, doc),
            (_, i) => self.questions.doc(i, doc),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every round holds each biography of its entry once and each `train` question `copies`
    /// times, byte for byte the documents of the plain datasets, labelled with their kind.
    #[test]
    fn rounds_hold_one_entry_of_biographies_and_every_train_question_copies_times() {
        let spec = BiosMixedSpec {
            people: 40,
            pools: None,
            augmentation: "multi2+permute".into(),
            qa_copies: 3,
        };
        let mixed = BiosMixed::new(&spec, 7);
        let bios = Bios::new(
            &BiosSpec {
                augmentation: "multi2+permute".into(),
                ..spec.biographies()
            },
            7,
        );
        let qa = BiosQa::new(
            &BiosQaSpec {
                people: 40,
                pools: None,
                split: Split::Train,
            },
            7,
        );
        assert_eq!(mixed.entries(), 2);
        assert_eq!(mixed.docs_per_entry(), 40 + 3 * qa.docs_per_entry());
        let (mut got, mut want) = (Doc::default(), Doc::default());
        for entry in 0..2u64 {
            let mut counts = std::collections::HashMap::new();
            for within in 0..mixed.docs_per_entry() {
                let index = entry * mixed.docs_per_entry() + within;
                mixed.doc(index, &mut got);
                let kind = mixed.kind(index);
                if within < 40 {
                    assert_eq!(kind, BIOGRAPHY);
                    bios.doc(entry * 40 + within, &mut want);
                } else {
                    assert_eq!(kind, QUESTION);
                    let q = (within - 40) % qa.docs_per_entry();
                    qa.doc(q, &mut want);
                    *counts.entry(q).or_insert(0) += 1;
                }
                assert_eq!(got.tokens, want.tokens, "document {index}");
            }
            assert_eq!(counts.len() as u64, qa.docs_per_entry());
            assert!(counts.values().all(|&c| c == 3));
        }
    }
}

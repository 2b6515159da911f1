//! Part 3.1's mixed training (Allen-Zhu & Li, arXiv:2309.14316, §4.1): the biographies of all N
//! people and the questions about the `train` half, trained together from scratch. Each window
//! holds biographies only or questions only (the paper's choice, which the packer keeps through
//! [`DocSource::kind`]), and the questions come in `qa_copies` copies per round to set their share
//! of the tokens.
//!
//! The biographies are exactly those of a `bios` dataset of the same people and augmentation,
//! and the questions those of a `bios-qa` dataset of the `train` split, so accuracy on the
//! `test` split's questions measures extraction for people whose questions were never seen.

use super::bios::Bios;
use super::qa::BiosQa;
use super::{Doc, DocSource, Vocab};
use crate::spec::{BiosMixedSpec, BiosQaSpec, Split};

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
            name: spec.name.clone(),
            people: spec.people,
            pools: spec.pools,
            split: Split::Train,
            sha256: None,
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
    use crate::spec::BiosSpec;

    /// Every round holds each biography of its entry once and each `train` question `copies`
    /// times, byte for byte the documents of the plain datasets, labelled with their kind.
    #[test]
    fn rounds_hold_one_entry_of_biographies_and_every_train_question_copies_times() {
        let spec = BiosMixedSpec {
            name: "mixed".into(),
            people: 40,
            pools: None,
            augmentation: "multi2+permute".into(),
            qa_copies: 3,
            sha256: None,
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
                name: "q".into(),
                people: 40,
                pools: None,
                split: Split::Train,
                sha256: None,
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

//! A grammar's sentences as a training corpus: one document per sentence, each terminal `t` a
//! word `"t"` of a closed vocabulary `<eos> <pad> 1 … T`. The trainer packs documents as
//! `<eos> sentence <eos> sentence …`, so `<eos>` doubles as the `<bos>` that Part 1 generates
//! from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Grammar;
use super::parse::Parsed;
use crate::data::generator::at_least_one;
use crate::data::{Doc, DocSource, Generator, Vocab};
use crate::spec::Invalid;

/// Sentences of one of Part 1's context-free grammars (Part 1 §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CfgSpec {
    /// One of the embedded grammars (`plm cfg stats --grammar NAME`), e.g. `cfg3b`.
    pub grammar: String,
    /// Number of distinct sentences, sampled from the project's seeded stream (sentence `i` is
    /// addressable on its own, which the trainer's shuffle needs). Part 1 trains on fresh samples:
    /// choose enough sentences that one exposure covers the whole run.
    pub sentences: u64,
}

impl Generator for CfgSpec {
    const NAME: &'static str = "cfg";

    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.sentences, "sentences")?;
        Grammar::by_name(&self.grammar).map_err(|e| Invalid::field("grammar", e.to_string()))?;
        Ok(())
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(CfgCorpus::new(self, seed))
    }
}

pub struct CfgCorpus {
    grammar: Grammar,
    seed: u64,
    sentences: u64,
    vocab: Vocab,
    /// `token_of[t]`: the vocabulary id of terminal `t` (index 0 unused).
    token_of: Vec<u32>,
}

impl CfgCorpus {
    /// Panics on an unknown grammar, which suite validation rules out.
    pub fn new(spec: &CfgSpec, seed: u64) -> Self {
        let grammar = Grammar::by_name(&spec.grammar).expect("validated grammar name");
        let words: Vec<String> = (1..=grammar.num_terminals())
            .map(|t| t.to_string())
            .collect();
        let vocab = Vocab::from_texts(words.iter().map(String::as_str));
        let token_of = std::iter::once(u32::MAX)
            .chain(words.iter().map(|w| vocab.id(w)))
            .collect();
        Self {
            grammar,
            seed,
            sentences: spec.sentences,
            vocab,
            token_of,
        }
    }

    pub fn grammar(&self) -> &Grammar {
        &self.grammar
    }

    /// Terminal ids → vocabulary ids.
    pub fn encode(&self, terminals: &[u32]) -> Vec<u32> {
        terminals
            .iter()
            .map(|&t| self.token_of[t as usize])
            .collect()
    }

    /// The terminal a vocabulary id stands for; `None` for `<eos>` and `<pad>`.
    pub fn terminal(&self, token: u32) -> Option<u32> {
        self.token_of
            .iter()
            .position(|&id| id == token)
            .map(|t| t as u32)
    }

    /// Sentence `index` as terminal ids (the stream the training documents come from).
    pub fn sentence(&self, index: u64) -> Vec<u32> {
        self.grammar.sample(self.seed, index)
    }

    /// Sentence `index` with its parse tree.
    pub fn parsed(&self, index: u64) -> Parsed {
        self.grammar.sample_parsed(self.seed, index)
    }
}

impl DocSource for CfgCorpus {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }
    fn people(&self) -> usize {
        self.sentences as usize
    }
    fn entries(&self) -> u32 {
        1
    }
    fn docs_per_entry(&self) -> u64 {
        self.sentences
    }
    fn doc(&self, index: u64, doc: &mut Doc) {
        doc.clear();
        doc.tokens = self.encode(&self.sentence(index));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_the_seeded_sentences_in_vocabulary_ids() {
        let spec = CfgSpec {
            grammar: "cfg3b".into(),
            sentences: 3,
        };
        let corpus = CfgCorpus::new(&spec, 5);
        assert_eq!(corpus.vocab().len(), 2 + 3);
        let mut doc = Doc::default();
        corpus.doc(2, &mut doc);
        let back: Vec<u32> = doc
            .tokens
            .iter()
            .map(|&id| corpus.terminal(id).unwrap())
            .collect();
        assert_eq!(back, corpus.grammar().sample(5, 2));
        assert_eq!(corpus.terminal(corpus.vocab().eos()), None);
        assert_eq!(corpus.vocab().decode(&corpus.encode(&[3, 1, 2])), "3 1 2");
    }
}

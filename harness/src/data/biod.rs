//! bioD(N, K, C, D, L, T): knowledge of tunable entropy (Part 3.3 Def. 2.2).
//!
//! N people with unique names from the first `name_pools` entries of the bioS name pools. Each
//! attribute `a` (K of them, called `ID 1` … `ID K`) has a diversity set of D distinct strings of
//! L tokens over a T-token alphabet `t0 … t{T-1}`; a person's value is C chunks, each uniform
//! from the set. A document states every attribute once, in a fresh random order per entry:
//! `Anna Lee Park's ID 3 is t4 t17 t9 t2. Their ID 1 is … .`
//!
//! Randomness: diversity sets from key `biod/diversity` (index = attribute), values from
//! `biod/values` (index = person), sentence order from `biod/order` (person, entry).

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::generator::at_least_one;
use super::names::{NameIndex, name_space, unique_names};
use super::pools::pools;
use super::rng::{StreamKey, below, shuffle};
use super::vocab::Vocab;
use super::{Doc, DocSource, Generator, SpanKind};
use crate::spec::Invalid;

/// bioD(N, K, C, D, L, T): random attribute strings of tunable entropy (Part 3.3 Def. 2.2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiodSpec {
    /// N: number of people.
    pub people: usize,
    /// K: attributes per person.
    pub attributes: u32,
    /// C: chunks per value.
    pub chunks: u32,
    /// D: size of each attribute's diversity set.
    pub diversity: u32,
    /// L: tokens per chunk.
    pub length: u32,
    /// T: size of the token alphabet of the values.
    pub alphabet: u32,
    /// First/middle/last name pool sizes (prefixes of the bioS pools); N0 is their product.
    #[serde(default = "full_name_pools")]
    pub name_pools: [usize; 3],
    /// Documents per person, each with a fresh sentence order (= exposures).
    #[serde(default = "one")]
    pub entries: u32,
}

fn full_name_pools() -> [usize; 3] {
    [400, 400, 1000]
}

fn one() -> u32 {
    1
}

impl Generator for BiodSpec {
    const NAME: &'static str = "biod";

    fn check(&self) -> Result<(), Invalid> {
        for (field, value) in [
            ("people", self.people as u64),
            ("attributes", u64::from(self.attributes)),
            ("chunks", u64::from(self.chunks)),
            ("diversity", u64::from(self.diversity)),
            ("length", u64::from(self.length)),
            ("alphabet", u64::from(self.alphabet)),
            ("entries", u64::from(self.entries)),
        ] {
            at_least_one(value, field)?;
        }
        let full = pools().name_pool_sizes();
        for (k, (&size, &max)) in self.name_pools.iter().zip(&full).enumerate() {
            if size == 0 || size > max {
                return Err(Invalid::field(
                    "name_pools",
                    format!("entry {k} must be in 1..={max} (the pool's size)"),
                ));
            }
        }
        let names = name_space(self.name_pools);
        if self.people as f64 > names {
            return Err(Invalid::field(
                "people",
                format!("at most {names} distinct names exist with name_pools"),
            ));
        }
        let strings = f64::from(self.alphabet).powf(f64::from(self.length));
        if f64::from(self.diversity) > strings {
            return Err(Invalid::field(
                "diversity",
                format!(
                    "D = {} exceeds T^L = {strings} distinct strings",
                    self.diversity
                ),
            ));
        }
        Ok(())
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Biod::new(self, seed))
    }
}

pub struct Biod {
    spec: BiodSpec,
    vocab: Vocab,
    /// Tokenised names of the N people.
    names: Vec<Vec<u32>>,
    /// `diversity_sets[a][d]`: the L token ids of string d of attribute a.
    diversity_sets: Vec<Vec<Vec<u32>>>,
    /// `values[person][a]`: chunk indices into `diversity_sets[a]`.
    values: Vec<Vec<Vec<u32>>>,
    /// Tokens of `ID k is` for each attribute k, and of the sentence openers.
    attribute_phrases: Vec<Vec<u32>>,
    possessive: u32,
    their: u32,
    period: u32,
    order: StreamKey,
}

impl Biod {
    /// Builds the dataset; `spec` must have passed suite validation.
    pub fn new(spec: &BiodSpec, seed: u64) -> Self {
        let p = pools();
        let name_lists = [&p.first_names, &p.middle_names, &p.last_names];
        let name_words: Vec<&str> = (0..3)
            .flat_map(|k| name_lists[k][..spec.name_pools[k]].iter().copied())
            .collect();
        let alphabet: Vec<String> = (0..spec.alphabet).map(|t| format!("t{t}")).collect();
        let phrases: Vec<String> = (1..=spec.attributes)
            .map(|k| format!("ID {k} is"))
            .collect();
        let vocab = Vocab::from_texts(
            name_words
                .iter()
                .copied()
                .chain(alphabet.iter().map(String::as_str))
                .chain(phrases.iter().map(String::as_str))
                .chain(["'s Their ."]),
        );

        let name_text = |n: &NameIndex| {
            n.iter()
                .enumerate()
                .map(|(k, &i)| name_lists[k][i as usize])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let names = unique_names(seed, spec.name_pools, spec.people)
            .iter()
            .map(|n| vocab.encode(&name_text(n)))
            .collect();

        let alphabet_ids: Vec<u32> = alphabet.iter().map(|t| vocab.id(t)).collect();
        let diversity_key = StreamKey::new(seed, &["biod", "diversity"]);
        let diversity_sets = (0..spec.attributes)
            .map(|a| {
                let mut rng = diversity_key.rng(u64::from(a), 0);
                let mut seen = HashSet::new();
                let mut set = Vec::with_capacity(spec.diversity as usize);
                while set.len() < spec.diversity as usize {
                    let string: Vec<u32> = (0..spec.length)
                        .map(|_| alphabet_ids[below(&mut rng, spec.alphabet) as usize])
                        .collect();
                    if seen.insert(string.clone()) {
                        set.push(string);
                    }
                }
                set
            })
            .collect();

        let values_key = StreamKey::new(seed, &["biod", "values"]);
        let values = (0..spec.people)
            .map(|person| {
                let mut rng = values_key.rng(person as u64, 0);
                (0..spec.attributes)
                    .map(|_| {
                        (0..spec.chunks)
                            .map(|_| below(&mut rng, spec.diversity))
                            .collect()
                    })
                    .collect()
            })
            .collect();

        Self {
            attribute_phrases: phrases.iter().map(|p| vocab.encode(p)).collect(),
            possessive: vocab.id("'s"),
            their: vocab.id("Their"),
            period: vocab.id("."),
            spec: spec.clone(),
            names,
            diversity_sets,
            values,
            order: StreamKey::new(seed, &["biod", "order"]),
            vocab,
        }
    }

    /// The diversity set of attribute `a`, as token strings.
    pub fn diversity_set(&self, a: usize) -> &[Vec<u32>] {
        &self.diversity_sets[a]
    }
}

impl DocSource for Biod {
    fn vocab(&self) -> &Vocab {
        &self.vocab
    }

    fn people(&self) -> usize {
        self.spec.people
    }

    fn entries(&self) -> u32 {
        self.spec.entries
    }

    fn docs_per_entry(&self) -> u64 {
        self.spec.people as u64
    }

    fn doc(&self, index: u64, doc: &mut Doc) {
        let n = self.spec.people as u64;
        let (person, entry) = ((index % n) as usize, (index / n) as u32);
        let mut order: Vec<usize> = (0..self.spec.attributes as usize).collect();
        shuffle(&mut self.order.rng(person as u64, entry), &mut order);
        doc.clear();
        let mut value = Vec::new();
        for (position, &a) in order.iter().enumerate() {
            if position == 0 {
                doc.push_span(SpanKind::Name, &self.names[person]);
                doc.tokens.push(self.possessive);
            } else {
                doc.tokens.push(self.their);
            }
            doc.tokens.extend_from_slice(&self.attribute_phrases[a]);
            value.clear();
            for &chunk in &self.values[person][a] {
                value.extend_from_slice(&self.diversity_sets[a][chunk as usize]);
            }
            doc.push_span(SpanKind::Value(a as u16), &value);
            doc.tokens.push(self.period);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn spec(people: usize, diversity: u32, length: u32, alphabet: u32) -> BiodSpec {
        BiodSpec {
            people,
            attributes: 3,
            chunks: 2,
            diversity,
            length,
            alphabet,
            name_pools: [10, 10, 10],
            entries: 3,
        }
    }

    #[test]
    fn diversity_sets_are_distinct_strings_of_length_l() {
        // D = T^L exactly: the set must be the whole space, each string once.
        let biod = Biod::new(&spec(50, 27, 3, 3), 1);
        for a in 0..3 {
            let set = biod.diversity_set(a);
            assert_eq!(set.len(), 27);
            assert!(set.iter().all(|s| s.len() == 3));
            assert_eq!(set.iter().collect::<HashSet<_>>().len(), 27);
        }
        assert_ne!(
            biod.diversity_set(0),
            biod.diversity_set(1),
            "attributes draw independent sets"
        );
    }

    #[test]
    fn documents_state_each_attribute_once_with_fixed_values_and_fresh_order() {
        let biod = Biod::new(&spec(20, 8, 2, 5), 2);
        let doc_of = |i| {
            let mut doc = Doc::default();
            biod.doc(i, &mut doc);
            doc
        };
        let mut orders = HashSet::new();
        for person in 0..20u64 {
            let entries: Vec<Doc> = (0..3).map(|e| doc_of(e * 20 + person)).collect();
            for a in 0..3u16 {
                let value = entries[0].span_tokens(SpanKind::Value(a)).unwrap();
                assert_eq!(value.len(), 4, "C × L tokens");
                for doc in &entries[1..] {
                    assert_eq!(
                        doc.span_tokens(SpanKind::Value(a)).unwrap(),
                        value,
                        "values are per person, not per entry"
                    );
                }
            }
            for doc in &entries {
                assert_eq!(doc.spans[0].kind, SpanKind::Name);
                assert_eq!(
                    biod.vocab.encode(&biod.vocab.decode(&doc.tokens)),
                    doc.tokens
                );
                orders.insert(doc.spans.iter().map(|s| s.kind).collect::<Vec<_>>());
            }
        }
        assert!(orders.len() > 3, "sentence order varies");
    }
}

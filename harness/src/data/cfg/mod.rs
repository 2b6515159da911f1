//! Part 1's context-free grammars (cfg3b … cfg3k): loading, sampling, membership, exact
//! next-token probabilities.
//!
//! The grammars are the published rule tables, converted by `suites/part1/grammars/convert.py`
//! into our own files and embedded in the binary. Every grammar is *layered*: the root is level 0,
//! a level-l non-terminal rewrites only into level-(l+1) symbols, and the terminals `1..=T` are
//! the last level. So every derivation has the same depth, which the parsers in [`verify`] and
//! [`exact`] exploit.
//!
//! Sampling picks one rule uniformly at each non-terminal, expanding depth-first and left to
//! right. The random source is either the project's seeded ChaCha stream ([`Grammar::sample`]:
//! sentence `i` of seed `s` is addressable on its own) or CPython's Mersenne Twister
//! ([`crate::data::mt19937::Mt19937`] through [`Grammar::sample_into`]), which reproduces the published
//! samples of `random.Random(seed)` when one generator runs across all sentences.

pub mod corpus;
pub mod exact;
pub mod parse;
pub mod verify;

pub use corpus::CfgSpec;

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail, ensure};
use rand_chacha::ChaCha8Rng;
use serde::Deserialize;

use super::rng::{StreamKey, below};
use crate::data::mt19937::Mt19937;

/// The embedded grammar files, by name.
const FILES: [(&str, &str); 9] = [
    (
        "cfg3b",
        include_str!("../../../../suites/part1/grammars/cfg3b.json"),
    ),
    (
        "cfg3e1",
        include_str!("../../../../suites/part1/grammars/cfg3e1.json"),
    ),
    (
        "cfg3e2",
        include_str!("../../../../suites/part1/grammars/cfg3e2.json"),
    ),
    (
        "cfg3f",
        include_str!("../../../../suites/part1/grammars/cfg3f.json"),
    ),
    (
        "cfg3g",
        include_str!("../../../../suites/part1/grammars/cfg3g.json"),
    ),
    (
        "cfg3h",
        include_str!("../../../../suites/part1/grammars/cfg3h.json"),
    ),
    (
        "cfg3i",
        include_str!("../../../../suites/part1/grammars/cfg3i.json"),
    ),
    (
        "cfg3j",
        include_str!("../../../../suites/part1/grammars/cfg3j.json"),
    ),
    (
        "cfg3k",
        include_str!("../../../../suites/part1/grammars/cfg3k.json"),
    ),
];

/// The names of the embedded grammars, in the order `plm` lists them.
pub fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(name, _)| *name)
}

/// A grammar file as committed under `suites/part1/grammars/`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GrammarFile {
    #[allow(
        dead_code,
        reason = "kept in the file for people; the code needs no provenance"
    )]
    provenance: String,
    root: u32,
    num_terminals: u32,
    /// Non-terminal id -> its rules in published order (a rule's index is what samplers draw).
    rules: BTreeMap<u32, Vec<Vec<u32>>>,
}

/// A layered context-free grammar over the terminals `1..=num_terminals`.
#[derive(Clone, Debug)]
pub struct Grammar {
    name: String,
    root: u32,
    num_terminals: u32,
    /// `rules[id]`: the rules of symbol `id` (empty for terminals and unused ids).
    rules: Vec<Vec<Vec<u32>>>,
    /// `levels[l]`: the symbols of level `l`, ascending; `levels[0] == [root]` and the last level
    /// is every terminal.
    levels: Vec<Vec<u32>>,
    /// `slot[id]`: the position of symbol `id` inside its level (charts index symbols by slot).
    slot: Vec<u32>,
    /// Shortest and longest yield of each symbol, indexed by id.
    min_yield: Vec<u32>,
    max_yield: Vec<u32>,
}

/// A source of uniform rule choices: `choose(n)` is uniform in `0..n`.
pub trait RuleChoice {
    fn choose(&mut self, n: u32) -> u32;
}

impl RuleChoice for ChaCha8Rng {
    fn choose(&mut self, n: u32) -> u32 {
        below(self, n)
    }
}

impl RuleChoice for Mt19937 {
    /// `randrange(n)`, as the published Python sampler draws a rule.
    fn choose(&mut self, n: u32) -> u32 {
        self.randrange(n)
    }
}

impl Grammar {
    /// One of the embedded grammars; an unknown name is an error listing the known ones.
    pub fn by_name(name: &str) -> Result<Self> {
        let Some((_, text)) = FILES.iter().find(|(n, _)| *n == name) else {
            bail!(
                "unknown grammar `{name}`; available: {}",
                names().collect::<Vec<_>>().join(", ")
            );
        };
        Self::from_json(name, text).with_context(|| format!("embedded grammar {name}"))
    }

    /// Parses a grammar file and checks that it is layered (see the module docs).
    pub fn from_json(name: &str, text: &str) -> Result<Self> {
        let file: GrammarFile = serde_json::from_str(text)?;
        let terminals = file.num_terminals;
        ensure!(terminals > 0, "a grammar needs at least one terminal");
        let is_terminal = |id: u32| (1..=terminals).contains(&id);
        ensure!(
            !is_terminal(file.root),
            "the root {} is a terminal",
            file.root
        );
        let top = file
            .rules
            .keys()
            .chain(file.rules.values().flatten().flatten())
            .chain([&file.root, &terminals])
            .copied()
            .max()
            .unwrap_or(0);
        let mut rules = vec![Vec::new(); top as usize + 1];
        for (&symbol, symbol_rules) in &file.rules {
            ensure!(!is_terminal(symbol), "terminal {symbol} has rules");
            ensure!(
                !symbol_rules.is_empty(),
                "non-terminal {symbol} has no rules"
            );
            ensure!(
                symbol_rules.iter().all(|rule| !rule.is_empty()),
                "non-terminal {symbol} has an empty rule"
            );
            rules[symbol as usize].clone_from(symbol_rules);
        }

        // Levels: the distinct symbols reachable in exactly l rewrites from the root. Non-terminals
        // that no derivation reaches are left out: they cannot affect the language (cfg3e1's
        // published table defines 13 of them).
        let mut levels = vec![vec![file.root]];
        let mut level_of = vec![None; rules.len()];
        level_of[file.root as usize] = Some(0);
        while let Some(last) = levels.last()
            && !last.iter().all(|&s| is_terminal(s))
        {
            let depth = levels.len();
            let mut next = Vec::new();
            for &symbol in last {
                ensure!(
                    !is_terminal(symbol),
                    "terminal {symbol} appears at level {} but the last level is deeper",
                    depth - 1
                );
                ensure!(
                    !rules[symbol as usize].is_empty(),
                    "symbol {symbol} is neither a terminal nor has rules"
                );
                for &child in rules[symbol as usize].iter().flatten() {
                    match level_of[child as usize] {
                        None => {
                            level_of[child as usize] = Some(depth);
                            next.push(child);
                        }
                        Some(l) => ensure!(
                            l == depth,
                            "symbol {child} appears at levels {l} and {depth}: not layered"
                        ),
                    }
                }
            }
            next.sort_unstable();
            levels.push(next);
        }
        // The last level holds every terminal, reached or not, so charts can index any token.
        *levels.last_mut().expect("at least the root level") = (1..=terminals).collect();

        let mut slot = vec![0; rules.len()];
        for level in &levels {
            for (k, &symbol) in level.iter().enumerate() {
                slot[symbol as usize] = k as u32;
            }
        }
        let mut grammar = Self {
            name: name.to_owned(),
            root: file.root,
            num_terminals: terminals,
            rules,
            levels,
            slot,
            min_yield: Vec::new(),
            max_yield: Vec::new(),
        };
        let bound = |pick: fn(u32, u32) -> u32| {
            grammar.fold_up(1, |_, totals: &[u32]| {
                totals.iter().copied().reduce(pick).unwrap()
            })
        };
        (grammar.min_yield, grammar.max_yield) = (bound(u32::min), bound(u32::max));
        Ok(grammar)
    }

    /// Computes a per-symbol quantity bottom-up, indexed by symbol id: `leaf` for terminals, and
    /// for a non-terminal `combine(symbol, totals)` where `totals[r]` sums the children's values
    /// over rule `r`. Yield bounds, expected lengths and entropies are all such folds.
    pub fn fold_up<T>(&self, leaf: T, combine: impl Fn(u32, &[T]) -> T) -> Vec<T>
    where
        T: Copy + Default + std::iter::Sum,
    {
        let mut value = vec![T::default(); self.rules.len()];
        let mut totals = Vec::new();
        for level in self.levels.iter().rev() {
            for &symbol in level {
                value[symbol as usize] = if self.is_terminal(symbol) {
                    leaf
                } else {
                    totals.clear();
                    totals.extend(
                        self.rules(symbol)
                            .iter()
                            .map(|rule| rule.iter().map(|&c| value[c as usize]).sum::<T>()),
                    );
                    combine(symbol, &totals)
                };
            }
        }
        value
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn root(&self) -> u32 {
        self.root
    }

    pub fn num_terminals(&self) -> u32 {
        self.num_terminals
    }

    pub fn is_terminal(&self, symbol: u32) -> bool {
        (1..=self.num_terminals).contains(&symbol)
    }

    /// Number of rewrites from the root to a terminal (the same on every path).
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// The symbols of level `l` (0 = the root, [`depth`](Self::depth) = the terminals).
    pub fn level(&self, l: usize) -> &[u32] {
        &self.levels[l]
    }

    /// The rules of `symbol` (empty for a terminal).
    pub fn rules(&self, symbol: u32) -> &[Vec<u32>] {
        &self.rules[symbol as usize]
    }

    /// The position of `symbol` inside its level.
    pub fn slot(&self, symbol: u32) -> usize {
        self.slot[symbol as usize] as usize
    }

    /// The longest yield of any symbol of level `l`.
    pub fn max_yield_at(&self, l: usize) -> usize {
        self.levels[l]
            .iter()
            .map(|&s| self.max_yield[s as usize] as usize)
            .max()
            .unwrap_or(0)
    }

    /// The shortest and longest sentence.
    pub fn length_range(&self) -> (usize, usize) {
        let root = self.root as usize;
        (self.min_yield[root] as usize, self.max_yield[root] as usize)
    }

    /// Writes one sentence into `out` (cleared first), drawing one rule choice per non-terminal
    /// in depth-first pre-order — the order of the published recursive sampler, so the same
    /// Mersenne Twister stream gives the same sentence. An explicit stack replaces recursion.
    pub fn sample_into(&self, rng: &mut impl RuleChoice, out: &mut Vec<u32>) {
        out.clear();
        let mut pending = vec![self.root];
        while let Some(symbol) = pending.pop() {
            let rules = self.rules(symbol);
            if rules.is_empty() {
                out.push(symbol);
            } else {
                let rule = &rules[rng.choose(rules.len() as u32) as usize];
                pending.extend(rule.iter().rev());
            }
        }
    }

    /// Sentence `index` of the project's seeded stream for this grammar (random access).
    pub fn sample(&self, seed: u64, index: u64) -> Vec<u32> {
        let mut sentence = Vec::new();
        self.sample_into(&mut self.sentence_rng(seed, index), &mut sentence);
        sentence
    }

    /// The random source of sentence `index` of seed `seed`.
    fn sentence_rng(&self, seed: u64, index: u64) -> ChaCha8Rng {
        StreamKey::new(seed, &["cfg", &self.name]).rng(index, 0)
    }
}

/// Grammars small enough to check against brute force.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::collections::BTreeMap;

    use super::Grammar;

    /// A small, deliberately ambiguous grammar: `1 2 2` derives as (1 2)(2) and as (1)(2 2).
    pub(crate) fn tiny() -> Grammar {
        let text = r#"{"provenance": "test", "root": 7, "num_terminals": 2, "rules": {
            "7": [[5, 6], [6, 5], [5, 5, 6]],
            "6": [[2], [2, 2], [1, 2, 1]],
            "5": [[1, 2], [1]]}}"#;
        Grammar::from_json("tiny", text).unwrap()
    }

    /// Every sentence of a finite grammar with its probability, by enumerating derivations.
    pub(crate) fn language(grammar: &Grammar) -> BTreeMap<Vec<u32>, f64> {
        fn derive(g: &Grammar, symbol: u32) -> Vec<(Vec<u32>, f64)> {
            if g.is_terminal(symbol) {
                return vec![(vec![symbol], 1.0)];
            }
            let mut all = Vec::new();
            for rule in g.rules(symbol) {
                let mut partial = vec![(Vec::new(), 1.0 / g.rules(symbol).len() as f64)];
                for &child in rule {
                    let options = derive(g, child);
                    partial = partial
                        .iter()
                        .flat_map(|(s, p)| {
                            options
                                .iter()
                                .map(move |(t, q)| ([s.clone(), t.clone()].concat(), p * q))
                        })
                        .collect();
                }
                all.extend(partial);
            }
            all
        }
        let mut sentences = BTreeMap::new();
        for (sentence, p) in derive(grammar, grammar.root()) {
            *sentences.entry(sentence).or_insert(0.0) += p;
        }
        sentences
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first_python_sentence(name: &str) -> Vec<u32> {
        let grammar = Grammar::by_name(name).unwrap();
        let mut sentence = Vec::new();
        grammar.sample_into(&mut Mt19937::new(7711), &mut sentence);
        sentence
    }

    #[test]
    fn every_embedded_grammar_loads_with_the_published_shape() {
        // Symbols per level (reachable from the root), as the official configs list them.
        for (name, sizes) in [
            ("cfg3b", &[1, 3, 3, 3, 3, 3, 3][..]),
            // Published sizes 1,3,9,27,81,27,9; 13 non-terminals are unreachable from the root.
            ("cfg3e1", &[1, 3, 8, 24, 72, 27, 9]),
            ("cfg3e2", &[1, 3, 9, 27, 27, 9, 4]),
            ("cfg3f", &[1, 3, 3, 3, 3, 3, 3]),
            ("cfg3g", &[1, 3, 3, 3, 3, 3, 3]),
            ("cfg3h", &[1, 3, 3, 3, 3, 3, 3]),
            ("cfg3i", &[1, 3, 3, 3, 3, 3, 3]),
            ("cfg3j", &[1, 3, 3, 3, 3, 3, 3, 3]),
            ("cfg3k", &[1, 3, 3, 3, 3, 3, 3, 3]),
        ] {
            let g = Grammar::by_name(name).unwrap();
            let got: Vec<usize> = (0..=g.depth()).map(|l| g.level(l).len()).collect();
            assert_eq!(got, sizes, "{name}");
            assert_eq!(g.num_terminals() as usize, *sizes.last().unwrap());
            let (shortest, longest) = g.length_range();
            // Every rule has 2 or 3 symbols.
            assert!(shortest >= 1 << g.depth() && longest <= 3usize.pow(g.depth() as u32));
        }
        assert_eq!(names().count(), FILES.len());
    }

    #[test]
    fn the_root_of_cfg3f_matches_part_4_1_appendix_a5() {
        let g = Grammar::by_name("cfg3f").unwrap();
        assert_eq!(g.root(), 22);
        assert_eq!(
            g.rules(22),
            [
                vec![20, 21],
                vec![20, 19, 21],
                vec![21, 19, 19],
                vec![20, 20]
            ]
        );
    }

    #[test]
    fn unknown_names_list_the_available_grammars() {
        let message = Grammar::by_name("cfg9z").unwrap_err().to_string();
        assert!(
            message.contains("cfg9z") && message.contains("cfg3b, cfg3e1"),
            "{message}"
        );
    }

    #[test]
    fn grammars_that_are_not_layered_are_rejected() {
        let file = |rules: &str| {
            format!(r#"{{"provenance": "test", "root": 9, "num_terminals": 2, "rules": {rules}}}"#)
        };
        let skips_a_level = file(r#"{"9": [[8, 1]], "8": [[1, 2]]}"#);
        let error = Grammar::from_json("t", &skips_a_level).unwrap_err();
        assert!(
            error.to_string().contains("terminal 1 appears at level 1"),
            "{error}"
        );
        let unreachable = file(r#"{"9": [[8, 8]], "8": [[1, 2]], "7": [[2, 1]]}"#);
        assert_eq!(Grammar::from_json("t", &unreachable).unwrap().level(1), [8]);
        let undefined = file(r#"{"9": [[8, 7]], "8": [[1, 2]]}"#);
        assert!(Grammar::from_json("t", &undefined).is_err());
        assert!(Grammar::from_json("t", &file(r#"{"9": [[8]], "8": [[1, 2]]}"#)).is_ok());
    }

    /// The official demo's golden vector: `random.Random(7711)`, first sentence.
    #[test]
    fn python_mt19937_reproduces_the_published_cfg3f_sentence() {
        let sentence = first_python_sentence("cfg3f");
        assert_eq!(sentence.len(), 305);
        assert_eq!(
            sentence[..20],
            [3, 3, 3, 3, 1, 1, 2, 1, 3, 1, 2, 3, 2, 2, 1, 2, 3, 3, 1, 2]
        );
        let count = |t| sentence.iter().filter(|&&x| x == t).count();
        assert_eq!([count(1), count(2), count(3)], [147, 78, 80]);
    }

    #[test]
    fn python_mt19937_reproduces_the_published_cfg3b_sentence() {
        let sentence = first_python_sentence("cfg3b");
        assert_eq!(sentence.len(), 278);
        assert_eq!(
            sentence[..20],
            [2, 1, 3, 1, 3, 1, 2, 3, 1, 2, 3, 1, 2, 1, 3, 2, 1, 2, 3, 3]
        );
    }

    /// One generator runs across sentences, as when Python calls the sampler repeatedly on one
    /// `Random`. Values from a 12-line Python re-implementation on our grammar file (lengths,
    /// first ten tokens, token sums of sentences 2 and 3).
    #[test]
    fn python_mt19937_continues_one_stream_across_sentences() {
        let g = Grammar::by_name("cfg3f").unwrap();
        let mut mt = Mt19937::new(7711);
        let mut sentence = Vec::new();
        g.sample_into(&mut mt, &mut sentence);
        for (length, head, sum) in [
            (194, [1, 2, 3, 3, 1, 1, 2, 3, 1, 1], 343),
            (369, [2, 2, 1, 1, 1, 3, 2, 1, 1, 3], 670),
        ] {
            g.sample_into(&mut mt, &mut sentence);
            assert_eq!(sentence.len(), length);
            assert_eq!(sentence[..10], head);
            assert_eq!(sentence.iter().sum::<u32>(), sum);
        }
    }

    #[test]
    fn chacha_sentences_are_addressable_and_differ_by_index_and_seed() {
        let g = Grammar::by_name("cfg3f").unwrap();
        let (shortest, longest) = g.length_range();
        let first = g.sample(1, 0);
        assert_eq!(first, g.sample(1, 0));
        assert_ne!(first, g.sample(1, 1));
        assert_ne!(first, g.sample(2, 0));
        for index in 0..50 {
            let s = g.sample(1, index);
            assert!((shortest..=longest).contains(&s.len()));
            assert!(s.iter().all(|&t| g.is_terminal(t)));
        }
    }
}

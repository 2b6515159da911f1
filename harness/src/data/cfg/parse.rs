//! Sentences with their parse trees, the labels of Part 1's probes (arXiv:2305.13673, §4–5):
//! for each terminal, its non-terminal ancestor at every level above it and whether that
//! ancestor's span ends at this terminal.
//!
//! The sampler knows the derivation it drew, so the labels are exact (no parser involved) and,
//! like the sentences, pinned by the seed.

use super::{Grammar, RuleChoice};

/// A sampled sentence and its derivation, terminal by terminal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub terminals: Vec<u32>,
    /// Levels of non-terminals (the root is level 0): the grammar's depth.
    pub levels: usize,
    /// `ancestors[i * levels + l]`: the level-`l` non-terminal above terminal `i`.
    pub ancestors: Vec<u32>,
    /// `ends[i * levels + l]`: whether that non-terminal's span ends at terminal `i`.
    pub ends: Vec<bool>,
}

impl Parsed {
    /// The ancestor of terminal `i` at level `l`.
    pub fn ancestor(&self, i: usize, l: usize) -> u32 {
        self.ancestors[i * self.levels + l]
    }

    /// Whether the level-`l` ancestor of terminal `i` ends at it.
    pub fn ends_at(&self, i: usize, l: usize) -> bool {
        self.ends[i * self.levels + l]
    }
}

impl Grammar {
    /// Sentence `index` of seed `seed` (the same sentence as [`Grammar::sample`]) with its parse.
    pub fn sample_parsed(&self, seed: u64, index: u64) -> Parsed {
        self.parse_while_sampling(&mut self.sentence_rng(seed, index))
    }

    /// [`Grammar::sample_into`]'s walk — the same rule draws in the same order, so the same
    /// sentence — recording each terminal's ancestors. Repeated symbols (`A → B B`) are told
    /// apart by node, so a boundary between two equal siblings is still a boundary.
    fn parse_while_sampling(&self, rng: &mut impl RuleChoice) -> Parsed {
        let levels = self.depth();
        // The non-terminal (and its node number) currently open at each level.
        let (mut open, mut open_node) = (vec![0u32; levels], vec![0usize; levels]);
        let mut nodes = 0usize;
        let (mut terminals, mut ancestors, mut node_of) = (Vec::new(), Vec::new(), Vec::new());
        let mut pending = vec![(self.root(), 0usize)];
        while let Some((symbol, level)) = pending.pop() {
            let rules = self.rules(symbol);
            if rules.is_empty() {
                terminals.push(symbol);
                ancestors.extend_from_slice(&open);
                node_of.extend_from_slice(&open_node);
                continue;
            }
            (open[level], open_node[level]) = (symbol, nodes);
            nodes += 1;
            let rule = &rules[rng.choose(rules.len() as u32) as usize];
            pending.extend(rule.iter().rev().map(|&child| (child, level + 1)));
        }
        let ends = (0..node_of.len())
            .map(|k| k + levels >= node_of.len() || node_of[k] != node_of[k + levels])
            .collect();
        Parsed {
            terminals,
            levels,
            ancestors,
            ends,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::tiny;
    use super::*;

    /// Draws the scripted rule numbers in order.
    struct Script(std::vec::IntoIter<u32>);

    impl RuleChoice for Script {
        fn choose(&mut self, n: u32) -> u32 {
            let choice = self.0.next().expect("enough choices");
            assert!(choice < n);
            choice
        }
    }

    /// The tiny grammar (7 → 5 5 6 | …, 5 → 1 2 | 1, 6 → 2 | 2 2 | 1 2 1), derived by hand:
    /// 7 → 5 5 6, the first 5 → 1 2, the second 5 → 1, 6 → 1 2 1, i.e.
    ///
    /// ```text
    ///                 7
    ///       5         5         6
    ///     1   2       1       1 2 1
    /// ```
    #[test]
    fn labels_match_a_parse_derived_by_hand() {
        let grammar = tiny();
        let parsed = grammar.parse_while_sampling(&mut Script(vec![2, 0, 1, 2].into_iter()));
        assert_eq!(parsed.terminals, [1, 2, 1, 1, 2, 1]);
        assert_eq!(parsed.levels, 2);
        let level = |l: usize| -> Vec<u32> { (0..6).map(|i| parsed.ancestor(i, l)).collect() };
        assert_eq!(level(0), [7; 6]);
        assert_eq!(level(1), [5, 5, 5, 6, 6, 6]);
        let ends = |l: usize| -> Vec<bool> { (0..6).map(|i| parsed.ends_at(i, l)).collect() };
        assert_eq!(ends(0), [false, false, false, false, false, true]);
        // The two 5s are different nodes: the first ends at terminal 1, the second at 2.
        assert_eq!(ends(1), [false, true, true, false, false, true]);
    }

    #[test]
    fn parsed_sentences_are_the_sampled_ones() {
        let grammar = Grammar::by_name("cfg3b").unwrap();
        for index in 0..20 {
            let parsed = grammar.sample_parsed(5, index);
            assert_eq!(parsed.terminals, grammar.sample(5, index));
            let n = parsed.terminals.len();
            assert_eq!(parsed.ancestors.len(), n * grammar.depth());
            // Every level's spans tile the sentence: the last terminal closes each level.
            for l in 0..grammar.depth() {
                assert!(parsed.ends_at(n - 1, l));
                assert!(grammar.level(l).contains(&parsed.ancestor(0, l)));
            }
        }
    }
}

//! Membership: is a token sequence derivable from the root? A CYK-style chart, level by level.
//!
//! Because the grammars are layered (see the module docs of [`super`]), the chart is built one
//! level at a time from the terminals up: the spans of level-l symbols are products of spans of
//! level-(l+1) symbols, so no symbol ever has to be revisited within a level and rules of any
//! length are handled without binarising them (a rule is a left-to-right "frontier" of span ends).
//!
//! Two prunings keep the chart small without changing any weight it stores:
//! * forward: a level-l span can only take part in a derivation of the whole input (or of any
//!   sentence the input is a prefix of) if its start can be reached from position 0 by a sequence
//!   of level-l spans, so spans are only built from such starts;
//! * backward, for complete sentences only: its end must also reach the end of the input.
//!
//! The chart is generic over its [`Weight`]: `bool` answers membership, `f64` carries inside
//! probabilities (or derivation counts) for [`super::exact`].

use super::Grammar;

/// A semiring the chart computes in.
pub trait Weight: Copy + PartialEq {
    const ZERO: Self;
    const ONE: Self;
    fn plus(self, other: Self) -> Self;
    fn times(self, other: Self) -> Self;
}

impl Weight for bool {
    const ZERO: Self = false;
    const ONE: Self = true;
    fn plus(self, other: Self) -> Self {
        self | other
    }
    fn times(self, other: Self) -> Self {
        self & other
    }
}

impl Weight for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn plus(self, other: Self) -> Self {
        self + other
    }
    fn times(self, other: Self) -> Self {
        self * other
    }
}

/// What a chart is built for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Input {
    /// The tokens are a whole sentence: spans that cannot reach its end are dropped.
    Sentence,
    /// The tokens may be the start of a longer sentence: every span from a reachable start is kept.
    Prefix,
}

/// The spans of one level: for each (start, slot) the sorted ends with their weights.
struct Level<W> {
    width: usize,
    /// `offsets[start * width + slot]..offsets[.. + 1]` indexes `spans`.
    offsets: Vec<u32>,
    spans: Vec<(u32, W)>,
    /// `reachable[p]`: position `p` ends a sequence of this level's spans starting at 0.
    reachable: Vec<bool>,
}

impl<W: Weight> Level<W> {
    /// The level of the terminals: one span per token, of weight `leaf`.
    fn terminals(grammar: &Grammar, tokens: &[u32], leaf: W) -> Self {
        let width = grammar.num_terminals() as usize;
        let mut level = Self::empty(width, tokens.len());
        level.reachable.fill(true);
        for (i, &token) in tokens.iter().enumerate() {
            for terminal in 1..=grammar.num_terminals() {
                if token == terminal {
                    level.spans.push((i as u32 + 1, leaf));
                }
                level.offsets.push(level.spans.len() as u32);
            }
        }
        level
    }

    fn empty(width: usize, n: usize) -> Self {
        let mut offsets = Vec::with_capacity(n * width + 1);
        offsets.push(0);
        let mut reachable = vec![false; n + 1];
        reachable[0] = true;
        Self {
            width,
            offsets,
            spans: Vec::new(),
            reachable,
        }
    }

    /// Number of positions the level covers.
    fn len(&self) -> usize {
        (self.offsets.len() - 1) / self.width
    }

    fn spans(&self, start: usize, slot: usize) -> &[(u32, W)] {
        if start >= self.len() {
            return &[];
        }
        let cell = start * self.width + slot;
        &self.spans[self.offsets[cell] as usize..self.offsets[cell + 1] as usize]
    }

    /// Drops every span that no sequence of this level's spans can extend to position `n`.
    fn keep_spans_reaching_the_end(&mut self) {
        let n = self.len();
        let mut reaches_end = vec![false; n + 1];
        reaches_end[n] = true;
        for start in (0..n).rev() {
            let (first, last) = (
                self.offsets[start * self.width] as usize,
                self.offsets[(start + 1) * self.width] as usize,
            );
            reaches_end[start] = self.spans[first..last]
                .iter()
                .any(|&(end, _)| reaches_end[end as usize]);
        }
        let mut kept = 0;
        let mut from = 0;
        for cell in 0..n * self.width {
            let to = self.offsets[cell + 1] as usize;
            if reaches_end[cell / self.width] {
                for k in from..to {
                    if reaches_end[self.spans[k].0 as usize] {
                        self.spans[kept] = self.spans[k];
                        kept += 1;
                    }
                }
            }
            from = to;
            self.offsets[cell + 1] = kept as u32;
        }
        self.spans.truncate(kept);
        for (reachable, reaches_end) in self.reachable.iter_mut().zip(reaches_end) {
            *reachable &= reaches_end;
        }
    }
}

/// Every derivable (level, symbol, start, end) of a token sequence, with its weight: the
/// semiring sum over derivations of the product of `leaf` per token and `rule_weight(A)` per
/// rewrite of a non-terminal `A`.
pub struct Chart<W> {
    /// Indexed by grammar level (0 = the root).
    levels: Vec<Level<W>>,
}

/// Weights summed by position: dense, so paths that meet merge in O(1), with a list of the
/// positions that hold something.
struct Sums<W> {
    by_position: Vec<W>,
    touched: Vec<u32>,
}

impl<W: Weight> Sums<W> {
    fn new(n: usize) -> Self {
        Self {
            by_position: vec![W::ZERO; n + 1],
            touched: Vec::new(),
        }
    }

    fn add(&mut self, position: u32, w: W) {
        if w == W::ZERO {
            return;
        }
        let sum = &mut self.by_position[position as usize];
        if *sum == W::ZERO {
            self.touched.push(position);
        }
        *sum = sum.plus(w);
    }

    /// Moves the sums, sorted by position and multiplied by `factor`, onto `out`.
    fn drain_into(&mut self, factor: W, out: &mut Vec<(u32, W)>) {
        self.touched.sort_unstable();
        for &position in &self.touched {
            let w = std::mem::replace(&mut self.by_position[position as usize], W::ZERO);
            out.push((position, w.times(factor)));
        }
        self.touched.clear();
    }
}

/// The weighted positions reached while reading a rule left to right: after its first `c`
/// children, `(position, weight)` for every place they can end, summed over the ways to get there.
/// Rules of any length are read this way, so none needs binarising.
pub struct Frontier<W> {
    positions: Vec<(u32, W)>,
    spare: Vec<(u32, W)>,
    sums: Sums<W>,
}

impl<W: Weight> Frontier<W> {
    /// A frontier for inputs of up to `n` tokens.
    pub fn new(n: usize) -> Self {
        Self {
            positions: Vec::new(),
            spare: Vec::new(),
            sums: Sums::new(n),
        }
    }

    /// Starts reading a rule at `start`.
    pub fn reset(&mut self, start: usize) {
        self.positions.clear();
        self.positions.push((start as u32, W::ONE));
    }

    /// Sorted `(position, weight)` pairs reached so far.
    pub fn positions(&self) -> &[(u32, W)] {
        &self.positions
    }

    /// Reads one more child, the symbol in `slot` of `below`, keeping ends up to `last_end`.
    fn advance(&mut self, below: &Level<W>, slot: usize, last_end: u32) {
        for &(mid, w) in &self.positions {
            for &(end, u) in below.spans(mid as usize, slot) {
                if end > last_end {
                    break;
                }
                self.sums.add(end, w.times(u));
            }
        }
        self.spare.clear();
        self.sums.drain_into(W::ONE, &mut self.spare);
        std::mem::swap(&mut self.positions, &mut self.spare);
    }
}

impl<W: Weight> Level<W> {
    /// The level of `symbols` (one grammar level), built from the level below it.
    fn above(
        grammar: &Grammar,
        symbols: &[u32],
        below: &Self,
        rule_weight: &impl Fn(u32) -> W,
        frontier: &mut Frontier<W>,
        total: &mut Sums<W>,
    ) -> Self {
        let n = below.len();
        let mut level = Self::empty(symbols.len(), n);
        for start in 0..n {
            let first = level.spans.len();
            for &symbol in symbols {
                if level.reachable[start] {
                    for rule in grammar.rules(symbol) {
                        frontier.reset(start);
                        for &child in rule {
                            frontier.advance(below, grammar.slot(child), n as u32);
                        }
                        for &(end, w) in frontier.positions() {
                            total.add(end, w);
                        }
                    }
                    total.drain_into(rule_weight(symbol), &mut level.spans);
                }
                level.offsets.push(level.spans.len() as u32);
            }
            for &(end, _) in &level.spans[first..] {
                level.reachable[end as usize] = true;
            }
        }
        level
    }
}

impl<W: Weight> Chart<W> {
    /// Builds the chart of `tokens` (terminal ids; anything else simply matches nothing).
    /// `leaf` weighs each token, `rule_weight(A)` each rewrite of the non-terminal `A`.
    pub fn build(
        grammar: &Grammar,
        tokens: &[u32],
        input: Input,
        leaf: W,
        rule_weight: impl Fn(u32) -> W,
    ) -> Self {
        let mut frontier = Frontier::new(tokens.len());
        let mut total = Sums::new(tokens.len());
        let mut levels: Vec<Level<W>> = Vec::with_capacity(grammar.depth() + 1);
        for l in (0..=grammar.depth()).rev() {
            let mut level = match levels.last() {
                None => Level::terminals(grammar, tokens, leaf),
                Some(below) => Level::above(
                    grammar,
                    grammar.level(l),
                    below,
                    &rule_weight,
                    &mut frontier,
                    &mut total,
                ),
            };
            if input == Input::Sentence {
                level.keep_spans_reaching_the_end();
            }
            levels.push(level);
        }
        levels.reverse();
        Self { levels }
    }

    /// Moves `frontier` past one more child, `symbol` at level `l`, keeping ends up to `last_end`.
    pub fn advance(
        &self,
        grammar: &Grammar,
        frontier: &mut Frontier<W>,
        l: usize,
        symbol: u32,
        last_end: usize,
    ) {
        frontier.advance(&self.levels[l], grammar.slot(symbol), last_end as u32);
    }

    /// The weight of `symbol` (at level `l`) deriving `tokens[start..end]`.
    pub fn weight(&self, grammar: &Grammar, l: usize, symbol: u32, start: usize, end: usize) -> W {
        let spans = self.levels[l].spans(start, grammar.slot(symbol));
        spans
            .binary_search_by_key(&(end as u32), |&(e, _)| e)
            .map_or(W::ZERO, |k| spans[k].1)
    }

    /// Whether position `p` ends a sequence of level-`l` spans that starts at 0.
    pub fn reachable(&self, l: usize, p: usize) -> bool {
        self.levels[l].reachable[p]
    }
}

/// Whether `tokens` is a sentence of `grammar`.
pub fn is_sentence(grammar: &Grammar, tokens: &[u32]) -> bool {
    let (shortest, longest) = grammar.length_range();
    if !(shortest..=longest).contains(&tokens.len()) {
        return false;
    }
    let chart = Chart::build(grammar, tokens, Input::Sentence, true, |_| true);
    chart.weight(grammar, 0, grammar.root(), 0, tokens.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::cfg::fixtures::{language, tiny};

    #[test]
    fn the_tiny_grammar_accepts_exactly_its_language() {
        let g = tiny();
        let sentences = language(&g);
        let (_, longest) = g.length_range();
        // Every string over {1, 2} up to the longest sentence, as base-3 digits without zeros.
        let mut checked = 0;
        for code in 0..3u32.pow(longest as u32 + 1) {
            let digits: Vec<u32> = (0..=longest as u32)
                .map(|k| code / 3u32.pow(k) % 3)
                .collect();
            let Some(length) = digits.iter().position(|&d| d == 0) else {
                continue;
            };
            if digits[length..].iter().any(|&d| d != 0) {
                continue;
            }
            let tokens = &digits[..length];
            assert_eq!(
                is_sentence(&g, tokens),
                sentences.contains_key(tokens),
                "{tokens:?}"
            );
            checked += 1;
        }
        assert_eq!(checked, (1 << (longest + 1)) - 1);
    }

    #[test]
    fn sampled_sentences_are_accepted() {
        for name in super::super::names() {
            let g = Grammar::by_name(name).unwrap();
            for index in 0..20 {
                let sentence = g.sample(5, index);
                assert!(is_sentence(&g, &sentence), "{name} sentence {index}");
            }
        }
    }

    #[test]
    fn malformed_inputs_are_rejected() {
        let g = Grammar::by_name("cfg3f").unwrap();
        let sentence = g.sample(5, 0);
        assert!(!is_sentence(&g, &[]));
        assert!(!is_sentence(&g, &sentence[..sentence.len() - 1]));
        assert!(!is_sentence(&g, &[&sentence[..], &sentence[..]].concat()));
        for foreign in [0, 4, 7, 22] {
            let mut bad = sentence.clone();
            bad[10] = foreign;
            assert!(!is_sentence(&g, &bad), "token {foreign}");
        }
    }

    /// Replacing one token by another terminal usually leaves the language. The rate is a
    /// property of each grammar; the bounds sit a little below what we measured (printed).
    #[test]
    fn single_token_corruptions_are_mostly_rejected() {
        for (name, lower_bound) in [
            ("cfg3b", 0.99),
            ("cfg3e1", 0.98),
            ("cfg3e2", 0.92),
            ("cfg3f", 0.88),
            ("cfg3g", 0.91),
            ("cfg3h", 0.93),
            ("cfg3i", 0.99),
            ("cfg3j", 0.91),
            ("cfg3k", 0.86),
        ] {
            let g = Grammar::by_name(name).unwrap();
            let (mut trials, mut rejected) = (0u32, 0u32);
            for index in 0..400 {
                let sentence = g.sample(9, index);
                let position = (index as usize * 7919) % sentence.len();
                for replacement in 1..=g.num_terminals() {
                    if replacement == sentence[position] {
                        continue;
                    }
                    let mut corrupted = sentence.clone();
                    corrupted[position] = replacement;
                    trials += 1;
                    rejected += u32::from(!is_sentence(&g, &corrupted));
                }
            }
            let rate = f64::from(rejected) / f64::from(trials);
            println!("{name}: {rejected}/{trials} single-token corruptions rejected ({rate:.3})");
            assert!(rate >= lower_bound, "{name}: {rate}");
        }
    }
}

//! Exact quantities of the generative model: every rule of a non-terminal `A` has probability
//! `1 / #rules(A)`, and a sentence's probability sums over all its derivations.
//!
//! * [`expected_length`] and [`derivation_entropy`]: closed-form folds over the grammar.
//! * [`NextToken`]: the ground-truth next-token distribution p*(· | prefix) over {EOS, terminals}
//!   that Part 1 compares models against, from inside probabilities of the prefix (a
//!   [`Chart<f64>`](super::verify::Chart)) and a prefix DP on top of it.
//!
//! Floating point: a sentence of 1000 tokens has probability around e^-800, below f64's range.
//! Every chart weight is therefore multiplied by `s^(tokens it covers)`, with the per-token scale
//! `s = exp(derivation entropy / expected length)`, so a typical span weighs about 1. The scale
//! multiplies the probability of every extension of a prefix by the same power, so ratios (the
//! next-token probabilities) only need one factor `s` divided out and are exact up to rounding.

use super::Grammar;
use super::verify::{Chart, Frontier, Input, Weight};

/// Expected number of tokens in a sentence: E[len A] is 1 for a terminal and the mean over
/// `A`'s rules of the sum of its children's expectations otherwise (exact, no sampling).
pub fn expected_length(grammar: &Grammar) -> f64 {
    let mean = |_, totals: &[f64]| totals.iter().sum::<f64>() / totals.len() as f64;
    grammar.fold_up(1.0, mean)[grammar.root() as usize]
}

/// Entropy of a random *derivation*, in nats: H(A) = ln #rules(A) + mean over rules of the sum
/// of the children's entropies (terminals: 0), since the rule choices are independent and uniform.
///
/// This is the entropy of the derivation, not of the sentence: the sentence is a function of the
/// derivation, so H(derivation) = H(sentence) + H(derivation | sentence) >= H(sentence), with
/// equality exactly when (almost) every sentence has a single derivation. cfg3b, cfg3e1 and
/// cfg3e2 showed no ambiguous sentence in our samples; cfg3f … cfg3k did (up to 85% of sampled
/// sentences for cfg3g), so for them this is an upper bound and [`sentence_entropy`] estimates
/// the gap.
pub fn derivation_entropy(grammar: &Grammar) -> f64 {
    let entropy = |_, totals: &[f64]| {
        (totals.len() as f64).ln() + totals.iter().sum::<f64>() / totals.len() as f64
    };
    grammar.fold_up(0.0, entropy)[grammar.root() as usize]
}

/// The per-token factor applied to chart weights (see the module docs).
fn per_token_scale(grammar: &Grammar) -> f64 {
    (derivation_entropy(grammar) / expected_length(grammar)).exp()
}

/// The probability of choosing one particular rule of `symbol`.
fn rule_probability(grammar: &Grammar, symbol: u32) -> f64 {
    1.0 / grammar.rules(symbol).len() as f64
}

/// ln P(sentence), summed over all its derivations; `-inf` for a non-sentence.
pub fn sentence_log_probability(grammar: &Grammar, tokens: &[u32]) -> f64 {
    let scale = per_token_scale(grammar);
    let chart = Chart::build(grammar, tokens, Input::Sentence, scale, |a| {
        rule_probability(grammar, a)
    });
    let scaled = chart.weight(grammar, 0, grammar.root(), 0, tokens.len());
    scaled.ln() - tokens.len() as f64 * scale.ln()
}

/// H(derivation | sentence = `tokens`) in nats: how uncertain the parse of a sentence is (0 for
/// a sentence with one derivation; NaN for a non-sentence).
pub fn derivation_entropy_given(grammar: &Grammar, tokens: &[u32]) -> f64 {
    let scale = per_token_scale(grammar);
    let chart = Chart::build(
        grammar,
        tokens,
        Input::Sentence,
        WeightAndEntropy::of(scale),
        |a| WeightAndEntropy::of(rule_probability(grammar, a)),
    );
    let root = chart.weight(grammar, 0, grammar.root(), 0, tokens.len());
    // Posterior q(d) = w(d) / Z:  -sum q ln q = ln Z - (sum w ln w) / Z. The per-token scale
    // multiplies every w(d) alike, so it cancels. Clamped: rounding can give -1e-13.
    (root.p.ln() - root.p_ln_p / root.p).max(0.0)
}

/// The sentence entropy in nats, H(S) = H(D) - E[H(D | S)], with the expectation estimated over
/// sentences `0..samples` of `seed`: returns (estimate, standard error). Far more precise than
/// averaging -ln P(s) directly, because H(D | S) varies little between sentences.
pub fn sentence_entropy(grammar: &Grammar, seed: u64, samples: u64) -> (f64, f64) {
    let given: Vec<f64> = (0..samples)
        .map(|index| derivation_entropy_given(grammar, &grammar.sample(seed, index)))
        .collect();
    let n = given.len() as f64;
    let mean = given.iter().sum::<f64>() / n;
    let variance = given.iter().map(|h| (h - mean).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (derivation_entropy(grammar) - mean, (variance / n).sqrt())
}

/// A set of derivations summarised by `p = sum w(d)` and `p_ln_p = sum w(d) ln w(d)`: the
/// "expectation semiring", which lets one chart pass compute a posterior entropy.
#[derive(Clone, Copy, PartialEq, Debug)]
struct WeightAndEntropy {
    p: f64,
    p_ln_p: f64,
}

impl WeightAndEntropy {
    /// A single factor `w` of every derivation's weight.
    fn of(w: f64) -> Self {
        Self {
            p: w,
            p_ln_p: w * w.ln(),
        }
    }
}

impl Weight for WeightAndEntropy {
    const ZERO: Self = Self {
        p: 0.0,
        p_ln_p: 0.0,
    };
    const ONE: Self = Self {
        p: 1.0,
        p_ln_p: 0.0,
    };
    fn plus(self, other: Self) -> Self {
        Self {
            p: self.p + other.p,
            p_ln_p: self.p_ln_p + other.p_ln_p,
        }
    }
    /// w1 w2 ln(w1 w2) = w2 (w1 ln w1) + w1 (w2 ln w2), summed over both sets.
    fn times(self, other: Self) -> Self {
        Self {
            p: self.p * other.p,
            p_ln_p: other.p * self.p_ln_p + self.p * other.p_ln_p,
        }
    }
}

/// The exact next-token distributions after every prefix of one token sequence.
///
/// One chart of the whole sequence serves every prefix: a span of `tokens[..m]` is a span of
/// `tokens` that ends by `m`, and which positions are reachable depends only on earlier tokens.
pub struct NextToken<'g> {
    grammar: &'g Grammar,
    tokens: Vec<u32>,
    chart: Chart<f64>,
    scale: f64,
}

impl<'g> NextToken<'g> {
    pub fn new(grammar: &'g Grammar, tokens: &[u32]) -> Self {
        let scale = per_token_scale(grammar);
        let chart = Chart::build(grammar, tokens, Input::Prefix, scale, |a| {
            rule_probability(grammar, a)
        });
        Self {
            grammar,
            tokens: tokens.to_vec(),
            chart,
            scale,
        }
    }

    /// p*(· | tokens[..m]) for `m <= tokens.len()`: entry 0 is EOS, entry `t` the terminal `t`.
    /// `None` when no sentence starts with that prefix.
    ///
    /// Each entry is a ratio of two separately computed probabilities, P(prefix then x) /
    /// P(prefix), so that the entries summing to 1 is a check, not a normalisation.
    pub fn distribution(&self, m: usize) -> Option<Vec<f64>> {
        let (grammar, scale) = (self.grammar, self.scale);
        // Scaled by s^m, like the sentence probability below.
        let prefix = match m {
            0 => 1.0,
            _ => self.continuation_weight(m - 1, self.tokens[m - 1]),
        };
        if prefix == 0.0 {
            return None;
        }
        let mut p = vec![0.0; grammar.num_terminals() as usize + 1];
        p[0] = self.chart.weight(grammar, 0, grammar.root(), 0, m) / prefix;
        for x in 1..=grammar.num_terminals() {
            p[x as usize] = self.continuation_weight(m, x) / (prefix * scale);
        }
        Some(p)
    }

    /// Whether some sentence starts with `tokens[..m]`.
    pub fn is_prefix(&self, m: usize) -> bool {
        m == 0 || self.continuation_weight(m - 1, self.tokens[m - 1]) > 0.0
    }

    /// P(a sentence starts with `tokens[..m]` followed by `x`), scaled by `s^(m+1)`.
    ///
    /// Bottom-up over levels, `starts[i][A]` is the probability that `A` placed at `i` derives a
    /// string that begins with `tokens[i..m] x`. For a rule `A -> B1 … Br`, exactly one
    /// child covers position `m`: the children before it derive `tokens[i..k]` exactly (inside
    /// weights from the chart, ends at most `m`) and that child starts with `tokens[k..m] x`.
    fn continuation_weight(&self, m: usize, x: u32) -> f64 {
        let grammar = self.grammar;
        if !grammar.is_terminal(x) {
            return 0.0;
        }
        let depth = grammar.depth();
        let mut starts_below = vec![0.0; (m + 1) * grammar.level(depth).len()];
        starts_below[m * grammar.level(depth).len() + grammar.slot(x)] = self.scale;
        let mut frontier = Frontier::new(self.tokens.len());
        for l in (0..depth).rev() {
            let symbols = grammar.level(l);
            let below_width = grammar.level(l + 1).len();
            let mut starts = vec![0.0; (m + 1) * symbols.len()];
            // A symbol starting before `lowest` cannot reach position m.
            let lowest = (m + 1).saturating_sub(grammar.max_yield_at(l));
            for i in (lowest..=m).filter(|&i| self.chart.reachable(l, i)) {
                for &symbol in symbols {
                    let mut sum = 0.0;
                    for rule in grammar.rules(symbol) {
                        frontier.reset(i);
                        for (c, &child) in rule.iter().enumerate() {
                            let covering = |&(k, w): &(u32, f64)| {
                                w * starts_below[k as usize * below_width + grammar.slot(child)]
                            };
                            sum += frontier.positions().iter().map(covering).sum::<f64>();
                            if c + 1 < rule.len() {
                                self.chart.advance(grammar, &mut frontier, l + 1, child, m);
                            }
                        }
                    }
                    starts[i * symbols.len() + grammar.slot(symbol)] =
                        sum * rule_probability(grammar, symbol);
                }
            }
            starts_below = starts;
        }
        starts_below[0]
    }
}

/// The length of the longest prefix of `tokens` that some sentence starts with: how far a
/// generation stays in the language before its first mistake (`tokens.len()` if it never errs).
pub fn valid_prefix_length(grammar: &Grammar, tokens: &[u32]) -> usize {
    let next = NextToken::new(grammar, tokens);
    // Every prefix of a valid prefix is valid: bisect for the last valid length.
    if next.is_prefix(tokens.len()) {
        return tokens.len();
    }
    let (mut valid, mut invalid) = (0, tokens.len());
    while invalid - valid > 1 {
        let middle = (valid + invalid) / 2;
        if next.is_prefix(middle) {
            valid = middle;
        } else {
            invalid = middle;
        }
    }
    valid
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::data::cfg::fixtures::{language, tiny};
    use crate::data::mt19937::Mt19937;

    #[test]
    fn the_tiny_grammar_matches_brute_force() {
        let g = tiny();
        let sentences = language(&g);
        let total: f64 = sentences.values().sum();
        assert!((total - 1.0).abs() < 1e-12);
        let mean_length: f64 = sentences.iter().map(|(s, p)| s.len() as f64 * p).sum();
        assert!((expected_length(&g) - mean_length).abs() < 1e-12);
        // Exact H(S) by enumeration, against H(D) - E[H(D | S)] with the expectation exact too.
        let sentence_entropy: f64 = sentences.values().map(|p| -p * p.ln()).sum();
        let ambiguity: f64 = sentences
            .iter()
            .map(|(s, p)| p * derivation_entropy_given(&g, s))
            .sum();
        assert!(ambiguity > 0.1, "the grammar is ambiguous");
        assert!((derivation_entropy(&g) - ambiguity - sentence_entropy).abs() < 1e-12);
        // `1 2 2` is (1 2)(2) or (1)(2 2), equally likely.
        assert!((derivation_entropy_given(&g, &[1, 2, 2]) - 2f64.ln()).abs() < 1e-12);
        assert!(derivation_entropy_given(&g, &[1, 2]).abs() < 1e-12);

        let starts_with = |prefix: &[u32]| -> f64 {
            sentences
                .iter()
                .filter(|(s, _)| s.starts_with(prefix))
                .map(|(_, p)| p)
                .sum()
        };
        for (sentence, &p) in &sentences {
            assert!((sentence_log_probability(&g, sentence) - p.ln()).abs() < 1e-12);
            let next = NextToken::new(&g, sentence);
            for m in 0..=sentence.len() {
                let prefix = &sentence[..m];
                let got = next.distribution(m).unwrap();
                let exact_end = sentences.get(prefix).copied().unwrap_or(0.0);
                assert!((got[0] - exact_end / starts_with(prefix)).abs() < 1e-12);
                for x in 1..=2u32 {
                    let longer = [prefix, &[x]].concat();
                    let expected = starts_with(&longer) / starts_with(prefix);
                    assert!((got[x as usize] - expected).abs() < 1e-12, "{prefix:?} {x}");
                }
            }
        }
        // Valid prefix lengths against the enumerated language, for every sequence up to 5 long.
        let mut sequences: Vec<Vec<u32>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<u32>> = sequences
                .iter()
                .filter(|s| s.len() == sequences.last().unwrap().len())
                .flat_map(|s| (1..=3u32).map(move |x| [s.as_slice(), &[x]].concat()))
                .collect();
            sequences.extend(longer);
        }
        for tokens in &sequences {
            let brute = (0..=tokens.len())
                .rev()
                .find(|&m| starts_with(&tokens[..m]) > 0.0)
                .unwrap();
            assert_eq!(valid_prefix_length(&g, tokens), brute, "{tokens:?}");
        }
        assert_eq!(NextToken::new(&g, &[2, 2, 2, 2]).distribution(4), None);
        assert_eq!(
            NextToken::new(&g, &[1, 7]).distribution(2),
            None,
            "not a terminal"
        );
    }

    #[test]
    fn distributions_sum_to_one_on_prefixes_of_sampled_sentences() {
        for name in ["cfg3b", "cfg3e1", "cfg3f", "cfg3k"] {
            let g = Grammar::by_name(name).unwrap();
            let sentence = g.sample(3, 0);
            let next = NextToken::new(&g, &sentence);
            for m in [
                0,
                1,
                7,
                sentence.len() / 2,
                sentence.len() - 1,
                sentence.len(),
            ] {
                let p = next.distribution(m).unwrap();
                let sum: f64 = p.iter().sum();
                assert!(
                    (sum - 1.0).abs() < 1e-9,
                    "{name} m={m}: {p:?} sums to {sum}"
                );
                assert!(p.iter().all(|&q| (0.0..=1.0 + 1e-12).contains(&q)));
            }
            assert!(
                next.distribution(sentence.len()).unwrap()[0] > 0.0,
                "{name}"
            );
            assert_eq!(
                next.distribution(1).unwrap()[0],
                0.0,
                "{name}: no 1-token sentences"
            );
        }
    }

    /// The chain rule: the product of p*(next | prefix) along a sentence, times p*(EOS | it), is
    /// the sentence's probability from the inside chart — two independent computations.
    #[test]
    fn next_token_probabilities_multiply_to_the_sentence_probability() {
        let g = Grammar::by_name("cfg3b").unwrap();
        let mut sentence = Vec::new();
        g.sample_into(&mut Mt19937::new(7711), &mut sentence);
        let next = NextToken::new(&g, &sentence);
        let mut log_p = 0.0;
        for m in 0..=sentence.len() {
            let p = next.distribution(m).unwrap();
            let token = sentence.get(m).map_or(0, |&t| t as usize);
            log_p += p[token].ln();
        }
        let direct = sentence_log_probability(&g, &sentence);
        assert!(
            (log_p - direct).abs() < 1e-8 * direct.abs(),
            "{log_p} vs {direct}"
        );
    }

    /// p*(x | prefix) against the sampler's conditional frequencies at the first three positions
    /// of cfg3b (20,000 sentences), for every prefix seen at least 200 times. Tolerance: 4 standard
    /// errors of the frequency plus 0.002 (groups are small, so a flat 0.02 would be too tight).
    #[test]
    fn next_token_probabilities_match_sampled_frequencies() {
        let g = Grammar::by_name("cfg3b").unwrap();
        let samples = 20_000;
        // counts[prefix] = how often each next token followed it.
        let mut counts: BTreeMap<Vec<u32>, [u32; 4]> = BTreeMap::new();
        for index in 0..samples {
            let sentence = g.sample(11, index);
            for m in 0..3 {
                counts.entry(sentence[..m].to_vec()).or_default()[sentence[m] as usize] += 1;
            }
        }
        let mut worst: f64 = 0.0;
        let mut compared = 0;
        for (prefix, seen) in &counts {
            let total: u32 = seen.iter().sum();
            if total < 200 {
                continue;
            }
            let p = NextToken::new(&g, prefix)
                .distribution(prefix.len())
                .unwrap();
            for x in 0..4 {
                let freq = f64::from(seen[x]) / f64::from(total);
                let variance = (p[x] * (1.0 - p[x])).max(0.0) / f64::from(total);
                let tolerance = 4.0 * variance.sqrt() + 0.002;
                assert!(
                    (p[x] - freq).abs() < tolerance,
                    "{prefix:?} {x}: {} vs {freq}",
                    p[x]
                );
                worst = worst.max((p[x] - freq).abs());
            }
            compared += 1;
        }
        println!("cfg3b: {compared} prefixes compared, largest |p - freq| = {worst:.4}");
        assert!(compared >= 8);
    }

    #[test]
    fn ambiguity_is_measured_where_the_grammar_has_it() {
        let ambiguity = |name| {
            let g = Grammar::by_name(name).unwrap();
            let (estimate, error) = sentence_entropy(&g, 4, 50);
            let gap = derivation_entropy(&g) - estimate;
            println!("{name}: H(D) - H(S) = {gap:.3} ± {error:.3} nats");
            gap
        };
        assert!(ambiguity("cfg3b").abs() < 1e-9);
        assert!(ambiguity("cfg3g") > 0.1);
    }

    /// Expected lengths against exact expectations computed by an independent reimplementation
    /// of the official generator (one decimal).
    #[test]
    fn expected_lengths_match_the_published_table() {
        for (name, published) in [
            ("cfg3b", 275.6),
            ("cfg3i", 308.1),
            ("cfg3h", 236.4),
            ("cfg3g", 252.4),
            ("cfg3f", 249.9),
            ("cfg3j", 543.9),
            ("cfg3k", 516.3),
            ("cfg3e1", 198.6),
            ("cfg3e2", 246.4),
        ] {
            let exact = expected_length(&Grammar::by_name(name).unwrap());
            println!("{name}: expected length {exact:.2} (independent: {published})");
            assert!(
                (exact - published).abs() < 0.051,
                "{name}: {exact} vs {published}"
            );
        }
    }
}

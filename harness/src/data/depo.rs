//! Depo, Part 4.1's test of reasoning depth (Allen-Zhu, arXiv:2512.17351, §2.1 and App. A): a
//! document lists the `n` edges of a random cycle `x₁ → x₂ → … → xₙ → x₁`, in random order, as
//! name pairs `x y`; then it asks queries `<hop_k> q <ans> a`, where `a` is the node `k` steps
//! after `q`. Only the answers are trained on (they are the documents' value spans).
//!
//! Choices, where the paper and its released code differ or are silent:
//! - `n` is drawn from 3..=N with Pr(n) ∝ 1 / (√N + n), the code's formula (the paper's text
//!   reads 1/√(N + n));
//! - each document asks min(10, n) queries, each with its own uniform hop count k in 1..=K and a
//!   uniform query node (repeats allowed);
//! - a node's name is 1..=`name_tokens` tokens from an alphabet of `alphabet` tokens, the last
//!   token written from a second copy of the alphabet so that a name's end is visible (Depo1:
//!   names of 1–2 tokens over 50); names are distinct within a document;
//! - the answer span is the answer's tokens (the paper also trains on the `<ans>` marker, which
//!   is always the same token after a query).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use rand_chacha::ChaCha8Rng;

use super::rng::{StreamKey, below, shuffle, unit};
use super::{Doc, SpanKind, Vocab};
use super::generator::at_least_one;
use super::{DocSource, Generator};
use crate::spec::Invalid;

/// Depo: k-hop questions over a shuffled cycle (Part 4.1 §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepoSpec {
    /// Documents (each a fresh cycle and its queries).
    pub docs: u64,
    /// N: the longest cycle; cycles have 3..=N nodes.
    pub max_nodes: usize,
    /// K: the most hops a query asks for (1..=K).
    pub max_hops: usize,
    /// Tokens per node name, at most (1..=this, uniform): Depo1 2, Depo2 7.
    pub name_tokens: usize,
    /// Tokens of the names' alphabet: Depo1 50, Depo2 4.
    pub alphabet: usize,
}

impl Generator for DepoSpec {
    const NAME: &'static str = "depo";

    /// A cycle of at least 3 nodes, hop counts below the cycle's length, and enough distinct
    /// names for the longest cycle.
    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.docs, "docs")?;
        at_least_one(self.max_hops as u64, "max_hops")?;
        at_least_one(self.name_tokens as u64, "name_tokens")?;
        at_least_one(self.alphabet as u64, "alphabet")?;
        if self.max_nodes < 3 {
            return Err(Invalid::field("max_nodes", "a cycle needs at least 3 nodes"));
        }
        if self.max_hops >= self.max_nodes {
            return Err(Invalid::field(
                "max_hops",
                format!("K = {} must be below N = {}", self.max_hops, self.max_nodes),
            ));
        }
        enough_names(self.alphabet, self.name_tokens, self.max_nodes)
    }

    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Depo::new(self, name, seed))
    }
}

/// Names of 1..=`tokens` tokens over `alphabet` must outnumber twice the `nodes` a document
/// names, so that drawing distinct ones stays quick (Depo and Brevo).
pub fn enough_names(alphabet: usize, tokens: usize, nodes: usize) -> Result<(), Invalid> {
    let names: f64 = (1..=tokens).map(|l| (alphabet as f64).powi(l as i32)).sum();
    if names < 2.0 * nodes as f64 {
        return Err(Invalid::field(
            "alphabet",
            format!(
                "{names} possible names are too few for {nodes} distinct ones (need twice as many)"
            ),
        ));
    }
    Ok(())
}

/// Queries per document, at most (fewer when the cycle is shorter).
pub const QUERIES: usize = 10;

pub struct Depo {
    spec: DepoSpec,
    /// The dataset's name, which seeds its streams.
    name: String,
    key: StreamKey,
    vocab: Vocab,
    /// Cumulative Pr(n) for n = 3, 4, …, N.
    cycle_lengths: Vec<f64>,
}

/// One question of a document: its hop count and where its answer lies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub hops: usize,
    /// Token range of the answer inside the document.
    pub answer: std::ops::Range<usize>,
}

impl Depo {
    pub fn new(spec: &DepoSpec, name: &str, seed: u64) -> Self {
        let alphabet = spec.alphabet;
        let words: Vec<String> = (0..alphabet)
            .flat_map(|t| [format!("n{t}"), format!("e{t}")])
            .chain((1..=spec.max_hops).map(hop_word))
            .chain(["<ans>".to_owned()])
            .collect();
        let n = spec.max_nodes as f64;
        let mut total = 0.0;
        let cycle_lengths = (3..=spec.max_nodes)
            .map(|length| {
                total += 1.0 / (n.sqrt() + length as f64);
                total
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|c| c / total)
            .collect();
        Self {
            spec: spec.clone(),
            name: name.to_owned(),
            key: StreamKey::new(seed, &["depo", name]),
            vocab: Vocab::from_texts(words.iter().map(String::as_str)),
            cycle_lengths,
        }
    }

    /// Document `index` of the training stream.
    pub fn document(&self, index: u64, doc: &mut Doc) -> Vec<Query> {
        let mut rng = self.key.rng(index, 0);
        let nodes = self.draw_cycle_length(&mut rng);
        let max_hops = self.spec.max_hops as u32;
        self.write(
            &mut rng,
            nodes,
            &mut |rng| 1 + below(rng, max_hops) as usize,
            doc,
        )
    }

    /// Evaluation document `index` (a stream apart from training's): a cycle of `nodes` nodes and
    /// queries of exactly `hops` hops.
    pub fn probe(&self, index: u64, nodes: usize, hops: usize, doc: &mut Doc) -> Vec<Query> {
        let key = StreamKey::new(0, &["depo-eval", &self.name, &nodes.to_string()]);
        let mut rng = key.rng(index, hops as u32);
        self.write(&mut rng, nodes, &mut |_| hops, doc)
    }

    fn draw_cycle_length(&self, rng: &mut ChaCha8Rng) -> usize {
        let u = unit(rng);
        3 + self
            .cycle_lengths
            .partition_point(|&c| c <= u)
            .min(self.cycle_lengths.len() - 1)
    }

    /// Distinct names for `nodes` nodes, each a list of token ids.
    fn names(&self, rng: &mut ChaCha8Rng, nodes: usize) -> Vec<Vec<u32>> {
        let alphabet = self.spec.alphabet as u32;
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::with_capacity(nodes);
        while names.len() < nodes {
            let length = 1 + below(rng, self.spec.name_tokens as u32) as usize;
            let name: Vec<u32> = (0..length)
                .map(|i| {
                    let t = below(rng, alphabet);
                    let word = if i + 1 == length { "e" } else { "n" };
                    self.vocab.id(&format!("{word}{t}"))
                })
                .collect();
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        names
    }

    fn write(
        &self,
        rng: &mut ChaCha8Rng,
        nodes: usize,
        hops: &mut dyn FnMut(&mut ChaCha8Rng) -> usize,
        doc: &mut Doc,
    ) -> Vec<Query> {
        doc.clear();
        // Node i's successor is node i + 1 (mod n); the names are random, so the order is not.
        let names = self.names(rng, nodes);
        let mut edges: Vec<usize> = (0..nodes).collect();
        shuffle(rng, &mut edges);
        for &from in &edges {
            doc.tokens.extend_from_slice(&names[from]);
            doc.tokens.extend_from_slice(&names[(from + 1) % nodes]);
        }
        let ans = self.vocab.id("<ans>");
        (0..QUERIES.min(nodes))
            .map(|_| {
                let k = hops(rng);
                let start = below(rng, nodes as u32) as usize;
                doc.tokens.push(self.vocab.id(&hop_word(k)));
                doc.tokens.extend_from_slice(&names[start]);
                doc.tokens.push(ans);
                let first = doc.tokens.len();
                doc.push_span(SpanKind::Value(k as u16), &names[(start + k) % nodes]);
                Query {
                    hops: k,
                    answer: first..doc.tokens.len(),
                }
            })
            .collect()
    }
}

fn hop_word(k: usize) -> String {
    format!("<hop{k}>")
}

super::independent_documents!(Depo);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DocSource;

    fn spec() -> DepoSpec {
        DepoSpec {
            docs: 50,
            max_nodes: 12,
            max_hops: 4,
            name_tokens: 2,
            alphabet: 5,
        }
    }

    /// Reads a document back: the edge list as a successor map over names, then each query's
    /// answer checked by walking that map `k` times.
    #[test]
    fn every_answer_is_the_node_k_steps_along_the_listed_cycle() {
        let depo = Depo::new(&spec(), "depo", 3);
        let vocab = depo.vocab();
        let mut doc = Doc::default();
        for index in 0..50 {
            let queries = depo.document(index, &mut doc);
            let words: Vec<&str> = doc.tokens.iter().map(|&t| vocab.token(t)).collect();
            // Split into names: a name ends at an `e` token.
            let mut names: Vec<String> = Vec::new();
            let mut current = String::new();
            let mut items = Vec::new();
            for w in &words {
                if w.starts_with('<') {
                    items.push(w.to_string());
                    continue;
                }
                current.push_str(w);
                if w.starts_with('e') {
                    items.push(std::mem::take(&mut current));
                }
            }
            let edges_end = items.iter().position(|w| w.starts_with("<hop")).unwrap();
            assert_eq!(edges_end % 2, 0);
            let nodes = edges_end / 2;
            assert!((3..=12).contains(&nodes), "n = {nodes}");
            let next: std::collections::HashMap<&str, &str> = items[..edges_end]
                .chunks(2)
                .map(|pair| (pair[0].as_str(), pair[1].as_str()))
                .collect();
            names.extend(next.keys().map(|s| s.to_string()));
            assert_eq!(names.len(), nodes, "names are distinct");
            // One cycle through every node.
            let mut at = names[0].as_str();
            for _ in 0..nodes {
                at = next[at];
            }
            assert_eq!(at, names[0]);
            assert_eq!(queries.len(), nodes.min(QUERIES));
            for (q, query) in items[edges_end..].chunks(4).zip(&queries) {
                let k: usize = q[0]["<hop".len()..q[0].len() - 1].parse().unwrap();
                assert_eq!((q[2].as_str(), k), ("<ans>", query.hops));
                let mut at = q[1].as_str();
                for _ in 0..k {
                    at = next[at];
                }
                assert_eq!(at, q[3], "document {index}");
                let answer: String = words[query.answer.clone()].concat();
                assert_eq!(answer, q[3]);
            }
        }
    }

    #[test]
    fn cycle_lengths_follow_the_codes_weights() {
        let depo = Depo::new(&spec(), "depo", 1);
        let mut lengths = [0usize; 13];
        for index in 0..20_000 {
            let mut rng = depo.key.rng(index, 0);
            lengths[depo.draw_cycle_length(&mut rng)] += 1;
        }
        assert_eq!(lengths[..3].iter().sum::<usize>(), 0, "n ≥ 3");
        // Pr(n) ∝ 1 / (√N + n): Pr(3) / Pr(12) = (√12 + 12) / (√12 + 3) ≈ 2.39.
        let weight = |n: f64| 1.0 / (12f64.sqrt() + n);
        let expected = weight(3.0) / weight(12.0);
        let ratio = lengths[3] as f64 / lengths[12] as f64;
        assert!(
            (ratio - expected).abs() < 0.25,
            "Pr(3)/Pr(12) = {ratio:.2}, expected {expected:.2}"
        );
    }

    #[test]
    fn evaluation_documents_have_the_asked_shape_and_their_own_stream() {
        let depo = Depo::new(&spec(), "depo", 3);
        let mut doc = Doc::default();
        let queries = depo.probe(0, 12, 3, &mut doc);
        assert_eq!(queries.len(), 10);
        assert!(queries.iter().all(|q| q.hops == 3));
        let mut train = Doc::default();
        depo.document(0, &mut train);
        assert_ne!(doc.tokens, train.tokens);
    }
}

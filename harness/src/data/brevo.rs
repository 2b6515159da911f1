//! Brevo, Part 4.1's test of reasoning breadth (Allen-Zhu, arXiv:2512.17351, §2.1 and App. A):
//! a document lists the edges `parent child` of a random directed acyclic graph in random order,
//! then asks `<query> q <ans>` and answers with every ancestor of `q`, each after its parents
//! (a topological order, sources first). Any such order is right ([`is_valid_answer`]); training
//! documents write the one in which the graph was built.
//!
//! The graph: `n` vertices; the first `s` (uniform in 1..=⌈(n − 1)/4⌉ + 1) are sources; each later
//! vertex takes 1..=4 parents (uniform) among the earlier vertices that have fewer than 4 children.
//! Choices where the paper and its code are silent or differ: `n` is uniform in 3..=N (the
//! paper does not say how it varies); the query is uniform among the non-source vertices of the
//! last quarter, as the paper says (the released code takes the last vertex), and the answer
//! does not repeat `q` (the code's does). Names are as in Depo: 1..=`name_tokens` tokens, the last
//! one marked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::collections::BTreeSet;

use rand_chacha::ChaCha8Rng;

use super::rng::{StreamKey, below, shuffle};
use super::{Doc, SpanKind, Vocab};
use super::generator::at_least_one;
use super::{DocSource, Generator};
use crate::spec::Invalid;

/// Brevo: every ancestor of a vertex of a random DAG (Part 4.1 §2.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrevoSpec {
    /// Documents (each a fresh graph and one query).
    pub docs: u64,
    /// N: the most vertices a graph has (3..=N, uniform).
    pub max_vertices: usize,
    /// Tokens per vertex name, at most: Brevo1 1, Brevo2 4.
    pub name_tokens: usize,
    /// Tokens of the names' alphabet.
    pub alphabet: usize,
}

impl Generator for BrevoSpec {
    const NAME: &'static str = "brevo";

    fn check(&self) -> Result<(), Invalid> {
        at_least_one(self.docs, "docs")?;
        at_least_one(self.name_tokens as u64, "name_tokens")?;
        if self.max_vertices < 3 {
            return Err(Invalid::field("max_vertices", "needs at least 3"));
        }
        super::depo::enough_names(self.alphabet, self.name_tokens, self.max_vertices)
    }

    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Brevo::new(self, name, seed))
    }
}

/// Children a vertex may have, at most (the paper's out-degree bound).
const MAX_CHILDREN: usize = 4;

pub struct Brevo {
    spec: BrevoSpec,
    key: StreamKey,
    vocab: Vocab,
}

/// A document's graph, by vertex index in the order it was built.
pub struct Graph {
    /// `parents[v]`: the parents of vertex `v` (all with smaller indices).
    pub parents: Vec<Vec<usize>>,
    pub query: usize,
}

impl Graph {
    /// The ancestors of the query, in the order the graph was built (a topological order).
    pub fn ancestors(&self) -> Vec<usize> {
        let mut found = BTreeSet::new();
        let mut stack = self.parents[self.query].clone();
        while let Some(v) = stack.pop() {
            if found.insert(v) {
                stack.extend(&self.parents[v]);
            }
        }
        found.into_iter().collect()
    }
}

/// True when `answer` lists every ancestor of the query once, each after all of its parents.
pub fn is_valid_answer(graph: &Graph, answer: &[usize]) -> bool {
    let wanted: BTreeSet<usize> = graph.ancestors().into_iter().collect();
    let mut seen = BTreeSet::new();
    for &v in answer {
        if !wanted.contains(&v) || graph.parents[v].iter().any(|p| !seen.contains(p)) {
            return false;
        }
        if !seen.insert(v) {
            return false;
        }
    }
    seen == wanted
}

impl Brevo {
    pub fn new(spec: &BrevoSpec, name: &str, seed: u64) -> Self {
        let words: Vec<String> = (0..spec.alphabet)
            .flat_map(|t| [format!("n{t}"), format!("e{t}")])
            .chain(["<query>".to_owned(), "<ans>".to_owned()])
            .collect();
        Self {
            spec: spec.clone(),
            key: StreamKey::new(seed, &["brevo", name]),
            vocab: Vocab::from_texts(words.iter().map(String::as_str)),
        }
    }

    /// Document `index`, and the graph it describes.
    pub fn document(&self, index: u64, doc: &mut Doc) -> Graph {
        let mut rng = self.key.rng(index, 0);
        let vertices = 3 + below(&mut rng, (self.spec.max_vertices - 2) as u32) as usize;
        let graph = random_graph(&mut rng, vertices);
        self.write(&mut rng, &graph, doc);
        graph
    }

    fn write(&self, rng: &mut ChaCha8Rng, graph: &Graph, doc: &mut Doc) {
        doc.clear();
        let names = self.names(rng, graph.parents.len());
        let mut edges: Vec<(usize, usize)> = graph
            .parents
            .iter()
            .enumerate()
            .flat_map(|(child, parents)| parents.iter().map(move |&p| (p, child)))
            .collect();
        shuffle(rng, &mut edges);
        for (parent, child) in edges {
            doc.tokens.extend_from_slice(&names[parent]);
            doc.tokens.extend_from_slice(&names[child]);
        }
        doc.tokens.push(self.vocab.id("<query>"));
        doc.tokens.extend_from_slice(&names[graph.query]);
        doc.tokens.push(self.vocab.id("<ans>"));
        let answer: Vec<u32> = graph
            .ancestors()
            .iter()
            .flat_map(|&v| names[v].iter().copied())
            .collect();
        doc.push_span(SpanKind::Value(0), &answer);
    }

    /// Distinct names, each a list of token ids.
    fn names(&self, rng: &mut ChaCha8Rng, count: usize) -> Vec<Vec<u32>> {
        let mut seen = BTreeSet::new();
        let mut names = Vec::with_capacity(count);
        while names.len() < count {
            let length = 1 + below(rng, self.spec.name_tokens as u32) as usize;
            let name: Vec<u32> = (0..length)
                .map(|i| {
                    let t = below(rng, self.spec.alphabet as u32);
                    let kind = if i + 1 == length { "e" } else { "n" };
                    self.vocab.id(&format!("{kind}{t}"))
                })
                .collect();
            if seen.insert(name.clone()) {
                names.push(name);
            }
        }
        names
    }
}

/// A random graph of `vertices` vertices as the module describes, with its query.
fn random_graph(rng: &mut ChaCha8Rng, vertices: usize) -> Graph {
    let sources = 1 + below(rng, (vertices - 1).div_ceil(4) as u32 + 1) as usize;
    let mut children = vec![0usize; vertices];
    let mut parents = vec![Vec::new(); vertices];
    for (v, chosen) in parents.iter_mut().enumerate().skip(sources) {
        let mut open: Vec<usize> = (0..v).filter(|&u| children[u] < MAX_CHILDREN).collect();
        shuffle(rng, &mut open);
        let wanted = 1 + below(rng, MAX_CHILDREN as u32) as usize;
        open.truncate(wanted);
        open.sort_unstable();
        for &p in &open {
            children[p] += 1;
        }
        *chosen = open;
    }
    let last_quarter = vertices - vertices.div_ceil(4);
    let candidates: Vec<usize> = (last_quarter.max(sources)..vertices).collect();
    let candidates = if candidates.is_empty() {
        (sources..vertices).collect()
    } else {
        candidates
    };
    let query = candidates[below(rng, candidates.len() as u32) as usize];
    Graph { parents, query }
}

super::independent_documents!(Brevo);

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> BrevoSpec {
        BrevoSpec {
            docs: 100,
            max_vertices: 20,
            name_tokens: 1,
            alphabet: 40,
        }
    }

    #[test]
    fn graphs_keep_the_papers_bounds_and_answers_list_the_ancestors() {
        let brevo = Brevo::new(&spec(), "brevo", 2);
        let mut doc = Doc::default();
        for index in 0..100 {
            let graph = brevo.document(index, &mut doc);
            let n = graph.parents.len();
            assert!((3..=20).contains(&n));
            let sources = graph.parents.iter().take_while(|p| p.is_empty()).count();
            assert!(sources >= 1 && sources <= (n - 1).div_ceil(4) + 1);
            let mut children = vec![0; n];
            for (v, parents) in graph.parents.iter().enumerate().skip(sources) {
                assert!((1..=4).contains(&parents.len()), "vertex {v}");
                assert!(parents.iter().all(|&p| p < v));
                for &p in parents {
                    children[p] += 1;
                }
            }
            assert!(children.iter().all(|&c| c <= 4));
            assert!(graph.query >= sources);
            // Single-token names: the answer span names the ancestors in build order.
            let answer = doc.span_tokens(SpanKind::Value(0)).unwrap();
            assert_eq!(answer.len(), graph.ancestors().len());
            assert!(is_valid_answer(&graph, &graph.ancestors()));
            // Edges: one name pair per parent link, then `<query> q <ans>`.
            let edges: usize = graph.parents.iter().map(Vec::len).sum();
            assert_eq!(doc.tokens.len(), 2 * edges + 3 + answer.len());
        }
    }

    /// The checker against brute force on a small graph: of all orderings of all subsets, it
    /// accepts exactly the topological orders of the whole ancestor set.
    #[test]
    fn the_checker_accepts_exactly_the_topological_orders_of_the_ancestors() {
        // 0 → 2, 1 → 2, 0 → 3, 2 → 4, 3 → 4; query 4: ancestors {0, 1, 2, 3}.
        let graph = Graph {
            parents: vec![vec![], vec![], vec![0, 1], vec![0], vec![2, 3]],
            query: 4,
        };
        fn orders(items: &[usize]) -> Vec<Vec<usize>> {
            if items.is_empty() {
                return vec![vec![]];
            }
            let mut all = Vec::new();
            for i in 0..items.len() {
                let mut rest = items.to_vec();
                let first = rest.remove(i);
                for mut tail in orders(&rest) {
                    tail.insert(0, first);
                    all.push(tail);
                }
            }
            all
        }
        let mut accepted = 0;
        for subset in 0u32..32 {
            let items: Vec<usize> = (0..5).filter(|v| subset & (1 << v) != 0).collect();
            for order in orders(&items) {
                let topological = items == [0, 1, 2, 3]
                    && order
                        .iter()
                        .enumerate()
                        .all(|(i, &v)| graph.parents[v].iter().all(|p| order[..i].contains(p)));
                assert_eq!(is_valid_answer(&graph, &order), topological, "{order:?}");
                accepted += usize::from(topological);
            }
        }
        // 0 and 1 in either order before 2, 3 anywhere after 0: 5 orders.
        assert_eq!(accepted, 5);
    }
}

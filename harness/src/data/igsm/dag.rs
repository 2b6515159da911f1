//! Parameters and the dependency graph that holds them.
//!
//! The official generator keeps its dependency graph in a networkx `DiGraph`, and its draws pick
//! from lists built by walking nodes, predecessors and successors, all in **insertion order**; so
//! does [`Dag`]. (No hash-map iteration order reaches any draw or any text.)

use std::collections::HashMap;

/// A parameter of an iGSM problem, the official `(l, i, j, k)` tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Param {
    pub level: Level,
    /// Layer of the owning item.
    pub i: usize,
    /// The owning item within layer `i`.
    pub j: usize,
    /// Instance: the item of layer `i + 1` that is counted. Abstract: the counted layer.
    pub k: usize,
}

/// The official code's `l`: -1, 0 or 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// The random-number vertex that constants come from.
    Rng,
    /// "The number of each A's B": an edge of the structure graph, stated in the problem.
    Instance,
    /// "How many C does A have" for a lower layer C: implied by the structure, never stated.
    Abstract,
}

impl Param {
    /// The RNG vertex, `(-1, 0, 0, 0)`.
    pub const RNG: Param = Param {
        level: Level::Rng,
        i: 0,
        j: 0,
        k: 0,
    };

    pub fn instance(i: usize, j: usize, k: usize) -> Param {
        Param {
            level: Level::Instance,
            i,
            j,
            k,
        }
    }

    pub fn abstract_(i: usize, j: usize, k: usize) -> Param {
        Param {
            level: Level::Abstract,
            i,
            j,
            k,
        }
    }

    pub fn is_instance(&self) -> bool {
        self.level == Level::Instance
    }

    pub fn is_abstract(&self) -> bool {
        self.level == Level::Abstract
    }
}

/// The official node attribute `type`: how a parameter takes part in the problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `-1`: the RNG vertex.
    Rng,
    /// `0`: necessary for the question.
    Necessary,
    /// `1`: unnecessary, but depends on a necessary parameter.
    DependsOnNecessary,
    /// `2`: unnecessary and independent of the necessary ones.
    Unnecessary,
}

/// A directed graph whose nodes, predecessor lists and successor lists keep insertion order.
#[derive(Clone, Default)]
pub struct Dag {
    nodes: Vec<Param>,
    index: HashMap<Param, usize>,
    predecessors: Vec<Vec<usize>>,
    successors: Vec<Vec<usize>>,
    roles: Vec<Option<Role>>,
}

impl Dag {
    /// Adds `param` at the end unless it is already a node.
    pub fn add_node(&mut self, param: Param) -> usize {
        if let Some(&at) = self.index.get(&param) {
            return at;
        }
        let at = self.nodes.len();
        self.nodes.push(param);
        self.index.insert(param, at);
        self.predecessors.push(Vec::new());
        self.successors.push(Vec::new());
        self.roles.push(None);
        at
    }

    /// Adds the edge `from → to` (and missing nodes, `from` first); an existing edge keeps its
    /// place.
    pub fn add_edge(&mut self, from: Param, to: Param) {
        let f = self.add_node(from);
        let t = self.add_node(to);
        if !self.successors[f].contains(&t) {
            self.successors[f].push(t);
            self.predecessors[t].push(f);
        }
    }

    pub fn contains(&self, param: &Param) -> bool {
        self.index.contains_key(param)
    }

    /// The nodes in insertion order.
    pub fn nodes(&self) -> &[Param] {
        &self.nodes
    }

    fn at(&self, param: &Param) -> usize {
        *self
            .index
            .get(param)
            .unwrap_or_else(|| panic!("{param:?} is not in the dependency graph"))
    }

    /// The parameters `param` is computed from, in insertion order.
    pub fn predecessors(&self, param: &Param) -> Vec<Param> {
        self.predecessors[self.at(param)]
            .iter()
            .map(|&p| self.nodes[p])
            .collect()
    }

    /// The parameters computed from `param`, in insertion order.
    pub fn successors(&self, param: &Param) -> Vec<Param> {
        self.successors[self.at(param)]
            .iter()
            .map(|&s| self.nodes[s])
            .collect()
    }

    pub fn has_edge(&self, from: &Param, to: &Param) -> bool {
        match (self.index.get(from), self.index.get(to)) {
            (Some(&f), Some(&t)) => self.successors[f].contains(&t),
            _ => false,
        }
    }

    pub fn in_degree(&self, param: &Param) -> usize {
        self.predecessors[self.at(param)].len()
    }

    pub fn out_degree(&self, param: &Param) -> usize {
        self.successors[self.at(param)].len()
    }

    pub fn role(&self, param: &Param) -> Option<Role> {
        self.roles[self.at(param)]
    }

    pub fn set_role(&mut self, param: &Param, role: Role) {
        let at = self.at(param);
        self.roles[at] = Some(role);
    }
}

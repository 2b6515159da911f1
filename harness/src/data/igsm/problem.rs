//! One iGSM problem as the official `Problem(Graph)` builds it: the structure graph
//! (`structure.rs`), the dependency graph (`dependency.rs`), the problem text (`text.rs`) and the
//! solution (`solution.rs`). Each file is an `impl Problem` block that follows the official
//! methods of the same names step for step, because every draw must come in the same order.

use std::collections::HashMap;
use std::sync::Arc;

use super::categories::World;
use super::dag::{Dag, Param};
use super::expression::Expression;
use super::python::{NumpyRandom, PyRandom};

/// The official `try_num`: structure graphs tried before the problem's parameters are redrawn.
const TRIES: usize = 1000;

/// Both random streams of the official generator.
pub struct Rngs {
    pub py: PyRandom,
    pub np: NumpyRandom,
}

impl Rngs {
    /// The official `fix_seed(seed)`.
    pub fn fix_seed(seed: u32) -> Self {
        Self {
            py: PyRandom::seeded(u64::from(seed)),
            np: NumpyRandom::seeded(seed),
        }
    }
}

/// How the problem and its solution are written (the official `args`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub shuffle: Shuffle,
    /// Solution sentences name a variable ("Define X as a") rather than writing X itself.
    pub define_var: bool,
    /// "Define X as a" rather than "Define a".
    pub define_detail: bool,
    /// Leave out the symbolic part ("a + b") of each step.
    pub name_omit: bool,
    /// Leave out the numeric part ("3 + 4") of each step.
    pub cal_omit: bool,
}

/// How far the problem's sentences are shuffled away from a solution order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shuffle {
    /// Kept in the order parameters were added (official `perm_level` 6).
    None,
    /// Each sentence moves at most this many places (perm levels 0–4).
    Mild(usize),
    /// Any order (perm level 5).
    Hard,
}

impl Style {
    /// The official mapping of `perm_level` (0..=6) and `detail_level` (0..=11).
    pub fn from_levels(perm_level: u8, detail_level: u8) -> Style {
        let shuffle = match perm_level {
            0..=4 => Shuffle::Mild(perm_level as usize),
            5 => Shuffle::Hard,
            _ => Shuffle::None,
        };
        let case0 = detail_level % 3;
        Style {
            shuffle,
            define_var: case0 < 2,
            define_detail: case0 == 0,
            name_omit: (detail_level / 3) % 2 == 1,
            cal_omit: detail_level / 6 == 1,
        }
    }

    /// Whether the problem's sentence order is redrawn from the dependency graph.
    pub fn permutes(&self) -> bool {
        self.shuffle != Shuffle::None
    }
}

/// The official `record`: which structure edges (`remain`), which abstract totals (`inter`) are
/// still free, and which parameters were chosen.
#[derive(Clone, Default)]
pub struct Record {
    pub remain: Vec<(usize, usize, usize)>,
    pub inter: Vec<(usize, usize, usize)>,
    pub chosen: Vec<Param>,
}

pub struct Problem {
    pub(super) world: Arc<World>,
    pub(super) style: Style,
    /// Depth (layers), minimum and maximum width, edges, and the chance of widening a layer.
    pub(super) d: usize,
    pub(super) w0: usize,
    pub(super) w1: usize,
    pub(super) e: usize,
    pub(super) p: f64,
    /// Layer widths.
    pub l: Vec<usize>,
    /// `g[i][j][k]`: item `j` of layer `i` has items `k` of layer `i + 1`.
    pub g: Vec<Vec<Vec<bool>>>,
    /// The structure edges already stated by a chosen parameter (the official edge attribute).
    pub(super) edge_chosen: Vec<Vec<Vec<bool>>>,
    pub(super) total: usize,
    /// Every record ever made: the official code aliases records across loop iterations
    /// (`previous_record`, `temp_record`), so they are addressed by index, never copied back.
    pub(super) records: Vec<Record>,
    pub(super) record: usize,
    pub(super) temp_record: usize,
    pub(super) n_op_min: usize,
    /// Operations of the solution.
    pub n_op: usize,
    /// Category name of each layer.
    pub layer_names: Vec<String>,
    /// Item names, by layer.
    pub names: Vec<Vec<String>>,
    pub template: Dag,
    /// The solution's order of the necessary parameters; the question is the last.
    pub topological_order: Vec<Param>,
    /// The problem's sentence order (the RNG vertex and abstract parameters included).
    pub problem_order: Vec<Param>,
    pub(super) independent: Vec<Param>,
    pub question: Param,
    /// Values mod 23.
    pub lookup: HashMap<Param, u32>,
    pub(super) symbol_of: HashMap<Param, String>,
    pub(super) sentence_of: HashMap<Param, String>,
    pub(super) expressions: HashMap<Param, Expression>,
    pub(super) symbols: Vec<char>,
    /// The problem's sentences, the question last.
    pub sentences: Vec<String>,
    /// The solution's sentences, one per necessary parameter.
    pub solution: Vec<String>,
    pub answer: u32,
}

/// The 52 variable names, a–z then A–Z.
pub fn all_symbols() -> Vec<char> {
    ('a'..='z').chain('A'..='Z').collect()
}

impl Problem {
    /// The official `Problem(d, w0, w1, e, p, args)`: `e` is clamped into what a structure of
    /// this depth and these widths can hold.
    pub fn new(
        world: Arc<World>,
        style: Style,
        d: usize,
        w0: usize,
        w1: usize,
        e: usize,
        p: f64,
    ) -> Self {
        let e = e.clamp((d - 1) * w0, (d - 1) * w1 * w1);
        Problem {
            world,
            style,
            d,
            w0,
            w1,
            e,
            p,
            l: Vec::new(),
            g: Vec::new(),
            edge_chosen: Vec::new(),
            total: 0,
            records: vec![Record::default()],
            record: 0,
            temp_record: 0,
            n_op_min: 0,
            n_op: 0,
            layer_names: Vec::new(),
            names: Vec::new(),
            template: Dag::default(),
            topological_order: Vec::new(),
            problem_order: Vec::new(),
            independent: Vec::new(),
            question: Param::RNG,
            lookup: HashMap::new(),
            symbol_of: HashMap::new(),
            sentence_of: HashMap::new(),
            expressions: HashMap::new(),
            symbols: all_symbols(),
            sentences: Vec::new(),
            solution: Vec::new(),
            answer: 0,
        }
    }

    pub(super) fn rec(&mut self) -> &mut Record {
        &mut self.records[self.record]
    }

    /// The official `gen(n, m, s)`: structure graphs until one admits a dependency graph with
    /// `n` abstract and `m` minimal operations; `s` operations in all. `false` after 1000 tries.
    pub fn generate(&mut self, rng: &mut Rngs, n: usize, m: usize, s: usize) -> bool {
        for _ in 0..TRIES {
            self.init_structure(rng);
            self.draw_names(rng);
            self.choose_param(rng, n, m);
            self.setup_template();
            if self.reasonable_sort(rng) {
                self.design(rng, s);
                self.fill_all();
                self.question = *self
                    .topological_order
                    .last()
                    .expect("a necessary parameter");
                self.design_unused(rng);
                if self.style.permutes() {
                    self.problem_order = self.random_topological_sort(rng);
                }
                return true;
            }
        }
        false
    }

    /// The official `to_problem()`: values and sentences, the shuffle, the question, the solution.
    pub fn to_problem(&mut self, rng: &mut Rngs) {
        for param in self.problem_order.clone() {
            self.parse(rng, param);
        }
        let question = self.question_sentence();
        self.shuffle(rng);
        self.sentences = self
            .problem_order
            .iter()
            .filter(|p| p.is_instance())
            .map(|p| self.sentence_of[p].clone())
            .collect();
        self.sentences.push(question);
        for param in self.topological_order.clone() {
            self.decode(rng, param);
        }
        self.answer = self.lookup[&self.question];
    }

    /// Every instance parameter, then every abstract one, in the official `all_param` order.
    pub fn all_params(&self) -> Vec<Param> {
        let mut all = Vec::new();
        for i in 0..self.d - 1 {
            for j in 0..self.l[i] {
                for k in 0..self.l[i + 1] {
                    all.push(Param::instance(i, j, k));
                }
            }
        }
        for i in 0..self.d - 1 {
            for j in 0..self.l[i] {
                for k in i + 1..self.d {
                    all.push(Param::abstract_(i, j, k));
                }
            }
        }
        all
    }

    /// The official `get_ntn`: "A's B" for an instance, "A's C" (the category) for an abstract
    /// parameter.
    pub fn full_name(&self, param: &Param) -> String {
        let owner = &self.names[param.i][param.j];
        if param.is_instance() {
            format!("{owner}'s {}", self.names[param.i + 1][param.k])
        } else {
            format!("{owner}'s {}", self.layer_names[param.k])
        }
    }

    /// The children of item `j` of layer `i`.
    pub fn children(&self, i: usize, j: usize) -> Vec<usize> {
        (0..self.l[i + 1]).filter(|&k| self.g[i][j][k]).collect()
    }

    pub fn depth(&self) -> usize {
        self.d
    }
}

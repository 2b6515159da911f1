//! The dependency graph: which parameter is computed from which. The official `setup_template`,
//! `reasonable_sort` (a solution order, adding edges so every chosen parameter is needed),
//! `design` (extra operations up to `s`), `design_unused` (the unnecessary parameters),
//! `add_param` and `random_topological_sort`, step for step.

use super::dag::{Dag, Param, Role};
use super::problem::{Problem, Rngs};
use super::python::softmax;
use super::structure::remove;

/// At most this many parameters feed one sentence (the official `max_param`).
const MAX_PARAM: usize = 4;

impl Problem {
    /// The official `setup_template()`: the chosen parameters and the edges the structure
    /// implies for abstract totals (the instance edges below, then the lower totals).
    pub(super) fn setup_template(&mut self) {
        let mut template = Dag::default();
        let chosen = self.records[self.record].chosen.clone();
        for param in &chosen {
            template.add_node(*param);
        }
        for param in chosen.iter().filter(|p| p.is_abstract()) {
            let (i, j, k) = (param.i, param.j, param.k);
            for x in self.children(i, j) {
                template.add_edge(Param::instance(i, j, x), *param);
            }
            if k - i > 1 {
                for x in self.children(i, j) {
                    template.add_edge(Param::abstract_(i + 1, x, k), *param);
                }
            }
        }
        self.template = template;
    }

    /// The official `reasonable_sort()`: builds the solution order backwards from a sink,
    /// adding an edge into each instance parameter so that every chosen parameter is needed.
    /// `false` when no order exists.
    pub(super) fn reasonable_sort(&mut self, rng: &mut Rngs) -> bool {
        let p0 = rng.py.random();
        let p1 = rng.np.randn().abs();
        let p2 = p1;
        let nodes = self.template.nodes().to_vec();
        let mut out_degree: Vec<usize> =
            nodes.iter().map(|p| self.template.out_degree(p)).collect();
        let position = |param: &Param| nodes.iter().position(|p| p == param).expect("a node");
        let mut zero_out = with_degree_zero(&nodes, &out_degree);
        let mut stack: Vec<Param> = Vec::new();
        let mut remain: Vec<Param> = nodes.iter().copied().filter(|p| *p != Param::RNG).collect();
        let mut order = Vec::new();
        let mut start = true;
        while !remain.is_empty() {
            let pool: Vec<Param> = if start {
                start = false;
                zero_out.clone()
            } else {
                zero_out
                    .iter()
                    .copied()
                    .filter(|p| stack.contains(p))
                    .collect()
            };
            if pool.is_empty() {
                return false;
            }
            let picked = rng.py.choice(&pool);
            order.push(picked);
            // The official inner `choose_param(param)`.
            remove(&mut remain, &picked);
            remove(&mut zero_out, &picked);
            for v in self.template.predecessors(&picked) {
                let at = position(&v);
                out_degree[at] -= 1;
                if out_degree[at] == 0 {
                    zero_out.push(v);
                }
            }
            if let Some(at) = stack.iter().position(|p| *p == picked) {
                stack.remove(at);
            }
            let need_to_pick = !stack.iter().any(|p| zero_out.contains(p));
            if picked.is_instance() {
                if (rng.py.random() < p0 || need_to_pick) && !remain.is_empty() {
                    let pool = if need_to_pick { &zero_out } else { &remain };
                    let values: Vec<f64> = pool
                        .iter()
                        .map(|p| {
                            let mut value = 0.0;
                            if p.is_abstract() {
                                value += p1;
                            }
                            if !stack.contains(p) {
                                value += p2;
                            }
                            value
                        })
                        .collect();
                    let chosen = pool[rng.np.choice_weighted(&softmax(&values))];
                    self.template.add_edge(chosen, picked);
                    if !stack.contains(&chosen) {
                        stack.push(chosen);
                    }
                }
            } else if picked.is_abstract() {
                for v in self.template.predecessors(&picked) {
                    if !stack.contains(&v) {
                        stack.push(v);
                    }
                }
            }
        }
        order.reverse();
        self.topological_order = order;
        true
    }

    /// The official `design(s)`: spreads the operations beyond the minimum over the instance
    /// parameters, then gives each its inputs (earlier parameters and the RNG vertex).
    pub(super) fn design(&mut self, rng: &mut Rngs, s: usize) {
        self.n_op = self.n_op_min.max(s);
        let order = self.topological_order.clone();
        let mut max_extra = vec![0; order.len()];
        let mut extra = vec![0; order.len()];
        let mut addable = Vec::new();
        for (i, param) in order.iter().enumerate() {
            if param.is_instance() {
                max_extra[i] = ((i + 1).min(MAX_PARAM)).saturating_sub(2);
                if max_extra[i] > 0 {
                    addable.push(i);
                }
            }
        }
        self.n_op = (self.n_op - self.n_op_min).min(max_extra.iter().sum()) + self.n_op_min;
        let mut n_fix = self.n_op - self.n_op_min;
        while n_fix > 0 {
            let index = rng.py.choice(&addable);
            n_fix -= 1;
            extra[index] += 1;
            if extra[index] == max_extra[index] {
                remove(&mut addable, &index);
            }
        }
        self.template.add_node(Param::RNG);
        self.template.set_role(&Param::RNG, Role::Rng);
        for (i, param) in order.iter().enumerate() {
            self.template.set_role(param, Role::Necessary);
            if !param.is_instance() {
                continue;
            }
            self.edge_chosen[param.i][param.j][param.k] = true;
            let mut pool: Vec<Param> = std::iter::once(Param::RNG)
                .chain(order[..i].iter().copied())
                .collect();
            let mut n_sample = if extra[i] == 0 {
                if rng.py.random() < 0.5 { 1 } else { 2 }
            } else {
                extra[i] + 2
            };
            n_sample = n_sample.min(i + 1).min(MAX_PARAM);
            if n_sample != pool.len() {
                for v in self.template.predecessors(param) {
                    remove(&mut pool, &v);
                    n_sample -= 1;
                }
                if rng.py.random() < 0.5 && n_sample > 0 {
                    n_sample -= 1;
                    self.template.add_edge(Param::RNG, *param);
                    remove(&mut pool, &Param::RNG);
                }
                pool = rng.py.sample(&pool, n_sample);
            }
            for v in pool {
                if !self.template.has_edge(&v, param) {
                    self.template.add_edge(v, *param);
                }
            }
        }
    }

    /// The official `design_unused()`: every structure edge not yet used becomes an unnecessary
    /// parameter, computed (half the time) only from other unnecessary ones.
    pub(super) fn design_unused(&mut self, rng: &mut Rngs) {
        self.problem_order = self.topological_order.clone();
        self.independent = Vec::new();
        while !self.records[self.record].remain.is_empty() {
            let (i, j, k) = rng.py.choice(&self.records[self.record].remain);
            let param = Param::instance(i, j, k);
            self.template.add_node(param);
            let independent = rng.py.random() < 0.5;
            let pool: Vec<Param> = if independent {
                self.independent.clone()
            } else {
                self.records[self.record].chosen.clone()
            };
            let mut n_sample = 1;
            let max_sample_all = pool.len() + 1;
            let max_sample = max_sample_all.min(MAX_PARAM);
            while n_sample < max_sample {
                if rng.py.random() > 0.5 {
                    n_sample += 1;
                } else {
                    break;
                }
            }
            self.template.set_role(&param, Role::Unnecessary);
            let inputs = if n_sample == max_sample_all {
                self.template.add_edge(Param::RNG, param);
                pool
            } else {
                if rng.py.random() < 0.5 {
                    self.template.add_edge(Param::RNG, param);
                    n_sample -= 1;
                }
                rng.py.sample(&pool, n_sample)
            };
            for v in inputs {
                self.template.add_edge(v, param);
                self.add_param(v);
                if self.feeds_necessary(&v) {
                    self.template.set_role(&param, Role::DependsOnNecessary);
                }
            }
            let record = self.rec();
            remove(&mut record.remain, &(i, j, k));
            record.chosen.push(param);
            self.fill_chosen(param);
            if independent {
                self.independent.push(param);
            }
            self.problem_order.push(param);
        }
    }

    /// The official test `type in [0, 1]`.
    fn feeds_necessary(&self, param: &Param) -> bool {
        matches!(
            self.template.role(param),
            Some(Role::Necessary | Role::DependsOnNecessary)
        )
    }

    /// The official `add_param(param)`: an abstract total used by an unnecessary parameter but
    /// not yet in the problem gets its structural edges (and, recursively, its lower totals).
    fn add_param(&mut self, param: Param) {
        if !param.is_abstract() || self.problem_order.contains(&param) {
            return;
        }
        let (i, j, k) = (param.i, param.j, param.k);
        self.template.set_role(&param, Role::Unnecessary);
        for child in self.children(i, j) {
            let instance = Param::instance(i, j, child);
            self.template.add_edge(instance, param);
            if self.feeds_necessary(&instance) {
                self.template.set_role(&param, Role::DependsOnNecessary);
            }
            if i + 1 != k {
                let lower = Param::abstract_(i + 1, child, k);
                self.template.add_edge(lower, param);
                if !self.problem_order.contains(&lower) {
                    self.add_param(lower);
                }
                if self.feeds_necessary(&lower) {
                    self.template.set_role(&param, Role::DependsOnNecessary);
                }
            }
        }
        self.problem_order.push(param);
    }

    /// The official `random_topological_sort`: a uniformly drawn ready node at every step.
    pub(super) fn random_topological_sort(&mut self, rng: &mut Rngs) -> Vec<Param> {
        let nodes = self.template.nodes().to_vec();
        let mut in_degree: Vec<usize> = nodes.iter().map(|p| self.template.in_degree(p)).collect();
        let mut ready = with_degree_zero(&nodes, &in_degree);
        let mut order = Vec::with_capacity(nodes.len());
        while !ready.is_empty() {
            let u = rng.py.choice(&ready);
            remove(&mut ready, &u);
            order.push(u);
            for v in self.template.successors(&u) {
                let at = nodes.iter().position(|p| *p == v).expect("a node");
                in_degree[at] -= 1;
                if in_degree[at] == 0 {
                    ready.push(v);
                }
            }
        }
        order
    }
}

/// The nodes whose degree is 0, in node order.
fn with_degree_zero(nodes: &[Param], degrees: &[usize]) -> Vec<Param> {
    nodes
        .iter()
        .zip(degrees)
        .filter(|(_, d)| **d == 0)
        .map(|(p, _)| *p)
        .collect()
}

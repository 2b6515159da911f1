//! The structure graph (layers of items, edges "each A has some B") and the choice of which
//! abstract totals and instance parameters the solution needs: the official `Graph.init`,
//! `choose_param`, `try_inter`, `fill_all` and `fill_chosen`, with their loops kept as they are.

use super::dag::Param;
use super::problem::{Problem, Record, Rngs};

/// What the layer-growing loop does next (the official `valid` property).
enum Growth {
    /// The layers cannot hold `e` edges yet.
    MustAdd,
    /// Every layer below the top has exactly one edge per item: `e` is reached.
    Stop,
    /// Either is possible: a coin with probability `p` decides.
    MayAdd,
}

impl Problem {
    fn growth(&self) -> Growth {
        let most: usize = (0..self.d - 1).map(|i| self.l[i] * self.l[i + 1]).sum();
        let least: usize = self.l[1..].iter().sum();
        if most < self.e {
            Growth::MustAdd
        } else if least == self.e {
            Growth::Stop
        } else {
            Growth::MayAdd
        }
    }

    /// Widens a random layer that is below the maximum width; `true` if none is.
    fn add_vertex(&mut self, rng: &mut Rngs) -> bool {
        let pool: Vec<usize> = (0..self.d).filter(|&i| self.l[i] < self.w1).collect();
        if pool.is_empty() {
            return true;
        }
        let layer = rng.py.choice(&pool);
        self.l[layer] += 1;
        false
    }

    /// The official `init()`: layer widths, one parent per item (numpy draws), extra edges up to
    /// `e`, and the count of operations the parameters could need at most (`total`).
    pub(super) fn init_structure(&mut self, rng: &mut Rngs) {
        self.l = vec![self.w0; self.d];
        loop {
            match self.growth() {
                Growth::MustAdd => {
                    self.add_vertex(rng);
                }
                Growth::Stop => break,
                Growth::MayAdd => {
                    if rng.py.random() < self.p {
                        if self.add_vertex(rng) {
                            break;
                        }
                    } else {
                        break;
                    }
                }
            }
        }
        let d = self.d;
        let mut free: Vec<(usize, usize, usize)> = Vec::new();
        let mut inter = Vec::new();
        for i in 0..d - 1 {
            for j in 0..self.l[i] {
                for k in 0..self.l[i + 1] {
                    free.push((i, j, k));
                }
            }
        }
        for i in 0..d - 1 {
            for j in 0..self.l[i] {
                for k in i + 1..d {
                    inter.push((i, j, k));
                }
            }
        }
        let mut record = Record {
            remain: Vec::new(),
            inter,
            chosen: Vec::new(),
        };
        self.g = (0..d - 1)
            .map(|i| vec![vec![false; self.l[i + 1]]; self.l[i]])
            .collect();
        let mut existing = 0;
        for i in 0..d - 1 {
            for k in 0..self.l[i + 1] {
                let j = rng.np.choice_below(self.l[i]);
                self.g[i][j][k] = true;
                remove(&mut free, &(i, j, k));
                record.remain.push((i, j, k));
            }
            existing += self.l[i + 1];
        }
        let extra = rng.py.sample(&free, self.e - existing);
        for &(i, j, k) in &extra {
            self.g[i][j][k] = true;
        }
        record.remain.extend(extra);
        self.edge_chosen = self
            .g
            .iter()
            .map(|layer| layer.iter().map(|row| vec![false; row.len()]).collect())
            .collect();
        self.total = record.remain.len();
        for i in 0..d - 1 {
            for j in 0..self.l[i] {
                let mut count = self.g[i][j].iter().filter(|&&edge| edge).count();
                let count_multi = (2 * count).saturating_sub(1);
                if count > 1 {
                    count -= 1;
                }
                self.total += count_multi * (d - i - 2) + count;
            }
        }
        self.records = vec![record];
        self.record = 0;
        self.temp_record = 0;
    }

    /// The official `try_inter`: the cost of choosing the abstract total `(i, j, k)`, recording
    /// it and everything it needs into the temporary record (a fresh copy when `start`).
    fn try_inter(&mut self, inter: (usize, usize, usize), start: bool) -> usize {
        let (i, j, k) = inter;
        if start {
            self.records.push(self.records[self.record].clone());
            self.temp_record = self.records.len() - 1;
        }
        let t = self.temp_record;
        remove(&mut self.records[t].inter, &inter);
        self.records[t].chosen.push(Param::abstract_(i, j, k));
        let mut count = 0;
        let mut offspring = 0;
        for x in 0..self.l[i + 1] {
            if !self.g[i][j][x] {
                continue;
            }
            offspring += 1;
            if i + 1 != k && self.records[t].inter.contains(&(i + 1, x, k)) {
                count += self.try_inter((i + 1, x, k), false);
            }
            if self.records[t].remain.contains(&(i, j, x)) {
                count += 1;
                remove(&mut self.records[t].remain, &(i, j, x));
                self.records[t].chosen.push(Param::instance(i, j, x));
            }
        }
        if i + 1 == k {
            count + if offspring > 1 { offspring - 1 } else { 1 }
        } else {
            count + (2 * offspring).saturating_sub(1).max(1)
        }
    }

    /// The official `choose_param(n, m)`: abstract totals worth about `n` operations, then
    /// instance parameters up to `m` minimal operations. The records swap exactly as the
    /// official code's aliased dictionaries do.
    pub(super) fn choose_param(&mut self, rng: &mut Rngs, n: usize, m: usize) {
        let mut n = n.min(self.total);
        let n_fix = m - n;
        let mut previous_record = self.record;
        let mut previous_count = 0;
        let mut lowest = 1;
        let mut highest = self.d - 1;
        while n > 0 {
            for diff in 1..self.d {
                let try_set: Vec<(usize, usize, usize)> = self.records[self.record]
                    .inter
                    .iter()
                    .copied()
                    .filter(|&(i, _, k)| k - i == diff)
                    .collect();
                if try_set.is_empty() {
                    if diff == lowest {
                        lowest += 1;
                    } else if diff == highest {
                        highest -= 1;
                    }
                    continue;
                }
                let picked = rng.py.choice(&try_set);
                let count = self.try_inter(picked, true);
                if diff == lowest && count > n {
                    let fixed = (n + n_fix).min(self.rec().remain.len());
                    self.fix_instances(rng, fixed);
                    self.n_op_min = m - n - n_fix + fixed;
                    return;
                }
                if count <= n {
                    if diff < highest {
                        previous_record = self.temp_record;
                        previous_count = count;
                    } else {
                        self.record = self.temp_record;
                        n -= count;
                        break;
                    }
                } else {
                    self.record = previous_record;
                    n -= previous_count;
                    break;
                }
            }
        }
        let fixed = n_fix.min(self.rec().remain.len());
        self.fix_instances(rng, fixed);
        self.n_op_min = m - n_fix + fixed;
    }

    /// Chooses `count` random free structure edges as instance parameters.
    fn fix_instances(&mut self, rng: &mut Rngs, count: usize) {
        let fix = rng.py.sample(&self.rec().remain, count);
        for (i, j, k) in fix {
            let record = self.rec();
            record.chosen.push(Param::instance(i, j, k));
            remove(&mut record.remain, &(i, j, k));
        }
    }

    /// Whether every edge from item `j` of layer `i` is stated by a chosen parameter.
    fn all_children_stated(&self, i: usize, j: usize) -> bool {
        let children = self.g[i][j].iter().filter(|&&edge| edge).count();
        let stated = self.edge_chosen[i][j]
            .iter()
            .filter(|&&chosen| chosen)
            .count();
        children == stated
    }

    /// Moves the abstract total `(i, j, k)` from `inter` to `chosen` if it is still free.
    fn choose_total(&mut self, inter: (usize, usize, usize)) {
        let record = self.rec();
        if record.inter.contains(&inter) {
            remove(&mut record.inter, &inter);
            record
                .chosen
                .push(Param::abstract_(inter.0, inter.1, inter.2));
        }
    }

    /// Whether some child of item `j` of layer `upper` still has `lower` as a free total.
    fn child_total_free(&self, upper: usize, j: usize, lower: usize) -> bool {
        self.children(upper, j).into_iter().any(|child| {
            self.records[self.record]
                .inter
                .contains(&(upper + 1, child, lower))
        })
    }

    /// The official `fill_all()`: every abstract total computable from the chosen parameters
    /// becomes chosen too.
    pub(super) fn fill_all(&mut self) {
        for upper in 0..self.d - 1 {
            for j in 0..self.l[upper] {
                if self.all_children_stated(upper, j) {
                    self.choose_total((upper, j, upper + 1));
                }
            }
        }
        for upper in 0..self.d - 1 {
            self.choose_computable_totals(upper, upper + 2..self.d);
        }
    }

    /// The loop `fill_all` and `fill_chosen` share: the totals of layer `upper`'s items over
    /// each of `lowers`, as long as no child's total is free. (Its `stamp` flag is set once per
    /// call and never reset, as in the original.)
    fn choose_computable_totals(&mut self, upper: usize, lowers: std::ops::Range<usize>) {
        let mut stamp = false;
        'lower: for lower in lowers {
            for j in 0..self.l[upper] {
                if !self.rec().inter.contains(&(upper, j, upper + 1)) {
                    if self.child_total_free(upper, j, lower) {
                        stamp = true;
                    }
                    if stamp {
                        continue 'lower;
                    }
                    self.choose_total((upper, j, lower));
                }
            }
        }
    }

    /// The official `fill_chosen(param)`: after instance `param` is stated, the totals that
    /// became computable are chosen.
    pub(super) fn fill_chosen(&mut self, param: Param) {
        let (i, j, k) = (param.i, param.j, param.k);
        self.edge_chosen[i][j][k] = true;
        if !self.all_children_stated(i, j) {
            return;
        }
        let record = self.rec();
        remove(&mut record.inter, &(i, j, i + 1));
        record.chosen.push(Param::abstract_(i, j, i + 1));
        for lower in i + 2..self.d {
            if self.child_total_free(i, j, lower) {
                break;
            }
            let record = self.rec();
            remove(&mut record.inter, &(i, j, lower));
            record.chosen.push(Param::abstract_(i, j, lower));
        }
        for upper in (0..i).rev() {
            self.choose_computable_totals(upper, i + 1..self.d);
        }
    }
}

/// Python's `list.remove(x)`: the first match, which must exist.
pub(super) fn remove<T: PartialEq + std::fmt::Debug>(list: &mut Vec<T>, item: &T) {
    let at = list
        .iter()
        .position(|x| x == item)
        .unwrap_or_else(|| panic!("{item:?} is not in the list"));
    list.remove(at);
}

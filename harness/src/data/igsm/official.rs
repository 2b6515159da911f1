//! The official generator's sampling loop (`IdGen` of `data_gen/pretrain/id_gen.py`, style
//! "light"): draw the solution's operation count, then problem shapes until one has exactly that
//! many operations and its template hash is in the wanted bins.

use std::sync::Arc;

use super::categories::World;
use super::problem::{Problem, Rngs, Style};

/// The settings of one `IdGen(max_op, max_edge, perm_level, detail_level)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdGenSettings {
    /// Most operations in a solution (iGSM-med 15, iGSM-hard 21).
    pub max_op: usize,
    /// Most instance parameters (structure edges) in a problem (med 20, hard 28).
    pub max_edge: usize,
    /// The operation count itself (`op`): `None` draws it (the minimum of two uniform draws).
    pub op: Option<usize>,
    /// 0–4 mild shuffles, 5 any order, 6 none; `None` draws it per problem.
    pub perm_level: Option<u8>,
    /// 0–11 (define detail × name omission × calculation omission); `None` draws it.
    pub detail_level: Option<u8>,
}

/// One problem from the official generator.
pub struct Generated {
    pub problem: Problem,
    /// The solution's operation count the loop aimed for (`op_`).
    pub op: usize,
    pub perm_level: u8,
    pub detail_level: u8,
}

impl Generated {
    /// The problem's sentences without the question, as the official `vanilla_prob`.
    pub fn statement(&self) -> String {
        let sentences = &self.problem.sentences;
        format!(" {}.", sentences[..sentences.len() - 1].join(". "))
    }

    /// The question, with its leading space (the official `ques`).
    pub fn question(&self) -> String {
        format!(" {}", self.problem.sentences.last().expect("a question"))
    }

    /// The solution text (the official `sol`).
    pub fn solution(&self) -> String {
        format!(" {}.", self.problem.solution.join(". "))
    }

    /// The problem text with the question last (`pq`) or first (`qp`).
    pub fn problem_text(&self, question_first: bool) -> String {
        if question_first {
            format!("{}{}", self.question(), self.statement())
        } else {
            format!("{}{}", self.statement(), self.question())
        }
    }
}

/// The official `IdGen(...)` then `gen_prob(ava_hash, ...)`, drawing from `rng`.
pub fn generate(
    world: &Arc<World>,
    rng: &mut Rngs,
    settings: &IdGenSettings,
    bins: &[u32],
) -> Generated {
    let draw_op = |rng: &mut Rngs| {
        let ops: Vec<usize> = (1..=settings.max_op).collect();
        let t0 = rng.py.choice(&ops);
        let t1 = rng.py.choice(&ops);
        t0.min(t1)
    };
    let op = settings.op.unwrap_or_else(|| draw_op(rng));
    let perm_level = settings
        .perm_level
        .unwrap_or_else(|| rng.py.randint(0, 6) as u8);
    let detail_level = settings
        .detail_level
        .unwrap_or_else(|| rng.py.randint(0, 11) as u8);
    let style = Style::from_levels(perm_level, detail_level);
    loop {
        // The official `gen_param_light()`.
        let s = settings.op.unwrap_or_else(|| draw_op(rng));
        let t0 = rng.py.randint(1, s);
        let t1 = rng.py.randint(1, s);
        let n = t0.max(t1);
        let m = rng.py.randint(n, s);
        let distance = (s as f64 - 1.0) / (settings.max_edge as f64 - 1.0);
        let weights: Vec<f64> = [0.2, 0.5, 0.8]
            .iter()
            .map(|centre: &f64| -(distance - centre).powi(2))
            .collect();
        let probabilities = super::python::softmax(&weights);
        let mut width = || 2 + rng.np.choice_weighted(&probabilities);
        let d = width();
        let (t0, t1) = (width(), width());
        let (w0, w1) = (t0.min(t1), t0.max(t1));
        let p = rng.py.random();
        let min_e = (d - 1) * w0;
        let t0 = rng.py.randint(min_e, settings.max_edge);
        let t1 = rng.py.randint(min_e, settings.max_edge);
        let e = t0.min(t1);

        let mut problem = Problem::new(world.clone(), style, d, w0, w1, e, p);
        if !problem.generate(rng, n, m, s) {
            continue;
        }
        problem.to_problem(rng);
        if problem.n_op != op || !bins.contains(&problem.template_hash()) {
            continue;
        }
        return Generated {
            problem,
            op,
            perm_level,
            detail_level,
        };
    }
}

/// Why settings cannot be run: the field (`max_op`, `op`, `max_edge`) and what is wrong.
pub fn check_settings(settings: &IdGenSettings) -> Result<(), (&'static str, String)> {
    if settings.max_op < 1 {
        return Err((
            "max_op",
            format!("max_op = {}: must be at least 1", settings.max_op),
        ));
    }
    if settings.op == Some(0) {
        return Err((
            "op",
            "op = 0: a solution has at least one operation".to_string(),
        ));
    }
    // The official draws need `max_edge - 1 > 0` (a division) and room for the fewest edges of
    // the largest structure it may draw: 3 layer gaps × 4 items.
    if settings.max_edge < MIN_MAX_EDGE {
        return Err((
            "max_edge",
            format!(
                "max_edge = {}: must be at least {MIN_MAX_EDGE} (a 4-layer structure 4 items wide needs 12 edges)",
                settings.max_edge
            ),
        ));
    }
    Ok(())
}

/// The smallest `max_edge` every drawn structure fits in.
pub const MIN_MAX_EDGE: usize = 12;

//! The settings of an `igsm` dataset (checked and built in [`super::dataset`]).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// iGSM problems as the official generator makes them (`IdGen(max_op, max_edge, perm_level,
/// detail_level)`, then `gen_prob(bins, format)`): document `i` is the first problem after the
/// official `fix_seed(s_i)`, with `s_i` drawn from the suite seed, the dataset name and `i`, so
/// every document can be made alone and reproduced with the official code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmSpec {
    /// Documents (each one problem, its solution and its answer).
    pub docs: u64,
    /// Most operations in a solution: iGSM-med 15, iGSM-hard 21.
    pub max_op: usize,
    /// Most instance parameters in a problem: iGSM-med 20, iGSM-hard 28 (at least 12).
    pub max_edge: usize,
    /// 0–4: sentences shuffled at most that far; 5: any order (the papers'); 6: none.
    #[serde(default = "five")]
    pub perm_level: u8,
    /// How much of each solution step is written: 0 (the papers': every part), 2, 6 or 8 (the
    /// levels the checker reads).
    #[serde(default)]
    pub detail_level: u8,
    /// Where the question goes: `pq` (after the problem) or `qp` (before it).
    #[serde(default)]
    pub format: IgsmFormat,
    /// Which solution templates: `train` (template hash mod 23 in 0..=15, the official code's
    /// bins; the paper's text says < 17) or `test` (16..=22).
    #[serde(default)]
    pub split: IgsmSplit,
    /// The hierarchies problems draw from, by their top category (`District`, `Zoo`, `School`,
    /// `Ecosystems`); all four when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorisations: Option<Vec<String>>,
    /// Keep only the first this many item lists of every category (fewer names); all five when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists: Option<usize>,
    /// Keep only the first this many names of every item list (a smaller vocabulary; at least
    /// 4, the widest layer); the official lists when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
    /// Part 2.2's retry data: wrong steps withdrawn with `[BACK]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
}

fn five() -> u8 {
    5
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IgsmFormat {
    #[default]
    Pq,
    Qp,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IgsmSplit {
    #[default]
    Train,
    Test,
}

impl IgsmSplit {
    /// The template-hash bins of the split (the official `train_bin`, `test_bin`).
    pub fn bins(self) -> std::ops::RangeInclusive<u32> {
        match self {
            IgsmSplit::Train => 0..=15,
            IgsmSplit::Test => 16..=22,
        }
    }
}

/// Part 2.2's retry data (arXiv:2408.16293 §4–5): before each solution sentence, with
/// probability `rate` (again and again), a wrong parameter is written and withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// `retry`: a parameter that cannot be computed yet; `retry-weak`: a later parameter of the
    /// correct solution (the official `id_retry_weak_gen.py`).
    pub kind: RetryKind,
    /// The retry rate (the paper sweeps 0.01 to 0.5).
    pub rate: f64,
    /// Leave the mistakes out of the loss (the paper's label masking).
    #[serde(default)]
    pub masked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RetryKind {
    Retry,
    RetryWeak,
}

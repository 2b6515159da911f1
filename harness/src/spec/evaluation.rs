//! How a scale measures its trained models: one optional section per kind of measurement, read
//! by the part that measures it (`[scales.<scale>.evaluation.grammar]` for Part 1).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// Models trained on a grammar (Part 1); defaults apply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grammar: Option<GrammarEval>,
    /// Models trained on iGSM (Parts 2.1 and 2.2); defaults apply when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub igsm: Option<IgsmEval>,
}

/// How iGSM models are measured (Part 2.1, arXiv:2407.20311, §3): full solutions, greedily
/// decoded, on problems whose solution templates were never trained on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmEval {
    /// Test problems per operation count (the paper uses 4096).
    #[serde(default = "one_hundred")]
    pub problems: usize,
    /// The solution templates of the evaluation problems: `test` (never trained on, the
    /// paper's) or `train` (fresh problems of the trained templates: in distribution).
    #[serde(default)]
    pub split: crate::spec::IgsmSplit,
    /// The operation counts evaluated; 1 to the dataset's `max_op` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ops: Option<Vec<usize>>,
    /// Checks of the generator itself, the same for every run (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<IgsmDataEval>,
}

impl Default for IgsmEval {
    fn default() -> Self {
        Self {
            problems: one_hundred(),
            split: Default::default(),
            ops: None,
            data: None,
        }
    }
}

/// The generator checks (Part 2.1 §2 and Prop. 2.2), on the official generator's own stream
/// `fix_seed(seed)` with the given settings (iGSM-med: 15 and 20).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmDataEval {
    pub max_op: usize,
    pub max_edge: usize,
    pub seed: u32,
    /// Problems whose solutions the checker reads and whose operation counts are tallied.
    pub problems: usize,
    /// Problems with exactly `max_op` operations whose templates are counted (birthday paradox).
    pub template_problems: usize,
}

/// How grammar models are measured (Part 1, arXiv:2305.13673, §2.3 and App. A).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GrammarEval {
    /// Sentences generated from `<bos>` (Part 1 uses at least 500).
    #[serde(default = "five_hundred")]
    pub samples: usize,
    /// Prompt length c of the cut-c accuracy (Part 1's cut50).
    #[serde(default = "fifty")]
    pub cut: usize,
    /// Held-out sentences continued for the cut-c accuracy.
    #[serde(default = "five_hundred")]
    pub cut_samples: usize,
    /// Held-out sentences whose positions the KL averages over.
    #[serde(default = "one_hundred")]
    pub kl_sentences: usize,
    #[serde(default = "one")]
    pub temperature: f64,
    /// Held-out sentences for the parse-tree probes (half fit them, half score them); 0 skips
    /// the probes (Part 1, §4–5).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub probe_sentences: usize,
}

fn is_zero(value: &usize) -> bool {
    *value == 0
}

fn five_hundred() -> usize {
    500
}
fn fifty() -> usize {
    50
}
fn one_hundred() -> usize {
    100
}
fn one() -> f64 {
    1.0
}

impl Default for GrammarEval {
    fn default() -> Self {
        Self {
            samples: five_hundred(),
            cut: fifty(),
            cut_samples: five_hundred(),
            kl_sentences: one_hundred(),
            temperature: one(),
            probe_sentences: 0,
        }
    }
}

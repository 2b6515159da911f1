//! Part 1, "Learning Hierarchical Language Structures" (Allen-Zhu & Li, arXiv:2305.13673): GPTs
//! trained on sentences of a context-free grammar. Measures generation accuracy, cut-c accuracy,
//! KL to the grammar's exact next-token distribution and entropy ([`grammar`]), the learning
//! curve ([`curve`]) and linear probes of the parse tree ([`probe`]); estimators in [`claims`],
//! figures in [`figures`].

mod claims;
mod curve;
mod figures;
mod grammar;
mod probe;

use anyhow::Result;

use super::{Estimate, Measured, Measuring, Part};
use crate::data::cfg::CfgSpec;
use crate::data::cfg::corpus::CfgCorpus;
use crate::data::{DocSource, Generator};
use crate::figure::Figure;
use crate::run::Manifest;
use curve::LearningCurve;
use grammar::{GrammarEval, GrammarMetrics};
use probe::ProbeMetrics;

pub struct Part1;

/// `[scales.<scale>.evaluation]` of a Part 1 suite.
#[derive(Clone, Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    /// How the grammar models are measured; defaults apply when absent.
    #[serde(default)]
    pub grammar: GrammarEval,
}

/// What a Part 1 run measured.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Measurements {
    pub grammar: GrammarMetrics,
    /// The parse-tree probes, when the scale asks for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeMetrics>,
    /// Excess training loss against tokens seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<LearningCurve>,
}

/// KL levels the learning-curve figure marks: the cpu claim's bound, and about where half of
/// cfg3b's ~276-token sentences come out whole (e^(−276 · 0.0025) ≈ 0.5).
const KL_MARKS: [f64; 2] = [0.02, 0.0025];

/// A manifest's learning curve.
fn curve_of(manifest: &Manifest) -> Option<LearningCurve> {
    Part1::metrics(manifest).and_then(|m| m.curve)
}

/// Probe sentences are held-out sentences from index `sentences + PROBE_OFFSET` on, clear of
/// the generation prompts and KL sentences (which start at `sentences`).
const PROBE_OFFSET: u64 = 1 << 20;

/// A manifest's probe metrics.
fn probed(manifest: &Manifest) -> Option<ProbeMetrics> {
    Part1::metrics(manifest).and_then(|m| m.probe)
}

/// A manifest's grammar metrics.
fn measured(manifest: &Manifest) -> Option<GrammarMetrics> {
    Part1::metrics(manifest).map(|m| m.grammar)
}

impl Part for Part1 {
    type Metrics = Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = Evaluation;

    const NAME: &'static str = "part1";

    /// 2: the fused CPU kernels (plm-kernels) round differently from burn's operations.
    /// 3: the measurements gained the valid-prefix length.
    /// 4: training threads flush subnormal floats to zero (the absolute-position model's peaky
    ///    attention produced them), which changes those runs' bits.
    const CODE_EPOCH: u32 = 4;
    const GENERATORS: &'static [&'static str] = &[CfgSpec::NAME];

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        let spec: CfgSpec = input.settings()?;
        let (run, trained, context) = (input.run, input.trained, input.context());
        let corpus = CfgCorpus::new(&spec, input.seed());
        let settings = &input.evaluation.grammar;
        let (grammar, verifier_ms) = grammar::measure(
            &trained.model,
            &corpus,
            settings,
            context,
            input.seed(),
            input.progress,
        );
        let probe = (settings.probe_sentences > 0).then(|| {
            // The control: the same shape, freshly initialised, never trained.
            let control = crate::train::initialised(
                &run.spec.model,
                corpus.vocab().len(),
                context,
                run.spec.training_seed() ^ PROBE_OFFSET,
                &trained.model.device(),
            );
            let first = spec.sentences + PROBE_OFFSET;
            let sentences = settings.probe_sentences;
            probe::measure(&trained.model, &control, &corpus, first, sentences, context)
        });
        let recipe = &run.spec.recipe;
        let floor =
            grammar.grammar_entropy_bits * std::f64::consts::LN_2 / (grammar.expected_length + 1.0);
        let tokens_per_step = (recipe.batch * recipe.context) as f64;
        let curve = LearningCurve::new(&trained.report.losses, tokens_per_step, floor);
        let measurements = Measurements {
            grammar,
            probe,
            curve: Some(curve),
        };
        Ok(Measured {
            metrics: measurements,
            timings: [("verifier_ms".to_owned(), verifier_ms)].into(),
        })
    }

    fn brief(&self, manifest: &Manifest, m: &Self::Metrics) -> String {
        let g = &m.grammar;
        format!(
            "P {} accuracy {:.3} cut{} {:.3} valid prefix {} KL {:.4}",
            manifest.parameters, g.accuracy, g.cut, g.cut_accuracy, g.median_valid_prefix, g.kl
        )
    }

    const COLUMNS: &'static [&'static str] = &[
        "accuracy",
        "cut accuracy",
        "median valid prefix (tokens)",
        "KL (nats/token)",
        "entropy gen / grammar (bits)",
        "mean length",
        "unfinished",
        "probe: ancestor accuracy by level, trained / control",
        "tokens to KL 0.02 / 0.0025 (trend)",
    ];

    fn cells(&self, _manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        let g = &m.grammar;
        let number = |v: f64, digits: usize| format!("{v:.digits$}");
        vec![
            format!("{} ({} samples)", number(g.accuracy, 3), g.samples),
            format!("{} (cut{})", number(g.cut_accuracy, 3), g.cut),
            number(g.median_valid_prefix, 1),
            number(g.kl, 4),
            format!(
                "{} / {}",
                number(g.generated_entropy_bits, 1),
                number(g.grammar_entropy_bits, 1)
            ),
            format!(
                "{} (exact {})",
                number(g.mean_generated_length, 1),
                number(g.expected_length, 1)
            ),
            g.unfinished.to_string(),
            m.probe.as_ref().map_or("—".into(), |p| {
                let levels: Vec<String> = p
                    .ancestor
                    .iter()
                    .zip(&p.ancestor_control)
                    .map(|(a, c)| format!("{a:.2}/{c:.2}"))
                    .collect();
                levels.join(" · ")
            }),
            m.curve.as_ref().map_or("—".into(), |c| {
                let reach = |kl: f64| {
                    c.tokens_to_reach(kl)
                        .map_or("—".into(), |t| format!("{t:.2e}"))
                };
                format!("{} / {}", reach(KL_MARKS[0]), reach(KL_MARKS[1]))
            }),
        ]
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        figures::all(manifests)
    }

    const METHOD: &'static str = "Part 1 (arXiv:2305.13673), §2.3. Accuracy: share of sentences sampled from <bos> at the \
         suite's temperature that the grammar accepts (whole sentence). Cut accuracy: the same, \
         continuing the first c tokens of held-out sentences. KL(p* ‖ q): exact next-token \
         distribution over {EOS, terminals} against the model's, both smoothed with ε = 1e-5, \
         averaged over every position of held-out sentences. Entropy: mean −log₂ q over the \
         model's own samples against the grammar's exact sentence entropy. Valid prefix: the longest \
         prefix of a generation from <bos> that some sentence of the grammar starts with (median \
         over generations).";

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

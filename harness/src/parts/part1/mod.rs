//! Part 1, "Learning Hierarchical Language Structures" (Allen-Zhu & Li, arXiv:2305.13673): GPTs
//! trained on sentences of a context-free grammar. Measures generation accuracy, cut-c accuracy,
//! KL to the grammar's exact next-token distribution and entropy ([`grammar`]); estimators in
//! [`claims`].

mod claims;
mod grammar;

use anyhow::{Result, bail};
use indicatif::ProgressBar;

use super::{Estimate, Measured, Part};
use crate::data::cfg::corpus::CfgCorpus;
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{Claim, DatasetSpec, Invalid, Position, Suite};
use crate::train::Trained;
use grammar::GrammarMetrics;

pub struct Part1;

/// What a Part 1 run measured.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Measurements {
    pub grammar: GrammarMetrics,
}

/// A manifest's grammar metrics.
fn measured(manifest: &Manifest) -> Option<GrammarMetrics> {
    super::measurements::<Measurements>(manifest).map(|m| m.grammar)
}

impl Part for Part1 {
    fn name(&self) -> &'static str {
        "part1"
    }

    /// 2: the fused CPU kernels (plm-kernels) round differently from burn's operations.
    /// 3: the measurements gained the valid-prefix length.
    fn code_epoch(&self) -> u32 {
        3
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        super::check_claims::<claims::Estimator>(suite)?;
        super::check_trained_datasets(suite, |d| match d {
            DatasetSpec::Cfg(_) => Ok(()),
            other => Err(format!(
                "dataset `{}`: Part 1 measures models trained on grammars (cfg) only",
                other.name()
            )),
        })
    }

    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured> {
        let DatasetSpec::Cfg(spec) = &run.spec.dataset else {
            bail!("dataset `{}` is not a grammar", run.spec.dataset.name());
        };
        let corpus = CfgCorpus::new(spec, run.spec.seed);
        let (grammar, verifier_ms) = grammar::measure(
            &trained.model,
            &corpus,
            &run.evaluation.grammar.clone().unwrap_or_default(),
            run.spec.recipe.context,
            run.spec.seed,
            progress,
        );
        Ok(Measured {
            measurements: serde_json::to_value(Measurements { grammar })?,
            timings: [("verifier_ms".to_owned(), verifier_ms)].into(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        match measured(manifest) {
            Some(g) => format!(
                "P {} accuracy {:.3} cut{} {:.3} valid prefix {} KL {:.4}",
                manifest.parameters,
                g.accuracy,
                g.cut,
                g.cut_accuracy,
                g.median_valid_prefix,
                g.kl
            ),
            None => "no grammar measurements".into(),
        }
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "accuracy",
            "cut accuracy",
            "median valid prefix (tokens)",
            "KL (nats/token)",
            "entropy gen / grammar (bits)",
            "mean length",
            "unfinished",
        ]
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        let Some(g) = measured(manifest) else {
            return vec!["—".into(); self.columns().len()];
        };
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
        ]
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        let series = |position: Position, name: &str| {
            let points = manifests
                .iter()
                .filter(|m| m.spec.model.position == position)
                .filter_map(|m| measured(m).map(|g| (m.parameters as f64, g.kl)))
                .collect();
            (name.to_owned(), points)
        };
        vec![Figure {
            name: "kl-vs-parameters".into(),
            title: "KL(p* ‖ q) per token vs parameters (lower is better)".into(),
            x_label: "parameters P".into(),
            y_label: "KL (nats per token)".into(),
            points: vec![
                series(Position::Rotary, "rotary"),
                series(Position::Absolute, "absolute"),
                series(Position::Uniform, "uniform attention"),
            ],
            lines: Vec::new(),
        }]
    }

    fn method(&self) -> &'static str {
        "Part 1 (arXiv:2305.13673), §2.3. Accuracy: share of sentences sampled from <bos> at the \
         suite's temperature that the grammar accepts (whole sentence). Cut accuracy: the same, \
         continuing the first c tokens of held-out sentences. KL(p* ‖ q): exact next-token \
         distribution over {EOS, terminals} against the model's, both smoothed with ε = 1e-5, \
         averaged over every position of held-out sentences. Entropy: mean −log₂ q over the \
         model's own samples against the grammar's exact sentence entropy. Valid prefix: the longest \
         prefix of a generation from <bos> that some sentence of the grammar starts with (median \
         over generations)."
    }

    fn estimators_schema(&self) -> schemars::Schema {
        schemars::schema_for!(claims::Estimator)
    }

    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate {
        match super::estimator::<claims::Estimator>(claim) {
            Ok(estimator) => claims::estimate(&estimator, runs),
            Err(e) => Estimate::none(format!("unusable claim: {e}")),
        }
    }
}

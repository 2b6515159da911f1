//! Part 2.2, "How to Learn From Mistakes on Grade-School Math Problems" (Ye, Xu, Li &
//! Allen-Zhu, arXiv:2408.16293). The same iGSM problems as Part 2.1, with retry data in
//! training: before solution sentences, wrong parameters written and withdrawn with `[BACK]`
//! (`data::igsm::retry`). Compared with error-free data on the same number of training tokens,
//! by full-solution accuracy, measured as Part 2.1 measures it.

mod claims;

use anyhow::Result;

use super::part2_1::{Part21, solutions};
use super::{Estimate, Excerpt, Measured, Measuring, Part};
use crate::figure::Figure;
use crate::run::Manifest;
use crate::spec::Invalid;

pub struct Part22;

/// Part 2.1's measurement, tables and figures; Part 2.2's own estimators and method.
impl Part for Part22 {
    type Metrics = solutions::Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = solutions::Evaluation;

    const NAME: &'static str = "part2.2";
    const CODE_EPOCH: u32 = 1;
    const GENERATORS: &'static [&'static str] = Part21::GENERATORS;
    const COLUMNS: &'static [&'static str] = Part21::COLUMNS;
    const METHOD: &'static str = "Part 2.2 (arXiv:2408.16293), §4–5. Training data: iGSM problems (plm's port of the \
     official generator) whose solutions carry, before each sentence and with probability \
     `rate` again and again, a wrong parameter withdrawn at once (`Define X as [BACK]`): for \
     `retry`, one that cannot be computed yet; for `retry-weak`, a later step of the correct \
     solution (the official id_retry_gen.py and id_retry_weak_gen.py). Masked variants leave \
     the mistakes out of the loss. Runs with and without retries train on the same number \
     of tokens. Each model greedily writes solutions to fresh problems of the evaluation \
     split (test templates, never trained on; a scale with `split = \"train\"` evaluates \
     in distribution); the checker reads every step and skips withdrawn ones, counting them \
     as retries. The training data's \
     solutions are checked too (training check).";

    fn check_evaluation(&self, evaluation: &Self::Evaluation) -> Result<(), Invalid> {
        Part21.check_evaluation(evaluation)
    }

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        Part::measure(&Part21, input)
    }

    fn brief(&self, manifest: &Manifest, m: &Self::Metrics) -> String {
        Part::brief(&Part21, manifest, m)
    }

    fn cells(&self, manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        Part::cells(&Part21, manifest, m)
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        Part::figures(&Part21, manifests)
    }

    fn excerpts(&self, manifests: &[Manifest]) -> Vec<Excerpt> {
        Part::excerpts(&Part21, manifests)
    }

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

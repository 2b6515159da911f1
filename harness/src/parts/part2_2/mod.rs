//! Part 2.2, "How to Learn From Mistakes on Grade-School Math Problems" (Ye, Xu, Li &
//! Allen-Zhu, arXiv:2408.16293). The same iGSM problems as Part 2.1, with retry data in
//! training: before solution sentences, wrong parameters written and withdrawn with `[BACK]`
//! (`data::igsm::retry`). Compared with error-free data on the same number of training tokens,
//! by full-solution accuracy on test templates ([`super::igsm_solutions`]).

mod claims;

use anyhow::Result;
use indicatif::ProgressBar;

use super::igsm_solutions;
use super::{Estimate, Excerpt, Measured, Part};
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{Claim, Invalid, Suite};
use crate::train::Trained;

pub struct Part22;

impl Part for Part22 {
    fn name(&self) -> &'static str {
        "part2.2"
    }

    fn code_epoch(&self) -> u32 {
        1
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        super::check_claims::<claims::Estimator>(suite)?;
        igsm_solutions::check_suite(suite)
    }

    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured> {
        Ok(Measured {
            measurements: igsm_solutions::measure(run, trained, progress)?,
            timings: Default::default(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        igsm_solutions::brief(manifest)
    }

    fn columns(&self) -> &'static [&'static str] {
        igsm_solutions::COLUMNS
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        igsm_solutions::cells(manifest)
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        igsm_solutions::figures(manifests)
    }

    fn excerpts(&self, manifests: &[Manifest]) -> Vec<Excerpt> {
        igsm_solutions::excerpts(manifests)
    }

    fn method(&self) -> &'static str {
        "Part 2.2 (arXiv:2408.16293), §4–5. Training data: iGSM problems (plm's port of the \
         official generator) whose solutions carry, before each sentence and with probability \
         `rate` again and again, a wrong parameter withdrawn at once (`Define X as [BACK]`): for \
         `retry`, one that cannot be computed yet; for `retry-weak`, a later step of the correct \
         solution (the official id_retry_gen.py and id_retry_weak_gen.py). Masked variants leave \
         the mistakes out of the loss. Runs with and without retries train on the same number \
         of tokens. Each model greedily writes solutions to test templates; the checker reads \
         every step and skips withdrawn ones, counting them as retries. The training data's \
         solutions are checked too (training check)."
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

//! Part 2.1, "Grade-School Math and the Hidden Reasoning Process" (Ye, Xu, Li & Allen-Zhu,
//! arXiv:2407.20311). Models are trained on iGSM problems and their solutions (`data::igsm`,
//! the official generator draw for draw) and must write a correct full solution to problems
//! whose solution templates they never saw ([`solutions`], which Part 2.2 shares). The generator itself is
//! checked too: the checker accepts its solutions, its operation counts follow its definition,
//! and its number of solution templates is estimated as in the paper's Prop. 2.2.

mod claims;

pub mod solutions;

use anyhow::Result;

use super::{Estimate, Excerpt, Measured, Measuring, Part};
use crate::data::Generator;
use crate::data::igsm::IgsmSpec;
use crate::figure::Figure;
use crate::run::Manifest;
use crate::spec::Invalid;

pub struct Part21;

/// Part 2.2 measures, shows and checks as this part does (`super::part2_2` delegates here).
impl Part for Part21 {
    type Metrics = solutions::Measurements;
    type Estimator = claims::Estimator;
    type Evaluation = solutions::Evaluation;

    const NAME: &'static str = "part2.1";
    const CODE_EPOCH: u32 = 1;
    const GENERATORS: &'static [&'static str] = &[IgsmSpec::NAME];
    const COLUMNS: &'static [&'static str] = solutions::COLUMNS;
    const METHOD: &'static str = "Part 2.1 (arXiv:2407.20311), §2–3 and App. D. Problems come from plm's port of the \
     official iGSM generator (github.com/facebookresearch/iGSM, first commit a1ed1d0), which \
     reproduces its problems, solutions and answers exactly for the same seed. Training \
     problems have solution templates hashing (mod 23) into bins 0–15, test problems into \
     16–22 (the official code's split; the paper writes < 17). Each model greedily writes \
     a solution to fresh problems of every operation count from the evaluation split (test \
     templates; a scale with `split = \"train\"` evaluates in distribution); the checker reads every \
     step (each parameter from exactly its true inputs, every letter defined before use, \
     every operation mod 23 right, the question's parameter defined, the answer right), \
     accepting any valid order. Redundancy: unnecessary parameters computed per correct \
     solution. Generator checks: the checker on the official stream's solutions; their \
     operation counts (their ';') against P(op = k) = (2(max_op − k) + 1)/max_op²; distinct \
     solution templates at op = max_op by the birthday paradox (pairs of equal templates \
     among M problems: M(M − 1)/(2 · pairs)), as Prop. 2.2.";

    fn check_evaluation(&self, evaluation: &Self::Evaluation) -> Result<(), Invalid> {
        solutions::check_evaluation(evaluation)
    }

    fn measure(&self, input: Measuring<Self::Evaluation>) -> Result<Measured<Self::Metrics>> {
        solutions::measure(input)
    }

    fn brief(&self, manifest: &Manifest, m: &Self::Metrics) -> String {
        solutions::brief(manifest, m)
    }

    fn cells(&self, _manifest: &Manifest, m: &Self::Metrics) -> Vec<String> {
        solutions::cells(m)
    }

    fn figures(&self, manifests: &[Manifest]) -> Vec<Figure> {
        solutions::figures(manifests)
    }

    fn excerpts(&self, manifests: &[Manifest]) -> Vec<Excerpt> {
        solutions::excerpts(manifests)
    }

    fn estimate(&self, estimator: &claims::Estimator, runs: &[&Manifest]) -> Estimate {
        claims::estimate(estimator, runs)
    }
}

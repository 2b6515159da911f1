//! What one run is: the planned [`Run`] — a resolved run spec with its id — and the [`Manifest`]
//! a finished run leaves. Plain records, shared by the parts (which measure runs) and the driver
//! (which plans, executes and collects them).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::spec::{Evaluation, Scale, StreamHashes, Suite, TrainSpec};
use crate::train::Timing;
use crate::util::hex;

/// One planned run: a dataset × model × recipe of a scale, resolved.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub suite: String,
    pub scale: Scale,
    pub model_name: String,
    pub recipe_name: String,
    pub spec: TrainSpec,
    /// How the part measures the trained model.
    pub evaluation: Evaluation,
    /// The dataset's pinned hashes (the stream is checked against them before training).
    pub data_sha256: Option<StreamHashes>,
}

impl Run {
    /// `dataset/model/recipe[#replica]`, how runs are named in logs and reports.
    pub fn label(&self) -> String {
        label(&self.spec, &self.model_name, &self.recipe_name)
    }
}

/// `dataset/model/recipe`, with `#r` for replica r > 0.
fn label(spec: &TrainSpec, model_name: &str, recipe_name: &str) -> String {
    let replica = match spec.replica {
        0 => String::new(),
        r => format!("#{r}"),
    };
    format!(
        "{}/{model_name}/{recipe_name}{replica}",
        spec.dataset.name()
    )
}

/// What names a run: everything that can change its results and nothing else. The git revision
/// is not in it (a README edit must not invalidate an hour of training); the part's code epoch
/// is, and is bumped by hand when a code change would change results.
#[derive(Serialize)]
struct Identity<'a> {
    part: &'a str,
    code_epoch: u32,
    spec: &'a TrainSpec,
    evaluation: &'a Evaluation,
    data_sha256: &'a Option<StreamHashes>,
}

/// Expands a scale's sweeps into runs, in the suite's order.
pub fn plan(suite: &Suite, scale: Scale, code_epoch: u32) -> Vec<Run> {
    let scale_spec = suite.scales.get(scale);
    let mut runs = Vec::new();
    for sweep in &scale_spec.sweeps {
        let dataset = scale_spec
            .datasets
            .iter()
            .find(|d| d.name() == sweep.dataset)
            .expect("validated sweep");
        for model_name in &sweep.models {
            for recipe_name in &sweep.recipes {
                for replica in 0..sweep.replicas {
                    let spec = TrainSpec {
                        seed: suite.seed,
                        replica,
                        dataset: dataset.clone(),
                        model: scale_spec.models[model_name].clone(),
                        recipe: scale_spec.recipes[recipe_name].clone(),
                    };
                    runs.push(planned(
                        suite,
                        scale,
                        model_name,
                        recipe_name,
                        spec,
                        code_epoch,
                    ));
                }
            }
        }
    }
    runs
}

/// One run of a sweep, named by the hash of its [`Identity`].
fn planned(
    suite: &Suite,
    scale: Scale,
    model_name: &str,
    recipe_name: &str,
    spec: TrainSpec,
    code_epoch: u32,
) -> Run {
    let scale_spec = suite.scales.get(scale);
    let data_sha256 = spec.dataset.sha256().cloned();
    let identity = Identity {
        part: &suite.name,
        code_epoch,
        spec: &spec,
        evaluation: &scale_spec.evaluation,
        data_sha256: &data_sha256,
    };
    let json = serde_json::to_vec(&identity).expect("identity serialises");
    Run {
        id: hex(&Sha256::digest(json))[..16].to_owned(),
        suite: suite.name.clone(),
        scale,
        model_name: model_name.to_owned(),
        recipe_name: recipe_name.to_owned(),
        spec,
        evaluation: scale_spec.evaluation.clone(),
        data_sha256,
    }
}

/// The code revision (`git rev-parse HEAD`, `-dirty` with uncommitted changes), else "unknown".
/// Recorded in every manifest; not part of run ids.
pub fn code_revision() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    match git(&["rev-parse", "HEAD"]) {
        Some(head) => {
            let rev = String::from_utf8_lossy(&head.stdout).trim().to_owned();
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.stdout.is_empty());
            if dirty { format!("{rev}-dirty") } else { rev }
        }
        None => "unknown".into(),
    }
}

/// Everything a finished run reports, `manifest.json`: the same bytes when the run is repeated
/// at one thread on the same code (wall-clock numbers are in `timing.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub suite: String,
    pub suite_version: u32,
    pub scale: Scale,
    pub model_name: String,
    pub recipe_name: String,
    pub exposures: u32,
    pub spec: TrainSpec,
    #[serde(default, skip_serializing_if = "is_default")]
    pub evaluation: Evaluation,
    /// The dataset's pinned SHA-256 (the stream is checked against it before training).
    pub data_sha256: Option<StreamHashes>,
    /// The part's code epoch when the run was made (part of the run id).
    pub code_epoch: u32,
    pub code_revision: String,
    pub device: String,
    pub threads: usize,
    pub steps: u64,
    pub final_loss: f32,
    pub weights_sha256: String,
    /// Trainable parameters, counting only embedding rows of tokens that occur in the data.
    pub parameters: u64,
    /// What the part measured; its own type, read back by the part.
    pub measurements: serde_json::Value,
}

fn is_default(evaluation: &Evaluation) -> bool {
    *evaluation == Evaluation::default()
}

impl Manifest {
    pub fn label(&self) -> String {
        label(&self.spec, &self.model_name, &self.recipe_name)
    }
}

/// A finished run as the report sees it.
#[derive(Clone, Debug)]
pub struct Finished {
    pub manifest: Manifest,
    pub timing: Timing,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suite() -> Suite {
        toml::from_str(include_str!("../../../suites/part3.3/v2.toml")).unwrap()
    }

    fn ids(suite: &Suite, epoch: u32) -> Vec<String> {
        plan(suite, Scale::Smoke, epoch)
            .into_iter()
            .map(|r| r.id)
            .collect()
    }

    /// Ids depend on what a run computes and on the code epoch, never on the git revision or
    /// on text beside the spec (a README edit, a suite's description).
    #[test]
    fn run_ids_follow_the_spec_and_the_code_epoch_only() {
        let mut suite = suite();
        let before = ids(&suite, 1);
        assert_eq!(before.len(), 5);
        assert_eq!(before, ids(&suite, 1), "stable");
        suite.description = "edited".into();
        suite.scales.smoke.description = "edited".into();
        suite.version += 1;
        assert_eq!(
            before,
            ids(&suite, 1),
            "descriptions and version do not name runs"
        );
        let bumped = ids(&suite, 2);
        assert!(before.iter().zip(&bumped).all(|(a, b)| a != b), "epoch");
        suite.seed += 1;
        assert!(
            before.iter().zip(ids(&suite, 1)).all(|(a, b)| *a != b),
            "seed"
        );
    }
}

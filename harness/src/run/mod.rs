//! What one run is: the planned [`Run`] — a resolved run spec with its id — and the [`Manifest`]
//! a finished run leaves. Plain records, shared by the parts (which measure runs) and the driver
//! (which plans, executes and collects them).

mod machine;

pub use machine::cpu_model;

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
    /// Finetuning: the id of the planned run whose weights this run starts from.
    pub parent: Option<String>,
}

impl Run {
    /// `dataset/model/recipe[#replica]`, how runs are named in logs and reports.
    pub fn label(&self) -> String {
        label(&self.spec, &self.model_name, &self.recipe_name)
    }
}

/// `dataset/model/recipe`, with `#r` for replica r > 0; a finetuning's dataset and recipe are
/// `pretraining+finetuning`.
fn label(spec: &TrainSpec, model_name: &str, recipe_name: &str) -> String {
    let replica = match spec.replica {
        0 => String::new(),
        r => format!("#{r}"),
    };
    let dataset = match &spec.from {
        None => spec.dataset.name().to_owned(),
        Some(from) => format!("{}+{}", from.dataset.name(), spec.dataset.name()),
    };
    format!("{dataset}/{model_name}/{recipe_name}{replica}")
}

/// The shared engine's epoch: bumped by hand in the same commit as any change to code every
/// part runs that would change results — the model (`model/`), the fused kernels (`kernels/`),
/// the trainer and packing (`train/`), the shared generators' helpers (`data/rng.rs`,
/// `data/vocab.rs`). Part of every run id beside the part's own code epoch
/// (`Part::CODE_EPOCH`), so such a change retrains every part's cached runs
/// without each part having to remember to bump its own.
///
/// 1: the epoch is introduced (with the generator plug-ins, which changed how a dataset
///    serialises into the id); results are those of the part epochs before it.
pub const ENGINE_EPOCH: u32 = 1;

/// What names a run: everything that can change its results and nothing else. The git revision
/// is not in it (a README edit must not invalidate an hour of training); the part's code epoch
/// is, and is bumped by hand when a code change would change results.
#[derive(Serialize)]
struct Identity<'a> {
    part: &'a str,
    engine_epoch: u32,
    code_epoch: u32,
    spec: &'a TrainSpec,
    evaluation: &'a Evaluation,
    data_sha256: &'a Option<StreamHashes>,
}

/// Expands a scale's sweeps into runs, in the suite's order. A finetuning sweep's runs name
/// their pretrained run (planned by another sweep: the suite check makes sure of it); their
/// recipe label is `pretraining+finetuning`.
pub fn plan(suite: &Suite, scale: Scale, code_epoch: u32) -> Vec<Run> {
    let scale_spec = suite.scales.get(scale);
    let from_scratch = |dataset: &str, model_name: &str, recipe_name: &str, replica| TrainSpec {
        seed: suite.seed,
        replica,
        dataset: scale_spec
            .datasets
            .iter()
            .find(|d| d.name() == dataset)
            .expect("validated sweep")
            .clone(),
        model: scale_spec.models[model_name].clone(),
        recipe: scale_spec.recipes[recipe_name].clone(),
        from: None,
    };
    let mut runs = Vec::new();
    for sweep in &scale_spec.sweeps {
        // What each run starts from: a random initialisation, or each pretraining recipe.
        let starts: Vec<Option<&String>> = match &sweep.from {
            None => vec![None],
            Some(from) => from.recipes.iter().map(Some).collect(),
        };
        for model_name in &sweep.models {
            for start in &starts {
                for recipe_name in &sweep.recipes {
                    for replica in 0..sweep.replicas {
                        let mut spec =
                            from_scratch(&sweep.dataset, model_name, recipe_name, replica);
                        let (mut label, mut parent) = (recipe_name.clone(), None);
                        if let (Some(from), Some(pretraining)) = (&sweep.from, start) {
                            let pretrained =
                                from_scratch(&from.dataset, model_name, pretraining, replica);
                            let id = identity(suite, scale, &pretrained, code_epoch);
                            spec.from = Some(Box::new(pretrained));
                            label = format!("{pretraining}+{recipe_name}");
                            parent = Some(id);
                        }
                        let id = identity(suite, scale, &spec, code_epoch);
                        runs.push(Run {
                            id,
                            suite: suite.name.clone(),
                            scale,
                            model_name: model_name.clone(),
                            recipe_name: label,
                            data_sha256: spec.dataset.sha256().cloned(),
                            evaluation: scale_spec.evaluation.clone(),
                            parent,
                            spec,
                        });
                    }
                }
            }
        }
    }
    runs
}

/// A run's id: the hash of its [`Identity`].
fn identity(suite: &Suite, scale: Scale, spec: &TrainSpec, code_epoch: u32) -> String {
    let data_sha256 = spec.dataset.sha256().cloned();
    let identity = Identity {
        part: &suite.name,
        engine_epoch: ENGINE_EPOCH,
        code_epoch,
        spec,
        evaluation: &suite.scales.get(scale).evaluation,
        data_sha256: &data_sha256,
    };
    let json = serde_json::to_vec(&identity).expect("identity serialises");
    hex(&Sha256::digest(json))[..16].to_owned()
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
    #[serde(default, skip_serializing_if = "Evaluation::is_empty")]
    pub evaluation: Evaluation,
    /// The dataset's pinned SHA-256 (the stream is checked against it before training).
    pub data_sha256: Option<StreamHashes>,
    /// The engine's epoch when the run was made (part of the run id; 0 in manifests written
    /// before it existed).
    #[serde(default)]
    pub engine_epoch: u32,
    /// The part's code epoch when the run was made (part of the run id).
    pub code_epoch: u32,
    pub code_revision: String,
    pub device: String,
    /// The CPU (model name, vector instruction set, cache sizes: [`cpu_model`]), which decides
    /// whether a retrained run can be expected to match this one bit for bit; absent in
    /// manifests written before it was kept, the model name alone in those before 2026-12-08.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    pub threads: usize,
    pub steps: u64,
    pub final_loss: f32,
    pub weights_sha256: String,
    /// Trainable parameters, counting only embedding rows of tokens that occur in the data.
    pub parameters: u64,
    /// What the part measured; its own type, read back by the part.
    pub measurements: serde_json::Value,
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
        toml::from_str(include_str!("../../../suites/part3.3/v5.toml")).unwrap()
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

    /// A finetuning sweep plans one run per (pretraining recipe, finetuning recipe), each naming
    /// its pretrained run's id and carrying its spec; a changed pretraining renames the
    /// finetunings, and the pretrained runs keep their ids.
    #[test]
    fn finetunings_name_their_pretrained_runs() {
        let text = include_str!("../../../suites/part3.1/v1.toml");
        let suite: Suite = toml::from_str(text).unwrap();
        let runs = plan(&suite, Scale::Smoke, 1);
        let finetunings: Vec<&Run> = runs.iter().filter(|r| r.parent.is_some()).collect();
        assert!(!finetunings.is_empty(), "the smoke scale finetunes");
        for run in &finetunings {
            let parent = runs
                .iter()
                .find(|r| Some(&r.id) == run.parent.as_ref())
                .expect("the pretrained run is planned");
            assert_eq!(run.spec.from.as_deref(), Some(&parent.spec));
            assert!(parent.parent.is_none());
            let (pretraining, _) = run.recipe_name.split_once('+').unwrap();
            assert_eq!(pretraining, parent.recipe_name);
            assert!(
                run.label()
                    .starts_with(&format!("{}+", parent.spec.dataset.name()))
            );
        }
        let mut changed = suite.clone();
        let parent = &finetunings[0].spec.from.as_ref().unwrap().recipe;
        for recipe in changed.scales.smoke.recipes.values_mut() {
            if recipe == parent {
                recipe.lr *= 2.0;
            }
        }
        let again = plan(&changed, Scale::Smoke, 1);
        for (a, b) in runs.iter().zip(&again) {
            let retrained = a.spec.recipe == *parent
                || a.spec.from.as_ref().is_some_and(|f| f.recipe == *parent);
            assert_eq!(a.id != b.id, retrained, "{}", a.label());
        }
    }
}

//! The one module that knows the artifacts layout, and the locks that let several `plm`
//! processes share one artifacts folder:
//!
//! ```text
//! <artifacts>/<suite>/<scale>/
//!   suite.json              the suite as last run (provenance)
//!   plan.json               the planned runs: id, label, estimated tokens
//!   summary.json            claims, runs and provenance as data
//!   reproduce.json          wall time of the last `plm reproduce` that trained runs here
//!   report.html, figures/   the report
//!   runs/<id>/              checkpoint.bin while training; model.bpk, train.json, timing.json,
//!                           manifest.json when finished; failed.txt (the error) after an attempt
//!                           that failed, until one succeeds
//!   locks/<id>.lock         held by the process training or measuring run <id>
//!   locks/report.lock       held while the summary and report are written
//! ```
//!
//! Locks are advisory file locks (`flock`), released when the process ends however it ends, so
//! a killed run never leaves a stale lock behind.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::spec::Scale;

/// The default artifacts folder: `artifacts/` beside the suites folder (the repository's).
pub fn default_root(suites_dir: &Path) -> PathBuf {
    suites_dir.join("..").join("artifacts")
}

/// `<artifacts>/<suite>/<scale>/`.
#[derive(Clone, Debug)]
pub struct ScaleDir {
    path: PathBuf,
}

/// A planned run without a manifest: never started, stopped with a checkpoint to resume from,
/// trained but not measured, or failed (with the error of its last attempt).
#[derive(Clone, Debug, PartialEq)]
pub enum Unfinished {
    NotStarted,
    Interrupted,
    Trained,
    Failed(String),
}

impl std::fmt::Display for Unfinished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unfinished::NotStarted => write!(f, "not started"),
            Unfinished::Interrupted => {
                write!(f, "interrupted: its checkpoint resumes on the next attempt")
            }
            Unfinished::Trained => write!(f, "trained, not measured yet"),
            Unfinished::Failed(error) => write!(f, "failed: {error}"),
        }
    }
}

/// A held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

impl ScaleDir {
    pub fn new(artifacts: &Path, suite: &str, scale: Scale) -> Self {
        Self {
            path: artifacts.join(suite).join(scale.name()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn suite_json(&self) -> PathBuf {
        self.path.join("suite.json")
    }

    pub fn plan_json(&self) -> PathBuf {
        self.path.join("plan.json")
    }

    pub fn summary(&self) -> PathBuf {
        self.path.join("summary.json")
    }

    pub fn reproduce_json(&self) -> PathBuf {
        self.path.join("reproduce.json")
    }

    pub fn report(&self) -> PathBuf {
        self.path.join("report.html")
    }

    pub fn figures(&self) -> PathBuf {
        self.path.join("figures")
    }

    pub fn run_dir(&self, id: &str) -> PathBuf {
        self.path.join("runs").join(id)
    }

    pub fn manifest(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("manifest.json")
    }

    pub fn failure(&self, id: &str) -> PathBuf {
        self.run_dir(id).join("failed.txt")
    }

    /// Where a run without a manifest stands, for the report's list of missing runs.
    pub fn unfinished_state(&self, id: &str) -> Unfinished {
        if let Ok(error) = std::fs::read_to_string(self.failure(id)) {
            return Unfinished::Failed(error.trim_end().to_owned());
        }
        let run_dir = self.run_dir(id);
        if run_dir.join("checkpoint.bin").exists() {
            Unfinished::Interrupted
        } else if run_dir.join("train.json").exists() {
            Unfinished::Trained
        } else {
            Unfinished::NotStarted
        }
    }

    /// Creates the folder (and checks that it is writable).
    pub fn create(&self) -> Result<()> {
        std::fs::create_dir_all(self.path.join("locks"))
            .with_context(|| format!("cannot create {}", self.path.display()))
    }

    /// Locks run `id`: `Ok(None)` when another process holds it and `wait` is false.
    pub fn lock_run(&self, id: &str, wait: bool) -> Result<Option<Lock>> {
        self.lock(&format!("{id}.lock"), wait)
    }

    /// Locks the summary and report, waiting for another writer to finish.
    pub fn lock_report(&self) -> Result<Lock> {
        Ok(self
            .lock("report.lock", true)?
            .expect("a waiting lock is always taken"))
    }

    fn lock(&self, name: &str, wait: bool) -> Result<Option<Lock>> {
        let path = self.path.join("locks").join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open lock {}", path.display()))?;
        if wait {
            file.lock()
                .with_context(|| format!("cannot lock {}", path.display()))?;
        } else {
            match file.try_lock() {
                Ok(()) => {}
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(e).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
        }
        Ok(Some(Lock { _file: file }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_lock_excludes_a_second_holder_until_dropped() {
        let root = tempfile::tempdir().unwrap();
        let dir = ScaleDir::new(root.path(), "part3.3", Scale::Smoke);
        dir.create().unwrap();
        let held = dir.lock_run("abc", false).unwrap();
        assert!(held.is_some());
        assert!(
            dir.lock_run("abc", false).unwrap().is_none(),
            "held elsewhere"
        );
        assert!(dir.lock_run("other", false).unwrap().is_some(), "per run");
        drop(held);
        assert!(dir.lock_run("abc", false).unwrap().is_some(), "released");
    }

    #[test]
    fn an_unfinished_run_reads_as_its_files_say() {
        let root = tempfile::tempdir().unwrap();
        let dir = ScaleDir::new(root.path(), "part3.3", Scale::Smoke);
        let state = |id| dir.unfinished_state(id);
        assert_eq!(state("a"), Unfinished::NotStarted);
        std::fs::create_dir_all(dir.run_dir("a")).unwrap();
        std::fs::write(dir.run_dir("a").join("checkpoint.bin"), b"").unwrap();
        assert_eq!(state("a"), Unfinished::Interrupted);
        std::fs::write(dir.failure("a"), "out of memory\n").unwrap();
        assert_eq!(state("a"), Unfinished::Failed("out of memory".into()));
        std::fs::create_dir_all(dir.run_dir("b")).unwrap();
        std::fs::write(dir.run_dir("b").join("train.json"), b"{}").unwrap();
        assert_eq!(state("b"), Unfinished::Trained);
    }
}

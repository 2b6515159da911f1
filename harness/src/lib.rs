//! plm: the *Physics of Language Models* papers as runnable, versioned, checkable experiments.
//!
//! Layers import only downward (a test checks it, `tests/layers.rs`):
//! [`util`], [`figure`], [`progress`] → [`spec`] (plain data) → [`data`] (generators) →
//! [`model`], [`train`] → [`run`] (planned runs, manifests) → [`parts`] (one folder per part) →
//! [`suite`] (loading and checking suite files) → [`claims`], [`report`], [`index`], [`artifacts`],
//! [`compare`] →
//! [`driver`] (reproduce = plan + run each + collect) → [`slurm`] (job arrays over a plan),
//! [`verify`] (retraining committed runs) →
//! [`cli`]. See ARCHITECTURE.md.

pub mod artifacts;
pub mod claims;
pub mod cli;
pub mod compare;
pub mod data;
pub mod driver;
pub mod figure;
pub mod index;
pub mod model;
pub mod parts;
pub mod progress;
pub mod report;
pub mod run;
pub mod slurm;
pub mod spec;
pub mod suite;
pub mod train;
pub mod util;
pub mod verify;

//! plm: the *Physics of Language Models* papers as runnable, versioned, checkable experiments.
//!
//! Data flows one way: [`suite`] (what to run) → [`data`] (deterministic generators) → train →
//! measure → claims → report. See ARCHITECTURE.md for the map of the repository.

pub mod claims;
pub mod cli;
pub mod data;
pub mod eval;
pub mod model;
pub mod report;
pub mod run;
pub mod suite;
pub mod train;

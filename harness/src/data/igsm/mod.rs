//! iGSM, the grade-school math problems of Part 2.1 ("Grade-School Math and the Hidden Reasoning
//! Process", arXiv:2407.20311, §2 and App. D) and Part 2.2 (arXiv:2408.16293).
//!
//! A problem is a layered structure of items (Zoo → Enclosure → Animal …) whose edges are
//! *instance parameters* ("the number of each Zoo's Enclosure"), plus *abstract parameters*
//! (totals across layers) that are never stated. A dependency graph gives each instance
//! parameter its inputs (earlier parameters and RNG constants); the question asks for one
//! parameter; the solution computes the necessary ones in a topological order with arithmetic
//! mod 23, one sentence each, split into binary operations.
//!
//! This module reproduces the official generator (github.com/facebookresearch/iGSM, first
//! commit a1ed1d0) draw for draw: the same problems, solutions and answers for the same seed,
//! because its two random streams (`python.rs`) are consumed in the same order by the same
//! steps. Each file follows the official methods of the same names:
//! `structure.rs` (structure graph), `dependency.rs` (dependency graph), `text.rs` (problem
//! text), `solution.rs` (solution text), `sketch.rs` (template hash, the train/test split),
//! `official.rs` (the sampling loop). `checker.rs` verifies solutions; `retry.rs` writes Part
//! 2.2's retry data.

pub mod categories;
pub mod checker;
pub mod dag;
pub mod dataset;
mod dependency;
pub mod expression;
pub mod official;
pub mod problem;
pub mod python;
pub mod retry;
pub mod settings;
mod sketch;
mod solution;
pub mod stats;
mod structure;
pub mod text;

pub use categories::World;
pub use dag::{Level, Param};
pub use official::{Generated, IdGenSettings, generate};
pub use problem::{Problem, Rngs};
pub use settings::{IgsmFormat, IgsmSpec, IgsmSplit, RetryKind, RetrySpec};
pub use sketch::sha256_mod;

#[cfg(test)]
mod tests;

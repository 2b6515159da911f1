//! plm's own compute kernels.
//!
//! Empty on purpose: the training engine (issue #3) first runs on burn's built-in operations and
//! profiles them. A kernel lands here only when a benchmark shows burn's own op is the bottleneck,
//! together with its CPU fallback and a test comparing the two.

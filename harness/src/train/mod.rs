//! Training: packing documents into batches, the optimisation loop, checkpoints, devices.

pub mod checkpoint;
pub mod clip;
pub mod device;
pub mod interrupt;
#[cfg(test)]
mod lora_tests;
pub mod packing;
pub mod trainer;

pub use device::DeviceChoice;
pub use trainer::{Timing, TrainOptions, TrainReport, Trained, initialised, train};

//! Measurements on trained models: bits of knowledge (Part 3.3) and quantization.

pub mod capacity;
pub mod quantize;

//! Measurements on trained models: bits of knowledge (Part 3.3), quantization, and a grammar's
//! generation accuracy and KL (Part 1).

pub mod capacity;
pub mod grammar;
pub mod quantize;

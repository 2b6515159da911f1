//! Checkpoints: everything needed to continue a run exactly (weights, optimiser state, step,
//! loss history), in one file written atomically. The data cursor is the step itself: packing
//! is a pure function of (seed, step), so nothing else needs saving, and the model's random
//! initialisation is never repeated on resume.
//!
//! Layout: `PLMCKPT1`, then three length-prefixed (u64 LE) sections: JSON state, model record
//! (burnpack), optimiser record.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::util::write_atomic;

const MAGIC: &[u8; 8] = b"PLMCKPT1";

/// The small part of a checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// Hash of the training spec; a checkpoint of another run is refused.
    pub spec_sha256: String,
    /// Steps completed.
    pub step: u64,
    /// Loss of every completed step.
    pub losses: Vec<f32>,
    /// Training seconds spent before this checkpoint (over all sessions).
    pub seconds: f64,
}

pub struct Checkpoint {
    pub state: State,
    pub model: Vec<u8>,
    pub optimizer: Vec<u8>,
}

impl Checkpoint {
    pub fn save(&self, path: &Path) -> Result<()> {
        let state = serde_json::to_vec(&self.state)?;
        let mut bytes = MAGIC.to_vec();
        for section in [&state[..], &self.model, &self.optimizer] {
            bytes.extend_from_slice(&(section.len() as u64).to_le_bytes());
            bytes.extend_from_slice(section);
        }
        write_atomic(path, &bytes)
    }

    /// Reads a checkpoint; a truncated or foreign file is a clear error naming it.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes =
            fs::read(path).with_context(|| format!("cannot read checkpoint {}", path.display()))?;
        let corrupt =
            |why: &str| anyhow::anyhow!("checkpoint {} is corrupt: {why}", path.display());
        let mut rest = bytes
            .strip_prefix(MAGIC)
            .ok_or_else(|| corrupt("not a plm checkpoint"))?;
        let mut sections = Vec::new();
        for name in ["state", "model", "optimizer"] {
            if rest.len() < 8 {
                return Err(corrupt(&format!("truncated before the {name} section")));
            }
            let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
            rest = &rest[8..];
            if rest.len() < len {
                return Err(corrupt(&format!("the {name} section is truncated")));
            }
            sections.push(rest[..len].to_vec());
            rest = &rest[len..];
        }
        if !rest.is_empty() {
            bail!(corrupt("trailing bytes after the last section"));
        }
        let optimizer = sections.pop().unwrap();
        let model = sections.pop().unwrap();
        let state =
            serde_json::from_slice(&sections[0]).map_err(|e| corrupt(&format!("state: {e}")))?;
        Ok(Self {
            state,
            model,
            optimizer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_corruption_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.bin");
        let state = State {
            spec_sha256: "ab".into(),
            step: 3,
            losses: vec![1.0, 0.5, 0.25],
            seconds: 1.5,
        };
        Checkpoint {
            state,
            model: vec![1, 2, 3],
            optimizer: vec![4, 5],
        }
        .save(&path)
        .unwrap();
        let loaded = Checkpoint::load(&path).unwrap();
        assert_eq!(
            (loaded.state.step, loaded.model, loaded.optimizer),
            (3, vec![1, 2, 3], vec![4, 5])
        );

        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let error = Checkpoint::load(&path).err().unwrap().to_string();
        assert!(error.contains("checkpoint.bin is corrupt"), "{error}");
    }
}

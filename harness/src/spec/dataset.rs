//! Datasets as data: a name, a generator with its settings, and the hashes its stream must have.
//! The spec layer keeps a generator's settings as plain fields; each generator (`data/`) reads,
//! checks and describes its own settings type (`data::Generator`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One `[[scales.<scale>.datasets]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dataset {
    pub name: String,
    /// Which generator makes the documents (`plm schema` lists them with their settings).
    pub generator: String,
    /// The generator's own settings, read by the generator as its settings type.
    #[serde(flatten)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Expected hashes; absent means "not pinned yet" and is reported as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

impl Dataset {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn sha256(&self) -> Option<&StreamHashes> {
        self.sha256.as_ref()
    }
}

/// SHA-256 (lowercase hex) of a dataset's token stream (u32 little-endian ids, each document
/// followed by `<eos>`) and of its text (each document followed by a newline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamHashes {
    pub tokens: String,
    pub text: String,
}

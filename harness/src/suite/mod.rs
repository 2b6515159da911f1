//! Suite files: versioned TOML that says *what* to run and *what the paper claims*.
//!
//! A suite pins its seed, and for each scale (`smoke`, `cpu`, `paper`) the datasets with their
//! generator settings and the SHA-256 of the streams they must produce. Unknown fields are
//! rejected, and every error names the file and the field (see [`SuiteError`]).

mod locate;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::model::ModelConfig;
use crate::train::Recipe;

pub use locate::{default_suites_dir, list_suites, locate};

/// One suite file, e.g. `suites/part3.3/v1.toml`.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Part of the papers this suite reproduces, e.g. `part3.3`; equals its folder name.
    pub name: String,
    /// Bumped whenever any pinned output (a data hash, a claim) changes meaning.
    pub version: u32,
    /// The paper (title, arXiv id) whose claims this suite checks.
    pub paper: String,
    pub description: String,
    /// Root of every random stream in the suite (see `data::rng`).
    pub seed: u64,
    pub scales: Scales,
    /// The paper's claims this suite checks, each with its estimator and bounds.
    #[serde(default)]
    pub claims: Vec<crate::claims::Claim>,
}

/// The three scales every suite defines.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scales {
    /// CI: minutes on 2 CPU cores.
    pub smoke: ScaleSpec,
    /// At most one hour on 2 CPU cores.
    pub cpu: ScaleSpec,
    /// The papers' own recipes, for GPUs.
    pub paper: ScaleSpec,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    Smoke,
    Cpu,
    Paper,
}

impl Scale {
    pub fn name(self) -> &'static str {
        match self {
            Scale::Smoke => "smoke",
            Scale::Cpu => "cpu",
            Scale::Paper => "paper",
        }
    }
}

impl Scales {
    pub fn get(&self, scale: Scale) -> &ScaleSpec {
        match scale {
            Scale::Smoke => &self.smoke,
            Scale::Cpu => &self.cpu,
            Scale::Paper => &self.paper,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (Scale, &ScaleSpec)> {
        [Scale::Smoke, Scale::Cpu, Scale::Paper]
            .into_iter()
            .map(move |s| (s, self.get(s)))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    pub description: String,
    #[serde(default)]
    pub datasets: Vec<DatasetSpec>,
    /// Named model configurations used by the sweeps.
    #[serde(default)]
    pub models: BTreeMap<String, ModelConfig>,
    /// Named training recipes used by the sweeps (a recipe search is several recipes).
    #[serde(default)]
    pub recipes: BTreeMap<String, Recipe>,
    /// Which models to train: every (dataset, model, recipe) combination of each sweep.
    #[serde(default)]
    pub sweeps: Vec<Sweep>,
    /// How models trained on grammar (`cfg`) datasets are measured.
    #[serde(default)]
    pub grammar_eval: crate::eval::grammar::GrammarEval,
}

/// A grid of training runs.
#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// A dataset `name` of this scale.
    pub dataset: String,
    /// Names from this scale's `models`.
    pub models: Vec<String>,
    /// Names from this scale's `recipes`.
    pub recipes: Vec<String>,
}

/// A dataset: a generator with its settings and the hashes its stream must have.
///
/// Deserialised by hand (see `impl Deserialize` below) rather than as a serde-tagged enum, because
/// serde's tagged enums forget the path inside the variant and errors could not name the field.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(tag = "generator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DatasetSpec {
    /// Synthetic biographies over the published pools (Part 3.1 §2, Part 3.3 §2).
    Bios(BiosSpec),
    /// The six questions per person about bioS people, one split.
    BiosQa(BiosQaSpec),
    /// bioD(N, K, C, D, L, T): random attribute strings of tunable entropy (Part 3.3 Def. 2.2).
    Biod(BiodSpec),
    /// Sentences of one of Part 1's context-free grammars (Part 1 §2.1).
    Cfg(CfgSpec),
}

/// The `generator` names, in the order of [`DatasetSpec`]'s variants.
const GENERATORS: [&str; 4] = ["bios", "bios-qa", "biod", "cfg"];

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        /// Deserialises a variant, reporting the failing field as `field `path`: message`,
        /// which [`Suite::parse`] folds into the field path.
        fn variant<T: serde::de::DeserializeOwned>(table: toml::Table) -> Result<T, String> {
            serde_path_to_error::deserialize(toml::Value::Table(table))
                .map_err(|e| format!("field `{}`: {}", e.path(), e.inner().message()))
        }
        let mut table = toml::Table::deserialize(deserializer)?;
        let generator = match table.remove("generator") {
            Some(toml::Value::String(name)) => name,
            Some(other) => {
                return Err(D::Error::custom(format!(
                    "field `generator`: expected a string, found {}",
                    other.type_str()
                )));
            }
            None => return Err(D::Error::missing_field("generator")),
        };
        match generator.as_str() {
            "bios" => variant(table).map(DatasetSpec::Bios),
            "bios-qa" => variant(table).map(DatasetSpec::BiosQa),
            "biod" => variant(table).map(DatasetSpec::Biod),
            "cfg" => variant(table).map(DatasetSpec::Cfg),
            other => Err(format!(
                "field `generator`: unknown generator `{other}`, expected one of {}",
                GENERATORS.join(", ")
            )),
        }
        .map_err(D::Error::custom)
    }
}

impl DatasetSpec {
    pub fn name(&self) -> &str {
        match self {
            DatasetSpec::Bios(s) => &s.name,
            DatasetSpec::BiosQa(s) => &s.name,
            DatasetSpec::Biod(s) => &s.name,
            DatasetSpec::Cfg(s) => &s.name,
        }
    }

    pub fn sha256(&self) -> Option<&StreamHashes> {
        match self {
            DatasetSpec::Bios(s) => s.sha256.as_ref(),
            DatasetSpec::BiosQa(s) => s.sha256.as_ref(),
            DatasetSpec::Biod(s) => s.sha256.as_ref(),
            DatasetSpec::Cfg(s) => s.sha256.as_ref(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosSpec {
    pub name: String,
    /// N: number of people.
    pub people: usize,
    /// `single`, `single+fullname`, `single+permuteK[+fullname]`, `multiK[+permute][+fullname]`,
    /// or `fresh` (Part 3.3: new wording and sentence order at every exposure).
    pub augmentation: String,
    /// Documents per person for `fresh` (= exposures); implied by the name otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u32>,
    /// Expected hashes; absent means "not pinned yet" and is reported as such.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosQaSpec {
    pub name: String,
    /// N: the same first N people as a `bios` dataset of this suite.
    pub people: usize,
    /// Which half of the people: each person falls in `train` or `test` by a fair coin.
    pub split: Split,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Test,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiodSpec {
    pub name: String,
    /// N: number of people.
    pub people: usize,
    /// K: attributes per person.
    pub attributes: u32,
    /// C: chunks per value.
    pub chunks: u32,
    /// D: size of each attribute's diversity set.
    pub diversity: u32,
    /// L: tokens per chunk.
    pub length: u32,
    /// T: size of the token alphabet of the values.
    pub alphabet: u32,
    /// First/middle/last name pool sizes (prefixes of the bioS pools); N0 is their product.
    #[serde(default = "full_name_pools")]
    pub name_pools: [usize; 3],
    /// Documents per person, each with a fresh sentence order (= exposures).
    #[serde(default = "one")]
    pub entries: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CfgSpec {
    pub name: String,
    /// One of the embedded grammars (`plm cfg stats --grammar NAME`), e.g. `cfg3b`.
    pub grammar: String,
    /// Number of distinct sentences, sampled from the project's seeded stream (sentence `i` is
    /// addressable on its own, which the trainer's shuffle needs). Part 1 trains on fresh samples:
    /// choose enough sentences that one exposure covers the whole run.
    pub sentences: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

fn full_name_pools() -> [usize; 3] {
    [400, 400, 1000]
}

fn one() -> u32 {
    1
}

/// SHA-256 (lowercase hex) of a dataset's token stream (u32 little-endian ids, each document
/// followed by `<eos>`) and of its text (each document followed by a newline).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StreamHashes {
    pub tokens: String,
    pub text: String,
}

/// A suite file that cannot be used, with the file and the field at fault.
#[derive(Debug)]
pub struct SuiteError {
    pub file: PathBuf,
    /// 1-based line of the fault, when the parser knows it.
    pub line: Option<usize>,
    /// Dotted path of the field, e.g. `scales.smoke.datasets[0].people`; empty for the whole file.
    pub field: String,
    pub message: String,
}

impl fmt::Display for SuiteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": field `{}`", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SuiteError {}

/// What is wrong with suite text, before it is attached to a file name.
#[derive(Debug)]
pub struct Invalid {
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            line: None,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Suite {
    /// Reads, parses and validates a suite file.
    pub fn load(path: &Path) -> Result<Suite, SuiteError> {
        let attach = |e: Invalid| SuiteError {
            file: path.to_owned(),
            line: e.line,
            field: e.field,
            message: e.message,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| attach(Invalid::field("", format!("cannot read: {e}"))))?;
        Self::parse(&text).map_err(attach)
    }

    /// Parses and validates suite text.
    pub fn parse(text: &str) -> Result<Suite, Invalid> {
        let line_of = |span: Option<std::ops::Range<usize>>| {
            span.map(|s| text[..s.start.min(text.len())].lines().count().max(1))
        };
        let deserializer = toml::Deserializer::parse(text).map_err(|e| Invalid {
            line: line_of(e.span()),
            field: String::new(),
            message: one_line(e.message()),
        })?;
        let suite: Suite = serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let mut field = e.path().to_string();
            let mut message = one_line(e.inner().message());
            if field == "." {
                field.clear();
            }
            // A nested deserialiser (see `DatasetSpec`) prefixes its own path: fold it in.
            if let Some((inner, rest)) = message
                .strip_prefix("field `")
                .and_then(|m| m.split_once("`: "))
            {
                (field, message) = (format!("{field}.{inner}"), rest.to_owned());
            }
            Invalid {
                line: line_of(e.inner().span()),
                field,
                message,
            }
        })?;
        validate::validate(&suite)?;
        Ok(suite)
    }
}

fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The JSON Schema of suite files (committed as `suites/schema.json`).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Suite);
    serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"
}

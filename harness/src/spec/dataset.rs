//! Datasets as data: a generator name with its settings and the hashes its stream must have.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A dataset: a generator with its settings and the hashes its stream must have.
///
/// Deserialised by hand (see `impl Deserialize` below) rather than as a serde-tagged enum, because
/// serde's tagged enums forget the path inside the variant and errors could not name the field.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(tag = "generator", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DatasetSpec {
    /// Synthetic biographies over the published pools (Part 3.1 §2, Part 3.3 §2).
    Bios(BiosSpec),
    /// The six questions per person about bioS people, one split.
    BiosQa(BiosQaSpec),
    /// Part 3.1's mixed training: bioS biographies of every person and the questions about the
    /// `train` half, each window all biographies or all questions.
    BiosMixed(BiosMixedSpec),
    /// Part 3.2's knowledge-manipulation questions about bioS people, one task and one split.
    BiosTask(BiosTaskSpec),
    /// bioD(N, K, C, D, L, T): random attribute strings of tunable entropy (Part 3.3 Def. 2.2).
    Biod(BiodSpec),
    /// Sentences of one of Part 1's context-free grammars (Part 1 §2.1).
    Cfg(CfgSpec),
    /// Depo: k-hop questions over a shuffled cycle (Part 4.1 §2.1).
    Depo(DepoSpec),
    /// Brevo: every ancestor of a vertex of a random DAG (Part 4.1 §2.1).
    Brevo(BrevoSpec),
    /// Mano: prefix expressions mod 23 (Part 4.1 §2.1).
    Mano(ManoSpec),
    /// The copy task of Part 4.1's Fig. 5.
    Copy(CopySpec),
    /// iGSM grade-school math problems and their solutions (Part 2.1 §2, Part 2.2 §4).
    Igsm(IgsmSpec),
}

/// The `generator` names, in the order of [`DatasetSpec`]'s variants.
const GENERATORS: [&str; 11] = [
    "bios",
    "bios-qa",
    "bios-mixed",
    "bios-task",
    "biod",
    "cfg",
    "depo",
    "brevo",
    "mano",
    "copy",
    "igsm",
];

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
            "bios-mixed" => variant(table).map(DatasetSpec::BiosMixed),
            "bios-task" => variant(table).map(DatasetSpec::BiosTask),
            "biod" => variant(table).map(DatasetSpec::Biod),
            "cfg" => variant(table).map(DatasetSpec::Cfg),
            "depo" => variant(table).map(DatasetSpec::Depo),
            "brevo" => variant(table).map(DatasetSpec::Brevo),
            "mano" => variant(table).map(DatasetSpec::Mano),
            "copy" => variant(table).map(DatasetSpec::Copy),
            "igsm" => variant(table).map(DatasetSpec::Igsm),
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
            DatasetSpec::BiosMixed(s) => &s.name,
            DatasetSpec::BiosTask(s) => &s.name,
            DatasetSpec::Biod(s) => &s.name,
            DatasetSpec::Cfg(s) => &s.name,
            DatasetSpec::Depo(s) => &s.name,
            DatasetSpec::Brevo(s) => &s.name,
            DatasetSpec::Mano(s) => &s.name,
            DatasetSpec::Copy(s) => &s.name,
            DatasetSpec::Igsm(s) => &s.name,
        }
    }

    pub fn sha256(&self) -> Option<&StreamHashes> {
        match self {
            DatasetSpec::Bios(s) => s.sha256.as_ref(),
            DatasetSpec::BiosQa(s) => s.sha256.as_ref(),
            DatasetSpec::BiosMixed(s) => s.sha256.as_ref(),
            DatasetSpec::BiosTask(s) => s.sha256.as_ref(),
            DatasetSpec::Biod(s) => s.sha256.as_ref(),
            DatasetSpec::Cfg(s) => s.sha256.as_ref(),
            DatasetSpec::Depo(s) => s.sha256.as_ref(),
            DatasetSpec::Brevo(s) => s.sha256.as_ref(),
            DatasetSpec::Mano(s) => s.sha256.as_ref(),
            DatasetSpec::Copy(s) => s.sha256.as_ref(),
            DatasetSpec::Igsm(s) => s.sha256.as_ref(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosSpec {
    pub name: String,
    /// N: number of people.
    pub people: usize,
    /// Draw attribute values from the first entries of each published pool only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosQaSpec {
    pub name: String,
    /// N: the same first N people as a `bios` dataset of this suite.
    pub people: usize,
    /// As the `bios` dataset's `pools` (the same people need the same pools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// Which half of the people: each person falls in `train` or `test` by a fair coin.
    pub split: Split,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosMixedSpec {
    pub name: String,
    /// N: the same first N people as the suite's other bioS datasets.
    pub people: usize,
    /// As the `bios` dataset's `pools`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// The biographies' augmentation, as for `bios`.
    pub augmentation: String,
    /// Copies of every question about the `train` half in each round of biographies; the QA
    /// share of tokens follows (`plm data` prints the tokens). Part 3.1 trains with 80 % QA
    /// tokens: per person, one bioS biography is about 70 tokens and a copy of the questions
    /// about 45 (six of about 15 tokens, for half the people), so about 6 copies.
    pub qa_copies: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

impl BiosMixedSpec {
    /// The biographies alone, as a `bios` dataset.
    pub fn biographies(&self) -> BiosSpec {
        BiosSpec {
            name: self.name.clone(),
            people: self.people,
            pools: self.pools,
            augmentation: self.augmentation.clone(),
            entries: None,
            sha256: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosTaskSpec {
    pub name: String,
    /// N: the same first N people as the suite's `bios` datasets.
    pub people: usize,
    /// As the `bios` dataset's `pools`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// Which half of the people the questions are about.
    pub split: Split,
    pub task: Task,
    /// Answers open with the months they follow from (`October; Yes`): the paper's chain of
    /// thought. Only the month tasks have one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hints: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

/// Part 3.2's tasks (arXiv:2309.14402), each a question per person of the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Partial retrieval (§3): the birth year alone.
    BirthYear,
    /// Classification (§4): is the birth month even?
    MonthParity,
    /// Comparison (§5): was this person born in an earlier month than another of the split?
    MonthRanking,
    /// Inverse search (§6): the full name of whoever was born on a date.
    InverseBirthDate,
}

impl Task {
    /// Whether a hint can open the answer (the month tasks).
    pub fn has_hint(self) -> bool {
        matches!(self, Task::MonthParity | Task::MonthRanking)
    }
}

/// How many values of each published bioS pool people draw from: the first K of each list.
/// Part 3.1's cpu scale uses small pools so that every value has many holders (its probes and
/// questions then have a few classes with many examples each, as the paper's N = 100,000 has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSizes {
    pub birth_cities: u16,
    pub universities: u16,
    pub majors: u16,
    /// Companies (each with its headquarters city, the company city).
    pub companies: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    Train,
    Test,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepoSpec {
    pub name: String,
    /// Documents (each a fresh cycle and its queries).
    pub docs: u64,
    /// N: the longest cycle; cycles have 3..=N nodes.
    pub max_nodes: usize,
    /// K: the most hops a query asks for (1..=K).
    pub max_hops: usize,
    /// Tokens per node name, at most (1..=this, uniform): Depo1 2, Depo2 7.
    pub name_tokens: usize,
    /// Tokens of the names' alphabet: Depo1 50, Depo2 4.
    pub alphabet: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BrevoSpec {
    pub name: String,
    /// Documents (each a fresh graph and one query).
    pub docs: u64,
    /// N: the most vertices a graph has (3..=N, uniform).
    pub max_vertices: usize,
    /// Tokens per vertex name, at most: Brevo1 1, Brevo2 4.
    pub name_tokens: usize,
    /// Tokens of the names' alphabet.
    pub alphabet: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManoSpec {
    pub name: String,
    /// Documents (each one expression).
    pub docs: u64,
    /// L: the most operators an expression has (1..=L, uniform).
    pub max_operators: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CopySpec {
    pub name: String,
    /// Documents (each one sequence and its copy).
    pub docs: u64,
    /// Tokens to copy, at least and at most (uniform in between).
    pub min_length: usize,
    pub max_length: usize,
    /// Distinct tokens to draw from; at least `max_length`.
    pub alphabet: usize,
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

/// iGSM problems as the official generator makes them (`IdGen(max_op, max_edge, perm_level,
/// detail_level)`, then `gen_prob(bins, format)`): document `i` is the first problem after the
/// official `fix_seed(s_i)`, with `s_i` drawn from the suite seed, the dataset name and `i`, so
/// every document can be made alone and reproduced with the official code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IgsmSpec {
    pub name: String,
    /// Documents (each one problem, its solution and its answer).
    pub docs: u64,
    /// Most operations in a solution: iGSM-med 15, iGSM-hard 21.
    pub max_op: usize,
    /// Most instance parameters in a problem: iGSM-med 20, iGSM-hard 28 (at least 12).
    pub max_edge: usize,
    /// 0–4: sentences shuffled at most that far; 5: any order (the papers'); 6: none.
    #[serde(default = "five")]
    pub perm_level: u8,
    /// How much of each solution step is written: 0 (the papers': every part), 2, 6 or 8 (the
    /// levels the checker reads).
    #[serde(default)]
    pub detail_level: u8,
    /// Where the question goes: `pq` (after the problem) or `qp` (before it).
    #[serde(default)]
    pub format: IgsmFormat,
    /// Which solution templates: `train` (template hash mod 23 in 0..=15, the official code's
    /// bins; the paper's text says < 17) or `test` (16..=22).
    #[serde(default)]
    pub split: IgsmSplit,
    /// The hierarchies problems draw from, by their top category (`District`, `Zoo`, `School`,
    /// `Ecosystems`); all four when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorisations: Option<Vec<String>>,
    /// Keep only the first this many item lists of every category (fewer names); all five when
    /// absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lists: Option<usize>,
    /// Keep only the first this many names of every item list (a smaller vocabulary; at least
    /// 4, the widest layer); the official lists when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
    /// Part 2.2's retry data: wrong steps withdrawn with `[BACK]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<StreamHashes>,
}

fn five() -> u8 {
    5
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IgsmFormat {
    #[default]
    Pq,
    Qp,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum IgsmSplit {
    #[default]
    Train,
    Test,
}

impl IgsmSplit {
    /// The template-hash bins of the split (the official `train_bin`, `test_bin`).
    pub fn bins(self) -> std::ops::RangeInclusive<u32> {
        match self {
            IgsmSplit::Train => 0..=15,
            IgsmSplit::Test => 16..=22,
        }
    }
}

/// Part 2.2's retry data (arXiv:2408.16293 §4–5): before each solution sentence, with
/// probability `rate` (again and again), a wrong parameter is written and withdrawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// `retry`: a parameter that cannot be computed yet; `retry-weak`: a later parameter of the
    /// correct solution (the official `id_retry_weak_gen.py`).
    pub kind: RetryKind,
    /// The retry rate (the paper sweeps 0.01 to 0.5).
    pub rate: f64,
    /// Leave the mistakes out of the loss (the paper's label masking).
    #[serde(default)]
    pub masked: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RetryKind {
    Retry,
    RetryWeak,
}

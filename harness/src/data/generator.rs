//! Generators as plug-ins. A generator is one file under `data/`: its settings type (the fields
//! of a `[[datasets]]` entry besides `name`, `generator` and `sha256`), which implements
//! [`Generator`], beside the [`DocSource`] it builds. It is registered by one line in
//! `data/mod.rs`'s `generators!` list; suite loading, `plm data`, training and `plm schema`
//! reach it only through the functions here.

use std::marker::PhantomData;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::DocSource;
use crate::spec::{Dataset, Invalid};

/// A generator's settings type.
pub trait Generator: Serialize + DeserializeOwned + JsonSchema + 'static {
    /// The `generator` value that selects it in suites.
    const NAME: &'static str;

    /// What serde cannot check (ranges, consistency); fields are relative to the dataset.
    fn check(&self) -> Result<(), Invalid>;

    /// The documents of the dataset called `name` (it seeds the generator's streams together
    /// with the suite `seed`). The settings have passed [`Generator::check`].
    fn build(&self, name: &str, seed: u64) -> Box<dyn DocSource>;

    /// These settings, when `dataset` is made by this generator and its settings read.
    fn of(dataset: &Dataset) -> Option<Self> {
        (dataset.generator == Self::NAME)
            .then(|| read(dataset).ok())
            .flatten()
    }

    /// A dataset of this generator with these settings, not pinned.
    fn dataset(&self, name: &str) -> Dataset {
        let serde_json::Value::Object(settings) =
            serde_json::to_value(self).expect("settings serialise")
        else {
            panic!("{} settings must serialise as a table", Self::NAME);
        };
        Dataset {
            name: name.to_owned(),
            generator: Self::NAME.to_owned(),
            settings,
            sha256: None,
        }
    }
}

/// Reads a dataset's settings as `G`, naming the field at fault.
fn read<G: Generator>(dataset: &Dataset) -> Result<G, Invalid> {
    let settings = serde_json::Value::Object(dataset.settings.clone());
    serde_path_to_error::deserialize(settings).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        Invalid::field(field, e.inner().to_string())
    })
}

/// What the registry keeps of a generator: [`Generator`] without its type.
pub(super) trait Registered: Sync {
    fn name(&self) -> &'static str;
    fn check(&self, dataset: &Dataset) -> Result<(), Invalid>;
    fn build(&self, dataset: &Dataset, seed: u64) -> Result<Box<dyn DocSource>, Invalid>;
    fn schema(&self) -> schemars::Schema;
}

/// A registry entry for the generator whose settings type is `G`.
pub(super) struct Entry<G>(pub(super) PhantomData<fn() -> G>);

impl<G: Generator> Registered for Entry<G> {
    fn name(&self) -> &'static str {
        G::NAME
    }

    fn check(&self, dataset: &Dataset) -> Result<(), Invalid> {
        read::<G>(dataset)?.check()
    }

    fn build(&self, dataset: &Dataset, seed: u64) -> Result<Box<dyn DocSource>, Invalid> {
        Ok(read::<G>(dataset)?.build(&dataset.name, seed))
    }

    fn schema(&self) -> schemars::Schema {
        schemars::schema_for!(G)
    }
}

fn registered(dataset: &Dataset) -> Result<&'static dyn Registered, Invalid> {
    super::GENERATORS
        .iter()
        .copied()
        .find(|g| g.name() == dataset.generator)
        .ok_or_else(|| {
            Invalid::field(
                "generator",
                format!(
                    "unknown generator `{}`, expected one of {}",
                    dataset.generator,
                    names().collect::<Vec<_>>().join(", ")
                ),
            )
        })
}

/// The registered generators' names, in registration order.
pub fn names() -> impl Iterator<Item = &'static str> {
    super::GENERATORS.iter().map(|g| g.name())
}

/// Checks a dataset's settings with its generator; fields are relative to the dataset.
pub fn check(dataset: &Dataset) -> Result<(), Invalid> {
    registered(dataset)?.check(dataset)
}

/// Instantiates the generator a (checked) dataset names.
pub fn build(dataset: &Dataset, seed: u64) -> Box<dyn DocSource> {
    registered(dataset)
        .and_then(|g| g.build(dataset, seed))
        .unwrap_or_else(|e| panic!("dataset `{}` was checked on load: {e}", dataset.name))
}

/// Each generator's name and the JSON Schema of its settings (for `plm schema`).
pub fn schemas() -> impl Iterator<Item = (&'static str, schemars::Schema)> {
    super::GENERATORS.iter().map(|g| (g.name(), g.schema()))
}

/// `Ok` when a count setting is at least 1, else the error naming `field`.
pub fn at_least_one(value: u64, field: &str) -> Result<(), Invalid> {
    if value == 0 {
        Err(Invalid::field(field, "must be at least 1"))
    } else {
        Ok(())
    }
}

//! `plm list`: every suite with its version and what each scale holds.

use std::path::Path;

use anyhow::Result;

use super::Outcome;
use crate::suite::{self, list_suites};

pub fn run(suites_dir: &Path) -> Result<Outcome> {
    println!(
        "{:<10} {:>7}  {:<6} {:>8}  file",
        "part", "version", "scale", "datasets"
    );
    for (part, file) in list_suites(suites_dir)? {
        let suite = suite::load(&file)?;
        for (scale, spec) in suite.scales.iter() {
            println!(
                "{:<10} {:>7}  {:<6} {:>8}  {}",
                part,
                suite.version,
                scale.name(),
                spec.datasets.len(),
                file.display()
            );
        }
    }
    Ok(Outcome::Ok)
}

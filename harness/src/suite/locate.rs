//! Finding suite files: `part3.3` means the highest `vN.toml` in `suites/part3.3/`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// `./suites` when run from the repository root, else the folder beside this crate's sources.
pub fn default_suites_dir() -> PathBuf {
    let here = PathBuf::from("suites");
    if here.is_dir() {
        return here;
    }
    let beside_sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    beside_sources.canonicalize().unwrap_or(beside_sources)
}

/// Resolves a part name (`part3.3`) or a path to a suite file.
pub fn locate(part_or_path: &str, suites_dir: &Path) -> Result<PathBuf> {
    let as_path = Path::new(part_or_path);
    if as_path.is_file() {
        return Ok(as_path.to_owned());
    }
    let folder = suites_dir.join(part_or_path);
    if !folder.is_dir() || part_or_path.contains(['/', '\\']) {
        let parts: Vec<String> = list_suites(suites_dir)?
            .into_iter()
            .map(|(part, _)| part)
            .collect();
        bail!(
            "unknown part or suite file `{part_or_path}`; available parts in {}: {}",
            suites_dir.display(),
            if parts.is_empty() {
                "none".to_owned()
            } else {
                parts.join(", ")
            }
        );
    }
    latest_version(&folder)?
        .with_context(|| format!("{} holds no suite file vN.toml", folder.display()))
}

/// Every part with its latest suite file, sorted by part name.
pub fn list_suites(suites_dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let entries = std::fs::read_dir(suites_dir)
        .with_context(|| format!("cannot read suites folder {}", suites_dir.display()))?;
    let mut suites = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if let (true, Some(part)) = (path.is_dir(), path.file_name().and_then(|n| n.to_str()))
            && let Some(file) = latest_version(&path)?
        {
            suites.push((part.to_owned(), file));
        }
    }
    suites.sort();
    Ok(suites)
}

fn latest_version(folder: &Path) -> Result<Option<PathBuf>> {
    let mut best: Option<(u32, PathBuf)> = None;
    for entry in
        std::fs::read_dir(folder).with_context(|| format!("cannot read {}", folder.display()))?
    {
        let path = entry?.path();
        let version = path.file_name().and_then(|n| n.to_str()).and_then(|n| {
            n.strip_prefix('v')?
                .strip_suffix(".toml")?
                .parse::<u32>()
                .ok()
        });
        if let Some(v) = version
            && best.as_ref().is_none_or(|(b, _)| v > *b)
        {
            best = Some((v, path));
        }
    }
    Ok(best.map(|(_, p)| p))
}

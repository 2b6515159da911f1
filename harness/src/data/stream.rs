//! Walks a dataset in order, hashing (and optionally writing) its token stream and text.
//!
//! Stream format: every document's token ids as u32 little-endian, each followed by `<eos>`;
//! the text stream is every document's text followed by a newline. Written output goes to a
//! hidden `.NAME.partial` folder that is renamed to `NAME` only when complete, so an interrupted
//! run never leaves a folder that looks finished.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::util::hex;

use super::{Doc, DocSource};
use crate::spec::StreamHashes;

/// What `plm data` reports for one dataset.
#[derive(Clone, Debug, Serialize)]
pub struct StreamSummary {
    pub docs: u64,
    pub people: usize,
    pub tokens: u64,
    /// Size of the closed vocabulary (ids that exist).
    pub vocab_size: usize,
    /// Ids that occur in this stream (what Part 3.3 counts embedding rows for).
    pub vocab_used: usize,
    pub sha256: StreamHashes,
}

struct Outputs {
    partial: PathBuf,
    done: PathBuf,
    tokens: BufWriter<File>,
    text: BufWriter<File>,
}

impl Outputs {
    fn create(out_dir: &Path, name: &str) -> io::Result<Self> {
        let partial = out_dir.join(format!(".{name}.partial"));
        if partial.exists() {
            fs::remove_dir_all(&partial)?;
        }
        fs::create_dir_all(&partial)?;
        Ok(Self {
            tokens: BufWriter::new(File::create(partial.join("tokens.u32le"))?),
            text: BufWriter::new(File::create(partial.join("text.txt"))?),
            done: out_dir.join(name),
            partial,
        })
    }

    fn finish(mut self, source: &dyn DocSource, summary: &StreamSummary) -> io::Result<()> {
        self.tokens.flush()?;
        self.text.flush()?;
        self.tokens.get_ref().sync_all()?;
        self.text.get_ref().sync_all()?;
        fs::write(self.partial.join("vocab.json"), source.vocab().to_json())?;
        fs::write(
            self.partial.join("summary.json"),
            serde_json::to_string_pretty(summary).expect("serialises"),
        )?;
        if self.done.exists() {
            fs::remove_dir_all(&self.done)?;
        }
        fs::rename(&self.partial, &self.done)
    }
}

/// Hashes every document of `source`; writes `out_dir/name/` when `out_dir` is given.
pub fn summarize(
    source: &dyn DocSource,
    name: &str,
    out_dir: Option<&Path>,
    progress: &ProgressBar,
) -> io::Result<StreamSummary> {
    let mut outputs = out_dir.map(|dir| Outputs::create(dir, name)).transpose()?;
    let vocab = source.vocab();
    let eos = vocab.eos();
    let mut used = vec![false; vocab.len()];
    used[eos as usize] = true;
    let (mut token_hash, mut text_hash) = (Sha256::new(), Sha256::new());
    let (mut doc, mut bytes) = (Doc::default(), Vec::new());
    let mut tokens = 0u64;
    let docs = source.num_docs();
    progress.set_length(docs);
    for index in 0..docs {
        source.doc(index, &mut doc);
        bytes.clear();
        for &id in doc.tokens.iter().chain([&eos]) {
            bytes.extend_from_slice(&id.to_le_bytes());
            used[id as usize] = true;
        }
        let mut text = vocab.decode(&doc.tokens);
        text.push('\n');
        token_hash.update(&bytes);
        text_hash.update(text.as_bytes());
        if let Some(out) = outputs.as_mut() {
            out.tokens.write_all(&bytes)?;
            out.text.write_all(text.as_bytes())?;
        }
        tokens += doc.tokens.len() as u64 + 1;
        if index % 4096 == 4095 {
            progress.set_position(index + 1);
        }
    }
    progress.set_position(docs);
    let summary = StreamSummary {
        docs,
        people: source.people(),
        tokens,
        vocab_size: vocab.len(),
        vocab_used: used.iter().filter(|&&u| u).count(),
        sha256: StreamHashes {
            tokens: hex(token_hash.finalize().as_slice()),
            text: hex(text_hash.finalize().as_slice()),
        },
    };
    if let Some(out) = outputs {
        out.finish(source, &summary)?;
    }
    Ok(summary)
}

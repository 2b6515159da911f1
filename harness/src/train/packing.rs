//! From documents to training windows: global shuffle, whole-document packing, loss masks.
//!
//! Training proceeds in *rounds*. Round r is one exposure of every person: the documents of entry
//! `r mod entries` in a fresh random order (key `train/shuffle`, index r). A round's documents are
//! packed greedily, whole, into windows of `context + 1` tokens laid out as
//! `<eos> doc <eos> doc … <eos> <pad>…`, and no window spans two rounds. Hence, by construction,
//! one window never holds two copies of the same person's text (Part 3.1's replication warns
//! that such windows let the model copy in context instead of memorising; PAPERS.md §9).
//! Packing whole documents, rather than cutting a stream at fixed offsets, keeps every name at the
//! start of its text, where the capacity metric reads it.

use crate::data::rng::{StreamKey, shuffle};
use crate::data::{Doc, DocSource, SpanKind};

/// Which target tokens carry loss.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum LossMask {
    /// Every real token (documents and their `<eos>`), never padding.
    AllTokens,
    /// Only the tokens of attribute values (answer-only loss for QA).
    ValuesOnly,
}

/// One batch, row-major `[batch, context]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    pub batch: usize,
    pub context: usize,
    pub inputs: Vec<u32>,
    pub targets: Vec<u32>,
    /// 1.0 where the target carries loss.
    pub mask: Vec<f32>,
}

/// The exposures → windows → steps arithmetic of a run, recorded in its manifest.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schedule {
    pub exposures: u32,
    pub docs_per_round: u64,
    pub windows: u64,
    pub batch: usize,
    pub context: usize,
    pub steps: u64,
    /// Target tokens that carry loss over all windows (`all-tokens` mask).
    pub tokens: u64,
    /// Distinct token ids that occur in the windows.
    pub vocab_used: usize,
}

/// Deterministic stream of training windows over a document source.
pub struct Packer<'a> {
    source: &'a dyn DocSource,
    context: usize,
    mask: LossMask,
    shuffle_key: StreamKey,
    exposures: u32,
    round: u32,
    order: Vec<u64>,
    next_doc: usize,
    doc: Doc,
    /// A document read but not yet placed (it did not fit the previous window).
    pending: bool,
}

impl<'a> Packer<'a> {
    pub fn new(
        source: &'a dyn DocSource,
        context: usize,
        mask: LossMask,
        seed: u64,
        exposures: u32,
    ) -> Self {
        Self {
            source,
            context,
            mask,
            shuffle_key: StreamKey::new(seed, &["train", "shuffle"]),
            exposures,
            round: 0,
            order: Vec::new(),
            next_doc: 0,
            doc: Doc::default(),
            pending: false,
        }
    }

    fn start_round(&mut self) {
        let per_entry = self.source.docs_per_entry();
        let first = u64::from(self.round % self.source.entries()) * per_entry;
        self.order = (first..first + per_entry).collect();
        shuffle(
            &mut self.shuffle_key.rng(u64::from(self.round), 0),
            &mut self.order,
        );
        self.next_doc = 0;
    }

    /// Fills one window (`context + 1` tokens and `context` mask values); `None` after the last round.
    pub fn next_window(
        &mut self,
        tokens: &mut Vec<u32>,
        mask: &mut Vec<f32>,
    ) -> Option<Result<(), String>> {
        let (eos, pad) = (self.source.vocab().eos(), self.source.vocab().pad());
        tokens.clear();
        mask.clear();
        tokens.push(eos);
        loop {
            if !self.pending {
                if self.round >= self.exposures {
                    break;
                }
                if self.order.is_empty() {
                    self.start_round();
                }
                if self.next_doc == self.order.len() {
                    // A window never spans two rounds.
                    self.round += 1;
                    self.order.clear();
                    self.next_doc = 0;
                    if tokens.len() > 1 {
                        break;
                    }
                    continue;
                }
                self.source.doc(self.order[self.next_doc], &mut self.doc);
                self.next_doc += 1;
                self.pending = true;
            }
            let need = self.doc.tokens.len() + 1;
            if need + 1 > self.context + 1 {
                return Some(Err(format!(
                    "a document of {} tokens does not fit a window of context {} (needs {})",
                    self.doc.tokens.len(),
                    self.context,
                    need + 1
                )));
            }
            if tokens.len() + need > self.context + 1 {
                break;
            }
            let offset = tokens.len();
            tokens.extend_from_slice(&self.doc.tokens);
            tokens.push(eos);
            // mask[j] belongs to the target tokens[j + 1].
            mask.resize(tokens.len() - 1, 0.0);
            match self.mask {
                LossMask::AllTokens => mask[offset - 1..].fill(1.0),
                LossMask::ValuesOnly => {
                    for span in self
                        .doc
                        .spans
                        .iter()
                        .filter(|s| matches!(s.kind, SpanKind::Value(_)))
                    {
                        mask[offset + span.start as usize - 1..offset + span.end as usize - 1]
                            .fill(1.0);
                    }
                }
            }
            self.pending = false;
        }
        if tokens.len() == 1 {
            return None;
        }
        tokens.resize(self.context + 1, pad);
        mask.resize(self.context, 0.0);
        Some(Ok(()))
    }

    /// Advances past `count` windows (resuming at a step).
    pub fn skip_windows(&mut self, count: u64) -> Result<(), String> {
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        for _ in 0..count {
            match self.next_window(&mut tokens, &mut mask) {
                Some(result) => result?,
                None => break,
            }
        }
        Ok(())
    }

    /// Groups the next `batch` windows; the last batch may repeat none and be shorter (padded
    /// with fully masked windows).
    pub fn next_batch(&mut self, batch: usize) -> Option<Result<Batch, String>> {
        let t = self.context;
        let mut out = Batch {
            batch,
            context: t,
            inputs: Vec::with_capacity(batch * t),
            targets: Vec::with_capacity(batch * t),
            mask: Vec::with_capacity(batch * t),
        };
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        let mut filled = 0;
        while filled < batch {
            match self.next_window(&mut tokens, &mut mask) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Some(Err(e)),
                None if filled == 0 => return None,
                None => {
                    tokens.clear();
                    tokens.resize(t + 1, self.source.vocab().pad());
                    mask.clear();
                    mask.resize(t, 0.0);
                }
            }
            out.inputs.extend_from_slice(&tokens[..t]);
            out.targets.extend_from_slice(&tokens[1..]);
            out.mask.extend_from_slice(&mask);
            filled += 1;
        }
        Some(Ok(out))
    }
}

/// Walks the whole packing once to count windows, steps and tokens.
pub fn schedule(
    source: &dyn DocSource,
    context: usize,
    batch: usize,
    seed: u64,
    exposures: u32,
) -> Result<Schedule, String> {
    let mut packer = Packer::new(source, context, LossMask::AllTokens, seed, exposures);
    let (mut tokens, mut mask) = (Vec::new(), Vec::new());
    let (mut windows, mut real) = (0u64, 0u64);
    let mut used = vec![false; source.vocab().len()];
    while let Some(result) = packer.next_window(&mut tokens, &mut mask) {
        result?;
        windows += 1;
        real += mask.iter().filter(|&&m| m > 0.0).count() as u64;
        for (&token, &m) in tokens[1..].iter().zip(&mask) {
            used[token as usize] |= m > 0.0;
        }
    }
    Ok(Schedule {
        exposures,
        docs_per_round: source.docs_per_entry(),
        windows,
        batch,
        context,
        steps: windows.div_ceil(batch as u64),
        tokens: real,
        vocab_used: used.iter().filter(|&&u| u).count(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::data::biod::Biod;
    use crate::suite::BiodSpec;

    fn biod(people: usize, entries: u32) -> Biod {
        let spec = BiodSpec {
            name: "t".into(),
            people,
            attributes: 2,
            chunks: 1,
            diversity: 4,
            length: 1,
            alphabet: 8,
            name_pools: [10, 10, 10],
            entries,
            sha256: None,
        };
        Biod::new(&spec, 4)
    }

    /// Splits a window into its documents (the runs between `<eos>` tokens).
    fn docs_in(window: &[u32]) -> Vec<Vec<u32>> {
        window
            .split(|&t| t == 0)
            .filter(|d| !d.is_empty() && d[0] != 1)
            .map(<[u32]>::to_vec)
            .collect()
    }

    #[test]
    fn rounds_expose_every_person_once_and_windows_never_repeat_a_person() {
        let source = biod(37, 3);
        let mut packer = Packer::new(&source, 40, LossMask::AllTokens, 1, 5);
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        let mut exposures: HashMap<Vec<u32>, u32> = HashMap::new();
        while let Some(result) = packer.next_window(&mut tokens, &mut mask) {
            result.unwrap();
            assert_eq!((tokens.len(), mask.len()), (41, 40));
            let names: Vec<Vec<u32>> = docs_in(&tokens).iter().map(|d| d[..3].to_vec()).collect();
            assert_eq!(
                names.iter().collect::<HashSet<_>>().len(),
                names.len(),
                "a person twice in one window"
            );
            for name in names {
                *exposures.entry(name).or_default() += 1;
            }
        }
        assert_eq!(exposures.len(), 37);
        assert!(
            exposures.values().all(|&n| n == 5),
            "5 exposures each: {exposures:?}"
        );
    }

    #[test]
    fn schedule_counts_steps_from_windows() {
        let source = biod(50, 1);
        let plan = schedule(&source, 64, 4, 1, 10).unwrap();
        assert_eq!(plan.steps, plan.windows.div_ceil(4));
        let mut packer = Packer::new(&source, 64, LossMask::AllTokens, 1, 10);
        let mut batches = 0;
        while let Some(batch) = packer.next_batch(4) {
            let batch = batch.unwrap();
            assert_eq!(batch.inputs.len(), 4 * 64);
            assert_eq!(
                &batch.inputs[1..64],
                &batch.targets[..63],
                "targets are inputs shifted by one"
            );
            batches += 1;
        }
        assert_eq!(batches, plan.steps);
    }

    #[test]
    fn values_only_mask_covers_exactly_the_value_tokens() {
        let source = biod(5, 1);
        let mut packer = Packer::new(&source, 64, LossMask::ValuesOnly, 1, 1);
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        packer.next_window(&mut tokens, &mut mask).unwrap().unwrap();
        let value_ids: HashSet<u32> = (0..8)
            .map(|t| source.vocab().id(&format!("t{t}")))
            .collect();
        for (j, &m) in mask.iter().enumerate() {
            assert_eq!(m > 0.0, value_ids.contains(&tokens[j + 1]), "position {j}");
        }
    }

    #[test]
    fn a_document_longer_than_the_window_is_an_error() {
        let source = biod(3, 1);
        let mut packer = Packer::new(&source, 8, LossMask::AllTokens, 1, 1);
        let error = packer.next_batch(2).unwrap().unwrap_err();
        assert!(error.contains("does not fit"), "{error}");
    }
}

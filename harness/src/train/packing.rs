//! From documents to training windows: global shuffle, whole-document packing, loss masks.
//!
//! Training proceeds in *rounds*. Round r is one exposure of every person: the documents of entry
//! `r mod entries` in a fresh random order (key `train/shuffle`, index r). A round's documents are
//! packed greedily, whole, into windows of `context + 1` tokens laid out as
//! `<eos> doc <eos> doc … <eos> <pad>…`, and no window spans two rounds. Hence, by construction,
//! one window never holds two copies of the same person's text (such windows would let the
//! model copy in context instead of memorising).
//! Packing whole documents, rather than cutting a stream at fixed offsets, keeps every name at the
//! start of its text, where the capacity metric reads it.
//!
//! [`Packing::Stream`] instead concatenates a round's documents into one stream
//! `<eos> doc <eos> doc <eos> …` and cuts it into windows that overlap by one token (a window's
//! last target is the next window's first input), as Part 1's code does: no padding except at the
//! end of a round, and documents may straddle windows. Rounds still never share a window.
//! [`Packing::DocumentStarts`] packs the same way but opens every window at a document start:
//! the rest of a document cut by a window's end is dropped.
//!
//! Sources with several [kinds](DocSource::kind) of documents (Part 3.1's mixed training) get
//! windows of one kind each: a window takes the kind of its first document, and documents of
//! other kinds met while filling it wait, in order, for a window of their own. Waiting documents
//! are placed before the next round starts. A source of one kind packs exactly as before.

use std::collections::VecDeque;

use crate::data::rng::{StreamKey, shuffle};
use crate::data::{Doc, DocSource, SpanKind};
use crate::spec::{LossMask, Packing};

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
    packing: Packing,
    shuffle_key: StreamKey,
    exposures: u32,
    round: u32,
    order: Vec<u64>,
    next_doc: usize,
    doc: Doc,
    /// The kind of `doc`.
    doc_kind: u8,
    /// A document read but not yet (wholly) placed.
    pending: bool,
    /// Per kind, documents read while filling a window of another kind.
    waiting: Vec<VecDeque<Doc>>,
    /// The round ended with documents still waiting: no new round until they are placed.
    draining: bool,
    /// Stream packing: tokens of the pending document already placed (its `<eos>` is token
    /// `doc.tokens.len()`).
    cursor: usize,
    /// Stream packing: the last token of the previous full window, which starts the next one.
    carry: Option<u32>,
}

impl<'a> Packer<'a> {
    pub fn new(
        source: &'a dyn DocSource,
        context: usize,
        mask: LossMask,
        packing: Packing,
        seed: u64,
        exposures: u32,
    ) -> Self {
        Self {
            source,
            context,
            mask,
            packing,
            shuffle_key: StreamKey::new(seed, &["train", "shuffle"]),
            exposures,
            round: 0,
            order: Vec::new(),
            next_doc: 0,
            doc: Doc::default(),
            doc_kind: 0,
            pending: false,
            waiting: vec![VecDeque::new(); usize::from(source.kinds())],
            draining: false,
            cursor: 0,
            carry: None,
        }
    }

    /// Makes the next document of the current round pending; `false` when the round (or the
    /// whole run) is over. A finished round advances `round`, so the caller can close its window.
    fn fetch_document(&mut self) -> bool {
        if self.round >= self.exposures {
            return false;
        }
        if self.order.is_empty() {
            self.start_round();
        }
        if self.next_doc == self.order.len() {
            self.round += 1;
            self.order.clear();
            self.next_doc = 0;
            return false;
        }
        let index = self.order[self.next_doc];
        self.source.doc(index, &mut self.doc);
        self.doc_kind = self.source.kind(index);
        self.next_doc += 1;
        self.pending = true;
        self.cursor = 0;
        true
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
        let eos = self.source.vocab().eos();
        tokens.clear();
        mask.clear();
        if self.waiting.len() > 1 && self.packing != Packing::WholeDocuments {
            return Some(Err(
                "a dataset of several document kinds needs packing `whole-documents`".into(),
            ));
        }
        match self.packing {
            Packing::WholeDocuments => {
                tokens.push(eos);
                self.fill_whole_window(tokens, mask)
            }
            Packing::Stream => {
                // A round's stream starts with <eos>; after a full window, with that window's
                // last token.
                tokens.push(self.carry.take().unwrap_or(eos));
                self.fill_stream_window(tokens, mask)
            }
            Packing::DocumentStarts => {
                // Drop what the previous window cut off.
                self.pending = false;
                self.carry = None;
                tokens.push(eos);
                self.fill_stream_window(tokens, mask)
            }
        }
    }

    /// Continues a window that holds its first token.
    fn fill_stream_window(
        &mut self,
        tokens: &mut Vec<u32>,
        mask: &mut Vec<f32>,
    ) -> Option<Result<(), String>> {
        let (eos, pad) = (self.source.vocab().eos(), self.source.vocab().pad());
        while tokens.len() < self.context + 1 {
            if !self.pending && !self.fetch_document() {
                // A window never spans two rounds: close it, unless nothing is in it yet (then
                // its one token is the <eos> that ended the previous round).
                if tokens.len() > 1 || self.round >= self.exposures {
                    break;
                }
                continue;
            }
            let document = &self.doc.tokens;
            let room = self.context + 1 - tokens.len();
            let end = (self.cursor + room).min(document.len() + 1);
            for i in self.cursor..end {
                tokens.push(document.get(i).copied().unwrap_or(eos));
            }
            self.cursor = end;
            self.pending = end <= document.len();
        }
        if tokens.len() == 1 {
            return None;
        }
        if self.mask == LossMask::ValuesOnly {
            return Some(Err(
                "loss_mask `values-only` needs packing `whole-documents`".into(),
            ));
        }
        mask.resize(tokens.len() - 1, 1.0);
        if tokens.len() == self.context + 1 {
            self.carry = tokens.last().copied();
        }
        tokens.resize(self.context + 1, pad);
        mask.resize(self.context, 0.0);
        Some(Ok(()))
    }

    /// Continues a window that holds its opening `<eos>`.
    fn fill_whole_window(
        &mut self,
        tokens: &mut Vec<u32>,
        mask: &mut Vec<f32>,
    ) -> Option<Result<(), String>> {
        let (eos, pad) = (self.source.vocab().eos(), self.source.vocab().pad());
        // A document left over from the previous window opens this one.
        let mut kind = self.pending.then_some(self.doc_kind);
        loop {
            if !self.pending && !self.next_document_of(&mut kind) {
                // A window never spans two rounds.
                let done = self.round >= self.exposures && !self.draining;
                if tokens.len() > 1 || done {
                    break;
                }
                continue;
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
                        .filter(|s| matches!(s.kind, SpanKind::Value(_) | SpanKind::Answer))
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

    /// Makes the next document for a window of `kind` pending; the window's first document sets
    /// `kind`, from the longest waiting line if any. Documents of other kinds read on the way
    /// wait for their own windows. `false` when the round has no more for this window.
    fn next_document_of(&mut self, kind: &mut Option<u8>) -> bool {
        let longest = || {
            (0..self.waiting.len())
                .filter(|&k| !self.waiting[k].is_empty())
                .max_by_key(|&k| (self.waiting[k].len(), std::cmp::Reverse(k)))
        };
        if kind.is_none() {
            *kind = longest().map(|k| k as u8);
        }
        if let Some(k) = *kind
            && let Some(doc) = self.waiting[usize::from(k)].pop_front()
        {
            (self.doc, self.doc_kind, self.pending) = (doc, k, true);
            return true;
        }
        if self.draining {
            // The round is over; once nothing waits, the next round may start.
            self.draining = self.waiting.iter().any(|line| !line.is_empty());
            return false;
        }
        loop {
            if !self.fetch_document() {
                self.draining = self.waiting.iter().any(|line| !line.is_empty());
                return false;
            }
            let k = *kind.get_or_insert(self.doc_kind);
            if self.doc_kind == k {
                return true;
            }
            let doc = std::mem::take(&mut self.doc);
            self.waiting[usize::from(self.doc_kind)].push_back(doc);
            self.pending = false;
        }
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
    packing: Packing,
    seed: u64,
    exposures: u32,
) -> Result<Schedule, String> {
    let mut packer = Packer::new(
        source,
        context,
        LossMask::AllTokens,
        packing,
        seed,
        exposures,
    );
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
#[path = "packing_tests.rs"]
mod tests;

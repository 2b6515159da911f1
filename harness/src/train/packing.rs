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
    /// A document read but not yet (wholly) placed.
    pending: bool,
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
            pending: false,
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
        self.source.doc(self.order[self.next_doc], &mut self.doc);
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
        loop {
            if !self.pending && !self.fetch_document() {
                // A window never spans two rounds.
                if tokens.len() > 1 || self.round >= self.exposures {
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
mod tests {
    use std::collections::{HashMap, HashSet};

    use super::*;
    use crate::data::biod::Biod;
    use crate::spec::BiodSpec;

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
        let mut packer = Packer::new(
            &source,
            40,
            LossMask::AllTokens,
            Packing::WholeDocuments,
            1,
            5,
        );
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
        let plan = schedule(&source, 64, 4, Packing::WholeDocuments, 1, 10).unwrap();
        assert_eq!(plan.steps, plan.windows.div_ceil(4));
        let mut packer = Packer::new(
            &source,
            64,
            LossMask::AllTokens,
            Packing::WholeDocuments,
            1,
            10,
        );
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
        let mut packer = Packer::new(
            &source,
            64,
            LossMask::ValuesOnly,
            Packing::WholeDocuments,
            1,
            1,
        );
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        packer.next_window(&mut tokens, &mut mask).unwrap().unwrap();
        let value_ids: HashSet<u32> = (0..8)
            .map(|t| source.vocab().id(&format!("t{t}")))
            .collect();
        for (j, &m) in mask.iter().enumerate() {
            assert_eq!(m > 0.0, value_ids.contains(&tokens[j + 1]), "position {j}");
        }
    }

    /// Stream windows, with their one-token overlaps removed, are each round's documents in the
    /// shuffled order, `<eos>`-separated; only a round's last window has padding.
    #[test]
    fn stream_windows_concatenate_to_each_rounds_documents() {
        // Documents of 15 tokens + <eos>: windows of 12 cut inside documents, and a round's
        // 7 × 16 = 112 tokens leave a partial last window.
        let source = biod(7, 2);
        let context = 12;
        let mut packer = Packer::new(&source, context, LossMask::AllTokens, Packing::Stream, 3, 2);
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        let mut rounds: Vec<Vec<u32>> = vec![Vec::new()];
        while let Some(result) = packer.next_window(&mut tokens, &mut mask) {
            result.unwrap();
            let real = mask.iter().filter(|&&m| m > 0.0).count();
            assert!(
                mask[..real].iter().all(|&m| m == 1.0),
                "loss on every real token"
            );
            let stream = rounds.last_mut().unwrap();
            if stream.is_empty() {
                stream.push(tokens[0]);
            }
            stream.extend_from_slice(&tokens[1..=real]);
            if real < context {
                rounds.push(Vec::new());
            }
        }
        rounds.pop();
        assert_eq!(rounds.len(), 2, "one padded window closes each round");
        for (round, stream) in rounds.iter().enumerate() {
            let mut expected = vec![0];
            let mut order: Vec<u64> = (0..7).map(|p| p + 7 * (round as u64 % 2)).collect();
            shuffle(
                &mut StreamKey::new(3, &["train", "shuffle"]).rng(round as u64, 0),
                &mut order,
            );
            let mut doc = Doc::default();
            for index in order {
                source.doc(index, &mut doc);
                expected.extend_from_slice(&doc.tokens);
                expected.push(0);
            }
            assert_eq!(stream, &expected, "round {round}");
        }
        let plan = schedule(&source, context, 4, Packing::Stream, 3, 2).unwrap();
        let total: usize = rounds.iter().map(|s| s.len() - 1).sum();
        assert_eq!(plan.tokens, total as u64);
    }

    /// Document-start windows open with `<eos>` and a whole document's beginning, hold the
    /// round's documents in order each cut at most once (at the window's end), and never pad
    /// except a round's last window.
    #[test]
    fn document_start_windows_open_at_documents_and_drop_cut_rests() {
        let source = biod(7, 1);
        let context = 20;
        let packing = Packing::DocumentStarts;
        let mut packer = Packer::new(&source, context, LossMask::AllTokens, packing, 3, 1);
        let mut order: Vec<u64> = (0..7).collect();
        shuffle(
            &mut StreamKey::new(3, &["train", "shuffle"]).rng(0, 0),
            &mut order,
        );
        let documents: Vec<Vec<u32>> = order
            .iter()
            .map(|&index| {
                let mut doc = Doc::default();
                source.doc(index, &mut doc);
                doc.tokens
            })
            .collect();
        let (mut tokens, mut mask) = (Vec::new(), Vec::new());
        let mut next = 0;
        let mut windows = 0;
        while let Some(result) = packer.next_window(&mut tokens, &mut mask) {
            result.unwrap();
            windows += 1;
            let real = mask.iter().filter(|&&m| m > 0.0).count();
            assert_eq!(tokens[0], 0, "opens with <eos>");
            let mut expected = vec![0];
            while expected.len() < context + 1 && next < documents.len() {
                expected.extend_from_slice(&documents[next]);
                expected.push(0);
                next += 1;
            }
            expected.truncate(context + 1);
            assert_eq!(&tokens[..=real], &expected[..], "window {windows}");
            if real < context {
                assert_eq!(next, documents.len(), "only the round's last window pads");
            }
        }
        assert_eq!(next, documents.len());
        // 16-token documents (15 + <eos>) in windows of 21: one whole and a cut one each.
        assert_eq!(windows, 4);
    }

    #[test]
    fn a_document_longer_than_the_window_is_an_error() {
        let source = biod(3, 1);
        let mut packer = Packer::new(
            &source,
            8,
            LossMask::AllTokens,
            Packing::WholeDocuments,
            1,
            1,
        );
        let error = packer.next_batch(2).unwrap().unwrap_err();
        assert!(error.contains("does not fit"), "{error}");
    }
}

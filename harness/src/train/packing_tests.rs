//! Tests of `packing.rs`: rounds, kinds, masks, stream cuts and schedules.

use std::collections::{HashMap, HashSet};

use super::*;
use crate::data::biod::Biod;
use crate::data::biod::BiodSpec;

fn biod(people: usize, entries: u32) -> Biod {
    let spec = BiodSpec {
        people,
        attributes: 2,
        chunks: 1,
        diversity: 4,
        length: 1,
        alphabet: 8,
        name_pools: [10, 10, 10],
        entries,
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

/// A source whose every third document is of a second kind.
struct TwoKinds(Biod);

impl DocSource for TwoKinds {
    fn vocab(&self) -> &crate::data::Vocab {
        self.0.vocab()
    }
    fn people(&self) -> usize {
        self.0.people()
    }
    fn entries(&self) -> u32 {
        self.0.entries()
    }
    fn docs_per_entry(&self) -> u64 {
        self.0.docs_per_entry()
    }
    fn doc(&self, index: u64, doc: &mut Doc) {
        self.0.doc(index, doc)
    }
    fn kinds(&self) -> u8 {
        2
    }
    fn kind(&self, index: u64) -> u8 {
        u8::from(index.is_multiple_of(3))
    }
}

#[test]
fn windows_hold_one_kind_and_every_document_is_placed_once_per_round() {
    let source = TwoKinds(biod(37, 1));
    let mut kind_of = HashMap::new();
    let mut doc = Doc::default();
    for index in 0..source.num_docs() {
        source.doc(index, &mut doc);
        kind_of.insert(doc.tokens.clone(), source.kind(index));
    }
    let mut packer = Packer::new(
        &source,
        40,
        LossMask::AllTokens,
        Packing::WholeDocuments,
        1,
        6,
    );
    let (mut tokens, mut mask) = (Vec::new(), Vec::new());
    let mut placed: HashMap<Vec<u32>, u32> = HashMap::new();
    let mut kinds_seen = HashSet::new();
    while let Some(result) = packer.next_window(&mut tokens, &mut mask) {
        result.unwrap();
        let docs = docs_in(&tokens);
        let kinds: HashSet<u8> = docs.iter().map(|d| kind_of[d]).collect();
        assert_eq!(kinds.len(), 1, "one kind per window");
        kinds_seen.extend(kinds);
        // A person appears once per round, so twice in a window means two rounds mixed.
        let names: HashSet<&[u32]> = docs.iter().map(|d| &d[..3]).collect();
        assert_eq!(names.len(), docs.len(), "a window spans two rounds");
        for d in docs {
            *placed.entry(d).or_default() += 1;
        }
    }
    assert_eq!(kinds_seen.len(), 2);
    assert_eq!(placed.len() as u64, source.num_docs());
    assert!(placed.values().all(|&n| n == 6), "{placed:?}");
}

#[test]
fn several_kinds_need_whole_documents() {
    let source = TwoKinds(biod(5, 1));
    let mut packer = Packer::new(&source, 40, LossMask::AllTokens, Packing::Stream, 1, 1);
    let error = packer.next_window(&mut Vec::new(), &mut Vec::new());
    assert!(matches!(error, Some(Err(e)) if e.contains("whole-documents")));
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

//! P-probing (Part 3.1, arXiv:2309.14316, §5, Result 4): is each attribute of a person linearly
//! decodable from a pretrained model's hidden state *before* the biography states it?
//!
//! For every person's first biography, the probe reads the last hidden layer at the token right
//! before each attribute value (the position whose output is the value's first token) — six
//! positions, in the order the biography mentions the attributes — and predicts all six
//! attributes there. A model that stored "person → employer" reads the employer off the name and
//! gets it at every position; one that only learnt "this sentence continues with that employer"
//! gets it only at the employer's own position and after. The paper's Fig. 5 shows exactly this
//! split between bioS `single` and `multi5+permute`.
//!
//! plm's probe is a linear map fitted in closed form (ridge least squares on one-hot classes) on
//! the people of the QA `train` half and scored on the `test` half; the paper trains a linear
//! head plus a rank-2 embedding update, which can only read more. The same probe on a randomly
//! initialised model of the same shape is the control. Classes are the attribute's whole value,
//! except the birth date, whose first token (the month) is the class as in the paper.
//!
//! Q-probing (§6, Result 5) reads the same attributes off `<bos>` and the full name alone, at the
//! name's last token: what a question could retrieve before any biography text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::data::bios::in_test_split;
use crate::data::pools::ATTRIBUTES;
use crate::data::{Doc, DocSource, SpanKind};
use crate::model::Gpt;
use crate::model::decode::padded_input;
use crate::parts::linear_probe::{feature_row, hidden_values, least_squares};

/// Biographies run through a model at once.
const BATCH: usize = 32;

/// Probe accuracies by position and attribute.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProbeCurves {
    /// `trained[k][a]`: accuracy on attribute `a` at the position before the biography's `k`-th
    /// attribute value (0 = before the first, where only the name and a few words are read).
    pub trained: Vec<Vec<f64>>,
    /// The same probe on the untrained control model.
    pub control: Vec<Vec<f64>>,
    /// Per attribute, the share of the commonest class among the scored people (always
    /// guessing it scores this).
    pub majority: Vec<f64>,
    /// Q-probe: per attribute, the accuracy read off the hidden state at the last token of
    /// `<bos> name` alone (the paper's §6), for the model and for the control.
    pub from_name: Vec<f64>,
    pub from_name_control: Vec<f64>,
    pub fitted_people: usize,
    pub scored_people: usize,
}

/// One biography as the probe sees it: the model's input row and, in the order the text states
/// them, each attribute value's read position (the input position holding the token just before
/// the value) with the attribute.
pub struct Probed {
    pub row: Vec<u32>,
    pub reads: Vec<(usize, usize)>,
    /// Each attribute's class key: its value's tokens (the birth date's first token only).
    pub keys: Vec<Vec<u32>>,
    /// `<bos>` and the person's full name: the Q-probe's input, read at its last token.
    pub name_row: Vec<u32>,
}

impl Probed {
    /// `<bos> tokens` as the model reads it; document token `j` sits at input position `j + 1`,
    /// so the token before a value starting at `s` is at input position `s`.
    pub fn new(doc: &Doc, bos: u32) -> Self {
        let mut values: Vec<(usize, usize, usize)> = doc
            .spans
            .iter()
            .filter_map(|span| match span.kind {
                // The gender's span (the first pronoun) is not one of the six attributes.
                SpanKind::Value(a) if usize::from(a) < ATTRIBUTES.len() => {
                    Some((span.start as usize, span.end as usize, a.into()))
                }
                _ => None,
            })
            .collect();
        values.sort_unstable();
        let mut keys = vec![Vec::new(); ATTRIBUTES.len()];
        for &(start, end, a) in &values {
            if keys[a].is_empty() {
                let end = if a == 0 { start + 1 } else { end };
                keys[a] = doc.tokens[start..end].to_vec();
            }
        }
        let mut row = vec![bos];
        row.extend_from_slice(&doc.tokens);
        let name = doc
            .spans
            .iter()
            .find(|span| span.kind == SpanKind::Name)
            .expect("a biography names its person");
        let name_row = row[..=name.end as usize].to_vec();
        Probed {
            row,
            reads: values.iter().map(|&(start, _, a)| (start, a)).collect(),
            keys,
            name_row,
        }
    }
}

/// Probes `trained` and `control` on the first biography of every person of `source`.
pub fn measure(
    trained: &Gpt,
    control: &Gpt,
    source: &dyn DocSource,
    seed: u64,
    bos: u32,
    pad: u32,
) -> ProbeCurves {
    let mut doc = Doc::default();
    let probed: Vec<Probed> = (0..source.docs_per_entry())
        .map(|person| {
            source.doc(person, &mut doc);
            Probed::new(&doc, bos)
        })
        .collect();
    let classes = Classes::new(&probed);
    let (fit, score): (Vec<usize>, Vec<usize>) =
        (0..probed.len()).partition(|&person| !in_test_split(seed, person));
    // One probe per read: fitted on the train half's rows, scored on the test half's.
    let targets: Vec<f64> = fit.iter().flat_map(|&p| classes.one_hot(p)).collect();
    let probe = |rows: &dyn Fn(usize) -> Vec<f64>| {
        let fitted: Vec<Vec<f64>> = fit.iter().map(|&p| rows(p)).collect();
        let weights = least_squares(&fitted, &targets, classes.width);
        let scored: Vec<Vec<f64>> = score.iter().map(|&p| rows(p)).collect();
        classes.accuracies(&scored, &score, &weights)
    };
    let in_biographies: Vec<Input> = probed
        .iter()
        .map(|p| (p.row.as_slice(), p.reads.iter().map(|r| r.0).collect()))
        .collect();
    let from_names: Vec<Input> = probed
        .iter()
        .map(|p| (p.name_row.as_slice(), vec![p.name_row.len() - 1]))
        .collect();
    let curves = |model: &Gpt| {
        let features = features(model, &in_biographies, pad);
        (0..ATTRIBUTES.len())
            .map(|k| probe(&|p| features[p][k].clone()))
            .collect::<Vec<Vec<f64>>>()
    };
    let from_name = |model: &Gpt| {
        let features = features(model, &from_names, pad);
        probe(&|p| features[p][0].clone())
    };
    ProbeCurves {
        trained: curves(trained),
        control: curves(control),
        majority: classes.majority(&score),
        from_name: from_name(trained),
        from_name_control: from_name(control),
        fitted_people: fit.len(),
        scored_people: score.len(),
    }
}

/// A model input and the positions whose hidden states a probe reads.
type Input<'a> = (&'a [u32], Vec<usize>);

/// For each input, the last hidden layer at its read positions, each row with a trailing 1 for
/// the bias.
fn features(model: &Gpt, inputs: &[Input], pad: u32) -> Vec<Vec<Vec<f64>>> {
    let mut out = Vec::with_capacity(inputs.len());
    for group in inputs.chunks(BATCH) {
        let width = group.iter().map(|(row, _)| row.len()).max().unwrap_or(1);
        let rows: Vec<&[u32]> = group.iter().map(|(row, _)| *row).collect();
        let input = padded_input(&rows, width, pad, &model.device());
        let (values, d) = hidden_values(model, input);
        for (r, (_, reads)) in group.iter().enumerate() {
            let rows = reads
                .iter()
                .map(|&position| feature_row(&values, (r * width + position) * d, d))
                .collect();
            out.push(rows);
        }
    }
    out
}

/// Every attribute's classes (its distinct keys, in sorted order) side by side as one-hot
/// columns, and each person's class per attribute.
struct Classes {
    /// First column of each attribute, and one past the last attribute's.
    offsets: Vec<usize>,
    width: usize,
    /// `truth[person][a]`: the class of attribute `a` within its columns.
    truth: Vec<Vec<usize>>,
}

impl Classes {
    fn new(probed: &[Probed]) -> Self {
        let mut offsets = vec![0];
        let mut truth = vec![Vec::new(); probed.len()];
        for a in 0..ATTRIBUTES.len() {
            let ids: BTreeMap<&[u32], usize> = probed
                .iter()
                .map(|p| p.keys[a].as_slice())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .enumerate()
                .map(|(id, key)| (key, id))
                .collect();
            for (person, p) in probed.iter().enumerate() {
                truth[person].push(ids[p.keys[a].as_slice()]);
            }
            offsets.push(offsets[a] + ids.len());
        }
        Classes {
            width: offsets[ATTRIBUTES.len()],
            offsets,
            truth,
        }
    }

    fn one_hot(&self, person: usize) -> Vec<f64> {
        let mut row = vec![0.0; self.width];
        for (a, &class) in self.truth[person].iter().enumerate() {
            row[self.offsets[a] + class] = 1.0;
        }
        row
    }

    /// Per attribute, the share of `people` whose largest probe output among the attribute's
    /// columns is their class.
    fn accuracies(&self, rows: &[Vec<f64>], people: &[usize], weights: &[Vec<f64>]) -> Vec<f64> {
        let mut right = vec![0usize; ATTRIBUTES.len()];
        for (x, &person) in rows.iter().zip(people) {
            let scores: Vec<f64> = weights
                .iter()
                .map(|w| x.iter().zip(w).map(|(a, b)| a * b).sum())
                .collect();
            for (a, hits) in right.iter_mut().enumerate() {
                let columns = &scores[self.offsets[a]..self.offsets[a + 1]];
                let guess = (0..columns.len())
                    .max_by(|&i, &j| columns[i].total_cmp(&columns[j]))
                    .expect("an attribute has classes");
                *hits += usize::from(guess == self.truth[person][a]);
            }
        }
        right
            .iter()
            .map(|&hits| hits as f64 / people.len().max(1) as f64)
            .collect()
    }

    fn majority(&self, people: &[usize]) -> Vec<f64> {
        (0..ATTRIBUTES.len())
            .map(|a| {
                let mut counts = BTreeMap::new();
                for &person in people {
                    *counts.entry(self.truth[person][a]).or_insert(0usize) += 1;
                }
                let most = counts.values().copied().max().unwrap_or(0);
                most as f64 / people.len().max(1) as f64
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bios::BiosSpec;
    use crate::data::bios::{Bios, lexicon};

    /// Each read position holds the token just before its value and the next input token is
    /// the value's first; reads follow the text's order, cover the six attributes once, and the
    /// keys are the values' tokens — on canonical and on permuted biographies.
    #[test]
    fn probe_positions_point_at_the_token_before_each_value() {
        let bos = lexicon().vocab.eos();
        for augmentation in ["single", "multi5+permute"] {
            let spec = BiosSpec {
                people: 40,
                pools: None,
                augmentation: augmentation.into(),
                entries: None,
            };
            let source = Bios::new(&spec, 3);
            let mut doc = Doc::default();
            let mut orders = std::collections::BTreeSet::new();
            for person in 0..40 {
                source.doc(person, &mut doc);
                let probed = Probed::new(&doc, bos);
                let attributes: Vec<usize> = probed.reads.iter().map(|&(_, a)| a).collect();
                let mut sorted = attributes.clone();
                sorted.sort_unstable();
                assert_eq!(sorted, [0, 1, 2, 3, 4, 5]);
                orders.insert(attributes);
                let name = doc.spans.iter().find(|s| s.kind == SpanKind::Name).unwrap();
                assert_eq!(probed.name_row[0], bos);
                assert_eq!(
                    probed.name_row[1..],
                    doc.tokens[name.start as usize..name.end as usize]
                );
                let positions: Vec<usize> = probed.reads.iter().map(|&(p, _)| p).collect();
                assert!(positions.windows(2).all(|w| w[0] < w[1]), "text order");
                for span in &doc.spans {
                    let SpanKind::Value(a) = span.kind else {
                        continue;
                    };
                    if usize::from(a) >= ATTRIBUTES.len() {
                        continue;
                    }
                    let (start, end) = (span.start as usize, span.end as usize);
                    let &(read, _) = probed.reads.iter().find(|r| r.1 == usize::from(a)).unwrap();
                    assert_eq!(read, start, "the read position is the value's start");
                    assert_eq!(probed.row[read], doc.tokens[start - 1], "token before");
                    assert_eq!(probed.row[read + 1], doc.tokens[start], "value's first");
                    let key = if a == 0 { start + 1 } else { end };
                    assert_eq!(probed.keys[usize::from(a)], doc.tokens[start..key]);
                }
            }
            let permuted = augmentation.contains("permute");
            assert_eq!(orders.len() > 1, permuted, "{augmentation}: {orders:?}");
        }
    }
}

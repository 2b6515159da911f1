//! Bits of knowledge a model stores (Part 3.3 §3–4), measured exactly as the paper defines them.
//!
//! Three losses on the training people, in nats, each the *sum* of token cross-entropies over a
//! span (never the mean, so the numbers do not depend on the tokenizer):
//! - p1: over the full name at the start of the person's text (predicted after `<eos>`),
//!   averaged over people;
//! - p2: over the attribute values in context; bioS: summed over the attribute set (birth date,
//!   birth city, university, major, employer, gender; company city excluded because it follows
//!   from the employer) and averaged over people; bioD: averaged over (person, attribute) pairs;
//! - p3 (bioD): as p2 but over the first chunk of each value only.
//!
//! Then, with logs base 2 and p converted by ln 2:
//! - bioS: bits = N·(log2 N0 − p1/ln2) + N·(log2 S0 − p2/ln2);
//! - bioD: bits = N·log2(N0/e^p1) + N·K·log2(D^C/e^p2) + K·D·log2(T^L/(D·e^p3)).
//!
//! R = bits / P, and R^max is the same with p1 = ln N, p2 = p3 = 0.

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::data::{Doc, DocSource, SpanKind, pools};
use crate::model::Gpt;
use crate::model::decode::{input, values};

/// The measured losses (nats, summed over span tokens, averaged as described above).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Losses {
    pub p1: f64,
    pub p2: f64,
    /// bioD only; 0 for bioS.
    pub p3: f64,
}

/// The sizes a capacity computation needs.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Knowledge {
    /// bioS(N): names from N0, attribute tuples from S0.
    Bios { n: f64, n0: f64, s0: f64 },
    /// bioD(N, K, C, D, L, T) with names from N0.
    Biod {
        n: f64,
        n0: f64,
        k: f64,
        c: f64,
        d: f64,
        l: f64,
        t: f64,
    },
}

/// The bits of a measurement split as Part 3.3 splits them (its Fig. 13): names, values and
/// bioD's diversity sets. Each can be negative when the model predicts worse than the uniform
/// baseline; the total is then a vacuous lower bound.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BitTerms {
    pub name: f64,
    pub value: f64,
    /// bioD only; 0 for bioS.
    pub diversity: f64,
}

impl BitTerms {
    pub fn total(&self) -> f64 {
        self.name + self.value + self.diversity
    }
}

impl Knowledge {
    /// The three terms of the bits stored, given the measured losses.
    pub fn terms(&self, losses: &Losses) -> BitTerms {
        let ln2 = std::f64::consts::LN_2;
        match *self {
            Knowledge::Bios { n, n0, s0 } => BitTerms {
                name: n * (n0.log2() - losses.p1 / ln2),
                value: n * (s0.log2() - losses.p2 / ln2),
                diversity: 0.0,
            },
            Knowledge::Biod {
                n,
                n0,
                k,
                c,
                d,
                l,
                t,
            } => BitTerms {
                name: n * (n0.log2() - losses.p1 / ln2),
                value: n * k * (c * d.log2() - losses.p2 / ln2),
                diversity: k * d * (l * t.log2() - d.log2() - losses.p3 / ln2),
            },
        }
    }

    /// Bits stored given the measured losses: the sum of the [`BitTerms`].
    pub fn bits(&self, losses: &Losses) -> f64 {
        self.terms(losses).total()
    }

    /// N, the number of people.
    pub fn people(&self) -> f64 {
        match *self {
            Knowledge::Bios { n, .. } | Knowledge::Biod { n, .. } => n,
        }
    }

    /// The most bits the data holds: p1 = ln N, p2 = p3 = 0.
    pub fn max_bits(&self) -> f64 {
        self.bits(&Losses {
            p1: self.people().ln(),
            p2: 0.0,
            p3: 0.0,
        })
    }
}

/// Which value spans count towards p2 for a source (bioS: the attribute set without company
/// city; bioD: every attribute) and how long a first chunk is (bioD's L).
pub struct ValueSpans {
    pub counted: fn(u16) -> bool,
    /// Tokens of the first chunk, for p3; `None` for bioS.
    pub first_chunk: Option<usize>,
    /// Value spans per person: p2 is the sum over them (bioS) or their mean (bioD).
    pub per_person_sum: bool,
}

pub fn bios_spans() -> ValueSpans {
    ValueSpans {
        counted: |a| a != 5 && a <= pools::GENDER,
        first_chunk: None,
        per_person_sum: true,
    }
}

pub fn biod_spans(chunk_tokens: usize) -> ValueSpans {
    ValueSpans {
        counted: |_| true,
        first_chunk: Some(chunk_tokens),
        per_person_sum: false,
    }
}

/// A window of documents: its tokens, and where each document starts in them.
type Window = (Vec<u32>, Vec<(usize, Doc)>);

/// Measures p1, p2, p3 on one document (entry 0) per person, `batch` windows at a time;
/// `progress` advances by one per person.
pub fn measure(
    model: &Gpt,
    source: &dyn DocSource,
    spans: &ValueSpans,
    context: usize,
    batch: usize,
    progress: &ProgressBar,
) -> Losses {
    let device = model.device();
    let eos = source.vocab().eos();
    let people = source.docs_per_entry();
    // Each window: <eos> doc <eos> doc ...; remember where every document starts.
    let mut windows: Vec<Window> = Vec::new();
    let mut current: Window = (vec![eos], Vec::new());
    for person in 0..people {
        let mut doc = Doc::default();
        source.doc(person, &mut doc);
        if current.0.len() + doc.tokens.len() + 1 > context + 1 {
            windows.push(std::mem::replace(&mut current, (vec![eos], Vec::new())));
        }
        let offset = current.0.len();
        current.0.extend_from_slice(&doc.tokens);
        current.0.push(eos);
        current.1.push((offset, doc));
    }
    windows.push(current);

    let (mut name, mut value, mut first, mut value_spans) = (0.0f64, 0.0f64, 0.0f64, 0usize);
    for group in windows.chunks(batch) {
        let rows = group.len();
        let mut inputs = Vec::with_capacity(rows * context);
        let mut targets = Vec::with_capacity(rows * context);
        for (tokens, _) in group {
            let mut padded = tokens.clone();
            padded.resize(context + 1, source.vocab().pad());
            inputs.extend_from_slice(&padded[..context]);
            targets.extend_from_slice(&padded[1..]);
        }
        let losses = values(model.token_losses(
            input(&inputs, rows, context, &device),
            input(&targets, rows, context, &device),
        ));
        progress.inc(group.iter().map(|(_, docs)| docs.len() as u64).sum());
        for (row, (_, docs)) in group.iter().enumerate() {
            // The loss of token at window position j sits at target index j - 1.
            let span_sum = |offset: usize, start: u32, end: u32| -> f64 {
                (start..end)
                    .map(|j| f64::from(losses[row * context + offset + j as usize - 1]))
                    .sum()
            };
            for (offset, doc) in docs {
                for span in &doc.spans {
                    match span.kind {
                        SpanKind::Name => name += span_sum(*offset, span.start, span.end),
                        SpanKind::Value(a) if (spans.counted)(a) => {
                            value += span_sum(*offset, span.start, span.end);
                            value_spans += 1;
                            if let Some(chunk) = spans.first_chunk {
                                first += span_sum(*offset, span.start, span.start + chunk as u32);
                            }
                        }
                        SpanKind::Value(_) | SpanKind::Answer => {}
                    }
                }
            }
        }
    }
    let people = people as f64;
    let value_divisor = if spans.per_person_sum {
        people
    } else {
        value_spans.max(1) as f64
    };
    Losses {
        p1: name / people,
        p2: value / value_divisor,
        p3: first / value_spans.max(1) as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worked_bios_budgets_hold() {
        // Part 3.3 §2: B_max(N = 10,000) ≈ 616k bits, (N = 1,000) ≈ 64.9k bits for bioS.
        let p = pools::pools();
        let n0 = crate::data::names::name_space(p.name_pool_sizes());
        for (n, expected) in [(1_000.0, 64.9e3), (10_000.0, 616e3)] {
            let max = Knowledge::Bios {
                n,
                n0,
                s0: p.attribute_space(),
            }
            .max_bits();
            assert!((max - expected).abs() / expected < 0.005, "N = {n}: {max}");
        }
    }

    #[test]
    fn a_worked_biod_budget_holds() {
        // bioD(2000, 4, 2, 64, 2, 50) with N0 = 50³ holds ≈ 109k bits (Part 3.3 Def. 2.2).
        let k = Knowledge::Biod {
            n: 2000.0,
            n0: 125_000.0,
            k: 4.0,
            c: 2.0,
            d: 64.0,
            l: 2.0,
            t: 50.0,
        };
        assert!((k.max_bits() - 109e3).abs() < 1e3, "{}", k.max_bits());
        // Names and values unknown (p1 = ln N0, p2 = C ln D) leave only the diversity term,
        // K·D·log2(T^L / D) when the first chunks are predicted perfectly (p3 = 0).
        let sets_only = Losses {
            p1: 125_000f64.ln(),
            p2: 2.0 * 64f64.ln(),
            p3: 0.0,
        };
        let expected = 4.0 * 64.0 * (2.0 * 50f64.log2() - 64f64.log2());
        assert!(
            (k.bits(&sets_only) - expected).abs() < 1e-6,
            "{}",
            k.bits(&sets_only)
        );
    }
}

//! Exact-match answers about bioS people, shared by Parts 3.1 and 3.2: the six questions about
//! each person of a split, attribute values completed inside biographies, and Part 3.2's task
//! answers, scored per attribute (one forward pass per document, [`answered`]).

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::exact_match::{Question, answered};
use crate::data::bios::Bios;
use crate::data::pools::ATTRIBUTES;
use crate::data::pools::PoolSizes;
use crate::data::qa::BiosQa;
use crate::data::qa::{BiosQaSpec, Split};
use crate::data::{Doc, DocSource, SpanKind};
use crate::model::Gpt;
use crate::run::Manifest;

/// Score slots of the six bioS questions, one per attribute.
pub const SIX: usize = ATTRIBUTES.len();

/// Exact-match answers about one split's people, per attribute (in [`ATTRIBUTES`] order;
/// one slot for a Part 3.2 task).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SplitAccuracy {
    pub correct: Vec<usize>,
    pub questions: Vec<usize>,
}

impl SplitAccuracy {
    /// Accuracy on attribute `a`.
    pub fn of(&self, a: usize) -> f64 {
        self.correct[a] as f64 / self.questions[a].max(1) as f64
    }

    /// The mean over attributes, as the paper's figures average them.
    pub fn mean(&self) -> f64 {
        (0..self.correct.len()).map(|a| self.of(a)).sum::<f64>() / self.correct.len() as f64
    }
}

/// What a bioS run answered: the questions about both halves of the people (runs that train on
/// questions), or its own biographies (pretraining). Parts 3.1 and 3.2 store it in manifests.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Answered {
    /// The people whose questions were trained on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train: Option<SplitAccuracy>,
    /// The others: out-of-distribution answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<SplitAccuracy>,
    /// Pretraining: each attribute value of every person's first biography, completed from the
    /// text before it (whether the biographies were memorised at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub biographies: Option<SplitAccuracy>,
}

impl Answered {
    /// `score` of the train half, then of the test half, ticking `progress` (2 units).
    pub fn on_both_halves(score: impl Fn(Split) -> SplitAccuracy, progress: &ProgressBar) -> Self {
        progress.set_length(2);
        let half = |split| {
            let accuracy = score(split);
            progress.inc(1);
            Some(accuracy)
        };
        Answered {
            train: half(Split::Train),
            test: half(Split::Test),
            biographies: None,
        }
    }

    /// The one-line summary `plm reproduce` prints.
    pub fn brief(&self) -> String {
        match self {
            Answered {
                train: Some(train),
                test: Some(test),
                ..
            } => format!(
                "accuracy train {:.3}, test {:.3}",
                train.mean(),
                test.mean()
            ),
            Answered {
                biographies: Some(recall),
                ..
            } => format!("biography values recalled {:.3}", recall.mean()),
            _ => "nothing answered".into(),
        }
    }

    /// Report cells: train and test means, the test half per attribute (six-question runs),
    /// the biographies' recall.
    pub fn cells(&self) -> [String; 4] {
        let mean = |a: &Option<SplitAccuracy>| {
            a.as_ref()
                .map_or("—".into(), |a| format!("{:.3}", a.mean()))
        };
        let by_attribute = match &self.test {
            Some(test) if test.correct.len() == ATTRIBUTES.len() => {
                let each: Vec<String> = ATTRIBUTES
                    .iter()
                    .enumerate()
                    .map(|(a, name)| format!("{name} {:.2}", test.of(a)))
                    .collect();
                each.join(" · ")
            }
            _ => "—".into(),
        };
        [
            mean(&self.train),
            mean(&self.test),
            by_attribute,
            mean(&self.biographies),
        ]
    }
}

/// A finished run's answers on both halves.
pub struct Halves<'a> {
    pub train: SplitAccuracy,
    pub test: SplitAccuracy,
    pub run: &'a Manifest,
}

impl Halves<'_> {
    pub fn of(&self, split: Split) -> &SplitAccuracy {
        match split {
            Split::Train => &self.train,
            Split::Test => &self.test,
        }
    }
}

/// Among the runs `pick` accepts, the one with the best mean test accuracy (the best learning
/// rates, as the papers report the best of their grids).
pub fn best_on_test<'a>(
    runs: &[&'a Manifest],
    pick: impl Fn(&Manifest) -> bool,
) -> Option<Halves<'a>> {
    runs.iter()
        .filter(|m| pick(m))
        .filter_map(|m| {
            let answered: Answered = serde_json::from_value(m.measurements.clone()).ok()?;
            Some(Halves {
                train: answered.train?,
                test: answered.test?,
                run: m,
            })
        })
        .max_by(|a, b| a.test.mean().total_cmp(&b.test.mean()))
}

/// Evaluation documents with one answer per attribute value they hold, and that attribute.
#[derive(Default)]
pub struct Asked {
    questions: Vec<Question>,
    attributes: Vec<usize>,
}

impl Asked {
    /// Asks every attribute value of each document of `source` (indices `docs`).
    pub fn from_values(source: &dyn DocSource, docs: impl Iterator<Item = u64>) -> Self {
        let mut asked = Asked::default();
        let mut doc = Doc::default();
        for index in docs {
            source.doc(index, &mut doc);
            let mut question = Question {
                tokens: doc.tokens.clone(),
                answers: Vec::new(),
            };
            for span in &doc.spans {
                // The gender's span (the first pronoun) is not one of the six attributes.
                if let SpanKind::Value(attribute) = span.kind
                    && usize::from(attribute) < ATTRIBUTES.len()
                {
                    question
                        .answers
                        .push(span.start as usize..span.end as usize);
                    asked.attributes.push(usize::from(attribute));
                }
            }
            asked.questions.push(question);
        }
        asked
    }

    /// Asks the answer of each document of `source` (Part 3.2's questions), as attribute 0.
    pub fn from_answers(source: &dyn DocSource) -> Self {
        let mut asked = Asked::default();
        let mut doc = Doc::default();
        for index in 0..source.num_docs() {
            source.doc(index, &mut doc);
            let answers: Vec<_> = doc
                .spans
                .iter()
                .filter(|span| span.kind == SpanKind::Answer)
                .map(|span| span.start as usize..span.end as usize)
                .collect();
            asked.attributes.extend(answers.iter().map(|_| 0));
            asked.questions.push(Question {
                tokens: doc.tokens.clone(),
                answers,
            });
        }
        asked
    }

    /// Exact-match accuracy per attribute (`slots` of them).
    pub fn score(&self, model: &Gpt, context: usize, slots: usize) -> SplitAccuracy {
        let (bos, pad) = bos_and_pad();
        let verdicts = answered(model, &self.questions, bos, pad, context);
        let mut accuracy = SplitAccuracy {
            correct: vec![0; slots],
            questions: vec![0; slots],
        };
        for (verdict, &a) in verdicts.iter().flatten().zip(&self.attributes) {
            accuracy.questions[a] += 1;
            accuracy.correct[a] += usize::from(*verdict);
        }
        accuracy
    }
}

/// Every attribute value of each person's first biography, completed from the text before it:
/// whether pretraining memorised the biographies.
pub fn biography_recall(source: &Bios, model: &Gpt, context: usize) -> SplitAccuracy {
    Asked::from_values(source, 0..source.docs_per_entry()).score(model, context, SIX)
}

/// The six questions about every person of `split`.
pub fn questions(people: usize, pools: Option<PoolSizes>, split: Split, seed: u64) -> Asked {
    let spec = BiosQaSpec {
        people,
        pools,
        split,
    };
    let source = BiosQa::new(&spec, seed);
    Asked::from_values(&source, 0..source.num_docs())
}

/// `<bos>` (the `<eos>` id, as in training) and `<pad>` of the bioS vocabulary.
pub fn bos_and_pad() -> (u32, u32) {
    let vocab = &crate::data::bios::lexicon().vocab;
    (vocab.eos(), vocab.pad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bios::{in_test_split, lexicon, sample_people};

    /// Each question's answer range holds exactly its person's attribute value, and the two
    /// splits ask about every person once per attribute.
    #[test]
    fn answer_ranges_hold_the_persons_attribute_values() {
        let (seed, people) = (5, 30);
        let everyone = sample_people(seed, people, None);
        let mut asked = vec![0; people];
        for split in [Split::Train, Split::Test] {
            let evaluation = questions(people, None, split, seed);
            let members: Vec<usize> = (0..people)
                .filter(|&i| in_test_split(seed, i) == (split == Split::Test))
                .collect();
            assert_eq!(evaluation.questions.len(), 6 * members.len());
            let pairs = evaluation.questions.iter().zip(&evaluation.attributes);
            for (i, (question, &attribute)) in pairs.enumerate() {
                let person = members[i / 6];
                assert_eq!(attribute, i % 6);
                let mut value = Vec::new();
                lexicon().push_value(&everyone[person], attribute, &mut value);
                assert_eq!(question.tokens[question.answers[0].clone()], value[..]);
                asked[person] += 1;
            }
        }
        assert!(asked.iter().all(|&n| n == 6));
    }
}

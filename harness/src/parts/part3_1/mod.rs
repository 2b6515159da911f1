//! Part 3.1, knowledge storage and extraction (Allen-Zhu & Li, arXiv:2309.14316). So far: mixed
//! training (§4.1, Result 1) — a model trained from scratch on every person's biography and on
//! the questions about half of them (`bios-mixed`) — scored by exact-match answers to the six
//! questions about each person, for the people whose questions it trained on (`train`) and for
//! the others (`test`, out of distribution: their facts were only ever in biographies).

mod claims;

use anyhow::{Result, bail};
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use super::answers::{Question, answered};
use super::{Estimate, Measured, Part};
use crate::data::pools::ATTRIBUTES;
use crate::data::qa::BiosQa;
use crate::data::{Doc, DocSource, SpanKind};
use crate::figure::Figure;
use crate::run::{Manifest, Run};
use crate::spec::{BiosQaSpec, Claim, DatasetSpec, Invalid, Split, Suite};
use crate::train::Trained;

/// Exact-match answers about one split's people, per attribute (in [`ATTRIBUTES`] order).
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

/// What a Part 3.1 run measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Measurements {
    /// The people whose questions were trained on.
    pub train: SplitAccuracy,
    /// The others: out-of-distribution extraction.
    pub test: SplitAccuracy,
}

fn measured(manifest: &Manifest) -> Option<Measurements> {
    super::measurements::<Measurements>(manifest)
}

/// The six questions about every person of `split`, each with its answer's token range.
fn questions(people: usize, split: Split, seed: u64) -> (Vec<Question>, Vec<usize>) {
    let spec = BiosQaSpec {
        name: "evaluation".into(),
        people,
        split,
        sha256: None,
    };
    let source = BiosQa::new(&spec, seed);
    let mut doc = Doc::default();
    let (mut questions, mut attributes) = (Vec::new(), Vec::new());
    for index in 0..source.num_docs() {
        source.doc(index, &mut doc);
        for span in &doc.spans {
            if let SpanKind::Value(attribute) = span.kind {
                questions.push(Question {
                    tokens: doc.tokens.clone(),
                    answers: std::iter::once(span.start as usize..span.end as usize).collect(),
                });
                attributes.push(usize::from(attribute));
            }
        }
    }
    (questions, attributes)
}

pub struct Part31;

impl Part for Part31 {
    fn name(&self) -> &'static str {
        "part3.1"
    }

    fn code_epoch(&self) -> u32 {
        1
    }

    fn check(&self, suite: &Suite) -> Result<(), Invalid> {
        super::check_claims::<claims::Estimator>(suite)?;
        super::check_trained_datasets(suite, |d| match d {
            DatasetSpec::BiosMixed(_) => Ok(()),
            other => Err(format!(
                "dataset `{}`: Part 3.1 measures mixed training (`bios-mixed`) only so far",
                other.name()
            )),
        })
    }

    fn measure(&self, run: &Run, trained: &Trained, progress: &ProgressBar) -> Result<Measured> {
        let DatasetSpec::BiosMixed(spec) = &run.spec.dataset else {
            bail!("dataset `{}` is not `bios-mixed`", run.spec.dataset.name());
        };
        let (bos, pad) = bos_and_pad();
        let context = run.spec.recipe.context;
        progress.set_length(2);
        let score = |split| {
            let (questions, attributes) = questions(spec.people, split, run.spec.seed);
            let verdicts = answered(&trained.model, &questions, bos, pad, context);
            let mut accuracy = SplitAccuracy {
                correct: vec![0; ATTRIBUTES.len()],
                questions: vec![0; ATTRIBUTES.len()],
            };
            for (verdict, &a) in verdicts.iter().zip(&attributes) {
                accuracy.questions[a] += 1;
                accuracy.correct[a] += usize::from(verdict[0]);
            }
            progress.inc(1);
            accuracy
        };
        let measurements = Measurements {
            train: score(Split::Train),
            test: score(Split::Test),
        };
        Ok(Measured {
            measurements: serde_json::to_value(measurements)?,
            timings: Default::default(),
        })
    }

    fn brief(&self, manifest: &Manifest) -> String {
        match measured(manifest) {
            Some(m) => format!(
                "P {} QA accuracy train {:.3}, test {:.3}",
                manifest.parameters,
                m.train.mean(),
                m.test.mean()
            ),
            None => "no Part 3.1 measurements".into(),
        }
    }

    fn columns(&self) -> &'static [&'static str] {
        &[
            "train QA",
            "test QA (out of distribution)",
            "test QA by attribute",
        ]
    }

    fn cells(&self, manifest: &Manifest) -> Vec<String> {
        let Some(m) = measured(manifest) else {
            return vec!["—".into(); self.columns().len()];
        };
        let by_attribute: Vec<String> = ATTRIBUTES
            .iter()
            .enumerate()
            .map(|(a, name)| format!("{name} {:.2}", m.test.of(a)))
            .collect();
        vec![
            format!("{:.3}", m.train.mean()),
            format!("{:.3}", m.test.mean()),
            by_attribute.join(" · "),
        ]
    }

    fn figures(&self, _manifests: &[Manifest]) -> Vec<Figure> {
        Vec::new()
    }

    fn method(&self) -> &'static str {
        "Part 3.1 (arXiv:2309.14316), §4.1. Mixed training: every person's biography and the six \
         questions about the people of the train half, from scratch, each window all biographies \
         or all questions. Each model answers the six questions about every person; an answer \
         counts when every token of it is the model's most likely token given the true text \
         before it (greedy decoding's verdict). Test accuracy is about the other half: facts the \
         model only read in biographies. Accuracies are means over the six attributes."
    }

    fn estimators_schema(&self) -> schemars::Schema {
        schemars::schema_for!(claims::Estimator)
    }

    fn estimate(&self, claim: &Claim, runs: &[&Manifest]) -> Estimate {
        match super::estimator::<claims::Estimator>(claim) {
            Ok(estimator) => claims::estimate(&estimator, runs),
            Err(e) => Estimate::none(format!("unusable claim: {e}")),
        }
    }
}

/// `<bos>` (the `<eos>` id, as in training) and `<pad>` of the bioS vocabulary.
fn bos_and_pad() -> (u32, u32) {
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
        let everyone = sample_people(seed, people);
        let mut asked = vec![0; people];
        for split in [Split::Train, Split::Test] {
            let (questions, attributes) = questions(people, split, seed);
            let members: Vec<usize> = (0..people)
                .filter(|&i| in_test_split(seed, i) == (split == Split::Test))
                .collect();
            assert_eq!(questions.len(), 6 * members.len());
            for (i, (question, &attribute)) in questions.iter().zip(&attributes).enumerate() {
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

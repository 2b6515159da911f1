//! Part 3.2's knowledge-manipulation questions (arXiv:2309.14402) about the bioS people of one
//! half (the QA split): the birth year alone (partial retrieval, §3), the parity of the birth
//! month (classification, §4), whether one person was born in an earlier month than another
//! (comparison, §5), and the full name of whoever was born on a date (inverse search, §6). The
//! wording is ours ([`PART3_2_PHRASES`]); the answer is one span, its optional hint (the months,
//! the paper's chain of thought) included.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::bios::{Person, in_test_split, lexicon, sample_people};
use super::pools::{self, PART3_2_PHRASES, PoolSizes};
use super::qa::Split;
use super::rng::{StreamKey, index};
use super::vocab::Vocab;
use super::{Doc, DocSource, Generator, SpanKind};
use crate::spec::Invalid;

/// Part 3.2's knowledge-manipulation questions about bioS people, one task and one split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosTaskSpec {
    /// N: the same first N people as the suite's `bios` datasets.
    pub people: usize,
    /// As the `bios` dataset's `pools`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// Which half of the people the questions are about.
    pub split: Split,
    pub task: Task,
    /// Answers open with the months they follow from (`October; Yes`): the paper's chain of
    /// thought. Only the month tasks have one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hints: bool,
}

/// Part 3.2's tasks (arXiv:2309.14402), each a question per person of the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Partial retrieval (§3): the birth year alone.
    BirthYear,
    /// Classification (§4): is the birth month even?
    MonthParity,
    /// Comparison (§5): was this person born in an earlier month than another of the split?
    MonthRanking,
    /// Inverse search (§6): the full name of whoever was born on a date.
    InverseBirthDate,
}

impl Task {
    /// Whether a hint can open the answer (the month tasks).
    pub fn has_hint(self) -> bool {
        matches!(self, Task::MonthParity | Task::MonthRanking)
    }
}

impl Generator for BiosTaskSpec {
    const NAME: &'static str = "bios-task";

    fn check(&self) -> Result<(), Invalid> {
        pools::check_people(self.people)?;
        pools::check_pool_sizes(self.pools)?;
        if self.hints && !self.task.has_hint() {
            return Err(Invalid::field(
                "hints",
                "only the month tasks (`month-parity`, `month-ranking`) have hints",
            ));
        }
        Ok(())
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(BiosTasks::new(self, seed))
    }
}

/// One task's questions about the people of one split.
pub struct BiosTasks {
    /// The split's people (suite-wide index, person), in index order; inverse search leaves out
    /// people who share their birth date with anyone (their question has no single answer).
    members: Vec<(usize, Person)>,
    /// Comparison: each member's partner, another member.
    partners: Vec<usize>,
    task: Task,
    hints: bool,
    phrases: Phrases,
}

/// [`PART3_2_PHRASES`] tokenised.
struct Phrases {
    in_which_year_was: Vec<u32>,
    born: Vec<u32>,
    was: Vec<u32>,
    born_in_an_even_month: Vec<u32>,
    born_in_an_earlier_month_than: Vec<u32>,
    who_was_born_on: Vec<u32>,
    answer: Vec<u32>,
    yes: u32,
    no: u32,
    semicolon: u32,
    question_mark: u32,
}

impl Phrases {
    fn new(vocab: &Vocab) -> Self {
        let [year, born, was, even, earlier, who, _] = PART3_2_PHRASES.map(|p| vocab.encode(p));
        Phrases {
            in_which_year_was: year,
            born,
            was,
            born_in_an_even_month: even,
            born_in_an_earlier_month_than: earlier,
            who_was_born_on: who,
            answer: vocab.encode("Answer:"),
            yes: vocab.id("Yes"),
            no: vocab.id("No"),
            semicolon: vocab.id(";"),
            question_mark: vocab.id("?"),
        }
    }
}

impl BiosTasks {
    /// Builds the task; `spec` must have passed suite validation.
    pub fn new(spec: &BiosTaskSpec, seed: u64) -> Self {
        let everyone = sample_people(seed, spec.people, spec.pools);
        let mut dates: BTreeMap<(u8, u8, u8), usize> = BTreeMap::new();
        for person in &everyone {
            *dates.entry(person.birth).or_default() += 1;
        }
        let want_test = spec.split == Split::Test;
        let members: Vec<(usize, Person)> = everyone
            .into_iter()
            .enumerate()
            .filter(|(i, _)| in_test_split(seed, *i) == want_test)
            .filter(|(_, p)| spec.task != Task::InverseBirthDate || dates[&p.birth] == 1)
            .collect();
        let key = StreamKey::new(seed, &["bios", "task-partner"]);
        let partners = (0..members.len())
            .map(|m| {
                let others = members.len().saturating_sub(1).max(1);
                let step = 1 + index(&mut key.rng(members[m].0 as u64, 0), others);
                (m + step) % members.len()
            })
            .collect();
        Self {
            members,
            partners,
            task: spec.task,
            hints: spec.hints,
            phrases: Phrases::new(&lexicon().vocab),
        }
    }
}

/// The birth date's tokens: month, day, `,`, year.
fn date(person: &Person) -> Vec<u32> {
    let mut tokens = Vec::new();
    lexicon().push_value(person, 0, &mut tokens);
    tokens
}

impl DocSource for BiosTasks {
    fn vocab(&self) -> &Vocab {
        &lexicon().vocab
    }

    fn people(&self) -> usize {
        self.members.len()
    }

    fn entries(&self) -> u32 {
        1
    }

    fn docs_per_entry(&self) -> u64 {
        self.members.len() as u64
    }

    fn doc(&self, index: u64, doc: &mut Doc) {
        let lexicon = lexicon();
        let p = &self.phrases;
        let member = index as usize;
        let person = &self.members[member].1;
        let month = |person: &Person| date(person)[0];
        doc.clear();
        let mut answer = Vec::new();
        match self.task {
            Task::BirthYear => {
                doc.tokens.extend_from_slice(&p.in_which_year_was);
                lexicon.push_name(person, &mut doc.tokens);
                doc.tokens.extend_from_slice(&p.born);
                answer.push(*date(person).last().expect("a date ends with its year"));
            }
            Task::MonthParity => {
                doc.tokens.extend_from_slice(&p.was);
                lexicon.push_name(person, &mut doc.tokens);
                doc.tokens.extend_from_slice(&p.born_in_an_even_month);
                if self.hints {
                    answer.extend([month(person), p.semicolon]);
                }
                // Months count from 1: January (index 0) is odd.
                let even = person.birth.0 % 2 == 1;
                answer.push(if even { p.yes } else { p.no });
            }
            Task::MonthRanking => {
                let other = &self.members[self.partners[member]].1;
                doc.tokens.extend_from_slice(&p.was);
                lexicon.push_name(person, &mut doc.tokens);
                doc.tokens
                    .extend_from_slice(&p.born_in_an_earlier_month_than);
                lexicon.push_name(other, &mut doc.tokens);
                doc.tokens.push(p.question_mark);
                if self.hints {
                    answer.extend([month(person), p.semicolon, month(other), p.semicolon]);
                }
                let earlier = person.birth.0 < other.birth.0;
                answer.push(if earlier { p.yes } else { p.no });
            }
            Task::InverseBirthDate => {
                doc.tokens.extend_from_slice(&p.who_was_born_on);
                doc.tokens.extend(date(person));
                doc.tokens.push(p.question_mark);
                lexicon.push_name(person, &mut answer);
            }
        }
        doc.tokens.extend_from_slice(&p.answer);
        doc.push_span(SpanKind::Answer, &answer);
        doc.tokens.push(lexicon.period());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(task: Task, split: Split, hints: bool) -> BiosTasks {
        BiosTasks::new(
            &BiosTaskSpec {
                people: 300,
                pools: None,
                split,
                task,
                hints,
            },
            11,
        )
    }

    fn text(source: &BiosTasks, index: u64) -> (String, String) {
        let mut doc = Doc::default();
        source.doc(index, &mut doc);
        let vocab = &lexicon().vocab;
        let span = doc.spans[0];
        let answer = vocab.decode(&doc.tokens[span.start as usize..span.end as usize]);
        (vocab.decode(&doc.tokens), answer)
    }

    /// Every answer follows from the person's own facts, read back from the rendered text.
    #[test]
    fn answers_follow_from_the_facts() {
        let months = crate::data::pools::MONTHS;
        for split in [Split::Train, Split::Test] {
            for hints in [false, true] {
                let parity = task(Task::MonthParity, split, hints);
                let ranking = task(Task::MonthRanking, split, hints);
                let year = task(Task::BirthYear, split, false);
                for (m, (i, person)) in parity.members.iter().enumerate() {
                    assert_eq!(in_test_split(11, *i), split == Split::Test);
                    let month = months[person.birth.0 as usize];
                    let (question, answer) = text(&parity, m as u64);
                    assert!(question.starts_with("Was "), "{question}");
                    let even = (person.birth.0 + 1) % 2 == 0;
                    let verdict = if even { "Yes" } else { "No" };
                    let expected = if hints {
                        format!("{month}; {verdict}")
                    } else {
                        verdict.into()
                    };
                    assert_eq!(answer, expected, "{question}");

                    let other = &ranking.members[ranking.partners[m]].1;
                    assert_ne!(ranking.partners[m], m, "a partner is someone else");
                    let (_, answer) = text(&ranking, m as u64);
                    let verdict = if person.birth.0 < other.birth.0 {
                        "Yes"
                    } else {
                        "No"
                    };
                    assert!(answer.ends_with(verdict), "{answer}");
                    if hints {
                        let other_month = months[other.birth.0 as usize];
                        assert_eq!(answer, format!("{month}; {other_month}; {verdict}"));
                    }

                    let (question, answer) = text(&year, m as u64);
                    let first_year = crate::data::pools::FIRST_YEAR;
                    assert_eq!(answer, (first_year + u32::from(person.birth.2)).to_string());
                    assert!(
                        question.ends_with(&format!("Answer: {answer}.")),
                        "{question}"
                    );
                }
                assert_eq!(parity.members.len(), year.members.len());
            }
        }
    }

    /// Inverse search asks for each person's name from their birth date, and leaves out the
    /// people whose birth date another person shares.
    #[test]
    fn inverse_search_names_the_only_person_born_that_day() {
        let everyone = sample_people(11, 300, None);
        let inverse = task(Task::InverseBirthDate, Split::Train, false);
        let parity = task(Task::MonthParity, Split::Train, false);
        let vocab = &lexicon().vocab;
        for (m, (i, person)) in inverse.members.iter().enumerate() {
            let shared = everyone.iter().filter(|p| p.birth == person.birth).count();
            assert_eq!(shared, 1, "person {i}");
            let (question, answer) = text(&inverse, m as u64);
            let mut name = Vec::new();
            lexicon().push_name(person, &mut name);
            assert_eq!(answer, vocab.decode(&name));
            assert!(
                question.contains(&vocab.decode(&date(person))),
                "{question}"
            );
        }
        let dropped = parity.members.len() - inverse.members.len();
        let sharing = parity
            .members
            .iter()
            .filter(|(_, p)| everyone.iter().filter(|q| q.birth == p.birth).count() > 1)
            .count();
        assert_eq!(dropped, sharing);
    }
}

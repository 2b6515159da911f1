//! bioS: synthetic biographies over the published pools (Part 3.1 App. A.1, Part 3.3 §2).
//!
//! A person is a unique full name plus independently uniform attributes (birth date, birth city,
//! university, major, employer, gender); the company city is the employer's headquarters. A
//! biography is six sentences, one per attribute, each from one of our templates. The full name
//! opens the first sentence; later sentences use He/She unless `+fullname` asks for the name.
//!
//! Randomness (see `rng`): attributes from key `bios/attributes`, template choice from
//! `bios/wording`, sentence order from `bios/order`, each addressed by (person, entry).

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::augmentation::Augmentation;
use super::names::{NameIndex, unique_names};
use super::pools::{
    self, DAYS, FIRST_YEAR, GENDER, MONTHS, PART3_2_PHRASES, QUESTIONS, Template, YEARS,
};
use super::rng::{StreamKey, below, coin, index, shuffle};
use super::vocab::Vocab;
use super::{Doc, DocSource, Generator, SpanKind};
use crate::spec::Invalid;
use pools::PoolSizes;

/// Synthetic biographies over the published pools (Part 3.1 §2, Part 3.3 §2).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BiosSpec {
    /// N: number of people.
    pub people: usize,
    /// Draw attribute values from the first entries of each published pool only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pools: Option<PoolSizes>,
    /// `single`, `single+fullname`, `single+permuteK[+fullname]`, `multiK[+permute][+fullname]`,
    /// or `fresh` (Part 3.3: new wording and sentence order at every exposure).
    pub augmentation: String,
    /// Documents per person for `fresh` (= exposures); implied by the name otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<u32>,
}

impl Generator for BiosSpec {
    const NAME: &'static str = "bios";

    fn check(&self) -> Result<(), Invalid> {
        pools::check_people(self.people)?;
        Augmentation::parse(&self.augmentation, self.entries)
            .map_err(|e| Invalid::field(e.field, e.message))?;
        pools::check_pool_sizes(self.pools)
    }

    fn build(&self, _name: &str, seed: u64) -> Box<dyn DocSource> {
        Box::new(Bios::new(self, seed))
    }
}

/// One bioS person: indices into the pools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: NameIndex,
    pub female: bool,
    /// Month 0–11, day 0–27, year offset 0–199.
    pub birth: (u8, u8, u8),
    pub birth_city: u16,
    pub university: u16,
    pub major: u16,
    pub employer: u16,
}

/// Samples the first `count` people of a suite (the same people for every bioS dataset of it),
/// from the first `sizes` values of each pool (all of them when `None`).
pub fn sample_people(seed: u64, count: usize, sizes: Option<PoolSizes>) -> Vec<Person> {
    let p = pools::pools();
    let [cities, universities, majors, companies] = match sizes {
        Some(s) => [s.birth_cities, s.universities, s.majors, s.companies].map(usize::from),
        None => [
            p.birth_cities.len(),
            p.universities.len(),
            p.majors.len(),
            p.companies.len(),
        ],
    };
    let key = StreamKey::new(seed, &["bios", "attributes"]);
    unique_names(seed, p.name_pool_sizes(), count)
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let mut rng = key.rng(i as u64, 0);
            let mut pick = |len: usize| index(&mut rng, len) as u16;
            let female = pick(2) == 1;
            let birth = (
                pick(MONTHS.len()) as u8,
                pick(DAYS as usize) as u8,
                pick(YEARS as usize) as u8,
            );
            Person {
                name,
                female,
                birth,
                birth_city: pick(cities),
                university: pick(universities),
                major: pick(majors),
                employer: pick(companies),
            }
        })
        .collect()
}

/// A template pre-tokenised: the subject comes first, then these pieces.
struct Sentence {
    possessive: bool,
    pieces: Vec<Piece>,
}

enum Piece {
    Word(u32),
    Value,
}

/// Everything bioS and its QA can say, tokenised once per process.
pub struct Lexicon {
    pub vocab: Vocab,
    first: Vec<Vec<u32>>,
    middle: Vec<Vec<u32>>,
    last: Vec<Vec<u32>>,
    birth_cities: Vec<Vec<u32>>,
    universities: Vec<Vec<u32>>,
    majors: Vec<Vec<u32>>,
    companies: Vec<Vec<u32>>,
    company_cities: Vec<Vec<u32>>,
    months: Vec<u32>,
    days: Vec<u32>,
    years: Vec<u32>,
    comma: u32,
    period: u32,
    possessive: u32,
    /// He, She, His, Her.
    pronouns: [u32; 4],
    sentences: [Vec<Sentence>; 6],
}

pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::build)
}

impl Lexicon {
    fn build() -> Self {
        let p = pools::pools();
        let templates = pools::templates();
        let numbers: Vec<String> = (1..=DAYS)
            .chain(FIRST_YEAR..FIRST_YEAR + YEARS)
            .map(|n| n.to_string())
            .collect();
        let vocab = Vocab::from_texts(
            [
                &p.first_names,
                &p.middle_names,
                &p.last_names,
                &p.birth_cities,
                &p.universities,
                &p.majors,
            ]
            .into_iter()
            .flatten()
            .copied()
            .chain(p.companies.iter().flat_map(|(name, city)| [*name, *city]))
            .chain(MONTHS)
            .chain(numbers.iter().map(String::as_str))
            .chain(templates.iter().flatten().map(|t| t.rest))
            .chain(
                QUESTIONS
                    .iter()
                    .flat_map(|(before, after)| [*before, *after]),
            )
            .chain(["He She His Her 's , . Answer:"])
            .flat_map(|t| t.split("{V}")),
        )
        .extended(PART3_2_PHRASES);
        let encode_all = |items: &[&str]| items.iter().map(|s| vocab.encode(s)).collect::<Vec<_>>();
        let sentence = |t: &Template| Sentence {
            possessive: t.possessive,
            pieces: t
                .rest
                .split("{V}")
                .enumerate()
                .flat_map(|(i, text)| {
                    let value = (i > 0).then_some(Piece::Value);
                    value
                        .into_iter()
                        .chain(vocab.encode(text).into_iter().map(Piece::Word))
                })
                .collect(),
        };
        let day_ids = (1..=DAYS).map(|d| vocab.id(&d.to_string())).collect();
        let year_ids = (FIRST_YEAR..FIRST_YEAR + YEARS)
            .map(|y| vocab.id(&y.to_string()))
            .collect();
        Lexicon {
            first: encode_all(&p.first_names),
            middle: encode_all(&p.middle_names),
            last: encode_all(&p.last_names),
            birth_cities: encode_all(&p.birth_cities),
            universities: encode_all(&p.universities),
            majors: encode_all(&p.majors),
            companies: p.companies.iter().map(|c| vocab.encode(c.0)).collect(),
            company_cities: p.companies.iter().map(|c| vocab.encode(c.1)).collect(),
            months: MONTHS.iter().map(|m| vocab.id(m)).collect(),
            days: day_ids,
            years: year_ids,
            comma: vocab.id(","),
            period: vocab.id("."),
            possessive: vocab.id("'s"),
            pronouns: ["He", "She", "His", "Her"].map(|w| vocab.id(w)),
            sentences: templates
                .each_ref()
                .map(|list| list.iter().map(sentence).collect()),
            vocab,
        }
    }

    /// Appends the full name of `person`.
    pub fn push_name(&self, person: &Person, out: &mut Vec<u32>) {
        let [f, m, l] = person.name.map(usize::from);
        out.extend_from_slice(&self.first[f]);
        out.extend_from_slice(&self.middle[m]);
        out.extend_from_slice(&self.last[l]);
    }

    /// Appends the value of attribute `attribute` (index into [`ATTRIBUTES`]).
    pub fn push_value(&self, person: &Person, attribute: usize, out: &mut Vec<u32>) {
        let (month, day, year) = person.birth;
        match attribute {
            0 => out.extend_from_slice(&[
                self.months[month as usize],
                self.days[day as usize],
                self.comma,
                self.years[year as usize],
            ]),
            1 => out.extend_from_slice(&self.birth_cities[person.birth_city as usize]),
            2 => out.extend_from_slice(&self.universities[person.university as usize]),
            3 => out.extend_from_slice(&self.majors[person.major as usize]),
            4 => out.extend_from_slice(&self.companies[person.employer as usize]),
            5 => out.extend_from_slice(&self.company_cities[person.employer as usize]),
            _ => unreachable!("bioS has six attributes"),
        }
    }

    pub fn period(&self) -> u32 {
        self.period
    }

    /// Renders one biography: `wording[a]` picks attribute a's template, `order` lists the
    /// attributes in sentence order.
    fn render(
        &self,
        person: &Person,
        wording: [usize; 6],
        order: [usize; 6],
        fullname: bool,
        doc: &mut Doc,
    ) {
        let mut value = Vec::with_capacity(8);
        for (position, &attribute) in order.iter().enumerate() {
            let sentence = &self.sentences[attribute][wording[attribute]];
            if position == 0 || fullname {
                let mut name = Vec::with_capacity(4);
                self.push_name(person, &mut name);
                if position == 0 {
                    doc.push_span(SpanKind::Name, &name);
                } else {
                    doc.tokens.extend_from_slice(&name);
                }
                if sentence.possessive {
                    doc.tokens.push(self.possessive);
                }
            } else {
                let pronoun = self.pronouns
                    [2 * usize::from(sentence.possessive) + usize::from(person.female)];
                if position == 1 {
                    doc.push_span(SpanKind::Value(GENDER), &[pronoun]);
                } else {
                    doc.tokens.push(pronoun);
                }
            }
            for piece in &sentence.pieces {
                match piece {
                    Piece::Value => {
                        value.clear();
                        self.push_value(person, attribute, &mut value);
                        doc.push_span(SpanKind::Value(attribute as u16), &value);
                    }
                    // A value ending in "." (e.g. "Dow Inc.") already closes the sentence.
                    Piece::Word(w)
                        if *w == self.period && doc.tokens.last() == Some(&self.period) => {}
                    Piece::Word(w) => doc.tokens.push(*w),
                }
            }
        }
    }
}

/// A bioS dataset: `people × entries` biographies, entry-major.
pub struct Bios {
    people: Vec<Person>,
    augmentation: Augmentation,
    wording: StreamKey,
    order: StreamKey,
}

impl Bios {
    /// Builds the dataset; `spec` must have passed suite validation.
    pub fn new(spec: &BiosSpec, seed: u64) -> Self {
        let augmentation =
            Augmentation::parse(&spec.augmentation, spec.entries).expect("validated suite");
        Self {
            people: sample_people(seed, spec.people, spec.pools),
            augmentation,
            wording: StreamKey::new(seed, &["bios", "wording"]),
            order: StreamKey::new(seed, &["bios", "order"]),
        }
    }

    pub fn person(&self, i: usize) -> &Person {
        &self.people[i]
    }
}

impl DocSource for Bios {
    fn vocab(&self) -> &Vocab {
        &lexicon().vocab
    }

    fn people(&self) -> usize {
        self.people.len()
    }

    fn entries(&self) -> u32 {
        self.augmentation.entries
    }

    fn docs_per_entry(&self) -> u64 {
        self.people.len() as u64
    }

    fn doc(&self, index: u64, doc: &mut Doc) {
        let lexicon = lexicon();
        let n = self.people.len() as u64;
        let (person, entry) = ((index % n) as usize, (index / n) as u32);
        let aug = self.augmentation;
        let mut rng = self
            .wording
            .rng(person as u64, if aug.fresh_wording { entry } else { 0 });
        let wording =
            std::array::from_fn(|a| below(&mut rng, lexicon.sentences[a].len() as u32) as usize);
        let mut order = [0, 1, 2, 3, 4, 5];
        if aug.permute {
            shuffle(&mut self.order.rng(person as u64, entry), &mut order);
        }
        doc.clear();
        lexicon.render(&self.people[person], wording, order, aug.fullname, doc);
    }
}

/// Whether person `i` is in the QA test half (a per-person fair coin, stable as N grows).
pub fn in_test_split(seed: u64, person: usize) -> bool {
    coin(&mut StreamKey::new(seed, &["bios", "split"]).rng(person as u64, 0))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn bios(people: usize, augmentation: &str, entries: Option<u32>) -> Bios {
        let spec = BiosSpec {
            people,
            pools: None,
            augmentation: augmentation.into(),
            entries,
        };
        Bios::new(&spec, 5)
    }

    fn docs(source: &Bios) -> Vec<Doc> {
        (0..source.num_docs())
            .map(|i| {
                let mut doc = Doc::default();
                source.doc(i, &mut doc);
                doc
            })
            .collect()
    }

    /// Attribute order of a document, read from its value spans.
    fn order(doc: &Doc) -> Vec<u16> {
        doc.spans
            .iter()
            .filter_map(|s| match s.kind {
                SpanKind::Value(a) if a != GENDER => Some(a),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn people_have_unique_full_names_and_are_prefix_stable() {
        let people = sample_people(9, 5000, None);
        let lexicon = lexicon();
        let names: HashSet<Vec<u32>> = people
            .iter()
            .map(|p| {
                let mut name = Vec::new();
                lexicon.push_name(p, &mut name);
                name
            })
            .collect();
        assert_eq!(names.len(), 5000);
        assert_eq!(&sample_people(9, 100, None)[..], &people[..100]);
    }

    /// Reduced pools: every value comes from the first entries of its pool, every allowed value
    /// occurs, and names and birth dates are the people of the whole pools.
    #[test]
    fn reduced_pools_draw_from_the_first_values_only() {
        let sizes = PoolSizes {
            birth_cities: 3,
            universities: 4,
            majors: 5,
            companies: 6,
        };
        let (whole, reduced) = (
            sample_people(4, 400, None),
            sample_people(4, 400, Some(sizes)),
        );
        let seen =
            |value: fn(&Person) -> u16| -> HashSet<u16> { reduced.iter().map(value).collect() };
        assert_eq!(seen(|p| p.birth_city), (0..3).collect());
        assert_eq!(seen(|p| p.university), (0..4).collect());
        assert_eq!(seen(|p| p.major), (0..5).collect());
        assert_eq!(seen(|p| p.employer), (0..6).collect());
        for (a, b) in whole.iter().zip(&reduced) {
            assert_eq!((a.name, a.female, a.birth), (b.name, b.female, b.birth));
        }
    }

    #[test]
    fn every_template_renders_every_value_of_its_attribute() {
        let lexicon = lexicon();
        let pools = pools::pools();
        let counts = [
            MONTHS.len().max(DAYS as usize).max(YEARS as usize),
            pools.birth_cities.len(),
            pools.universities.len(),
            pools.majors.len(),
            pools.companies.len(),
            pools.companies.len(),
        ];
        let base = sample_people(1, 1, None)[0];
        let mut doc = Doc::default();
        for (attribute, &count) in counts.iter().enumerate() {
            for template in 0..lexicon.sentences[attribute].len() {
                for v in 0..count {
                    let mut person = base;
                    match attribute {
                        0 => person.birth = ((v % 12) as u8, (v % 28) as u8, (v % 200) as u8),
                        1 => person.birth_city = v as u16,
                        2 => person.university = v as u16,
                        3 => person.major = v as u16,
                        _ => person.employer = v as u16,
                    }
                    let mut order = [0, 1, 2, 3, 4, 5];
                    order.swap(0, attribute);
                    doc.clear();
                    let wording =
                        std::array::from_fn(|b| if b == attribute { template } else { 0 });
                    lexicon.render(&person, wording, order, false, &mut doc);
                    let mut expected = Vec::new();
                    lexicon.push_value(&person, attribute, &mut expected);
                    assert_eq!(
                        doc.span_tokens(SpanKind::Value(attribute as u16)).unwrap(),
                        &expected[..]
                    );
                    let text = lexicon.vocab.decode(&doc.tokens);
                    assert!(text.contains(&lexicon.vocab.decode(&expected)), "{text}");
                    assert_eq!(
                        lexicon.vocab.encode(&text),
                        doc.tokens,
                        "round trip of {text}"
                    );
                }
            }
        }
    }

    #[test]
    fn single_is_one_fixed_canonical_bio_per_person() {
        let source = bios(30, "single", None);
        assert_eq!(source.num_docs(), 30);
        for doc in docs(&source) {
            assert_eq!(order(&doc), [0, 1, 2, 3, 4, 5]);
            assert_eq!(doc.spans[0].kind, SpanKind::Name);
            assert_eq!(doc.spans[0].start, 0, "the full name opens the biography");
        }
    }

    #[test]
    fn permute_reorders_the_same_sentences() {
        let source = bios(20, "single+permute2", None);
        let all = docs(&source);
        let vocab = &lexicon().vocab;
        let sentences = |doc: &Doc| {
            let text = vocab.decode(&doc.tokens);
            let mut s: Vec<String> = text
                .split(". ")
                .skip(1)
                .map(|s| s.trim_end_matches('.').to_owned())
                .collect();
            s.sort();
            s
        };
        let mut reordered = 0;
        for person in 0..20 {
            let (a, b) = (&all[person], &all[20 + person]);
            // Sentences after the first keep their wording (the first changes subject form).
            let (sa, sb) = (sentences(a), sentences(b));
            let common = sa.iter().filter(|s| sb.contains(s)).count();
            assert!(common >= 4, "{sa:?} vs {sb:?}");
            reordered += usize::from(order(a) != order(b));
        }
        assert!(
            reordered > 15,
            "permutations differ between entries ({reordered}/20)"
        );
    }

    #[test]
    fn fullname_replaces_every_pronoun() {
        let source = bios(10, "multi2+fullname", None);
        let vocab = &lexicon().vocab;
        for doc in docs(&source) {
            let text = vocab.decode(&doc.tokens);
            for pronoun in ["He", "She", "His", "Her"] {
                assert!(!text.split([' ', '.']).any(|w| w == pronoun), "{text}");
            }
            assert!(doc.span_tokens(SpanKind::Value(GENDER)).is_none());
        }
    }

    #[test]
    fn fresh_entries_vary_and_gender_follows_the_person() {
        let source = bios(10, "fresh", Some(4));
        let all = docs(&source);
        let lexicon = lexicon();
        for person in 0..10 {
            let texts: HashSet<String> = (0..4)
                .map(|e| lexicon.vocab.decode(&all[e * 10 + person].tokens))
                .collect();
            assert_eq!(texts.len(), 4, "each exposure is worded anew");
            for e in 0..4 {
                let pronoun = all[e * 10 + person]
                    .span_tokens(SpanKind::Value(GENDER))
                    .unwrap()[0];
                let female = source.person(person).female;
                assert!(
                    pronoun == lexicon.pronouns[usize::from(female)]
                        || pronoun == lexicon.pronouns[2 + usize::from(female)]
                );
            }
        }
    }

    #[test]
    fn documents_are_reproducible_and_prefix_stable_in_n() {
        let (small, large) = (
            bios(40, "multi2+permute", None),
            bios(80, "multi2+permute", None),
        );
        let (a, b) = (docs(&small), docs(&large));
        for person in 0..40 {
            assert_eq!(a[person].tokens, b[person].tokens);
            assert_eq!(a[40 + person].tokens, b[80 + person].tokens);
        }
        assert_eq!(
            docs(&bios(40, "multi2+permute", None))[7].tokens,
            a[7].tokens
        );
    }
}

//! The bioS attribute pools and sentence templates, embedded in the binary so generation never
//! reads files at run time (see `harness/resources/bios/PROVENANCE.md`).

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::spec::Invalid;

/// The six bioS attributes, in the papers' canonical sentence order.
pub const ATTRIBUTES: [&str; 6] = [
    "birth_date",
    "birth_city",
    "university",
    "major",
    "employer",
    "company_city",
];

/// Index of the gender "attribute" in value spans; it is expressed by the first pronoun.
pub const GENDER: u16 = 6;

pub const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Days 1–28, so every month has every day (as in the papers).
pub const DAYS: u32 = 28;
pub const FIRST_YEAR: u32 = 1900;
pub const YEARS: u32 = 200;

/// The published pools, one entry per line.
pub struct Pools {
    pub first_names: Vec<&'static str>,
    pub middle_names: Vec<&'static str>,
    pub last_names: Vec<&'static str>,
    pub birth_cities: Vec<&'static str>,
    pub universities: Vec<&'static str>,
    pub majors: Vec<&'static str>,
    /// `(company, headquarters city)`; the company city of an employee is its employer's HQ.
    pub companies: Vec<(&'static str, &'static str)>,
}

impl Pools {
    /// Name pool sizes `[first, middle, last]`.
    pub fn name_pool_sizes(&self) -> [usize; 3] {
        [
            self.first_names.len(),
            self.middle_names.len(),
            self.last_names.len(),
        ]
    }

    /// Number of distinct attribute tuples a bioS person can have (S0 of Part 3.3 §4): two genders,
    /// every birth date, city, university, major and employer (company city is implied).
    pub fn attribute_space(&self) -> f64 {
        2.0 * (MONTHS.len() as f64 * f64::from(DAYS) * f64::from(YEARS))
            * self.birth_cities.len() as f64
            * self.universities.len() as f64
            * self.majors.len() as f64
            * self.companies.len() as f64
    }
}

/// A sentence template: `{S}` or `{P}` first, then words with exactly one `{V}`.
pub struct Template {
    /// `{P}`: the subject appears as a possessive ("Anna Lee Park's", "Her").
    pub possessive: bool,
    /// The text after the subject placeholder, still containing `{V}`.
    pub rest: &'static str,
}

fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

pub fn pools() -> &'static Pools {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    POOLS.get_or_init(|| Pools {
        first_names: lines(include_str!("../../resources/bios/first_names.txt")),
        middle_names: lines(include_str!("../../resources/bios/middle_names.txt")),
        last_names: lines(include_str!("../../resources/bios/last_names.txt")),
        birth_cities: lines(include_str!("../../resources/bios/birth_cities.txt")),
        universities: lines(include_str!("../../resources/bios/universities.txt")),
        majors: lines(include_str!("../../resources/bios/majors.txt")),
        companies: lines(include_str!("../../resources/bios/companies.txt"))
            .into_iter()
            .map(|line| {
                let (name, city) = line
                    .split_once(';')
                    .expect("companies.txt lines are `Name; City, ST`");
                (name.trim(), city.trim())
            })
            .collect(),
    })
}

/// How many values of each published bioS pool people draw from: the first K of each list.
/// Part 3.1's cpu scale uses small pools so that every value has many holders (its probes and
/// questions then have a few classes with many examples each, as the paper's N = 100,000 has).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolSizes {
    pub birth_cities: u16,
    pub universities: u16,
    pub majors: u16,
    /// Companies (each with its headquarters city, the company city).
    pub companies: u16,
}

/// Each pool size lies between 1 and the published pool's length (errors name `pools.<pool>`).
pub fn check_pool_sizes(sizes: Option<PoolSizes>) -> Result<(), Invalid> {
    let Some(sizes) = sizes else {
        return Ok(());
    };
    let p = pools();
    for (field, size, max) in [
        ("birth_cities", sizes.birth_cities, p.birth_cities.len()),
        ("universities", sizes.universities, p.universities.len()),
        ("majors", sizes.majors, p.majors.len()),
        ("companies", sizes.companies, p.companies.len()),
    ] {
        if size == 0 || usize::from(size) > max {
            return Err(Invalid::field(
                format!("pools.{field}"),
                format!("must be in 1..={max} (the published pool's length)"),
            ));
        }
    }
    Ok(())
}

/// Checks the people count of a bioS dataset: at least one, at most the distinct full names.
pub fn check_people(people: usize) -> Result<(), Invalid> {
    super::generator::at_least_one(people as u64, "people")?;
    let n0 = super::names::name_space(pools().name_pool_sizes());
    if people as f64 > n0 {
        return Err(Invalid::field(
            "people",
            format!("at most {n0} distinct names exist"),
        ));
    }
    Ok(())
}

/// The templates of each attribute, indexed like [`ATTRIBUTES`].
pub fn templates() -> &'static [Vec<Template>; 6] {
    static TEMPLATES: OnceLock<[Vec<Template>; 6]> = OnceLock::new();
    TEMPLATES.get_or_init(|| parse_templates(include_str!("../../resources/bios/templates.txt")))
}

fn parse_templates(text: &'static str) -> [Vec<Template>; 6] {
    let mut sections: [Vec<Template>; 6] = Default::default();
    let mut current = None;
    for line in lines(text).into_iter().filter(|l| !l.starts_with('#')) {
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(
                ATTRIBUTES
                    .iter()
                    .position(|a| *a == header)
                    .expect("known template section"),
            );
            continue;
        }
        let (possessive, rest) = match (line.strip_prefix("{S}"), line.strip_prefix("{P}")) {
            (Some(rest), _) => (false, rest),
            (_, Some(rest)) => (true, rest),
            _ => panic!("template must start with {{S}} or {{P}}: {line}"),
        };
        assert_eq!(
            rest.matches("{V}").count(),
            1,
            "template needs one {{V}}: {line}"
        );
        sections[current.expect("template before any section")].push(Template { possessive, rest });
    }
    sections
}

/// Question wording per attribute: text before and after the full name.
pub const QUESTIONS: [(&str, &str); 6] = [
    ("When was", "born?"),
    ("Where was", "born?"),
    ("Which university did", "attend?"),
    ("What did", "study?"),
    ("Which company employs", "?"),
    ("In which city does", "work?"),
];

/// Part 3.2's questions (arXiv:2309.14402, §3–§6) in our own wording, around names and values:
/// partial retrieval `In which year was <name> born? Answer: <year>`; classification `Was <name>
/// born in an even month? Answer: Yes`; comparison `Was <name> born in an earlier month than
/// <name>? Answer: No`; inverse search `Who was born on <date>? Answer: <name>`. A hint (the
/// paper's chain of thought) puts the months first: `Answer: October; Yes`.
pub const PART3_2_PHRASES: [&str; 7] = [
    "In which year was",
    "born?",
    "Was",
    "born in an even month?",
    "born in an earlier month than",
    "Who was born on",
    "Yes No ; ?",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_have_the_published_sizes() {
        let p = pools();
        assert_eq!(p.name_pool_sizes(), [400, 400, 1000]);
        assert_eq!(p.birth_cities.len(), 200);
        assert_eq!(p.universities.len(), 300);
        assert_eq!(p.majors.len(), 100);
        assert_eq!(p.companies.len(), 263);
        let hq: std::collections::BTreeSet<_> = p.companies.iter().map(|c| c.1).collect();
        assert_eq!(
            hq.len(),
            133,
            "263 companies have 133 distinct HQ cities in the published pool"
        );
    }

    #[test]
    fn entropy_per_person_matches_the_paper() {
        let p = pools();
        let s0_bits = p.attribute_space().log2();
        let name_bits = p
            .name_pool_sizes()
            .iter()
            .map(|&n| n as f64)
            .product::<f64>()
            .log2();
        assert!((s0_bits - 47.59).abs() < 0.005, "log2 S0 = {s0_bits}");
        assert!((name_bits - 27.25).abs() < 0.005, "log2 N0 = {name_bits}");
    }

    #[test]
    fn at_least_forty_templates_per_attribute() {
        for (attribute, list) in ATTRIBUTES.iter().zip(templates()) {
            assert!(list.len() >= 40, "{attribute}: {} templates", list.len());
        }
    }
}

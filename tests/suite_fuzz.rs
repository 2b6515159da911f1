//! 10,000 mutated suite files against the loader: byte flips, truncations, swapped and
//! duplicated lines, huge numbers, wrong types. None may panic, and every rejection is one line
//! that starts with the file's name and, when it blames a field, names it.

use std::path::{Path, PathBuf};

use proptest::prelude::*;

fn suites() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../suites");
    ["part1/v2.toml", "part3.3/v5.toml"]
        .iter()
        .map(|f| std::fs::read(root.join(f)).unwrap())
        .collect()
}

#[derive(Clone, Debug)]
enum Mutation {
    FlipByte {
        at: usize,
        value: u8,
    },
    Truncate {
        at: usize,
    },
    SwapLines {
        a: usize,
        b: usize,
    },
    DuplicateLine {
        at: usize,
    },
    /// Replace the value of the `at`-th `key = value` line.
    SetValue {
        at: usize,
        value: &'static str,
    },
}

const VALUES: [&str; 10] = [
    "99999999999999999999999999",
    "-1",
    "0",
    "1e308",
    "nan",
    "\"text\"",
    "[]",
    "{}",
    "true",
    "[1, \"mixed\"]",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let index = any::<usize>();
    prop_oneof![
        (index, any::<u8>()).prop_map(|(at, value)| Mutation::FlipByte { at, value }),
        index.prop_map(|at| Mutation::Truncate { at }),
        (index, index).prop_map(|(a, b)| Mutation::SwapLines { a, b }),
        index.prop_map(|at| Mutation::DuplicateLine { at }),
        (index, 0..VALUES.len()).prop_map(|(at, v)| Mutation::SetValue {
            at,
            value: VALUES[v]
        }),
    ]
}

fn apply(text: &mut Vec<u8>, mutation: &Mutation) {
    let lines =
        |text: &[u8]| -> Vec<Vec<u8>> { text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect() };
    match *mutation {
        Mutation::FlipByte { at, value } if !text.is_empty() => {
            let at = at % text.len();
            text[at] = value;
        }
        Mutation::Truncate { at } => text.truncate(at % (text.len() + 1)),
        Mutation::SwapLines { a, b } => {
            let mut all = lines(text);
            let (a, b) = (a % all.len(), b % all.len());
            all.swap(a, b);
            *text = all.join(&b'\n');
        }
        Mutation::DuplicateLine { at } => {
            let mut all = lines(text);
            let at = at % all.len();
            all.insert(at, all[at].clone());
            *text = all.join(&b'\n');
        }
        Mutation::SetValue { at, value } => {
            let mut all = lines(text);
            let assignments: Vec<usize> = (0..all.len())
                .filter(|&i| !all[i].starts_with(b"#") && all[i].windows(3).any(|w| w == b" = "))
                .collect();
            if let Some(&line) = assignments.get(at % assignments.len().max(1)) {
                let eq = all[line].windows(3).position(|w| w == b" = ").unwrap();
                all[line].truncate(eq + 3);
                all[line].extend_from_slice(value.as_bytes());
            }
            *text = all.join(&b'\n');
        }
        Mutation::FlipByte { .. } => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_suites_never_panic_and_errors_are_one_line_naming_file_and_field(
        which in 0..2usize,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        thread_local! {
            static DIR: tempfile::TempDir = tempfile::tempdir().unwrap();
            static ORIGINALS: Vec<Vec<u8>> = suites();
        }
        let mut text = ORIGINALS.with(|o| o[which].clone());
        for m in &mutations {
            apply(&mut text, m);
        }
        let file: PathBuf = DIR.with(|d| d.path().join("v1.toml"));
        std::fs::write(&file, &text).unwrap();
        if let Err(error) = plm::suite::load(&file) {
            let line = error.to_string();
            prop_assert!(!line.contains('\n'), "one line: {line}");
            let prefix = file.display().to_string();
            prop_assert!(line.starts_with(&prefix), "names the file: {line}");
            if !error.invalid.field.is_empty() {
                let field = format!("field `{}`", error.invalid.field);
                prop_assert!(line.contains(&field), "names the field: {line}");
            }
            prop_assert!(!error.invalid.message.is_empty(), "says what is wrong: {line}");
        }
    }
}

/// Some mutations must be rejected with the field named (the fuzzing above would pass on a
/// loader that accepted everything).
#[test]
fn known_mutations_are_rejected_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v1.toml");
    let original = String::from_utf8(suites().remove(1)).unwrap();
    for (from, to, field) in [
        ("seed = 33", "seed = \"33\"", "seed"),
        (
            "people = 100\n",
            "people = 99999999999999999999999\n",
            "scales.smoke.datasets[0].people",
        ),
        (
            "settings = { bits = 8 }",
            "settings = { bts = 8 }",
            "claims[8].settings",
        ),
        (
            "estimator = \"peak-ratio\"",
            "estimator = \"peak\"",
            "claims[0].estimator",
        ),
    ] {
        std::fs::write(&file, original.replacen(from, to, 1)).unwrap();
        let error = plm::suite::load(&file).expect_err(to);
        assert_eq!(error.invalid.field, field, "{error}");
    }
}

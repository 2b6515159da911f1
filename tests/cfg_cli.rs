//! End-to-end tests of `plm cfg`: sampling, checking, statistics, and their exit statuses.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plm() -> Command {
    let mut cmd = Command::cargo_bin("plm").unwrap();
    cmd.current_dir(repo());
    cmd
}

/// Runs `plm cfg sample` and returns its stdout.
fn sample(args: &[&str]) -> String {
    let output = plm().args(["cfg", "sample"]).args(args).assert().success();
    String::from_utf8(output.get_output().stdout.clone()).unwrap()
}

#[test]
fn python_mt19937_prints_the_published_golden_sentence() {
    let stdout = sample(&[
        "--grammar",
        "cfg3f",
        "--seed",
        "7711",
        "--rng",
        "python-mt19937",
    ]);
    let tokens: Vec<&str> = stdout.trim_end().split(' ').collect();
    assert_eq!(tokens.len(), 305);
    assert_eq!(
        tokens[..20].join(" "),
        "3 3 3 3 1 1 2 1 3 1 2 3 2 2 1 2 3 3 1 2"
    );
    assert_eq!(stdout.lines().count(), 1);
}

#[test]
fn python_mt19937_continues_one_generator_across_sentences() {
    let three = sample(&[
        "--grammar",
        "cfg3f",
        "--seed",
        "7711",
        "--rng",
        "python-mt19937",
        "--count",
        "3",
    ]);
    let lengths: Vec<usize> = three.lines().map(|l| l.split(' ').count()).collect();
    assert_eq!(lengths, [305, 194, 369]);
}

#[test]
fn sampled_sentences_check_ok_and_corrupted_ones_bad() {
    let sentences = sample(&["--grammar", "cfg3b", "--seed", "1", "--count", "5"]);
    assert_eq!(sentences.lines().count(), 5);
    assert_eq!(
        sentences,
        sample(&["--grammar", "cfg3b", "--seed", "1", "--count", "5"]),
        "deterministic"
    );
    plm()
        .args(["cfg", "check", "--grammar", "cfg3b"])
        .write_stdin(sentences.clone())
        .assert()
        .success()
        .stdout("ok\nok\nok\nok\nok\n");

    // Dropping the last token of the second sentence makes it a non-sentence.
    let mut lines: Vec<String> = sentences.lines().map(str::to_owned).collect();
    let cut = lines[1].rfind(' ').unwrap();
    lines[1].truncate(cut);
    plm()
        .args(["cfg", "check", "--grammar", "cfg3b"])
        .write_stdin(lines.join("\n") + "\n")
        .assert()
        .code(1)
        .stdout("ok\nbad\nok\nok\nok\n");
}

#[test]
fn non_numeric_input_names_the_line() {
    let sentence = sample(&["--grammar", "cfg3f", "--seed", "2"]);
    plm()
        .args(["cfg", "check", "--grammar", "cfg3f"])
        .write_stdin(format!("{sentence}1 2 x 3\n"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("line 2").and(predicate::str::contains("`x`")));
}

#[test]
fn unknown_grammars_list_the_available_ones() {
    for subcommand in ["sample", "check", "stats", "bench"] {
        let mut cmd = plm();
        cmd.args(["cfg", subcommand, "--grammar", "cfg3z"]);
        if subcommand == "sample" {
            cmd.args(["--seed", "0"]);
        }
        let output = cmd.assert().code(2);
        let stderr = String::from_utf8(output.get_output().stderr.clone()).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.contains("cfg3z") && stderr.contains("cfg3b, cfg3e1"),
            "{stderr}"
        );
    }
}

#[test]
fn stats_print_the_exact_expected_length_and_entropy() {
    let output = plm()
        .args(["cfg", "stats", "--grammar", "cfg3f", "--samples", "50"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    // An independent reimplementation gives 249.9 for cfg3f's exact expected length.
    assert!(
        stdout.contains("expected length     249.860 tokens"),
        "{stdout}"
    );
    assert!(
        stdout.contains("derivation entropy  186.221 nats"),
        "{stdout}"
    );
    assert!(
        stdout.contains("sentence entropy") && stdout.contains("bits"),
        "{stdout}"
    );
}

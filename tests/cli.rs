//! End-to-end tests of the `plm` binary: what a user types, what they see, and the exit status.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn suite_text() -> String {
    fs::read_to_string(repo().join("suites/part3.3/v5.toml")).unwrap()
}

/// The first `tokens = "…"` pin of a suite (biod-n100's at the smoke scale).
fn first_pinned_tokens_hash(text: &str) -> String {
    text.lines()
        .find(|l| l.contains("tokens = "))
        .unwrap()
        .split('"')
        .nth(1)
        .unwrap()
        .to_owned()
}

fn plm() -> Command {
    let mut cmd = Command::cargo_bin("plm").unwrap();
    cmd.current_dir(repo());
    cmd
}

/// `plm data` on suite `text` with `good` replaced by `bad` exits 2 with one line naming `field`.
fn rejected_naming(text: &str, good: &str, bad: &str, field: &str) {
    assert!(text.contains(good), "{good}");
    let (status, stderr, _file, _dir) = data_on(&text.replacen(good, bad, 1));
    assert_eq!(status, 2, "{bad}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(field), "expected `{field}` in: {stderr}");
}

/// Runs `plm data FILE --scale smoke` on suite text and returns (status, stderr).
fn data_on(text: &str) -> (i32, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("suite.toml");
    fs::write(&file, text).unwrap();
    let output = plm()
        .args(["data", file.to_str().unwrap(), "--scale", "smoke"])
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8(output.stderr).unwrap(),
        file,
        dir,
    )
}

#[test]
fn smoke_data_matches_the_pins_and_is_identical_across_runs() {
    let first = plm()
        .args(["data", "part3.3", "--scale", "smoke"])
        .assert()
        .success();
    let stdout = String::from_utf8(first.get_output().stdout.clone()).unwrap();
    for dataset in [
        "biod-n100",
        "bios-n100",
        "bios-n100-qa-train",
        "bios-n100-qa-test",
    ] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(dataset))
            .unwrap_or_else(|| panic!("no row for {dataset}:\n{stdout}"));
        assert!(row.ends_with(" ok"), "{row}");
    }
    let second = plm()
        .args(["data", "part3.3", "--scale", "smoke"])
        .assert()
        .success();
    assert_eq!(second.get_output().stdout, first.get_output().stdout);
}

#[test]
fn written_streams_hash_to_the_pinned_values() {
    let out = tempfile::tempdir().unwrap();
    plm()
        .args(["data", "part3.3", "--scale", "smoke", "--out"])
        .arg(out.path())
        .assert()
        .success();
    let suite = suite_text();
    let dataset = out.path().join("bios-n100");
    let tokens = fs::read(dataset.join("tokens.u32le")).unwrap();
    let text = fs::read(dataset.join("text.txt")).unwrap();
    let hex = |bytes: &[u8]| {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert!(
        suite.contains(&hex(&tokens)),
        "token file hash is the pinned one"
    );
    assert!(
        suite.contains(&hex(&text)),
        "text file hash is the pinned one"
    );
    let vocab: serde_json::Value =
        serde_json::from_slice(&fs::read(dataset.join("vocab.json")).unwrap()).unwrap();
    assert_eq!(vocab["tokens"][0], "<eos>");
    let leftovers: Vec<_> = fs::read_dir(out.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "no partial folders remain");
}

#[test]
fn a_changed_pin_fails_naming_the_dataset() {
    let text = suite_text();
    let pinned = first_pinned_tokens_hash(&text);
    let (status, stderr, _, _dir) = data_on(&text.replacen(&pinned, &"0".repeat(64), 1));
    assert_eq!(status, 1);
    assert!(
        stderr.contains("hash mismatch") && stderr.contains("dataset `biod-n100`"),
        "{stderr}"
    );
}

/// `plm reproduce` reports a changed pin as `plm data` does: exit 1, before any training.
#[test]
fn reproduce_stops_on_a_changed_pin_with_the_same_status_as_data() {
    let text = suite_text();
    let pinned = first_pinned_tokens_hash(&text);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("v1.toml");
    fs::write(&file, text.replacen(&pinned, &"0".repeat(64), 1)).unwrap();
    let out = dir.path().join("artifacts");
    plm()
        .args([
            "reproduce",
            file.to_str().unwrap(),
            "--scale",
            "smoke",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("hash mismatch").and(predicate::str::contains("biod-n100")),
        );
    assert!(!out.join("part3.3/smoke/runs").exists(), "nothing trained");
}

#[test]
fn malformed_suites_are_rejected_naming_file_and_field() {
    let text = suite_text();
    // TOML errors name the line: the suite's `name = "part3.3"` line, 1-based.
    let name_line = format!(
        ":{}: ",
        1 + text
            .lines()
            .position(|l| l == "name = \"part3.3\"")
            .unwrap()
    );
    // Checks after parsing (here a generator's settings) name the line too.
    let diversity_line = format!(
        ":{}: field `scales.smoke.datasets[0].diversity`",
        1 + text.lines().position(|l| l == "diversity = 32").unwrap()
    );
    let cases: Vec<(String, &str)> = vec![
        (
            text.replacen("people = 100\n", "peple = 100\n", 1),
            "unknown field `peple`",
        ),
        (
            text.replacen("seed = 33", "seed = \"x\"", 1),
            "field `seed`",
        ),
        (
            text.replacen("version = 5", "version = 0", 1),
            "field `version`",
        ),
        (
            text.replacen("generator = \"bios\"\n", "generator = \"bioz\"\n", 1),
            "unknown generator `bioz`",
        ),
        (
            text.replacen("augmentation = \"fresh\"", "augmentation = \"multy5\"", 1),
            "datasets[1].augmentation",
        ),
        (
            text.replacen("augmentation = \"fresh\"", "augmentation = \"multi5\"", 1),
            "datasets[1].entries",
        ),
        (
            text.replacen("diversity = 32", "diversity = 64", 1),
            diversity_line.as_str(),
        ),
        (
            text.replacen(
                "name_pools = [16, 16, 16]",
                "name_pools = [16, 16, 1001]",
                1,
            ),
            "datasets[0].name_pools",
        ),
        (
            text.replacen("name = \"bios-n100\"", "name = \"biod-n100\"", 1),
            "datasets[1].name",
        ),
        (
            text.replacen("split = \"test\"", "split = \"dev\"", 1),
            "datasets[3].split",
        ),
        (
            text.replacen(
                "[scales.paper]",
                "[scales.tiny]\ndescription = \"x\"\n\n[scales.paper]",
                1,
            ),
            "unknown field `tiny`",
        ),
        (
            text.replacen("paper = \"Allen-Zhu", "paperr = \"Allen-Zhu", 1),
            "unknown field `paperr`",
        ),
        (
            text.replacen("name = \"part3.3\"", "name = \"part3.3", 1),
            name_line.as_str(),
        ),
        (
            text.replacen("alphabet = 32", "alphabet = -3", 1),
            "datasets[0].alphabet",
        ),
        (
            text.replacen("settings = { bits = 8 }", "settings = { bits = \"8\" }", 1),
            "field `claims[8].settings",
        ),
        (
            text.replacen("name = \"part3.3\"", "name = \"part3.9\"", 1),
            "no part named `part3.9`",
        ),
        (
            format!(
                "{text}\n[[scales.smoke.datasets]]\ngenerator = \"bios\"\nname = \"x\"\npeople = 5\naugmentation = \"single\"\nsha256 = {{ tokens = \"abc\", text = \"abc\" }}\n"
            ),
            "datasets[5].sha256.tokens",
        ),
    ];
    for (bad, expected) in cases {
        assert_ne!(bad, text, "the case for `{expected}` must change the suite");
        let (status, stderr, file, _dir) = data_on(&bad);
        assert_eq!(status, 2, "expected rejection for {expected}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.contains(file.to_str().unwrap()),
            "names the file: {stderr}"
        );
        assert!(
            stderr.contains(expected),
            "expected `{expected}` in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// Part 4.1's generators and the Canon settings reject impossible values the same way.
#[test]
fn bad_part4_1_settings_are_rejected_naming_the_field() {
    let text = fs::read_to_string(repo().join("suites/part4.1/v1.toml")).unwrap();
    let cases = [
        ("max_hops = 2", "max_hops = 6", "datasets[1].max_hops"),
        ("max_nodes = 6", "max_nodes = 2", "datasets[1].max_nodes"),
        ("alphabet = 12", "alphabet = 2", "datasets[1].alphabet"),
        (
            "max_operators = 2",
            "max_operators = 0",
            "datasets[2].max_operators",
        ),
        (
            "min_length = 8",
            "min_length = 17",
            "datasets[0].max_length",
        ),
        ("alphabet = 32", "alphabet = 7", "datasets[0].alphabet"),
        (
            "canon = \"ABCD\"",
            "canon = \"ABE\"",
            "rotary-1l-d16-canon.canon",
        ),
        (
            "canon = \"ABCD\"",
            "canon = \"AB\"\ncanon_kernel = 5",
            "rotary-1l-d16-canon.canon_kernel",
        ),
    ];
    for (good, bad, field) in cases {
        rejected_naming(&text, good, bad, field);
    }
}

/// Parts 2.1/2.2's iGSM settings: operations, the room for structures, the hierarchies, the
/// item lists, the detail levels the checker reads, the retry rate.
#[test]
fn bad_igsm_settings_are_rejected_naming_the_field() {
    let part2_1 = fs::read_to_string(repo().join("suites/part2.1/v1.toml")).unwrap();
    let part2_2 = fs::read_to_string(repo().join("suites/part2.2/v1.toml")).unwrap();
    let cases = [
        (
            &part2_1,
            "max_op = 2",
            "max_op = 0",
            "smoke.datasets[0].max_op",
        ),
        (
            &part2_1,
            "max_edge = 12",
            "max_edge = 8",
            "smoke.datasets[0].max_edge",
        ),
        (
            &part2_1,
            "categorisations = [\"Zoo\"]",
            "categorisations = [\"Farm\"]",
            "smoke.datasets[0].categorisations",
        ),
        (
            &part2_1,
            "items = 4",
            "items = 3",
            "smoke.datasets[0].items",
        ),
        (
            &part2_1,
            "items = 4",
            "items = 4\ndetail_level = 1",
            "smoke.datasets[0].detail_level",
        ),
        (
            &part2_2,
            "rate = 0.2",
            "rate = 1.5",
            "smoke.datasets[1].retry.rate",
        ),
        (
            &part2_2,
            "problems = 4",
            "problems = 0",
            "smoke.evaluation.igsm.problems",
        ),
    ];
    for (text, good, bad, field) in cases {
        rejected_naming(text, good, bad, field);
    }
}

/// Parts 3.1/3.2's settings: finetuning sweeps need their pretrained runs and the same context,
/// LoRA only finetunes, hints only exist for the month tasks, pools stay within the published
/// ones.
#[test]
fn bad_part3_knowledge_settings_are_rejected_naming_the_field() {
    let part3_1 = fs::read_to_string(repo().join("suites/part3.1/v1.toml")).unwrap();
    let part3_2 = fs::read_to_string(repo().join("suites/part3.2/v1.toml")).unwrap();
    let cases = [
        (
            &part3_1,
            "from = { dataset = \"bios-n100-single\", recipes = [\"p200\"] }",
            "from = { dataset = \"bios-n100-single\", recipes = [\"finetune\"] }",
            "smoke.sweeps[3].from",
        ),
        (
            &part3_1,
            "dataset = \"bios-n100-single\"\nmodels = [\"rotary-2l-d64\"]\nrecipes = [\"p200\"]",
            "dataset = \"bios-n100-single\"\nmodels = [\"rotary-2l-d64\"]\nrecipes = [\"p200\", \"lora\"]",
            "smoke.sweeps[1].recipes",
        ),
        (
            &part3_1,
            "exposures = 10\nbatch = 16\ncontext = 128",
            "exposures = 10\nbatch = 16\ncontext = 64",
            "smoke.sweeps[3].recipes",
        ),
        (
            &part3_1,
            "companies = 20 }",
            "companies = 300 }",
            "smoke.datasets[0].pools.companies",
        ),
        (
            &part3_2,
            "task = \"birth-year\"",
            "task = \"birth-year\"\nhints = true",
            "smoke.datasets[2].hints",
        ),
        (
            &part3_1,
            "lora = { rank = 8,",
            "lora = { rank = 0,",
            "smoke.recipes.lora.lora.rank",
        ),
    ];
    for (text, good, bad, field) in cases {
        rejected_naming(text, good, bad, field);
    }
}

#[test]
fn unknown_part_scale_and_unwritable_output_are_clear_errors() {
    plm()
        .args(["data", "part9", "--scale", "smoke"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown part").and(predicate::str::contains("part3.3")));
    plm()
        .args(["data", "part3.3", "--scale", "huge"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("smoke, cpu, paper"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    fs::write(&file, "").unwrap();
    plm()
        .args(["data", "part3.3", "--scale", "smoke", "--out"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(file.to_str().unwrap()));
}

#[test]
fn committed_schema_is_current() {
    let printed = plm()
        .arg("schema")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let committed = fs::read(repo().join("suites/schema.json")).unwrap();
    assert!(
        printed == committed,
        "suites/schema.json is stale: run `plm schema > suites/schema.json`"
    );
}

#[test]
fn list_shows_every_scale_of_part3_3() {
    let out = plm()
        .arg("list")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    for scale in ["smoke", "cpu", "paper"] {
        assert!(
            out.lines()
                .any(|l| l.starts_with("part3.3") && l.contains(&format!(" {scale} "))),
            "{out}"
        );
    }
}

#[test]
fn data_benchmark_reports_a_rate() {
    plm()
        .args(["bench", "data", "--seconds", "0.05"])
        .assert()
        .success()
        .stdout(predicate::str::contains("biographies/s"));
}

/// `plm igsm sample --rng official` prints exactly what the official iGSM generator printed for
/// the same settings and seed (`tests/fixtures/igsm/README.md` says how the files were made):
/// problem text, question, solution and answer of the first 100 problems, byte for byte.
#[test]
fn igsm_sample_reproduces_the_official_generator() {
    for (file, args) in [
        ("med_seed42", "--max-op 15 --max-edge 20 --seed 42"),
        ("hard_seed7", "--max-op 21 --max-edge 28 --seed 7"),
        (
            "random_levels_qp_seed1",
            "--max-op 10 --max-edge 15 --perm-level random --detail-level random --format qp --seed 1",
        ),
        (
            "mild_detail7_seed3",
            "--max-op 12 --max-edge 18 --perm-level 2 --detail-level 7 --seed 3",
        ),
    ] {
        let expected = fs::read(repo().join(format!("tests/fixtures/igsm/{file}.jsonl"))).unwrap();
        let output = plm()
            .args(["igsm", "sample", "--rng", "official", "--count", "100"])
            .args(args.split(' '))
            .output()
            .unwrap();
        assert!(output.status.success(), "{file}");
        assert!(
            output.stdout == expected,
            "{file} differs from the official generator's output"
        );
    }
}

/// Settings the official generator cannot run exit 2 with one line naming the setting.
#[test]
fn igsm_sample_refuses_impossible_settings() {
    for (args, named) in [
        ("--max-op 0 --max-edge 20", "max_op"),
        ("--max-op 15 --max-edge 11", "max_edge"),
        ("--max-op 15 --max-edge 20 --perm-level 7", "--perm-level"),
    ] {
        plm()
            .args(["igsm", "sample", "--seed", "1"])
            .args(args.split(' '))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(named));
    }
}

/// `plm slurm` refuses flags that do not fit together, with one line naming the flag, before it
/// writes anything.
#[test]
fn slurm_refuses_bad_flag_combinations() {
    let out = tempfile::tempdir().unwrap();
    for (flags, named) in [
        (
            &["--gpus", "1"][..],
            "--gpus 1 asks for GPUs, but --device flex",
        ),
        (&["--device", "cuda", "--gpus", "0"], "--gpus 0"),
        (&["--cpus", "0"], "--cpus 0"),
        (&["--array-limit", "0"], "--array-limit 0"),
        (&["--time", "1h"], "--time `1h` is not a Slurm time limit"),
        (&["--partition", "gpu debug"], "--partition `gpu debug`"),
        (&["--device", "cuda"], "rebuild with `--features cuda`"),
    ] {
        let output = plm()
            .args(["slurm", "part3.3", "--scale", "smoke", "--out"])
            .arg(out.path())
            .args(flags)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{flags:?}: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
    }
    assert!(
        !out.path().join("slurm").exists(),
        "nothing written on bad flags"
    );
}

/// `plm slurm --help` documents every flag.
#[test]
fn slurm_help_documents_every_flag() {
    let output = plm().args(["slurm", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--scale",
        "--out",
        "--device",
        "--partition",
        "--time",
        "--gpus",
        "--cpus",
        "--array-limit",
        "--submit",
    ] {
        // Long help: the flag on its line, its description indented on the next.
        let mut lines = help
            .lines()
            .skip_while(|l| !l.trim_start().starts_with(flag));
        assert!(lines.next().is_some(), "{flag} missing:\n{help}");
        let description = lines.next().unwrap_or("").trim();
        let documented = !description.is_empty() && !description.starts_with('-');
        assert!(documented, "{flag} undocumented:\n{help}");
    }
}

//! `plm compare BASE NEW` on a committed summary and edited copies of it: identical reports pass,
//! a flipped verdict, a move past the tolerance or a claim on one side only fail with exit 1, and
//! bad input (a missing file, JSON that is not a summary, reports of different suites) exits 2
//! with one line naming the file.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Part 1's cpu summary: ten claims, passes and fails among them.
fn committed_summary() -> Value {
    let file = repo().join("artifacts/part1/cpu/summary.json");
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn write(dir: &Path, name: &str, summary: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string(summary).unwrap()).unwrap();
    path
}

/// The claim `id` in a summary, for editing.
fn claim<'a>(summary: &'a mut Value, id: &str) -> &'a mut Value {
    summary["claims"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["claim"]["id"] == id)
        .unwrap_or_else(|| panic!("claim {id} in the committed summary"))
}

fn compare(base: &Path, new: &Path, extra: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("plm")
        .unwrap()
        .arg("compare")
        .arg(base)
        .arg(new)
        .args(extra)
        .output()
        .unwrap();
    (
        output.status.code().unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `(claim id, regression)` from `--json` output, for the claims that regressed.
fn regressions(stdout: &str) -> Vec<(String, String)> {
    let json: Value = serde_json::from_str(stdout).unwrap();
    json["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["regression"].is_null())
        .map(|c| {
            let id = c["id"].as_str().unwrap().to_owned();
            (id, c["regression"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[test]
fn identical_reports_have_no_regression() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &committed_summary());
    let (code, stdout, stderr) = compare(&base, &base, &[]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("no regression"), "{stdout}");
    // A scale folder reads as its summary.json.
    let folder = repo().join("artifacts/part1/cpu");
    let (code, stdout, _) = compare(&folder, &base, &["--json"]);
    assert_eq!(code, 0, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["claims"].as_array().unwrap().len(), 10);
    assert_eq!(json["runs_matched"], 3);
    assert!(json["runs_changed"].as_array().unwrap().is_empty());
}

/// A flip of a claim the scale binds is a regression; of one it only reports (P1-R1 binds at the
/// paper scale), a change shown, not judged.
#[test]
fn a_flipped_verdict_is_a_regression_where_the_scale_binds_the_claim() {
    let dir = tempfile::tempdir().unwrap();
    let summary = committed_summary();
    let base = write(dir.path(), "base.json", &summary);
    let mut edited = summary.clone();
    // Same value, other verdict: the flip alone is reported.
    claim(&mut edited, "P1-cpu-kl")["verdict"] = "fail".into();
    let new = write(dir.path(), "new.json", &edited);
    let (code, stdout, _) = compare(&base, &new, &["--json"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        regressions(&stdout),
        [("P1-cpu-kl".to_owned(), "verdict pass → fail".to_owned())]
    );
    let mut edited = summary.clone();
    let r1 = claim(&mut edited, "P1-R1");
    let binds = r1["claim"]["binding_scales"].as_array().unwrap();
    assert!(!binds.contains(&"cpu".into()));
    r1["verdict"] = "fail".into();
    r1["measured"] = 0.5.into();
    let new = write(dir.path(), "new.json", &edited);
    let (code, stdout, _) = compare(&base, &new, &["--json"]);
    assert_eq!(code, 0, "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    let claims = json["claims"].as_array().unwrap();
    let r1 = claims.iter().find(|c| c["id"] == "P1-R1").unwrap();
    assert_eq!(
        (&r1["new"], &r1["new_verdict"]),
        (&0.5.into(), &"fail".into())
    );
}

#[test]
fn a_move_past_the_tolerance_is_a_regression_and_a_smaller_one_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let summary = committed_summary();
    let base = write(dir.path(), "base.json", &summary);
    let prefix = claim(&mut summary.clone(), "P1-cpu-prefix")["measured"]
        .as_f64()
        .unwrap();
    let mut edited = summary.clone();
    claim(&mut edited, "P1-cpu-prefix")["measured"] = (prefix * 1.05).into();
    let new = write(dir.path(), "new.json", &edited);
    // 5 %: inside the default 10 %, outside 2 %.
    let (code, stdout, _) = compare(&base, &new, &["--json"]);
    assert_eq!(code, 0, "{stdout}");
    let (code, stdout, _) = compare(&base, &new, &["--json", "--tolerance", "0.02"]);
    assert_eq!(code, 1, "{stdout}");
    let found = regressions(&stdout);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "P1-cpu-prefix");
    assert!(found[0].1.starts_with("moved +5.0 %"), "{found:?}");
    // A claim's own tolerance in the suite wins over the command's.
    claim(&mut edited, "P1-cpu-prefix")["claim"]["tolerance"] = 0.01.into();
    let new = write(dir.path(), "new.json", &edited);
    let (code, stdout, _) = compare(&base, &new, &["--json"]);
    assert_eq!(code, 1, "{stdout}");
}

#[test]
fn a_claim_on_one_side_only_is_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let summary = committed_summary();
    let base = write(dir.path(), "base.json", &summary);
    let mut edited = summary.clone();
    edited["claims"]
        .as_array_mut()
        .unwrap()
        .retain(|c| c["claim"]["id"] != "P1-P2");
    let new = write(dir.path(), "new.json", &edited);
    let (code, stdout, _) = compare(&base, &new, &["--json"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        regressions(&stdout),
        [("P1-P2".to_owned(), "not in NEW".to_owned())]
    );
    let (code, stdout, _) = compare(&new, &base, &["--json"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        regressions(&stdout),
        [("P1-P2".to_owned(), "not in BASE".to_owned())]
    );
}

/// Exit 2 and one `error:` line naming `file`.
fn assert_bad_input(code: i32, stderr: &str, file: &Path) {
    assert_eq!(code, 2, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(&file.display().to_string()), "{stderr}");
}

#[test]
fn bad_input_names_the_file_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let base = write(dir.path(), "base.json", &committed_summary());

    let missing = dir.path().join("missing.json");
    let (code, _, stderr) = compare(&base, &missing, &[]);
    assert_bad_input(code, &stderr, &missing);

    let not_a_summary = write(dir.path(), "runs.json", &serde_json::json!({"runs": []}));
    let (code, _, stderr) = compare(&not_a_summary, &base, &[]);
    assert_bad_input(code, &stderr, &not_a_summary);

    let mut other_scale = committed_summary();
    other_scale["scale"] = "smoke".into();
    let other = write(dir.path(), "smoke.json", &other_scale);
    let (code, _, stderr) = compare(&base, &other, &[]);
    assert_bad_input(code, &stderr, &other);

    let (code, _, stderr) = compare(&base, &base, &["--tolerance=-1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--tolerance"), "{stderr}");
}

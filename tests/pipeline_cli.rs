//! `plm plan`, `plm run --id` and `plm collect` on a tiny Part 3.3 suite: running each planned
//! run on its own, in reverse order, then collecting, gives the same claims, measurements and
//! run files, byte for byte, as `plm reproduce` (one thread); only `timing.json` may differ.
//! `plm slurm` writes the job arrays over that plan (`.ci/slurm-check` runs them on Slurm).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn plm(out: &Path, args: &[&str]) -> std::process::Output {
    plm_on(out, "1", args)
}

/// `plm` with `--threads THREADS`.
fn plm_on(out: &Path, threads: &str, args: &[&str]) -> std::process::Output {
    let output = Command::cargo_bin("plm")
        .unwrap()
        .current_dir(repo())
        .args(["--suites", "tests/fixtures/suites", "--threads", threads])
        .args(args)
        .args(["--scale", "smoke", "--out"])
        .arg(out)
        // A command blocked on a lock fails the test instead of hanging it.
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "plm {args:?}: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Every file under `runs/` except timing.json, by path relative to the scale folder.
fn run_files(scale: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    for run in std::fs::read_dir(scale.join("runs")).unwrap() {
        for file in std::fs::read_dir(run.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.file_name().unwrap() != "timing.json" {
                let relative = path.strip_prefix(scale).unwrap().to_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn running_each_planned_id_then_collecting_equals_reproduce() {
    let (whole, parts) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    plm(whole.path(), &["reproduce", "part3.3"]);

    let plan = plm(parts.path(), &["plan", "part3.3", "--json"]);
    let planned: Vec<Value> = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(planned.len(), 2);
    assert!(planned.iter().all(|p| p["finished"] == false));
    for run in planned.iter().rev() {
        let id = run["id"].as_str().unwrap();
        plm(parts.path(), &["run", "part3.3", "--id", id]);
        // A finished run is a no-op.
        plm(parts.path(), &["run", "part3.3", "--id", id]);
    }
    let collected = plm(parts.path(), &["collect", "part3.3"]);
    assert!(String::from_utf8_lossy(&collected.stdout).contains("2 of 2 planned runs finished"));

    let (a, b) = (
        whole.path().join("part3.3/smoke"),
        parts.path().join("part3.3/smoke"),
    );
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    assert_eq!(sa["claims"], sb["claims"]);
    assert!(sa["claims"][0]["measured"].is_number());
    assert_eq!(sa["missing_runs"], Value::Array(Vec::new()));
    let cells = |s: &Value| -> Vec<Value> {
        s["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["cells"].clone())
            .collect()
    };
    assert_eq!(cells(&sa), cells(&sb));
    let (fa, fb) = (run_files(&a), run_files(&b));
    assert!(fa.keys().any(|p| p.ends_with("model.bpk")));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (path, bytes) in &fa {
        assert!(
            fb[path] == *bytes,
            "{} differs between the two ways",
            path.display()
        );
    }

    let replanned = plm(parts.path(), &["plan", "part3.3", "--json"]);
    let replanned: Vec<Value> = serde_json::from_slice(&replanned.stdout).unwrap();
    assert!(replanned.iter().all(|p| p["finished"] == true));
}

/// Two runs trained side by side in one process, one thread each, are the same bytes as the same
/// runs trained one after the other with `--threads 1`: parallel reproduction stays bit-exact.
#[test]
fn runs_side_by_side_equal_runs_at_one_thread() {
    let (serial, parallel) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    plm(serial.path(), &["reproduce", "part3.3", "--jobs", "1"]);
    let out = plm_on(
        parallel.path(),
        "2",
        &["reproduce", "part3.3", "--jobs", "2"],
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 runs side by side, 1 thread each"));
    let (a, b) = (
        run_files(&serial.path().join("part3.3/smoke")),
        run_files(&parallel.path().join("part3.3/smoke")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(b[path] == *bytes, "{} differs", path.display());
    }
}

#[test]
fn collect_on_a_partial_sweep_lists_missing_runs_and_judges_nothing_it_lacks() {
    let out = tempfile::tempdir().unwrap();
    let plan = plm(out.path(), &["plan", "part3.3", "--json"]);
    let planned: Vec<Value> = serde_json::from_slice(&plan.stdout).unwrap();
    plm(
        out.path(),
        &["run", "part3.3", "--id", planned[0]["id"].as_str().unwrap()],
    );
    // The missing run is being trained by another process (which holds its lock): collect does
    // not wait for it.
    let lock = out
        .path()
        .join("part3.3/smoke/locks")
        .join(format!("{}.lock", planned[1]["id"].as_str().unwrap()));
    let held = std::fs::File::create(&lock).unwrap();
    held.lock().unwrap();
    let collected = plm(out.path(), &["collect", "part3.3"]);
    drop(held);
    let stdout = String::from_utf8_lossy(&collected.stdout);
    assert!(stdout.contains("1 of 2 planned runs finished"), "{stdout}");
    assert!(stdout.contains("): not started"), "{stdout}");
    let summary = json(&out.path().join("part3.3/smoke/summary.json"));
    let missing = summary["missing_runs"].as_array().unwrap();
    assert_eq!(missing.len(), 1);
    assert!(
        missing[0]
            .as_str()
            .unwrap()
            .contains(planned[1]["id"].as_str().unwrap())
    );
    for claim in summary["claims"].as_array().unwrap() {
        assert_eq!(claim["verdict"], "not-measured", "{claim}");
    }
    let html = std::fs::read_to_string(out.path().join("part3.3/smoke/report.html")).unwrap();
    assert!(html.contains("Missing runs"));
}

#[test]
fn an_unknown_run_id_lists_the_plan() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("plm")
        .unwrap()
        .current_dir(repo())
        .args([
            "--suites",
            "tests/fixtures/suites",
            "run",
            "part3.3",
            "--scale",
            "smoke",
        ])
        .args(["--id", "0000", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no run `0000`") && stderr.contains("planned:"),
        "{stderr}"
    );
}

fn bash_syntax_ok(script: &Path) {
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(script)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}: {}",
        script.display(),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// `plm slurm` writes one array task per unfinished planned run (its id, the suite file, the
/// resources asked for), a collect job and submit.sh, all valid bash; a finished run leaves the
/// array when the scripts are written again.
#[test]
fn slurm_scripts_hold_one_array_task_per_unfinished_run() {
    let out = tempfile::tempdir().unwrap();
    let plan = plm(out.path(), &["plan", "part3.3", "--json"]);
    let planned: Vec<Value> = serde_json::from_slice(&plan.stdout).unwrap();
    let ids: Vec<&str> = planned.iter().map(|p| p["id"].as_str().unwrap()).collect();
    let slurm = ["slurm", "part3.3", "--partition", "debug", "--time", "30"];
    plm(out.path(), &slurm);
    let dir = out
        .path()
        .canonicalize()
        .unwrap()
        .join("slurm/part3.3-smoke");
    let stage = std::fs::read_to_string(dir.join("stage1.sbatch")).unwrap();
    for line in [
        "#SBATCH --array=0-1",
        "#SBATCH --partition=debug",
        "#SBATCH --time=30",
        "#SBATCH --cpus-per-task=1",
    ] {
        assert!(stage.lines().any(|l| l == line), "{line}:\n{stage}");
    }
    assert!(!stage.contains("--gres"), "flex asks for no GPU");
    assert!(ids.iter().all(|id| stage.contains(id)), "{stage}");
    assert!(stage.contains("tests/fixtures/suites/part3.3/v1.toml'"));
    for script in ["stage1.sbatch", "collect.sbatch", "submit.sh"] {
        bash_syntax_ok(&dir.join(script));
    }
    assert!(!dir.join("stage2.sbatch").exists(), "no finetuning here");

    plm(out.path(), &["run", "part3.3", "--id", ids[0]]);
    let again = plm(out.path(), &slurm);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("2 planned runs, 1 finished; 1 array task in 1 stage"),
        "{stdout}"
    );
    let stage = std::fs::read_to_string(dir.join("stage1.sbatch")).unwrap();
    assert!(stage.contains("#SBATCH --array=0-0\n"), "{stage}");
    assert!(stage.contains(ids[1]) && !stage.contains(ids[0]), "{stage}");
}

/// Part 3.1's finetunings go in a second array that starts after the first (which trains their
/// pretrained models) has ended; collect waits for the second.
#[test]
fn slurm_puts_finetunings_in_a_later_stage() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::cargo_bin("plm")
        .unwrap()
        .current_dir(repo())
        .args(["slurm", "part3.1", "--scale", "smoke", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let dir = out.path().join("slurm/part3.1-smoke");
    let submit = std::fs::read_to_string(dir.join("submit.sh")).unwrap();
    let stage2 = submit.find("stage2.sbatch").expect("a second stage");
    assert!(submit.find("stage1.sbatch").unwrap() < stage2);
    assert!(stage2 < submit.find("collect.sbatch").unwrap());
    assert!(stdout.contains("in 2 stages"), "{stdout}");
    bash_syntax_ok(&dir.join("stage2.sbatch"));
}

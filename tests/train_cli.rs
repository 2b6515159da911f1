//! End-to-end tests of `plm train`: learning happens, runs are bit-exact (one thread and two give
//! the same bits), and an interrupted run (stopped, killed or sent SIGTERM) resumes to exactly the weights of an
//! uninterrupted one, file for file.

use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use serde_json::Value;

fn spec() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/train_bios_small.toml")
}

fn plm() -> Command {
    Command::cargo_bin("plm").unwrap()
}

fn train(out: &Path, extra: &[&str]) -> std::process::Output {
    train_on(1, out, extra)
}

fn train_on(threads: usize, out: &Path, extra: &[&str]) -> std::process::Output {
    plm()
        .args(["--threads", &threads.to_string(), "train"])
        .arg(spec())
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

fn report(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("train.json")).unwrap()).unwrap()
}

fn losses(report: &Value) -> Vec<f64> {
    report["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_f64().unwrap())
        .collect()
}

#[test]
fn loss_falls_and_runs_are_bit_identical() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    // `plm reproduce` trains at one thread or at several depending on the number of runs, so the
    // thread count must not change the weights.
    for (threads, run) in [(1, &a), (2, &b)] {
        let out = train_on(threads, run, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (ra, rb) = (report(&a), report(&b));
    let curve = losses(&ra);
    assert!(curve.len() >= 200, "{} steps", curve.len());
    let first = curve[..20].iter().sum::<f64>() / 20.0;
    let last = curve[curve.len() - 20..].iter().sum::<f64>() / 20.0;
    assert!(
        last < 0.5 * first,
        "mean loss of the last 20 steps {last:.3} vs first 20 {first:.3}"
    );
    assert_eq!(
        losses(&ra),
        losses(&rb),
        "same seed, one thread or two: identical loss curves"
    );
    assert_eq!(ra["weights_sha256"], rb["weights_sha256"]);
    assert!(a.join("model.bpk").exists() && !a.join("checkpoint.bin").exists());
    // The weights file is the same bytes (burn's random parameter ids are replaced by
    // sequential ones), and so is the report but for the thread count it records.
    let same =
        std::fs::read(a.join("model.bpk")).unwrap() == std::fs::read(b.join("model.bpk")).unwrap();
    assert!(same, "model.bpk differs between identical runs");
    let (mut ra, mut rb) = (ra, rb);
    assert_eq!((&ra["threads"], &rb["threads"]), (&1.into(), &2.into()));
    for r in [&mut ra, &mut rb] {
        r.as_object_mut().unwrap().remove("threads");
    }
    assert_eq!(ra, rb, "train.json differs beyond the thread count");
    assert!(a.join("timing.json").exists());
}

#[test]
fn interrupted_runs_resume_to_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    assert!(train(&whole, &[]).status.success());
    let expected = report(&whole);

    // Stopped cleanly after 75 steps, then resumed.
    let stopped = dir.path().join("stopped");
    assert!(train(&stopped, &["--stop-after", "75"]).status.success());
    assert!(stopped.join("checkpoint.bin").exists() && !stopped.join("train.json").exists());
    let refused = train(&stopped, &[]);
    assert_eq!(
        refused.status.code(),
        Some(2),
        "an existing checkpoint is never overwritten silently"
    );
    assert!(train(&stopped, &["--resume"]).status.success());
    assert_eq!(
        report(&stopped)["weights_sha256"],
        expected["weights_sha256"]
    );
    assert_eq!(
        losses(&report(&stopped)),
        losses(&expected),
        "the loss history survives the interruption"
    );
    // Repeated at one thread, interrupted or not, every file but timing.json is the same bytes.
    for file in ["model.bpk", "train.json"] {
        let same =
            std::fs::read(whole.join(file)).unwrap() == std::fs::read(stopped.join(file)).unwrap();
        assert!(same, "{file} differs between identical runs");
    }

    // Killed (SIGKILL) once the first periodic checkpoint exists, then resumed.
    let killed = dir.path().join("killed");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("plm"))
        .args(["--threads", "1", "train"])
        .arg(spec())
        .arg("--out")
        .arg(&killed)
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !killed.join("checkpoint.bin").exists() && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    if !killed.join("train.json").exists() {
        let resumed = train(&killed, &["--resume"]);
        assert!(
            resumed.status.success(),
            "{}",
            String::from_utf8_lossy(&resumed.stderr)
        );
    }
    assert_eq!(
        report(&killed)["weights_sha256"],
        expected["weights_sha256"]
    );

    // SIGTERM (Slurm's time limit, preemption, scancel) once training is under way: the step in
    // progress is finished and checkpointed, the process exits with 128 + 15, and the resumed
    // run starts from that step.
    let terminated = dir.path().join("terminated");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("plm"))
        .args(["--threads", "1", "train"])
        .arg(spec())
        .arg("--out")
        .arg(&terminated)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("train: step") {
        line.clear();
        assert_ne!(stderr.read_line(&mut line).unwrap(), 0, "no progress line");
    }
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: signalling a child process this test started and has not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(143), "{rest}");
    assert!(rest.contains("stopped by SIGTERM at step"), "{rest}");
    assert!(terminated.join("checkpoint.bin").exists() && !terminated.join("train.json").exists());
    let resumed = train(&terminated, &["--resume"]);
    assert!(resumed.status.success());
    assert!(String::from_utf8_lossy(&resumed.stderr).contains("train: resuming at step"));
    assert_eq!(
        report(&terminated)["weights_sha256"],
        expected["weights_sha256"]
    );
}

#[test]
fn a_corrupt_checkpoint_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("checkpoint.bin"), b"PLMCKPT1\x05\0\0").unwrap();
    let out = train(&run, &["--resume"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("checkpoint.bin is corrupt"), "{stderr}");
}

/// A finetuning of the fixture's run (its spec nested as `[from]`), with `recipe` in place of
/// the fixture's exposures line; written into `dir`.
fn finetuning_spec(dir: &Path, recipe: &str) -> PathBuf {
    let pretraining = std::fs::read_to_string(spec()).unwrap();
    let nested = pretraining
        .replace("seed = 7", "[from]\nseed = 7")
        .replace("[dataset]", "[from.dataset]")
        .replace("[model]", "[from.model]")
        .replace("[recipe]", "[from.recipe]");
    let path = dir.join("finetuning.toml");
    std::fs::write(
        &path,
        pretraining.replace("exposures = 29", recipe) + &nested,
    )
    .unwrap();
    path
}

fn finetune(spec: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    plm()
        .args(["--threads", "1", "train"])
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .unwrap()
}

/// A LoRA finetuning stopped and resumed ends with the same merged weights, byte for byte, as
/// an uninterrupted one: the adapters travel in the checkpoint.
#[test]
fn lora_finetuning_resumes_to_the_same_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (parent, whole, cut) = (
        dir.path().join("parent"),
        dir.path().join("whole"),
        dir.path().join("cut"),
    );
    assert!(train(&parent, &[]).status.success());
    let lora = "exposures = 4\nlora = { rank = 4, embedding_rank = 8 }";
    let child = finetuning_spec(dir.path(), lora);
    let start = ["--start-from", parent.to_str().unwrap()];
    assert!(finetune(&child, &whole, &start).status.success());
    let stopped = [&start[..], &["--stop-after", "12"]].concat();
    assert!(finetune(&child, &cut, &stopped).status.success());
    assert!(cut.join("checkpoint.bin").exists());
    let resumed = [&start[..], &["--resume"]].concat();
    assert!(finetune(&child, &cut, &resumed).status.success());
    assert_eq!(
        report(&whole)["weights_sha256"],
        report(&cut)["weights_sha256"]
    );
    assert_eq!(
        std::fs::read(whole.join("model.bpk")).unwrap(),
        std::fs::read(cut.join("model.bpk")).unwrap()
    );
}

/// A finetuning spec (`[from]`) starts from the pretrained run's weights: its first loss is on
/// the same first batch as the pretraining's first step, and far below it. Without the
/// pretrained folder, or with the folder of another spec, it refuses to start.
#[test]
fn finetuning_starts_from_the_pretrained_weights() {
    let dir = tempfile::tempdir().unwrap();
    let (parent, child, other) = (
        dir.path().join("parent"),
        dir.path().join("child"),
        dir.path().join("other"),
    );
    assert!(train(&parent, &[]).status.success());
    let child_spec = finetuning_spec(dir.path(), "exposures = 2");
    let finetune = |out: &Path, extra: &[&str]| finetune(&child_spec, out, extra);

    let refused = finetune(&child, &[]);
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("name the pretrained run's folder"),
        "{stderr}"
    );

    let child_run = finetune(&other, &["--start-from", child_spec.to_str().unwrap()]);
    assert!(!child_run.status.success(), "a file is not a finished run");

    let out = finetune(&child, &["--start-from", parent.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (before, after) = (losses(&report(&parent))[0], losses(&report(&child))[0]);
    assert!(
        after < 0.5 * before,
        "first finetuning loss {after:.3} vs the same batch at initialisation {before:.3}"
    );

    // The finished finetuning is a run folder of another spec: not a valid starting point.
    let wrong = finetune(&other, &["--start-from", child.to_str().unwrap()]);
    assert!(!wrong.status.success());
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("belongs to another training spec"),
        "{stderr}"
    );
}

//! `plm reproduce part3.3 --scale smoke` end to end, run twice at once on one artifacts folder:
//! both processes exit cleanly, every claim gets a verdict in the report, manifests hold what the
//! capacity formula needs, finished runs are cached, and `plm collect` re-renders without
//! training. The bits are recomputed here from the manifest alone.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

fn plm() -> Command {
    let mut cmd = Command::cargo_bin("plm").unwrap();
    cmd.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    cmd
}

fn json(path: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Part 3.3's bits, written out independently of the evaluator: the paper's pool sizes for
/// bioS (N0 = 400·400·1000, S0 = 2·(12·28·200)·200·300·100·263) and bioD's sizes as recorded.
fn bits_from(knowledge: &Value, losses: &Value) -> f64 {
    let (p1, p2, p3) = (
        losses["p1"].as_f64().unwrap(),
        losses["p2"].as_f64().unwrap(),
        losses["p3"].as_f64().unwrap(),
    );
    let ln2 = std::f64::consts::LN_2;
    if let Some(k) = knowledge.get("Bios") {
        let n = k["n"].as_f64().unwrap();
        let n0: f64 = 400.0 * 400.0 * 1000.0;
        let s0: f64 = 2.0 * (12.0 * 28.0 * 200.0) * 200.0 * 300.0 * 100.0 * 263.0;
        assert_eq!(k["n0"].as_f64().unwrap(), n0);
        assert_eq!(k["s0"].as_f64().unwrap(), s0);
        n * (n0.log2() - p1 / ln2) + n * (s0.log2() - p2 / ln2)
    } else {
        let k = &knowledge["Biod"];
        let f = |name: &str| k[name].as_f64().unwrap();
        let (n, n0, kk, c, d, l, t) = (f("n"), f("n0"), f("k"), f("c"), f("d"), f("l"), f("t"));
        n * (n0 / p1.exp()).log2()
            + n * kk * (d.powf(c) / p2.exp()).log2()
            + kk * d * (t.powf(l) / (d * p3.exp())).log2()
    }
}

#[test]
fn smoke_scale_reproduces_with_a_verdict_for_every_claim() {
    let artifacts = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        plm()
            .args(args)
            .arg("--out")
            .arg(artifacts.path())
            .output()
            .unwrap()
    };
    // Two processes on one folder: they share the runs (each trains what the other has not
    // locked) and both write a complete summary.
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo_bin!("plm"))
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
            .args(["reproduce", "part3.3", "--scale", "smoke", "--out"])
            .arg(artifacts.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (first, second) = (spawn(), spawn());
    let mut waited = Vec::new();
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        waited.push(String::from_utf8_lossy(&output.stdout).to_string());
    }
    // Each process reports every run of Part 3.3's five, trained or waited for.
    let trained = |stdout: &str| stdout.lines().filter(|l| l.starts_with('[')).count();
    assert_eq!(trained(&waited[0]), 5, "{}", waited[0]);
    assert_eq!(trained(&waited[1]), 5, "{}", waited[1]);
    // `part3` (what the README's main command reproduces) is every Part 3 suite.
    let planned = run(&["plan", "part3", "--scale", "smoke"]);
    let planned = String::from_utf8_lossy(&planned.stdout);
    // Each part's newest version is planned, whatever its number.
    for part in ["part3.1", "part3.2", "part3.3"] {
        let heading = |line: &&str| {
            line.strip_prefix(&format!("{part} v"))
                .is_some_and(|rest| rest.ends_with(" scale smoke:"))
        };
        assert!(planned.lines().any(|line| heading(&line)), "{planned}");
    }

    let scale = artifacts.path().join("part3.3/smoke");
    let summary = json(&scale.join("summary.json"));
    let suite = json(&scale.join("suite.json"));
    let claims = summary["claims"].as_array().unwrap();
    let at_smoke = claims_at_smoke(&suite);
    assert_eq!(claims.len(), at_smoke, "the claims judged at smoke");
    assert!(at_smoke >= 3, "the smoke scale is a law gate");
    assert_law_gate_holds("part3.3", &scale);
    let html = std::fs::read_to_string(scale.join("report.html")).unwrap();
    for claim in claims {
        let id = claim["claim"]["id"].as_str().unwrap();
        assert!(
            html.contains(&format!("<td>{id}</td>")),
            "report lists claim {id}"
        );
        let verdict = claim["verdict"].as_str().unwrap();
        let binds = claim["claim"]["binding_scales"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "smoke");
        // The law gate: a change that breaks learning, packing, the evaluator or an estimator
        // moves a measurement below its calibrated floor.
        assert!(
            !binds || verdict == "pass",
            "law gate {id}: measured {} ({}), expected {:?} / {:?}",
            claim["measured"],
            claim["evidence"],
            claim["claim"]["at_least"],
            claim["claim"]["at_most"]
        );
        assert!(
            [
                "pass",
                "fail",
                "not-reproduced-at-this-scale",
                "not-measured"
            ]
            .contains(&verdict)
        );
    }
    assert!(
        html.contains("<svg") && !html.contains("<script"),
        "self-contained: inline SVG, no scripts"
    );
    for figure in [
        "bits-vs-parameters-e1000",
        "bits-vs-parameters-e100",
        "ratio-vs-exposures",
    ] {
        assert!(
            scale.join(format!("figures/{figure}.svg")).exists()
                && scale.join(format!("figures/{figure}.png")).exists()
        );
    }

    let plan = json(&scale.join("plan.json"));
    let ids: Vec<String> = plan
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), summary["runs"].as_array().unwrap().len());
    for id in &ids {
        let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
        for field in [
            "code_revision",
            "code_epoch",
            "device",
            "weights_sha256",
            "data_sha256",
        ] {
            assert!(!manifest[field].is_null(), "{id}: manifest records {field}");
        }
        let capacity = &manifest["measurements"]["capacity"];
        let recomputed = bits_from(&capacity["knowledge"], &capacity["losses"]);
        let recorded = capacity["bits"].as_f64().unwrap();
        assert!(
            (recomputed - recorded).abs() <= 1e-6 * recorded.abs().max(1.0),
            "{id}: {recomputed} vs {recorded}"
        );
        let ratio = capacity["ratio"].as_f64().unwrap();
        assert!((ratio - recorded / capacity["parameters"].as_f64().unwrap()).abs() < 1e-9);
    }

    // A second run trains nothing: every manifest is reused as is.
    let train_seconds =
        |id: &str| json(&scale.join("runs").join(id).join("timing.json"))["train_seconds"].clone();
    let before: Vec<Value> = ids.iter().map(|id| train_seconds(id)).collect();
    assert!(
        run(&["reproduce", "part3.3", "--scale", "smoke"])
            .status
            .success()
    );
    assert_eq!(
        before,
        ids.iter().map(|id| train_seconds(id)).collect::<Vec<_>>()
    );

    std::fs::remove_file(scale.join("report.html")).unwrap();
    let rerender = run(&["collect", "part3.3", "--scale", "smoke"]);
    assert!(
        rerender.status.success(),
        "{}",
        String::from_utf8_lossy(&rerender.stderr)
    );
    assert!(scale.join("report.html").exists());

    verify_checks_the_summary_against_the_code(&scale, &run);
    a_corrupt_manifest_is_named_not_taken_for_missing(&scale, &ids[0], &run);
}

/// `plm verify` on a fresh smoke folder passes (one run retrained bit-identical, the claims
/// recomputed); a summary with an edited claim value, or with weights hashes no training gives,
/// fails with exit 1 and says what differs.
fn verify_checks_the_summary_against_the_code(
    scale: &Path,
    run: &dyn Fn(&[&str]) -> std::process::Output,
) {
    let verify = || run(&["verify", "part3.3", "--scale", "smoke", "--runs", "1"]);
    let passed = verify();
    let stdout = String::from_utf8_lossy(&passed.stdout).to_string();
    assert!(
        passed.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    assert!(stdout.contains("): bit-identical"), "{stdout}");
    assert!(
        stdout.contains("recomputed from the committed runs, all agree"),
        "{stdout}"
    );

    let path = scale.join("summary.json");
    let original = std::fs::read_to_string(&path).unwrap();
    let mut tampered: Value = serde_json::from_str(&original).unwrap();
    let measured = tampered["claims"][0]["measured"].as_f64().unwrap();
    tampered["claims"][0]["measured"] = serde_json::json!(measured + 0.01);
    std::fs::write(&path, serde_json::to_string(&tampered).unwrap()).unwrap();
    let failed = verify();
    let stdout = String::from_utf8_lossy(&failed.stdout).to_string();
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    let id = tampered["claims"][0]["claim"]["id"].as_str().unwrap();
    assert!(
        stdout.contains(&format!("claim {id}: the summary says")),
        "{stdout}"
    );

    let mut tampered: Value = serde_json::from_str(&original).unwrap();
    for row in tampered["runs"].as_array_mut().unwrap() {
        row["weights_sha256"] = serde_json::json!("0".repeat(64));
    }
    std::fs::write(&path, serde_json::to_string(&tampered).unwrap()).unwrap();
    let failed = verify();
    let stdout = String::from_utf8_lossy(&failed.stdout).to_string();
    assert_eq!(failed.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("DIFFERS: weights sha256"), "{stdout}");
    std::fs::write(&path, original).unwrap();
}

/// A truncated manifest stops `collect` and `reproduce` with exit 2 naming the file, instead of
/// listing the run as missing or training it again.
fn a_corrupt_manifest_is_named_not_taken_for_missing(
    scale: &Path,
    id: &str,
    run: &dyn Fn(&[&str]) -> std::process::Output,
) {
    let manifest = scale.join("runs").join(id).join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, &text[..text.len() / 2]).unwrap();
    for command in ["collect", "reproduce"] {
        let output = run(&[command, "part3.3", "--scale", "smoke"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains(&format!("{id}/manifest.json is corrupt")) && stderr.contains("EOF"),
            "{command}: {stderr}"
        );
    }
    std::fs::write(&manifest, text).unwrap();
}

/// The claims of a suite (as `suite.json` holds it) that are judged at the smoke scale.
fn claims_at_smoke(suite: &serde_json::Value) -> usize {
    suite["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["scales"]
                .as_array()
                .is_none_or(|s| s.iter().any(|s| s == "smoke"))
        })
        .count()
}

/// The smoke scale's law gate: at least two claims bind at smoke, all pass (else `reproduce`
/// exits 1 before this is reached), and `plm compare` finds no regression against the committed
/// baseline `artifacts/PART/smoke/summary.json` (a flipped verdict, or a value moved by more than
/// the default 10 % or the claim's own tolerance).
fn assert_law_gate_holds(part: &str, scale: &Path) {
    let summary = json(&scale.join("summary.json"));
    let binding = summary["claims"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| {
            c["claim"]["binding_scales"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s == "smoke"))
        })
        .count();
    assert!(binding >= 2, "{part}: {binding} claims bind at smoke");
    let baseline = format!("artifacts/{part}/smoke/summary.json");
    let output = plm()
        .arg("compare")
        .arg(&baseline)
        .arg(scale.join("summary.json"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{part}: the smoke reproduce moved against {baseline}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `plm reproduce PART --scale smoke` into a fresh artifacts folder, which must succeed and
/// judge every claim; returns the folder (kept alive) and the scale's path in it.
fn reproduce_smoke(part: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let artifacts = tempfile::tempdir().unwrap();
    let output = plm()
        .args(["reproduce", part, "--scale", "smoke", "--out"])
        .arg(artifacts.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let scale = artifacts.path().join(part).join("smoke");
    let summary = json(&scale.join("summary.json"));
    let suite = json(&scale.join("suite.json"));
    assert_eq!(
        summary["claims"].as_array().unwrap().len(),
        claims_at_smoke(&suite)
    );
    (artifacts, scale)
}

/// Part 1 through the same pipeline: grammar runs get generation accuracy, cut-50 accuracy, KL
/// and entropies, and the report judges every Part 1 claim.
#[test]
fn part1_smoke_scale_measures_grammar_models() {
    let (_artifacts, scale) = reproduce_smoke("part1");
    assert_law_gate_holds("part1", &scale);
    assert!(scale.join("figures/kl-vs-parameters.svg").exists());
    assert!(scale.join("figures/excess-loss-vs-tokens.svg").exists());
    assert!(scale.join("figures/probe-ancestor-by-level.svg").exists());
    let html = std::fs::read_to_string(scale.join("report.html")).unwrap();
    assert!(html.contains("<td>P1-R1</td>") && html.contains("cut accuracy"));

    let ids: Vec<String> = json(&scale.join("plan.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "a rotary and an absolute model");
    for id in &ids {
        let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
        let g = &manifest["measurements"]["grammar"];
        assert_eq!(g["samples"], 500);
        for share in ["accuracy", "cut_accuracy"] {
            let v = g[share].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{id}: {share} = {v}");
        }
        assert!(
            g["kl"].as_f64().unwrap() > 0.0,
            "{id}: KL of an imperfect model"
        );
        assert!(g["kl_positions"].as_u64().unwrap() > 50 * 100);
        // cfg3b's sentence entropy, computed exactly, is the same for every run.
        let h = g["grammar_entropy_bits"].as_f64().unwrap();
        assert!(h > 10.0 && g["grammar_entropy_stderr_bits"].as_f64().unwrap() < 0.05 * h);
        assert!(g["generated_entropy_bits"].as_f64().unwrap() > 0.0);
        let prefix = g["median_valid_prefix"].as_f64().unwrap();
        assert!(
            (0.0..=512.0).contains(&prefix),
            "{id}: valid prefix {prefix}"
        );
        // The probes: cfg3b has 5 non-terminal levels below the root, each scored for the
        // trained model and the control on the 20 scoring sentences' positions.
        let probe = &manifest["measurements"]["probe"];
        assert!(probe["scored_positions"].as_u64().unwrap() > 20 * 150);
        for key in [
            "ancestor",
            "ancestor_control",
            "boundary",
            "boundary_control",
        ] {
            let levels = probe[key].as_array().unwrap();
            assert_eq!(levels.len(), 5, "{id}: {key}");
            assert!(
                levels
                    .iter()
                    .all(|a| (0.0..=1.0).contains(&a.as_f64().unwrap()))
            );
        }
        let curve = &manifest["measurements"]["curve"];
        assert!(curve["points"].as_array().unwrap().len() > 5);
        assert!(curve["floor"].as_f64().unwrap() > 0.3);
    }
}

/// Part 4.1 through the same pipeline: copy, Depo and Mano models with and without Canon layers
/// get exact-match accuracy at each difficulty, and every claim a verdict.
#[test]
fn part4_1_smoke_scale_scores_answers_by_difficulty() {
    let (_artifacts, scale) = reproduce_smoke("part4.1");
    assert_law_gate_holds("part4.1", &scale);
    for task in ["copy", "depo", "mano"] {
        assert!(
            scale.join(format!("figures/{task}-accuracy.svg")).exists(),
            "{task}"
        );
    }
    let plan = json(&scale.join("plan.json"));
    let mut tasks = Vec::new();
    for run in plan.as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
        let measured = &manifest["measurements"];
        let points = measured["accuracy"].as_array().unwrap();
        let difficulties: Vec<u64> = points
            .iter()
            .map(|p| p["difficulty"].as_u64().unwrap())
            .collect();
        let task = measured["task"].as_str().unwrap().to_owned();
        let expected: Vec<u64> = match task.as_str() {
            "copy" => vec![8, 16],
            "depo" => vec![1, 2],
            _ => vec![1, 2],
        };
        assert_eq!(difficulties, expected, "{task}");
        for p in points {
            let (correct, questions) = (
                p["correct"].as_u64().unwrap(),
                p["questions"].as_u64().unwrap(),
            );
            // 500 documents per difficulty; Depo asks min(10, N) = 6 questions in each.
            let per_doc = if task == "depo" { 6 } else { 1 };
            assert_eq!(questions, 500 * per_doc, "{task}");
            assert!(correct <= questions);
        }
        tasks.push(task);
    }
    tasks.sort();
    assert_eq!(tasks, ["copy", "copy", "depo", "mano"]);
}

/// Parts 2.1 and 2.2 through the same pipeline: every evaluated operation count gets its test
/// problems, the generator checks pass (the checker accepts every generated solution), the
/// retry data's own solutions pass the checker, and the report shows example solutions.
#[test]
fn part2_smoke_scales_check_solutions_and_the_generator() {
    for part in ["part2.1", "part2.2"] {
        let (_artifacts, scale) = reproduce_smoke(part);
        assert_law_gate_holds(part, &scale);
        let plan = json(&scale.join("plan.json"));
        for run in plan.as_array().unwrap() {
            let id = run["id"].as_str().unwrap();
            let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
            let measured = &manifest["measurements"];
            let ops: Vec<u64> = measured["by_op"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["op"].as_u64().unwrap())
                .collect();
            assert_eq!(ops, [1, 2], "{part}");
            let check = &measured["training_check"];
            assert_eq!(check["accepted"], check["solutions"], "{part}");
            if part == "part2.1" {
                let data = &measured["data"];
                assert_eq!(data["checker"]["accepted"], data["checker"]["problems"]);
            }
        }
        let report = std::fs::read_to_string(scale.join("report.html")).unwrap();
        assert!(report.contains("<dt>checker</dt>"), "{part}");
    }
}

/// Part 3.1's mixed training through the same pipeline: every person's six questions are scored,
/// the train half (whose questions were trained on) and the test half apart, per attribute.
#[test]
fn part3_1_smoke_scale_scores_both_halves_per_attribute() {
    let (_artifacts, scale) = reproduce_smoke("part3.1");
    assert_law_gate_holds("part3.1", &scale);
    let plan = json(&scale.join("plan.json"));
    let run = &plan.as_array().unwrap()[0];
    let manifest = json(
        &scale
            .join("runs")
            .join(run["id"].as_str().unwrap())
            .join("manifest.json"),
    );
    let measured = &manifest["measurements"];
    let mut people = 0;
    for split in ["train", "test"] {
        let questions: Vec<u64> = measured[split]["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q.as_u64().unwrap())
            .collect();
        // One question per attribute and person: every attribute counts the split's people.
        assert_eq!(questions.len(), 6, "{split}");
        assert!(questions.iter().all(|&q| q == questions[0] && q > 0));
        let correct = measured[split]["correct"].as_array().unwrap();
        for (c, q) in correct.iter().zip(&questions) {
            assert!(c.as_u64().unwrap() <= *q);
        }
        people += questions[0];
    }
    // The smoke scale's 100 people, split in two.
    assert_eq!(people, 100);

    // Pretrained runs are probed at the six positions for the six attributes, beside their
    // control; finetunings name the run they started from and answer both halves.
    let mut kinds = (0, 0);
    for run in plan.as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
        let measured = &manifest["measurements"];
        if let Some(probe) = measured.get("probe") {
            kinds.0 += 1;
            for curves in [&probe["trained"], &probe["control"]] {
                let rows = curves.as_array().unwrap();
                assert_eq!(rows.len(), 6);
                assert!(rows.iter().all(|r| r.as_array().unwrap().len() == 6));
            }
            assert_eq!(
                probe["fitted_people"].as_u64().unwrap() + probe["scored_people"].as_u64().unwrap(),
                100
            );
        }
        if let Some(from) = manifest["spec"].get("from") {
            kinds.1 += 1;
            assert_eq!(from["dataset"]["generator"], "bios");
            assert!(measured["test"]["questions"].is_array());
        }
    }
    assert_eq!(
        kinds,
        (2, 4),
        "two pretrainings, four finetunings (full and LoRA)"
    );
}

/// Part 3.2 through the same pipeline: every task is finetuned from the pretrained run and
/// scored on both halves, one answer per question.
#[test]
fn part3_2_smoke_scale_scores_every_task_on_both_halves() {
    let (_artifacts, scale) = reproduce_smoke("part3.2");
    assert_law_gate_holds("part3.2", &scale);
    let plan = json(&scale.join("plan.json"));
    let mut tasks = Vec::new();
    for run in plan.as_array().unwrap() {
        let id = run["id"].as_str().unwrap();
        let manifest = json(&scale.join("runs").join(id).join("manifest.json"));
        let dataset = &manifest["spec"]["dataset"];
        if dataset["generator"] != "bios-task" {
            continue;
        }
        tasks.push(format!(
            "{}{}",
            dataset["task"].as_str().unwrap(),
            if dataset["hints"] == true {
                "+hints"
            } else {
                ""
            }
        ));
        for split in ["train", "test"] {
            let questions = manifest["measurements"][split]["questions"]
                .as_array()
                .unwrap();
            assert_eq!(questions.len(), 1, "one answer slot per task");
            assert!(questions[0].as_u64().unwrap() > 10);
        }
    }
    tasks.sort();
    assert_eq!(
        tasks,
        [
            "birth-year",
            "inverse-birth-date",
            "month-parity",
            "month-parity+hints",
            "month-ranking",
            "month-ranking+hints"
        ]
    );
}

/// `plm run --id` of a finetuning in a fresh folder trains the pretrained run it starts from
/// first, and nothing else.
#[test]
fn running_a_finetuning_alone_trains_its_pretrained_run_first() {
    let artifacts = tempfile::tempdir().unwrap();
    let plm_in = |args: &[&str]| {
        let output = plm()
            .args(args)
            .args(["--scale", "smoke", "--out"])
            .arg(artifacts.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    };
    let plan = |out: std::process::Output| -> Vec<Value> {
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let planned = plan(plm_in(&["plan", "part3.1", "--json"]));
    let label = |run: &Value| run["label"].as_str().unwrap().to_owned();
    let child = planned
        .iter()
        .find(|r| {
            label(r).starts_with("bios-n100-single+qa-n100-train/") && label(r).ends_with("+lora")
        })
        .expect("a LoRA finetuning of the single pretraining");
    plm_in(&["run", "part3.1", "--id", child["id"].as_str().unwrap()]);
    let finished: Vec<String> = plan(plm_in(&["plan", "part3.1", "--json"]))
        .iter()
        .filter(|r| r["finished"] == true)
        .map(label)
        .collect();
    assert_eq!(finished.len(), 2, "{finished:?}");
    assert!(finished.contains(&"bios-n100-single/rotary-2l-d64/p200".to_owned()));
    assert!(finished.contains(&label(child)));
}

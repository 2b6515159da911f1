//! Slurm job arrays over a plan: `plm slurm` writes one array per stage of the unfinished runs
//! (a finetuning waits for the stage that trains its pretrained model), a collect job after the
//! last stage, and `submit.sh`, which submits them with `sbatch` in that order. plm schedules
//! nothing itself: every array task is one `plm run --id`, which resumes its run's checkpoint and
//! is a no-op once the run's manifest exists, so resubmitting after a time limit, a preemption or
//! a failure trains only what is left. The scripts are plain text for users to edit.
//!
//! ```text
//! <artifacts>/slurm/<part>-<scale>/
//!   stage1.sbatch, stage2.sbatch, …   one array task per run
//!   collect.sbatch                    `plm collect` once the last stage has ended
//!   submit.sh                         sbatch each, chained with --dependency=afterany
//!   logs/<job name>_<job>_<task>.log  one log per array task attempt
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::driver::{self, Job};
use crate::spec::Scale;
use crate::train::DeviceChoice;

/// What every array task asks Slurm for.
#[derive(Clone, Debug)]
pub struct Resources {
    pub device: DeviceChoice,
    /// CPUs per task; training uses them all (`plm --threads`).
    pub cpus: u32,
    /// GPUs per task (`--gres=gpu:N`); 0 on the CPU device.
    pub gpus: u32,
    pub partition: Option<String>,
    /// Slurm's time limit per task, as `sbatch --time` takes it.
    pub time: Option<String>,
    /// At most this many tasks of an array at once (`--array=0-N%K`).
    pub array_limit: Option<u32>,
}

/// Seconds before the time limit at which a task is sent SIGTERM, so training checkpoints its
/// last step before Slurm kills it.
const SIGNAL_SECONDS_BEFORE_LIMIT: u32 = 120;

/// Absolute paths the tasks use; all must be on a filesystem every node mounts.
#[derive(Clone, Debug)]
pub struct Paths {
    pub plm: PathBuf,
    pub artifacts: PathBuf,
    /// The folder the scripts and logs go in.
    pub scripts: PathBuf,
}

/// One array task: a planned run of a suite file.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    pub suite_file: PathBuf,
    pub id: String,
    pub label: String,
}

/// The scripts of a sweep, as (file name, text), `submit.sh` last.
pub struct Scripts {
    pub files: Vec<(String, String)>,
    /// Array tasks per stage.
    pub stages: Vec<usize>,
}

/// The unfinished runs of `jobs` in stages: a run whose pretrained run is unfinished goes one
/// stage after it; every other run in the first stage. Plan order within a stage.
pub fn stages(jobs: &[Job]) -> Vec<Vec<Task>> {
    let mut stages: Vec<Vec<Task>> = Vec::new();
    for job in jobs {
        // A run with a corrupt manifest is scheduled: its `plm run --id` then names the file.
        let unfinished = |id: &str| {
            job.run(id)
                .is_ok_and(|run| !matches!(driver::finished(job, run), Ok(Some(_))))
        };
        for run in job.runs.iter().filter(|run| unfinished(&run.id)) {
            let mut stage = 0;
            let mut parent = run.parent.as_deref();
            while let Some(id) = parent.filter(|id| unfinished(id)) {
                stage += 1;
                parent = job.run(id).ok().and_then(|p| p.parent.as_deref());
            }
            if stages.len() <= stage {
                stages.resize(stage + 1, Vec::new());
            }
            stages[stage].push(Task {
                suite_file: job.file.clone(),
                id: run.id.clone(),
                label: run.label(),
            });
        }
    }
    stages
}

/// Checks a `--time` value the way `sbatch --time` reads it: minutes, minutes:seconds,
/// hours:minutes:seconds, days-hours, days-hours:minutes or days-hours:minutes:seconds.
pub fn check_time(time: &str) -> Result<(), String> {
    let number = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let (days, clock) = match time.split_once('-') {
        Some((days, clock)) => (Some(days), clock),
        None => (None, time),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let fits = match days {
        Some(days) => number(days) && (1..=3).contains(&fields.len()),
        None => (1..=3).contains(&fields.len()),
    };
    if fits && fields.iter().all(|f| number(f)) {
        Ok(())
    } else {
        Err(format!(
            "`{time}` is not a Slurm time limit; write minutes (90), hours:minutes:seconds \
             (1:30:00) or days-hours:minutes (2-12:00)"
        ))
    }
}

/// Checks a `--partition` value: names separated by commas.
pub fn check_partition(partition: &str) -> Result<(), String> {
    let valid = |b: u8| b.is_ascii_alphanumeric() || b"_.,-".contains(&b);
    if !partition.is_empty() && partition.bytes().all(valid) {
        Ok(())
    } else {
        Err(format!(
            "`{partition}` is not a partition name (letters, digits, `_.-`, commas between names)"
        ))
    }
}

/// The scripts of the sweep `name` (a part or prefix): the arrays of `stages`, then one collect
/// over `suite_files`.
pub fn scripts(
    name: &str,
    scale: Scale,
    suite_files: &[PathBuf],
    stages: &[Vec<Task>],
    resources: &Resources,
    paths: &Paths,
) -> Scripts {
    let mut files = Vec::new();
    for (index, tasks) in stages.iter().enumerate() {
        let stage = index + 1;
        files.push((
            format!("stage{stage}.sbatch"),
            stage_script(name, scale, stage, stages.len(), tasks, resources, paths),
        ));
    }
    files.push((
        "collect.sbatch".into(),
        collect_script(name, scale, suite_files, resources, paths),
    ));
    files.push(("submit.sh".into(), submit_script(name, stages, paths)));
    Scripts {
        files,
        stages: stages.iter().map(Vec::len).collect(),
    }
}

/// Single quotes for bash; paths with a quote in them still come out as one word.
fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The start every script of the sweep shares: the shebang, `comment`, and the `#SBATCH` lines
/// every job has (name, partition, time limit, log file).
fn head(comment: &str, job_name: &str, resources: &Resources, paths: &Paths, log: &str) -> String {
    let mut lines = format!("#!/bin/bash\n{comment}#SBATCH --job-name={job_name}\n");
    if let Some(partition) = &resources.partition {
        writeln!(lines, "#SBATCH --partition={partition}").unwrap();
    }
    if let Some(time) = &resources.time {
        writeln!(lines, "#SBATCH --time={time}").unwrap();
    }
    let logs = paths.scripts.join("logs");
    writeln!(lines, "#SBATCH --output={}/{log}", logs.display()).unwrap();
    lines
}

/// The shell variables naming the binary and the artifacts folder.
fn path_variables(paths: &Paths) -> String {
    format!(
        "plm={}\nartifacts={}\n",
        quoted(&paths.plm),
        quoted(&paths.artifacts)
    )
}

fn stage_script(
    name: &str,
    scale: Scale,
    stage: usize,
    stage_count: usize,
    tasks: &[Task],
    resources: &Resources,
    paths: &Paths,
) -> String {
    let scale = scale.name();
    let comment = format!(
        "# Stage {stage} of {stage_count} of `plm slurm {name} --scale {scale}`: one array task per\n\
         # planned run below. A task trains and measures its run with `plm run --id`, resuming the\n\
         # run's checkpoint, and is a no-op once the run's manifest exists: resubmitting after a\n\
         # time limit, a preemption or a failure trains only what is left. Edit freely.\n"
    );
    let job_name = format!("plm-{name}-{scale}-{stage}");
    let mut text = head(&comment, &job_name, resources, paths, "%x_%A_%a.log");
    let last = tasks.len().saturating_sub(1);
    let limit = resources
        .array_limit
        .map_or(String::new(), |k| format!("%{k}"));
    writeln!(text, "#SBATCH --array=0-{last}{limit}").unwrap();
    writeln!(text, "#SBATCH --cpus-per-task={}", resources.cpus).unwrap();
    if resources.gpus > 0 {
        writeln!(text, "#SBATCH --gres=gpu:{}", resources.gpus).unwrap();
    }
    if resources.time.is_some() {
        // SIGTERM to the task itself (B:) before the limit: training saves its checkpoint.
        writeln!(
            text,
            "#SBATCH --signal=B:TERM@{SIGNAL_SECONDS_BEFORE_LIMIT}"
        )
        .unwrap();
    }
    text += "#SBATCH --requeue\n#SBATCH --open-mode=append\nset -euo pipefail\n\n";
    text += &path_variables(paths);
    text += "# Array index → suite file and run id.\nsuite_files=(\n";
    for (index, task) in tasks.iter().enumerate() {
        writeln!(text, "  {}  # {index}", quoted(&task.suite_file)).unwrap();
    }
    text += ")\nrun_ids=(\n";
    for (index, task) in tasks.iter().enumerate() {
        writeln!(text, "  {}  # {index}: {}", task.id, task.label).unwrap();
    }
    writeln!(
        text,
        ")\n\
         task=${{SLURM_ARRAY_TASK_ID:?run this script with sbatch}}\n\
         echo \"array task $task: run ${{run_ids[$task]}} on $(hostname), $(date -u +%FT%TZ)\"\n\
         exec \"$plm\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" run \"${{suite_files[$task]}}\" \\\n\
         \x20   --scale {scale} --device {} --out \"$artifacts\" --id \"${{run_ids[$task]}}\"",
        resources.device.name()
    )
    .unwrap();
    text
}

fn collect_script(
    name: &str,
    scale: Scale,
    suite_files: &[PathBuf],
    resources: &Resources,
    paths: &Paths,
) -> String {
    let scale = scale.name();
    let comment = format!(
        "# `plm collect` after the last stage of `plm slurm {name} --scale {scale}`, however its\n\
         # tasks ended: claims, summary.json and report.html from the runs that finished; the\n\
         # report lists the missing ones with where each stands. Exit status 1: a claim failed.\n"
    );
    let job_name = format!("plm-{name}-{scale}-collect");
    let mut text = head(&comment, &job_name, resources, paths, "%x_%j.log");
    text += "#SBATCH --cpus-per-task=1\nset -uo pipefail\n\n";
    text += &path_variables(paths);
    text += "status=0\n";
    for file in suite_files {
        writeln!(
            text,
            "\"$plm\" collect {} --scale {scale} --out \"$artifacts\" || status=$?",
            quoted(file)
        )
        .unwrap();
    }
    text += "exit $status\n";
    text
}

fn submit_script(name: &str, stages: &[Vec<Task>], paths: &Paths) -> String {
    let mut text = format!(
        "#!/bin/bash\n\
         # Submits the sweep `{name}`: each stage starts once the previous one has ended (however\n\
         # its tasks ended), collect after the last. Running this again resumes the sweep.\n\
         set -euo pipefail\n\
         cd {}\n\
         mkdir -p logs\n\
         submit() {{ local id; id=$(sbatch --parsable \"$@\") || exit 1; echo \"${{id%%;*}}\"; }}\n\
         after=\n",
        quoted(&paths.scripts)
    );
    for (index, tasks) in stages.iter().enumerate() {
        let stage = index + 1;
        let runs = match tasks.len() {
            1 => "1 run".to_owned(),
            n => format!("{n} runs"),
        };
        writeln!(
            text,
            "job=$(submit ${{after:+--dependency=afterany:$after}} stage{stage}.sbatch)\n\
             echo \"stage {stage}: job $job ({runs})\"\n\
             after=$job"
        )
        .unwrap();
    }
    text += "job=$(submit ${after:+--dependency=afterany:$after} collect.sbatch)\n\
             echo \"collect: job $job\"\n";
    writeln!(text, "echo \"logs: {}/logs/\"", paths.scripts.display()).unwrap();
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> Task {
        Task {
            suite_file: PathBuf::from("/shared/suites/part3.3/v5.toml"),
            id: id.into(),
            label: format!("label of {id}"),
        }
    }

    fn resources(device: DeviceChoice, gpus: u32) -> Resources {
        Resources {
            device,
            cpus: 4,
            gpus,
            partition: Some("gpu".into()),
            time: Some("1:00:00".into()),
            array_limit: Some(8),
        }
    }

    fn paths() -> Paths {
        Paths {
            plm: "/shared/bin/plm".into(),
            artifacts: "/shared/artifacts".into(),
            scripts: "/shared/artifacts/slurm/part3.3-cpu".into(),
        }
    }

    #[test]
    fn a_stage_asks_for_its_resources_and_maps_each_index_to_a_run() {
        let stages = vec![vec![task("aaa"), task("bbb")], vec![task("ccc")]];
        let suites = vec![PathBuf::from("/shared/suites/part3.3/v5.toml")];
        let gpu = resources(DeviceChoice::Cuda, 1);
        let written = scripts("part3.3", Scale::Cpu, &suites, &stages, &gpu, &paths());
        let names: Vec<&str> = written.files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "stage1.sbatch",
                "stage2.sbatch",
                "collect.sbatch",
                "submit.sh"
            ]
        );
        assert_eq!(written.stages, [2, 1]);
        let stage1 = &written.files[0].1;
        for line in [
            "#SBATCH --array=0-1%8",
            "#SBATCH --gres=gpu:1",
            "#SBATCH --cpus-per-task=4",
            "#SBATCH --partition=gpu",
            "#SBATCH --time=1:00:00",
            "#SBATCH --signal=B:TERM@120",
            "#SBATCH --requeue",
            "#SBATCH --output=/shared/artifacts/slurm/part3.3-cpu/logs/%x_%A_%a.log",
            "  aaa  # 0: label of aaa",
            "  bbb  # 1: label of bbb",
            "plm='/shared/bin/plm'",
        ] {
            assert!(
                stage1.lines().any(|l| l == line),
                "{line} missing:\n{stage1}"
            );
        }
        assert!(stage1.contains("--device cuda"));
        let submit = &written.files[3].1;
        assert!(submit.contains("stage2.sbatch") && submit.contains("collect.sbatch"));
        assert_eq!(submit.matches("afterany").count(), 3, "{submit}");
        let cpu = resources(DeviceChoice::Flex, 0);
        let written = scripts("part3.3", Scale::Cpu, &suites, &stages, &cpu, &paths());
        assert!(!written.files[0].1.contains("--gres"));
        assert!(
            !written.files[2].1.contains("--gres"),
            "collect needs no GPU"
        );
    }

    #[test]
    fn quoting_keeps_a_path_one_word() {
        assert_eq!(quoted(Path::new("/a/it's")), r"'/a/it'\''s'");
    }

    #[test]
    fn time_limits_are_read_as_sbatch_reads_them() {
        for good in ["90", "30:00", "1:30:00", "2-12", "2-12:00", "2-12:00:00"] {
            assert_eq!(check_time(good), Ok(()), "{good}");
        }
        for bad in ["", "1h", "1:2:3:4", "-5", "2-", "1.5", "2-1:2:3:4", "1-2-3"] {
            assert!(check_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn partitions_are_names() {
        assert_eq!(check_partition("gpu,gpu-long"), Ok(()));
        for bad in ["", "gpu debug", "gpu\n#SBATCH --x", "a;b"] {
            assert!(check_partition(bad).is_err(), "{bad}");
        }
    }
}

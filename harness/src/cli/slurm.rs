//! `plm slurm`: the job-array scripts of a part at a scale, written beside the artifacts and, with
//! `--submit`, submitted. The scripts come from [`crate::slurm`]; this module checks the flags,
//! resolves the paths the tasks use and writes the files.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::{Outcome, Target};
use crate::slurm::{self, Paths, Resources};
use crate::train::DeviceChoice;
use crate::util::write_atomic;

#[derive(Args)]
pub struct SlurmArgs {
    #[command(flatten)]
    pub(super) target: Target,
    /// Where the tasks train: flex (CPU) or a GPU device (its task asks for `--gres=gpu:N`).
    /// The device must be compiled into this plm binary, which the tasks run.
    #[arg(long, value_enum, default_value_t)]
    device: DeviceChoice,
    /// Slurm partition (queue) of every job; default: the cluster's default partition.
    #[arg(long, value_name = "P")]
    partition: Option<String>,
    /// Time limit per task, as sbatch takes it (90, 1:30:00, 2-12:00); default: the partition's.
    /// Training is sent SIGTERM two minutes before it and checkpoints its last step.
    #[arg(long, value_name = "T")]
    time: Option<String>,
    /// GPUs per task on a GPU device (default 1; plm trains on the first).
    #[arg(long, value_name = "N")]
    gpus: Option<u32>,
    /// CPUs per task, all used for training (default: 1 on flex, where small models barely use a
    /// second core and more tasks side by side finish sooner; 4 on a GPU device).
    #[arg(long, value_name = "N")]
    cpus: Option<u32>,
    /// Run at most K tasks of each array at once (`--array=…%K`).
    #[arg(long, value_name = "K")]
    array_limit: Option<u32>,
    /// Submit the scripts with sbatch (by running the written submit.sh) instead of only writing
    /// them.
    #[arg(long)]
    submit: bool,
}

/// The resources the flags ask for, or a message naming the flag that does not fit.
fn resources(args: &SlurmArgs) -> Result<Resources> {
    let gpu = args.device != DeviceChoice::Flex;
    let gpus = match (gpu, args.gpus) {
        (false, Some(n)) => bail!(
            "--gpus {n} asks for GPUs, but --device flex trains on the CPU: add --device cuda \
             (or wgpu), or drop --gpus"
        ),
        (false, None) => 0,
        (true, Some(0)) => bail!(
            "--gpus 0 with --device {}: a GPU device needs a GPU; use --device flex to train on \
             CPUs",
            args.device.name()
        ),
        (true, n) => n.unwrap_or(1),
    };
    let cpus = args.cpus.unwrap_or(if gpu { 4 } else { 1 });
    if cpus == 0 {
        bail!("--cpus 0: a task needs at least one CPU");
    }
    if args.array_limit == Some(0) {
        bail!("--array-limit 0 would never start a task; give at least 1");
    }
    if let Some(time) = &args.time {
        slurm::check_time(time).map_err(|e| anyhow::anyhow!("--time {e}"))?;
    }
    if let Some(partition) = &args.partition {
        slurm::check_partition(partition).map_err(|e| anyhow::anyhow!("--partition {e}"))?;
    }
    args.device.check_compiled().with_context(|| {
        format!(
            "--device {}: the tasks run this plm binary",
            args.device.name()
        )
    })?;
    Ok(Resources {
        device: args.device,
        cpus,
        gpus,
        partition: args.partition.clone(),
        time: args.time.clone(),
        array_limit: args.array_limit,
    })
}

/// An absolute path without `..` (scripts run from other folders, on other nodes); `#SBATCH`
/// lines cannot quote, so it must not hold whitespace.
fn absolute(path: &Path, what: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("cannot create the {what} folder {}", path.display()))?;
    let path = path
        .canonicalize()
        .with_context(|| format!("cannot resolve the {what} path {}", path.display()))?;
    if path.to_string_lossy().chars().any(char::is_whitespace) {
        bail!(
            "the {what} path {} holds whitespace, which #SBATCH lines cannot carry: use --out \
             with a path without spaces",
            path.display()
        );
    }
    Ok(path)
}

pub fn run(suites_dir: &Path, artifacts: &Path, args: SlurmArgs) -> Result<Outcome> {
    let resources = resources(&args)?;
    let target = &args.target;
    let artifacts = absolute(artifacts, "artifacts")?;
    let mut jobs = super::pipeline::jobs(suites_dir, &target.part, target.scale, &artifacts)?;
    for job in &mut jobs {
        job.file = job
            .file
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", job.file.display()))?;
    }
    let name = match jobs.as_slice() {
        [one] => one.suite.name.clone(),
        _ => target
            .part
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', "_"),
    };
    let scripts_dir = artifacts
        .join("slurm")
        .join(format!("{name}-{}", target.scale.name()));
    let paths = Paths {
        plm: std::env::current_exe()
            .and_then(|exe| exe.canonicalize())
            .context("cannot locate this plm binary")?,
        scripts: absolute(&scripts_dir, "scripts")?,
        artifacts,
    };
    let stages = slurm::stages(&jobs);
    let suite_files: Vec<PathBuf> = jobs.iter().map(|job| job.file.clone()).collect();
    let scripts = slurm::scripts(
        &name,
        target.scale,
        &suite_files,
        &stages,
        &resources,
        &paths,
    );
    std::fs::create_dir_all(paths.scripts.join("logs"))?;
    // Stages of an earlier sweep that this one no longer has.
    for entry in std::fs::read_dir(&paths.scripts)? {
        let file = entry?.file_name().to_string_lossy().into_owned();
        let written = scripts.files.iter().any(|(name, _)| *name == file);
        if file.starts_with("stage") && file.ends_with(".sbatch") && !written {
            std::fs::remove_file(paths.scripts.join(&file))?;
        }
    }
    for (file, text) in &scripts.files {
        let path = paths.scripts.join(file);
        write_atomic(&path, text.as_bytes())?;
        if file.ends_with(".sh") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        }
    }

    let planned: usize = jobs.iter().map(|job| job.runs.len()).sum();
    let tasks: usize = scripts.stages.iter().sum();
    let stage_counts: Vec<String> = scripts.stages.iter().map(usize::to_string).collect();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if tasks == 0 {
        println!(
            "{name} scale {}: all {planned} planned runs are finished; the sweep is its collect job",
            target.scale.name()
        );
    } else {
        println!(
            "{name} scale {}: {planned} planned runs, {} finished; {tasks} array task{} in {} stage{} ({})",
            target.scale.name(),
            planned - tasks,
            plural(tasks),
            scripts.stages.len(),
            plural(scripts.stages.len()),
            stage_counts.join(" + ")
        );
    }
    println!("scripts: {}", paths.scripts.display());
    println!(
        "every node must see, at the same paths: the binary {}, the suites {}, the artifacts {}",
        paths.plm.display(),
        suite_files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        paths.artifacts.display()
    );
    let submit = paths.scripts.join("submit.sh");
    if !args.submit {
        println!("submit with: {}", submit.display());
        return Ok(Outcome::Ok);
    }
    let status = Command::new("bash").arg(&submit).status();
    match status {
        Ok(status) if status.success() => Ok(Outcome::Ok),
        Ok(status) => bail!(
            "{} ended with {status}: is sbatch on the PATH (a Slurm login node)?",
            submit.display()
        ),
        Err(e) => Err(e).with_context(|| format!("cannot run bash {}", submit.display())),
    }
}

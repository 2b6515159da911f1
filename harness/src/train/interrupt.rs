//! Stopping training cleanly on SIGTERM or SIGINT. Slurm ends a job (time limit, preemption,
//! `scancel`) with SIGTERM and, 30 seconds later by default, SIGKILL. A training loop that sees the
//! signal saves a checkpoint after its current step and stops, so the next attempt resumes exactly
//! there instead of from the last periodic checkpoint (at most `checkpoint_every` steps back).
//!
//! Outside training (data checks, measurement, reports) nothing is lost by stopping at once, so a
//! signal then ends the process immediately, as does a second signal during training.

use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// Training loops running now, in any thread.
static TRAINING: AtomicUsize = AtomicUsize::new(0);
/// The signal that asked training to stop; 0 while none did.
static REQUESTED: AtomicI32 = AtomicI32::new(0);

/// Why a run stopped before its last step: a signal arrived during training and the checkpoint
/// was saved. The command exits with 128 + the signal, as a shell reports a killed process.
#[derive(Debug, thiserror::Error)]
#[error(
    "stopped by {name} at step {step} of {steps}; the checkpoint is saved: the same command resumes from that step",
    name = signal_name(*.signal)
)]
pub struct Interrupted {
    pub signal: i32,
    pub step: u64,
    pub steps: u64,
}

impl Interrupted {
    pub fn exit_status(&self) -> u8 {
        u8::try_from(128 + self.signal).unwrap_or(u8::MAX)
    }
}

fn signal_name(signal: i32) -> String {
    match signal {
        libc::SIGTERM => "SIGTERM".into(),
        libc::SIGINT => "SIGINT".into(),
        other => format!("signal {other}"),
    }
}

extern "C" fn on_signal(signal: libc::c_int) {
    let first = REQUESTED
        .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok();
    if !(first && TRAINING.load(Ordering::SeqCst) > 0) {
        // SAFETY: `_exit` is async-signal-safe; nothing here needs flushing or unwinding.
        unsafe { libc::_exit(128 + signal) }
    }
}

/// Routes SIGTERM and SIGINT to [`on_signal`]; the `plm` binary calls this once at start.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for signal in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only touches atomics and calls `_exit`.
        unsafe {
            libc::signal(signal, handler);
        }
    }
}

/// The signal that asked training to stop, if one did.
pub fn requested() -> Option<i32> {
    match REQUESTED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(signal),
    }
}

/// Held while a training loop runs: a signal then stops the loop instead of the process.
pub struct TrainingGuard(());

impl TrainingGuard {
    pub fn enter() -> TrainingGuard {
        TRAINING.fetch_add(1, Ordering::SeqCst);
        TrainingGuard(())
    }
}

impl Drop for TrainingGuard {
    fn drop(&mut self) {
        TRAINING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// mimalloc, told to keep what it frees: training allocates and frees tens of MB per op
/// (attention scores), and an allocator that hands such blocks back to the OS faults every page
/// in again on the next step. Measured on a cfg3b step (4 layers, 4 heads, 16 × 512 tokens):
/// glibc's allocator spends a third of the wall time in the kernel, this setup 2–5%; the
/// `plm bench train` shapes run 31–68% faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Indices of `mi_option_e` in the mimalloc header that `libmimalloc-sys` builds (v3; v2 has the
/// same two), `include/mimalloc.h`; the Rust bindings do not name these two.
const MI_OPTION_ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() -> std::process::ExitCode {
    // SAFETY: setting options is allowed at any time; they only steer later allocations.
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_ARENA_EAGER_COMMIT, 1);
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1);
    }
    // Output piped into `head` and the like ends quietly when the reader closes the pipe, as in
    // other command-line tools, instead of panicking on the failed write.
    // SAFETY: restoring the default disposition of one signal before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // SIGTERM (Slurm's time limit, preemption, `scancel`) and Ctrl-C checkpoint a training run
    // before the process ends.
    #[cfg(unix)]
    plm::train::interrupt::install();
    plm::cli::main()
}

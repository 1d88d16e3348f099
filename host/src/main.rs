fn main() {
    // Rust ignores SIGPIPE, so `println!` panics when stdout is a closed pipe
    // (`anneal strategy list | head -1`). Restore the default a command-line tool has: the
    // process ends quietly when its reader goes away. Run directories stay consistent: every
    // file is written atomically.
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(anneal::cli::main());
}

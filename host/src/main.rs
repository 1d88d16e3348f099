fn main() {
    // SIGPIPE stays ignored (Rust's default): a child that stops reading its stdin (the compile
    // child stopped at its memory limit, a `kind: command` provider) must be an error anneal
    // reports, not a signal that kills it. A closed stdout (`anneal strategy list | head -1`)
    // still ends anneal quietly: `println!` panics on EPIPE, and this hook turns exactly that
    // panic into the SIGPIPE ending a shell expects (status 141), with nothing printed. Run
    // directories stay consistent: every file is written atomically.
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            // End as a command-line tool does when its reader goes away: by SIGPIPE.
            #[cfg(unix)]
            // SAFETY: restoring the default action and raising a signal are async-signal-safe
            // libc calls with valid arguments.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::raise(libc::SIGPIPE);
            }
            std::process::exit(141);
        }
        default(info)
    }));
    std::process::exit(anneal::cli::main());
}

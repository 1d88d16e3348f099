//! SIGINT and SIGTERM during a run (docs/design.md §4, "Interrupts"): the first signal stops
//! the run cleanly — agents in flight are cancelled, gate process groups killed, the scratch
//! copy removed, and the outputs written with `emission_decision: ABORT` — and the second
//! exits at once. Signals are received with `tokio::signal`, so the default handlers (which
//! would end the process without writing anything) are replaced while a run is in progress.
use std::io;

/// Exit code of a run ended by a signal: 128 + SIGINT's number, the shell's convention.
pub const INTERRUPTED: i32 = 130;

/// The process's SIGINT and SIGTERM, received from the moment [`Signals::install`] returns.
pub struct Signals {
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Starts receiving SIGINT and SIGTERM (their default handlers no longer end the process).
    ///
    /// # Errors
    /// The I/O error of registering a handler (no reactor, or the signal cannot be caught).
    pub fn install() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                int: signal(SignalKind::interrupt())?,
                term: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for the next SIGINT or SIGTERM and names it (`"SIGINT"`, `"SIGTERM"`).
    pub async fn next(&mut self) -> &'static str {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.int.recv() => "SIGINT",
                _ = self.term.recv() => "SIGTERM",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }

    /// After the first signal: a second one ends the process at once with [`INTERRUPTED`],
    /// without waiting for the outputs to be written.
    pub fn exit_on_next(mut self) {
        tokio::spawn(async move {
            let sig = self.next().await;
            eprintln!("anneal: {sig} again: exiting at once (the run directory may be incomplete)");
            std::process::exit(INTERRUPTED);
        });
    }
}

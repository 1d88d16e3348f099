//! The `anneal` command line (clap): one `match` over the commands ([`dispatch`]), each
//! command family with its error type, and the exit code of every way a command can end
//! decided in one place ([`exit_code`]). Errors are printed once, by [`main`].
mod args;
pub mod mcp;
pub mod output;
mod run;
mod runs;
mod strategy;
mod tools;

pub use args::{
    parse_sha256, strategy_flags_as_opts, CacheAction, CategoryArg, Cli, Command,
    ConvergenceAction, GuestLimitArgs, NewAction, RunsAction, RunsFilterArgs, RunsRootArg,
    StrategyAction,
};
pub use run::RunError;
pub use strategy::StrategyError;
pub use tools::{CacheError, ConfigError, ConvergenceError};

use crate::convergence::CheckError;
use crate::history::HistoryError;
use crate::pipeline::StartError;
use crate::report::ReportError;
use crate::runtime::installed::InstallError;
use crate::scaffold::ScaffoldError;
use clap::Parser;

/// Exit codes (documented in README and `--help`).
pub mod exit {
    /// The plan was emitted (EMIT); any other command succeeded.
    pub const EMIT: i32 = 0;
    /// Usage error: bad flag, out-of-range value, empty task, unknown strategy option.
    pub const USAGE: i32 = 2;
    /// ABORT: Metis blocked the task with clarifying questions (printed).
    pub const ABORT: i32 = 3;
    /// Not emitted: the re-loop cap was reached without a simultaneous pass, or the run's
    /// budget (`--max-spawns`, `--max-tokens`) was spent.
    pub const NOT_EMITTED: i32 = 4;
    /// Runtime error: the strategy could not be loaded, trapped, hit a sandbox limit, a model
    /// provider failed after its retries, or the run directory could not be written.
    pub const RUNTIME: i32 = 5;
}

/// How a command that did its work ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// The command succeeded; for a run, the plan was emitted (EMIT).
    Success,
    /// A run ended ABORT: the task needs clarification.
    Aborted,
    /// A run ended without emitting: the re-loop cap or the budget.
    NotEmitted,
}

/// Why a command failed, by command family.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A run or `--dry-run`.
    #[error(transparent)]
    Run(#[from] RunError),
    /// `anneal strategy …`.
    #[error(transparent)]
    Strategy(#[from] StrategyError),
    /// `anneal cache …`.
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// `anneal new strategy`.
    #[error(transparent)]
    New(#[from] ScaffoldError),
    /// `anneal config`.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// `anneal convergence check`.
    #[error(transparent)]
    Convergence(#[from] ConvergenceError),
    /// `anneal runs`, `anneal stats`.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// `anneal report`.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// `anneal mcp`.
    #[error(transparent)]
    Mcp(#[from] mcp::McpServeError),
    /// The async runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    AsyncRuntime(std::io::Error),
}

/// The exit code of how a command ended — the one place codes are decided (docs/design.md §4:
/// 0 EMIT · 2 usage · 3 ABORT · 4 not emitted · 5 runtime). Bad input from the user is a
/// usage error; anything that failed while doing what was asked is a runtime error.
pub fn exit_code(ended: &Result<Ending, Error>) -> i32 {
    match ended {
        Ok(Ending::Success) => exit::EMIT,
        Ok(Ending::Aborted) => exit::ABORT,
        Ok(Ending::NotEmitted) => exit::NOT_EMITTED,
        Err(
            Error::Run(
                RunError::NoTask
                | RunError::Opt(_)
                | RunError::Models(_)
                | RunError::Start(StartError::Usage(_)),
            )
            | Error::Strategy(StrategyError::Install(
                InstallError::BadName(_)
                | InstallError::Bundled(_)
                | InstallError::Exists { .. }
                | InstallError::NotInstalled { .. }
                | InstallError::NoDir,
            ))
            | Error::New(ScaffoldError::BadName(_) | ScaffoldError::NotEmpty(_))
            | Error::Config(_)
            | Error::Mcp(mcp::McpServeError::Root(..))
            | Error::History(HistoryError::NoSuchRun { .. } | HistoryError::Ambiguous { .. })
            | Error::Report(ReportError::Run(
                HistoryError::NoSuchRun { .. } | HistoryError::Ambiguous { .. },
            ))
            | Error::Convergence(
                ConvergenceError::Scores(_) | ConvergenceError::Check(CheckError::Invalid(_)),
            ),
        ) => exit::USAGE,
        Err(_) => exit::RUNTIME,
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse_from(strategy_flags_as_opts(std::env::args().collect())) {
        Ok(c) => c,
        Err(e) => {
            // clap prints its own usage errors (and --help, --version, which are no error).
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::EMIT
            };
        }
    };
    let format = cli.format();
    let ended = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(dispatch(cli)),
        Err(e) => Err(Error::AsyncRuntime(e)),
    };
    let code = exit_code(&ended);
    if let Err(e) = &ended {
        eprintln!("anneal: {e}");
        // A failed run already printed its document (with its error); any other failure
        // prints the error document, so stdout always holds exactly one.
        if format == output::Format::Json && !matches!(e, Error::Run(RunError::Failed { .. })) {
            println!("{}", output::error_document(&e.to_string(), code));
        }
    }
    code
}

/// Runs the command `cli` names.
///
/// # Errors
/// The command family's [`Error`].
pub async fn dispatch(cli: Cli) -> Result<Ending, Error> {
    match &cli.command {
        None => run::run(&cli).await.map_err(Error::from),
        Some(Command::Strategy { action }) => Ok(strategy::command(action).await?),
        Some(Command::Runs {
            action,
            root,
            filter,
            ..
        }) => {
            let (out, ending) = runs::runs(action, &root.out, filter)?;
            out.print(cli.format());
            Ok(ending)
        }
        Some(Command::Stats {
            root,
            filter,
            output,
        }) => {
            runs::stats(&root.out, filter)?.print(output.format);
            Ok(Ending::Success)
        }
        Some(Command::Report { run, root, output }) => {
            runs::report(&root.out, run)?.print(output.format);
            Ok(Ending::Success)
        }
        Some(Command::Mcp {
            roots,
            runs,
            config,
            provider,
            model,
            simulate_latency_ms,
        }) => {
            mcp::serve(mcp::Settings {
                roots: roots.clone(),
                runs_root: runs::root(&runs.out),
                config: config.clone(),
                provider: provider.clone(),
                model: model.clone(),
                simulate_latency_ms: *simulate_latency_ms,
            })
            .await?;
            Ok(Ending::Success)
        }
        Some(Command::Convergence { action }) => Ok(tools::convergence(action).await?),
        Some(Command::Cache { action, .. }) => {
            let show = CacheAction::Show {
                output: Default::default(),
            };
            tools::cache(action.as_ref().unwrap_or(&show))?.print(cli.format());
            Ok(Ending::Success)
        }
        Some(Command::New {
            what: NewAction::Strategy { name, dir },
        }) => Ok(tools::new_strategy(name, dir.as_deref())?),
        Some(Command::Config {
            config,
            repo,
            provider,
            model,
            output,
        }) => {
            tools::config(config, repo, provider, model)?.print(output.format);
            Ok(Ending::Success)
        }
    }
}

#[cfg(test)]
mod tests;

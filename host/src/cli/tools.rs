//! The smaller commands: `anneal cache`, `anneal new strategy`, `anneal config` and
//! `anneal convergence check`.
use super::args::{CacheAction, ConvergenceAction};
use super::output::Output;
use super::Ending;
use crate::convergence::CheckError;
use crate::scaffold::ScaffoldError;
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Why `anneal cache` failed (runtime).
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The cache directory cannot be read.
    #[error("compile cache {dir}: {source}")]
    Read { dir: String, source: std::io::Error },
    /// Clearing failed part way (the message names the entry).
    #[error("{0}")]
    Clear(String),
}

/// Why `anneal config` failed: the configuration is invalid (usage).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Why `anneal convergence check` gave no decision.
#[derive(Debug, thiserror::Error)]
pub enum ConvergenceError {
    /// `--scores` is not a list of numbers (usage).
    #[error("invalid input: {0}")]
    Scores(String),
    /// The checker refused the input (usage) or failed (runtime).
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// `anneal cache [show|clear]`.
///
/// # Errors
/// [`CacheError`] when the directory cannot be read or cleared.
pub fn cache(action: &CacheAction) -> Result<Output, CacheError> {
    use crate::runtime::cache::{self, Setting};
    let mut t = String::new();
    let dir = match cache::from_env() {
        Setting::Off => {
            let _ = writeln!(
                t,
                "compile cache  off ({}=off): every run compiles",
                cache::ENV
            );
            return Ok(Output {
                kind: "cache",
                text: t,
                data: json!({ "dir": null, "status": "off" }),
            });
        }
        Setting::Dir(d) => d,
    };
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    let shown = dir.display().to_string();
    let data = match action {
        CacheAction::Show { .. } => {
            let _ = writeln!(t, "compile cache  {shown}");
            let (status, why) = match cache::open(&Setting::Dir(dir.clone())) {
                Ok(_) => ("in-use", None),
                Err(why) => ("not-used", Some(why.to_string())),
            };
            let _ = match &why {
                None => writeln!(t, "status         in use"),
                Some(why) => writeln!(t, "status         not used: {why}"),
            };
            let u = cache::usage(&dir).map_err(|source| CacheError::Read {
                dir: shown.clone(),
                source,
            })?;
            let _ = writeln!(
                t,
                "holds          {} files, {:.1} MiB",
                u.files,
                mib(u.bytes)
            );
            json!({ "dir": shown, "status": status, "reason": why, "files": u.files, "bytes": u.bytes })
        }
        CacheAction::Clear { .. } => {
            let u = cache::clear(&dir).map_err(CacheError::Clear)?;
            let _ = writeln!(
                t,
                "anneal: cleared {shown} ({} files, {:.1} MiB)",
                u.files,
                mib(u.bytes)
            );
            json!({ "dir": shown, "status": "cleared", "files": u.files, "bytes": u.bytes })
        }
    };
    Ok(Output {
        kind: "cache",
        text: t,
        data,
    })
}

/// `anneal new strategy NAME [--dir DIR]`: the files written and the next steps.
///
/// # Errors
/// [`ScaffoldError`]: a bad name or a non-empty directory (usage), a write that failed.
pub fn new_strategy(name: &str, dir: Option<&Path>) -> Result<Ending, ScaffoldError> {
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    let files = crate::scaffold::new_strategy(name, &dir)?;
    println!(
        "anneal: created strategy project {name} in {}",
        dir.display()
    );
    for f in files {
        println!("  {f}");
    }
    println!("\nNext:");
    println!("  cd {} && ./build.sh", dir.display());
    println!("  anneal strategy inspect ./{name}.wasm");
    println!("  anneal --strategy ./{name}.wasm \"<task>\"");
    println!("Guide: docs/writing-a-strategy.md");
    Ok(Ending::Success)
}

/// `anneal config`: the effective model configuration, where each value came from.
///
/// # Errors
/// [`ConfigError`] when the configuration is invalid.
pub fn config(
    config: &Option<PathBuf>,
    repo: &Path,
    provider: &Option<String>,
    model: &Option<String>,
) -> Result<Output, ConfigError> {
    let r = super::run::resolve_models(config, repo, provider, model).map_err(ConfigError)?;
    Ok(Output {
        kind: "config",
        text: r.render(),
        data: r.to_json(),
    })
}

/// `anneal convergence check`: the checker's decision as one line of JSON.
///
/// # Errors
/// [`ConvergenceError`]: scores that are not numbers, input the checker refuses, a checker
/// that fails.
pub async fn convergence(action: &ConvergenceAction) -> Result<Ending, ConvergenceError> {
    let ConvergenceAction::Check {
        checker,
        preset,
        depth,
        scores,
        cap,
    } = action;
    let scores = crate::convergence::parse_scores(scores).map_err(ConvergenceError::Scores)?;
    let d = crate::convergence::check(checker.as_deref(), *preset, *depth, &scores, *cap).await?;
    println!("{}", crate::convergence::decision_json(&d));
    Ok(Ending::Success)
}

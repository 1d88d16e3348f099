//! The smaller commands: `anneal cache`, `anneal new strategy`, `anneal config` and
//! `anneal convergence check`.
use super::args::{CacheAction, ConvergenceAction};
use super::Ending;
use crate::convergence::CheckError;
use crate::scaffold::ScaffoldError;
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
pub fn cache(action: &CacheAction) -> Result<Ending, CacheError> {
    use crate::runtime::cache::{self, Setting};
    let dir = match cache::from_env() {
        Setting::Off => {
            println!(
                "compile cache  off ({}=off): every run compiles",
                cache::ENV
            );
            return Ok(Ending::Success);
        }
        Setting::Dir(d) => d,
    };
    let mib = |b: u64| b as f64 / (1 << 20) as f64;
    match action {
        CacheAction::Show => {
            println!("compile cache  {}", dir.display());
            match cache::open(&Setting::Dir(dir.clone())) {
                Ok(_) => println!("status         in use"),
                Err(why) => println!("status         not used: {why}"),
            }
            let u = cache::usage(&dir).map_err(|source| CacheError::Read {
                dir: dir.display().to_string(),
                source,
            })?;
            println!("holds          {} files, {:.1} MiB", u.files, mib(u.bytes));
        }
        CacheAction::Clear => {
            let u = cache::clear(&dir).map_err(CacheError::Clear)?;
            println!(
                "anneal: cleared {} ({} files, {:.1} MiB)",
                dir.display(),
                u.files,
                mib(u.bytes)
            );
        }
    }
    Ok(Ending::Success)
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
) -> Result<Ending, ConfigError> {
    let r = super::run::resolve_models(config, repo, provider, model).map_err(ConfigError)?;
    print!("{}", r.render());
    Ok(Ending::Success)
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

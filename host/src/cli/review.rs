//! `anneal review PATH`: the review's configuration from the flags (engine and budget as for a
//! run, the `--baseline` record), then [`crate::review::run`] and a run's summary.
use super::args::ReviewArgs;
use super::output::Format;
use super::run::{ending, progress_sink, resolve_models, summary, RunError};
use super::Ending;
use crate::model::baseline::Baseline;
use crate::pipeline::StartError;
use crate::stages::{hephaestus, probe};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why `anneal review` failed.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// `--baseline` cannot be read or is not a baseline record (usage).
    #[error("{0}")]
    Baseline(String),
    /// The model configuration is invalid or a provider cannot be set up (usage).
    #[error("{0}")]
    Models(String),
    /// `--gate-sandbox on` and the gate sandbox does not work on this machine (runtime).
    #[error("{0}")]
    Sandbox(String),
    /// The review could not start; nothing was written (usage or runtime, see [`StartError`]).
    #[error(transparent)]
    Start(#[from] StartError),
    /// The review failed after its run directory was created (runtime); the summary is printed.
    #[error(transparent)]
    Failed(#[from] RunError),
}

/// `anneal review PATH [--repo DIR] …`; the summary printed in `format` as a run's.
///
/// # Errors
/// [`ReviewError`]: a usage error, a review that could not start, or one that failed.
pub async fn review(a: &ReviewArgs, format: Format) -> Result<Ending, ReviewError> {
    let cfg = config(a)?;
    let progress = progress_sink(a.quiet);
    let outcome = crate::review::run(cfg, progress.clone()).await?;
    progress("done");
    summary(&outcome).print(format);
    Ok(ending(&outcome)?)
}

/// The review's configuration from its flags: the baseline record, the model configuration
/// and engine as for a run (docs/design.md §7), Hephaestus's options. Shared by `anneal
/// review` and the MCP server's `review` tool.
///
/// # Errors
/// [`ReviewError::Baseline`] or [`ReviewError::Models`] (usage).
pub(super) fn config(a: &ReviewArgs) -> Result<crate::review::Config, ReviewError> {
    let baseline = a
        .baseline
        .as_deref()
        .map(read_baseline)
        .transpose()
        .map_err(ReviewError::Baseline)?;
    let models =
        resolve_models(&a.config, &a.repo, &a.provider, &a.model).map_err(ReviewError::Models)?;
    let engine =
        crate::engine::from_config(&models.config, &a.repo).map_err(ReviewError::Models)?;
    let runs_root = a
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("./.anneal/runs"));
    Ok(crate::review::Config {
        path: a.path.clone(),
        repo: a.repo.clone(),
        runs_root: runs_root.clone(),
        jobs: a.jobs as usize,
        accept_risk: a.accept_risk,
        hephaestus: hephaestus::Options {
            baseline: baseline.clone(),
            ..super::run::hephaestus_options(&a.validation, &runs_root)
                .map_err(ReviewError::Sandbox)?
        },
        probe: probe::ProbeOptions::default(),
        baseline,
        budget: crate::engine::Budget {
            max_spawns: models.config.budget.max_spawns,
            max_tokens: models.config.budget.max_tokens,
            deadline_secs: models.config.budget.deadline_secs,
            loop_default: false,
        },
        engine: Arc::new(engine),
    })
}

/// Reads a baseline record (`--baseline`): YAML, which also reads JSON.
///
/// # Errors
/// A message naming the file and what is wrong with it.
pub fn read_baseline(path: &Path) -> Result<Baseline, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| {
        format!(
            "--baseline {}: not a baseline record (`commands: [{{command, passed, detail}}]`): {e}",
            path.display()
        )
    })
}

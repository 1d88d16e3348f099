//! The flags of `anneal review` (clap).
use std::path::PathBuf;

/// `anneal review PATH [--repo DIR] …`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReviewArgs {
    /// A run directory (its plan/ is reviewed) or a plan/ directory as anneal writes it.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// The repository the plan is for.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub repo: PathBuf,
    /// Where the review's run directory goes.
    #[arg(long, env = "ANNEAL_RUNS_ROOT", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Concurrent agent calls (1 = sequential fallback).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Let a RISKY verdict be emitted (an explicit human override).
    #[arg(long)]
    pub accept_risk: bool,
    /// Timeout of each phase-00 gate command Hephaestus runs, in seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub gate_timeout: u64,
    /// A command Hephaestus may run although the probe did not detect it (repeatable).
    #[arg(long = "allow-command", value_name = "COMMAND")]
    pub allow_commands: Vec<String>,
    /// A baseline record (YAML or JSON: `commands: [{command, passed, detail}]`) of what the
    /// gate commands do on the untouched repository: gates that fail there are findings, and
    /// Hephaestus takes phase-00 outcomes from it instead of running them again.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Model configuration file (YAML), as for a run.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// As for a run.
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// As for a run.
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Reads a baseline record (`--baseline`): YAML, which also reads JSON.
///
/// # Errors
/// A message naming the file and what is wrong with it.
pub fn read_baseline(path: &std::path::Path) -> Result<crate::model::baseline::Baseline, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("--baseline {}: {e}", path.display()))?;
    serde_yaml::from_str(&text).map_err(|e| {
        format!(
            "--baseline {}: not a baseline record (`commands: [{{command, passed, detail}}]`): {e}",
            path.display()
        )
    })
}

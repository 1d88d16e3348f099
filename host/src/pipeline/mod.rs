//! The seven-stage pipeline of docs/design.md §2 with the re-loop rules of docs/design.md §3
//! invariant 5 and the emission logic of docs/design.md §4.
//!
//! One call of [`run`] is one run, a [`Run`]: [`Run::start`] checks the input, loads and checks
//! the strategy (and the convergence checker) and creates the run directory; [`Run::iterate`]
//! runs stages 1–7 until Atlas decides EMIT or ABORT, the iteration cap is reached or the run
//! stops; [`Run::emit`] writes the outputs. Each stage is one method of [`Run`] (`run.rs`) with
//! typed inputs and outputs; what the run learned so far is one [`RunRecord`] (`record.rs`)
//! from which the rollup can be built at any point. Whatever happens after the run directory
//! exists, the directory is left consistent: every output of docs/design.md §8 that can be
//! written is written, and `rollup.yaml` — written last — records the decision or the error.
mod record;
mod run;
mod start;

pub use record::{Outputs, RunRecord, Stop};
pub use run::Run;

use crate::engine::{Budget, Engine};
use crate::model::{Category, Plan};
use crate::render::rollup::Rollup;
use crate::runtime::instance::GuestError;
use crate::runtime::limits::GuestLimits;
use crate::runtime::loader::{LoadError, Loaded};
use crate::stages::{self, hephaestus};
use std::path::PathBuf;
use std::sync::Arc;

/// Everything a run needs, from the CLI or a test.
#[derive(Clone, Debug)]
pub struct Config {
    pub task: String,
    /// Repository to plan for.
    pub repo: PathBuf,
    /// Where run directories go (`${ANNEAL_RUNS_ROOT:-./.anneal/runs}`).
    pub runs_root: PathBuf,
    /// Bundled name or path of the strategy component.
    pub strategy: String,
    /// `--strategy-sha256`: lowercase hex sha256 the strategy's bytes must have; a mismatch
    /// refuses the run before anything is written ([`StartError::Pin`]).
    pub strategy_sha256: Option<String>,
    /// Path of another convergence checker; `None` → the bundled one.
    pub convergence: Option<String>,
    /// Thresholds preset handed to the convergence checker (`--convergence-preset`).
    pub convergence_preset: crate::convergence::Preset,
    /// Concurrent agent calls (`--jobs`, ≥ 1; 1 = sequential fallback).
    pub jobs: usize,
    /// Full iterations before giving up (docs/design.md §3 invariant 5: default 3); `None` = `--loop`.
    pub max_iterations: Option<u32>,
    /// Planner category (`--type`).
    pub planner_category: Category,
    /// `--accept-risk`: RISKY proceeds (docs/design.md §4).
    pub accept_risk: bool,
    /// Invariant-breaking flags the user passed, refused (docs/design.md §3).
    pub refused_flags: Vec<String>,
    /// `--opt key=value` pairs (or a bare `key`, a flag switched on), validated against the
    /// strategy's `info()`.
    pub options: Vec<crate::options::Given>,
    pub limits: GuestLimits,
    pub hephaestus: hephaestus::Options,
    pub probe: stages::probe::ProbeOptions,
    /// Fixed time added to every offline agent call (0 = none); see [`Tally`].
    pub simulated_latency: std::time::Duration,
    /// The run's model budget (`--max-spawns`, `--max-tokens`, `budget:` in the configuration).
    pub budget: Budget,
    /// Who answers the agent roles (the offline engine unless a model is configured).
    pub engine: Arc<Engine>,
    /// Library-only, never a CLI flag (it would skip validation): end the run after stage 4 of
    /// the first iteration, without the red team and without Hephaestus, so nothing from the
    /// repository runs. The outputs are written as for any stopped run (the plan, `rollup.yaml`
    /// with `stop_reason` saying so, not emitted) and [`Outcome::plan`] carries the plan. For
    /// measuring plans on many repositories (`host/benches/localization.rs`).
    pub plan_only: bool,
    /// Run the baseline's build and test commands alongside planning (docs/design.md §6), as
    /// every CLI run does; `false` runs them at stage 6, after planning — only to measure what
    /// the overlap saves (`host/benches/overlap.rs`).
    pub baseline_alongside: bool,
}

/// Why a run could not start (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Guest(#[from] GuestError),
    /// Bad user input: exit code 2.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    /// The strategy's sha256 is not the pinned one (`--strategy-sha256`): exit code 5.
    #[error("{0}")]
    Pin(String),
    /// The strategy declares something it cannot honour (an invalid option default): exit 5.
    #[error("{0}")]
    Strategy(String),
}

/// A wrong `--opt` is the user's (usage); a strategy whose own default is invalid is broken
/// (runtime).
impl Config {
    /// A run of `strategy` on `task` in `repo`, writing under `runs_root`, with every other
    /// setting at its default: the offline engine, no budget, default limits and Hephaestus
    /// options, 2 jobs, the re-loop cap of 3, the Deep planner category, no simulated latency,
    /// the baseline alongside planning. For benches and tests, which change fields with
    /// struct-update syntax (`Config { jobs: 8, ..Config::new(…) }`).
    pub fn new(
        task: &str,
        repo: &std::path::Path,
        runs_root: &std::path::Path,
        strategy: &str,
    ) -> Config {
        Config {
            task: task.to_string(),
            repo: repo.to_path_buf(),
            runs_root: runs_root.to_path_buf(),
            strategy: strategy.to_string(),
            strategy_sha256: None,
            convergence: None,
            convergence_preset: Default::default(),
            jobs: 2,
            max_iterations: Some(3),
            planner_category: Category::Deep,
            accept_risk: false,
            refused_flags: Vec::new(),
            options: Vec::new(),
            limits: GuestLimits::default(),
            hephaestus: hephaestus::Options::default(),
            probe: stages::probe::ProbeOptions::default(),
            simulated_latency: std::time::Duration::ZERO,
            budget: Default::default(),
            engine: Default::default(),
            plan_only: false,
            baseline_alongside: true,
        }
    }
}

impl From<crate::options::OptionError> for StartError {
    fn from(e: crate::options::OptionError) -> Self {
        match e {
            crate::options::OptionError::Given(m) => StartError::Usage(m),
            crate::options::OptionError::BadDefault(m) => StartError::Strategy(m),
        }
    }
}

/// Checks a loaded component against a pinned sha256 (`expected`, lowercase hex; `None` = no
/// pin). The hash is the one of the bytes actually compiled, so what runs is what was checked.
///
/// # Errors
/// A message naming the source, the expected and the actual sha256.
pub fn check_pin(expected: Option<&str>, loaded: &Loaded) -> Result<(), String> {
    match expected {
        Some(want) if !want.eq_ignore_ascii_case(&loaded.sha256) => Err(format!(
            "refusing strategy {}: sha256 mismatch (expected {want}, actual {}); \
             the file is not the one that was pinned",
            loaded.source, loaded.sha256
        )),
        _ => Ok(()),
    }
}

/// How a run ended.
pub struct Outcome {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub rollup: Rollup,
    /// Set when the run ended on a runtime error after the run directory was created.
    pub error: Option<String>,
    pub xml: String,
    /// SIGINT or SIGTERM stopped the run ([`Run::iterate_until`]).
    pub interrupted: bool,
    /// The plan of the last iteration that produced a valid one (`None`: refused, stopped or
    /// failed before stage 4 returned a valid plan).
    pub plan: Option<Plan>,
}

/// Progress sink: one line per call, already sanitized.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
pub fn run_id(task: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "anneal-{}-{}",
        now.format("%Y%m%d-%H%M%S"),
        crate::text::slug(task, 4)
    )
}

/// Runs the pipeline: [`Run::start`], [`Run::iterate`], [`Run::emit`].
///
/// # Errors
/// [`StartError`] when the run cannot start (unknown or invalid strategy, bad option, missing
/// repository); nothing is written then. Failures after the run directory exists are reported
/// in [`Outcome::error`] and in `rollup.yaml`.
pub async fn run(cfg: Config, progress: Progress) -> Result<Outcome, StartError> {
    let mut run = Run::start(cfg, progress).await?;
    run.iterate().await;
    Ok(run.emit())
}

#[cfg(test)]
mod plan_only_tests {
    use super::*;
    use crate::render::rollup::Emission;

    /// `plan_only` returns the plan of stage 4 and runs neither the red team nor Hephaestus (so
    /// nothing from the repository runs: the fixture's `make build` would leave evidence).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn plan_only_stops_after_stage_4() {
        let fixture =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo");
        let tmp = tempfile::tempdir().unwrap();
        let cfg = Config {
            probe: stages::probe::ProbeOptions {
                home: Some(tmp.path().to_path_buf()),
                ..Default::default()
            },
            plan_only: true,
            ..Config::new(
                "Add rate limiting to the login endpoint",
                &fixture,
                &tmp.path().join("runs"),
                "cast",
            )
        };
        let out = run(cfg, Arc::new(|_| {})).await.unwrap();
        assert!(out.error.is_none(), "{:?}", out.error);
        let plan = out.plan.expect("a plan");
        assert!(!plan.phases.is_empty());
        let r = &out.rollup;
        assert_eq!(r.iteration_count, 1);
        assert_ne!(r.emission_decision, Emission::Emit);
        assert!(r.stop_reason.as_deref().unwrap().contains("plan-only"));
        assert!(r.gate_status.hephaestus.is_none() && r.gate_status.oracle.is_none());
        for absent in ["evidence", "reviews/hephaestus.yaml", "reviews/oracle.yaml"] {
            assert!(!out.run_dir.join(absent).exists(), "{absent} was written");
        }
        assert!(out.run_dir.join("plan/plan.md").exists());
        assert!(out.run_dir.join("rollup.yaml").exists());
    }
}

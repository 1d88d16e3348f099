//! Before a run: the input checked, the strategy and the convergence checker loaded and
//! checked, the run directory created. Nothing is written until the last step succeeds.
use super::{run_id, Config, StartError};
use crate::model::StrategyInfo;
use crate::rundir::{RunDir, RunDirError};
use crate::runtime::engine::Runtime;
use crate::runtime::instance::{self, Checker};
use crate::runtime::loader::{self, load_component, Loaded, World};
use std::path::PathBuf;
use std::sync::Arc;

/// The strategy of a run, loaded, checked and described, with the run's convergence checker.
pub struct Strategy {
    pub runtime: Arc<Runtime>,
    pub loaded: Loaded,
    /// What its `info()` returned.
    pub info: StrategyInfo,
    /// `--opt` values validated against `info`, every declared option present.
    pub options: Vec<(String, String)>,
    pub checker: Arc<Checker>,
}

/// The trimmed task and the canonical repository path.
///
/// # Errors
/// [`StartError::Usage`] for an empty task, `--jobs 0`, a repository that cannot be opened or
/// is not a directory.
pub fn check_input(cfg: &Config) -> Result<(String, PathBuf), StartError> {
    let task = cfg.task.trim().to_string();
    if task.is_empty() {
        return Err(StartError::Usage("the task is empty: say what to plan, e.g. anneal \"Add rate limiting to the login endpoint\"".into()));
    }
    if cfg.jobs == 0 {
        return Err(StartError::Usage("--jobs must be at least 1".into()));
    }
    let repo = std::fs::canonicalize(&cfg.repo).map_err(|e| {
        StartError::Usage(format!(
            "repository {} cannot be opened: {e}",
            cfg.repo.display()
        ))
    })?;
    if !repo.is_dir() {
        return Err(StartError::Usage(format!(
            "repository {} is not a directory",
            repo.display()
        )));
    }
    Ok((task, repo))
}

/// Loads the strategy (checking its pin), calls its `info()`, validates the options against it
/// and loads the convergence checker.
///
/// # Errors
/// [`StartError`] naming what was refused and why.
pub async fn load_strategy(cfg: &Config) -> Result<Strategy, StartError> {
    let runtime = Arc::new(
        Runtime::new()
            .map_err(|e| StartError::Io(format!("cannot start the WebAssembly engine: {e:#}")))?,
    );
    let loaded = load_component(
        &runtime,
        &cfg.strategy,
        loader::BUNDLED_STRATEGIES,
        World::Strategy,
    )?;
    super::check_pin(cfg.strategy_sha256.as_deref(), &loaded).map_err(StartError::Pin)?;
    let info = instance::strategy_info(&runtime, &loaded, &cfg.limits).await?;
    let options = crate::options::resolve(&info, &cfg.options).map_err(StartError::Usage)?;
    let checker_loaded = load_component(
        &runtime,
        cfg.convergence.as_deref().unwrap_or("convergence"),
        &["convergence"],
        World::Convergence,
    )?;
    let checker = Arc::new(Checker::new(&runtime, &checker_loaded)?);
    Ok(Strategy {
        runtime,
        loaded,
        info,
        options,
        checker,
    })
}

/// Creates the run directory `{runs_root}/{run_id}` for `task`; when a directory of that id
/// exists (two runs in the same second), `-2`, `-3`, … up to `-99` is appended.
///
/// # Errors
/// [`StartError::Io`] when the directory cannot be created.
pub fn create_run_dir(
    runs_root: &std::path::Path,
    task: &str,
) -> Result<(String, Arc<RunDir>), StartError> {
    let mut id = run_id(task, chrono::Utc::now());
    let mut n = 1;
    loop {
        match RunDir::create(runs_root, &id) {
            Ok(r) => return Ok((id, Arc::new(r))),
            Err(RunDirError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists && n < 100 =>
            {
                n += 1;
                id = format!("{}-{n}", run_id(task, chrono::Utc::now()));
            }
            Err(e) => {
                return Err(StartError::Io(format!(
                    "cannot create the run directory: {e}"
                )))
            }
        }
    }
}

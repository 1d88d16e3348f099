//! `anneal strategy list | inspect | install | remove`.
use super::args::{GuestLimitArgs, StrategyAction};
use super::Ending;
use crate::model::{Reentry, StrategyInfo};
use crate::pipeline::{self, StartError};
use crate::runtime::engine::Runtime;
use crate::runtime::installed::{self, InstallError};
use crate::runtime::limits::GuestLimits;
use crate::runtime::loader::{self, Loaded, World};
use std::path::Path;

/// Why a strategy command failed.
#[derive(Debug, thiserror::Error)]
pub enum StrategyError {
    /// The component cannot be used: refused by the loader, or its `info()` failed (runtime).
    #[error(transparent)]
    Load(#[from] StartError),
    /// `install` refused the component before touching the strategy directory (runtime).
    #[error("not installed: {0}")]
    Refused(String),
    /// The strategy directory refused the change (usage; an I/O failure is runtime).
    #[error(transparent)]
    Install(#[from] InstallError),
}

/// Runs one strategy command.
///
/// # Errors
/// [`StrategyError`].
pub async fn command(action: &StrategyAction) -> Result<Ending, StrategyError> {
    match action {
        StrategyAction::List { limits } => list(&limits.limits()).await?,
        StrategyAction::Inspect { strategy, limits } => inspect(strategy, limits).await?,
        StrategyAction::Install {
            path,
            force,
            sha256,
            limits,
        } => install(path, *force, sha256.as_deref(), &limits.limits()).await?,
        StrategyAction::Remove { name } => {
            let dir = installed::dir().ok_or(InstallError::NoDir)?;
            let p = installed::remove(&dir, name)?;
            println!("anneal: removed {name} ({})", p.display());
        }
    }
    Ok(Ending::Success)
}

/// Starts an engine, loads strategy `arg` (bundled or installed name, or path) and calls its
/// `info()` under `limits`.
///
/// # Errors
/// [`StartError`]: the engine cannot start, the component is refused, `info()` fails.
pub(super) async fn load_strategy(
    arg: &str,
    limits: &GuestLimits,
) -> Result<(Runtime, Loaded, StrategyInfo), StartError> {
    let runtime = Runtime::new()
        .map_err(|e| StartError::Io(format!("cannot start the WebAssembly engine: {e:#}")))?;
    let loaded =
        loader::load_component(&runtime, arg, loader::BUNDLED_STRATEGIES, World::Strategy)?;
    let info = crate::runtime::instance::strategy_info(&runtime, &loaded, limits).await?;
    Ok((runtime, loaded, info))
}

/// Where a strategy's full re-loops re-enter, saying when it is the host's rule.
pub(super) fn reentry_text(info: &StrategyInfo, loaded: &Loaded) -> String {
    let stage = match info.reentry {
        Reentry::IntentGate => "stage 1, the intent gate",
        Reentry::Enrich => "stage 3, enrich",
        Reentry::Plan => "stage 4, plan",
    };
    if loaded.api_version == "0.1.0" {
        format!("{stage} (the host's rule: 0.1.0 declares none)")
    } else {
        stage.to_string()
    }
}

/// `strategy list`: the bundled strategies, then the installed ones; a broken one is listed
/// as broken, not an error.
async fn list(limits: &GuestLimits) -> Result<(), StrategyError> {
    for name in loader::BUNDLED_STRATEGIES {
        match load_strategy(name, limits).await {
            Ok((_, _, info)) => println!(
                "{:<12} {:<8} bundled    {}",
                info.name, info.version, info.description
            ),
            Err(e) => println!("{name:<12} (broken: {e})"),
        }
    }
    let Some(dir) = installed::dir() else {
        return Ok(());
    };
    for (name, path) in installed::list(&dir) {
        match load_strategy(&path.display().to_string(), limits).await {
            Ok((_, loaded, info)) => println!(
                "{name:<12} {:<8} installed  {} [sha256 {}…]",
                info.version,
                info.description,
                &loaded.sha256[..12]
            ),
            Err(e) => println!("{name:<12} (installed, broken: {e})"),
        }
    }
    println!("\ninstalled strategies: {}", dir.display());
    Ok(())
}

/// `strategy inspect`: what the component is, what it declares, and the agent spawns a run
/// with its default options is expected to make.
async fn inspect(strategy: &str, limits: &GuestLimitArgs) -> Result<(), StartError> {
    let limits = limits.limits();
    let (runtime, loaded, info) = load_strategy(strategy, &limits).await?;
    println!("name         {}", info.name);
    println!("version      {}", info.version);
    println!("description  {}", info.description);
    println!("wit          anneal:strategy@{}", loaded.api_version);
    println!("source       {}", loaded.source);
    println!("size         {} bytes", loaded.size);
    println!("sha256       {}", loaded.sha256);
    println!(
        "machine code {} in {} ms",
        loaded.compiled, loaded.compile_ms
    );
    let imports: Vec<String> = loaded
        .component
        .component_type()
        .imports(runtime.engine())
        .map(|(n, _)| n.to_string())
        .collect();
    println!("imports      {}", imports.join(", "));
    println!("re-entry     {}", reentry_text(&info, &loaded));
    match crate::options::resolve(&info, &[]) {
        Ok(defaults) => {
            let declared =
                crate::runtime::instance::strategy_estimate(&runtime, &loaded, &limits, &defaults)
                    .await?;
            let e = crate::estimate::estimate(
                declared.as_ref(),
                info.reentry,
                limits.agent_calls,
                Some(3),
            );
            println!(
                "spawns       {} best, {} per iteration with the default options ({})",
                e.best, e.one_iteration, e.basis
            );
        }
        Err(why) => println!("spawns       unknown: its default options are invalid ({why})"),
    }
    let opts = crate::options::describe(&info);
    if opts.is_empty() {
        println!("options      (none)");
    } else {
        println!("options");
        for o in opts {
            println!("  --opt {o}");
        }
    }
    Ok(())
}

/// `anneal strategy install PATH [--force] [--sha256 HEX]`: loads the component as a run would
/// (world, version, imports, `info()`), then copies it atomically into the strategy directory
/// under its `info()` name.
///
/// # Errors
/// [`StrategyError::Refused`] when the component is refused or the pin does not match;
/// [`StrategyError::Install`] for a name that cannot be installed (bad, bundled, already
/// installed without `force`) or a write that failed.
async fn install(
    path: &Path,
    force: bool,
    pin: Option<&str>,
    limits: &GuestLimits,
) -> Result<(), StrategyError> {
    let arg = path.display().to_string();
    // A path without '/' or '.wasm' would resolve as a name: make it a path.
    let arg = if arg.contains('/') || arg.ends_with(".wasm") {
        arg
    } else {
        format!("./{arg}")
    };
    let refused = |m: String| StrategyError::Refused(m);
    let (_, loaded, info) = load_strategy(&arg, limits)
        .await
        .map_err(|e| refused(e.to_string()))?;
    pipeline::check_pin(pin, &loaded).map_err(refused)?;
    let dir = installed::dir().ok_or(InstallError::NoDir)?;
    let bytes =
        std::fs::read(path).map_err(|e| refused(format!("cannot read {}: {e}", path.display())))?;
    if loader::sha256_hex(&bytes) != loaded.sha256 {
        return Err(refused(format!(
            "{} changed while it was being checked; try again",
            path.display()
        )));
    }
    let p = installed::install(&dir, &info.name, &bytes, loader::BUNDLED_STRATEGIES, force)?;
    println!(
        "anneal: installed {} {} at {}",
        info.name,
        info.version,
        p.display()
    );
    println!("  sha256 {}", loaded.sha256);
    println!(
        "  run it: anneal --strategy {} --strategy-sha256 {} \"<task>\"",
        info.name, loaded.sha256
    );
    Ok(())
}

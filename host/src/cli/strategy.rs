//! `anneal strategy list | inspect | install | componentize | remove`.
use super::args::{GuestLimitArgs, StrategyAction};
use super::output::Output;
use super::Ending;
use crate::model::{Reentry, StrategyInfo};
use crate::pipeline::{self, StartError};
use crate::runtime::engine::Runtime;
use crate::runtime::installed::{self, InstallError};
use crate::runtime::limits::GuestLimits;
use crate::runtime::loader::{self, Loaded, World};
use serde_json::json;
use std::fmt::Write as _;
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
    /// `componentize` was given something that is not a core module built with wit-bindgen
    /// (usage).
    #[error("{path}: {why}")]
    NotACoreModule { path: String, why: String },
    /// `componentize` could not read its input or write its output (runtime).
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Runs one strategy command.
///
/// # Errors
/// [`StrategyError`].
pub async fn command(action: &StrategyAction) -> Result<Ending, StrategyError> {
    match action {
        StrategyAction::List { limits, output } => {
            list(&limits.limits()).await.print(output.format)
        }
        StrategyAction::Inspect {
            strategy,
            limits,
            output,
        } => inspect(strategy, limits).await?.print(output.format),
        StrategyAction::Install {
            path,
            force,
            sha256,
            limits,
        } => install(path, *force, sha256.as_deref(), &limits.limits()).await?,
        StrategyAction::Componentize { core, out } => componentize(core, out)?,
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
pub(super) async fn list(limits: &GuestLimits) -> Output {
    let mut t = String::new();
    let mut rows = Vec::new();
    for name in loader::BUNDLED_STRATEGIES {
        match load_strategy(name, limits).await {
            Ok((_, loaded, info)) => {
                let _ = writeln!(
                    t,
                    "{:<12} {:<8} bundled    {}",
                    info.name, info.version, info.description
                );
                rows.push(listed(&info.name, "bundled", Ok((&loaded, &info))));
            }
            Err(e) => {
                let _ = writeln!(t, "{name:<12} (broken: {e})");
                rows.push(listed(name, "bundled", Err(&e)));
            }
        }
    }
    let dir = installed::dir();
    let unusable = dir.as_ref().and_then(|d| installed::check_usable(d).err());
    if let Some(why) = &unusable {
        let _ = writeln!(t, "\ninstalled strategies: not used: {why}");
    }
    if let Some(dir) = dir.as_ref().filter(|_| unusable.is_none()) {
        for (name, path) in installed::list(dir) {
            match load_strategy(&path.display().to_string(), limits).await {
                Ok((_, loaded, info)) => {
                    let _ = writeln!(
                        t,
                        "{name:<12} {:<8} installed  {} [sha256 {}…]",
                        info.version,
                        info.description,
                        &loaded.sha256[..12]
                    );
                    rows.push(listed(&name, "installed", Ok((&loaded, &info))));
                }
                Err(e) => {
                    let _ = writeln!(t, "{name:<12} (installed, broken: {e})");
                    rows.push(listed(&name, "installed", Err(&e)));
                }
            }
        }
        let _ = writeln!(t, "\ninstalled strategies: {}", dir.display());
    }
    Output {
        kind: "strategy-list",
        text: t,
        data: json!({
            "strategies": rows,
            "installed_dir": dir.map(|d| d.display().to_string()),
        }),
    }
}

/// One row of `strategy list --format json`.
fn listed(
    name: &str,
    kind: &str,
    got: Result<(&Loaded, &StrategyInfo), &StartError>,
) -> serde_json::Value {
    match got {
        Ok((loaded, info)) => json!({
            "name": name,
            "kind": kind,
            "version": info.version,
            "description": info.description,
            "sha256": loaded.sha256,
            "wit": format!("anneal:strategy@{}", loaded.api_version),
        }),
        Err(e) => json!({ "name": name, "kind": kind, "broken": e.to_string() }),
    }
}

/// `strategy inspect`: what the component is, what it declares, and the agent spawns a run
/// with its default options is expected to make.
pub(super) async fn inspect(strategy: &str, limits: &GuestLimitArgs) -> Result<Output, StartError> {
    let limits = limits.limits();
    let (runtime, loaded, info) = load_strategy(strategy, &limits).await?;
    let imports: Vec<String> = loaded
        .component
        .component_type()
        .imports(runtime.engine())
        .map(|(n, _)| n.to_string())
        .collect();
    let reentry = reentry_text(&info, &loaded);
    let spawns = match crate::options::resolve(&info, &[]) {
        Ok(defaults) => {
            let declared =
                crate::runtime::instance::strategy_estimate(&runtime, &loaded, &limits, &defaults)
                    .await?;
            Ok(crate::estimate::estimate(
                declared.as_ref(),
                info.reentry,
                limits.agent_calls,
                Some(3),
            ))
        }
        Err(why) => Err(why),
    };
    let opts = crate::options::describe(&info);
    let mut t = String::new();
    let _ = writeln!(t, "name         {}", info.name);
    let _ = writeln!(t, "version      {}", info.version);
    let _ = writeln!(t, "description  {}", info.description);
    let _ = writeln!(t, "wit          anneal:strategy@{}", loaded.api_version);
    let _ = writeln!(t, "source       {}", loaded.source);
    let _ = writeln!(t, "size         {} bytes", loaded.size);
    let _ = writeln!(t, "sha256       {}", loaded.sha256);
    let _ = writeln!(
        t,
        "machine code {} in {} ms",
        loaded.compiled, loaded.compile_ms
    );
    let _ = writeln!(t, "imports      {}", imports.join(", "));
    let _ = writeln!(t, "re-entry     {reentry}");
    let _ = match &spawns {
        Ok(e) => writeln!(
            t,
            "spawns       {} best, {} per iteration with the default options ({})",
            e.best, e.one_iteration, e.basis
        ),
        Err(why) => writeln!(
            t,
            "spawns       unknown: its default options are invalid ({why})"
        ),
    };
    if opts.is_empty() {
        let _ = writeln!(t, "options      (none)");
    } else {
        let _ = writeln!(t, "options");
        for o in &opts {
            let _ = writeln!(t, "  --opt {o}");
        }
    }
    let options: Vec<serde_json::Value> = info
        .options
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "kind": crate::options::kind_name(o.kind),
                "default": o.default_value,
                "min": o.min,
                "max": o.max,
                "description": o.description,
            })
        })
        .collect();
    Ok(Output {
        kind: "strategy-inspect",
        text: t,
        data: json!({
            "name": info.name,
            "version": info.version,
            "description": info.description,
            "wit": format!("anneal:strategy@{}", loaded.api_version),
            "source": loaded.source.to_string(),
            "size": loaded.size,
            "sha256": loaded.sha256,
            "machine_code": { "compiled": loaded.compiled.to_string(), "compile_ms": loaded.compile_ms },
            "imports": imports,
            "reentry": reentry,
            "spawns": match &spawns {
                Ok(e) => json!({ "best": e.best, "one_iteration": e.one_iteration, "basis": e.basis }),
                Err(why) => json!({ "unknown": why.to_string() }),
            },
            "options": options,
        }),
    })
}

/// `anneal strategy componentize CORE OUT`: encodes the core module `CORE` (with the
/// `component-type` custom section wit-bindgen embeds) as a component, validates it and writes
/// it atomically to `OUT`. The component is not loaded: `anneal strategy inspect OUT` does that.
///
/// # Errors
/// [`StrategyError::NotACoreModule`] when `CORE` is not such a module (a component already,
/// no component-type section, invalid wasm); [`StrategyError::Io`] when reading or writing fails.
fn componentize(core: &Path, out: &Path) -> Result<(), StrategyError> {
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| StrategyError::Io { path, source }
    };
    let bytes = std::fs::read(core).map_err(io(core))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .and_then(|e| e.validate(true).encode())
        .map_err(|e| StrategyError::NotACoreModule {
            path: core.display().to_string(),
            why: format!(
                "not a core wasm module with an embedded component type ({e:#}); build it with \
                 wit-bindgen for wasm32-unknown-unknown (./build.sh does)"
            ),
        })?;
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    std::io::Write::write_all(&mut tmp, &component).map_err(io(out))?;
    tmp.persist(out).map_err(|e| io(out)(e.error))?;
    println!(
        "anneal: wrote {} ({} bytes); check it with `anneal strategy inspect {}`",
        out.display(),
        component.len(),
        out.display()
    );
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

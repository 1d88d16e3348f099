//! A run (`anneal "task"`) and `--dry-run`: the configuration from the flags, the progress on
//! stderr, the summary on stdout (with `--format json`, the JSON document on stdout and the
//! summary on stderr).
use super::args::{Cli, ValidationArgs};
use super::interrupt::Signals;
use super::output::Output;
use super::Ending;
use crate::pipeline::{self, Config, Outcome, Run, StartError};
use crate::render::rollup::Emission;
use crate::stages::{hephaestus, probe};
use serde_json::json;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Why a run (or a dry run) failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// No task on the command line (usage).
    #[error("no task given. Usage: anneal [OPTIONS] \"<task>\" (see anneal --help)")]
    NoTask,
    /// A malformed `--opt` (usage).
    #[error("--opt: {0}")]
    Opt(String),
    /// The model configuration is invalid or a provider cannot be set up (usage).
    #[error("{0}")]
    Models(String),
    /// `--gate-sandbox on` and the gate sandbox does not work on this machine (runtime).
    #[error("{0}")]
    Sandbox(String),
    /// The run could not start; nothing was written (usage or runtime, see [`StartError`]).
    #[error(transparent)]
    Start(#[from] StartError),
    /// The run failed after its run directory was created (runtime); the summary is printed.
    #[error(
        "error: {error}\nanneal: the run directory {dir} records what was done before the error"
    )]
    Failed { error: String, dir: String },
    /// SIGINT/SIGTERM could not be caught, so an interrupt would lose the run.
    #[error("cannot receive SIGINT/SIGTERM ({0}); the run was not started")]
    Signals(std::io::Error),
}

/// `anneal [OPTIONS] "task"`: a run, or with `--dry-run` the spawn estimate.
///
/// # Errors
/// [`RunError`]: a usage error, a run that could not start, or one that failed.
pub async fn run(cli: &Cli) -> Result<Ending, RunError> {
    let cfg = config(cli)?;
    let format = cli.output.format;
    if cli.dry_run {
        dry_run(&cfg).await?.print(format);
        return Ok(Ending::Success);
    }
    let progress = progress_sink(cli.quiet);
    let mut signals = Signals::install().map_err(RunError::Signals)?;
    let mut run = tokio::select! {
        run = Run::start(cfg, progress.clone()) => run?,
        signal = signals.next() => {
            let msg = format!("interrupted by {signal} before the run started: nothing was written");
            eprintln!("anneal: {msg}");
            if format == super::output::Format::Json {
                println!("{}", super::output::error_document(&msg, super::exit::INTERRUPTED));
            }
            return Ok(Ending::Interrupted);
        }
    };
    if run.iterate_until(signals.next()).await.is_some() {
        signals.exit_on_next();
        hold_after_interrupt_for_tests();
    }
    let outcome = run.emit();
    progress("done");
    summary(&outcome).print(format);
    ending(&outcome)
}

/// Debug builds only: waits `ANNEAL_TEST_HOLD_AFTER_INTERRUPT_MS` milliseconds before the
/// outputs of an interrupted run are written, so the e2e suite can deliver a second signal
/// while they are (a release build has no such wait).
fn hold_after_interrupt_for_tests() {
    if !cfg!(debug_assertions) {
        return;
    }
    if let Some(ms) = std::env::var("ANNEAL_TEST_HOLD_AFTER_INTERRUPT_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms.min(60_000)));
    }
}

/// Hephaestus's options from the validation flags (docs/design.md §6), for a run or a review
/// writing under `runs_root`: cargo's target directory `ANNEAL_CARGO_TARGET_DIR`, else
/// `cache/cargo-target` beside `runs_root` (`.anneal/cache/cargo-target`), and the preflight
/// caches (pip, npm, Go, Maven…, one directory per repository) in `preflight` beside it; the
/// gate sandbox resolved for this machine.
///
/// # Errors
/// `--gate-sandbox on` where the sandbox does not work here: the message says why and what to
/// install.
pub(super) fn hephaestus_options(
    v: &ValidationArgs,
    runs_root: &Path,
) -> Result<hephaestus::Options, String> {
    let cargo_target = std::env::var_os("ANNEAL_CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            runs_root
                .parent()
                .map(|p| p.join("cache/cargo-target"))
                .unwrap_or_else(|| PathBuf::from(".anneal/cache/cargo-target"))
        });
    let cargo_target = std::path::absolute(&cargo_target).unwrap_or(cargo_target);
    let preflight_cache = cargo_target
        .parent()
        .map(|p| p.join("preflight"))
        .unwrap_or_else(|| PathBuf::from(".anneal/cache/preflight"));
    let host_env: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os().collect();
    let sandbox = hephaestus::sandbox::resolve(
        v.gate_sandbox,
        &hephaestus::runner::scrubbed_env(&host_env, None),
    )?;
    Ok(hephaestus::Options {
        timeout: Duration::from_secs(v.gate_timeout),
        allowed_commands: v.allow_commands.clone(),
        cargo_target_dir: Some(cargo_target),
        sandbox,
        cache_dir: Some(preflight_cache),
        offline: v.offline,
        preflight: v.preflight,
        preflight_timeout: Duration::from_secs(v.preflight_timeout),
        ..hephaestus::Options::default()
    })
}

/// The run's configuration from the flags, the model configuration and the environment.
pub(super) fn config(cli: &Cli) -> Result<Config, RunError> {
    let task = cli.task.clone().ok_or(RunError::NoTask)?;
    let options = cli
        .opts
        .iter()
        .map(|kv| crate::options::parse_kv(kv))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::Opt)?;
    let refused: Vec<String> = [
        (cli.no_red_team, "--no-red-team"),
        (cli.no_validate, "--no-validate"),
        (cli.sequential_red_team, "--sequential-red-team"),
        (cli.no_momus, "--no-momus"),
        (cli.no_evidence, "--no-evidence"),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .map(|(_, f)| f.to_string())
    .collect();
    for f in &refused {
        eprintln!("anneal: refusing {f}: it would break one of anneal's invariants (recorded in the rollup, ignored)");
    }
    let runs_root = cli
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("./.anneal/runs"));
    let models = resolve_models(&cli.config, &cli.repo, &cli.provider, &cli.model)
        .map_err(RunError::Models)?;
    let engine = crate::engine::from_config(&models.config, &cli.repo).map_err(RunError::Models)?;
    let hephaestus = hephaestus_options(&cli.validation, &runs_root).map_err(RunError::Sandbox)?;
    Ok(Config {
        task,
        repo: cli.repo.clone(),
        runs_root,
        strategy: cli.strategy.clone(),
        strategy_sha256: cli.strategy_sha256.clone(),
        convergence: cli.convergence.clone(),
        convergence_preset: cli.convergence_preset,
        jobs: cli.jobs as usize,
        max_iterations: if cli.unbounded { None } else { Some(3) },
        planner_category: cli.category.into(),
        accept_risk: cli.accept_risk,
        refused_flags: refused,
        options,
        limits: cli.limits.limits(),
        hephaestus,
        probe: probe::ProbeOptions::default(),
        simulated_latency: Duration::from_millis(cli.simulate_latency_ms),
        // Flags override the configuration's budget.
        budget: {
            let b = crate::engine::Budget {
                max_spawns: cli.max_spawns.or(models.config.budget.max_spawns),
                max_tokens: cli.max_tokens.or(models.config.budget.max_tokens),
                deadline_secs: models.config.budget.deadline_secs,
                loop_default: false,
            };
            // Uncapped re-loops need a budget: --loop applies its default when none is set.
            if cli.unbounded {
                b.for_loop()
            } else {
                b
            }
        },
        engine: Arc::new(engine),
        plan_only: false,
        baseline_alongside: true,
    })
}

/// The model configuration for a run or `anneal config` (docs/design.md §7): `--config`, the
/// repository's `.anneal/config.yaml`, the user's XDG config, `--provider`/`--model`, the
/// environment.
///
/// # Errors
/// The configuration error's message.
pub(super) fn resolve_models(
    config: &Option<PathBuf>,
    repo: &std::path::Path,
    provider: &Option<String>,
    model: &Option<String>,
) -> Result<crate::providers::config::Resolved, String> {
    crate::providers::config::resolve(&crate::providers::config::ResolveInputs {
        config_path: config.clone(),
        repo_root: Some(repo.to_path_buf()),
        xdg_config_dir: None,
        provider: provider.clone(),
        model: model.clone(),
        env: crate::providers::config::EnvSource::Process,
    })
    .map_err(|e| e.to_string())
}

pub(super) fn progress_sink(quiet: bool) -> pipeline::Progress {
    if quiet {
        return Arc::new(|_| {});
    }
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(Duration::from_millis(120));
        Arc::new(move |m: &str| {
            if m == "done" {
                bar.finish_and_clear();
            } else if m.starts_with('[') || m.starts_with("run ") || m.starts_with("refused") {
                bar.println(format!("anneal: {m}"));
                bar.set_message(m.to_string());
            } else {
                bar.println(format!("anneal: {m}"));
            }
        })
    } else {
        Arc::new(|m: &str| {
            if m != "done" {
                eprintln!("anneal: {m}");
            }
        })
    }
}

/// `--dry-run`: loads and checks the strategy and its options, asks it for its spawn
/// estimate and returns the run's (nothing runs, nothing is written).
///
/// # Errors
/// [`StartError`] as a run would give it: the strategy refused (runtime), its pin does not
/// match (runtime), an option it does not accept (usage).
async fn dry_run(cfg: &Config) -> Result<Output, StartError> {
    let (runtime, loaded, info) =
        super::strategy::load_strategy(&cfg.strategy, &cfg.limits).await?;
    pipeline::check_pin(cfg.strategy_sha256.as_deref(), &loaded).map_err(StartError::Pin)?;
    let options = crate::options::resolve(&info, &cfg.options)?;
    let declared =
        crate::runtime::instance::strategy_estimate(&runtime, &loaded, &cfg.limits, &options)
            .await?;
    let e = crate::estimate::estimate(
        declared.as_ref(),
        info.reentry,
        cfg.limits.agent_calls,
        cfg.max_iterations,
    );
    let reentry = super::strategy::reentry_text(&info, &loaded);
    let opts: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut t = String::new();
    let _ = writeln!(
        t,
        "anneal: dry run — {} {}{}",
        info.name,
        info.version,
        if opts.is_empty() {
            String::new()
        } else {
            format!(" ({})", opts.join(", "))
        }
    );
    let _ = writeln!(t, "  agent spawns, best case            {}", e.best);
    let _ = writeln!(
        t,
        "  agent spawns, one full iteration   {}",
        e.one_iteration
    );
    let _ = match e.worst {
        Some(w) => writeln!(
            t,
            "  agent spawns, worst case           {w} ({} iterations)",
            cfg.max_iterations.unwrap_or(1)
        ),
        None => writeln!(
            t,
            "  agent spawns, worst case           re-loops uncapped (--loop); the budget stops the run: {}",
            cfg.budget
                .describe()
                .unwrap_or_else(|| "none".into())
        ),
    };
    let _ = writeln!(t, "  re-loops re-enter at               {reentry}");
    let _ = writeln!(t, "  basis: {}", e.basis);
    let options: serde_json::Map<String, serde_json::Value> =
        options.into_iter().map(|(k, v)| (k, v.into())).collect();
    Ok(Output {
        kind: "dry-run",
        text: t,
        data: json!({
            "strategy": info.name,
            "version": info.version,
            "options": options,
            "spawns": {
                "best": e.best,
                "one_iteration": e.one_iteration,
                "worst": e.worst,
                "max_iterations": cfg.max_iterations,
            },
            "reentry": reentry,
            "basis": e.basis,
        }),
    })
}

/// The end-of-run summary: the text for people and the `run` document's result.
pub(super) fn summary(o: &Outcome) -> Output {
    let r = &o.rollup;
    let g = &r.gate_status;
    let dir = o.run_dir.display();
    let decision = decision(o);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "anneal: {decision} — {} on task \"{}\"",
        r.architecture, r.task
    );
    let _ = writeln!(t, "  run          {}", r.run_id);
    let _ = writeln!(t, "  agents       {}", r.agents);
    // A run stopped before Atlas decided any iteration has no verdict of its own: say where it
    // stopped and show only the gates that ran.
    let undecided = r.iterations.is_empty() && r.stopped_at.is_some();
    if let Some(at) = &r.stopped_at {
        let _ = writeln!(t, "  stopped      in stage {}", stage_text(at));
    }
    let _ = writeln!(
        t,
        "  verdict      {} (metis {}, momus {}{}, red team {}, oracle {}, hephaestus {})",
        if undecided {
            "none, not decided"
        } else {
            r.overall_verdict.as_str()
        },
        g.metis.as_str(),
        g.momus.map(|v| v.as_str()).unwrap_or("-"),
        r.momus_score.map(|s| format!(" {s}")).unwrap_or_default(),
        g.red_team_trinity.as_deref().unwrap_or("-"),
        g.oracle.map(|v| v.as_str()).unwrap_or("-"),
        g.hephaestus.as_deref().unwrap_or("-"),
    );
    let _ = writeln!(
        t,
        "  iterations   {} · agent spawns {}{} · tokens {} · wall-clock {:.1} s",
        r.iteration_count,
        r.accounting.agent_spawns,
        match r.accounting.repairs {
            0 => String::new(),
            n => format!(" (+{n} repairs)"),
        },
        r.accounting.tokens,
        r.accounting.wall_clock_ms as f64 / 1000.0
    );
    if let Some(b) = &r.accounting.budget {
        let _ = writeln!(t, "  budget       {b}");
    }
    let _ = writeln!(t, "  validation   {}", r.gate_sandbox);
    let _ = writeln!(t, "  plan         {dir}/plan/plan.md");
    let _ = writeln!(t, "  prompt       {dir}/{}", o.xml);
    let _ = writeln!(t, "  rollup       {dir}/rollup.yaml");
    if !r.clarifying_questions.is_empty() {
        let _ = writeln!(
            t,
            "\nThe task needs clarification. Answer these and run again:"
        );
        for q in &r.clarifying_questions {
            let _ = writeln!(t, "  - {q}");
        }
    }
    if let Some(reason) = &r.stop_reason {
        let findings = if r.iterations.is_empty() {
            String::new()
        } else {
            format!(" The last iteration's findings are in {dir}/reviews/.")
        };
        let _ = writeln!(t, "\n{reason}.{findings}");
    }
    Output {
        kind: "run",
        text: t,
        data: json!({
            "run_id": r.run_id,
            "run_dir": dir.to_string(),
            "decision": decision,
            "emission_decision": r.emission_decision.as_str(),
            "strategy": r.architecture,
            "task": r.task,
            "agents": r.agents,
            "overall_verdict": r.overall_verdict.as_str(),
            "gate_status": g,
            "momus_score": r.momus_score,
            "iterations": r.iteration_count,
            "agent_spawns": r.accounting.agent_spawns,
            "repairs": r.accounting.repairs,
            "tokens": r.accounting.tokens,
            "wall_clock_ms": r.accounting.wall_clock_ms,
            "plan": format!("{dir}/plan/plan.md"),
            "prompt": format!("{dir}/{}", o.xml),
            "rollup": format!("{dir}/rollup.yaml"),
            "clarifying_questions": r.clarifying_questions,
            "stop_reason": r.stop_reason,
            "stopped_at": r.stopped_at,
            "blocked_by_environment": r.blocked_by_environment,
            "gate_sandbox": r.gate_sandbox,
            "error": o.error,
        }),
    }
}

/// `4-plan` → `4/7 (plan)`: a stage name of the rollup as the summary shows it.
fn stage_text(stage: &str) -> String {
    match stage.split_once('-') {
        Some((n, name)) => format!("{n}/7 ({})", name.replace('-', " ")),
        None => stage.to_string(),
    }
}

/// `EMIT`, `ABORT`, `NOT EMITTED`, `INTERRUPTED`, `BLOCKED BY ENVIRONMENT` or `ERROR`: how the run ended, as the
/// summary says it.
fn decision(o: &Outcome) -> &'static str {
    if o.error.is_some() {
        "ERROR"
    } else if o.interrupted {
        "INTERRUPTED"
    } else if o.rollup.blocked_by_environment.is_some() {
        "BLOCKED BY ENVIRONMENT"
    } else if o.rollup.emission_decision == Emission::ReLoop {
        "NOT EMITTED"
    } else {
        o.rollup.emission_decision.as_str()
    }
}

/// How the run ended.
///
/// # Errors
/// [`RunError::Failed`] when the run ended on a runtime error.
pub(super) fn ending(o: &Outcome) -> Result<Ending, RunError> {
    if let Some(e) = &o.error {
        return Err(RunError::Failed {
            error: e.clone(),
            dir: o.run_dir.display().to_string(),
        });
    }
    if o.interrupted {
        return Ok(Ending::Interrupted);
    }
    Ok(match o.rollup.emission_decision {
        Emission::Emit => Ending::Success,
        Emission::Abort => Ending::Aborted,
        Emission::ReLoop if o.rollup.blocked_by_environment.is_some() => Ending::Blocked,
        Emission::ReLoop => Ending::NotEmitted,
    })
}

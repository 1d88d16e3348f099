//! The `anneal` command line (clap): flags, exit codes, progress on stderr, the summary.
use crate::model::Category;
use crate::pipeline::{self, Config, Outcome, StartError};
use crate::render::rollup::Emission;
use crate::runtime::limits::GuestLimits;
use crate::stages::{hephaestus, probe};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Exit codes (documented in README and `--help`).
pub mod exit {
    /// The plan was emitted (EMIT).
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

const AFTER_HELP: &str = "\
Exit codes:
  0  EMIT: the plan passed every gate in the same iteration
  2  usage error (bad flag or value, empty task, unknown strategy option)
  3  ABORT: the task needs clarification (the questions are printed)
  4  not emitted: the re-loop cap was reached (--loop lifts it) or the budget was spent
  5  runtime error: strategy refused or crashed, sandbox limit hit, provider failed, I/O failure

Environment:
  ANNEAL_RUNS_ROOT     where run directories go (default ./.anneal/runs)
  ANNEAL_CACHE_DIR     compile cache for components (default ~/.cache/anneal/components; off)
  ANNEAL_STRATEGY_DIR  installed strategies (default ~/.local/share/anneal/strategies)
  XDG_CONFIG_HOME      anneal/config.yaml there is the user's model configuration (see `anneal config`)

Flags that would break an invariant (--no-red-team, --no-validate, --sequential-red-team,
--no-momus, --no-evidence) are refused: logged, recorded in the rollup, and ignored.";

/// anneal: turn a one-line engineering task into a reviewed, validated implementation plan.
#[derive(Parser, Debug)]
#[command(name = "anneal", version, about, after_help = AFTER_HELP, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The engineering task, in one line (quote it).
    pub task: Option<String>,
    /// Strategy: a bundled name (cast) or the path of a .wasm component.
    #[arg(long, default_value = "cast", value_name = "NAME|PATH")]
    pub strategy: String,
    /// Refuse to run unless the strategy's bytes have this sha256 (64 hex digits, as printed by
    /// `anneal strategy inspect`). A mismatch exits 5 naming the expected and the actual hash.
    #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
    pub strategy_sha256: Option<String>,
    /// Repository to plan for.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub repo: PathBuf,
    /// Where run directories go.
    #[arg(long, env = "ANNEAL_RUNS_ROOT", value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Concurrent agent calls (1 = sequential fallback).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub jobs: u16,
    /// Lift the re-loop cap of 3 full iterations.
    #[arg(long = "loop")]
    pub unbounded: bool,
    /// Model category of the planners.
    #[arg(
        long = "type",
        value_enum,
        default_value = "deep",
        value_name = "CATEGORY"
    )]
    pub category: CategoryArg,
    /// Let a RISKY verdict proceed (an explicit human override; SAFE and CAUTION always proceed).
    #[arg(long)]
    pub accept_risk: bool,
    /// Strategy option, repeatable; `anneal strategy inspect NAME` lists them.
    #[arg(long = "opt", value_name = "KEY=VALUE")]
    pub opts: Vec<String>,
    /// Another convergence checker component (.wasm) for Temper.
    #[arg(long, value_name = "PATH")]
    pub convergence: Option<String>,
    /// Thresholds preset for the convergence checker: strict (the defaults: variance < 0.3,
    /// delta < 0.15) or loose (variance <= 3, delta <= 2).
    #[arg(long, value_enum, default_value = "strict", value_name = "PRESET")]
    pub convergence_preset: crate::convergence::Preset,
    /// Timeout of each phase-00 gate command Hephaestus runs, in seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub gate_timeout: u64,
    /// A command Hephaestus may run although the probe did not detect it (repeatable).
    #[arg(long = "allow-command", value_name = "COMMAND")]
    pub allow_commands: Vec<String>,
    /// Guest linear-memory limit, in MiB.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_guest_memory: u64,
    /// Guest CPU-time limit, in seconds of guest execution (host calls not counted).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_guest_cpu: u64,
    /// Agents a strategy may have the host run per iteration (a red-team call is four).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_guest_calls: u32,
    /// Compile-time limit for a component, in seconds (default: 10 s plus 10 s per MiB).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub max_compile_secs: Option<u64>,
    /// Address space of the process compiling a component, in MiB (default: 1024 plus 64 per
    /// MiB of component).
    #[arg(long, value_name = "MiB", value_parser = clap::value_parser!(u64).range(64..=65_536))]
    pub max_compile_memory: Option<u64>,
    /// Model configuration file (YAML); also read: <repo>/.anneal/config.yaml and
    /// $XDG_CONFIG_HOME/anneal/config.yaml (see `anneal config`). None → the offline engine.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Route every category to this provider: a configured name, or `openai` / `anthropic`
    /// (keys from OPENAI_API_KEY / ANTHROPIC_API_KEY, base URLs from OPENAI_BASE_URL / ANTHROPIC_BASE_URL).
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// The model for --provider (e.g. gpt-4.1, claude-sonnet-4-5, qwen2.5-coder:7b).
    #[arg(long, value_name = "NAME")]
    pub model: Option<String>,
    /// Stop the run cleanly once this many agent spawns were made (the run budget; strategies draw on it too).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_spawns: Option<u32>,
    /// Stop the run cleanly once this many model tokens were spent (the run budget).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens: Option<u64>,
    /// No progress on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the expected agent spawns for this strategy and options, then stop (nothing runs).
    #[arg(long)]
    pub dry_run: bool,
    /// Make every offline agent call take this long (simulates a model's latency; for
    /// measuring fan-out).
    #[arg(long, default_value_t = 0, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub simulate_latency_ms: u64,
    #[arg(long, hide = true)]
    pub no_red_team: bool,
    #[arg(long, hide = true)]
    pub no_validate: bool,
    #[arg(long, hide = true)]
    pub sequential_red_team: bool,
    #[arg(long, hide = true)]
    pub no_momus: bool,
    #[arg(long, hide = true)]
    pub no_evidence: bool,
}

/// Planner categories (docs/design.md §3 invariant 7).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CategoryArg {
    Ultrabrain,
    Deep,
    Quick,
}

impl From<CategoryArg> for Category {
    fn from(c: CategoryArg) -> Category {
        match c {
            CategoryArg::Ultrabrain => Category::Ultrabrain,
            CategoryArg::Deep => Category::Deep,
            CategoryArg::Quick => Category::Quick,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Strategies: list the bundled ones, inspect a component.
    Strategy {
        #[command(subcommand)]
        action: StrategyAction,
    },
    /// Print the effective model configuration, where each value came from, secrets redacted.
    Config {
        /// Model configuration file (YAML), as for a run.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Repository whose .anneal/config.yaml is read.
        #[arg(long, default_value = ".", value_name = "DIR")]
        repo: PathBuf,
        /// As for a run.
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
        /// As for a run.
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
    },
    /// Create a project: `anneal new strategy NAME` writes a standalone strategy guest (Cargo
    /// project, WIT files, build.sh) to build into NAME.wasm; see docs/writing-a-strategy.md.
    New {
        #[command(subcommand)]
        what: NewAction,
    },
    /// The compile cache ($ANNEAL_CACHE_DIR): where it is, whether it is used, what it holds.
    Cache {
        #[command(subcommand)]
        action: Option<CacheAction>,
    },
    /// Temper's convergence checker: ask it for a decision (variance, delta and cap rules).
    Convergence {
        #[command(subcommand)]
        action: ConvergenceAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Where the cache is, whether it is used, and its size (the default).
    Show,
    /// Delete every entry; the next run of each component compiles it again.
    Clear,
}

#[derive(Subcommand, Debug)]
pub enum ConvergenceAction {
    /// Print the checker's decision on a score sequence as JSON (`converged`, `reason`,
    /// `next_depth`); exit 0, or 2 when the input is invalid.
    Check {
        /// Another convergence checker component (.wasm); default the bundled one.
        #[arg(long, value_name = "PATH")]
        checker: Option<String>,
        /// Thresholds preset: strict (checker defaults) or loose (variance <= 3, delta <= 2).
        #[arg(long, value_enum, default_value = "strict")]
        preset: crate::convergence::Preset,
        /// 0-based depth; the scores must have depth + 1 entries.
        #[arg(long)]
        depth: u32,
        /// One Momus score per depth, comma-separated (e.g. 72,81,87).
        #[arg(long, allow_hyphen_values = true)]
        scores: String,
        /// Hard depth cap, 1-5.
        #[arg(long)]
        cap: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum NewAction {
    /// A strategy guest project (Rust, wit-bindgen) that builds to NAME.wasm with ./build.sh.
    Strategy {
        /// Kebab-case strategy name, e.g. my-strategy.
        name: String,
        /// Where to write the project (must not exist or be empty); default ./NAME.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum StrategyAction {
    /// List the bundled strategies and those installed in the strategy directory
    /// ($ANNEAL_STRATEGY_DIR, else ~/.local/share/anneal/strategies).
    List,
    /// Describe a strategy: name, version, options, WIT version, imports, size, sha256.
    Inspect {
        /// Bundled or installed name, or path of a .wasm component.
        strategy: String,
    },
    /// Check a strategy component and copy it into the strategy directory under the name its
    /// info() gives, so `anneal --strategy NAME` runs it.
    Install {
        /// Path of the .wasm component.
        path: PathBuf,
        /// Replace an installed strategy of the same name.
        #[arg(long)]
        force: bool,
        /// Refuse to install unless the file has this sha256 (64 hex digits).
        #[arg(long, value_name = "HEX", value_parser = parse_sha256)]
        sha256: Option<String>,
    },
    /// Delete an installed strategy.
    Remove {
        /// Its name, as `strategy list` shows it.
        name: String,
    },
}

/// `--strategy-sha256` value: exactly 64 hex digits, returned lowercase.
///
/// # Errors
/// A message saying what a sha256 looks like (clap turns it into a usage error, exit 2).
pub fn parse_sha256(s: &str) -> Result<String, String> {
    let s = s.trim();
    let s = s.strip_prefix("sha256:").unwrap_or(s);
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(s.to_ascii_lowercase())
    } else {
        Err(format!(
            "{s:?} is not a sha256: expected 64 hex digits (see `anneal strategy inspect PATH`)"
        ))
    }
}

/// Rewrites flags the CLI does not define (`--versions 7`, `--depth=3`) into `--opt key=value`,
/// so each strategy's own options read like ordinary flags (docs/design.md §2 writes `--versions N` and
/// `--depth N`) while the host special-cases none of them: the strategy's `info()` decides
/// whether the option exists and which values it takes. Arguments after `--`, and everything
/// when a subcommand is used, are left alone.
pub fn strategy_flags_as_opts(args: Vec<String>) -> Vec<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    if args
        .get(1)
        .is_some_and(|a| cmd.get_subcommands().any(|s| s.get_name() == a))
    {
        return args;
    }
    let known: Vec<String> = cmd
        .get_arguments()
        .filter_map(|a| a.get_long().map(str::to_string))
        .chain(["help".into(), "version".into()])
        .collect();
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    if let Some(bin) = it.next() {
        out.push(bin);
    }
    while let Some(a) = it.next() {
        if a == "--" {
            out.push(a);
            out.extend(it);
            break;
        }
        let Some(flag) = a.strip_prefix("--") else {
            out.push(a);
            continue;
        };
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (flag.to_string(), None),
        };
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if known.contains(&name) || !valid_name {
            out.push(a);
            continue;
        }
        let value = match inline {
            Some(v) => Some(v),
            None => it.next_if(|n| !n.starts_with("--")),
        };
        match value {
            Some(v) => {
                out.push("--opt".into());
                out.push(format!("{name}={v}"));
            }
            None => out.push(a),
        }
    }
    out
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    if let Some(code) = crate::runtime::compile::child_main() {
        return code;
    }
    let cli = match Cli::try_parse_from(strategy_flags_as_opts(std::env::args().collect())) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { exit::USAGE } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    crate::runtime::compile::configure(crate::runtime::compile::Settings {
        helper: std::env::current_exe().ok(),
        time: cli.max_compile_secs.map(Duration::from_secs),
        memory: cli.max_compile_memory.map(|m| m << 20),
    });
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("anneal: cannot start the async runtime: {e}");
            return exit::RUNTIME;
        }
    };
    rt.block_on(async_main(cli))
}

async fn async_main(cli: Cli) -> i32 {
    if let Some(Command::Strategy { action }) = &cli.command {
        return strategy_command(action).await;
    }
    if let Some(Command::Convergence { action }) = &cli.command {
        return convergence_command(action).await;
    }
    if let Some(Command::Cache { action }) = &cli.command {
        return cache_command(action.as_ref().unwrap_or(&CacheAction::Show));
    }
    if let Some(Command::New {
        what: NewAction::Strategy { name, dir },
    }) = &cli.command
    {
        return new_strategy(name, dir.as_deref());
    }
    if let Some(Command::Config {
        config,
        repo,
        provider,
        model,
    }) = &cli.command
    {
        return match resolve_models(config, repo, provider, model) {
            Ok(r) => {
                print!("{}", r.render());
                exit::EMIT
            }
            Err(e) => {
                eprintln!("anneal: {e}");
                exit::USAGE
            }
        };
    }
    let Some(task) = cli.task.clone() else {
        eprintln!("anneal: no task given. Usage: anneal [OPTIONS] \"<task>\" (see anneal --help)");
        return exit::USAGE;
    };
    let mut options = Vec::new();
    for kv in &cli.opts {
        match crate::options::parse_kv(kv) {
            Ok(p) => options.push(p),
            Err(e) => {
                eprintln!("anneal: --opt: {e}");
                return exit::USAGE;
            }
        }
    }
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
    let cargo_target = std::env::var_os("ANNEAL_CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            runs_root
                .parent()
                .map(|p| p.join("cache/cargo-target"))
                .unwrap_or_else(|| PathBuf::from(".anneal/cache/cargo-target"))
        });
    let cargo_target = std::path::absolute(&cargo_target).unwrap_or(cargo_target);
    let models = match resolve_models(&cli.config, &cli.repo, &cli.provider, &cli.model) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("anneal: {e}");
            return exit::USAGE;
        }
    };
    let engine = match crate::engine::from_config(&models.config, &cli.repo, None) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("anneal: {e}");
            return exit::USAGE;
        }
    };
    let cfg = Config {
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
        limits: GuestLimits {
            memory_bytes: (cli.max_guest_memory as usize) << 20,
            cpu_time: Duration::from_secs(cli.max_guest_cpu),
            agent_calls: cli.max_guest_calls,
            ..GuestLimits::default()
        },
        hephaestus: hephaestus::Options {
            timeout: Duration::from_secs(cli.gate_timeout),
            allowed_commands: cli.allow_commands.clone(),
            cargo_target_dir: Some(cargo_target),
            ..hephaestus::Options::default()
        },
        probe: probe::ProbeOptions::default(),
        simulated_latency: Duration::from_millis(cli.simulate_latency_ms),
        // Flags override the configuration's budget.
        budget: crate::engine::Budget {
            max_spawns: cli.max_spawns.or(models.config.budget.max_spawns),
            max_tokens: cli.max_tokens.or(models.config.budget.max_tokens),
            deadline_secs: models.config.budget.deadline_secs,
        },
        engine: Arc::new(engine),
    };
    if cli.dry_run {
        return dry_run(&cfg).await;
    }
    let progress = progress_sink(cli.quiet);
    match pipeline::run(cfg, progress.clone()).await {
        Ok(outcome) => {
            progress("done");
            summary(&outcome)
        }
        Err(StartError::Usage(m)) => {
            eprintln!("anneal: {m}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("anneal: {e}");
            exit::RUNTIME
        }
    }
}

/// The model configuration for a run or `anneal config` (docs/design.md §7): `--config`, the repository's
/// `.anneal/config.yaml`, the user's XDG config, `--provider`/`--model`, the environment.
fn resolve_models(
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

fn progress_sink(quiet: bool) -> pipeline::Progress {
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

/// Starts an engine, loads strategy `arg` (bundled name or path) and calls its `info()`.
/// The error is the message to print (the strategy cannot be used: exit code 5).
async fn load_strategy(
    arg: &str,
    limits: &GuestLimits,
) -> Result<
    (
        crate::runtime::engine::Runtime,
        crate::runtime::loader::Loaded,
        crate::model::StrategyInfo,
    ),
    String,
> {
    let runtime = crate::runtime::engine::Runtime::new()
        .map_err(|e| format!("cannot start the WebAssembly engine: {e:#}"))?;
    let loaded = pipeline::load_component(
        &runtime,
        arg,
        crate::runtime::loader::BUNDLED_STRATEGIES,
        crate::runtime::loader::World::Strategy,
    )
    .map_err(|e| e.to_string())?;
    let info = crate::runtime::instance::strategy_info(&runtime, &loaded, limits)
        .await
        .map_err(|e| e.to_string())?;
    Ok((runtime, loaded, info))
}

/// `--dry-run`: loads and checks the strategy and its options, prints the spawn estimate.
async fn dry_run(cfg: &Config) -> i32 {
    let (_, loaded, info) = match load_strategy(&cfg.strategy, &cfg.limits).await {
        Ok(l) => l,
        Err(m) => {
            eprintln!("anneal: {m}");
            return exit::RUNTIME;
        }
    };
    if let Err(m) = pipeline::check_pin(cfg.strategy_sha256.as_deref(), &loaded) {
        eprintln!("anneal: {m}");
        return exit::RUNTIME;
    }
    let options = match crate::options::resolve(&info, &cfg.options) {
        Ok(o) => o,
        Err(m) => {
            eprintln!("anneal: {m}");
            return exit::USAGE;
        }
    };
    let e = crate::estimate::estimate(
        &info.name,
        &options,
        cfg.limits.agent_calls,
        cfg.max_iterations,
    );
    let opts: Vec<String> = options.iter().map(|(k, v)| format!("{k}={v}")).collect();
    println!(
        "anneal: dry run — {} {}{}",
        info.name,
        info.version,
        if opts.is_empty() {
            String::new()
        } else {
            format!(" ({})", opts.join(", "))
        }
    );
    println!("  agent spawns, best case            {}", e.best);
    println!("  agent spawns, one full iteration   {}", e.typical_worst);
    match e.worst {
        Some(w) => println!(
            "  agent spawns, worst case           {w} ({} iterations)",
            cfg.max_iterations.unwrap_or(1)
        ),
        None => println!("  agent spawns, worst case           unbounded (--loop)"),
    }
    println!("  basis: {}", e.basis);
    exit::EMIT
}

/// Prints the end-of-run summary on stdout and returns the exit code.
fn summary(o: &Outcome) -> i32 {
    let r = &o.rollup;
    let g = &r.gate_status;
    let dir = o.run_dir.display();
    let code = if o.error.is_some() {
        exit::RUNTIME
    } else {
        match r.emission_decision {
            Emission::Emit => exit::EMIT,
            Emission::Abort => exit::ABORT,
            Emission::ReLoop => exit::NOT_EMITTED,
        }
    };
    let decision = if o.error.is_some() {
        "ERROR"
    } else if r.emission_decision == Emission::ReLoop {
        "NOT EMITTED"
    } else {
        r.emission_decision.as_str()
    };
    println!(
        "anneal: {decision} — {} on task \"{}\"",
        r.architecture, r.task
    );
    println!("  run          {}", r.run_id);
    println!("  agents       {}", r.agents);
    println!(
        "  verdict      {} (metis {}, momus {}{}, red team {}, oracle {}, hephaestus {})",
        r.overall_verdict.as_str(),
        g.metis.as_str(),
        g.momus.map(|v| v.as_str()).unwrap_or("-"),
        r.momus_score.map(|s| format!(" {s}")).unwrap_or_default(),
        g.red_team_trinity.as_deref().unwrap_or("-"),
        g.oracle.map(|v| v.as_str()).unwrap_or("-"),
        g.hephaestus.as_deref().unwrap_or("-"),
    );
    println!(
        "  iterations   {} · agent spawns {} · tokens {} · wall-clock {:.1} s",
        r.iteration_count,
        r.accounting.agent_spawns,
        r.accounting.tokens,
        r.accounting.wall_clock_ms as f64 / 1000.0
    );
    println!("  plan         {dir}/plan/plan.md");
    println!("  prompt       {dir}/{}", o.xml);
    println!("  rollup       {dir}/rollup.yaml");
    if !r.clarifying_questions.is_empty() {
        println!("\nThe task needs clarification. Answer these and run again:");
        for q in &r.clarifying_questions {
            println!("  - {q}");
        }
    }
    if let Some(reason) = &r.stop_reason {
        println!("\n{reason}. The last iteration's findings are in {dir}/reviews/.");
    }
    if let Some(e) = &o.error {
        eprintln!("anneal: error: {e}");
        eprintln!("anneal: the run directory {dir} records what was done before the error");
    }
    code
}

async fn strategy_command(action: &StrategyAction) -> i32 {
    match action {
        StrategyAction::List => {
            use crate::runtime::installed;
            for name in crate::runtime::loader::BUNDLED_STRATEGIES {
                match load_strategy(name, &GuestLimits::default()).await {
                    Ok((_, _, info)) => println!(
                        "{:<12} {:<8} bundled    {}",
                        info.name, info.version, info.description
                    ),
                    Err(e) => println!("{name:<12} (broken: {e})"),
                }
            }
            let Some(dir) = installed::dir() else {
                return exit::EMIT;
            };
            if let Err(why) = installed::check_usable(&dir) {
                println!("\ninstalled strategies: not used: {why}");
                return exit::EMIT;
            }
            for (name, path) in installed::list(&dir) {
                match load_strategy(&path.display().to_string(), &GuestLimits::default()).await {
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
            exit::EMIT
        }
        StrategyAction::Install {
            path,
            force,
            sha256,
        } => install_strategy(path, *force, sha256.as_deref()).await,
        StrategyAction::Remove { name } => {
            let Some(dir) = crate::runtime::installed::dir() else {
                eprintln!("anneal: {}", crate::runtime::installed::InstallError::NoDir);
                return exit::USAGE;
            };
            match crate::runtime::installed::remove(&dir, name) {
                Ok(p) => {
                    println!("anneal: removed {name} ({})", p.display());
                    exit::EMIT
                }
                Err(e) => {
                    eprintln!("anneal: {e}");
                    exit::USAGE
                }
            }
        }
        StrategyAction::Inspect { strategy } => {
            match load_strategy(strategy, &GuestLimits::default()).await {
                Ok((runtime, loaded, info)) => {
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
                    let opts = crate::options::describe(&info);
                    if opts.is_empty() {
                        println!("options      (none)");
                    } else {
                        println!("options");
                        for o in opts {
                            println!("  --opt {o}");
                        }
                    }
                    exit::EMIT
                }
                Err(e) => {
                    eprintln!("anneal: {e}");
                    exit::RUNTIME
                }
            }
        }
    }
}

/// `anneal strategy install PATH [--force] [--sha256 HEX]`: loads the component as a run would
/// (world, version, imports, `info()`), then copies it atomically into the strategy directory
/// under its `info()` name. Exit 0; 5 when the component is refused or the pin does not match;
/// 2 for a name that cannot be installed (bad, bundled, already installed without --force).
async fn install_strategy(path: &std::path::Path, force: bool, pin: Option<&str>) -> i32 {
    use crate::runtime::installed::{self, InstallError};
    let arg = path.display().to_string();
    // A path without '/' or '.wasm' would resolve as a name: make it a path.
    let arg = if arg.contains('/') || arg.ends_with(".wasm") {
        arg
    } else {
        format!("./{arg}")
    };
    let (_, loaded, info) = match load_strategy(&arg, &GuestLimits::default()).await {
        Ok(l) => l,
        Err(m) => {
            eprintln!("anneal: not installed: {m}");
            return exit::RUNTIME;
        }
    };
    if let Err(m) = pipeline::check_pin(pin, &loaded) {
        eprintln!("anneal: not installed: {m}");
        return exit::RUNTIME;
    }
    let Some(dir) = installed::dir() else {
        eprintln!("anneal: {}", InstallError::NoDir);
        return exit::USAGE;
    };
    let bytes = match std::fs::read(path) {
        Ok(b) if crate::runtime::loader::sha256_hex(&b) == loaded.sha256 => b,
        Ok(_) => {
            eprintln!(
                "anneal: not installed: {} changed while it was being checked; try again",
                path.display()
            );
            return exit::RUNTIME;
        }
        Err(e) => {
            eprintln!("anneal: not installed: cannot read {}: {e}", path.display());
            return exit::RUNTIME;
        }
    };
    match installed::install(
        &dir,
        &info.name,
        &bytes,
        crate::runtime::loader::BUNDLED_STRATEGIES,
        force,
    ) {
        Ok(p) => {
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
            exit::EMIT
        }
        Err(e @ InstallError::Io { .. }) => {
            eprintln!("anneal: {e}");
            exit::RUNTIME
        }
        Err(e) => {
            eprintln!("anneal: {e}");
            exit::USAGE
        }
    }
}

/// `anneal cache [show|clear]`: exit 0; 5 when the directory cannot be read or cleared.
fn cache_command(action: &CacheAction) -> i32 {
    use crate::runtime::cache::{self, Setting};
    let dir = match cache::from_env() {
        Setting::Off => {
            println!(
                "compile cache  off ({}=off): every run compiles",
                cache::ENV
            );
            return exit::EMIT;
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
            match cache::usage(&dir) {
                Ok(u) => {
                    println!("holds          {} files, {:.1} MiB", u.files, mib(u.bytes));
                    exit::EMIT
                }
                Err(e) => {
                    eprintln!("anneal: compile cache {}: {e}", dir.display());
                    exit::RUNTIME
                }
            }
        }
        CacheAction::Clear => match cache::clear(&dir) {
            Ok(u) => {
                println!(
                    "anneal: cleared {} ({} files, {:.1} MiB)",
                    dir.display(),
                    u.files,
                    mib(u.bytes)
                );
                exit::EMIT
            }
            Err(e) => {
                eprintln!("anneal: {e}");
                exit::RUNTIME
            }
        },
    }
}

/// `anneal new strategy NAME [--dir DIR]`: exit 0 with the files listed and the next steps,
/// 2 for a bad name or a non-empty directory, 5 when writing fails.
fn new_strategy(name: &str, dir: Option<&std::path::Path>) -> i32 {
    use crate::scaffold::{self, ScaffoldError};
    let dir = dir
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(name));
    match scaffold::new_strategy(name, &dir) {
        Ok(files) => {
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
            exit::EMIT
        }
        Err(e @ (ScaffoldError::BadName(_) | ScaffoldError::NotEmpty(_))) => {
            eprintln!("anneal: {e}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("anneal: {e}");
            exit::RUNTIME
        }
    }
}

async fn convergence_command(action: &ConvergenceAction) -> i32 {
    let ConvergenceAction::Check {
        checker,
        preset,
        depth,
        scores,
        cap,
    } = action;
    let scores = match crate::convergence::parse_scores(scores) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("anneal: invalid input: {e}");
            return exit::USAGE;
        }
    };
    match crate::convergence::check(checker.as_deref(), *preset, *depth, &scores, *cap).await {
        Ok(d) => {
            println!("{}", crate::convergence::decision_json(&d));
            exit::EMIT
        }
        Err(e @ crate::convergence::CheckError::Invalid(_)) => {
            eprintln!("anneal: {e}");
            exit::USAGE
        }
        Err(e) => {
            eprintln!("anneal: {e}");
            exit::RUNTIME
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_sha256, strategy_flags_as_opts};

    #[test]
    fn a_pin_is_64_hex_digits() {
        let h = "AB".repeat(32);
        assert_eq!(parse_sha256(&h).unwrap(), "ab".repeat(32));
        assert_eq!(
            parse_sha256(&format!("sha256:{h}")).unwrap(),
            "ab".repeat(32)
        );
        assert!(parse_sha256("abc").is_err());
        assert!(parse_sha256(&"g".repeat(64)).is_err());
        assert!(parse_sha256(&"a".repeat(65)).is_err());
    }

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn unknown_flags_become_strategy_options() {
        assert_eq!(
            strategy_flags_as_opts(v(&[
                "anneal",
                "--strategy",
                "alloy",
                "--versions",
                "7",
                "task"
            ])),
            v(&[
                "anneal",
                "--strategy",
                "alloy",
                "--opt",
                "versions=7",
                "task"
            ])
        );
        assert_eq!(
            strategy_flags_as_opts(v(&["anneal", "--depth=2", "task"])),
            v(&["anneal", "--opt", "depth=2", "task"])
        );
        // Known flags, subcommands and everything after `--` are untouched.
        assert_eq!(
            strategy_flags_as_opts(v(&["anneal", "--jobs", "2", "task"])),
            v(&["anneal", "--jobs", "2", "task"])
        );
        assert_eq!(
            strategy_flags_as_opts(v(&["anneal", "convergence", "check", "--depth", "2"])),
            v(&["anneal", "convergence", "check", "--depth", "2"])
        );
        assert_eq!(
            strategy_flags_as_opts(v(&["anneal", "--", "--versions", "7"])),
            v(&["anneal", "--", "--versions", "7"])
        );
    }
}

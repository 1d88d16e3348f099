//! The command line's arguments (clap), and the rewriting of a strategy's own options
//! (`--versions 7`) into `--opt key=value` before clap sees them.
use super::output::{Format, FormatArg};
use crate::model::Category;
use crate::runtime::limits::GuestLimits;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

const AFTER_HELP: &str = "\
Exit codes:
  0  EMIT: the plan passed every gate in the same iteration
  2  usage error (bad flag or value, empty task, unknown strategy option)
  3  ABORT: the task needs clarification (the questions are printed)
  4  not emitted: the re-loop cap was reached (--loop lifts it) or the budget was spent
  5  runtime error: strategy refused or crashed, sandbox limit hit, provider failed, I/O failure
  6  blocked by environment: a tool the project needs is not installed or its dependencies
     could not be installed (the message names it); not re-planned
  130  interrupted (SIGINT or SIGTERM): the run directory records it, decision ABORT;
       a second signal exits at once

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
    /// Lift the re-loop cap of 3 full iterations. Without a budget (--max-spawns, --max-tokens
    /// or the configuration's) the run then stops at 300 agent spawns.
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
    #[command(flatten)]
    pub validation: ValidationArgs,
    #[command(flatten)]
    pub limits: GuestLimitArgs,
    #[command(flatten)]
    pub output: FormatArg,
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

impl Cli {
    /// The output format the command asked for (`--format`), for its result and its error.
    pub fn format(&self) -> Format {
        let f = match &self.command {
            None => self.output,
            Some(Command::Strategy {
                action: StrategyAction::List { output, .. } | StrategyAction::Inspect { output, .. },
            })
            | Some(Command::Config { output, .. })
            | Some(Command::Stats { output, .. })
            | Some(Command::Report { output, .. }) => *output,
            Some(Command::Runs { action, output, .. }) => match action {
                Some(
                    RunsAction::Show { output: o, .. } | RunsAction::Compare { output: o, .. },
                ) if o.format == Format::Json => *o,
                _ => *output,
            },
            Some(Command::Cache { action, output }) => match action {
                Some(CacheAction::Show { output: o } | CacheAction::Clear { output: o })
                    if o.format == Format::Json =>
                {
                    *o
                }
                _ => *output,
            },
            _ => FormatArg::default(),
        };
        f.format
    }
}

/// The sandbox limits of a strategy guest (docs/security.md), for a run and for every command
/// that calls a strategy's `info()` (`strategy inspect`, `list`, `install`).
#[derive(clap::Args, Clone, Debug)]
pub struct GuestLimitArgs {
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
}

impl GuestLimitArgs {
    /// The limits, the others at their defaults.
    pub fn limits(&self) -> GuestLimits {
        GuestLimits {
            memory_bytes: (self.max_guest_memory as usize) << 20,
            cpu_time: Duration::from_secs(self.max_guest_cpu),
            agent_calls: self.max_guest_calls,
            ..GuestLimits::default()
        }
    }

    /// How components are compiled under these limits: in a child process of this executable
    /// (docs/security.md, compile limits), with the flags' time and memory when given.
    pub fn compile_settings(&self) -> crate::runtime::compile::Settings {
        crate::runtime::compile::Settings {
            helper: std::env::current_exe().ok(),
            time: self.max_compile_secs.map(Duration::from_secs),
            memory: self.max_compile_memory.map(|m| m << 20),
        }
    }
}

impl Cli {
    /// The guest limits of the command given: the run's, or those of a `strategy` command
    /// that loads a component; `None` for a command that has none.
    pub fn guest_limits(&self) -> Option<&GuestLimitArgs> {
        match &self.command {
            None => Some(&self.limits),
            Some(Command::Strategy {
                action:
                    StrategyAction::List { limits, .. }
                    | StrategyAction::Inspect { limits, .. }
                    | StrategyAction::Install { limits, .. },
            }) => Some(limits),
            Some(_) => None,
        }
    }
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
        #[command(flatten)]
        output: FormatArg,
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
        #[command(flatten)]
        output: FormatArg,
    },
    /// Run history under the runs root: list the runs (filtered), show one, compare two.
    Runs {
        #[command(subcommand)]
        action: Option<RunsAction>,
        #[command(flatten)]
        root: RunsRootArg,
        #[command(flatten)]
        filter: RunsFilterArgs,
        #[command(flatten)]
        output: FormatArg,
    },
    /// Strategy effectiveness over the runs root: per strategy and option set the EMIT rate,
    /// Momus's scores (mean ± spread), re-loops, spawns, tokens and wall-clock; the same task
    /// across strategies.
    Stats {
        #[command(flatten)]
        root: RunsRootArg,
        #[command(flatten)]
        filter: RunsFilterArgs,
        #[command(flatten)]
        output: FormatArg,
    },
    /// Write report.html into a run directory: the stage timeline, Temper's scores per depth,
    /// Alloy's provenance, every verdict and finding, the gates and their evidence, spawns and
    /// tokens against the budget. One self-contained file: no script, nothing from the network.
    Report {
        /// A run directory, or a run id (or its unique start) under the runs root.
        run: String,
        #[command(flatten)]
        root: RunsRootArg,
        #[command(flatten)]
        output: FormatArg,
    },
    /// Serve the Model Context Protocol over stdio for coding agents: tools plan, strategies,
    /// runs. Example for Claude Code: `claude mcp add anneal -- anneal mcp --root .`
    Mcp {
        /// A directory the client may plan repositories in (repeatable; default the current
        /// directory). Repositories elsewhere are refused before anything is read.
        #[arg(long = "root", value_name = "DIR")]
        roots: Vec<PathBuf>,
        #[command(flatten)]
        runs: RunsRootArg,
        /// Model configuration file (YAML), as for a run.
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// As for a run.
        #[arg(long, value_name = "NAME")]
        provider: Option<String>,
        /// As for a run.
        #[arg(long, value_name = "NAME")]
        model: Option<String>,
        /// As for a run: make every offline agent call take this long.
        #[arg(long, default_value_t = 0, value_name = "MS", value_parser = clap::value_parser!(u64).range(0..=60_000))]
        simulate_latency_ms: u64,
    },
    /// Temper's convergence checker: ask it for a decision (variance, delta and cap rules).
    Convergence {
        #[command(subcommand)]
        action: ConvergenceAction,
    },
    /// Review a plan without planning it: PATH is a run directory or a plan/ directory (edited
    /// by hand or not). The red team, Oracle, Momus, Hephaestus and Atlas run on it and write
    /// into a new run directory; exit codes as a run's.
    Review(ReviewArgs),
}

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
    #[command(flatten)]
    pub validation: ValidationArgs,
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

/// The runs root of the history commands.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RunsRootArg {
    /// Where the run directories are (as a run's --out).
    #[arg(long, env = "ANNEAL_RUNS_ROOT", value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Which runs the history commands read.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RunsFilterArgs {
    /// Only runs of this strategy (its name).
    #[arg(long, value_name = "NAME")]
    pub strategy: Option<String>,
    /// Only runs whose task contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub task: Option<String>,
    /// Only runs that ended this way.
    #[arg(long, value_enum, value_name = "OUTCOME")]
    pub outcome: Option<crate::history::Outcome>,
}

#[derive(Subcommand, Debug)]
pub enum RunsAction {
    /// One run as its rollup records it: ID is a run id (or its unique start) or a run directory.
    Show {
        id: String,
        #[command(flatten)]
        root: RunsRootArg,
        #[command(flatten)]
        output: FormatArg,
    },
    /// Two runs side by side (verdicts, scores, phases, spawns, tokens, wall-clock) and the
    /// diff of their plans.
    Compare {
        a: String,
        b: String,
        #[command(flatten)]
        root: RunsRootArg,
        #[command(flatten)]
        output: FormatArg,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Where the cache is, whether it is used, and its size (the default).
    Show {
        #[command(flatten)]
        output: FormatArg,
    },
    /// Delete every entry; the next run of each component compiles it again.
    Clear {
        #[command(flatten)]
        output: FormatArg,
    },
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
    List {
        #[command(flatten)]
        limits: GuestLimitArgs,
        #[command(flatten)]
        output: FormatArg,
    },
    /// Describe a strategy: name, version, options, WIT version, imports, size, sha256, where
    /// its re-loops re-enter and the agent spawns it declares for its default options.
    Inspect {
        /// Bundled or installed name, or path of a .wasm component.
        strategy: String,
        #[command(flatten)]
        limits: GuestLimitArgs,
        #[command(flatten)]
        output: FormatArg,
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
        #[command(flatten)]
        limits: GuestLimitArgs,
    },
    /// Turn a core wasm module built with wit-bindgen (its component-type section embedded)
    /// into a component: what `./build.sh` of `anneal new strategy` calls after compiling.
    Componentize {
        /// The core module (e.g. target/wasm32-unknown-unknown/release/my_strategy.wasm).
        core: PathBuf,
        /// Where to write the component (replaced atomically), e.g. my-strategy.wasm.
        out: PathBuf,
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

/// One argument of the command line, as [`strategy_flags_as_opts`] reads it.
enum Token {
    /// Passed to clap as it is: a flag the CLI defines (and its value), a short flag, `--`
    /// and everything after it.
    Keep(String),
    /// `--name=value` of a flag the CLI does not define.
    Inline(String, String),
    /// `--name` of a flag the CLI does not define, without `=`: its value is the next
    /// argument, unless that argument is the task.
    Bare(String),
    /// An argument that is not a flag: the task, or the value of a preceding [`Token::Bare`].
    Positional(String),
}

/// Rewrites flags the CLI does not define (`--versions 7`, `--depth=3`, `--enforce`) into
/// `--opt key=value` (or `--opt key` for a flag given bare), so each strategy's own options
/// read like ordinary flags (docs/design.md §2 writes `--versions N` and `--depth N`) while the
/// host special-cases none of them: the strategy's `info()` decides whether the option exists
/// and which values it takes (a bare option must be a `flag`, which it switches on).
///
/// Exactly one argument is the task. `--name VALUE` takes `VALUE` unless it is the task: an
/// argument that follows no such flag is the task; when every candidate follows one, the last
/// is the task and its flag is bare (`anneal --enforce "Add X"` → `--opt enforce "Add X"`).
/// Arguments after `--`, and everything when a subcommand is used, are left alone.
pub fn strategy_flags_as_opts(args: Vec<String>) -> Vec<String> {
    use clap::CommandFactory;
    let cmd = Cli::command();
    if args
        .get(1)
        .is_some_and(|a| cmd.get_subcommands().any(|s| s.get_name() == a))
    {
        return args;
    }
    // Long flags the CLI defines, and whether each takes a value.
    let known: Vec<(String, bool)> = cmd
        .get_arguments()
        .filter_map(|a| {
            a.get_long()
                .map(|l| (l.to_string(), a.get_action().takes_values()))
        })
        .chain([("help".into(), false), ("version".into(), false)])
        .collect();
    let mut it = args.into_iter();
    let mut out: Vec<String> = it.next().into_iter().collect();
    let mut tokens: Vec<Token> = Vec::new();
    while let Some(a) = it.next() {
        if a == "--" {
            tokens.push(Token::Keep(a));
            tokens.extend(it.by_ref().map(Token::Positional));
            break;
        }
        let Some(flag) = a.strip_prefix("--") else {
            tokens.push(
                if a.starts_with('-') && a.len() > 1 && a.parse::<f64>().is_err() {
                    Token::Keep(a)
                } else {
                    Token::Positional(a)
                },
            );
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
        match known.iter().find(|(k, _)| *k == name) {
            Some((_, takes_value)) => {
                tokens.push(Token::Keep(a));
                if *takes_value && inline.is_none() {
                    tokens.extend(it.next().map(Token::Keep));
                }
            }
            None if !valid_name => tokens.push(Token::Keep(a)),
            None => tokens.push(match inline {
                Some(v) => Token::Inline(name, v),
                None => Token::Bare(name),
            }),
        }
    }
    // Which positional is the task: one that follows no bare flag, else the last one.
    let follows_bare = |i: usize| i > 0 && matches!(tokens[i - 1], Token::Bare(_));
    let positionals: Vec<usize> = (0..tokens.len())
        .filter(|i| matches!(tokens[*i], Token::Positional(_)))
        .collect();
    let task = positionals
        .iter()
        .copied()
        .find(|i| !follows_bare(*i))
        .or(positionals.last().copied());
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Keep(a) | Token::Positional(a) => out.push(a.clone()),
            Token::Inline(n, v) => out.extend(["--opt".to_string(), format!("{n}={v}")]),
            Token::Bare(n) => {
                out.push("--opt".into());
                match tokens.get(i + 1) {
                    Some(Token::Positional(v)) if Some(i + 1) != task => {
                        out.push(format!("{n}={v}"));
                        i += 1;
                    }
                    _ => out.push(n.clone()),
                }
            }
        }
        i += 1;
    }
    out
}

/// How Hephaestus validates (docs/design.md §6): the same flags for a run and for `anneal
/// review`, since both run the repository's gate commands.
#[derive(clap::Args, Debug, Clone)]
pub struct ValidationArgs {
    /// Timeout of each phase-00 gate command Hephaestus runs, in seconds.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub gate_timeout: u64,
    /// OS sandbox for gate commands (bubblewrap): auto = where it works here, else unsandboxed
    /// with the reason in the summary; on = required (the run fails where it is missing);
    /// off = gate commands run with your rights, network and home directory.
    #[arg(long, value_enum, default_value = "auto", value_name = "MODE")]
    pub gate_sandbox: crate::stages::hephaestus::sandbox::Mode,
    /// Time limit of each preflight step (creating the virtual environment, installing the
    /// project's dependencies in the scratch copy), in seconds.
    #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub preflight_timeout: u64,
    /// Preparing the scratch copy before its gates run: install = a virtual environment and the
    /// project's dependencies, installed the project's own way; skip = nothing, the gate commands
    /// use the tools on PATH (for a repository whose dependencies are installed already).
    #[arg(
        long,
        value_enum,
        env = "ANNEAL_PREFLIGHT",
        default_value = "install",
        value_name = "MODE"
    )]
    pub preflight: crate::stages::hephaestus::preflight::Mode,
    /// No network for installing the project's dependencies in the scratch copy (caches and
    /// lockfiles only); gate commands never have network under the gate sandbox.
    #[arg(long)]
    pub offline: bool,
    /// A command Hephaestus may run although the probe did not detect it (repeatable).
    #[arg(long = "allow-command", value_name = "COMMAND")]
    pub allow_commands: Vec<String>,
}

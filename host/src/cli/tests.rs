//! The command line: argument rewriting, sha256 pins, and the exit code of every way a
//! command ends.
use super::*;
use crate::runtime::loader::LoadError;

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

#[test]
fn a_bare_strategy_flag_does_not_swallow_the_task() {
    // The task follows the flag: the flag is bare (switched on), the task stays the task.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "--enforce", "Add rate limiting"])),
        v(&["anneal", "--opt", "enforce", "Add rate limiting"])
    );
    // A value follows it and the task comes later: the value is the option's.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "--versions", "7", "--enforce", "task"])),
        v(&["anneal", "--opt", "versions=7", "--opt", "enforce", "task"])
    );
    // The task first: every later argument after a flag is that flag's value.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "task", "--versions", "7"])),
        v(&["anneal", "task", "--opt", "versions=7"])
    );
    // A bare flag before a known flag, or last.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "--enforce", "--jobs", "2", "task"])),
        v(&["anneal", "--opt", "enforce", "--jobs", "2", "task"])
    );
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "task", "--enforce"])),
        v(&["anneal", "task", "--opt", "enforce"])
    );
    // A known flag's value is never the task.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "--strategy", "alloy", "--enforce", "task"])),
        v(&["anneal", "--strategy", "alloy", "--opt", "enforce", "task"])
    );
    // Negative numbers are values.
    assert_eq!(
        strategy_flags_as_opts(v(&["anneal", "--offset", "-3", "task"])),
        v(&["anneal", "--opt", "offset=-3", "task"])
    );
    // And the rewritten line parses with the task in place.
    let cli =
        Cli::try_parse_from(strategy_flags_as_opts(v(&["anneal", "--enforce", "Add X"]))).unwrap();
    assert_eq!(cli.task.as_deref(), Some("Add X"));
    assert_eq!(cli.opts, ["enforce"]);
}

#[test]
fn inspect_install_and_list_take_the_limits_their_errors_name() {
    for line in [
        &[
            "anneal",
            "strategy",
            "inspect",
            "cast",
            "--max-guest-cpu",
            "5",
        ][..],
        &[
            "anneal",
            "strategy",
            "inspect",
            "cast",
            "--max-guest-memory",
            "64",
        ],
        &["anneal", "strategy", "list", "--max-guest-cpu", "5"],
        &[
            "anneal",
            "strategy",
            "install",
            "x.wasm",
            "--max-guest-memory",
            "64",
        ],
    ] {
        let cli = Cli::try_parse_from(strategy_flags_as_opts(v(line)));
        assert!(cli.is_ok(), "{line:?}: {}", cli.unwrap_err());
    }
    let cli = Cli::try_parse_from(v(&[
        "anneal",
        "strategy",
        "inspect",
        "cast",
        "--max-guest-cpu",
        "5",
    ]))
    .unwrap();
    let Some(Command::Strategy {
        action: StrategyAction::Inspect { limits, .. },
    }) = cli.command
    else {
        panic!("inspect expected")
    };
    assert_eq!(limits.limits().cpu_time, std::time::Duration::from_secs(5));
}

#[test]
fn every_ending_has_its_exit_code() {
    let code = |r: Result<Ending, Error>| exit_code(&r);
    assert_eq!(code(Ok(Ending::Success)), exit::EMIT);
    assert_eq!(code(Ok(Ending::Aborted)), exit::ABORT);
    assert_eq!(code(Ok(Ending::NotEmitted)), exit::NOT_EMITTED);
    // Bad input is a usage error…
    for e in [
        Error::Run(RunError::NoTask),
        Error::Run(RunError::Opt("x".into())),
        Error::Run(RunError::Models("x".into())),
        Error::Run(RunError::Start(StartError::Usage("x".into()))),
        Error::Strategy(StrategyError::Install(InstallError::NoDir)),
        Error::Strategy(StrategyError::Install(InstallError::Bundled("cast".into()))),
        Error::New(ScaffoldError::BadName("X".into())),
        Error::Config(ConfigError("x".into())),
        Error::Convergence(ConvergenceError::Scores("x".into())),
        Error::Convergence(ConvergenceError::Check(CheckError::Invalid("x".into()))),
    ] {
        assert_eq!(code(Err(e)), exit::USAGE);
    }
    // …and what failed while doing what was asked is a runtime error.
    for e in [
        Error::Run(RunError::Start(StartError::Pin("x".into()))),
        Error::Run(RunError::Start(StartError::Load(LoadError::NotWasm {
            origin: "x".into(),
        }))),
        Error::Run(RunError::Failed {
            error: "x".into(),
            dir: "d".into(),
        }),
        Error::Strategy(StrategyError::Refused("x".into())),
        Error::Strategy(StrategyError::Install(InstallError::Io {
            path: "p".into(),
            source: std::io::Error::other("x"),
        })),
        Error::Cache(CacheError::Clear("x".into())),
        Error::Convergence(ConvergenceError::Check(CheckError::Runtime("x".into()))),
        Error::AsyncRuntime(std::io::Error::other("x")),
    ] {
        assert_eq!(code(Err(e)), exit::RUNTIME);
    }
}

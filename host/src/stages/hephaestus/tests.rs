//! End-to-end tests of `validate` on small repositories built here (a Makefile, real `make`,
//! real `/bin/sh`), each with its own run directory.
use super::*;
use crate::model::{DetectedCommand, FileAction, FileChange, Phase, Plan, ProbeReport, TaskKind};
use std::time::Instant;

const RUN_ID: &str = "anneal-20260101-000000-hephaestus-test";

struct Repo {
    tmp: tempfile::TempDir,
    root: PathBuf,
}

impl Repo {
    /// A repository `widget` with a Makefile (`build` prints, `test` fails, `slow` sleeps 30 s
    /// after writing its pid to `<tmp>/pid`, `quiet` prints nothing) and `src/lib.rs`.
    fn new() -> Repo {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("widget");
        std::fs::create_dir_all(root.join("src")).unwrap();
        let pid = tmp.path().join("pid");
        std::fs::write(
            root.join("Makefile"),
            format!(
                "build:\n\t@echo building widget\ntest:\n\t@echo \"assertion failed: widget broke\"; exit 1\n\
                 slow:\n\t@echo $$$$ > {}; exec sleep 30\nquiet:\n\t@true\n",
                pid.display()
            ),
        )
        .unwrap();
        std::fs::write(root.join("src/lib.rs"), "pub fn widget() {}\n").unwrap();
        Repo { tmp, root }
    }

    fn outside(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }
}

fn probe(commands: &[&str]) -> ProbeReport {
    ProbeReport {
        repository: "widget".into(),
        commands: commands
            .iter()
            .map(|c| DetectedCommand {
                purpose: if c.contains("test") { "test" } else { "build" }.into(),
                command: (*c).into(),
                source: "Makefile".into(),
            })
            .collect(),
        ..ProbeReport::default()
    }
}

fn phase(id: &str, slug: &str, gate: &[&str], files: &[(&str, FileAction)]) -> Phase {
    Phase {
        id: id.into(),
        slug: slug.into(),
        title: slug.into(),
        goal: "g".into(),
        steps: vec!["s".into()],
        files: files
            .iter()
            .map(|(p, a)| FileChange {
                path: (*p).into(),
                action: *a,
            })
            .collect(),
        success_criteria: vec!["c".into()],
        gate: gate.iter().map(|g| (*g).into()).collect(),
        rollback: "r".into(),
        depends_on: vec![],
        provenance: None,
    }
}

/// A plan of `phases` with placeholder texts (shared with the other hephaestus tests).
pub(crate) fn plan(phases: Vec<Phase>) -> Plan {
    Plan {
        title: "t".into(),
        thesis: "t".into(),
        effort: "small".into(),
        phases,
        dependencies: Default::default(),
        out_of_scope: vec![],
        iron_rules: vec![],
        author: "test".into(),
    }
}

fn preflight(gate: &[&str]) -> Plan {
    plan(vec![phase("00", "preflight", gate, &[])])
}

fn host_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os().collect()
}

/// Runs `validate_with_env` and returns the report and the run directory.
async fn check(
    repo: &Repo,
    probe: &ProbeReport,
    plan: &Plan,
    opts: &Options,
    env: &[(OsString, OsString)],
) -> (Report, RunDir) {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let run = RunDir::create(&repo.outside(&format!("runs-{n}")), RUN_ID).unwrap();
    let directives = Vec::new();
    let ctx = Context {
        run_id: RUN_ID,
        task: "add a widget",
        task_kind: TaskKind::Feature,
        directives: &directives,
        probe,
        repo_root: &repo.root,
        resolution: crate::model::resolution::Resolution::empty(),
        baseline: None,
    };
    let report = validate_with_env(&ctx, plan, &run, opts, env).await;
    (report, run)
}

fn find<'a>(r: &'a Report, name: &str) -> &'a Check {
    r.checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name:?} in {:#?}", r.checks))
}

#[tokio::test]
async fn passing_command_passes_with_real_evidence() {
    let repo = Repo::new();
    let (r, run) = check(
        &repo,
        &probe(&["make build"]),
        &preflight(&["make build"]),
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(r.passed, "{:#?}", r.checks);
    let c = find(&r, "run: phase 00 gate 1: make build");
    assert_eq!(c.status, CheckStatus::Passed);
    assert!(
        c.detail.starts_with("exit status 0 is the evidence"),
        "{}",
        c.detail
    );
    assert_eq!(c.evidence.as_deref(), Some("evidence/phase-00-gate-1.log"));
    let log = run.read_to_string("evidence/phase-00-gate-1.log").unwrap();
    assert!(
        log.contains("\n--- output ---\nbuilding widget\n--- end of output ---\n"),
        "{log}"
    );
    assert!(log.ends_with("\nexit status: 0\n"), "{log}");
    assert!(
        log.contains("command: make build\n") && log.contains("ran in: scratch copy of widget ")
    );
    assert!(log.contains("trusted: detected by the probe in Makefile (build)"));
    assert!(
        !log.contains("anneal-hephaestus-"),
        "the scratch path is never recorded"
    );
    assert_eq!(
        find(&r, "command exists: make build").status,
        CheckStatus::Passed
    );
    assert_eq!(
        r.evidence,
        ["evidence/phase-00-gate-1.log", "evidence/hephaestus.md"]
    );
    let md = run.read_to_string("evidence/hephaestus.md").unwrap();
    assert!(md.starts_with("# Hephaestus: PASS\n"));
    assert!(
        md.contains("- **PASSED** run: phase 00 gate 1: make build\n")
            && md.contains("  - evidence: `evidence/phase-00-gate-1.log`")
    );
    assert_eq!(r.envelope.agent, "hephaestus");
    assert_eq!(r.envelope.verdict, Verdict::Safe);
    assert!(r.envelope.findings.is_empty());
    assert!(r
        .envelope
        .summary
        .starts_with("PASS: 1 phase-00 command(s) ran and passed"));
}

#[tokio::test]
async fn failing_command_fails_with_its_output_quoted() {
    let repo = Repo::new();
    let gate = ["make build", "make test"];
    let (r, run) = check(
        &repo,
        &probe(&gate),
        &preflight(&gate),
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(!r.passed);
    let c = find(&r, "run: phase 00 gate 2: make test");
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(
        c.detail
            .starts_with("exit status 2; make failure line: `make: *** "),
        "{}",
        c.detail
    );
    assert!(
        c.detail.contains("`assertion failed: widget broke`"),
        "{}",
        c.detail
    );
    let log = run.read_to_string("evidence/phase-00-gate-2.log").unwrap();
    assert!(
        log.contains("assertion failed: widget broke\n") && log.ends_with("exit status: 2\n"),
        "{log}"
    );
    assert_eq!(r.envelope.verdict, Verdict::Block);
    let f = &r.envelope.findings[0];
    assert_eq!(f.location, "plan/phase-00-preflight.md");
    assert!(
        f.concern.contains("widget broke")
            && f.demand
                .starts_with("Gate phase 00 on a detected command that passes"),
        "{f:?}"
    );
    assert!(run
        .read_to_string("evidence/hephaestus.md")
        .unwrap()
        .starts_with("# Hephaestus: FAIL\n"));
}

fn alive(pid: u32) -> bool {
    // A zombie has finished; only its parent's bookkeeping is left.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .is_some_and(|rest| !rest.trim_start().starts_with('Z'))
    })
}

#[tokio::test]
async fn timeout_kills_the_whole_process_group() {
    let repo = Repo::new();
    let opts = Options {
        timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let clock = Instant::now();
    let (r, run) = check(
        &repo,
        &probe(&["make slow"]),
        &preflight(&["make slow"]),
        &opts,
        &host_env(),
    )
    .await;
    assert!(
        clock.elapsed() < Duration::from_secs(20),
        "the timeout must stop the command"
    );
    assert!(!r.passed);
    let c = find(&r, "run: phase 00 gate 1: make slow");
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(
        c.detail
            .starts_with("timed out after 1 s; its process group was killed"),
        "{}",
        c.detail
    );
    assert!(run
        .read_to_string("evidence/phase-00-gate-1.log")
        .unwrap()
        .ends_with("exit status: timed out after 1 s (process group killed)\n"));
    assert!(r.envelope.findings[0]
        .demand
        .contains("finishes within 1 s"));
    // `sleep` ran as a grandchild (make → sh → exec sleep); it must be gone too.
    let pid: u32 = std::fs::read_to_string(repo.outside("pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !alive(pid),
        "the sleeping process {pid} survived the timeout"
    );
}

#[tokio::test]
async fn untrusted_commands_are_never_run() {
    let repo = Repo::new();
    let marker = repo.outside("marker");
    let touch = format!("touch {}", marker.display());
    let gate = ["make build", touch.as_str()];
    let (r, _run) = check(
        &repo,
        &probe(&["make build"]),
        &preflight(&gate),
        &Options::default(),
        &host_env(),
    )
    .await;
    let c = find(&r, &format!("run: phase 00 gate 2: {touch}"));
    assert_eq!(c.status, CheckStatus::NotRun);
    assert!(c
        .detail
        .starts_with("untrusted: not detected from the project's manifests"));
    assert_eq!(c.evidence, None);
    assert!(!marker.exists(), "an untrusted command ran");
    assert!(r.passed, "the trusted command passed and nothing failed");

    // Only untrusted commands: nothing Hephaestus can run is a FAIL.
    let repo = Repo::new();
    let touch = format!("touch {}", repo.outside("marker").display());
    let (r, _run) = check(
        &repo,
        &probe(&["make build"]),
        &preflight(&[&touch, "check: it builds"]),
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(!r.passed);
    assert!(!repo.outside("marker").exists());
    assert_eq!(
        find(&r, "phase 00: runnable command").detail,
        "phase 00 names no command Hephaestus can run"
    );
    let f = &r.envelope.findings[0];
    assert!(
        f.demand == "Make phase 00's gate name a command the probe detected, such as `make build`.",
        "{f:?}"
    );
    assert_eq!(
        find(&r, "manual check: phase 00 gate 2").status,
        CheckStatus::NotRun
    );
}

#[tokio::test]
async fn secrets_never_reach_commands() {
    let repo = Repo::new();
    let mut env = host_env();
    env.retain(|(k, _)| k != "ANNEAL_TEST_SECRET_TOKEN");
    env.push(("ANNEAL_TEST_SECRET_TOKEN".into(), "leak-me-please".into()));
    env.push(("OPENAI_API_KEY".into(), "sk-should-not-leak".into()));
    env.push(("ANNEAL_TEST_PLAIN".into(), "not-allowlisted".into()));
    let opts = Options {
        allowed_commands: vec!["env".into()],
        ..Options::default()
    };
    let (r, run) = check(&repo, &probe(&[]), &preflight(&["env"]), &opts, &env).await;
    assert!(r.passed, "{:#?}", r.checks);
    let log = run.read_to_string("evidence/phase-00-gate-1.log").unwrap();
    assert!(log.contains("trusted: allowed in configuration"));
    assert!(
        log.contains("\nTERM=dumb\n") && log.contains("\nPATH="),
        "{log}"
    );
    for leak in [
        "ANNEAL_TEST_SECRET_TOKEN",
        "leak-me-please",
        "OPENAI_API_KEY",
        "sk-should-not-leak",
        "ANNEAL_TEST_PLAIN",
    ] {
        assert!(!log.contains(leak), "{leak} reached the command:\n{log}");
    }

    // The real entry point, with this process's own environment: every variable the command
    // sees is allowlisted, fixed by Hephaestus, or set by the shell itself.
    let repo = Repo::new();
    let runs = repo.outside("runs");
    let run = RunDir::create(&runs, RUN_ID).unwrap();
    let p = probe(&[]);
    let ctx = Context {
        run_id: RUN_ID,
        task: "t",
        task_kind: TaskKind::Feature,
        directives: &[],
        probe: &p,
        repo_root: &repo.root,
        resolution: crate::model::resolution::Resolution::empty(),
        baseline: None,
    };
    let r = validate(&ctx, &preflight(&["env"]), &run, &opts).await;
    assert!(r.passed);
    let log = run.read_to_string("evidence/phase-00-gate-1.log").unwrap();
    let facts = evidence::read_log(&log).unwrap();
    for line in facts.output.lines() {
        let name = line.split('=').next().unwrap();
        assert!(
            ENV_ALLOWLIST.contains(&name)
                || FIXED_ENV.iter().any(|(k, _)| *k == name)
                || super::prepare::SCM_VERSION_ENV.contains(&name)
                || ["PWD", "OLDPWD", "SHLVL", "_"].contains(&name),
            "{name} reached the command"
        );
    }
}

#[tokio::test]
async fn commands_run_in_a_scratch_copy() {
    let repo = Repo::new();
    std::fs::write(repo.root.join(".gitignore"), "target/\nnode_modules/\n").unwrap();
    for d in ["target/debug", "node_modules/left-pad", ".git"] {
        std::fs::create_dir_all(repo.root.join(d)).unwrap();
    }
    std::fs::write(repo.root.join("target/debug/widget"), "binary").unwrap();
    std::fs::write(repo.root.join("node_modules/left-pad/index.js"), "x").unwrap();
    std::fs::write(repo.root.join(".git/HEAD"), "ref: refs/heads/main").unwrap();
    let cmd = "echo changed > src/lib.rs && touch made-by-gate && ls -A";
    let opts = Options {
        allowed_commands: vec![cmd.into()],
        ..Options::default()
    };
    let (r, run) = check(&repo, &probe(&[]), &preflight(&[cmd]), &opts, &host_env()).await;
    assert!(r.passed, "{:#?}", r.checks);
    let facts =
        evidence::read_log(&run.read_to_string("evidence/phase-00-gate-1.log").unwrap()).unwrap();
    let listed: Vec<&str> = facts.output.lines().collect();
    assert_eq!(listed, [".gitignore", "Makefile", "made-by-gate", "src"]);
    assert!(
        !repo.root.join("made-by-gate").exists(),
        "the command wrote into the repository"
    );
    assert_eq!(
        std::fs::read_to_string(repo.root.join("src/lib.rs")).unwrap(),
        "pub fn widget() {}\n"
    );
}

#[tokio::test]
async fn reference_integrity_catches_bad_files_and_commands() {
    let repo = Repo::new();
    let p = plan(vec![
        phase("00", "preflight", &["make build"], &[]),
        phase(
            "01",
            "add-widget",
            &[
                "make lint",
                "no-such-program-anneal --all",
                "check: the widget renders",
                "make build",
            ],
            &[
                ("src/missing.rs", FileAction::Modify),
                ("../escape.txt", FileAction::Modify),
                ("Makefile", FileAction::Create),
                ("src/new.rs", FileAction::Create),
                ("src/lib.rs", FileAction::Delete),
            ],
        ),
        phase(
            "02",
            "use-widget",
            &["make build"],
            &[
                ("src/new.rs", FileAction::Modify),
                ("src/lib.rs", FileAction::Modify),
            ],
        ),
    ]);
    let (r, _run) = check(
        &repo,
        &probe(&["make build"]),
        &p,
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(!r.passed);
    let status = |n: &str| find(&r, n).status;
    assert_eq!(
        status("file: phase 01 modify src/missing.rs"),
        CheckStatus::Failed
    );
    assert!(find(&r, "file: phase 01 modify ../escape.txt")
        .detail
        .contains("`..` component"));
    assert_eq!(
        status("file: phase 01 create Makefile"),
        CheckStatus::Failed
    );
    assert_eq!(
        status("file: phase 01 create src/new.rs"),
        CheckStatus::Passed
    );
    assert_eq!(
        status("file: phase 01 delete src/lib.rs"),
        CheckStatus::Passed
    );
    assert_eq!(
        find(&r, "file: phase 02 modify src/new.rs").detail,
        "`src/new.rs` created by phase 01"
    );
    assert_eq!(
        find(&r, "file: phase 02 modify src/lib.rs").detail,
        "`src/lib.rs` deleted by phase 01; it cannot be modified"
    );
    assert!(find(&r, "command exists: make lint")
        .detail
        .contains("make target `lint` is not defined in Makefile"));
    assert_eq!(
        status("command exists: no-such-program-anneal --all"),
        CheckStatus::Failed
    );
    assert_eq!(status("manual check: phase 01 gate 3"), CheckStatus::NotRun);
    assert!(find(&r, "command exists: make build")
        .detail
        .ends_with("; used in phases 00, 01, 02"));
    assert_eq!(
        status("run: phase 00 gate 1: make build"),
        CheckStatus::Passed
    );

    let e = &r.envelope;
    assert_eq!(e.verdict, Verdict::Block);
    assert_eq!(e.findings.len(), 6, "{:#?}", e.findings);
    let escape = e
        .findings
        .iter()
        .find(|f| f.concern.contains("escape.txt"))
        .unwrap();
    assert_eq!(
        (escape.severity, escape.location.as_str()),
        (Severity::Critical, "plan/phase-01-add-widget.md")
    );
    assert!(e
        .findings
        .iter()
        .all(|f| f.demand.ends_with('.') && f.demand.chars().next().unwrap().is_uppercase()));
    assert!(e.summary.chars().count() <= 240);
}

#[tokio::test]
async fn empty_evidence_is_invalid() {
    let repo = Repo::new();
    let (r, run) = check(
        &repo,
        &probe(&["make quiet"]),
        &preflight(&["make quiet"]),
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(!r.passed);
    let c = find(&r, "run: phase 00 gate 1: make quiet");
    assert_eq!(c.status, CheckStatus::Failed);
    assert!(c.detail.starts_with("empty evidence"), "{}", c.detail);
    let log = run.read_to_string("evidence/phase-00-gate-1.log").unwrap();
    assert!(
        log.ends_with("--- output ---\n--- end of output ---\nexit status: 0\n"),
        "{log}"
    );
}

#[tokio::test]
async fn a_plan_without_phase_00_fails() {
    let repo = Repo::new();
    let p = plan(vec![phase("01", "work", &["make build"], &[])]);
    let (r, _run) = check(
        &repo,
        &probe(&["make build"]),
        &p,
        &Options::default(),
        &host_env(),
    )
    .await;
    assert!(!r.passed);
    assert!(find(&r, "phase 00: runnable command")
        .detail
        .starts_with("the plan has no phase 00"));
    assert!(r.envelope.findings[0].demand.starts_with("Add phase 00 (preflight) whose gate names a command the probe detected, such as `make build`"));
}

#[tokio::test]
async fn cargo_commands_get_the_configured_target_dir() {
    let repo = Repo::new();
    let with = "cargo --version && echo \"target=$CARGO_TARGET_DIR\"";
    let without = "echo \"target=$CARGO_TARGET_DIR\"";
    let opts = Options {
        allowed_commands: vec![with.into(), without.into()],
        cargo_target_dir: Some(repo.outside("cache")),
        ..Options::default()
    };
    let (r, run) = check(
        &repo,
        &probe(&[]),
        &preflight(&[with, without]),
        &opts,
        &host_env(),
    )
    .await;
    assert!(r.passed, "{:#?}", r.checks);
    let log1 = run.read_to_string("evidence/phase-00-gate-1.log").unwrap();
    assert!(
        log1.contains(&format!("target={}\n", repo.outside("cache").display())),
        "{log1}"
    );
    let log2 = run.read_to_string("evidence/phase-00-gate-2.log").unwrap();
    assert!(log2.contains("\ntarget=\n"), "{log2}");
}

/// A real cargo project: the success line `cargo test` prints is what proves the pass, and a
/// failing test is quoted from libtest's own summary line.
#[tokio::test]
async fn cargo_test_evidence_quotes_libtest() {
    if which::which("cargo").is_err() {
        return; // not a Rust machine; the Makefile tests cover the rules
    }
    let repo = Repo::new();
    std::fs::write(
        repo.root.join("Cargo.toml"),
        "[package]\nname = \"widget\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        repo.root.join("src/lib.rs"),
        "pub fn widget() -> u32 { 2 }\n#[test]\nfn works() { assert_eq!(widget(), 2); }\n",
    )
    .unwrap();
    let cmd = "cargo test --offline --quiet";
    let (r, run) = check(
        &repo,
        &probe(&[cmd]),
        &preflight(&[cmd]),
        &Options::default(),
        &host_env(),
    )
    .await;
    let c = find(&r, &format!("run: phase 00 gate 1: {cmd}"));
    assert!(
        r.passed,
        "{:#?}\n{}",
        r.checks,
        run.read_to_string("evidence/phase-00-gate-1.log").unwrap()
    );
    assert!(
        c.detail
            .starts_with("exit status 0; libtest success line: `test result: ok."),
        "{}",
        c.detail
    );

    std::fs::write(
        repo.root.join("src/lib.rs"),
        "pub fn widget() -> u32 { 3 }\n#[test]\nfn works() { assert_eq!(widget(), 2); }\n",
    )
    .unwrap();
    let (r, _run) = check(
        &repo,
        &probe(&[cmd]),
        &preflight(&[cmd]),
        &Options::default(),
        &host_env(),
    )
    .await;
    let c = find(&r, &format!("run: phase 00 gate 1: {cmd}"));
    assert!(!r.passed);
    assert!(
        c.detail
            .starts_with("exit status 101; libtest failure line: `test result: FAILED."),
        "{}",
        c.detail
    );
}

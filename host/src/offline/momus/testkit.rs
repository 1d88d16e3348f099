//! Test fixtures for the offline reviewers: a small Rust repository in a tempdir, its probe
//! report, and hand-built plans following the HELPER_CONTEXT conventions.
use crate::model::Context;
use crate::model::{
    DetectedCommand, DetectedService, FileAction, FileChange, Phase, Plan, ProbeReport,
    RelevantFile, TaskKind,
};

/// Owns everything a [`Context`] borrows.
pub struct Fixture {
    pub task: String,
    pub kind: TaskKind,
    pub directives: Vec<String>,
    pub probe: ProbeReport,
    pub dir: tempfile::TempDir,
}

impl Fixture {
    pub fn ctx(&self) -> Context<'_> {
        Context {
            run_id: "anneal-20261121-143000-test",
            task: &self.task,
            task_kind: self.kind,
            directives: &self.directives,
            probe: &self.probe,
            repo_root: self.dir.path(),
            resolution: crate::model::resolution::Resolution::empty(),
        }
    }

    /// Writes `rel` (creating parent directories) in the fixture repository.
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn cmd(purpose: &str, command: &str) -> DetectedCommand {
    DetectedCommand {
        purpose: purpose.into(),
        command: command.into(),
        source: "Cargo.toml".into(),
    }
}

/// A Rust web service: `Cargo.toml`, `src/lib.rs`, `src/api/{mod,handlers}.rs`,
/// `src/auth/{mod,jwt}.rs`, `src/db.rs` (which uses Postgres and `DATABASE_URL`); the probe
/// detected `cargo build --workspace`, `cargo test --workspace`, `cargo clippy --all-targets`
/// and the postgres service.
pub fn fixture(task: &str, kind: TaskKind) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let f = Fixture {
        task: task.into(),
        kind,
        directives: vec![],
        probe: ProbeReport {
            repository: "svc".into(),
            commands: vec![
                cmd("build", "cargo build --workspace"),
                cmd("test", "cargo test --workspace"),
                cmd("lint", "cargo clippy --all-targets"),
            ],
            services: vec![DetectedService {
                name: "postgres".into(),
                kind: "database".into(),
                source: "docker-compose.yml".into(),
            }],
            relevant_files: vec![
                RelevantFile {
                    path: "src/api/mod.rs".into(),
                    reason: "name".into(),
                    score: 5,
                },
                RelevantFile {
                    path: "src/api/handlers.rs".into(),
                    reason: "name".into(),
                    score: 4,
                },
            ],
            env_vars: vec!["DATABASE_URL".into()],
            files_scanned: 7,
            ..ProbeReport::default()
        },
        dir,
    };
    f.write(
        "Cargo.toml",
        "[package]\nname = \"svc\"\nversion = \"0.1.0\"\n",
    );
    f.write("src/lib.rs", "pub mod api;\npub mod auth;\npub mod db;\n");
    f.write("src/api/mod.rs", "pub mod handlers;\n");
    f.write(
        "src/api/handlers.rs",
        "pub fn list() -> &'static str { \"[]\" }\n",
    );
    f.write("src/auth/mod.rs", "pub mod jwt;\n");
    f.write(
        "src/auth/jwt.rs",
        "pub fn verify(_t: &str) -> bool { true }\n",
    );
    f.write("src/db.rs", "// connects to postgres\npub fn url() -> String { std::env::var(\"DATABASE_URL\").unwrap() }\n");
    f
}

/// The task of [`good_plan`].
pub const RATE_TASK: &str = "Add rate limiting to the public API endpoints";

fn files(list: &[(&str, FileAction)]) -> Vec<FileChange> {
    list.iter()
        .map(|(p, a)| FileChange {
            path: (*p).into(),
            action: *a,
        })
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_string()).collect()
}

/// A phase with the given id index, slug, title, steps, files, criteria, gate and rollback;
/// depends on the previous phase.
#[allow(clippy::too_many_arguments)]
pub fn phase(
    i: usize,
    slug: &str,
    title: &str,
    goal: &str,
    steps: &[&str],
    fs: &[(&str, FileAction)],
    criteria: &[&str],
    gate: &[&str],
    rollback: &str,
) -> Phase {
    Phase {
        id: format!("{i:02}"),
        slug: slug.into(),
        title: title.into(),
        goal: goal.into(),
        steps: strings(steps),
        files: files(fs),
        success_criteria: strings(criteria),
        gate: strings(gate),
        rollback: rollback.into(),
        depends_on: if i == 0 {
            vec![]
        } else {
            vec![format!("{:02}", i - 1)]
        },
        provenance: None,
    }
}

/// The preflight phase every plan starts with, gated on the detected build and test commands.
pub fn preflight() -> Phase {
    phase(
        0,
        "preflight",
        "Preflight: build and test baseline",
        "Prove the workspace builds and its tests pass before any change.",
        &[
            "Run `cargo build --workspace` and `cargo test --workspace` on a clean checkout.",
            "Record the number of passing tests as the baseline.",
        ],
        &[],
        &[
            "`cargo build --workspace` exits 0",
            "`cargo test --workspace` exits 0 and the passing-test count is recorded",
        ],
        &["cargo build --workspace", "cargo test --workspace"],
        "Nothing to roll back: phase 00 changes no file.",
    )
}

/// A good plan for [`RATE_TASK`] on [`fixture`]: preflight, limiter, wiring behind a feature
/// flag, tests; declared env var, honest out-of-scope.
pub fn good_plan() -> Plan {
    Plan {
        title: "Rate limiting for the public API".into(),
        thesis: "A per-client fixed-window limiter in front of every public API handler, behind a feature flag that defaults off.".into(),
        effort: "M".into(),
        phases: vec![
            preflight(),
            phase(
                1,
                "rate-limiter",
                "Per-client rate limiter",
                "Add an in-memory fixed-window limiter keyed by client address.",
                &[
                    "Create src/api/rate_limit.rs with a fixed-window counter per client.",
                    "Introduce RATE_LIMIT_PER_MINUTE, read from the environment, default 100.",
                    "Export the limiter from src/api/mod.rs.",
                ],
                &[("src/api/rate_limit.rs", FileAction::Create), ("src/api/mod.rs", FileAction::Modify)],
                &["A unit test shows the 101st request from one client within 60 seconds is refused"],
                &["cargo test --workspace"],
                "Revert the commit; the limiter keeps no persistent state.",
            ),
            phase(
                2,
                "wire-handlers",
                "Apply the limiter to the API handlers",
                "Rate-limit every public API handler behind the `rate_limit` feature flag.",
                &["Wrap each handler in src/api/handlers.rs with the limiter when the `rate_limit` flag is on.", "Return 429 with a Retry-After header when a client is over its limit."],
                &[("src/api/handlers.rs", FileAction::Modify)],
                &["With the flag on, the 101st request in a minute returns 429; with it off, responses are unchanged"],
                &["cargo test --workspace", "check: with the flag off, the existing handler tests pass unchanged"],
                "Turn the `rate_limit` flag off; then revert the commit.",
            ),
            phase(
                3,
                "integration-tests",
                "Integration tests for rate limiting",
                "Prove the limit end to end.",
                &["Create tests/rate_limit.rs exercising 100 allowed and 1 refused request."],
                &[("tests/rate_limit.rs", FileAction::Create)],
                &["`cargo test --workspace` exits 0 with the 2 new rate-limit tests passing"],
                &["cargo test --workspace", "cargo clippy --all-targets"],
                "Delete tests/rate_limit.rs.",
            ),
        ],
        dependencies: crate::model::Dependencies { services: vec![], env_vars: vec!["RATE_LIMIT_PER_MINUTE".into()], permissions: vec![] },
        out_of_scope: strings(&["Distributed limiting across several instances (needs a shared store).", "Per-user quotas and billing tiers."]),
        iron_rules: strings(&["Do not change the response format of existing endpoints."]),
        author: "prometheus-cast".into(),
    }
}

//! One plan that triggers each check and one that does not (the fixture's good plan).
use super::*;
use crate::model::baseline::{Baseline, BaselineRun};
use crate::model::resolution::{NameForm, NamedRef, RankedFile, Resolution, SymbolKind, SymbolRef};
use crate::model::TaskKind;
use crate::model::{FileAction, FileChange, Phase};
use crate::offline::momus::testkit::{fixture, good_plan, Fixture, RATE_TASK};

fn of(hits: &[Hit], check: Check) -> Vec<&Hit> {
    hits.iter().filter(|h| h.check == check).collect()
}

fn show(hits: &[Hit]) -> String {
    hits.iter()
        .map(|h| {
            format!(
                "[{} {}] {} — {}\n",
                h.check.name(),
                h.finding.severity,
                h.finding.location,
                h.finding.concern
            )
        })
        .collect()
}

/// The fixture's repository as a library: no service, so nothing is deployable.
fn library(task: &str) -> Fixture {
    let mut f = fixture(task, TaskKind::Feature);
    f.probe.services.clear();
    f
}

fn ctx_with<'a>(f: &'a Fixture, res: &'a Resolution, base: Option<&'a Baseline>) -> Context<'a> {
    Context {
        resolution: res,
        baseline: base,
        ..f.ctx()
    }
}

#[test]
fn the_good_plan_triggers_no_check() {
    for f in [fixture(RATE_TASK, TaskKind::Feature), library(RATE_TASK)] {
        let hits = run(&f.ctx(), &good_plan());
        assert!(hits.is_empty(), "{}", show(&hits));
    }
}

/// `handlers.rs` defines `list`, named by the task.
fn named_resolution() -> Resolution {
    let sym = SymbolRef {
        name: "list".into(),
        kind: SymbolKind::Function,
        path: "src/api/handlers.rs".into(),
        line_start: 1,
        line_end: 1,
        scope: None,
        signature: Some("pub fn list() -> &'static str".into()),
        reason: "defines list (named in the task)".into(),
    };
    Resolution {
        names: vec![NamedRef {
            text: "list".into(),
            form: NameForm::Backticked,
            exact: true,
            symbols: vec![sym.clone()],
            files: vec!["src/api/handlers.rs".into()],
        }],
        files: vec![RankedFile {
            path: "src/api/handlers.rs".into(),
            score: 3.0,
            reasons: vec!["defines list".into()],
            is_test: false,
        }],
        symbols: vec![sym],
        ..Resolution::default()
    }
}

#[test]
fn a_named_symbol_whose_file_no_phase_touches_is_critical() {
    let f = fixture("Rate-limit `list` in the public API", TaskKind::Feature);
    let res = named_resolution();
    let ctx = ctx_with(&f, &res, None);
    assert!(of(&run(&ctx, &good_plan()), Check::NamedFile).is_empty());
    let mut plan = good_plan();
    plan.phases[2].files = vec![FileChange {
        path: "src/api/mod.rs".into(),
        action: FileAction::Modify,
    }];
    let hits = run(&ctx, &plan);
    let named = of(&hits, Check::NamedFile);
    assert_eq!(named.len(), 1, "{}", show(&hits));
    assert_eq!(named[0].finding.severity, Severity::Critical);
    assert!(named[0].finding.concern.contains("`src/api/handlers.rs`"));
    assert_eq!(named[0].dimension, Dimension::Correctness);
}

#[test]
fn a_changed_file_that_does_not_exist_is_critical_unless_created_first() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].files.push(FileChange {
        path: "src/api/rate_limit.rs".into(), // created by phase 01
        action: FileAction::Modify,
    });
    assert!(of(&run(&f.ctx(), &plan), Check::Missing).is_empty());
    plan.phases[2].files.push(FileChange {
        path: "src/api/middleware.rs".into(),
        action: FileAction::Modify,
    });
    let hits = run(&f.ctx(), &plan);
    let missing = of(&hits, Check::Missing);
    assert_eq!(missing.len(), 1, "{}", show(&hits));
    assert_eq!(missing[0].finding.severity, Severity::Critical);
    assert_eq!(
        missing[0].finding.location,
        "plan/phase-02-wire-handlers.md"
    );
}

#[test]
fn changing_what_an_earlier_phase_deleted_or_renamed_is_a_contradiction() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/api/handlers.rs".into(),
        action: FileAction::Delete,
    });
    let hits = run(&f.ctx(), &plan);
    let c = of(&hits, Check::Contradiction);
    assert_eq!(c.len(), 1, "{}", show(&hits));
    assert_eq!(c[0].finding.severity, Severity::Critical);
    assert!(c[0].finding.concern.contains("phase 01 deletes"));

    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Rename `list` to `list_all` in src/api/handlers.rs.".into());
    assert!(of(&run(&f.ctx(), &plan), Check::Contradiction).is_empty());
    plan.phases[2]
        .steps
        .push("Wrap `list` with the limiter.".into());
    let hits = run(&f.ctx(), &plan);
    let c = of(&hits, Check::Contradiction);
    assert_eq!(c.len(), 1, "{}", show(&hits));
    assert_eq!(c[0].finding.severity, Severity::High);
    assert!(c[0].finding.concern.contains("renames to `list_all`"));
}

#[test]
fn undeclared_and_baseline_failing_gates() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    // A declared command is still in the gate: medium.
    plan.phases[3].gate.push("make integration".into());
    let hits = run(&f.ctx(), &plan);
    let g = of(&hits, Check::Gate);
    assert_eq!(g.len(), 1, "{}", show(&hits));
    assert_eq!(g[0].finding.severity, Severity::Medium);
    assert!(g[0].finding.concern.contains("`make integration`"));
    // Nothing declared left: high.
    plan.phases[3].gate = vec!["make integration".into()];
    let g = run(&f.ctx(), &plan);
    assert_eq!(of(&g, Check::Gate)[0].finding.severity, Severity::High);

    // A declared command that fails on the untouched repository.
    let base = Baseline {
        preflight: None,
        blocked: None,
        commands: vec![
            BaselineRun {
                command: "cargo build --workspace".into(),
                passed: true,
                detail: String::new(),
                evidence: None,
                failing: Vec::new(),
            },
            BaselineRun {
                command: "cargo doc --no-deps".into(),
                passed: false,
                detail: "exit status 101".into(),
                evidence: None,
                failing: Vec::new(),
            },
        ],
    };
    let mut f = f;
    f.probe.commands.push(crate::model::DetectedCommand {
        purpose: "build".into(),
        command: "cargo doc --no-deps".into(),
        source: "Cargo.toml".into(),
    });
    let res = Resolution::default();
    let ctx = ctx_with(&f, &res, Some(&base));
    assert!(of(&run(&ctx, &good_plan()), Check::Gate).is_empty());
    let mut plan = good_plan();
    plan.phases[0].gate.push("cargo doc --no-deps".into());
    let hits = run(&ctx, &plan);
    let g = of(&hits, Check::Gate);
    assert_eq!(g.len(), 1, "{}", show(&hits));
    assert_eq!(g[0].finding.severity, Severity::High);
    assert!(g[0]
        .finding
        .concern
        .contains("already fails on the untouched repository"));
}

#[test]
fn missing_criteria_and_rollbacks() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].success_criteria.clear();
    plan.phases[2].rollback = String::new();
    plan.phases[3].rollback = "Fine.".into();
    let hits = run(&f.ctx(), &plan);
    let c = of(&hits, Check::Criterion);
    assert_eq!(c.len(), 1, "{}", show(&hits));
    assert_eq!(c[0].finding.severity, Severity::High);
    let r = of(&hits, Check::Rollback);
    assert_eq!(r.len(), 2, "{}", show(&hits));
    assert_eq!(r[0].finding.severity, Severity::High);
    assert_eq!(r[0].dimension, Dimension::RiskPosture);
    // "Fine." is no placeholder, but says nothing about how to undo: medium.
    assert_eq!(r[1].finding.severity, Severity::Medium);
    plan.phases[1].success_criteria = vec!["The limiter works well".into()];
    let c = run(&f.ctx(), &plan);
    assert_eq!(
        of(&c, Check::Criterion)[0].finding.severity,
        Severity::Medium
    );
}

#[test]
fn steps_that_fit_any_task_are_generic() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].steps = vec!["Add tests.".into(), "Update docs.".into()];
    let hits = run(&f.ctx(), &plan);
    let g = of(&hits, Check::GenericStep);
    assert_eq!(g.len(), 1, "{}", show(&hits));
    assert_eq!(g[0].finding.severity, Severity::High);
    assert!(g[0].finding.concern.contains("\"Add tests.\""));
    // One step naming the file is enough.
    plan.phases[2]
        .steps
        .push("Wrap the handlers of handlers.rs with the limiter.".into());
    assert!(of(&run(&f.ctx(), &plan), Check::GenericStep).is_empty());
}

fn rollout_phase() -> Phase {
    crate::offline::momus::testkit::phase(
        4,
        "canary-rollout",
        "Canary rollout of rate limiting",
        "Deploy to a canary instance, then everyone.",
        &["Deploy `src/api/rate_limit.rs` to one canary instance for 24 h."],
        &[],
        &["The error rate stays below 1% during the canary"],
        &["cargo test --workspace"],
        "Redeploy the previous release.",
    )
}

#[test]
fn deployment_work_does_not_fit_a_library() {
    let mut plan = good_plan();
    plan.phases.push(rollout_phase());
    // The fixture service depends on postgres: deployable, so a rollout fits.
    let f = fixture(RATE_TASK, TaskKind::Feature);
    assert!(fit::deployable(&f.probe, f.dir.path()).is_some());
    assert!(of(&run(&f.ctx(), &plan), Check::RepositoryFit).is_empty());
    let lib = library(RATE_TASK);
    assert!(fit::deployable(&lib.probe, lib.dir.path()).is_none());
    let hits = run(&lib.ctx(), &plan);
    let r = of(&hits, Check::RepositoryFit);
    assert_eq!(r.len(), 1, "{}", show(&hits));
    assert_eq!(r[0].finding.severity, Severity::High);
    assert_eq!(r[0].finding.location, "plan/phase-04-canary-rollout.md");
    // A Dockerfile that serves (EXPOSEs a port) makes it deployable again; one that only
    // packages a command-line tool does not.
    let mut lib = library(RATE_TASK);
    lib.probe.manifests.push("etc/Dockerfile".into());
    std::fs::create_dir_all(lib.dir.path().join("etc")).unwrap();
    std::fs::write(
        lib.dir.path().join("etc/Dockerfile"),
        "FROM rust:1\nRUN cargo install --path .\nENTRYPOINT [\"tool\"]\n",
    )
    .unwrap();
    assert!(fit::deployable(&lib.probe, lib.dir.path()).is_none());
    assert_eq!(of(&run(&lib.ctx(), &plan), Check::RepositoryFit).len(), 1);
    std::fs::write(
        lib.dir.path().join("etc/Dockerfile"),
        "FROM python:3.12\nEXPOSE 8000\nCMD [\"uvicorn\", \"app:app\"]\n",
    )
    .unwrap();
    assert!(of(&run(&lib.ctx(), &plan), Check::RepositoryFit).is_empty());
    // A task that asks for deployment work is not judged.
    let lib = library("Add a deploy step to the release script");
    assert!(of(&run(&lib.ctx(), &plan), Check::RepositoryFit).is_empty());
}

#[test]
fn a_changed_file_nothing_relates_to_the_task_is_beyond_scope() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].files = vec![FileChange {
        path: "src/db.rs".into(),
        action: FileAction::Modify,
    }];
    let hits = run(&f.ctx(), &plan);
    let s = of(&hits, Check::Scope);
    assert_eq!(s.len(), 1, "{}", show(&hits));
    assert_eq!(s[0].finding.severity, Severity::High);
    assert!(s[0].finding.concern.contains("changes src/db.rs"));
    // Module roots beside a created file and docs are part of the change.
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/lib.rs".into(),
        action: FileAction::Modify,
    });
    f.write("README.md", "# svc\n");
    plan.phases[3].files.push(FileChange {
        path: "README.md".into(),
        action: FileAction::Modify,
    });
    assert!(of(&run(&f.ctx(), &plan), Check::Scope).is_empty());
}

#[test]
fn a_model_momus_score_is_capped_by_a_critical_precheck() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].files.push(FileChange {
        path: "src/api/middleware.rs".into(),
        action: FileAction::Modify,
    });
    let hits = run(&f.ctx(), &plan);
    let mut env = crate::model::envelope::new(
        "momus",
        &f.ctx(),
        None,
        crate::model::Verdict::Safe,
        "looks fine",
    );
    env.score = Some(96);
    let capped = cap_model_score(env.clone(), &hits);
    assert_eq!(capped.score, Some(plan_rules::rubric::CAP_ON_CRITICAL));
    assert_eq!(capped.verdict, crate::model::Verdict::Risky);
    assert!(capped
        .summary
        .contains("critical pre-check (missing-reference)"));
    assert_eq!(cap_model_score(env.clone(), &[]), env);
    let pre = precheck_findings(&hits);
    assert!(pre[0].concern.starts_with("Pre-check (missing-reference)"));
}

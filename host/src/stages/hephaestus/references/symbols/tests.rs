use super::*;
use crate::index::tests::{index_of, polyglot};
use crate::model::{FileChange, Phase};
use crate::stages::hephaestus::tests::plan;
use crate::stages::hephaestus::CheckStatus;

fn phase(id: &str, steps: &[&str], files: &[(&str, FileAction)]) -> Phase {
    Phase {
        id: id.into(),
        slug: format!("p{id}"),
        title: format!("Phase {id}"),
        goal: "Make the change.".into(),
        steps: steps.iter().map(|s| (*s).into()).collect(),
        files: files
            .iter()
            .map(|(p, a)| FileChange {
                path: (*p).into(),
                action: *a,
            })
            .collect(),
        success_criteria: vec![],
        gate: vec![],
        rollback: String::new(),
        depends_on: vec![],
        provenance: None,
    }
}

fn resolution(task: &str) -> Resolution {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    crate::index::resolve(&index_of(dir.path()), task)
}

/// `(name, status, detail)` of every symbol check.
fn checks(plan: &Plan, task: &str) -> Vec<(String, CheckStatus, String)> {
    symbol_checks(plan, &resolution(task))
        .into_iter()
        .map(|i| (i.check.name, i.check.status, i.check.detail))
        .collect()
}

fn failed(c: &[(String, CheckStatus, String)]) -> Vec<&(String, CheckStatus, String)> {
    c.iter().filter(|c| c.1 == CheckStatus::Failed).collect()
}

#[test]
fn a_plan_naming_real_symbols_passes() {
    let p = plan(vec![phase(
        "01",
        &[
            "Add a `RepetitionCountTooLarge` variant to `ast::ErrorKind` in src/ast/mod.rs.",
            "Return it from `Parser::parse_counted_repetition` when the count exceeds `u32::MAX`.",
            "Call `ShorthandLookup` and check_password as before; use `tokio::sync::Semaphore` for the limit.",
            "Configure GitHub Actions and set `RUST_LOG`; see the README.",
        ],
        &[],
    )]);
    let c = checks(&p, "Reject oversized repetition counts");
    assert!(failed(&c).is_empty(), "{c:#?}");
    let names: Vec<&str> = c.iter().map(|c| c.0.as_str()).collect();
    assert!(
        names.contains(&"symbol: phase 01 `ast::ErrorKind`"),
        "{names:?}"
    );
    assert!(
        names.contains(&"symbol: phase 01 `check_password`"),
        "{names:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("GitHub") || n.contains("RUST_LOG") || n.contains("README")),
        "{names:?}"
    );
    let detail = |n: &str| {
        c.iter()
            .find(|c| c.0.ends_with(&format!("`{n}`")))
            .map(|c| c.2.clone())
            .unwrap()
    };
    assert_eq!(detail("RepetitionCountTooLarge"), "introduced by phase 01");
    assert_eq!(detail("ast::ErrorKind"), "defined in the repository");
    assert!(
        detail("u32::MAX").contains("external"),
        "{}",
        detail("u32::MAX")
    );
    assert!(detail("tokio::sync::Semaphore").contains("external"));
}

#[test]
fn a_plan_naming_a_missing_symbol_fails_with_suggestions() {
    let p = plan(vec![phase(
        "01",
        &["Make `Parser::parse_countd_repetition` return `ErrorKnd::RepetitionCountInvalid`."],
        &[],
    )]);
    let c = checks(&p, "Reject oversized repetition counts");
    let f = failed(&c);
    assert_eq!(f.len(), 2, "{c:#?}");
    assert_eq!(f[0].0, "symbol: phase 01 `Parser::parse_countd_repetition`");
    assert!(
        f[0].2.starts_with(
            "`parse_countd_repetition` is not defined or used anywhere in the repository"
        ),
        "{}",
        f[0].2
    );
    assert!(
        f[0].2.contains("(closest: `parse_counted_repetition`"),
        "{}",
        f[0].2
    );
    // The variant exists, the enum's name is misspelt: every segment counts.
    assert_eq!(
        f[1].0,
        "symbol: phase 01 `ErrorKnd::RepetitionCountInvalid`"
    );
    assert!(f[1].2.contains("(closest: `ErrorKind`"), "{}", f[1].2);
    let items = symbol_checks(&p, &resolution("x"));
    let bad = items
        .iter()
        .find(|i| i.check.status == CheckStatus::Failed)
        .unwrap();
    assert_eq!(bad.location, "plan/phase-01-p01.md");
    assert!(
        bad.demand.contains("parse_counted_repetition"),
        "{}",
        bad.demand
    );
}

#[test]
fn introduced_by_an_earlier_phase_or_a_created_file_but_not_a_later_one() {
    let p = plan(vec![
        phase(
            "01",
            &["Wire `RateLimiter` into `login` in app/auth.py."],
            &[],
        ),
        phase(
            "02",
            &["Create a new `RateLimiter` class with `allow_request`."],
            &[("app/rate_limit.py", FileAction::Create)],
        ),
        phase(
            "03",
            &["Call `allow_request` and `rate_limit` from `login`."],
            &[],
        ),
    ]);
    let c = checks(&p, "Add rate limiting to the login endpoint");
    let f = failed(&c);
    assert_eq!(f.len(), 1, "{c:#?}");
    assert_eq!(f[0].0, "symbol: phase 01 `RateLimiter`");
    assert!(
        f[0].2.contains("introduced only later, by phase 02"),
        "{}",
        f[0].2
    );
    let detail = |n: &str| {
        c.iter()
            .find(|c| c.0.ends_with(&format!("`{n}`")))
            .map(|c| c.2.clone())
            .unwrap()
    };
    assert_eq!(detail("allow_request"), "introduced by phase 02");
    assert_eq!(detail("rate_limit"), "introduced by phase 02");
}

#[test]
fn names_of_the_task_pass() {
    let p = plan(vec![phase(
        "01",
        &["Handle `StreamBody` in the response path."],
        &[],
    )]);
    let c = checks(&p, "Add `StreamBody`");
    assert!(failed(&c).is_empty(), "{c:#?}");
}

#[test]
fn introducing_phrases() {
    assert_eq!(
        introduced_names("Add `A`, `B` and `C` to `D`."),
        ["A", "B", "C"]
    );
    assert_eq!(
        introduced_names("Add validation to `parse_thing`"),
        Vec::<String>::new()
    );
    assert_eq!(
        introduced_names("Rename `old_name` to `new_name`"),
        ["new_name"]
    );
    assert_eq!(
        introduced_names("Move `_parseOptionsEnv` into `parseOptionsEnv` of lib/x.js"),
        ["parseOptionsEnv"]
    );
    assert_eq!(
        introduced_names("a new helper function `do_it` in x. Then call `other`"),
        ["do_it"]
    );
}

#[test]
fn no_index_checks_nothing() {
    let p = plan(vec![phase("01", &["Call `nothing_here`."], &[])]);
    assert!(symbol_checks(&p, Resolution::empty()).is_empty());
}

#[tokio::test]
async fn validate_fails_reference_integrity_on_a_missing_symbol() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let res = crate::index::resolve(&index_of(dir.path()), "Reject oversized repetition counts");
    let runs = tempfile::tempdir().unwrap();
    let run = crate::rundir::RunDir::create(runs.path(), "anneal-20260101-000000-symbols").unwrap();
    let probe = crate::model::ProbeReport::default();
    let ctx = crate::model::Context {
        run_id: "anneal-20260101-000000-symbols",
        task: "Reject oversized repetition counts",
        task_kind: crate::model::TaskKind::Feature,
        directives: &[],
        probe: &probe,
        repo_root: dir.path(),
        resolution: &res,
        baseline: None,
    };
    let p = plan(vec![phase("00", &["Call `parse_countd_repetition`."], &[])]);
    let r = crate::stages::hephaestus::validate(&ctx, &p, &run, &Default::default()).await;
    assert!(!r.passed);
    let f = r
        .envelope
        .findings
        .iter()
        .find(|f| f.concern.contains("parse_countd_repetition"))
        .expect("a finding");
    assert!(f.concern.contains("parse_counted_repetition"), "{f:?}");
    let md = run.read_to_string("evidence/hephaestus.md").unwrap();
    assert!(md.contains("## Reference integrity: symbols"), "{md}");
}

#[test]
fn a_preflight_that_decides_a_name_introduces_it() {
    let p = plan(vec![
        phase(
            "00",
            &["Decide the feature flag `rate_limit_enabled` and its fail-safe default (off)."],
            &[],
        ),
        phase(
            "01",
            &["Add the `rate_limit_enabled` feature flag, off by default."],
            &[],
        ),
    ]);
    let c = checks(&p, "Add rate limiting to the login endpoint");
    assert!(failed(&c).is_empty(), "{c:#?}");
}

#[test]
fn a_switch_the_plan_names_is_introduced() {
    let names = introduced_names(
        "Make every write path write both stores, behind the `users_table_dual_write` switch (on for writes).",
    );
    assert_eq!(names, ["users_table_dual_write"]);
    assert_eq!(
        introduced_names("Flip `users_table_read_from_new` on for reads."),
        ["users_table_read_from_new"]
    );
    assert!(introduced_names("Call `parse_count` from the parser.").is_empty());
}

#[test]
fn a_bare_capitalised_word_of_prose_is_a_term_not_a_symbol() {
    let p = plan(vec![phase(
        "01",
        &["Test that cookies carry Secure, HttpOnly and SameSite; call `SessionStre` from `login`."],
        &[],
    )]);
    let c = checks(&p, "Replace the session store with Redis");
    let f = failed(&c);
    assert_eq!(f.len(), 1, "{c:#?}");
    assert_eq!(f[0].0, "symbol: phase 01 `SessionStre`");
    assert!(!c
        .iter()
        .any(|c| c.0.contains("HttpOnly") || c.0.contains("SameSite")));
}

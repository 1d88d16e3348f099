use super::*;
use crate::model::validate::validate_envelope;
use crate::model::{FileAction, FileChange, Plan, Severity, TaskKind, Verdict};
use crate::offline::momus::testkit::{fixture, good_plan, phase, preflight, RATE_TASK};

fn has(e: &Envelope, severity: Severity, needle: &str) -> bool {
    e.findings
        .iter()
        .any(|f| f.severity == severity && f.concern.contains(needle))
}

fn show(e: &Envelope) -> String {
    let mut s = format!("{} {}: {}\n", e.agent, e.verdict, e.summary);
    for f in &e.findings {
        s.push_str(&format!(
            "  [{}] {} — {}\n",
            f.severity.as_str(),
            f.location,
            f.concern
        ));
    }
    s
}

fn valid(e: &Envelope) {
    assert_eq!(validate_envelope(e), Ok(()), "{}", show(e));
    assert!(e.summary.chars().count() <= 240);
}

const AUTH_TASK: &str = "Rewrite the auth middleware to unify OIDC and legacy JWT";

/// A plan for [`AUTH_TASK`] that changes `src/auth/*` and has no security phase.
fn auth_plan() -> Plan {
    let mut plan = good_plan();
    plan.title = "Unified auth middleware".into();
    plan.thesis = "One Resolver that accepts OIDC and legacy JWT behind a feature flag.".into();
    plan.phases = vec![
        preflight(),
        phase(
            1,
            "resolver",
            "Unified token resolver",
            "Resolve OIDC and legacy JWT tokens through one Resolver interface.",
            &[
                "Add a Resolver trait to src/auth/mod.rs.",
                "Move JWT verification from src/auth/jwt.rs behind the Resolver.",
            ],
            &[
                ("src/auth/mod.rs", FileAction::Modify),
                ("src/auth/jwt.rs", FileAction::Modify),
            ],
            &["`cargo test --workspace` exits 0 and both token kinds resolve in unit tests"],
            &["cargo test --workspace"],
            "Turn the `unified_auth` flag off, then revert the commit.",
        ),
    ];
    plan.dependencies.env_vars.clear();
    plan.out_of_scope = vec!["Replacing the OIDC provider.".into()];
    plan
}

fn security_phase() -> crate::model::Phase {
    phase(
        2,
        "security-review",
        "Security gate for the unified middleware",
        "Prove forged, expired and malformed tokens are rejected.",
        &["Add tests/auth_security.rs with tests for expired, forged and malformed tokens of both kinds."],
        &[("tests/auth_security.rs", FileAction::Create)],
        &["All 6 negative token tests pass: every bad token is rejected with 401"],
        &["cargo test --workspace"],
        "Delete tests/auth_security.rs.",
    )
}

#[test]
fn good_plan_passes_the_whole_red_team() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let plan = good_plan();
    let s = security(&f.ctx(), &plan, Some(0));
    let sc = scope(&f.ctx(), &plan, Some(0));
    let a = assumptions(&f.ctx(), &plan, Some(0));
    for e in [&s, &sc, &a] {
        valid(e);
        assert_eq!(e.verdict, Verdict::Safe, "{}", show(e));
        assert_eq!(e.depth, Some(0));
    }
    assert_eq!(s.agent, "redteam-security");
    assert_eq!(sc.agent, "redteam-scope");
    assert_eq!(a.agent, "redteam-assumptions");
    let o = oracle(&f.ctx(), &plan, [&s, &sc, &a], Some(0));
    valid(&o);
    assert_eq!(o.agent, "oracle");
    assert_eq!(o.verdict, Verdict::Safe);
    assert!(o.summary.starts_with("3/3 PASS"), "{}", o.summary);
}

#[test]
fn auth_change_without_security_gate_is_high() {
    let f = fixture(AUTH_TASK, TaskKind::Refactor);
    let mut plan = auth_plan();
    let e = security(&f.ctx(), &plan, None);
    valid(&e);
    assert!(
        has(&e, Severity::High, "no phase is a security gate"),
        "{}",
        show(&e)
    );
    assert_eq!(e.verdict, Verdict::Risky);
    assert!(e.summary.contains("auth"), "{}", e.summary);
    plan.phases.push(security_phase());
    let e = security(&f.ctx(), &plan, None);
    assert_eq!(e.verdict, Verdict::Safe, "{}", show(&e));
    // a security phase with an empty gate is no gate
    plan.phases[2].gate.clear();
    let e = security(&f.ctx(), &plan, None);
    assert!(
        has(&e, Severity::High, "no phase is a security gate"),
        "{}",
        show(&e)
    );
}

#[test]
fn sensitive_file_paths_and_task_kind_count() {
    let f = fixture("Speed up the listing handler", TaskKind::Performance);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/auth/jwt.rs".into(),
        action: FileAction::Modify,
    });
    assert!(has(
        &security(&f.ctx(), &plan, None),
        Severity::High,
        "(auth, jwt)"
    ));
    let f = fixture("Harden the listing handler", TaskKind::Security);
    assert!(has(
        &security(&f.ctx(), &good_plan(), None),
        Severity::High,
        "a security task"
    ));
    // naming a credential variable while checking connectivity is not security work
    let f = fixture("Add a health check endpoint", TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[0].steps.push(
        "Confirm the app reaches postgres through `DATABASE_URL` and `POSTGRES_PASSWORD`.".into(),
    );
    assert!(sensitive_surface(f.task.as_str(), &plan).is_empty());
    plan.phases[1]
        .steps
        .push("Log each call with a request id and the outcome, with secrets redacted.".into());
    plan.phases[1]
        .success_criteria
        .push("0 secrets or tokens appear in the test logs".into());
    assert!(sensitive_surface(f.task.as_str(), &plan).is_empty());
    // "token bucket" is not security work
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Implement it as a token bucket.".into());
    assert_eq!(security(&f.ctx(), &plan, None).verdict, Verdict::Safe);
}

#[test]
fn secrets_in_plan_text_are_critical() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    for leak in [
        "Set api_key=Zk3v9QpL2xR7w in config.toml.",
        "Use the key AKIAIOSFODNN7EXAMPLQ for uploads to the bucket.",
        "Configure password: hunter22 for the admin account.",
        "Paste -----BEGIN RSA PRIVATE KEY----- into the deploy config.",
    ] {
        let mut plan = good_plan();
        plan.phases[2].steps.push(leak.into());
        let e = security(&f.ctx(), &plan, None);
        valid(&e);
        assert!(
            has(&e, Severity::Critical, "looks like a secret"),
            "{leak}: {}",
            show(&e)
        );
        assert!(e.verdict >= Verdict::Risky);
        assert!(
            !e.findings
                .iter()
                .any(|x| x.concern.contains("Zk3v9QpL2xR7w") || x.concern.contains("hunter22")),
            "never echo secrets"
        );
        assert_eq!(e.findings[0].location, "plan/phase-02-wire-handlers.md");
    }
    for fine in [
        "Set api_key=$STRIPE_API_KEY from the environment.",
        "Read password: settings.db_password at startup.",
        "Document token=<your-token> in the README.",
        "Raise the token bucket size to 200.",
    ] {
        let mut plan = good_plan();
        plan.phases[2].steps.push(fine.into());
        let e = security(&f.ctx(), &plan, None);
        assert!(
            !has(&e, Severity::Critical, "looks like a secret"),
            "{fine}: {}",
            show(&e)
        );
    }
}

#[test]
fn disabling_protections_is_critical_unless_negated() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    for bad in [
        "Call the upstream with verify=False to avoid certificate errors.",
        "Fetch the JWKS with curl -k https://idp.local/keys.",
        "Disable TLS verification in the HTTP client for staging.",
        "Bypass authentication for the admin routes during the rollout.",
        "Set NODE_TLS_REJECT_UNAUTHORIZED=0 in CI.",
    ] {
        let mut plan = good_plan();
        plan.phases[2].steps.push(bad.into());
        let e = security(&f.ctx(), &plan, None);
        valid(&e);
        assert!(
            has(&e, Severity::Critical, "switches a protection off"),
            "{bad}: {}",
            show(&e)
        );
    }
    for fine in [
        "Never disable TLS verification, even in tests.",
        "Do not bypass authentication for admin routes.",
    ] {
        let mut plan = good_plan();
        plan.iron_rules.push(fine.into());
        let e = security(&f.ctx(), &plan, None);
        assert!(
            !has(&e, Severity::Critical, "switches a protection off"),
            "{fine}: {}",
            show(&e)
        );
    }
}

#[test]
fn undeclared_secret_env_vars_are_medium() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Read LIMITER_ADMIN_TOKEN from the environment.".into());
    let e = security(&f.ctx(), &plan, None);
    assert!(
        has(
            &e,
            Severity::Medium,
            "LIMITER_ADMIN_TOKEN is used but not declared"
        ),
        "{}",
        show(&e)
    );
    assert_eq!(
        e.verdict,
        Verdict::Caution,
        "naming a configuration variable is not security work by itself"
    );
    plan.dependencies
        .env_vars
        .push("LIMITER_ADMIN_TOKEN".into());
    assert!(!has(
        &security(&f.ctx(), &plan, None),
        Severity::Medium,
        "LIMITER_ADMIN_TOKEN"
    ));
    // a touched file that reads a secret-bearing probe env var
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/db.rs".into(),
        action: FileAction::Modify,
    });
    let e = security(&f.ctx(), &plan, None);
    assert!(
        has(
            &e,
            Severity::Medium,
            "reads the secret-bearing environment variable DATABASE_URL"
        ),
        "{}",
        show(&e)
    );
}

#[test]
fn scope_findings_cover_unrelated_creep_missing_oos_and_bugfix_size() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases.push(phase(
        4,
        "logo-refresh",
        "Refresh the logo",
        "Redraw the company logo.",
        &["Draw assets/logo.svg."],
        &[("assets/logo.svg", FileAction::Create)],
        &["logo.svg exists"],
        &["check: logo.svg renders"],
        "Delete assets/logo.svg.",
    ));
    plan.phases[2]
        .steps
        .push("While we're at it, tidy the handler names.".into());
    plan.out_of_scope.clear();
    let e = scope(&f.ctx(), &plan, None);
    valid(&e);
    assert!(
        has(
            &e,
            Severity::Medium,
            "phase 04 (\"Refresh the logo\") shares no term with the task"
        ),
        "{}",
        show(&e)
    );
    assert!(
        has(&e, Severity::Medium, "creep (\"while we're at it\")"),
        "{}",
        show(&e)
    );
    assert!(
        has(&e, Severity::Medium, "no out-of-scope section"),
        "{}",
        show(&e)
    );
    assert_eq!(e.verdict, Verdict::Caution);

    let f = fixture(
        "Fix the crash when the rate limit header is missing",
        TaskKind::Bugfix,
    );
    let mut plan = good_plan();
    for i in 4..11 {
        plan.phases.push(phase(
            i,
            &format!("limit-step-{i}"),
            "More rate limit work",
            "Rate limit work.",
            &["Limit."],
            &[],
            &["1 test passes"],
            &["cargo test --workspace"],
            "Revert.",
        ));
    }
    let e = scope(&f.ctx(), &plan, None);
    assert!(
        has(&e, Severity::Low, "11 phases for a bugfix"),
        "{}",
        show(&e)
    );
}

#[test]
fn directives_tie_phases_to_the_task() {
    let mut f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases.push(phase(
        4,
        "audit-log",
        "Audit log of refusals",
        "Record refusals.",
        &["Write refusals to the audit log."],
        &[],
        &["1 line per refusal"],
        &["cargo test --workspace"],
        "Revert.",
    ));
    assert!(has(
        &scope(&f.ctx(), &plan, None),
        Severity::Medium,
        "shares no term with the task"
    ));
    f.directives = vec!["Keep an audit trail of refused requests.".into()];
    assert!(!has(
        &scope(&f.ctx(), &plan, None),
        Severity::Medium,
        "shares no term with the task"
    ));
}

#[test]
fn assumptions_check_files_commands_services_and_env() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].files.push(FileChange {
        path: "src/api/middleware.rs".into(),
        action: FileAction::Modify,
    });
    plan.phases[2].files.push(FileChange {
        path: "src/lib.rs".into(),
        action: FileAction::Create,
    });
    plan.phases[3].gate.push("make integration".into());
    plan.phases[1]
        .steps
        .push("Keep the counters in Redis.".into());
    plan.phases[1]
        .steps
        .push("Read LIMIT_BURST from the environment.".into());
    let e = assumptions(&f.ctx(), &plan, Some(2));
    valid(&e);
    assert!(
        has(
            &e,
            Severity::Critical,
            "modifies src/api/middleware.rs, which does not exist"
        ),
        "{}",
        show(&e)
    );
    assert!(
        has(
            &e,
            Severity::Medium,
            "creates src/lib.rs, which already exists"
        ),
        "{}",
        show(&e)
    );
    assert!(
        has(
            &e,
            Severity::Medium,
            "names `make integration`, which the project does not declare"
        ),
        "{}",
        show(&e)
    );
    assert!(
        has(&e, Severity::High, "relies on the service redis"),
        "{}",
        show(&e)
    );
    assert!(has(&e, Severity::Medium, "LIMIT_BURST"), "{}", show(&e));
    assert!(
        !has(&e, Severity::Medium, "RATE_LIMIT_PER_MINUTE"),
        "introduced by a step: {}",
        show(&e)
    );
    assert_eq!(e.verdict, Verdict::Risky);
    assert!(e.summary.contains("1 unfound service"), "{}", e.summary);

    // a file created earlier in the plan may be modified later; the task may introduce a service
    let f = fixture(
        "Add Redis-backed rate limiting to the API",
        TaskKind::Feature,
    );
    let mut plan = good_plan();
    plan.phases[3].files.push(FileChange {
        path: "src/api/rate_limit.rs".into(),
        action: FileAction::Modify,
    });
    plan.phases[1]
        .steps
        .push("Keep the counters in Redis.".into());
    plan.dependencies.services.push("redis".into());
    let e = assumptions(&f.ctx(), &plan, None);
    assert_eq!(e.verdict, Verdict::Safe, "{}", show(&e));
}

#[test]
fn assumptions_refuse_unsafe_paths_without_touching_the_filesystem() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "../outside.rs".into(),
        action: FileAction::Modify,
    });
    let e = assumptions(&f.ctx(), &plan, None);
    assert!(has(&e, Severity::High, "unsafe file path"), "{}", show(&e));
}

#[test]
fn oracle_takes_the_worst_and_dedupes() {
    let f = fixture(AUTH_TASK, TaskKind::Refactor);
    let plan = auth_plan();
    let s = security(&f.ctx(), &plan, None);
    let mut sc = scope(&f.ctx(), &plan, None);
    let a = assumptions(&f.ctx(), &plan, None);
    // the same concern from two reviewers is listed once, at its highest severity
    sc.findings = s.findings.clone();
    sc.findings[0].severity = Severity::Medium;
    sc.verdict = Verdict::Caution;
    let o = oracle(&f.ctx(), &plan, [&s, &sc, &a], None);
    valid(&o);
    assert_eq!(o.verdict, Verdict::Risky, "{}", show(&o));
    assert!(
        o.summary
            .starts_with("2/3 PASS: security RISKY, scope CAUTION, assumptions SAFE"),
        "{}",
        o.summary
    );
    let gate: Vec<_> = o
        .findings
        .iter()
        .filter(|x| x.concern.contains("no phase is a security gate"))
        .collect();
    assert_eq!(gate.len(), 1, "{}", show(&o));
    assert_eq!(gate[0].severity, Severity::High);
    assert!(
        !has(&o, Severity::Medium, "disagree strongly"),
        "RISKY from one reviewer is ordinary: {}",
        show(&o)
    );
    assert!(strong_disagreement(&[
        Verdict::Block,
        Verdict::Caution,
        Verdict::Risky
    ]));
    assert!(!strong_disagreement(&[
        Verdict::Block,
        Verdict::Risky,
        Verdict::Risky
    ]));
    assert!(!strong_disagreement(&[
        Verdict::Risky,
        Verdict::Safe,
        Verdict::Safe
    ]));
}

#[test]
fn oracle_flags_strong_disagreement_and_invalid_reviews() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let plan = good_plan();
    let s = security(&f.ctx(), &plan, None);
    let sc = scope(&f.ctx(), &plan, None);
    let mut a = assumptions(&f.ctx(), &plan, None);
    a.verdict = Verdict::Block;
    a.findings = vec![crate::offline::scan::finding(
        "plan/phase-01-rate-limiter.md",
        Severity::High,
        "Assumptions: the limiter assumes one instance.",
        "State how many instances serve the API.",
    )];
    let o = oracle(&f.ctx(), &plan, [&s, &sc, &a], None);
    valid(&o);
    assert_eq!(o.verdict, Verdict::Block);
    assert!(o.summary.starts_with("2/3 PASS"), "{}", o.summary);
    assert!(
        has(
            &o,
            Severity::Medium,
            "disagree strongly (security SAFE, scope SAFE, assumptions BLOCK)"
        ),
        "{}",
        show(&o)
    );

    // an invalid envelope never passes
    let mut bad = security(&f.ctx(), &plan, None);
    bad.summary = "x".repeat(300);
    let o = oracle(&f.ctx(), &plan, [&bad, &sc, &sc], None);
    valid(&o);
    assert_eq!(o.verdict, Verdict::Block);
    assert!(
        o.summary
            .starts_with("1/3 PASS: security INVALID, scope SAFE, assumptions INVALID"),
        "{}",
        o.summary
    );
    assert!(
        has(
            &o,
            Severity::Critical,
            "redteam-security envelope is invalid"
        ),
        "{}",
        show(&o)
    );
    assert!(
        has(
            &o,
            Severity::Critical,
            "\"redteam-scope\" where \"redteam-assumptions\" was expected"
        ),
        "{}",
        show(&o)
    );

    // an envelope from another run is invalid too
    let mut other = scope(&f.ctx(), &plan, None);
    other.run_id = "anneal-20000101-000000-other".into();
    let o = oracle(&f.ctx(), &plan, [&s, &other, &sc], None);
    assert!(
        has(&o, Severity::Critical, "is not this run's"),
        "{}",
        show(&o)
    );
}

#[test]
fn oracle_notes_findings_on_phases_the_plan_lacks() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let plan = good_plan();
    let s = security(&f.ctx(), &plan, None);
    let mut sc = scope(&f.ctx(), &plan, None);
    sc.verdict = Verdict::Caution;
    sc.findings = vec![crate::offline::scan::finding(
        "plan/phase-07-ghost.md",
        Severity::Low,
        "Scope: ghost phase.",
        "Remove it.",
    )];
    let a = assumptions(&f.ctx(), &plan, None);
    let o = oracle(&f.ctx(), &plan, [&s, &sc, &a], None);
    valid(&o);
    assert_eq!(o.verdict, Verdict::Caution);
    assert!(
        has(&o, Severity::Low, "points at plan/phase-07-ghost.md"),
        "{}",
        show(&o)
    );
}

/// Stage 5 then Momus with the red team's caps, as Temper runs them at every depth.
fn temper_depth(f: &crate::offline::momus::testkit::Fixture, plan: &Plan) -> (Envelope, Envelope) {
    let ctx = f.ctx();
    let (s, sc, a) = (
        security(&ctx, plan, Some(0)),
        scope(&ctx, plan, Some(0)),
        assumptions(&ctx, plan, Some(0)),
    );
    let o = oracle(&ctx, plan, [&s, &sc, &a], Some(0));
    let report = crate::model::RedTeamReport {
        security: s,
        scope: sc,
        assumptions: a,
        oracle: o.clone(),
    };
    let m = crate::offline::momus::audit(&ctx, plan, Some(0), Some(&report));
    (o, m)
}

#[test]
fn red_team_defects_cap_momus() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let (o, m) = temper_depth(&f, &good_plan());
    assert_eq!(
        (o.verdict, m.verdict, m.score),
        (Verdict::Safe, Verdict::Safe, Some(100))
    );

    // a modified file that does not exist: assumptions RISKY → Momus ≤ 75
    let mut plan = good_plan();
    plan.phases[2].files.push(FileChange {
        path: "src/api/middleware.rs".into(),
        action: FileAction::Modify,
    });
    let (o, m) = temper_depth(&f, &plan);
    valid(&o);
    valid(&m);
    assert_eq!(o.verdict, Verdict::Risky, "{}", show(&o));
    assert!(m.score.unwrap() <= 75, "{}", m.summary);
    assert!(!m.verdict.passes() || m.verdict == Verdict::Caution);

    // auth work without a security gate: security RISKY → Momus ≤ 75
    let f = fixture(AUTH_TASK, TaskKind::Refactor);
    let (o, m) = temper_depth(&f, &auth_plan());
    assert_eq!(o.verdict, Verdict::Risky, "{}", show(&o));
    assert!(m.score.unwrap() <= 75, "{}", m.summary);
    let mut plan = auth_plan();
    plan.phases.push(security_phase());
    let (o, m) = temper_depth(&f, &plan);
    assert!(o.verdict.passes(), "{}", show(&o));
    assert!(m.verdict.passes(), "{}", m.summary);
}

#[test]
fn deferred_iron_rules_are_not_services_but_secrets_in_them_are_caught() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.iron_rules.push(
        "Deferred: Declare kafka in dependencies.services — because the task needs no queue."
            .into(),
    );
    let e = assumptions(&f.ctx(), &plan, None);
    assert!(
        !e.findings.iter().any(|x| x.concern.contains("kafka")),
        "{}",
        show(&e)
    );
    let e = scope(&f.ctx(), &plan, None);
    assert!(
        !e.findings.iter().any(|x| x.concern.contains("kafka")),
        "{}",
        show(&e)
    );
    plan.iron_rules.push(
        "Deferred: Set api_key=Zk3v9QpL2xR7w in config.toml — because it is out of scope.".into(),
    );
    let e = security(&f.ctx(), &plan, None);
    assert!(
        has(&e, Severity::Critical, "looks like a secret"),
        "{}",
        show(&e)
    );
}

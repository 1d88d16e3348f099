use super::testkit::{fixture, good_plan, phase, RATE_TASK};
use super::*;
use crate::model::validate::validate_envelope;
use crate::model::{EnvelopeMetadata, FileChange};

fn has(findings: &[Finding], severity: Severity, needle: &str) -> bool {
    findings
        .iter()
        .any(|f| f.severity == severity && f.concern.contains(needle))
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| format!("[{}] {} — {}\n", f.severity.as_str(), f.location, f.concern))
        .collect()
}

#[test]
fn weights_sum_to_100_and_score_is_weighted_mean() {
    assert_eq!(Dimension::ALL.iter().map(|d| d.weight()).sum::<u32>(), 100);
    use plan_rules::rubric::{score, Level};
    assert_eq!(score([]).score, 100);
    // A critical correctness finding zeroes the dimension (−25) and caps the score below the
    // EMIT threshold.
    let s = score([(Dimension::Correctness, Level::Critical)]);
    assert_eq!((s.raw, s.score), (75, 69));
    // Correctness 60, completeness 85, risk 70, scope 90:
    // (25*60 + 15*85 + 15*70 + 10*90 + 20*100 + 15*100) / 100 = 82.25
    let s = score([
        (Dimension::Correctness, Level::High),
        (Dimension::Completeness, Level::Medium),
        (Dimension::RiskPosture, Level::Medium),
        (Dimension::RiskPosture, Level::Medium),
        (Dimension::ScopeHygiene, Level::Low),
        (Dimension::ScopeHygiene, Level::Low),
    ]);
    assert_eq!(s.score, 82);
    assert_eq!(s.weakest(), (Dimension::Correctness, 60));
}

#[test]
fn good_plan_scores_safe_and_is_valid() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let plan = good_plan();
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        findings.is_empty(),
        "unexpected findings:\n{}",
        show(&findings)
    );
    assert_eq!(r.score, 100);
    let env = audit(&f.ctx(), &plan, Some(0), None);
    assert_eq!(env.verdict, Verdict::Safe, "{}", env.summary);
    assert_eq!(env.score, Some(100));
    assert_eq!(env.agent, "momus");
    assert_eq!(env.depth, Some(0));
    assert!(env.summary.contains("100/100"), "{}", env.summary);
    assert_eq!(validate_envelope(&env), Ok(()));
}

#[test]
fn missing_gate_and_criteria_lower_correctness() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].gate.clear();
    plan.phases[1].success_criteria = vec!["The limiter works well".into()];
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "phase 02 has no gate"),
        "{}",
        show(&findings)
    );
    assert!(
        has(
            &findings,
            Severity::Medium,
            "no success criterion of phase 01 is measurable"
        ),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::Correctness), 45);
    assert!(r.score < 100);
    assert_eq!(r.weakest().0, Dimension::Correctness);
    let loc = &findings
        .iter()
        .find(|f| f.concern.contains("no gate"))
        .unwrap()
        .location;
    assert_eq!(loc, "plan/phase-02-wire-handlers.md");
    plan.phases[3].success_criteria.clear();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::High,
            "phase 03 has no success criterion"
        ),
        "{}",
        show(&findings)
    );
}

#[test]
fn missing_rollback_and_data_revert_lower_risk_posture() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].rollback = String::new();
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::High,
            "phase 01 has no explicit rollback"
        ),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::RiskPosture), 60);

    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Add migration migrations/0007_limits.sql creating the limits table.".into());
    plan.phases[1].files.push(FileChange {
        path: "migrations/0007_limits.sql".into(),
        action: FileAction::Create,
    });
    plan.phases[1].rollback = "Revert the commit.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "changes data but its rollback"),
        "{}",
        show(&findings)
    );
    plan.phases[1].rollback = "Run the down migration, then revert the commit.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::High, "changes data"),
        "{}",
        show(&findings)
    );
}

#[test]
fn breaking_change_and_missing_flag_are_flagged() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2]
        .steps
        .push("Remove the legacy /v1/list endpoint.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "breaking change"),
        "{}",
        show(&findings)
    );
    plan.iron_rules
        .push("Announce the breaking removal of /v1/list in the changelog.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::Medium, "breaking change"),
        "{}",
        show(&findings)
    );

    let mut plan = good_plan();
    plan.thesis = "A per-client limiter in front of every public API handler.".into();
    plan.phases[2].goal = "Rate-limit every public API handler.".into();
    plan.phases[2].steps =
        vec!["Wrap each handler in src/api/handlers.rs with the limiter.".into()];
    plan.phases[2].success_criteria = vec!["The 101st request in a minute returns 429".into()];
    plan.phases[2].gate = vec!["cargo test --workspace".into()];
    plan.phases[2].rollback = "Revert the commit.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "names no feature flag"),
        "{}",
        show(&findings)
    );
}

#[test]
fn forward_reference_is_structural_block() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].depends_on = vec!["03".into()];
    let env = audit(&f.ctx(), &plan, None, None);
    assert_eq!(env.verdict, Verdict::Block);
    assert!(env.score.unwrap() <= 49);
    assert!(
        env.findings[0].severity == Severity::Critical
            && env.findings[0].concern.contains("forward reference"),
        "{}",
        show(&env.findings)
    );
    assert_eq!(env.findings[0].location, "plan/phase-01-rate-limiter.md");
    assert!(
        has(&env.findings, Severity::High, "not an earlier phase"),
        "{}",
        show(&env.findings)
    );
    assert_eq!(validate_envelope(&env), Ok(()));
    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Reuse the fixtures that phase 03 creates.".into());
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "refers to phase 03"),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::Sequencing), 85);
}

#[test]
fn file_lifecycle_contradictions() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/api/handlers.rs".into(),
        action: FileAction::Delete,
    });
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Critical, "contradicts itself"),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::Sequencing), 0);
    let env = audit(&f.ctx(), &plan, None, None);
    assert!(
        env.verdict >= Verdict::Risky,
        "critical ⇒ at least RISKY: {}",
        env.summary
    );

    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "tests/rate_limit.rs".into(),
        action: FileAction::Modify,
    });
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "before phase 03 creates it"),
        "{}",
        show(&findings)
    );
}

#[test]
fn creep_and_missing_out_of_scope_lower_scope_hygiene() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2]
        .steps
        .push("We could also add a dashboard of refused requests.".into());
    plan.out_of_scope.clear();
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::Medium,
            "scope creep in phase 02 (\"we could also\")"
        ),
        "{}",
        show(&findings)
    );
    assert!(
        has(&findings, Severity::Medium, "no out-of-scope section"),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::ScopeHygiene), 70);

    let mut plan = good_plan();
    plan.out_of_scope = vec!["none".into()];
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "says nothing"),
        "{}",
        show(&findings)
    );

    let mut plan = good_plan();
    plan.out_of_scope.push("Per-client rate limiter".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::Medium,
            "does what the out-of-scope section excludes"
        ),
        "{}",
        show(&findings)
    );
}

#[test]
fn unrelated_phase_is_scope_finding() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases.push(phase(
        4,
        "logo-refresh",
        "Refresh the logo",
        "Redraw the company logo in SVG.",
        &["Draw a new logo.svg."],
        &[("assets/logo.svg", FileAction::Create)],
        &["logo.svg exists"],
        &["check: logo.svg renders"],
        "Delete assets/logo.svg.",
    ));
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::Medium,
            "phase 04 (\"Refresh the logo\") shares no term"
        ),
        "{}",
        show(&findings)
    );
}

#[test]
fn undeclared_service_and_env_var_lower_completeness() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1]
        .steps
        .push("Store the counters in Redis so every instance shares them.".into());
    plan.phases[1]
        .steps
        .push("Read RATE_LIMIT_WINDOW from the environment.".into());
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "uses the service redis"),
        "{}",
        show(&findings)
    );
    assert!(
        has(&findings, Severity::Medium, "RATE_LIMIT_WINDOW"),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::Completeness), 45);
    plan.dependencies.services.push("Redis 7".into());
    plan.dependencies.env_vars.push("RATE_LIMIT_WINDOW".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !findings
            .iter()
            .any(|x| x.concern.starts_with("Completeness")),
        "{}",
        show(&findings)
    );
}

#[test]
fn touched_file_using_probe_service_must_be_declared() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "src/db.rs".into(),
        action: FileAction::Modify,
    });
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::Medium,
            "src/db.rs, which the plan changes, uses the detected service postgres"
        ),
        "{}",
        show(&findings)
    );
    assert!(
        has(
            &findings,
            Severity::Medium,
            "reads the environment variable DATABASE_URL"
        ),
        "{}",
        show(&findings)
    );
}

#[test]
fn permissions_needed_but_not_named() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2]
        .steps
        .push("Deploy to production behind the flag.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "needs elevated rights"),
        "{}",
        show(&findings)
    );
    plan.dependencies
        .permissions
        .push("Deploy rights on the production cluster (platform team)".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::Medium, "needs elevated rights"),
        "{}",
        show(&findings)
    );
}

#[test]
fn evidence_plan_needs_a_detected_command() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[0].gate = vec!["npm test".into(), "check: the repository is clean".into()];
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(
            &findings,
            Severity::Critical,
            "names no command the probe detected"
        ),
        "{}",
        show(&findings)
    );
    assert!(
        has(
            &findings,
            Severity::Medium,
            "phase 00 names `npm test`, which the project does not declare"
        ),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::EvidencePlan), 0);
    let env = audit(&f.ctx(), &plan, None, None);
    assert!(env.verdict >= Verdict::Risky, "{}", env.summary);
    assert_eq!(validate_envelope(&env), Ok(()));

    let mut plan = good_plan();
    plan.phases[0].gate = vec!["cargo clippy --all-targets".into()];
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Low, "only lint or format"),
        "{}",
        show(&findings)
    );
}

#[test]
fn many_defects_band_down_and_caps_apply() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    for p in plan.phases.iter_mut().skip(1) {
        p.gate.clear();
        p.rollback.clear();
        p.success_criteria = vec!["It works well".into()];
    }
    plan.out_of_scope.clear();
    let env = audit(&f.ctx(), &plan, None, None);
    let score = env.score.unwrap();
    assert!(score < 70, "score {score}: {}", show(&env.findings));
    assert_eq!(env.verdict, band(score));
    assert_eq!(validate_envelope(&env), Ok(()));

    // caps from the red team
    let good = good_plan();
    let mk = |agent: &str, verdict: Verdict| Envelope {
        agent: agent.into(),
        run_id: "anneal-20261121-143000-test".into(),
        depth: None,
        verdict,
        score: None,
        summary: "s".into(),
        findings: vec![],
        directives: vec![],
        clarifying_questions: vec![],
        metadata: EnvelopeMetadata {
            timestamp: "2026-11-21T14:30:00Z".into(),
            reviewer_model: "m".into(),
            token_cost: 0,
        },
    };
    let rt = RedTeamReport {
        security: mk("redteam-security", Verdict::Safe),
        scope: mk("redteam-scope", Verdict::Risky),
        assumptions: mk("redteam-assumptions", Verdict::Caution),
        oracle: mk("oracle", Verdict::Risky),
    };
    let env = audit(&f.ctx(), &good, Some(1), Some(&rt));
    assert_eq!(env.score, Some(75));
    assert_eq!(env.verdict, Verdict::Caution);
    assert!(env.summary.contains("capped from 100"), "{}", env.summary);
    let rt = RedTeamReport {
        assumptions: mk("redteam-assumptions", Verdict::Block),
        ..rt
    };
    let env = audit(&f.ctx(), &good, Some(1), Some(&rt));
    assert_eq!(env.score, Some(50));
    assert_eq!(env.verdict, Verdict::Risky);
    assert_eq!(validate_envelope(&env), Ok(()));
}

#[test]
fn invalid_plans_never_panic_and_block() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases.clear();
    let env = audit(&f.ctx(), &plan, None, None);
    assert_eq!(env.verdict, Verdict::Block);
    assert_eq!(validate_envelope(&env), Ok(()));
    let mut plan = good_plan();
    plan.phases[1].slug = "../etc".into();
    plan.phases[1].files[0].path = "/etc/passwd".into();
    let env = audit(&f.ctx(), &plan, None, None);
    assert_eq!(env.verdict, Verdict::Block);
    assert!(
        env.findings.iter().all(|x| !x.location.contains("..")),
        "{}",
        show(&env.findings)
    );
    assert_eq!(validate_envelope(&env), Ok(()));
}

#[test]
fn data_rollback_needs_more_than_revert_and_ordinary_words_are_not_data_or_breaking() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[1].files.push(FileChange {
        path: "migrations/0007_limits.sql".into(),
        action: FileAction::Create,
    });
    plan.phases[1].rollback = "Revert the commit and redeploy the service.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "changes data but its rollback"),
        "{}",
        show(&findings)
    );
    plan.phases[1].rollback = "Drop the new limits table, then revert the commit.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::High, "changes data"),
        "{}",
        show(&findings)
    );

    // a JSON schema or a code migration is not a data change, nor is reading schema.sql;
    // changing a header value is not breaking
    let mut plan = good_plan();
    plan.phases[0]
        .steps
        .push("Read `app/schema.sql` and list the tables the task touches.".into());
    plan.phases[1]
        .steps
        .push("Validate request bodies against the JSON schema.".into());
    plan.phases[1]
        .steps
        .push("Migrate callers to the new limiter type.".into());
    plan.phases[1]
        .steps
        .push("Read the counts with the project's existing data-access code.".into());
    plan.phases[2]
        .steps
        .push("Change the handler to return the Retry-After header.".into());
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(findings.is_empty(), "{}", show(&findings));
    assert_eq!(r.score, 100);
}

#[test]
fn feature_flag_as_mechanism_is_not_a_breaking_removal() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.phases[2].steps.push(
        "Remove the old limiter path once the change behind the feature flag is on everywhere."
            .into(),
    );
    plan.phases[2]
        .steps
        .push("Delete the stale counters; guard the change behind the `rate_limit` flag.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::Medium, "breaking change"),
        "{}",
        show(&findings)
    );
    // A real flag removal is still breaking; a dropdown is not a drop.
    let mut plan = good_plan();
    plan.phases[2]
        .steps
        .push("Remove the --legacy CLI flag.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "breaking change"),
        "{}",
        show(&findings)
    );
    let mut plan = good_plan();
    plan.phases[2]
        .steps
        .push("Show the limit in the dropdown options of the admin page.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::Medium, "breaking change"),
        "{}",
        show(&findings)
    );
}

#[test]
fn backwards_compatibility_counts_as_mitigation() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.thesis = "A per-client limiter in front of every public API handler.".into();
    plan.phases[2].goal = "Rate-limit every public API handler.".into();
    plan.phases[2].steps =
        vec!["Wrap each handler in src/api/handlers.rs with the limiter.".into()];
    plan.phases[2].success_criteria = vec!["The 101st request in a minute returns 429".into()];
    plan.phases[2].gate = vec!["cargo test --workspace".into()];
    plan.phases[2].rollback = "Revert the commit.".into();
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "names no feature flag"),
        "{}",
        show(&findings)
    );
    plan.iron_rules
        .push("Keep backwards compatibility for every existing client.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !has(&findings, Severity::Medium, "names no feature flag"),
        "{}",
        show(&findings)
    );
    // A refused demand for a flag is not a flag.
    plan.iron_rules.pop();
    plan.iron_rules.push(
        "Deferred: Put the limiter behind a feature flag — because the task forbids new config."
            .into(),
    );
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::Medium, "names no feature flag"),
        "{}",
        show(&findings)
    );
}

#[test]
fn deferred_iron_rules_do_not_declare_or_use_services() {
    let f = fixture(RATE_TASK, TaskKind::Feature);
    let mut plan = good_plan();
    plan.iron_rules.push(
        "Deferred: Declare kafka in dependencies.services and read KAFKA_BROKERS — because the task needs no queue."
            .into(),
    );
    let (r, findings) = rubric(&f.ctx(), &plan);
    assert!(
        !findings
            .iter()
            .any(|x| x.concern.contains("kafka") || x.concern.contains("KAFKA_BROKERS")),
        "{}",
        show(&findings)
    );
    assert_eq!(r.get(Dimension::Completeness), 100, "{}", show(&findings));
    // The same words in an ordinary iron rule are still checked.
    plan.iron_rules
        .push("Publish every limit hit to kafka.".into());
    let (_, findings) = rubric(&f.ctx(), &plan);
    assert!(
        has(&findings, Severity::High, "uses the service kafka"),
        "{}",
        show(&findings)
    );
    assert!(scan::is_deferred("  deferred: x — because y"));
    assert!(!scan::is_deferred("Never defer: x"));
}

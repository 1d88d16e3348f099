use super::*;

#[test]
fn measurable_criteria_name_something_observable() {
    for c in [
        "`cargo test --workspace` exits 0",
        "The endpoint returns 429 after 100 requests in a minute",
        "All existing tests pass",
        "p99 latency stays below 20 ms, properly measured",
        "Coverage of the parser ≥ 80%",
        "The old flag is no longer accepted",
        "Every request without a token is rejected",
        "check: 1 build command is identified",
    ] {
        assert!(is_measurable(c), "{c}");
    }
    for c in [
        "The middleware works well",
        "Everything is improved",
        "Code quality",
        "",
        "The API is robust and follows best practices",
        "The new flow feels seamless",
        "It works as expected",
    ] {
        assert!(!is_measurable(c), "{c}");
    }
}

#[test]
fn vague_words_need_a_number_or_a_command_to_count() {
    // An observable word does not rescue a vague claim …
    assert!(!is_measurable("The errors are handled properly"));
    // … a number or a command does.
    assert!(is_measurable("The 3 error cases are handled properly"));
    assert!(is_measurable("`pytest -k login` passes, as expected"));
}

#[test]
fn creep_phrases_are_found_on_word_boundaries() {
    assert_eq!(
        creep_phrase("We could also add a dashboard").as_deref(),
        Some("we could also")
    );
    assert_eq!(
        creep_phrase("Optionally, cache results").as_deref(),
        Some("optionally")
    );
    assert_eq!(
        creep_phrase("Tidy the module while we're at it").as_deref(),
        Some("while we're at it")
    );
    assert_eq!(
        creep_phrase("A nice-to-have: dark mode").as_deref(),
        Some("nice-to-have")
    );
    assert_eq!(
        creep_phrase("No gold-plating of the API").as_deref(),
        Some("gold-plating")
    );
    assert_eq!(
        creep_phrase("The cache could also serve stale pages").as_deref(),
        Some("could also")
    );
    for clean in [
        "Add the limiter",
        "Nice. To have this done, run the tests",
        "Provisionally keep the old path",
        "",
    ] {
        assert!(creep_phrase(clean).is_none(), "{clean}");
    }
}

#[test]
fn the_earliest_creep_phrase_wins() {
    assert_eq!(
        creep_phrase("If time permits, we could also add metrics").as_deref(),
        Some("if time permits")
    );
}

#[test]
fn placeholders_say_nothing() {
    for p in [
        "",
        "  ",
        "n/a",
        "N/A.",
        "TBD",
        "none",
        "See above",
        "-",
        "?",
    ] {
        assert!(is_placeholder(p), "{p:?}");
    }
    for p in ["Revert the commit", "Nothing to roll back: no file changes"] {
        assert!(!is_placeholder(p), "{p:?}");
    }
}

#[test]
fn explicit_rollbacks_say_how_the_change_is_undone() {
    for r in [
        "Revert this phase's commits with `git revert`.",
        "Turn the feature flag `x_enabled` off; no deploy needed.",
        "Nothing to roll back: preflight changes no file.",
        "Restore the backup taken at the checkpoint.",
        "Run the down migration, then redeploy the previous release.",
        "Delete `src/new.rs` and the registration in `src/lib.rs`.",
    ] {
        assert!(is_explicit_rollback(r), "{r}");
    }
    for r in [
        "n/a",
        "Revert.",
        "none",
        "We will handle it later if something goes wrong.",
        "TBD by the release owner after the launch",
    ] {
        assert!(!is_explicit_rollback(r), "{r}");
    }
}

#[test]
fn odd_input_never_panics() {
    for t in ["é", "`", "—", "a\u{0}b", "日本語のテキスト", "'''", "--"] {
        let _ = is_measurable(t);
        let _ = creep_phrase(t);
        let _ = is_explicit_rollback(t);
        let _ = is_placeholder(t);
    }
}

mod rubric {
    use crate::rubric::*;

    fn facts<'a>(
        criteria: &'a [String],
        gate: &'a [String],
        rollback: &'a str,
        declared: &'a [String],
        steps: &'a [String],
    ) -> PhaseFacts<'a> {
        PhaseFacts {
            preflight: false,
            goal: "Add the limiter.",
            steps,
            success_criteria: criteria,
            gate,
            rollback,
            changes_files: true,
            declared,
        }
    }

    #[test]
    fn weights_sum_to_100_and_a_critical_finding_caps_below_emit() {
        assert_eq!(Dimension::ALL.iter().map(|d| d.weight()).sum::<u32>(), 100);
        assert_eq!(score([]).score, 100);
        let s = score([(Dimension::EvidencePlan, Level::Critical)]);
        assert_eq!(s.raw, 80);
        assert_eq!(s.score, CAP_ON_CRITICAL);
        assert!(s.score < EMIT_THRESHOLD);
        assert_eq!(s.lost(Dimension::EvidencePlan), 20.0);
        assert_eq!(points(Dimension::Correctness, Level::High), 10.0);
        assert_eq!(points(Dimension::ScopeHygiene, Level::Medium), 1.5);
        // A dimension floors at 0: a second critical costs nothing more.
        let two = score([
            (Dimension::Sequencing, Level::Critical),
            (Dimension::Sequencing, Level::Critical),
        ]);
        assert_eq!(two.raw, 85);
        assert_eq!(cap_for_critical(90, false), 90);
        assert_eq!(
            Dimension::of_concern("Risk posture −6: x"),
            Some(Dimension::RiskPosture)
        );
        assert_eq!(Dimension::of_concern("Scope: x"), None);
    }

    #[test]
    fn phase_rules_and_their_costs() {
        let ok_c = vec!["`cargo test` exits 0".to_string()];
        let gate = vec!["cargo test".to_string()];
        let declared = vec!["cargo test".to_string()];
        let steps = vec!["Edit `src/lib.rs`.".to_string()];
        let good = facts(
            &ok_c,
            &gate,
            "Revert the commit with `git revert`.",
            &declared,
            &steps,
        );
        assert!(phase_items(&good).is_empty());
        assert_eq!(phase_score(&good), 100);

        let none: Vec<String> = vec![];
        let f = facts(&none, &gate, "", &declared, &steps);
        let items = phase_items(&f);
        assert_eq!(items, vec![PhaseRule::NoCriterion, PhaseRule::NoRollback]);
        assert_eq!(
            PhaseRule::NoRollback.cost(&f),
            (Dimension::RiskPosture, Level::High)
        );
        assert_eq!(phase_score(&f), 84);

        let undeclared = vec!["make lint".to_string()];
        let f = facts(
            &ok_c,
            &undeclared,
            "Revert the commit with `git revert`.",
            &declared,
            &steps,
        );
        assert_eq!(phase_items(&f), vec![PhaseRule::UndeclaredCommand]);
        assert_eq!(PhaseRule::UndeclaredCommand.cost(&f).1, Level::High);
        let both = vec!["cargo test".to_string(), "make lint".to_string()];
        let f = facts(
            &ok_c,
            &both,
            "Revert the commit with `git revert`.",
            &declared,
            &steps,
        );
        assert_eq!(PhaseRule::UndeclaredCommand.cost(&f).1, Level::Medium);
        assert_eq!(undeclared_commands(&both, &declared), vec!["make lint"]);
        assert!(undeclared_commands(&both, &[]).is_empty());

        let vague = facts(&ok_c, &gate, "We will see.", &declared, &steps);
        assert_eq!(phase_items(&vague), vec![PhaseRule::VagueRollback]);
    }
}

//! The verdict rules of docs/design.md §4 and the score bands and red-team caps of docs/design.md §5.
//!
//! Everything here is a pure function of its arguments: the stages, the offline reviewers and
//! Atlas all decide verdicts through these, so one rule has one implementation.
use super::wire::{Envelope, Finding, Severity, Verdict};

impl Verdict {
    /// Every verdict, best first (`SAFE`, `CAUTION`, `RISKY`, `BLOCK`).
    pub const ALL: [Verdict; 4] = [
        Verdict::Safe,
        Verdict::Caution,
        Verdict::Risky,
        Verdict::Block,
    ];

    /// The worst verdict of `it` (docs/design.md §4: BLOCK > RISKY > CAUTION > SAFE); `SAFE` when `it`
    /// is empty. Callers that must not treat "no reviewer" as a pass check emptiness first.
    pub fn worst<I: IntoIterator<Item = Verdict>>(it: I) -> Verdict {
        it.into_iter().max().unwrap_or(Verdict::Safe)
    }

    /// Whether a gate with this verdict lets the pipeline proceed without a human override:
    /// `SAFE` and `CAUTION` pass, `RISKY` and `BLOCK` do not (docs/design.md §4).
    pub fn passes(self) -> bool {
        matches!(self, Verdict::Safe | Verdict::Caution)
    }
}

impl Severity {
    /// Rank for comparisons: low 0, medium 1, high 2, critical 3 (higher is worse).
    /// `Severity` itself is declared critical-first, so it does not derive `Ord`.
    pub fn rank(self) -> u8 {
        match self {
            Severity::Low => 0,
            Severity::Medium => 1,
            Severity::High => 2,
            Severity::Critical => 3,
        }
    }
}

/// The worst severity among `findings`, `None` when there are none.
pub fn worst_severity(findings: &[Finding]) -> Option<Severity> {
    findings.iter().map(|f| f.severity).max_by_key(|s| s.rank())
}

/// The verdict a reviewer's findings call for (docs/design.md §4, HELPER_CONTEXT conventions):
/// no findings → `SAFE`; worst severity low or medium → `CAUTION`; high → `RISKY`;
/// critical → `RISKY` (at least — a reviewer may still choose `BLOCK` for a plan that cannot be
/// implemented).
pub fn verdict_from_findings(findings: &[Finding]) -> Verdict {
    match worst_severity(findings) {
        None => Verdict::Safe,
        Some(Severity::Low | Severity::Medium) => Verdict::Caution,
        Some(Severity::High | Severity::Critical) => Verdict::Risky,
    }
}

/// docs/design.md §4: "a critical finding makes a verdict at least RISKY". Returns `v`, raised to
/// `RISKY` when `findings` holds a critical finding; never lowers `v`.
pub fn enforce_critical(v: Verdict, findings: &[Finding]) -> Verdict {
    if findings.iter().any(|f| f.severity == Severity::Critical) {
        v.max(Verdict::Risky)
    } else {
        v
    }
}

/// docs/design.md §5 score bands: 85–100 → `SAFE`, 70–84 → `CAUTION`, 50–69 → `RISKY`, 0–49 → `BLOCK`.
/// Scores above 100 (not valid envelope scores) are treated as 100.
pub fn band(score: u8) -> Verdict {
    match score {
        85.. => Verdict::Safe,
        70..=84 => Verdict::Caution,
        50..=69 => Verdict::Risky,
        _ => Verdict::Block,
    }
}

/// Highest score Momus may give when any red-team envelope is `BLOCK` (docs/design.md §5).
pub const CAP_ON_BLOCK: u8 = 50;
/// Highest score Momus may give when any red-team envelope is `RISKY` (docs/design.md §5).
pub const CAP_ON_RISKY: u8 = 75;

/// docs/design.md §5 red-team caps on Momus's score: with any `BLOCK` among `red_team` the score is at
/// most 50, else with any `RISKY` at most 75; otherwise `score` unchanged. Never raises a score.
pub fn cap_score(score: u8, red_team: &[&Envelope]) -> u8 {
    match Verdict::worst(red_team.iter().map(|e| e.verdict)) {
        Verdict::Block => score.min(CAP_ON_BLOCK),
        Verdict::Risky => score.min(CAP_ON_RISKY),
        _ => score,
    }
}

/// docs/design.md §4: Hephaestus's PASS counts as `SAFE` and FAIL as `BLOCK` in the worst-of aggregation.
pub fn hephaestus_verdict(passed: bool) -> Verdict {
    if passed {
        Verdict::Safe
    } else {
        Verdict::Block
    }
}

/// Where the envelope of a reviewer whose answer could not be read
/// (`agents::adapters::invalid_envelope`) puts its one finding; [`is_invalid_answer`] looks
/// for it.
pub const INVALID_ANSWER_LOCATION: &str = "agent-output";

/// Words of the summary of every such envelope.
pub const INVALID_ANSWER_SUMMARY: &str = "the agent's answer was invalid after one repair request";

/// Words of the summary of the envelope of a reviewer whose call failed (a provider timeout or
/// error): recorded like an unreadable answer, as that reviewer's failure, not the run's.
pub const FAILED_CALL_SUMMARY: &str = "the agent's call failed";

/// Whether `e` is the envelope of a reviewer whose answer could not be read or whose call
/// failed: BLOCK (never a pass, docs/design.md §4) but no judgement of the plan, so its gate
/// shows "invalid answer" and nothing of it is folded into the plan's directives.
pub fn is_invalid_answer(e: &Envelope) -> bool {
    e.verdict == Verdict::Block
        && e.findings.len() == 1
        && e.findings[0].location == INVALID_ANSWER_LOCATION
        && (e.summary.contains(INVALID_ANSWER_SUMMARY) || e.summary.contains(FAILED_CALL_SUMMARY))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EnvelopeMetadata;

    fn finding(severity: Severity) -> Finding {
        Finding {
            location: "plan/plan.md".into(),
            severity,
            concern: "c".into(),
            demand: "Do it.".into(),
        }
    }

    fn env(verdict: Verdict) -> Envelope {
        Envelope {
            agent: "redteam-scope".into(),
            run_id: "anneal-20260101-000000-x".into(),
            depth: None,
            verdict,
            score: None,
            summary: "s".into(),
            findings: vec![],
            directives: vec![],
            clarifying_questions: vec![],
            metadata: EnvelopeMetadata {
                timestamp: "2026-01-01T00:00:00Z".into(),
                reviewer_model: "m".into(),
                token_cost: 0,
            },
        }
    }

    #[test]
    fn verdicts_are_ordered_safe_to_block() {
        assert!(Verdict::Safe < Verdict::Caution);
        assert!(Verdict::Caution < Verdict::Risky);
        assert!(Verdict::Risky < Verdict::Block);
        assert_eq!(
            Verdict::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            ["SAFE", "CAUTION", "RISKY", "BLOCK"]
        );
    }

    #[test]
    fn worst_of_picks_the_worst_and_empty_is_safe() {
        assert_eq!(Verdict::worst([]), Verdict::Safe);
        assert_eq!(
            Verdict::worst([Verdict::Caution, Verdict::Safe]),
            Verdict::Caution
        );
        assert_eq!(
            Verdict::worst([Verdict::Risky, Verdict::Block, Verdict::Safe]),
            Verdict::Block
        );
        assert_eq!(
            Verdict::worst(vec![Verdict::Risky, Verdict::Caution]),
            Verdict::Risky
        );
    }

    #[test]
    fn passes_only_safe_and_caution() {
        assert!(Verdict::Safe.passes());
        assert!(Verdict::Caution.passes());
        assert!(!Verdict::Risky.passes());
        assert!(!Verdict::Block.passes());
    }

    #[test]
    fn parse_round_trips() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::parse(v.as_str()), Some(v));
            assert_eq!(Verdict::parse(&v.as_str().to_lowercase()), Some(v));
        }
        assert_eq!(Verdict::parse("OK"), None);
    }

    #[test]
    fn verdict_from_findings_follows_severity() {
        assert_eq!(verdict_from_findings(&[]), Verdict::Safe);
        assert_eq!(
            verdict_from_findings(&[finding(Severity::Low)]),
            Verdict::Caution
        );
        assert_eq!(
            verdict_from_findings(&[finding(Severity::Medium), finding(Severity::Low)]),
            Verdict::Caution
        );
        assert_eq!(
            verdict_from_findings(&[finding(Severity::Low), finding(Severity::High)]),
            Verdict::Risky
        );
        assert_eq!(
            verdict_from_findings(&[finding(Severity::Critical)]),
            Verdict::Risky
        );
    }

    #[test]
    fn critical_makes_at_least_risky() {
        let crit = [finding(Severity::Critical)];
        assert_eq!(enforce_critical(Verdict::Safe, &crit), Verdict::Risky);
        assert_eq!(enforce_critical(Verdict::Caution, &crit), Verdict::Risky);
        assert_eq!(enforce_critical(Verdict::Block, &crit), Verdict::Block);
        assert_eq!(
            enforce_critical(Verdict::Safe, &[finding(Severity::High)]),
            Verdict::Safe
        );
        assert_eq!(enforce_critical(Verdict::Caution, &[]), Verdict::Caution);
    }

    #[test]
    fn bands_at_every_boundary() {
        assert_eq!(band(0), Verdict::Block);
        assert_eq!(band(49), Verdict::Block);
        assert_eq!(band(50), Verdict::Risky);
        assert_eq!(band(69), Verdict::Risky);
        assert_eq!(band(70), Verdict::Caution);
        assert_eq!(band(84), Verdict::Caution);
        assert_eq!(band(85), Verdict::Safe);
        assert_eq!(band(100), Verdict::Safe);
        assert_eq!(band(255), Verdict::Safe);
    }

    #[test]
    fn caps_follow_the_worst_red_team_verdict() {
        let (safe, caution, risky, block) = (
            env(Verdict::Safe),
            env(Verdict::Caution),
            env(Verdict::Risky),
            env(Verdict::Block),
        );
        assert_eq!(cap_score(95, &[]), 95);
        assert_eq!(cap_score(95, &[&safe, &caution]), 95);
        assert_eq!(cap_score(95, &[&safe, &risky]), 75);
        assert_eq!(cap_score(60, &[&risky]), 60);
        assert_eq!(cap_score(95, &[&risky, &block, &safe]), 50);
        assert_eq!(cap_score(30, &[&block]), 30);
        assert_eq!(cap_score(75, &[&risky]), 75);
        assert_eq!(cap_score(51, &[&block]), 50);
    }

    #[test]
    fn hephaestus_maps_pass_fail() {
        assert_eq!(hephaestus_verdict(true), Verdict::Safe);
        assert_eq!(hephaestus_verdict(false), Verdict::Block);
    }

    #[test]
    fn severity_rank_and_worst() {
        assert!(Severity::Critical.rank() > Severity::High.rank());
        assert!(Severity::High.rank() > Severity::Medium.rank());
        assert!(Severity::Medium.rank() > Severity::Low.rank());
        assert_eq!(worst_severity(&[]), None);
        assert_eq!(
            worst_severity(&[
                finding(Severity::Low),
                finding(Severity::High),
                finding(Severity::Medium)
            ]),
            Some(Severity::High)
        );
    }
}

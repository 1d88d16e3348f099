//! The Oracle: aggregates the three red-team envelopes into one (docs/design.md §2 stage 5, §4).
use super::AGENTS;
use crate::model::rules::enforce_critical;
use crate::model::validate::validate_envelope;
use crate::model::Context;
use crate::model::{Envelope, Finding, Plan, Severity, Verdict};
use crate::offline::momus::scan::{finding, phase_location, PLAN_LOCATION};
use crate::offline::momus::worst_first;

/// Whether the reviewers disagree strongly: one says the plan cannot go on (BLOCK) while
/// another lets it pass (SAFE or CAUTION). RISKY from one reviewer and SAFE from the others is
/// ordinary — each reviewer looks at a different side of the plan — and is not flagged.
pub fn strong_disagreement(verdicts: &[Verdict]) -> bool {
    verdicts.contains(&Verdict::Block) && verdicts.iter().any(|v| v.passes())
}

fn short(agent: &str) -> &str {
    agent.strip_prefix("redteam-").unwrap_or(agent)
}

/// The Oracle's envelope over `reviews` = [security, scope, assumptions] (docs/design.md §4).
///
/// Each review is first checked: [`validate_envelope`], agent equal to the expected
/// `redteam-*` name for its slot, `run_id` equal to `ctx.run_id`, and `depth` equal to `depth`
/// when both are given. An invalid review is never a pass (docs/design.md §4): it counts as BLOCK, its
/// findings are not merged, and the Oracle adds a critical finding naming the problem.
/// Verdict: the worst of the reviews' verdicts (invalid → BLOCK), never lower than RISKY
/// with a critical finding. Findings: the union of the valid reviews' findings, de-duplicated by
/// (location, concern) keeping the highest severity, worst first; plus a medium finding when
/// one valid review is BLOCK while another passes ([`strong_disagreement`]), and a low finding for each review
/// finding whose location names a phase file the plan does not have. Summary:
/// `"N/3 PASS: security …, scope …, assumptions …; verdict …; K findings."` where a review
/// passes when it is valid and SAFE or CAUTION. Agent `oracle`.
pub fn oracle(
    ctx: &Context<'_>,
    plan: &Plan,
    reviews: [&Envelope; 3],
    depth: Option<u32>,
) -> Envelope {
    let mut own: Vec<Finding> = Vec::new();
    let mut verdicts: Vec<(String, Verdict, bool)> = Vec::new(); // (name, effective verdict, valid)
    let mut merged: Vec<Finding> = Vec::new();
    let phase_files: Vec<String> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| phase_location(i, p))
        .collect();
    for (slot, review) in reviews.iter().enumerate() {
        let expected = AGENTS[slot];
        let mut problems = validate_envelope(review).err().unwrap_or_default();
        if review.agent != expected {
            problems.push(format!(
                "agent is {:?} where {expected:?} was expected",
                review.agent
            ));
        }
        if review.run_id != ctx.run_id {
            problems.push(format!(
                "run_id {:?} is not this run's {:?}",
                review.run_id, ctx.run_id
            ));
        }
        if let (Some(want), Some(got)) = (depth, review.depth) {
            if want != got {
                problems.push(format!("depth {got} is not the current depth {want}"));
            }
        }
        let name = short(expected).to_string();
        if !problems.is_empty() {
            own.push(finding(
                PLAN_LOCATION,
                Severity::Critical,
                format!("Oracle: the {expected} envelope is invalid ({}), so it cannot count as a pass.", crate::offline::momus::scan::clip(&problems.join("; "), 300)),
                format!("Re-run {expected} and have it return a schema-valid envelope for this run."),
            ));
            verdicts.push((name, Verdict::Block, false));
            continue;
        }
        verdicts.push((name, review.verdict, true));
        for f in &review.findings {
            let file = f.location.split('#').next().unwrap_or("");
            if file.starts_with("plan/phase-") && !phase_files.iter().any(|p| p == file) {
                own.push(finding(
                    &f.location,
                    Severity::Low,
                    format!("Oracle: {expected} points at {file}, which this plan does not have."),
                    format!("Have {expected} locate its findings in the plan's own phase files."),
                ));
            }
            match merged.iter_mut().find(|m| {
                m.location == f.location && m.concern.trim().eq_ignore_ascii_case(f.concern.trim())
            }) {
                Some(m) if f.severity.rank() > m.severity.rank() => *m = f.clone(),
                Some(_) => {}
                None => merged.push(f.clone()),
            }
        }
    }
    let worst = Verdict::worst(verdicts.iter().map(|(_, v, _)| *v));
    let valid: Vec<Verdict> = verdicts
        .iter()
        .filter(|(_, _, ok)| *ok)
        .map(|(_, v, _)| *v)
        .collect();
    if strong_disagreement(&valid) {
        let list = verdicts
            .iter()
            .map(|(n, v, _)| format!("{n} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let dissent: Vec<&str> = verdicts
            .iter()
            .filter(|(_, v, _)| *v == worst)
            .map(|(n, _, _)| n.as_str())
            .collect();
        own.push(finding(
            PLAN_LOCATION,
            Severity::Medium,
            format!("Oracle: the reviewers disagree strongly ({list})."),
            format!("Resolve the findings of {} first; the other reviewers' approval does not outweigh them.", dissent.join(" and ")),
        ));
    }
    let mut findings = own;
    findings.extend(merged);
    let verdict = enforce_critical(worst, &findings);
    let passing = verdicts
        .iter()
        .filter(|(_, v, valid)| *valid && v.passes())
        .count();
    let list = verdicts
        .iter()
        .map(|(n, v, valid)| {
            if *valid {
                format!("{n} {v}")
            } else {
                format!("{n} INVALID")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let n = findings.len();
    let summary = format!(
        "{passing}/3 PASS: {list}; verdict {verdict}; {n} finding{}.",
        crate::offline::momus::plural(n)
    );
    let mut env = crate::model::envelope::new("oracle", ctx, depth, verdict, summary);
    env.findings = worst_first(findings);
    env
}

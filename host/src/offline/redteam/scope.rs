//! redteam-scope: phases unrelated to the task, creep, a missing out-of-scope section, plans
//! too large for a bugfix.
use super::reviewer_envelope;
use crate::model::Context;
use crate::model::{Envelope, Finding, Plan, Severity, TaskKind};
use crate::offline::momus::scan::{
    clip, creep_phrase, finding, phase_location, task_related, work_texts, PLAN_LOCATION,
};

/// Most phases a bugfix plan has before scope review calls it oversized (phase 00 included).
pub const MAX_BUGFIX_PHASES: usize = 9;

/// The findings of [`scope`].
///
/// Checks: (1) a phase after 00 that shares no term with the task or a Metis directive,
/// touches no file the probe found relevant, and is not structural (preflight, tests,
/// rollout, docs, security, migration, …) → medium; (2) a creep phrase ("we could also", "nice
/// to have", "optionally", "while we're at it", "might as well", "stretch goal", …) in a
/// phase or in the plan's thesis and iron rules → medium, once per location; (3) no
/// out-of-scope item → medium; (4) a bugfix plan with more than 9 phases → low.
pub fn scope_findings(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, p) in plan.phases.iter().enumerate().skip(1) {
        if !task_related(ctx, p) {
            out.push(finding(
                phase_location(i, p),
                Severity::Medium,
                format!("Scope: phase {} (\"{}\") is unrelated to the task: no task term, no relevant file, not a structural phase.", p.id, clip(&p.title, 80)),
                format!("Remove phase {} or tie it to the task explicitly; list its work as out of scope if it is wanted later.", p.id),
            ));
        }
    }
    for (loc, text) in work_texts(plan) {
        if let Some(phrase) = creep_phrase(&text) {
            out.push(finding(
                &loc,
                Severity::Medium,
                format!("Scope: creep (\"{phrase}\") adds work the task did not ask for."),
                format!("Delete the work introduced by \"{phrase}\" or move it to the out-of-scope section."),
            ));
        }
    }
    if plan.out_of_scope.iter().all(|s| s.trim().is_empty()) {
        out.push(finding(
            PLAN_LOCATION,
            Severity::Medium,
            "Scope: the plan has no out-of-scope section, so its boundary is implicit.",
            "Add an out-of-scope section naming the neighbouring work this plan deliberately leaves out.",
        ));
    }
    if ctx.task_kind == TaskKind::Bugfix && plan.phases.len() > MAX_BUGFIX_PHASES {
        out.push(finding(
            PLAN_LOCATION,
            Severity::Low,
            format!("Scope: {} phases for a bugfix; a fix this large is probably doing more than fixing the bug.", plan.phases.len()),
            format!("Cut the plan to at most {MAX_BUGFIX_PHASES} phases: the reproduction, the fix, the regression test and what the fix strictly needs."),
        ));
    }
    out
}

/// redteam-scope's envelope for `plan` (docs/design.md §2 stage 5); checks in [`scope_findings`].
/// Verdict from the findings (medium → CAUTION). Agent `redteam-scope`.
pub fn scope(ctx: &Context<'_>, plan: &Plan, depth: Option<u32>) -> Envelope {
    let findings = scope_findings(ctx, plan);
    let oos = plan
        .out_of_scope
        .iter()
        .filter(|s| !s.trim().is_empty())
        .count();
    let headline = format!(
        "Scope review: {} phases, {oos} out-of-scope items",
        plan.phases.len()
    );
    reviewer_envelope("redteam-scope", ctx, depth, findings, &headline)
}

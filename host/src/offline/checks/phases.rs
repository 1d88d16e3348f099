//! The phase rubric of [`plan_rules::rubric::phase_items`] as hits: [`Check::Criterion`],
//! [`Check::Rollback`] and the other phase rules ([`Check::Phase`]). The rule and its cost
//! (dimension, level) come from `plan-rules`, which Alloy's synthesis uses too; this module
//! only words the finding.
use super::{hit, severity, Check, Hit};
use crate::model::Context;
use crate::model::{Phase, Plan};
use crate::offline::scan::{clip, phase_location};
use plan_rules::rubric::{phase_items, PhaseFacts, PhaseRule};

/// What the phase rubric reads of phase `index` of a plan; `declared` are the project's
/// declared commands.
pub fn facts<'a>(index: usize, p: &'a Phase, declared: &'a [String]) -> PhaseFacts<'a> {
    PhaseFacts {
        preflight: index == 0,
        goal: &p.goal,
        steps: &p.steps,
        success_criteria: &p.success_criteria,
        gate: &p.gate,
        rollback: &p.rollback,
        changes_files: !p.files.is_empty(),
        declared,
    }
}

/// The detected command to suggest for a gate: the first `test` command, else the first.
pub(super) fn suggested_gate(ctx: &Context<'_>) -> String {
    let cmds = &ctx.probe.commands;
    cmds.iter()
        .find(|c| c.purpose == "test")
        .or_else(|| cmds.first())
        .map(|c| format!("`{}`", c.command))
        .unwrap_or_else(|| "a build or test command".into())
}

/// Every phase-rubric rule each phase breaks, except [`PhaseRule::UndeclaredCommand`] (the gate
/// check words it, see `gates`), in plan order.
pub fn phase_rules(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let declared = super::declared(ctx);
    let suggest = suggested_gate(ctx);
    let mut out = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let f = facts(i, p, &declared);
        let loc = phase_location(i, p);
        for rule in phase_items(&f) {
            if rule == PhaseRule::UndeclaredCommand {
                continue;
            }
            let (dimension, level) = rule.cost(&f);
            let (check, concern, demand) = words(rule, p, &suggest);
            out.push(hit(
                check,
                dimension,
                &loc,
                severity(level),
                concern,
                demand,
            ));
        }
    }
    out
}

fn first_nonblank(items: &[String]) -> &str {
    items
        .iter()
        .map(|s| s.trim())
        .find(|s| !s.is_empty())
        .unwrap_or("")
}

/// The check, concern and demand of one rule for phase `p`.
fn words(rule: PhaseRule, p: &Phase, suggest: &str) -> (Check, String, String) {
    let id = &p.id;
    match rule {
        PhaseRule::NoSteps => (
            Check::Phase,
            format!("phase {id} has no steps, so it cannot be implemented as written."),
            format!("List the concrete steps of phase {id}, one action each."),
        ),
        PhaseRule::NoGoal => (
            Check::Phase,
            format!("phase {id} states no goal."),
            format!("State in one sentence what phase {id} achieves."),
        ),
        PhaseRule::NoCriterion => (
            Check::Criterion,
            format!("phase {id} has no success criterion."),
            format!("Add to phase {id} a success criterion that names an observable result: a command and its exit status, a count, a response."),
        ),
        PhaseRule::NoMeasurableCriterion => (
            Check::Criterion,
            format!(
                "no success criterion of phase {id} is measurable (e.g. \"{}\").",
                clip(first_nonblank(&p.success_criteria), 120)
            ),
            format!("Rewrite the success criteria of phase {id} so each names an observable result: a number, a command and its exit status, a response."),
        ),
        PhaseRule::NoGate => (
            Check::Phase,
            format!("phase {id} has no gate, so nothing proves it done."),
            format!("Give phase {id} a gate: a command the probe detected (e.g. {suggest}) or a `check:` that states what to verify."),
        ),
        PhaseRule::VagueGate => (
            Check::Phase,
            format!(
                "the gate of phase {id} is only vague manual checks (e.g. \"{}\").",
                clip(first_nonblank(&p.gate), 120)
            ),
            format!("Make the gate of phase {id} measurable: run a detected command such as {suggest}, or write each check as an observable result."),
        ),
        PhaseRule::NoRollback => (
            Check::Rollback,
            format!(
                "phase {id} has no explicit rollback{}.",
                if p.files.is_empty() {
                    " (it changes no file)"
                } else {
                    ""
                }
            ),
            format!("Write the rollback of phase {id}: the steps that undo it and how to verify they did."),
        ),
        PhaseRule::VagueRollback => (
            Check::Rollback,
            format!(
                "the rollback of phase {id} (\"{}\") does not say how the change is undone.",
                clip(p.rollback.trim(), 80)
            ),
            format!("Say in the rollback of phase {id} how its change is undone (revert which commit, delete which file, turn which flag off) and how to verify it was."),
        ),
        PhaseRule::Creep => {
            let phrase = std::iter::once(&p.goal)
                .chain(&p.steps)
                .find_map(|t| plan_rules::creep_phrase(t))
                .unwrap_or_default();
            (
                Check::Phase,
                format!("scope creep in phase {id} (\"{phrase}\")."),
                format!("Remove the optional work introduced by \"{phrase}\", or move it to the out-of-scope section."),
            )
        }
        PhaseRule::UndeclaredCommand => (Check::Gate, String::new(), String::new()),
    }
}

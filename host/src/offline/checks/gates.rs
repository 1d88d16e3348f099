//! [`Check::Gate`]: gate commands the project does not declare, and gate commands that fail on
//! the baseline (the untouched repository).
use super::{declared, hit, Check, Dimension, Hit};
use crate::model::Context;
use crate::model::{Plan, Severity};
use crate::offline::scan::{clip, phase_location};
use plan_rules::rubric::{is_check, undeclared_commands, PhaseRule};

/// Per phase: the gate commands the project does not declare (one hit per phase, listing
/// them) — high when no declared command is left in that gate of a phase after 00 (nothing
/// that gate names can be trusted to run), medium otherwise; phase 00's are medium here, the
/// evidence plan of Momus judges what phase 00 runs. Then every gate command that the baseline
/// records as failing on the untouched repository → high, once per command and phase. Nothing
/// is judged against the declared commands when the probe detected none.
pub fn gates(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let declared = declared(ctx);
    let mut out = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        let undeclared = undeclared_commands(&p.gate, &declared);
        if !undeclared.is_empty() {
            let facts = super::phases::facts(i, p, &declared);
            let (_, level) = PhaseRule::UndeclaredCommand.cost(&facts);
            let severity = super::severity(level);
            let list = undeclared
                .iter()
                .map(|c| format!("`{}`", clip(c, 100)))
                .collect::<Vec<_>>()
                .join(", ");
            let example = declared
                .iter()
                .find(|d| {
                    ctx.probe
                        .commands
                        .iter()
                        .any(|c| c.command.trim() == d.as_str() && c.purpose == "test")
                })
                .or(declared.first())
                .cloned()
                .unwrap_or_default();
            out.push(hit(
                Check::Gate,
                Dimension::EvidencePlan,
                &loc,
                severity,
                format!(
                    "the gate of phase {} names {list}, which the project does not declare (the probe detected {}), so nothing shows {} here and Hephaestus will not run {}.",
                    p.id,
                    declared.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(", "),
                    if undeclared.len() == 1 { "it runs" } else { "they run" },
                    if undeclared.len() == 1 { "it" } else { "them" },
                ),
                format!(
                    "Gate phase {} on a declared command exactly as detected (e.g. `{example}`), or write the check as a `check:` stating what to verify.",
                    p.id
                ),
            ));
        }
        let Some(baseline) = ctx.baseline else {
            continue;
        };
        for g in p
            .gate
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty() && !is_check(g))
        {
            if let Some(run) = baseline.run_of(g).filter(|r| !r.passed) {
                out.push(hit(
                    Check::Gate,
                    Dimension::EvidencePlan,
                    &loc,
                    Severity::High,
                    format!(
                        "the gate command `{}` of phase {} already fails on the untouched repository ({}), so it cannot prove this phase.",
                        clip(g, 100),
                        p.id,
                        clip(if run.detail.is_empty() { "non-zero exit" } else { &run.detail }, 160)
                    ),
                    format!(
                        "Gate phase {} on a declared command that passes on the repository as it is today, or make phase 00 fix what makes `{}` fail first.",
                        p.id,
                        clip(g, 100)
                    ),
                ));
            }
        }
    }
    out
}

//! [`Check::GenericStep`]: steps that would fit any task — they name no file, no function or
//! type, no flag and no command ("Add tests", "Update docs", "Implement the change").
use super::{hit, Check, Dimension, Hit};
use crate::model::Context;
use crate::model::{Phase, Plan, Severity};
use crate::offline::scan::{clip, phase_location};

/// Whether `step` names something of this repository or plan: a backticked span, a code name
/// ([`crate::index::extract_names`]: a path, a file name with an extension, `snake_case`,
/// `CamelCase`, `Type::member`, a `dotted.path`, a `--flag`), a command the project declares,
/// or the file name of a file the phase changes.
pub fn is_specific(step: &str, phase: &Phase, ctx: &Context<'_>) -> bool {
    if step.contains('`') || !crate::index::extract_names(step).is_empty() {
        return true;
    }
    if ctx
        .probe
        .commands
        .iter()
        .any(|c| !c.command.trim().is_empty() && step.contains(c.command.trim()))
    {
        return true;
    }
    phase.files.iter().any(|f| {
        let name = f.path.rsplit('/').next().unwrap_or(&f.path);
        !name.is_empty() && step.contains(name)
    })
}

/// Per phase with steps: when the phase changes files and none of its steps names anything
/// ([`is_specific`]) → high: the phase says what to do in words that fit any task. One
/// specific step is enough (the others may be the ordinary "run the tests" kind). Phases that
/// change no file (preflight, verification, decisions) are not judged.
pub fn generic_steps(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let mut out = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        if p.files.is_empty() {
            continue;
        }
        let steps: Vec<&str> = p
            .steps
            .iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        if steps.is_empty() {
            continue;
        }
        let generic: Vec<&str> = steps
            .iter()
            .copied()
            .filter(|s| !is_specific(s, p, ctx))
            .collect();
        if generic.len() < steps.len() {
            continue;
        }
        let quoted = generic
            .iter()
            .take(3)
            .map(|s| format!("\"{}\"", clip(s, 60)))
            .collect::<Vec<_>>()
            .join(", ");
        let files = p
            .files
            .iter()
            .take(3)
            .map(|f| format!("`{}`", f.path))
            .collect::<Vec<_>>()
            .join(", ");
        out.push(hit(
            Check::GenericStep,
            Dimension::Correctness,
            phase_location(i, p),
            Severity::High,
            format!("no step of phase {} names a file, function, type or command ({quoted}); they would fit any task.", p.id),
            format!("Rewrite the steps of phase {} to name what they change: the file ({files}), the function or type, and the test or command that proves it.", p.id),
        ));
    }
    out
}

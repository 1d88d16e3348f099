//! Pre-existing failures the task is about become work (docs/design.md §6, "the baseline"): a
//! test that fails on the untouched repository is recorded as the baseline and never blamed on
//! the plan — unless the task is about it ("Fix test_parse_dates", "Fix the failing tests"),
//! in which case making it pass is the plan's first phase after the preflight, gated on the
//! command that runs it. Which failures a task is about is one rule,
//! [`crate::model::baseline::Baseline::failures_about`].
use super::act::{Action, Outcome};
use super::draft::{DPhase, Draft, Role};
use crate::model::baseline::FailingTest;
use crate::model::{Context, FileAction};
use crate::text::prose_list;

/// Adds the phase that makes the pre-existing failures `ctx`'s task is about pass, unless the
/// draft already names each of them (a rewrite keeps the phase it had). Returns what it did.
pub fn adopt(d: &mut Draft, ctx: &Context<'_>) -> Option<Action> {
    let baseline = ctx.baseline?;
    let text: String = d.phases.iter().map(|p| p.text_raw()).collect();
    let about: Vec<FailingTest<'_>> = baseline
        .failures_about(ctx.task)
        .into_iter()
        .filter(|f| !text.contains(f.test))
        .collect();
    if about.is_empty() {
        return None;
    }
    let key = d.fresh_key("fix-pre-existing-failures");
    let p = phase(&key, &about, ctx);
    let preflight = d
        .phases
        .iter()
        .find(|p| p.role == Role::Preflight)
        .map(|p| p.key.clone());
    if let Some(next) = d.phases.iter_mut().find(|p| p.role != Role::Preflight) {
        next.depends(&key);
    }
    let mut p = p;
    if let Some(pre) = &preflight {
        p.depends(pre);
    }
    d.insert(1, p);
    let names = tests_list(&about);
    d.thesis.push(format!(
        "{names} already fail{s} on the untouched repository and the task is about {them}, so the first phase after the preflight makes {them} pass.",
        s = if about.len() == 1 { "s" } else { "" },
        them = if about.len() == 1 { "it" } else { "them" },
    ));
    Some(Action {
        origin: "baseline".into(),
        text: "Make the pre-existing failures the task is about pass.".into(),
        outcome: Outcome::Applied(vec![format!("phase `{key}` added for {names}")]),
    })
}

fn tests_list(about: &[FailingTest<'_>]) -> String {
    let shown: Vec<String> = about.iter().map(|f| format!("`{}`", f.test)).collect();
    prose_list(&shown, "the failing tests")
}

fn phase(key: &str, about: &[FailingTest<'_>], ctx: &Context<'_>) -> DPhase {
    let names = tests_list(about);
    let mut p = DPhase::new(
        key,
        Role::Core,
        format!("Make the pre-existing failures pass: {names}"),
        format!("{names} fail on the untouched repository (the baseline); the task is about them, so this phase finds why and makes them pass without breaking a test that passes today."),
        2,
    );
    let mut commands: Vec<&str> = about.iter().map(|f| f.command).collect();
    commands.dedup();
    for f in about {
        let evidence = f
            .evidence
            .map(|e| format!(" (its output is in {e})"))
            .unwrap_or_default();
        p.step(format!(
            "Read the failure of `{}` under `{}`{evidence}: it fails before any change, so its message is the first clue.",
            f.test, f.command
        ));
        if let Some(file) = test_file(f.test, ctx) {
            p.file(file.clone(), FileAction::Modify);
            p.step(format!(
                "Find the cause in the code `{file}` exercises and fix it there; change `{file}` itself only where the test is what is wrong, and say why in the commit."
            ));
        }
    }
    for c in &commands {
        p.step(format!(
            "Run `{c}` again: the tests above pass and every test that passed on the baseline still passes."
        ));
        p.gate(c.to_string());
    }
    p.criterion(format!(
        "{names} pass under {}, and no test that passed on the baseline (evidence/baseline.json) fails.",
        prose_list(
            &commands.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>(),
            "the test command"
        )
    ));
    p.phase.rollback = "Revert this phase's commits: the tests fail again exactly as on the baseline, which evidence/baseline.json records, and nothing else changes.".into();
    p
}

/// The file of a test id when it exists in the repository (`tests/test_x.py::test_y` →
/// `tests/test_x.py`).
fn test_file(test: &str, ctx: &Context<'_>) -> Option<String> {
    let path = test.split("::").next()?.trim();
    let looks_like_file = path.contains('/') || path.contains('.');
    let inside = !std::path::Path::new(path).is_absolute() && !path.contains("..");
    (looks_like_file && inside && ctx.repo_root.join(path).is_file()).then(|| path.to_string())
}

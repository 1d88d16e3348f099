//! The file checks: the files defining what the task names are touched ([`Check::NamedFile`]),
//! every file a plan changes exists or is created first ([`Check::Missing`]), and no phase
//! changes what an earlier phase deleted or renamed ([`Check::Contradiction`]).
use super::{hit, Check, Dimension, Hit};
use crate::model::validate::path_problem;
use crate::model::Context;
use crate::model::{FileAction, Plan, Severity};
use crate::offline::scan::{clip, exists_in_repo, phase_location, PLAN_LOCATION};
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

/// Most files a name may resolve to for the check to demand one of them: a name defined in
/// more places (`new`, `parse`) does not say which file the task is about.
pub const MAX_NAMED_FILES: usize = 3;

/// [`Check::NamedFile`]: for every name of the task that the code index resolved exactly to a
/// definition in at most [`MAX_NAMED_FILES`] files, one of those files must be touched (created,
/// modified or deleted) by some phase. Otherwise a critical finding at `plan/plan.md`: the plan
/// changes other files than the ones the task is about.
pub fn named_files(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let touched: BTreeSet<&str> = plan
        .phases
        .iter()
        .flat_map(|p| p.files.iter().map(|f| f.path.trim()))
        .collect();
    let mut out = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    for name in &ctx.resolution.names {
        if !name.exact || name.symbols.is_empty() {
            continue;
        }
        let mut files: Vec<&str> = name.symbols.iter().map(|s| s.path.as_str()).collect();
        files.sort_unstable();
        files.dedup();
        if files.is_empty() || files.len() > MAX_NAMED_FILES {
            continue;
        }
        if files.iter().any(|f| touched.contains(f)) {
            continue;
        }
        let key = files.join(",");
        if reported.contains(&key) {
            continue;
        }
        reported.push(key);
        let shown = files
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(" or ");
        out.push(hit(
            Check::NamedFile,
            Dimension::Correctness,
            PLAN_LOCATION,
            Severity::Critical,
            format!(
                "the task names `{}`, defined in {shown}, but no phase touches {}; the plan changes other files than the ones the task is about.",
                name.text,
                if files.len() == 1 { "it" } else { "any of them" }
            ),
            format!(
                "Change `{}` where it is defined: add {shown} to the files of the phase that implements the task, with a step that names `{}`.",
                name.text, name.text
            ),
        ));
    }
    out
}

/// [`Check::Missing`]: per phase and file, in plan order: an unsafe path (absolute, `..`,
/// control characters) → high; a `modify` or `delete` target that does not exist under the
/// repository root and that no earlier phase creates → critical; a `create` target that already
/// exists (and was not deleted earlier in the plan) → medium.
pub fn missing(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut created: BTreeSet<&str> = BTreeSet::new();
    let mut deleted: BTreeSet<&str> = BTreeSet::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        for f in &p.files {
            let path = f.path.as_str();
            if let Some(problem) = path_problem(path) {
                out.push(hit(
                    Check::Missing,
                    Dimension::Correctness,
                    &loc,
                    Severity::High,
                    format!("unsafe file path in phase {}: {problem}.", p.id),
                    "Name files by their path relative to the repository root, '/'-separated, without '..'.",
                ));
                continue;
            }
            let exists = exists_in_repo(ctx.repo_root, path);
            match f.action {
                FileAction::Create => {
                    if exists && !created.contains(path) && !deleted.contains(path) {
                        out.push(hit(
                            Check::Missing,
                            Dimension::Correctness,
                            &loc,
                            Severity::Medium,
                            format!("phase {} creates {path}, which already exists.", p.id),
                            format!("Modify {path} instead of creating it, and say what of its current content stays."),
                        ));
                    }
                    created.insert(path);
                    deleted.remove(path);
                }
                FileAction::Modify | FileAction::Delete => {
                    if !exists && !created.contains(path) {
                        let verb = if f.action == FileAction::Modify {
                            "modifies"
                        } else {
                            "deletes"
                        };
                        let hint = closest_hint(ctx, path);
                        out.push(hit(
                            Check::Missing,
                            Dimension::Correctness,
                            &loc,
                            Severity::Critical,
                            format!("phase {} {verb} {path}, which does not exist in the repository and no earlier phase creates.", p.id),
                            format!("Point phase {} at the file that really holds this code{hint}, or create {path} in an earlier phase.", p.id),
                        ));
                    }
                    if f.action == FileAction::Delete {
                        deleted.insert(path);
                    }
                }
            }
        }
    }
    out
}

/// `" (the code index ranks `x` first)"` when the resolution or the probe has a ranked file.
fn closest_hint(ctx: &Context<'_>, path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ranked: Vec<&str> = ctx
        .resolution
        .files
        .iter()
        .map(|f| f.path.as_str())
        .chain(ctx.probe.relevant_files.iter().map(|f| f.path.as_str()))
        .collect();
    let same_name = ranked
        .iter()
        .find(|r| r.rsplit('/').next() == Some(name) && **r != path);
    match same_name.or(ranked.first()) {
        Some(r) => format!(" (for this task the code index ranks `{r}`)"),
        None => String::new(),
    }
}

/// A step that renames or moves something: `Rename `old` to `new``, `move src/a.rs to src/b.rs`.
static RENAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:rename[sd]?|renaming|move[sd]?|moving)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}?(`[^`\n]+`|[\w./-]+/[\w.-]+|[\w-]+\.[a-z]{1,5})\s+(?:to|into|as)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}?(`[^`\n]+`|[\w./-]+)").unwrap()
});

/// [`Check::Contradiction`]: a phase that modifies or deletes a file an earlier phase deleted →
/// critical; a phase that changes a file, or names in backticks a function or type, that an
/// earlier phase renamed or moved away (`Rename `a` to `b``) while not naming the new name →
/// critical for a file, high for a name. The plan contradicts itself: one of the two phases is
/// wrong.
pub fn contradictions(plan: &Plan) -> Vec<Hit> {
    let mut out = Vec::new();
    let mut deleted: BTreeMap<&str, usize> = BTreeMap::new();
    // (old, new, phase index)
    let mut renamed: Vec<(String, String, usize)> = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        for f in &p.files {
            let path = f.path.as_str();
            match f.action {
                FileAction::Create => {
                    deleted.remove(path);
                }
                FileAction::Modify | FileAction::Delete => {
                    if let Some(&j) = deleted.get(path) {
                        let d = &plan.phases[j];
                        out.push(hit(
                            Check::Contradiction,
                            Dimension::Sequencing,
                            &loc,
                            Severity::Critical,
                            format!("phase {} changes {path}, which phase {} deletes; the plan contradicts itself.", p.id, d.id),
                            format!("Decide whether {path} survives: drop the deletion in phase {} or the change in phase {}.", d.id, p.id),
                        ));
                    }
                    if f.action == FileAction::Delete {
                        deleted.insert(path, i);
                    }
                }
            }
        }
        // Renames made by earlier phases, against this phase's files and names.
        let text = {
            let mut t: Vec<&str> = vec![&p.title, &p.goal];
            t.extend(p.steps.iter().map(String::as_str));
            t.join("\n")
        };
        for (old, new, j) in renamed.iter().filter(|(_, _, j)| *j < i) {
            let d = &plan.phases[*j];
            let file_hit = p.files.iter().any(|f| {
                f.path == *old && matches!(f.action, FileAction::Modify | FileAction::Delete)
            });
            let name_hit = text.contains(&format!("`{old}`")) && !text.contains(new.as_str());
            if file_hit || name_hit {
                out.push(hit(
                    Check::Contradiction,
                    Dimension::Sequencing,
                    &loc,
                    if file_hit { Severity::Critical } else { Severity::High },
                    format!("phase {} changes `{old}`, which phase {} renames to `{new}`; the plan contradicts itself.", p.id, d.id),
                    format!("Make phase {} change `{new}`, or drop the rename in phase {}.", p.id, d.id),
                ));
            }
        }
        for s in &p.steps {
            for c in RENAME.captures_iter(s) {
                let old = c[1].trim_matches('`').trim().to_string();
                let new = c[2]
                    .trim_matches('`')
                    .trim()
                    .trim_end_matches('.')
                    .to_string();
                if !old.is_empty() && !new.is_empty() && old != new {
                    renamed.push((clip(&old, 120), clip(&new, 120), i));
                }
            }
        }
    }
    out
}

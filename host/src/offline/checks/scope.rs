//! [`Check::Scope`]: work beyond the task — an existing source file changed that nothing
//! relates to the task, and a phase tied to nothing in the task.
use super::{hit, Check, Dimension, Hit};
use crate::model::Context;
use crate::model::{FileAction, Plan, Severity};
use crate::offline::scan::{clip, exists_in_repo, phase_location, task_related};
use std::collections::BTreeSet;

/// Extensions of source files (other files — docs, manifests, configuration, CI — are
/// ancillary to any change and not judged here).
pub const SOURCE_EXTENSIONS: &[&str] = &[
    "rs", "py", "pyi", "go", "js", "jsx", "mjs", "cjs", "ts", "tsx", "java", "kt", "kts", "rb",
    "cs", "php", "c", "h", "cc", "cpp", "hpp", "swift", "scala", "ex", "exs", "sh",
];

/// Files that register or re-export the modules beside them: changing one to wire in a new
/// or related file is part of that change.
pub const MODULE_ROOTS: &[&str] = &[
    "lib.rs",
    "mod.rs",
    "main.rs",
    "__init__.py",
    "index.js",
    "index.ts",
    "index.mjs",
    "mod.ts",
    "package-info.java",
    "doc.go",
];

/// Whether `path` is a source file ([`SOURCE_EXTENSIONS`]).
pub fn is_source(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, ext)| SOURCE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()))
}

/// Whether `path` is a test file by the common layouts (`tests/`, `test/`, `__tests__/`,
/// `src/test/`, `test_*.py`, `*_test.py`, `*_test.go`, `*.test.*`, `*.spec.*`, `*Test.java`,
/// `*Tests.*`).
pub fn is_test(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let stem = name.split('.').next().unwrap_or(name);
    lower
        .split('/')
        .any(|d| matches!(d, "tests" | "test" | "__tests__" | "testing" | "spec"))
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || name.contains(".test.")
        || name.contains(".spec.")
        || path.rsplit('/').next().is_some_and(|n| {
            let s = n.split('.').next().unwrap_or(n);
            s.ends_with("Test") || s.ends_with("Tests")
        })
}

/// The file stem (`src/filter/time.rs` → `time`).
fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name)
}

/// The files the code index and the probe relate to the task: the resolution's ranked files,
/// the files of the names it resolved, its symbols' files, its tests and what they exercise,
/// its files to create, and the probe's relevant files.
pub fn related_files(ctx: &Context<'_>) -> BTreeSet<String> {
    let r = ctx.resolution;
    let mut set: BTreeSet<String> = BTreeSet::new();
    set.extend(r.files.iter().map(|f| f.path.clone()));
    set.extend(r.names.iter().flat_map(|n| n.files.iter().cloned()));
    set.extend(r.symbols.iter().map(|s| s.path.clone()));
    set.extend(r.to_create.iter().cloned());
    for t in &r.tests {
        set.insert(t.path.clone());
        set.extend(t.exercises.iter().cloned());
    }
    set.extend(ctx.probe.relevant_files.iter().map(|f| f.path.clone()));
    set
}

/// Whether the existing file `path`, changed by the plan, is related to the task (see
/// [`scope`]).
fn is_related(ctx: &Context<'_>, path: &str, related: &BTreeSet<String>, created: &[&str]) -> bool {
    if related.contains(path) || !is_source(path) {
        return true;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let task_names = crate::index::extract_names(ctx.task);
    if task_names
        .iter()
        .any(|m| m.text == path || m.text == name || m.text == stem(path))
    {
        return true;
    }
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    if MODULE_ROOTS.contains(&name) {
        let near = |p: &str| {
            let d = p.rsplit_once('/').map_or("", |(d, _)| d);
            d == dir || d.starts_with(&format!("{dir}/")) || dir.is_empty()
        };
        if created.iter().any(|c| near(c)) {
            return true;
        }
    }
    if is_test(path) {
        let text = crate::offline::scan::read_repo_file(ctx.repo_root, path).unwrap_or_default();
        return related
            .iter()
            .map(String::as_str)
            .chain(created.iter().copied())
            .filter(|r| is_source(r) && !is_test(r))
            .any(|r| {
                let s = stem(r);
                s.len() >= 3 && (path.contains(s) || crate::text::contains_word(&text, s))
            });
    }
    false
}

/// Per phase: every existing source file it modifies or deletes that nothing relates to the
/// task → high (one hit per file): not among the files the code index ranks for the task or the
/// probe found relevant, not named by the task, not a module root beside a file the plan
/// creates (registering it), not a test of a related file. Not judged when neither the
/// resolution nor the probe relates any file to the task. Then every phase after 00 that shares
/// no term with the task or a directive, touches no relevant file and is not structural
/// ([`task_related`]) → medium.
pub fn scope(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let mut out = Vec::new();
    let related = related_files(ctx);
    let created: Vec<&str> = plan
        .phases
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| f.action == FileAction::Create)
        .map(|f| f.path.as_str())
        .collect();
    if !related.is_empty() {
        let mut seen: Vec<&str> = Vec::new();
        for (i, p) in plan.phases.iter().enumerate() {
            for f in p.files.iter().filter(|f| f.action != FileAction::Create) {
                let path = f.path.trim();
                if seen.contains(&path) || !exists_in_repo(ctx.repo_root, path) {
                    continue;
                }
                seen.push(path);
                if is_related(ctx, path, &related, &created) {
                    continue;
                }
                let ranked: Vec<String> = ctx
                    .resolution
                    .files
                    .iter()
                    .map(|f| f.path.clone())
                    .chain(ctx.probe.relevant_files.iter().map(|f| f.path.clone()))
                    .take(3)
                    .map(|p| format!("`{p}`"))
                    .collect();
                out.push(hit(
                    Check::Scope,
                    Dimension::ScopeHygiene,
                    phase_location(i, p),
                    Severity::High,
                    format!("phase {} changes {path}, which nothing relates to the task: the code index does not rank it for the task, the task does not name it, and it is not a test of a file that is.", p.id),
                    format!("Make phase {} change the files the task is about instead of {path} (for this task the code index ranks {} first).", p.id, ranked.join(", ")),
                ));
            }
        }
    }
    for (i, p) in plan.phases.iter().enumerate().skip(1) {
        if !task_related(ctx, p) {
            out.push(hit(
                Check::Scope,
                Dimension::ScopeHygiene,
                phase_location(i, p),
                Severity::Medium,
                format!("phase {} (\"{}\") shares no term with the task, touches no relevant file and is not a structural phase.", p.id, clip(&p.title, 80)),
                format!("Tie phase {} to the task or remove it and list its work as out of scope.", p.id),
            ));
        }
    }
    out
}

//! The `<code>` section of planner and reviewer prompts (docs/design.md §10, "grounding"): the
//! task resolved against the code index, so a model plans from the code and not from guesses.
//!
//! In this order, each part only when it has content, the whole cut to a budget of tokens
//! (`context.code_tokens` of the configuration; a token is counted as [`CHARS_PER_TOKEN`]
//! characters, the usual estimate for code and English):
//! 1. the files that exist and matter, ranked, with why (at most [`MAX_FILES`]), then the top of
//!    the repository tree (its first-level entries, at most [`MAX_TREE`]);
//! 2. the paths the task names that do not exist yet (files to create);
//! 3. the project's test layouts and the tests that exercise the ranked code;
//! 4. definitions — the names the task resolved to first, then the ranked symbols — each with
//!    its kind, place, scope and signature and an excerpt of its first lines (at most
//!    [`EXCERPT_LINES`]), read through the query layer's confined reader
//!    ([`crate::index::query::read_lines`]), until the budget is spent.
//!
//! Rendering is deterministic for a given repository and resolution; an empty resolution (no
//! index) or a zero budget gives an empty string, and the section is left out.
use std::fmt::Write as _;
use std::path::Path;

use crate::index::query::{read_lines, QueryLimits};
use crate::model::resolution::{Resolution, SymbolRef};

/// Characters counted as one token.
pub const CHARS_PER_TOKEN: usize = 4;
/// Ranked files listed.
pub const MAX_FILES: usize = 15;
/// First-level entries of the repository listed.
pub const MAX_TREE: usize = 40;
/// Tests listed.
pub const MAX_TESTS: usize = 8;
/// Lines of one definition's excerpt.
pub const EXCERPT_LINES: u32 = 24;

/// Directories never listed in the tree (build output, dependencies, VCS metadata).
const HIDDEN: &[&str] = &[
    ".git",
    ".anneal",
    "target",
    "node_modules",
    "__pycache__",
    ".venv",
    "venv",
    "dist",
    "build",
];

/// The `<code>` section's body for `resolution` of the repository at `root`, within `tokens`.
pub fn code_context(resolution: &Resolution, root: &Path, tokens: u32) -> String {
    if tokens == 0 || resolution.is_empty() && resolution.to_create.is_empty() {
        return String::new();
    }
    let budget = tokens as usize * CHARS_PER_TOKEN;
    let mut out = String::new();
    files_part(&mut out, resolution, root);
    tests_part(&mut out, resolution);
    if out.len() >= budget {
        return cut(out, budget);
    }
    let _ = writeln!(
        out,
        "\nDefinitions (what the task names first, then by relevance):"
    );
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let mut seen = Vec::new();
    let named = resolution.names.iter().flat_map(|n| n.symbols.iter());
    for s in named.chain(resolution.symbols.iter()) {
        let key = (s.path.as_str(), s.line_start);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let block = definition(s, &root);
        if out.len() + block.len() > budget {
            break;
        }
        out.push_str(&block);
    }
    cut(out, budget)
}

fn files_part(out: &mut String, r: &Resolution, root: &Path) {
    if !r.files.is_empty() {
        let _ = writeln!(
            out,
            "Files that exist, ranked for this task (repository-relative):"
        );
        for f in r.files.iter().take(MAX_FILES) {
            let test = if f.is_test { " [test]" } else { "" };
            let _ = writeln!(out, "- {}{test} — {}", f.path, f.reasons.join("; "));
        }
    }
    let tree = top_of_tree(root);
    if !tree.is_empty() {
        let _ = writeln!(out, "Top of the repository: {}", tree.join(", "));
    }
    if !r.to_create.is_empty() {
        let _ = writeln!(
            out,
            "Named by the task but not in the repository (files to create): {}",
            r.to_create.join(", ")
        );
    }
}

fn tests_part(out: &mut String, r: &Resolution) {
    if !r.test_layouts.is_empty() {
        let _ = writeln!(
            out,
            "Test layouts of the project: {}",
            r.test_layouts.join(", ")
        );
    }
    if !r.tests.is_empty() {
        let _ = writeln!(
            out,
            "Tests that exercise this code (extend these, in their layout):"
        );
        for t in r.tests.iter().take(MAX_TESTS) {
            let module = t
                .module
                .as_deref()
                .map(|m| format!(" (mod {m})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "- {}{module} — exercises {}; {}",
                t.path,
                t.exercises.join(", "),
                t.reason
            );
        }
    }
}

/// One definition: a header line and an excerpt.
fn definition(s: &SymbolRef, root: &Path) -> String {
    let kind = serde_json::to_value(s.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    let scope = s
        .scope
        .as_deref()
        .map(|sc| format!(" in {sc}"))
        .unwrap_or_default();
    let mut b = format!(
        "\n### {} — {kind}{scope}, {}:{}-{} ({})\n",
        s.name, s.path, s.line_start, s.line_end, s.reason
    );
    let limits = QueryLimits {
        max_excerpt_lines: EXCERPT_LINES,
        max_excerpt_bytes: 4096,
        ..QueryLimits::default()
    };
    match read_lines(root, &s.path, s.line_start, s.line_end, &limits) {
        Ok(e) => {
            b.push_str(&e.text);
            if e.truncated {
                let _ = writeln!(b, "[… lines {}-{} not shown]", e.line_end + 1, s.line_end);
            }
        }
        Err(_) => {
            if let Some(sig) = &s.signature {
                let _ = writeln!(b, "{sig}");
            }
        }
    }
    b
}

/// The first-level entries of `root`, directories with a trailing `/`, sorted, hidden build
/// and VCS directories left out.
fn top_of_tree(root: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut v: Vec<String> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if HIDDEN.contains(&name.as_str()) {
                return None;
            }
            let dir = e.file_type().is_ok_and(|t| t.is_dir());
            Some(if dir { format!("{name}/") } else { name })
        })
        .collect();
    v.sort();
    v.truncate(MAX_TREE);
    v
}

/// `s` cut to at most `max` bytes at a line end, with a marker when cut.
fn cut(s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let head = &s[..end];
    let head = head.rfind('\n').map_or(head, |i| &head[..=i]);
    format!(
        "{head}[… code context cut at its budget of {} tokens]\n",
        max / CHARS_PER_TOKEN
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::{index_of, polyglot};

    #[test]
    fn carries_files_tests_and_definitions_within_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        polyglot(dir.path());
        let r = crate::index::resolve(
            &index_of(dir.path()),
            "Add `RepetitionCountTooLarge` to `ast::ErrorKind` and write lib/x.rs",
        );
        let c = code_context(&r, dir.path(), 6000);
        assert!(
            c.contains("- src/ast/mod.rs — defines ErrorKind (named in the task)"),
            "{c}"
        );
        assert!(
            c.contains("Top of the repository: Cargo.toml, README.md, app/,"),
            "{c}"
        );
        assert!(c.contains("files to create): lib/x.rs"), "{c}");
        assert!(
            c.contains("- src/ast/mod.rs (mod tests) — exercises src/ast/mod.rs"),
            "{c}"
        );
        assert!(c.contains("### ErrorKind — enum, src/ast/mod.rs:2-5 (defines `ast::ErrorKind` (named in the task))"), "{c}");
        assert!(
            c.contains("pub enum ErrorKind {\n    RepetitionCountInvalid,"),
            "{c}"
        );
        let small = code_context(&r, dir.path(), 60);
        assert!(small.len() <= 60 * CHARS_PER_TOKEN + 80, "{}", small.len());
        assert!(
            small.ends_with("[… code context cut at its budget of 60 tokens]\n"),
            "{small}"
        );
        assert!(code_context(&r, dir.path(), 0).is_empty());
        assert!(code_context(Resolution::empty(), dir.path(), 6000).is_empty());
    }
}

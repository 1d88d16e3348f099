//! Where a plan's tests go: the project's own test for the code the plan changes, never a
//! file named after the task (docs/design.md §10).
//!
//! In order:
//! 1. for each file the plan changes, its own conventional test when it exists (rule 2's
//!    names), then the tests the code index found exercising it ([`Resolution::tests`]: a test
//!    file, or an inline test module of the source file);
//! 2. the conventional test of the first file to change, in a layout the project uses
//!    ([`Resolution::test_layouts`]): the inline `#[cfg(test)] mod tests` of a Rust file,
//!    `foo_test.go` beside `foo.go`, `tests/test_foo.py`, `foo.test.ts` (or `test/foo.test.js`
//!    when the layout puts them there), `src/test/java/…/FooTest.java`; it may not exist yet;
//! 3. without an index: an existing test file the probe ranked relevant, else an existing
//!    conventional test of the first file to change (a Rust file holding `#[cfg(test)]`, an
//!    existing `foo_test.go`, …);
//! 4. otherwise none: the plan then says "the project's existing tests for `file`".
//!
//! Benchmarks (`benches/`, `*_bench.*`) are never a test site.
use super::paths::{ext_of, is_test_path, parent_of};
use crate::model::resolution::Resolution;
use crate::model::FileAction;
use std::path::Path;

/// A test location: a test file, or an inline test module of a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestSite {
    /// Repository-relative path of the file to extend (for an inline module: the source file).
    pub path: String,
    /// Inline test module (`tests` for Rust `#[cfg(test)] mod tests`), or a class/group.
    pub module: Option<String>,
    /// Whether the file exists already (`modify`) or follows the layout and is new (`create`).
    pub exists: bool,
    /// Why this is the site (`imports src/ast/mod.rs`, `*_test.go layout`).
    pub reason: String,
}

impl TestSite {
    /// How steps name it: "`tests/test_auth.py`" or "the `tests` module of `src/ast/mod.rs`".
    pub fn label(&self) -> String {
        match &self.module {
            Some(m) => format!("the `{m}` module of `{}`", self.path),
            None => format!("`{}`", self.path),
        }
    }

    /// The file action that puts it in a phase.
    pub fn action(&self) -> FileAction {
        if self.exists {
            FileAction::Modify
        } else {
            FileAction::Create
        }
    }
}

/// Whether a path is a benchmark, not a test.
pub fn is_bench_path(p: &str) -> bool {
    let lower = p.to_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    lower
        .split('/')
        .any(|s| matches!(s, "benches" | "benchmarks" | "bench"))
        || file.starts_with("bench_")
        || file.contains("_bench")
        || file.contains(".bench.")
        || file
            .split('.')
            .next()
            .is_some_and(|stem| stem.ends_with("benchmark") || stem.ends_with("benchmarks"))
}

/// Example, demo and sample code (`examples/`, `_examples/`, `demo/`, `samples/`…): code that
/// shows the project, not code a change to the project goes into, unless the task is about it.
pub fn is_example_path(p: &str) -> bool {
    p.to_lowercase().split('/').rev().skip(1).any(|s| {
        matches!(
            s.trim_start_matches('_'),
            "example" | "examples" | "demo" | "demos" | "sample" | "samples"
        )
    })
}

/// Whether `task` is about examples, demos or samples (then their files may be changed).
pub fn task_mentions_examples(task: &str) -> bool {
    let lower = task.to_lowercase();
    ["example", "demo", "sample"]
        .iter()
        .any(|w| lower.contains(w))
}

/// The test sites from an index resolution for `changed` (the files the plan modifies, best
/// first), at most `max`; rules 1–2 of the module docs.
pub fn from_resolution(
    res: &Resolution,
    changed: &[String],
    root: &Path,
    max: usize,
) -> Vec<TestSite> {
    let mut out: Vec<TestSite> = Vec::new();
    let push = |s: TestSite, out: &mut Vec<TestSite>| {
        if out.len() < max && !is_bench_path(&s.path) && !out.iter().any(|o| o.path == s.path) {
            out.push(s);
        }
    };
    // Tests of the changed files first, in the order of the files: the file's own conventional
    // test when it exists (`EntitiesTest.java` for `Entities.java`, the inline `mod tests` of a
    // Rust file), then the tests the index saw exercising it.
    for f in changed {
        if let Some(own) = candidates(f, root)
            .into_iter()
            .find(|c| c.exists && !is_bench_path(&c.path))
        {
            push(own, &mut out);
        }
        for t in res.tests.iter().filter(|t| t.exercises.contains(f)) {
            push(from_ref(t), &mut out);
        }
    }
    if out.is_empty() {
        if let Some(f) = changed.first() {
            if let Some(s) = by_layout(f, &res.test_layouts, res, root) {
                push(s, &mut out);
            }
        }
    }
    if out.is_empty() {
        for t in &res.tests {
            push(from_ref(t), &mut out);
        }
    }
    out
}

fn from_ref(t: &crate::model::resolution::TestRef) -> TestSite {
    TestSite {
        path: t.path.clone(),
        module: t.module.clone(),
        exists: true,
        reason: t.reason.clone(),
    }
}

/// Without an index (rule 3): the probe's relevant test files that exist, else an existing
/// conventional test of the first changed file.
pub fn from_probe(probe_tests: &[String], changed: &[String], root: &Path) -> Vec<TestSite> {
    let exists = |p: &str| !p.is_empty() && root.join(p).is_file();
    let mut out: Vec<TestSite> = probe_tests
        .iter()
        .filter(|t| !is_bench_path(t) && (exists(t) || !root.is_dir()))
        .take(2)
        .map(|t| TestSite {
            path: t.clone(),
            module: None,
            exists: true,
            reason: "ranked relevant by the probe".to_string(),
        })
        .collect();
    if out.is_empty() {
        if let Some(f) = changed.first() {
            out.extend(
                candidates(f, root)
                    .into_iter()
                    .find(|c| c.exists && !is_bench_path(&c.path)),
            );
        }
    }
    out
}

/// The conventional test of `source` in one of the project's `layouts` (rule 2): an existing
/// one when there is, else a new one in the first layout that fits the language.
fn by_layout(source: &str, layouts: &[String], res: &Resolution, root: &Path) -> Option<TestSite> {
    let cands = candidates(source, root);
    let fits = |c: &TestSite| layouts.iter().any(|l| layout_fits(l, c, res));
    cands
        .iter()
        .find(|c| c.exists && fits(c))
        .or_else(|| cands.iter().find(|c| fits(c)))
        .cloned()
        .map(|mut c| {
            if let Some(l) = layouts.iter().find(|l| layout_fits(l, &c, res)) {
                c.reason = format!("{} ({l} layout)", c.reason);
            }
            // An inline module goes into the source file, which exists.
            c.exists |= c.module.is_some();
            c
        })
}

/// Whether the candidate `c` follows the layout `l` (as the index names layouts: `inline
/// #[cfg(test)] mod`, `tests/`, `*_test.go`, `test_*.py`, `*.test.ts`, `test/*.test.js`, …).
fn layout_fits(l: &str, c: &TestSite, res: &Resolution) -> bool {
    let l = l.to_lowercase();
    let file = c.path.rsplit('/').next().unwrap_or(&c.path);
    if c.module.is_some() {
        return l.contains("cfg(test)") || l.contains("inline");
    }
    if l.contains("inline") || l.contains("cfg(test)") {
        return false;
    }
    // A pattern such as `*_test.go`, `test_*.py`, `*.test.ts`, `test/*.test.js`.
    if let Some(star) = l.find('*') {
        let (dir_and_prefix, suffix) = (&l[..star], &l[star + 1..]);
        let (dir, prefix) = match dir_and_prefix.rfind('/') {
            Some(i) => (&dir_and_prefix[..i], &dir_and_prefix[i + 1..]),
            None => ("", dir_and_prefix),
        };
        let in_dir = dir.is_empty() || c.path.split('/').any(|s| s == dir);
        return in_dir && file.starts_with(prefix) && file.ends_with(suffix);
    }
    // A directory layout (`tests/`): the candidate lies in such a directory, next to where
    // the project's tests are.
    let dir = l.trim_end_matches('/');
    let in_dir = c.path.split('/').any(|s| s == dir);
    in_dir
        && (res.tests.is_empty()
            || res
                .tests
                .iter()
                .any(|t| parent_of(&t.path) == parent_of(&c.path)))
}

/// Conventional test locations of `source`, most specific first, each marked as existing or
/// not (a Rust file holding `#[cfg(test)]` gives its inline `tests` module).
pub fn candidates(source: &str, root: &Path) -> Vec<TestSite> {
    if is_test_path(source) {
        return Vec::new();
    }
    let exists = |p: &str| root.join(p).is_file();
    let file = source.rsplit('/').next().unwrap_or(source);
    let Some(ext) = ext_of(source) else {
        return Vec::new();
    };
    let stem = &file[..file.len() - ext.len() - 1];
    let dir = parent_of(source);
    let d = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut out: Vec<(String, Option<String>)> = Vec::new();
    match ext {
        "rs" => {
            out.push((source.to_string(), Some("tests".into())));
            let krate = match dir.split('/').position(|s| s == "src") {
                Some(0) | None => String::new(),
                Some(i) => format!("{}/", dir.split('/').take(i).collect::<Vec<_>>().join("/")),
            };
            let name = if matches!(stem, "mod" | "lib" | "main") {
                dir.rsplit('/').next().unwrap_or(stem)
            } else {
                stem
            };
            out.push((format!("{krate}tests/{name}.rs"), None));
        }
        "go" => out.push((format!("{d}{stem}_test.go"), None)),
        "py" => {
            let name = if stem == "__init__" {
                dir.rsplit('/').next().unwrap_or(stem)
            } else {
                stem
            };
            for c in [
                format!("tests/test_{name}.py"),
                format!("test/test_{name}.py"),
                format!("{d}tests/test_{name}.py"),
                format!("{d}test_{name}.py"),
                format!("tests/{name}_test.py"),
            ] {
                out.push((c, None));
            }
        }
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" => {
            for c in [
                format!("{d}{stem}.test.{ext}"),
                format!("{d}{stem}.spec.{ext}"),
                format!("{d}__tests__/{stem}.test.{ext}"),
                format!("test/{stem}.test.{ext}"),
                format!("test/{stem}.spec.{ext}"),
                format!("test/{stem}.{ext}"),
                format!("tests/{stem}.test.{ext}"),
                format!("__tests__/{stem}.test.{ext}"),
            ] {
                out.push((c, None));
            }
        }
        "java" | "kt" if dir.contains("src/main/") => {
            let tdir = dir.replacen("src/main/", "src/test/", 1);
            out.push((format!("{tdir}/{stem}Test.{ext}"), None));
        }
        "rb" => {
            out.push((format!("spec/{stem}_spec.rb"), None));
            out.push((format!("test/{stem}_test.rb"), None));
        }
        _ => {}
    }
    out.into_iter()
        .map(|(path, module)| {
            let inline = module.is_some();
            let exists = if inline {
                has_inline_tests(root, &path)
            } else {
                exists(&path)
            };
            TestSite {
                reason: if inline {
                    format!("inline #[cfg(test)] mod in {path}")
                } else {
                    format!("the conventional test of {source}")
                },
                path,
                module,
                exists,
            }
        })
        .collect()
}

/// Whether the Rust file at `rel` holds an inline test module (`#[cfg(test)]`), read-only and
/// bounded (256 KiB).
fn has_inline_tests(root: &Path, rel: &str) -> bool {
    let p = root.join(rel);
    match std::fs::metadata(&p) {
        Ok(m) if m.is_file() && m.len() <= 256 * 1024 => std::fs::read_to_string(&p)
            .map(|s| s.contains("#[cfg(test)]"))
            .unwrap_or(false),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_and_benchmarks_are_told_apart_from_the_code_a_change_goes_into() {
        for p in [
            "_examples/rest/main.go",
            "examples/hello/src/main.rs",
            "docs/demo/app.py",
            "samples/x.java",
        ] {
            assert!(is_example_path(p), "{p}");
        }
        for p in [
            "src/example.rs",
            "lib/examples.ts",
            "middleware/compress.go",
        ] {
            assert!(!is_example_path(p), "{p}");
        }
        assert!(is_bench_path(
            "metrics/src/main/java/com/google/gson/metrics/ParseBenchmark.java"
        ));
        assert!(!is_bench_path("src/walk.rs"));
        assert!(task_mentions_examples("Update the REST example"));
        assert!(!task_mentions_examples("Add a Clone method to Context"));
    }
}

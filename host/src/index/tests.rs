//! Build, cache and graph tests on small real repositories written here.
use super::cache::CacheMode;
use super::graph::LinkHow;
use super::*;
use std::path::Path;
use std::time::Duration;

pub(crate) fn touch(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The files under `root` (sorted, `.anneal/` left out), as the probe's walk would give them.
pub(crate) fn files(root: &Path) -> Vec<SourceFile> {
    let mut v: Vec<SourceFile> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".anneal")
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| SourceFile {
            rel: e
                .path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/"),
            abs: e.path().to_path_buf(),
            size: e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .collect();
    v.sort_by(|a, b| a.rel.cmp(&b.rel));
    v
}

pub(crate) fn index_of(root: &Path) -> CodeIndex {
    build(root, &files(root), &Limits::default())
}

/// A small polyglot repository: a Rust crate, a Go package, a Python app, a TypeScript module,
/// a Java project, each with tests in its own layout.
pub(crate) fn polyglot(root: &Path) {
    touch(
        root,
        "Cargo.toml",
        "[package]\nname = \"rx\"\nversion = \"0.1.0\"\n",
    );
    touch(
        root,
        "src/lib.rs",
        "pub mod ast;\npub mod parse;\npub mod stages;\n",
    );
    touch(
        root,
        "src/ast/mod.rs",
        "/// What went wrong.\npub enum ErrorKind {\n    RepetitionCountInvalid,\n    RepetitionCountUnclosed,\n}\n\n\
         pub struct Ast;\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn kinds() { let _ = ErrorKind::RepetitionCountInvalid; }\n}\n",
    );
    touch(
        root,
        "src/parse.rs",
        "use crate::ast::{self, ErrorKind};\n\npub struct Parser;\n\nimpl Parser {\n    pub fn parse_counted_repetition(&self) -> Result<u32, ErrorKind> {\n        Err(ErrorKind::RepetitionCountUnclosed)\n    }\n}\n",
    );
    touch(
        root,
        "src/stages/mod.rs",
        "pub fn run_stage() {}\n\n#[cfg(test)]\nmod tests;\n",
    );
    touch(
        root,
        "src/stages/tests.rs",
        "use super::*;\n#[test]\nfn runs() { run_stage(); }\n",
    );
    touch(
        root,
        "tests/parse.rs",
        "use rx::parse::Parser;\n#[test]\nfn counted() { assert!(Parser.parse_counted_repetition().is_err()); }\n",
    );
    touch(root, "pflag/flag.go", "package pflag\n\ntype FlagSet struct{}\n\nfunc (f *FlagSet) ShorthandLookup(name string) string { return name }\n");
    touch(root, "pflag/flag_test.go", "package pflag\n\nimport \"testing\"\n\nfunc TestShorthand(t *testing.T) { (&FlagSet{}).ShorthandLookup(\"x\") }\n");
    touch(root, "app/__init__.py", "");
    touch(root, "app/auth.py", "def login(user, password):\n    return check_password(user, password)\n\ndef check_password(u, p):\n    return True\n");
    touch(
        root,
        "tests/test_auth.py",
        "from app.auth import login\n\ndef test_login():\n    assert login('a', 'b')\n",
    );
    touch(
        root,
        "web/src/parse.ts",
        "export function parseArgs(argv: string[]): string[] { return argv; }\n",
    );
    touch(
        root,
        "web/src/parse.test.ts",
        "import { parseArgs } from './parse';\n\ntest('parses', () => { parseArgs([]); });\n",
    );
    touch(
        root,
        "java/src/main/java/com/acme/Engine.java",
        "package com.acme;\n\npublic class Engine {\n    public void start() {}\n}\n",
    );
    touch(
        root,
        "java/src/test/java/com/acme/EngineTest.java",
        "package com.acme;\n\nclass EngineTest {\n    void starts() { new Engine().start(); }\n}\n",
    );
    touch(root, "README.md", "# rx\n");
}

fn link<'a>(g: &'a Graph, test: &str, source: &str) -> Option<&'a TestLink> {
    g.tests
        .iter()
        .find(|t| t.test == test && t.source == source)
}

#[test]
fn polyglot_index_summary() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let idx = index_of(dir.path());
    let r = &idx.report;
    let langs: Vec<(&str, u32)> = r
        .files_per_language
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        langs,
        [
            ("Go", 2),
            ("Java", 2),
            ("Python", 3),
            ("Rust", 6),
            ("TypeScript", 2)
        ]
    );
    assert_eq!(r.files, 15);
    assert!(r.definitions >= 15, "{r:?}");
    assert!(r.references > 0 && r.edges > 0 && r.test_links > 0, "{r:?}");
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert!(idx.has_path("README.md") && idx.file("README.md").is_none());
    assert_eq!(idx.definitions("ErrorKind")[0].file.path, "src/ast/mod.rs");
    assert_eq!(idx.fuzzy_definitions("error_kind")[0].def.name, "ErrorKind");
}

#[test]
fn imports_and_names_link_files() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let g = &index_of(dir.path()).graph;
    let e = g
        .edges
        .iter()
        .find(|e| e.from == "src/parse.rs" && e.to == "src/ast/mod.rs")
        .expect("parse → ast");
    assert!(e.imports, "{e:?}");
    assert!(e.names.contains(&"ErrorKind".to_string()), "{e:?}");
    assert_eq!(g.users_of("src/ast/mod.rs")[0].from, "src/parse.rs");
}

#[test]
fn tests_follow_each_layout() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let g = &index_of(dir.path()).graph;
    let inline = link(g, "src/ast/mod.rs", "src/ast/mod.rs").expect("inline mod tests");
    assert_eq!(
        (inline.how, inline.module.as_deref()),
        (LinkHow::Inline, Some("tests"))
    );
    assert_eq!(
        link(g, "src/stages/tests.rs", "src/stages/mod.rs")
            .expect("mod tests;")
            .how,
        LinkHow::Inline
    );
    assert_eq!(
        link(g, "tests/parse.rs", "src/parse.rs")
            .expect("tests/")
            .how,
        LinkHow::Import
    );
    assert_eq!(
        link(g, "pflag/flag_test.go", "pflag/flag.go")
            .expect("_test.go")
            .how,
        LinkHow::Layout
    );
    assert_eq!(
        link(g, "tests/test_auth.py", "app/auth.py")
            .expect("test_*.py")
            .how,
        LinkHow::Import
    );
    assert_eq!(
        link(g, "web/src/parse.test.ts", "web/src/parse.ts")
            .expect("*.test.ts")
            .how,
        LinkHow::Import
    );
    let java = link(
        g,
        "java/src/test/java/com/acme/EngineTest.java",
        "java/src/main/java/com/acme/Engine.java",
    )
    .expect("src/test/java");
    assert_eq!(java.how, LinkHow::Layout);
    let layouts: Vec<&str> = g.layouts.iter().map(|(l, _)| l.as_str()).collect();
    for l in [
        "inline #[cfg(test)] mod",
        "tests/*.rs",
        "*_test.go",
        "test_*.py",
        "*.test.<js|ts>",
        "src/test/java/",
    ] {
        assert!(layouts.contains(&l), "{l}: {layouts:?}");
    }
}

#[test]
fn second_build_reuses_the_cache_and_a_change_reparses_one_file() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let first = index_of(dir.path());
    assert_eq!(first.report.cache.hits, 0);
    assert_eq!(first.report.cache.misses, 15);
    assert!(cache::path(dir.path()).is_file());
    let second = index_of(dir.path());
    assert_eq!(
        (second.report.cache.hits, second.report.cache.misses),
        (15, 0)
    );
    assert_eq!(second.report.cache.status, "reused");
    assert_eq!(second.files, first.files);
    assert_eq!(second.graph, first.graph);
    touch(
        dir.path(),
        "app/auth.py",
        "def login(user):\n    return True\n\ndef logout(user):\n    pass\n",
    );
    let third = index_of(dir.path());
    assert_eq!(
        (third.report.cache.hits, third.report.cache.misses),
        (14, 1)
    );
    assert_eq!(third.report.cache.status, "partly reused");
    assert_eq!(third.definitions("logout").len(), 1);
}

#[test]
fn corrupt_or_foreign_cache_is_ignored_and_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    index_of(dir.path());
    std::fs::write(cache::path(dir.path()), "{ not json").unwrap();
    let idx = index_of(dir.path());
    assert!(
        idx.report.cache.status.contains("corrupt"),
        "{:?}",
        idx.report.cache
    );
    assert_eq!(idx.report.cache.misses, 15);
    std::fs::write(
        cache::path(dir.path()),
        r#"{"format": 999, "limits": "", "entries": []}"#,
    )
    .unwrap();
    let idx = index_of(dir.path());
    assert!(
        idx.report.cache.status.contains("format 999"),
        "{:?}",
        idx.report.cache
    );
    // Rewritten: the next build reuses it.
    assert_eq!(index_of(dir.path()).report.cache.status, "reused");
}

#[test]
fn cache_modes() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    let off = Limits {
        cache: CacheMode::Off,
        ..Limits::default()
    };
    let idx = build(dir.path(), &files(dir.path()), &off);
    assert_eq!(idx.report.cache.status, "disabled");
    assert!(!cache::path(dir.path()).exists());
    index_of(dir.path());
    let cold = Limits {
        cache: CacheMode::Rebuild,
        ..Limits::default()
    };
    let idx = build(dir.path(), &files(dir.path()), &cold);
    assert_eq!(idx.report.cache.misses, 15);
}

#[test]
fn bounds_are_honoured_and_skips_reported() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    touch(dir.path(), "gen/api.pb.go", "package api\nfunc X() {}\n");
    touch(
        dir.path(),
        "gen/stringer.go",
        "// Code generated by stringer. DO NOT EDIT.\npackage gen\n",
    );
    touch(dir.path(), "big/huge.rs", &"fn f() {}\n".repeat(200));
    let limits = Limits {
        max_files: 10,
        max_file_bytes: 1000,
        ..Limits::default()
    };
    let idx = build(dir.path(), &files(dir.path()), &limits);
    let r = &idx.report;
    assert_eq!(
        r.files as usize + r.skipped_by_reason.values().sum::<u32>() as usize,
        18,
        "{r:?}"
    );
    assert!(r.files <= 10);
    let reason = |p: &str| {
        r.skipped
            .iter()
            .find(|s| s.path == p)
            .map(|s| s.reason.clone())
    };
    assert_eq!(
        reason("big/huge.rs").as_deref(),
        Some("larger than max_file_bytes (1000)")
    );
    assert!(
        r.skipped_by_reason.contains_key("over max_files (10)"),
        "{r:?}"
    );
    let all = build(dir.path(), &files(dir.path()), &Limits::default());
    let reason = |p: &str| {
        all.report
            .skipped
            .iter()
            .find(|s| s.path == p)
            .map(|s| s.reason.clone())
    };
    assert_eq!(
        reason("gen/api.pb.go").as_deref(),
        Some("generated (by name)")
    );
    assert_eq!(
        reason("gen/stringer.go").as_deref(),
        Some("generated (marker in the header)")
    );

    let no_time = Limits {
        time_budget: Duration::ZERO,
        cache: CacheMode::Off,
        ..Limits::default()
    };
    let idx = build(dir.path(), &files(dir.path()), &no_time);
    assert_eq!(idx.report.files, 0);
    assert_eq!(
        idx.report.skipped_by_reason.get("time budget (0 ms) spent"),
        Some(&18)
    );
}

#[test]
fn unwritable_cache_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    // A file where the cache directory should be.
    touch(dir.path(), ".anneal", "not a directory");
    let idx = index_of(dir.path());
    assert_eq!(idx.report.files, 15);
    assert!(
        idx.report
            .cache
            .write_error
            .as_deref()
            .unwrap_or("")
            .contains("cannot write"),
        "{:?}",
        idx.report.cache
    );
}

#[test]
fn the_body_of_a_cfg_test_module_is_a_test_file_without_flags() {
    let dir = tempfile::tempdir().unwrap();
    touch(
        dir.path(),
        "src/lib.rs",
        "pub fn cli() -> &'static str { \"--real\" }\n#[cfg(test)]\nmod sweep;\n",
    );
    touch(
        dir.path(),
        "src/sweep.rs",
        "#[test]\nfn t() { super::run(&[\"--json\"]); }\n",
    );
    let idx = index_of(dir.path());
    let sweep = idx.file("src/sweep.rs").unwrap();
    assert!(sweep.is_test);
    assert!(idx.definitions("--json").is_empty());
    assert_eq!(idx.definitions("--real").len(), 1);
}

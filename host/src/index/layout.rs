//! Test layouts and generated code: which files are tests, which source file a test file's name
//! points at, and which files no one edits by hand (docs/design.md §10, "test locations are the
//! project's own").
//!
//! Layouts recognised (each with the label [`TestLayout::label`] reports):
//! Rust inline `#[cfg(test)] mod` (found by the parser, not here) and `tests/`;
//! Go `*_test.go`; Python `test_*.py` and `*_test.py`; JavaScript/TypeScript `*.test.ts`,
//! `*.spec.ts` (any JS/TS extension) and `__tests__/`; Java `src/test/java/`; and a generic
//! `test/`/`tests/`/`spec/` directory for the rest.

/// One way a project lays out its tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TestLayout {
    /// `#[cfg(test)] mod tests` inside a Rust source file.
    RustInline,
    /// `tests/*.rs` integration tests of a crate.
    RustTestsDir,
    /// `foo_test.go` beside `foo.go`.
    GoTestFile,
    /// `test_foo.py`.
    PyTestPrefix,
    /// `foo_test.py`.
    PyTestSuffix,
    /// `foo.test.ts` (or `.js`, `.tsx`, …).
    JsTestSuffix,
    /// `foo.spec.ts` (or `.js`, …).
    JsSpecSuffix,
    /// `__tests__/foo.ts`.
    JsTestsDir,
    /// `src/test/java/…/FooTest.java`.
    JavaSrcTest,
    /// Anything else under `test/`, `tests/`, `spec/` or `testing/`.
    TestsDir,
}

impl TestLayout {
    /// The label shown in the resolution (`Resolution::test_layouts`) and the probe report.
    pub fn label(self) -> &'static str {
        match self {
            TestLayout::RustInline => "inline #[cfg(test)] mod",
            TestLayout::RustTestsDir => "tests/*.rs",
            TestLayout::GoTestFile => "*_test.go",
            TestLayout::PyTestPrefix => "test_*.py",
            TestLayout::PyTestSuffix => "*_test.py",
            TestLayout::JsTestSuffix => "*.test.<js|ts>",
            TestLayout::JsSpecSuffix => "*.spec.<js|ts>",
            TestLayout::JsTestsDir => "__tests__/",
            TestLayout::JavaSrcTest => "src/test/java/",
            TestLayout::TestsDir => "tests/",
        }
    }
}

const TEST_DIRS: &[&str] = &["test", "tests", "spec", "__tests__", "testing"];

fn name_of(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// True for test files: under a `test`, `tests`, `spec`, `__tests__` or `testing` directory, or
/// named like `test_x.py`, `x_test.go`, `x.test.ts`, `x.spec.js`, `x_spec.rb`, `XTest.java`, or
/// `tests.rs`/`tests.py`/`conftest.py` (a Rust `mod tests;` body, a Django app's tests).
pub fn is_test_path(rel: &str) -> bool {
    let mut parts = rel.rsplit('/');
    let name = parts.next().unwrap_or(rel);
    if parts.any(|d| TEST_DIRS.contains(&d)) {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    matches!(stem, "tests" | "conftest")
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_spec")
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
        || name.contains(".test.")
        || name.contains(".spec.")
}

/// The layout of a test file at `rel` (`None` for a file that is not a test file by its path).
pub fn layout_of(rel: &str) -> Option<TestLayout> {
    let name = name_of(rel);
    let dirs: Vec<&str> = rel.split('/').rev().skip(1).collect();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let js = matches!(
        ext,
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts"
    );
    if ext == "go" && name.ends_with("_test.go") {
        return Some(TestLayout::GoTestFile);
    }
    if ext == "py" && name.starts_with("test_") {
        return Some(TestLayout::PyTestPrefix);
    }
    if ext == "py" && name.ends_with("_test.py") {
        return Some(TestLayout::PyTestSuffix);
    }
    if js && name.contains(".test.") {
        return Some(TestLayout::JsTestSuffix);
    }
    if js && name.contains(".spec.") {
        return Some(TestLayout::JsSpecSuffix);
    }
    if js && dirs.contains(&"__tests__") {
        return Some(TestLayout::JsTestsDir);
    }
    if ext == "java" && rel.contains("src/test/java/") {
        return Some(TestLayout::JavaSrcTest);
    }
    if ext == "rs" && dirs.contains(&"tests") {
        return Some(TestLayout::RustTestsDir);
    }
    is_test_path(rel).then_some(TestLayout::TestsDir)
}

/// The stem of the source file a test file's name points at, lowercase: `test_auth.py` →
/// `auth`, `server_test.go` → `server`, `parse.test.ts` → `parse`, `ParserTest.java` →
/// `parser`, `tests/cli.rs` → `cli`. `None` for a generic name (`test.py`, `mod.rs`, `index.ts`).
pub fn subject_stem(rel: &str) -> Option<String> {
    let name = name_of(rel);
    let base = name.split('.').next().unwrap_or(name);
    let stripped = base
        .strip_prefix("test_")
        .or_else(|| base.strip_suffix("_test"))
        .or_else(|| base.strip_suffix("_spec"))
        .or_else(|| base.strip_suffix("Tests"))
        .or_else(|| base.strip_suffix("Test"))
        .unwrap_or(base);
    let lower = stripped.to_ascii_lowercase();
    let generic = [
        "", "test", "tests", "mod", "index", "main", "lib", "init", "__init__", "conftest",
        "common", "utils", "helpers",
    ];
    (!generic.contains(&lower.as_str())).then_some(lower)
}

/// The stem of a source file for matching against [`subject_stem`]: `src/auth.py` → `auth`,
/// `src/ast/mod.rs` → `ast` (a module file is named by its directory).
pub fn source_stem(rel: &str) -> String {
    let name = name_of(rel);
    let base = name.split('.').next().unwrap_or(name);
    if matches!(base, "mod" | "index" | "__init__") {
        if let Some(dir) = rel.rsplit('/').nth(1) {
            return dir.to_ascii_lowercase();
        }
    }
    base.to_ascii_lowercase()
}

/// Why a file is generated (not written by hand), or `None`: by name (`*.pb.go`, `*_pb2.py`,
/// `*.min.js`, `*.generated.*`, `*.g.dart`) or by a marker in its first 1 KiB (`Code generated …
/// DO NOT EDIT`, `@generated`, `auto-generated`, `autogenerated`), or minified (an average line
/// longer than 400 characters).
pub fn generated_reason(rel: &str, text: &str) -> Option<&'static str> {
    let name = name_of(rel).to_ascii_lowercase();
    let by_name = [
        ".pb.go",
        "_pb2.py",
        "_pb2_grpc.py",
        ".pb.rs",
        ".min.js",
        ".bundle.js",
        ".g.dart",
    ];
    if by_name.iter().any(|s| name.ends_with(s)) || name.contains(".generated.") {
        return Some("generated (by name)");
    }
    let mut head_end = text.len().min(1024);
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let head = text[..head_end].to_ascii_lowercase();
    if head.contains("do not edit") && head.contains("generated")
        || head.contains("@generated")
        || head.contains("auto-generated")
        || head.contains("autogenerated")
    {
        return Some("generated (marker in the header)");
    }
    let lines = text.lines().count().max(1);
    (text.len() / lines > 400).then_some("minified (average line over 400 characters)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_paths() {
        assert!(is_test_path("tests/test_auth.py"));
        assert!(is_test_path("pkg/server_test.go"));
        assert!(is_test_path("web/src/app.spec.ts"));
        assert!(is_test_path("src/test/java/AppTest.java"));
        assert!(!is_test_path("app/auth.py"));
        assert!(!is_test_path("src/contest.rs"));
        assert!(is_test_path("src/stages/hephaestus/tests.rs"));
        assert!(is_test_path("app/conftest.py"));
    }

    #[test]
    fn layouts() {
        assert_eq!(
            layout_of("pkg/server_test.go"),
            Some(TestLayout::GoTestFile)
        );
        assert_eq!(
            layout_of("tests/test_auth.py"),
            Some(TestLayout::PyTestPrefix)
        );
        assert_eq!(
            layout_of("app/auth_test.py"),
            Some(TestLayout::PyTestSuffix)
        );
        assert_eq!(
            layout_of("src/parse.test.ts"),
            Some(TestLayout::JsTestSuffix)
        );
        assert_eq!(
            layout_of("src/parse.spec.js"),
            Some(TestLayout::JsSpecSuffix)
        );
        assert_eq!(
            layout_of("src/__tests__/parse.ts"),
            Some(TestLayout::JsTestsDir)
        );
        assert_eq!(
            layout_of("src/test/java/com/x/ParserTest.java"),
            Some(TestLayout::JavaSrcTest)
        );
        assert_eq!(layout_of("tests/cli.rs"), Some(TestLayout::RustTestsDir));
        assert_eq!(
            layout_of("regex-syntax/tests/cli.rs"),
            Some(TestLayout::RustTestsDir)
        );
        assert_eq!(layout_of("src/lib.rs"), None);
    }

    #[test]
    fn subjects() {
        assert_eq!(subject_stem("tests/test_auth.py").as_deref(), Some("auth"));
        assert_eq!(subject_stem("server_test.go").as_deref(), Some("server"));
        assert_eq!(subject_stem("src/parse.test.ts").as_deref(), Some("parse"));
        assert_eq!(subject_stem("x/ParserTest.java").as_deref(), Some("parser"));
        assert_eq!(subject_stem("tests/mod.rs"), None);
        assert_eq!(source_stem("src/ast/mod.rs"), "ast");
        assert_eq!(source_stem("app/auth.py"), "auth");
    }

    #[test]
    fn generated_files() {
        assert!(generated_reason("api/x.pb.go", "package x").is_some());
        assert!(
            generated_reason("x.go", "// Code generated by stringer. DO NOT EDIT.\n").is_some()
        );
        assert!(generated_reason("x.rs", "// @generated\n").is_some());
        assert!(generated_reason("x.js", &"a".repeat(5000)).is_some());
        assert!(generated_reason("x.rs", "fn main() {}\n").is_none());
    }
}

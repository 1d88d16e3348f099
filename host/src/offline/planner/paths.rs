//! What a path is, for the planner's modules (`ground`, `focus`, `testsite`, the kinds, the
//! lenses, the rules), below all of them: its language, whether it is code or a test, its
//! extension and parent directory. Paths are repository-relative and `/`-separated.

/// Whether a path looks like a test file.
pub fn is_test_path(p: &str) -> bool {
    let lower = p.to_lowercase();
    let file = lower.rsplit('/').next().unwrap_or(&lower);
    lower.split('/').any(|s| {
        matches!(
            s,
            "tests"
                | "test"
                | "spec"
                | "specs"
                | "__tests__"
                | "testing"
                | "benches"
                | "benchmarks"
                | "bench"
        )
    }) || file.starts_with("test_")
        || file.contains("_test.")
        || file.contains(".test.")
        || file.contains(".spec.")
        || file.contains("_spec.")
        || file.starts_with("bench_")
        || file.contains("_bench")
        || file.contains(".bench.")
        || (file.ends_with("test.java") || file.ends_with("tests.cs") || file.ends_with("test.kt"))
}

/// Extension of a path, without the dot.
pub fn ext_of(p: &str) -> Option<&str> {
    let file = p.rsplit('/').next().unwrap_or(p);
    file.rfind('.').filter(|i| *i > 0).map(|i| &file[i + 1..])
}

/// Parent directory of a `/`-separated path ("" at the root).
pub fn parent_of(p: &str) -> String {
    p.rfind('/').map(|i| p[..i].to_string()).unwrap_or_default()
}

/// Language of the code the plan touches; decides file names of new tests and modules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Rust,
    Python,
    Go,
    TypeScript,
    JavaScript,
    Java,
    Kotlin,
    Ruby,
    CSharp,
    Php,
    Other,
}

impl Lang {
    /// Language of a file extension (without the dot).
    pub fn from_ext(ext: &str) -> Option<Lang> {
        Some(match ext {
            "rs" => Lang::Rust,
            "py" => Lang::Python,
            "go" => Lang::Go,
            "ts" | "tsx" => Lang::TypeScript,
            "js" | "jsx" | "mjs" | "cjs" => Lang::JavaScript,
            "java" => Lang::Java,
            "kt" => Lang::Kotlin,
            "rb" => Lang::Ruby,
            "cs" => Lang::CSharp,
            "php" => Lang::Php,
            _ => return None,
        })
    }

    /// Language of a name as the probe or a task writes it (`"Rust"`, `"typescript"`, `"golang"`).
    pub fn from_name(name: &str) -> Option<Lang> {
        Some(match name.to_lowercase().as_str() {
            "rust" => Lang::Rust,
            "python" => Lang::Python,
            "go" | "golang" => Lang::Go,
            "typescript" | "ts" => Lang::TypeScript,
            "javascript" | "js" | "node" | "nodejs" | "node.js" => Lang::JavaScript,
            "java" => Lang::Java,
            "kotlin" => Lang::Kotlin,
            "ruby" => Lang::Ruby,
            "c#" | "csharp" => Lang::CSharp,
            "php" => Lang::Php,
            _ => return None,
        })
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Go => "Go",
            Lang::TypeScript => "TypeScript",
            Lang::JavaScript => "JavaScript",
            Lang::Java => "Java",
            Lang::Kotlin => "Kotlin",
            Lang::Ruby => "Ruby",
            Lang::CSharp => "C#",
            Lang::Php => "PHP",
            Lang::Other => "the project's language",
        }
    }

    /// How a test is marked expected-to-fail so the suite stays green until the fix lands.
    pub fn pending_marker(self) -> &'static str {
        match self {
            Lang::Rust => "`#[ignore]`",
            Lang::Python => "`@pytest.mark.xfail(strict=True)`",
            Lang::Go => "`t.Skip`",
            Lang::TypeScript | Lang::JavaScript => "`it.skip` (Mocha, Jest, Vitest)",
            Lang::Java | Lang::Kotlin => "`@Disabled`",
            Lang::Ruby => "`pending`",
            Lang::CSharp => "`[Fact(Skip = …)]`",
            Lang::Php => "`markTestIncomplete`",
            Lang::Other => "the framework's expected-failure marker",
        }
    }

    /// A profiler suited to the language.
    pub fn profiler(self) -> &'static str {
        match self {
            Lang::Rust => "`perf` with `cargo flamegraph`",
            Lang::Python => "`py-spy record` or `cProfile`",
            Lang::Go => "`go test -cpuprofile` and `go tool pprof`",
            Lang::TypeScript | Lang::JavaScript => "`node --cpu-prof` (or clinic.js flame)",
            Lang::Java | Lang::Kotlin => "async-profiler or JFR",
            Lang::Ruby => "`stackprof`",
            Lang::CSharp => "`dotnet-trace`",
            Lang::Php => "Xdebug profiling or Blackfire",
            Lang::Other => "a sampling profiler",
        }
    }
}

/// Whether a path is source code (by extension).
pub fn is_code_path(p: &str) -> bool {
    ext_of(p)
        .map(|e| {
            Lang::from_ext(e).is_some()
                || matches!(
                    e,
                    "c" | "h"
                        | "cc"
                        | "cpp"
                        | "hpp"
                        | "swift"
                        | "scala"
                        | "ex"
                        | "exs"
                        | "erl"
                        | "clj"
                        | "lua"
                        | "dart"
                        | "vue"
                        | "svelte"
                        | "sql"
                        | "sh"
                )
        })
        .unwrap_or(false)
}

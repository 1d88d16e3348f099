//! The baseline: what the project's gate commands do on the untouched repository
//! (docs/design.md §10, "Validation on ordinary repositories").
//!
//! Phase 00 runs on the repository as it is, so the outcome of a gate command there is a fact
//! about the repository, not about the plan: a plan that gates on a command that already fails
//! cannot prove anything with it. Whoever ran the commands (Hephaestus on a scratch copy, or a
//! record kept from an earlier run) hands this record to the reviewers, whose gate check
//! (`offline::checks`, docs/design.md §5) turns a command that fails here into a finding.
//! Without a record (`None` wherever one is taken) nothing is judged against a baseline.
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::LazyLock;

/// The outcomes of gate commands on the untouched repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// One entry per command that ran, in the order it ran.
    pub commands: Vec<BaselineRun>,
    /// How the baseline's scratch copy was prepared, when this run recorded it (Hephaestus shows
    /// it when every phase-00 outcome comes from this record, so no preparation of its own ran).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Preparation>,
    /// The environment blocked the baseline before any command ran (a dependency that cannot
    /// be installed, a missing toolchain): why, as the preflight said it. Stage 6 reports the
    /// same finding instead of preparing a scratch copy again (docs/design.md §6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked: Option<String>,
}

/// The preflight of the baseline's scratch copy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preparation {
    /// It ran and passed; `false`: it was skipped, or it failed (then [`Baseline::blocked`]
    /// says why).
    pub ran: bool,
    /// What it prepared, or why it was skipped.
    pub detail: String,
    /// Its log (`evidence/preflight.log`), when it wrote one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

/// One command run on the untouched repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRun {
    /// The command exactly as a gate names it (compared after trimming).
    pub command: String,
    /// It exited 0 (and, for Hephaestus, left valid evidence).
    pub passed: bool,
    /// What was seen: the failing line, the exit status, or the success line.
    #[serde(default)]
    pub detail: String,
    /// Run-relative path of its evidence log, when it ran in this run
    /// (`evidence/baseline-gate-{n}.log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The tests its runner reported failing on the untouched repository, when the run was
    /// accepted as a baseline with pre-existing failures (Hephaestus's `pre_existing` rule),
    /// as the runner names them (`tests/test_x.py::test_y`). Empty otherwise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
}

/// One test that fails on the untouched repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailingTest<'a> {
    /// The gate command whose runner reported it.
    pub command: &'a str,
    /// The test as the runner names it.
    pub test: &'a str,
    /// The command's evidence log, when it ran in this run.
    pub evidence: Option<&'a str>,
}

/// Most pre-existing failures a task that speaks of failing tests in general takes on.
pub const MAX_ADOPTED: usize = 10;

impl Baseline {
    /// The recorded run of `command` (trimmed comparison), if it ran.
    pub fn run_of(&self, command: &str) -> Option<&BaselineRun> {
        let c = command.trim();
        self.commands.iter().find(|r| r.command.trim() == c)
    }

    /// Every pre-existing failing test, in the order the commands ran and their runners
    /// reported them.
    pub fn failing(&self) -> impl Iterator<Item = FailingTest<'_>> {
        self.commands.iter().flat_map(|r| {
            r.failing.iter().map(move |t| FailingTest {
                command: &r.command,
                test: t,
                evidence: r.evidence.as_deref(),
            })
        })
    }

    /// The pre-existing failures `task` is about (docs/design.md §6, "the baseline"), which
    /// its plan takes on as work instead of leaving them as the baseline: the failing tests
    /// whose name (the test function, or its file's stem) the task names as a whole word
    /// (case-insensitive, `test_`/`Test` prefixes and `_test` suffixes counted both ways); when
    /// it names none of them but speaks of failing tests in general ([`speaks_of_failing_tests`]:
    /// "Fix the failing tests"), the first [`MAX_ADOPTED`] of them. Empty for any other task.
    pub fn failures_about(&self, task: &str) -> Vec<FailingTest<'_>> {
        let words = task_words(task);
        let named: Vec<FailingTest<'_>> = self
            .failing()
            .filter(|f| test_names(f.test).iter().any(|n| words.contains(n)))
            .collect();
        if !named.is_empty() || !speaks_of_failing_tests(task) || names_a_test(task) {
            return named;
        }
        self.failing().take(MAX_ADOPTED).collect()
    }
}

/// Whether `task` is about tests that fail (so its plan needs the baseline before planning,
/// docs/design.md §6): it names a test (`test_parse_dates`, `TestParse`, `parse_test`,
/// `parser.test.ts`), or it has a failure word (`fail…`, `broken`, `flaky`, `red`) and a test
/// word (`test…`, `spec…`, `suite`, `CI`).
pub fn about_failing_tests(task: &str) -> bool {
    names_a_test(task) || speaks_of_failing_tests(task)
}

/// A failure word and a test word in the same task.
pub fn speaks_of_failing_tests(task: &str) -> bool {
    static FAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(fail(s|ing|ed|ures?)?|broken|flaky|red)\b").expect("valid")
    });
    static TESTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b(tests?|testing|specs?|suite|ci|pytest|jest|vitest)\b").expect("valid")
    });
    FAIL.is_match(task) && TESTS.is_match(task)
}

/// The task names a test by an identifier of the usual test shapes.
fn names_a_test(task: &str) -> bool {
    static TEST_ID: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(test_\w+|\w+_test|Test[A-Z]\w*|\w+\.(test|spec)\.[jt]sx?|\w+::tests?::\w+)\b",
        )
        .expect("valid")
    });
    TEST_ID.is_match(task)
}

/// The task's words, lower-cased, split on anything but letters, digits and `_`.
fn task_words(task: &str) -> BTreeSet<String> {
    task.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The names a task may call a failing test by: its last segment (the function, with and
/// without `test_`/`Test`/`_test`) and its file's stem, lower-cased, each at least 4
/// characters and never a bare `test`/`tests`.
fn test_names(id: &str) -> Vec<String> {
    // A parametrized case (`test_x[a-b]`) is named by its function.
    let id = id.split('[').next().unwrap_or(id);
    let parts: Vec<&str> = id
        .split([':', '/', '\\', ' ', '>', '(', ')'])
        .filter(|p| !p.is_empty())
        .collect();
    let mut out = Vec::new();
    let mut add = |n: &str| {
        let n = n.to_lowercase();
        if n.len() >= 4 && n != "test" && n != "tests" && !out.contains(&n) {
            out.push(n);
        }
    };
    if let Some(last) = parts.last() {
        let last = last.rsplit('.').next().unwrap_or(last);
        add(last);
        let lower = last.to_lowercase();
        let bare = lower
            .strip_prefix("test_")
            .or_else(|| lower.strip_prefix("test"))
            .or_else(|| lower.strip_suffix("_test"))
            .unwrap_or(&lower)
            .to_string();
        add(&bare);
    }
    for p in &parts[..parts.len().saturating_sub(1)] {
        let stem = p.split('.').next().unwrap_or(p);
        if stem.contains("test") || stem.contains("spec") {
            add(stem);
        }
    }
    out
}

/// The pre-existing failures of `baseline` that `task` is about, as the lines agents are
/// shown: empty when there are none.
pub fn describe_failures_about(baseline: Option<&Baseline>, task: &str) -> String {
    let Some(b) = baseline else {
        return String::new();
    };
    let about = b.failures_about(task);
    if about.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "Tests that already fail on the untouched repository, which the task is about (make them pass in a phase of the plan, gated on the command that runs them):\n",
    );
    for f in about {
        out.push_str(&format!(
            "- `{}` fails under `{}`{}\n",
            f.test,
            f.command,
            f.evidence.map(|e| format!(" ({e})")).unwrap_or_default()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn baseline(failing: &[&str]) -> Baseline {
        Baseline {
            preflight: None,
            blocked: None,
            commands: vec![BaselineRun {
                command: "pytest".into(),
                passed: true,
                detail: String::new(),
                evidence: Some("evidence/baseline-gate-1.log".into()),
                failing: failing.iter().map(|s| s.to_string()).collect(),
            }],
        }
    }

    #[test]
    fn a_task_naming_a_failing_test_is_about_that_test_only() {
        let b = baseline(&[
            "tests/test_dates.py::test_parse_dates",
            "tests/test_io.py::test_read_chunks[big]",
        ]);
        let about = b.failures_about("Fix test_parse_dates on Windows");
        assert_eq!(about.len(), 1);
        assert_eq!(about[0].test, "tests/test_dates.py::test_parse_dates");
        assert_eq!(about[0].command, "pytest");
        // The bare name and a parametrized case count too.
        assert_eq!(b.failures_about("Make parse_dates pass again").len(), 1);
        let chunks = b.failures_about("Fix the failing read_chunks test");
        assert_eq!(chunks[0].test, "tests/test_io.py::test_read_chunks[big]");
        // Go's and Rust's shapes.
        let go = baseline(&["TestParseDates", "parser::tests::rejects_empty"]);
        assert_eq!(go.failures_about("Fix TestParseDates").len(), 1);
        assert_eq!(
            go.failures_about("rejects_empty fails on main")[0].test,
            "parser::tests::rejects_empty"
        );
    }

    #[test]
    fn a_task_about_failing_tests_in_general_takes_them_all_and_others_take_none() {
        let b = baseline(&["tests/test_a.py::test_one", "tests/test_b.py::test_two"]);
        assert_eq!(b.failures_about("Fix the failing tests").len(), 2);
        assert_eq!(
            b.failures_about("Make the CI green: the test suite is broken")
                .len(),
            2
        );
        assert!(b
            .failures_about("Add a --json flag to the list command")
            .is_empty());
        // A task that names another test is about that one, not about these.
        assert!(b.failures_about("Fix the failing test_three").is_empty());
        let many = baseline(&[
            "a::t1", "a::t2", "a::t3", "a::t4", "a::t5", "a::t6", "a::t7", "a::t8", "a::t9",
            "a::t10", "a::t11",
        ]);
        assert_eq!(many.failures_about("fix failing tests").len(), MAX_ADOPTED);
    }

    #[test]
    fn which_tasks_wait_for_the_baseline() {
        for t in [
            "Fix test_parse_dates on Windows",
            "Fix the flaky integration tests",
            "TestParseDates fails since the timezone change",
            "Repair parser.test.ts",
            "CI is red after the upgrade",
        ] {
            assert!(about_failing_tests(t), "{t}");
        }
        for t in [
            "Add a --json flag to the list command",
            "Fail fast when the config file is missing",
            "Add tests for the session store",
            "Add a latest_test_run column",
        ] {
            assert!(!about_failing_tests(t), "{t}");
        }
    }

    #[test]
    fn agents_are_told_only_about_failures_the_task_is_about() {
        let b = baseline(&["tests/test_dates.py::test_parse_dates"]);
        let text = describe_failures_about(Some(&b), "Fix test_parse_dates");
        assert!(
            text.contains("`tests/test_dates.py::test_parse_dates` fails under `pytest`"),
            "{text}"
        );
        assert!(text.contains("evidence/baseline-gate-1.log"), "{text}");
        assert!(describe_failures_about(Some(&b), "Add a flag").is_empty());
        assert!(describe_failures_about(None, "Fix test_parse_dates").is_empty());
    }
}

//! Pre-existing test failures (docs/design.md §6, "the baseline"): phase 00 runs on the
//! untouched repository, so a test that fails there fails before the plan changes anything. A
//! suite that ran and failed only a few of its tests is recorded as the baseline — the failing
//! tests listed in `evidence/baseline.json` — and the gate passes: a plan is judged on new
//! failures only. A suite that could not run (a compile error, a collection error, a timeout,
//! nothing recognisable) stays a failed gate.
//!
//! Recognised from the runner's own report (pytest, `cargo test`, `go test`, Jest, Vitest):
//! the failing tests' names and the number that passed. Accepted as a baseline only when at
//! least one test passed and the failures are at most [`MAX_SHARE`] of the tests that ran and at
//! most [`MAX_FAILURES`]: more than that is a broken suite or environment, not a few known
//! failures.
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;

/// Largest share of the tests that ran that may fail for the run to count as a baseline.
pub const MAX_SHARE: f64 = 0.10;
/// Most failing tests a baseline may hold.
pub const MAX_FAILURES: usize = 50;

/// Run-relative path of the baseline record.
pub const BASELINE_FILE: &str = "evidence/baseline.json";

/// The tests a suite failed on the untouched repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PreExisting {
    /// `pytest`, `cargo test`, `go test`, `jest` or `vitest`.
    pub runner: &'static str,
    /// The failing tests as the runner names them (`tests/test_x.py::test_y`), in report order,
    /// without duplicates.
    pub failing: Vec<String>,
    /// Tests that passed.
    pub passed: u64,
}

/// One gate command's entry in `evidence/baseline.json`.
#[derive(Clone, Debug, Serialize)]
pub struct BaselineEntry<'a> {
    /// 1-based position of the command in phase 00's gate.
    pub gate_index: usize,
    pub command: &'a str,
    /// Its evidence log.
    pub evidence: &'a str,
    #[serde(flatten)]
    pub tests: &'a PreExisting,
}

struct Runner {
    name: &'static str,
    /// A failing test's name is capture 1.
    failed: Regex,
    /// Counts of the final report: `passed` and `failed` captures.
    summary: Vec<Regex>,
    /// Output that says the suite did not run as a whole (no baseline then).
    broken: Option<Regex>,
}

fn re(s: &str) -> Regex {
    Regex::new(s).expect("built-in baseline regexes are valid")
}

static RUNNERS: LazyLock<Vec<Runner>> = LazyLock::new(|| {
    vec![
        Runner {
            name: "pytest",
            failed: re(r"(?m)^FAILED (\S+)"),
            summary: vec![
                re(
                    r"(?m)^=+ (?:.*?\b(?P<failed>\d+) failed)(?:.*?\b(?P<passed>\d+) passed)?.* in [\d.]+s",
                ),
                re(
                    r"(?m)^=+ (?:.*?\b(?P<passed>\d+) passed)(?:.*?\b(?P<failed>\d+) failed)?.* in [\d.]+s",
                ),
            ],
            broken: Some(re(r"(?m)^(ERROR |=+ ERRORS =+|.*\binterrupted: \d+ error)")),
        },
        Runner {
            name: "cargo test",
            failed: re(r"(?m)^test (\S+) \.\.\. FAILED$"),
            summary: vec![re(
                r"(?m)^test result: FAILED\. (?P<passed>\d+) passed; (?P<failed>\d+) failed",
            )],
            broken: Some(re(r"(?m)^error(\[E\d+\])?: (could not compile|aborting)")),
        },
        Runner {
            name: "go test",
            failed: re(r"(?m)^\s*--- FAIL: (\S+)"),
            summary: vec![],
            broken: Some(re(r"(?m)\[(build|setup) failed\]$")),
        },
        Runner {
            name: "jest",
            failed: re(r"(?m)^\s*● (.+?) › (.+)$"),
            summary: vec![re(
                r"(?m)^Tests:\s+(?P<failed>\d+) failed, (?:\d+ \w+, )*?(?P<passed>\d+) passed",
            )],
            broken: Some(re(r"Test suite failed to run")),
        },
        Runner {
            name: "vitest",
            failed: re(r"(?m)^\s*(?:FAIL|×)\s+(\S+ > .+?)(?: \d+ms)?$"),
            summary: vec![re(
                r"(?m)^\s*Tests\s+(?P<failed>\d+) failed \| (?P<passed>\d+) passed",
            )],
            broken: None,
        },
    ]
});

/// The pre-existing failures a test runner reported in `output` (a failed gate's evidence), if
/// the run is a baseline by the module's rules; `None` otherwise.
pub fn parse(output: &str) -> Option<PreExisting> {
    RUNNERS.iter().find_map(|r| parse_with(r, output))
}

fn parse_with(r: &Runner, output: &str) -> Option<PreExisting> {
    let mut failing: Vec<String> = Vec::new();
    for c in r.failed.captures_iter(output) {
        let name = c
            .iter()
            .skip(1)
            .flatten()
            .map(|m| m.as_str().trim())
            .collect::<Vec<_>>()
            .join(" › ");
        if !name.is_empty() && !failing.contains(&name) {
            failing.push(name);
        }
    }
    if failing.is_empty() || r.broken.as_ref().is_some_and(|b| b.is_match(output)) {
        return None;
    }
    let passed = if r.summary.is_empty() {
        // go test prints one `--- PASS:` per passed test with -v, else `ok` per package.
        let tests = output.matches("--- PASS: ").count() as u64;
        tests + output.lines().filter(|l| l.starts_with("ok  \t")).count() as u64
    } else {
        let (mut passed, mut failed) = (0u64, 0u64);
        for s in &r.summary {
            for c in s.captures_iter(output) {
                let n = |k: &str| c.name(k).and_then(|m| m.as_str().parse::<u64>().ok());
                passed += n("passed").unwrap_or(0);
                failed += n("failed").unwrap_or(0);
            }
            if passed + failed > 0 {
                break;
            }
        }
        if failed == 0 {
            return None; // no report of the failures: not a suite that ran to its end
        }
        passed
    };
    let total = passed + failing.len() as u64;
    let share = failing.len() as f64 / total.max(1) as f64;
    (passed > 0 && failing.len() <= MAX_FAILURES && share <= MAX_SHARE).then_some(PreExisting {
        runner: r.name,
        failing,
        passed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_with_one_failure_in_many_is_a_baseline() {
        let out = "tests/test_a.py ........F....\n\
            =========================== short test summary info ============================\n\
            FAILED tests/test_funcs.py::test_typing_extensions - AssertionError: assert 1 == 2\n\
            ================= 1 failed, 1317 passed, 3 skipped in 12.31s ==================\n";
        let p = parse(out).unwrap();
        assert_eq!(p.runner, "pytest");
        assert_eq!(p.failing, ["tests/test_funcs.py::test_typing_extensions"]);
        assert_eq!(p.passed, 1317);
    }

    #[test]
    fn a_suite_that_did_not_run_is_no_baseline() {
        // A collection error: the suite never ran as a whole.
        let out = "ERROR tests/test_b.py - ImportError: no module named x\n\
            FAILED tests/test_a.py::test_x\n\
            ======= 1 failed, 20 passed, 1 error in 1.2s =======\n";
        assert_eq!(parse(out), None);
        // Everything failed: an environment, not a few known failures.
        let out = "FAILED t.py::a\nFAILED t.py::b\n===== 2 failed, 1 passed in 0.1s =====\n";
        assert_eq!(parse(out), None);
        // A compile error.
        assert_eq!(
            parse("error[E0425]: cannot find value `x`\nerror: could not compile `x`\n"),
            None
        );
        // Nothing recognisable.
        assert_eq!(parse("make: *** [test] Error 1\n"), None);
    }

    #[test]
    fn cargo_go_jest_and_vitest_reports() {
        let cargo = "test a::ok ... ok\ntest a::bad ... FAILED\n\nfailures:\n\n\
            test result: FAILED. 40 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n";
        let p = parse(cargo).unwrap();
        assert_eq!(
            (p.runner, p.failing.as_slice(), p.passed),
            ("cargo test", &["a::bad".to_string()][..], 40)
        );
        let go = "=== RUN   TestA\n--- PASS: TestA (0.00s)\n".repeat(12)
            + "=== RUN   TestB\n--- FAIL: TestB (0.00s)\n    b_test.go:9: boom\nFAIL\nFAIL\texample.com/x\t0.01s\n";
        let p = parse(&go).unwrap();
        assert_eq!(
            (p.runner, p.failing.as_slice()),
            ("go test", &["TestB".to_string()][..])
        );
        let jest = "  ● parse › rejects empty input\n\n    expect(received)\n\n\
            Test Suites: 1 failed, 3 passed, 4 total\nTests:       1 failed, 2 skipped, 57 passed, 60 total\n";
        let p = parse(jest).unwrap();
        assert_eq!(p.runner, "jest");
        assert_eq!(p.failing, ["parse › rejects empty input"]);
        assert_eq!(p.passed, 57);
        let vitest = " × src/a.test.ts > parse > rejects empty input 3ms\n\n Test Files  1 failed | 5 passed (6)\n      Tests  1 failed | 80 passed (81)\n";
        let p = parse(vitest).unwrap();
        assert_eq!(p.runner, "vitest");
        assert_eq!(p.failing, ["src/a.test.ts > parse > rejects empty input"]);
        assert_eq!(p.passed, 80);
    }
}

//! Evidence files and the evidence rules of invariant 2 (docs/design.md §3): empty evidence is INVALID;
//! a success claim without the log line that shows it is INVALID.
//!
//! An evidence file (`evidence/phase-00-gate-{n}.log`) is plain text:
//!
//! ```text
//! # anneal Hephaestus evidence: phase 00 gate 1
//! command: make build
//! trusted: detected by the probe in Makefile (build)
//! ran in: scratch copy of widget (.git/ and files ignored by .gitignore not copied)
//! shell: /bin/sh -c, stdin /dev/null, stdout and stderr interleaved in one stream as written
//! environment: scrubbed; passed: CARGO_TERM_COLOR, HOME, NO_COLOR, PATH, TERM (values not recorded)
//! started: 2026-11-21T14:30:00Z
//! duration: 0.012 s
//! timeout: 600 s
//! output: 16 bytes
//! --- output ---
//! building widget
//! --- end of output ---
//! exit status: 0
//! ```
//!
//! The last line is always written by Hephaestus itself: `exit status: <code>`, or
//! `exit status: killed by signal N`, `exit status: timed out after N s (process group killed)`,
//! `exit status: not started: <why>`. The output section holds the command's real output (cut
//! to head and tail with a marker line when longer than the limit). Verdicts are taken from the
//! file as written to the run directory, read back ([`read_log`]), not from memory.
use super::runner::{secs, Exit, Outcome};
use super::CheckStatus;
use regex::Regex;
use std::sync::LazyLock;
use std::time::Duration;

/// Line opening the output section.
pub const OUTPUT_BEGIN: &str = "--- output ---";
/// Line closing the output section.
pub const OUTPUT_END: &str = "--- end of output ---";
/// Prefix of the last line.
pub const EXIT_PREFIX: &str = "exit status: ";

/// Everything an evidence file records about one run.
pub struct LogHeader<'a> {
    /// 1-based position of the command in phase 00's gate.
    pub gate_index: usize,
    pub command: &'a str,
    /// Why the command was trusted.
    pub trusted: &'a str,
    /// Repository name (never the scratch path).
    pub repository: &'a str,
    /// Names of the variables the command got.
    pub env_names: Vec<String>,
    pub timeout: Duration,
}

/// Renders an evidence file (format in the module docs).
pub fn render_log(h: &LogHeader<'_>, o: &Outcome) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "# anneal Hephaestus evidence: phase 00 gate {}\n",
        h.gate_index
    ));
    s.push_str(&format!("command: {}\n", one_line(h.command)));
    s.push_str(&format!("trusted: {}\n", one_line(h.trusted)));
    s.push_str(&format!(
        "ran in: scratch copy of {} (.git/ and files ignored by .gitignore not copied)\n",
        one_line(h.repository)
    ));
    s.push_str("shell: /bin/sh -c, stdin /dev/null, stdout and stderr interleaved in one stream as written\n");
    s.push_str(&format!(
        "environment: scrubbed; passed: {} (values not recorded)\n",
        h.env_names.join(", ")
    ));
    s.push_str(&format!(
        "started: {}\n",
        o.started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    s.push_str(&format!("duration: {:.3} s\n", o.duration.as_secs_f64()));
    s.push_str(&format!("timeout: {} s\n", secs(h.timeout)));
    if o.output.omitted_bytes > 0 {
        s.push_str(&format!(
            "output: {} bytes, cut: {} bytes omitted from the middle (see the marker line)\n",
            o.output.total_bytes, o.output.omitted_bytes
        ));
    } else {
        s.push_str(&format!("output: {} bytes\n", o.output.total_bytes));
    }
    s.push_str(OUTPUT_BEGIN);
    s.push('\n');
    s.push_str(&o.output.text);
    if !o.output.text.is_empty() && !o.output.text.ends_with('\n') {
        s.push('\n');
    }
    s.push_str(OUTPUT_END);
    s.push('\n');
    s.push_str(EXIT_PREFIX);
    s.push_str(&o.exit.status_text());
    s.push('\n');
    s
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

/// What an evidence file, read back, says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogFacts {
    /// The command's output (between the markers).
    pub output: String,
    /// The text after `exit status: ` on the last line.
    pub status: String,
}

impl LogFacts {
    /// The exit code, when the command exited normally.
    pub fn code(&self) -> Option<i32> {
        self.status.parse().ok()
    }
}

/// Parses an evidence file. The last non-empty line must be the exit-status line, and the
/// output section is what lies between the first [`OUTPUT_BEGIN`] and the last [`OUTPUT_END`]
/// line (so output that prints the markers cannot shorten it).
///
/// # Errors
/// Why the file is INVALID: no exit-status line, or no output section.
pub fn read_log(text: &str) -> Result<LogFacts, String> {
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let Some(status) = last.strip_prefix(EXIT_PREFIX) else {
        return Err(
            "INVALID evidence: the file lacks the exit-status line Hephaestus writes last".into(),
        );
    };
    let begin = format!("\n{OUTPUT_BEGIN}\n");
    let end = format!("\n{OUTPUT_END}\n");
    let (Some(b), Some(e)) = (text.find(&begin), text.rfind(&end)) else {
        return Err("INVALID evidence: the file has no output section".into());
    };
    let start = b + begin.len();
    let output = if e + 1 >= start {
        &text[start..e + 1]
    } else {
        ""
    };
    Ok(LogFacts {
        output: output.to_string(),
        status: status.trim().to_string(),
    })
}

/// A rule: a regex over one output line (already trimmed of trailing whitespace).
struct Rule {
    tool: &'static str,
    re: Regex,
}

fn rules(specs: &[(&'static str, &str)]) -> Vec<Rule> {
    specs
        .iter()
        .map(|(tool, re)| Rule {
            tool,
            re: Regex::new(re).expect("built-in evidence regexes are valid"),
        })
        .collect()
}

/// Lines that report failure even when the exit status is 0.
static FAILURE: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules(&[
        ("libtest", r"^test result: FAILED"),
        ("unittest", r"^FAILED \((failures|errors)="),
        ("npm", r"^npm (ERR!|error )"),
        ("pytest", r"^=+ .*\b\d+ (failed|errors?)\b.* =+$"),
        ("go test", r"^--- FAIL: "),
        ("go test", r"^FAIL(\s|$)"),
        ("jest", r"^Tests:.*\b\d+ failed\b"),
        ("mocha", r"^\s*\d+ failing$"),
        ("gradle", r"^BUILD FAILED\b"),
        ("maven", r"^\[ERROR\] BUILD FAILURE"),
        ("make", r"^g?make(\[\d+\])?: \*\*\* "),
    ])
});

/// cargo/rustc's error line; applied only when the command involves cargo or rustc or the
/// output is cargo's (a `Compiling`/`Checking`/`Finished` line), since other tools print
/// `error:` lines for things that are not failures.
static CARGO_FAILURE: LazyLock<Vec<Rule>> =
    LazyLock::new(|| rules(&[("cargo", r"^error(\[E\d+\])?: ")]));
static CARGO_OUTPUT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s+(Compiling|Checking|Finished) ").expect("valid regex"));

/// Lines that show success, most specific first: the first rule with a match wins and its last
/// matching line is quoted.
static SUCCESS: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    rules(&[
        ("libtest", r"^test result: ok\."),
        ("pytest", r"^=+ .*\b\d+ passed\b.* =+$"),
        ("unittest", r"^OK( \(.*\))?$"),
        ("go test", r"^(ok\s+\S+|PASS$)"),
        ("jest", r"^Tests:.*\b\d+ passed\b"),
        ("mocha", r"^\s*\d+ passing\b"),
        ("gradle", r"^BUILD SUCCESSFUL\b"),
        ("maven", r"^\[INFO\] BUILD SUCCESS$"),
        ("cargo", r"^\s*Finished\b"),
        (
            "make",
            r"^g?make(\[\d+\])?: (Nothing to be done for|'.*' is up to date)",
        ),
    ])
});

fn last_match<'a>(rules: &[Rule], output: &'a str) -> Option<(&'static str, &'a str)> {
    rules.iter().find_map(|r| {
        output
            .lines()
            .rev()
            .map(str::trim_end)
            .find(|l| r.re.is_match(l))
            .map(|l| (r.tool, l))
    })
}

fn first_failure(output: &str, cargo: bool) -> Option<(&'static str, &str)> {
    let cargo = cargo || CARGO_OUTPUT.is_match(output);
    output.lines().map(str::trim_end).find_map(|l| {
        FAILURE
            .iter()
            .chain(if cargo {
                CARGO_FAILURE.iter()
            } else {
                [].iter()
            })
            .find(|r| r.re.is_match(l))
            .map(|r| (r.tool, l))
    })
}

/// Quotes a log line for a detail: backticked, at most 200 characters.
pub fn quote(line: &str) -> String {
    let line = line.trim();
    let mut q: String = line.chars().take(200).collect();
    if line.chars().count() > 200 {
        q.push('…');
    }
    format!("`{}`", q.replace('`', "'"))
}

/// Lines that say what went wrong specifically (a host that does not resolve, a package or
/// version not found, a permission), preferred by [`telling_line`].
static SPECIFIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(could not|couldn't|cannot|can't|not found|no matching|no such|unable to|permission denied|enotfound|eai_again|resolve|timed out|404)").expect("static regex")
});
/// Any error line ([`telling_line`]'s fallback).
static ERRORISH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(error|fatal|failed)\b").expect("static regex"));
/// Error lines that say nothing by themselves (`npm error code 128`, where the full log is).
static GENERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(complete log|error code\b|^\s*npm (error|err!)\s*$|for more information|--verbose)",
    )
    .expect("static regex")
});

/// The line of a failed install's `output` that tells a person what went wrong: the first
/// specific one ([`SPECIFIC`]), else the first error line, never a generic one ([`GENERIC`]);
/// quoted and made safe for a terminal (control and bidi characters removed, at most 200
/// characters). `None` when no line looks like an error.
pub fn telling_line(output: &str) -> Option<String> {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !GENERIC.is_match(l))
        .collect();
    let line = lines
        .iter()
        .find(|l| SPECIFIC.is_match(l) && ERRORISH.is_match(l))
        .or_else(|| lines.iter().find(|l| SPECIFIC.is_match(l)))
        .or_else(|| lines.iter().find(|l| ERRORISH.is_match(l)))?;
    Some(quote(&crate::text::sanitize(line, 400)))
}

fn last_lines(output: &str, n: usize) -> String {
    let lines: Vec<&str> = output.lines().filter(|l| !l.trim().is_empty()).collect();
    let from = lines.len().saturating_sub(n);
    lines[from..]
        .iter()
        .map(|l| quote(l))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Programs that print nothing when they succeed (`go build`, `tsc`, `eslint`, `flake8`,
/// `cargo fmt --check`, …): for them an empty output with exit status 0, both observed and
/// written by Hephaestus itself, is the evidence ([`silent_on_success`]). Matched on the
/// command's first words, after `npx `, `python3 -m ` or `python -m `.
pub const SILENT_ON_SUCCESS: &[&str] = &[
    "go build",
    "go vet",
    "gofmt -l",
    "tsc",
    "eslint",
    "standard",
    "flake8",
    "pyflakes",
    "cargo fmt",
    "rustfmt --check",
];

/// Whether `command` runs a program of [`SILENT_ON_SUCCESS`].
pub fn silent_on_success(command: &str) -> bool {
    let mut c = command.trim();
    for prefix in ["npx ", "python3 -m ", "python -m "] {
        c = c.strip_prefix(prefix).unwrap_or(c).trim_start();
    }
    SILENT_ON_SUCCESS.iter().any(|p| {
        c.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
    })
}

/// Applies the evidence rules to an evidence file read back from the run directory, for a
/// command that ran with `exit`. `cargo` says whether the command invokes cargo or rustc.
/// Returns the check's status and its detail:
/// - timed out, killed, not started → Failed, saying so;
/// - empty output → Failed, "empty evidence" (INVALID, whatever the exit status);
/// - non-zero exit → Failed, quoting the tool's failure line when there is one, else the last
///   output lines;
/// - exit 0 with a failure line of the tool (`test result: FAILED`, `FAILED (failures=`,
///   `npm ERR!`, cargo's `error:` …) → Failed, quoting it;
/// - exit 0 otherwise → Passed, quoting the line that proves success when the tool prints one
///   (`test result: ok`, `OK`, `Finished`, `BUILD SUCCESSFUL`, …), else saying that exit
///   status 0 (the last line of the file) is the evidence.
pub fn judge(facts: &LogFacts, exit: &Exit, cargo: bool) -> (CheckStatus, String) {
    let empty = facts.output.trim().is_empty();
    match exit {
        Exit::TimedOut(d) => {
            let tail = if empty {
                "; it printed nothing".to_string()
            } else {
                format!("; output ends {}", last_lines(&facts.output, 2))
            };
            return (
                CheckStatus::Failed,
                format!(
                    "timed out after {} s; its process group was killed{tail}",
                    secs(*d)
                ),
            );
        }
        Exit::NotStarted(e) => return (CheckStatus::Failed, format!("could not run: {e}")),
        Exit::Signal(s) => {
            return (
                CheckStatus::Failed,
                format!(
                    "killed by signal {s}; output ends {}",
                    last_lines(&facts.output, 2)
                ),
            );
        }
        Exit::Code(_) => {}
    }
    let Some(code) = facts.code() else {
        return (
            CheckStatus::Failed,
            format!(
                "INVALID evidence: unreadable exit status {:?}",
                facts.status
            ),
        );
    };
    if Exit::Code(code) != *exit {
        return (
            CheckStatus::Failed,
            "INVALID evidence: the exit status in the file differs from the one observed".into(),
        );
    }
    if empty {
        return (
            CheckStatus::Failed,
            format!("empty evidence: the command printed nothing (exit status {code}); empty evidence is INVALID (invariant 2)"),
        );
    }
    let failure = first_failure(&facts.output, cargo);
    if code != 0 {
        let detail = match failure {
            Some((tool, line)) => format!(
                "exit status {code}; {tool} failure line: {}; output ends {}",
                quote(line),
                last_lines(&facts.output, 2)
            ),
            None => format!(
                "exit status {code}; output ends {}",
                last_lines(&facts.output, 3)
            ),
        };
        return (CheckStatus::Failed, detail);
    }
    if let Some((tool, line)) = failure {
        return (
            CheckStatus::Failed,
            format!(
                "exit status 0 but the output reports failure ({tool}): {}",
                quote(line)
            ),
        );
    }
    match last_match(&SUCCESS, &facts.output) {
        Some((tool, line)) => (CheckStatus::Passed, format!("exit status 0; {tool} success line: {}", quote(line))),
        None => (
            CheckStatus::Passed,
            format!(
                "exit status 0 is the evidence (the tool prints no success line; `exit status: 0` ends the evidence file); output ends {}",
                last_lines(&facts.output, 1)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_telling_line_of_a_failed_install_is_specific_and_safe() {
        let npm = "npm error code 128\nnpm error An unknown git error occurred\nnpm error command git --no-replace-objects ls-remote ssh://git@github.com/reggi/node-fs-extra.git\nnpm error ssh: Could not resolve hostname github.com: Name or service not known\nnpm error fatal: Could not read from remote repository.\nnpm error A complete log of this run can be found in: /x/_logs/debug-0.log\n";
        assert_eq!(
            telling_line(npm).as_deref(),
            Some(
                "`npm error ssh: Could not resolve hostname github.com: Name or service not known`"
            )
        );
        let pip = "Looking in indexes: https://pypi.org/simple\nERROR: Could not find a version that satisfies the requirement nosuchpkg==9 (from versions: none)\nERROR: No matching distribution found for nosuchpkg==9\n";
        assert!(telling_line(pip)
            .unwrap()
            .contains("Could not find a version"));
        let cargo = "    Updating crates.io index\nerror: failed to select a version for the requirement `serde = \"^99\"`\n";
        assert!(telling_line(cargo)
            .unwrap()
            .contains("failed to select a version"));
        assert_eq!(telling_line("added 12 packages in 2s\n"), None);
        // Terminal escapes in a tool's output never reach the summary.
        let hostile = "error: \u{1b}]0;pwned\u{7}\u{1b}[2Jcannot install\n";
        let line = telling_line(hostile).unwrap();
        assert!(
            !line.contains('\u{1b}') && !line.contains('\u{7}'),
            "{line:?}"
        );
        assert!(line.contains("cannot install"), "{line}");
    }

    fn facts(output: &str, status: &str) -> LogFacts {
        LogFacts {
            output: output.into(),
            status: status.into(),
        }
    }

    #[test]
    fn silent_programs_are_known_by_their_first_words() {
        for c in [
            "go build ./...",
            "npx tsc --noEmit",
            "python3 -m flake8",
            "cargo fmt --all --check",
            "tsc",
        ] {
            assert!(silent_on_success(c), "{c}");
        }
        for c in [
            "go test ./...",
            "tscx",
            "make build",
            "cargo build",
            "npm test",
        ] {
            assert!(!silent_on_success(c), "{c}");
        }
    }

    #[test]
    fn log_round_trips_and_needs_its_exit_line() {
        let o = Outcome {
            exit: Exit::Code(0),
            output: super::super::runner::Captured {
                text: "hello\n--- end of output ---\nexit status: 0".into(),
                total_bytes: 40,
                omitted_bytes: 0,
            },
            started: chrono::Utc::now(),
            duration: Duration::from_millis(5),
        };
        let h = LogHeader {
            gate_index: 1,
            command: "make build",
            trusted: "allowed in configuration",
            repository: "widget",
            env_names: vec!["PATH".into()],
            timeout: Duration::from_secs(600),
        };
        let log = render_log(&h, &o);
        assert!(log.ends_with("--- end of output ---\nexit status: 0\n"));
        let f = read_log(&log).unwrap();
        assert_eq!(f.output, "hello\n--- end of output ---\nexit status: 0\n");
        assert_eq!(f.code(), Some(0));
        let cut = log.trim_end().rsplit_once('\n').unwrap().0;
        assert!(read_log(cut).unwrap_err().contains("exit-status line"));
        assert!(read_log("exit status: 0\n")
            .unwrap_err()
            .contains("no output section"));
        let empty = render_log(
            &h,
            &Outcome {
                output: Default::default(),
                ..o
            },
        );
        let f = read_log(&empty).unwrap();
        assert_eq!(f.output, "");
        let (s, d) = judge(&f, &Exit::Code(0), false);
        assert_eq!(s, CheckStatus::Failed);
        assert!(d.starts_with("empty evidence"));
    }

    #[test]
    fn rules_find_failure_and_success_lines() {
        let ok = "   Compiling x v0.1.0\n    Finished `test` profile\ntest result: ok. 3 passed; 0 failed\n\ntest result: ok. 0 passed; 0 failed\n";
        let (s, d) = judge(&facts(ok, "0"), &Exit::Code(0), true);
        assert_eq!(s, CheckStatus::Passed);
        assert!(
            d.contains("success line: `test result: ok. 0 passed; 0 failed`"),
            "{d}"
        );

        let lying = "running 2 tests\ntest result: FAILED. 1 passed; 1 failed\n";
        let (s, d) = judge(&facts(lying, "0"), &Exit::Code(0), false);
        assert_eq!(s, CheckStatus::Failed);
        assert!(
            d.contains("`test result: FAILED. 1 passed; 1 failed`"),
            "{d}"
        );

        for (out, line) in [
            ("Ran 3 tests\nFAILED (failures=1)\n", "FAILED (failures=1)"),
            (
                "npm ERR! missing script: lint\n",
                "npm ERR! missing script: lint",
            ),
            (
                "    Checking x\nerror: could not compile `x`\n",
                "error: could not compile `x`",
            ),
        ] {
            let (s, d) = judge(&facts(out, "0"), &Exit::Code(0), false);
            assert_eq!(s, CheckStatus::Failed, "{out}");
            assert!(d.contains(&quote(line)), "{d}");
        }
        // `error:` from a tool that is not cargo is not a failure by itself.
        let (s, _) = judge(
            &facts("error: expected in this log test\n", "0"),
            &Exit::Code(0),
            false,
        );
        assert_eq!(s, CheckStatus::Passed);

        let (s, d) = judge(
            &facts("Ran 3 tests in 0.1s\n\nOK\n", "0"),
            &Exit::Code(0),
            false,
        );
        assert_eq!(
            (s, d.contains("unittest success line: `OK`")),
            (CheckStatus::Passed, true),
            "{d}"
        );
        let (s, d) = judge(&facts("built\n", "0"), &Exit::Code(0), false);
        assert_eq!(s, CheckStatus::Passed);
        assert!(d.starts_with("exit status 0 is the evidence"), "{d}");

        let (s, d) = judge(
            &facts("boom\nmake: *** [Makefile:4: test] Error 1\n", "2"),
            &Exit::Code(2),
            false,
        );
        assert_eq!(s, CheckStatus::Failed);
        assert!(
            d.contains("make failure line: `make: *** [Makefile:4: test] Error 1`")
                && d.contains("`boom`"),
            "{d}"
        );
        let (s, _) = judge(&facts("x\n", "0"), &Exit::Code(1), false);
        assert_eq!(
            s,
            CheckStatus::Failed,
            "a file disagreeing with the observed status is invalid"
        );
    }
}

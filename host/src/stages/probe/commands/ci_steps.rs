//! The shell lines a project's CI configuration runs ([`super::super::ci`] finds the files).
//!
//! They corroborate detected commands (a command CI also runs says so in its source) and they
//! are the one declaration of checks a project runs only in CI, such as `cargo clippy` or
//! `go vet`: those become commands only when CI runs them, taken verbatim (docs/design.md §6:
//! nothing is guessed).
//!
//! YAML files (GitHub/Gitea/Forgejo workflows, GitLab, Travis, Drone, Woodpecker, Bitbucket,
//! CircleCI, Buildkite, AppVeyor, Azure, Cloud Build) are parsed with `serde_yaml`; every string
//! (or list of strings) under a key that holds shell in one of them (`run`, `script`,
//! `before_script`, `commands`, `command`, `cmd`, `args`) is read. A `Jenkinsfile` gives its
//! `sh '…'` steps; any other CI file (a `.ci/` script) is read as shell, line by line.
//! Backslash continuations are joined; comments and blank lines are dropped.

use std::sync::LazyLock;

use regex::Regex;

/// Keys whose string values are shell in some CI system.
const SHELL_KEYS: &[&str] = &[
    "run",
    "script",
    "before_script",
    "commands",
    "command",
    "cmd",
];

/// One shell line a CI file runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CiLine {
    /// Repository-relative CI file.
    pub file: String,
    /// The line, trimmed, continuations joined.
    pub line: String,
}

/// The shell lines of the CI files `files` (`(repository-relative path, text)`), in file order.
/// A file that does not parse gives no lines.
pub fn lines(files: &[(String, String)]) -> Vec<CiLine> {
    let mut out = Vec::new();
    for (file, text) in files {
        let mut scripts = Vec::new();
        if file.ends_with(".yml") || file.ends_with(".yaml") {
            if let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(text) {
                shell_values(&doc, false, &mut scripts);
            }
        } else if file.ends_with("Jenkinsfile") {
            static SH: LazyLock<Regex> = LazyLock::new(|| {
                Regex::new(r#"\bsh\s*\(?\s*(?:'''([^']*)'''|"""([^"]*)"""|'([^']*)'|"([^"]*)")"#)
                    .unwrap()
            });
            for c in SH.captures_iter(text) {
                if let Some(m) = (1..=4).find_map(|i| c.get(i)) {
                    scripts.push(m.as_str().to_string());
                }
            }
        } else {
            scripts.push(text.clone());
        }
        for script in scripts {
            out.extend(shell_lines(&script).into_iter().map(|line| CiLine {
                file: file.clone(),
                line,
            }));
        }
    }
    out
}

fn shell_values(v: &serde_yaml::Value, under_shell_key: bool, out: &mut Vec<String>) {
    match v {
        serde_yaml::Value::String(s) if under_shell_key => out.push(s.clone()),
        serde_yaml::Value::Sequence(items) => {
            for i in items {
                shell_values(i, under_shell_key, out);
            }
        }
        serde_yaml::Value::Mapping(m) => {
            for (k, v) in m {
                let shell = k.as_str().is_some_and(|k| SHELL_KEYS.contains(&k));
                shell_values(v, shell, out);
            }
        }
        serde_yaml::Value::Tagged(t) => shell_values(&t.value, under_shell_key, out),
        _ => {}
    }
}

/// The logical lines of a shell script: continuations joined, trimmed, without blank lines,
/// comments and a shebang.
fn shell_lines(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = String::new();
    for raw in script.lines() {
        let line = raw.trim();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head.trim_end());
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let full = full.trim();
        if !full.is_empty() && !full.starts_with('#') {
            out.push(full.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }
    out
}

/// True when `line` is one plain command: no shell expansion, redirection, pipe or sequence,
/// so it can be taken verbatim as a gate command.
pub fn is_plain(line: &str) -> bool {
    !line.contains([
        '$', '`', '|', ';', '&', '>', '<', '(', ')', '\'', '"', '*', '{',
    ])
}

/// The words of a command that name what it runs, wrappers removed: `python3 -m pytest -q` →
/// `pytest -q`, `uv run pytest` → `pytest`, `npm run test` → `npm test`.
pub fn invocation(command: &str) -> Vec<String> {
    let mut w: Vec<&str> = command.split_whitespace().collect();
    loop {
        match w.as_slice() {
            [p, "-m", ..] if p.starts_with("python") => {
                w.drain(..2);
            }
            ["uv" | "poetry" | "pdm" | "hatch" | "pipenv", "run", ..] => {
                w.drain(..2);
            }
            ["coverage", "run", "-m", ..] => {
                w.drain(..3);
            }
            [pm @ ("npm" | "pnpm" | "yarn"), "run", s @ ("test" | "start"), rest @ ..] => {
                w = [*pm, *s].into_iter().chain(rest.iter().copied()).collect();
                break;
            }
            _ => break,
        }
    }
    w.into_iter().map(str::to_string).collect()
}

/// The first CI line whose invocation starts with `command`'s (`cargo test --workspace` is
/// run by `cargo test --workspace --locked`; `python3 -m pytest` by `pytest -q`).
pub fn runs<'a>(ci: &'a [CiLine], command: &str) -> Option<&'a CiLine> {
    let want = invocation(command);
    ci.iter().find(|l| {
        let got = invocation(&l.line);
        !want.is_empty() && got.len() >= want.len() && got[..want.len()] == want[..]
    })
}

/// The first plain CI line that starts with the words `prefix` (`["cargo", "clippy"]`).
pub fn plain_starting<'a>(ci: &'a [CiLine], prefix: &[&str]) -> Option<&'a CiLine> {
    ci.iter().find(|l| {
        let w: Vec<&str> = l.line.split_whitespace().collect();
        is_plain(&l.line) && w.len() >= prefix.len() && w[..prefix.len()] == *prefix
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_steps_and_scripts() {
        let wf = "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: cargo test --workspace --locked\n      - name: lint\n        run: |\n          # strict\n          cargo clippy --all-targets \\\n            -- -D warnings\n          cargo fmt --all --check\n";
        let ci = lines(&[
            (".github/workflows/ci.yml".into(), wf.into()),
            (".ci/run".into(), "#!/bin/sh\nset -e\nmake test\n".into()),
            (
                "Jenkinsfile".into(),
                "stage('t') { steps { sh 'mvn -B verify' } }".into(),
            ),
        ]);
        let l: Vec<&str> = ci.iter().map(|c| c.line.as_str()).collect();
        assert_eq!(
            l,
            [
                "cargo test --workspace --locked",
                "cargo clippy --all-targets -- -D warnings",
                "cargo fmt --all --check",
                "set -e",
                "make test",
                "mvn -B verify"
            ]
        );
        assert_eq!(
            runs(&ci, "cargo test --workspace").unwrap().file,
            ".github/workflows/ci.yml"
        );
        assert!(runs(&ci, "cargo test --release").is_none());
        assert_eq!(
            plain_starting(&ci, &["cargo", "clippy"]).unwrap().line,
            "cargo clippy --all-targets -- -D warnings"
        );
    }

    #[test]
    fn wrappers_are_seen_through_and_expansions_are_not_plain() {
        assert_eq!(invocation("python3 -m pytest -q"), ["pytest", "-q"]);
        assert_eq!(invocation("uv run coverage run -m pytest"), ["pytest"]);
        assert_eq!(
            invocation("npm run test -- --ci"),
            ["npm", "test", "--", "--ci"]
        );
        assert!(!is_plain("cargo clippy --features ${{ matrix.f }}"));
        assert!(!is_plain("cargo test | tee log"));
        assert!(is_plain("cargo clippy --workspace -- -D warnings"));
    }
}

//! Build, test, lint, format and run commands, only as the project's own root files declare them
//! (docs/design.md §6: Hephaestus runs nothing the probe did not detect, so nothing is guessed).
//!
//! Commands come from repository-root files only, because they are run from the root.
//! Order (the planner takes the first `build` command as the phase-00 gate and the first `test`
//! command for verification), by source:
//! 1. `Makefile` targets, 2. `justfile` recipes — the project's own task runners, which usually
//!    wrap the ecosystem tool with the project's flags;
//! 3. `Cargo.toml`, 4. `go.mod`, 5. `package.json` scripts, 6. Python tools declared as
//!    dependencies (pytest, Django's `manage.py`, ruff, black, flake8, mypy), 7. `pom.xml`,
//!    8. Gradle, 9. `Gemfile` (rspec, rubocop), 10. `composer.json` scripts, 11. `mix.exs`.
//!
//! Within a source, commands are listed build, test, lint, format, run. A command string is
//! listed once (its first source wins).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::deps::{Dependency, Ecosystem};
use super::manifests::{Kind, Manifest};
use crate::model::DetectedCommand;

/// Task-runner target names per purpose, in preference order.
const TARGETS: &[(&str, &[&str])] = &[
    ("build", &["build", "compile"]),
    ("test", &["test", "tests", "check"]),
    ("lint", &["lint", "clippy", "vet", "typecheck"]),
    ("format", &["fmt", "format"]),
    ("run", &["run", "serve", "start", "dev"]),
];

/// The commands the root manifests declare, in the documented order, de-duplicated.
/// `root_files` is the set of repository-relative paths seen by the walk (for wrappers and
/// lockfiles such as `mvnw`, `pnpm-lock.yaml`); `deps` are the dependencies of all manifests
/// (only those declared in root manifests are used).
pub fn detect(
    manifests: &[Manifest],
    deps: &[Dependency],
    root_files: &BTreeSet<String>,
) -> Vec<DetectedCommand> {
    let mut out = Commands::default();
    let root = |kind: Kind| -> Option<&Manifest> {
        manifests.iter().find(|m| m.kind == kind && m.at_root())
    };
    if let Some(m) = root(Kind::Makefile) {
        task_runner(&mut out, m, "make", &makefile_targets(text(m)));
    }
    if let Some(m) = root(Kind::Justfile) {
        task_runner(&mut out, m, "just", &just_recipes(text(m)));
    }
    if let Some(m) = root(Kind::Cargo) {
        cargo(&mut out, m, root_files);
    }
    if let Some(m) = root(Kind::GoMod) {
        for (p, c) in [
            ("build", "go build ./..."),
            ("test", "go test ./..."),
            ("lint", "go vet ./..."),
        ] {
            out.push(p, c, &m.rel);
        }
    }
    if let Some(m) = root(Kind::Npm) {
        npm(&mut out, m, root_files);
    }
    python(&mut out, deps, root_files);
    if let Some(m) = root(Kind::Maven) {
        let mvn = if root_files.contains("mvnw") {
            "./mvnw"
        } else {
            "mvn"
        };
        out.push("build", &format!("{mvn} -B -DskipTests package"), &m.rel);
        out.push("test", &format!("{mvn} -B test"), &m.rel);
    }
    if let Some(m) = manifests
        .iter()
        .find(|m| m.at_root() && m.kind == Kind::Gradle && m.rel.starts_with("build.gradle"))
    {
        let gradle = if root_files.contains("gradlew") {
            "./gradlew"
        } else {
            "gradle"
        };
        out.push("build", &format!("{gradle} assemble"), &m.rel);
        out.push("test", &format!("{gradle} test"), &m.rel);
    }
    if let Some(m) = root(Kind::Gemfile) {
        if has_dep(deps, Ecosystem::Ruby, "rspec", &m.rel)
            || has_dep(deps, Ecosystem::Ruby, "rspec-rails", &m.rel)
        {
            out.push("test", "bundle exec rspec", &m.rel);
        }
        if has_dep(deps, Ecosystem::Ruby, "rubocop", &m.rel) {
            out.push("lint", "bundle exec rubocop", &m.rel);
        }
    }
    if let Some(m) = root(Kind::Composer) {
        let scripts = json_scripts(text(m));
        for (purpose, names) in TARGETS {
            for name in names.iter().filter(|n| scripts.iter().any(|s| s == *n)) {
                out.push(purpose, &format!("composer run-script {name}"), &m.rel);
            }
        }
    }
    if let Some(m) = root(Kind::Mix) {
        out.push("build", "mix compile", &m.rel);
        out.push("test", "mix test", &m.rel);
        out.push("format", "mix format --check-formatted", &m.rel);
    }
    out.0
}

#[derive(Default)]
struct Commands(Vec<DetectedCommand>);

impl Commands {
    fn push(&mut self, purpose: &str, command: &str, source: &str) {
        if !self.0.iter().any(|c| c.command == command) {
            self.0.push(DetectedCommand {
                purpose: purpose.to_string(),
                command: command.to_string(),
                source: source.to_string(),
            });
        }
    }
}

fn text(m: &Manifest) -> &str {
    m.text.as_deref().unwrap_or("")
}

fn has_dep(deps: &[Dependency], eco: Ecosystem, name: &str, source: &str) -> bool {
    deps.iter()
        .any(|d| d.eco == eco && d.name == name && d.source == source)
}

fn task_runner(out: &mut Commands, m: &Manifest, tool: &str, targets: &[String]) {
    for (purpose, names) in TARGETS {
        for name in names.iter().filter(|n| targets.iter().any(|t| t == *n)) {
            out.push(purpose, &format!("{tool} {name}"), &m.rel);
        }
    }
}

/// The explicit targets a Makefile defines (`build test: deps` → `build`, `test`); variable
/// assignments (`X := y`), pattern rules and special targets (`.PHONY`) are not targets.
pub fn makefile_targets(text: &str) -> Vec<String> {
    static RULE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^([A-Za-z0-9][A-Za-z0-9_./-]*(?:[ \t]+[A-Za-z0-9][A-Za-z0-9_./-]*)*)[ \t]*::?(?:[^:=]|$)")
            .unwrap()
    });
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if let Some(c) = RULE.captures(line) {
            for t in c[1].split_whitespace() {
                if !out.iter().any(|o| o == t) {
                    out.push(t.to_string());
                }
            }
        }
    }
    out
}

/// The public recipes a justfile defines (`test *args:` → `test`); private (`_x`) recipes,
/// settings, aliases and assignments (`x := y`) are not recipes.
pub fn just_recipes(text: &str) -> Vec<String> {
    static RECIPE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^@?([A-Za-z][A-Za-z0-9_-]*)(?:[ \t]+[^:=#]*?)?[ \t]*:(?:[^=]|$)").unwrap()
    });
    const KEYWORDS: &[&str] = &["set", "alias", "export", "import", "mod"];
    text.lines()
        .filter(|l| !l.starts_with(char::is_whitespace))
        .filter_map(|l| RECIPE.captures(l).map(|c| c[1].to_string()))
        .filter(|r| !KEYWORDS.contains(&r.as_str()))
        .collect()
}

fn cargo(out: &mut Commands, m: &Manifest, root_files: &BTreeSet<String>) {
    let Ok(doc) = toml::from_str::<toml::Table>(text(m)) else {
        return;
    };
    let src = &m.rel;
    if doc.contains_key("workspace") {
        out.push("build", "cargo build --workspace", src);
        out.push("test", "cargo test --workspace", src);
        out.push("lint", "cargo clippy --workspace --all-targets", src);
        out.push("format", "cargo fmt --all -- --check", src);
    } else if doc.contains_key("package") {
        out.push("build", "cargo build", src);
        out.push("test", "cargo test", src);
        out.push("lint", "cargo clippy --all-targets", src);
        out.push("format", "cargo fmt -- --check", src);
        if root_files.contains("src/main.rs") {
            out.push("run", "cargo run", src);
        }
    }
}

fn json_scripts(text: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("scripts").and_then(|s| s.as_object()).cloned())
        .map(|o| {
            o.into_iter()
                // npm init's placeholder fails by design: not a test command.
                .filter(|(_, v)| !v.as_str().is_some_and(|s| s.contains("no test specified")))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default()
}

fn npm(out: &mut Commands, m: &Manifest, root_files: &BTreeSet<String>) {
    let scripts = json_scripts(text(m));
    let has = |s: &str| scripts.iter().any(|x| x == s);
    let pm = if root_files.contains("pnpm-lock.yaml") {
        "pnpm"
    } else if root_files.contains("yarn.lock") {
        "yarn"
    } else if root_files.contains("bun.lockb") || root_files.contains("bun.lock") {
        "bun"
    } else {
        "npm"
    };
    // `bun test` is bun's own runner, not the script, so bun always uses `run`.
    let short = |s: &str| {
        if pm == "bun" {
            format!("bun run {s}")
        } else {
            format!("{pm} {s}")
        }
    };
    let run = |s: &str| format!("{pm} run {s}");
    let table: &[(&str, &str, String)] = &[
        ("build", "build", run("build")),
        ("test", "test", short("test")),
        ("lint", "lint", run("lint")),
        ("lint", "typecheck", run("typecheck")),
        ("format", "format", run("format")),
        ("format", "fmt", run("fmt")),
        ("run", "start", short("start")),
        ("run", "dev", run("dev")),
    ];
    for (purpose, script, command) in table {
        if has(script) {
            out.push(purpose, command, &m.rel);
        }
    }
}

fn python(out: &mut Commands, deps: &[Dependency], root_files: &BTreeSet<String>) {
    let declared = |name: &str| -> Option<&str> {
        deps.iter()
            .find(|d| d.eco == Ecosystem::Python && d.name == name && !d.source.contains('/'))
            .map(|d| d.source.as_str())
    };
    if let Some(src) = declared("pytest") {
        out.push("test", "python3 -m pytest", src);
    }
    if let Some(src) = declared("django") {
        if root_files.contains("manage.py") {
            out.push("test", "python3 manage.py test", src);
            out.push("run", "python3 manage.py runserver", src);
        }
    }
    if let Some(src) = declared("ruff") {
        out.push("lint", "python3 -m ruff check .", src);
        out.push("format", "python3 -m ruff format --check .", src);
    }
    if let Some(src) = declared("flake8") {
        out.push("lint", "python3 -m flake8", src);
    }
    if let Some(src) = declared("mypy") {
        out.push("lint", "python3 -m mypy .", src);
    }
    if let Some(src) = declared("black") {
        out.push("format", "python3 -m black --check .", src);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(rel: &str, kind: Kind, text: &str) -> Manifest {
        Manifest {
            rel: rel.into(),
            kind,
            text: Some(text.into()),
        }
    }

    fn strings(c: &[DetectedCommand]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{}: {}", c.purpose, c.command))
            .collect()
    }

    #[test]
    fn makefile_targets_skip_variables_and_special_targets() {
        let t = makefile_targets(
            ".PHONY: build test\nPY := python3\nCC ::= gcc\nbuild:\n\t$(PY) -m compileall app\ntest lint: build\n\techo\n%.o: %.c\n",
        );
        assert_eq!(t, ["build", "test", "lint"]);
    }

    #[test]
    fn just_recipes_skip_settings_and_private() {
        let r = just_recipes("set shell := ['bash', '-c']\nver := '1'\ntest *args:\n  cargo test {{args}}\n_hidden:\n  echo\n@lint:\n  cargo clippy\n");
        assert_eq!(r, ["test", "lint"]);
    }

    #[test]
    fn task_runner_before_ecosystem_and_dedup() {
        let ms = vec![
            manifest(
                "Makefile",
                Kind::Makefile,
                "test:\n\tcargo test\nfmt:\n\tcargo fmt\n",
            ),
            manifest("Cargo.toml", Kind::Cargo, "[package]\nname = 'x'\n"),
            manifest("sub/Makefile", Kind::Makefile, "build:\n"),
        ];
        let files: BTreeSet<String> = ["src/main.rs".to_string()].into();
        let c = detect(&ms, &[], &files);
        assert_eq!(
            strings(&c),
            [
                "test: make test",
                "format: make fmt",
                "build: cargo build",
                "test: cargo test",
                "lint: cargo clippy --all-targets",
                "format: cargo fmt -- --check",
                "run: cargo run"
            ]
        );
        assert_eq!(c[2].source, "Cargo.toml");
    }

    #[test]
    fn npm_scripts_that_exist_only() {
        let ms = vec![manifest(
            "package.json",
            Kind::Npm,
            r#"{"scripts":{"build":"tsc","test":"echo \"Error: no test specified\" && exit 1","lint":"eslint ."}}"#,
        )];
        assert_eq!(
            strings(&detect(&ms, &[], &BTreeSet::new())),
            ["build: npm run build", "lint: npm run lint"]
        );
        let files: BTreeSet<String> = ["pnpm-lock.yaml".to_string()].into();
        let ms = vec![manifest(
            "package.json",
            Kind::Npm,
            r#"{"scripts":{"test":"vitest"}}"#,
        )];
        assert_eq!(strings(&detect(&ms, &[], &files)), ["test: pnpm test"]);
    }

    #[test]
    fn pytest_only_when_declared() {
        let dep = |name: &str, source: &str| Dependency {
            eco: Ecosystem::Python,
            name: name.into(),
            features: vec![],
            source: source.into(),
        };
        let none = detect(&[], &[dep("fastapi", "pyproject.toml")], &BTreeSet::new());
        assert!(none.is_empty());
        let c = detect(
            &[],
            &[
                dep("pytest", "pyproject.toml"),
                dep("ruff", "vendor/x/pyproject.toml"),
            ],
            &BTreeSet::new(),
        );
        assert_eq!(strings(&c), ["test: python3 -m pytest"]);
        assert_eq!(c[0].source, "pyproject.toml");
    }
}

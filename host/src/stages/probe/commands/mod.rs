//! Build, test, lint, format and run commands, only as the project's own root files declare them
//! (docs/design.md §6: Hephaestus runs nothing the probe did not detect, so nothing is guessed).
//!
//! Commands come from repository-root files only, because they are run from the root.
//! Order (the planner takes the first `build` command as the phase-00 gate and the first `test`
//! command for verification), by source:
//! 1. `Makefile` targets, 2. `justfile` recipes — the project's own task runners, which usually
//!    wrap the ecosystem tool with the project's flags;
//! 3. `Cargo.toml` ([`rust`]: build and test; clippy and rustfmt only where CI or the
//!    project's configuration runs them), 4. `go.mod` (build and test; `go vet` and
//!    golangci-lint only where CI or configuration runs them), 5. `package.json` scripts
//!    ([`node`], with the package manager the lockfile names), 6. Python tools ([`python`]:
//!    declared as dependencies, configured, or run by tox, nox, hatch, PDM or CI), 7. `pom.xml`
//!    (the Maven wrapper when present), 8. Gradle (the wrapper when present), 9. `Gemfile`
//!    (rspec, rubocop), 10. `composer.json` scripts, 11. `mix.exs`.
//!
//! Within a source, commands are listed build, test, lint, format, run. A command string is
//! listed once (its first source wins). A command the CI configuration also runs
//! ([`ci_steps`]) says so in its source (`Cargo.toml, also run by CI in .github/workflows/ci.yml`).

pub mod ci_steps;
mod node;
mod python;
mod rust;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::deps::{Dependency, Ecosystem};
use super::manifests::{Kind, Manifest};
use crate::model::DetectedCommand;
use ci_steps::CiLine;
pub use node::package_manager;

/// Task-runner target names per purpose, in preference order.
const TARGETS: &[(&str, &[&str])] = &[
    ("build", &["build", "compile"]),
    ("test", &["test", "tests", "check"]),
    ("lint", &["lint", "clippy", "vet", "typecheck"]),
    ("format", &["fmt", "format"]),
    ("run", &["run", "serve", "start", "dev"]),
];

/// The commands the root manifests declare, in the documented order, de-duplicated.
/// `root_files` is the set of repository-relative paths seen by the walk (for wrappers,
/// lockfiles and tool configuration such as `mvnw`, `pnpm-lock.yaml`, `rustfmt.toml`); `deps`
/// are the dependencies of all manifests (only those declared in root manifests are used);
/// `ci` are the shell lines of the CI files ([`ci_steps::lines`]).
pub fn detect(
    manifests: &[Manifest],
    deps: &[Dependency],
    root_files: &BTreeSet<String>,
    ci: &[CiLine],
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
        rust::cargo(&mut out, m, root_files, ci);
    }
    if let Some(m) = root(Kind::GoMod) {
        out.push("build", "go build ./...", &m.rel);
        out.push("test", "go test ./...", &m.rel);
        if let Some(l) = ci_steps::plain_starting(ci, &["go", "vet"]) {
            out.push("lint", &l.line, &l.file);
        }
        if let Some(f) = [".golangci.yml", ".golangci.yaml", ".golangci.toml"]
            .iter()
            .find(|f| root_files.contains(**f))
        {
            out.push("lint", "golangci-lint run", f);
        }
    }
    if let Some(m) = root(Kind::Npm) {
        node::npm(&mut out, m, root_files);
    }
    python::detect(&mut out, manifests, deps, root_files, ci);
    jvm(&mut out, manifests, root_files);
    others(&mut out, manifests, deps);
    out.corroborate(ci);
    out.0
}

/// Maven and Gradle: the wrapper when the project ships one.
fn jvm(out: &mut Commands, manifests: &[Manifest], root_files: &BTreeSet<String>) {
    if let Some(m) = manifests
        .iter()
        .find(|m| m.kind == Kind::Maven && m.at_root())
    {
        let mvn = if root_files.contains("mvnw") {
            "./mvnw"
        } else {
            "mvn"
        };
        out.push("build", &format!("{mvn} -B -DskipTests package"), &m.rel);
        out.push("test", &format!("{mvn} -B test"), &m.rel);
    }
    // A multi-project build may have only `settings.gradle` at the root.
    if let Some(m) = manifests
        .iter()
        .find(|m| m.at_root() && m.kind == Kind::Gradle)
    {
        let gradle = if root_files.contains("gradlew") {
            "./gradlew"
        } else {
            "gradle"
        };
        out.push("build", &format!("{gradle} assemble"), &m.rel);
        out.push("test", &format!("{gradle} test"), &m.rel);
    }
}

/// Ruby, PHP and Elixir.
fn others(out: &mut Commands, manifests: &[Manifest], deps: &[Dependency]) {
    let root = |kind: Kind| -> Option<&Manifest> {
        manifests.iter().find(|m| m.kind == kind && m.at_root())
    };
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
        let scripts = node::json_scripts(text(m));
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
}

#[derive(Default)]
struct Commands(Vec<DetectedCommand>);

impl Commands {
    /// Appends `, also run by CI in <file>` to the source of each command a CI line runs.
    fn corroborate(&mut self, ci: &[CiLine]) {
        for c in &mut self.0 {
            if let Some(l) = ci_steps::runs(ci, &c.command).filter(|l| l.file != c.source) {
                c.source = format!("{}, also run by CI in {}", c.source, l.file);
            }
        }
    }

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
        let ci = ci_steps::lines(&[(
            ".github/workflows/ci.yml".to_string(),
            "jobs:\n  t:\n    steps:\n      - run: cargo test --locked\n".to_string(),
        )]);
        let c = detect(&ms, &[], &files, &ci);
        assert_eq!(
            strings(&c),
            [
                "test: make test",
                "format: make fmt",
                "build: cargo build",
                "test: cargo test",
                "run: cargo run"
            ]
        );
        assert_eq!(c[2].source, "Cargo.toml");
        assert_eq!(
            c[3].source,
            "Cargo.toml, also run by CI in .github/workflows/ci.yml"
        );
    }

    #[test]
    fn npm_scripts_that_exist_only() {
        let ms = vec![manifest(
            "package.json",
            Kind::Npm,
            r#"{"scripts":{"build":"tsc","test":"echo \"Error: no test specified\" && exit 1","lint":"eslint ."}}"#,
        )];
        assert_eq!(
            strings(&detect(&ms, &[], &BTreeSet::new(), &[])),
            ["build: npm run build", "lint: npm run lint"]
        );
        let files: BTreeSet<String> = ["pnpm-lock.yaml".to_string()].into();
        let ms = vec![manifest(
            "package.json",
            Kind::Npm,
            r#"{"scripts":{"test":"vitest"}}"#,
        )];
        assert_eq!(strings(&detect(&ms, &[], &files, &[])), ["test: pnpm test"]);
    }

    #[test]
    fn pytest_only_when_declared() {
        let dep = |name: &str, source: &str| Dependency {
            eco: Ecosystem::Python,
            name: name.into(),
            features: vec![],
            source: source.into(),
        };
        let py = [manifest(
            "pyproject.toml",
            Kind::Pyproject,
            "[project]\nname='x'\n",
        )];
        let none = detect(
            &py,
            &[dep("fastapi", "pyproject.toml")],
            &BTreeSet::new(),
            &[],
        );
        assert!(none.is_empty());
        let c = detect(
            &py,
            &[
                dep("pytest", "pyproject.toml"),
                dep("ruff", "vendor/x/pyproject.toml"),
            ],
            &BTreeSet::new(),
            &[],
        );
        assert_eq!(strings(&c), ["test: python3 -m pytest"]);
        assert_eq!(c[0].source, "pyproject.toml");
    }

    #[test]
    fn go_vet_only_where_ci_runs_it_and_gradle_settings_only() {
        let ms = vec![
            manifest("go.mod", Kind::GoMod, "module x\n"),
            manifest("settings.gradle.kts", Kind::Gradle, "include(\"app\")\n"),
        ];
        let files: BTreeSet<String> = ["gradlew".to_string()].into();
        assert_eq!(
            strings(&detect(&ms, &[], &files, &[])),
            [
                "build: go build ./...",
                "test: go test ./...",
                "build: ./gradlew assemble",
                "test: ./gradlew test"
            ]
        );
        let ci = [CiLine {
            file: ".github/workflows/go.yml".into(),
            line: "go vet ./...".into(),
        }];
        assert!(strings(&detect(&ms, &[], &files, &ci)).contains(&"lint: go vet ./...".to_string()));
    }
}

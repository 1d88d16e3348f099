//! Python: the test, lint and format tools a project declares, each with where it is declared.
//!
//! A tool is declared, in this order of sources (the first found is the command's source):
//! 1. as a dependency of a root manifest (`pyproject.toml` dependencies, optional dependencies
//!    and dependency groups, `requirements*.txt` at the root or in a root `requirements/`
//!    directory, `setup.py`, `setup.cfg`, `Pipfile`: [`super::super::deps`]);
//! 2. by its configuration: `[tool.<tool>]` in `pyproject.toml`, its own file (`pytest.ini`,
//!    `ruff.toml`, `mypy.ini`, `.flake8`), or its section of `setup.cfg`/`tox.ini`
//!    (`[tool:pytest]`, `[pytest]`, `[mypy]`, `[flake8]`);
//! 3. by a task that runs it: `commands` of a `tox.ini` test environment (also the
//!    `legacy_tox_ini` of `[tool.tox]`), `session.run("…")` in `noxfile.py`, hatch environment
//!    scripts and PDM scripts of `pyproject.toml`;
//! 4. by a CI step that runs it ([`super::ci_steps`]).
//!
//! Nothing else makes a Python command: a project with none of these gets none. Commands are
//! `python3 -m <tool>`, so they run the tool of the environment the gate runs in (the prepared
//! virtual environment first on `PATH`).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::super::deps::{read_ini, Dependency, Ecosystem};
use super::super::manifests::{Kind, Manifest};
use super::ci_steps::{self, CiLine};
use super::Commands;

/// A tool, the commands it gives and where its configuration lives.
struct Tool {
    /// Distribution name, as a dependency and as the program a task runs.
    name: &'static str,
    commands: &'static [(&'static str, &'static str)],
    /// Its own configuration files at the root.
    files: &'static [&'static str],
    /// Its table under `[tool]` in `pyproject.toml` (empty: none).
    pyproject: &'static str,
    /// Its sections in `setup.cfg` and `tox.ini`.
    sections: &'static [&'static str],
}

const TOOLS: &[Tool] = &[
    Tool {
        name: "pytest",
        commands: &[("test", "python3 -m pytest")],
        files: &["pytest.ini"],
        pyproject: "pytest",
        sections: &["tool:pytest", "pytest"],
    },
    Tool {
        name: "ruff",
        commands: &[("lint", "python3 -m ruff check .")],
        files: &["ruff.toml", ".ruff.toml"],
        pyproject: "ruff",
        sections: &[],
    },
    Tool {
        name: "flake8",
        commands: &[("lint", "python3 -m flake8")],
        files: &[".flake8"],
        pyproject: "",
        sections: &["flake8"],
    },
    Tool {
        name: "mypy",
        commands: &[("lint", "python3 -m mypy .")],
        files: &["mypy.ini", ".mypy.ini"],
        pyproject: "mypy",
        sections: &["mypy"],
    },
    Tool {
        name: "black",
        commands: &[("format", "python3 -m black --check .")],
        files: &[],
        pyproject: "black",
        sections: &[],
    },
];

/// Root manifests that make a project a Python project.
const PYTHON_KINDS: &[Kind] = &[
    Kind::Pyproject,
    Kind::SetupPy,
    Kind::SetupCfg,
    Kind::Requirements,
    Kind::Pipfile,
    Kind::Tox,
    Kind::Nox,
    Kind::PytestIni,
];

/// A dependency of a root manifest: at the root or in a root `requirements/` directory.
fn root_dependency(d: &Dependency) -> bool {
    !d.source.contains('/')
        || d.source.starts_with("requirements/") && d.source.matches('/').count() == 1
}

/// Adds the Python commands (module docs) to `out`.
pub(super) fn detect(
    out: &mut Commands,
    manifests: &[Manifest],
    deps: &[Dependency],
    root_files: &BTreeSet<String>,
    ci: &[CiLine],
) {
    let python = manifests.iter().any(|m| {
        PYTHON_KINDS.contains(&m.kind)
            && (m.at_root()
                || m.rel.starts_with("requirements/") && m.rel.matches('/').count() == 1)
    });
    if !python {
        return;
    }
    let tasks = task_lines(manifests);
    for tool in TOOLS {
        let source = deps
            .iter()
            .find(|d| d.eco == Ecosystem::Python && d.name == tool.name && root_dependency(d))
            .map(|d| d.source.clone())
            .or_else(|| configured(tool, manifests, root_files))
            .or_else(|| {
                tasks
                    .iter()
                    .find(|(_, line)| runs_tool(line, tool.name))
                    .map(|(src, _)| src.clone())
            })
            .or_else(|| {
                ci.iter()
                    .find(|l| runs_tool(&l.line, tool.name))
                    .map(|l| l.file.clone())
            });
        if let Some(source) = source {
            for (purpose, command) in tool.commands {
                out.push(purpose, command, &source);
            }
        }
    }
    // `ruff format` is a formatter only where a task or CI runs it.
    let ruff_format =
        |l: &str| ci_steps::invocation(l).starts_with(&["ruff".into(), "format".into()]);
    if let Some(src) = tasks
        .iter()
        .find(|(_, l)| ruff_format(l))
        .map(|(s, _)| s.clone())
        .or_else(|| {
            ci.iter()
                .find(|l| ruff_format(&l.line))
                .map(|l| l.file.clone())
        })
    {
        out.push("format", "python3 -m ruff format --check .", &src);
    }
    if let Some(d) = deps
        .iter()
        .find(|d| d.eco == Ecosystem::Python && d.name == "django" && root_dependency(d))
    {
        if root_files.contains("manage.py") {
            out.push("test", "python3 manage.py test", &d.source);
            out.push("run", "python3 manage.py runserver", &d.source);
        }
    }
}

/// True when the command line `line` runs the tool `name` (`pytest -q`, `python -m pytest`,
/// `py.test`, `coverage run -m pytest`).
fn runs_tool(line: &str, name: &str) -> bool {
    let inv = ci_steps::invocation(line);
    inv.first()
        .is_some_and(|p| p == name || (name == "pytest" && p == "py.test"))
}

/// Where `tool` is configured: `pyproject.toml [tool.<x>]`, its own file, or its section of
/// `setup.cfg` / `tox.ini`.
fn configured(
    tool: &Tool,
    manifests: &[Manifest],
    root_files: &BTreeSet<String>,
) -> Option<String> {
    let root = |kind: Kind| manifests.iter().find(|m| m.kind == kind && m.at_root());
    if let Some(file) = tool.files.iter().find(|f| root_files.contains(**f)) {
        return Some((*file).to_string());
    }
    if let Some(m) = root(Kind::Pyproject).filter(|_| !tool.pyproject.is_empty()) {
        let has = toml::from_str::<toml::Table>(m.text.as_deref().unwrap_or(""))
            .ok()
            .and_then(|d| d.get("tool")?.get(tool.pyproject).cloned())
            .is_some();
        if has {
            return Some(format!("{} [tool.{}]", m.rel, tool.pyproject));
        }
    }
    for kind in [Kind::SetupCfg, Kind::Tox] {
        let Some(m) = root(kind) else { continue };
        let Some(ini) = m.text.as_deref().and_then(read_ini) else {
            continue;
        };
        let sections = ini.sections();
        if let Some(s) = tool
            .sections
            .iter()
            .find(|s| sections.iter().any(|x| x == *s))
        {
            return Some(format!("{} [{s}]", m.rel));
        }
    }
    None
}

/// Command lines the project's Python task runners declare, each with its source:
/// tox environments' `commands`, nox sessions' `session.run`, hatch and PDM scripts.
fn task_lines(manifests: &[Manifest]) -> Vec<(String, String)> {
    let root = |kind: Kind| manifests.iter().find(|m| m.kind == kind && m.at_root());
    let mut out = Vec::new();
    if let Some(m) = root(Kind::Tox) {
        out.extend(tox_commands(m.text.as_deref().unwrap_or(""), &m.rel));
    }
    if let Some(m) = root(Kind::Nox) {
        static RUN: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"session\.run\(\s*["']([^"']+)["']"#).unwrap());
        for c in RUN.captures_iter(m.text.as_deref().unwrap_or("")) {
            out.push((m.rel.clone(), c[1].to_string()));
        }
    }
    if let Some(m) = root(Kind::Pyproject) {
        out.extend(pyproject_scripts(m.text.as_deref().unwrap_or(""), &m.rel));
    }
    out
}

/// `commands` of every `[testenv…]` section of a tox configuration, one line each.
fn tox_commands(text: &str, source: &str) -> Vec<(String, String)> {
    let Some(ini) = read_ini(text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for section in ini.sections().iter().filter(|s| s.starts_with("testenv")) {
        let Some(commands) = ini.get(section, "commands") else {
            continue;
        };
        for line in commands.lines().map(str::trim).filter(|l| !l.is_empty()) {
            // tox's prefixes: `-` ignores the exit code, `!` inverts it.
            let line = line.trim_start_matches(['-', '!']).trim();
            out.push((format!("{source} [{section}]"), line.to_string()));
        }
    }
    out
}

/// Hatch environment scripts, PDM scripts and a `[tool.tox] legacy_tox_ini`.
fn pyproject_scripts(text: &str, source: &str) -> Vec<(String, String)> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let Some(tool) = doc.get("tool") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut script = |src: String, v: &toml::Value| match v {
        toml::Value::String(s) => out.push((src, s.clone())),
        toml::Value::Array(a) => out.extend(
            a.iter()
                .filter_map(|s| s.as_str())
                .map(|s| (src.clone(), s.to_string())),
        ),
        toml::Value::Table(t) => {
            for key in ["cmd", "shell"] {
                if let Some(s) = t.get(key).and_then(|c| c.as_str()) {
                    out.push((src.clone(), s.to_string()));
                }
            }
        }
        _ => {}
    };
    if let Some(envs) = tool
        .get("hatch")
        .and_then(|h| h.get("envs"))
        .and_then(|e| e.as_table())
    {
        for (env, t) in envs {
            if let Some(scripts) = t.get("scripts").and_then(|s| s.as_table()) {
                for v in scripts.values() {
                    script(format!("{source} [tool.hatch.envs.{env}.scripts]"), v);
                }
            }
        }
    }
    if let Some(scripts) = tool
        .get("pdm")
        .and_then(|p| p.get("scripts"))
        .and_then(|s| s.as_table())
    {
        for v in scripts.values() {
            script(format!("{source} [tool.pdm.scripts]"), v);
        }
    }
    if let Some(legacy) = tool
        .get("tox")
        .and_then(|t| t.get("legacy_tox_ini"))
        .and_then(|l| l.as_str())
    {
        out.extend(tox_commands(legacy, &format!("{source} [tool.tox]")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(rel: &str, kind: Kind, text: &str) -> Manifest {
        Manifest {
            rel: rel.into(),
            kind,
            text: Some(text.into()),
        }
    }

    fn run(ms: &[Manifest], deps: &[Dependency], files: &[&str], ci: &[CiLine]) -> Vec<String> {
        let mut out = Commands::default();
        let files: BTreeSet<String> = files.iter().map(|f| f.to_string()).collect();
        detect(&mut out, ms, deps, &files, ci);
        out.0
            .iter()
            .map(|c| format!("{}: {} ({})", c.purpose, c.command, c.source))
            .collect()
    }

    #[test]
    fn pytest_from_tox_commands_only() {
        let tox = "[tox]\nenvlist = py3\n\n[testenv]\ndeps = -r requirements/tests.txt\ncommands =\n    pytest -v --tb=short --basetemp={envtmpdir} {posargs}\n\n[testenv:style]\ncommands = pre-commit run --all-files\n";
        assert_eq!(
            run(&[m("tox.ini", Kind::Tox, tox)], &[], &["tox.ini"], &[]),
            ["test: python3 -m pytest (tox.ini [testenv])"]
        );
    }

    #[test]
    fn pytest_from_config_sections_and_nox() {
        let cfg = "[metadata]\nname = x\n\n[tool:pytest]\ntestpaths = tests\n\n[flake8]\nmax-line-length = 100\n";
        assert_eq!(
            run(&[m("setup.cfg", Kind::SetupCfg, cfg)], &[], &[], &[]),
            [
                "test: python3 -m pytest (setup.cfg [tool:pytest])",
                "lint: python3 -m flake8 (setup.cfg [flake8])"
            ]
        );
        let nox = "import nox\n\n@nox.session\ndef tests(session):\n    session.install('.[tests]')\n    session.run(\"pytest\", *session.posargs)\n";
        assert_eq!(
            run(&[m("noxfile.py", Kind::Nox, nox)], &[], &[], &[]),
            ["test: python3 -m pytest (noxfile.py)"]
        );
        let py = "[project]\nname='x'\n[tool.pytest.ini_options]\naddopts='-q'\n[tool.ruff]\nline-length=100\n[tool.hatch.envs.lint.scripts]\nfmt = ['ruff format --check .']\n";
        assert_eq!(
            run(&[m("pyproject.toml", Kind::Pyproject, py)], &[], &[], &[]),
            [
                "test: python3 -m pytest (pyproject.toml [tool.pytest])",
                "lint: python3 -m ruff check . (pyproject.toml [tool.ruff])",
                "format: python3 -m ruff format --check . (pyproject.toml [tool.hatch.envs.lint.scripts])"
            ]
        );
    }

    #[test]
    fn requirements_directory_counts_and_nothing_is_invented() {
        let dep = |name: &str, source: &str| Dependency {
            eco: Ecosystem::Python,
            name: name.into(),
            features: vec![],
            source: source.into(),
        };
        let req = m("requirements/tests.txt", Kind::Requirements, "pytest\n");
        assert_eq!(
            run(
                std::slice::from_ref(&req),
                &[dep("pytest", "requirements/tests.txt")],
                &[],
                &[]
            ),
            ["test: python3 -m pytest (requirements/tests.txt)"]
        );
        assert!(run(
            &[m(
                "pyproject.toml",
                Kind::Pyproject,
                "[project]\nname='x'\n"
            )],
            &[
                dep("fastapi", "pyproject.toml"),
                dep("pytest", "docs/requirements.txt")
            ],
            &[],
            &[]
        )
        .is_empty());
        // Not a Python project: a CI line alone is no declaration.
        let ci = [CiLine {
            file: ".github/workflows/ci.yml".into(),
            line: "pytest".into(),
        }];
        assert!(run(&[], &[], &[], &ci).is_empty());
        assert_eq!(
            run(&[req], &[], &[], &ci),
            ["test: python3 -m pytest (.github/workflows/ci.yml)"]
        );
    }
}

//! Entry points: the files a program starts in. Every entry is the repository-relative path of
//! a file the walk found (never a command line), sorted and de-duplicated.
//!
//! Found by convention (outside vendored/fixture directories, at most 4 components deep):
//! `src/main.rs`, `<crate>/src/main.rs`, `src/bin/*.rs`, `src/bin/*/main.rs`, `main.go`,
//! `cmd/*/main.go`, `manage.py`, `app.py`, `main.py`, `wsgi.py`, `asgi.py`, `app/main.py`,
//! `<pkg>/__main__.py`; and by declaration: Cargo `[[bin]] path`, `package.json` `main`/`bin`,
//! `pyproject.toml` `[project.scripts]` (`pkg.cli:main` → `pkg/cli.py`), and the programs named by
//! `Dockerfile` `CMD`/`ENTRYPOINT` and `Procfile` lines (`uvicorn app.main:app` → `app/main.py`,
//! `python -m app` → `app/__main__.py`, `node server.js` → `server.js`).

use std::collections::BTreeSet;

use super::manifests::{Kind, Manifest};

const MAX_DEPTH: usize = 4;

/// The entry points among `files` (all walked paths) and declared by `manifests`.
pub fn detect(files: &BTreeSet<String>, manifests: &[Manifest]) -> Vec<String> {
    let mut out: BTreeSet<String> = files
        .iter()
        .filter(|f| is_conventional(f))
        .cloned()
        .collect();
    let mut add = |dir: &str, path: &str| {
        let path = path.trim_start_matches("./");
        let joined = if dir.is_empty() {
            path.to_string()
        } else {
            format!("{dir}/{path}")
        };
        if files.contains(&joined) {
            out.insert(joined);
        }
    };
    for m in manifests {
        let dir = m.rel.rsplit_once('/').map_or("", |(d, _)| d);
        let text = m.text.as_deref().unwrap_or("");
        match m.kind {
            Kind::Cargo => cargo_bins(text).iter().for_each(|p| add(dir, p)),
            Kind::Npm => npm_entries(text).iter().for_each(|p| add(dir, p)),
            Kind::Pyproject => python_scripts(text)
                .iter()
                .flat_map(|module| module_files(module))
                .for_each(|p| add(dir, &p)),
            Kind::Dockerfile => dockerfile_commands(text)
                .iter()
                .flat_map(|argv| program_files(argv))
                .for_each(|p| add(dir, &p)),
            Kind::Procfile => text
                .lines()
                .filter_map(|l| l.split_once(':').map(|(_, cmd)| cmd))
                .flat_map(|cmd| program_files(&shell_words(cmd)))
                .for_each(|p| add(dir, &p)),
            _ => {}
        }
    }
    out.into_iter().collect()
}

fn is_conventional(rel: &str) -> bool {
    let parts: Vec<&str> = rel.split('/').collect();
    let n = parts.len();
    if n > MAX_DEPTH || super::is_vendored(rel) {
        return false;
    }
    let up = |i: usize| if n > i { parts[n - 1 - i] } else { "" };
    let name = up(0);
    match name {
        "main.go" => n == 1 || up(2) == "cmd",
        "manage.py" | "app.py" => n == 1,
        "main.py" => n == 1 || rel == "app/main.py" || rel == "src/main.py",
        "wsgi.py" | "asgi.py" => n <= 2,
        "__main__.py" => true,
        // src/main.rs, <crate>/src/main.rs, src/bin/<name>/main.rs
        "main.rs" if up(1) == "src" || (up(2) == "bin" && up(3) == "src") => true,
        // src/bin/<name>.rs
        _ => name.ends_with(".rs") && up(1) == "bin" && up(2) == "src",
    }
}

fn cargo_bins(text: &str) -> Vec<String> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    doc.get("bin")
        .and_then(|b| b.as_array())
        .map(|bins| {
            bins.iter()
                .filter_map(|b| b.get("path").and_then(|p| p.as_str()).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn npm_entries(text: &str) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let mut out: Vec<String> = doc
        .get("main")
        .and_then(|m| m.as_str())
        .map(str::to_string)
        .into_iter()
        .collect();
    match doc.get("bin") {
        Some(serde_json::Value::String(s)) => out.push(s.clone()),
        Some(serde_json::Value::Object(o)) => {
            out.extend(o.values().filter_map(|v| v.as_str().map(str::to_string)))
        }
        _ => {}
    }
    out
}

/// Modules named by `[project.scripts]` and `[tool.poetry.scripts]` (`pkg.cli:main` → `pkg.cli`).
fn python_scripts(text: &str) -> Vec<String> {
    let Ok(doc) = toml::from_str::<toml::Table>(text) else {
        return Vec::new();
    };
    let tables = [
        doc.get("project").and_then(|p| p.get("scripts")),
        doc.get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.get("scripts")),
    ];
    tables
        .into_iter()
        .flatten()
        .filter_map(|t| t.as_table())
        .flat_map(|t| t.values())
        .filter_map(|v| v.as_str())
        .map(|s| s.split(':').next().unwrap_or(s).trim().to_string())
        .collect()
}

/// Candidate files of a Python module path (`app.main` → `app/main.py`, `src/app/main.py`,
/// `app/main/__main__.py`, `app/main/__init__.py`).
fn module_files(module: &str) -> Vec<String> {
    if module.is_empty()
        || !module
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return Vec::new();
    }
    let path = module.replace('.', "/");
    vec![
        format!("{path}.py"),
        format!("src/{path}.py"),
        format!("{path}/__main__.py"),
        format!("src/{path}/__main__.py"),
    ]
}

/// The argument vectors of a Dockerfile's `CMD` and `ENTRYPOINT` instructions (exec form
/// `["a", "b"]` or shell form `a b`).
fn dockerfile_commands(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim();
            let (word, rest) = l.split_once(char::is_whitespace)?;
            matches!(word.to_ascii_uppercase().as_str(), "CMD" | "ENTRYPOINT").then_some(rest)
        })
        .map(|rest| {
            let rest = rest.trim();
            serde_json::from_str::<Vec<String>>(rest).unwrap_or_else(|_| shell_words(rest))
        })
        .collect()
}

fn shell_words(cmd: &str) -> Vec<String> {
    cmd.split_whitespace()
        .map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string())
        .collect()
}

/// Candidate files of the program an argument vector starts: script arguments with a source
/// extension, `-m module`, and ASGI/WSGI `module:app` targets.
fn program_files(argv: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut after_m = false;
    for arg in argv {
        if after_m {
            out.extend(module_files(arg));
            after_m = false;
        } else if arg == "-m" {
            after_m = true;
        } else if [".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".sh"]
            .iter()
            .any(|e| arg.ends_with(e))
        {
            out.push(arg.trim_start_matches("./").to_string());
        } else if let Some((module, obj)) = arg.split_once(':') {
            if !obj.is_empty() && !module.contains('/') && !module.starts_with('-') {
                out.extend(module_files(module));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn conventional_paths() {
        let files = set(&[
            "src/main.rs",
            "src/lib.rs",
            "src/bin/tool.rs",
            "host/src/main.rs",
            "cmd/api/main.go",
            "manage.py",
            "app/main.py",
            "app/auth.py",
            "tests/fixtures/x/src/main.rs",
            "main.rs",
        ]);
        assert_eq!(
            detect(&files, &[]),
            [
                "app/main.py",
                "cmd/api/main.go",
                "host/src/main.rs",
                "manage.py",
                "src/bin/tool.rs",
                "src/main.rs"
            ]
        );
    }

    #[test]
    fn declared_entry_points() {
        let files = set(&[
            "app/server.py",
            "web/index.js",
            "cli/run.py",
            "worker/__main__.py",
            "tools/x.rs",
        ]);
        let m = |rel: &str, kind, text: &str| Manifest {
            rel: rel.into(),
            kind,
            text: Some(text.into()),
        };
        let manifests = vec![
            m(
                "Dockerfile",
                Kind::Dockerfile,
                "FROM python:3.12\nCMD [\"uvicorn\", \"app.server:app\", \"--port\", \"80\"]\n",
            ),
            m("web/package.json", Kind::Npm, r#"{"main": "./index.js"}"#),
            m(
                "pyproject.toml",
                Kind::Pyproject,
                "[project.scripts]\nrun = 'cli.run:main'\n",
            ),
            m("Procfile", Kind::Procfile, "worker: python -m worker\n"),
            m(
                "Cargo.toml",
                Kind::Cargo,
                "[[bin]]\nname = 'x'\npath = 'tools/x.rs'\n",
            ),
        ];
        assert_eq!(
            detect(&files, &manifests),
            [
                "app/server.py",
                "cli/run.py",
                "tools/x.rs",
                "web/index.js",
                "worker/__main__.py"
            ]
        );
    }
}

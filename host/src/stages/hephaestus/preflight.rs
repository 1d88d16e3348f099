//! Preflight (docs/design.md §6b): prepares the scratch copy the project's own way before its
//! gate commands run, so a test runner the project installs as a dependency (pytest in a
//! virtual environment, jest in `node_modules`) exists when its gate runs.
//!
//! Steps, from the files at the scratch copy's root ([`steps`]):
//! - Python (`pyproject.toml`, `setup.py`, `setup.cfg`, `requirements*.txt`, `tox.ini`): a
//!   virtual environment `.venv` (`uv venv` when uv is installed, else `python3 -m venv`), then
//!   one install of the project with its test extras (`test`, `tests`, `testing`, `dev`), its
//!   test and dev requirement files, the `test`/`tests`/`dev` dependency groups and the
//!   `deps` of tox's `[testenv]`;
//! - JavaScript: the lockfile's frozen install (`npm ci`, `pnpm install --frozen-lockfile`,
//!   `yarn install --frozen-lockfile` for a v1 lockfile else `--immutable`, `bun install
//!   --frozen-lockfile`); without a lockfile, `npm install` (not offline);
//! - Rust: `cargo fetch` (`--locked` with a `Cargo.lock`); Go: `go mod download`;
//!   Maven: `dependency:go-offline`.
//!
//! Every step and every gate command gets the per-repository cache ([`cache_env`]: pip, uv,
//! npm, yarn, pnpm, Go and Maven caches under one directory reused across runs) and, once the
//! virtual environment exists, its `bin/` first on `PATH`. Under the sandbox a step may use
//! the network (never with `--offline`); `cargo fetch` may also write the cargo registry (it
//! runs no project code). A step whose program is not installed, or that fails, blocks the
//! validation "by environment": no change to the plan can fix it.
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `--preflight`: whether the scratch copy is prepared before its gates run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The steps of [`steps`]: a virtual environment and the project's dependencies, installed
    /// the project's own way.
    #[default]
    Install,
    /// No step: the gate commands use the tools already on `PATH` (a repository whose
    /// dependencies are installed where anneal runs). Recorded as a NOT RUN check.
    Skip,
}

/// Test extras, requirement-file words and dependency groups installed for the gates.
const TEST_NAMES: &[&str] = &["test", "tests", "testing", "dev"];

/// One preparation step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// What it prepares (`Python virtual environment`, `npm dependencies`, …).
    pub what: String,
    /// The shell command, run in the scratch copy's root.
    pub command: String,
    /// The program that must be installed for it (named in the finding when it is not).
    pub program: String,
    /// Whether it writes the cargo registry (bound writable under the sandbox).
    pub cargo_registry: bool,
}

fn step(what: &str, program: &str, command: String) -> Step {
    Step {
        what: what.into(),
        command,
        program: program.into(),
        cargo_registry: false,
    }
}

/// The steps for the repository copied at `root` (module docs). `offline`: no network, so
/// installs use the caches only; `have` tells whether a program is installed (uv is used
/// when it is).
///
/// # Errors
/// A step that cannot work offline (a JavaScript project without a lockfile): the message
/// names what is missing.
pub fn steps(root: &Path, offline: bool, have: &dyn Fn(&str) -> bool) -> Result<Vec<Step>, String> {
    let files = root_files(root);
    let has = |f: &str| files.contains(f);
    let mut out = Vec::new();
    if let Some(s) = python(root, &files, offline, have) {
        out.extend(s);
    }
    if has("package.json") {
        out.push(node(root, &files, offline)?);
    }
    if has("Cargo.toml") {
        let locked = if has("Cargo.lock") { " --locked" } else { "" };
        let off = if offline { " --offline" } else { "" };
        out.push(Step {
            cargo_registry: true,
            ..step("Rust crates", "cargo", format!("cargo fetch{locked}{off}"))
        });
    }
    if has("go.mod") {
        out.push(step("Go modules", "go", "go mod download".into()));
    }
    if has("pom.xml") {
        let mvn = if has("mvnw") { "./mvnw" } else { "mvn" };
        let off = if offline { " -o" } else { "" };
        out.push(step(
            "Maven dependencies",
            mvn.trim_start_matches("./"),
            format!("{mvn} -B -q{off} dependency:go-offline"),
        ));
    }
    Ok(out)
}

fn root_files(root: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in ["", "requirements"] {
        if let Ok(rd) = std::fs::read_dir(root.join(dir)) {
            for e in rd.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                out.insert(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    out
}

fn node(root: &Path, files: &BTreeSet<String>, offline: bool) -> Result<Step, String> {
    let text = std::fs::read_to_string(root.join("package.json")).unwrap_or_default();
    let pm = crate::stages::probe::package_manager(&text, files);
    let off = if offline { " --offline" } else { "" };
    let has = |f: &str| files.contains(f);
    let command = match pm {
        "pnpm" if has("pnpm-lock.yaml") => format!("pnpm install --frozen-lockfile{off}"),
        "yarn" if has("yarn.lock") => {
            let lock = std::fs::read_to_string(root.join("yarn.lock")).unwrap_or_default();
            if lock.contains("# yarn lockfile v1") {
                format!("yarn install --frozen-lockfile --non-interactive{off}")
            } else {
                "yarn install --immutable".into()
            }
        }
        "bun" if has("bun.lock") || has("bun.lockb") => "bun install --frozen-lockfile".into(),
        "npm" if has("package-lock.json") || has("npm-shrinkwrap.json") => {
            format!("npm ci --no-audit --no-fund{off}")
        }
        _ if offline => {
            return Err(format!(
                "package.json has no lockfile and --offline allows no network, so its dependencies cannot be installed: commit the {pm} lockfile or run without --offline"
            ))
        }
        _ => format!("{pm} install"),
    };
    Ok(step(&format!("{pm} dependencies"), pm, command))
}

/// The Python steps, or `None` when the copy is not a Python project.
fn python(
    root: &Path,
    files: &BTreeSet<String>,
    offline: bool,
    have: &dyn Fn(&str) -> bool,
) -> Option<Vec<Step>> {
    let has = |f: &str| files.contains(f);
    let project = has("pyproject.toml") || has("setup.py") || has("setup.cfg");
    let req_files: Vec<&String> = files
        .iter()
        .filter(|f| {
            f.ends_with(".txt") && (f.starts_with("requirements") || f.contains("requirements"))
        })
        .collect();
    if !project && req_files.is_empty() && !has("tox.ini") {
        return None;
    }
    let mut args: Vec<String> = Vec::new();
    if project {
        let extras = python_extras(root);
        args.push(if extras.is_empty() {
            "-e .".into()
        } else {
            format!(
                "-e {}",
                shlex::try_quote(&format!(".[{}]", extras.join(","))).ok()?
            )
        });
    }
    let test_file = |f: &str| TEST_NAMES.iter().any(|n| f.contains(n));
    for f in &req_files {
        if test_file(f) || (!project && f.as_str() == "requirements.txt") {
            args.push(format!("-r {}", shlex::try_quote(f).ok()?));
        }
    }
    for r in groups_and_tox_deps(root) {
        args.push(match r.strip_prefix("-r ") {
            Some(file) => format!("-r {}", shlex::try_quote(file).ok()?),
            None => shlex::try_quote(&r).ok()?.into_owned(),
        });
    }
    let mut seen = BTreeSet::new();
    args.retain(|a| seen.insert(a.clone()));
    let uv = have("uv");
    let (venv, pip) = if uv {
        (
            "uv venv --quiet .venv".to_string(),
            "uv pip install --quiet --python .venv/bin/python",
        )
    } else {
        (
            "python3 -m venv .venv".to_string(),
            ".venv/bin/python -m pip install --quiet --disable-pip-version-check",
        )
    };
    let off = if offline {
        if uv {
            " --offline"
        } else {
            " --no-index"
        }
    } else {
        ""
    };
    let program = if uv { "uv" } else { "python3" };
    let mut out = vec![step("Python virtual environment", program, venv)];
    if !args.is_empty() {
        out.push(step(
            "Python dependencies",
            program,
            format!("{pip}{off} {}", args.join(" ")),
        ));
    }
    Some(out)
}

/// The test extras the project declares (`[project.optional-dependencies]` of
/// `pyproject.toml`, `[options.extras_require]` of `setup.cfg`), among [`TEST_NAMES`].
fn python_extras(root: &Path) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    if let Ok(doc) = std::fs::read_to_string(root.join("pyproject.toml"))
        .map(|t| t.parse::<toml::Table>().unwrap_or_default())
    {
        if let Some(t) = doc
            .get("project")
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(|o| o.as_table())
        {
            names.extend(t.keys().cloned());
        }
    }
    if let Some(ini) = std::fs::read_to_string(root.join("setup.cfg"))
        .ok()
        .and_then(|t| crate::stages::probe::read_ini(&t))
    {
        if let Some(e) = ini.get_map_ref().get("options.extras_require") {
            names.extend(e.keys().cloned());
        }
    }
    names.retain(|n| TEST_NAMES.contains(&n.as_str()));
    names.sort();
    names.dedup();
    names
}

/// Requirements of the `test`/`tests`/`dev` dependency groups (PEP 735) and the `deps` of
/// tox's `[testenv]` (`-r file` lines as pip arguments, `{…}` substitutions left out).
fn groups_and_tox_deps(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(doc) = std::fs::read_to_string(root.join("pyproject.toml"))
        .map(|t| t.parse::<toml::Table>().unwrap_or_default())
    {
        if let Some(groups) = doc.get("dependency-groups").and_then(|g| g.as_table()) {
            for name in TEST_NAMES {
                if let Some(list) = groups.get(*name).and_then(|l| l.as_array()) {
                    out.extend(list.iter().filter_map(|r| r.as_str().map(str::to_string)));
                }
            }
        }
    }
    if let Some(ini) = std::fs::read_to_string(root.join("tox.ini"))
        .ok()
        .and_then(|t| crate::stages::probe::read_ini(&t))
    {
        for line in ini.get("testenv", "deps").unwrap_or_default().lines() {
            let line = line.trim();
            if line.is_empty() || line.contains('{') {
                continue;
            }
            if let Some(file) = line.strip_prefix("-r").map(str::trim) {
                if root.join(file).is_file() {
                    out.push(format!("-r {file}"));
                }
            } else if !line.starts_with('-') {
                out.push(line.to_string());
            }
        }
    }
    out
}

/// The per-repository cache variables every step and gate command gets, all under `cache`.
pub fn cache_env(cache: &Path) -> Vec<(OsString, OsString)> {
    let at = |rel: &str| cache.join(rel).into_os_string();
    let mut maven_opts = OsString::from("-Dmaven.repo.local=");
    maven_opts.push(cache.join("m2/repository"));
    vec![
        ("PIP_CACHE_DIR".into(), at("pip")),
        ("UV_CACHE_DIR".into(), at("uv")),
        ("npm_config_cache".into(), at("npm")),
        ("YARN_CACHE_FOLDER".into(), at("yarn")),
        ("PNPM_STORE_DIR".into(), at("pnpm")),
        ("GOMODCACHE".into(), at("go/mod")),
        ("GOCACHE".into(), at("go/build")),
        ("MAVEN_OPTS".into(), maven_opts),
        ("MAVEN_USER_HOME".into(), at("m2")),
        ("GRADLE_USER_HOME".into(), at("gradle")),
    ]
}

/// `env` with the virtual environment of `scratch_root` first on `PATH` (and `VIRTUAL_ENV`
/// set) when it exists.
pub fn with_venv(env: &mut Vec<(OsString, OsString)>, scratch_root: &Path) {
    let venv = scratch_root.join(".venv");
    if !venv.join("bin").is_dir() {
        return;
    }
    let old = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let mut paths = vec![venv.join("bin")];
    paths.extend(std::env::split_paths(&old));
    if let Ok(joined) = std::env::join_paths(paths) {
        env.retain(|(k, _)| k != "PATH" && k != "VIRTUAL_ENV");
        env.push(("PATH".into(), joined));
        env.push(("VIRTUAL_ENV".into(), venv.into_os_string()));
        env.sort();
    }
}

/// The cache directory of the repository at `repo_root` under `cache_root`: a directory per
/// repository, named by the SHA-256 of its canonical path.
pub fn repo_cache(cache_root: &Path, repo_root: &Path) -> PathBuf {
    use sha2::Digest;
    let canon = std::fs::canonicalize(repo_root).unwrap_or_else(|_| repo_root.to_path_buf());
    let digest = sha2::Sha256::digest(canon.as_os_str().as_encoded_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    cache_root.join(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let p = root.join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
    }

    fn commands(root: &Path, offline: bool, uv: bool) -> Vec<String> {
        steps(root, offline, &|p| uv && p == "uv")
            .unwrap()
            .into_iter()
            .map(|s| s.command)
            .collect()
    }

    #[test]
    fn python_venv_with_test_extras_requirements_and_tox_deps() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("pyproject.toml", "[project]\nname='x'\n[project.optional-dependencies]\ntests=['pytest']\ndocs=['sphinx']\n[dependency-groups]\ndev=['coverage>=7']\n"),
                ("requirements/tests.txt", "pytest\n"),
                ("requirements/docs.txt", "sphinx\n"),
                ("tox.ini", "[testenv]\ndeps =\n    -r requirements/tests.txt\n    hypothesis\n    {env:EXTRA:}\ncommands = pytest\n"),
            ],
        );
        assert_eq!(
            commands(d.path(), false, false),
            [
                "python3 -m venv .venv",
                ".venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[tests]' -r requirements/tests.txt 'coverage>=7' hypothesis"
            ]
        );
        assert_eq!(
            commands(d.path(), true, true)[1],
            "uv pip install --quiet --python .venv/bin/python --offline -e '.[tests]' -r requirements/tests.txt 'coverage>=7' hypothesis"
        );
    }

    #[test]
    fn node_frozen_install_from_the_lockfile_and_offline_without_one_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("package.json", "{}"),
                ("yarn.lock", "# yarn lockfile v1\n"),
            ],
        );
        assert_eq!(
            commands(d.path(), false, false),
            ["yarn install --frozen-lockfile --non-interactive"]
        );
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &[("package.json", "{}")]);
        assert_eq!(commands(d.path(), false, false), ["npm install"]);
        let e = steps(d.path(), true, &|_| false).unwrap_err();
        assert!(e.contains("no lockfile") && e.contains("--offline"), "{e}");
    }

    #[test]
    fn rust_go_maven_and_nothing_for_a_plain_directory() {
        let d = tempfile::tempdir().unwrap();
        write(
            d.path(),
            &[
                ("Cargo.toml", "[package]\nname='x'\n"),
                ("Cargo.lock", ""),
                ("go.mod", "module x\n"),
                ("pom.xml", "<project/>"),
            ],
        );
        assert_eq!(
            commands(d.path(), false, false),
            [
                "cargo fetch --locked",
                "go mod download",
                "mvn -B -q dependency:go-offline"
            ]
        );
        let d = tempfile::tempdir().unwrap();
        write(d.path(), &[("README.md", "hi")]);
        assert!(commands(d.path(), false, false).is_empty());
    }
}

//! Stage 2, the Probe (docs/design.md §2 stage 2): a real, bounded scan of the repository that reports
//! languages, manifests, build/test/lint commands, services, CI, frameworks, entry points, the
//! files relevant to the task, environment variable names and the skills found.
//!
//! The scan ([`walk`]) respects `.gitignore`, sees hidden files (`.github/`) but never `.git/`,
//! stops after [`ProbeOptions::max_files`] files (shallow levels first, so root manifests are
//! always seen) and content-searches only text files of at most
//! [`ProbeOptions::max_file_bytes`]. Vendored and fixture directories ([`is_vendored`]) are
//! scanned for relevance but are not the project's own languages, manifests, services, entry
//! points or environment. Each field's rules are documented in its submodule.

mod ci;
mod commands;
mod compose;
mod deps;
mod entry;
mod env;
mod frameworks;
mod indexed;
mod languages;
mod manifests;
mod relevant;
mod services;
mod skills;
mod walk;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::model::ProbeReport;
use manifests::Kind;

pub use commands::package_manager;
pub use deps::read_ini;
pub use indexed::{IndexSummary, Indexed};
pub use relevant::{stem, Scorer};
pub use skills::find_skills;
pub use walk::SKIPPED_DIRS;

/// Directory names whose content is someone else's code or test data, not the project's own
/// (vendored dependencies, test fixtures, virtual environments).
pub const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "vendors",
    "third_party",
    "third-party",
    "thirdparty",
    "fixtures",
    "__fixtures__",
    "testdata",
    "test-data",
    "test_data",
    "node_modules",
    "bower_components",
    "site-packages",
    "venv",
    ".venv",
];

/// True when a directory of the repository-relative path `rel` is in [`VENDORED_DIRS`]
/// (`tests/fixtures/app/Makefile` is vendored; `fixtures.py` is not).
pub fn is_vendored(rel: &str) -> bool {
    rel.split('/')
        .rev()
        .skip(1)
        .any(|dir| VENDORED_DIRS.contains(&dir))
}

/// Bounds of a probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeOptions {
    /// Most files walked (default 20 000); the walk stops there.
    pub max_files: usize,
    /// Largest file content-searched, in bytes (default 256 KiB); larger files count for
    /// languages and path relevance only.
    pub max_file_bytes: u64,
    /// Home directory whose `.claude/skills/` holds the user's skills; `None` means `$HOME`.
    pub home: Option<PathBuf>,
    /// Bounds and cache mode of the code index ([`crate::index::Limits`]). The library's unit
    /// tests default to no cache, so they never write `.anneal/cache/` into a source tree.
    pub index: crate::index::Limits,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        let mut index = crate::index::Limits::default();
        if cfg!(test) {
            index.cache = crate::index::cache::CacheMode::Off;
        }
        Self {
            max_files: 20_000,
            max_file_bytes: 256 * 1024,
            home: None,
            index,
        }
    }
}

/// Probes the repository at `root` for `task` (docs/design.md §2 stage 2); the probe report
/// only (see [`probe_indexed`]).
///
/// # Errors
/// As [`probe_indexed`].
pub fn probe(root: &Path, task: &str, opts: &ProbeOptions) -> anyhow::Result<ProbeReport> {
    let skills = find_skills(root, opts.home.as_deref());
    Ok(probe_indexed(root, task, opts, &skills)?.0)
}

/// One progress line about the index: `code index: 412 files (Rust 398, Python 14), 9120
/// definitions, cache reused, 310 ms; task names resolved: 2 of 3`.
pub fn index_line(indexed: &Indexed) -> String {
    let r = &indexed.index.report;
    let langs: Vec<String> = r
        .files_per_language
        .iter()
        .map(|(l, n)| format!("{l} {n}"))
        .collect();
    let names = &indexed.resolution.names;
    let resolved = names
        .iter()
        .filter(|n| !n.symbols.is_empty() || !n.files.is_empty())
        .count();
    let skipped: u32 = r.skipped_by_reason.values().sum();
    format!(
        "      code index: {} files ({}), {} definitions, {} skipped, cache {}, {} ms; task names resolved: {resolved} of {}",
        r.files,
        if langs.is_empty() { "no supported language".to_string() } else { langs.join(", ") },
        r.definitions,
        skipped,
        r.cache.status,
        r.build_ms,
        names.len()
    )
}

/// The project's own source files of a walk, for the code index: vendored directories
/// ([`is_vendored`]) left out.
fn sources(files: &[walk::ScannedFile]) -> Vec<crate::index::SourceFile> {
    files
        .iter()
        .filter(|f| !is_vendored(&f.rel))
        .map(|f| crate::index::SourceFile {
            rel: f.rel.clone(),
            abs: f.abs.clone(),
            size: f.size,
        })
        .collect()
}

/// The code index of the repository at `root`, built from the probe's walk (bounded by
/// `opts.max_files` and `opts.index`, cached under `.anneal/cache/` as `opts.index.cache` says).
///
/// # Errors
/// `root` does not exist or is not a directory.
pub fn index_repository(
    root: &Path,
    opts: &ProbeOptions,
) -> anyhow::Result<crate::index::CodeIndex> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot open repository {}", root.display()))?;
    let files = walk::walk(&root, opts.max_files)?;
    Ok(crate::index::build(&root, &sources(&files), &opts.index))
}

/// Probes the repository at `root` for `task` (docs/design.md §2 stage 2), building the code
/// index and resolving the task against it.
///
/// Output: a [`ProbeReport`] with `repository` the root's directory name (never a path), lists
/// sorted or ordered as each submodule documents, paths repository-relative with `/`, and
/// `files_scanned` the number of files walked (≤ `opts.max_files`); `relevant_files` are the
/// resolution's ranked files with their reasons ([`relevant::merge`]). And the [`Indexed`]
/// index and resolution. `skills` are the skills found once for the run ([`find_skills`]);
/// the report lists their names.
///
/// Errors: `root` does not exist or is not a directory.
pub fn probe_indexed(
    root: &Path,
    task: &str,
    opts: &ProbeOptions,
    skills: &[crate::model::Skill],
) -> anyhow::Result<(ProbeReport, Indexed)> {
    let root = root
        .canonicalize()
        .with_context(|| format!("cannot open repository {}", root.display()))?;
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let files = walk::walk(&root, opts.max_files)?;
    let paths: BTreeSet<String> = files.iter().map(|f| f.rel.clone()).collect();
    let index = crate::index::build(&root, &sources(&files), &opts.index);
    let resolution = crate::index::resolve(&index, task);

    let scorer = Scorer::new(task);
    let mut languages = languages::Tally::default();
    let mut env = env::EnvNames::default();
    let mut ranked = Vec::new();
    for file in &files {
        let text = walk::read_text(file, opts.max_file_bytes);
        let language = languages::language_of(&file.rel, text.as_deref());
        if let (Some(language), false) = (language, is_vendored(&file.rel)) {
            languages.add(language);
            if let Some(text) = &text {
                env.scan_code(language, text, &file.rel);
            }
        }
        ranked.extend(scorer.score(&file.rel, text.as_deref(), language.is_some()));
    }

    let manifests = manifests::find(&files, opts.max_file_bytes);
    let deps: Vec<deps::Dependency> = manifests.iter().flat_map(deps::declared).collect();

    let mut services = services::Services::default();
    for m in manifests.iter().filter(|m| m.kind == Kind::Compose) {
        if let Some(c) = m.text.as_deref().and_then(compose::parse) {
            for (_, image) in &c.images {
                if let Some(s) = services::for_image(image) {
                    services.add(s, &m.rel);
                }
            }
            for name in &c.env_names {
                env.insert(name, &m.rel);
            }
        }
    }
    for d in &deps {
        for s in services::for_dependency(d) {
            services.add(s, &d.source);
        }
    }
    for m in manifests.iter().filter(|m| m.kind == Kind::EnvTemplate) {
        for e in env::template_entries(m.text.as_deref().unwrap_or("")) {
            env.insert(&e.name, &m.rel);
            if let Some(s) = e.scheme.as_deref().and_then(services::for_scheme) {
                services.add(s, &m.rel);
            }
        }
    }
    for (name, source) in env.iter() {
        if let Some(s) = services::for_env_name(name) {
            services.add(s, source);
        }
    }

    let ci_files = ci::detect(&paths);
    let ci_texts: Vec<(String, String)> = files
        .iter()
        .filter(|f| ci_files.contains(&f.rel))
        .filter_map(|f| Some((f.rel.clone(), walk::read_text(f, opts.max_file_bytes)?)))
        .collect();
    let ci_lines = commands::ci_steps::lines(&ci_texts);
    let report = ProbeReport {
        repository: root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "repository".to_string()),
        languages: languages.into_stats(),
        manifests: manifests.iter().map(|m| m.rel.clone()).collect(),
        commands: commands::detect(&manifests, &deps, &paths, &ci_lines),
        services: services.into_vec(),
        ci: ci_files,
        frameworks: frameworks::detect(&deps),
        entry_points: entry::detect(&paths, &manifests),
        relevant_files: relevant::merge(&resolution, relevant::top(ranked), |p| {
            index.file(p).is_some()
        }),
        env_vars: env.names(),
        skills: skills.iter().map(|s| s.name.clone()).collect(),
        files_scanned: u32::try_from(files.len()).unwrap_or(u32::MAX),
    };
    Ok((
        report,
        Indexed {
            index: std::sync::Arc::new(index),
            resolution: std::sync::Arc::new(resolution),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo")
    }

    fn no_home() -> ProbeOptions {
        ProbeOptions {
            home: Some(PathBuf::from("/nonexistent-anneal-home")),
            ..ProbeOptions::default()
        }
    }

    fn touch(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn fixture_service_repo() {
        let r = probe(
            &fixture(),
            "Add rate limiting to the login endpoint",
            &no_home(),
        )
        .unwrap();
        assert_eq!(r.repository, "service-repo");
        assert_eq!(r.languages[0].name, "Python");
        let commands: Vec<(&str, &str, &str)> = r
            .commands
            .iter()
            .map(|c| (c.purpose.as_str(), c.command.as_str(), c.source.as_str()))
            .collect();
        assert_eq!(
            commands,
            [
                (
                    "build",
                    "make build",
                    "Makefile, also run by CI in .github/workflows/ci.yml"
                ),
                (
                    "test",
                    "make test",
                    "Makefile, also run by CI in .github/workflows/ci.yml"
                ),
                (
                    "lint",
                    "make lint",
                    "Makefile, also run by CI in .github/workflows/ci.yml"
                ),
            ]
        );
        let services: Vec<(&str, &str, &str)> = r
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.kind.as_str(), s.source.as_str()))
            .collect();
        assert_eq!(
            services,
            [
                ("postgresql", "database", "docker-compose.yml"),
                ("redis", "cache", "docker-compose.yml"),
            ]
        );
        assert_eq!(r.ci, [".github/workflows/ci.yml"]);
        for m in [
            "Makefile",
            "pyproject.toml",
            "docker-compose.yml",
            "Dockerfile",
            ".env.example",
        ] {
            assert!(
                r.manifests.iter().any(|x| x == m),
                "manifest {m}: {:?}",
                r.manifests
            );
        }
        for v in ["DATABASE_URL", "REDIS_URL", "JWT_SECRET"] {
            assert!(
                r.env_vars.iter().any(|x| x == v),
                "env {v}: {:?}",
                r.env_vars
            );
        }
        assert!(r.env_vars.windows(2).all(|w| w[0] < w[1]));
        assert!(
            r.frameworks.iter().any(|f| f == "fastapi"),
            "{:?}",
            r.frameworks
        );
        assert!(
            r.entry_points.iter().any(|e| e == "app/main.py"),
            "{:?}",
            r.entry_points
        );
        let top: Vec<&str> = r.relevant_files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(top[..2], ["app/main.py", "app/auth.py"], "{top:?}");
        assert!(r
            .relevant_files
            .iter()
            .all(|f| f.score > 0 && !f.reason.is_empty()));
        assert!(r.files_scanned >= 15);
        assert!(r.skills.is_empty());
    }

    #[test]
    fn fixture_tasks_find_their_files() {
        let ranked = |task: &str| -> Vec<String> {
            probe(&fixture(), task, &no_home())
                .unwrap()
                .relevant_files
                .into_iter()
                .take(5)
                .map(|f| f.path)
                .collect()
        };
        let reset = ranked("Add a password reset flow that emails a one-time token");
        assert!(reset.iter().any(|p| p == "app/auth.py"), "{reset:?}");
        let sessions = ranked("Move session storage from Postgres to Redis");
        assert!(
            sessions.iter().any(|p| p == "app/sessions.py"),
            "{sessions:?}"
        );
    }

    #[test]
    fn anneal_itself() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let r = probe(
            &root,
            "Add a strategy option to the convergence checker",
            &no_home(),
        )
        .unwrap();
        assert_eq!(r.languages[0].name, "Rust");
        let build = r
            .commands
            .iter()
            .find(|c| c.purpose == "build")
            .expect("a build command");
        assert_eq!(build.command, "cargo build --workspace");
        assert_eq!(build.source, "Cargo.toml");
        assert!(r
            .commands
            .iter()
            .any(|c| c.command == "cargo test --workspace"));
        assert!(r.manifests.iter().any(|m| m == "host/Cargo.toml"));
        // The fixture repository inside tests/ is not anneal's own stack.
        assert!(r.services.is_empty(), "{:?}", r.services);
        assert!(!r.manifests.iter().any(|m| m.contains("fixtures")));
        assert!(r.frameworks.iter().any(|f| f == "wasmtime"));
        assert!(r.entry_points.iter().any(|e| e == "host/src/main.rs"));
        assert!(!r.repository.contains('/'));
    }

    #[test]
    fn gitignored_files_are_not_scanned() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, ".gitignore", "generated/\nlogin_dump.py\n");
        touch(r, "login.py", "def login(): pass\n");
        touch(r, "login_dump.py", "login login login\n");
        touch(r, "generated/login_gen.py", "login\n");
        let report = probe(r, "Fix the login", &no_home()).unwrap();
        assert_eq!(report.files_scanned, 2);
        let paths: Vec<&str> = report
            .relevant_files
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(paths, ["login.py"]);
        assert_eq!(report.languages[0].files, 1);
    }

    #[test]
    fn max_files_bounds_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(
            r,
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
        );
        for i in 0..40 {
            touch(r, &format!("src/deep/mod{i:02}.rs"), "pub fn f() {}\n");
        }
        let opts = ProbeOptions {
            max_files: 10,
            ..no_home()
        };
        let report = probe(r, "refactor", &opts).unwrap();
        assert_eq!(report.files_scanned, 10);
        assert_eq!(report.commands[0].command, "cargo build");
        assert_eq!(report.languages[0].files, 9);
    }

    #[test]
    fn missing_root_is_an_error() {
        assert!(probe(Path::new("/nonexistent/anneal/repo"), "x", &no_home()).is_err());
    }

    #[test]
    fn skills_are_reported_by_name() {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        touch(
            home.path(),
            ".claude/skills/scout/SKILL.md",
            "---\nname: scout\ndescription: x\n---\n",
        );
        touch(repo.path(), "README.md", "hi\n");
        let opts = ProbeOptions {
            home: Some(home.path().to_path_buf()),
            ..ProbeOptions::default()
        };
        assert_eq!(probe(repo.path(), "x", &opts).unwrap().skills, ["scout"]);
    }

    #[test]
    fn vendored_paths() {
        assert!(is_vendored("tests/fixtures/app/Makefile"));
        assert!(is_vendored("vendor/x.go"));
        assert!(!is_vendored("fixtures.py"));
        assert!(!is_vendored("src/vendor.rs"));
    }
}

//! Manifest files: which files are build, dependency, task-runner, container or environment
//! manifests, and where they may sit.
//!
//! A manifest is recognised by its file name ([`kind_of`]) at most [`MAX_MANIFEST_DEPTH`] path
//! components deep (`crates/core/Cargo.toml` is 3) and outside vendored or fixture directories
//! ([`super::is_vendored`]), so a workspace's member crates and a monorepo's packages are found,
//! but test fixtures and vendored code never pass for the project's own manifests.

use super::walk::{is_env_template, ScannedFile};

/// Deepest manifest considered, in path components.
pub const MAX_MANIFEST_DEPTH: usize = 4;

/// What a manifest file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `Cargo.toml`.
    Cargo,
    /// `package.json`.
    Npm,
    /// `pyproject.toml`.
    Pyproject,
    /// `requirements*.txt` (also inside a `requirements/` directory).
    Requirements,
    /// `setup.py`.
    SetupPy,
    /// `setup.cfg`.
    SetupCfg,
    /// `Pipfile`.
    Pipfile,
    /// `tox.ini`.
    Tox,
    /// `noxfile.py`.
    Nox,
    /// `pytest.ini`.
    PytestIni,
    /// `go.mod`.
    GoMod,
    /// `pom.xml`.
    Maven,
    /// `build.gradle`, `build.gradle.kts`, `settings.gradle(.kts)`.
    Gradle,
    /// `Gemfile`.
    Gemfile,
    /// `composer.json`.
    Composer,
    /// `mix.exs`.
    Mix,
    /// `Makefile`, `makefile`, `GNUmakefile`.
    Makefile,
    /// `justfile`, `Justfile`, `.justfile`.
    Justfile,
    /// `CMakeLists.txt`.
    CMake,
    /// `docker-compose*.yml|yaml`, `compose*.yml|yaml`.
    Compose,
    /// `Dockerfile`, `Dockerfile.*`, `*.Dockerfile`, `Containerfile`.
    Dockerfile,
    /// `Procfile`.
    Procfile,
    /// `.env.example`, `.env.sample`, `.env.template`, …
    EnvTemplate,
}

/// The manifest kind of a file named `name` found at repository-relative `rel`, or `None`.
pub fn kind_of(rel: &str, name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    let kind = match name {
        "Cargo.toml" => Kind::Cargo,
        "package.json" => Kind::Npm,
        "pyproject.toml" => Kind::Pyproject,
        "setup.py" => Kind::SetupPy,
        "setup.cfg" => Kind::SetupCfg,
        "Pipfile" => Kind::Pipfile,
        "tox.ini" => Kind::Tox,
        "noxfile.py" => Kind::Nox,
        "pytest.ini" => Kind::PytestIni,
        "go.mod" => Kind::GoMod,
        "pom.xml" => Kind::Maven,
        "build.gradle" | "build.gradle.kts" | "settings.gradle" | "settings.gradle.kts" => {
            Kind::Gradle
        }
        "Gemfile" => Kind::Gemfile,
        "composer.json" => Kind::Composer,
        "mix.exs" => Kind::Mix,
        "Makefile" | "makefile" | "GNUmakefile" => Kind::Makefile,
        "justfile" | "Justfile" | ".justfile" => Kind::Justfile,
        "CMakeLists.txt" => Kind::CMake,
        "Procfile" => Kind::Procfile,
        "Containerfile" => Kind::Dockerfile,
        _ if lower == "dockerfile"
            || lower.starts_with("dockerfile.")
            || lower.ends_with(".dockerfile") =>
        {
            Kind::Dockerfile
        }
        _ if is_compose(&lower) => Kind::Compose,
        _ if is_env_template(name) => Kind::EnvTemplate,
        _ if lower.ends_with(".txt")
            && (lower.starts_with("requirements") || rel.contains("requirements/")) =>
        {
            Kind::Requirements
        }
        _ => return None,
    };
    Some(kind)
}

fn is_compose(lower: &str) -> bool {
    (lower.starts_with("docker-compose") || lower.starts_with("compose"))
        && (lower.ends_with(".yml") || lower.ends_with(".yaml"))
}

/// A manifest found in the repository.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// Repository-relative path.
    pub rel: String,
    /// What it is.
    pub kind: Kind,
    /// Its text (`None` when unreadable, binary or over the size limit).
    pub text: Option<String>,
}

impl Manifest {
    /// True when the manifest sits at the repository root.
    pub fn at_root(&self) -> bool {
        !self.rel.contains('/')
    }
}

/// The manifests among `files`, sorted root first (by depth, then path), texts read with
/// `max_bytes` as the size limit.
pub fn find(files: &[ScannedFile], max_bytes: u64) -> Vec<Manifest> {
    let mut found: Vec<(&ScannedFile, Kind)> = files
        .iter()
        .filter(|f| f.depth <= MAX_MANIFEST_DEPTH && !super::is_vendored(&f.rel))
        .filter_map(|f| kind_of(&f.rel, f.name()).map(|k| (f, k)))
        .collect();
    found.sort_by(|a, b| {
        a.0.depth
            .cmp(&b.0.depth)
            .then_with(|| a.0.rel.cmp(&b.0.rel))
    });
    found
        .into_iter()
        .map(|(f, kind)| Manifest {
            rel: f.rel.clone(),
            kind,
            text: super::walk::read_text(f, max_bytes),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised() {
        let k = |rel: &str| kind_of(rel, rel.rsplit('/').next().unwrap());
        assert_eq!(k("Cargo.toml"), Some(Kind::Cargo));
        assert_eq!(k("requirements-dev.txt"), Some(Kind::Requirements));
        assert_eq!(k("requirements/base.txt"), Some(Kind::Requirements));
        assert_eq!(k("notes.txt"), None);
        assert_eq!(k("docker-compose.override.yml"), Some(Kind::Compose));
        assert_eq!(k("compose.yaml"), Some(Kind::Compose));
        assert_eq!(k("Dockerfile.dev"), Some(Kind::Dockerfile));
        assert_eq!(k("api.Dockerfile"), Some(Kind::Dockerfile));
        assert_eq!(k("Containerfile"), Some(Kind::Dockerfile));
        assert_eq!(k("Procfile"), Some(Kind::Procfile));
        assert_eq!(k(".env.example"), Some(Kind::EnvTemplate));
        assert_eq!(k(".env"), None);
        assert_eq!(k("build.gradle.kts"), Some(Kind::Gradle));
        assert_eq!(k("README.md"), None);
        assert_eq!(k("tox.ini"), Some(Kind::Tox));
        assert_eq!(k("noxfile.py"), Some(Kind::Nox));
    }
}

//! Installed strategies: components an operator copied into their strategy directory with
//! `anneal strategy install PATH`, then run by name (`anneal --strategy NAME`).
//!
//! The directory is `$ANNEAL_STRATEGY_DIR` when set, else `$XDG_DATA_HOME/anneal/strategies`
//! (on Linux `~/.local/share/anneal/strategies`); an installed strategy is the file
//! `NAME.wasm` there. A name resolves bundled first: an installed file can never stand in for
//! `cast`, `alloy` or `temper`. Installing checks the component the same way a run does (it must
//! load as a strategy and answer `info()`, see `cli`), so what sits in the directory was a valid
//! strategy when it was installed; it is checked again at every run all the same.
use std::path::{Path, PathBuf};

/// The environment variable naming the strategy directory.
pub const ENV: &str = "ANNEAL_STRATEGY_DIR";

/// The strategy directory, or `None` when the platform has no data directory and [`ENV`] is
/// unset. It need not exist.
pub fn dir() -> Option<PathBuf> {
    match std::env::var_os(ENV) {
        Some(v) if !v.is_empty() => Some(PathBuf::from(v)),
        _ => dirs::data_dir().map(|d| d.join("anneal").join("strategies")),
    }
}

/// The file of installed strategy `name` in `dir`, if there is one.
pub fn find(dir: &Path, name: &str) -> Option<PathBuf> {
    if !valid_name(name) {
        return None;
    }
    let p = dir.join(format!("{name}.wasm"));
    p.is_file().then_some(p)
}

/// What to do when the strategy directory cannot be used.
fn fix() -> String {
    format!("set {ENV} to a directory of your own")
}

/// [`check_private`] on `dir` when it exists (a missing directory holds nothing to run).
///
/// # Errors
/// As [`check_private`].
pub fn check_usable(dir: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        _ => check_private(dir, None),
    }
}

/// Checks that `dir`, and `file` in it when given, are the user's own and writable by nobody
/// else ([`super::private_dir`], the rule of the compile cache): a strategy another user could
/// replace is not run.
///
/// # Errors
/// Why the directory (or file) is not used and what to do.
pub fn check_private(dir: &Path, file: Option<&Path>) -> Result<(), String> {
    super::private_dir::check(dir, "strategy directory", &fix())?;
    match file {
        Some(f) => super::private_dir::check_file(f, "installed strategy", &fix()),
        None => Ok(()),
    }
}

/// Installed strategies in `dir` as (name, file), sorted by name. A missing or unreadable
/// directory lists nothing; files whose stem is not a valid name are skipped.
pub fn list(dir: &Path) -> Vec<(String, PathBuf)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(String, PathBuf)> = rd
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm") && p.is_file())
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_string();
            valid_name(&stem).then_some((stem, p))
        })
        .collect();
    out.sort();
    out
}

/// A name an installed strategy can have (as its `info()` gives it, and as a file stem): the
/// same kebab-case rule as `anneal new strategy` ([`crate::text::strategy_name`]).
pub use crate::text::strategy_name as valid_name;

/// Why a strategy cannot be installed or removed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error("cannot install a strategy named {0:?}: a strategy name is kebab-case (lowercase letters, digits and single '-', starting with a letter, at most 40 characters); the name comes from the component's info()")]
    BadName(String),
    #[error("{0} is a bundled strategy; an installed strategy cannot take a bundled name (change the name its info() returns)")]
    Bundled(String),
    #[error("strategy {name} is already installed at {path}; pass --force to replace it")]
    Exists { name: String, path: String },
    #[error("no strategy named {name} is installed in {dir}")]
    NotInstalled { name: String, dir: String },
    #[error("no strategy directory: set {ENV} to one")]
    NoDir,
    #[error("{0}")]
    Unsafe(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Writes `bytes` as installed strategy `name` in `dir` (created if missing), atomically: a
/// temporary file in `dir` renamed over the target, so a reader sees the old file or the new
/// one, never half of one. Returns the installed file.
///
/// # Errors
/// [`InstallError::BadName`], [`InstallError::Bundled`] (names in `bundled`),
/// [`InstallError::Exists`] unless `force`, [`InstallError::Io`].
pub fn install(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    bundled: &[&str],
    force: bool,
) -> Result<PathBuf, InstallError> {
    if !valid_name(name) {
        return Err(InstallError::BadName(name.to_string()));
    }
    if bundled.contains(&name) {
        return Err(InstallError::Bundled(name.to_string()));
    }
    let target = dir.join(format!("{name}.wasm"));
    if target.exists() && !force {
        return Err(InstallError::Exists {
            name: name.to_string(),
            path: target.display().to_string(),
        });
    }
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| InstallError::Io { path, source }
    };
    super::private_dir::create(dir, "strategy directory", &fix()).map_err(InstallError::Unsafe)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    std::io::Write::write_all(&mut tmp, bytes).map_err(io(tmp.path()))?;
    tmp.as_file().sync_all().map_err(io(&target))?;
    tmp.persist(&target).map_err(|e| io(&target)(e.error))?;
    Ok(target)
}

/// Deletes installed strategy `name` from `dir`; returns the file removed.
///
/// # Errors
/// [`InstallError::NotInstalled`], [`InstallError::Io`].
pub fn remove(dir: &Path, name: &str) -> Result<PathBuf, InstallError> {
    let p = find(dir, name).ok_or_else(|| InstallError::NotInstalled {
        name: name.to_string(),
        dir: dir.display().to_string(),
    })?;
    std::fs::remove_file(&p).map_err(|source| InstallError::Io {
        path: p.display().to_string(),
        source,
    })?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["foundry", "my-strategy", "a1"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "Foundry",
            "1abc",
            "../x",
            "a/b",
            "a.b",
            "a b",
            &"x".repeat(65),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn install_list_find_remove() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("strategies");
        assert!(list(&d).is_empty());
        let p = install(&d, "foundry", b"\0asm", &["cast"], false).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"\0asm");
        assert_eq!(find(&d, "foundry"), Some(p.clone()));
        assert_eq!(list(&d), vec![("foundry".to_string(), p.clone())]);
        // Only the target is left: the temporary file was renamed, not copied.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
        assert!(matches!(
            install(&d, "foundry", b"x", &["cast"], false),
            Err(InstallError::Exists { .. })
        ));
        install(&d, "foundry", b"new", &["cast"], true).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(remove(&d, "foundry").unwrap(), p);
        assert!(find(&d, "foundry").is_none());
        assert!(matches!(
            remove(&d, "foundry"),
            Err(InstallError::NotInstalled { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_strategy_directory_others_can_write_is_refused_like_the_compile_cache() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("strategies");
        let p = install(&d, "theirs", b"\0asm", &["cast"], false).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&d), 0o700, "created private");
        check_private(&d, Some(&p)).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = check_private(&d, Some(&p)).unwrap_err();
        assert!(e.contains("writable by other users (mode 777)"), "{e}");
        assert!(e.contains("chmod 700"), "{e}");
        assert!(matches!(
            install(&d, "other", b"\0asm", &["cast"], false),
            Err(InstallError::Unsafe(_))
        ));
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = check_private(&d, Some(&p)).unwrap_err();
        assert!(
            e.contains("installed strategy") && e.contains("chmod 600"),
            "{e}"
        );
    }

    #[test]
    fn bundled_and_bad_names_are_refused() {
        let t = tempfile::tempdir().unwrap();
        assert!(matches!(
            install(t.path(), "cast", b"", &["cast"], true),
            Err(InstallError::Bundled(_))
        ));
        assert!(matches!(
            install(t.path(), "../evil", b"", &["cast"], true),
            Err(InstallError::BadName(_))
        ));
        assert!(find(t.path(), "../etc/passwd").is_none());
    }
}

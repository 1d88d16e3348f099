//! The compile cache: machine code wasmtime compiled from a component, kept between runs so a
//! large guest (an 18 MB Python component, say) is not compiled again on every run.
//!
//! This is wasmtime's own cache (the `cache` feature, `wasmtime::Cache`): an entry is keyed by a
//! sha256 of the component's bytes together with everything about the engine that changes the
//! code (wasmtime version, compiler settings, target), so a changed component or a different
//! anneal build never reuses an entry. Only anneal writes it; a precompiled artifact handed to
//! anneal by a user is still refused (`LoadError::Precompiled`). Because an entry is native code
//! that runs as the user, the directory must be the user's own: it is created mode 0700, and one
//! that another user owns or can write to is not used (the run goes on uncompiled-cached, with a
//! warning saying why).
//!
//! Where: `$ANNEAL_CACHE_DIR` when set (`off` turns the cache off), else
//! `$XDG_CACHE_HOME/anneal/components` (on Linux `~/.cache/anneal/components`).
use std::path::{Path, PathBuf};
use wasmtime::{Cache, CacheConfig};

/// The environment variable naming the cache directory, or `off`.
pub const ENV: &str = "ANNEAL_CACHE_DIR";

/// What the runtime does about the compile cache, decided once per process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    /// Use (and create) this directory.
    Dir(PathBuf),
    /// `ANNEAL_CACHE_DIR=off`, or no cache directory can be found for this user.
    Off,
}

/// Reads [`ENV`]: unset → the user's cache directory (in this crate's unit tests: off); `off`
/// (any case) or empty → [`Setting::Off`]; anything else → that directory.
pub fn from_env() -> Setting {
    match std::env::var_os(ENV) {
        Some(v) if v.is_empty() || v.eq_ignore_ascii_case("off") => Setting::Off,
        Some(v) => Setting::Dir(PathBuf::from(v)),
        // The library's own unit tests never write into the user's cache directory.
        None if cfg!(test) => Setting::Off,
        None => match dirs::cache_dir() {
            Some(d) => Setting::Dir(d.join("anneal").join("components")),
            None => Setting::Off,
        },
    }
}

/// Opens the cache for `setting`.
///
/// Returns `Ok(None)` for [`Setting::Off`].
///
/// # Errors
/// A message saying why the directory cannot be used (cannot be created, not a directory, owned
/// by another user, writable by group or others) and what to do; the caller warns and runs
/// without a cache.
pub fn open(setting: &Setting) -> Result<Option<Cache>, String> {
    let dir = match setting {
        Setting::Off => return Ok(None),
        Setting::Dir(d) => d,
    };
    prepare(dir)?;
    let mut config = CacheConfig::new();
    config.with_directory(dir);
    Cache::new(config)
        .map(Some)
        .map_err(|e| format!("compile cache {} cannot be used: {e:#}", dir.display()))
}

/// Creates `dir` (mode 0700 on Unix) and checks that only this user can write to it
/// ([`super::private_dir`], the rule installed strategies follow too).
fn prepare(dir: &Path) -> Result<(), String> {
    let fix = format!("set {ENV} to a directory of your own, or {ENV}=off");
    super::private_dir::create(dir, "compile cache", &fix)
}

/// What a cache directory holds: regular files (entries, and the cache worker's bookkeeping)
/// and their total size in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub files: u64,
    pub bytes: u64,
}

/// Counts the regular files under `dir` and their size, without following symlinks.
/// A directory that does not exist holds nothing.
///
/// # Errors
/// An I/O error walking the directory (other than its absence).
pub fn usage(dir: &Path) -> std::io::Result<Usage> {
    let mut u = Usage::default();
    if !dir.exists() {
        return Ok(u);
    }
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.file_type().is_file() {
            u.files += 1;
            u.bytes += entry.metadata().map_err(std::io::Error::other)?.len();
        }
    }
    Ok(u)
}

/// Deletes everything inside `dir` (not `dir` itself) and returns what was there. Refuses a
/// `dir` that is a symlink or not a directory, so it never deletes outside the cache.
///
/// # Errors
/// A message naming the directory and the I/O error.
pub fn clear(dir: &Path) -> Result<Usage, String> {
    let meta = match std::fs::symlink_metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Usage::default()),
        Err(e) => return Err(format!("compile cache {}: {e}", dir.display())),
    };
    if !meta.is_dir() {
        return Err(format!(
            "compile cache {} is not a directory (a symlink or a file); not clearing it",
            dir.display()
        ));
    }
    let before = usage(dir).map_err(|e| format!("compile cache {}: {e}", dir.display()))?;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("compile cache {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("compile cache {}: {e}", dir.display()))?;
        let path = entry.path();
        let removed = match entry.file_type() {
            Ok(t) if t.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
        removed.map_err(|e| format!("cannot delete {}: {e}", path.display()))?;
    }
    Ok(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_directory_is_created_private() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("a/b");
        assert!(open(&Setting::Dir(d.clone())).unwrap().is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_group_writable_directory_is_refused_with_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        std::fs::set_permissions(t.path(), std::fs::Permissions::from_mode(0o775)).unwrap();
        let e = open(&Setting::Dir(t.path().into())).unwrap_err();
        assert!(e.contains("writable by other users (mode 775)"), "{e}");
        assert!(e.contains("chmod 700"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let real = t.path().join("real");
        std::fs::create_dir(&real).unwrap();
        let link = t.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let e = open(&Setting::Dir(link)).unwrap_err();
        assert!(e.contains("not a directory"), "{e}");
    }

    #[test]
    fn off_opens_nothing() {
        assert!(open(&Setting::Off).unwrap().is_none());
    }

    #[test]
    fn usage_counts_and_clear_empties_but_keeps_the_directory() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path().join("cache");
        assert_eq!(usage(&d).unwrap(), Usage::default());
        std::fs::create_dir_all(d.join("modules/x")).unwrap();
        std::fs::write(d.join("modules/x/a"), b"12345").unwrap();
        std::fs::write(d.join(".stats"), b"12").unwrap();
        assert_eq!(usage(&d).unwrap(), Usage { files: 2, bytes: 7 });
        assert_eq!(clear(&d).unwrap(), Usage { files: 2, bytes: 7 });
        assert!(d.is_dir());
        assert_eq!(usage(&d).unwrap(), Usage::default());
    }

    #[cfg(unix)]
    #[test]
    fn clear_does_not_follow_a_symlink() {
        let t = tempfile::tempdir().unwrap();
        let precious = t.path().join("precious");
        std::fs::create_dir(&precious).unwrap();
        std::fs::write(precious.join("keep"), b"x").unwrap();
        let link = t.path().join("cache");
        std::os::unix::fs::symlink(&precious, &link).unwrap();
        assert!(clear(&link).unwrap_err().contains("not a directory"));
        // A symlink inside the cache is deleted, not what it points to.
        std::fs::remove_file(&link).unwrap();
        std::fs::create_dir(&link).unwrap();
        std::os::unix::fs::symlink(&precious, link.join("escape")).unwrap();
        clear(&link).unwrap();
        assert!(precious.join("keep").exists());
    }
}

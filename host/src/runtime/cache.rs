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

/// Creates `dir` (mode 0700 on Unix) and checks that only this user can write to it.
fn prepare(dir: &Path) -> Result<(), String> {
    let fix = format!("set {ENV} to a directory of your own, or {ENV}=off");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        format!(
            "compile cache {} cannot be created: {e}; {fix}",
            dir.display()
        )
    })?;
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("compile cache {}: {e}; {fix}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "compile cache {} is not a directory (a symlink or a file); {fix}",
            dir.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(format!(
                "compile cache {} belongs to uid {}, not to you (uid {me}); its entries are \
                 native code, so anneal does not use it; {fix}",
                dir.display(),
                meta.uid()
            ));
        }
        if meta.mode() & 0o022 != 0 {
            return Err(format!(
                "compile cache {} is writable by other users (mode {:o}); its entries are native \
                 code, so anneal does not use it; run `chmod 700 {}` or {fix}",
                dir.display(),
                meta.mode() & 0o777,
                dir.display()
            ));
        }
    }
    Ok(())
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
}

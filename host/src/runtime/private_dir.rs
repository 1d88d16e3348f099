//! Directories whose files anneal runs: the compile cache (native code) and the installed
//! strategies (components). Both must be the user's own — a directory another user can write
//! to lets them put code in front of anneal — so both are created mode 0700 and checked the
//! same way before use (docs/security.md, "Compile cache" and "Installed strategies").
use std::path::Path;

/// Creates `dir` and its parents (the leaf mode 0700 on Unix), then [`check`]s it.
///
/// # Errors
/// The directory cannot be created, or [`check`] refuses it; `what` names it in the message
/// (e.g. `compile cache`) and `fix` says what to do.
pub fn create(dir: &Path, what: &str, fix: &str) -> Result<(), String> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(|e| format!("{what} {} cannot be created: {e}; {fix}", dir.display()))?;
    check(dir, what, fix)
}

/// Checks that `dir` is a real directory (not a symlink), owned by this user and not writable
/// by group or others.
///
/// # Errors
/// Which of these fails, naming the directory and its owner or mode, with `fix` (and, for a
/// mode, the `chmod` that repairs it).
pub fn check(dir: &Path, what: &str, fix: &str) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(dir)
        .map_err(|e| format!("{what} {}: {e}; {fix}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "{what} {} is not a directory (a symlink or a file); {fix}",
            dir.display()
        ));
    }
    owned_and_private(dir, &meta, what, fix)
}

/// Checks that the regular file `file` (in a directory [`check`] accepted) is owned by this
/// user and not writable by group or others.
///
/// # Errors
/// As [`check`].
pub fn check_file(file: &Path, what: &str, fix: &str) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(file)
        .map_err(|e| format!("{what} {}: {e}; {fix}", file.display()))?;
    if !meta.is_file() {
        return Err(format!(
            "{what} {} is not a regular file (a symlink?); {fix}",
            file.display()
        ));
    }
    owned_and_private(file, &meta, what, fix)
}

#[cfg(unix)]
fn owned_and_private(
    path: &Path,
    meta: &std::fs::Metadata,
    what: &str,
    fix: &str,
) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(format!(
            "{what} {} belongs to uid {}, not to you (uid {me}); anneal runs what is there, so \
             it does not use it; {fix}",
            path.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        let chmod = if meta.is_dir() { "700" } else { "600" };
        return Err(format!(
            "{what} {} is writable by other users (mode {:o}); anneal runs what is there, so it \
             does not use it; run `chmod {chmod} {}` or {fix}",
            path.display(),
            meta.mode() & 0o777,
            path.display()
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn owned_and_private(
    _path: &Path,
    _meta: &std::fs::Metadata,
    _what: &str,
    _fix: &str,
) -> Result<(), String> {
    Ok(())
}

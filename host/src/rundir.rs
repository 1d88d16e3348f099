//! The run directory (docs/design.md §8): `${ANNEAL_RUNS_ROOT:-./.anneal/runs}/{run_id}/`.
//!
//! Every write goes through a `cap_std::fs::Dir` opened on the run directory, so no path — a
//! `..`, an absolute path, or a symlink planted inside the directory — can reach outside it.
//! Paths are also checked up front so the error says what was wrong. Writes are atomic: the
//! bytes go to a temporary file in the same directory, which is then renamed over the target, so
//! a reader (or a crash) never sees half a file.
use cap_std::ambient_authority;
use cap_std::fs::Dir;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a run-directory operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// The relative path was refused before touching the disk.
    #[error("refused path {path:?}: {reason}")]
    BadPath { path: String, reason: &'static str },
    /// The filesystem said no (permissions, disk full, a symlink pointing outside, …).
    #[error("{op} {path:?} in run directory {root}: {source}")]
    Io {
        op: &'static str,
        path: String,
        root: String,
        #[source]
        source: std::io::Error,
    },
}

/// Longest relative path accepted, in bytes.
pub const MAX_PATH_LEN: usize = 512;
/// Deepest relative path accepted, in components.
pub const MAX_PATH_DEPTH: usize = 8;

/// Checks a run-relative path: non-empty, `/`-separated, at most [`MAX_PATH_LEN`] bytes and
/// [`MAX_PATH_DEPTH`] components, no absolute path, no `.`/`..` component, no backslash, no
/// NUL or other control character, no component starting with `.tmp-` (reserved for atomic
/// writes). Returns the components.
///
/// # Errors
/// [`RunDirError::BadPath`] naming the rule broken.
pub fn check_rel_path(path: &str) -> Result<Vec<&str>, RunDirError> {
    let bad = |reason| {
        Err(RunDirError::BadPath {
            path: path.chars().take(200).collect(),
            reason,
        })
    };
    if path.is_empty() {
        return bad("empty path");
    }
    if path.len() > MAX_PATH_LEN {
        return bad("path longer than 512 bytes");
    }
    if path.chars().any(|c| c.is_control()) {
        return bad("NUL or control character in path");
    }
    if path.starts_with('/') || path.contains('\\') || path.contains(':') {
        return bad("absolute paths, backslashes and drive letters are not allowed");
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts.len() > MAX_PATH_DEPTH {
        return bad("path deeper than 8 components");
    }
    for p in &parts {
        match *p {
            "" => return bad("empty path component"),
            "." | ".." => return bad("`.` and `..` components are not allowed"),
            p if p.starts_with(".tmp-") => return bad("names starting with `.tmp-` are reserved"),
            _ => {}
        }
    }
    Ok(parts)
}

/// An open run directory.
pub struct RunDir {
    path: PathBuf,
    dir: Dir,
    counter: AtomicU64,
}

impl RunDir {
    /// Creates `runs_root/run_id` (and `runs_root` if needed) and opens it. A run id that
    /// already exists is an error: runs never overwrite each other.
    ///
    /// # Errors
    /// [`RunDirError::BadPath`] if `run_id` is not a single safe component, or
    /// [`RunDirError::Io`] if the directory exists or cannot be created.
    pub fn create(runs_root: &Path, run_id: &str) -> Result<RunDir, RunDirError> {
        let parts = check_rel_path(run_id)?;
        if parts.len() != 1 {
            return Err(RunDirError::BadPath {
                path: run_id.into(),
                reason: "a run id is one path component",
            });
        }
        let io = |op, e| RunDirError::Io {
            op,
            path: run_id.into(),
            root: runs_root.display().to_string(),
            source: e,
        };
        std::fs::create_dir_all(runs_root).map_err(|e| io("creating runs root for", e))?;
        let root = Dir::open_ambient_dir(runs_root, ambient_authority())
            .map_err(|e| io("opening runs root for", e))?;
        root.create_dir(run_id).map_err(|e| io("creating", e))?;
        let dir = root.open_dir(run_id).map_err(|e| io("opening", e))?;
        let path = std::fs::canonicalize(runs_root)
            .unwrap_or_else(|_| runs_root.to_path_buf())
            .join(run_id);
        Ok(RunDir {
            path,
            dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Opens an existing run directory (for inspection and tests).
    ///
    /// # Errors
    /// [`RunDirError::Io`] if it cannot be opened.
    pub fn open(path: &Path) -> Result<RunDir, RunDirError> {
        let dir =
            Dir::open_ambient_dir(path, ambient_authority()).map_err(|e| RunDirError::Io {
                op: "opening",
                path: String::new(),
                root: path.display().to_string(),
                source: e,
            })?;
        Ok(RunDir {
            path: path.to_path_buf(),
            dir,
            counter: AtomicU64::new(0),
        })
    }

    /// Absolute path of the run directory (for messages; never used to write).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to run-relative `rel` atomically, creating parent directories.
    /// Overwrites an existing file of that name.
    ///
    /// # Errors
    /// [`RunDirError::BadPath`] from [`check_rel_path`], or [`RunDirError::Io`] (including a
    /// parent that is a symlink leading outside the run directory, which cap-std refuses).
    pub fn write(&self, rel: &str, bytes: &[u8]) -> Result<(), RunDirError> {
        let parts = check_rel_path(rel)?;
        let io = |op, e| RunDirError::Io {
            op,
            path: rel.into(),
            root: self.path.display().to_string(),
            source: e,
        };
        let (name, parents) = parts
            .split_last()
            .expect("check_rel_path returns at least one part");
        let parent_dir = if parents.is_empty() {
            self.dir.try_clone().map_err(|e| io("opening", e))?
        } else {
            let parent = parents.join("/");
            self.dir
                .create_dir_all(&parent)
                .map_err(|e| io("creating parent of", e))?;
            self.dir
                .open_dir(&parent)
                .map_err(|e| io("opening parent of", e))?
        };
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = format!(".tmp-{}-{n}-{name}", std::process::id());
        let result = (|| {
            let mut f = parent_dir.create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_data()?;
            parent_dir.rename(&tmp, &parent_dir, name)
        })();
        if let Err(e) = result {
            let _ = parent_dir.remove_file(&tmp);
            return Err(io("writing", e));
        }
        Ok(())
    }

    /// Reads run-relative `rel` as UTF-8.
    ///
    /// # Errors
    /// As [`RunDir::write`]; also when the file is missing or not UTF-8.
    pub fn read_to_string(&self, rel: &str) -> Result<String, RunDirError> {
        check_rel_path(rel)?;
        self.dir.read_to_string(rel).map_err(|e| RunDirError::Io {
            op: "reading",
            path: rel.into(),
            root: self.path.display().to_string(),
            source: e,
        })
    }

    /// Whether run-relative `rel` exists (a refused path does not).
    pub fn exists(&self, rel: &str) -> bool {
        check_rel_path(rel).is_ok() && self.dir.exists(rel)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_escapes() {
        for p in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            "a//b",
            "./a",
            "C:x",
            ".tmp-1",
        ] {
            assert!(check_rel_path(p).is_err(), "{p:?} should be refused");
        }
        assert_eq!(
            check_rel_path("reviews/momus.yaml").unwrap(),
            vec!["reviews", "momus.yaml"]
        );
    }

    #[test]
    fn writes_atomically_and_stays_inside() {
        let tmp = tempfile::tempdir().unwrap();
        let run = RunDir::create(tmp.path(), "anneal-20260101-000000-x").unwrap();
        run.write("plan/plan.md", b"hello").unwrap();
        run.write("plan/plan.md", b"again").unwrap();
        assert_eq!(run.read_to_string("plan/plan.md").unwrap(), "again");
        // A symlink planted inside the run directory must not lead a write outside it.
        let outside = tmp.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, run.path().join("link")).unwrap();
        assert!(run.write("link/escape.txt", b"x").is_err());
        assert!(!outside.join("escape.txt").exists());
        // No temporary files are left behind.
        let names: Vec<_> = std::fs::read_dir(run.path().join("plan"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1);
        assert!(
            RunDir::create(tmp.path(), "anneal-20260101-000000-x").is_err(),
            "run ids never overwrite"
        );
    }
}

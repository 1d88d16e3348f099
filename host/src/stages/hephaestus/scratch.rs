//! The scratch copy of the repository that gate commands run in (docs/design.md §6b), so nothing they
//! do (build outputs, generated files, a test that writes) touches the user's repository.
//!
//! The copy is made with the `ignore` crate's walker: files ignored by the repository's
//! `.gitignore`/`.ignore` files and `.git/info/exclude` (build outputs such as `target/` and
//! `node_modules/`) are not copied, and `.git/` never is. Hidden files are copied (a
//! `.cargo/config.toml` matters to a build). Regular files keep their permission bits
//! (executable scripts stay executable). A symlink is recreated only when what it resolves to
//! is inside the repository, pointing at the same place in the copy; one that leads outside,
//! or nowhere, is left out. Sockets, FIFOs and devices are left out.
use std::io;
use std::path::{Path, PathBuf};

/// A scratch copy, deleted when dropped.
pub struct Scratch {
    _dir: tempfile::TempDir,
    root: PathBuf,
    /// Regular files copied.
    pub files: u64,
    /// Symlinks left out because they lead outside the repository or nowhere.
    pub skipped_symlinks: u64,
}

impl Scratch {
    /// The copy's root: `<temporary directory>/<name>`.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

/// Copies `repo_root` into a fresh temporary directory as `<tmp>/<name>` (see the module docs
/// for what is copied). `exclude` is a directory never copied (the run directory's parent,
/// when the runs root lies inside the repository). Blocking.
///
/// # Errors
/// Any I/O error reading the repository or writing the copy.
pub fn copy_repository(
    repo_root: &Path,
    name: &str,
    exclude: Option<&Path>,
) -> io::Result<Scratch> {
    let src_root = std::fs::canonicalize(repo_root)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix("anneal-hephaestus-");
    // The copy is the user's repository: only the user may read it (0700; tempfile's default
    // leaves it to the umask, usually 0755).
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder.tempdir()?;
    let root = dir.path().join(safe_name(name));
    std::fs::create_dir(&root)?;
    let exclude = exclude.and_then(|p| std::fs::canonicalize(p).ok());
    let filter_root = src_root.clone();
    let filter_exclude = exclude.clone();
    let walker = ignore::WalkBuilder::new(&src_root)
        .hidden(false)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .filter_entry(move |e| {
            e.file_name() != ".git"
                && !(filter_exclude.as_deref().is_some_and(|x| e.path() == x)
                    && e.path() != filter_root)
        })
        .build();
    let mut scratch = Scratch {
        _dir: dir,
        root,
        files: 0,
        skipped_symlinks: 0,
    };
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        let Ok(rel) = entry.path().strip_prefix(&src_root) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let dst = scratch.root.join(rel);
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            std::fs::create_dir_all(&dst)?;
        } else if ft.is_file() {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(entry.path(), &dst)?;
            scratch.files += 1;
        } else if ft.is_symlink() {
            let inside = std::fs::canonicalize(entry.path())
                .ok()
                .and_then(|t| t.strip_prefix(&src_root).ok().map(Path::to_path_buf))
                .filter(|t| !t.components().any(|c| c.as_os_str() == ".git"));
            match inside {
                Some(target) => {
                    if let Some(parent) = dst.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    symlink(&scratch.root.join(target), &dst)?;
                }
                None => scratch.skipped_symlinks += 1,
            }
        }
    }
    Ok(scratch)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    if target.is_dir() {
        std::os::windows::fs::symlink_dir(target, link)
    } else {
        std::os::windows::fs::symlink_file(target, link)
    }
}

/// `name` reduced to `[A-Za-z0-9._-]` (others become `-`), never empty, `.` or `..`.
fn safe_name(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() || s.chars().all(|c| c == '.') {
        "repository".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn copies_what_git_would_keep() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join("target/debug")).unwrap();
        std::fs::create_dir_all(repo.join(".git/objects")).unwrap();
        std::fs::create_dir_all(repo.join("src")).unwrap();
        std::fs::create_dir_all(repo.join(".anneal/runs/x")).unwrap();
        std::fs::write(repo.join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::write(repo.join("target/debug/big"), "x").unwrap();
        std::fs::write(repo.join(".git/HEAD"), "ref").unwrap();
        std::fs::write(repo.join("build.log"), "x").unwrap();
        std::fs::write(repo.join("src/lib.rs"), "//").unwrap();
        std::fs::write(repo.join(".anneal/runs/x/e"), "x").unwrap();
        std::fs::write(repo.join("run.sh"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(repo.join("run.sh"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::os::unix::fs::symlink("src/lib.rs", repo.join("inside")).unwrap();
        std::os::unix::fs::symlink("/etc", repo.join("outside")).unwrap();
        std::os::unix::fs::symlink("../..", repo.join("src/up")).unwrap();

        let s = copy_repository(&repo, "my repo", Some(&repo.join(".anneal/runs"))).unwrap();
        let r = s.root();
        assert_eq!(r.file_name().unwrap(), "my-repo");
        assert!(r.join("src/lib.rs").is_file() && r.join(".gitignore").is_file());
        for gone in [
            "target",
            ".git",
            "build.log",
            ".anneal/runs",
            "outside",
            "src/up",
        ] {
            assert!(
                std::fs::symlink_metadata(r.join(gone)).is_err(),
                "{gone} must not be copied"
            );
        }
        assert_eq!(
            std::fs::metadata(r.join("run.sh"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );
        let top = r.parent().unwrap();
        assert_eq!(
            std::fs::metadata(top).unwrap().permissions().mode() & 0o777,
            0o700,
            "the scratch copy is private"
        );
        let link = std::fs::read_link(r.join("inside")).unwrap();
        assert_eq!(link, r.join("src/lib.rs"));
        assert_eq!(s.skipped_symlinks, 2);
        let root = r.to_path_buf();
        drop(s);
        assert!(!root.exists(), "the copy is deleted on drop");
    }
}

//! The bounded, `.gitignore`-aware walk of a repository and the guarded reading of its files.
//!
//! Rules (docs/design.md §2 stage 2, "a real scan"):
//! - `.gitignore`, `.git/info/exclude` and `.ignore` files inside the repository are respected,
//!   even when the directory is not (yet) a git repository; ignore files above the root and the
//!   user's global git excludes are not consulted, so the result depends on the repository only.
//! - Hidden files and directories (`.github/`, `.env.example`, `.claude/`) are walked; VCS metadata
//!   (`.git/`, `.hg/`, `.svn/`), dependency and cache directories that are never sources
//!   ([`SKIPPED_DIRS`]) and anneal's own run directory (`.anneal/`) never are.
//! - The walk is breadth-first for the first [`SHALLOW_LEVELS`] levels (so root manifests, CI files
//!   and top-level packages are always seen first), then depth-first; every directory is listed in
//!   file-name order, so the walk is deterministic. It stops after `max_files` files.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

/// Directories never walked, whatever the ignore files say.
pub const SKIPPED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".anneal",
    "node_modules",
    "bower_components",
    "__pycache__",
    ".venv",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".gradle",
    ".idea",
];

/// Levels walked breadth-first before the depth-first remainder.
const SHALLOW_LEVELS: usize = 3;

/// Bytes inspected for a NUL byte to tell binary files from text.
const BINARY_SNIFF_BYTES: usize = 8192;

/// Extensions of files that are never text: not read at all.
const BINARY_EXTENSIONS: &[&str] = &[
    "png",
    "jpg",
    "jpeg",
    "gif",
    "bmp",
    "ico",
    "webp",
    "tiff",
    "psd",
    "pdf",
    "zip",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "zst",
    "7z",
    "rar",
    "tar",
    "jar",
    "war",
    "class",
    "pyc",
    "pyo",
    "so",
    "dylib",
    "dll",
    "exe",
    "a",
    "o",
    "obj",
    "lib",
    "wasm",
    "rlib",
    "woff",
    "woff2",
    "ttf",
    "otf",
    "eot",
    "mp3",
    "mp4",
    "wav",
    "ogg",
    "mov",
    "avi",
    "webm",
    "sqlite",
    "db",
    "bin",
    "dat",
    "pkl",
    "npy",
    "onnx",
    "pt",
    "safetensors",
];

/// One file the walk found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScannedFile {
    /// Repository-relative path with `/` separators (`app/auth.py`).
    pub rel: String,
    /// Absolute path on disk.
    pub abs: PathBuf,
    /// Size in bytes (0 when the metadata could not be read).
    pub size: u64,
    /// Number of path components: `Makefile` is 1, `app/auth.py` is 2.
    pub depth: usize,
}

impl ScannedFile {
    /// The file name (last path component), e.g. `auth.py`.
    pub fn name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
}

/// Walks `root` (a directory) and returns at most `max_files` files in walk order (see the
/// module rules). Unreadable entries are skipped silently; only a root that cannot be walked at
/// all is an error.
pub fn walk(root: &Path, max_files: usize) -> anyhow::Result<Vec<ScannedFile>> {
    anyhow::ensure!(root.is_dir(), "{} is not a directory", root.display());
    let mut files = Vec::new();
    for level in 1..=SHALLOW_LEVELS {
        collect(root, Some(level), |d| d == level, max_files, &mut files);
    }
    collect(root, None, |d| d > SHALLOW_LEVELS, max_files, &mut files);
    Ok(files)
}

/// Appends the files of one pass whose depth satisfies `keep`, until `out` holds `max_files`.
fn collect(
    root: &Path,
    max_depth: Option<usize>,
    keep: impl Fn(usize) -> bool,
    max_files: usize,
    out: &mut Vec<ScannedFile>,
) {
    if out.len() >= max_files {
        return;
    }
    for entry in builder(root, max_depth).build().flatten() {
        if out.len() >= max_files {
            return;
        }
        if !entry.file_type().is_some_and(|t| t.is_file()) || !keep(entry.depth()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        out.push(ScannedFile {
            size: entry.metadata().map(|m| m.len()).unwrap_or(0),
            abs: entry.path().to_path_buf(),
            depth: entry.depth(),
            rel,
        });
    }
}

fn builder(root: &Path, max_depth: Option<usize>) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .parents(false)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .max_depth(max_depth)
        .sort_by_file_name(|a: &OsStr, b: &OsStr| a.cmp(b))
        .filter_entry(|e| {
            // `.git` is skipped as a file too: a worktree's `.git` is a file naming the gitdir.
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            e.depth() == 0
                || !(e.file_name() == ".git"
                    || is_dir && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        });
    b
}

/// True for files whose content must never be read, even to count words: real environment
/// files (`.env`, `.env.local`, but not `.env.example`) and key material.
pub fn is_secret_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower == ".env" || lower.starts_with(".env.") {
        return !is_env_template(&lower);
    }
    lower.ends_with(".pem")
        || lower.ends_with(".key")
        || lower.ends_with(".p12")
        || lower.ends_with(".pfx")
        || lower.starts_with("id_rsa")
        || lower.starts_with("id_ed25519")
}

/// True for environment templates that hold names and example values: `.env.example`,
/// `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults` (and `.env.test.example`, …).
pub fn is_env_template(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env.example"))
        && ["example", "sample", "template", "dist", "defaults", "tmpl"]
            .iter()
            .any(|s| lower.ends_with(&format!(".{s}")))
}

/// The file's text when it may be content-searched: not a secret file, not a known binary
/// extension, at most `max_bytes` long, no NUL byte in its first 8 KiB. Invalid UTF-8 is decoded
/// lossily. `None` otherwise (and when the file cannot be read).
pub fn read_text(file: &ScannedFile, max_bytes: u64) -> Option<String> {
    if file.size > max_bytes || is_secret_file(file.name()) {
        return None;
    }
    if let Some((_, ext)) = file.name().rsplit_once('.') {
        if BINARY_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) {
            return None;
        }
    }
    let bytes = std::fs::read(&file.abs).ok()?;
    if bytes.len() as u64 > max_bytes || bytes[..bytes.len().min(BINARY_SNIFF_BYTES)].contains(&0) {
        return None;
    }
    Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn gitignore_is_respected_and_hidden_files_seen() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, ".gitignore", "build/\n*.log\nsecret.txt\n");
        touch(r, "src/lib.rs", "pub fn f() {}\n");
        touch(r, "build/out.rs", "fn main() {}\n");
        touch(r, "debug.log", "x\n");
        touch(r, "secret.txt", "x\n");
        touch(r, ".github/workflows/ci.yml", "on: push\n");
        touch(r, ".git/config", "[core]\n");
        touch(r, "node_modules/x/index.js", "x\n");
        let rels: Vec<String> = walk(r, 100).unwrap().into_iter().map(|f| f.rel).collect();
        assert_eq!(
            rels,
            vec![".gitignore", "src/lib.rs", ".github/workflows/ci.yml"]
        );
    }

    #[test]
    fn shallow_files_come_first_and_the_bound_holds() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        for i in 0..30 {
            touch(r, &format!("a/b/c/d/deep{i:02}.rs"), "");
        }
        touch(r, "zz/Cargo.toml", "");
        touch(r, "Makefile", "");
        let files = walk(r, 5).unwrap();
        assert_eq!(files.len(), 5);
        assert_eq!(files[0].rel, "Makefile");
        assert_eq!(files[1].rel, "zz/Cargo.toml");
        assert_eq!(files[2].rel, "a/b/c/d/deep00.rs");
        assert_eq!(files[2].depth, 5);
    }

    #[test]
    fn binary_large_and_secret_files_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        touch(r, "a.txt", "hello");
        touch(r, ".env", "TOKEN=abc");
        touch(r, ".env.example", "TOKEN=");
        std::fs::write(r.join("b.dat2"), b"ab\0cd").unwrap();
        touch(r, "big.txt", &"x".repeat(100));
        let files = walk(r, 100).unwrap();
        let text = |n: &str, max| read_text(files.iter().find(|f| f.rel == n).unwrap(), max);
        assert_eq!(text("a.txt", 1000).as_deref(), Some("hello"));
        assert_eq!(text(".env", 1000), None);
        assert_eq!(text(".env.example", 1000).as_deref(), Some("TOKEN="));
        assert_eq!(text("b.dat2", 1000), None);
        assert_eq!(text("big.txt", 50), None);
    }
}

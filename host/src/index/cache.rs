//! The index cache: `.anneal/cache/code-index.json` in the repository, one entry per indexed
//! file keyed by the SHA-256 of its content (docs/design.md §2 stage 2).
//!
//! A build reuses the entry of every file whose content hash is in the cache and parses only
//! the others; a second build of an unchanged repository parses nothing. The file carries the
//! index format version ([`super::FORMAT_VERSION`]) and a fingerprint of the per-file limits
//! that shape an entry; a cache of another version or fingerprint, or one that does not parse,
//! is ignored (the report says why) and rebuilt — never an error. Writes are atomic (a
//! temporary file in the same directory renamed into place), so a crash or a concurrent run
//! leaves either the old cache or the new one.
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::limits::Limits;
use super::{CacheStats, FileEntry, FORMAT_VERSION};

/// Directory of the cache, relative to the repository root.
pub const CACHE_DIR: &str = ".anneal/cache";
/// File name of the cache.
pub const CACHE_FILE: &str = "code-index.json";

pub use super::limits::CacheMode;

/// Cached entries by content hash.
pub type Entries = HashMap<String, FileEntry>;

#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: u32,
    /// The per-file limits the entries were built with.
    limits: String,
    entries: Vec<FileEntry>,
}

#[derive(Deserialize)]
struct Header {
    format: u32,
}

/// Where the cache of the repository at `root` lives.
pub fn path(root: &Path) -> PathBuf {
    root.join(CACHE_DIR).join(CACHE_FILE)
}

/// What an entry depends on besides the file's content: the per-file limits and the tags
/// queries (a changed query invalidates every entry; a changed extraction rule in code bumps
/// [`FORMAT_VERSION`]).
fn fingerprint(limits: &Limits) -> String {
    static QUERIES: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let all: String = super::Lang::ALL.iter().map(|l| l.tags_query()).collect();
        content_hash(all.as_bytes())[..16].to_string()
    });
    format!(
        "defs={};refs={};sig={};queries={}",
        limits.max_definitions_per_file,
        limits.max_references_per_file,
        limits.max_signature_chars,
        *QUERIES
    )
}

/// The usable cached entries of `root` and the stats to fill; an unusable cache gives no
/// entries and its reason in `status`.
pub fn load(root: &Path, limits: &Limits) -> (Entries, CacheStats) {
    let mut stats = CacheStats {
        path: (limits.cache != CacheMode::Off).then(|| format!("{CACHE_DIR}/{CACHE_FILE}")),
        ..CacheStats::default()
    };
    if limits.cache != CacheMode::ReadWrite {
        stats.status = if limits.cache == CacheMode::Off {
            "disabled".into()
        } else {
            "built (cache ignored on request)".into()
        };
        return (Entries::new(), stats);
    }
    let bytes = match std::fs::read(path(root)) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            stats.status = "built (no cache yet)".into();
            return (Entries::new(), stats);
        }
        Err(e) => {
            stats.status = format!("built (cache unreadable: {e})");
            return (Entries::new(), stats);
        }
    };
    match serde_json::from_slice::<Header>(&bytes) {
        Ok(h) if h.format != FORMAT_VERSION => {
            stats.status = format!(
                "built (cache written by index format {}, this is {FORMAT_VERSION})",
                h.format
            );
            return (Entries::new(), stats);
        }
        Ok(_) => {}
        Err(e) => {
            stats.status = format!("built (corrupt cache ignored: {e})");
            return (Entries::new(), stats);
        }
    }
    match serde_json::from_slice::<CacheFile>(&bytes) {
        Ok(c) if c.limits != fingerprint(limits) => {
            stats.status = "built (cache written with other per-file limits or queries)".into();
            (Entries::new(), stats)
        }
        Ok(c) => (
            c.entries.into_iter().map(|e| (e.hash.clone(), e)).collect(),
            stats,
        ),
        Err(e) => {
            stats.status = format!("built (corrupt cache ignored: {e})");
            (Entries::new(), stats)
        }
    }
}

/// The final status line of a build from its hit/miss counts (a status already set by
/// [`load`] for an ignored cache is kept).
pub fn status(stats: &CacheStats, had_none: bool) -> String {
    if !stats.status.is_empty() && had_none {
        return stats.status.clone();
    }
    match (stats.hits, stats.misses) {
        (_, 0) => "reused".into(),
        (0, _) => "built".into(),
        _ => "partly reused".into(),
    }
}

/// Writes `entries` as the cache of `root`, atomically.
///
/// # Errors
/// A message naming the cache path and the I/O error (the caller reports it; a build never
/// fails on it).
pub fn store(root: &Path, entries: &[FileEntry], limits: &Limits) -> Result<(), String> {
    let target = path(root);
    let dir = target.parent().expect("cache path has a parent");
    let fail = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", target.display());
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let mut sorted: Vec<&FileEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    #[derive(Serialize)]
    struct Out<'a> {
        format: u32,
        limits: String,
        entries: Vec<&'a FileEntry>,
    }
    let out = Out {
        format: FORMAT_VERSION,
        limits: fingerprint(limits),
        entries: sorted,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| fail(&e))?;
    serde_json::to_writer(std::io::BufWriter::new(tmp.as_file_mut()), &out)
        .map_err(|e| fail(&e))?;
    tmp.as_file_mut().flush().map_err(|e| fail(&e))?;
    tmp.persist(&target).map_err(|e| fail(&e.error))?;
    Ok(())
}

/// Hex SHA-256 of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

//! Building the index: bounded, parallel, cached (docs/design.md §2 stage 2).
//!
//! Input is the probe's walk ([`SourceFile`]s: `.gitignore` respected, vendored directories
//! already left out). Of those, files in a language of [`Lang`] are indexed, in walk order,
//! within the bounds of [`Limits`]; every source file left out is reported with its reason
//! ([`super::Skipped`]): over `max_files`, larger than `max_file_bytes`, past the
//! `max_total_bytes` budget, past the `time_budget`, unreadable, binary, or generated
//! ([`super::layout::generated_reason`]).
//!
//! Files are read and hashed (SHA-256) in parallel on rayon's pool; a file whose hash is in
//! the cache ([`super::cache`]) is not parsed again; the others are parsed in parallel. When
//! the time budget runs out, parses in flight are cancelled through tree-sitter's cancellation
//! flag and the files not yet parsed are skipped. The cache is then rewritten (atomically) with
//! the entries of this build, unless nothing changed.
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use rayon::prelude::*;

use super::cache::{self, content_hash};
use super::limits::{CacheMode, Limits};
use super::{layout, BuildReport, CacheStats, CodeIndex, FileEntry, Lang, Skipped};

/// One file of the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Repository-relative, `/`-separated.
    pub rel: String,
    /// Absolute path on disk.
    pub abs: PathBuf,
    /// Size in bytes (from the walk's metadata; 0 when unknown).
    pub size: u64,
}

/// What happened to one file.
enum Outcome {
    Indexed(FileEntry, bool),
    Skipped(Skipped),
}

fn skip(path: &str, reason: impl Into<String>) -> Outcome {
    Outcome::Skipped(Skipped {
        path: path.to_string(),
        reason: reason.into(),
    })
}

/// Builds the index of the repository at `root` from the walk's `files` (see the module rules).
/// Never fails: unreadable files and an unusable cache are reported in
/// [`CodeIndex::report`], not returned as errors.
pub fn build(root: &Path, files: &[SourceFile], limits: &Limits) -> CodeIndex {
    let started = Instant::now();
    let deadline = started + limits.time_budget;
    let paths: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    let (todo, mut skipped) = admit(files, limits);
    let (cached, mut cache_stats) = cache::load(root, limits);

    let cancel = AtomicUsize::new(0);
    let cancel_ref = &cancel;
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        s.spawn(move || {
            // Watchdog: cancels parses in flight when the budget is spent.
            let left = deadline.saturating_duration_since(Instant::now());
            if done_rx.recv_timeout(left).is_err() {
                cancel_ref.store(1, Ordering::SeqCst);
            }
        });
        let out = todo
            .par_iter()
            .map(|(f, lang)| index_one(f, *lang, &cached, limits, deadline, cancel_ref))
            .collect();
        let _ = done_tx.send(());
        out
    });

    let mut entries = Vec::new();
    for o in outcomes {
        match o {
            Outcome::Indexed(e, hit) => {
                if hit {
                    cache_stats.hits += 1;
                } else {
                    cache_stats.misses += 1;
                }
                entries.push(e);
            }
            Outcome::Skipped(s) => skipped.push(s),
        }
    }
    cache_stats.status = cache::status(&cache_stats, cached.is_empty());
    if limits.cache != CacheMode::Off && (cache_stats.misses > 0 || cached.len() != entries.len()) {
        if let Err(e) = cache::store(root, &entries, limits) {
            cache_stats.write_error = Some(e);
        }
    }
    let report = report(&entries, skipped, cache_stats, limits);
    let mut index = CodeIndex::new(entries, paths, report);
    index.report.build_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    index
}

/// The source files to index, in walk order, and those left out by the size and count bounds.
fn admit<'a>(
    files: &'a [SourceFile],
    limits: &Limits,
) -> (Vec<(&'a SourceFile, Lang)>, Vec<Skipped>) {
    let mut todo = Vec::new();
    let mut skipped = Vec::new();
    let mut total = 0u64;
    for f in files {
        let Some(lang) = Lang::of_path(&f.rel) else {
            continue;
        };
        let reason = if todo.len() >= limits.max_files {
            Some(format!("over max_files ({})", limits.max_files))
        } else if f.size > limits.max_file_bytes {
            Some(format!(
                "larger than max_file_bytes ({})",
                limits.max_file_bytes
            ))
        } else if total + f.size > limits.max_total_bytes {
            Some(format!("past max_total_bytes ({})", limits.max_total_bytes))
        } else {
            None
        };
        match reason {
            Some(r) => skipped.push(Skipped {
                path: f.rel.clone(),
                reason: r,
            }),
            None => {
                total += f.size;
                todo.push((f, lang));
            }
        }
    }
    (todo, skipped)
}

fn index_one(
    f: &SourceFile,
    lang: Lang,
    cached: &cache::Entries,
    limits: &Limits,
    deadline: Instant,
    cancel: &AtomicUsize,
) -> Outcome {
    if Instant::now() >= deadline {
        return skip(
            &f.rel,
            format!("time budget ({} ms) spent", limits.time_budget.as_millis()),
        );
    }
    let bytes = match std::fs::read(&f.abs) {
        Ok(b) => b,
        Err(e) => return skip(&f.rel, format!("unreadable: {e}")),
    };
    if bytes.len() as u64 > limits.max_file_bytes {
        return skip(
            &f.rel,
            format!("larger than max_file_bytes ({})", limits.max_file_bytes),
        );
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return skip(&f.rel, "binary (NUL byte)");
    }
    let hash = content_hash(&bytes);
    if let Some(e) = cached.get(&hash) {
        if e.lang == lang {
            let mut e = e.clone();
            if e.path != f.rel {
                e.path = f.rel.clone();
                e.is_test = e.is_test || layout::is_test_path(&f.rel);
            }
            return Outcome::Indexed(e, true);
        }
    }
    let text = String::from_utf8_lossy(&bytes);
    if let Some(reason) = layout::generated_reason(&f.rel, &text) {
        return skip(&f.rel, reason);
    }
    match super::extract::extract(&f.rel, lang, &text, hash, limits, Some(cancel)) {
        Ok(e) => Outcome::Indexed(e, false),
        Err(reason) if reason.starts_with("time budget") => skip(
            &f.rel,
            format!("time budget ({} ms) spent", limits.time_budget.as_millis()),
        ),
        Err(reason) => skip(&f.rel, reason),
    }
}

fn report(
    entries: &[FileEntry],
    mut skipped: Vec<Skipped>,
    cache: CacheStats,
    limits: &Limits,
) -> BuildReport {
    let mut r = BuildReport {
        cache,
        ..BuildReport::default()
    };
    for e in entries {
        *r.files_per_language
            .entry(e.lang.name().to_string())
            .or_default() += 1;
        r.definitions += u32::try_from(e.definitions.len()).unwrap_or(u32::MAX);
        r.references += u32::try_from(e.references.len()).unwrap_or(u32::MAX);
    }
    r.files = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    skipped.sort_by(|a, b| a.path.cmp(&b.path));
    for s in &skipped {
        *r.skipped_by_reason.entry(s.reason.clone()).or_default() += 1;
    }
    skipped.truncate(limits.max_skipped_listed);
    r.skipped = skipped;
    r
}

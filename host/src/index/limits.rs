//! Bounds of one index build and how it uses the cache (data, docs/design.md §2 stage 2);
//! below [`super::build`], [`super::cache`] and [`super::extract`], which all read them.
use std::time::Duration;

/// How a build uses the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheMode {
    /// Reuse entries, then write the cache (the default).
    ReadWrite,
    /// Ignore any cache, parse every file, then write the cache (a cold build).
    Rebuild,
    /// Neither read nor write.
    Off,
}

/// Bounds of one build; every one is reported when it leaves a file out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most source files indexed (walk order; default 20 000).
    pub max_files: usize,
    /// Largest source file indexed, in bytes (default 1 MiB).
    pub max_file_bytes: u64,
    /// Most bytes of source read in one build (default 128 MiB): bounds memory.
    pub max_total_bytes: u64,
    /// Wall-clock budget of one build (default 8 s).
    pub time_budget: Duration,
    /// Most definitions kept per file (default 4 000).
    pub max_definitions_per_file: usize,
    /// Most distinct (name, kind) references kept per file (default 8 000).
    pub max_references_per_file: usize,
    /// Longest signature kept, in characters (default 160).
    pub max_signature_chars: usize,
    /// Most skipped files listed by path in the report (default 50; all are counted).
    pub max_skipped_listed: usize,
    /// How the cache under `.anneal/cache/` is used.
    pub cache: CacheMode,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_files: 20_000,
            max_file_bytes: 1024 * 1024,
            max_total_bytes: 128 * 1024 * 1024,
            time_budget: Duration::from_secs(8),
            max_definitions_per_file: 4_000,
            max_references_per_file: 8_000,
            max_signature_chars: 160,
            max_skipped_listed: 50,
            cache: CacheMode::ReadWrite,
        }
    }
}

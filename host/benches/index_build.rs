//! Code index build, cold then warm (docs/design.md §2 stage 2; BENCHMARKS.md).
//!
//! `cargo bench -p anneal --bench index_build -- REPO [RUNS]` builds the index of the repository
//! at REPO as the probe does (its walk, `.gitignore` respected, vendored code left out): cold
//! (the cache under `REPO/.anneal/cache/` ignored and rewritten) then warm (the cache reused),
//! RUNS times each (default 3), and prints the median of each side by side with what was indexed.
//! Also prints the resolution time of one task against the warm index.
use std::path::PathBuf;
use std::time::Instant;

use anneal::index::cache::CacheMode;
use anneal::stages::probe::{index_repository, ProbeOptions};

fn median(mut v: Vec<u128>) -> u128 {
    v.sort_unstable();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let Some(repo) = args.first().map(PathBuf::from) else {
        eprintln!("usage: cargo bench -p anneal --bench index_build -- REPO [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3).max(1);
    let mut opts = ProbeOptions::default();
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        opts.index.cache = CacheMode::Rebuild;
        let t = Instant::now();
        let idx = index_repository(&repo, &opts).expect("index");
        cold.push(t.elapsed().as_millis());
        assert_eq!(idx.report.cache.hits, 0);
        opts.index.cache = CacheMode::ReadWrite;
        let t = Instant::now();
        let idx = index_repository(&repo, &opts).expect("index");
        warm.push(t.elapsed().as_millis());
        assert_eq!(idx.report.cache.misses, 0, "{:?}", idx.report.cache);
        last = Some(idx);
    }
    let idx = last.expect("at least one run");
    let r = &idx.report;
    let lines: u64 = idx.files.iter().map(|f| u64::from(f.lines)).sum();
    println!("repository      {}", repo.display());
    println!(
        "indexed         {} files, {lines} lines, {} definitions, {} references, {} edges, {} test links",
        r.files, r.definitions, r.references, r.edges, r.test_links
    );
    println!("languages       {:?}", r.files_per_language);
    println!("skipped         {:?}", r.skipped_by_reason);
    println!(
        "cold build (ms) {} (median of {runs}: {cold:?})",
        median(cold.clone())
    );
    println!(
        "warm build (ms) {} (median of {runs}: {warm:?})",
        median(warm.clone())
    );
    let t = Instant::now();
    let res = anneal::index::resolve(&idx, "Add a timeout option to the `Builder` of the runtime");
    println!(
        "resolve (ms)    {} ({} files, {} symbols, {} tests)",
        t.elapsed().as_millis(),
        res.files.len(),
        res.symbols.len(),
        res.tests.len()
    );
}

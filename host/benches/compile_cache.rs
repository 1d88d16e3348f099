//! Compile-cache benchmark: how long loading a component takes when wasmtime compiles it
//! (`ANNEAL_CACHE_DIR=off`) and when its machine code comes from the compile cache, side by
//! side in one process, for the bundled Alloy guest, the Python example strategy (an
//! interpreter in a component, the largest guest we have) and the JavaScript one (the
//! SpiderMonkey engine in a component) — each both in-process and, as the `anneal` command
//! does, in a compile child under the compile limits (`runtime::compile`).
//!
//! Run: `cargo bench -p anneal --bench compile_cache` (argument: `[repeats]`, default 5). The
//! Python guest is read from `target/test-guests/python-strategy.wasm` (built by
//! `bash scripts/build-python-strategy.sh`), the JavaScript one from
//! `target/test-guests/js-strategy.wasm` (`bash scripts/build-js-strategy.sh`); each is
//! skipped with a note when missing.
use anneal::runtime::cache::Setting;
use anneal::runtime::compile::{configure, Settings};
use anneal::runtime::engine::{Compiled, Runtime};
use anneal::runtime::loader::{self, Source, World};
use std::path::Path;
use std::time::Instant;

/// Median wall-clock (ms) of `repeats` loads of `bytes` with a fresh runtime of `setting` each
/// time (a fresh engine, as a new `anneal` process has), checking the loads were `expect`.
fn median_load_ms(bytes: &[u8], setting: &Setting, expect: Compiled, repeats: usize) -> f64 {
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let runtime = Runtime::with_cache(setting).expect("engine");
            let started = Instant::now();
            let loaded = loader::load(
                &runtime,
                bytes,
                Source::Path("bench.wasm".into()),
                World::Strategy,
            )
            .expect("the component loads");
            let ms = started.elapsed().as_secs_f64() * 1e3;
            assert_eq!(loaded.compiled, expect);
            ms
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[times.len() / 2]
}

fn main() {
    let repeats: usize = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let guests = [
        ("alloy (bundled)", root.join("host/bundled/alloy.wasm")),
        (
            "python-strategy",
            root.join("target/test-guests/python-strategy.wasm"),
        ),
        (
            "js-strategy",
            root.join("target/test-guests/js-strategy.wasm"),
        ),
    ];
    println!(
        "| component | size (bytes) | where | compile, cache off (ms) | from the cache (ms) | ratio |"
    );
    println!("|---|---:|---|---:|---:|---:|");
    let child = Settings {
        helper: Some(env!("CARGO_BIN_EXE_anneal").into()),
        ..Settings::default()
    };
    for (name, path) in guests {
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("skipped {name}: {} is missing", path.display());
            continue;
        };
        for (place, settings) in [
            ("in-process", Settings::default()),
            ("compile child", child.clone()),
        ] {
            configure(settings);
            let cold = median_load_ms(&bytes, &Setting::Off, Compiled::Uncached, repeats);
            let dir = tempfile::tempdir().expect("tempdir");
            let cache = Setting::Dir(dir.path().join("cache"));
            median_load_ms(&bytes, &cache, Compiled::Fresh, 1);
            let warm = median_load_ms(&bytes, &cache, Compiled::Cached, repeats);
            println!(
                "| {name} | {} | {place} | {cold:.0} | {warm:.0} | {:.1}× |",
                bytes.len(),
                cold / warm
            );
        }
    }
}

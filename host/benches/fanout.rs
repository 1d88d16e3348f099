//! Fan-out benchmark (docs/design.md §3 invariant 6): the same Cast run on the fixture repository with
//! every offline agent call taking a fixed simulated latency, once with `--jobs 8` and once with
//! `--jobs 1`, side by side; prints the red-team stage's wall-clock for each and their ratio.
//!
//! Run: `cargo bench -p anneal --bench fanout` (arguments: `[latency_ms] [repeats]`, default 200 5).
use anneal::pipeline::{self, Config};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn config(repo: &Path, runs: &Path, jobs: usize, latency: u64) -> Config {
    Config {
        jobs,
        max_iterations: Some(1),
        simulated_latency: Duration::from_millis(latency),
        ..Config::new(
            "Add rate limiting to the login endpoint",
            repo,
            runs,
            "cast",
        )
    }
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let latency: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(200);
    let repeats: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo");
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    for jobs in [8usize, 1] {
        let mut red = Vec::new();
        let mut total = Vec::new();
        for i in 0..repeats {
            let runs = tmp.path().join(format!("runs-{jobs}-{i}"));
            let out = rt
                .block_on(pipeline::run(
                    config(&fixture, &runs, jobs, latency),
                    Arc::new(|_| {}),
                ))
                .unwrap();
            red.push(out.rollup.accounting.stage_wall_clock_ms["5-red-team"]);
            total.push(out.rollup.accounting.wall_clock_ms);
        }
        red.sort();
        total.sort();
        rows.push((jobs, red[red.len() / 2], total[total.len() / 2]));
    }
    println!("fan-out, simulated latency {latency} ms per agent call, median of {repeats} runs");
    println!(
        "{:>6} {:>16} {:>16}",
        "jobs", "red team (ms)", "whole run (ms)"
    );
    for (jobs, red, total) in &rows {
        println!("{jobs:>6} {red:>16} {total:>16}");
    }
    println!(
        "sequential / parallel, red-team stage: {:.2}x",
        rows[1].1 as f64 / rows[0].1 as f64
    );
}

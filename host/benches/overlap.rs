//! Validation overlapping planning (docs/design.md §6, "the baseline"): the same Cast run on the
//! fixture repository, with every offline agent call taking a fixed simulated latency (standing
//! in for a model provider), once with the baseline's build and test commands running alongside
//! stages 3–5 and once with them run at stage 6, after planning; side by side in one process.
//! Prints the median whole-run wall-clock of each and their ratio.
//!
//! Run: `cargo bench -p anneal --bench overlap` (arguments: `[latency_ms] [repeats]`, default
//! 1000 3).
use anneal::pipeline::{self, Config};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn config(repo: &Path, runs: &Path, alongside: bool, latency: u64) -> Config {
    Config {
        jobs: 8,
        max_iterations: Some(1),
        simulated_latency: Duration::from_millis(latency),
        baseline_alongside: alongside,
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
    let latency: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(1000);
    let repeats: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let tmp = tempfile::tempdir().unwrap();
    // A copy: the runs' caches (.anneal/cache) must not land in the source tree.
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo");
    let fixture = tmp.path().join("service-repo");
    for e in walkdir::WalkDir::new(&source) {
        let e = e.unwrap();
        let to = fixture.join(e.path().strip_prefix(&source).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut rows = Vec::new();
    for alongside in [true, false] {
        let (mut total, mut validate) = (Vec::new(), Vec::new());
        for i in 0..repeats {
            let runs = tmp.path().join(format!("runs-{alongside}-{i}"));
            let out = rt
                .block_on(pipeline::run(
                    config(&fixture, &runs, alongside, latency),
                    Arc::new(|_| {}),
                ))
                .unwrap();
            assert_eq!(
                out.rollup.emission_decision.as_str(),
                "EMIT",
                "{:?}",
                out.rollup.stop_reason
            );
            total.push(out.rollup.accounting.wall_clock_ms);
            validate.push(out.rollup.accounting.stage_wall_clock_ms["6-validate"]);
        }
        total.sort();
        validate.sort();
        rows.push((
            alongside,
            total[total.len() / 2],
            validate[validate.len() / 2],
        ));
    }
    println!(
        "baseline overlap, simulated latency {latency} ms per agent call, median of {repeats} runs"
    );
    println!(
        "{:>22} {:>18} {:>16}",
        "baseline", "stage 6 (ms)", "whole run (ms)"
    );
    for (alongside, validate, total) in rows.iter().map(|r| (r.0, r.2, r.1)) {
        let how = if alongside {
            "alongside planning"
        } else {
            "after planning"
        };
        println!("{how:>22} {validate:>18} {total:>16}");
    }
    println!(
        "after / alongside, whole run: {:.2}x",
        rows[1].1 as f64 / rows[0].1 as f64
    );
    // Planning and validation as the sequential order measures them: validation is its stage
    // 6, planning the rest of its run.
    let (seq_total, seq_validate) = (rows[1].1 as f64, rows[1].2 as f64);
    let (planning, validation) = (seq_total - seq_validate, seq_validate);
    println!(
        "planning {planning:.0} ms, validation {validation:.0} ms; wall-clock / (planning + validation): sequential {:.2}, overlapped {:.2}",
        seq_total / (planning + validation),
        rows[0].1 as f64 / (planning + validation)
    );
}

//! The example third-party strategy `examples/foundry` (built by `cargo run -p xtask -- guests`
//! into `target/test-guests/foundry.wasm`, never bundled) run end to end on the fixture, and
//! described by `anneal strategy inspect`; sha256 pinning with `--strategy-sha256`.
use crate::common;
use common::{anneal, rollup, stderr, stdout, test_guest, Scratch};

const TASK: &str = "Add rate limiting to the login endpoint";

fn sha256_of(path: &std::path::Path) -> String {
    anneal::runtime::loader::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn foundry_plans_end_to_end_and_explains_its_choice() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("foundry");
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--opt",
        "candidates=3",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("EMIT"), "{}", stdout(&out));
    let run = s.run_dir();
    let report = std::fs::read_to_string(run.join("foundry-report.md"))
        .expect("foundry writes foundry-report.md into the run directory");
    assert!(report.starts_with("# Foundry report"), "{report}");
    assert!(report.contains(TASK), "{report}");
    for label in [
        "prometheus-cast",
        "prometheus-alloy/defensive",
        "prometheus-alloy/minimalist",
    ] {
        assert!(report.contains(label), "{label} missing from {report}");
    }
    assert_eq!(report.matches("(chosen)").count(), 1, "{report}");
    assert!(report.contains("## Why "), "{report}");

    let r = rollup(&run);
    assert_eq!(r["architecture"], "foundry");
    assert_eq!(r["strategy"]["name"], "foundry");
    assert_eq!(r["strategy"]["options"]["candidates"], "3");
    assert_eq!(r["strategy"]["wit"], "anneal:strategy@0.1.0");
    let source = r["strategy"]["source"].as_str().unwrap_or_default();
    assert!(source.contains("foundry.wasm"), "source: {source}");
    assert_eq!(
        r["strategy"]["sha256"].as_str(),
        Some(sha256_of(&guest).as_str())
    );
}

#[test]
fn foundry_refuses_candidates_out_of_range() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("foundry");
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--candidates",
        "1",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("use the cast strategy"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.run_dirs(), 0);
}

#[test]
fn inspect_describes_the_third_party_strategy() {
    if common::nested() {
        return;
    }
    let guest = test_guest("foundry");
    let out = anneal(
        &[
            "strategy".into(),
            "inspect".into(),
            guest.display().to_string(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let size = std::fs::metadata(&guest).unwrap().len();
    for want in [
        "name         foundry".to_string(),
        "version      0.1.0".to_string(),
        "wit          anneal:strategy@0.1.0".to_string(),
        format!("size         {size} bytes"),
        format!("sha256       {}", sha256_of(&guest)),
        "anneal:strategy/host@0.1.0".to_string(),
        "--opt candidates (integer, default 2, 2..=3)".to_string(),
    ] {
        assert!(text.contains(&want), "{want:?} missing from:\n{text}");
    }
}

#[test]
fn a_pinned_sha256_runs_and_a_mismatch_refuses_to() {
    if common::nested() {
        return;
    }
    let guest = test_guest("foundry");
    let actual = sha256_of(&guest);
    let s = Scratch::new();
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--strategy-sha256",
        &actual.to_uppercase(),
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let s = Scratch::new();
    let wrong = "0".repeat(64);
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--strategy-sha256",
        &wrong,
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&wrong) && err.contains(&actual), "{err}");
    assert_eq!(s.run_dirs(), 0, "nothing runs on a mismatch");

    // A malformed pin is a usage error.
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", "cast", "--strategy-sha256", "abc", TASK]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

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
    assert_eq!(r["strategy"]["wit"], "anneal:strategy@0.2.0");
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
        "wit          anneal:strategy@0.2.0".to_string(),
        format!("size         {size} bytes"),
        format!("sha256       {}", sha256_of(&guest)),
        "anneal:strategy/host@0.2.0".to_string(),
        "re-entry     stage 3, enrich".to_string(),
        "foundry: 2 candidate planners + Momus on each".to_string(),
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

/// `anneal strategy componentize` (what `./build.sh` of a new project calls) turns the core
/// module `xtask guests` built for Foundry into the very component `xtask` made of it, and
/// refuses, as a usage error, what is not a core module with an embedded component type.
#[test]
fn componentize_makes_the_component_and_refuses_anything_else() {
    if common::nested() {
        return;
    }
    let core = common::root().join("guests/target/wasm32-unknown-unknown/release/foundry.wasm");
    assert!(
        core.exists(),
        "{} is missing: run `cargo run -p xtask -- guests`",
        core.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("foundry.wasm");
    let run = |core: &std::path::Path| {
        anneal(
            &[
                "strategy".into(),
                "componentize".into(),
                core.display().to_string(),
                out_path.display().to_string(),
            ],
            &[],
        )
    };
    let out = run(&core);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("anneal strategy inspect"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        sha256_of(&out_path),
        sha256_of(&test_guest("foundry")),
        "the same component as xtask's"
    );
    // A component is not a core module; neither is text. Nothing is written for either.
    let junk = dir.path().join("junk.wasm");
    std::fs::write(&junk, "not wasm").unwrap();
    std::fs::remove_file(&out_path).unwrap();
    for bad in [test_guest("foundry"), junk] {
        let out = run(&bad);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("not a core wasm module") && err.contains("./build.sh"),
            "{err}"
        );
        assert!(!out_path.exists());
    }
}

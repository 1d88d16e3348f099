//! The whole pipeline, end to end, with the bundled Cast component loaded by wasmtime, on the
//! fixture service repository and on the anneal repository itself (docs/design.md §2, §4, §8).
use crate::common;
use anneal::model::Verdict;
use common::*;

#[test]
fn cast_on_fixture_service_emits_a_complete_run_directory() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["Add rate limiting to the login endpoint"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    let run = s.run_dir();
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        regex::Regex::new(r"^anneal-\d{8}-\d{6}-add-rate-limiting-to$")
            .unwrap()
            .is_match(&name),
        "run id {name}"
    );

    // Every file of docs/design.md §8.
    for f in [
        "plan/plan.md",
        "plan/phase-00-preflight.md",
        "rollup.yaml",
        "reviews/metis.yaml",
        "reviews/momus.yaml",
        "reviews/redteam-security.yaml",
        "reviews/redteam-scope.yaml",
        "reviews/redteam-assumptions.yaml",
        "reviews/oracle.yaml",
        "reviews/hephaestus.yaml",
        "evidence/phase-00-gate-1.log",
        "evidence/hephaestus.md",
        "run.log",
        "events.jsonl",
        "probe-report.yaml",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let xml_path = run.join(format!("cast-{name}.xml"));
    let xml = std::fs::read_to_string(&xml_path).expect("the XML prompt exists");
    let elements = xml_elements(&xml);
    assert!(
        elements.iter().filter(|e| *e == "phase").count() >= 3,
        "XML has the phases: {elements:?}"
    );

    // plan.md is an overview of at most 80 lines; one file per phase.
    let plan_md = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
    assert!(
        plan_md.lines().count() <= 80,
        "plan.md has {} lines",
        plan_md.lines().count()
    );
    let phase_files: Vec<_> = std::fs::read_dir(run.join("plan"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("phase-"))
        .collect();
    assert!(phase_files.len() >= 3, "{phase_files:?}");

    // Envelopes are schema-valid, and the rollup agrees with them.
    let r = rollup(&run);
    assert_eq!(r["architecture"], "cast");
    assert_eq!(r["emission_decision"], "EMIT");
    assert_eq!(r["simultaneous_pass"], true);
    assert_eq!(r["iteration_count"], 1);
    let trinity = ["redteam-security", "redteam-scope", "redteam-assumptions"]
        .iter()
        .map(|a| envelope(&run, &format!("reviews/{a}.yaml")))
        .filter(|e| e.verdict.passes())
        .count();
    assert_eq!(
        r["gate_status"]["red_team_trinity"],
        format!("{trinity}/3 PASS")
    );
    assert_eq!(trinity, 3);
    let metis = envelope(&run, "reviews/metis.yaml");
    assert!(!metis.directives.is_empty(), "metis gives directives");
    let momus = envelope(&run, "reviews/momus.yaml");
    assert_eq!(r["gate_status"]["momus"], momus.verdict.as_str());
    assert!(momus.verdict <= Verdict::Caution);
    // The strategy's notes spell the verdict as every file does (SAFE), not Rust's `Verdict::Safe`.
    let notes = r["guest"]["notes"][0].as_str().unwrap();
    assert!(
        notes.ends_with(&format!("momus {}", momus.verdict.as_str())),
        "{notes}"
    );
    let oracle = envelope(&run, "reviews/oracle.yaml");
    assert_eq!(r["gate_status"]["oracle"], oracle.verdict.as_str());
    let heph = envelope(&run, "reviews/hephaestus.yaml");
    assert_eq!(heph.verdict, Verdict::Safe);
    assert_eq!(r["gate_status"]["hephaestus"], "PASS");
    // The suite runs with ANNEAL_PREFLIGHT=skip (common::default_env): nothing was installed,
    // and the evidence says so (from the baseline's record: every phase-00 outcome came from it).
    let report = std::fs::read_to_string(run.join("evidence/hephaestus.md")).unwrap();
    assert!(report.contains("skipped (--preflight skip)"), "{report}");
    assert!(!run.join("evidence/preflight.log").exists());
    let worst = Verdict::worst([metis.verdict, momus.verdict, oracle.verdict, heph.verdict]);
    assert_eq!(r["overall_verdict"], worst.as_str());

    // Evidence holds the real output of the project's own build command.
    let ev = std::fs::read_to_string(run.join("evidence/phase-00-gate-1.log")).unwrap();
    assert!(ev.contains("command: make build"), "{ev}");
    assert!(
        ev.contains("python3 -m compileall"),
        "make echoes the real command: {ev}"
    );
    assert!(ev.trim_end().ends_with("exit status: 0"), "{ev}");

    // The guest really ran in the sandbox and the summary says where things are.
    assert!(r["guest"]["agent_calls"].as_u64().unwrap() >= 2);
    // Agent roles only (intent, Metis, planner, Momus, red team 4): the probe, Hephaestus and
    // Atlas are host stages, never spawns — as --max-spawns and --dry-run count them.
    assert!(r["accounting"]["agent_spawns"].as_u64().unwrap() >= 8);
    for host_stage in ["probe", "hephaestus", "atlas"] {
        assert!(
            r["accounting"]["spawns_by_agent"][host_stage].is_null(),
            "{r:?}"
        );
    }
    let so = stdout(&out);
    assert!(
        so.contains("EMIT") && so.contains("plan/plan.md") && so.contains("rollup.yaml"),
        "{so}"
    );
}

#[test]
fn vague_task_aborts_with_clarifying_questions() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["improve it"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    let so = stdout(&out);
    assert!(so.contains("clarification"), "{so}");
    let run = s.run_dir();
    let r = rollup(&run);
    assert_eq!(r["emission_decision"], "ABORT");
    assert!(!r["clarifying_questions"].as_sequence().unwrap().is_empty());
    let metis = envelope(&run, "reviews/metis.yaml");
    assert_eq!(metis.verdict, Verdict::Block);
    // Both outputs exist even without a plan (docs/design.md §3 invariant 3).
    assert!(run.join("plan/plan.md").is_file());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    xml_elements(&std::fs::read_to_string(run.join(format!("cast-{name}.xml"))).unwrap());
}

#[test]
fn invariant_breaking_flags_are_refused_and_recorded() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&[
        "--no-red-team",
        "--no-validate",
        "Add rate limiting to the login endpoint",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("refusing --no-red-team"));
    let run = s.run_dir();
    let r = rollup(&run);
    let refused: Vec<String> = r["refused_flags"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(refused, vec!["--no-red-team", "--no-validate"]);
    // The red team and Hephaestus ran all the same.
    envelope(&run, "reviews/redteam-security.yaml");
    assert_eq!(r["gate_status"]["hephaestus"], "PASS");
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    for args in [
        vec!["--jobs", "0", "task here please"],
        vec!["--type", "huge", "Add rate limiting"],
        vec!["--opt", "x=1", "Add rate limiting to the login endpoint"],
        vec!["   "],
    ] {
        let out = s.anneal(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(s.run_dirs(), 0);
}

/// The README's first command: a whole run on `examples/hello-repo`, the small real Rust crate
/// that ships with anneal, where Hephaestus builds and tests the crate in a scratch copy. (Planning
/// anneal's own workspace exercises the same path at the cost of a cold build of wasmtime;
/// README.md says what that costs.)
#[test]
fn the_readme_first_command_runs_whole_on_the_example_repository() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let repo = root().join("examples/hello-repo");
    // Kept between test runs, like a user's .anneal/cache/cargo-target.
    let target = root().join("target/hello-repo-check");
    let args: Vec<String> = [
        "--repo",
        &repo.display().to_string(),
        "--out",
        &s.runs().display().to_string(),
        "--quiet",
        "Add a --shout flag that prints the greeting in upper case",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let out = anneal_within(
        &args,
        &[
            ("ANNEAL_CARGO_TARGET_DIR", target.to_str().unwrap()),
            // As a user gets it: the preflight prepares the copy (`cargo fetch --locked`; the
            // crate has no dependencies, so no network).
            ("ANNEAL_PREFLIGHT", "install"),
        ],
        std::time::Duration::from_secs(600),
    );
    // The README promises an EMIT: exit 0, a plan and its prompt.
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    let run = s.run_dir();
    let probe: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(run.join("probe-report.yaml")).unwrap())
            .unwrap();
    assert_eq!(probe["languages"][0]["name"], "Rust");
    let r = rollup(&run);
    assert_eq!(r["emission_decision"], "EMIT");
    assert_eq!(
        r["gate_status"]["hephaestus"],
        "PASS",
        "the crate builds and its tests pass in a scratch copy: {}",
        std::fs::read_to_string(run.join("evidence/hephaestus.md")).unwrap_or_default()
    );
    let ev = std::fs::read_to_string(run.join("evidence/phase-00-gate-1.log")).unwrap();
    assert!(ev.contains("cargo build"), "{ev}");
    assert!(run.join("plan/plan.md").is_file());
    // Left as it ships, but for the code index's cache (docs/design.md §10: `.anneal/cache/`
    // in the repository, reused by the next run), which git ignores.
    let anneal_dir: Vec<String> = std::fs::read_dir(repo.join(".anneal"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !repo.join("target").exists() && anneal_dir.iter().all(|n| n == "cache"),
        "the example repository is left as it ships (but for .anneal/cache): {anneal_dir:?}"
    );
}

//! Alloy end to end (docs/design.md §2 stage 4 Alloy, §8): the bundled Alloy component on the fixture
//! service repository with 2, 5 (default) and 7 variants, and the refused `versions` values.
use crate::common;
use common::*;
use std::path::Path;

const BIASES: [&str; 7] = [
    "correctness",
    "minimalist",
    "defensive",
    "performance",
    "ux",
    "verification",
    "migration",
];
const TASK: &str = "Add rate limiting to the login endpoint";

fn check_alloy_run(s: &Scratch, out: &std::process::Output, n: usize) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    let run = s.run_dir();
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
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
        "synthesis-provenance.md",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let xml = std::fs::read_to_string(run.join(format!("alloy-{name}.xml")))
        .expect("the XML prompt alloy-{run_id}.xml exists");
    assert!(xml_elements(&xml).iter().any(|e| e == "phase"));

    // Exactly the first N variants.
    let mut variants: Vec<String> = std::fs::read_dir(run.join("variants"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    variants.sort();
    let expected: Vec<String> = BIASES[..n]
        .iter()
        .enumerate()
        .map(|(i, b)| format!("variant-{}-{b}.md", i + 1))
        .collect();
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(variants, sorted);
    for (i, b) in BIASES[..n].iter().enumerate() {
        let v = std::fs::read_to_string(run.join("variants").join(&expected[i])).unwrap();
        assert!(v.contains("## Phase 00"), "variant {b} is a rendered plan");
    }

    // Rollup: architecture, bias set, provenance file, envelopes valid.
    let r = rollup(&run);
    assert_eq!(r["architecture"], "alloy");
    let bias_set: Vec<String> = r["bias_set"]
        .as_sequence()
        .expect("bias_set is a list")
        .iter()
        .map(|b| b.as_str().unwrap().to_string())
        .collect();
    assert_eq!(bias_set, BIASES[..n].to_vec());
    assert_eq!(r["synthesis_provenance"], "synthesis-provenance.md");
    for a in [
        "metis",
        "momus",
        "redteam-security",
        "redteam-scope",
        "redteam-assumptions",
        "oracle",
        "hephaestus",
    ] {
        envelope(&run, &format!("reviews/{a}.yaml"));
    }

    // Provenance: every blended phase attributed; per-bias counts for every bias.
    let prov = std::fs::read_to_string(run.join("synthesis-provenance.md")).unwrap();
    check_provenance(&run, &prov, n);
}

fn check_provenance(run: &Path, prov: &str, n: usize) {
    let phases: Vec<String> = std::fs::read_dir(run.join("plan"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with("phase-"))
        .collect();
    assert!(phases.len() >= 3, "{phases:?}");
    for f in &phases {
        let stem = f.trim_end_matches(".md");
        assert!(
            prov.contains(&format!("### {stem}")),
            "{stem} attributed in provenance:\n{prov}"
        );
    }
    assert_eq!(
        prov.matches("primary_source: ").count(),
        phases.len(),
        "one attribution per blended phase"
    );
    for (i, b) in BIASES[..n].iter().enumerate() {
        assert!(
            prov.contains(&format!("| {b} | variant-{}-{b} |", i + 1)),
            "per-bias count for {b}:\n{prov}"
        );
    }
    assert!(prov.contains("## Contradictions"));
}

#[test]
fn alloy_with_two_versions() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", "alloy", "--opt", "versions=2", TASK]);
    check_alloy_run(&s, &out, 2);
}

#[test]
fn alloy_default_is_five_versions() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", "alloy", TASK]);
    check_alloy_run(&s, &out, 5);
}

#[test]
fn alloy_with_seven_versions() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", "alloy", "--opt", "versions=7", TASK]);
    check_alloy_run(&s, &out, 7);
}

#[test]
fn alloy_refuses_one_and_eight_versions() {
    if common::nested() {
        return;
    }
    for (v, msg) in [
        ("1", "use Cast for single-planner work"),
        ("8", "synthesizer signal-to-noise collapses beyond 7"),
    ] {
        let s = Scratch::new();
        let out = s.anneal(&[
            "--strategy",
            "alloy",
            "--opt",
            &format!("versions={v}"),
            TASK,
        ]);
        assert_eq!(out.status.code(), Some(2), "versions={v}: {}", stderr(&out));
        assert!(stderr(&out).contains(msg), "versions={v}: {}", stderr(&out));
        assert_eq!(s.run_dirs(), 0, "versions={v} writes no run directory");
    }
}

#[test]
fn spec_style_flags_reach_the_strategy_as_options() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&[
        "--strategy",
        "alloy",
        "--versions",
        "8",
        "Add rate limiting to the login endpoint",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("synthesizer signal-to-noise collapses beyond 7"),
        "{}",
        stderr(&out)
    );
    let out = s.anneal(&[
        "--strategy",
        "cast",
        "--versions",
        "3",
        "Add rate limiting to the login endpoint",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("strategy cast has no option \"versions\""),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.run_dirs(), 0);
}

#[test]
fn dry_run_prints_the_budget_and_runs_nothing() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&[
        "--strategy",
        "alloy",
        "--versions",
        "7",
        "--dry-run",
        "Add rate limiting to the login endpoint",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let so = stdout(&out);
    assert!(
        so.contains("versions=7") && so.contains("best case            14"),
        "{so}"
    );
    assert_eq!(s.run_dirs(), 0);
}

// ---- Contradiction resolution end to end (docs/design.md §2 Alloy synthesis pass 2, issue 3). With the
// offline engine, the defensive lens ships the change behind a feature flag and the six other
// lenses do not: a real contradiction the synthesizer must settle on every run.

/// The run's provenance report, plan and XML prompt, after checking the run emitted.
fn synthesis_outputs(s: &Scratch, out: &std::process::Output) -> (String, String, String) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
    let run = s.run_dir();
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        rollup(&run)["synthesis_provenance"],
        "synthesis-provenance.md"
    );
    let prov = std::fs::read_to_string(run.join("synthesis-provenance.md")).unwrap();
    check_provenance(&run, &prov, 7);
    let plan = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
    let xml = std::fs::read_to_string(run.join(format!("alloy-{name}.xml"))).unwrap();
    (prov, plan, xml)
}

/// The `## Contradictions` line about the feature flag.
fn flag_line(prov: &str) -> String {
    let section = prov
        .split("## Contradictions")
        .nth(1)
        .expect("contradictions section");
    section
        .lines()
        .find(|l| l.starts_with("- feature flag: "))
        .unwrap_or_else(|| panic!("no feature-flag contradiction:\n{prov}"))
        .to_string()
}

#[test]
fn flag_contradiction_resolved_by_the_probes_stack() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // The service already reads a feature-flag variable: the probe sees it in docker-compose.yml.
    let compose = s.repo().join("docker-compose.yml");
    let text = std::fs::read_to_string(&compose).unwrap();
    let text = text.replace(
        "      TOKEN_TTL_SECONDS: \"3600\"\n",
        "      TOKEN_TTL_SECONDS: \"3600\"\n      FEATURE_FLAGS: \"\"\n",
    );
    assert!(text.contains("FEATURE_FLAGS"));
    std::fs::write(&compose, text).unwrap();

    let out = s.anneal(&["--strategy", "alloy", "--versions", "7", TASK]);
    let (prov, plan, xml) = synthesis_outputs(&s, &out);
    let line = flag_line(&prov);
    assert!(
        line.contains("(variant-3-defensive) vs ship without a flag (variant-1-correctness"),
        "{line}"
    );
    assert!(
        line.contains("→ ship behind a feature flag (off by default) — resolved by the probe's detected stack (the project already reads flag variable FEATURE_FLAGS)"),
        "{line}"
    );
    // Settled: nothing left for a human, and the defensive lens's flag phase is in the blend.
    assert!(!prov.contains("surfaced for a human"), "{prov}");
    assert!(!plan.contains("Decide: feature flag"), "{plan}");
    assert!(!xml.contains("Decide: feature flag"));
    let flag_phase = prov
        .split("### ")
        .find(|p| p.contains("feature-flag"))
        .unwrap_or_else(|| panic!("no feature-flag phase in the blend:\n{prov}"));
    assert!(
        flag_phase.contains("primary_source: variant-3-defensive"),
        "{flag_phase}"
    );
}

#[test]
fn flag_contradiction_without_directive_or_stack_follows_the_majority() {
    if common::nested() {
        return;
    }
    // The fixture as it is: no directive speaks of a flag and the project reads no flag
    // variable; one of seven variants (the defensive one) gates the change behind a flag.
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", "alloy", "--versions", "7", TASK]);
    let (prov, plan, xml) = synthesis_outputs(&s, &out);
    let line = flag_line(&prov);
    assert!(
        line.contains(
            "→ ship without a flag — resolved by majority (6 of 7 variants); no directive names it"
        ),
        "{line}"
    );
    // Settled, so nothing is left for a human, and the flag phase is left out, with why.
    assert!(!prov.contains("surfaced for a human"), "{prov}");
    assert!(!plan.contains("Decide: feature flag"), "{plan}");
    assert!(!xml.contains("Decide: feature flag"));
    assert!(!plan.contains("](phase-01-feature-flag"), "{plan}");
    assert!(prov.contains("## Phases left out of the blend"), "{prov}");
    let r = std::fs::read_to_string(s.run_dir().join("rollup.yaml")).unwrap();
    assert!(r.contains("1 contradiction(s)"), "{r}");
}

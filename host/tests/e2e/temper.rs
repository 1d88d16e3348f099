//! Temper end to end (docs/design.md §2 stage 4, convergence checker): the deepen loop through the real
//! binary on the fixture repository, every convergence reason, the depth reset on a full re-loop,
//! and swapping the checker's thresholds.
use crate::common;
use common::*;
use std::path::Path;

const TASK: &str = "Add rate limiting to the login endpoint";
/// On the fixture the offline engine scores this task's seed below 100 (Momus finds a phase whose
/// steps name no file, function or command: 75 when written) and the rewrite 100:
/// `[75, 100, 100]`.
const SLOW_TASK: &str = "Replace the session store with Redis";

fn ok(out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

fn history(run: &Path, rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(run.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel} is not JSON: {e}"))
}

fn scores_of(v: &serde_yaml::Value) -> Vec<f64> {
    v.as_sequence()
        .unwrap_or_else(|| panic!("not a list: {v:?}"))
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Checks the Temper files of one iteration (`prefix` "" or "iteration-{i}/") against its
/// depth-history.json and returns (depth_final, scores, reason) from the history.
fn check_iteration(run: &Path, prefix: &str, cap: u64) -> (u64, Vec<f64>, String) {
    let h = history(run, &format!("{prefix}depth-history.json"));
    assert_eq!(h["strategy"], "temper");
    assert_eq!(h["cap"], cap);
    let depths = h["depths"].as_array().unwrap();
    let final_depth = h["depth_final"].as_u64().expect("depth_final set");
    assert_eq!(depths.len() as u64, final_depth + 1, "one record per depth");
    assert!(final_depth <= cap);
    let mut scores = Vec::new();
    for (n, d) in depths.iter().enumerate() {
        assert_eq!(d["depth"], n as u64);
        let file = format!("{prefix}plan-depth-{n}.md");
        assert_eq!(d["plan_file"], file.as_str());
        let md = std::fs::read_to_string(run.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(md.starts_with("# "), "{file} is a Markdown plan");
        assert!(d["plan"]["phases"].as_array().unwrap().len() >= 3);
        // The host wrote the per-depth review files; they match the history.
        let momus = envelope(run, &format!("reviews/momus-envelope-depth-{n}.yaml"));
        for who in ["security", "scope", "assumptions"] {
            let e = envelope(
                run,
                &format!("reviews/redteam-{who}-envelope-depth-{n}.yaml"),
            );
            assert_eq!(e.depth, Some(n as u32));
            assert!(["SAFE", "CAUTION", "RISKY", "BLOCK"]
                .contains(&d["red_team"][who]["verdict"].as_str().unwrap()));
        }
        assert!(run
            .join(format!("reviews/oracle-envelope-depth-{n}.yaml"))
            .is_file());
        let score = d["score"].as_f64().unwrap();
        assert_eq!(d["momus"]["score"].as_f64().unwrap(), score);
        // Depth N ≥ 1 records, for every finding of depth N−1, what its rewrite changed there.
        let answers = d["answers"].as_array().expect("answers recorded");
        if n == 0 {
            assert!(answers.is_empty());
        } else {
            let prev = &depths[n - 1];
            let findings: usize = ["momus"]
                .iter()
                .map(|k| prev[k]["findings"].as_array().map_or(0, |f| f.len()))
                .chain(["security", "scope", "assumptions"].iter().map(|k| {
                    prev["red_team"][k]["findings"]
                        .as_array()
                        .map_or(0, |f| f.len())
                }))
                .sum();
            assert_eq!(
                answers.len(),
                findings,
                "one answer per finding of depth {}",
                n - 1
            );
            for a in answers {
                assert_eq!(
                    a["answered"].as_bool().unwrap(),
                    !a["changes"].as_array().unwrap().is_empty()
                );
            }
            // The score moves only when the plan did.
            if d["plan"] == prev["plan"] {
                assert_eq!(
                    score,
                    prev["score"].as_f64().unwrap(),
                    "same plan, same score"
                );
            }
        }
        if prefix.is_empty() {
            // Iteration 1's review files are the ones on disk unless a later iteration overwrote them.
            assert_eq!(momus.depth, Some(n as u32));
        }
        scores.push(score);
        let input = &d["convergence"]["input"];
        assert_eq!(input["depth"], n as u64);
        assert_eq!(input["cap"], cap);
        assert_eq!(input["scores"].as_array().unwrap().len(), n + 1);
        let out = &d["convergence"]["output"];
        let last = n as u64 == final_depth;
        assert_eq!(out["converged"], last, "depth {n}: {out}");
        if !last {
            assert_eq!(out["next_depth"], n as u64 + 1);
        }
    }
    let hs: Vec<f64> = h["depth_scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(hs, scores);
    let reason = h["convergence_reason"].as_str().unwrap().to_string();
    assert_eq!(
        depths.last().unwrap()["convergence"]["output"]["reason"],
        reason.as_str()
    );
    (final_depth, scores, reason)
}

/// Runs Temper and checks the whole run directory; returns (run dir, depth_final, scores, reason).
fn temper(s: &Scratch, args: &[&str], cap: u64) -> (std::path::PathBuf, u64, Vec<f64>, String) {
    let before: Vec<_> = std::fs::read_dir(s.runs())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut full = vec!["--strategy", "temper"];
    full.extend_from_slice(args);
    let out = s.anneal(&full);
    ok(&out);
    let run = std::fs::read_dir(s.runs())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| !before.contains(p))
        .expect("a new run directory");
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
        "evidence/hephaestus.md",
        "run.log",
        "events.jsonl",
        "probe-report.yaml",
        "depth-history.json",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert!(run.join(format!("temper-{name}.xml")).is_file());
    let r = rollup(&run);
    assert_eq!(r["architecture"], "temper");
    let iterations = r["iteration_count"].as_u64().unwrap();
    let prefix = if iterations == 1 {
        String::new()
    } else {
        format!("iteration-{iterations}/")
    };
    let (d, scores, reason) = check_iteration(&run, &prefix, cap);
    assert_eq!(r["depth_final"].as_u64(), Some(d));
    assert_eq!(scores_of(&r["depth_scores"]), scores);
    assert_eq!(r["convergence_reason"].as_str(), Some(reason.as_str()));
    (run, d, scores, reason)
}

#[test]
fn temper_depth_caps_1_3_5_write_every_depth_file() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    for (cap, args) in [
        (1, vec!["--opt", "depth=1", TASK]),
        (3, vec![TASK]),
        (5, vec!["--opt", "depth=5", TASK]),
    ] {
        let (run, d, scores, reason) = temper(&s, &args, cap);
        eprintln!("cap {cap}: scores {scores:?} → {reason} at depth {d}");
        let r = rollup(&run);
        assert_eq!(r["emission_decision"], "EMIT");
        assert_eq!(r["iteration_count"], 1);
        // The plan of the exit depth is the final plan.
        let h = history(&run, "depth-history.json");
        let last = &h["depths"][d as usize]["plan"];
        let plan_md = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
        assert!(plan_md.contains(last["title"].as_str().unwrap()));
        // No depth beyond the exit depth was written.
        assert!(!run.join(format!("plan-depth-{}.md", d + 1)).exists());
    }
}

#[test]
fn out_of_range_depth_is_a_usage_error() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    for v in ["depth=0", "depth=6"] {
        let out = s.anneal(&["--strategy", "temper", "--opt", v, TASK]);
        assert_eq!(out.status.code(), Some(2), "{v}: {}", stderr(&out));
    }
    assert_eq!(s.run_dirs(), 0);
}

#[test]
fn delta_reason_through_the_real_loop() {
    if common::nested() {
        return;
    }
    // Seed and rewrite both score 100 → |Δ| = 0 < 0.15 at depth 1.
    let s = Scratch::new();
    let (_, d, scores, reason) = temper(&s, &[TASK], 3);
    assert_eq!((d, reason.as_str()), (1, "delta"), "{scores:?}");
    // [75, 100, 100]: the rewrite fixes the seed, depth 2 plateaus → delta at depth 2.
    let (_, d, scores, reason) = temper(&s, &[SLOW_TASK], 3);
    assert_eq!((d, reason.as_str()), (2, "delta"), "{scores:?}");
    assert_eq!(scores.len(), 3);
    assert!(
        scores[0] < scores[1],
        "the rewrite improved the seed: {scores:?}"
    );
}

#[test]
fn cap_reason_through_the_real_loop() {
    if common::nested() {
        return;
    }
    // [75, 100] with cap 1: neither variance (needs 3 scores) nor delta (6) → cap at depth 1.
    let s = Scratch::new();
    let (_, d, scores, reason) = temper(&s, &["--opt", "depth=1", SLOW_TASK], 1);
    assert_eq!((d, reason.as_str()), (1, "cap"), "{scores:?}");
}

#[test]
fn hephaestus_fail_resets_depth_on_the_next_iteration() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // `make build` (python3 -m compileall -q app) fails on a syntax error.
    std::fs::write(s.repo().join("app/broken.py"), "def broken(:\n    pass\n").unwrap();
    let out = s.anneal(&["--strategy", "temper", "--opt", "depth=2", TASK]);
    let run = s.run_dir();
    let r = rollup(&run);
    let iterations = r["iteration_count"].as_u64().unwrap();
    assert!(
        iterations > 1,
        "a Hephaestus FAIL re-loops: {r:?}\n{}",
        stderr(&out)
    );
    // Iteration 1's files are kept at the top; each later iteration restarted at depth 0.
    let (d1, s1, _) = check_iteration(&run, "", 2);
    eprintln!("iteration 1: {s1:?} exit depth {d1}");
    for i in 2..=iterations {
        let prefix = format!("iteration-{i}/");
        let h = history(&run, &format!("{prefix}depth-history.json"));
        assert_eq!(h["iteration"], i);
        assert_eq!(
            h["depths"][0]["depth"], 0,
            "iteration {i} restarted at depth 0"
        );
        assert!(run.join(format!("{prefix}plan-depth-0.md")).is_file());
        let (d, sc, reason) = check_iteration(&run, &prefix, 2);
        eprintln!("iteration {i}: {sc:?} → {reason} at depth {d}");
        if i == iterations {
            assert_eq!(r["depth_final"].as_u64(), Some(d));
            assert_eq!(scores_of(&r["depth_scores"]), sc);
        }
    }
}

fn check_cli(args: &[&str]) -> (Option<i32>, String, String) {
    let mut full = vec!["convergence".to_string(), "check".to_string()];
    full.extend(args.iter().map(|s| s.to_string()));
    let out = anneal(&full, &[]);
    (out.status.code(), stdout(&out), stderr(&out))
}

fn decision(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = check_cli(args);
    assert_eq!(code, Some(0), "{args:?}: {err}");
    serde_json::from_str(out.trim()).unwrap()
}

#[test]
fn convergence_check_cli_seed_examples_and_errors() {
    if common::nested() {
        return;
    }
    for (depth, scores, cap, reason) in [
        ("4", "72,81,87,86,87", "5", "variance"),
        ("3", "70,74,80,80", "5", "delta"),
        ("4", "65,78,83,84.1,84.0", "5", "variance"),
        ("4", "45,52,58,61,63", "4", "cap"),
    ] {
        let d = decision(&["--depth", depth, "--scores", scores, "--cap", cap]);
        assert_eq!(d["converged"], true, "{scores}");
        assert_eq!(d["reason"], reason, "{scores}");
        assert!(d["next_depth"].is_null());
    }
    let d = decision(&["--depth", "3", "--scores", "45,52,58,61", "--cap", "4"]);
    assert_eq!(d["converged"], false);
    assert_eq!(d["next_depth"], 4);
    for (scores, depth, cap, needle) in [
        ("70,80", "0", "3", "depth + 1"),
        ("70,180", "1", "3", "0..=100"),
        ("70", "0", "0", "cap"),
        ("70", "0", "6", "cap"),
        ("70,x", "1", "3", "not a number"),
    ] {
        let (code, _, err) = check_cli(&["--depth", depth, "--scores", scores, "--cap", cap]);
        assert_eq!(code, Some(2), "{scores} {depth} {cap}");
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn swapping_the_thresholds_changes_the_decision() {
    if common::nested() {
        return;
    }
    // Same scores, two presets: strict continues, loose stops.
    let args = ["--depth", "1", "--scores", "80,82", "--cap", "3"];
    let strict = decision(&args);
    let mut loose_args = args.to_vec();
    loose_args.extend(["--preset", "loose"]);
    let loose = decision(&loose_args);
    assert_eq!(strict["converged"], false);
    assert_eq!(
        (loose["converged"].clone(), loose["reason"].clone()),
        (true.into(), "delta".into())
    );
    let args = ["--depth", "2", "--scores", "81,84,83", "--cap", "5"];
    assert_eq!(decision(&args)["converged"], false);
    let mut loose_args = args.to_vec();
    loose_args.extend(["--preset", "loose"]);
    assert_eq!(decision(&loose_args)["reason"], "variance");
}

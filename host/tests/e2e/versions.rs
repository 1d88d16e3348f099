//! The host serves every version of `anneal:strategy` it published (docs/design.md §11): a
//! strategy and a convergence checker built against 0.1.0 (`guests/legacy`,
//! `guests/legacy-checker`, test-only, built by `cargo run -p xtask -- guests`) run unchanged
//! beside the 0.2.0 bundled guests; what 0.1.0 does not declare (re-entry, spawn estimate) the
//! host takes from its own rule, and says so.
use crate::common;
use common::{rollup, stderr, stdout, test_guest, Scratch};

const TASK: &str = "Add rate limiting to the login endpoint";

#[test]
fn a_0_1_0_strategy_runs_unchanged_through_every_host_call() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("legacy");
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--opt",
        "strict=true",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let run = s.run_dir();
    let r = rollup(&run);
    assert_eq!(r["strategy"]["wit"], "anneal:strategy@0.1.0");
    assert_eq!(r["architecture"], "legacy");
    // invoke-batch (2), momus, invoke-agent, red-team (4 agents), momus, check-convergence
    // twice.
    assert_eq!(r["guest"]["agent_calls"], 11, "{r:?}");
    let notes = r["guest"]["notes"][0].as_str().unwrap();
    assert!(
        notes.contains("depth 0 converged false, depth 1 converged true; strict"),
        "{notes}"
    );
    assert!(
        notes.contains("momus SAFE") || notes.contains("momus CAUTION"),
        "{notes}"
    );
    // The artifact, the per-depth envelopes the host wrote for depth 0, and the records the
    // 0.1.0 output carried through the adapter.
    let written = std::fs::read_to_string(run.join("legacy-notes.md")).unwrap();
    assert!(written.starts_with("# legacy"), "{written}");
    assert!(run
        .join("reviews/redteam-security-envelope-depth-0.yaml")
        .exists());
    assert!(run.join("reviews/momus-envelope-depth-0.yaml").exists());
    assert_eq!(r["depth_final"], 1);
    assert_eq!(r["convergence_reason"], "delta");
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    assert!(
        log.contains("[guest legacy] info: legacy: anneal:strategy@0.1.0 guest starting"),
        "{log}"
    );
}

#[test]
fn a_0_1_0_convergence_checker_drives_a_0_2_0_strategy() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let checker = test_guest("legacy-checker");
    let out = s.anneal(&[
        "--strategy",
        "temper",
        "--convergence",
        checker.to_str().unwrap(),
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = rollup(&s.run_dir());
    assert_eq!(r["strategy"]["wit"], "anneal:strategy@0.2.0");
    // Only this checker converges at depth 0 (by "cap"): the bundled one never can.
    assert_eq!(r["depth_final"], 0, "{r:?}");
    assert_eq!(r["convergence_reason"], "cap");
}

#[test]
fn inspect_and_dry_run_say_what_0_1_0_does_not_declare() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("legacy");
    let out = common::anneal(
        &[
            "strategy".into(),
            "inspect".into(),
            guest.display().to_string(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let so = stdout(&out);
    assert!(so.contains("wit          anneal:strategy@0.1.0"), "{so}");
    assert!(
        so.contains("re-entry     stage 3, enrich (the host's rule: 0.1.0 declares none)"),
        "{so}"
    );
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--max-guest-calls",
        "10",
        "--dry-run",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let so = stdout(&out);
    // Intent, Metis, red team 4, Momus; then up to 10 agents (a red-team call counts 4 of
    // them). The probe, Hephaestus and Atlas are host stages, not spawns.
    assert!(so.contains("best case            7"), "{so}");
    assert!(so.contains("one full iteration   17"), "{so}");
    assert!(
        so.contains("declares no estimate (anneal:strategy@0.1.0)"),
        "{so}"
    );
    assert_eq!(s.run_dirs(), 0);
}

#[test]
fn the_bundled_strategies_declare_their_re_entry_and_spawns() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    for (strategy, reentry, best) in [
        ("cast", "stage 3, enrich", 8),
        ("alloy", "stage 1, the intent gate", 12),
        ("temper", "stage 3, enrich", 14),
    ] {
        let out = s.anneal(&["--strategy", strategy, "--dry-run", TASK]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let so = stdout(&out);
        assert!(
            so.contains(&format!("re-enter at               {reentry}\n")),
            "{so}"
        );
        assert!(
            so.contains(&format!("best case            {best}\n")),
            "{so}"
        );
        assert!(so.contains(&format!("basis: {strategy}: ")), "{so}");
    }
}

/// Spawns of `agent` in a run's rollup.
fn spawns(r: &serde_yaml::Value, agent: &str) -> u64 {
    r["accounting"]["spawns_by_agent"][agent]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn re_loops_re_enter_where_the_strategy_declares() {
    if common::nested() {
        return;
    }
    let hostile = test_guest("hostile");
    let legacy = test_guest("legacy");
    // (strategy, extra args, intent-gate calls per iteration after the first, metis calls per
    // iteration after the first): Alloy re-enters at stage 1, Cast and a 0.1.0 strategy (the
    // host's rule) at stage 3, the hostile guest declares stage 4.
    for (strategy, extra, intent_again, metis_again) in [
        ("alloy", vec!["--versions", "2"], 1, 1),
        ("cast", vec![], 0, 1),
        (legacy.to_str().unwrap(), vec![], 0, 1),
        (hostile.to_str().unwrap(), vec!["--opt", "mode=ok"], 0, 0),
    ] {
        let s = Scratch::new();
        // `make build` (python3 -m compileall -q app) and `make test` (a test module imports
        // the broken one) fail on the untouched repository: no gate can pass, so Hephaestus
        // FAILs every iteration (a single broken command would only be dropped from the gates).
        std::fs::write(s.repo().join("app/broken.py"), "def broken(:\n    pass\n").unwrap();
        std::fs::write(
            s.repo().join("tests/test_broken.py"),
            "import app.broken  # noqa: F401\n",
        )
        .unwrap();
        let mut args = vec!["--strategy", strategy];
        args.extend(extra);
        args.push(TASK);
        let out = s.anneal(&args);
        assert_eq!(out.status.code(), Some(4), "{strategy}: {}", stderr(&out));
        let r = rollup(&s.run_dir());
        assert_eq!(r["iteration_count"], 3, "{strategy}: {r:?}");
        assert_eq!(
            spawns(&r, "intent-gate"),
            1 + 2 * intent_again,
            "{strategy}"
        );
        assert_eq!(spawns(&r, "metis"), 1 + 2 * metis_again, "{strategy}");
        // Every iteration's failures reached the next one's directives.
        let folded = r["iterations"][0]["folded_into_next"]
            .as_sequence()
            .unwrap();
        assert!(!folded.is_empty(), "{strategy}: {r:?}");
    }
}

#[test]
fn a_bare_flag_option_is_switched_on_and_the_task_kept() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("legacy");
    // `--strict` is the strategy's flag option: given bare before the task, it is switched on
    // and the task stays the task.
    let out = s.anneal(&["--strategy", guest.to_str().unwrap(), "--strict", TASK]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = rollup(&s.run_dir());
    assert_eq!(r["task"], TASK);
    assert_eq!(r["strategy"]["options"]["strict"], "true");
    assert!(r["guest"]["notes"][0]
        .as_str()
        .unwrap()
        .ends_with("; strict"));
    // A strategy without that option says so (the task was not taken for its value).
    let out = s.anneal(&["--strategy", "cast", "--strict", TASK]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("strategy cast has no option \"strict\""),
        "{}",
        stderr(&out)
    );
}

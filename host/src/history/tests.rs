use super::*;

/// Writes a run directory with a rollup of `strategy` on `task`.
fn run(
    root: &Path,
    id: &str,
    strategy: &str,
    task: &str,
    decision: &str,
    score: u8,
    spawns: u32,
) -> PathBuf {
    let dir = root.join(id);
    std::fs::create_dir_all(dir.join("plan")).unwrap();
    let rollup = format!(
        "rollup:\n  run_id: {id}\n  architecture: {strategy}\n  overall_verdict: SAFE\n  gate_status:\n    metis: SAFE\n    momus: SAFE\n  emission_decision: {decision}\n  iteration_count: 2\n  task: {task}\n  strategy:\n    name: {strategy}\n    options:\n      versions: '5'\n  momus_score: {score}\n  accounting:\n    agent_spawns: {spawns}\n    tokens: 100\n    wall_clock_ms: 1500\n    stage_wall_clock_ms:\n      4-plan: 900\n  outputs:\n    plan:\n    - plan/plan.md\n    - plan/phase-00-preflight.md\n    - plan/phase-01-do.md\n"
    );
    std::fs::write(dir.join("rollup.yaml"), rollup).unwrap();
    std::fs::write(
        dir.join("plan/plan.md"),
        format!("# Plan\n\nstrategy {strategy}\nsame line\n"),
    )
    .unwrap();
    dir
}

#[test]
fn reads_runs_and_reports_the_unreadable_ones() {
    let root = tempfile::tempdir().unwrap();
    run(
        root.path(),
        "anneal-20260101-000000-a",
        "cast",
        "Add X",
        "EMIT",
        80,
        11,
    );
    std::fs::create_dir(root.path().join("anneal-20260101-000001-going")).unwrap();
    std::fs::create_dir(root.path().join("anneal-20260101-000002-junk")).unwrap();
    std::fs::write(
        root.path().join("anneal-20260101-000002-junk/rollup.yaml"),
        "rollup: [1, 2]",
    )
    .unwrap();
    std::fs::write(root.path().join("stray-file"), "x").unwrap();
    let h = History::read(root.path()).unwrap();
    assert_eq!(h.runs.len(), 1);
    let r = &h.runs[0];
    assert_eq!(
        (r.strategy.as_str(), r.outcome, r.momus_score),
        ("cast", Outcome::Emit, Some(80))
    );
    assert_eq!(
        r.phases,
        ["plan/phase-00-preflight.md", "plan/phase-01-do.md"]
    );
    assert_eq!(h.unreadable.len(), 2);
    assert!(
        h.unreadable[0].reason.contains("still going"),
        "{:?}",
        h.unreadable
    );
    assert!(
        h.unreadable[1].reason.contains("not a rollup"),
        "{:?}",
        h.unreadable
    );
    // A root that does not exist holds no runs.
    assert!(History::read(&root.path().join("none"))
        .unwrap()
        .runs
        .is_empty());
}

#[test]
fn filters_and_finds_by_id_prefix_or_path() {
    let root = tempfile::tempdir().unwrap();
    let a = run(
        root.path(),
        "anneal-20260101-000000-a",
        "cast",
        "Add X",
        "EMIT",
        80,
        11,
    );
    run(
        root.path(),
        "anneal-20260101-000100-b",
        "alloy",
        "add x",
        "RE_LOOP",
        70,
        40,
    );
    let h = History::read(root.path()).unwrap();
    let f = |strategy: Option<&str>, task: Option<&str>, outcome| Filter {
        strategy: strategy.map(String::from),
        task: task.map(String::from),
        outcome,
    };
    assert_eq!(h.filtered(&f(None, Some("ADD"), None)).len(), 2);
    assert_eq!(h.filtered(&f(Some("alloy"), None, None)).len(), 1);
    assert_eq!(
        h.filtered(&f(None, None, Some(Outcome::NotEmitted)))[0].strategy,
        "alloy"
    );
    assert_eq!(
        find(root.path(), "anneal-20260101-0001").unwrap().strategy,
        "alloy"
    );
    assert_eq!(
        find(root.path(), a.to_str().unwrap()).unwrap().strategy,
        "cast"
    );
    assert!(matches!(
        find(root.path(), "anneal-2026"),
        Err(HistoryError::Ambiguous { n: 2, .. })
    ));
    assert!(matches!(
        find(root.path(), "nope"),
        Err(HistoryError::NoSuchRun { .. })
    ));
}

#[test]
fn stats_group_by_strategy_and_options_and_by_task() {
    let root = tempfile::tempdir().unwrap();
    run(root.path(), "r1", "cast", "Add X", "EMIT", 80, 10);
    run(root.path(), "r2", "cast", "Add X", "RE_LOOP", 60, 20);
    run(root.path(), "r3", "alloy", "Add X", "EMIT", 90, 40);
    let h = History::read(root.path()).unwrap();
    let s = stats::stats(root.path().into(), &h.filtered(&Filter::default()));
    assert_eq!(s.runs, 3);
    let cast = s.groups.iter().find(|g| g.strategy == "cast").unwrap();
    assert_eq!(cast.runs, 2);
    assert!((cast.emit_rate - 0.5).abs() < 1e-9);
    let m = cast.momus.unwrap();
    assert_eq!((m.mean, m.stdev, m.min, m.max), (70.0, 10.0, 60.0, 80.0));
    assert_eq!(cast.reloops.unwrap().mean, 1.0);
    assert_eq!(s.tasks.len(), 1);
    assert_eq!(s.tasks[0].by_strategy.len(), 2);
    let text = stats::text(&s);
    assert!(text.contains("The same task across strategies"), "{text}");
    assert!(text.contains("70.0 ± 10.0"), "{text}");
    assert_eq!(stats::spread(&[]), None);
}

#[test]
fn compare_diffs_the_plans_and_cleans_terminal_text() {
    let root = tempfile::tempdir().unwrap();
    run(root.path(), "r1", "cast", "Add X", "EMIT", 80, 10);
    run(
        root.path(),
        "r2",
        "alloy",
        "\"Add X\\e[31m red\"",
        "EMIT",
        90,
        40,
    );
    let c = compare::compare(
        find(root.path(), "r1").unwrap(),
        find(root.path(), "r2").unwrap(),
    );
    assert!(!c.same_task);
    assert!(
        c.plan_diff.contains("-strategy cast\n+strategy alloy"),
        "{}",
        c.plan_diff
    );
    let text = compare::text(&c);
    assert!(c.b.task.contains('\u{1b}'));
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(text.contains("agent spawns"), "{text}");
}

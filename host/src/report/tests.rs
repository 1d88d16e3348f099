use super::*;

fn run_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    std::fs::create_dir_all(p.join("reviews")).unwrap();
    std::fs::create_dir_all(p.join("evidence")).unwrap();
    std::fs::write(
        p.join("rollup.yaml"),
        "rollup:\n  run_id: anneal-20260101-000000-x\n  architecture: temper\n  agents: offline\n  overall_verdict: SAFE\n  gate_status:\n    metis: SAFE\n    hephaestus: PASS\n  emission_decision: EMIT\n  iteration_count: 1\n  task: '<b>Add</b> X'\n  strategy:\n    name: temper\n  accounting:\n    agent_spawns: 4\n    max_spawns: 50\n    spawns_by_agent:\n      momus: 2\n      metis: 2\n    tokens: 10\n    wall_clock_ms: 100\n  outputs:\n    evidence:\n    - evidence/hephaestus.md\n    - ../../etc/passwd\n",
    )
    .unwrap();
    std::fs::write(p.join("evidence/hephaestus.md"), "ok").unwrap();
    std::fs::write(
        p.join("events.jsonl"),
        "{\"t_ms\":0,\"event\":\"start\",\"agent\":\"metis\",\"iteration\":1}\n\
         {\"t_ms\":5,\"event\":\"start\",\"agent\":\"redteam-scope\",\"iteration\":1,\"depth\":0}\n\
         {\"t_ms\":6,\"event\":\"start\",\"agent\":\"redteam-security\",\"iteration\":1,\"depth\":0}\n\
         {\"t_ms\":9,\"event\":\"finish\",\"agent\":\"redteam-scope\",\"iteration\":1,\"depth\":0}\n\
         {\"t_ms\":10,\"event\":\"finish\",\"agent\":\"metis\",\"iteration\":1}\n\
         not json\n\
         {\"t_ms\":12,\"event\":\"start\",\"agent\":\"momus\",\"iteration\":1}\n",
    )
    .unwrap();
    std::fs::write(
        p.join("reviews/momus.yaml"),
        "agent: momus\nverdict: CAUTION\nscore: 81\nsummary: '<script>alert(1)</script>'\nfindings:\n- location: plan/phase-01.md\n  severity: low\n  concern: c\n  demand: d\n",
    )
    .unwrap();
    std::fs::write(
        p.join("depth-history.json"),
        r#"{"depth_scores":[70,80,80.1],"depths":[{"depth":0,"score":70,"convergence":{"output":{"converged":false,"reason":null}}}]}"#,
    )
    .unwrap();
    d
}

#[test]
fn the_report_holds_every_section_escaped_and_offline() {
    let d = run_dir();
    let run = Record::read(d.path()).unwrap();
    let html = std::fs::read_to_string(write(&run).unwrap()).unwrap();
    for part in [
        "Timeline",
        "Temper: score per depth",
        "Verdicts and findings",
        "Gates",
        "Spawns and tokens",
        "<svg",
    ] {
        assert!(html.contains(part), "no {part}");
    }
    // 4 calls: metis, the two red-team calls overlapping it, momus unfinished.
    assert!(html.contains("4 agent calls; at most 3 at once"), "{html}");
    assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
    assert!(html.contains("&lt;b&gt;Add&lt;/b&gt; X"));
    assert!(html.contains("href=\"evidence/hephaestus.md\"") && !html.contains("passwd"));
    assert!(html.contains("<td>50</td>"), "the spawn budget");
    // Nothing from the network.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(!html.contains("<script"), "no script at all");
}

#[test]
fn convergence_figures_follow_the_checker_rules() {
    let (delta, var) = sections::convergence_figures(&[70.0, 80.0, 80.0]);
    assert_eq!(delta, [(1.0, 10.0), (2.0, 0.0)]);
    let v = var[0].1;
    assert!((v - 22.222).abs() < 0.01, "{v}");
}

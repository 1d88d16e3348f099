//! `anneal runs compare A B`: two runs side by side (verdicts, scores, phases, spawns,
//! tokens, wall-clock) and the unified diff of their plans (`similar`).
use super::{clean, Record};
use serde::Serialize;
use std::fmt::Write as _;

/// Largest plan read for the diff (bytes); a longer one is cut there.
pub const MAX_PLAN_BYTES: usize = 1 << 20;

/// Two runs and the diff of their `plan/plan.md` (the `runs-compare` document's result).
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub a: Record,
    pub b: Record,
    /// Whether both ran the same task (a comparison of strategies is fair only then).
    pub same_task: bool,
    /// Unified diff of the plans, `a` then `b`; empty when they are equal.
    pub plan_diff: String,
}

fn plan(r: &Record) -> String {
    match std::fs::read(r.dir.join("plan/plan.md")) {
        Ok(mut bytes) => {
            bytes.truncate(MAX_PLAN_BYTES);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Err(_) => String::new(),
    }
}

/// Compares `a` and `b`.
pub fn compare(a: Record, b: Record) -> Comparison {
    let (pa, pb) = (plan(&a), plan(&b));
    let plan_diff = similar::TextDiff::from_lines(&pa, &pb)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("{}/plan/plan.md", a.run_id),
            &format!("{}/plan/plan.md", b.run_id),
        )
        .to_string();
    Comparison {
        same_task: a.task == b.task,
        a,
        b,
        plan_diff,
    }
}

fn gate(r: &Record, key: &str) -> String {
    r.gate_status
        .get(key)
        .and_then(|v| v.as_str())
        .map(|s| clean(s, 40))
        .unwrap_or_else(|| "-".into())
}

/// The comparison as text: a two-column table, then the plan diff.
pub fn text(c: &Comparison) -> String {
    let (a, b) = (&c.a, &c.b);
    let scores = |r: &Record| {
        r.depth_scores
            .iter()
            .map(|s| format!("{s:.0}"))
            .collect::<Vec<_>>()
            .join(" → ")
    };
    let rows: Vec<(&str, String, String)> = vec![
        ("run", a.run_id.clone(), b.run_id.clone()),
        ("strategy", a.strategy.clone(), b.strategy.clone()),
        ("options", a.options_text(), b.options_text()),
        (
            "decision",
            a.emission_decision.clone(),
            b.emission_decision.clone(),
        ),
        (
            "verdict",
            a.overall_verdict.clone(),
            b.overall_verdict.clone(),
        ),
        ("metis", gate(a, "metis"), gate(b, "metis")),
        ("momus", gate(a, "momus"), gate(b, "momus")),
        (
            "red team",
            gate(a, "red_team_trinity"),
            gate(b, "red_team_trinity"),
        ),
        ("oracle", gate(a, "oracle"), gate(b, "oracle")),
        ("hephaestus", gate(a, "hephaestus"), gate(b, "hephaestus")),
        (
            "momus score",
            a.momus_score.map(|s| s.to_string()).unwrap_or_default(),
            b.momus_score.map(|s| s.to_string()).unwrap_or_default(),
        ),
        ("depth scores", scores(a), scores(b)),
        (
            "iterations",
            a.iterations.to_string(),
            b.iterations.to_string(),
        ),
        (
            "phases",
            a.phases.len().to_string(),
            b.phases.len().to_string(),
        ),
        (
            "agent spawns",
            a.agent_spawns.to_string(),
            b.agent_spawns.to_string(),
        ),
        ("tokens", a.tokens.to_string(), b.tokens.to_string()),
        (
            "wall-clock s",
            format!("{:.2}", a.wall_clock_ms as f64 / 1000.0),
            format!("{:.2}", b.wall_clock_ms as f64 / 1000.0),
        ),
    ];
    let mut t = String::new();
    if c.same_task {
        let _ = writeln!(t, "task: {}", clean(&a.task, 300));
    } else {
        let _ = writeln!(
            t,
            "different tasks (the comparison says little about the strategies):"
        );
        let _ = writeln!(
            t,
            "  a: {}\n  b: {}",
            clean(&a.task, 300),
            clean(&b.task, 300)
        );
    }
    for (name, x, y) in rows {
        let _ = writeln!(t, "  {name:<14} {:<44} {}", clean(&x, 44), clean(&y, 44));
    }
    let stages: std::collections::BTreeSet<&String> = a
        .stage_wall_clock_ms
        .keys()
        .chain(b.stage_wall_clock_ms.keys())
        .collect();
    for s in stages {
        let ms = |r: &Record| {
            r.stage_wall_clock_ms
                .get(s)
                .map(|m| format!("{m} ms"))
                .unwrap_or_default()
        };
        let _ = writeln!(t, "  {:<14} {:<44} {}", clean(s, 14), ms(a), ms(b));
    }
    let _ = writeln!(
        t,
        "\nphases\n  a: {}\n  b: {}",
        clean(&a.phases.join(" "), 2000),
        clean(&b.phases.join(" "), 2000)
    );
    if c.plan_diff.is_empty() {
        let _ = writeln!(t, "\nthe plans are identical");
    } else {
        let _ = writeln!(t, "\nplan diff (a → b):");
        for line in c.plan_diff.lines() {
            let _ = writeln!(t, "{}", clean(line, 2000));
        }
    }
    t
}

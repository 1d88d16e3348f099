//! `anneal runs [show ID | compare A B]` and `anneal stats`: the run history under a runs root
//! (see [`crate::history`]).
use super::args::{RunsAction, RunsFilterArgs};
use super::output::Output;
use super::Ending;
use crate::history::{self, clean, compare, stats, Filter, History, HistoryError, Record};
use serde_json::json;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The runs root: `--out`, else `$ANNEAL_RUNS_ROOT` (clap reads it), else `./.anneal/runs`.
pub(super) fn root(out: &Option<PathBuf>) -> PathBuf {
    out.clone()
        .unwrap_or_else(|| PathBuf::from("./.anneal/runs"))
}

pub(super) fn filter(f: &RunsFilterArgs) -> Filter {
    Filter {
        strategy: f.strategy.clone(),
        task: f.task.clone(),
        outcome: f.outcome,
    }
}

/// `anneal runs …`.
///
/// # Errors
/// [`HistoryError`]: an unreadable root (runtime), an unknown or ambiguous run id (usage).
pub fn runs(
    action: &Option<RunsAction>,
    out: &Option<PathBuf>,
    f: &RunsFilterArgs,
) -> Result<(Output, Ending), HistoryError> {
    let output = match action {
        None => list(&root(out), &filter(f))?,
        Some(RunsAction::Show { id, root: r, .. }) => show(history::find(&root(&r.out), id)?),
        Some(RunsAction::Compare { a, b, root: r, .. }) => {
            let root = root(&r.out);
            let c = compare::compare(history::find(&root, a)?, history::find(&root, b)?);
            Output {
                kind: "runs-compare",
                text: compare::text(&c),
                data: serde_json::to_value(&c).unwrap_or_default(),
            }
        }
    };
    Ok((output, Ending::Success))
}

fn list(root: &Path, f: &Filter) -> Result<Output, HistoryError> {
    let h = History::read(root)?;
    let kept = h.filtered(f);
    let mut t = String::new();
    let _ = writeln!(
        t,
        "{} of {} runs under {}",
        kept.len(),
        h.runs.len(),
        root.display()
    );
    for r in &kept {
        let _ = writeln!(
            t,
            "{:<46} {:<8} {:<11} {:<7} momus {:>3} · {:>3} spawns · {:>7.2} s  {}",
            clean(&r.run_id, 46),
            clean(&r.strategy, 8),
            r.emission_decision,
            clean(&r.overall_verdict, 7),
            r.momus_score
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
            r.agent_spawns,
            r.wall_clock_ms as f64 / 1000.0,
            clean(&r.task, 80)
        );
    }
    for u in &h.unreadable {
        let _ = writeln!(
            t,
            "{} (unreadable: {})",
            u.dir.display(),
            clean(&u.reason, 300)
        );
    }
    Ok(Output {
        kind: "runs",
        text: t,
        data: json!({ "root": root.display().to_string(), "runs": kept, "unreadable": h.unreadable }),
    })
}

fn show(r: Record) -> Output {
    let mut t = String::new();
    let _ = writeln!(t, "run          {}", clean(&r.run_id, 200));
    let _ = writeln!(t, "dir          {}", r.dir.display());
    let _ = writeln!(t, "task         {}", clean(&r.task, 500));
    let _ = writeln!(
        t,
        "strategy     {} {}",
        clean(&r.strategy, 60),
        clean(&r.options_text(), 200)
    );
    let _ = writeln!(
        t,
        "decision     {} (verdict {})",
        r.emission_decision,
        clean(&r.overall_verdict, 10)
    );
    let _ = writeln!(t, "gates        {}", clean(&r.gate_status.to_string(), 300));
    if let Some(s) = r.momus_score {
        let _ = writeln!(t, "momus score  {s}");
    }
    if !r.depth_scores.is_empty() {
        let _ = writeln!(t, "depth scores {:?}", r.depth_scores);
    }
    let _ = writeln!(
        t,
        "iterations   {} · agent spawns {} · tokens {} · wall-clock {:.2} s",
        r.iterations,
        r.agent_spawns,
        r.tokens,
        r.wall_clock_ms as f64 / 1000.0
    );
    for (stage, ms) in &r.stage_wall_clock_ms {
        let _ = writeln!(t, "  {:<12} {ms} ms", clean(stage, 40));
    }
    let _ = writeln!(t, "phases       {}", clean(&r.phases.join(" "), 2000));
    if let Some(e) = &r.error {
        let _ = writeln!(t, "error        {}", clean(e, 1000));
    }
    Output {
        kind: "run-show",
        text: t,
        data: serde_json::to_value(&r).unwrap_or_default(),
    }
}

/// `anneal stats`: the strategy comparison over the runs root.
///
/// # Errors
/// [`HistoryError::Root`] when the root cannot be read.
pub fn stats(out: &Option<PathBuf>, f: &RunsFilterArgs) -> Result<Output, HistoryError> {
    let root = root(out);
    let h = History::read(&root)?;
    let s = stats::stats(root, &h.filtered(&filter(f)));
    Ok(Output {
        kind: "stats",
        text: stats::text(&s),
        data: serde_json::to_value(&s).unwrap_or_default(),
    })
}

/// `anneal report RUN`: writes `report.html` into the run directory.
///
/// # Errors
/// [`crate::report::ReportError`]: no such run (usage), no readable rollup or a write that
/// failed (runtime).
pub fn report(out: &Option<PathBuf>, run: &str) -> Result<Output, crate::report::ReportError> {
    let r = history::find(&root(out), run)?;
    let path = crate::report::write(&r)?;
    Ok(Output {
        kind: "report",
        text: format!("anneal: wrote {}\n", path.display()),
        data: json!({ "run_dir": r.dir.display().to_string(), "report": path.display().to_string() }),
    })
}

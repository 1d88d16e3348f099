//! `anneal stats`: strategy effectiveness over a runs root — per strategy and option set the
//! EMIT rate, the mean and spread of Momus's scores, re-loops, spawns, tokens and wall-clock;
//! and the same task grouped across strategies, so two strategies are compared on the same
//! work (a stronger plan from Alloy than from Cast on one task is then the tournament's doing,
//! not the task's).
use super::{clean, Outcome, Record};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

/// Mean and population standard deviation of a figure over the runs that have it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spread {
    pub n: usize,
    pub mean: f64,
    pub stdev: f64,
    pub min: f64,
    pub max: f64,
}

/// The spread of `values`; `None` when there are none.
pub fn spread(values: &[f64]) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    Some(Spread {
        n: values.len(),
        mean,
        stdev: var.sqrt(),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    })
}

/// One strategy with one option set.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub strategy: String,
    pub options: BTreeMap<String, String>,
    pub runs: usize,
    /// Share of the runs that ended EMIT, 0–1.
    pub emit_rate: f64,
    /// Momus's final score (0–100), over the runs that have one.
    pub momus: Option<Spread>,
    /// Full re-loops (iterations − 1).
    pub reloops: Option<Spread>,
    pub spawns: Option<Spread>,
    pub tokens: Option<Spread>,
    pub wall_clock_ms: Option<Spread>,
}

/// One strategy's runs of one task.
#[derive(Clone, Debug, Serialize)]
pub struct Cell {
    pub runs: usize,
    pub emitted: usize,
    pub momus_mean: Option<f64>,
    pub spawns_mean: f64,
    pub wall_clock_ms_mean: f64,
}

/// One task (the exact task text), across the strategies that ran it.
#[derive(Clone, Debug, Serialize)]
pub struct TaskRow {
    pub task: String,
    pub by_strategy: BTreeMap<String, Cell>,
}

/// The whole comparison (the `stats` document's result).
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub root: PathBuf,
    pub runs: usize,
    pub groups: Vec<Group>,
    pub tasks: Vec<TaskRow>,
}

fn figures(runs: &[&Record], f: impl Fn(&Record) -> Option<f64>) -> Option<Spread> {
    spread(&runs.iter().filter_map(|r| f(r)).collect::<Vec<_>>())
}

fn group(runs: &[&Record]) -> Group {
    let emitted = runs.iter().filter(|r| r.outcome == Outcome::Emit).count();
    Group {
        strategy: runs[0].strategy.clone(),
        options: runs[0].options.clone(),
        runs: runs.len(),
        emit_rate: emitted as f64 / runs.len() as f64,
        momus: figures(runs, |r| r.momus_score.map(f64::from)),
        reloops: figures(runs, |r| Some(f64::from(r.iterations.saturating_sub(1)))),
        spawns: figures(runs, |r| Some(f64::from(r.agent_spawns))),
        tokens: figures(runs, |r| Some(r.tokens as f64)),
        wall_clock_ms: figures(runs, |r| Some(r.wall_clock_ms as f64)),
    }
}

fn cell(runs: &[&Record]) -> Cell {
    let mean =
        |f: &dyn Fn(&Record) -> f64| runs.iter().map(|r| f(r)).sum::<f64>() / runs.len() as f64;
    Cell {
        runs: runs.len(),
        emitted: runs.iter().filter(|r| r.outcome == Outcome::Emit).count(),
        momus_mean: figures(runs, |r| r.momus_score.map(f64::from)).map(|s| s.mean),
        spawns_mean: mean(&|r| f64::from(r.agent_spawns)),
        wall_clock_ms_mean: mean(&|r| r.wall_clock_ms as f64),
    }
}

/// A group of runs: the strategy and its options.
type GroupKey = (String, Vec<(String, String)>);

/// The comparison over `runs` (any order).
pub fn stats(root: PathBuf, runs: &[&Record]) -> Stats {
    let mut by_group: BTreeMap<GroupKey, Vec<&Record>> = BTreeMap::new();
    let mut by_task: BTreeMap<String, BTreeMap<String, Vec<&Record>>> = BTreeMap::new();
    for r in runs {
        let opts = r.options.clone().into_iter().collect();
        by_group
            .entry((r.strategy.clone(), opts))
            .or_default()
            .push(r);
        by_task
            .entry(r.task.clone())
            .or_default()
            .entry(r.strategy.clone())
            .or_default()
            .push(r);
    }
    Stats {
        root,
        runs: runs.len(),
        groups: by_group.values().map(|g| group(g)).collect(),
        tasks: by_task
            .into_iter()
            .map(|(task, by)| TaskRow {
                task,
                by_strategy: by.iter().map(|(s, rs)| (s.clone(), cell(rs))).collect(),
            })
            .collect(),
    }
}

fn mean_sd(s: &Option<Spread>, scale: f64, digits: usize) -> String {
    match s {
        Some(s) => format!("{:.digits$} ± {:.digits$}", s.mean / scale, s.stdev / scale),
        None => "-".into(),
    }
}

/// The comparison as text: one table of groups, then the tasks run by more than one strategy.
pub fn text(s: &Stats) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "{} runs under {}", s.runs, s.root.display());
    if s.runs == 0 {
        return t;
    }
    let _ = writeln!(
        t,
        "\n{:<28} {:>4} {:>6} {:>13} {:>11} {:>13} {:>15} {:>13}",
        "strategy (options)",
        "runs",
        "EMIT",
        "momus",
        "re-loops",
        "spawns",
        "tokens",
        "wall-clock s"
    );
    for g in &s.groups {
        let opts: Vec<String> = g.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let name = if opts.is_empty() {
            g.strategy.clone()
        } else {
            format!("{} ({})", g.strategy, opts.join(", "))
        };
        let _ = writeln!(
            t,
            "{:<28} {:>4} {:>5.0}% {:>13} {:>11} {:>13} {:>15} {:>13}",
            clean(&name, 60),
            g.runs,
            g.emit_rate * 100.0,
            mean_sd(&g.momus, 1.0, 1),
            mean_sd(&g.reloops, 1.0, 1),
            mean_sd(&g.spawns, 1.0, 1),
            mean_sd(&g.tokens, 1.0, 0),
            mean_sd(&g.wall_clock_ms, 1000.0, 2),
        );
    }
    let shared: Vec<&TaskRow> = s.tasks.iter().filter(|r| r.by_strategy.len() > 1).collect();
    if !shared.is_empty() {
        let _ = writeln!(t, "\nThe same task across strategies (EMIT/runs · mean Momus · mean spawns · mean wall-clock):");
        for row in shared {
            let _ = writeln!(t, "  {}", clean(&row.task, 200));
            for (strategy, c) in &row.by_strategy {
                let _ = writeln!(
                    t,
                    "    {:<14} {}/{} EMIT · momus {} · {:.1} spawns · {:.2} s",
                    clean(strategy, 60),
                    c.emitted,
                    c.runs,
                    c.momus_mean
                        .map(|m| format!("{m:.1}"))
                        .unwrap_or_else(|| "-".into()),
                    c.spawns_mean,
                    c.wall_clock_ms_mean / 1000.0
                );
            }
        }
    }
    t
}

//! Which phases the blend keeps (docs/design.md §2 Alloy): a phase is kept when at least half
//! of the variants have it (a majority, or half of them in an even split), or when it is
//! proposed by a variant whose bias applies to this task — the performance lens's benchmark for
//! a task about speed, the migration lens's compatibility phase for a task that breaks or
//! replaces something. A phase only a minority proposes, for a bias this task does not call
//! for, is left out, and the provenance says why.
use super::Variant;
use anneal_guest::types::{ProbeReport, TaskKind};

/// The task as the support rule reads it.
#[derive(Clone, Copy, Debug)]
pub struct TaskFacts<'a> {
    pub text: &'a str,
    pub kind: TaskKind,
}

/// How a phase (or an iron rule) of the blend is supported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Support {
    /// At least half of the variants have it.
    Majority,
    /// A minority has it, and one of them has a bias that applies (why).
    Bias(String),
    /// A minority has it for biases this task does not call for (why it is left out).
    Rejected(String),
}

fn mentions(task: &str, words: &[&str]) -> Option<String> {
    let lower = task.to_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .find(|w| tokens.iter().any(|t| t.starts_with(**w)))
        .map(|w| format!("the task speaks of \"{w}\""))
}

/// Whether the lens `bias` applies to this task, and why.
pub fn bias_applies(bias: &str, task: &TaskFacts<'_>, probe: &ProbeReport) -> Option<String> {
    let kind = task.kind;
    match bias {
        "correctness" => probe
            .services
            .first()
            .map(|s| format!("the project runs as a service (it depends on {})", s.name)),
        "defensive" => match kind {
            TaskKind::Migration | TaskKind::Replacement | TaskKind::Security => {
                Some(format!("it is a {kind:?} task").to_lowercase())
            }
            _ => probe.services.first().map(|s| {
                format!(
                    "the change touches a service project (it depends on {})",
                    s.name
                )
            }),
        },
        "performance" => (kind == TaskKind::Performance)
            .then(|| "it is a performance task".to_string())
            .or_else(|| {
                mentions(
                    task.text,
                    &[
                        "fast",
                        "slow",
                        "speed",
                        "latenc",
                        "memory",
                        "perf",
                        "throughput",
                        "benchmark",
                        "cache",
                        "alloc",
                    ],
                )
            }),
        "ux" => mentions(
            task.text,
            &[
                "error", "message", "warning", "usage", "prompt", "progress", "ux", "friendly",
                "confus", "feedback", "help",
            ],
        ),
        "verification" => matches!(
            kind,
            TaskKind::Bugfix | TaskKind::Performance | TaskKind::Research
        )
        .then(|| format!("it is a {kind:?} task, where evidence comes first").to_lowercase()),
        "migration" => matches!(kind, TaskKind::Migration | TaskKind::Replacement)
            .then(|| format!("it is a {kind:?} task").to_lowercase())
            .or_else(|| {
                mentions(
                    task.text,
                    &[
                        "breaking", "deprecat", "rename", "remov", "upgrad", "version", "compat",
                        "migrat", "replac",
                    ],
                )
            }),
        _ => None,
    }
}

/// How the phase (or rule) that `backers` propose, out of `n` variants, is supported.
pub fn judge(backers: &[&Variant], n: usize, task: &TaskFacts<'_>, probe: &ProbeReport) -> Support {
    if backers.len() * 2 >= n {
        return Support::Majority;
    }
    for v in backers {
        if let Some(why) = bias_applies(&v.bias, task, probe) {
            return Support::Bias(format!(
                "{} serves the {} bias, which applies: {why}",
                v.source(),
                v.bias
            ));
        }
    }
    let who: Vec<String> = backers.iter().map(|v| v.source()).collect();
    Support::Rejected(format!(
        "proposed by {} of {n} variants ({}), for a bias this task does not call for",
        backers.len(),
        who.join(", ")
    ))
}

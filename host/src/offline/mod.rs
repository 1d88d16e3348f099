//! The offline engine (docs/design.md §7): every agent role, deterministically, from the task, the probe
//! report and rules. Labelled `anneal-offline/<version>` in `reviewer_model`.
pub mod checks;
pub mod clarity;
pub mod intent;
pub mod metis;
pub mod momus;
pub mod planner;
pub mod redteam;
pub mod surface;

use crate::model::{Envelope, EnvelopeMetadata, ProbeReport, TaskKind, Verdict};
use std::path::Path;

/// `reviewer_model` of every envelope the offline engine writes.
pub const MODEL: &str = concat!("anneal-offline/", env!("CARGO_PKG_VERSION"));

/// What every offline agent sees: the task, its classification, the directives so far, the
/// probe report and the repository (read-only; agents never write to it).
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
    pub run_id: &'a str,
    /// The user's one-line task.
    pub task: &'a str,
    /// Intent Gate classification.
    pub task_kind: TaskKind,
    /// Metis directives plus any failures folded in by earlier iterations.
    pub directives: &'a [String],
    pub probe: &'a ProbeReport,
    /// Root of the repository being planned for.
    pub repo_root: &'a Path,
    /// The task resolved against the probe's code index (empty when none was built).
    pub resolution: &'a crate::model::resolution::Resolution,
    /// What the gate commands do on the untouched repository, when known (the reviewers'
    /// gate check judges against it; `None`: nothing is).
    pub baseline: Option<&'a crate::model::baseline::Baseline>,
}

/// A new envelope for `agent` with `verdict`, empty findings and fresh metadata
/// (`reviewer_model` = [`MODEL`], `token_cost` 0, `timestamp` now in UTC ISO-8601).
pub fn envelope(
    agent: &str,
    ctx: &Context<'_>,
    depth: Option<u32>,
    verdict: Verdict,
    summary: impl Into<String>,
) -> Envelope {
    Envelope {
        agent: agent.to_string(),
        run_id: ctx.run_id.to_string(),
        depth,
        verdict,
        score: None,
        summary: truncate_summary(summary.into()),
        findings: Vec::new(),
        directives: Vec::new(),
        clarifying_questions: Vec::new(),
        metadata: EnvelopeMetadata {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            reviewer_model: MODEL.to_string(),
            token_cost: 0,
        },
    }
}

/// Cuts a summary to the 240 characters docs/design.md §4 allows, ending with `…` when cut.
pub fn truncate_summary(s: String) -> String {
    if s.chars().count() <= 240 {
        s
    } else {
        let mut t: String = s.chars().take(239).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod sweep;

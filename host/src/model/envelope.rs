//! Envelope helpers (docs/design.md §4): a fresh envelope for the host's own reviewers and the
//! offline engine, and the summary bound every envelope keeps.
use super::{Context, Envelope, EnvelopeMetadata, Verdict};

/// `reviewer_model` of every envelope the offline engine (and the host's own Hephaestus) writes.
pub const OFFLINE_MODEL: &str = concat!("anneal-offline/", env!("CARGO_PKG_VERSION"));

/// A new envelope for `agent` with `verdict`, empty findings and fresh metadata
/// (`reviewer_model` = [`OFFLINE_MODEL`], `token_cost` 0, `timestamp` now in UTC ISO-8601).
pub fn new(
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
            reviewer_model: OFFLINE_MODEL.to_string(),
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

//! Stage 3, Enrich (docs/design.md §2): Metis turns the task and the probe report into directives, or
//! blocks with clarifying questions when the task cannot be planned.
use super::{RunContext, Tally};
use crate::engine::AgentError;
use crate::model::Envelope;
use crate::model::Intent;
use std::sync::Arc;

/// Runs Metis (one spawn). `folded` are failure directives carried from earlier iterations.
///
/// # Errors
/// [`AgentError`] from the engine (budget spent, provider failure).
pub async fn run(
    rc: Arc<RunContext>,
    intent: Intent,
    folded: Vec<String>,
    tally: &Tally,
) -> Result<Envelope, AgentError> {
    let engine = rc.engine.clone();
    engine.metis(tally, rc, intent, folded).await
}

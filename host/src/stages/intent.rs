//! Stage 1, Intent Gate (docs/design.md §2): classifies the task and checks it is clear enough to plan.
use super::Tally;
use crate::engine::{AgentError, Engine};
use crate::model::Intent;

/// Runs the intent-gate agent on `task` (one spawn).
///
/// # Errors
/// [`AgentError`] from the engine (budget spent, provider failure, invalid answer).
pub async fn run(
    engine: &Engine,
    task: &str,
    iteration: u32,
    tally: &Tally,
) -> Result<Intent, AgentError> {
    engine.intent(tally, task, iteration).await
}

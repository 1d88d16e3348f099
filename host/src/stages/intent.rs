//! Stage 1, Intent Gate (SPEC §2): classifies the task and checks it is clear enough to plan.
use super::Tally;
use crate::offline::intent::{classify, Intent};

/// Runs the intent-gate agent on `task` (one spawn).
pub async fn run(task: &str, iteration: u32, tally: &Tally) -> Intent {
    let task = task.to_string();
    tally
        .agent("intent-gate", iteration, None, move || classify(&task))
        .await
}

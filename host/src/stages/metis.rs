//! Stage 3, Enrich (SPEC §2): Metis turns the task and the probe report into directives, or
//! blocks with clarifying questions when the task cannot be planned.
use super::{RunContext, Tally};
use crate::model::Envelope;
use crate::offline::intent::Intent;
use std::sync::Arc;

/// Runs Metis (one spawn). `folded` are failure directives carried from earlier iterations.
pub async fn run(
    rc: Arc<RunContext>,
    intent: Intent,
    folded: Vec<String>,
    tally: &Tally,
) -> Envelope {
    let it = rc.iteration;
    tally
        .agent("metis", it, None, move || {
            crate::offline::metis::enrich(&rc.ctx(), &intent, &folded)
        })
        .await
}

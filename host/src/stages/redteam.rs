//! Stage 5, Red Team (docs/design.md §2): redteam-security, redteam-scope and redteam-assumptions
//! always concurrently (docs/design.md §3 invariant 6), then Oracle on their three envelopes.
use super::{RunContext, Tally};
use crate::engine::{AgentError, Reviewer};
use crate::model::{Plan, RedTeamReport};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Runs the three reviewers concurrently (each holding one `jobs` permit, so `--jobs 1` makes
/// them sequential), waits for all three, then Oracle.
///
/// # Errors
/// The first [`AgentError`] of the four agents (budget spent, provider failure).
pub async fn run(
    rc: Arc<RunContext>,
    plan: Arc<Plan>,
    depth: Option<u32>,
    jobs: Arc<Semaphore>,
    tally: &Tally,
) -> Result<RedTeamReport, AgentError> {
    let reviewer = |who: Reviewer| {
        let (rc, plan, jobs) = (rc.clone(), plan.clone(), jobs.clone());
        async move {
            let _permit = jobs.acquire_owned().await.expect("jobs semaphore closed");
            let engine = rc.engine.clone();
            engine.reviewer(tally, rc, who, plan, depth).await
        }
    };
    let (security, scope, assumptions) = tokio::join!(
        reviewer(Reviewer::Security),
        reviewer(Reviewer::Scope),
        reviewer(Reviewer::Assumptions),
    );
    let (security, scope, assumptions) = (security?, scope?, assumptions?);
    let reviews = [security.clone(), scope.clone(), assumptions.clone()];
    let oracle = {
        let _permit = jobs.acquire_owned().await.expect("jobs semaphore closed");
        rc.engine
            .oracle(tally, rc.clone(), plan, reviews, depth)
            .await?
    };
    Ok(RedTeamReport {
        security,
        scope,
        assumptions,
        oracle,
    })
}

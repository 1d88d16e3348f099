//! Stage 5, Red Team (SPEC §2): redteam-security, redteam-scope and redteam-assumptions
//! always concurrently (SPEC §3 invariant 6), then Oracle on their three envelopes.
use super::{RunContext, Tally};
use crate::model::{Plan, RedTeamReport};
use crate::offline::redteam;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Runs the three reviewers concurrently (each holding one `jobs` permit, so `--jobs 1` makes
/// them sequential), waits for all three, then Oracle.
pub async fn run(
    rc: Arc<RunContext>,
    plan: Arc<Plan>,
    depth: Option<u32>,
    jobs: Arc<Semaphore>,
    tally: &Tally,
) -> RedTeamReport {
    let reviewer = |name: &'static str,
                    f: fn(
        &crate::offline::Context<'_>,
        &Plan,
        Option<u32>,
    ) -> crate::model::Envelope| {
        let (rc, plan, jobs) = (rc.clone(), plan.clone(), jobs.clone());
        async move {
            let _permit = jobs.acquire_owned().await.expect("jobs semaphore closed");
            tally
                .agent(name, rc.iteration, depth, move || {
                    f(&rc.ctx(), &plan, depth)
                })
                .await
        }
    };
    let (security, scope, assumptions) = tokio::join!(
        reviewer("redteam-security", redteam::security),
        reviewer("redteam-scope", redteam::scope),
        reviewer("redteam-assumptions", redteam::assumptions),
    );
    let (rc2, plan2) = (rc.clone(), plan.clone());
    let (s, sc, a) = (security.clone(), scope.clone(), assumptions.clone());
    let oracle = tally
        .agent("oracle", rc.iteration, depth, move || {
            redteam::oracle(&rc2.ctx(), &plan2, [&s, &sc, &a], depth)
        })
        .await;
    RedTeamReport {
        security,
        scope,
        assumptions,
        oracle,
    }
}

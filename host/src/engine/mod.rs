//! The agent engine: who answers each agent role of SPEC §2.
//!
//! Every stage asks the [`Engine`] for a role (intent gate, Metis, a planner, Momus, a red-team
//! reviewer, Oracle) instead of calling the offline engine directly. [`Engine::Offline`] runs
//! the deterministic offline engine (SPEC §7); a model engine (`Engine::Model`) sends the role's
//! prompt to the provider its category routes to. Both draw on the run's budget through
//! [`Tally`] (spawns and tokens, `--max-spawns`/`--max-tokens`), so a guest cannot spend more than
//! the operator allowed.
use crate::model::{AgentRequest, Envelope, HostError, Plan, RedTeamReport};
use crate::offline::intent::Intent;
use std::sync::Arc;

mod context;
pub mod skills;
mod tally;
pub use context::RunContext;
pub use tally::{Budget, Tally};

/// Why an agent produced nothing usable.
#[derive(Clone, Debug, thiserror::Error)]
pub enum AgentError {
    /// The run's budget (spawns or tokens) is spent; the run stops cleanly (exit code 4).
    #[error("{0}")]
    Budget(String),
    /// The provider failed after its retries (timeout, HTTP error, malformed response).
    #[error("{0}")]
    Provider(String),
    /// The agent's answer was still invalid after one repair request (planners, intent gate;
    /// reviewers get an invalid envelope instead, which is never a pass — SPEC §4).
    #[error("{0}")]
    Invalid(String),
    /// No prompt or route for the role.
    #[error("{0}")]
    UnknownRole(String),
}

impl AgentError {
    /// The error a guest sees for this failure (WIT `host-error`).
    pub fn to_host(&self) -> HostError {
        match self {
            AgentError::Budget(m) => HostError::BudgetExhausted(m.clone()),
            AgentError::Provider(m) | AgentError::Invalid(m) => HostError::AgentFailed(m.clone()),
            AgentError::UnknownRole(m) => HostError::InvalidRequest(m.clone()),
        }
    }
}

/// The three red-team reviewers of SPEC §2 stage 5.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reviewer {
    Security,
    Scope,
    Assumptions,
}

impl Reviewer {
    /// The agent role: `redteam-security`, `redteam-scope`, `redteam-assumptions`.
    pub fn role(self) -> &'static str {
        match self {
            Reviewer::Security => "redteam-security",
            Reviewer::Scope => "redteam-scope",
            Reviewer::Assumptions => "redteam-assumptions",
        }
    }
}

/// Planner roles the offline engine serves.
pub const OFFLINE_PLANNER_ROLES: &[&str] =
    &["prometheus-cast", "prometheus-alloy", "prometheus-temper"];

/// Who answers the agent roles of one run.
#[derive(Clone, Default)]
pub enum Engine {
    /// The deterministic offline engine (SPEC §7), labelled `anneal-offline/<version>`.
    #[default]
    Offline,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

impl Engine {
    /// One line for the progress output and the run log: which engine answers.
    pub fn label(&self) -> &'static str {
        match self {
            Engine::Offline => "offline engine (no model configured)",
        }
    }

    /// Stage 1, the intent-gate agent: classifies `task` (one spawn).
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's budget is spent.
    pub async fn intent(
        &self,
        tally: &Tally,
        task: &str,
        iteration: u32,
    ) -> Result<Intent, AgentError> {
        let task = task.to_string();
        match self {
            Engine::Offline => {
                tally
                    .agent("intent-gate", iteration, None, move || {
                        crate::offline::intent::classify(&task)
                    })
                    .await
            }
        }
    }

    /// Stage 3, Metis: directives, or BLOCK with clarifying questions (one spawn). `folded`
    /// are failure directives carried from earlier iterations (SPEC §3 invariant 5).
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's budget is spent.
    pub async fn metis(
        &self,
        tally: &Tally,
        rc: Arc<RunContext>,
        intent: Intent,
        folded: Vec<String>,
    ) -> Result<Envelope, AgentError> {
        match self {
            Engine::Offline => {
                tally
                    .agent("metis", rc.iteration, None, move || {
                        crate::offline::metis::enrich(&rc.ctx(), &intent, &folded)
                    })
                    .await
            }
        }
    }

    /// Stage 4, a planner agent for a strategy's request (one spawn): a plan that passes
    /// `validate_plan`.
    ///
    /// # Errors
    /// [`AgentError::UnknownRole`] for a role nobody serves; [`AgentError::Invalid`] when the
    /// plan is invalid; [`AgentError::Budget`] / [`AgentError::Provider`].
    pub async fn planner(
        &self,
        tally: &Tally,
        rc: Arc<RunContext>,
        req: AgentRequest,
    ) -> Result<Plan, AgentError> {
        let role = req.role.clone();
        let plan = match self {
            Engine::Offline => {
                if !OFFLINE_PLANNER_ROLES.contains(&role.as_str()) {
                    return Err(AgentError::UnknownRole(format!(
                        "unknown agent role {role:?}; the offline engine serves {}",
                        OFFLINE_PLANNER_ROLES.join(", ")
                    )));
                }
                let depth = req.depth;
                tally
                    .agent(&role, rc.iteration, depth, move || {
                        crate::offline::planner::write_plan(&rc.ctx(), &req)
                    })
                    .await?
                    .map_err(|e| AgentError::Invalid(e.to_string()))?
            }
        };
        crate::model::validate::validate_plan(&plan).map_err(|p| {
            AgentError::Invalid(format!("{role} wrote an invalid plan: {}", p.join("; ")))
        })?;
        Ok(plan)
    }

    /// Momus on `plan` (one spawn), with the red-team caps of SPEC §5 when `red` is given.
    ///
    /// # Errors
    /// [`AgentError::Budget`] / [`AgentError::Provider`]; an invalid answer is an invalid
    /// envelope, not an error.
    pub async fn momus(
        &self,
        tally: &Tally,
        rc: Arc<RunContext>,
        plan: Plan,
        depth: Option<u32>,
        red: Option<RedTeamReport>,
    ) -> Result<Envelope, AgentError> {
        match self {
            Engine::Offline => {
                tally
                    .agent("momus", rc.iteration, depth, move || {
                        crate::offline::momus::audit(&rc.ctx(), &plan, depth, red.as_ref())
                    })
                    .await
            }
        }
    }

    /// One red-team reviewer on `plan` (one spawn).
    ///
    /// # Errors
    /// As [`Engine::momus`].
    pub async fn reviewer(
        &self,
        tally: &Tally,
        rc: Arc<RunContext>,
        who: Reviewer,
        plan: Arc<Plan>,
        depth: Option<u32>,
    ) -> Result<Envelope, AgentError> {
        match self {
            Engine::Offline => {
                let f = match who {
                    Reviewer::Security => crate::offline::redteam::security,
                    Reviewer::Scope => crate::offline::redteam::scope,
                    Reviewer::Assumptions => crate::offline::redteam::assumptions,
                };
                tally
                    .agent(who.role(), rc.iteration, depth, move || {
                        f(&rc.ctx(), &plan, depth)
                    })
                    .await
            }
        }
    }

    /// Oracle on `plan` and the three red-team envelopes (one spawn).
    ///
    /// # Errors
    /// As [`Engine::momus`].
    pub async fn oracle(
        &self,
        tally: &Tally,
        rc: Arc<RunContext>,
        plan: Arc<Plan>,
        reviews: [Envelope; 3],
        depth: Option<u32>,
    ) -> Result<Envelope, AgentError> {
        match self {
            Engine::Offline => {
                tally
                    .agent("oracle", rc.iteration, depth, move || {
                        let [s, sc, a] = &reviews;
                        crate::offline::redteam::oracle(&rc.ctx(), &plan, [s, sc, a], depth)
                    })
                    .await
            }
        }
    }
}

//! The agent engine: who answers each agent role of docs/design.md §2.
//!
//! Every stage asks the [`Engine`] for a role (intent gate, Metis, a planner, Momus, a red-team
//! reviewer, Oracle) instead of calling the offline engine directly. [`Engine::Offline`] runs
//! the deterministic offline engine (docs/design.md §7); a model engine (`Engine::Model`) sends the role's
//! prompt to the provider its category routes to. Both draw on the run's budget through
//! [`Tally`] (spawns and tokens, `--max-spawns`/`--max-tokens`), so a guest cannot spend more than
//! the operator allowed.
use crate::agents::adapters;
use crate::agents::context::AgentInput;
use crate::model::Intent;
use crate::model::{AgentRequest, Category, Envelope, HostError, Plan, RedTeamReport};
use model::ModelEngine;
use std::sync::Arc;

mod context;
pub mod model;
pub mod skills;
mod tally;
pub use context::RunContext;
pub use tally::{Budget, Reservation, Tally, LOOP_DEFAULT_MAX_SPAWNS};

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
    /// reviewers get an invalid envelope instead, which is never a pass — docs/design.md §4).
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

/// The three red-team reviewers of docs/design.md §2 stage 5.
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
    /// The deterministic offline engine (docs/design.md §7), labelled `anneal-offline/<version>`.
    #[default]
    Offline,
    /// Models: each role answered by the provider and model its category routes to (docs/design.md §7).
    Model(Arc<ModelEngine>),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl Engine {
    /// One line for the progress output and the run log: which engine answers.
    pub fn label(&self) -> String {
        match self {
            Engine::Offline => {
                "offline engine (no model configured: see `anneal config`)".to_string()
            }
            Engine::Model(m) => format!("models ({})", m.routes()),
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
            Engine::Model(m) => {
                let input = AgentInput {
                    task: &task,
                    ..Default::default()
                };
                let a = m
                    .ask(tally, "intent-gate", None, iteration, &input, |v, _, _| {
                        adapters::parse_intent(v, &task)
                    })
                    .await?;
                a.value.map_err(|e| invalid("intent-gate", &e))
            }
        }
    }

    /// Stage 3, Metis: directives, or BLOCK with clarifying questions (one spawn). `folded`
    /// are failure directives carried from earlier iterations (docs/design.md §3 invariant 5).
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
            Engine::Model(m) => {
                let skills = rc.skills_for("metis");
                let code = m.code_context(&rc);
                let input = AgentInput {
                    intent_questions: &intent.questions,
                    directives: &folded,
                    skills: &skills,
                    ..base_input(&rc, &code)
                };
                review(m, tally, &rc, "metis", None, &input).await
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
        planner_category: Category,
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
            Engine::Model(m) => {
                let skills = rc.skills_for(&role);
                let code = m.code_context(&rc);
                let lens = req.lens.as_deref().and_then(|l| m.lens(l));
                let input = AgentInput {
                    skills: &skills,
                    extra_directives: &req.extra_directives,
                    prior_plan: req.prior_plan.as_ref(),
                    feedback: &req.feedback,
                    scores: &req.scores,
                    lens,
                    depth: req.depth,
                    ..base_input(&rc, &code)
                };
                let author = match &req.lens {
                    Some(l) => format!("{role}/{l}"),
                    None => role.clone(),
                };
                let category = req.category.or(Some(planner_category));
                let a = m
                    .ask(tally, &role, category, rc.iteration, &input, |v, _, _| {
                        adapters::parse_plan(v)
                    })
                    .await?;
                let mut plan = a.value.map_err(|e| invalid(&role, &e))?;
                plan.author = author;
                plan
            }
        };
        crate::model::validate::validate_plan(&plan).map_err(|p| {
            AgentError::Invalid(format!("{role} wrote an invalid plan: {}", p.join("; ")))
        })?;
        Ok(plan)
    }

    /// Momus on `plan` (one spawn), with the red-team caps of docs/design.md §5 when `red` is given.
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
            Engine::Model(m) => {
                let skills = rc.skills_for("momus");
                let code = m.code_context(&rc);
                let reviews: Vec<Envelope> = red
                    .as_ref()
                    .map(|r| vec![r.security.clone(), r.scope.clone(), r.assumptions.clone()])
                    .unwrap_or_default();
                let hits = crate::offline::checks::run(&rc.ctx(), &plan);
                let prechecks = crate::offline::checks::precheck_findings(&hits);
                let input = AgentInput {
                    skills: &skills,
                    plan: Some(&plan),
                    prechecks: &prechecks,
                    reviews: &reviews,
                    depth,
                    ..base_input(&rc, &code)
                };
                let env = review_or_fail(m, tally, &rc, "momus", depth, &input).await?;
                // docs/design.md §5: the rubric's critical cap holds whoever scored the plan.
                let env = crate::offline::checks::cap_model_score(env, &hits);
                Ok(match &red {
                    // docs/design.md §5: the red-team caps apply to Momus's score whoever wrote it.
                    Some(r) => apply_caps(env, r),
                    None => env,
                })
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
            Engine::Model(m) => {
                let skills = rc.skills_for(who.role());
                let prechecks = crate::offline::checks::precheck_findings(
                    &crate::offline::checks::run(&rc.ctx(), &plan),
                );
                let code = m.code_context(&rc);
                let input = AgentInput {
                    skills: &skills,
                    plan: Some(&plan),
                    prechecks: &prechecks,
                    depth,
                    ..base_input(&rc, &code)
                };
                review_or_fail(m, tally, &rc, who.role(), depth, &input).await
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
            Engine::Model(m) => {
                let skills = rc.skills_for("oracle");
                let prechecks = crate::offline::checks::precheck_findings(
                    &crate::offline::checks::run(&rc.ctx(), &plan),
                );
                let code = m.code_context(&rc);
                let input = AgentInput {
                    skills: &skills,
                    plan: Some(&plan),
                    prechecks: &prechecks,
                    reviews: &reviews,
                    depth,
                    ..base_input(&rc, &code)
                };
                // The three reviewers stay gates of their own (docs/design.md §4), so a lenient Oracle
                // cannot pass what one of them failed.
                review_or_fail(m, tally, &rc, "oracle", depth, &input).await
            }
        }
    }
}

/// The engine a run uses, from the resolved model configuration (docs/design.md §7): the offline engine
/// when no provider is configured, else a model engine over the configured providers and the
/// prompts (shipped, or the project's `.anneal/agents/` overrides of `repo_root`). The skills
/// the agents see are the run's own, found once by the probe ([`RunContext::skills`]).
///
/// # Errors
/// A message saying what to fix: a provider whose key variable is unset, a malformed prompt
/// override, an HTTP client that cannot be built.
pub fn from_config(
    config: &crate::providers::config::ModelConfig,
    repo_root: &std::path::Path,
) -> Result<Engine, String> {
    if config.is_empty() {
        return Ok(Engine::Offline);
    }
    let providers = crate::providers::Providers::from_config(config).map_err(|e| e.to_string())?;
    let prompts = crate::agents::prompts::Prompts::load(repo_root).map_err(|e| e.to_string())?;
    Ok(Engine::Model(Arc::new(ModelEngine::new(
        config.clone(),
        providers,
        prompts,
    ))))
}

/// What every model agent of an iteration sees: run id, task, task kind, directives, probe
/// report, and the code context (`code`, from [`ModelEngine::code_context`]).
fn base_input<'a>(rc: &'a RunContext, code: &'a str) -> AgentInput<'a> {
    AgentInput {
        run_id: &rc.run_id,
        task: &rc.task,
        task_kind: Some(rc.task_kind),
        directives: &rc.directives,
        probe: Some(&rc.probe),
        code,
        ..Default::default()
    }
}

/// A reviewer's answer as an envelope: parsed and validated, or — still invalid after the
/// repair — an invalid envelope (BLOCK, never a pass, docs/design.md §4) carrying the tokens spent.
async fn review(
    m: &ModelEngine,
    tally: &Tally,
    rc: &RunContext,
    role: &str,
    depth: Option<u32>,
    input: &AgentInput<'_>,
) -> Result<Envelope, AgentError> {
    let run_id = rc.run_id.clone();
    let a = m
        .ask(
            tally,
            role,
            None,
            rc.iteration,
            input,
            |v, tokens, model| adapters::parse_review(v, role, &run_id, depth, model, tokens),
        )
        .await?;
    Ok(match a.value {
        Ok(e) => e,
        Err(errors) => {
            let mut e = adapters::invalid_envelope(role, &rc.run_id, depth, &a.model, &errors);
            e.metadata.token_cost = a.tokens;
            e
        }
    })
}

/// [`review`] for a reviewer of the plan (Momus, the red team, Oracle): a provider that timed
/// out or failed is that reviewer's failure, recorded in its envelope
/// ([`adapters::failed_envelope`]: BLOCK, gate "invalid answer", docs/design.md §4), not an
/// abort of the run; a spent budget or the run's deadline still stops the run. Metis is not
/// one: without its directives there is nothing to plan.
async fn review_or_fail(
    m: &ModelEngine,
    tally: &Tally,
    rc: &RunContext,
    role: &str,
    depth: Option<u32>,
    input: &AgentInput<'_>,
) -> Result<Envelope, AgentError> {
    match review(m, tally, rc, role, depth, input).await {
        Err(AgentError::Provider(reason)) => {
            Ok(adapters::failed_envelope(role, &rc.run_id, depth, &reason))
        }
        other => other,
    }
}

fn invalid(role: &str, errors: &[String]) -> AgentError {
    AgentError::Invalid(format!(
        "{role}'s answer was still invalid after one repair request: {}",
        errors.join("; ")
    ))
}

/// docs/design.md §5 red-team caps on Momus's score: with any BLOCK among the red team the score is at
/// most 50, else with any RISKY at most 75; the verdict follows the capped score's band.
pub fn apply_caps(mut momus: Envelope, red: &RedTeamReport) -> Envelope {
    if let Some(score) = momus.score {
        let capped = crate::model::rules::cap_score(
            score,
            &[&red.security, &red.scope, &red.assumptions, &red.oracle],
        );
        if capped < score {
            momus.score = Some(capped);
            momus.verdict = momus.verdict.max(crate::model::rules::band(capped));
            momus.summary = crate::model::envelope::truncate_summary(format!(
                "{} [red-team cap: score {score} → {capped}]",
                momus.summary
            ));
        }
    }
    momus
}

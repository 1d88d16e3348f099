//! The model engine: each agent role answered by the provider and model its category routes to
//! (docs/design.md §3 invariant 7, docs/design.md §7), through the format adapters of invariant 8.
//!
//! One call of a role: the role's prompt (`_shared/agents/<role>.md`, or the project's
//! `.anneal/agents/<role>.md`) is the system prompt; the user message carries what the agent
//! sees (task, probe report, directives, injected skills, the plan under review…). The answer
//! is stripped of reasoning blocks, its JSON extracted and parsed into the same typed
//! plan/envelope as the offline engine, then validated. An invalid answer gets one repair
//! request quoting the errors; still invalid → the caller decides (reviewers: an invalid
//! envelope, never a pass, docs/design.md §4; planners and the intent gate: [`AgentError::Invalid`]).
//! Every call is admitted by the run's budget first; the tokens it spent are added after.
use super::{AgentError, Tally};
use crate::agents::adapters;
use crate::agents::context::{user_message, AgentInput};
use crate::agents::prompts::{AgentPrompt, Prompts};
use crate::model::Category;
use crate::providers::config::ModelConfig;
use crate::providers::{ChatMessage, ChatRequest, ChatRole, Providers};
use serde_json::Value;

/// A parsed answer: the value, the tokens the call spent (answer + repair) and the label of
/// the model that answered (`provider/model`, for `metadata.reviewer_model`).
pub struct Answer<T> {
    pub value: Result<T, Vec<String>>,
    pub tokens: u64,
    pub model: String,
}

/// Providers, prompts and routes, for one run.
pub struct ModelEngine {
    config: ModelConfig,
    providers: Providers,
    prompts: Prompts,
}

impl ModelEngine {
    /// An engine over `config` (non-empty), its `providers` and the prompts.
    pub fn new(config: ModelConfig, providers: Providers, prompts: Prompts) -> Self {
        ModelEngine {
            config,
            providers,
            prompts,
        }
    }

    /// `ultrabrain → claude/claude-opus-4-1, deep → …, quick → …`.
    pub fn routes(&self) -> String {
        self.config
            .categories
            .iter()
            .map(|(c, r)| format!("{c} → {}/{}", r.provider, r.model))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The prompt of `role`.
    ///
    /// # Errors
    /// [`AgentError::UnknownRole`] when neither the shipped prompts nor the project's
    /// `.anneal/agents/` define the role.
    pub fn prompt(&self, role: &str) -> Result<&AgentPrompt, AgentError> {
        self.prompts.get(role).ok_or_else(|| {
            AgentError::UnknownRole(format!(
                "no prompt for agent role {role:?}: add .anneal/agents/{role}.md to the project (roles shipped: {})",
                self.prompts.roles().join(", ")
            ))
        })
    }

    /// The `<code>` section for the agents of `rc`: its resolution within the configured
    /// `context.code_tokens` ([`crate::agents::code::code_context`]).
    pub fn code_context(&self, rc: &super::RunContext) -> String {
        crate::agents::code::code_context(
            &rc.resolution,
            &rc.repo_root,
            self.config.context.code_tokens(),
        )
    }

    /// The lens fragment `lens-<name>.md`, if any.
    pub fn lens(&self, name: &str) -> Option<&AgentPrompt> {
        self.prompts.lens(name)
    }

    /// Asks `role` (category `category`, else its prompt's) with `input`, parses the answer
    /// with `parse` (given the JSON value, the tokens spent and the model label), and on an
    /// invalid answer sends one repair request quoting the errors.
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's budget refuses the call (or the repair);
    /// [`AgentError::Provider`] when the provider fails after its retries;
    /// [`AgentError::UnknownRole`] when the role has no prompt or route. An answer still
    /// invalid after the repair is `Ok` with `value: Err(errors)`.
    pub async fn ask<T>(
        &self,
        tally: &Tally,
        role: &str,
        category: Option<Category>,
        iteration: u32,
        input: &AgentInput<'_>,
        parse: impl Fn(Value, u64, &str) -> Result<T, Vec<String>>,
    ) -> Result<Answer<T>, AgentError> {
        let prompt = self.prompt(role)?;
        let category = category.unwrap_or(prompt.category);
        let route = self.config.route(role, category).ok_or_else(|| {
            AgentError::UnknownRole(format!(
                "no model is routed for role {role} (category {}): add categories.{} to the configuration",
                category.as_str(),
                category.as_str()
            ))
        })?;
        let provider = self.providers.get(&route.provider).ok_or_else(|| {
            AgentError::UnknownRole(format!(
                "role {role} is routed to provider {:?}, which is not configured",
                route.provider
            ))
        })?;
        let label = format!("{}/{}", route.provider, route.model);
        let mut req = ChatRequest {
            model: route.model.clone(),
            system: prompt.body.clone(),
            messages: vec![ChatMessage {
                role: ChatRole::User,
                content: user_message(prompt, input),
            }],
            max_tokens: 0,
            json: adapters::wants_json_mode(adapters::family(&route.model)),
        };
        let depth = input.depth;
        let mut tokens = 0u64;
        let mut errors = Vec::new();
        for attempt in 0..2 {
            if attempt == 0 {
                tally.admit(role)?;
            } else {
                // The repair is part of the same spawn, but it must still fit the token budget.
                tally.check_tokens(role)?;
            }
            tally.events.record(
                "start",
                role,
                iteration,
                depth,
                &if attempt == 0 {
                    label.clone()
                } else {
                    format!("{label} repair")
                },
            );
            let answer = provider.complete(&req).await;
            let detail = match &answer {
                Ok(a) => format!("{label} tokens={}", a.usage.total()),
                Err(_) => format!("{label} failed"),
            };
            tally
                .events
                .record("finish", role, iteration, depth, &detail);
            let answer = answer.map_err(|e| AgentError::Provider(format!("{role}: {e}")))?;
            tally.add_tokens(role, answer.usage.total());
            tokens += answer.usage.total();
            let parsed = adapters::extract_json(&answer.text)
                .map_err(|e| vec![e])
                .and_then(|v| parse(v, tokens, &label));
            match parsed {
                Ok(v) => {
                    return Ok(Answer {
                        value: Ok(v),
                        tokens,
                        model: label,
                    })
                }
                Err(e) => {
                    errors = e;
                    req.messages.push(ChatMessage {
                        role: ChatRole::Assistant,
                        content: answer.text,
                    });
                    req.messages.push(ChatMessage {
                        role: ChatRole::User,
                        content: adapters::repair_message(&errors),
                    });
                }
            }
        }
        Ok(Answer {
            value: Err(errors),
            tokens,
            model: label,
        })
    }
}

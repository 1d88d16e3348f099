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
use crate::providers::config::{ModelConfig, DEFAULT_MAX_TOKENS};
use crate::providers::{ChatMessage, ChatRequest, ChatRole, Providers, Stop};
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
    /// `context.code_tokens` ([`crate::agents::code::code_context`]), then the pre-existing
    /// failures the task is about, when the baseline is known
    /// ([`crate::model::baseline::describe_failures_about`]; docs/design.md §6).
    pub fn code_context(&self, rc: &super::RunContext) -> String {
        let mut code = crate::agents::code::code_context(
            &rc.resolution,
            &rc.repo_root,
            self.config.context.code_tokens(),
        );
        let failing =
            crate::model::baseline::describe_failures_about(rc.baseline.as_deref(), &rc.task);
        if !failing.is_empty() {
            if !code.is_empty() {
                code.push('\n');
            }
            code.push_str(&failing);
        }
        code
    }

    /// The lens fragment `lens-<name>.md`, if any.
    pub fn lens(&self, name: &str) -> Option<&AgentPrompt> {
        self.prompts.lens(name)
    }

    /// Asks `role` (category `category`, else its prompt's) with `input`, parses the answer
    /// with `parse` (given the JSON value, the tokens spent and the model label), and on an
    /// invalid answer sends one repair request quoting the errors.
    ///
    /// Before parsing: an answer cut off at the output-token limit (`finish_reason: length`,
    /// `stop_reason: max_tokens`) is asked again once with twice the limit when the route's
    /// `max_tokens` is below the provider's, else it is an error saying which key to raise; an
    /// empty answer (`content: null`) is asked again once, then it is an error saying the
    /// model wrote nothing. Keys an answer has that its schema does not know are dropped and
    /// recorded (an event `note` in `events.jsonl`). Each call waits at most until the run's
    /// deadline for agent calls ([`Tally::deadline_left`]).
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's budget refuses the call (or a retry) or its deadline
    /// passes; [`AgentError::Provider`] when the provider fails after its retries, or the answer
    /// is cut off or empty as above; [`AgentError::UnknownRole`] when the role has no prompt or
    /// route. An answer still invalid after the repair is `Ok` with `value: Err(errors)`.
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
        let cap = self
            .config
            .providers
            .get(&route.provider)
            .map_or(DEFAULT_MAX_TOKENS, |p| p.max_tokens());
        let mut call = Call {
            tally,
            role,
            iteration,
            depth: input.depth,
            label: format!("{}/{}", route.provider, route.model),
            tokens: 0,
            calls: 0,
        };
        let mut req = ChatRequest {
            model: route.model.clone(),
            system: prompt.body.clone(),
            messages: vec![ChatMessage {
                role: ChatRole::User,
                content: user_message(prompt, input),
            }],
            max_tokens: route.max_tokens.unwrap_or(cap).min(cap),
            json: adapters::wants_json_mode(adapters::family(&route.model)),
        };
        let (mut repaired, mut raised, mut empty_once) = (false, false, false);
        loop {
            let answer = call.send(provider.as_ref(), &req).await?;
            if answer.stop == Stop::MaxTokens {
                if !raised && req.max_tokens < cap {
                    raised = true;
                    req.max_tokens = req.max_tokens.saturating_mul(2).min(cap);
                    call.note(&format!(
                        "answer cut off at the output-token limit; asked again with max_tokens {}",
                        req.max_tokens
                    ));
                    continue;
                }
                return Err(AgentError::Provider(truncated(
                    role,
                    &call.label,
                    category,
                    &route,
                    req.max_tokens,
                    cap,
                    raised,
                )));
            }
            if answer.text.trim().is_empty() {
                if !empty_once {
                    empty_once = true;
                    call.note("empty answer; asked again");
                    continue;
                }
                return Err(AgentError::Provider(empty(
                    role,
                    &call.label,
                    category,
                    &answer.stop,
                )));
            }
            let parsed = adapters::extract_json(&answer.text)
                .map_err(|e| vec![e])
                .and_then(|mut v| {
                    let ignored = adapters::drop_unknown_keys(prompt.output, &mut v);
                    if !ignored.is_empty() {
                        call.note(&format!(
                            "ignored keys the answer format does not have: {}",
                            ignored.join(", ")
                        ));
                    }
                    parse(v, call.tokens, &call.label)
                });
            match parsed {
                Ok(v) => {
                    return Ok(Answer {
                        value: Ok(v),
                        tokens: call.tokens,
                        model: call.label,
                    })
                }
                Err(errors) if !repaired => {
                    repaired = true;
                    req.messages.push(ChatMessage {
                        role: ChatRole::Assistant,
                        content: answer.text,
                    });
                    req.messages.push(ChatMessage {
                        role: ChatRole::User,
                        content: adapters::repair_message(&errors),
                    });
                }
                Err(errors) => {
                    return Ok(Answer {
                        value: Err(errors),
                        tokens: call.tokens,
                        model: call.label,
                    })
                }
            }
        }
    }
}

/// One agent's calls to its provider: the first is a spawn the budget admits, later ones (a
/// repair, a retry after a cut-off or empty answer) must fit the token budget and deadline.
struct Call<'a> {
    tally: &'a Tally,
    role: &'a str,
    iteration: u32,
    depth: Option<u32>,
    label: String,
    tokens: u64,
    calls: u32,
}

impl Call<'_> {
    /// Sends `req`, recording start/finish events and the tokens spent, cancelled at the
    /// run's deadline.
    async fn send(
        &mut self,
        provider: &dyn crate::providers::Provider,
        req: &ChatRequest,
    ) -> Result<crate::providers::ChatResponse, AgentError> {
        let (tally, role) = (self.tally, self.role);
        let _held = tally.reserve_tokens(role, worst_case(req))?;
        if self.calls == 0 {
            tally.admit(role)?;
        } else {
            tally.check_tokens(role)?;
            tally.add_repair(role);
        }
        let what = match self.calls {
            0 => self.label.clone(),
            n => format!("{} again ({n})", self.label),
        };
        self.calls += 1;
        tally
            .events
            .record("start", role, self.iteration, self.depth, &what);
        let answer = match tally.deadline_left() {
            Some(left) => tokio::time::timeout(left, provider.complete(req))
                .await
                .map_err(|_| tally.deadline_passed(role, Some(&self.label)))?,
            None => provider.complete(req).await,
        };
        let detail = match &answer {
            Ok(a) => format!("{} tokens={}", self.label, a.usage.total()),
            Err(_) => format!("{} failed", self.label),
        };
        tally
            .events
            .record("finish", role, self.iteration, self.depth, &detail);
        let answer = answer.map_err(|e| AgentError::Provider(format!("{role}: {e}")))?;
        tally.add_tokens(role, answer.usage.total());
        self.tokens += answer.usage.total();
        Ok(answer)
    }

    /// Records what the host did about an answer (an event `note`).
    fn note(&self, text: &str) {
        self.tally
            .events
            .record("note", self.role, self.iteration, self.depth, text);
    }
}

/// The most tokens `req` can spend: its prompt, estimated at one token per 3 bytes (tokenizers
/// average about 4 on English; code and other scripts run denser), plus its `max_tokens`.
fn worst_case(req: &ChatRequest) -> u64 {
    let prompt: usize =
        req.system.len() + req.messages.iter().map(|m| m.content.len()).sum::<usize>();
    (prompt as u64).div_ceil(3) + u64::from(req.max_tokens)
}

/// The error for an answer cut off at the output-token limit: what happened and which key of
/// the configuration to raise.
fn truncated(
    role: &str,
    label: &str,
    category: Category,
    route: &crate::providers::config::Route,
    limit: u32,
    cap: u32,
    retried: bool,
) -> String {
    let again = if retried {
        " again, after a retry with a larger limit,"
    } else {
        ""
    };
    let key = if limit < cap {
        format!(
            "raise max_tokens for category {c} (categories.{c}.max_tokens)",
            c = category.as_str()
        )
    } else {
        format!(
            "raise providers.{p}.max_tokens in the configuration (now {cap}), and the category's max_tokens if set",
            p = route.provider
        )
    };
    format!(
        "{role}: the answer of {label} was cut off{again} at its output limit of {limit} tokens (finish_reason: length / stop_reason: max_tokens), so it is incomplete; {key}"
    )
}

/// The error for an answer with no text, twice: what happened and what to check.
fn empty(role: &str, label: &str, category: Category, stop: &Stop) -> String {
    format!(
        "{role}: {label} returned an empty answer twice (it {stop} with no text): the model wrote nothing. The connection and base_url work; check that the model answers chat requests like this one (a refusal or a content filter also gives an empty answer), or route category {} to another model",
        category.as_str()
    )
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

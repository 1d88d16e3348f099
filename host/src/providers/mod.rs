//! Talking to models (docs/design.md §7): Anthropic's Messages API, any OpenAI-compatible
//! chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp server, OpenRouter, …) and an
//! external command (prompt on stdin, answer on stdout). Agents name a model *category*, never a
//! model (docs/design.md §3 invariant 7); [`config::ModelConfig::route`] maps a role and its category to a
//! configured provider and model, and [`Providers::get`] hands out the provider.
//!
//! Every provider applies a per-call timeout and a per-provider concurrency limit; the HTTP
//! providers retry 429/5xx/connection errors/timeouts with exponential backoff and full jitter,
//! honouring `Retry-After`. Secrets (API keys) are held in [`Secret`], which prints
//! `[redacted]`, and never appear in an error message, a log or a child process's environment.

pub mod anthropic;
pub mod command;
pub mod config;
mod http;
pub mod openai;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;

use config::{ConfigError, EnvSource, ModelConfig, ProviderKind};

/// Who wrote a chat turn. The system prompt travels separately in [`ChatRequest::system`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChatRole {
    /// The host (context, task, a repair request).
    User,
    /// The model (an earlier answer, quoted back in a repair request).
    Assistant,
}

impl ChatRole {
    /// The wire name shared by both HTTP APIs: `user` or `assistant`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChatRole::User => "user",
            ChatRole::Assistant => "assistant",
        }
    }
}

/// One chat turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: ChatRole,
    /// Its text.
    pub content: String,
}

/// One request to a model.
#[derive(Clone, Debug)]
pub struct ChatRequest {
    /// The provider's model name (from the route, docs/design.md §3 invariant 7).
    pub model: String,
    /// The agent prompt; sent as the system prompt (empty → none sent).
    pub system: String,
    /// User turn(s); a repair adds an assistant and a user turn.
    pub messages: Vec<ChatMessage>,
    /// Most output tokens wanted; 0 → the provider's configured `max_tokens`. Never above the
    /// provider's `max_tokens` (default 8192).
    pub max_tokens: u32,
    /// Ask for the provider's JSON mode where it has one (OpenAI-compatible `response_format`,
    /// unless the provider's `json_mode` is `off`); ignored by Anthropic and commands.
    pub json: bool,
}

/// Token usage of one call (into `metadata.token_cost`, docs/design.md §7).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Prompt tokens as the provider reported them (commands: estimated as characters / 4).
    pub input_tokens: u64,
    /// Answer tokens as the provider reported them (commands: estimated as characters / 4).
    pub output_tokens: u64,
}

impl Usage {
    /// `input_tokens + output_tokens` (saturating).
    pub fn total(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

/// Why the model stopped writing: OpenAI's `choices[0].finish_reason`, Anthropic's
/// `stop_reason`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// It finished its answer (`stop`, `end_turn`, `stop_sequence`, `tool_calls`, or no reason
    /// given; commands always).
    Done,
    /// It reached the output-token limit (`length`, `max_tokens`): the answer is cut off.
    MaxTokens,
    /// Another reason the provider gave (`content_filter`, `refusal`, …), as it spelled it.
    Other(String),
}

impl Stop {
    /// The stop of a provider's reason string (`None`: not reported → [`Stop::Done`]).
    pub fn from_reason(reason: Option<&str>) -> Stop {
        match reason.map(str::trim) {
            None | Some("" | "stop" | "end_turn" | "stop_sequence" | "tool_calls" | "tool_use") => {
                Stop::Done
            }
            Some("length" | "max_tokens" | "model_length") => Stop::MaxTokens,
            Some(other) => Stop::Other(other.chars().take(40).collect()),
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stop::Done => f.write_str("finished"),
            Stop::MaxTokens => f.write_str("cut off at the output-token limit"),
            Stop::Other(r) => write!(f, "stopped ({r})"),
        }
    }
}

/// A model's answer.
#[derive(Clone, Debug)]
pub struct ChatResponse {
    /// The answer text (Anthropic: the `text` blocks concatenated; commands: stdout).
    pub text: String,
    /// Tokens used by the successful attempt.
    pub usage: Usage,
    /// The model that answered (as the provider reports it, else the requested one).
    pub model: String,
    /// Attempts made, ≥ 1 (retries + 1).
    pub attempts: u32,
    /// Why the model stopped: an answer cut at the token limit is incomplete. An empty `text`
    /// (OpenAI `content: null`) is an answer too; the engine decides what it means.
    pub stop: Stop,
}

/// Why a call failed. Every message names the provider, where it went (URL without query string,
/// or the command's program), attempts made and what to do; none contains a secret.
#[derive(thiserror::Error, Debug)]
pub enum ProviderError {
    /// No answer within the per-call timeout on the last attempt.
    #[error(
        "provider `{provider}`: no answer from {target} within {timeout_secs} s (attempts: {attempts}); raise timeout_secs in the config or check that the server is healthy"
    )]
    Timeout {
        provider: String,
        target: String,
        timeout_secs: f64,
        attempts: u32,
    },
    /// The connection failed (refused, DNS, TLS, reset) on the last attempt.
    #[error(
        "provider `{provider}`: cannot reach {target} (attempts: {attempts}): {detail}; check base_url in the config and that the server is running"
    )]
    Connection {
        provider: String,
        target: String,
        attempts: u32,
        detail: String,
    },
    /// A non-2xx status that is not retried (or retries ran out).
    #[error(
        "provider `{provider}`: {target} answered HTTP {status} (attempts: {attempts}); {hint}; body: {excerpt}"
    )]
    Status {
        provider: String,
        target: String,
        status: u16,
        attempts: u32,
        excerpt: String,
        hint: String,
    },
    /// A 2xx answer that is not the expected JSON shape (or an empty command answer).
    #[error(
        "provider `{provider}`: malformed answer from {target} (attempts: {attempts}): {detail}; check that base_url points at the right API kind; body: {excerpt}"
    )]
    Malformed {
        provider: String,
        target: String,
        attempts: u32,
        detail: String,
        excerpt: String,
    },
    /// The external command could not start, or exited unsuccessfully.
    #[error("provider `{provider}`: command `{program}` {detail}")]
    Command {
        provider: String,
        program: String,
        detail: String,
    },
}

/// An API key. `Debug` and `Display` print `[redacted]`; only [`Secret::expose`] gives the value
/// (for the auth header).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a key value.
    pub fn new(value: String) -> Secret {
        Secret(value)
    }
    /// The key value; use only to build the request header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A model endpoint. Implementations are cheap to share (`Arc`) and safe to call concurrently;
/// each applies its own timeout, retries and concurrency limit.
pub trait Provider: Send + Sync {
    /// The provider's name in the configuration (e.g. `claude`, `ollama`).
    fn name(&self) -> &str;
    /// Sends `req` and returns the answer. Errors: see [`ProviderError`].
    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>>;
}

/// Every configured provider, built from a resolved config (reads keys from the environment).
pub struct Providers {
    by_name: BTreeMap<String, Arc<dyn Provider>>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Providers")
            .field("names", &self.by_name.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Providers {
    /// Builds every provider of `cfg`, reading API keys from the process environment.
    /// Errors: a provider whose `api_key_env` names an unset or empty variable →
    /// [`ConfigError::MissingKey`] naming the variable (never a value); an HTTP client that
    /// cannot be built. An empty config gives an empty set (the offline engine runs, docs/design.md §7).
    pub fn from_config(cfg: &ModelConfig) -> Result<Providers, ConfigError> {
        Self::from_config_with_env(cfg, &EnvSource::Process)
    }

    /// As [`Providers::from_config`], with keys read from `env` (tests pass a map).
    pub fn from_config_with_env(
        cfg: &ModelConfig,
        env: &EnvSource,
    ) -> Result<Providers, ConfigError> {
        let key_vars: Vec<String> = cfg
            .providers
            .values()
            .filter_map(|p| p.api_key_env())
            .collect();
        let routed = cfg.routed_providers();
        let mut by_name: BTreeMap<String, Arc<dyn Provider>> = BTreeMap::new();
        for (name, p) in &cfg.providers {
            let key = match p.api_key_env() {
                Some(var) => match env.get(&var) {
                    Some(v) if !v.trim().is_empty() => Some(Secret::new(v.trim().to_string())),
                    // A provider nothing routes to is never called: its key may be unset.
                    _ if !routed.contains(name) => continue,
                    _ => {
                        return Err(ConfigError::MissingKey {
                            provider: name.clone(),
                            var,
                        });
                    }
                },
                None => None,
            };
            let provider: Arc<dyn Provider> = match p.kind {
                ProviderKind::Anthropic => Arc::new(anthropic::Anthropic::new(name, p, key)?),
                ProviderKind::Openai => Arc::new(openai::OpenAi::new(name, p, key)?),
                ProviderKind::Command => {
                    Arc::new(command::CommandProvider::new(name, p, key_vars.clone())?)
                }
            };
            by_name.insert(name.clone(), provider);
        }
        Ok(Providers { by_name })
    }

    /// The provider configured under `name`, if any.
    pub fn get(&self, name: &str) -> Option<Arc<dyn Provider>> {
        self.by_name.get(name).cloned()
    }

    /// Configured provider names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }
}

/// The output token limit of one call: the request's, else the provider's, never above the
/// provider's.
pub(crate) fn effective_max_tokens(req: &ChatRequest, provider_max: u32) -> u32 {
    if req.max_tokens == 0 {
        provider_max
    } else {
        req.max_tokens.min(provider_max)
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// A one-user-turn request.
    pub fn request(model: &str, json: bool) -> ChatRequest {
        ChatRequest {
            model: model.into(),
            system: "You are a reviewer.".into(),
            messages: vec![ChatMessage {
                role: ChatRole::User,
                content: "Review this plan.".into(),
            }],
            max_tokens: 100,
            json,
        }
    }

    /// A provider config of `kind` at `base_url` with fast test timings.
    pub fn provider_cfg(kind: ProviderKind, base_url: &str) -> config::ProviderConfig {
        config::ProviderConfig {
            kind,
            base_url: Some(base_url.into()),
            timeout_secs: Some(5.0),
            backoff_base_ms: Some(10),
            backoff_cap_ms: Some(50),
            ..config::ProviderConfig::new(kind)
        }
    }
}

#[cfg(test)]
mod wire_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_redacted() {
        let s = Secret::new("sk-abc".into());
        assert_eq!(format!("{s}"), "[redacted]");
        assert_eq!(format!("{s:?}"), "[redacted]");
        assert_eq!(s.expose(), "sk-abc");
    }

    #[test]
    fn usage_total_and_max_tokens() {
        let u = Usage {
            input_tokens: 3,
            output_tokens: 4,
        };
        assert_eq!(u.total(), 7);
        let mut r = testutil::request("m", false);
        assert_eq!(effective_max_tokens(&r, 8192), 100);
        r.max_tokens = 0;
        assert_eq!(effective_max_tokens(&r, 8192), 8192);
        r.max_tokens = 50_000;
        assert_eq!(effective_max_tokens(&r, 8192), 8192);
    }

    #[test]
    fn missing_key_names_the_variable_not_a_value() {
        let mut cfg = ModelConfig::default();
        let mut p = config::ProviderConfig::new(ProviderKind::Openai);
        p.api_key_env = Some("MY_KEY".into());
        cfg.providers.insert("o".into(), p);
        cfg.categories.insert(
            "quick".into(),
            config::Route {
                provider: "o".into(),
                model: "m".into(),
                max_tokens: None,
            },
        );
        let env = EnvSource::map([("MY_KEY", "")]);
        let err = Providers::from_config_with_env(&cfg, &env).unwrap_err();
        assert!(err.to_string().contains("$MY_KEY"), "{err}");
        let env = EnvSource::map([("MY_KEY", "sk-live")]);
        let ps = Providers::from_config_with_env(&cfg, &env).unwrap();
        assert_eq!(ps.names(), vec!["o".to_string()]);
        assert!(ps.get("o").is_some() && ps.get("x").is_none());
        assert!(!format!("{ps:?}").contains("sk-live"));
    }
}

/// A [`ChatResponse`] from a provider's JSON body `v`: the answer `text`, the usage at the two
/// JSON pointers `usage` (input, output; absent → 0), the model the body names (else
/// `requested`), the `attempts` made and the stop reason at the JSON pointer `stop`.
pub(crate) fn response_from(
    v: &serde_json::Value,
    text: String,
    requested: &str,
    usage: (&str, &str),
    attempts: u32,
    stop: &str,
) -> ChatResponse {
    let tokens = |p: &str| {
        v.pointer(p)
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0)
    };
    ChatResponse {
        text,
        usage: Usage {
            input_tokens: tokens(usage.0),
            output_tokens: tokens(usage.1),
        },
        model: v
            .get("model")
            .and_then(serde_json::Value::as_str)
            .filter(|m| !m.is_empty())
            .unwrap_or(requested)
            .to_string(),
        attempts,
        stop: Stop::from_reason(v.pointer(stop).and_then(serde_json::Value::as_str)),
    }
}

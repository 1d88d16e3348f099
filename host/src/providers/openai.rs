//! OpenAI-compatible chat completions (docs/design.md §7): OpenAI, Ollama, vLLM, llama.cpp server,
//! OpenRouter, … `POST {base_url}/chat/completions` with the system prompt as the first message,
//! `Authorization: Bearer KEY` only when a key is configured, and
//! `response_format: {"type": "json_object"}` when the request asks for JSON and the provider's
//! `json_mode` is not `off`. Usage from `usage.prompt_tokens` / `usage.completion_tokens`
//! (absent → 0); the stop from `choices[0].finish_reason` (`length` = cut off at `max_tokens`);
//! `content: null` is an empty answer, and `message.refusal` is reported as the stop reason.

use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::Url;
use serde_json::{json, Value};

use super::config::{ConfigError, JsonMode, ProviderConfig};
use super::http::{auth_header, display_url, join_url, HttpClient};
use super::{effective_max_tokens, ChatRequest, ChatResponse, Provider, ProviderError, Secret};

/// An OpenAI-compatible endpoint.
pub struct OpenAi {
    name: String,
    url: Url,
    http: HttpClient,
    /// The prebuilt, sensitive auth header value (none without a key).
    auth: Option<HeaderValue>,
    json_mode: JsonMode,
    max_tokens: u32,
}

impl OpenAi {
    /// Builds provider `name` from its configuration and key (`None` → no auth header).
    /// Errors: an invalid `base_url`; an HTTP client that cannot be built.
    pub fn new(
        name: &str,
        cfg: &ProviderConfig,
        key: Option<Secret>,
    ) -> Result<OpenAi, ConfigError> {
        let base = cfg.base_url().unwrap_or_default();
        let base = Url::parse(&base).map_err(|e| ConfigError::Invalid {
            at: format!("providers.{name}"),
            message: format!(
                "base_url `{}` is not a URL ({e})",
                super::config::redact_url(&base)
            ),
        })?;
        Ok(OpenAi {
            name: name.to_string(),
            url: join_url(&base, "chat/completions"),
            auth: auth_header(name, cfg, key.as_ref(), |k| {
                format!("Bearer {}", k.expose())
            })?,
            http: HttpClient::new(name, cfg, key)?,
            json_mode: cfg.json_mode(),
            max_tokens: cfg.max_tokens(),
        })
    }

    /// The JSON body of `req`.
    fn body(&self, req: &ChatRequest) -> Value {
        let mut messages = Vec::with_capacity(req.messages.len() + 1);
        if !req.system.is_empty() {
            messages.push(json!({"role": "system", "content": req.system}));
        }
        for m in &req.messages {
            messages.push(json!({"role": m.role.as_str(), "content": m.content}));
        }
        let mut body = json!({
            "model": req.model,
            "messages": messages,
            "max_tokens": effective_max_tokens(req, self.max_tokens),
        });
        if req.json && self.json_mode != JsonMode::Off {
            body["response_format"] = json!({"type": "json_object"});
        }
        body
    }

    async fn call(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let mut headers = HeaderMap::new();
        if let Some(v) = &self.auth {
            headers.insert(AUTHORIZATION, v.clone());
        }
        let (v, attempts) = self
            .http
            .post_json(&self.url, headers, &self.body(req))
            .await?;
        let malformed = |detail: &str| ProviderError::Malformed {
            provider: self.name.clone(),
            target: display_url(&self.url),
            attempts,
            detail: detail.to_string(),
            excerpt: self.http.excerpt(v.to_string().as_bytes()),
        };
        // `content: null` is an answer with no text (a refusal, a filter, a reasoning model
        // that spent its tokens thinking): the engine says so, it is not a malformed body.
        let message = v
            .pointer("/choices/0/message")
            .filter(|m| m.is_object())
            .ok_or_else(|| malformed("no choices[0].message object"))?;
        let text = match message.get("content") {
            Some(Value::String(t)) => t.clone(),
            None | Some(Value::Null) => String::new(),
            Some(_) => return Err(malformed("choices[0].message.content is not a string")),
        };
        let mut r = super::response_from(
            &v,
            text,
            &req.model,
            ("/usage/prompt_tokens", "/usage/completion_tokens"),
            attempts,
            "/choices/0/finish_reason",
        );
        if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
            r.stop =
                super::Stop::Other(format!("refusal: {}", crate::text::sanitize(refusal, 120)));
        }
        Ok(r)
    }
}

impl Provider for OpenAi {
    fn name(&self) -> &str {
        &self.name
    }
    fn complete<'a>(
        &'a self,
        req: &'a ChatRequest,
    ) -> BoxFuture<'a, Result<ChatResponse, ProviderError>> {
        Box::pin(self.call(req))
    }
}

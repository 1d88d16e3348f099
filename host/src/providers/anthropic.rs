//! Anthropic Messages API (docs/design.md §7): `POST {base_url}/v1/messages` with headers `x-api-key` and
//! `anthropic-version: 2023-06-01`, body `model`, `system`, `messages`, `max_tokens`. The answer
//! is the concatenation of the `text` content blocks; usage from `usage.input_tokens` /
//! `usage.output_tokens`; the stop from `stop_reason` (`max_tokens` = cut off). A `base_url` that already ends in `/v1` is accepted (not doubled).
//! The Messages API has no JSON mode: `ChatRequest::json` is ignored (the prompt asks for JSON).

use futures::future::BoxFuture;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::Url;
use serde_json::{json, Value};

use super::config::{ConfigError, ProviderConfig};
use super::http::{auth_header, display_url, join_url, HttpClient};
use super::{effective_max_tokens, ChatRequest, ChatResponse, Provider, ProviderError, Secret};

/// The API version header value sent with every request.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// An Anthropic Messages API endpoint.
pub struct Anthropic {
    name: String,
    url: Url,
    http: HttpClient,
    /// The prebuilt, sensitive auth header value (none without a key).
    auth: Option<HeaderValue>,
    max_tokens: u32,
}

impl Anthropic {
    /// Builds provider `name` from its configuration and key. Errors: an invalid `base_url`; an
    /// HTTP client that cannot be built.
    pub fn new(
        name: &str,
        cfg: &ProviderConfig,
        key: Option<Secret>,
    ) -> Result<Anthropic, ConfigError> {
        let base = cfg.base_url().unwrap_or_default();
        let mut url = Url::parse(&base).map_err(|e| ConfigError::Invalid {
            at: format!("providers.{name}"),
            message: format!(
                "base_url `{}` is not a URL ({e})",
                super::config::redact_url(&base)
            ),
        })?;
        let trimmed = url.path().trim_end_matches('/').to_string();
        if let Some(stripped) = trimmed.strip_suffix("/v1") {
            url.set_path(stripped);
        }
        Ok(Anthropic {
            name: name.to_string(),
            url: join_url(&url, "v1/messages"),
            auth: auth_header(name, cfg, key.as_ref(), |k| k.expose().to_string())?,
            http: HttpClient::new(name, cfg, key)?,
            max_tokens: cfg.max_tokens(),
        })
    }

    fn body(&self, req: &ChatRequest) -> Value {
        let messages: Vec<Value> = req
            .messages
            .iter()
            .map(|m| json!({"role": m.role.as_str(), "content": m.content}))
            .collect();
        let mut body = json!({
            "model": req.model,
            "max_tokens": effective_max_tokens(req, self.max_tokens),
            "messages": messages,
        });
        if !req.system.is_empty() {
            body["system"] = json!(req.system);
        }
        body
    }

    async fn call(&self, req: &ChatRequest) -> Result<ChatResponse, ProviderError> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(ANTHROPIC_VERSION),
        );
        if let Some(v) = &self.auth {
            headers.insert(HeaderName::from_static("x-api-key"), v.clone());
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
        let blocks = v
            .get("content")
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no content array"))?;
        let text: String = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect();
        Ok(super::response_from(
            &v,
            text,
            &req.model,
            ("/usage/input_tokens", "/usage/output_tokens"),
            attempts,
            "/stop_reason",
        ))
    }
}

impl Provider for Anthropic {
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

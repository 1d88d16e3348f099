//! Shared HTTP behaviour of the Anthropic and OpenAI-compatible providers (docs/design.md §7): one
//! `reqwest` client per provider with a connect timeout, a per-call timeout, retries with
//! exponential backoff and full jitter on 429, 5xx, connection errors and timeouts (honouring
//! `Retry-After`, capped at 60 s), and a per-provider concurrency limit (tokio `Semaphore`).
//! Error messages name the provider, the URL (no query string), the status, the attempts made and
//! what to do; the API key never appears in them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use tokio::sync::Semaphore;

use super::config::{ConfigError, ProviderConfig};
use super::{ProviderError, Secret};

/// Longest `Retry-After` honoured; a server asking for more is waited on for 60 s only.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// Characters of a response body quoted in an error message.
const EXCERPT_CHARS: usize = 200;

/// Retry and timeout settings, taken from the provider's configuration (defaults there).
#[derive(Clone, Debug)]
pub(crate) struct HttpSettings {
    pub timeout: Duration,
    pub max_retries: u32,
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
}

/// One provider's HTTP client: connection pool, limits and the key used for redaction.
pub(crate) struct HttpClient {
    provider: String,
    client: reqwest::Client,
    settings: HttpSettings,
    limit: Arc<Semaphore>,
    key: Option<Secret>,
    key_env: Option<String>,
}

impl HttpClient {
    /// Builds the client of provider `name` from its configuration. Errors: the TLS backend
    /// cannot be initialised (reported as a configuration error naming the provider).
    pub fn new(
        name: &str,
        cfg: &ProviderConfig,
        key: Option<Secret>,
    ) -> Result<HttpClient, ConfigError> {
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout())
            .build()
            .map_err(|e| ConfigError::Invalid {
                at: format!("providers.{name}"),
                message: format!("cannot build the HTTP client: {}", e.without_url()),
            })?;
        Ok(HttpClient {
            provider: name.to_string(),
            client,
            settings: HttpSettings {
                timeout: cfg.timeout(),
                max_retries: cfg.max_retries(),
                backoff_base: cfg.backoff_base(),
                backoff_cap: cfg.backoff_cap(),
            },
            limit: Arc::new(Semaphore::new(cfg.concurrency() as usize)),
            key,
            key_env: cfg.api_key_env(),
        })
    }

    /// POSTs `body` as JSON to `url` with `headers`, retrying per the settings; returns the
    /// parsed JSON body of the first 2xx answer and the number of attempts made (≥ 1).
    /// Errors: `Timeout`, `Connection`, `Status` (non-retryable status, or retries exhausted),
    /// `Malformed` (2xx body that is not JSON).
    pub async fn post_json(
        &self,
        url: &Url,
        headers: HeaderMap,
        body: &serde_json::Value,
    ) -> Result<(serde_json::Value, u32), ProviderError> {
        let target = display_url(url);
        let max_attempts = self.settings.max_retries + 1;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = {
                let _permit = self.limit.acquire().await.expect("semaphore never closed");
                self.attempt(url, &headers, body).await
            };
            let retry_after = match outcome {
                Ok((status, _, bytes)) if status.is_success() => {
                    return match serde_json::from_slice::<serde_json::Value>(&bytes) {
                        Ok(v) => Ok((v, attempt)),
                        Err(e) => Err(ProviderError::Malformed {
                            provider: self.provider.clone(),
                            target,
                            attempts: attempt,
                            detail: format!("the body is not JSON ({e})"),
                            excerpt: self.excerpt(&bytes),
                        }),
                    };
                }
                Ok((status, retry_after, bytes)) => {
                    if !retryable_status(status) || attempt >= max_attempts {
                        return Err(ProviderError::Status {
                            provider: self.provider.clone(),
                            target,
                            status: status.as_u16(),
                            attempts: attempt,
                            excerpt: self.excerpt(&bytes),
                            hint: self.status_hint(status),
                        });
                    }
                    retry_after
                }
                Err(e) => {
                    if attempt >= max_attempts {
                        return Err(self.transport_error(e, target, attempt));
                    }
                    None
                }
            };
            let wait = retry_after.unwrap_or_else(|| {
                backoff(
                    attempt,
                    self.settings.backoff_base,
                    self.settings.backoff_cap,
                )
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// One request: status, `Retry-After` (parsed, capped) and the whole body, or the transport
    /// error (connect failure, timeout, body read failure).
    async fn attempt(
        &self,
        url: &Url,
        headers: &HeaderMap,
        body: &serde_json::Value,
    ) -> Result<(StatusCode, Option<Duration>, Vec<u8>), reqwest::Error> {
        let resp = self
            .client
            .post(url.clone())
            .headers(headers.clone())
            .timeout(self.settings.timeout)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, SystemTime::now()));
        let bytes = resp.bytes().await?;
        Ok((status, retry_after, bytes.to_vec()))
    }

    fn transport_error(&self, e: reqwest::Error, target: String, attempts: u32) -> ProviderError {
        if e.is_timeout() {
            ProviderError::Timeout {
                provider: self.provider.clone(),
                target,
                timeout_secs: self.settings.timeout.as_secs_f64(),
                attempts,
            }
        } else {
            let mut causes = Vec::new();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                causes.push(s.to_string());
                src = s.source();
            }
            let mut detail = e.without_url().to_string();
            for c in causes {
                detail.push_str(": ");
                detail.push_str(&c);
            }
            ProviderError::Connection {
                provider: self.provider.clone(),
                target,
                attempts,
                detail: self.redact(&detail),
            }
        }
    }

    fn status_hint(&self, status: StatusCode) -> String {
        let key = match &self.key_env {
            Some(var) => format!("check ${var}"),
            None => "this provider has no api_key_env; add one to its configuration".to_string(),
        };
        match status.as_u16() {
            401 | 403 => format!("the server refused the credentials: {key}"),
            404 => "check base_url and the model name in the configuration".to_string(),
            408 => "the server timed out; retry later or raise max_retries in the config".into(),
            429 => "rate limited: lower concurrency or raise max_retries in the config".into(),
            400 | 413 | 422 => {
                "the request was rejected: check the model name and max_tokens in the config".into()
            }
            500..=599 => "the server failed: retry later or raise max_retries in the config".into(),
            _ => "check base_url and the provider's documentation".into(),
        }
    }

    /// At most `EXCERPT_CHARS` characters of `bytes`, whitespace collapsed, key redacted.
    pub fn excerpt(&self, bytes: &[u8]) -> String {
        excerpt(&String::from_utf8_lossy(bytes), self.key.as_ref())
    }

    fn redact(&self, text: &str) -> String {
        redact(text, self.key.as_ref())
    }
}

/// The auth header value built from `key` by `value` (marked sensitive so it is never logged).
/// Errors: the key holds characters an HTTP header cannot carry (names the variable, not the
/// value).
pub(crate) fn auth_header(
    name: &str,
    cfg: &ProviderConfig,
    key: Option<&Secret>,
    value: impl Fn(&Secret) -> String,
) -> Result<Option<reqwest::header::HeaderValue>, ConfigError> {
    let Some(key) = key else { return Ok(None) };
    let mut v =
        reqwest::header::HeaderValue::from_str(&value(key)).map_err(|_| ConfigError::Invalid {
            at: format!("providers.{name}"),
            message: format!(
                "the value of ${} contains characters not allowed in an HTTP header; check the key",
                cfg.api_key_env().unwrap_or_default()
            ),
        })?;
    v.set_sensitive(true);
    Ok(Some(v))
}

/// `text` with every occurrence of the key replaced by `[redacted]`.
pub(crate) fn redact(text: &str, key: Option<&Secret>) -> String {
    match key {
        Some(k) if !k.expose().is_empty() => text.replace(k.expose(), "[redacted]"),
        _ => text.to_string(),
    }
}

/// A short, single-line, redacted excerpt of `text` for an error message.
pub(crate) fn excerpt(text: &str, key: Option<&Secret>) -> String {
    let redacted = redact(text, key);
    let collapsed = redacted.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(EXCERPT_CHARS).collect();
    if collapsed.chars().count() > EXCERPT_CHARS {
        out.push('…');
    }
    out
}

/// `scheme://host[:port]/path` of `url`: no user info, no query string, no fragment.
pub(crate) fn display_url(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(p) => format!("{}://{host}:{p}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// `base` joined with the relative `path`, whether or not `base` ends with a slash.
pub(crate) fn join_url(base: &Url, path: &str) -> Url {
    let mut base = base.clone();
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    base.join(path.trim_start_matches('/'))
        .expect("a relative path joins onto an http(s) base")
}

/// 408, 429 and 5xx are retried; every other status is final.
fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500..=599)
}

/// Full-jitter exponential backoff before retry number `attempt` (1-based): a uniformly random
/// duration in `[0, min(cap, base · 2^(attempt-1))]`.
pub(crate) fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(30)));
    let ceiling = exp.min(cap).as_millis() as u64;
    Duration::from_millis(fastrand::u64(0..=ceiling))
}

/// `Retry-After` as delay seconds or an HTTP date (relative to `now`), capped at 60 s.
/// Unparseable values yield `None` (the computed backoff is used).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let wait = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(wait.min(RETRY_AFTER_CAP))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_dates_and_cap() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("600", now), Some(RETRY_AFTER_CAP));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(5)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_is_bounded_by_cap_and_exponent() {
        let base = Duration::from_millis(500);
        let cap = Duration::from_secs(30);
        for _ in 0..200 {
            assert!(backoff(1, base, cap) <= base);
            assert!(backoff(3, base, cap) <= Duration::from_secs(2));
            assert!(backoff(40, base, cap) <= cap);
        }
    }

    #[test]
    fn urls_join_with_and_without_slash_and_display_without_query() {
        let a = Url::parse("https://api.openai.com/v1").unwrap();
        let b = Url::parse("https://api.openai.com/v1/").unwrap();
        assert_eq!(
            join_url(&a, "chat/completions").as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            join_url(&a, "chat/completions"),
            join_url(&b, "/chat/completions")
        );
        let q = Url::parse("http://user:pw@localhost:8080/v1/x?key=abc").unwrap();
        assert_eq!(display_url(&q), "http://localhost:8080/v1/x");
    }

    #[test]
    fn excerpts_are_short_single_line_and_redacted() {
        let key = Secret::new("sk-secret-123".into());
        let body = format!("bad key\n  {}\n{}", key.expose(), "x".repeat(500));
        let e = excerpt(&body, Some(&key));
        assert!(e.starts_with("bad key [redacted] x"));
        assert!(!e.contains("sk-secret-123"));
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
    }
}

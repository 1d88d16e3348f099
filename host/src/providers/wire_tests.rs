//! Provider tests against loopback servers (wiremock) and local scripts: offline, deterministic.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::config::{ProviderConfig, ProviderKind};
use super::testutil::{provider_cfg, request};
use super::*;

const KEY: &str = "sk-test-0123456789-secret";

fn openai(server: &MockServer, cfg: impl FnOnce(&mut ProviderConfig)) -> openai::OpenAi {
    let mut c = provider_cfg(ProviderKind::Openai, &format!("{}/v1", server.uri()));
    c.api_key_env = Some("TEST_KEY".into());
    cfg(&mut c);
    openai::OpenAi::new("oai", &c, Some(Secret::new(KEY.into()))).unwrap()
}

fn openai_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "model": "gpt-test-2025",
        "choices": [{"message": {"role": "assistant", "content": "{\"ok\":true}"}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 5}
    }))
}

fn assert_no_key(e: &ProviderError) {
    assert!(!e.to_string().contains(KEY), "{e}");
    assert!(!format!("{e:?}").contains(KEY), "{e:?}");
}

#[tokio::test]
async fn openai_success_sends_model_system_first_json_mode_and_bearer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .respond_with(openai_ok())
        .expect(1)
        .mount(&server)
        .await;
    let p = openai(&server, |_| {});
    assert_eq!(p.name(), "oai");
    let resp = p.complete(&request("gpt-test", true)).await.unwrap();
    assert_eq!(resp.text, "{\"ok\":true}");
    assert_eq!(
        resp.usage,
        Usage {
            input_tokens: 12,
            output_tokens: 5
        }
    );
    assert_eq!(resp.model, "gpt-test-2025");
    assert_eq!(resp.attempts, 1);
    let reqs = server.received_requests().await.unwrap();
    let body: Value = reqs[0].body_json().unwrap();
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(body["messages"][0]["content"], "You are a reviewer.");
    assert_eq!(body["messages"][1]["role"], "user");
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
}

#[tokio::test]
async fn openai_without_key_json_off_and_missing_usage() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"content": "hi"}}]
        })))
        .mount(&server)
        .await;
    // Trailing slash on the base URL, no key, JSON mode off.
    let mut c = provider_cfg(ProviderKind::Openai, &format!("{}/v1/", server.uri()));
    c.json_mode = Some(config::JsonMode::Off);
    let p = openai::OpenAi::new("ollama", &c, None).unwrap();
    let resp = p.complete(&request("llama3", true)).await.unwrap();
    assert_eq!(resp.text, "hi");
    assert_eq!(resp.usage, Usage::default());
    assert_eq!(resp.model, "llama3");
    let reqs = server.received_requests().await.unwrap();
    assert!(!reqs[0].headers.contains_key("authorization"));
    let body: Value = reqs[0].body_json().unwrap();
    assert!(body.get("response_format").is_none());
}

#[tokio::test]
async fn anthropic_success_with_headers_and_text_blocks() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/messages"))
        .and(header("x-api-key", KEY))
        .and(header("anthropic-version", "2023-06-01"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "model": "claude-test",
            "content": [
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": "Hello, "},
                {"type": "text", "text": "world"}
            ],
            "usage": {"input_tokens": 30, "output_tokens": 7}
        })))
        .expect(2)
        .mount(&server)
        .await;
    // A base URL ending in /v1 is not doubled.
    for base in [server.uri(), format!("{}/v1/", server.uri())] {
        let c = provider_cfg(ProviderKind::Anthropic, &base);
        let p = anthropic::Anthropic::new("claude", &c, Some(Secret::new(KEY.into()))).unwrap();
        let resp = p.complete(&request("claude-x", true)).await.unwrap();
        assert_eq!(resp.text, "Hello, world");
        assert_eq!(resp.usage.total(), 37);
        assert_eq!(resp.model, "claude-test");
    }
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.url.path() == "/v1/messages"));
    let body: Value = reqs[0].body_json().unwrap();
    assert_eq!(body["system"], "You are a reviewer.");
    assert_eq!(body["model"], "claude-x");
    assert_eq!(body["max_tokens"], 100);
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Review this plan."}])
    );
}

#[tokio::test]
async fn retry_after_is_honoured_on_429() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(openai_ok())
        .mount(&server)
        .await;
    let p = openai(&server, |_| {});
    let t = Instant::now();
    let resp = p.complete(&request("m", false)).await.unwrap();
    assert!(t.elapsed() >= Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(resp.attempts, 2);
}

#[tokio::test]
async fn server_error_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(openai_ok())
        .mount(&server)
        .await;
    let resp = openai(&server, |_| {})
        .complete(&request("m", false))
        .await
        .unwrap();
    assert_eq!(resp.attempts, 2);
}

#[tokio::test]
async fn retries_exhausted_reports_status_attempts_and_hint() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string(format!("down, key={KEY}")))
        .mount(&server)
        .await;
    let err = openai(&server, |c| c.max_retries = Some(2))
        .complete(&request("m", false))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            ProviderError::Status {
                status: 503,
                attempts: 3,
                ..
            }
        ),
        "{msg}"
    );
    assert!(
        msg.contains("provider `oai`") && msg.contains("127.0.0.1"),
        "{msg}"
    );
    assert!(
        msg.contains("raise max_retries") && msg.contains("[redacted]"),
        "{msg}"
    );
    assert_no_key(&err);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn hung_server_times_out_naming_the_timeout() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let p = openai(&server, |c| {
        c.timeout_secs = Some(1.0);
        c.max_retries = Some(0);
    });
    let t = Instant::now();
    let err = p.complete(&request("m", false)).await.unwrap_err();
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
    let msg = err.to_string();
    assert!(
        matches!(err, ProviderError::Timeout { attempts: 1, .. }),
        "{msg}"
    );
    assert!(
        msg.contains("within 1 s") && msg.contains("raise timeout_secs"),
        "{msg}"
    );
}

#[tokio::test]
async fn malformed_json_and_missing_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>not json</html>"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"choices": []})))
        .mount(&server)
        .await;
    let p = openai(&server, |_| {});
    let err = p.complete(&request("m", false)).await.unwrap_err();
    assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
    assert!(err.to_string().contains("<html>not json</html>"), "{err}");
    let err = p.complete(&request("m", false)).await.unwrap_err();
    assert!(err.to_string().contains("choices[0].message"), "{err}");
    // Malformed answers are not retried.
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

/// What sloppy servers send when the model stopped early: `content: null`, a cut-off answer
/// (`finish_reason: length`, `stop_reason: max_tokens`), a refusal. They are answers, with
/// the reason, not malformed bodies (the engine decides what to do).
#[tokio::test]
async fn empty_cut_off_and_refused_answers_carry_the_stop_reason() {
    let server = MockServer::start().await;
    let reply = |content: Value, finish: Value| {
        ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": finish}]
        }))
    };
    for (i, (content, finish)) in [
        (Value::Null, json!("stop")),
        (json!("{\"title\": \"cut"), json!("length")),
        (json!("ok"), Value::Null),
    ]
    .into_iter()
    .enumerate()
    {
        Mock::given(method("POST"))
            .respond_with(reply(content, finish))
            .up_to_n_times(1)
            .with_priority(i as u8 + 1)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "choices": [{"message": {"content": null, "refusal": "I can't help with that."},
                         "finish_reason": "stop"}]
        })))
        .mount(&server)
        .await;
    let p = openai(&server, |_| {});
    let r = p.complete(&request("m", false)).await.unwrap();
    assert_eq!((r.text.as_str(), &r.stop), ("", &Stop::Done));
    let r = p.complete(&request("m", false)).await.unwrap();
    assert_eq!(r.stop, Stop::MaxTokens);
    let r = p.complete(&request("m", false)).await.unwrap();
    assert_eq!((r.text.as_str(), &r.stop), ("ok", &Stop::Done));
    let r = p.complete(&request("m", false)).await.unwrap();
    assert_eq!(
        r.stop,
        Stop::Other("refusal: I can't help with that.".into())
    );

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "content": [{"type": "text", "text": "{\"title\": \"cu"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 3, "output_tokens": 100}
        })))
        .mount(&server)
        .await;
    let c = provider_cfg(ProviderKind::Anthropic, &server.uri());
    let a = anthropic::Anthropic::new("claude", &c, None).unwrap();
    assert_eq!(
        a.complete(&request("m", false)).await.unwrap().stop,
        Stop::MaxTokens
    );
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_never_shows_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(format!("{{\"error\":\"invalid key {KEY}\"}}")),
        )
        .mount(&server)
        .await;
    let err = openai(&server, |_| {})
        .complete(&request("m", false))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProviderError::Status {
                status: 401,
                attempts: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("check $TEST_KEY"), "{err}");
    assert_no_key(&err);
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn connection_refused_is_retried_and_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = ProviderConfig {
        max_retries: Some(1),
        ..provider_cfg(
            ProviderKind::Openai,
            &format!("http://127.0.0.1:{port}/v1?k=q"),
        )
    };
    let p = openai::OpenAi::new("local", &c, None).unwrap();
    let err = p.complete(&request("m", false)).await.unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, ProviderError::Connection { attempts: 2, .. }),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("127.0.0.1:{port}")) && !msg.contains("k=q"),
        "{msg}"
    );
    assert!(msg.contains("check base_url"), "{msg}");
}

#[tokio::test]
async fn concurrency_limit_serialises_calls() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(openai_ok().set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let p = openai(&server, |c| c.concurrency = Some(1));
    let req = request("m", false);
    let t = Instant::now();
    let results = futures::future::join_all((0..4).map(|_| p.complete(&req))).await;
    assert!(results.iter().all(Result::is_ok));
    // Four 200 ms calls that never overlap take at least 800 ms.
    assert!(
        t.elapsed() >= Duration::from_millis(790),
        "{:?}",
        t.elapsed()
    );

    let p = openai(&server, |c| c.concurrency = Some(4));
    let t = Instant::now();
    let results = futures::future::join_all((0..4).map(|_| p.complete(&req))).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(
        t.elapsed() < Duration::from_millis(790),
        "{:?}",
        t.elapsed()
    );
}

/// Writes an executable script into `dir` (run directly through its shebang, no `sh -c`).
fn script(dir: &std::path::Path, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p.to_string_lossy().into_owned()
}

fn command(argv: Vec<String>, timeout: f64, scrub: &[&str]) -> command::CommandProvider {
    let mut c = ProviderConfig::new(ProviderKind::Command);
    c.command = Some(argv);
    c.timeout_secs = Some(timeout);
    command::CommandProvider::new("shell", &c, scrub.iter().map(|s| s.to_string()).collect())
        .unwrap()
}

#[tokio::test]
async fn command_echoes_prompt_with_estimated_usage() {
    let p = command(vec!["cat".into()], 5.0, &[]);
    let mut req = request("mymodel", false);
    req.messages.push(ChatMessage {
        role: ChatRole::Assistant,
        content: "draft".into(),
    });
    let resp = p.complete(&req).await.unwrap();
    assert_eq!(
        resp.text,
        "You are a reviewer.\n\n### User\nReview this plan.\n\n### Assistant\ndraft\n\n"
    );
    assert_eq!(
        resp.usage.input_tokens,
        command::estimate_tokens(&resp.text)
    );
    assert_eq!(resp.usage.output_tokens, resp.usage.input_tokens);
    assert_eq!((resp.model.as_str(), resp.attempts), ("mymodel", 1));
}

#[tokio::test]
async fn command_gets_model_and_a_scrubbed_environment() {
    let dir = tempfile::tempdir().unwrap();
    let s = script(
        dir.path(),
        "env.sh",
        "cat >/dev/null; echo \"arg=$1 model=$ANNEAL_MODEL home=${HOME:-unset}\"",
    );
    let p = command(vec![s, "{model}".into()], 5.0, &["HOME"]);
    let resp = p.complete(&request("m1", false)).await.unwrap();
    assert_eq!(resp.text.trim(), "arg=m1 model=m1 home=unset");
}

#[tokio::test]
async fn command_timeout_and_failure() {
    let dir = tempfile::tempdir().unwrap();
    let slow = script(dir.path(), "slow.sh", "exec sleep 5");
    let t = Instant::now();
    let err = command(vec![slow], 0.3, &[])
        .complete(&request("m", false))
        .await
        .unwrap_err();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    assert!(matches!(err, ProviderError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains("raise timeout_secs"), "{err}");

    let bad = script(dir.path(), "bad.sh", "echo 'model not found' >&2; exit 3");
    let err = command(vec![bad], 5.0, &[])
        .complete(&request("m", false))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ProviderError::Command { .. }), "{msg}");
    assert!(
        msg.contains("model not found") && msg.contains('3'),
        "{msg}"
    );

    let err = command(vec!["/nonexistent/llm-xyz".into()], 5.0, &[])
        .complete(&request("m", false))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("cannot start"), "{err}");

    let quiet = script(dir.path(), "quiet.sh", "cat >/dev/null");
    let err = command(vec![quiet], 5.0, &[])
        .complete(&request("m", false))
        .await
        .unwrap_err();
    assert!(matches!(err, ProviderError::Malformed { .. }), "{err}");
}

#[tokio::test]
async fn providers_from_config_build_every_kind() {
    let mut cfg = config::ModelConfig::default();
    cfg.providers.insert(
        "claude".into(),
        ProviderConfig::new(ProviderKind::Anthropic),
    );
    let mut local = ProviderConfig::new(ProviderKind::Openai);
    local.base_url = Some("http://localhost:11434/v1".into());
    cfg.providers.insert("ollama".into(), local);
    let mut sh = ProviderConfig::new(ProviderKind::Command);
    sh.command = Some(vec!["cat".into()]);
    cfg.providers.insert("shell".into(), sh);
    // Nothing routes to claude yet: its key may be unset, and it is left out.
    let no_env = config::EnvSource::map::<&str, &str>([]);
    let ps = Providers::from_config_with_env(&cfg, &no_env).unwrap();
    assert_eq!(ps.names(), vec!["ollama", "shell"]);
    cfg.categories.insert(
        "deep".into(),
        config::Route {
            provider: "claude".into(),
            model: "m".into(),
            max_tokens: None,
        },
    );
    let err = Providers::from_config_with_env(&cfg, &no_env).unwrap_err();
    assert!(err.to_string().contains("$ANTHROPIC_API_KEY"), "{err}");
    let env = config::EnvSource::map([("ANTHROPIC_API_KEY", KEY)]);
    let ps = Providers::from_config_with_env(&cfg, &env).unwrap();
    assert_eq!(ps.names(), vec!["claude", "ollama", "shell"]);
    assert_eq!(ps.get("shell").unwrap().name(), "shell");
    // A key with a newline cannot go into a header: the error names the variable only.
    let env = config::EnvSource::map([("ANTHROPIC_API_KEY", "sk-a\nb-secret")]);
    let err = Providers::from_config_with_env(&cfg, &env).unwrap_err();
    assert!(
        err.to_string().contains("$ANTHROPIC_API_KEY") && !err.to_string().contains("b-secret")
    );
}

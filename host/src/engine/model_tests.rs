//! The model engine against loopback servers that answer the way real providers do when things
//! go wrong: an answer cut at `max_tokens`, `content: null`, an extra key in every review, a
//! server that never answers.
use super::*;
use crate::engine::Budget;
use crate::events::Events;
use crate::providers::config::{EnvSource, ProviderConfig, ProviderKind, Route};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers from a script, one per request (the last one repeats), and keeps the bodies.
struct Script {
    answers: Mutex<Vec<ResponseTemplate>>,
    bodies: Arc<Mutex<Vec<Value>>>,
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.bodies
            .lock()
            .unwrap()
            .push(serde_json::from_slice(&req.body).unwrap_or(Value::Null));
        let mut a = self.answers.lock().unwrap();
        if a.len() > 1 {
            a.remove(0)
        } else {
            a[0].clone()
        }
    }
}

/// An OpenAI-style body with `content` (a string, or `null`) and `finish_reason`.
fn openai(content: Value, finish: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5}
    }))
}

fn review(extra: bool) -> Value {
    let mut v = json!({"verdict": "SAFE", "summary": "Nothing to report.", "findings": []});
    if extra {
        v["confidence"] = json!(0.97);
    }
    Value::String(v.to_string())
}

struct Setup {
    engine: ModelEngine,
    tally: Tally,
    bodies: Arc<Mutex<Vec<Value>>>,
    _server: MockServer,
}

/// A model engine whose every category routes to a scripted OpenAI-compatible server, with a
/// category `max_tokens` of `route_max` under a provider cap of `cap`.
async fn setup(
    answers: Vec<ResponseTemplate>,
    route_max: Option<u32>,
    cap: u32,
    budget: Budget,
) -> Setup {
    let server = MockServer::start().await;
    let bodies = Arc::new(Mutex::new(Vec::new()));
    Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Script {
            answers: Mutex::new(answers),
            bodies: bodies.clone(),
        })
        .mount(&server)
        .await;
    let mut p = ProviderConfig::new(ProviderKind::Openai);
    p.base_url = Some(format!("{}/v1", server.uri()));
    p.max_tokens = Some(cap);
    p.max_retries = Some(0);
    p.timeout_secs = Some(30.0);
    let mut config = ModelConfig::default();
    config.providers.insert("fake".into(), p);
    for c in ["ultrabrain", "deep", "quick"] {
        config.categories.insert(
            c.into(),
            Route {
                provider: "fake".into(),
                model: "m".into(),
                max_tokens: route_max,
            },
        );
    }
    let providers =
        Providers::from_config_with_env(&config, &EnvSource::map::<&str, &str>([])).unwrap();
    let engine = ModelEngine::new(config, providers, Prompts::embedded().unwrap());
    let tally = Tally::with_budget(Arc::new(Events::default()), Duration::ZERO, budget);
    Setup {
        engine,
        tally,
        bodies,
        _server: server,
    }
}

async fn ask_review(s: &Setup) -> Result<Answer<crate::model::Envelope>, AgentError> {
    let input = AgentInput {
        run_id: "run-1",
        task: "Add a flag",
        ..Default::default()
    };
    s.engine
        .ask(&s.tally, "redteam-scope", None, 1, &input, |v, t, m| {
            adapters::parse_review(v, "redteam-scope", "run-1", None, m, t)
        })
        .await
}

#[tokio::test]
async fn an_answer_cut_at_max_tokens_is_asked_again_with_a_larger_limit() {
    let s = setup(
        vec![
            openai(json!("{\"verdict\": \"SA"), "length"),
            openai(review(false), "stop"),
        ],
        Some(1000),
        4000,
        Budget::default(),
    )
    .await;
    let a = ask_review(&s).await.unwrap();
    assert!(a.value.is_ok(), "{:?}", a.value.err());
    let bodies = s.bodies.lock().unwrap();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["max_tokens"], 1000);
    assert_eq!(bodies[1]["max_tokens"], 2000);
    assert_eq!(s.tally.spawns().values().sum::<u32>(), 1, "one spawn");
    let events = s.tally.events.jsonl();
    assert!(
        events.contains("asked again with max_tokens 2000"),
        "{events}"
    );
}

#[tokio::test]
async fn an_answer_cut_at_the_providers_cap_says_what_happened_and_which_key_to_raise() {
    let s = setup(
        vec![openai(json!("{\"verdict\": \"SA"), "length")],
        None,
        4000,
        Budget::default(),
    )
    .await;
    let e = ask_review(&s).await.err().expect("an error").to_string();
    assert!(
        e.contains("was cut off at its output limit of 4000 tokens"),
        "{e}"
    );
    assert!(e.contains("raise providers.fake.max_tokens"), "{e}");
    assert!(
        !e.contains("missing"),
        "not reported as a malformed answer: {e}"
    );
    assert_eq!(s.bodies.lock().unwrap().len(), 1, "no retry at the cap");
}

#[tokio::test]
async fn an_empty_answer_is_asked_again_then_reported_as_empty_not_as_a_wrong_url() {
    let s = setup(
        vec![openai(Value::Null, "stop")],
        None,
        4000,
        Budget::default(),
    )
    .await;
    let e = ask_review(&s).await.err().expect("an error").to_string();
    assert!(e.contains("returned an empty answer twice"), "{e}");
    assert!(!e.contains("check that base_url points"), "{e}");
    assert_eq!(s.bodies.lock().unwrap().len(), 2);
    // Once empty, then a real answer: fine.
    let s = setup(
        vec![openai(Value::Null, "stop"), openai(review(false), "stop")],
        None,
        4000,
        Budget::default(),
    )
    .await;
    assert!(ask_review(&s).await.unwrap().value.is_ok());
}

#[tokio::test]
async fn a_review_with_an_unknown_key_is_read_and_the_key_recorded() {
    let s = setup(
        vec![openai(review(true), "stop")],
        None,
        4000,
        Budget::default(),
    )
    .await;
    let a = ask_review(&s).await.unwrap();
    let e = a.value.expect("the review is read");
    assert_eq!(e.verdict, crate::model::Verdict::Safe);
    assert_eq!(s.bodies.lock().unwrap().len(), 1, "no repair needed");
    let events = s.tally.events.jsonl();
    assert!(
        events.contains("ignored keys the answer format does not have: /confidence"),
        "{events}"
    );
}

#[tokio::test]
async fn a_hung_provider_is_cut_at_the_runs_deadline_naming_it() {
    let s = setup(
        vec![openai(review(false), "stop").set_delay(Duration::from_secs(20))],
        None,
        4000,
        Budget {
            deadline_secs: Some(1),
            ..Budget::default()
        },
    )
    .await;
    let started = std::time::Instant::now();
    let e = ask_review(&s).await.err().expect("an error");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(e, AgentError::Budget(_)), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("deadline of 1 s for agent calls passed"), "{e}");
    assert!(e.contains("waiting for fake/m"), "{e}");
    assert!(e.contains("budget.deadline_secs"), "{e}");
}

//! A fake model provider on loopback (wiremock), speaking the OpenAI chat-completions or the
//! Anthropic Messages protocol. It answers every agent role of docs/design.md §2 with a valid answer
//! (the plan is `tests/fixtures/model-answers/rate-limit-plan.json`), scripts Momus's scores,
//! injects faults (HTTP statuses with `Retry-After`, hangs, malformed bodies, invalid answers)
//! and records every request so tests can assert what the host sent.
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    Anthropic,
}

/// How answers are wrapped, as model families do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrap {
    Plain,
    /// `<think>…</think>` then prose and a ```json fence.
    ThinkFence,
}

#[derive(Clone, Debug)]
pub enum FaultKind {
    /// An HTTP status, with an optional `Retry-After` in seconds.
    Status(u16, Option<u32>),
    /// Answer only after this long (a hung connection for a short client timeout).
    Hang(Duration),
    /// A 200 whose body is not JSON.
    MalformedBody,
    /// A 200 with an answer that is JSON but not a valid answer for the role.
    InvalidAnswer,
    /// The role's answer with one key its format does not have (`confidence`), in the answer
    /// and in every finding, as some models add.
    ExtraKey,
    /// The first half of the role's answer, reported as cut at the output-token limit
    /// (`finish_reason: length` / `stop_reason: max_tokens`).
    Truncated,
    /// No text: OpenAI `content: null`, an Anthropic empty `content`.
    Empty,
}

#[derive(Clone, Debug)]
pub struct Fault {
    /// Role the fault applies to (`None` = any).
    pub role: Option<String>,
    pub kind: FaultKind,
    /// How many matching requests get it.
    pub times: u32,
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub model: String,
    pub role: String,
    pub system: String,
    /// Every user turn, joined.
    pub user: String,
    /// `Authorization` or `x-api-key` header value.
    pub auth: String,
    /// True for a repair request (a second user turn).
    pub repair: bool,
    pub json_mode: bool,
    /// The request's `max_tokens`.
    pub max_tokens: u64,
    pub at: std::time::Instant,
}

struct State {
    protocol: Protocol,
    wrap: Wrap,
    faults: Mutex<Vec<Fault>>,
    scores: Mutex<VecDeque<u8>>,
    last_score: Mutex<u8>,
    seen: Mutex<Vec<Seen>>,
    plan: Value,
    /// Services an Alloy lens's planner adds to the plan's dependencies (lens, service).
    lens_services: Mutex<Vec<(String, String)>>,
    /// Metis's directives (a default one when `None`).
    directives: Mutex<Option<Vec<String>>>,
}

pub struct FakeModel {
    pub server: MockServer,
    state: Arc<State>,
}

impl FakeModel {
    /// Starts the server. Momus scores `scores` in order (then repeats the last; 95 when empty).
    pub async fn start(
        protocol: Protocol,
        wrap: Wrap,
        scores: &[u8],
        faults: Vec<Fault>,
    ) -> FakeModel {
        let plan_path = super::root().join("tests/fixtures/model-answers/rate-limit-plan.json");
        let plan: Value =
            serde_json::from_str(&std::fs::read_to_string(plan_path).unwrap()).unwrap();
        let state = Arc::new(State {
            protocol,
            wrap,
            faults: Mutex::new(faults),
            scores: Mutex::new(scores.iter().copied().collect()),
            last_score: Mutex::new(95),
            seen: Mutex::new(Vec::new()),
            plan,
            lens_services: Mutex::new(Vec::new()),
            directives: Mutex::new(None),
        });
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(Responder(state.clone()))
            .mount(&server)
            .await;
        FakeModel { server, state }
    }

    /// Base URL for the configuration (`/v1` for OpenAI, the root for Anthropic).
    pub fn base_url(&self) -> String {
        match self.state.protocol {
            Protocol::OpenAi => format!("{}/v1", self.server.uri()),
            Protocol::Anthropic => self.server.uri(),
        }
    }

    /// A configuration file routing each category to its own model on this server.
    pub fn config_yaml(&self, key_env: &str, timeout_secs: f64, max_retries: u32) -> String {
        let kind = match self.state.protocol {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
        };
        format!(
            "providers:\n  fake:\n    kind: {kind}\n    base_url: {}\n    api_key_env: {key_env}\n    timeout_secs: {timeout_secs}\n    max_retries: {max_retries}\n    backoff_base_ms: 10\n    backoff_cap_ms: 50\ncategories:\n  ultrabrain: {{ provider: fake, model: big-model }}\n  deep: {{ provider: fake, model: mid-model }}\n  quick: {{ provider: fake, model: small-model }}\n",
            self.base_url()
        )
    }

    /// The planner for Alloy lens `lens` declares `service` besides the plan's own services.
    pub fn lens_declares(&self, lens: &str, service: &str) {
        self.state
            .lens_services
            .lock()
            .unwrap()
            .push((lens.to_string(), service.to_string()));
    }

    /// Metis answers with these directives.
    pub fn metis_directives(&self, directives: &[&str]) {
        *self.state.directives.lock().unwrap() =
            Some(directives.iter().map(|d| d.to_string()).collect());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    pub fn seen_role(&self, role: &str) -> Vec<Seen> {
        self.seen().into_iter().filter(|s| s.role == role).collect()
    }

    /// A test that can be moved to another thread: has a request of `role` arrived yet?
    pub fn has_seen(&self, role: &str) -> impl Fn() -> bool + Send + 'static {
        let (state, role) = (self.state.clone(), role.to_string());
        move || state.seen.lock().unwrap().iter().any(|s| s.role == role)
    }
}

struct Responder(Arc<State>);

fn role_of(user: &str) -> String {
    user.split_once("You are acting as `")
        .and_then(|(_, rest)| rest.split_once('`'))
        .map(|(r, _)| r.to_string())
        .unwrap_or_else(|| "unknown".into())
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let st = &self.0;
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        let users: Vec<String> = messages
            .iter()
            .filter(|m| m["role"] == "user")
            .map(|m| m["content"].as_str().unwrap_or("").to_string())
            .collect();
        let system = match st.protocol {
            Protocol::OpenAi => messages
                .iter()
                .find(|m| m["role"] == "system")
                .and_then(|m| m["content"].as_str())
                .unwrap_or("")
                .to_string(),
            Protocol::Anthropic => body["system"].as_str().unwrap_or("").to_string(),
        };
        let role = role_of(users.first().map(String::as_str).unwrap_or(""));
        let header = |h: &str| {
            req.headers
                .get(h)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        st.seen.lock().unwrap().push(Seen {
            path: req.url.path().to_string(),
            model: body["model"].as_str().unwrap_or("").to_string(),
            role: role.clone(),
            system,
            user: users.join("\n"),
            auth: format!("{}{}", header("authorization"), header("x-api-key")),
            repair: users.len() > 1,
            json_mode: body.get("response_format").is_some(),
            max_tokens: body["max_tokens"].as_u64().unwrap_or(0),
            at: std::time::Instant::now(),
        });
        let fault = {
            let mut faults = st.faults.lock().unwrap();
            faults
                .iter_mut()
                .find(|f| f.times > 0 && f.role.as_deref().is_none_or(|r| r == role))
                .map(|f| {
                    f.times -= 1;
                    f.kind.clone()
                })
        };
        let answer = match fault {
            Some(FaultKind::Status(code, retry_after)) => {
                let mut t = ResponseTemplate::new(code)
                    .set_body_json(json!({"error": {"message": "fake fault"}}));
                if let Some(s) = retry_after {
                    t = t.insert_header("retry-after", s.to_string().as_str());
                }
                return t;
            }
            Some(FaultKind::MalformedBody) => {
                return ResponseTemplate::new(200)
                    .set_body_string("{\"choices\": [ this is not json");
            }
            Some(FaultKind::Hang(d)) => {
                return self.wrap_answer(&self.answer(&role, "")).set_delay(d);
            }
            Some(FaultKind::InvalidAnswer) => json!({"verdict": "SAFE"}).to_string(),
            Some(FaultKind::ExtraKey) => {
                let answer = self.answer(&role, users.first().map(String::as_str).unwrap_or(""));
                let mut v: Value = serde_json::from_str(&answer).unwrap();
                v["confidence"] = json!(0.9);
                if let Some(findings) = v.get_mut("findings").and_then(Value::as_array_mut) {
                    for f in findings {
                        f["confidence"] = json!("high");
                    }
                }
                v.to_string()
            }
            Some(FaultKind::Truncated) => {
                let answer = self.answer(&role, users.first().map(String::as_str).unwrap_or(""));
                let cut: String = answer.chars().take(answer.chars().count() / 2).collect();
                return self.body(&cut, "length", "max_tokens");
            }
            Some(FaultKind::Empty) => return self.body("", "stop", "end_turn"),
            None => self.answer(&role, users.first().map(String::as_str).unwrap_or("")),
        };
        self.wrap_answer(&answer)
    }
}

impl Responder {
    fn answer(&self, role: &str, user: &str) -> String {
        let st = &self.0;
        let directives = st.directives.lock().unwrap().clone().unwrap_or_else(|| {
            vec!["Keep the login endpoint's response format unchanged for existing clients.".into()]
        });
        let lens = user
            .split_once("<lens>\nname: ")
            .map(|(_, rest)| rest.split('\n').next().unwrap_or("").trim().to_string());
        let v = match role {
            "intent-gate" => json!({"task_kind": "feature", "clear": true,
                "reasons": ["adds a capability to an existing endpoint"], "questions": []}),
            "metis" => json!({"verdict": "SAFE", "summary": "The task is clear; one directive.",
                "findings": [], "directives": directives, "clarifying_questions": []}),
            r if r.starts_with("prometheus-") || r == "synthesizer" => {
                let mut plan = st.plan.clone();
                for (l, service) in st.lens_services.lock().unwrap().iter() {
                    if lens.as_deref() == Some(l.as_str()) {
                        plan["dependencies"]["services"]
                            .as_array_mut()
                            .unwrap()
                            .push(json!(service));
                    }
                }
                plan
            }
            "momus" => {
                let score = {
                    let mut q = st.scores.lock().unwrap();
                    let mut last = st.last_score.lock().unwrap();
                    if let Some(s) = q.pop_front() {
                        *last = s;
                    }
                    *last
                };
                let (verdict, findings) = match score {
                    85.. => ("SAFE", json!([])),
                    70..=84 => (
                        "CAUTION",
                        json!([{"severity": "medium", "location": "plan/plan.md",
                        "concern": "The success criteria of the limiter phase are not all measurable.",
                        "demand": "State the limit and the window as numbers in the success criteria."}]),
                    ),
                    _ => (
                        "RISKY",
                        json!([{"severity": "high", "location": "plan/plan.md",
                        "concern": "The plan has no rollback for the limiter.",
                        "demand": "Write the rollback of the limiter phase."}]),
                    ),
                };
                json!({"verdict": verdict, "score": score, "summary": format!("Score {score}/100."),
                    "findings": findings})
            }
            _ => {
                json!({"verdict": "SAFE", "summary": format!("{role}: nothing to report."), "findings": []})
            }
        };
        v.to_string()
    }

    fn wrap_answer(&self, answer: &str) -> ResponseTemplate {
        let st = &self.0;
        let text = match st.wrap {
            Wrap::Plain => answer.to_string(),
            Wrap::ThinkFence => format!(
                "<think>\nThe user wants JSON. {{\"not\": \"this\"}} Let me think.\n</think>\nHere is my answer:\n```json\n{answer}\n```\nDone."
            ),
        };
        self.body(&text, "stop", "end_turn")
    }

    /// A 200 body of the protocol with `text` (empty: OpenAI `content: null`, no Anthropic
    /// block) and the stop reason of each protocol.
    fn body(&self, text: &str, finish_reason: &str, stop_reason: &str) -> ResponseTemplate {
        let body = match self.0.protocol {
            Protocol::OpenAi => json!({
                "id": "chatcmpl-fake", "object": "chat.completion", "model": "fake",
                "choices": [{"index": 0, "message": {"role": "assistant",
                    "content": if text.is_empty() { Value::Null } else { json!(text) }},
                    "finish_reason": finish_reason}],
                "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
            }),
            Protocol::Anthropic => json!({
                "id": "msg_fake", "type": "message", "role": "assistant", "model": "fake",
                "content": if text.is_empty() { json!([]) } else { json!([{"type": "text", "text": text}]) },
                "stop_reason": stop_reason,
                "usage": {"input_tokens": 1000, "output_tokens": 200}
            }),
        };
        ResponseTemplate::new(200).set_body_json(body)
    }
}

//! Real models, end to end (docs/design.md §7, docs/design.md §3 invariants 4, 7, 8): the real binary runs the full
//! pipeline with every agent role answered by a fake model on loopback, speaking the OpenAI and
//! the Anthropic protocols; Temper's convergence reasons through the real loop on scripted
//! Momus scores; provider faults; the run budget; and a fake key that must not leak.
use crate::common;
use common::fake_model::{FakeModel, Fault, FaultKind, Protocol, Wrap};
use common::*;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

const TASK: &str = "Add rate limiting to the login endpoint";
const KEY_ENV: &str = "ANNEAL_TEST_FAKE_KEY";
const KEY: &str = "sk-anneal-fake-9f8e7d6c5b4a-DO-NOT-LEAK";
const SKILL_MARKER: &str = "SKILL-MARKER-7731: check every new endpoint for authz bypass";

/// A scratch fixture repository with a model configuration and a home holding one user skill.
struct ModelRun {
    scratch: Scratch,
}

impl ModelRun {
    fn new(fake: &FakeModel, timeout_secs: f64, max_retries: u32) -> ModelRun {
        let scratch = Scratch::new();
        let root = scratch.dir.path();
        std::fs::write(
            root.join("models.yaml"),
            fake.config_yaml(KEY_ENV, timeout_secs, max_retries),
        )
        .unwrap();
        let skill = root.join("home/.claude/skills/security-review");
        std::fs::create_dir_all(&skill).unwrap();
        std::fs::write(
            skill.join("SKILL.md"),
            format!("---\nname: security-review\ndescription: Review changes for security holes\n---\n{SKILL_MARKER}\n"),
        )
        .unwrap();
        std::fs::create_dir_all(root.join("xdg")).unwrap();
        ModelRun { scratch }
    }

    fn home(&self) -> PathBuf {
        self.scratch.dir.path().join("home")
    }

    /// The arguments of a run with the model configuration, then `args`.
    fn args(&self, args: &[&str]) -> Vec<String> {
        let root = self.scratch.dir.path();
        let mut full: Vec<String> = vec![
            "--repo".into(),
            self.scratch.repo().display().to_string(),
            "--out".into(),
            self.scratch.runs().display().to_string(),
            "--config".into(),
            root.join("models.yaml").display().to_string(),
            "--quiet".into(),
        ];
        full.extend(args.iter().map(|s| s.to_string()));
        full
    }

    /// The key, HOME and XDG_CONFIG_HOME of a run.
    fn env(&self) -> [(&'static str, String); 3] {
        let root = self.scratch.dir.path();
        [
            (KEY_ENV, KEY.to_string()),
            ("HOME", self.home().display().to_string()),
            ("XDG_CONFIG_HOME", root.join("xdg").display().to_string()),
        ]
    }

    /// Runs anneal with the model configuration, in a blocking thread (the fake serves on its own).
    async fn anneal(&self, args: &[&str]) -> Output {
        let (full, env) = (self.args(args), self.env());
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            anneal(&full, &env)
        })
        .await
        .unwrap()
    }

    /// The run directory whose id is printed in `out`.
    fn run_of(&self, out: &Output) -> PathBuf {
        let text = stdout(out);
        let id = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("run "))
            .unwrap_or_else(|| panic!("no run id in:\n{text}\n{}", stderr(out)))
            .trim();
        self.scratch.runs().join(id)
    }
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn show(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    )
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The common contract of docs/design.md §8 holds, and the agents were the models.
fn check_contract(run: &Path, strategy: &str) {
    let r = rollup(run);
    assert_eq!(r["emission_decision"], "EMIT", "{r:?}");
    assert!(
        r["agents"].as_str().unwrap().starts_with("models ("),
        "{r:?}"
    );
    assert!(r["accounting"]["tokens"].as_u64().unwrap() > 0);
    for f in [
        "plan/plan.md",
        "reviews/metis.yaml",
        "reviews/momus.yaml",
        "reviews/redteam-security.yaml",
        "reviews/redteam-scope.yaml",
        "reviews/redteam-assumptions.yaml",
        "reviews/oracle.yaml",
        "reviews/hephaestus.yaml",
        "probe-report.yaml",
        "events.jsonl",
    ] {
        assert!(run.join(f).exists(), "{f} missing in {}", run.display());
    }
    let xml = std::fs::read_dir(run)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with(&format!("{strategy}-")) && n.ends_with(".xml"))
        .expect("the XML prompt");
    let xml = std::fs::read_to_string(run.join(xml)).unwrap();
    assert!(
        xml.contains("security-review"),
        "the XML lists the injected skill"
    );
    let momus = envelope(run, "reviews/momus.yaml");
    assert_eq!(momus.metadata.reviewer_model, "fake/big-model");
    assert!(momus.metadata.token_cost > 0);
    let red = envelope(run, "reviews/redteam-scope.yaml");
    assert_eq!(red.metadata.reviewer_model, "fake/mid-model");
}

/// What the host sent: each role on its category's model, the probe report, the directives and
/// the skills in the prompts.
fn check_requests(fake: &FakeModel, json_mode: bool) {
    let seen = fake.seen();
    assert!(!seen.is_empty());
    for s in &seen {
        let want = match s.role.as_str() {
            "intent-gate" => "small-model",
            "metis" | "momus" | "oracle" => "big-model",
            _ => "mid-model",
        };
        assert_eq!(s.model, want, "role {} used {}", s.role, s.model);
        assert!(s.auth.contains(KEY), "the key is sent to the provider");
        assert!(
            !s.system.is_empty(),
            "the role's prompt is the system prompt"
        );
        assert_eq!(s.json_mode, json_mode, "JSON mode for {}", s.role);
    }
    let planner = seen
        .iter()
        .find(|s| s.role.starts_with("prometheus-"))
        .expect("a planner was asked");
    assert!(planner.user.contains("<probe_report>"), "{}", planner.user);
    assert!(planner.user.contains("make test"));
    assert!(planner
        .user
        .contains("Keep the login endpoint's response format unchanged"));
    let security = fake.seen_role("redteam-security");
    assert!(!security.is_empty());
    assert!(security.iter().all(|s| s.user.contains(SKILL_MARKER)));
    assert!(fake
        .seen_role("redteam-scope")
        .iter()
        .all(|s| !s.user.contains(SKILL_MARKER)));
}

async fn three_strategies(protocol: Protocol, wrap: Wrap) {
    if nested() {
        return;
    }
    for args in [
        vec!["--strategy", "cast", TASK],
        vec!["--strategy", "alloy", "--versions", "3", TASK],
        vec!["--strategy", "temper", "--depth", "2", TASK],
    ] {
        let fake = FakeModel::start(protocol, wrap, &[], Vec::new()).await;
        let m = ModelRun::new(&fake, 10.0, 2);
        let out = m.anneal(&args).await;
        assert_eq!(code(&out), 0, "{args:?}\n{}", show(&out));
        let run = m.run_of(&out);
        check_contract(&run, args[1]);
        check_requests(&fake, protocol == Protocol::OpenAi);
        match args[1] {
            "alloy" => {
                assert_eq!(fake.seen_role("prometheus-alloy").len(), 3);
                assert!(run.join("variants/variant-3-defensive.md").exists());
                let lens = fake.seen_role("prometheus-alloy");
                assert!(lens.iter().any(|s| s.user.contains("<lens")));
            }
            "temper" => assert!(run.join("depth-history.json").exists()),
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openai_protocol_runs_cast_alloy_and_temper() {
    three_strategies(Protocol::OpenAi, Wrap::Plain).await;
}

/// Anthropic's protocol, with every answer wrapped in reasoning tags, prose and a fence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_protocol_with_reasoning_tags_and_fences() {
    three_strategies(Protocol::Anthropic, Wrap::ThinkFence).await;
}

async fn temper_on(scores: &[u8], args: &[&str]) -> serde_yaml::Value {
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, scores, Vec::new()).await;
    let m = ModelRun::new(&fake, 10.0, 2);
    let mut full = vec!["--strategy", "temper"];
    full.extend_from_slice(args);
    full.push(TASK);
    let out = m.anneal(&full).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    rollup(&m.run_of(&out))
}

fn depth_and_reason(r: &serde_yaml::Value) -> (u64, String) {
    (
        r["depth_final"].as_u64().unwrap(),
        r["convergence_reason"].as_str().unwrap().to_string(),
    )
}

/// docs/design.md §2's worked examples, scored by the (fake) model's Momus through the real Temper loop
/// and the bundled convergence checker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temper_converges_for_each_reason_through_the_real_loop() {
    if nested() {
        return;
    }
    // [72, 81, 87, 86, 87]: top three 87, 87, 86 → variance 0.22 at depth 4.
    let r = temper_on(&[72, 81, 87, 86, 87], &["--depth", "5"]).await;
    assert_eq!(depth_and_reason(&r), (4, "variance".into()), "{r:?}");
    let scores: Vec<f64> = r["depth_scores"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(scores, [72.0, 81.0, 87.0, 86.0, 87.0]);
    // [70, 74, 80, 80]: delta 0 at depth 3.
    let r = temper_on(&[70, 74, 80, 80], &["--depth", "5"]).await;
    assert_eq!(depth_and_reason(&r), (3, "delta".into()), "{r:?}");
    // [80, 83, 86, 89] with cap 3: neither rule holds → cap at depth 3.
    let r = temper_on(&[80, 83, 86, 89], &["--depth", "3"]).await;
    assert_eq!(depth_and_reason(&r), (3, "cap".into()), "{r:?}");
}

/// The loose preset (docs/design.md §2's second wording) exits shallower than strict on the same scores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loose_preset_exits_shallower_than_strict_on_the_same_scores() {
    if nested() {
        return;
    }
    let scores = [90, 91, 93, 94];
    let strict = temper_on(&scores, &["--depth", "3"]).await;
    assert_eq!(depth_and_reason(&strict), (3, "cap".into()), "{strict:?}");
    let loose = temper_on(&scores, &["--depth", "3", "--convergence-preset", "loose"]).await;
    assert_eq!(depth_and_reason(&loose), (1, "delta".into()), "{loose:?}");
}

async fn cast_with_faults(
    faults: Vec<Fault>,
    timeout_secs: f64,
    retries: u32,
) -> (FakeModel, ModelRun, Output) {
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], faults).await;
    let m = ModelRun::new(&fake, timeout_secs, retries);
    let out = m.anneal(&["--strategy", "cast", TASK]).await;
    (fake, m, out)
}

fn fault(role: &str, kind: FaultKind, times: u32) -> Fault {
    Fault {
        role: Some(role.into()),
        kind,
        times,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_429_is_honoured() {
    if nested() {
        return;
    }
    let (fake, _m, out) = cast_with_faults(
        vec![fault("metis", FaultKind::Status(429, Some(1)), 1)],
        10.0,
        2,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let metis = fake.seen_role("metis");
    assert_eq!(metis.len(), 2, "one 429, one retry");
    assert!(metis[1].at.duration_since(metis[0].at) >= Duration::from_millis(950));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_then_success_is_retried() {
    if nested() {
        return;
    }
    let (fake, _m, out) = cast_with_faults(
        vec![fault("momus", FaultKind::Status(500, None), 1)],
        10.0,
        2,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(fake.seen_role("momus").len(), 2);
}

/// A provider that never answers in time: the run ends with an error naming the timeout, the
/// run directory is consistent (rollup written, error recorded).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hung_connection_times_out_with_a_clear_error() {
    if nested() {
        return;
    }
    let (_fake, m, out) = cast_with_faults(
        vec![fault(
            "intent-gate",
            FaultKind::Hang(Duration::from_secs(5)),
            10,
        )],
        1.0,
        0,
    )
    .await;
    assert_eq!(code(&out), 5, "{}", show(&out));
    let text = show(&out);
    assert!(text.contains("within 1 s"), "{text}");
    let r = rollup(&m.run_of(&out));
    assert!(
        r["error"].as_str().unwrap().contains("intent-gate"),
        "{r:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_response_body_ends_the_run_clearly() {
    if nested() {
        return;
    }
    let (_fake, m, out) =
        cast_with_faults(vec![fault("metis", FaultKind::MalformedBody, 10)], 10.0, 1).await;
    assert_eq!(code(&out), 5, "{}", show(&out));
    let r = rollup(&m.run_of(&out));
    let err = r["error"].as_str().unwrap();
    assert!(
        err.contains("metis") && err.contains("provider `fake`"),
        "{err}"
    );
}

/// Momus answers with an invalid envelope twice (the answer and its one repair): an invalid
/// envelope (BLOCK, never a pass), so Cast re-plans as docs/design.md §2 says for a Momus BLOCK (fold the
/// findings, re-plan once), and the re-planned plan passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answer_invalid_twice_is_an_invalid_envelope_and_cast_replans() {
    if nested() {
        return;
    }
    let (fake, m, out) =
        cast_with_faults(vec![fault("momus", FaultKind::InvalidAnswer, 2)], 10.0, 1).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let momus = fake.seen_role("momus");
    assert_eq!(
        momus.len(),
        3,
        "answer, repair, then the re-planned plan's audit"
    );
    assert!(!momus[0].repair && momus[1].repair && !momus[2].repair);
    assert!(
        momus[1].user.contains("summary"),
        "the repair quotes the error"
    );
    let r = rollup(&m.run_of(&out));
    let spawns = &r["accounting"]["spawns_by_agent"];
    assert_eq!(spawns["prometheus-cast"], 2, "{r:?}");
    assert_eq!(spawns["momus"], 2, "a repair is part of its spawn");
    // The repair instruction is no fix for the plan: the re-planning planner never sees it.
    let planners = fake.seen_role("prometheus-cast");
    assert!(
        !planners[1].user.contains("Re-run momus") && !planners[1].user.contains("agent-output"),
        "{}",
        planners[1].user
    );
}

/// The model configuration of `m` rewritten by `edit` (e.g. a category's max_tokens, a budget).
fn edit_config(m: &ModelRun, edit: impl Fn(String) -> String) {
    let p = m.scratch.dir.path().join("models.yaml");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, edit(text)).unwrap();
}

/// A model that adds one key the format does not have to every review (and every finding):
/// the reviews are read, the run emits, and the keys are recorded, not treated as a rejection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_adding_an_unknown_key_to_every_review_still_emits() {
    if nested() {
        return;
    }
    let every = Fault {
        role: None,
        kind: FaultKind::ExtraKey,
        times: 10_000,
    };
    let (fake, m, out) = cast_with_faults(vec![every], 10.0, 1).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(
        fake.seen().iter().all(|s| !s.repair),
        "no repair was needed"
    );
    let run = m.run_of(&out);
    let r = rollup(&run);
    assert_eq!(r["emission_decision"], "EMIT");
    assert!(
        r["invalid_envelopes"].is_null(),
        "{:?}",
        r["invalid_envelopes"]
    );
    let events = std::fs::read_to_string(run.join("events.jsonl")).unwrap();
    assert!(events.contains("ignored keys the answer format does not have: /confidence"));
}

/// A reviewer whose answer cannot be read even after the repair: its gate says
/// INVALID_ANSWER (not BLOCK) and nothing of it is folded into the next iteration's
/// directives; the next iteration runs it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_review_is_an_invalid_answer_never_a_directive() {
    if nested() {
        return;
    }
    let (_fake, m, out) =
        cast_with_faults(vec![fault("oracle", FaultKind::InvalidAnswer, 2)], 10.0, 1).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let r = rollup(&m.run_of(&out));
    let first = &r["iterations"][0];
    assert_eq!(
        first["gate_status"]["oracle"], "INVALID_ANSWER",
        "{first:?}"
    );
    let folded = format!("{:?}", first["folded_into_next"]);
    assert!(
        !folded.contains("Re-run") && !folded.contains("schema-valid"),
        "{folded}"
    );
    assert_eq!(r["iterations"][1]["gate_status"]["oracle"], "SAFE");
    assert_eq!(r["emission_decision"], "EMIT");
    assert!(stdout(&out).contains("oracle SAFE"), "{}", show(&out));
}

/// An answer cut at `max_tokens` is asked again once with twice the limit when the category's
/// limit is below the provider's; the run goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_cut_at_max_tokens_is_asked_again_with_a_larger_limit() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(
        Protocol::Anthropic,
        Wrap::Plain,
        &[],
        vec![fault("prometheus-cast", FaultKind::Truncated, 1)],
    )
    .await;
    let m = ModelRun::new(&fake, 10.0, 1);
    edit_config(&m, |c| {
        c.replace("model: mid-model }", "model: mid-model, max_tokens: 3000 }")
    });
    let out = m.anneal(&["--strategy", "cast", TASK]).await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let planner = fake.seen_role("prometheus-cast");
    assert_eq!(planner[0].max_tokens, 3000);
    assert_eq!(planner[1].max_tokens, 6000);
}

/// An answer cut at the provider's own `max_tokens`, with no room to ask for more: the error
/// says the answer was cut off and which key to raise (it used to say "/thesis: missing").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_cut_at_the_providers_max_tokens_says_so() {
    if nested() {
        return;
    }
    let (_fake, _m, out) = cast_with_faults(
        vec![fault("prometheus-cast", FaultKind::Truncated, 10)],
        10.0,
        1,
    )
    .await;
    assert_eq!(code(&out), 5, "{}", show(&out));
    let text = show(&out);
    assert!(
        text.contains("was cut off at its output limit of 8192 tokens"),
        "{text}"
    );
    assert!(text.contains("raise providers.fake.max_tokens"), "{text}");
    assert!(!text.contains("missing"), "{text}");
}

/// `content: null` twice: the error says the model wrote nothing — not that base_url is wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_answer_is_reported_as_empty_not_as_a_wrong_base_url() {
    if nested() {
        return;
    }
    let (fake, _m, out) =
        cast_with_faults(vec![fault("metis", FaultKind::Empty, 10)], 10.0, 1).await;
    assert_eq!(code(&out), 5, "{}", show(&out));
    let text = show(&out);
    assert!(
        text.contains(
            "metis: fake/big-model returned an empty answer twice (it finished with no text)"
        ),
        "{text}"
    );
    assert!(!text.contains("check that base_url points"), "{text}");
    assert_eq!(fake.seen_role("metis").len(), 2);
}

/// A provider that hangs, with per-call timeouts that would allow minutes: the run's deadline
/// for agent calls (budget.deadline_secs) stops it, cleanly, naming the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runs_deadline_for_agent_calls_stops_a_hung_provider() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(
        Protocol::OpenAi,
        Wrap::Plain,
        &[],
        vec![fault("metis", FaultKind::Hang(Duration::from_secs(60)), 10)],
    )
    .await;
    let m = ModelRun::new(&fake, 120.0, 3);
    edit_config(&m, |c| format!("{c}budget:\n  deadline_secs: 3\n"));
    let started = std::time::Instant::now();
    let out = m.anneal(&["--strategy", "cast", TASK]).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code(&out), 4, "{}", show(&out));
    let r = rollup(&m.run_of(&out));
    let why = r["stop_reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("deadline of 3 s for agent calls passed"),
        "{r:?}"
    );
    assert!(why.contains("budget.deadline_secs"), "{why}");
}

/// `anneal config` with a key pasted where its variable's name belongs, and a key in a base
/// URL's user-info: the first is refused without echoing the key, the second shown redacted.
#[test]
fn anneal_config_never_prints_a_pasted_key() {
    if nested() {
        return;
    }
    let s = Scratch::new();
    let cfg = s.dir.path().join("c.yaml");
    let pasted = "sk-proj-Zx81hd7s6a5f4g3h2j1k0l9";
    std::fs::write(&cfg, format!("providers:\n  o: {{ kind: openai, base_url: http://localhost:9/v1, api_key_env: {pasted} }}\ncategories:\n  deep: {{ provider: o, model: m }}\n")).unwrap();
    let args = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let out = anneal(&args(&["config", "--config", cfg.to_str().unwrap()]), &[]);
    assert_eq!(code(&out), 2, "{}", show(&out));
    assert!(!show(&out).contains(pasted), "{}", show(&out));
    assert!(
        show(&out).contains("looks like an API key"),
        "{}",
        show(&out)
    );
    std::fs::write(&cfg, "providers:\n  o: { kind: openai, base_url: \"http://me:sk-live-77f@localhost:9/v1\" }\ncategories:\n  deep: { provider: o, model: m }\n").unwrap();
    let out = anneal(&args(&["config", "--config", cfg.to_str().unwrap()]), &[]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert!(!show(&out).contains("sk-live-77f"), "{}", show(&out));
}

/// A budget of 6 spawns runs out inside Alloy's planner fan-out: the run stops cleanly (exit
/// 4), the rollup says why, and the run directory is consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_exhausted_mid_alloy_stops_cleanly() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], Vec::new()).await;
    let m = ModelRun::new(&fake, 10.0, 1);
    let out = m
        .anneal(&[
            "--strategy",
            "alloy",
            "--versions",
            "5",
            "--max-spawns",
            "6",
            TASK,
        ])
        .await;
    assert_eq!(code(&out), 4, "{}", show(&out));
    let run = m.run_of(&out);
    let r = rollup(&run);
    let why = r["stop_reason"].as_str().unwrap();
    assert!(why.contains("budget of 6 agent spawns"), "{why}");
    assert_eq!(fake.seen().len(), 6, "no request beyond the budget");
    assert!(run.join("reviews/metis.yaml").exists());
    assert!(stdout(&out).contains("budget"), "{}", show(&out));
}

/// A token budget stops the run too, and is never overshot: a call is admitted only if its
/// worst case (prompt and max_tokens) fits what is left, so a budget smaller than one call's
/// worst case refuses the first call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_budget_stops_the_run() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], Vec::new()).await;
    let m = ModelRun::new(&fake, 10.0, 1);
    // max_tokens is 8192 per answer: 2400 tokens cannot cover one call.
    let out = m.anneal(&["--max-tokens", "2400", TASK]).await;
    assert_eq!(code(&out), 4, "{}", show(&out));
    let r = rollup(&m.run_of(&out));
    let why = r["stop_reason"].as_str().unwrap();
    assert!(
        why.contains("budget of 2400 tokens cannot cover intent-gate"),
        "{r:?}"
    );
    assert_eq!(fake.seen().len(), 0);

    // Answers of at most 300 tokens: some calls fit, and the run never spends more than its
    // budget (each fake answer reports 1 200).
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], Vec::new()).await;
    let m = ModelRun::new(&fake, 10.0, 1);
    edit_config(&m, |c| {
        c.replace(
            "    max_retries: 1\n",
            "    max_retries: 1\n    max_tokens: 300\n",
        )
    });
    let out = m.anneal(&["--max-tokens", "6000", TASK]).await;
    assert_eq!(code(&out), 4, "{}", show(&out));
    let r = rollup(&m.run_of(&out));
    let spent = r["accounting"]["tokens"].as_u64().unwrap();
    assert!(spent <= 6_000, "spent {spent} of a 6000 budget");
    assert!(!fake.seen().is_empty());
    assert!(r["stop_reason"]
        .as_str()
        .unwrap()
        .contains("budget of 6000 tokens"));
}

/// A run made with a fake key: the key reached the provider and nothing else — no file of the
/// run directory, no output line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_never_reaches_the_run_directory_or_the_output() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(
        Protocol::OpenAi,
        Wrap::Plain,
        &[],
        vec![fault("metis", FaultKind::Status(401, None), 1)],
    )
    .await;
    let m = ModelRun::new(&fake, 10.0, 1);
    // The 401 ends the run with an error message, the path most likely to echo a key.
    let failed = m.anneal(&["--strategy", "cast", TASK]).await;
    assert_eq!(code(&failed), 5, "{}", show(&failed));
    let ok = m
        .anneal(&["--strategy", "alloy", "--versions", "2", TASK])
        .await;
    assert_eq!(code(&ok), 0, "{}", show(&ok));
    assert!(fake.seen().iter().all(|s| s.auth.contains(KEY)));
    for out in [&failed, &ok] {
        assert!(!show(out).contains(KEY));
    }
    let all = files(&m.scratch.runs());
    assert!(all.len() > 20, "{all:?}");
    for f in all {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(KEY),
            "the key leaked into {}",
            f.display()
        );
    }
}

/// Alloy's variants (written by the model, one per lens) disagree on the cache for the limiter's
/// counters: memcached (correctness) vs valkey (minimalist), neither in the probe's stack.
async fn alloy_with_competing_caches(
    directives: Option<&[&str]>,
) -> (FakeModel, PathBuf, ModelRun) {
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], Vec::new()).await;
    fake.lens_declares(
        "correctness",
        "memcached (cache for the limiter's counters)",
    );
    fake.lens_declares("minimalist", "valkey (cache for the limiter's counters)");
    if let Some(d) = directives {
        fake.metis_directives(d);
    }
    let m = ModelRun::new(&fake, 10.0, 1);
    let out = m
        .anneal(&["--strategy", "alloy", "--versions", "3", TASK])
        .await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    let run = m.run_of(&out);
    (fake, run, m)
}

/// A contradiction between variants resolved by a Metis directive that names one side.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloy_contradiction_resolved_by_a_metis_directive() {
    if nested() {
        return;
    }
    let (_fake, run, _m) = alloy_with_competing_caches(Some(&[
        "Use memcached for the limiter's counters; do not add another cache.",
    ]))
    .await;
    let prov = std::fs::read_to_string(run.join("synthesis-provenance.md")).unwrap();
    assert!(
        prov.contains("resolved per Metis directive \"Use memcached for the limiter's counters"),
        "{prov}"
    );
    assert!(!prov.contains("a human must decide"), "{prov}");
    assert!(!prov.contains("primary_source: synthesizer"), "{prov}");
    let plan = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
    assert!(!plan.contains("Decide:"), "{plan}");
}

/// The same disagreement with no directive and no stack to settle it: surfaced for a human,
/// with a decision phase the synthesizer invented (found in no variant) flagged as such.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alloy_either_or_left_to_a_human_gets_a_synthesizer_phase() {
    if nested() {
        return;
    }
    let (_fake, run, _m) = alloy_with_competing_caches(None).await;
    let prov = std::fs::read_to_string(run.join("synthesis-provenance.md")).unwrap();
    assert!(prov.contains("a human must decide"), "{prov}");
    assert!(prov.contains("primary_source: synthesizer"), "{prov}");
    assert!(prov.contains("**Synthesizer-invented phase**"), "{prov}");
    assert!(prov.contains("| (synthesizer) | — | 1 | 0 |"), "{prov}");
    let plan = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
    assert!(plan.contains("Decide:"), "{plan}");
    let r = rollup(&run);
    assert_eq!(r["synthesis_provenance"], "synthesis-provenance.md");
}

/// SIGINT while Metis's call hangs on the provider: the call is cancelled at once (not after
/// its 120 s timeout), the rollup says the run was interrupted, the tokens already spent are
/// recorded, and anneal exits 130.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_cancels_a_hung_agent_call_and_records_the_run() {
    if nested() {
        return;
    }
    let fake = FakeModel::start(
        Protocol::OpenAi,
        Wrap::Plain,
        &[],
        vec![fault(
            "metis",
            FaultKind::Hang(Duration::from_secs(120)),
            10,
        )],
    )
    .await;
    let m = ModelRun::new(&fake, 120.0, 0);
    let (args, env) = (m.args(&["--strategy", "cast", TASK]), m.env());
    let seen = fake.has_seen("metis");
    let (out, took) = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        anneal_signalled(&args, &env, seen, libc::SIGINT)
    })
    .await
    .unwrap();
    assert_eq!(code(&out), 130, "{}", show(&out));
    assert!(
        took < Duration::from_secs(20),
        "took {took:?}: {}",
        show(&out)
    );
    let run = m.run_of(&out);
    let r = rollup(&run);
    assert_eq!(r["emission_decision"].as_str(), Some("ABORT"), "{r:?}");
    assert!(
        r["stop_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted by SIGINT"),
        "{r:?}"
    );
    // The Intent Gate's call was answered before the interrupt: its spawn is on record.
    assert!(run.join("events.jsonl").exists());
    assert!(run.join("run.log").exists());
    assert!(!show(&out).contains(KEY), "{}", show(&out));
}

/// Model agents plan from the code (docs/design.md §10): the planner's and the reviewers'
/// prompts carry `<code>` — the files that exist, the definition the task names with its
/// signature and an excerpt, its tests — and `context: { code_tokens: 0 }` leaves it out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompts_carry_the_resolved_code_within_the_configured_budget() {
    if nested() {
        return;
    }
    let task = "Make `verify_password` reject an empty hash";
    for tokens in [None, Some(0)] {
        let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], Vec::new()).await;
        let m = ModelRun::new(&fake, 10.0, 2);
        if let Some(t) = tokens {
            let cfg = m.scratch.dir.path().join("models.yaml");
            let mut text = std::fs::read_to_string(&cfg).unwrap();
            text.push_str(&format!("context: {{ code_tokens: {t} }}\n"));
            std::fs::write(&cfg, text).unwrap();
        }
        let out = m.anneal(&["--strategy", "cast", task]).await;
        let planner = fake.seen_role("prometheus-cast");
        assert!(!planner.is_empty(), "{}", show(&out));
        for s in planner
            .iter()
            .chain(&fake.seen_role("momus"))
            .chain(&fake.seen_role("redteam-security"))
        {
            if tokens == Some(0) {
                assert!(!s.user.contains("<code>"), "{}: {}", s.role, s.user);
                continue;
            }
            for want in [
                "<code>",
                "- app/auth.py — defines verify_password (named in the task)",
                "### verify_password — function, app/auth.py:50-",
                "def verify_password(password: str, encoded: str) -> bool:",
                "Top of the repository: ",
                "tests/test_auth.py",
            ] {
                assert!(
                    s.user.contains(want),
                    "{} lacks {want:?}:\n{}",
                    s.role,
                    s.user
                );
            }
        }
    }
}

/// One red-team reviewer whose provider times out is that reviewer's failure (an envelope
/// saying its call failed, never a pass), not an abort of the run: the iteration re-loops and
/// the next one, answered, is emitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewer_timing_out_fails_that_reviewer_not_the_run() {
    if nested() {
        return;
    }
    let (fake, m, out) = cast_with_faults(
        vec![fault(
            "redteam-scope",
            FaultKind::Hang(Duration::from_secs(5)),
            1,
        )],
        1.0,
        0,
    )
    .await;
    assert_eq!(code(&out), 0, "{}", show(&out));
    assert_eq!(fake.seen_role("redteam-scope").len(), 2);
    let r = rollup(&m.run_of(&out));
    assert_eq!(r["iteration_count"], 2, "{r:?}");
    let first = serde_yaml::to_string(&r["iterations"][0]).unwrap();
    assert!(first.contains("invalid answer"), "{first}");
    assert!(r["error"].is_null(), "{r:?}");
}

/// A baseline that finished while a model-served Metis was answering reaches the planner and
/// the reviewers of the first iteration (polled at stage 4), instead of waiting for stage 6.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_baseline_finished_during_metis_reaches_the_first_plan() {
    if nested() {
        return;
    }
    let slow_metis = fault("metis", FaultKind::Hang(Duration::from_secs(4)), 1);
    let fake = FakeModel::start(Protocol::OpenAi, Wrap::Plain, &[], vec![slow_metis]).await;
    let m = ModelRun::new(&fake, 20.0, 0);
    let out = m.anneal(&[TASK]).await;
    let run = m.run_of(&out);
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    let at = |needle: &str| {
        log.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in run.log:\n{log}"))
    };
    let adopted = at("command(s) passed on the untouched repository (finished before this stage)");
    assert!(adopted < at("[4/7] plan"), "{log}");
}

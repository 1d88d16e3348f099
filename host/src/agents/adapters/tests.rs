use super::*;
use crate::model::validate::validate_envelope;
use crate::model::AgentRequest;
use crate::model::Context;
use crate::offline::intent::classify;
use crate::offline::planner::write_plan;
use crate::stages::probe::{probe, ProbeOptions};
use serde_json::json;
use std::path::Path;

const RUN: &str = "anneal-20260101-000000-agents";

fn offline_plan() -> Plan {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo");
    let task = "Add rate limiting to the login endpoint";
    let report = probe(&root, task, &ProbeOptions::default()).expect("probe");
    let intent = classify(task);
    let ctx = Context {
        run_id: RUN,
        task,
        task_kind: intent.kind,
        directives: &[],
        probe: &report,
        repo_root: &root,
        resolution: crate::model::resolution::Resolution::empty(),
    };
    let req = AgentRequest {
        role: "prometheus-cast".into(),
        category: None,
        lens: None,
        extra_directives: vec![],
        prior_plan: None,
        feedback: vec![],
        scores: vec![],
        depth: None,
    };
    write_plan(&ctx, &req).expect("offline plan")
}

#[test]
fn families_from_model_names() {
    assert_eq!(family("claude-sonnet-4-5"), Family::Claude);
    assert_eq!(family("anthropic/claude-3-haiku"), Family::Claude);
    assert_eq!(family("gpt-4o-mini"), Family::OpenAi);
    assert_eq!(family("openrouter/openai/gpt-4.1"), Family::OpenAi);
    assert_eq!(family("o3-mini"), Family::OpenAi);
    assert_eq!(family("qwq:32b"), Family::Reasoning);
    assert_eq!(family("deepseek-r1:14b"), Family::Reasoning);
    assert_eq!(family("Qwen3-30B-A3B"), Family::Reasoning);
    assert_eq!(family("gpt-oss:20b"), Family::Reasoning);
    assert_eq!(family("claude-3-7-sonnet-thinking"), Family::Reasoning);
    assert_eq!(family("llama3.1:8b"), Family::Generic);
    assert_eq!(family("mistral-small"), Family::Generic);
    assert!(wants_json_mode(Family::OpenAi));
    assert!(wants_json_mode(Family::Generic));
    assert!(!wants_json_mode(Family::Claude));
    assert!(!wants_json_mode(Family::Reasoning));
}

#[test]
fn strips_reasoning_tags() {
    assert_eq!(
        strip_reasoning("<think>hmm {\"a\":1}</think>\n{\"b\":2}"),
        "{\"b\":2}"
    );
    assert_eq!(
        strip_reasoning("<Thinking>x</Thinking>A<reasoning type=\"x\">y</reasoning>B"),
        "AB"
    );
    // a stray closing tag: the template opened the block
    assert_eq!(
        strip_reasoning("let me think {a}\n</think>\n{\"ok\":true}"),
        "{\"ok\":true}"
    );
    // unclosed leading block: cut at the answer
    assert_eq!(
        strip_reasoning("<think>I could use {braces} here.\nSo:\n{\"ok\": true}"),
        "{\"ok\": true}"
    );
    assert!(strip_reasoning("<think>plan it\n```json\n{\"a\":1}\n```").starts_with("```json"));
    assert_eq!(strip_reasoning("  plain  "), "plain");
}

#[test]
fn extract_json_handles_tags_fences_prose_and_strings() {
    let v = extract_json(
        "<think>{\"wrong\": 1}</think>\nHere it is:\n```json\n{\"verdict\": \"SAFE\"}\n```\nDone.",
    )
    .unwrap();
    assert_eq!(v, json!({"verdict": "SAFE"}));
    let v = extract_json("```\n{\"a\": [1, 2]}\n```").unwrap();
    assert_eq!(v, json!({"a": [1, 2]}));
    let v = extract_json("Sure! The answer is {\"a\": {\"b\": 1}} as requested.").unwrap();
    assert_eq!(v, json!({"a": {"b": 1}}));
    let v = extract_json(
        r#"Note {not json}. Answer: {"s": "a } brace and \" quote {", "n": {"m": "}"}} end"#,
    )
    .unwrap();
    assert_eq!(v, json!({"s": "a } brace and \" quote {", "n": {"m": "}"}}));
    let v = extract_json("  {\"whole\": true}  ").unwrap();
    assert_eq!(v, json!({"whole": true}));
    assert!(extract_json("I cannot answer that.")
        .unwrap_err()
        .contains("no JSON object"));
    assert!(extract_json("<think>only thoughts</think>")
        .unwrap_err()
        .contains("empty"));
    assert!(extract_json("[1, 2]").unwrap_err().contains("array"));
    assert!(extract_json("{\"unclosed\": ").is_err());
}

#[test]
fn parse_plan_round_trips_an_offline_plan() {
    let plan = offline_plan();
    let v = serde_json::to_value(&plan).unwrap();
    let text = format!(
        "<think>draft</think>\n```json\n{}\n```",
        serde_json::to_string_pretty(&v).unwrap()
    );
    let parsed = parse_plan(extract_json(&text).unwrap()).expect("valid plan");
    assert_eq!(parsed, plan);
}

#[test]
fn parse_plan_tolerates_missing_lists_nulls_and_numeric_ids() {
    let v = json!({
        "title": "T", "thesis": "why", "effort": "1 day",
        "phases": [
            {"id": 0, "slug": "preflight", "title": "Preflight", "goal": "g", "gate": ["make test"], "provenance": null},
            {"id": "01", "slug": "work", "title": "Work", "goal": "g", "depends_on": [0], "files": null}
        ],
        "dependencies": null
    });
    let p = parse_plan(v).expect("tolerated");
    assert_eq!(p.phases[0].id, "00");
    assert_eq!(p.phases[1].depends_on, vec!["00"]);
    assert!(p.out_of_scope.is_empty());
}

#[test]
fn parse_plan_reports_paths_and_validation_errors() {
    let mut v = serde_json::to_value(offline_plan()).unwrap();
    v["phases"][1].as_object_mut().unwrap().remove("goal");
    v["phases"][0]["files"] = json!([{"path": "x.py", "action": "edit"}]);
    let errs = parse_plan(v).unwrap_err();
    assert!(
        errs.iter()
            .any(|e| e.starts_with("/phases/1:") && e.contains("goal")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("/phases/0/files/0:") && e.contains("edit")),
        "{errs:?}"
    );

    let errs = parse_plan(json!({"phases": []})).unwrap_err();
    assert!(errs.iter().any(|e| e.starts_with("/title")), "{errs:?}");

    // deserialises but breaks the plan rules: forward dependency, first phase not preflight
    let mut v = serde_json::to_value(offline_plan()).unwrap();
    v["phases"][0]["slug"] = json!("setup");
    v["phases"][1]["depends_on"] = json!(["05"]);
    let errs = parse_plan(v).unwrap_err();
    assert!(errs.iter().any(|e| e.contains("preflight")), "{errs:?}");
    assert!(errs.iter().any(|e| e.contains("05")), "{errs:?}");
    assert!(parse_plan(json!([1])).is_err());
}

fn finding(sev: &str) -> Value {
    json!({"severity": sev, "location": "plan/plan.md", "concern": "A gap.", "demand": "Close the gap."})
}

#[test]
fn parse_review_fills_host_fields_and_validates() {
    let v = json!({
        "verdict": "caution",
        "summary": "One medium gap.",
        "findings": [{"severity": "Medium", "location": "plan/plan.md", "issue": "Vague.", "demand": "Make it measurable."}],
        "directives": [],
        "clarifying_questions": [],
        "agent": "momus",
        "run_id": "someone-else",
        "metadata": {"token_cost": 999999}
    });
    let e = parse_review(v, "redteam-scope", RUN, Some(2), "openai/gpt-4o", 321).expect("valid");
    assert_eq!(e.agent, "redteam-scope");
    assert_eq!(e.run_id, RUN);
    assert_eq!(e.depth, Some(2));
    assert_eq!(e.verdict, Verdict::Caution);
    assert_eq!(e.findings[0].concern, "Vague.");
    assert_eq!(e.findings[0].severity, Severity::Medium);
    assert_eq!(e.metadata.reviewer_model, "openai/gpt-4o");
    assert_eq!(e.metadata.token_cost, 321);
    assert!(validate_envelope(&e).is_ok());

    let m = parse_review(
        json!({"verdict": "SAFE", "score": 92, "summary": "Good plan.", "findings": []}),
        "momus",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap();
    assert_eq!(m.score, Some(92));
    let metis = parse_review(
        json!({"verdict": "SAFE", "summary": "Two directives.", "findings": [], "directives": ["Gate phase 00 on `make test`."]}),
        "metis", RUN, None, "m", 0,
    )
    .unwrap();
    assert_eq!(metis.directives.len(), 1);
}

#[test]
fn parse_review_rejects_invalid_answers() {
    let long = "x".repeat(241);
    let errs = parse_review(
        json!({"verdict": "SAFE", "summary": long, "findings": []}),
        "oracle",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("240")), "{errs:?}");
    let errs = parse_review(
        json!({"verdict": "OK", "summary": "s", "findings": []}),
        "oracle",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("verdict")), "{errs:?}");
    let errs = parse_review(
        json!({"verdict": "SAFE", "score": 90, "summary": "s", "findings": []}),
        "oracle",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("score")), "{errs:?}");
    let errs = parse_review(json!({"verdict": "SAFE", "summary": "s", "findings": [], "clarifying_questions": ["Which?"]}), "metis", RUN, None, "m", 0)
        .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("BLOCK")), "{errs:?}");
    assert!(parse_review(json!("SAFE"), "oracle", RUN, None, "m", 0).is_err());
}

#[test]
fn parse_review_rejects_a_verdict_better_than_its_findings_or_band() {
    // high finding with CAUTION: inconsistent (docs/design.md §4) — an error, not silently raised
    let errs = parse_review(
        json!({"verdict": "CAUTION", "summary": "s", "findings": [finding("high")]}),
        "redteam-security",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(
        errs.iter().any(|e| e.contains("calls for at least RISKY")),
        "{errs:?}"
    );
    // medium finding with SAFE
    assert!(parse_review(
        json!({"verdict": "SAFE", "summary": "s", "findings": [finding("medium")]}),
        "redteam-scope",
        RUN,
        None,
        "m",
        0
    )
    .is_err());
    // critical with CAUTION
    assert!(parse_review(
        json!({"verdict": "CAUTION", "summary": "s", "findings": [finding("critical")]}),
        "oracle",
        RUN,
        None,
        "m",
        0
    )
    .is_err());
    // worse than called for is accepted (a reviewer may BLOCK)
    assert!(parse_review(
        json!({"verdict": "BLOCK", "summary": "s", "findings": [finding("low")]}),
        "oracle",
        RUN,
        None,
        "m",
        0
    )
    .is_ok());
    // momus: verdict better than the band of its score, or no score
    let errs = parse_review(
        json!({"verdict": "SAFE", "score": 60, "summary": "s", "findings": []}),
        "momus",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(errs.iter().any(|e| e.contains("band")), "{errs:?}");
    let errs = parse_review(
        json!({"verdict": "SAFE", "summary": "s", "findings": []}),
        "momus",
        RUN,
        None,
        "m",
        0,
    )
    .unwrap_err();
    assert!(
        errs.iter().any(|e| e.contains("score is missing")),
        "{errs:?}"
    );
    assert!(parse_review(
        json!({"verdict": "RISKY", "score": 60, "summary": "s", "findings": [finding("high")]}),
        "momus",
        RUN,
        None,
        "m",
        0
    )
    .is_ok());
}

#[test]
fn parse_intent_matches_the_offline_shape() {
    let task = "Fix the crash when the profile cache returns an empty payload";
    let i = parse_intent(json!({"task_kind": "Bugfix", "clear": true, "reasons": ["bugfix: 'crash'"], "questions": []}), task)
        .unwrap();
    assert_eq!(i.kind, TaskKind::Bugfix);
    assert!(i.clear);
    assert_eq!(i.terms, crate::text::terms(task));
    let i = parse_intent(json!({"kind": "feature", "clear": false, "reasons": ["vague"], "questions": ["Which endpoint?", "What limit?"]}), "improve stuff")
        .unwrap();
    assert!(!i.clear && i.questions.len() == 2);
    assert!(
        parse_intent(json!({"task_kind": "chore", "clear": true}), task).unwrap_err()[0]
            .contains("chore")
    );
    assert!(parse_intent(json!({"task_kind": "feature", "clear": false}), task).is_err());
    assert!(parse_intent(
        json!({"task_kind": "feature", "clear": true, "questions": ["Why?"]}),
        task
    )
    .is_err());
    assert!(parse_intent(json!({"task_kind": "feature", "clear": "yes"}), task).is_err());
}

#[test]
fn repair_message_quotes_every_error() {
    let errs = vec![
        "/phases/1: missing field `goal`".to_string(),
        "summary has 300 characters".to_string(),
    ];
    let m = repair_message(&errs);
    for e in &errs {
        assert!(m.contains(e.as_str()));
    }
    assert!(m.contains("single JSON") && m.contains("only"));
    let many: Vec<String> = (0..50).map(|i| format!("e{i}")).collect();
    assert!(repair_message(&many).contains("and 10 more"));
}

#[test]
fn invalid_envelope_is_a_valid_block() {
    for agent in ["momus", "redteam-security", "metis", "oracle"] {
        let errs = vec!["/verdict: \"OK\" is not one of ...".to_string(); 3];
        let e = invalid_envelope(agent, RUN, Some(1), "ollama/llama3.1:8b", &errs);
        assert_eq!(validate_envelope(&e), Ok(()), "{agent}");
        assert_eq!(e.verdict, Verdict::Block);
        assert!(!e.verdict.passes());
        assert_eq!(e.findings[0].severity, Severity::Critical);
        assert_eq!(e.findings[0].location, "agent-output");
        assert!(e.findings[0].concern.contains("/verdict"));
        assert!(e.summary.contains("invalid after one repair"));
        assert_eq!(e.score.is_some(), agent == "momus");
    }
    let huge = vec!["y".repeat(5000); 100];
    let e = invalid_envelope("redteam-assumptions", RUN, None, "", &huge);
    assert_eq!(validate_envelope(&e), Ok(()));
    assert_eq!(e.metadata.reviewer_model, "unknown");
}

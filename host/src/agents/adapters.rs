//! Format adapters (docs/design.md §3 invariant 8: agents are portable, formats are not): what sits
//! between a model's raw text and the typed plan, envelope or intent the pipeline uses.
//!
//! The path of an answer: [`strip_reasoning`] (reasoning-model tags) → [`extract_json`] (a
//! fence, the whole text, or the first balanced object in prose) → [`parse_plan`] /
//! [`parse_review`] / [`parse_intent`] (deserialise, then the same validation as any guest or
//! offline output). On failure the caller sends [`repair_message`] once; if the second answer
//! fails too, the role's result is [`invalid_envelope`] — BLOCK, never a pass (docs/design.md §4).
//!
//! **Verdict policy.** A reviewer's verdict is checked, not fixed: a verdict better than its
//! findings call for (docs/design.md §4: none → SAFE, worst low/medium → CAUTION, high → RISKY,
//! critical → at least RISKY), or for Momus better than the band of its own score (docs/design.md §5),
//! is an error sent back in the repair request. Silently raising it would hide that the model
//! misread its own findings; a verdict *worse* than the findings call for is accepted (a
//! reviewer may BLOCK a plan that cannot be implemented).
use crate::agents::prompts::OutputKind;
use crate::model::rules::{band, verdict_from_findings};
use crate::model::validate::{parse_reviewer_answer, validate_plan};
use crate::model::Intent;
use crate::model::{
    Dependencies, Envelope, EnvelopeMetadata, FileChange, Finding, Phase, Plan, Provenance,
    Severity, TaskKind, Verdict,
};
use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// Model family, for format quirks (docs/design.md §3 invariant 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// Anthropic Claude models: no JSON mode; answers may be fenced.
    Claude,
    /// OpenAI chat models (gpt-4o, gpt-4.1, o-series …): JSON mode available.
    OpenAi,
    /// Open reasoning models that emit their chain of thought in the answer text
    /// (`<think>…</think>`): qwq, deepseek-r1/reasoner, qwen3, gpt-oss, magistral, "*-thinking".
    Reasoning,
    /// Anything else (llama, mistral, gemma, phi … behind an OpenAI-compatible server).
    Generic,
}

/// The family of `model`, e.g. `"claude-sonnet-4-5"`, `"anthropic/claude-3-haiku"`,
/// `"gpt-4o-mini"`, `"o3-mini"`, `"qwen3:32b"`, `"deepseek-r1:14b"`, `"llama3.1:8b"`.
/// Matching is case-insensitive on the whole name, and on its last `/`-segment for prefixes
/// (so router names like `openrouter/openai/gpt-4o` work).
pub fn family(model: &str) -> Family {
    let m = model.trim().to_ascii_lowercase();
    let last = m.rsplit('/').next().unwrap_or(&m);
    const REASONING: &[&str] = &[
        "qwq",
        "deepseek-r1",
        "deepseek-reasoner",
        "qwen3",
        "gpt-oss",
        "magistral",
        "thinking",
        "-reasoning",
        "r1-distill",
    ];
    if REASONING.iter().any(|k| m.contains(k)) {
        return Family::Reasoning;
    }
    if m.contains("claude") {
        return Family::Claude;
    }
    let o_series = ["o1", "o3", "o4"]
        .iter()
        .any(|p| last == *p || last.starts_with(&format!("{p}-")));
    if last.starts_with("gpt-") || last.starts_with("chatgpt") || o_series {
        return Family::OpenAi;
    }
    Family::Generic
}

/// Whether to ask the provider for its JSON mode (`response_format: json_object`) for a
/// family: OpenAI and generic OpenAI-compatible servers (Ollama, vLLM, llama.cpp) have one;
/// Claude's Messages API has none; reasoning models are not asked, because a forced JSON
/// grammar suppresses or breaks their thinking on several servers — their tags are stripped
/// instead.
pub fn wants_json_mode(family: Family) -> bool {
    matches!(family, Family::OpenAi | Family::Generic)
}

const TAGS: [&str; 3] = ["think", "thinking", "reasoning"];

static CLOSED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    TAGS.iter()
        .map(|t| Regex::new(&format!(r"(?is)<{t}(\s[^>]*)?>.*?</{t}\s*>")).expect("regex"))
        .collect()
});

static FENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)```[ \t]*([A-Za-z0-9_-]*)[ \t]*\r?\n(.*?)```").expect("fence regex")
});

/// `text` without reasoning: every closed `<think>…</think>`, `<thinking>…</thinking>` and
/// `<reasoning>…</reasoning>` block removed (case-insensitive); text before a stray closing
/// tag with no opening one dropped (servers that put `<think>` in the prompt template); and an
/// unclosed leading block cut at the answer — the last fenced block if there is one, else the
/// last balanced `{…}` that parses as JSON, else the text after the tag. Output is trimmed.
pub fn strip_reasoning(text: &str) -> String {
    let mut s = text.to_string();
    for re in CLOSED.iter() {
        s = re.replace_all(&s, "").into_owned();
    }
    let lower = s.to_ascii_lowercase();
    for t in TAGS {
        let close = format!("</{t}>");
        if let Some(i) = lower.rfind(&close) {
            if !lower[..i].contains(&format!("<{t}")) {
                s = s[i + close.len()..].to_string();
                break;
            }
        }
    }
    let trimmed = s.trim_start();
    let lower = trimmed.to_ascii_lowercase();
    for t in TAGS {
        let open = format!("<{t}>");
        if lower.starts_with(&open) {
            let rest = &trimmed[open.len()..];
            return cut_at_answer(rest).trim().to_string();
        }
    }
    s.trim().to_string()
}

/// For an unclosed reasoning block: where the answer begins in `rest`.
fn cut_at_answer(rest: &str) -> &str {
    if let Some(m) = FENCE.find_iter(rest).last() {
        return &rest[m.start()..];
    }
    if let Some((start, _)) = objects(rest)
        .into_iter()
        .rev()
        .find(|(a, b)| serde_json::from_str::<Value>(&rest[*a..*b]).is_ok())
    {
        return &rest[start..];
    }
    rest
}

/// Byte ranges of the top-level balanced `{…}` spans of `s`, string-aware (braces inside
/// JSON strings, with `\"` escapes, do not count). An unbalanced `{` is skipped.
fn objects(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        let (mut depth, mut in_str, mut esc) = (0usize, false, false);
        let mut end = None;
        for (j, &c) in b.iter().enumerate().skip(i) {
            if in_str {
                match (esc, c) {
                    (true, _) => esc = false,
                    (false, b'\\') => esc = true,
                    (false, b'"') => in_str = false,
                    _ => {}
                }
                continue;
            }
            match c {
                b'"' => in_str = true,
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(j + 1);
                        break;
                    }
                }
                _ => {}
            }
        }
        match end {
            Some(e) => {
                out.push((i, e));
                i = e;
            }
            None => i += 1,
        }
    }
    out
}

fn as_object(text: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(text.trim()) {
        Ok(v @ Value::Object(_)) => Some(v),
        _ => None,
    }
}

/// The JSON object of a model's answer. After [`strip_reasoning`]: the first fenced block
/// (```` ```json ```` or a bare ```` ``` ````) that holds a JSON object; else the whole text;
/// else the first balanced top-level `{…}` in the prose that parses (string-aware matching).
///
/// # Errors
/// A message saying no JSON object was found (with the answer's length, never its text: it
/// may be long), or that the JSON found is not an object.
pub fn extract_json(text: &str) -> Result<Value, String> {
    let s = strip_reasoning(text);
    if s.is_empty() {
        return Err(
            "the answer is empty (after removing reasoning); expected one JSON object".into(),
        );
    }
    for c in FENCE.captures_iter(&s) {
        if let Some(v) = as_object(&c[2]) {
            return Ok(v);
        }
    }
    match serde_json::from_str::<Value>(&s) {
        Ok(v @ Value::Object(_)) => return Ok(v),
        Ok(other) => {
            let kind = match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            };
            return Err(format!("the answer is JSON {kind}, not an object"));
        }
        Err(_) => {}
    }
    for (a, b) in objects(&s) {
        if let Some(v) = as_object(&s[a..b]) {
            return Ok(v);
        }
    }
    Err(format!(
        "no JSON object found in the answer ({} characters); expected one JSON object",
        s.chars().count()
    ))
}

/// `v` with every object member whose value is `null` removed, recursively (models write
/// `null` for "absent"; the wire types default absent lists and options).
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, x| !x.is_null());
            o.values_mut().for_each(drop_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Phase ids written as numbers (`0`, `1`) become `"00"`, `"01"`.
fn id_text(v: &mut Value) {
    if let Some(n) = v.as_u64() {
        *v = Value::String(format!("{n:02}"));
    }
}

/// Where a plan that does not deserialise fails, as `"/json/pointer: message"` lines.
fn plan_shape_errors(v: &Value) -> Vec<String> {
    fn check<T: serde::de::DeserializeOwned>(v: &Value, path: &str, out: &mut Vec<String>) -> bool {
        match serde_json::from_value::<T>(v.clone()) {
            Ok(_) => true,
            Err(e) => {
                out.push(format!("{path}: {e}"));
                false
            }
        }
    }
    let mut out = Vec::new();
    let Some(o) = v.as_object() else {
        return vec!["/: the plan is not a JSON object".into()];
    };
    for key in ["title", "thesis", "effort"] {
        match o.get(key) {
            None => out.push(format!("/{key}: missing (a string is required)")),
            Some(Value::String(_)) => {}
            Some(_) => out.push(format!("/{key}: must be a string")),
        }
    }
    for key in ["out_of_scope", "iron_rules"] {
        if let Some(x) = o.get(key) {
            check::<Vec<String>>(x, &format!("/{key}"), &mut out);
        }
    }
    if let Some(x) = o.get("author") {
        check::<String>(x, "/author", &mut out);
    }
    if let Some(x) = o.get("dependencies") {
        check::<Dependencies>(x, "/dependencies", &mut out);
    }
    match o.get("phases") {
        None => out.push("/phases: missing (a list of phases is required)".into()),
        Some(Value::Array(phases)) => {
            for (i, p) in phases.iter().enumerate() {
                let at = format!("/phases/{i}");
                if check::<Phase>(p, &at, &mut out) {
                    continue;
                }
                // Narrow down to the file or provenance that fails, when one does.
                if let Some(files) = p.get("files").and_then(Value::as_array) {
                    for (j, f) in files.iter().enumerate() {
                        check::<FileChange>(f, &format!("{at}/files/{j}"), &mut out);
                    }
                }
                if let Some(pr) = p.get("provenance") {
                    check::<Provenance>(pr, &format!("{at}/provenance"), &mut out);
                }
            }
        }
        Some(_) => out.push("/phases: must be a list".into()),
    }
    if out.is_empty() {
        if let Err(e) = serde_json::from_value::<Plan>(v.clone()) {
            out.push(format!("/: {e}"));
        }
    }
    out
}

/// A model's plan answer as a validated [`Plan`] (docs/design.md §5). Tolerated: `null` for any
/// optional or list field (treated as absent → default), missing list fields (`steps`,
/// `files`, `success_criteria`, `gate`, `depends_on`, `dependencies`, `out_of_scope`,
/// `iron_rules`), numeric phase ids and `depends_on` entries (`1` → `"01"`). Then
/// [`validate_plan`] (ids consecutive from `00`, `00` is `preflight`, slugs, backward
/// dependencies, safe paths, sizes).
///
/// # Errors
/// Deserialisation problems as `"/json/pointer: message"` (e.g. `/phases/2: missing field
/// `goal``, `/phases/1/files/0: unknown variant `edit``), or the messages of
/// [`validate_plan`].
pub fn parse_plan(v: Value) -> Result<Plan, Vec<String>> {
    let mut v = v;
    if !v.is_object() {
        return Err(vec!["/: the plan is not a JSON object".into()]);
    }
    drop_nulls(&mut v);
    if let Some(phases) = v.get_mut("phases").and_then(Value::as_array_mut) {
        for p in phases {
            if let Some(id) = p.get_mut("id") {
                id_text(id);
            }
            if let Some(deps) = p.get_mut("depends_on").and_then(Value::as_array_mut) {
                deps.iter_mut().for_each(id_text);
            }
        }
    }
    let plan = match serde_json::from_value::<Plan>(v.clone()) {
        Ok(p) => p,
        Err(e) => {
            let mut errors = plan_shape_errors(&v);
            if errors.is_empty() {
                errors.push(format!("/: {e}"));
            }
            return Err(errors);
        }
    };
    validate_plan(&plan)?;
    Ok(plan)
}

/// The current UTC time as RFC 3339 with seconds, e.g. `2026-11-21T14:30:00Z`.
fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A reviewer model's answer as a validated [`Envelope`] (docs/design.md §4).
///
/// Inputs: the answer object (`verdict`, `score` (Momus), `summary`, `findings`, `directives`
/// (Metis), `clarifying_questions`); the host-known `agent`, `run_id`, `depth`,
/// `reviewer_model` and `token_cost`, which replace anything the model wrote (metadata gets a
/// UTC timestamp now). Normalised before checking: `null` members dropped; empty
/// `directives`/`clarifying_questions` dropped (the schema wants them omitted when empty);
/// verdict and severity case-folded; a finding's `issue` accepted for `concern`.
/// Then [`parse_reviewer_answer`] (schema + [`validate_envelope`](crate::model::validate::validate_envelope): summary ≤ 240 characters,
/// score only for momus and 0–100, questions only with BLOCK, directives only for metis,
/// critical ⇒ ≥ RISKY, non-empty finding fields) and the verdict policy of the module docs:
/// verdict no better than [`verdict_from_findings`]; for `momus` a `score` is required and the
/// verdict no better than [`band`] of it.
///
/// # Errors
/// Every problem found, one message each (suitable for [`repair_message`]).
pub fn parse_review(
    v: Value,
    agent: &str,
    run_id: &str,
    depth: Option<u32>,
    reviewer_model: &str,
    token_cost: u64,
) -> Result<Envelope, Vec<String>> {
    let mut v = v;
    let Some(o) = v.as_object_mut() else {
        return Err(vec!["/: the answer is not a JSON object".into()]);
    };
    o.retain(|_, x| !x.is_null());
    for key in ["directives", "clarifying_questions"] {
        if o.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| a.is_empty())
        {
            o.remove(key);
        }
    }
    if let Some(Value::String(s)) = o.get_mut("verdict") {
        *s = s.trim().to_ascii_uppercase();
    }
    if let Some(Value::Array(findings)) = o.get_mut("findings") {
        for f in findings.iter_mut() {
            if let Some(fo) = f.as_object_mut() {
                fo.retain(|_, x| !x.is_null());
                if !fo.contains_key("concern") {
                    if let Some(issue) = fo.remove("issue") {
                        fo.insert("concern".into(), issue);
                    }
                }
                if let Some(Value::String(s)) = fo.get_mut("severity") {
                    *s = s.trim().to_ascii_lowercase();
                }
            }
        }
    }
    let metadata = EnvelopeMetadata {
        timestamp: now(),
        reviewer_model: reviewer_model.to_string(),
        token_cost,
    };
    let e = parse_reviewer_answer(&v, agent, run_id, depth, &metadata)?;
    let mut errors = Vec::new();
    let called_for = verdict_from_findings(&e.findings);
    if e.verdict < called_for {
        let worst = crate::model::rules::worst_severity(&e.findings)
            .map(Severity::as_str)
            .unwrap_or("none");
        errors.push(format!(
            "verdict {} does not agree with the findings: worst severity {worst} calls for at least {called_for}",
            e.verdict
        ));
    }
    if agent == "momus" {
        match e.score {
            None => errors.push("score is missing: momus must give an integer score 0-100".into()),
            Some(s) if e.verdict < band(s) => errors.push(format!(
                "verdict {} is better than the band of score {s} ({}); docs/design.md §5 bands: 85-100 SAFE, 70-84 CAUTION, 50-69 RISKY, 0-49 BLOCK",
                e.verdict,
                band(s)
            )),
            Some(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(e)
    } else {
        Err(errors)
    }
}

fn task_kind(s: &str) -> Option<TaskKind> {
    serde_json::from_value(Value::String(s.trim().to_ascii_lowercase())).ok()
}

/// An Intent Gate answer (`{task_kind, clear, reasons, questions}`; `kind` accepted for
/// `task_kind`) as the same [`Intent`] the offline gate produces (docs/design.md §2 stage 1), with
/// `terms` computed from `task` by [`crate::text::terms`]. Rules: `task_kind` one of the nine
/// kinds; `clear` a boolean; `reasons`/`questions` lists of non-empty strings (absent = empty);
/// when `clear` is false, one to four questions; when `clear` is true, no questions.
///
/// # Errors
/// Every problem found, one message each.
pub fn parse_intent(v: Value, task: &str) -> Result<Intent, Vec<String>> {
    let Some(o) = v.as_object() else {
        return Err(vec!["/: the answer is not a JSON object".into()]);
    };
    let mut errors = Vec::new();
    let kind_v = o.get("task_kind").or_else(|| o.get("kind"));
    let kind = match kind_v.and_then(Value::as_str) {
        Some(s) => task_kind(s).or_else(|| {
            errors.push(format!("/task_kind: {s:?} is not one of greenfield, feature, bugfix, refactor, migration, replacement, performance, security, research"));
            None
        }),
        None => {
            errors.push("/task_kind: missing (a string is required)".into());
            None
        }
    };
    let clear = match o.get("clear") {
        Some(Value::Bool(b)) => Some(*b),
        _ => {
            errors.push("/clear: must be true or false".into());
            None
        }
    };
    let mut strings = |key: &str| -> Vec<String> {
        match o.get(key) {
            None | Some(Value::Null) => vec![],
            Some(Value::Array(a)) => {
                let mut out = Vec::new();
                for (i, x) in a.iter().enumerate() {
                    match x.as_str().map(str::trim) {
                        Some(s) if !s.is_empty() => out.push(s.to_string()),
                        _ => errors.push(format!("/{key}/{i}: must be a non-empty string")),
                    }
                }
                out
            }
            Some(_) => {
                errors.push(format!("/{key}: must be a list of strings"));
                vec![]
            }
        }
    };
    let reasons = strings("reasons");
    let questions = strings("questions");
    match clear {
        Some(false) if questions.is_empty() || questions.len() > 4 => errors.push(format!(
            "/questions: a task that is not clear needs one to four clarifying questions, got {}",
            questions.len()
        )),
        Some(true) if !questions.is_empty() => {
            errors.push("/questions: must be empty when clear is true".into())
        }
        _ => {}
    }
    match (kind, clear) {
        (Some(kind), Some(clear)) if errors.is_empty() => Ok(Intent {
            kind,
            clear,
            reasons,
            questions,
            terms: crate::text::terms(task),
        }),
        _ => Err(errors),
    }
}

/// Most errors quoted in a repair request or an invalid envelope.
pub const MAX_QUOTED_ERRORS: usize = 40;
/// Longest single error quoted, in characters.
pub const MAX_ERROR_CHARS: usize = 400;

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Longest excerpt of a bad value quoted in a repair request, in characters.
pub const MAX_EXCERPT_CHARS: usize = 80;

/// Verbs that follow a quoted value in a JSON Schema error (`"…" is longer than 240
/// characters`, `[…] has more than 100 items`).
const VALUE_VERBS: [&str; 6] = ["is ", "has ", "does ", "was ", "should ", "must "];

/// One error as a repair request states it: the rule broken first, then where, then a short
/// excerpt of the bad value — `is longer than 240 characters (at /summary; the value:
/// "The plan…")`. Errors come as `"/json/pointer: message"` or a plain message; a JSON Schema
/// message that starts with the offending value (which may be thousands of characters) has the
/// value moved to the end and cut to [`MAX_EXCERPT_CHARS`].
pub fn rule_first(error: &str) -> String {
    let error = error.trim();
    let (at, message) = match error.split_once(": ") {
        Some((p, m)) if p.starts_with('/') && !p.contains(' ') => (Some(p), m),
        _ => (None, error),
    };
    let (value, rule) = leading_value(message).unwrap_or(("", message));
    let mut out = clip(rule.trim(), MAX_ERROR_CHARS);
    match (at, value.is_empty()) {
        (Some(p), true) => out.push_str(&format!(" (at {p})")),
        (Some(p), false) => out.push_str(&format!(
            " (at {p}; the value: {})",
            clip(value, MAX_EXCERPT_CHARS)
        )),
        (None, false) => out.push_str(&format!(" (the value: {})", clip(value, MAX_EXCERPT_CHARS))),
        (None, true) => {}
    }
    out
}

/// `(value, rest)` when `message` starts with a JSON value followed by one of [`VALUE_VERBS`].
fn leading_value(message: &str) -> Option<(&str, &str)> {
    let first = message.chars().next()?;
    let json_start = matches!(first, '"' | '{' | '[' | '-' | '0'..='9')
        || ["true", "false", "null"]
            .iter()
            .any(|k| message.starts_with(k));
    if !json_start {
        return None;
    }
    let mut values = serde_json::Deserializer::from_str(message).into_iter::<Value>();
    values.next()?.ok()?;
    let end = values.byte_offset();
    let rest = &message[end..];
    let verb = rest.trim_start();
    (rest.starts_with(' ') && VALUE_VERBS.iter().any(|v| verb.starts_with(v)))
        .then_some((&message[..end], verb))
}

/// The one repair request: every error (at most [`MAX_QUOTED_ERRORS`], numbered) stated rule
/// first, then where, then a short excerpt ([`rule_first`]), and the request for the corrected
/// answer as a single JSON object of the shape given in the first message, nothing else.
pub fn repair_message(errors: &[String]) -> String {
    let mut s = String::from(
        "Your previous answer could not be used. The host checked it and found these problems (the rule broken, then where, then the value):\n",
    );
    for (i, e) in errors.iter().take(MAX_QUOTED_ERRORS).enumerate() {
        s.push_str(&format!("{}. {}\n", i + 1, rule_first(e)));
    }
    if errors.len() > MAX_QUOTED_ERRORS {
        s.push_str(&format!(
            "… and {} more.\n",
            errors.len() - MAX_QUOTED_ERRORS
        ));
    }
    s.push_str(
        "\nFix every problem and answer again with the complete corrected answer: a single JSON \
         object of exactly the shape given in <answer_format> of the first message. Output the \
         JSON object only — no explanation, no Markdown fence, no text before or after it.",
    );
    s
}

/// Keys each answer format has, by JSON object (`""` the answer itself, then nested objects).
fn known_keys(kind: OutputKind, object: &str) -> &'static [&'static str] {
    match (kind, object) {
        (OutputKind::Envelope, "") => &[
            "verdict",
            "score",
            "summary",
            "findings",
            "directives",
            "clarifying_questions",
            // Set by the host whatever the model writes.
            "agent",
            "run_id",
            "depth",
            "metadata",
        ],
        (OutputKind::Envelope, "finding") => {
            &["location", "severity", "concern", "demand", "issue"]
        }
        (OutputKind::Plan, "") => &[
            "title",
            "thesis",
            "effort",
            "phases",
            "dependencies",
            "out_of_scope",
            "iron_rules",
            "author",
        ],
        (OutputKind::Plan, "phase") => &[
            "id",
            "slug",
            "title",
            "goal",
            "steps",
            "files",
            "success_criteria",
            "gate",
            "rollback",
            "depends_on",
            "provenance",
        ],
        (OutputKind::Plan, "file") => &["path", "action"],
        (OutputKind::Plan, "dependencies") => &["services", "env_vars", "permissions"],
        (OutputKind::Plan, "provenance") => {
            &["primary_source", "secondary_source", "contradictions"]
        }
        (OutputKind::Intent, "") => &["task_kind", "kind", "clear", "reasons", "questions"],
        _ => &[],
    }
}

/// Removes the keys `v` has that its answer format does not (a model adding `confidence` to
/// every finding, say) and returns their JSON pointers, so an answer is judged on what it
/// says, never rejected for a key too many. Objects that are not where the format has them are
/// left alone (the schema reports them).
pub fn drop_unknown_keys(kind: OutputKind, v: &mut Value) -> Vec<String> {
    let mut dropped = Vec::new();
    let mut prune = |o: &mut serde_json::Map<String, Value>, object: &str, at: &str| {
        let known = known_keys(kind, object);
        if known.is_empty() {
            return;
        }
        o.retain(|k, _| {
            let keep = known.contains(&k.as_str());
            if !keep {
                dropped.push(format!("{at}/{}", clip(k, 40)));
            }
            keep
        });
    };
    let Some(top) = v.as_object_mut() else {
        return dropped;
    };
    prune(top, "", "");
    let nested: [(&str, &str); 2] = match kind {
        OutputKind::Envelope => [("findings", "finding"), ("", "")],
        OutputKind::Plan => [("phases", "phase"), ("", "")],
        _ => [("", ""), ("", "")],
    };
    for (list, object) in nested.into_iter().filter(|(l, _)| !l.is_empty()) {
        let Some(items) = top.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for (i, item) in items.iter_mut().enumerate() {
            let Some(o) = item.as_object_mut() else {
                continue;
            };
            let at = format!("/{list}/{i}");
            prune(o, object, &at);
            if object == "phase" {
                if let Some(files) = o.get_mut("files").and_then(Value::as_array_mut) {
                    for (j, f) in files.iter_mut().enumerate() {
                        if let Some(fo) = f.as_object_mut() {
                            prune(fo, "file", &format!("{at}/files/{j}"));
                        }
                    }
                }
                if let Some(p) = o.get_mut("provenance").and_then(Value::as_object_mut) {
                    prune(p, "provenance", &format!("{at}/provenance"));
                }
            }
        }
    }
    if kind == OutputKind::Plan {
        if let Some(d) = top.get_mut("dependencies").and_then(Value::as_object_mut) {
            prune(d, "dependencies", "/dependencies");
        }
    }
    dropped
}

pub use crate::model::rules::{is_invalid_answer, INVALID_ANSWER_LOCATION};
use crate::model::rules::{FAILED_CALL_SUMMARY, INVALID_ANSWER_SUMMARY};

/// The envelope recorded for a reviewer whose answer was still invalid after the one repair
/// request (docs/design.md §4: "an empty or schema-invalid envelope is never a pass").
///
/// Output: agent/run_id/depth as given; verdict `BLOCK`; one `critical` finding at location
/// `agent-output` whose concern quotes the validation errors (clipped to the schema's 2000
/// characters) and whose demand asks for a re-run; a summary saying the answer was invalid
/// after one repair; `score: Some(0)` when `agent` is `momus` (so a Temper depth has a score,
/// banded BLOCK), else none; metadata with a UTC timestamp, `reviewer_model` (`"unknown"` if
/// empty) and token cost 0 (the caller may set the tokens actually spent). The result passes
/// [`validate_envelope`](crate::model::validate::validate_envelope) whenever `agent` is lowercase kebab-case and `run_id` has no spaces.
pub fn invalid_envelope(
    agent: &str,
    run_id: &str,
    depth: Option<u32>,
    reviewer_model: &str,
    errors: &[String],
) -> Envelope {
    let quoted: Vec<String> = errors
        .iter()
        .take(MAX_QUOTED_ERRORS)
        .map(|e| rule_first(e))
        .collect();
    let listed = if quoted.is_empty() {
        "no usable answer".to_string()
    } else {
        quoted.join("; ")
    };
    no_review(
        agent,
        run_id,
        depth,
        reviewer_model,
        format!("The {agent} answer was invalid after one repair request, so it cannot count as a review: {listed}"),
        format!(
            "{agent}: {INVALID_ANSWER_SUMMARY} ({} error{}); recorded as BLOCK, never a pass.",
            errors.len(),
            if errors.len() == 1 { "" } else { "s" }
        ),
        format!(
            "Re-run {agent} and have it return a single JSON answer of the required shape that passes validation."
        ),
    )
}

/// The envelope recorded for a reviewer whose call failed (`reason`: a provider timeout, an
/// error status, a connection refused), shaped as [`invalid_envelope`]: that reviewer's
/// failure — BLOCK, never a pass, its gate "invalid answer" — and not an abort of the run
/// (docs/design.md §4).
pub fn failed_envelope(agent: &str, run_id: &str, depth: Option<u32>, reason: &str) -> Envelope {
    no_review(
        agent,
        run_id,
        depth,
        "",
        format!("The {agent} call failed, so it cannot count as a review: {reason}"),
        format!("{agent}: {FAILED_CALL_SUMMARY}; recorded as BLOCK, never a pass."),
        format!(
            "Re-run once the provider of {agent} answers (check its timeout and base_url with `anneal config`)."
        ),
    )
}

/// An envelope that is no judgement of the plan: BLOCK with one critical finding at
/// [`INVALID_ANSWER_LOCATION`] (see [`is_invalid_answer`]).
fn no_review(
    agent: &str,
    run_id: &str,
    depth: Option<u32>,
    reviewer_model: &str,
    concern: String,
    summary: String,
    demand: String,
) -> Envelope {
    Envelope {
        agent: agent.to_string(),
        run_id: run_id.to_string(),
        depth,
        verdict: Verdict::Block,
        score: (agent == "momus").then_some(0),
        summary: clip(&summary, crate::model::validate::MAX_SUMMARY_CHARS),
        findings: vec![Finding {
            location: INVALID_ANSWER_LOCATION.into(),
            severity: Severity::Critical,
            concern: clip(&concern, 2000),
            demand,
        }],
        directives: vec![],
        clarifying_questions: vec![],
        metadata: EnvelopeMetadata {
            timestamp: now(),
            reviewer_model: if reviewer_model.trim().is_empty() {
                "unknown".into()
            } else {
                reviewer_model.to_string()
            },
            token_cost: 0,
        },
    }
}

#[cfg(test)]
mod tests;

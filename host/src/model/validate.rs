//! Validation of data that crosses a trust boundary: envelopes written by reviewers (models,
//! guests, the offline engine) and plans written by strategy guests or models.
//!
//! Nothing a guest or a model produced is rendered, written to disk or aggregated before it
//! passes these checks. docs/design.md §4: "an empty or schema-invalid envelope is never a pass".
use super::wire::{Envelope, EnvelopeMetadata, FileChange, Phase, Plan, Severity, Verdict};
use std::sync::LazyLock;

/// The JSON Schema (draft 2020-12) of the docs/design.md §4 envelope, as serialised by serde from
/// [`Envelope`]. Documented for humans and prompts in `_shared/plan-reviewer-schema.md`.
pub const ENVELOPE_SCHEMA: &str = include_str!("../../../_shared/schemas/envelope.schema.json");

/// Longest envelope summary, in characters (docs/design.md §4).
pub const MAX_SUMMARY_CHARS: usize = 240;
/// Most phases a plan may have.
pub const MAX_PHASES: usize = 30;
/// Longest slug, in bytes (slugs are ASCII).
pub const MAX_SLUG_LEN: usize = 40;
/// Longest plan or phase title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest free-text field (thesis, goal, rollback, each list item), in characters.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Most items in any list of a plan (steps, files, criteria, gate, dependencies, …).
pub const MAX_LIST_ITEMS: usize = 100;
/// Longest file path, in bytes.
pub const MAX_PATH_LEN: usize = 400;

static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
    let schema: serde_json::Value = serde_json::from_str(ENVELOPE_SCHEMA)
        .expect("_shared/schemas/envelope.schema.json is JSON");
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("_shared/schemas/envelope.schema.json is a valid JSON Schema")
});

/// Checks a raw JSON value (e.g. a model's answer, parsed from YAML or JSON) against
/// [`ENVELOPE_SCHEMA`] only.
///
/// # Errors
/// One message per schema violation, each `"<json pointer>: <what is wrong>"`.
pub fn schema_errors(value: &serde_json::Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = VALIDATOR
        .iter_errors(value)
        .map(|e| {
            let path = e.instance_path().to_string();
            format!("{}: {e}", if path.is_empty() { "/" } else { path.as_str() })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Parses an untrusted envelope: schema check, deserialisation, then [`validate_envelope`].
///
/// # Errors
/// Every problem found: schema violations first, then the plain-worded semantic ones (when the
/// value deserialises at all), or the deserialisation error.
pub fn parse_envelope(value: &serde_json::Value) -> Result<Envelope, Vec<String>> {
    let mut errors = schema_errors(value).err().unwrap_or_default();
    match serde_json::from_value::<Envelope>(value.clone()) {
        Ok(envelope) => {
            for m in validate_envelope(&envelope).err().unwrap_or_default() {
                if !errors.contains(&m) {
                    errors.push(m);
                }
            }
            if errors.is_empty() {
                Ok(envelope)
            } else {
                Err(errors)
            }
        }
        Err(e) => {
            errors.push(format!("/: {e}"));
            Err(errors)
        }
    }
}

/// Parses a reviewer model's answer into an envelope: the host-known parts — `agent`,
/// `run_id`, `depth` and `metadata` — are set from the arguments (replacing whatever the model
/// wrote, so a model cannot claim another role, run or cost), then the result goes through
/// [`parse_envelope`]. `answer` must be a JSON object.
///
/// # Errors
/// `"/: answer is not an object"` for a non-object, else the errors of [`parse_envelope`].
pub fn parse_reviewer_answer(
    answer: &serde_json::Value,
    agent: &str,
    run_id: &str,
    depth: Option<u32>,
    metadata: &EnvelopeMetadata,
) -> Result<Envelope, Vec<String>> {
    let mut value = answer.clone();
    let Some(obj) = value.as_object_mut() else {
        return Err(vec!["/: answer is not an object".into()]);
    };
    obj.insert("agent".into(), agent.into());
    obj.insert("run_id".into(), run_id.into());
    match depth {
        Some(d) => obj.insert("depth".into(), d.into()),
        None => obj.remove("depth"),
    };
    obj.insert(
        "metadata".into(),
        serde_json::to_value(metadata).map_err(|e| vec![format!("/metadata: {e}")])?,
    );
    obj.entry("findings")
        .or_insert_with(|| serde_json::Value::Array(vec![]));
    parse_envelope(&value)
}

/// Validates an envelope against docs/design.md §4: the JSON schema of [`ENVELOPE_SCHEMA`] (applied to
/// `serde_json::to_value(e)`) and these semantic rules:
/// summary non-empty and ≤ 240 characters; `agent` and `run_id` non-empty; `score` present only
/// for agent `momus` and then 0–100; `clarifying_questions` only with verdict `BLOCK`;
/// `directives` only for agent `metis`; a critical finding ⇒ verdict ≥ `RISKY`; every finding's
/// location, concern and demand non-empty; `metadata.timestamp` an ISO-8601 date-time with
/// offset (RFC 3339, see [`is_iso8601`]); `reviewer_model` non-empty.
///
/// # Errors
/// Every problem found, as human-readable messages (schema messages start with a JSON pointer).
pub fn validate_envelope(e: &Envelope) -> Result<(), Vec<String>> {
    let mut errors = Vec::new();
    match serde_json::to_value(e) {
        Ok(value) => {
            if let Err(schema) = schema_errors(&value) {
                errors.extend(schema);
            }
        }
        Err(err) => errors.push(format!("envelope does not serialise: {err}")),
    }
    // The semantic rules, stated again so their messages are plain and they hold even if the
    // schema file is edited.
    if e.agent.trim().is_empty() {
        errors.push("agent is empty".into());
    }
    if e.run_id.trim().is_empty() {
        errors.push("run_id is empty".into());
    }
    let summary_chars = e.summary.chars().count();
    if e.summary.trim().is_empty() {
        errors.push("summary is empty".into());
    } else if summary_chars > MAX_SUMMARY_CHARS {
        errors.push(format!(
            "summary has {summary_chars} characters; at most {MAX_SUMMARY_CHARS} allowed"
        ));
    }
    if let Some(score) = e.score {
        if e.agent != "momus" {
            errors.push(format!(
                "score is given by agent {:?}; only momus scores",
                e.agent
            ));
        }
        if score > 100 {
            errors.push(format!("score {score} is outside 0-100"));
        }
    }
    if !e.clarifying_questions.is_empty() && e.verdict != Verdict::Block {
        errors.push(format!(
            "clarifying_questions with verdict {}; questions are only for BLOCK",
            e.verdict.as_str()
        ));
    }
    if e.clarifying_questions.iter().any(|q| q.trim().is_empty()) {
        errors.push("a clarifying question is empty".into());
    }
    if !e.directives.is_empty() && e.agent != "metis" {
        errors.push(format!(
            "directives from agent {:?}; only metis gives directives",
            e.agent
        ));
    }
    if e.directives.iter().any(|d| d.trim().is_empty()) {
        errors.push("a directive is empty".into());
    }
    if e.findings.iter().any(|f| f.severity == Severity::Critical) && e.verdict < Verdict::Risky {
        errors.push(format!("a critical finding with verdict {}; a critical finding makes the verdict at least RISKY", e.verdict.as_str()));
    }
    for (i, f) in e.findings.iter().enumerate() {
        if f.location.trim().is_empty() {
            errors.push(format!("finding {i}: location is empty"));
        }
        if f.concern.trim().is_empty() {
            errors.push(format!("finding {i}: concern is empty"));
        }
        if f.demand.trim().is_empty() {
            errors.push(format!("finding {i}: demand is empty"));
        }
    }
    if !is_iso8601(&e.metadata.timestamp) {
        errors.push(format!(
            "metadata.timestamp {:?} is not an ISO-8601 date-time",
            e.metadata.timestamp
        ));
    }
    if e.metadata.reviewer_model.trim().is_empty() {
        errors.push("metadata.reviewer_model is empty".into());
    }
    errors.dedup();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Whether `s` is an ISO-8601 date-time in the RFC 3339 profile the schema's `date-time`
/// format checks: date, time and offset, e.g. `2026-11-21T14:30:00Z`,
/// `2026-11-21T14:30:00.5+01:00`. A local time without offset is rejected: an envelope's
/// timestamp must be comparable across machines.
pub fn is_iso8601(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Whether `slug` is a valid phase slug: 1–40 of `[a-z0-9-]`, not starting or ending with `-`.
pub fn is_valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
}

/// Why `path` is not a safe repository-relative path, or `None` when it is: non-empty, at most
/// 400 bytes, `/`-separated (no `\`), relative (no leading `/`, no drive letter like `C:`), no
/// empty, `.` or `..` component, no NUL or other control character.
pub fn path_problem(path: &str) -> Option<String> {
    if path.is_empty() {
        return Some("path is empty".into());
    }
    if path.len() > MAX_PATH_LEN {
        return Some(format!(
            "path is {} bytes long; at most {MAX_PATH_LEN} allowed",
            path.len()
        ));
    }
    if path.chars().any(|c| c.is_control()) {
        return Some(format!("path {path:?} holds a NUL or control character"));
    }
    if path.contains('\\') {
        return Some(format!("path {path:?} uses '\\'; paths are '/'-separated"));
    }
    if path.starts_with('/') {
        return Some(format!(
            "path {path:?} is absolute; paths are relative to the repository root"
        ));
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Some(format!(
            "path {path:?} starts with a drive letter; paths are relative to the repository root"
        ));
    }
    for part in path.split('/') {
        match part {
            "" => return Some(format!("path {path:?} has an empty component")),
            "." | ".." => return Some(format!("path {path:?} has a {part:?} component")),
            _ => {}
        }
    }
    None
}

/// The phase id of index `i`: two digits, `00`, `01`, … (HELPER_CONTEXT conventions).
pub fn phase_id(i: usize) -> String {
    format!("{i:02}")
}

struct Checker {
    errors: Vec<String>,
}

impl Checker {
    fn text(&mut self, what: &str, s: &str, max: usize) {
        let n = s.chars().count();
        if n > max {
            self.errors
                .push(format!("{what} has {n} characters; at most {max} allowed"));
        }
        if s.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        {
            self.errors
                .push(format!("{what} holds a NUL or control character"));
        }
    }

    fn line(&mut self, what: &str, s: &str, max: usize) {
        self.text(what, s, max);
        if s.contains(['\n', '\r']) {
            self.errors
                .push(format!("{what} spans several lines; it must be one line"));
        }
    }

    fn list(&mut self, what: &str, items: &[String]) {
        if items.len() > MAX_LIST_ITEMS {
            self.errors.push(format!(
                "{what} has {} items; at most {MAX_LIST_ITEMS} allowed",
                items.len()
            ));
        }
        for (i, item) in items.iter().enumerate().take(MAX_LIST_ITEMS + 1) {
            self.text(&format!("{what}[{i}]"), item, MAX_TEXT_CHARS);
        }
    }

    fn files(&mut self, what: &str, files: &[FileChange]) {
        if files.len() > MAX_LIST_ITEMS {
            self.errors.push(format!(
                "{what} has {} items; at most {MAX_LIST_ITEMS} allowed",
                files.len()
            ));
        }
        for (i, f) in files.iter().enumerate().take(MAX_LIST_ITEMS + 1) {
            if let Some(p) = path_problem(&f.path) {
                self.errors.push(format!("{what}[{i}]: {p}"));
            }
        }
    }
}

/// Structural validity of a plan from an untrusted guest or model — everything a renderer must
/// be able to trust before writing files named after slugs (docs/design.md §5 plan shape, HELPER_CONTEXT
/// conventions):
/// - 1–30 phases; ids `00`, `01`, … consecutive; phase `00` has slug `preflight`;
/// - slugs match `[a-z0-9-]{1,40}`, do not start or end with `-`, and are unique;
/// - `depends_on` names only ids of earlier phases (no self, forward or unknown references);
/// - titles non-empty, one line, ≤ 200 characters (plan and phases); every other text ≤ 2000
///   characters; lists ≤ 100 items; no NUL or control character except tab/newline;
/// - file paths relative, `/`-separated, without `.`/`..`/empty components, NUL or drive letter.
///
/// # Errors
/// Every problem found, one message each, naming the phase (`phase 02 (slug)`) and field.
pub fn validate_plan(p: &Plan) -> Result<(), Vec<String>> {
    let mut c = Checker { errors: Vec::new() };
    if p.title.trim().is_empty() {
        c.errors.push("plan title is empty".into());
    }
    c.line("plan title", &p.title, MAX_TITLE_CHARS);
    c.text("thesis", &p.thesis, MAX_TEXT_CHARS);
    c.line("effort", &p.effort, MAX_TITLE_CHARS);
    c.line("author", &p.author, MAX_TITLE_CHARS);
    c.list("dependencies.services", &p.dependencies.services);
    c.list("dependencies.env_vars", &p.dependencies.env_vars);
    c.list("dependencies.permissions", &p.dependencies.permissions);
    c.list("out_of_scope", &p.out_of_scope);
    c.list("iron_rules", &p.iron_rules);

    if p.phases.is_empty() {
        c.errors
            .push("plan has no phase; phase 00 (preflight) is required".into());
    }
    if p.phases.len() > MAX_PHASES {
        c.errors.push(format!(
            "plan has {} phases; at most {MAX_PHASES} allowed",
            p.phases.len()
        ));
    }
    let mut seen_slugs: Vec<&str> = Vec::new();
    for (i, phase) in p.phases.iter().enumerate().take(MAX_PHASES + 1) {
        check_phase(
            &mut c,
            i,
            phase,
            &p.phases[..i.min(p.phases.len())],
            &mut seen_slugs,
        );
    }
    if c.errors.is_empty() {
        Ok(())
    } else {
        Err(c.errors)
    }
}

fn check_phase<'a>(
    c: &mut Checker,
    i: usize,
    phase: &'a Phase,
    earlier: &[Phase],
    seen_slugs: &mut Vec<&'a str>,
) {
    let expected = phase_id(i);
    let who = format!("phase {expected}");
    if phase.id != expected {
        c.errors.push(format!("{who}: id is {:?}; ids must be consecutive two-digit numbers from 00, so this one must be {expected:?}", phase.id));
    }
    if !is_valid_slug(&phase.slug) {
        c.errors.push(format!(
            "{who}: slug {:?} is invalid; a slug is 1-{MAX_SLUG_LEN} of [a-z0-9-], not starting or ending with '-'",
            phase.slug
        ));
    } else if seen_slugs.contains(&phase.slug.as_str()) {
        c.errors.push(format!(
            "{who}: slug {:?} is used by an earlier phase; slugs must be unique",
            phase.slug
        ));
    } else {
        seen_slugs.push(&phase.slug);
    }
    if i == 0 && phase.slug != "preflight" {
        c.errors.push(format!(
            "{who}: slug is {:?}; phase 00 must be the preflight phase (slug \"preflight\")",
            phase.slug
        ));
    }
    if phase.title.trim().is_empty() {
        c.errors.push(format!("{who}: title is empty"));
    }
    c.line(&format!("{who} title"), &phase.title, MAX_TITLE_CHARS);
    c.text(&format!("{who} goal"), &phase.goal, MAX_TEXT_CHARS);
    c.text(&format!("{who} rollback"), &phase.rollback, MAX_TEXT_CHARS);
    c.list(&format!("{who} steps"), &phase.steps);
    c.list(&format!("{who} success_criteria"), &phase.success_criteria);
    c.list(&format!("{who} gate"), &phase.gate);
    c.files(&format!("{who} files"), &phase.files);
    if phase.depends_on.len() > MAX_LIST_ITEMS {
        c.errors.push(format!(
            "{who} depends_on has {} items; at most {MAX_LIST_ITEMS} allowed",
            phase.depends_on.len()
        ));
    }
    for dep in phase.depends_on.iter().take(MAX_LIST_ITEMS + 1) {
        if dep == &phase.id || dep == &expected {
            c.errors.push(format!("{who}: depends on itself"));
        } else if earlier.iter().any(|e| &e.id == dep) {
            // an earlier phase: fine
        } else if let Some(n) = dep.parse::<usize>().ok().filter(|n| *n > i) {
            c.errors.push(format!("{who}: depends_on {dep:?} is a forward reference to phase {n:02}; phases may depend only on earlier phases"));
        } else {
            c.errors.push(format!(
                "{who}: depends_on {:?} names no earlier phase",
                truncate(dep, 40)
            ));
        }
    }
    if let Some(prov) = &phase.provenance {
        c.line(
            &format!("{who} provenance.primary_source"),
            &prov.primary_source,
            MAX_TITLE_CHARS,
        );
        if let Some(s) = &prov.secondary_source {
            c.line(
                &format!("{who} provenance.secondary_source"),
                s,
                MAX_TITLE_CHARS,
            );
        }
        c.list(
            &format!("{who} provenance.contradictions"),
            &prov.contradictions,
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileAction, Finding};

    fn good_envelope() -> Envelope {
        Envelope {
            agent: "redteam-security".into(),
            run_id: "anneal-20261121-143000-auth-unify".into(),
            depth: Some(2),
            verdict: Verdict::Caution,
            score: None,
            summary: "One medium finding.".into(),
            findings: vec![Finding {
                location: "plan/phase-02-token-refresh.md".into(),
                severity: Severity::Medium,
                concern: "Refresh tokens are not rotated.".into(),
                demand: "Rotate refresh tokens on every use.".into(),
            }],
            directives: vec![],
            clarifying_questions: vec![],
            metadata: EnvelopeMetadata {
                timestamp: "2026-11-21T14:30:00Z".into(),
                reviewer_model: "anneal-offline/0.1.0".into(),
                token_cost: 0,
            },
        }
    }

    fn assert_rejected(e: &Envelope, needle: &str) {
        let errs = validate_envelope(e).expect_err("must be rejected");
        assert!(
            errs.iter().any(|m| m.contains(needle)),
            "no error containing {needle:?} in {errs:?}"
        );
    }

    #[test]
    fn schema_compiles_and_good_envelopes_pass() {
        assert_eq!(validate_envelope(&good_envelope()), Ok(()));
        let mut momus = good_envelope();
        momus.agent = "momus".into();
        momus.score = Some(87);
        momus.depth = None;
        assert_eq!(validate_envelope(&momus), Ok(()));
        let mut metis = good_envelope();
        metis.agent = "metis".into();
        metis.verdict = Verdict::Block;
        metis.findings.clear();
        metis.directives = vec!["Keep the public API stable.".into()];
        metis.clarifying_questions = vec!["Which OIDC provider?".into()];
        assert_eq!(validate_envelope(&metis), Ok(()));
        let mut crit = good_envelope();
        crit.findings[0].severity = Severity::Critical;
        crit.verdict = Verdict::Risky;
        assert_eq!(validate_envelope(&crit), Ok(()));
    }

    #[test]
    fn offline_envelope_constructor_output_is_valid() {
        let probe = crate::model::ProbeReport::default();
        let ctx = crate::model::Context {
            run_id: "anneal-20261121-143000-x",
            task: "t",
            task_kind: crate::model::TaskKind::Feature,
            directives: &[],
            probe: &probe,
            repo_root: std::path::Path::new("."),
            resolution: crate::model::resolution::Resolution::empty(),
        };
        let e = crate::model::envelope::new("oracle", &ctx, None, Verdict::Safe, "x".repeat(500));
        assert_eq!(validate_envelope(&e), Ok(()));
    }

    #[test]
    fn rejects_bad_verdict_string() {
        let mut v = serde_json::to_value(good_envelope()).unwrap();
        v["verdict"] = "OK".into();
        let errs = schema_errors(&v).unwrap_err();
        assert!(errs.iter().any(|m| m.starts_with("/verdict")), "{errs:?}");
        assert!(parse_envelope(&v).is_err());
        v["verdict"] = "safe".into();
        assert!(parse_envelope(&v).is_err(), "verdicts are upper-case");
    }

    #[test]
    fn rejects_summary_too_long_or_empty() {
        let mut e = good_envelope();
        e.summary = "x".repeat(241);
        assert_rejected(&e, "241 characters");
        e.summary = "é".repeat(240);
        assert_eq!(validate_envelope(&e), Ok(()), "240 characters, not bytes");
        e.summary = "  ".into();
        assert_rejected(&e, "summary is empty");
    }

    #[test]
    fn rejects_questions_without_block() {
        let mut e = good_envelope();
        e.agent = "metis".into();
        e.clarifying_questions = vec!["Which provider?".into()];
        assert_rejected(&e, "only for BLOCK");
        e.verdict = Verdict::Block;
        assert_eq!(validate_envelope(&e), Ok(()));
    }

    #[test]
    fn rejects_score_on_non_momus_and_out_of_range() {
        let mut e = good_envelope();
        e.score = Some(80);
        assert_rejected(&e, "only momus scores");
        e.agent = "momus".into();
        e.score = Some(101);
        assert_rejected(&e, "outside 0-100");
    }

    #[test]
    fn rejects_missing_or_bad_metadata() {
        let mut v = serde_json::to_value(good_envelope()).unwrap();
        v.as_object_mut().unwrap().remove("metadata");
        let errs = parse_envelope(&v).unwrap_err();
        assert!(errs.iter().any(|m| m.contains("metadata")), "{errs:?}");

        let mut e = good_envelope();
        e.metadata.timestamp = "yesterday".into();
        assert_rejected(&e, "ISO-8601");
        e.metadata.timestamp = "2026-11-21T14:30:00".into();
        assert_rejected(&e, "ISO-8601");
        e.metadata.timestamp = "2026-11-21T14:30:00.250+01:00".into();
        assert_eq!(validate_envelope(&e), Ok(()));
        e.metadata.reviewer_model = String::new();
        assert_rejected(&e, "reviewer_model");
    }

    #[test]
    fn rejects_empty_agent_run_id_and_demand() {
        let mut e = good_envelope();
        e.agent = String::new();
        assert_rejected(&e, "agent is empty");
        let mut e = good_envelope();
        e.run_id = String::new();
        assert_rejected(&e, "run_id is empty");
        let mut e = good_envelope();
        e.findings[0].demand = " ".into();
        assert_rejected(&e, "demand is empty");
    }

    #[test]
    fn rejects_critical_without_risky_and_stray_directives() {
        let mut e = good_envelope();
        e.findings[0].severity = Severity::Critical;
        assert_rejected(&e, "at least RISKY");
        let mut e = good_envelope();
        e.directives = vec!["Do x.".into()];
        assert_rejected(&e, "only metis");
    }

    #[test]
    fn rejects_unknown_fields_and_bad_severity() {
        let mut v = serde_json::to_value(good_envelope()).unwrap();
        v["extra"] = 1.into();
        assert!(schema_errors(&v).is_err());
        let mut v = serde_json::to_value(good_envelope()).unwrap();
        v["findings"][0]["severity"] = "CRITICAL".into();
        assert!(schema_errors(&v).is_err());
        let v = serde_json::json!({});
        assert!(
            parse_envelope(&v).is_err(),
            "an empty envelope is never a pass"
        );
    }

    #[test]
    fn parse_envelope_accepts_valid_json() {
        let v = serde_json::to_value(good_envelope()).unwrap();
        assert_eq!(parse_envelope(&v).unwrap(), good_envelope());
    }

    #[test]
    fn reviewer_answers_get_host_known_parts() {
        let meta = good_envelope().metadata;
        let answer = serde_json::json!({
            "agent": "momus", "run_id": "other-run", "verdict": "CAUTION", "score": 99,
            "summary": "Two medium findings.",
            "findings": [{"location": "plan/plan.md", "severity": "medium", "concern": "c", "demand": "Do d."}]
        });
        let errs = parse_reviewer_answer(
            &answer,
            "redteam-scope",
            "anneal-20261121-143000-x",
            None,
            &meta,
        )
        .unwrap_err();
        assert!(
            errs.iter().any(|m| m.contains("only momus")),
            "a model cannot pose as momus: {errs:?}"
        );
        let mut answer = answer;
        answer.as_object_mut().unwrap().remove("score");
        let e = parse_reviewer_answer(
            &answer,
            "redteam-scope",
            "anneal-20261121-143000-x",
            Some(1),
            &meta,
        )
        .unwrap();
        assert_eq!(
            (e.agent.as_str(), e.run_id.as_str(), e.depth),
            ("redteam-scope", "anneal-20261121-143000-x", Some(1))
        );
        assert_eq!(e.metadata, meta);
        let bare = serde_json::json!({"verdict": "SAFE", "summary": "Fine."});
        assert!(parse_reviewer_answer(&bare, "oracle", "r", None, &meta).is_ok());
        assert!(
            parse_reviewer_answer(&serde_json::json!("SAFE"), "oracle", "r", None, &meta).is_err()
        );
    }

    // ---- plans ----

    fn phase(i: usize, slug: &str) -> Phase {
        Phase {
            id: phase_id(i),
            slug: slug.into(),
            title: format!("Phase {slug}"),
            goal: "g".into(),
            steps: vec!["s".into()],
            files: vec![FileChange {
                path: "src/lib.rs".into(),
                action: FileAction::Modify,
            }],
            success_criteria: vec!["`cargo test` exits 0".into()],
            gate: vec!["cargo test".into()],
            rollback: "git revert".into(),
            depends_on: if i == 0 {
                vec![]
            } else {
                vec![phase_id(i - 1)]
            },
            provenance: None,
        }
    }

    fn plan(slugs: &[&str]) -> Plan {
        Plan {
            title: "Plan".into(),
            thesis: "t".into(),
            effort: "S".into(),
            phases: slugs.iter().enumerate().map(|(i, s)| phase(i, s)).collect(),
            dependencies: Default::default(),
            out_of_scope: vec![],
            iron_rules: vec![],
            author: "prometheus-cast".into(),
        }
    }

    fn assert_plan_rejected(p: &Plan, needle: &str) {
        let errs = validate_plan(p).expect_err("must be rejected");
        assert!(
            errs.iter().any(|m| m.contains(needle)),
            "no error containing {needle:?} in {errs:?}"
        );
    }

    #[test]
    fn good_plan_passes() {
        assert_eq!(
            validate_plan(&plan(&["preflight", "core", "tests"])),
            Ok(())
        );
        assert_eq!(validate_plan(&plan(&["preflight"])), Ok(()));
    }

    #[test]
    fn rejects_bad_slugs() {
        for bad in [
            "../x",
            "",
            "-x",
            "x-",
            "Upper",
            "a b",
            "a/b",
            "a_b",
            "é",
            &"a".repeat(41),
        ] {
            assert_plan_rejected(&plan(&["preflight", bad]), "slug");
        }
        assert_eq!(
            validate_plan(&plan(&["preflight", &"a".repeat(40)])),
            Ok(())
        );
    }

    #[test]
    fn rejects_duplicate_slug_and_missing_preflight() {
        assert_plan_rejected(&plan(&["preflight", "core", "core"]), "unique");
        assert_plan_rejected(&plan(&["setup", "core"]), "preflight");
        assert_plan_rejected(&plan(&[]), "no phase");
    }

    #[test]
    fn rejects_gaps_and_bad_ids() {
        let mut p = plan(&["preflight", "core", "tests"]);
        p.phases[2].id = "03".into();
        p.phases[2].depends_on = vec!["01".into()];
        assert_plan_rejected(&p, "consecutive");
        let mut p = plan(&["preflight", "core"]);
        p.phases[1].id = "1".into();
        assert_plan_rejected(&p, "consecutive");
    }

    #[test]
    fn rejects_forward_self_and_unknown_references() {
        let mut p = plan(&["preflight", "core", "tests"]);
        p.phases[1].depends_on = vec!["02".into()];
        assert_plan_rejected(&p, "forward reference");
        let mut p = plan(&["preflight", "core"]);
        p.phases[1].depends_on = vec!["01".into()];
        assert_plan_rejected(&p, "itself");
        let mut p = plan(&["preflight", "core"]);
        p.phases[1].depends_on = vec!["core".into()];
        assert_plan_rejected(&p, "names no earlier phase");
    }

    #[test]
    fn rejects_unsafe_paths() {
        for bad in [
            "/etc/passwd",
            "../outside",
            "src/../../x",
            "src\\lib.rs",
            "C:/x",
            "src//lib.rs",
            "./src",
            "a\0b",
            "",
        ] {
            let mut p = plan(&["preflight"]);
            p.phases[0].files[0].path = bad.into();
            assert!(validate_plan(&p).is_err(), "{bad:?} must be rejected");
        }
        assert_eq!(path_problem("src/auth/mod.rs"), None);
        assert_eq!(path_problem(".github/workflows/ci.yml"), None);
    }

    #[test]
    fn rejects_oversized_text_and_lists() {
        let mut p = plan(&["preflight"]);
        p.phases[0].title = "t".repeat(201);
        assert_plan_rejected(&p, "at most 200");
        let mut p = plan(&["preflight"]);
        p.phases[0].steps = vec!["s".into(); 101];
        assert_plan_rejected(&p, "at most 100");
        let mut p = plan(&["preflight"]);
        p.phases[0].steps[0] = "s".repeat(2001);
        assert_plan_rejected(&p, "at most 2000");
        let mut p = plan(&["preflight"]);
        p.title = "a\nb".into();
        assert_plan_rejected(&p, "one line");
        let mut p = plan(&["preflight"]);
        p.phases[0].goal = "nul\0".into();
        assert_plan_rejected(&p, "control character");
        let slugs: Vec<String> = (0..31)
            .map(|i| {
                if i == 0 {
                    "preflight".into()
                } else {
                    format!("p{i}")
                }
            })
            .collect();
        let refs: Vec<&str> = slugs.iter().map(String::as_str).collect();
        assert_plan_rejected(&plan(&refs), "at most 30");
        assert_eq!(validate_plan(&plan(&refs[..30])), Ok(()));
    }
}

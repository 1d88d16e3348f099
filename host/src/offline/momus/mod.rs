//! Momus, offline: the docs/design.md §5 rubric, deterministic.
//!
//! The rubric itself — six dimensions and their weights, what a finding costs, the bands, the
//! critical cap — is [`plan_rules::rubric`], the one definition Alloy's synthesis also uses.
//! Momus collects the findings and scores them there: every hit of the deterministic checks
//! ([`crate::offline::checks`], each in its dimension), and the judgements only Momus makes
//! ([`completeness`], [`risk_posture`], [`scope_hygiene`], [`evidence_plan`], [`sequencing`],
//! documented on each). Each finding's concern says what it cost: `"Correctness −10: …"` is a
//! high correctness finding, which takes 40 of the dimension's 100 and so 10 points of the
//! score; the envelope's summary names the dimensions that lost most
//! ([`breakdown`] gives the whole table, for `plan.md` and the rollup).
use crate::offline::scan;
#[cfg(test)]
pub(crate) mod testkit;

use crate::model::rules::{band, cap_score, enforce_critical};
use crate::model::validate::validate_plan;
use crate::model::Context;
use crate::model::{
    Envelope, FileAction, Finding, Phase, Plan, RedTeamReport, Severity, TaskKind, Verdict,
};
use crate::offline::checks;

// A text that says nothing ("n/a", "none", "TBD", …): shared with the planner and Alloy.
use plan_rules::is_placeholder;
use plan_rules::rubric::points;
pub use plan_rules::rubric::{Dimension, Score};
use regex::Regex;
use scan::{
    clip, contains_word, creep_phrase, declares_env, declares_service, env_vars_in, finding,
    is_check, is_detected, phase_location, plan_items, probe_services, services_in,
    touched_contents, work_texts, PLAN_LOCATION,
};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Most findings an offline envelope carries (worst first); the schema allows 500.
pub const MAX_FINDINGS: usize = 200;

/// What one finding costs its dimension ([`plan_rules::rubric::penalty`]).
pub fn penalty(s: Severity) -> u32 {
    plan_rules::rubric::penalty(checks::level(s))
}

/// `"Correctness"`, `"Risk posture"`: a dimension's name as a concern starts with it.
fn title(d: Dimension) -> String {
    let n = d.name();
    let mut c = n.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The points a finding of `severity` in `d` takes off the score, as written in a concern:
/// `"10"`, `"1.5"`.
fn cost_text(d: Dimension, severity: Severity) -> String {
    let p = points(d, checks::level(severity));
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// A Momus finding of dimension `d`: its concern is `"<Dimension> −<points>: <concern>"`.
fn scored(d: Dimension, f: Finding) -> Finding {
    Finding {
        concern: format!("{} −{}: {}", title(d), cost_text(d, f.severity), f.concern),
        ..f
    }
}

/// A Momus-only finding of dimension `d` (see [`scored`]).
fn judged(
    d: Dimension,
    location: impl Into<String>,
    severity: Severity,
    concern: impl Into<String>,
    demand: impl Into<String>,
) -> Finding {
    scored(d, finding(location, severity, concern, demand))
}

/// The dimension a Momus finding's concern names (`"Correctness −10: …"`), if any.
pub fn dimension_of(f: &Finding) -> Option<Dimension> {
    Dimension::of_concern(&f.concern)
}

/// The rubric score of `findings`: each finding whose concern names a dimension
/// ([`dimension_of`]) costs that dimension its penalty; others cost nothing.
pub fn score_of(findings: &[Finding]) -> Score {
    plan_rules::rubric::score(
        findings
            .iter()
            .filter_map(|f| dimension_of(f).map(|d| (d, checks::level(f.severity)))),
    )
}

/// One line per dimension of what the findings cost: `(dimension, dimension score, points lost
/// from the total, findings counted)`, in rubric order.
pub fn breakdown(findings: &[Finding]) -> Vec<(Dimension, u8, f64, usize)> {
    let s = score_of(findings);
    Dimension::ALL
        .iter()
        .map(|d| {
            let n = findings
                .iter()
                .filter(|f| dimension_of(f) == Some(*d))
                .count();
            (*d, s.get(*d), s.lost(*d), n)
        })
        .collect()
}

/// `"correctness −10, risk posture −6"`: the dimensions that lost points, most first (at most
/// `max`); `"nothing lost"` when none did.
pub fn breakdown_line(findings: &[Finding], max: usize) -> String {
    let mut lost: Vec<(Dimension, f64)> = breakdown(findings)
        .into_iter()
        .filter(|(_, _, l, _)| *l > 0.0)
        .map(|(d, _, l, _)| (d, l))
        .collect();
    lost.sort_by(|a, b| b.1.total_cmp(&a.1));
    if lost.is_empty() {
        return "nothing lost".into();
    }
    lost.iter()
        .take(max)
        .map(|(d, l)| {
            if l.fract() == 0.0 {
                format!("{} −{l:.0}", d.name())
            } else {
                format!("{} −{l:.1}", d.name())
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Scores `plan` on the six docs/design.md §5 dimensions and returns the score and every
/// finding: the check hits first (in check order), then Momus's own judgements in dimension
/// order. Each finding's concern starts with its dimension and cost (`"Correctness −10: …"`),
/// its location is `plan/phase-NN-slug.md` or `plan/plan.md`, and its demand is imperative.
/// Reads (never writes) the files the plan modifies or deletes under `ctx.repo_root`.
/// Works on structurally invalid plans too (see [`audit`] for how those are judged).
pub fn rubric(ctx: &Context<'_>, plan: &Plan) -> (Score, Vec<Finding>) {
    let mut findings: Vec<Finding> = checks::run(ctx, plan)
        .into_iter()
        .map(|h| scored(h.dimension, h.finding))
        .collect();
    findings.extend(completeness(ctx, plan));
    findings.extend(risk_posture(ctx, plan));
    findings.extend(scope_hygiene(ctx, plan));
    findings.extend(evidence_plan(ctx, plan));
    findings.extend(sequencing(ctx, plan));
    (score_of(&findings), findings)
}

/// Momus's envelope for `plan` (docs/design.md §4, §5).
///
/// `score` is always set: the rubric score ([`plan_rules::rubric::score`]: at most 69 with a
/// critical finding), capped by [`cap_score`] when `red_team` is given (its three members'
/// verdicts: any BLOCK → ≤ 50, any RISKY → ≤ 75). `verdict` is the worse of [`band`]`(score)`
/// and [`enforce_critical`] over the findings. A plan that fails [`validate_plan`] is `BLOCK`:
/// each structural problem becomes a critical finding (listed first) and the score is held at
/// ≤ 49 so band and verdict agree. Agent `momus`; the summary names the score, the verdict and
/// the dimensions that lost most ([`breakdown_line`]).
pub fn audit(
    ctx: &Context<'_>,
    plan: &Plan,
    depth: Option<u32>,
    red_team: Option<&RedTeamReport>,
) -> Envelope {
    let structural = validate_plan(plan).err().unwrap_or_default();
    let (rubric, rubric_findings) = rubric(ctx, plan);
    let raw = rubric.score;
    let mut score = raw;
    let mut cap_note = String::new();
    if let Some(rt) = red_team {
        score = cap_score(raw, &[&rt.security, &rt.scope, &rt.assumptions]);
        if score < raw {
            let worst = Verdict::worst([
                rt.security.verdict,
                rt.scope.verdict,
                rt.assumptions.verdict,
            ]);
            cap_note = format!(", capped from {raw} by a red-team {worst}");
        }
    }
    let mut findings: Vec<Finding> = structural
        .iter()
        .map(|problem| {
            finding(
                structural_location(plan, problem),
                Severity::Critical,
                format!("Structure: {problem}."),
                "Correct the plan's structure so that this problem is gone; the plan cannot be rendered or implemented until it is.",
            )
        })
        .collect();
    let lost = breakdown_line(&rubric_findings, 3);
    findings.extend(rubric_findings);
    let verdict = if structural.is_empty() {
        enforce_critical(band(score), &findings)
    } else {
        score = score.min(49);
        Verdict::Block
    };
    let total = findings.len();
    let findings = worst_first(findings);
    let critical = if rubric.score < rubric.raw {
        format!(
            " (critical finding: held at {} from {})",
            rubric.score, rubric.raw
        )
    } else {
        String::new()
    };
    let summary = if structural.is_empty() {
        format!(
            "Score {score}/100 ({verdict}{cap_note}){critical}; lost: {lost}; {total} finding{}.",
            plural(total)
        )
    } else {
        format!(
            "Score {score}/100 (BLOCK): the plan is structurally invalid ({} problem{}); lost: {lost}; {total} findings.",
            structural.len(),
            plural(structural.len()),
        )
    };
    let mut env = crate::model::envelope::new("momus", ctx, depth, verdict, summary);
    env.score = Some(score);
    env.findings = findings;
    env
}

/// `findings` sorted worst severity first (stable), at most [`MAX_FINDINGS`].
pub fn worst_first(mut findings: Vec<Finding>) -> Vec<Finding> {
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity.rank()));
    findings.truncate(MAX_FINDINGS);
    findings
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn structural_location(plan: &Plan, problem: &str) -> String {
    problem
        .strip_prefix("phase ")
        .and_then(|rest| rest.get(..2))
        .and_then(|id| id.parse::<usize>().ok())
        .and_then(|i| plan.phases.get(i).map(|p| phase_location(i, p)))
        .unwrap_or_else(|| PLAN_LOCATION.to_string())
}

/// The detected command to suggest for a gate: the first `test` command, else the first.
fn suggested_command<'a>(ctx: &Context<'a>) -> Option<&'a str> {
    let cmds = &ctx.probe.commands;
    cmds.iter()
        .find(|c| c.purpose == "test")
        .or_else(|| cmds.first())
        .map(|c| c.command.as_str())
}

fn non_blank(items: &[String]) -> Vec<&str> {
    items
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect()
}

static PERMISSION_NEED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(sudo|root access|chmod|chown|iam|grant|superuser|admin(istrator)? (access|rights|role)|write access|deploy(ing)? (to|in) (prod\w*|staging)|production (database|db|cluster)|ddl|alter table|create table|drop table|create index|secrets? manager|kms|service account|oauth (app|client)|webhook secret|dns record|firewall rule)\b").unwrap()
});

/// Completeness (docs/design.md §5: no implicit dependency — every service, env var and permission
/// named). A service the plan's text names (known services and the probe's) that
/// `dependencies.services` does not declare → high; a probe-detected service that a file the
/// plan modifies or deletes mentions, undeclared → medium; an environment variable the plan's
/// text names ([`scan::env_vars_in`]) or a probe env var that a touched file uses, undeclared
/// in `dependencies.env_vars` → medium; work that needs rights (sudo, DDL, deploying to
/// production, IAM, …) with `dependencies.permissions` empty → medium. One finding per
/// service or variable, at its first location.
pub fn completeness(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let deps = &plan.dependencies;
    let probe_names: Vec<String> = ctx.probe.services.iter().map(|s| s.name.clone()).collect();
    let mut reported: Vec<String> = Vec::new();
    let texts = work_texts(plan);
    for (loc, text) in &texts {
        for svc in services_in(text, &probe_names) {
            if !declares_service(&deps.services, &svc) && !reported.contains(&svc) {
                out.push(judged(
                Dimension::Completeness,
                    loc,
                    Severity::High,
                    format!("the plan uses the service {svc}, which dependencies.services does not declare."),
                    format!("Declare {svc} in dependencies.services, with the version and how it is provisioned."),
                ));
                reported.push(svc);
            }
        }
    }
    let touched = touched_contents(ctx, plan);
    for svc in probe_services(ctx) {
        if declares_service(&deps.services, &svc) || reported.contains(&svc) {
            continue;
        }
        if let Some((loc, path, _)) = touched
            .iter()
            .find(|(_, _, text)| services_in(text, std::slice::from_ref(&svc)).contains(&svc))
        {
            out.push(judged(
                Dimension::Completeness,
                loc,
                Severity::Medium,
                format!("{path}, which the plan changes, uses the detected service {svc}, which dependencies.services does not declare."),
                format!("Declare {svc} in dependencies.services, or state why the change to {path} does not need it."),
            ));
            reported.push(svc);
        }
    }
    let mut vars: Vec<String> = Vec::new();
    for (loc, text) in &texts {
        for var in env_vars_in(text, &ctx.probe.env_vars) {
            if !declares_env(&deps.env_vars, &var) && !vars.contains(&var) {
                out.push(judged(
                Dimension::Completeness,
                    loc,
                    Severity::Medium,
                    format!("the plan uses the environment variable {var}, which dependencies.env_vars does not declare."),
                    format!("Declare {var} in dependencies.env_vars with its purpose and default."),
                ));
                vars.push(var);
            }
        }
    }
    for var in &ctx.probe.env_vars {
        if declares_env(&deps.env_vars, var) || vars.contains(var) {
            continue;
        }
        if let Some((loc, path, _)) = touched.iter().find(|(_, _, text)| contains_word(text, var)) {
            out.push(judged(
                Dimension::Completeness,
                loc,
                Severity::Medium,
                format!("{path}, which the plan changes, reads the environment variable {var}, which dependencies.env_vars does not declare."),
                format!("Declare {var} in dependencies.env_vars, or state why the change to {path} does not depend on it."),
            ));
            vars.push(var.clone());
        }
    }
    if non_blank(&deps.permissions).is_empty() {
        if let Some((loc, m)) = texts.iter().find_map(|(loc, t)| {
            PERMISSION_NEED
                .find(t)
                .map(|m| (loc, m.as_str().to_string()))
        }) {
            out.push(judged(
                Dimension::Completeness,
                loc,
                Severity::Medium,
                format!("the plan needs elevated rights (\"{m}\") but dependencies.permissions names none."),
                "Name in dependencies.permissions every right the plan needs (e.g. DDL on the database, deploy rights) and who grants it.",
            ));
        }
    }
    out
}

/// Prose (title, goal, steps) that says a phase changes stored data.
static DATA_CHANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(\b(data|database|db|schema|table)\s+migrat\w*|\bmigrat\w*\s+(of\s+)?(the\s+)?(existing\s+)?(data|database|db|schema|tables?|rows|records)\b|\bbackfill\w*|\balter table\b|\bdrop (table|column|index)\b|\badd column\b|\bcreate (table|index)\b|\brename column\b|\btruncate\b|\bdelete from\b|\bupdate \w+ set\b|\bexisting (data|records|rows)([\s.,;:)]|$))").unwrap()
});
/// Files whose change changes data: migrations, SQL, schema definitions.
static DATA_FILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(^|/)migrations?/|\.sql$|(^|/)schema\.[a-z]+$").unwrap());
static DATA_ROLLBACK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(down[- ]?migration|migrate down|reverse migration|restore|backup|snapshot|dump|point[- ]in[- ]time|dual[- ]write|keep the old (column|table)|re-?create|drop (the )?(new )?(\w+ )?(table|column|index)|delete the (new )?(\w+ )?(rows|records)|reverse)\b|\bdown\b").unwrap()
});
static BREAKING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(remov(e|es|ed|ing|al)|drop(s|ped|ping)?|renam(e|es|ed|ing)|delet(e|es|ed|ing|ion)|deprecat\w*)\b[^.\n]{0,60}\b(public api|api|endpoints?|routes?|cli flags?|flags?|options?|config(uration)? keys?|interfaces?|schema|columns?|tables?|fields?|signatures?|protocol|wire format|response format|headers?|exports?)\b|\bchang\w* (the |its )?(signature|wire format|response format|protocol|public api)\b").unwrap()
});
/// Mentions of a feature flag as the *mechanism* that guards a change ("the feature flag",
/// "behind the `x` flag"): not a flag being removed, so blanked before [`BREAKING`] is applied.
static FLAG_MECHANISM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bfeature[- ](flags?|toggles?|switch(es)?)\b|\b(behind|under|guarded by|gated by|via)\s+(the\s+|a\s+|its\s+|this\s+)?(new\s+)?(`[^`\n]*`\s+)?(flags?|toggles?|switch(es)?)\b").unwrap()
});
static BREAKING_FLAGGED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(breaking|backwards?[- ]compat\w*|compatib\w*|deprecat\w*|migration guide|changelog|major version|semver|shim|alias)").unwrap()
});
static RISK_AREA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(auth|authn|authz|authenticat\w*|authori[sz]\w*|login|session|passwords?|permissions?|oauth|oidc|jwt|sso|public api|api endpoints?|endpoints?|migrat\w*|schema)\b").unwrap()
});
static MITIGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(feature[- ]flag|flag[- ]gated|behind a (feature )?(flag|toggle|switch)|toggle|kill[- ]?switch|canary|staged rollout|gradual rollout|percentage rollout|dual[- ](read|write|run)|shadow (mode|traffic)|expand[/ -]+contract|backwards?[- ]compatib\w*|opt[- ]in|default(s)? (to )?off|disabled by default)").unwrap()
});

/// Whether a phase changes stored data: it creates, modifies or deletes a data file
/// (`migrations/`, `.sql`, `schema.*`), or its title, goal or steps say so (data or schema
/// migration, backfill, DDL, existing rows). Reading `schema.sql` is not a change.
fn changes_data(p: &Phase) -> bool {
    p.files.iter().any(|f| DATA_FILE.is_match(&f.path)) || {
        let mut prose: Vec<&str> = vec![&p.title, &p.goal];
        prose.extend(p.steps.iter().map(String::as_str));
        DATA_CHANGE.is_match(&prose.join("\n"))
    }
}

/// Risk posture (docs/design.md §5: breaking changes flagged, rollback explicit, feature flags where
/// risk is real), beyond the phase rubric's rollback rules (`checks`). Per phase: a phase that changes data (it touches a file under
/// `migrations/`, a `.sql` or `schema.*` file, or its prose says data/schema migration,
/// backfill, DDL, existing rows) whose rollback does not say how the
/// data is restored (down migration, restore from backup, snapshot, dropping what was added,
/// …) — "revert" alone is not enough — → high; a breaking change in the phase's title, goal or
/// steps (a removed, renamed or deprecated API, endpoint, flag, option, schema, column, field,
/// header, export; a changed signature or wire format) that neither the phase nor the plan's
/// thesis or iron rules flags (breaking, backwards compatible, deprecation, changelog, shim, …)
/// → medium. Plan-wide: real risk (task kind
/// migration, security or replacement; a data-changing phase; auth, sessions, public API or
/// endpoint work) with no mitigation anywhere (feature flag, toggle, canary, staged rollout,
/// dual read/write, expand/contract, backwards-compatible) → medium.
pub fn risk_posture(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let plan_level = scan::plan_items(plan).join("\n");
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        let id = &p.id;
        let rollback = p.rollback.trim();
        if !is_placeholder(rollback) && changes_data(p) && !DATA_ROLLBACK.is_match(rollback) {
            out.push(judged(
                Dimension::RiskPosture,
                &loc,
                Severity::High,
                format!("phase {id} changes data but its rollback (\"{}\") does not say how the data is restored; reverting code does not restore data.", clip(rollback, 60)),
                format!("Give phase {id} a data rollback: a down migration or a restore from a backup taken before the change, and how to verify the data afterwards."),
            ));
        }
        let mut work: Vec<&str> = vec![&p.title, &p.goal];
        work.extend(p.steps.iter().map(String::as_str));
        let text = work.join("\n");
        let unflagged = FLAG_MECHANISM.replace_all(&text, " ");
        let breaking = BREAKING.find(&unflagged).map(|m| m.as_str().to_string());
        if let Some(what) = breaking {
            if !BREAKING_FLAGGED.is_match(&text) && !BREAKING_FLAGGED.is_match(&plan_level) {
                out.push(judged(
                Dimension::RiskPosture,
                    &loc,
                    Severity::Medium,
                    format!("phase {id} makes a breaking change (\"{}\") that the plan does not flag.", clip(&what, 80)),
                    format!("Flag the breaking change in phase {id}: say who is affected and add a compatibility shim, a deprecation period or a migration note."),
                ));
            }
        }
    }
    let all = work_texts(plan)
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join("\n");
    let kind_risky = matches!(
        ctx.task_kind,
        TaskKind::Migration | TaskKind::Security | TaskKind::Replacement
    );
    let area = RISK_AREA.find(&all).map(|m| m.as_str().to_lowercase());
    let data = plan.phases.iter().any(changes_data);
    if (kind_risky || area.is_some() || data) && !MITIGATION.is_match(&all) {
        let why = match (&area, data) {
            (_, true) => "it changes data".to_string(),
            (Some(a), _) => format!("it touches {a}"),
            _ => format!("it is a {:?} task", ctx.task_kind).to_lowercase(),
        };
        out.push(judged(
                Dimension::RiskPosture,
            PLAN_LOCATION,
            Severity::Medium,
            format!("the plan carries real risk ({why}) but names no feature flag, staged rollout or backwards-compatible path."),
            "Put the risky change behind a feature flag (default off) or a staged rollout, and say how to turn it off.",
        ));
    }
    out
}

/// Scope hygiene (docs/design.md §5: an honest out-of-scope section, no "we could also" creep).
/// No out-of-scope item → medium; an item that is a placeholder ("none", "n/a") → medium; an
/// out-of-scope item (≥ 2 terms) all of whose terms a phase's title and goal carry — the plan
/// does what it says it will not — → medium; a creep phrase ([`scan::creep_phrase`]) in the
/// plan's own text (title, thesis, iron rules) → medium. Creep in a phase, phases and files
/// beyond the task are the checks' (`checks`).
pub fn scope_hygiene(_ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let oos = non_blank(&plan.out_of_scope);
    if oos.is_empty() {
        out.push(judged(
            Dimension::ScopeHygiene,
            PLAN_LOCATION,
            Severity::Medium,
            "the plan has no out-of-scope section.",
            "Add an honest out-of-scope section: name the neighbouring work this task will not do.",
        ));
    }
    for item in &oos {
        if is_placeholder(item) {
            out.push(judged(
                Dimension::ScopeHygiene,
                PLAN_LOCATION,
                Severity::Medium,
                format!("the out-of-scope item \"{}\" says nothing.", clip(item, 60)),
                "Replace the placeholder with the concrete work this plan leaves out.",
            ));
            continue;
        }
        let item_terms = crate::text::terms(item);
        if item_terms.len() < 2 {
            continue;
        }
        for (i, p) in plan.phases.iter().enumerate().skip(1) {
            let phase_terms = crate::text::terms(&format!("{} {}", p.title, p.goal));
            if item_terms
                .iter()
                .all(|t| phase_terms.iter().any(|m| scan::related_terms(t, m)))
            {
                out.push(judged(
                Dimension::ScopeHygiene,
                    phase_location(i, p),
                    Severity::Medium,
                    format!("phase {} does what the out-of-scope section excludes (\"{}\").", p.id, clip(item, 100)),
                    format!("Either drop that work from phase {} or remove it from the out-of-scope section.", p.id),
                ));
                break;
            }
        }
    }
    let plan_text = plan_items(plan).join("\n");
    if let Some(phrase) = creep_phrase(&plan_text) {
        out.push(judged(
            Dimension::ScopeHygiene,
            PLAN_LOCATION,
            Severity::Medium,
            format!("scope creep (\"{phrase}\")."),
            format!("Remove the optional work introduced by \"{phrase}\", or move it to the out-of-scope section."),
        ));
    }
    out
}

/// Evidence plan (docs/design.md §5: phase 00 has a target Hephaestus can actually run).
/// No phase at all → critical; phase 00 not `preflight` → high. When the probe detected
/// commands: a phase-00 gate with none of them (exactly as detected) → critical (Hephaestus
/// would have nothing it may run); detected commands in the gate but none of purpose `build`
/// or `test` → low. When the probe detected no command: an empty phase-00 gate → high,
/// otherwise low (only references can be checked). A phase-00 gate command the probe did not
/// detect is the gate check's (`checks`).
pub fn evidence_plan(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(p0) = plan.phases.first() else {
        return vec![judged(
            Dimension::EvidencePlan,
            PLAN_LOCATION,
            Severity::Critical,
            "the plan has no phase 00, so Hephaestus has nothing to run.",
            "Add phase 00 (preflight) whose gate holds a build or test command the probe detected.",
        )];
    };
    let loc = phase_location(0, p0);
    if p0.slug != "preflight" {
        out.push(judged(
                Dimension::EvidencePlan,
            &loc,
            Severity::High,
            format!("phase 00 is \"{}\", not the preflight phase.", clip(&p0.slug, 40)),
            "Make phase 00 the preflight phase (slug preflight) that builds and tests the unchanged project.",
        ));
    }
    let gate = non_blank(&p0.gate);
    let commands: Vec<&str> = gate.iter().copied().filter(|g| !is_check(g)).collect();
    let detected: Vec<&str> = commands
        .iter()
        .copied()
        .filter(|c| is_detected(ctx, c))
        .collect();
    if ctx.probe.commands.is_empty() {
        if gate.is_empty() {
            out.push(judged(
                Dimension::EvidencePlan,
                &loc,
                Severity::High,
                "phase 00 has no gate and the probe detected no command.",
                "Give phase 00 a gate: the checks that prove the repository is ready, each as an observable `check:`.",
            ));
        } else {
            out.push(judged(
                Dimension::EvidencePlan,
                &loc,
                Severity::Low,
                "the probe detected no build or test command, so Hephaestus can only check references.",
                "Name in phase 00 the build command the project will have and gate phase 01 on it.",
            ));
        }
    } else if detected.is_empty() {
        let suggest = suggested_command(ctx).unwrap_or_default();
        out.push(judged(
                Dimension::EvidencePlan,
            &loc,
            Severity::Critical,
            "phase 00's gate names no command the probe detected, so Hephaestus has nothing it may run.",
            format!("Put in phase 00's gate at least one detected command exactly as detected, e.g. `{suggest}`."),
        ));
    } else {
        let buildable = ctx.probe.commands.iter().any(|c| {
            detected.contains(&c.command.trim()) && (c.purpose == "build" || c.purpose == "test")
        });
        if !buildable {
            out.push(judged(
                Dimension::EvidencePlan,
                &loc,
                Severity::Low,
                "phase 00 runs only lint or format commands; nothing builds the target.",
                "Add a detected build or test command to phase 00's gate.",
            ));
        }
    }
    out
}

static PHASE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bphase[- _]?(\d{1,2})\b").unwrap());

/// Sequencing (docs/design.md §5: phases topologically ordered, no forward references).
/// Phase 00 not preflight → high; a `depends_on` entry that is not an earlier phase → high; a
/// phase that modifies a file only a later phase creates (and the
/// repository lacks) → high; a file created or deleted twice → medium; a phase whose goal,
/// steps, criteria or gate mention a later phase ("phase 03") → medium; a phase with explicit
/// `depends_on` that changes a file an earlier phase creates without depending (transitively)
/// on that phase → low.
pub fn sequencing(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let phases = &plan.phases;
    if let Some(p0) = phases.first() {
        if p0.slug != "preflight" {
            out.push(judged(
                Dimension::Sequencing,
                phase_location(0, p0),
                Severity::High,
                "the preflight phase does not come first.",
                "Make the preflight phase phase 00, before any change.",
            ));
        }
    }
    let index_of = |id: &str| phases.iter().position(|p| p.id == id);
    for (i, p) in phases.iter().enumerate() {
        for dep in &p.depends_on {
            if index_of(dep).is_none_or(|j| j >= i) {
                out.push(judged(
                    Dimension::Sequencing,
                    phase_location(i, p),
                    Severity::High,
                    format!(
                        "phase {} depends on \"{}\", which is not an earlier phase.",
                        p.id,
                        clip(dep, 20)
                    ),
                    format!(
                        "Order the phases so phase {} depends only on phases before it.",
                        p.id
                    ),
                ));
            }
        }
    }
    // File lifecycle across phases.
    let mut created: BTreeMap<&str, usize> = BTreeMap::new();
    let mut deleted: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, p) in phases.iter().enumerate() {
        let loc = phase_location(i, p);
        for f in &p.files {
            let path = f.path.as_str();
            match f.action {
                FileAction::Create => {
                    if created.contains_key(path) && !deleted.contains_key(path) {
                        out.push(judged(
                            Dimension::Sequencing,
                            &loc,
                            Severity::Medium,
                            format!(
                                "phase {} creates {path}, which phase {} already creates.",
                                p.id, phases[created[path]].id
                            ),
                            format!("Create {path} once and modify it in later phases."),
                        ));
                    }
                    created.insert(path, i);
                    deleted.remove(path);
                }
                FileAction::Modify | FileAction::Delete => {
                    if deleted.contains_key(path) {
                        // Changing a deleted file is the contradiction check's (`checks`).
                    } else if !created.contains_key(path)
                        && !scan::exists_in_repo(ctx.repo_root, path)
                    {
                        if let Some(k) = phases
                            .iter()
                            .enumerate()
                            .skip(i + 1)
                            .find(|(_, q)| {
                                q.files
                                    .iter()
                                    .any(|g| g.path == path && g.action == FileAction::Create)
                            })
                            .map(|(k, _)| k)
                        {
                            out.push(judged(
                Dimension::Sequencing,
                                &loc,
                                Severity::High,
                                format!("phase {} changes {path} before phase {} creates it.", p.id, phases[k].id),
                                format!("Move the creation of {path} before phase {}, or the change after phase {}.", p.id, phases[k].id),
                            ));
                        }
                    }
                    if f.action == FileAction::Delete {
                        deleted.insert(path, i);
                    }
                }
            }
        }
    }
    // Forward references in prose.
    for (i, p) in phases.iter().enumerate() {
        let mut text: Vec<&str> = vec![&p.goal];
        text.extend(p.steps.iter().map(String::as_str));
        text.extend(p.success_criteria.iter().map(String::as_str));
        text.extend(p.gate.iter().map(String::as_str));
        let joined = text.join("\n");
        if let Some(n) = PHASE_REF
            .captures_iter(&joined)
            .filter_map(|c| c[1].parse::<usize>().ok())
            .find(|n| *n > i && *n < phases.len())
        {
            out.push(judged(
                Dimension::Sequencing,
                phase_location(i, p),
                Severity::Medium,
                format!("phase {} refers to phase {n:02}, which comes later.", p.id),
                format!(
                    "Move what phase {} needs from phase {n:02} before it, or reorder the phases.",
                    p.id
                ),
            ));
        }
    }
    // Missing dependency edges, for phases that declare them.
    let closure = |start: usize| -> Vec<usize> {
        let mut seen = vec![start];
        let mut stack = vec![start];
        while let Some(k) = stack.pop() {
            for d in &phases[k].depends_on {
                if let Some(j) = index_of(d).filter(|j| *j < k && !seen.contains(j)) {
                    seen.push(j);
                    stack.push(j);
                }
            }
        }
        seen
    };
    for (i, p) in phases.iter().enumerate() {
        if p.depends_on.is_empty() {
            continue;
        }
        let reach = closure(i);
        for f in p.files.iter().filter(|f| f.action != FileAction::Create) {
            if let Some((j, q)) = phases[..i].iter().enumerate().rev().find(|(_, q)| {
                q.files
                    .iter()
                    .any(|g| g.path == f.path && g.action == FileAction::Create)
            }) {
                if !reach.contains(&j) {
                    out.push(judged(
                        Dimension::Sequencing,
                        phase_location(i, p),
                        Severity::Low,
                        format!(
                            "phase {} changes {}, created by phase {}, but does not depend on it.",
                            p.id, f.path, q.id
                        ),
                        format!("Add {} to the depends_on of phase {}.", q.id, p.id),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

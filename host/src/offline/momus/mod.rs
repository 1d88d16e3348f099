//! Momus, offline: the docs/design.md §5 rubric, deterministic.
//!
//! Six dimensions, each scored 0–100: a dimension starts at 100 and loses a fixed penalty per
//! finding of that dimension ([`penalty`]: critical 100, high 40, medium 15, low 5), floored
//! at 0. The plan's score is the weighted mean of the six ([`Rubric::score`], weights in
//! [`Dimension::weight`]: correctness 25, completeness 15, risk posture 15, scope hygiene 10,
//! evidence plan 20, sequencing 15 — they sum to 100), rounded to the nearest integer.
//! The checks of each dimension are documented on the function that runs them
//! ([`correctness`], [`completeness`], [`risk_posture`], [`scope_hygiene`], [`evidence_plan`],
//! [`sequencing`]).
pub mod scan;
#[cfg(test)]
pub(crate) mod testkit;

use crate::model::rules::{band, cap_score, enforce_critical};
use crate::model::validate::validate_plan;
use crate::model::Context;
use crate::model::{
    Envelope, FileAction, Finding, Phase, Plan, RedTeamReport, Severity, TaskKind, Verdict,
};
// A text that says nothing ("n/a", "none", "TBD", …): shared with the planner and Alloy.
use plan_rules::is_placeholder;
use regex::Regex;
use scan::{
    clip, contains_word, creep_phrase, declares_env, declares_service, env_vars_in, finding,
    is_check, is_detected, is_measurable, phase_location, probe_services, services_in,
    task_related, touched_contents, work_texts, PLAN_LOCATION,
};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Most findings an offline envelope carries (worst first); the schema allows 500.
pub const MAX_FINDINGS: usize = 200;

/// The six docs/design.md §5 rubric dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Correctness,
    Completeness,
    RiskPosture,
    ScopeHygiene,
    EvidencePlan,
    Sequencing,
}

impl Dimension {
    /// All six, in docs/design.md §5 order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Correctness,
        Dimension::Completeness,
        Dimension::RiskPosture,
        Dimension::ScopeHygiene,
        Dimension::EvidencePlan,
        Dimension::Sequencing,
    ];

    /// Human name: `"correctness"`, `"completeness"`, `"risk posture"`, `"scope hygiene"`,
    /// `"evidence plan"`, `"sequencing"`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Correctness => "correctness",
            Dimension::Completeness => "completeness",
            Dimension::RiskPosture => "risk posture",
            Dimension::ScopeHygiene => "scope hygiene",
            Dimension::EvidencePlan => "evidence plan",
            Dimension::Sequencing => "sequencing",
        }
    }

    /// Weight in the score, out of 100. Correctness and the evidence plan weigh most: they are
    /// what an implementer and Hephaestus depend on to prove each phase done.
    pub fn weight(self) -> u32 {
        match self {
            Dimension::Correctness => 25,
            Dimension::Completeness => 15,
            Dimension::RiskPosture => 15,
            Dimension::ScopeHygiene => 10,
            Dimension::EvidencePlan => 20,
            Dimension::Sequencing => 15,
        }
    }
}

/// What one finding costs its dimension: critical 100, high 40, medium 15, low 5.
pub fn penalty(s: Severity) -> u32 {
    match s {
        Severity::Critical => 100,
        Severity::High => 40,
        Severity::Medium => 15,
        Severity::Low => 5,
    }
}

/// The six docs/design.md §5 dimension scores of a plan, each 0–100.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rubric {
    pub correctness: u8,
    pub completeness: u8,
    pub risk_posture: u8,
    pub scope_hygiene: u8,
    pub evidence_plan: u8,
    pub sequencing: u8,
}

impl Rubric {
    /// The score of one dimension.
    pub fn get(&self, d: Dimension) -> u8 {
        match d {
            Dimension::Correctness => self.correctness,
            Dimension::Completeness => self.completeness,
            Dimension::RiskPosture => self.risk_posture,
            Dimension::ScopeHygiene => self.scope_hygiene,
            Dimension::EvidencePlan => self.evidence_plan,
            Dimension::Sequencing => self.sequencing,
        }
    }

    /// The plan's score, 0–100: the weighted mean of the six dimensions with the weights of
    /// [`Dimension::weight`], rounded to the nearest integer (halves up). Nothing else.
    pub fn score(&self) -> u8 {
        let total: u32 = Dimension::ALL
            .iter()
            .map(|d| d.weight() * u32::from(self.get(*d)))
            .sum();
        let weights: u32 = Dimension::ALL.iter().map(|d| d.weight()).sum();
        ((total + weights / 2) / weights).min(100) as u8
    }

    /// The lowest-scoring dimension (the first in rubric order on ties) and its score.
    pub fn weakest(&self) -> (Dimension, u8) {
        Dimension::ALL.iter().map(|d| (*d, self.get(*d))).fold(
            (Dimension::Correctness, u8::MAX),
            |best, cur| if cur.1 < best.1 { cur } else { best },
        )
    }
}

fn dimension_score(findings: &[Finding]) -> u8 {
    100u32.saturating_sub(findings.iter().map(|f| penalty(f.severity)).sum()) as u8
}

/// Scores `plan` on the six docs/design.md §5 dimensions and returns the scores and every finding, in
/// dimension order. Each finding's concern starts with its dimension (`"Correctness: …"`), its
/// location is `plan/phase-NN-slug.md` or `plan/plan.md`, and its demand is imperative.
/// Reads (never writes) the files the plan modifies or deletes under `ctx.repo_root`.
/// Works on structurally invalid plans too (see [`audit`] for how those are judged).
pub fn rubric(ctx: &Context<'_>, plan: &Plan) -> (Rubric, Vec<Finding>) {
    let c = correctness(ctx, plan);
    let m = completeness(ctx, plan);
    let r = risk_posture(ctx, plan);
    let s = scope_hygiene(ctx, plan);
    let e = evidence_plan(ctx, plan);
    let q = sequencing(ctx, plan);
    let rubric = Rubric {
        correctness: dimension_score(&c),
        completeness: dimension_score(&m),
        risk_posture: dimension_score(&r),
        scope_hygiene: dimension_score(&s),
        evidence_plan: dimension_score(&e),
        sequencing: dimension_score(&q),
    };
    let findings = [c, m, r, s, e, q].into_iter().flatten().collect();
    (rubric, findings)
}

/// Momus's envelope for `plan` (docs/design.md §4, §5).
///
/// `score` is always set: the rubric score ([`Rubric::score`]), capped by [`cap_score`] when
/// `red_team` is given (its three members' verdicts: any BLOCK → ≤ 50, any RISKY → ≤ 75).
/// `verdict` is the worse of [`band`]`(score)` and [`enforce_critical`] over the findings.
/// A plan that fails [`validate_plan`] is `BLOCK`: each structural problem becomes a critical
/// finding (listed first) and the score is held at ≤ 49 so band and verdict agree.
/// Agent `momus`; the summary names the score, the verdict and the weakest dimension.
pub fn audit(
    ctx: &Context<'_>,
    plan: &Plan,
    depth: Option<u32>,
    red_team: Option<&RedTeamReport>,
) -> Envelope {
    let structural = validate_plan(plan).err().unwrap_or_default();
    let (rubric, rubric_findings) = rubric(ctx, plan);
    let raw = rubric.score();
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
    findings.extend(rubric_findings);
    let verdict = if structural.is_empty() {
        enforce_critical(band(score), &findings)
    } else {
        score = score.min(49);
        Verdict::Block
    };
    let total = findings.len();
    let findings = worst_first(findings);
    let (weak, weak_score) = rubric.weakest();
    let summary = if structural.is_empty() {
        format!(
            "Score {score}/100 ({verdict}{cap_note}); weakest dimension: {} {weak_score}/100; {total} finding{}.",
            weak.name(),
            plural(total)
        )
    } else {
        format!(
            "Score {score}/100 (BLOCK): the plan is structurally invalid ({} problem{}); weakest dimension: {} {weak_score}/100; {total} findings.",
            structural.len(),
            plural(structural.len()),
            weak.name()
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

/// Correctness (docs/design.md §5: every phase has an explicit success criterion and a measurable gate).
/// Per phase: no steps → medium; empty goal → low; no success criterion → high; criteria of
/// which none is measurable ([`scan::is_measurable`]: a number, a command, an observable
/// result — not "works well") → medium; no gate (phases after 00; phase 00 is judged by the
/// evidence plan) → high; a gate of `check:` entries none of which is measurable → medium.
pub fn correctness(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let suggest = suggested_command(ctx)
        .map(|c| format!("`{c}`"))
        .unwrap_or_else(|| "a build or test command".into());
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        let id = &p.id;
        if non_blank(&p.steps).is_empty() {
            out.push(finding(
                &loc,
                Severity::Medium,
                format!(
                    "Correctness: phase {id} has no steps, so it cannot be implemented as written."
                ),
                format!("List the concrete steps of phase {id}, one action each."),
            ));
        }
        if p.goal.trim().is_empty() {
            out.push(finding(
                &loc,
                Severity::Low,
                format!("Correctness: phase {id} states no goal."),
                format!("State in one sentence what phase {id} achieves."),
            ));
        }
        let criteria = non_blank(&p.success_criteria);
        if criteria.is_empty() {
            out.push(finding(
                &loc,
                Severity::High,
                format!("Correctness: phase {id} has no success criterion."),
                format!("Add to phase {id} a success criterion that names an observable result: a command and its exit status, a count, a response."),
            ));
        } else if !criteria.iter().any(|c| is_measurable(c)) {
            out.push(finding(
                &loc,
                Severity::Medium,
                format!("Correctness: no success criterion of phase {id} is measurable (e.g. \"{}\").", clip(criteria[0], 120)),
                format!("Rewrite the success criteria of phase {id} so each names an observable result: a number, a command and its exit status, a response."),
            ));
        }
        let gate = non_blank(&p.gate);
        if gate.is_empty() {
            if i > 0 {
                out.push(finding(
                    &loc,
                    Severity::High,
                    format!("Correctness: phase {id} has no gate, so nothing proves it done."),
                    format!("Give phase {id} a gate: a command the probe detected (e.g. {suggest}) or a `check:` that states what to verify."),
                ));
            }
        } else if gate.iter().all(|g| is_check(g))
            && !gate
                .iter()
                .any(|g| is_measurable(g.trim_start()[6..].trim()))
        {
            out.push(finding(
                &loc,
                Severity::Medium,
                format!("Correctness: the gate of phase {id} is only vague manual checks (e.g. \"{}\").", clip(gate[0], 120)),
                format!("Make the gate of phase {id} measurable: run a detected command such as {suggest}, or write each check as an observable result."),
            ));
        }
    }
    out
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
                out.push(finding(
                    loc,
                    Severity::High,
                    format!("Completeness: the plan uses the service {svc}, which dependencies.services does not declare."),
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
            out.push(finding(
                loc,
                Severity::Medium,
                format!("Completeness: {path}, which the plan changes, uses the detected service {svc}, which dependencies.services does not declare."),
                format!("Declare {svc} in dependencies.services, or state why the change to {path} does not need it."),
            ));
            reported.push(svc);
        }
    }
    let mut vars: Vec<String> = Vec::new();
    for (loc, text) in &texts {
        for var in env_vars_in(text, &ctx.probe.env_vars) {
            if !declares_env(&deps.env_vars, &var) && !vars.contains(&var) {
                out.push(finding(
                    loc,
                    Severity::Medium,
                    format!("Completeness: the plan uses the environment variable {var}, which dependencies.env_vars does not declare."),
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
            out.push(finding(
                loc,
                Severity::Medium,
                format!("Completeness: {path}, which the plan changes, reads the environment variable {var}, which dependencies.env_vars does not declare."),
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
            out.push(finding(
                loc,
                Severity::Medium,
                format!("Completeness: the plan needs elevated rights (\"{m}\") but dependencies.permissions names none."),
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
/// risk is real). Per phase: no rollback (empty or a placeholder like "n/a") → high, or low for
/// a phase that changes no file; a phase that changes data (it touches a file under
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
        if is_placeholder(rollback) {
            let (sev, why) = if p.files.is_empty() {
                (Severity::Low, " (it changes no file)")
            } else {
                (Severity::High, "")
            };
            out.push(finding(
                &loc,
                sev,
                format!("Risk posture: phase {id} has no explicit rollback{why}."),
                format!("Write the rollback of phase {id}: the steps that undo it and how to verify they did."),
            ));
        } else if changes_data(p) && !DATA_ROLLBACK.is_match(rollback) {
            out.push(finding(
                &loc,
                Severity::High,
                format!("Risk posture: phase {id} changes data but its rollback (\"{}\") does not say how the data is restored; reverting code does not restore data.", clip(rollback, 60)),
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
                out.push(finding(
                    &loc,
                    Severity::Medium,
                    format!("Risk posture: phase {id} makes a breaking change (\"{}\") that the plan does not flag.", clip(&what, 80)),
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
        out.push(finding(
            PLAN_LOCATION,
            Severity::Medium,
            format!("Risk posture: the plan carries real risk ({why}) but names no feature flag, staged rollout or backwards-compatible path."),
            "Put the risky change behind a feature flag (default off) or a staged rollout, and say how to turn it off.",
        ));
    }
    out
}

/// Scope hygiene (docs/design.md §5: an honest out-of-scope section, no "we could also" creep).
/// No out-of-scope item → medium; an item that is a placeholder ("none", "n/a") → medium; an
/// out-of-scope item (≥ 2 terms) all of whose terms a phase's title and goal carry — the plan
/// does what it says it will not — → medium; a creep phrase ([`scan::creep_phrase`]) in a
/// phase or the plan's text → medium, once per location; a phase after 00 not tied to the task
/// ([`scan::task_related`]: no task or directive term, no relevant file, not structural) →
/// medium.
pub fn scope_hygiene(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let oos = non_blank(&plan.out_of_scope);
    if oos.is_empty() {
        out.push(finding(
            PLAN_LOCATION,
            Severity::Medium,
            "Scope hygiene: the plan has no out-of-scope section.",
            "Add an honest out-of-scope section: name the neighbouring work this task will not do.",
        ));
    }
    for item in &oos {
        if is_placeholder(item) {
            out.push(finding(
                PLAN_LOCATION,
                Severity::Medium,
                format!(
                    "Scope hygiene: the out-of-scope item \"{}\" says nothing.",
                    clip(item, 60)
                ),
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
                out.push(finding(
                    phase_location(i, p),
                    Severity::Medium,
                    format!("Scope hygiene: phase {} does what the out-of-scope section excludes (\"{}\").", p.id, clip(item, 100)),
                    format!("Either drop that work from phase {} or remove it from the out-of-scope section.", p.id),
                ));
                break;
            }
        }
    }
    for (loc, text) in work_texts(plan) {
        if let Some(phrase) = creep_phrase(&text) {
            out.push(finding(
                &loc,
                Severity::Medium,
                format!("Scope hygiene: scope creep (\"{phrase}\")."),
                format!("Remove the optional work introduced by \"{phrase}\", or move it to the out-of-scope section."),
            ));
        }
    }
    for (i, p) in plan.phases.iter().enumerate().skip(1) {
        if !task_related(ctx, p) {
            out.push(finding(
                phase_location(i, p),
                Severity::Medium,
                format!("Scope hygiene: phase {} (\"{}\") shares no term with the task, touches no relevant file and is not a structural phase.", p.id, clip(&p.title, 80)),
                format!("Tie phase {} to the task or remove it and list its work as out of scope.", p.id),
            ));
        }
    }
    out
}

/// Evidence plan (docs/design.md §5: phase 00 has a target Hephaestus can actually run).
/// No phase at all → critical; phase 00 not `preflight` → high. When the probe detected
/// commands: a phase-00 gate with none of them (exactly as detected) → critical (Hephaestus
/// would have nothing it may run); detected commands in the gate but none of purpose `build`
/// or `test` → low. When the probe detected no command: an empty phase-00 gate → high,
/// otherwise low (only references can be checked). Every phase-00 gate command the probe did
/// not detect (and not a `check:`) → medium: Hephaestus records it as not run.
pub fn evidence_plan(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let Some(p0) = plan.phases.first() else {
        return vec![finding(
            PLAN_LOCATION,
            Severity::Critical,
            "Evidence plan: the plan has no phase 00, so Hephaestus has nothing to run.",
            "Add phase 00 (preflight) whose gate holds a build or test command the probe detected.",
        )];
    };
    let loc = phase_location(0, p0);
    if p0.slug != "preflight" {
        out.push(finding(
            &loc,
            Severity::High,
            format!("Evidence plan: phase 00 is \"{}\", not the preflight phase.", clip(&p0.slug, 40)),
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
            out.push(finding(
                &loc,
                Severity::High,
                "Evidence plan: phase 00 has no gate and the probe detected no command.",
                "Give phase 00 a gate: the checks that prove the repository is ready, each as an observable `check:`.",
            ));
        } else {
            out.push(finding(
                &loc,
                Severity::Low,
                "Evidence plan: the probe detected no build or test command, so Hephaestus can only check references.",
                "Name in phase 00 the build command the project will have and gate phase 01 on it.",
            ));
        }
    } else if detected.is_empty() {
        let suggest = suggested_command(ctx).unwrap_or_default();
        out.push(finding(
            &loc,
            Severity::Critical,
            "Evidence plan: phase 00's gate names no command the probe detected, so Hephaestus has nothing it may run.",
            format!("Put in phase 00's gate at least one detected command exactly as detected, e.g. `{suggest}`."),
        ));
    } else {
        let buildable = ctx.probe.commands.iter().any(|c| {
            detected.contains(&c.command.trim()) && (c.purpose == "build" || c.purpose == "test")
        });
        if !buildable {
            out.push(finding(
                &loc,
                Severity::Low,
                "Evidence plan: phase 00 runs only lint or format commands; nothing builds the target.",
                "Add a detected build or test command to phase 00's gate.",
            ));
        }
    }
    for cmd in commands.iter().filter(|c| !is_detected(ctx, c)) {
        out.push(finding(
            &loc,
            Severity::Medium,
            format!("Evidence plan: `{}` in phase 00's gate is not a command the probe detected; Hephaestus will record it as not run.", clip(cmd, 100)),
            "Use only commands the probe detected in phase 00's gate, or write the step as a `check:`.",
        ));
    }
    out
}

static PHASE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bphase[- _]?(\d{1,2})\b").unwrap());

/// Sequencing (docs/design.md §5: phases topologically ordered, no forward references).
/// Phase 00 not preflight → high; a `depends_on` entry that is not an earlier phase → high; a
/// phase that modifies or deletes a file an earlier phase deleted → critical (the plan
/// contradicts itself); a phase that modifies a file only a later phase creates (and the
/// repository lacks) → high; a file created or deleted twice → medium; a phase whose goal,
/// steps, criteria or gate mention a later phase ("phase 03") → medium; a phase with explicit
/// `depends_on` that changes a file an earlier phase creates without depending (transitively)
/// on that phase → low.
pub fn sequencing(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let mut out = Vec::new();
    let phases = &plan.phases;
    if let Some(p0) = phases.first() {
        if p0.slug != "preflight" {
            out.push(finding(
                phase_location(0, p0),
                Severity::High,
                "Sequencing: the preflight phase does not come first.",
                "Make the preflight phase phase 00, before any change.",
            ));
        }
    }
    let index_of = |id: &str| phases.iter().position(|p| p.id == id);
    for (i, p) in phases.iter().enumerate() {
        for dep in &p.depends_on {
            if index_of(dep).is_none_or(|j| j >= i) {
                out.push(finding(
                    phase_location(i, p),
                    Severity::High,
                    format!(
                        "Sequencing: phase {} depends on \"{}\", which is not an earlier phase.",
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
                        out.push(finding(
                            &loc,
                            Severity::Medium,
                            format!("Sequencing: phase {} creates {path}, which phase {} already creates.", p.id, phases[created[path]].id),
                            format!("Create {path} once and modify it in later phases."),
                        ));
                    }
                    created.insert(path, i);
                    deleted.remove(path);
                }
                FileAction::Modify | FileAction::Delete => {
                    if let Some(&j) = deleted.get(path) {
                        out.push(finding(
                            &loc,
                            Severity::Critical,
                            format!("Sequencing: phase {} changes {path}, which phase {} deletes; the plan contradicts itself.", p.id, phases[j].id),
                            format!("Decide whether {path} survives: drop the deletion in phase {} or the change in phase {}.", phases[j].id, p.id),
                        ));
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
                            out.push(finding(
                                &loc,
                                Severity::High,
                                format!("Sequencing: phase {} changes {path} before phase {} creates it.", p.id, phases[k].id),
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
            out.push(finding(
                phase_location(i, p),
                Severity::Medium,
                format!(
                    "Sequencing: phase {} refers to phase {n:02}, which comes later.",
                    p.id
                ),
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
                    out.push(finding(
                        phase_location(i, p),
                        Severity::Low,
                        format!("Sequencing: phase {} changes {}, created by phase {}, but does not depend on it.", p.id, f.path, q.id),
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

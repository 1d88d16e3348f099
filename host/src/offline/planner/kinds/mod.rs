//! The base plan of each task kind (docs/design.md §2 stage 1 kinds), grounded in the probe report:
//!
//! | kind | phases after `00 preflight` |
//! |---|---|
//! | feature | contract (failing acceptance tests) → implement → edge cases → [security] → rollout |
//! | bugfix | reproduce (failing regression test) → fix root cause → regression coverage → [security] → release |
//! | refactor | characterization tests → new structure beside the old → move callers → remove old path → [security] |
//! | migration (data) | expand → dual-write → backfill → cutover (dual-read) → contract → [security] |
//! | migration (platform) | inventory → compatibility on both versions → switch → remove old-version code → [security] |
//! | replacement | seam around the old → new implementation behind the seam → parity → switch → remove old → [security] |
//! | performance | baseline benchmark → profile → optimize hot path → verify against baseline → [security] → rollout |
//! | security | threat model → fix → security tests → rollout |
//! | research | questions and criteria → time-boxed spike → evaluation → [security assessment] → written recommendation |
//! | greenfield | scaffold → core → interface → integration tests → [security] → ops |
//!
//! `[security]` is a phase whose slug contains `security` with a non-empty gate, added when
//! the task or the files it touches involve authentication, sessions, secrets, authorization,
//! cryptography, uploads or untrusted input (for research: an assessment of each option).
//! A service the task names that the probe did not find gets a `provision-…` phase right
//! after preflight. Closing phases (rollout, release, ops) have [`Role::Closing`] so the
//! minimalist lens can drop them; with the minimalist grounding a feature is written as one
//! implement-with-tests phase (no separate contract phase, no new module, one test file).
//!
//! Every shape is filled from [`Grounding`]: the probe's relevant files are the `modify`
//! targets, new files follow the language's layout next to them, implementation phases gate
//! on the detected test (and lint) command, touched services and their env vars are named
//! where they are used, and matching [`super::topics`] contribute design decisions, edge
//! cases, measurable criteria and out-of-scope items.
use super::draft::{DPhase, Draft, Role};
use super::ground::{kebab, snake, Grounding};
use super::paths::Lang;
use crate::model::{FileAction, TaskKind};
use crate::text::{cap_first, prose_list};
use regex::Regex;

mod build;
mod change;
mod harden;

use build::*;
pub use change::is_data_migration;
use change::*;
pub use harden::security_phase;
use harden::*;

/// The base draft for the grounding's task kind: title, thesis, phases, dependencies,
/// out-of-scope and iron rules. Lenses, directives and feedback are applied afterwards.
pub fn base(g: &Grounding) -> Draft {
    let mut d = Draft {
        title: title_of(&g.task),
        ..Default::default()
    };
    d.phases.push(preflight(g));
    match g.kind {
        TaskKind::Feature => feature(g, &mut d),
        TaskKind::Bugfix => bugfix(g, &mut d),
        TaskKind::Refactor => refactor(g, &mut d),
        TaskKind::Migration => {
            if is_data_migration(g) {
                data_migration(g, &mut d)
            } else {
                platform_migration(g, &mut d)
            }
        }
        TaskKind::Replacement => replacement(g, &mut d),
        TaskKind::Performance => performance(g, &mut d),
        TaskKind::Security => security_kind(g, &mut d),
        TaskKind::Research => research(g, &mut d),
        TaskKind::Greenfield => greenfield(g, &mut d),
    }
    if g.is_sensitive()
        && g.kind != TaskKind::Security
        && g.kind != TaskKind::Research
        && !d.phases.iter().any(|p| p.role == Role::Security)
    {
        let sec = security_phase(g, &d);
        d.insert_before_closing(sec);
    }
    if g.is_sensitive() && g.kind == TaskKind::Research {
        // Research changes no code, so its security gate is an assessment of each option,
        // placed before the recommendation it informs.
        let sec = research_security_phase(g, &d);
        let at = d
            .phases
            .iter()
            .position(|p| p.key.starts_with("recommend-"))
            .unwrap_or(d.phases.len());
        d.insert(at, sec);
        let k = d.phases[at].key.clone();
        if let Some(next) = d.phases.get_mut(at + 1) {
            next.depends(&k);
        }
    }
    focus_steps(g, &mut d);
    new_services(g, &mut d);
    dependencies(g, &mut d);
    common_rules(g, &mut d);
    d.thesis = thesis(g, &d);
    d
}

/// The phase of each shape that changes the code the task is about (key prefix): the one whose
/// steps name the functions and types to change.
const CHANGE_PHASE: &[(TaskKind, &[&str])] = &[
    (TaskKind::Feature, &["implement-"]),
    (TaskKind::Bugfix, &["fix-"]),
    (TaskKind::Refactor, &["introduce-"]),
    (TaskKind::Migration, &["compat-", "dual-write-"]),
    (TaskKind::Replacement, &["seam-"]),
    (TaskKind::Performance, &["optimize-"]),
    (TaskKind::Security, &["fix-"]),
    (TaskKind::Greenfield, &["core-"]),
];

/// Names what to change in the shape's change phase ([`CHANGE_PHASE`], else
/// [`Draft::impl_key`]): its first steps say which functions and types to add or change, with
/// their files ([`super::focus::Focus::steps`]); those files and the files the task names to
/// create are among its files. Research changes no code, so it gets none.
fn focus_steps(g: &Grounding, d: &mut Draft) {
    if g.kind == TaskKind::Research {
        return;
    }
    let prefixes: &[&str] = CHANGE_PHASE
        .iter()
        .find(|(k, _)| *k == g.kind)
        .map(|(_, p)| *p)
        .unwrap_or(&[]);
    let key = d
        .phases
        .iter()
        .find(|p| prefixes.iter().any(|x| p.key.starts_with(x)))
        .map(|p| p.key.clone())
        .or_else(|| d.impl_key());
    let Some(p) = key.and_then(|k| d.get_mut(&k)) else {
        return;
    };
    for (i, s) in g.focus.steps().into_iter().enumerate() {
        if !p.phase.steps.contains(&s) {
            p.phase.steps.insert(i.min(p.phase.steps.len()), s);
        }
    }
    let f = &g.focus;
    let touched = f.changes.iter().map(|c| &c.symbol.path).chain(
        f.new_names
            .iter()
            .filter_map(|n| n.container.as_ref().map(|c| &c.path)),
    );
    for path in touched {
        p.file(path.clone(), FileAction::Modify);
    }
    for c in &f.create {
        p.file(c.clone(), FileAction::Create);
    }
}

/// Plan title: the task, capitalised, at most 100 characters.
pub fn title_of(task: &str) -> String {
    let t = task.trim().trim_end_matches('.');
    let t: String = t.chars().take(100).collect();
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => "Untitled task".to_string(),
    }
}

fn k(g: &Grounding) -> String {
    kebab(&g.stem)
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

/// `` `a`, `b` and `c` `` for paths.
fn paths(ps: &[String]) -> String {
    prose_list(
        &ps.iter().map(|p| code(p)).collect::<Vec<_>>(),
        "the affected files",
    )
}

/// Phase 00: run the detected commands on a clean checkout and record the baseline.
pub fn preflight(g: &Grounding) -> DPhase {
    let mut p = DPhase::new(
        "preflight",
        Role::Preflight,
        "Preflight: baseline on a clean checkout",
        "Prove the repository builds and its tests pass before any change, so every later gate compares against a recorded baseline.",
        1,
    );
    if let Some(b) = &g.build {
        p.step(format!("Run `{}` (declared in {}) on a clean checkout; save the full log under evidence/ and note the exit code and duration.", b.command, b.source));
        p.criterion(format!(
            "`{}` exits 0 on a clean checkout, with the log line that shows it saved in evidence/.",
            b.command
        ));
        p.gate(b.command.clone());
    }
    if let Some(t) = &g.test {
        p.step(format!("Run `{}` ({}) and record the number of passing, failing and skipped tests: this is the baseline every later phase is compared with.", t.command, t.source));
        p.criterion(format!(
            "`{}` exits 0; the pass/fail/skip counts are recorded in evidence/.",
            t.command
        ));
        p.gate(t.command.clone());
    }
    if let Some(l) = &g.lint {
        p.step(format!("Run `{}` ({}) and record the existing warnings, so later phases can tell new warnings from old ones.", l.command, l.source));
    }
    for b in &g.broken {
        let seen = if b.detail.is_empty() {
            String::new()
        } else {
            format!(": {}", b.detail.trim_end_matches('.'))
        };
        let log = b
            .evidence
            .as_ref()
            .map(|e| format!(" (see `{e}`)"))
            .unwrap_or_default();
        p.step(format!("`{}` ({}) already fails on the untouched repository{seen}{log}: it is no gate of this plan. Note the failure in evidence/ and leave fixing it to a separate change.", b.command.command, b.command.source));
    }
    if !g.has_runnable() {
        p.step("No buildable target was detected: the probe found no build or test command in the project's manifests. Find out how the project is built and tested (README, CI files, maintainers), write the exact commands into evidence/, and run them before any other phase.".to_string());
        p.criterion("check: 1 build command and 1 test command are written down and each ran once on a clean checkout, with its output saved in evidence/.".to_string());
        p.gate("check: 1 build or test command is identified and exits 0 on a clean checkout (the probe detected none)".to_string());
    }
    for s in &g.services {
        let conn = s.connection_env();
        let env = if conn.is_empty() {
            String::new()
        } else {
            format!(
                " through {}",
                prose_list(&conn.iter().map(|e| code(e)).collect::<Vec<_>>(), "")
            )
        };
        p.step(format!(
            "Start {} ({}, declared in {}) and confirm the application reaches it{}.",
            s.name, s.kind, s.source, env
        ));
    }
    if !g.sources.is_empty() {
        p.step(format!(
            "Read {} (ranked most relevant by {}) and list the functions the task touches and their callers.",
            paths(&g.sources.iter().take(3).cloned().collect::<Vec<_>>()),
            g.focus.ranked_by()
        ));
    }
    if let Some(ci) = g.ci.first() {
        p.step(format!(
            "Check that {} runs the same commands, so the local baseline matches CI.",
            code(ci)
        ));
    }
    p.phase.rollback =
        "Nothing to roll back: preflight changes no file; it only records evidence.".to_string();
    p
}

/// How the steps name where the tests go: the project's own test for the code the plan
/// changes ([`super::focus::Focus::tests_label`]), never a path made up from the task.
fn tests_label(g: &Grounding) -> String {
    g.focus.tests_label()
}

/// Lists the test site (the file to extend, or to create in the project's layout) among the
/// phase's files; nothing when no test site is known.
fn test_file(p: &mut DPhase, g: &Grounding) {
    if let Some(t) = g.focus.test() {
        p.file(t.path.clone(), t.action());
    }
}

/// Steps that use the touched services in a phase changing `files`.
fn service_steps(g: &Grounding, p: &mut DPhase) {
    let touched: Vec<String> = p.phase.files.iter().map(|f| f.path.clone()).collect();
    for s in &g.services {
        if s.files.iter().any(|f| touched.contains(f)) {
            let env = if s.env.is_empty() {
                String::new()
            } else {
                format!(
                    ", configured by {}",
                    prose_list(&s.env.iter().map(|e| code(e)).collect::<Vec<_>>(), "")
                )
            };
            p.step(format!(
                "This phase touches {} which talks to {} ({}{}): run its tests against a local {} started from {}, not a mock.",
                paths(&s.files),
                s.name,
                s.kind,
                env,
                s.name,
                s.source
            ));
        }
    }
}

/// The gate of implementation phases (test command, lint) — empty when none was detected;
/// `Draft::repair` then writes a manual check.
fn impl_gate(g: &Grounding, p: &mut DPhase) {
    for c in g.impl_gate() {
        p.gate(c);
    }
}

/// Provisioning of services the task names that the probe did not find.
fn new_services(g: &Grounding, d: &mut Draft) {
    if g.new_services.is_empty() || g.kind == TaskKind::Research {
        return;
    }
    let names = prose_list(
        &g.new_services
            .iter()
            .map(|n| n.name.to_string())
            .collect::<Vec<_>>(),
        "",
    );
    let mut p = DPhase::new(
        &format!("provision-{}", kebab(&g.new_services.iter().map(|n| n.name).collect::<Vec<_>>().join("-"))),
        Role::Core,
        format!("Provision {names} (new service)"),
        format!("Make {names} available in every environment before any code depends on it: the probe found no such service in the repository."),
        2,
    );
    let compose = g.services_file();
    for n in &g.new_services {
        match &compose {
            Some(c) => {
                p.step(format!("Add a {} service ({}) to `{c}` for local development and tests, with a pinned image version and a health check.", n.name, n.kind));
                p.file(c.clone(), FileAction::Modify);
            }
            None => {
                p.step(format!("Provide a {} instance ({}) for local development and tests (container with a pinned version and a health check), and document how to start it.", n.name, n.kind));
            }
        }
        p.step(format!("Introduce `{}` as the only way the code finds {}; fail at start-up with a clear message when it is missing.", n.env, n.name));
        p.step(format!("Provision {} in staging and production (managed service or cluster), with persistence and memory limits chosen for this use, and credentials in the secret store.", n.name));
        p.criterion(format!("A connection check to {} through `{}` succeeds in local, CI and staging (3 environments), recorded in evidence/.", n.name, n.env));
    }
    if let Some(ci) = g.ci.first() {
        p.step(format!(
            "Start the new service in CI (`{ci}`) so the tests run against it."
        ));
        p.file(ci.clone(), FileAction::Modify);
    }
    if let Some(b) = &g.build {
        p.gate(b.command.clone());
    }
    p.gate(format!(
        "check: {names} reachable through {} in local, CI and staging",
        g.new_services
            .iter()
            .map(|n| format!("`{}`", n.env))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    p.phase.rollback = format!(
        "Remove the {names} service definitions; no code uses them yet, so nothing else changes."
    );
    // Right after preflight: everything else may depend on it.
    d.insert(1, p);
    let pk = d.phases[1].key.clone();
    let first_core = d.phases.get(2).map(|x| x.key.clone());
    if let Some(fc) = first_core {
        if let Some(x) = d.get_mut(&fc) {
            x.depends(&pk);
        }
    }
    for n in &g.new_services {
        d.rule(format!(
            "{} is a new service: no phase may rely on it before the provisioning phase is done.",
            n.name
        ));
    }
}

/// Dependencies: every probe service (touched ones with why), new services, env vars,
/// permissions justified by the task.
fn dependencies(g: &Grounding, d: &mut Draft) {
    if d.phases.iter().any(|p| p.role == Role::Closing)
        && g.kind != TaskKind::Research
        && g.deployable.is_some()
    {
        d.permission("Deploy rights to staging and production for the release phase (granted by the release owner)".to_string());
    }
    for s in &g.services {
        d.service(format!(
            "{} ({}, declared in {}; touched: {})",
            s.name, s.kind, s.source, s.why
        ));
    }
    for n in &g.source_services {
        d.service(format!(
            "{} ({}, the source the task names; not found by the probe — confirm where it runs and how the plan reaches it)",
            n.name, n.kind
        ));
    }
    for s in &g.untouched {
        d.service(format!(
            "{} ({}, declared in {}; needed to run the application, not changed by this plan)",
            s.name, s.kind, s.source
        ));
    }
    if g.kind != TaskKind::Research {
        for n in &g.new_services {
            d.service(format!(
                "{} ({}, NEW: not found by the probe; provisioned by this plan)",
                n.name, n.kind
            ));
            d.env(n.env);
        }
    } else {
        for n in &g.new_services {
            d.service(format!("{} ({}, candidate evaluated in the spike only; not found by the probe, not provisioned)", n.name, n.kind));
        }
    }
    for v in &g.env_vars {
        d.env(v);
    }
    for s in &g.services {
        for v in &s.env {
            d.env(v);
        }
    }
    let db = g.services.iter().find(|s| s.kind == "database");
    if g.kind == TaskKind::Migration && is_data_migration(g) {
        let kv_target = g.new_services.iter().any(|n| n.kind == "cache")
            || from_to(&g.task)
                .1
                .split(|c: char| !c.is_alphanumeric())
                .filter_map(super::ground::known_service)
                .any(|k| k.1 == "cache");
        match db {
            Some(s) if !kv_target => d.permission(format!(
                "A database role allowed to run DDL (CREATE/ALTER/DROP) on {} in every environment, for the expand and contract phases",
                s.name
            )),
            _ => d.permission("Write access to the old and the new store in every environment, for the dual-write and backfill phases".to_string()),
        };
    }
    if !g.new_services.is_empty() && g.kind != TaskKind::Research {
        d.permission(format!(
            "Permission to provision {} in staging and production and to add its credentials to the secret store",
            prose_list(&g.new_services.iter().map(|n| n.name.to_string()).collect::<Vec<_>>(), "")
        ));
    }
    if g.kind == TaskKind::Security && g.sensitive.contains(&"secrets and credentials") {
        d.permission("Access to the secret store to rotate the exposed secrets".to_string());
    }
}

fn common_rules(g: &Grounding, d: &mut Draft) {
    d.rule("Every phase ends with its gate green; a red gate stops the plan until it is fixed or the phase is rolled back.");
    let cmds: Vec<String> = [&g.build, &g.test, &g.lint]
        .iter()
        .filter_map(|c| c.as_ref().map(|c| format!("`{}`", c.command)))
        .collect();
    if !cmds.is_empty() {
        d.rule(format!(
            "Gates run only the commands the project declares ({}); no ad-hoc scripts as evidence.",
            cmds.join(", ")
        ));
    }
    if g.is_sensitive() {
        d.rule("Never log secrets, tokens, passwords or session identifiers.");
    }
    for s in &g.untouched {
        d.out(format!(
            "Changes to {} ({}): the task does not touch it.",
            s.name, s.kind
        ));
    }
}

/// Thesis: why this shape, grounded in the probe.
fn thesis(g: &Grounding, d: &Draft) -> Vec<String> {
    let mut t = vec![g.repo_summary()];
    if !g.sources.is_empty() {
        let top: Vec<String> = g
            .sources
            .iter()
            .take(3)
            .map(|s| match g.reason_of(s) {
                Some(r) if !r.is_empty() => format!("`{s}` ({r})"),
                _ => format!("`{s}`"),
            })
            .collect();
        t.push(format!(
            "{} ranks {} as the files the task touches, so they are the plan's modify targets.",
            cap_first(g.focus.ranked_by()),
            prose_list(&top, "")
        ));
    } else {
        t.push("The probe found no existing file relevant to the task, so the plan creates new files in the repository's layout.".to_string());
    }
    t.push(match g.kind {
        TaskKind::Feature => "As a feature, it fixes the contract in acceptance tests first, implements against them, then covers edge cases before rolling out.".to_string(),
        TaskKind::Bugfix => "As a bugfix, it reproduces the bug with a failing test before touching code, fixes the root cause, then widens coverage around it.".to_string(),
        TaskKind::Refactor => "As a refactor, it pins today's behaviour with characterization tests, builds the new structure beside the old, moves callers, and only then removes the old path.".to_string(),
        TaskKind::Migration => if is_data_migration(g) {
            "As a data migration, it follows expand, dual-write, backfill, cutover and contract so every step before the last stays reversible.".to_string()
        } else {
            "As a platform migration, it inventories incompatibilities, makes the code work on both versions, switches, and then removes the compatibility code.".to_string()
        },
        TaskKind::Replacement => "As a replacement, it puts a seam around the old implementation, proves parity of the new one behind a switch, and removes the old one last.".to_string(),
        TaskKind::Performance => "As performance work, it measures a baseline and profiles before changing code, and verifies the gain with the same benchmark.".to_string(),
        TaskKind::Security => "As security work, it writes the threat model first, closes each high-rated abuse case, and proves each with a negative test.".to_string(),
        TaskKind::Research => "As research, it frames questions and criteria, runs a time-boxed spike on a throwaway branch, and ends in a written recommendation with no production change.".to_string(),
        TaskKind::Greenfield => "As greenfield work inside an existing repository, it scaffolds the component into the existing build first, then grows core, entry point, tests and operations.".to_string(),
    });
    if d.phases.iter().any(|p| p.role == Role::Security) && g.kind != TaskKind::Security {
        t.push(format!(
            "The task touches {}, so a security phase with negative tests gates the release.",
            prose_list(
                &g.sensitive
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                ""
            )
        ));
    }
    if !g.new_services.is_empty() && g.kind != TaskKind::Research {
        t.push(format!(
            "The task needs {}, which the probe did not find, so the plan provisions it first.",
            prose_list(
                &g.new_services
                    .iter()
                    .map(|n| n.name.to_string())
                    .collect::<Vec<_>>(),
                ""
            )
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_parsed() {
        assert_eq!(
            pair(
                "Rewrite the auth middleware to unify OIDC and legacy JWT",
                &[&format!(
                    r"(?i)\bunif(?:y|ies|ying)\s+(?:the\s+)?(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"
                )]
            ),
            Some(("OIDC".to_string(), "legacy JWT".to_string()))
        );
        assert_eq!(
            from_to("Migrate the orders table from MySQL to PostgreSQL"),
            ("MySQL".to_string(), "PostgreSQL".to_string())
        );
        assert_eq!(from_to("Move session storage to Redis").1, "Redis");
    }
}

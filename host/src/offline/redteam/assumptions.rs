//! redteam-assumptions: what the plan takes for granted about the repository — services,
//! environment variables, commands and files — checked against the probe report and the
//! repository itself.
use super::reviewer_envelope;
use crate::model::validate::path_problem;
use crate::model::Context;
use crate::model::{Envelope, FileAction, Finding, Plan, Severity};
use crate::offline::momus::scan::{
    clip, contains_word, declares_env, env_vars_in, exists_in_repo, finding, is_check, is_detected,
    phase_location, probe_services, services_in, work_texts, PLAN_LOCATION,
};
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

static PROVISIONS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(provision\w*|install\w*|docker[- ]compose|compose\.ya?ml|helm|terraform|set ?up|deploy\w*|add\w* (a |an |the )?\w* ?(service|container|instance))\b").unwrap()
});
static INTRODUCES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(introduc\w*|add\w*|defin\w*|new|creat\w*|document\w*|default\w*|declar\w*)\b",
    )
    .unwrap()
});

/// Counts of what [`assumptions_findings`] found, for the summary.
#[derive(Default)]
struct Tally {
    services: usize,
    env: usize,
    commands: usize,
    files: usize,
}

/// The findings of [`assumptions`].
///
/// Checks, against the probe report and `ctx.repo_root`:
/// (1) a service the plan declares or names that the probe did not detect → high, unless the
/// task itself names it (the task introduces it); medium instead of high when a step
/// provisions it (install, docker compose, helm, terraform, …);
/// (2) an environment variable the plan declares or names that the probe did not find →
/// medium, unless a step introduces it (add, define, new, default, document, …);
/// (3) a gate command (not `check:`) that is not a command the probe detected → medium, once
/// per command;
/// (4) a `modify` or `delete` target that does not exist under the repository root and that no
/// earlier phase creates → high; a `create` target that already exists → medium; an unsafe
/// path (absolute, `..`) → high, and the filesystem is not consulted for it.
pub fn assumptions_findings(ctx: &Context<'_>, plan: &Plan) -> Vec<Finding> {
    let (findings, _) = run(ctx, plan);
    findings
}

fn run(ctx: &Context<'_>, plan: &Plan) -> (Vec<Finding>, Tally) {
    let mut out = Vec::new();
    let mut tally = Tally::default();
    let texts = work_texts(plan);
    let probe_names: Vec<String> = ctx.probe.services.iter().map(|s| s.name.clone()).collect();
    let detected = probe_services(ctx);
    let task_services = services_in(ctx.task, &probe_names);

    // (1) services
    let mut named: Vec<(String, String)> = Vec::new(); // (service, location)
    for s in plan
        .dependencies
        .services
        .iter()
        .filter(|s| !s.trim().is_empty())
    {
        let canon = crate::offline::momus::scan::canonical_service(s);
        if !named.iter().any(|(n, _)| n == &canon) {
            named.push((canon, PLAN_LOCATION.to_string()));
        }
    }
    for (loc, text) in &texts {
        for canon in services_in(text, &probe_names) {
            if !named.iter().any(|(n, _)| n == &canon) {
                named.push((canon, loc.clone()));
            }
        }
    }
    for (svc, loc) in named {
        if detected.contains(&svc) || task_services.contains(&svc) {
            continue;
        }
        let provisioned = plan
            .phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .any(|s| contains_word(&s.to_lowercase(), &svc) && PROVISIONS.is_match(s));
        let found = if detected.is_empty() {
            "none".to_string()
        } else {
            detected.join(", ")
        };
        tally.services += 1;
        out.push(finding(
            loc,
            if provisioned { Severity::Medium } else { Severity::High },
            if provisioned {
                format!("Assumptions: the plan brings in the new service {svc}, which the repository does not use today (detected: {found}).")
            } else {
                format!("Assumptions: the plan relies on the service {svc}, which the probe did not find in the repository (detected: {found}).")
            },
            format!("Use a service the project already has, or justify {svc} and plan its provisioning, configuration and failure handling as explicit steps."),
        ));
    }

    // (2) environment variables
    let mut vars: Vec<(String, String)> = Vec::new();
    for v in &plan.dependencies.env_vars {
        for var in env_vars_in(&format!("env {v}"), &[]) {
            if !vars.iter().any(|(n, _)| n == &var) {
                vars.push((var, PLAN_LOCATION.to_string()));
            }
        }
    }
    for (loc, text) in &texts {
        for var in env_vars_in(text, &ctx.probe.env_vars) {
            if !vars.iter().any(|(n, _)| n == &var) {
                vars.push((var, loc.clone()));
            }
        }
    }
    for (var, loc) in vars {
        if ctx.probe.env_vars.contains(&var) {
            continue;
        }
        let introduced = plan
            .phases
            .iter()
            .flat_map(|p| p.steps.iter().chain(std::iter::once(&p.goal)))
            .any(|s| s.contains(var.as_str()) && INTRODUCES.is_match(s));
        if introduced {
            continue;
        }
        tally.env += 1;
        let declared = if declares_env(&plan.dependencies.env_vars, &var) {
            "declared but "
        } else {
            ""
        };
        out.push(finding(
            loc,
            Severity::Medium,
            format!("Assumptions: the environment variable {var} is {declared}not set anywhere the probe looked, and no step introduces it."),
            format!("Add a step that introduces {var} (where it is set, its default, who owns it), or use configuration the project already has."),
        ));
    }

    // (3) commands
    let mut seen_cmds: BTreeSet<String> = BTreeSet::new();
    for (i, p) in plan.phases.iter().enumerate() {
        for g in p
            .gate
            .iter()
            .map(|g| g.trim())
            .filter(|g| !g.is_empty() && !is_check(g))
        {
            if is_detected(ctx, g) || !seen_cmds.insert(g.to_string()) {
                continue;
            }
            tally.commands += 1;
            out.push(finding(
                phase_location(i, p),
                Severity::Medium,
                format!("Assumptions: the gate command `{}` is not one the probe detected in the project's files, so Hephaestus will not run it.", clip(g, 100)),
                "Use a detected command exactly as detected, or write the gate as a `check:` stating what to verify.",
            ));
        }
    }

    // (4) files
    let mut created: BTreeSet<&str> = BTreeSet::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        for f in &p.files {
            if let Some(problem) = path_problem(&f.path) {
                tally.files += 1;
                out.push(finding(
                    &loc,
                    Severity::High,
                    format!("Assumptions: unsafe file path: {problem}."),
                    "Name files by their path relative to the repository root, '/'-separated, without '..'.",
                ));
                continue;
            }
            let exists = exists_in_repo(ctx.repo_root, &f.path);
            match f.action {
                FileAction::Create => {
                    if exists && !created.contains(f.path.as_str()) {
                        tally.files += 1;
                        out.push(finding(
                            &loc,
                            Severity::Medium,
                            format!("Assumptions: phase {} creates {}, which already exists.", p.id, f.path),
                            format!("Modify {} instead of creating it, and say what of its current content stays.", f.path),
                        ));
                    }
                    created.insert(&f.path);
                }
                FileAction::Modify | FileAction::Delete => {
                    if !exists && !created.contains(f.path.as_str()) {
                        tally.files += 1;
                        let verb = if f.action == FileAction::Modify {
                            "modifies"
                        } else {
                            "deletes"
                        };
                        out.push(finding(
                            &loc,
                            Severity::High,
                            format!("Assumptions: phase {} {verb} {}, which does not exist in the repository.", p.id, f.path),
                            format!("Point phase {} at the file that really holds this code (see the probe's relevant files), or create {} first.", p.id, f.path),
                        ));
                    }
                }
            }
        }
    }
    (out, tally)
}

/// redteam-assumptions's envelope for `plan` (docs/design.md §2 stage 5); checks in
/// [`assumptions_findings`]. Verdict from the findings (a missing service or file → RISKY).
/// Agent `redteam-assumptions`.
pub fn assumptions(ctx: &Context<'_>, plan: &Plan, depth: Option<u32>) -> Envelope {
    let (findings, t) = run(ctx, plan);
    let headline = format!(
        "Assumptions review: {} unfound service{}, {} unknown env var{}, {} undetected command{}, {} file problem{}",
        t.services,
        crate::offline::momus::plural(t.services),
        t.env,
        crate::offline::momus::plural(t.env),
        t.commands,
        crate::offline::momus::plural(t.commands),
        t.files,
        crate::offline::momus::plural(t.files)
    );
    reviewer_envelope("redteam-assumptions", ctx, depth, findings, &headline)
}

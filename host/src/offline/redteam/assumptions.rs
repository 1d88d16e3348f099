//! redteam-assumptions: what the plan takes for granted about the repository — services,
//! environment variables, commands and files — checked against the probe report and the
//! repository itself.
use super::reviewer_envelope;
use crate::model::Context;
use crate::model::{Envelope, Finding, Plan, Severity};
use crate::offline::checks::{self, Check};
use crate::offline::scan::{
    contains_word, declares_env, env_vars_in, finding, probe_services, services_in, work_texts,
    PLAN_LOCATION,
};
use regex::Regex;
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
/// (3) the gate check ([`Check::Gate`]): gate commands the project does not declare, gate
/// commands that fail on the baseline;
/// (4) the file checks ([`Check::Missing`], [`Check::NamedFile`]): a changed file that does not
/// exist and is not created first (critical), a created file that exists, an unsafe path, a
/// file defining what the task names that no phase touches (critical).
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
        let canon = crate::offline::scan::canonical_service(s);
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

    // (3) gates, (4) files and the names of the task: the deterministic checks.
    let hits = checks::run(ctx, plan);
    for h in checks::only(&hits, &[Check::Gate]) {
        tally.commands += 1;
        out.extend(checks::prefixed(&[h], "Assumptions"));
    }
    for h in checks::only(&hits, &[Check::Missing, Check::NamedFile]) {
        tally.files += 1;
        out.extend(checks::prefixed(&[h], "Assumptions"));
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

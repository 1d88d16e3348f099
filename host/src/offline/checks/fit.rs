//! [`Check::RepositoryFit`]: work that does not fit the repository — deployment, rollout and
//! production operations (canaries, staging, dashboards, alerts, on-call, SLOs, error rates)
//! planned for a repository that has no deployable service.
//!
//! Whether a repository is deployable is read from the probe ([`deployable`]): services it
//! depends on, container and deployment manifests (a Dockerfile that `EXPOSE`s a port, compose,
//! Procfile, Kubernetes or
//! Helm files, platform files such as `fly.toml`), or a server framework together with an entry
//! point. A library, a command-line tool or a script has none of these: it is released, not
//! deployed. The offline planner reads the same function to decide whether a plan may have a
//! rollout phase at all.
use super::{hit, Check, Dimension, Hit};
use crate::model::Context;
use crate::model::{Plan, ProbeReport, Severity};
use crate::offline::scan::{clip, phase_location, PLAN_LOCATION};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// Frameworks that serve requests (as the probe names them): with an entry point, the
/// repository is a service.
pub const SERVER_FRAMEWORKS: &[&str] = &[
    "actix-web",
    "axum",
    "rocket",
    "warp",
    "poem",
    "tide",
    "tonic",
    "express",
    "fastify",
    "koa",
    "hono",
    "nestjs",
    "next",
    "nuxt",
    "sveltekit",
    "remix",
    "django",
    "flask",
    "fastapi",
    "starlette",
    "uvicorn",
    "gunicorn",
    "aiohttp",
    "tornado",
    "spring-boot",
    "quarkus",
    "micronaut",
    "gin",
    "echo",
    "fiber",
    "chi",
    "rails",
    "sinatra",
    "laravel",
    "phoenix",
];

/// Files and directories at the repository root that deploy something.
pub const DEPLOY_PATHS: &[&str] = &[
    "k8s",
    "kubernetes",
    "helm",
    "charts",
    "deploy",
    "deployment",
    "deployments",
    "Chart.yaml",
    "kustomization.yaml",
    "skaffold.yaml",
    "fly.toml",
    "app.yaml",
    "render.yaml",
    "vercel.json",
    "netlify.toml",
    "serverless.yml",
    "serverless.yaml",
    "heroku.yml",
];

/// Why the repository is deployable, or `None` when the probe found nothing deployable (see
/// the module docs). `repo_root` is read for [`DEPLOY_PATHS`] and the Dockerfiles only.
pub fn deployable(probe: &ProbeReport, repo_root: &Path) -> Option<String> {
    if let Some(s) = probe.services.first() {
        return Some(format!("it depends on the service {}", s.name));
    }
    let manifest = probe.manifests.iter().find(|m| {
        let name = m.rsplit('/').next().unwrap_or(m).to_ascii_lowercase();
        let image = name == "dockerfile"
            || name.starts_with("dockerfile.")
            || name.ends_with(".dockerfile")
            || name == "containerfile";
        (image && serves(repo_root, m))
            || name == "procfile"
            || ((name.starts_with("docker-compose") || name.starts_with("compose"))
                && (name.ends_with(".yml") || name.ends_with(".yaml")))
    });
    if let Some(m) = manifest {
        return Some(format!("it has {m}"));
    }
    if let Some(p) = DEPLOY_PATHS
        .iter()
        .find(|p| std::fs::symlink_metadata(repo_root.join(p)).is_ok())
    {
        return Some(format!("it has {p}"));
    }
    let framework = probe
        .frameworks
        .iter()
        .find(|f| SERVER_FRAMEWORKS.contains(&f.as_str()));
    match (framework, probe.entry_points.first()) {
        (Some(f), Some(e)) => Some(format!("it serves with {f} from {e}")),
        _ => None,
    }
}

/// Whether the container image at `rel` serves: it `EXPOSE`s a port. A Dockerfile that only
/// builds or packages a command-line tool (`just`'s `etc/Dockerfile`) makes nothing deployable;
/// one that cannot be read counts as serving (the older, safer reading).
fn serves(repo_root: &Path, rel: &str) -> bool {
    match std::fs::read_to_string(repo_root.join(rel)) {
        Ok(text) => text.lines().any(|l| {
            l.trim_start()
                .get(..7)
                .is_some_and(|w| w.eq_ignore_ascii_case("expose "))
        }),
        Err(_) => true,
    }
}

/// Text that is about deploying and operating a service.
pub static OPERATIONS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(deploy(s|ed|ing|ments?)?|redeploy\w*|canar(y|ies)|roll[- ]?outs?|rolled out|rolling out|blue[- ]green|staging|in production|to production|production (traffic|metrics|environment|dashboards?|alerts?|users|load|database|cluster)|dashboards?|alert(s|ing)?|on[- ]call|pager|runbooks?|error[- ]rates?|slos?|slas?|telemetry)\b").unwrap()
});

/// When [`deployable`] finds nothing and the task itself does not speak of operations: per phase, a title or goal about operating a service (a
/// rollout, canary or deployment phase) → high; otherwise a step, criterion, gate or rollback
/// that speaks of it → medium, once per phase; a permission that does (deploy rights, access to
/// production) → medium at `plan/plan.md`.
pub fn repository_fit(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    if OPERATIONS.is_match(ctx.task) || deployable(ctx.probe, ctx.repo_root).is_some() {
        return Vec::new();
    }
    let what = "the probe found no deployable service here (no service, container or deployment manifest, no server with an entry point)";
    let mut out = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        let loc = phase_location(i, p);
        let head = format!("{}\n{}", p.title, p.goal);
        if let Some(m) = OPERATIONS.find(&head) {
            out.push(hit(
                Check::RepositoryFit,
                Dimension::ScopeHygiene,
                &loc,
                Severity::High,
                format!("phase {} (\"{}\") is about {} work, but {what}.", p.id, clip(&p.title, 80), m.as_str().to_lowercase()),
                format!("Remove phase {}: this repository is released, not deployed; prove the change with its tests instead.", p.id),
            ));
            continue;
        }
        let mut rest: Vec<&str> = p.steps.iter().map(String::as_str).collect();
        rest.extend(p.success_criteria.iter().map(String::as_str));
        rest.extend(p.gate.iter().map(String::as_str));
        rest.push(&p.rollback);
        if let Some(m) = rest.iter().find_map(|t| OPERATIONS.find(t)) {
            out.push(hit(
                Check::RepositoryFit,
                Dimension::ScopeHygiene,
                &loc,
                Severity::Medium,
                format!("phase {} speaks of {} (\"{}\"), but {what}.", p.id, m.as_str().to_lowercase(), clip(m.as_str(), 40)),
                format!("Rewrite phase {} without deployment or production operations: name the test or command that proves it.", p.id),
            ));
        }
    }
    if let Some(perm) = plan
        .dependencies
        .permissions
        .iter()
        .find(|p| OPERATIONS.is_match(p) || p.to_lowercase().contains("production"))
    {
        out.push(hit(
            Check::RepositoryFit,
            Dimension::ScopeHygiene,
            PLAN_LOCATION,
            Severity::Medium,
            format!("the plan asks for \"{}\", but {what}.", clip(perm, 80)),
            "Drop the deployment permission from dependencies.permissions.",
        ));
    }
    out
}

//! Plan-text analysis shared by Momus's rubric and the offline red team: where a finding
//! points, which services, environment variables, commands and creep phrases a plan names,
//! whether a criterion is measurable, whether a phase is tied to the task, and read-only
//! access to the repository's files.
//!
//! Everything is deterministic and works on any plan, valid or not (no panics on odd input).
use crate::model::validate::{is_valid_slug, path_problem};
use crate::model::Context;
use crate::model::{FileAction, Finding, Phase, Plan, Severity};
use regex::Regex;
use std::path::Path;
use std::sync::LazyLock;

/// Location of plan-level findings (docs/design.md §5 overview file).
pub const PLAN_LOCATION: &str = "plan/plan.md";

/// Largest repository file read when looking at what a touched file uses.
const MAX_READ_BYTES: u64 = 256 * 1024;
/// Most touched files read per review.
const MAX_FILES_READ: usize = 64;

/// `plan/phase-{id}-{slug}.md` for a phase (docs/design.md §5 phase files); a phase whose id or slug
/// could not name a file is located at `plan/plan.md#phase-{n}` instead.
pub fn phase_location(index: usize, phase: &Phase) -> String {
    let id_ok = phase.id.len() == 2 && phase.id.bytes().all(|b| b.is_ascii_digit());
    if id_ok && is_valid_slug(&phase.slug) {
        format!("plan/phase-{}-{}.md", phase.id, phase.slug)
    } else {
        format!("{PLAN_LOCATION}#phase-{index:02}")
    }
}

/// A finding; `demand` must be an imperative sentence.
pub fn finding(
    location: impl Into<String>,
    severity: Severity,
    concern: impl Into<String>,
    demand: impl Into<String>,
) -> Finding {
    Finding {
        location: location.into(),
        severity,
        concern: concern.into(),
        demand: demand.into(),
    }
}

/// `s` cut to `n` characters, with `…` when cut (for quoting plan text in findings).
pub fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Every text item of a phase (title, goal, steps, success criteria, gate, rollback, file
/// paths), in that order.
pub fn phase_items(phase: &Phase) -> Vec<&str> {
    let mut v: Vec<&str> = vec![&phase.title, &phase.goal];
    v.extend(phase.steps.iter().map(String::as_str));
    v.extend(phase.success_criteria.iter().map(String::as_str));
    v.extend(phase.gate.iter().map(String::as_str));
    v.push(&phase.rollback);
    v.extend(phase.files.iter().map(|f| f.path.as_str()));
    v
}

/// All text of a phase joined by newlines.
pub fn phase_text(phase: &Phase) -> String {
    phase_items(phase).join("\n")
}

/// Prefix of an iron rule that records a demand the planner refused, with its reason
/// (`Deferred: … — because …`).
pub const DEFERRED_PREFIX: &str = "Deferred:";

/// Whether an iron rule records a refused demand (`Deferred: … — because …`, prefix matched
/// case-insensitively after leading whitespace). Such a rule quotes work the plan does *not*
/// do, so checks for what the plan uses (services, env vars, mitigations, creep) skip it.
pub fn is_deferred(rule: &str) -> bool {
    rule.trim_start()
        .get(..DEFERRED_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(DEFERRED_PREFIX))
}

/// The plan-level text items that describe work (title, thesis, iron rules except
/// [`is_deferred`] ones) — not the out-of-scope list and not the dependency declarations.
pub fn plan_items(plan: &Plan) -> Vec<&str> {
    let mut v: Vec<&str> = vec![&plan.title, &plan.thesis];
    v.extend(
        plan.iron_rules
            .iter()
            .filter(|r| !is_deferred(r))
            .map(String::as_str),
    );
    v
}

/// The [`is_deferred`] iron rules (scanned only for what must never be in a plan at all, such
/// as secrets).
pub fn deferred_rules(plan: &Plan) -> Vec<&str> {
    plan.iron_rules
        .iter()
        .filter(|r| is_deferred(r))
        .map(String::as_str)
        .collect()
}

/// `(location, text)` for every part of a plan that describes work: one entry per phase and
/// one for the plan-level text. Out-of-scope and dependency declarations are not included.
pub fn work_texts(plan: &Plan) -> Vec<(String, String)> {
    let mut v = vec![(PLAN_LOCATION.to_string(), plan_items(plan).join("\n"))];
    v.extend(
        plan.phases
            .iter()
            .enumerate()
            .map(|(i, p)| (phase_location(i, p), phase_text(p))),
    );
    v
}

/// All text of the plan, including out-of-scope, dependencies and deferred iron rules (for
/// secret scanning).
pub fn all_text(plan: &Plan) -> String {
    let mut parts: Vec<String> = work_texts(plan).into_iter().map(|(_, t)| t).collect();
    parts.extend(deferred_rules(plan).into_iter().map(str::to_string));
    parts.extend(plan.out_of_scope.iter().cloned());
    parts.extend(plan.dependencies.services.iter().cloned());
    parts.extend(plan.dependencies.env_vars.iter().cloned());
    parts.extend(plan.dependencies.permissions.iter().cloned());
    parts.join("\n")
}

// ---------------------------------------------------------------- services

/// Services a plan may depend on: canonical name and the words that name it.
const KNOWN_SERVICES: &[(&str, &[&str])] = &[
    ("postgres", &["postgres", "postgresql", "psql"]),
    ("mysql", &["mysql", "mariadb"]),
    ("redis", &["redis", "valkey"]),
    ("memcached", &["memcached", "memcache"]),
    ("kafka", &["kafka"]),
    ("rabbitmq", &["rabbitmq", "amqp"]),
    ("nats", &["nats", "jetstream"]),
    ("elasticsearch", &["elasticsearch"]),
    ("opensearch", &["opensearch"]),
    ("mongodb", &["mongodb", "mongo"]),
    ("dynamodb", &["dynamodb"]),
    ("cassandra", &["cassandra", "scylladb"]),
    ("clickhouse", &["clickhouse"]),
    ("s3", &["s3", "minio"]),
    ("sqs", &["sqs"]),
    ("etcd", &["etcd"]),
    ("zookeeper", &["zookeeper"]),
    ("consul", &["consul"]),
    ("vault", &["hashicorp vault"]),
];

/// The canonical name of a service: `"PostgreSQL"` → `"postgres"`; an unknown name lowercased.
pub fn canonical_service(name: &str) -> String {
    let lower = name.trim().to_lowercase();
    for (canon, aliases) in KNOWN_SERVICES {
        if aliases.iter().any(|a| contains_word(&lower, a)) {
            return (*canon).to_string();
        }
    }
    lower
}

fn aliases_of(canon: &str) -> Vec<String> {
    KNOWN_SERVICES
        .iter()
        .find(|(c, _)| *c == canon)
        .map(|(_, a)| a.iter().map(|s| s.to_string()).collect())
        .unwrap_or_else(|| vec![canon.to_string()])
}

/// Canonical names of the services `text` mentions: the known services and, in addition, the
/// probe's detected services (by name). Each at most once, in vocabulary order.
pub fn services_in(text: &str, probe_services: &[String]) -> Vec<String> {
    let lower = text.to_lowercase();
    let mut out: Vec<String> = Vec::new();
    for (canon, aliases) in KNOWN_SERVICES {
        if aliases.iter().any(|a| contains_word(&lower, a)) && !out.iter().any(|o| o == canon) {
            out.push((*canon).to_string());
        }
    }
    for s in probe_services {
        let canon = canonical_service(s);
        if !out.contains(&canon) && aliases_of(&canon).iter().any(|a| contains_word(&lower, a)) {
            out.push(canon);
        }
    }
    out
}

/// Canonical names of the probe's detected services.
pub fn probe_services(ctx: &Context<'_>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for s in &ctx.probe.services {
        let c = canonical_service(&s.name);
        if !c.is_empty() && !v.contains(&c) {
            v.push(c);
        }
    }
    v
}

/// Whether `declared` (a plan's `dependencies.services`) names the service `canon`.
pub fn declares_service(declared: &[String], canon: &str) -> bool {
    declared.iter().any(|d| {
        let d = d.to_lowercase();
        canonical_service(&d) == canon || aliases_of(canon).iter().any(|a| contains_word(&d, a))
    })
}

/// Whether `text` holds `word` at word boundaries ([`crate::text::contains_word`]).
pub use crate::text::contains_word;

// ---------------------------------------------------------------- environment variables

static ENV_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$?\{?\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b").unwrap());
static ENV_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\benv\b|environment|env::var|process\.env|os\.environ|getenv|\.env\b|dotenv")
        .unwrap()
});

/// Environment variables `text` names, in first-seen order: `UPPER_SNAKE` tokens (at least one
/// `_`) that are written `$VAR`/`${VAR}`, stand in a text item that speaks of the environment
/// (`env`, `environment`, `getenv`, `process.env`, …), or are among `known` (the probe's).
/// Each text item (line) is judged on its own.
pub fn env_vars_in(text: &str, known: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let env_line = ENV_CONTEXT.is_match(line);
        for m in ENV_TOKEN.find_iter(line) {
            let raw = m.as_str();
            let dollar = raw.starts_with('$');
            let name = raw.trim_start_matches(['$', '{']).to_string();
            if (dollar || env_line || known.contains(&name)) && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Whether an environment variable's name says it holds a secret (key, token, password,
/// credential, private material, or a connection string that usually embeds a password).
pub fn is_secret_env(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "SECRET",
        "SECRETS",
        "TOKEN",
        "TOKENS",
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATE",
        "DSN",
        "SIGNING",
        "SALT",
    ];
    let n = name.to_ascii_uppercase();
    n.contains("DATABASE_URL") || n.split('_').any(|w| WORDS.contains(&w))
}

/// Whether `declared` (a plan's `dependencies.env_vars`) names `var` (exact word match, so
/// `"DATABASE_URL (postgres DSN)"` declares `DATABASE_URL`).
pub fn declares_env(declared: &[String], var: &str) -> bool {
    declared.iter().any(|d| {
        ENV_TOKEN
            .find_iter(d)
            .any(|m| m.as_str().trim_start_matches(['$', '{']) == var)
            || d.trim() == var
    })
}

// ---------------------------------------------------------------- creep, measurability

/// The first scope-creep phrase in `text` ("we could also", "nice to have", "optionally",
/// "while we're at it", "might as well", "stretch goal", "if time permits", …), lowercase: the
/// one definition shared with the planner and Alloy's synthesis ([`plan_rules::creep_phrase`]).
pub use plan_rules::creep_phrase;

/// Whether a success criterion or check is measurable: it names something observable (a
/// number, a command in backticks, a comparison, or an observable verb such as "exits",
/// "returns", "passes", "rejects", "logs") and is not merely vague ("works well", "as expected",
/// "properly", "robust") without a number or a command to pin it: the one definition shared
/// with the planner and Alloy's synthesis ([`plan_rules::is_measurable`]).
pub use plan_rules::is_measurable;

/// Whether a gate entry is a manual check (`check: …`) rather than a command.
pub fn is_check(gate: &str) -> bool {
    gate.trim_start().to_ascii_lowercase().starts_with("check:")
}

/// Whether `cmd` is a command the probe detected (exact match after trimming whitespace).
pub fn is_detected(ctx: &Context<'_>, cmd: &str) -> bool {
    let cmd = cmd.trim();
    ctx.probe.commands.iter().any(|c| c.command.trim() == cmd)
}

// ---------------------------------------------------------------- task relation

/// Slug words of phases that are structural rather than task work (preflight, tests, rollout,
/// docs, security, migrations, cleanup, verification, observability, release).
const STRUCTURAL_WORDS: &[&str] = &[
    "preflight",
    "test",
    "tests",
    "testing",
    "rollout",
    "release",
    "deploy",
    "deployment",
    "docs",
    "doc",
    "documentation",
    "readme",
    "changelog",
    "security",
    "hardening",
    "migration",
    "migrations",
    "migrate",
    "backfill",
    "cleanup",
    "verify",
    "verification",
    "validation",
    "monitoring",
    "observability",
    "metrics",
    "instrumentation",
    "benchmark",
    "baseline",
    "ci",
    "rollback",
    "flag",
    "flags",
    "compat",
    "compatibility",
    "review",
];

/// Whether a phase slug names a structural phase (see `STRUCTURAL_WORDS`).
pub fn is_structural(slug: &str) -> bool {
    slug.split('-').any(|w| STRUCTURAL_WORDS.contains(&w))
}

/// Whether two terms are the same word up to inflection: equal, one a prefix (≥ 4 characters)
/// of the other, or the same first 5 characters.
pub fn related_terms(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    (short.chars().count() >= 4 && long.starts_with(short))
        || (short.chars().count() >= 5 && a.chars().take(5).eq(b.chars().take(5)))
}

/// Whether a phase is tied to the task: it shares a term with the task or a Metis directive,
/// touches a file the probe found relevant, or is structural ([`is_structural`]).
pub fn task_related(ctx: &Context<'_>, phase: &Phase) -> bool {
    if is_structural(&phase.slug) {
        return true;
    }
    if phase
        .files
        .iter()
        .any(|f| ctx.probe.relevant_files.iter().any(|r| r.path == f.path))
    {
        return true;
    }
    let mut wanted = crate::text::terms(ctx.task);
    for d in ctx.directives {
        wanted.extend(crate::text::terms(d));
    }
    let mine = crate::text::terms(&phase_text(phase));
    mine.iter()
        .any(|m| wanted.iter().any(|w| related_terms(m, w)))
}

// ---------------------------------------------------------------- repository access

/// Whether the repository-relative `rel` names an existing file or directory under `root`.
/// Unsafe paths (absolute, `..`, …) never exist. Symlinks are not followed.
pub fn exists_in_repo(root: &Path, rel: &str) -> bool {
    path_problem(rel).is_none() && std::fs::symlink_metadata(root.join(rel)).is_ok()
}

/// The text of a regular repository file (not a symlink), at most 256 KiB, lossily decoded;
/// `None` when the path is unsafe, missing, not a regular file or too large.
pub fn read_repo_file(root: &Path, rel: &str) -> Option<String> {
    if path_problem(rel).is_some() {
        return None;
    }
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_READ_BYTES {
        return None;
    }
    std::fs::read(&path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `(location, path, content)` of the existing files a plan modifies or deletes (at most 64
/// files), for checks of what a touched file uses.
pub fn touched_contents(ctx: &Context<'_>, plan: &Plan) -> Vec<(String, String, String)> {
    let mut out: Vec<(String, String, String)> = Vec::new();
    for (i, phase) in plan.phases.iter().enumerate() {
        for f in &phase.files {
            if out.len() >= MAX_FILES_READ {
                return out;
            }
            if f.action == FileAction::Create || out.iter().any(|(_, p, _)| p == &f.path) {
                continue;
            }
            if let Some(text) = read_repo_file(ctx.repo_root, &f.path) {
                out.push((phase_location(i, phase), f.path.clone(), text));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_canonical_and_word_bounded() {
        assert_eq!(canonical_service("PostgreSQL 16"), "postgres");
        assert_eq!(canonical_service("Redis"), "redis");
        assert_eq!(canonical_service("ldap-server"), "ldap-server");
        assert_eq!(
            services_in("Cache sessions in Redis, store users in PostgreSQL", &[]),
            vec!["postgres", "redis"]
        );
        assert!(services_in("a mongoose import, redistribute weights", &[]).is_empty());
        assert_eq!(
            services_in("talk to the ldap-server", &["ldap-server".into()]),
            vec!["ldap-server"]
        );
        assert!(declares_service(
            &["PostgreSQL 16 (primary)".into()],
            "postgres"
        ));
        assert!(!declares_service(&["redis".into()], "postgres"));
    }

    #[test]
    fn env_vars_need_context() {
        assert_eq!(
            env_vars_in("Read RATE_LIMIT_MAX from the environment", &[]),
            vec!["RATE_LIMIT_MAX"]
        );
        assert_eq!(
            env_vars_in("export ${API_TOKEN} and $DB_HOST", &[]),
            vec!["API_TOKEN", "DB_HOST"]
        );
        assert!(env_vars_in("Raise MAX_RETRIES constant to 5", &[]).is_empty());
        assert_eq!(
            env_vars_in("Raise MAX_RETRIES to 5", &["MAX_RETRIES".into()]),
            vec!["MAX_RETRIES"]
        );
        assert!(
            is_secret_env("JWT_SECRET")
                && is_secret_env("DATABASE_URL")
                && is_secret_env("STRIPE_API_KEY")
        );
        assert!(!is_secret_env("RATE_LIMIT_MAX") && !is_secret_env("KEYBOARD_LAYOUT"));
        assert!(declares_env(
            &["DATABASE_URL (postgres DSN)".into()],
            "DATABASE_URL"
        ));
    }

    #[test]
    fn structure() {
        assert!(
            is_structural("preflight")
                && is_structural("integration-tests")
                && is_structural("security-review")
        );
        assert!(!is_structural("token-refresh"));
        assert!(related_terms("limiting", "limiter") && related_terms("auth", "authentication"));
        assert!(!related_terms("rate", "ratio"));
    }
}

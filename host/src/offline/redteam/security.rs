//! redteam-security: sensitive surface without a security gate, secrets in the plan, steps
//! that switch protections off, secret-bearing environment variables left undeclared.
use super::reviewer_envelope;
use crate::model::Context;
use crate::model::{Envelope, Finding, Plan, Severity, TaskKind};
use crate::offline::momus::scan::{
    declares_env, env_vars_in, finding, is_secret_env, touched_contents, work_texts, PLAN_LOCATION,
};
pub use crate::offline::surface::{has_security_gate, sensitive_surface};
use regex::Regex;
use std::sync::LazyLock;

/// Key = value assignments whose key names a secret.
static SECRET_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b([a-z0-9_.-]*(?:api[_-]?key|apikey|secret|token|passw(?:or)?d|pwd|access[_-]?key|private[_-]?key|client[_-]?secret))["']?\s*[:=]\s*["']?([^\s"'`,;)\]]+)"#,
    )
    .unwrap()
});
/// Values with a recognisable credential shape, wherever they appear.
static SECRET_SHAPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|sk-[A-Za-z0-9_-]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    )
    .unwrap()
});
/// Steps that switch off TLS verification, authentication or similar protections.
static DISABLES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(\bverify\s*=\s*false\b|\bverify_ssl\s*=\s*false\b|\bssl_verify\s*=\s*false\b|--insecure\b|\bcurl\b[^\n]*\s-k\b|\binsecure_?skip_?verify\b|\bdanger_accept_invalid_(certs|hostnames)\b|\bNODE_TLS_REJECT_UNAUTHORIZED\s*=\s*["']?0|\bPYTHONHTTPSVERIFY\s*=\s*["']?0|\bsslmode\s*=\s*disable\b|\bStrictHostKeyChecking\s*=?\s*no\b|\brejectUnauthorized\s*:\s*false\b|\bCERT_NONE\b|\bcheck_hostname\s*=\s*False\b|\b(disabl\w*|turn\w* off|switch\w* off|bypass\w*|skip\w*|ignor\w*)\s+(the\s+)?(tls|ssl|https|certificate|cert|hostname|signature|token)\s+(verification|validation|checks?|checking|verify)\b|\b(disabl\w*|turn\w* off|switch\w* off|bypass\w*)\s+(the\s+)?(auth|authentication|authorization|authorisation|csrf( protection)?|login|access control|permission checks?)\b)"#,
    )
    .unwrap()
});
static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(never|not|don't|do not|must not|mustn't|no|without|avoid\w*|forbid\w*|refus\w*|reject\w*)\b").unwrap()
});

static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*([.:]+[A-Za-z_][A-Za-z0-9_]*)*(\(\))?$").unwrap()
});

/// A value that is a reference or a placeholder, not a literal secret: `$VAR`, `<token>`,
/// `{{ secrets.X }}`, `example…`, `changeme`, or a code identifier with `_`, `.`, `:` or `()`
/// (`settings.jwt_secret`, `token_from_env()`).
fn is_placeholder_value(v: &str) -> bool {
    let l = v.to_lowercase();
    v.starts_with(['$', '<', '{', '%', '*', '[', '('])
        || [
            "example",
            "placeholder",
            "changeme",
            "your",
            "xxx",
            "redacted",
            "dummy",
            "env",
            "...",
            "…",
            "****",
        ]
        .iter()
        .any(|p| l.contains(p))
        || (IDENTIFIER.is_match(v) && v.contains(['_', '.', ':', '(']))
}

fn looks_random(v: &str) -> bool {
    let classes = [
        v.chars().any(|c| c.is_ascii_lowercase()),
        v.chars().any(|c| c.is_ascii_uppercase()),
        v.chars().any(|c| c.is_ascii_digit()),
        v.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    v.chars().count() >= 8 && (classes >= 2 || v.chars().count() >= 20)
}

/// The first secret-looking value in `text`, described without revealing it.
fn secret_in(text: &str) -> Option<String> {
    if let Some(m) = SECRET_SHAPE.find(text) {
        let s = m.as_str();
        return Some(format!(
            "a credential-shaped value starting {:?}",
            s.chars().take(4).collect::<String>()
        ));
    }
    for c in SECRET_ASSIGNMENT.captures_iter(text) {
        let (key, value) = (&c[1], &c[2]);
        if !is_placeholder_value(value) && looks_random(value) {
            return Some(format!("a literal value assigned to {key}"));
        }
    }
    None
}

/// The first step-like line of `text` that switches a protection off (and is not negated).
fn disabling_in(text: &str) -> Option<String> {
    for line in text.lines() {
        for m in DISABLES.find_iter(line) {
            let before = &line[..m.start()];
            let window: String = before
                .chars()
                .rev()
                .take(40)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let clause = window.rsplit(['.', ';', ':']).next().unwrap_or("");
            if !NEGATION.is_match(clause) {
                return Some(m.as_str().to_string());
            }
        }
    }
    None
}

/// The findings of [`security`], exposed for tests and aggregation.
///
/// Checks: (1) the task, any step or any file path names security-sensitive work (auth, login,
/// password, token, session, secret, credential, permission, role, crypto, upload, parsing
/// untrusted input, SQL, shell commands, …), or the task is a security task, and no phase is a
/// security gate (slug containing `security`, non-empty gate) → high; (2) any plan text holds a
/// secret (a credential-shaped value, or a literal random-looking value assigned to a
/// key/token/password name) → critical, described without the value; (3) a step disables TLS
/// or certificate verification, authentication, CSRF protection or access control (unless the
/// sentence negates it: "never", "do not", "without", …) → critical; (4) an environment variable
/// holding a secret (by its name) that the plan uses, or that a touched file reads, and that
/// `dependencies.env_vars` does not declare → medium.
pub fn security_findings(ctx: &Context<'_>, plan: &Plan) -> (Vec<Finding>, Vec<String>) {
    let mut out = Vec::new();
    let terms = sensitive_surface(ctx.task, plan);
    let has_gate = has_security_gate(plan);
    if (!terms.is_empty() || ctx.task_kind == TaskKind::Security) && !has_gate {
        let what = if terms.is_empty() {
            "a security task".to_string()
        } else {
            terms.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
        };
        out.push(finding(
            PLAN_LOCATION,
            Severity::High,
            format!("Security: the work touches security-sensitive surface ({what}) but no phase is a security gate."),
            "Add a security phase (slug containing \"security\") whose gate proves the sensitive paths safe: tests for rejected credentials, expired or forged tokens and malformed input.",
        ));
    }
    let mut texts = work_texts(plan);
    let extra: Vec<String> = plan
        .out_of_scope
        .iter()
        .chain(&plan.dependencies.services)
        .chain(&plan.dependencies.env_vars)
        .chain(&plan.dependencies.permissions)
        .cloned()
        .chain(
            crate::offline::momus::scan::deferred_rules(plan)
                .into_iter()
                .map(str::to_string),
        )
        .collect();
    texts.push((PLAN_LOCATION.to_string(), extra.join("\n")));
    for (loc, text) in &texts {
        if let Some(what) = secret_in(text) {
            out.push(finding(
                loc,
                Severity::Critical,
                format!("Security: the plan text holds what looks like a secret ({what})."),
                "Remove the secret from the plan, rotate it, and refer to it only by an environment variable declared in dependencies.env_vars.",
            ));
        }
        if let Some(step) = disabling_in(text) {
            out.push(finding(
                loc,
                Severity::Critical,
                format!("Security: a step switches a protection off (\"{}\").", crate::offline::momus::scan::clip(&step, 80)),
                "Keep TLS verification, authentication and access control on; fix the cause (trust the right certificate, use a test identity) instead of disabling the check.",
            ));
        }
    }
    let mut reported: Vec<String> = Vec::new();
    for (loc, text) in work_texts(plan) {
        for var in env_vars_in(&text, &ctx.probe.env_vars) {
            if is_secret_env(&var)
                && !declares_env(&plan.dependencies.env_vars, &var)
                && !reported.contains(&var)
            {
                out.push(finding(
                    &loc,
                    Severity::Medium,
                    format!("Security: the secret-bearing environment variable {var} is used but not declared."),
                    format!("Declare {var} in dependencies.env_vars and say where its value comes from (a secret store, never the repository)."),
                ));
                reported.push(var);
            }
        }
    }
    let touched = touched_contents(ctx, plan);
    for var in ctx.probe.env_vars.iter().filter(|v| is_secret_env(v)) {
        if declares_env(&plan.dependencies.env_vars, var) || reported.contains(var) {
            continue;
        }
        if let Some((loc, path, _)) = touched
            .iter()
            .find(|(_, _, t)| crate::offline::momus::scan::contains_word(t, var))
        {
            out.push(finding(
                loc,
                Severity::Medium,
                format!("Security: {path}, which the plan changes, reads the secret-bearing environment variable {var}, which the plan does not declare."),
                format!("Declare {var} in dependencies.env_vars and say where its value comes from (a secret store, never the repository)."),
            ));
            reported.push(var.clone());
        }
    }
    (out, terms)
}

/// redteam-security's envelope for `plan` (docs/design.md §2 stage 5); checks in [`security_findings`].
/// Verdict from the findings (critical or high → RISKY). Agent `redteam-security`.
pub fn security(ctx: &Context<'_>, plan: &Plan, depth: Option<u32>) -> Envelope {
    let (findings, terms) = security_findings(ctx, plan);
    let surface = if terms.is_empty() {
        "no security-sensitive surface".to_string()
    } else {
        format!(
            "sensitive surface: {}",
            terms.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
        )
    };
    let gate = if plan.phases.iter().any(|p| p.slug.contains("security")) {
        "security phase present"
    } else {
        "no security phase"
    };
    reviewer_envelope(
        "redteam-security",
        ctx,
        depth,
        findings,
        &format!("Security review: {surface}; {gate}"),
    )
}

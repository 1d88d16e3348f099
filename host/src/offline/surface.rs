//! The security-sensitive surface: the one definition of which words make work
//! security-sensitive and what a security gate is (docs/design.md §2 stage 5 redteam-security; docs/design.md §5
//! risk posture). The planner uses it to decide when a plan gets a security phase, the red team
//! to demand one, so the two cannot drift.
//!
//! Terms are grouped into *aspects* ("authentication", "sessions", …) that the planner names
//! in its prose. Matching is on whole words, case-insensitive, after blanking harmless phrases
//! ("token bucket", "sessionless", "secrets are redacted", "dependency injection", …).
//! Identifiers such as `POSTGRES_PASSWORD` are one word and do not count: naming a
//! configuration variable is not security work.
use crate::model::Plan;
use regex::Regex;
use std::sync::LazyLock;

/// Aspect used when the surface is non-empty but no aspect applies (e.g. a security task).
pub const DEFAULT_ASPECT: &str = "untrusted input";

/// `(aspect, term pattern)`: every security-sensitive term, by the aspect it reveals. Order
/// matters only for terms two patterns could match (the first wins).
const ASPECTS: &[(&str, &str)] = &[
    (
        "authorization",
        r"authz|authori[sz]\w*|permissions?|roles?|rbac|acl|privileges?",
    ),
    (
        "authentication",
        r"auth|authn|authenticat\w*|login|logout|sign[- ]?in|sign[- ]?up|oidc|oauth2?|saml|sso|jwt|jwks|mfa|2fa|totp",
    ),
    ("sessions", r"sessions?|cookies?"),
    (
        "secrets and credentials",
        r"passwords?|passwd|passphrase|tokens?|secrets?|credentials?|api[- ]?keys?",
    ),
    (
        "cryptography",
        r"crypto\w*|encrypt\w*|decrypt\w*|ciphers?|hmac|signing|signature verification|tls|ssl|certificates?",
    ),
    ("file uploads", r"uploads?|multipart|attachments?"),
    (
        "queries and commands built from input",
        r"sql|shell|subprocess|exec|command injection|injection",
    ),
    (
        "untrusted input",
        r"csrf|cors|xss|parser|parsing|deserializ\w*|deserialis\w*|untrusted input|user input|form input|input validation|sanitiz\w*|sanitis\w*|webhooks?",
    ),
];

/// All terms of [`ASPECTS`] as one whole-word, case-insensitive pattern.
static SENSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    let all: Vec<&str> = ASPECTS.iter().map(|(_, p)| *p).collect();
    Regex::new(&format!(r"(?i)\b({})\b", all.join("|"))).unwrap()
});

/// Each aspect's pattern anchored to a whole term, for [`aspect_of`].
static BY_ASPECT: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    ASPECTS
        .iter()
        .map(|(a, p)| (*a, Regex::new(&format!(r"(?i)^({p})$")).unwrap()))
        .collect()
});

/// Phrases that contain a sensitive word without being security work: "token bucket",
/// "sessionless", parsing CLI arguments, dependency injection, and hygiene statements
/// ("secrets redacted", "without tokens", "scrub credentials").
static NOT_SENSITIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\btoken[- ]bucket\b|\bsession[- ]?less\b|\bdependency[- ]injection\b|\bparsing (the )?(cli|command[- ]line) (args|arguments|flags)\b|\b(secrets?|tokens?|passwords?|credentials?)( and (secrets?|tokens?|passwords?|credentials?))?\s+(are\s+|is\s+)?(redacted|scrubbed|masked)\b|\b(redact\w*|scrub\w*|mask\w*|no|without)\s+(the\s+|any\s+)?(secrets?|tokens?|passwords?|credentials?)\b").unwrap()
});

/// Appends to `out` the distinct sensitive terms (lowercase, first-seen order) in `text`,
/// ignoring harmless phrases like "token bucket".
pub fn push_terms(text: &str, out: &mut Vec<String>) {
    let cleaned = NOT_SENSITIVE.replace_all(text, " ");
    for m in SENSITIVE.find_iter(&cleaned) {
        let t = m.as_str().to_lowercase();
        if !out.contains(&t) {
            out.push(t);
        }
    }
}

/// The distinct sensitive terms (lowercase, first-seen order) in `text`.
pub fn terms_in(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    push_terms(text, &mut v);
    v
}

/// The aspect a sensitive term reveals (`"login"` → `"authentication"`); [`DEFAULT_ASPECT`]
/// for a string that is not a term.
pub fn aspect_of(term: &str) -> &'static str {
    BY_ASPECT
        .iter()
        .find(|(_, re)| re.is_match(term.trim()))
        .map(|(a, _)| *a)
        .unwrap_or(DEFAULT_ASPECT)
}

/// The distinct aspects (first-seen order) of `terms`.
pub fn aspects_of(terms: &[String]) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for t in terms {
        let a = aspect_of(t);
        if !v.contains(&a) {
            v.push(a);
        }
    }
    v
}

/// A file path as words for term matching: every non-alphanumeric character becomes a space
/// (`app/auth_service.py` → `app auth service py`).
pub fn path_text(path: &str) -> String {
    path.replace(|c: char| !c.is_ascii_alphanumeric(), " ")
}

/// The security-sensitive terms (lowercase, first-seen order) in `task`, the plan's steps and
/// its file paths: auth, login, password, token, session, secret, credential, permission,
/// role, crypto, upload, parser, SQL, shell, exec, TLS, CSRF, webhook, … ("token bucket" and
/// the like excluded). Non-empty means a plan needs a security gate ([`has_security_gate`]):
/// redteam-security reports its absence as high, and the planner adds one.
pub fn sensitive_surface(task: &str, plan: &Plan) -> Vec<String> {
    let mut terms = Vec::new();
    push_terms(task, &mut terms);
    for p in &plan.phases {
        for s in &p.steps {
            push_terms(s, &mut terms);
        }
        for f in &p.files {
            push_terms(&path_text(&f.path), &mut terms);
        }
    }
    terms
}

/// Whether the plan has a security gate: a phase whose slug contains `security` and whose
/// gate has a non-blank entry (HELPER_CONTEXT conventions).
pub fn has_security_gate(plan: &Plan) -> bool {
    plan.phases
        .iter()
        .any(|p| p.slug.contains("security") && p.gate.iter().any(|g| !g.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_and_aspects() {
        let t = terms_in("Add rate limiting to the login endpoint; store the session cookie");
        assert_eq!(t, vec!["login", "session", "cookie"]);
        assert_eq!(aspects_of(&t), vec!["authentication", "sessions"]);
        assert_eq!(aspect_of("Authorization"), "authorization");
        assert_eq!(aspect_of("auth"), "authentication");
        assert_eq!(aspect_of("SQL"), "queries and commands built from input");
        assert_eq!(aspect_of("webhooks"), "untrusted input");
        assert_eq!(aspect_of("nothing"), DEFAULT_ASPECT);
        assert_eq!(terms_in(&path_text("app/auth_service.py")), vec!["auth"]);
    }

    #[test]
    fn harmless_phrases_are_not_surface() {
        for s in [
            "Implement it as a token bucket.",
            "Keep the handler sessionless.",
            "Wire the services with dependency injection.",
            "Parsing the CLI arguments stays as is.",
            "Log lines with secrets redacted.",
            "Run POSTGRES_PASSWORD through the environment.",
            "Authoring guide and author list.",
        ] {
            assert!(terms_in(s).is_empty(), "{s}: {:?}", terms_in(s));
        }
    }
}

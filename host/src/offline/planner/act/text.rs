//! Reading a demand's text: the commands, environment variables, services and paths it
//! names, and the small text helpers the rules write steps with.
use crate::offline::planner::ground::{known_service, Grounding};
use regex::Regex;
use std::sync::LazyLock;

pub(super) static BACKTICK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`([^`]+)`").expect("valid"));
pub(super) static ENV_VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b").expect("valid"));
pub(super) static PATHISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s(`'])((?:[\w.-]+/)+[\w.-]+\.\w+|[\w-]+\.(?:rs|py|go|ts|tsx|js|jsx|java|kt|rb|cs|php|toml|yml|yaml|json|md|sql|cfg|ini))\b").expect("valid")
});
pub(super) static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"“]([^'"”]{8,})['"”]"#).expect("valid"));

/// Detected commands mentioned in backticks or verbatim in `text`.
pub(super) fn mentioned_commands(g: &Grounding, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in [&g.build, &g.test, &g.lint].into_iter().flatten() {
        if text.contains(&c.command) && !out.contains(&c.command) {
            out.push(c.command.clone());
        }
    }
    out
}

pub(super) fn is_detected(g: &Grounding, c: &str) -> bool {
    [&g.build, &g.test, &g.lint]
        .into_iter()
        .flatten()
        .any(|x| x.command == c)
}

pub(super) fn looks_like_command(c: &str) -> bool {
    let first = c.split_whitespace().next().unwrap_or("");
    c.contains(' ')
        || [
            "make", "cargo", "npm", "pnpm", "yarn", "pytest", "go", "mvn", "gradle", "tox", "just",
            "bundle", "rake", "dotnet", "composer", "bun", "deno",
        ]
        .contains(&first)
}

/// Env vars named in `text`: `UPPER_SNAKE` tokens, and probe variables named verbatim.
pub(super) fn env_vars_in(g: &Grounding, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in ENV_VAR.find_iter(text) {
        let v = m.as_str().to_string();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    for v in &g.env_vars {
        if text.contains(v.as_str()) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    for n in &g.new_services {
        if text.contains(n.env) && !out.iter().any(|x| x == n.env) {
            out.push(n.env.to_string());
        }
    }
    out
}

/// Services named in `text`: (name, kind, source, found by the probe).
pub(super) fn services_in(g: &Grounding, text: &str) -> Vec<(String, String, String, bool)> {
    // Identifiers such as REDIS_URL or session_store name variables, not services.
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty() && !w.contains('_'))
        .map(|w| w.to_lowercase())
        .collect();
    let mut out: Vec<(String, String, String, bool)> = Vec::new();
    for s in g
        .services
        .iter()
        .map(|s| (s.name.clone(), s.kind.clone(), s.source.clone()))
        .chain(
            g.untouched
                .iter()
                .map(|s| (s.name.clone(), s.kind.clone(), s.source.clone())),
        )
    {
        let n = s.0.to_lowercase();
        let canon = known_service(&n).map(|k| k.0.to_string());
        if words.iter().any(|w| {
            *w == n || known_service(w).map(|k| k.0.to_string()) == canon && canon.is_some()
        }) && !out.iter().any(|o| o.0 == s.0)
        {
            out.push((s.0, s.1, s.2, true));
        }
    }
    for w in &words {
        if let Some((name, kind, _)) = known_service(w) {
            if !out
                .iter()
                .any(|o| o.0 == name || known_service(&o.0).map(|k| k.0) == Some(name))
            {
                out.push((name.to_string(), kind.to_string(), String::new(), false));
            }
        }
    }
    out
}

/// "every phase that touches X" → X.
pub(super) fn touched_path(text: &str) -> Option<String> {
    let re = Regex::new(r"(?i)touch(?:es)?\s+`?([\w./-]+\w)`?").expect("valid");
    re.captures(text).map(|c| c[1].to_string())
}

pub(super) fn paths_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in PATHISH.captures_iter(text) {
        let p = c[1].trim_start_matches("./").to_string();
        if p.starts_with("plan/") || p.starts_with("evidence/") || p.starts_with("reviews/") {
            continue;
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    for c in BACKTICK.captures_iter(text) {
        let p = c[1].to_string();
        if (p.contains('/') || p.contains('.'))
            && !p.contains(' ')
            && !p.starts_with("plan/")
            && !out.contains(&p)
            && crate::offline::planner::paths::ext_of(&p).is_some()
        {
            out.push(p);
        }
    }
    out
}

pub(super) fn permission_phrase(text: &str) -> String {
    let re = Regex::new(r"(?i)(?:permission|privilege|access)s?\s+(?:to|for|on)\s+(.+?)(?:[.;]|$)")
        .expect("valid");
    match re.captures(text) {
        Some(c) => format!("Permission to {}", c[1].trim()),
        None => sentence(text).trim_end_matches('.').to_string(),
    }
}

pub(super) fn scope_item(text: &str) -> String {
    let re = Regex::new(r"(?i)^(?:declare|list|mark|put|move|add|state)\s+(.+?)\s+(?:as\s+|to\s+(?:the\s+)?|in\s+(?:the\s+)?)?out[- ]of[- ]scope").expect("valid");
    if let Some(c) = re.captures(text.trim()) {
        let mut s = c[1].trim().to_string();
        if let Some(f) = s.get(0..1) {
            s = f.to_uppercase() + &s[1..];
        }
        return format!("{} (out of scope, per review).", s.trim_end_matches('.'));
    }
    if let Some(q) = quoted(text) {
        return format!("{q} (out of scope, per review).");
    }
    format!("Per review: {}", sentence(text))
}

/// Text in quotes (at least 8 characters), if any.
pub(super) fn quoted(text: &str) -> Option<String> {
    QUOTED.captures(text).map(|c| c[1].trim().to_string())
}

/// The text as a sentence: trimmed, capitalised, ending with a period.
pub(super) fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut s = match t.chars().next() {
        Some(f) => f.to_uppercase().collect::<String>() + &t[f.len_utf8()..],
        None => String::new(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

pub(super) fn clip(text: &str, n: usize) -> String {
    let t = text.trim().trim_end_matches('.');
    if t.chars().count() <= n {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(n - 1).collect();
        s.push('…');
        s
    }
}

pub(super) fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// A phase title from free text: capitalised, one line, at most 80 characters.
pub(super) fn cap_title(s: &str) -> String {
    let t = sentence(s);
    let t = t.trim_end_matches('.');
    clip(t, 80)
}

/// Whether a backticked span of a demand names a command (for the gate rule).
pub(super) fn named_commands(text: &str) -> Vec<String> {
    BACKTICK
        .captures_iter(text)
        .map(|c| c[1].to_string())
        .filter(|c| looks_like_command(c))
        .collect()
}

//! Symbol integrity (docs/design.md §6a): every function or type a plan names exists in the
//! repository's code index, or the plan introduces it before (or in the phase where) it is used.
//!
//! Names are taken from each phase's title, goal and steps with the one name extraction of the
//! project ([`crate::index::names::extract_names`]); only names shaped like a function or a type
//! are checked: a backticked `CamelCase` word, `snake_case` (lowercase, with an `_`),
//! `Type::member`, and a backticked `dotted.path`. Plain words, bare capitalised words of prose
//! (`HttpOnly`, `SameSite`: terms as often as types), `SCREAMING_SNAKE` constants and environment
//! variables, flags, file paths and product names ([`PROPER_NOUNS`]) are not.
//!
//! A name passes when it is:
//! - known to the index: defined, or used by the code (a call, a type, an imported name, an
//!   import path segment, a file stem), exactly or ignoring case and separators;
//! - named by the task (the user asked for it);
//! - introduced by this phase or an earlier one: a sentence where an introducing verb
//!   ([`INTRODUCING`]: add, create, introduce, define, implement, new, rename … to, …) is
//!   followed by the name with only filler words ([`FILLERS`]) or other names between; or the
//!   stem of a file the plan creates (`create app/rate_limit.py` introduces `rate_limit` and
//!   `RateLimit`); or a name followed by a switch word ([`SWITCHES`]: "behind the `x` switch");
//! - for `a::b` and `a.b`, a member of something external: its first segment is used by the code
//!   but defined nowhere in it (`tokio::sync::Semaphore` in a repository that uses tokio).
//!
//! Otherwise the check fails with the name and the closest defined names (Jaro–Winkler
//! similarity over the index's names, [`strsim`]). A name introduced only by a later phase
//! fails as a forward reference. Without a code index (an empty vocabulary) nothing is checked.
use std::collections::{HashMap, HashSet};

use super::super::{phase_file, Item, Kind};
use crate::index::names::{extract_names, shape_of, Mention, NameForm};
use crate::index::words::fuzzy_key;
use crate::model::resolution::Resolution;
use crate::model::{FileAction, Plan, Severity};

/// Verbs after which `to`, `as` or `into` introduces the new name (`rename a to b`).
pub const RENAMING: &[&str] = &[
    "rename", "renamed", "renames", "move", "moves", "extract", "extracts", "split",
];

/// Verbs (and `new`) after which a name is introduced by the plan.
pub const INTRODUCING: &[&str] = &[
    "add",
    "adds",
    "adding",
    "create",
    "creates",
    "creating",
    "introduce",
    "introduces",
    "introducing",
    "define",
    "defines",
    "defining",
    "implement",
    "implements",
    "implementing",
    "declare",
    "declares",
    "write",
    "writes",
    "extract",
    "extracts",
    "generate",
    "generates",
    "new",
    "expose",
    "exposes",
    "export",
    "exports",
    "register",
    "registers",
    "split",
    "factor",
    "named",
    "called",
    // A preflight decides the name a later phase adds ("Decide the feature flag `x`").
    "decide",
    "decides",
    "choose",
    "chooses",
    // A switch the plan flips is a configuration name it owns ("Flip `read_from_new` on").
    "flip",
    "flips",
];

/// Words allowed between an introducing verb and the name it introduces.
pub const FILLERS: &[&str] = &[
    "a",
    "an",
    "the",
    "new",
    "public",
    "private",
    "pub",
    "internal",
    "static",
    "async",
    "helper",
    "small",
    "dedicated",
    "separate",
    "single",
    "function",
    "functions",
    "fn",
    "method",
    "methods",
    "struct",
    "type",
    "types",
    "class",
    "classes",
    "enum",
    "variant",
    "variants",
    "trait",
    "interface",
    "field",
    "fields",
    "constant",
    "const",
    "module",
    "test",
    "tests",
    "unit",
    "integration",
    "regression",
    "case",
    "cases",
    "called",
    "named",
    "option",
    "flag",
    "feature",
    "parameter",
    "argument",
    "error",
    "wrapper",
    "builder",
    "constructor",
    "alias",
    "and",
    "or",
    "with",
    "out",
    "its",
    "their",
    "one",
    "two",
    "three",
    "more",
    "missing",
    "corresponding",
    "matching",
    "dedicated",
    "explicit",
    "typed",
    "top-level",
    "free",
];

/// Product and technology names written in CamelCase that are not code symbols.
pub const PROPER_NOUNS: &[&str] = &[
    "GitHub",
    "GitLab",
    "BitBucket",
    "JavaScript",
    "TypeScript",
    "CoffeeScript",
    "PostgreSQL",
    "MySQL",
    "MariaDB",
    "MongoDB",
    "DynamoDB",
    "CouchDB",
    "RocksDB",
    "LevelDB",
    "ClickHouse",
    "CockroachDB",
    "SQLite",
    "GraphQL",
    "OAuth",
    "OpenID",
    "WebSocket",
    "WebSockets",
    "WebAssembly",
    "WebGPU",
    "WebRTC",
    "macOS",
    "iOS",
    "iPadOS",
    "tvOS",
    "watchOS",
    "PyPI",
    "NumPy",
    "SciPy",
    "PyTorch",
    "TensorFlow",
    "FastAPI",
    "OpenAI",
    "OpenAPI",
    "DevOps",
    "GitOps",
    "LinkedIn",
    "YouTube",
    "PowerShell",
    "VSCode",
    "IntelliJ",
    "JetBrains",
    "CloudFront",
    "CloudWatch",
    "CloudFlare",
    "Cloudflare",
    "NodeJS",
    "NextJS",
    "ESLint",
    "TSLint",
    "PyTest",
    "PostGIS",
    "RabbitMQ",
    "ZeroMQ",
    "OpenSSL",
    "LibreSSL",
    "BoringSSL",
    "OpenTelemetry",
    "BigQuery",
    "HashiCorp",
    "DockerHub",
    "LaTeX",
    "ReadTheDocs",
    "SonarQube",
    "TeamCity",
    "AppVeyor",
    "CircleCI",
    "TravisCI",
    "JUnit",
    "TestNG",
    "GoLand",
    "PyCharm",
    "WebStorm",
    "RubyGems",
    "CocoaPods",
    "JSON5",
    "YAMLs",
    "MkDocs",
    "ReDoc",
    "OpenShift",
    "HTTPie",
    "JMeter",
    "OpenMetrics",
    "OpenSearch",
    "ElasticSearch",
    "Elasticsearch",
    "WireMock",
    "NuGet",
    "DuckDB",
];

/// Most names checked per plan (each distinct name is one check).
pub const MAX_NAMES: usize = 200;
/// Closest defined names offered for an unknown one.
pub const SUGGESTIONS: usize = 3;
/// Least Jaro–Winkler similarity of a suggestion.
pub const MIN_SIMILARITY: f64 = 0.7;

/// A name is checked when it is shaped like a function or a type (see the module docs).
fn checked(m: &Mention) -> bool {
    let text = m.text.as_str();
    if PROPER_NOUNS.contains(&text) {
        return false;
    }
    match shape_of(text) {
        // A bare capitalised word in prose is as often a term as a type (`HttpOnly`,
        // `SameSite`, `WebSocket`, `OAuth`): only a backticked one is taken for code.
        Some(NameForm::CamelCase) => m.form == NameForm::Backticked,
        Some(NameForm::SnakeCase) => text.chars().any(|c| c.is_lowercase()),
        Some(NameForm::PathMember) => true,
        Some(NameForm::DottedPath) => m.form == NameForm::Backticked,
        _ => false,
    }
}

/// Sentences of a text: split at `. `, `;`, `:` and line ends.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        let end = match b {
            b'\n' | b';' => true,
            b'.' | b':' => bytes.get(i + 1).is_none_or(|n| n.is_ascii_whitespace()),
            _ => false,
        };
        if end {
            out.push(&text[start..i]);
            start = i + 1;
        }
    }
    out.push(&text[start..]);
    out
}

/// Words after a name that make it a switch the plan itself names ("behind the
/// `users_dual_write` switch", "the `fast_path` feature flag"): a configuration name, not a code
/// symbol the repository must already hold.
pub const SWITCHES: &[&str] = &["switch", "flag", "toggle", "setting", "feature"];

/// Whether the word after byte `end` of `sentence` (past a closing backtick) is one of
/// [`SWITCHES`].
fn names_a_switch(sentence: &str, end: usize) -> bool {
    let rest = sentence.get(end..).unwrap_or("");
    let rest = rest.trim_start_matches('`').trim_start();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    SWITCHES.contains(&word.as_str())
}

/// Names a text introduces (see [`INTRODUCING`], [`FILLERS`], [`SWITCHES`]).
pub fn introduced_names(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for s in sentences(text) {
        let mut open = false; // an introducing verb seen, only fillers or names since
        let mut renaming = false;
        let mut cursor = 0;
        for m in extract_names(s) {
            let gap = s.get(cursor..m.offset).unwrap_or("");
            for word in gap
                .split(|c: char| !c.is_alphanumeric() && c != '-')
                .filter(|w| !w.is_empty())
            {
                let w = word.to_lowercase();
                renaming |= RENAMING.contains(&w.as_str());
                if INTRODUCING.contains(&w.as_str()) {
                    open = true;
                } else if matches!(w.as_str(), "to" | "as" | "into") {
                    open = renaming;
                } else if !FILLERS.contains(&w.as_str()) {
                    open = false;
                }
            }
            if open || names_a_switch(s, m.offset + m.text.len()) {
                out.push(m.text.clone());
            }
            cursor = (m.offset + m.text.len()).max(cursor);
        }
    }
    out
}

/// Symbol checks of `plan` against `resolution` (see the module rules): one item per distinct
/// checked name, in plan order.
pub fn symbol_checks(plan: &Plan, resolution: &Resolution) -> Vec<Item> {
    let vocab = &resolution.vocabulary;
    if vocab.is_empty() {
        return Vec::new();
    }
    let fuzzy: HashMap<String, &str> = vocab
        .defined
        .iter()
        .chain(vocab.used.iter())
        .map(|n| (fuzzy_key(n), n.as_str()))
        .collect();
    let task_names: HashSet<String> = resolution
        .names
        .iter()
        .map(|n| fuzzy_key(&n.text))
        .collect();
    // Fuzzy key → id of the phase that introduces it first.
    let mut introduced: HashMap<String, String> = HashMap::new();
    for phase in &plan.phases {
        let mut texts = vec![phase.title.as_str(), phase.goal.as_str()];
        texts.extend(phase.steps.iter().map(String::as_str));
        for t in texts {
            for n in introduced_names(t) {
                introduced
                    .entry(fuzzy_key(&n))
                    .or_insert_with(|| phase.id.clone());
            }
        }
        for f in phase
            .files
            .iter()
            .filter(|f| f.action == FileAction::Create)
        {
            let stem = crate::index::layout::source_stem(f.path.trim());
            introduced
                .entry(fuzzy_key(&stem))
                .or_insert_with(|| phase.id.clone());
        }
    }
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let order: HashMap<&str, usize> = plan
        .phases
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    for (pi, phase) in plan.phases.iter().enumerate() {
        let mut texts = vec![phase.title.as_str(), phase.goal.as_str()];
        texts.extend(phase.steps.iter().map(String::as_str));
        for m in texts.iter().flat_map(|t| extract_names(t)) {
            if !checked(&m) || items.len() >= MAX_NAMES || !seen.insert(m.text.clone()) {
                continue;
            }
            let name = format!("symbol: phase {} `{}`", phase.id, m.text);
            let intro = |key: &str| {
                introduced
                    .get(key)
                    .map(|id| (id.clone(), order.get(id.as_str()).copied().unwrap_or(0)))
            };
            let verdict = judge(&m, vocab, &fuzzy, &task_names, pi, &intro);
            items.push(match verdict {
                Ok(detail) => Item::passed(Kind::Symbol, &name, detail),
                Err((segment, detail)) => {
                    let close = suggestions(&segment, &vocab.defined);
                    let hint = if close.is_empty() {
                        String::new()
                    } else {
                        format!(" (closest: {})", close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
                    };
                    Item::failed(
                        Kind::Symbol,
                        &name,
                        format!("{detail}{hint}"),
                        Severity::High,
                        &phase_file(phase),
                        format!(
                            "Name a symbol that exists{hint}, or add a step in phase {} or earlier that creates `{}`.",
                            phase.id, m.text
                        ),
                    )
                }
            });
        }
    }
    items
}

/// Segments that name the current scope, never checked.
const SCOPE_WORDS: &[&str] = &["self", "Self", "crate", "super", "this", "cls"];

/// How the plan's phase `pi` stands with one name: `Ok(why it passes)` or
/// `Err((the segment at fault, why it fails))`.
fn judge(
    m: &Mention,
    vocab: &crate::model::resolution::Vocabulary,
    fuzzy: &HashMap<String, &str>,
    task_names: &HashSet<String>,
    pi: usize,
    intro: &dyn Fn(&str) -> Option<(String, usize)>,
) -> Result<String, (String, String)> {
    let segments: Vec<&str> = m
        .segments()
        .into_iter()
        .filter(|s| !SCOPE_WORDS.contains(s))
        .collect();
    let known = |n: &str| {
        if vocab.defines(n) {
            Some("defined in the repository".to_string())
        } else if vocab.knows(n) {
            Some("used by the repository's code".to_string())
        } else {
            fuzzy
                .get(&fuzzy_key(n))
                .map(|f| format!("matches `{f}` of the repository (case and separators aside)"))
        }
    };
    if task_names.contains(&fuzzy_key(&m.text)) {
        return Ok("named in the task".into());
    }
    // `tokio::sync::Semaphore`, `os.path.join`, `u32::MAX`: a member of a module or crate the
    // repository does not define (a plain lowercase or snake_case first segment) is external.
    if let [first, _, ..] = segments.as_slice() {
        let module_like = !first.chars().any(char::is_uppercase);
        if module_like && !vocab.defines(first) {
            return Ok(format!(
                "a member of `{first}`, which the repository does not define (external)"
            ));
        }
    }
    let mut why = Vec::new();
    for seg in &segments {
        if let Some(w) = known(seg) {
            why.push(w);
            continue;
        }
        let key = fuzzy_key(seg);
        if task_names.contains(&key) {
            why.push("named in the task".into());
            continue;
        }
        match intro(&key) {
            Some((id, at)) if at <= pi => why.push(format!("introduced by phase {id}")),
            Some((id, _)) => {
                return Err((seg.to_string(), format!("`{seg}` is not in the repository; introduced only later, by phase {id}")))
            }
            None => {
                return Err((
                    seg.to_string(),
                    format!("`{seg}` is not defined or used anywhere in the repository, and no phase up to this one introduces it"),
                ))
            }
        }
    }
    Ok(why
        .pop()
        .unwrap_or_else(|| "names the current scope".into()))
}

/// The defined names closest to `name`, most similar first.
fn suggestions(name: &str, defined: &[String]) -> Vec<String> {
    let target = name.to_lowercase();
    let mut scored: Vec<(f64, &String)> = defined
        .iter()
        .map(|d| (strsim::jaro_winkler(&target, &d.to_lowercase()), d))
        .filter(|(s, _)| *s >= MIN_SIMILARITY)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, d)| d.clone())
        .collect()
}

#[cfg(test)]
mod tests;

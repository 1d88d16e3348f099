//! The names a text mentions (docs/design.md §10, "grounding"): the task, a plan's steps, a
//! review. Public so every agent extracts names the same way: the probe resolves the task's
//! names against the code index, Hephaestus checks the names a plan uses, reviewers compare them.
//!
//! Forms ([`NameForm`]), tried in this order on each whitespace-separated token (surrounding
//! punctuation, a trailing `()` and generic arguments `<…>` removed):
//! - a `backticked` span (no whitespace inside, at most [`MAX_NAME_CHARS`]) is always a name; its
//!   [`Mention::shape`] says what it looks like;
//! - `--flag` (`--json`, `--max-count=3` → `--max-count`);
//! - `Type::member` (any `::` path);
//! - a file path: a known source/config extension (`setup.py`, `Cargo.toml`) or a `/`
//!   (`lib/parse-options.js`, `src/ast/`); URLs are not paths;
//! - `dotted.path` (`pflag.ShorthandLookup`, `os.path.join`; not `e.g.`, not versions);
//! - `snake_case` (at least one inner `_`; also `SCREAMING_SNAKE`, `__init__`);
//! - `CamelCase` (an inner capital: `ErrorKind`, `parseOptions`, `HTTPServer`; not `API`,
//!   not a capitalised word at the start of a sentence, not a product name such as `GitHub`
//!   or `JavaScript` unless backticked).
//!
//! Plain words (`login`, `Add`) are not names; retrieval ([`super::resolve`]) weighs them.
//! Output is deduplicated by text (first occurrence kept) and bounded by [`MAX_NAMES`].
use std::sync::LazyLock;

use regex::Regex;

pub use crate::model::resolution::NameForm;

/// Most names returned from one text.
pub const MAX_NAMES: usize = 64;
/// Longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 160;

/// Extensions that make a token a file path (`setup.py`, `Cargo.toml`).
const FILE_EXTENSIONS: &[&str] = &[
    "c", "cc", "cfg", "cjs", "cpp", "cs", "css", "go", "gradle", "h", "hpp", "html", "ini", "java",
    "js", "json", "jsx", "kt", "lock", "md", "mjs", "mod", "php", "proto", "py", "pyi", "rb", "rs",
    "rst", "scala", "scss", "sh", "sql", "svelte", "swift", "toml", "ts", "tsx", "txt", "vue",
    "wit", "xml", "yaml", "yml",
];

/// Product names written in CamelCase (compared lowercased): prose, not code names, unless
/// backticked.
const PRODUCTS: &[&str] = &[
    "devops",
    "github",
    "gitlab",
    "graphql",
    "ios",
    "ipad",
    "iphone",
    "javascript",
    "linkedin",
    "macos",
    "mongodb",
    "mysql",
    "nodejs",
    "npm",
    "oauth",
    "openapi",
    "openssl",
    "postgresql",
    "pypi",
    "typescript",
    "webassembly",
    "youtube",
];

/// One name found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mention {
    /// The name without backticks, punctuation, `()` or generic arguments.
    pub text: String,
    /// How it appears: [`NameForm::Backticked`] for a backticked span, else its shape.
    pub form: NameForm,
    /// What it looks like (never `Backticked`): a backticked plain word is `SnakeCase` when
    /// lowercase, `CamelCase` when capitalised.
    pub shape: NameForm,
    /// Byte offset of the name in the text.
    pub offset: usize,
}

impl Mention {
    /// The segments of a `Type::member` or `dotted.path` name (`["ast", "ErrorKind"]`); the name
    /// itself for other shapes.
    pub fn segments(&self) -> Vec<&str> {
        match self.shape {
            NameForm::PathMember => self.text.split("::").filter(|s| !s.is_empty()).collect(),
            NameForm::DottedPath => self.text.split('.').filter(|s| !s.is_empty()).collect(),
            _ => vec![self.text.as_str()],
        }
    }
}

static BACKTICKED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"`([^`\n]{1,200})`").expect("valid regex"));
static IDENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_$][A-Za-z0-9_$]*$").expect("valid regex"));
static FLAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^--[A-Za-z][A-Za-z0-9_-]*$").expect("valid regex"));
static PATHISH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9_.@/+-]+$").expect("valid regex"));

/// Every name `text` mentions, in order of appearance (see the module docs for the forms).
pub fn extract_names(text: &str) -> Vec<Mention> {
    let mut out: Vec<Mention> = Vec::new();
    let push = |m: Mention, out: &mut Vec<Mention>| {
        if out.len() < MAX_NAMES && !out.iter().any(|o| o.text == m.text) {
            out.push(m);
        }
    };
    let mut rest = String::with_capacity(text.len());
    let mut last = 0;
    let mut spans = Vec::new();
    for c in BACKTICKED.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let inner = c.get(1).expect("group");
        rest.push_str(&text[last..whole.start()]);
        rest.push_str(&" ".repeat(whole.len()));
        last = whole.end();
        spans.push((inner.start(), inner.as_str()));
    }
    rest.push_str(&text[last..]);
    let mut found: Vec<Mention> = Vec::new();
    for (offset, inner) in spans {
        if inner.chars().any(char::is_whitespace) {
            continue;
        }
        let cleaned = clean(inner);
        if cleaned.is_empty() || cleaned.chars().count() > MAX_NAME_CHARS {
            continue;
        }
        let shape = shape_of(&cleaned).unwrap_or_else(|| plain_shape(&cleaned));
        found.push(Mention {
            text: cleaned,
            form: NameForm::Backticked,
            shape,
            offset,
        });
    }
    let mut offset = 0;
    for token in rest.split_inclusive(char::is_whitespace) {
        let start = offset;
        offset += token.len();
        let cleaned = clean(token.trim());
        if cleaned.is_empty() || cleaned.chars().count() > MAX_NAME_CHARS {
            continue;
        }
        if let Some(shape) = shape_of(&cleaned) {
            if shape == NameForm::CamelCase
                && PRODUCTS.contains(&cleaned.to_ascii_lowercase().as_str())
            {
                continue;
            }
            found.push(Mention {
                text: cleaned,
                form: shape,
                shape,
                offset: start,
            });
        }
    }
    found.sort_by_key(|m| m.offset);
    for m in found {
        push(m, &mut out);
    }
    out
}

/// `token` without surrounding punctuation, a possessive `'s`, a trailing `()`/`(…)` call and
/// generic arguments.
fn clean(token: &str) -> String {
    let lead: &[char] = &['(', '[', '{', '<', '"', '\'', '*', '“', '‘'];
    let trail: &[char] = &[
        ')', ']', '}', '>', '"', '\'', ',', ';', ':', '.', '!', '?', '*', '”', '’',
    ];
    // A leading `_` is part of identifiers (`_parseOptionsEnv`), so it is kept.
    let t = token
        .trim_start_matches(|c| lead.contains(&c))
        .trim_end_matches(|c| trail.contains(&c));
    let mut s = t.strip_suffix("'s").unwrap_or(t).to_string();
    if let Some(i) = s.find('(') {
        s.truncate(i);
    }
    if let Some(i) = s.find('<') {
        s.truncate(i);
    }
    if let Some(i) = s.find('=') {
        if s.starts_with("--") {
            s.truncate(i);
        }
    }
    s.trim_end_matches(|c| trail.contains(&c)).to_string()
}

/// The shape of a backticked word that has no code shape of its own.
fn plain_shape(s: &str) -> NameForm {
    if s.chars().next().is_some_and(char::is_uppercase) {
        NameForm::CamelCase
    } else {
        NameForm::SnakeCase
    }
}

/// The code shape of a cleaned token, or `None` for a plain word.
pub fn shape_of(s: &str) -> Option<NameForm> {
    if s.contains("://") || s.len() < 2 {
        return None;
    }
    if FLAG.is_match(s) {
        return Some(NameForm::Flag);
    }
    if s.contains("::") {
        let ok = s.split("::").all(|p| p.is_empty() || IDENT.is_match(p));
        return ok.then_some(NameForm::PathMember);
    }
    if is_file_path(s) {
        return Some(NameForm::FilePath);
    }
    if s.contains('.') {
        let parts: Vec<&str> = s.split('.').collect();
        let ok = parts.len() >= 2
            && parts.iter().all(|p| IDENT.is_match(p))
            && parts.iter().any(|p| p.len() >= 3)
            && !matches!(s.to_ascii_lowercase().as_str(), "e.g" | "i.e" | "etc");
        return ok.then_some(NameForm::DottedPath);
    }
    if !IDENT.is_match(s) {
        return None;
    }
    let core = s.trim_matches('_');
    if core.contains('_') && core.chars().any(char::is_alphabetic) {
        return Some(NameForm::SnakeCase);
    }
    is_camel(core).then_some(NameForm::CamelCase)
}

fn is_file_path(s: &str) -> bool {
    if !PATHISH.is_match(s) || s.starts_with('-') {
        return false;
    }
    let name = s.trim_end_matches('/').rsplit('/').next().unwrap_or(s);
    let has_ext = name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty() && FILE_EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
    });
    has_ext
        || s.contains('/') && s.split('/').filter(|p| !p.is_empty()).count() >= 2
        || s.ends_with('/') && s.len() > 1
}

/// An inner capital after a lowercase letter or digit (`ErrorKind`, `parseOptions`), or an
/// acronym run followed by a word (`HTTPServer`); not all-caps (`API`, `JSON`, `IDs`).
fn is_camel(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < 3 || !chars.iter().any(|c| c.is_lowercase()) {
        return false;
    }
    let hump = chars
        .windows(2)
        .any(|w| (w[0].is_lowercase() || w[0].is_ascii_digit()) && w[1].is_uppercase());
    let plural_acronym =
        s.ends_with('s') && chars[..chars.len() - 1].iter().all(|c| c.is_uppercase());
    let acronym_word = chars
        .windows(3)
        .any(|w| w[0].is_uppercase() && w[1].is_uppercase() && w[2].is_lowercase());
    hump || acronym_word && !plural_acronym
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(String, NameForm, NameForm)> {
        extract_names(text)
            .into_iter()
            .map(|m| (m.text, m.form, m.shape))
            .collect()
    }

    fn texts(text: &str) -> Vec<String> {
        extract_names(text).into_iter().map(|m| m.text).collect()
    }

    #[test]
    fn every_form() {
        use NameForm::*;
        assert_eq!(
            names("Add `RepetitionCountTooLarge` to `ast::ErrorKind`"),
            [
                ("RepetitionCountTooLarge".into(), Backticked, CamelCase),
                ("ast::ErrorKind".into(), Backticked, PathMember),
            ]
        );
        assert_eq!(
            names("move _parseOptionsEnv into a new lib/parse-options.js"),
            [
                ("_parseOptionsEnv".into(), CamelCase, CamelCase),
                ("lib/parse-options.js".into(), FilePath, FilePath),
            ]
        );
        assert_eq!(
            names("Use pflag.ShorthandLookup, then call parse_counted_repetition() with --max-count=3."),
            [
                ("pflag.ShorthandLookup".into(), DottedPath, DottedPath),
                ("parse_counted_repetition".into(), SnakeCase, SnakeCase),
                ("--max-count".into(), Flag, Flag),
            ]
        );
        assert_eq!(
            names("deprecate BaseCommand in setup.py and HTTPServer's Vec<T>"),
            [
                ("BaseCommand".into(), CamelCase, CamelCase),
                ("setup.py".into(), FilePath, FilePath),
                ("HTTPServer".into(), CamelCase, CamelCase),
            ]
        );
        assert_eq!(names("Add `StreamBody`")[0].2, CamelCase);
        assert_eq!(names("rename `verbose`")[0].2, SnakeCase);
        assert_eq!(names("bump MAX_RETRIES")[0].2, SnakeCase);
        assert_eq!(
            names("Use strings.EqualFold in header_match, e.g. for --ignore-case; call getUser"),
            [
                ("strings.EqualFold".into(), DottedPath, DottedPath),
                ("header_match".into(), SnakeCase, SnakeCase),
                ("--ignore-case".into(), Flag, Flag),
                ("getUser".into(), CamelCase, CamelCase),
            ]
        );
    }

    #[test]
    fn plain_words_are_not_names() {
        assert!(
            texts("Add rate limiting to the login endpoint, e.g. like JSON or API v1.2").is_empty()
        );
        assert!(texts("see https://example.com/a/b for details").is_empty());
        assert!(texts("`two words` are not a name").is_empty());
        assert!(texts("Add GitHub login to the JavaScript client, i.e. OAuth").is_empty());
        assert!(texts("Fix the crash in the export job. Then ship 3.12").is_empty());
        assert_eq!(texts("Support `GitHub` enterprise"), ["GitHub"]);
    }

    #[test]
    fn deduplicated_in_order_and_bounded() {
        assert_eq!(
            texts("`Foo` then FooBar then `Foo` again, fooBar"),
            ["Foo", "FooBar", "fooBar"]
        );
        let many: String = (0..200).map(|i| format!("name_{i} ")).collect();
        assert_eq!(extract_names(&many).len(), MAX_NAMES);
    }

    #[test]
    fn segments_of_paths() {
        let m = &extract_names("`ast::ErrorKind`")[0];
        assert_eq!(m.segments(), ["ast", "ErrorKind"]);
        let m = &extract_names("os.path.join")[0];
        assert_eq!(m.segments(), ["os", "path", "join"]);
    }
}

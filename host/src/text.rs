//! Small text utilities shared by the probe, the offline engine and the runtime: task terms,
//! slugs, strategy names, and [`sanitize`] — the one function every piece of guest text goes
//! through before a terminal, a log or a file shows it. The code names a text mentions are the
//! code index's ([`crate::index::extract_names`]).

/// Words that carry no meaning for matching a task against a repository.
const STOPWORDS: &[&str] = &[
    "the",
    "and",
    "for",
    "with",
    "that",
    "this",
    "from",
    "into",
    "onto",
    "our",
    "your",
    "their",
    "its",
    "are",
    "was",
    "were",
    "will",
    "would",
    "should",
    "could",
    "must",
    "can",
    "have",
    "has",
    "had",
    "not",
    "but",
    "all",
    "any",
    "each",
    "every",
    "both",
    "only",
    "also",
    "then",
    "than",
    "when",
    "where",
    "which",
    "while",
    "who",
    "how",
    "what",
    "why",
    "use",
    "using",
    "used",
    "make",
    "makes",
    "made",
    "add",
    "adds",
    "new",
    "way",
    "so",
    "to",
    "of",
    "in",
    "on",
    "at",
    "by",
    "as",
    "is",
    "be",
    "it",
    "an",
    "a",
    "or",
    "we",
    "they",
    "them",
    "there",
    "these",
    "those",
    "via",
    "per",
    "out",
    "one",
    "two",
    "get",
    "set",
    "let",
    "more",
    "less",
    "most",
    "some",
    "such",
    "own",
    "same",
    "other",
    "need",
    "needs",
    "want",
    "wants",
    "just",
    "still",
    "very",
    "too",
    "over",
    "under",
    "after",
    "before",
    "during",
    "without",
    "within",
    "about",
    "across",
    "able",
    "existing",
    "current",
    "currently",
    "please",
];

/// The meaningful terms of `text`: lowercase alphanumeric words of three or more characters,
/// stopwords removed, in first-seen order, without duplicates.
///
/// `"Rewrite the auth middleware"` → `["rewrite", "auth", "middleware"]`.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric() && c != '_') {
        let w = word.to_lowercase();
        if w.chars().count() < 3
            || STOPWORDS.contains(&w.as_str())
            || w.chars().all(|c| c.is_ascii_digit())
        {
            continue;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Whether `text` holds `word` (which may contain spaces) at word boundaries: the characters
/// around it are not letters, digits or `_`. Case-sensitive: lowercase both to ignore case.
/// An empty `word` is never contained.
pub fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let mut start = 0;
    while let Some(pos) = text[start..].find(word) {
        let at = start + pos;
        let end = at + word.len();
        let before_ok = text[..at].chars().next_back().is_none_or(|c| !is_word(c));
        let after_ok = text[end..].chars().next().is_none_or(|c| !is_word(c));
        if before_ok && after_ok {
            return true;
        }
        start = at + word.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// A lowercase kebab-case slug of at most `max_words` words from `text` (ASCII letters and
/// digits only); `"Add rate limiting!"` → `"add-rate-limiting"`. Never empty: `"task"` when
/// `text` has no usable word.
pub fn slug(text: &str, max_words: usize) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_lowercase())
        .take(max_words)
        .collect();
    if words.is_empty() {
        "task".to_string()
    } else {
        words.join("-")
    }
}

/// A file-name-safe name: ASCII letters, digits, `-` and `_` kept, everything else `-`,
/// at most 40 characters; `"strategy"` when nothing is left.
pub fn slug_name(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    let t = t.trim_matches('-').to_string();
    if t.is_empty() {
        "strategy".into()
    } else {
        t
    }
}

/// Whether `name` is a strategy name (for `anneal new strategy` and installed strategies):
/// kebab-case `[a-z][a-z0-9]*(-[a-z0-9]+)*`, at most 40 characters.
pub fn strategy_name(name: &str) -> bool {
    name.len() <= 40
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && !name.ends_with('-')
        && !name.contains("--")
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Guest text made safe to show on a terminal, in `run.log` or in a file, on one line: terminal
/// escape sequences (CSI `ESC [ … final`, OSC `ESC ] … BEL or ESC \`, and any other `ESC x`)
/// removed; C0 and C1 control characters (newline and carriage return included, so a guest
/// cannot start a forged `[host]` line) and Unicode bidirectional overrides and isolates
/// (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C, which reorder what a reader sees)
/// each replaced by a space; tab kept. Then cut to at most `max` bytes on a character
/// boundary, the cut marked ` …[cut]` (so the result is at most `max + 9` bytes).
///
/// Used for everything a strategy says about itself (`info()`), its log and progress lines,
/// its notes and error message, and the function names of its traps.
pub fn sanitize(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            match chars.next() {
                // CSI: parameters and intermediates up to a final byte in @..~.
                Some('[') => {
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                // OSC (and DCS/PM/APC, which end the same way): up to BEL or ESC \.
                Some(']' | 'P' | '^' | '_') => {
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' {
                            break;
                        }
                        if d == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                // Any other escape: ESC and the one character after it.
                _ => {}
            }
            continue;
        }
        let c = if (c.is_control() && c != '\t') || is_bidi_control(c) {
            ' '
        } else {
            c
        };
        if out.len() + c.len_utf8() > max {
            out.push_str(" …[cut]");
            break;
        }
        out.push(c);
    }
    out
}

/// Unicode bidirectional formatting characters (embeddings, overrides, isolates, marks).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `s` with its first character upper-cased ("the code index" → "The code index").
pub fn cap_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// "a", "a and b", "a, b and c"; `fallback` when empty.
pub fn prose_list(items: &[String], fallback: &str) -> String {
    match items.len() {
        0 => fallback.to_string(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_stopwords_and_short_words() {
        assert_eq!(
            terms("Rewrite the auth middleware to unify OIDC and JWT"),
            vec!["rewrite", "auth", "middleware", "unify", "oidc", "jwt"]
        );
        assert!(terms("a to of").is_empty());
    }

    #[test]
    fn contains_word_respects_boundaries() {
        assert!(contains_word("use redis here", "redis"));
        assert!(!contains_word("redistribute", "redis"));
        assert!(contains_word("s3 bucket", "s3"));
        assert!(contains_word("é redis", "redis"));
    }

    #[test]
    fn sanitize_strips_escapes_controls_and_bidi_and_cuts() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b", 100), "ared b");
        assert_eq!(sanitize("x\u{1b}]0;title\u{7}y", 100), "xy");
        assert_eq!(sanitize("x\u{1b}]0;title\u{1b}\\y", 100), "xy");
        assert_eq!(sanitize("a\u{1b}cb", 100), "ab");
        assert_eq!(sanitize("a\nb\0c\rd", 100), "a b c d");
        assert_eq!(sanitize("\u{9b}2J\u{202e}txt", 100), " 2J txt");
        assert_eq!(sanitize("a\tb", 100), "a\tb");
        let cut = sanitize(&"é".repeat(100), 11);
        assert!(cut.ends_with("…[cut]") && cut.len() <= 11 + 9, "{cut}");
        // A forged host line stays on the guest's line.
        assert!(!sanitize("ok\n[host] run finished", 100).contains('\n'));
    }

    #[test]
    fn slug_is_kebab_and_bounded() {
        assert_eq!(
            slug("Add rate limiting to the API!", 3),
            "add-rate-limiting"
        );
        assert_eq!(slug("!!!", 3), "task");
    }
}

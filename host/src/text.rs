//! Small text utilities shared by the probe and the offline engine: task terms, slugs. The
//! code names a text mentions are the code index's ([`crate::index::extract_names`]).

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
    fn slug_is_kebab_and_bounded() {
        assert_eq!(
            slug("Add rate limiting to the API!", 3),
            "add-rate-limiting"
        );
        assert_eq!(slug("!!!", 3), "task");
    }
}

//! Words of identifiers and of task text, for retrieval (docs/design.md §10, "grounding").
//!
//! Identifiers are split into words at `snake_case` underscores, `kebab-case` dashes, path
//! separators and `camelCase` humps, with acronym runs kept whole (`HTTPServer` → `http`,
//! `server`; `parseOptionsEnv` → `parse`, `options`, `env`). Words are lowercased and reduced to a
//! light stem ([`stem`]). Stop words ([`is_stop_word`]) — English function words and the
//! phrasing every task shares (`like`, `whose`, `returning`, `add`, `support`) — are dropped:
//! they say nothing about where code lives.

/// Words that are never evidence of where a change belongs: English function words, and the
/// verbs and fillers of task phrasing. Lowercase, sorted (binary-searched).
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "across",
    "add",
    "added",
    "adding",
    "adds",
    "after",
    "again",
    "against",
    "all",
    "allow",
    "allows",
    "also",
    "always",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "better",
    "between",
    "both",
    "but",
    "by",
    "can",
    "cannot",
    "change",
    "changes",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "either",
    "else",
    "ensure",
    "etc",
    "even",
    "ever",
    "every",
    "few",
    "fix",
    "fixed",
    "fixes",
    "for",
    "from",
    "further",
    "get",
    "gets",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "him",
    "his",
    "how",
    "however",
    "i",
    "if",
    "implement",
    "improve",
    "in",
    "instead",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "like",
    "likes",
    "make",
    "makes",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "needs",
    "new",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "onto",
    "or",
    "other",
    "our",
    "ours",
    "out",
    "over",
    "own",
    "per",
    "please",
    "properly",
    "rather",
    "return",
    "returned",
    "returning",
    "returns",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "support",
    "supports",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "us",
    "use",
    "used",
    "uses",
    "using",
    "very",
    "via",
    "was",
    "way",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
];

/// `true` for a stop word (compared lowercase).
pub fn is_stop_word(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    STOP_WORDS.binary_search(&lower.as_str()).is_ok()
}

/// `word` without a plural or verbal suffix, keeping at least four letters:
/// `limiting` → `limit`, `hashed` → `hash`, `tokens` → `token`; `redis`, `process`, `status`
/// are kept whole. The one stemming rule of the probe and the index.
pub fn stem(word: &str) -> String {
    let len = word.chars().count();
    for suffix in ["ing", "ed"] {
        if let Some(s) = word.strip_suffix(suffix) {
            if len - suffix.len() >= 4 {
                return s.to_string();
            }
        }
    }
    if let Some(s) = word.strip_suffix('s') {
        if len > 4 && !["ss", "us", "is"].iter().any(|e| word.ends_with(e)) {
            return s.to_string();
        }
    }
    word.to_string()
}

/// The words of one identifier or phrase, lowercase, in order, unstemmed, stop words kept:
/// `parse_counted_repetition` → `parse counted repetition`, `ErrorKind` → `error kind`,
/// `HTTPServer2` → `http server2`, `lib/parse-options.js` → `lib parse options js`.
pub fn split_identifier(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split(|c: char| !c.is_alphanumeric()) {
        if chunk.is_empty() {
            continue;
        }
        let chars: Vec<char> = chunk.chars().collect();
        let mut start = 0;
        for i in 1..chars.len() {
            let (prev, cur) = (chars[i - 1], chars[i]);
            let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
            // `aB` starts a word at B; `ABc` starts one at B (end of an acronym run).
            let hump = (prev.is_lowercase() || prev.is_ascii_digit()) && cur.is_uppercase();
            let acronym_end = prev.is_uppercase() && cur.is_uppercase() && next_lower;
            if hump || acronym_end {
                out.push(chars[start..i].iter().collect::<String>().to_lowercase());
                start = i;
            }
        }
        out.push(chars[start..].iter().collect::<String>().to_lowercase());
    }
    out
}

/// Retrieval terms of `text`: [`split_identifier`] words, stop words and one-letter words
/// dropped, pure numbers dropped, each reduced by [`stem`]. Duplicates are kept (term frequency
/// counts).
pub fn terms(text: &str) -> Vec<String> {
    split_identifier(text)
        .into_iter()
        .filter(|w| {
            w.chars().count() >= 2 && !is_stop_word(w) && !w.chars().all(|c| c.is_ascii_digit())
        })
        .map(|w| stem(&w))
        .collect()
}

/// The key a fuzzy lookup compares: lowercase, with `_`, `-` and every other non-alphanumeric
/// removed (`parse_options`, `parseOptions` and `ParseOptions` share `parseoptions`).
pub fn fuzzy_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted() {
        assert!(
            STOP_WORDS.windows(2).all(|w| w[0] < w[1]),
            "sort STOP_WORDS"
        );
        for w in ["like", "whose", "returning", "the", "Add"] {
            assert!(is_stop_word(w), "{w}");
        }
        assert!(!is_stop_word("repetition"));
    }

    #[test]
    fn identifiers_split_into_words() {
        assert_eq!(
            split_identifier("parse_counted_repetition"),
            ["parse", "counted", "repetition"]
        );
        assert_eq!(split_identifier("ErrorKind"), ["error", "kind"]);
        assert_eq!(split_identifier("HTTPServer"), ["http", "server"]);
        assert_eq!(
            split_identifier("_parseOptionsEnv"),
            ["parse", "options", "env"]
        );
        assert_eq!(
            split_identifier("lib/parse-options.js"),
            ["lib", "parse", "options", "js"]
        );
        assert_eq!(
            split_identifier("REPETITION_COUNT"),
            ["repetition", "count"]
        );
        assert_eq!(split_identifier("utf8Decode"), ["utf8", "decode"]);
    }

    #[test]
    fn terms_drop_stop_words_and_stem() {
        assert_eq!(
            terms(
                "Return an error whose count is like the limit, returning RepetitionCountTooLarge"
            ),
            ["error", "count", "limit", "repetition", "count", "large"]
        );
        assert_eq!(stem("limiting"), "limit");
        assert_eq!(stem("status"), "status");
    }

    #[test]
    fn fuzzy_keys_ignore_case_and_separators() {
        assert_eq!(fuzzy_key("parse_options"), fuzzy_key("ParseOptions"));
        assert_eq!(fuzzy_key("parse-options"), "parseoptions");
    }
}

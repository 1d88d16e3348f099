//! Files relevant to the task (docs/design.md §2 stage 2: "files relevant to the task").
//!
//! The task's terms ([`crate::text::terms`], at most [`MAX_TERMS`]) are reduced to a stem
//! (`limiting` → `limit`, `sessions` → `session`, `emails` → `email`) and matched at the start
//! of words, where words break at non-alphanumerics, `snake_case` underscores and `camelCase`
//! humps (so `rate` matches `rate_limit` and `RateLimiter` but not `generate`).
//!
//! Score of a file:
//! - path (strong): [`NAME_POINTS`] per term in the file name, [`DIR_POINTS`] per term only in
//!   its directories;
//! - content: per term, its occurrences capped at [`OCCURRENCE_CAP`], plus [`BREADTH_POINTS`]
//!   per distinct term found, doubled for code files (documentation, configuration and test
//!   files count single: tests repeat the names of the code they exercise, and a task changes
//!   the code first; a test file whose path names a term still gets the path points).
//!
//! Lockfiles, generated files and ignore files (`Cargo.lock`, `package-lock.json`, `*.min.js`,
//! source maps, `.gitignore`, …) are not ranked: they repeat names found elsewhere and never hold
//! what a task changes. The reason names which terms matched where; files are ranked by score
//! descending, then path, and the top [`TOP`] are kept.

use regex::Regex;

use crate::model::RelevantFile;

/// Most task terms used.
pub const MAX_TERMS: usize = 12;
/// Files kept.
pub const TOP: usize = 15;
/// Points per term in the file name.
pub const NAME_POINTS: u32 = 12;
/// Points per term in a directory name (and not in the file name).
pub const DIR_POINTS: u32 = 6;
/// Occurrences of one term counted in the content.
pub const OCCURRENCE_CAP: usize = 8;
/// Points per distinct term found in the content.
pub const BREADTH_POINTS: u32 = 3;

const NOT_RANKED: &[&str] = &[
    ".gitignore",
    ".dockerignore",
    ".gitattributes",
    "cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "bun.lock",
    "poetry.lock",
    "pipfile.lock",
    "uv.lock",
    "pdm.lock",
    "go.sum",
    "gemfile.lock",
    "composer.lock",
    "mix.lock",
    "flake.lock",
];

#[derive(Clone, Debug)]
struct Term {
    word: String,
    stem: String,
}

/// Scores files against one task.
#[derive(Clone, Debug)]
pub struct Scorer {
    terms: Vec<Term>,
    /// Case-insensitive alternation of the stems, longest first (one pass over a text finds
    /// every term).
    matcher: Option<Regex>,
}

/// `word` without a plural or verbal suffix, keeping at least four letters:
/// `limiting` → `limit`, `hashed` → `hash`, `tokens` → `token`; `redis`, `process`, `status`
/// are kept whole.
pub fn stem(word: &str) -> String {
    crate::index::words::stem(word)
}

impl Scorer {
    /// A scorer for the terms of `task`.
    pub fn new(task: &str) -> Self {
        let terms: Vec<Term> = crate::text::terms(task)
            .into_iter()
            .take(MAX_TERMS)
            .map(|word| Term {
                stem: stem(&word),
                word,
            })
            .collect();
        let mut stems: Vec<&str> = terms.iter().map(|t| t.stem.as_str()).collect();
        stems.sort_by_key(|s| std::cmp::Reverse(s.len()));
        stems.dedup();
        let alternation: Vec<String> = stems.iter().map(|s| regex::escape(s)).collect();
        let matcher = (!terms.is_empty())
            .then(|| Regex::new(&format!("(?i)(?:{})", alternation.join("|"))).ok())
            .flatten();
        Self { terms, matcher }
    }

    /// Occurrences per term (indexed like `self.terms`, each capped at `cap`) of the stems at
    /// word starts of `hay`: after a non-alphanumeric ASCII character or the start, or at a
    /// `camelCase` hump (an upper-case letter after a lower-case one).
    fn counts(&self, hay: &str, cap: usize) -> Vec<usize> {
        let mut counts = vec![0usize; self.terms.len()];
        let Some(matcher) = &self.matcher else {
            return counts;
        };
        let bytes = hay.as_bytes();
        let mut saturated = 0;
        for m in matcher.find_iter(hay) {
            let i = m.start();
            let starts = i == 0 || {
                let prev = bytes[i - 1];
                (prev.is_ascii() && !prev.is_ascii_alphanumeric())
                    || (prev.is_ascii_lowercase() && bytes[i].is_ascii_uppercase())
            };
            if !starts {
                continue;
            }
            let found = m.as_str().to_lowercase();
            for (j, term) in self.terms.iter().enumerate() {
                if term.stem == found && counts[j] < cap {
                    counts[j] += 1;
                    if counts[j] == cap {
                        saturated += 1;
                    }
                }
            }
            if saturated == self.terms.len() {
                break;
            }
        }
        counts
    }

    /// True when the task has no usable term (every score is then 0).
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The relevance of the file at repository-relative `rel` with content `text` (`None` when
    /// not read); `is_code` selects the code weighting. `None` when the score is 0 or the file
    /// is not ranked.
    pub fn score(&self, rel: &str, text: Option<&str>, is_code: bool) -> Option<RelevantFile> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let lower_name = name.to_ascii_lowercase();
        if self.terms.is_empty()
            || NOT_RANKED.contains(&lower_name.as_str())
            || lower_name.ends_with(".min.js")
            || lower_name.ends_with(".min.css")
            || lower_name.ends_with(".map")
        {
            return None;
        }
        let dir = &rel[..rel.len() - name.len()];
        let weight = if is_code && !is_test_path(rel) { 2 } else { 1 };
        let in_name = self.counts(name, 1);
        let in_dir = self.counts(dir, 1);
        let in_text = text.map(|t| self.counts(t, OCCURRENCE_CAP));
        let mut score = 0u32;
        let mut in_path = Vec::new();
        let mut in_content = Vec::new();
        for (j, term) in self.terms.iter().enumerate() {
            if in_name[j] > 0 {
                score += NAME_POINTS;
                in_path.push(term.word.as_str());
            } else if in_dir[j] > 0 {
                score += DIR_POINTS;
                in_path.push(term.word.as_str());
            }
            let n = in_text.as_ref().map_or(0, |c| c[j]);
            if n > 0 {
                score += (n as u32 + BREADTH_POINTS) * weight;
                let more = if n >= OCCURRENCE_CAP { "+" } else { "" };
                in_content.push(format!("{} {n}{more}", term.word));
            }
        }
        if score == 0 {
            return None;
        }
        let mut reason = Vec::new();
        if !in_path.is_empty() {
            reason.push(format!("path: {}", in_path.join(", ")));
        }
        if !in_content.is_empty() {
            reason.push(format!("content: {}", in_content.join(", ")));
        }
        Some(RelevantFile {
            path: rel.to_string(),
            reason: reason.join("; "),
            score,
        })
    }
}

pub use crate::index::layout::is_test_path;

/// Most files of [`merge`] that come from the word scorer (files the code index does not parse:
/// documentation, configuration, other languages).
pub const MAX_UNINDEXED: usize = 4;

/// The relevant files of the probe report: the resolution's ranked files (docs/design.md §10)
/// with their reasons joined by `; ` and their score scaled to an integer (×100, at least 1),
/// then at most [`MAX_UNINDEXED`] files of `scored` (the word scorer's top) that the index does
/// not parse (`indexed` false), at most [`TOP`] in all. With an empty resolution (no index, or
/// nothing matched) `scored` is returned as it is.
pub fn merge(
    resolution: &crate::model::resolution::Resolution,
    scored: Vec<RelevantFile>,
    indexed: impl Fn(&str) -> bool,
) -> Vec<RelevantFile> {
    if resolution.files.is_empty() {
        return scored;
    }
    let mut out: Vec<RelevantFile> = resolution
        .files
        .iter()
        .take(TOP)
        .map(|f| RelevantFile {
            path: f.path.clone(),
            reason: f.reasons.join("; "),
            score: ((f.score * 100.0).round() as u32).max(1),
        })
        .collect();
    let extra: Vec<RelevantFile> = scored
        .into_iter()
        .filter(|f| !indexed(&f.path) && !out.iter().any(|o| o.path == f.path))
        .take(MAX_UNINDEXED)
        .collect();
    out.truncate(TOP - extra.len());
    out.extend(extra);
    out
}

/// The `TOP` best files: score descending, then path ascending.
pub fn top(mut files: Vec<RelevantFile>) -> Vec<RelevantFile> {
    files.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.path.cmp(&b.path)));
    files.truncate(TOP);
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems() {
        assert_eq!(stem("limiting"), "limit");
        assert_eq!(stem("tokens"), "token");
        assert_eq!(stem("hashed"), "hash");
        assert_eq!(stem("redis"), "redis");
        assert_eq!(stem("process"), "process");
        assert_eq!(stem("login"), "login");
        assert_eq!(stem("ring"), "ring");
    }

    #[test]
    fn word_start_matching() {
        let s = Scorer::new("rate limiting login");
        assert_eq!(
            s.counts("generate rate rate_limit RateLimiter ratelimit", 100),
            [4, 2, 0]
        );
        assert_eq!(
            s.counts("fn login() { login_user(); LOGIN }", 100),
            [0, 0, 3]
        );
        assert_eq!(s.counts("login login login", 2), [0, 0, 2]);
    }

    #[test]
    fn path_beats_content_and_reason_names_terms() {
        let s = Scorer::new("Add rate limiting to the login endpoint");
        let auth = s
            .score(
                "app/login.py",
                Some("def login(): pass  # rate limited\n"),
                true,
            )
            .unwrap();
        let other = s.score("app/users.py", Some("# login\n"), true).unwrap();
        assert!(auth.score > other.score);
        assert_eq!(
            auth.reason,
            "path: login; content: rate 1, limiting 1, login 1"
        );
        assert!(s.score("Cargo.lock", Some("login"), false).is_none());
        assert!(s.score("app/x.py", Some("nothing"), true).is_none());
        let ranked = top(vec![other.clone(), auth.clone()]);
        assert_eq!(ranked[0].path, "app/login.py");
    }
}

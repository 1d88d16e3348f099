//! The read-only query layer over the code index, for strategies (docs/design.md §10, §11):
//! look a definition up by name, search symbols and files by words, read a bounded excerpt of
//! a source file. It is what a host interface serves to guests, so everything a guest sends is
//! untrusted: every call is bounded in input and output by [`QueryLimits`] (data, not code),
//! answers are plain data, and the only I/O is reading a file the index holds, inside the
//! repository root — a path that is absolute, has a `..` component, is not an indexed source
//! file, or resolves outside the root (a symlink) is refused.
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::rank::{self, Bm25};
use super::{words, CodeIndex, DefRef};
use crate::model::resolution::{RankedFile, SymbolRef};

/// Bounds of the query layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryLimits {
    /// Longest name or search text accepted, in bytes (default 256).
    pub max_query_bytes: usize,
    /// Longest path accepted, in bytes (default 1 024).
    pub max_path_bytes: usize,
    /// Most results of one lookup or search (default 50; a request for more gets this many).
    pub max_results: usize,
    /// Most lines of one excerpt (default 200).
    pub max_excerpt_lines: u32,
    /// Most bytes of one excerpt's text (default 16 KiB); the text is cut at a line end.
    pub max_excerpt_bytes: usize,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            max_query_bytes: 256,
            max_path_bytes: 1024,
            max_results: 50,
            max_excerpt_lines: 200,
            max_excerpt_bytes: 16 * 1024,
        }
    }
}

/// Why a query was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// An input exceeds its bound.
    #[error("{what} is {len} bytes; at most {max} are accepted")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// An empty name or search.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// A path that is not an indexed source file of the repository, or leaves it.
    #[error("path {path:?} refused: {reason}")]
    Refused { path: String, reason: &'static str },
    /// A line range that is empty or starts past the end of the file.
    #[error("lines {start}-{end} of {path}: {reason}")]
    BadRange {
        path: String,
        start: u32,
        end: u32,
        reason: &'static str,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

/// A bounded excerpt of a source file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Excerpt {
    pub path: String,
    /// First and last line returned, 1-based inclusive.
    pub line_start: u32,
    pub line_end: u32,
    /// Lines in the file.
    pub total_lines: u32,
    /// The lines, `\n`-terminated.
    pub text: String,
    /// `true` when fewer lines than asked were returned (a bound or the end of the file).
    pub truncated: bool,
}

/// Queries over one index of the repository at `root`. Search indexes are built on first use.
pub struct Query {
    index: Arc<CodeIndex>,
    root: PathBuf,
    limits: QueryLimits,
    files: OnceLock<Bm25>,
    symbols: OnceLock<Bm25>,
}

impl Query {
    /// Queries over `index` of the repository at `root` (canonicalised when possible).
    pub fn new(index: Arc<CodeIndex>, root: &Path, limits: QueryLimits) -> Self {
        Query {
            index,
            root: root.canonicalize().unwrap_or_else(|_| root.to_path_buf()),
            limits,
            files: OnceLock::new(),
            symbols: OnceLock::new(),
        }
    }

    fn check_text(&self, what: &'static str, s: &str) -> Result<(), QueryError> {
        if s.trim().is_empty() {
            return Err(QueryError::Empty(what));
        }
        if s.len() > self.limits.max_query_bytes {
            return Err(QueryError::TooLong {
                what,
                len: s.len(),
                max: self.limits.max_query_bytes,
            });
        }
        Ok(())
    }

    fn cap(&self, limit: usize) -> usize {
        limit.clamp(1, self.limits.max_results)
    }

    /// Definitions named `name`: exact matches, else fuzzy ones (case and separators
    /// ignored); at most `limit` (bounded by [`QueryLimits::max_results`]), in path order.
    ///
    /// # Errors
    /// [`QueryError::Empty`], [`QueryError::TooLong`].
    pub fn lookup(&self, name: &str, limit: usize) -> Result<Vec<SymbolRef>, QueryError> {
        self.check_text("name", name)?;
        let name = name.trim();
        let (defs, how) = match self.index.definitions(name) {
            d if !d.is_empty() => (d, "exact"),
            _ => (self.index.fuzzy_definitions(name), "fuzzy"),
        };
        Ok(defs
            .iter()
            .take(self.cap(limit))
            .map(|d| d.to_symbol(format!("{how} match for `{name}`")))
            .collect())
    }

    /// Definitions ranked by BM25 against the words of `text` (identifier words, stop words
    /// removed); at most `limit`.
    ///
    /// # Errors
    /// [`QueryError::Empty`], [`QueryError::TooLong`].
    pub fn search_symbols(&self, text: &str, limit: usize) -> Result<Vec<SymbolRef>, QueryError> {
        self.check_text("search", text)?;
        let terms = words::terms(text);
        let defs: Vec<DefRef<'_>> = self.index.all_definitions().collect();
        let bm = self
            .symbols
            .get_or_init(|| Bm25::new(defs.iter().map(rank::definition_document).collect()));
        Ok(bm
            .search(&terms)
            .into_iter()
            .take(self.cap(limit))
            .map(|(i, _)| {
                let m: Vec<String> = bm.matched(i, &terms).into_iter().map(|(t, _)| t).collect();
                defs[i].to_symbol(format!("matches {}", m.join(", ")))
            })
            .collect())
    }

    /// Indexed files ranked by BM25 against the words of `text`; at most `limit`.
    ///
    /// # Errors
    /// [`QueryError::Empty`], [`QueryError::TooLong`].
    pub fn search_files(&self, text: &str, limit: usize) -> Result<Vec<RankedFile>, QueryError> {
        self.check_text("search", text)?;
        let terms = words::terms(text);
        let bm = self
            .files
            .get_or_init(|| Bm25::new(self.index.files.iter().map(rank::file_document).collect()));
        Ok(bm
            .search(&terms)
            .into_iter()
            .take(self.cap(limit))
            .map(|(i, score)| {
                let f = &self.index.files[i];
                let m: Vec<String> = bm
                    .matched(i, &terms)
                    .into_iter()
                    .map(|(t, n)| format!("{t} ×{n}"))
                    .collect();
                RankedFile {
                    path: f.path.clone(),
                    score: f64::from(score),
                    reasons: vec![format!("matches {}", m.join(", "))],
                    is_test: f.is_test,
                }
            })
            .collect())
    }

    /// Lines `start..=end` (1-based) of the indexed source file `path`, cut to
    /// [`QueryLimits::max_excerpt_lines`] lines and [`QueryLimits::max_excerpt_bytes`] bytes.
    ///
    /// # Errors
    /// [`QueryError::TooLong`] for a path over [`QueryLimits::max_path_bytes`];
    /// [`QueryError::Refused`] for a path that is not an indexed file inside the root;
    /// [`QueryError::BadRange`] for `start` 0, `end < start` or `start` past the end;
    /// [`QueryError::Io`] when the file cannot be read.
    pub fn excerpt(&self, path: &str, start: u32, end: u32) -> Result<Excerpt, QueryError> {
        if self.index.file(path).is_none() && check_path(path, &self.limits).is_ok() {
            return Err(QueryError::Refused {
                path: path.chars().take(200).collect(),
                reason: "not a source file of the index",
            });
        }
        read_lines(&self.root, path, start, end, &self.limits)
    }
}

/// Refuses a path that is too long ([`QueryError::TooLong`]), empty, absolute, or has
/// `.`/`..` components ([`QueryError::Refused`]).
fn check_path(path: &str, limits: &QueryLimits) -> Result<(), QueryError> {
    let refuse = |reason| QueryError::Refused {
        path: path.chars().take(200).collect(),
        reason,
    };
    if path.len() > limits.max_path_bytes {
        return Err(QueryError::TooLong {
            what: "path",
            len: path.len(),
            max: limits.max_path_bytes,
        });
    }
    if path.is_empty()
        || path.starts_with('/')
        || path.starts_with('\\')
        || path.contains('\0')
        || path.get(1..2) == Some(":")
    {
        return Err(refuse("not a repository-relative path"));
    }
    if path.split(['/', '\\']).any(|c| c == ".." || c == ".") {
        return Err(refuse("`.` and `..` components are not allowed"));
    }
    Ok(())
}

/// Lines `start..=end` (1-based) of the file at the repository-relative `path` under `root`
/// (canonical), bounded by `limits` — the one bounded, confined read of the query layer and
/// of the agents' code context. The path must pass the checks of the module (relative, no
/// `.`/`..`) and resolve inside `root` (a symlink out of it is refused).
///
/// # Errors
/// As [`Query::excerpt`], except that any file inside the root may be read.
pub fn read_lines(
    root: &Path,
    path: &str,
    start: u32,
    end: u32,
    limits: &QueryLimits,
) -> Result<Excerpt, QueryError> {
    check_path(path, limits)?;
    let abs = match root.join(path).canonicalize() {
        Ok(c) if c.starts_with(root) => c,
        Ok(_) => {
            return Err(QueryError::Refused {
                path: path.to_string(),
                reason: "resolves outside the repository",
            })
        }
        Err(e) => {
            return Err(QueryError::Io {
                path: path.to_string(),
                message: e.to_string(),
            })
        }
    };
    let bad = |reason| QueryError::BadRange {
        path: path.to_string(),
        start,
        end,
        reason,
    };
    if start == 0 || end < start {
        return Err(bad("lines are 1-based and end must not precede start"));
    }
    let bytes = std::fs::read(&abs).map_err(|e| QueryError::Io {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let total = u32::try_from(text.lines().count()).unwrap_or(u32::MAX);
    if start > total {
        return Err(bad("starts past the end of the file"));
    }
    let last = end
        .min(start.saturating_add(limits.max_excerpt_lines.max(1) - 1))
        .min(total);
    let mut out = String::new();
    let mut line_end = start - 1;
    let mut cut = false;
    for line in text
        .lines()
        .skip(start as usize - 1)
        .take((last - start + 1) as usize)
    {
        if out.len() + line.len() + 1 > limits.max_excerpt_bytes {
            if out.is_empty() {
                // One line longer than the bound: its head, cut at a character boundary.
                let mut n = limits.max_excerpt_bytes.saturating_sub(1).min(line.len());
                while !line.is_char_boundary(n) {
                    n -= 1;
                }
                out.push_str(&line[..n]);
                out.push('\n');
                line_end += 1;
                cut = true;
            }
            break;
        }
        out.push_str(line);
        out.push('\n');
        line_end += 1;
    }
    Ok(Excerpt {
        path: path.to_string(),
        line_start: start,
        line_end,
        total_lines: total,
        truncated: cut || line_end < end,
        text: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::{index_of, polyglot, touch};

    fn query() -> (tempfile::TempDir, Query) {
        let dir = tempfile::tempdir().unwrap();
        polyglot(dir.path());
        let q = Query::new(
            Arc::new(index_of(dir.path())),
            dir.path(),
            QueryLimits::default(),
        );
        (dir, q)
    }

    #[test]
    fn lookup_exact_then_fuzzy() {
        let (_d, q) = query();
        let hits = q.lookup("ErrorKind", 10).unwrap();
        assert_eq!(
            (hits[0].path.as_str(), hits[0].line_start),
            ("src/ast/mod.rs", 2)
        );
        assert!(hits[0].reason.starts_with("exact"));
        let hits = q.lookup("shorthand_lookup", 10).unwrap();
        assert_eq!(hits[0].name, "ShorthandLookup");
        assert!(hits[0].reason.starts_with("fuzzy"));
        assert!(q.lookup("NoSuchName", 10).unwrap().is_empty());
    }

    #[test]
    fn searches_rank_by_words() {
        let (_d, q) = query();
        let s = q.search_symbols("counted repetition parse", 5).unwrap();
        assert_eq!(s[0].name, "parse_counted_repetition");
        let f = q.search_files("password login", 3).unwrap();
        assert_eq!(f[0].path, "app/auth.py");
        assert!(f.len() <= 3);
    }

    #[test]
    fn excerpts_are_bounded() {
        let (_d, q) = query();
        let e = q.excerpt("src/parse.rs", 3, 5).unwrap();
        assert_eq!(e.text, "pub struct Parser;\n\nimpl Parser {\n");
        assert_eq!((e.line_start, e.line_end, e.truncated), (3, 5, false));
        let e = q.excerpt("src/parse.rs", 8, 500).unwrap();
        assert!(e.truncated && e.line_end == e.total_lines);
        let bounded = |lines, bytes| {
            let limits = QueryLimits {
                max_excerpt_lines: lines,
                max_excerpt_bytes: bytes,
                ..QueryLimits::default()
            };
            Query::new(q.index.clone(), &q.root, limits)
                .excerpt("src/parse.rs", 1, 9)
                .unwrap()
        };
        let e = bounded(2, 1000);
        assert_eq!((e.line_end, e.truncated), (2, true), "{e:?}");
        let e = bounded(50, 40);
        assert_eq!((e.line_end, e.text.len()), (2, 36), "{e:?}");
        let e = bounded(50, 10);
        assert_eq!(
            (e.line_end, e.text.as_str(), e.truncated),
            (1, "use crate\n", true)
        );
    }

    #[test]
    fn hostile_inputs_are_refused() {
        let (dir, q) = query();
        touch(dir.path(), ".env", "TOKEN=secret");
        for p in [
            "../etc/passwd",
            "/etc/passwd",
            "src/../.env",
            ".env",
            "README.md",
            "Cargo.toml",
            "src\\..\\x",
            "C:x",
            "",
        ] {
            assert!(
                matches!(q.excerpt(p, 1, 1), Err(QueryError::Refused { .. })),
                "{p}"
            );
        }
        assert!(matches!(
            q.excerpt("src/parse.rs", 0, 1),
            Err(QueryError::BadRange { .. })
        ));
        assert!(matches!(
            q.excerpt("src/parse.rs", 5, 1),
            Err(QueryError::BadRange { .. })
        ));
        assert!(matches!(
            q.excerpt("src/parse.rs", 900, 901),
            Err(QueryError::BadRange { .. })
        ));
        let long = "x".repeat(10_000);
        assert!(matches!(
            q.lookup(&long, 1),
            Err(QueryError::TooLong { .. })
        ));
        assert!(matches!(
            q.search_files(&long, 1),
            Err(QueryError::TooLong { .. })
        ));
        assert!(matches!(
            q.excerpt(&long, 1, 1),
            Err(QueryError::TooLong { what: "path", .. })
        ));
        assert!(matches!(q.lookup("  ", 1), Err(QueryError::Empty(_))));
        assert!(q.search_symbols("error kind", usize::MAX).unwrap().len() <= 50);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_out_of_the_repository_is_refused() {
        let outside = tempfile::tempdir().unwrap();
        touch(outside.path(), "secret.rs", "pub fn secret() {}\n");
        let dir = tempfile::tempdir().unwrap();
        polyglot(dir.path());
        let mut idx = index_of(dir.path());
        std::os::unix::fs::symlink(
            outside.path().join("secret.rs"),
            dir.path().join("src/link.rs"),
        )
        .unwrap();
        // As if the index held it (the walk does not follow symlinks, so it never does).
        let mut entry = idx.files[0].clone();
        entry.path = "src/link.rs".into();
        idx.files.push(entry);
        let idx = CodeIndex::new(idx.files, idx.paths, idx.report);
        let q = Query::new(Arc::new(idx), dir.path(), QueryLimits::default());
        assert!(matches!(
            q.excerpt("src/link.rs", 1, 1),
            Err(QueryError::Refused {
                reason: "resolves outside the repository",
                ..
            })
        ));
    }
}

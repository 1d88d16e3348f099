//! The code index (docs/design.md §2 stage 2, §10 "grounding"): what the repository defines,
//! where, and who uses it — built by the probe with tree-sitter, cached across runs, and the
//! ground every agent plans from.
//!
//! For every source file the probe's walk sees (`.gitignore` respected, vendored code left out
//! by the probe, generated code skipped here), in Rust, Python, JavaScript, TypeScript/TSX, Go
//! and Java ([`Lang`]): the definitions ([`Definition`]: functions, methods, types,
//! traits/classes/interfaces, enum variants, constants, fields, modules and CLI flags) with
//! their line range, enclosing scope and a bounded signature; the names each file uses
//! ([`Reference`]) and imports; its inline test modules. From those, [`graph`] derives the
//! references between files and which tests exercise which source files.
//!
//! Modules: [`build`] (parallel, bounded build with the cache of [`cache`]), [`extract`] (one
//! file), [`lang`] (grammars and queries), [`layout`] (test layouts, generated files),
//! [`names`] (the names a text mentions), [`words`] (identifier words, stop words),
//! [`resolve`] (the task resolved to files, symbols and tests), [`query`] (the read-only,
//! bounded query layer for strategies).
//!
//! Dependency direction: `model` ← `index` ← `stages::probe`; nothing here imports a stage.
pub mod build;
pub mod cache;
pub mod extract;
pub mod graph;
pub mod lang;
pub mod layout;
pub mod limits;
pub mod names;
pub mod query;
pub mod rank;
pub mod resolve;
pub mod words;

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

pub use crate::model::resolution::SymbolKind;
pub use build::{build, SourceFile};
pub use graph::{FileEdge, Graph, TestLink};
pub use lang::Lang;
pub use limits::{CacheMode, Limits};
pub use names::{extract_names, Mention};
pub use resolve::resolve;

/// Version of the index format and of the extraction rules (the cache and `code-index.json`);
/// a cache of another version is ignored and rebuilt. Bump it when an entry's shape or an
/// extraction rule of [`extract`] changes (query changes are detected by the cache itself).
pub const FORMAT_VERSION: u32 = 3;

/// One definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// The bare name (`ErrorKind`, `parse`, `--json` for a flag).
    pub name: String,
    pub kind: SymbolKind,
    /// First and last line, 1-based inclusive.
    pub line_start: u32,
    pub line_end: u32,
    /// Enclosing definitions, outermost first, joined by the language's separator
    /// (`ErrorKind`, `Parser::parse`, `tests`); `None` at file level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The definition's head (up to its body), whitespace collapsed, bounded by
    /// [`Limits::max_signature_chars`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// How a file uses a name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// A call (function, method, macro, decorator).
    Call,
    /// A type in a signature, a constructor, a base class, an `impl`.
    Type,
    /// A path segment (`ErrorKind::Foo`) or a field/attribute access.
    Path,
    /// A name imported by name (`from x import name`, `import { name }`).
    Import,
}

/// A name one file uses, with how often (occurrences are counted, not listed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub kind: RefKind,
    /// First line where it is used.
    pub line: u32,
    /// Occurrences in the file.
    pub count: u32,
}

/// An inline test module (Rust `#[cfg(test)] mod tests { … }`, or `mod tests;` declared under
/// `#[cfg(test)]`, whose body is another file).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestModule {
    pub name: String,
    pub line_start: u32,
    pub line_end: u32,
    /// `true` for `mod tests;`: the body is `tests.rs` / `tests/mod.rs` beside the file.
    pub external: bool,
}

/// Everything the index knows about one source file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Repository-relative, `/`-separated.
    pub path: String,
    pub lang: Lang,
    /// Hex SHA-256 of the content (the cache key).
    pub hash: String,
    /// Lines in the file.
    pub lines: u32,
    /// A test file by its path ([`layout::is_test_path`]) or by a crate-level `#![cfg(test)]`.
    pub is_test: bool,
    pub definitions: Vec<Definition>,
    /// Distinct (name, kind) pairs the file uses, in first-use order.
    pub references: Vec<Reference>,
    /// Import paths as written (`crate::ast::ErrorKind`, `./parse-options`, `pkg.mod`).
    pub imports: Vec<String>,
    pub test_modules: Vec<TestModule>,
    /// Definitions or references dropped by the per-file bounds (0 when nothing was).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated: u32,
}

impl FileEntry {
    /// `true` when 1-based `line` lies inside one of the file's inline test modules (Rust
    /// `#[cfg(test)] mod tests { … }`, the module's own line included): the definitions there
    /// are tests, not code a change modifies.
    pub fn in_test_module(&self, line: u32) -> bool {
        self.test_modules
            .iter()
            .any(|m| !m.external && (m.line_start..=m.line_end).contains(&line))
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A file the build did not index, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// How the cache served a build.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Files whose entry was reused (same content hash).
    pub hits: u32,
    /// Files parsed.
    pub misses: u32,
    /// `reused`, `partly reused`, `built` (no usable cache), `disabled`, or why a cache was
    /// ignored (`corrupt: …`, `written by index format N`).
    pub status: String,
    /// Where the cache lives (repository-relative), when one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Why the cache could not be written, when it could not (the build still succeeds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_error: Option<String>,
}

/// What a build did: the summary `probe-report.yaml` carries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BuildReport {
    /// Indexed files per language (display names).
    pub files_per_language: BTreeMap<String, u32>,
    pub files: u32,
    pub definitions: u32,
    /// Distinct (name, kind) uses summed over files.
    pub references: u32,
    /// File-to-file reference edges.
    pub edges: u32,
    /// Test links (a test file or module exercising a source file).
    pub test_links: u32,
    /// Skipped files per reason.
    pub skipped_by_reason: BTreeMap<String, u32>,
    /// The first skipped files (at most [`Limits::max_skipped_listed`]).
    pub skipped: Vec<Skipped>,
    pub cache: CacheStats,
    /// Wall-clock of the build, in milliseconds.
    pub build_ms: u64,
}

/// The code index of one repository.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CodeIndex {
    pub version: u32,
    /// Indexed files, sorted by path.
    pub files: Vec<FileEntry>,
    /// Every file the walk saw (indexed or not, any language), sorted: for path lookups.
    pub paths: Vec<String>,
    /// References between files and test links, derived from `files`.
    pub graph: Graph,
    pub report: BuildReport,
    #[serde(skip)]
    lookup: Lookup,
}

/// Name → definitions, built once after a build or a load.
#[derive(Clone, Debug, Default)]
struct Lookup {
    /// Exact name → (file index, definition index).
    exact: HashMap<String, Vec<(u32, u32)>>,
    /// [`words::fuzzy_key`] → names.
    fuzzy: HashMap<String, Vec<String>>,
    /// Path → file index.
    by_path: HashMap<String, u32>,
}

/// A definition with the file that holds it.
#[derive(Clone, Copy, Debug)]
pub struct DefRef<'a> {
    pub file: &'a FileEntry,
    pub def: &'a Definition,
}

impl DefRef<'_> {
    /// The definition as the model carries it, with `reason` saying why it is named.
    pub fn to_symbol(&self, reason: String) -> crate::model::resolution::SymbolRef {
        crate::model::resolution::SymbolRef {
            name: self.def.name.clone(),
            kind: self.def.kind,
            path: self.file.path.clone(),
            line_start: self.def.line_start,
            line_end: self.def.line_end,
            scope: self.def.scope.clone(),
            signature: self.def.signature.clone(),
            reason,
        }
    }
}

impl CodeIndex {
    /// An index over `files` (sorted here) and `paths`, with its graph derived and lookups built.
    pub fn new(mut files: Vec<FileEntry>, mut paths: Vec<String>, report: BuildReport) -> Self {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        paths.sort();
        paths.dedup();
        let graph = Graph::derive(&files);
        // A file that is the body of a `#[cfg(test)] mod x;` is a test file: it declares no flag.
        for link in graph
            .tests
            .iter()
            .filter(|t| t.how == graph::LinkHow::Inline && t.module.is_none())
        {
            if let Ok(i) = files.binary_search_by(|f| f.path.as_str().cmp(&link.test)) {
                let f = &mut files[i];
                f.is_test = true;
                f.definitions.retain(|d| d.kind != SymbolKind::Flag);
            }
        }
        let mut index = CodeIndex {
            version: FORMAT_VERSION,
            files,
            paths,
            graph,
            report,
            lookup: Lookup::default(),
        };
        index.report.edges = u32::try_from(index.graph.edges.len()).unwrap_or(u32::MAX);
        index.report.test_links = u32::try_from(index.graph.tests.len()).unwrap_or(u32::MAX);
        index.build_lookup();
        index
    }

    fn build_lookup(&mut self) {
        let mut lookup = Lookup::default();
        for (fi, f) in self.files.iter().enumerate() {
            lookup.by_path.insert(f.path.clone(), fi as u32);
            for (di, d) in f.definitions.iter().enumerate() {
                let slot = lookup.exact.entry(d.name.clone()).or_default();
                if slot.is_empty() {
                    lookup
                        .fuzzy
                        .entry(words::fuzzy_key(&d.name))
                        .or_default()
                        .push(d.name.clone());
                }
                slot.push((fi as u32, di as u32));
            }
        }
        self.lookup = lookup;
    }

    /// `true` when nothing was indexed.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The entry of the indexed file at `path`.
    pub fn file(&self, path: &str) -> Option<&FileEntry> {
        self.lookup
            .by_path
            .get(path)
            .map(|&i| &self.files[i as usize])
    }

    /// `true` when the walk saw a file at `path` (indexed or not).
    pub fn has_path(&self, path: &str) -> bool {
        self.paths
            .binary_search_by(|p| p.as_str().cmp(path))
            .is_ok()
    }

    /// Definitions named exactly `name`, in path order.
    pub fn definitions(&self, name: &str) -> Vec<DefRef<'_>> {
        self.lookup
            .exact
            .get(name)
            .map(|v| v.iter().map(|&(f, d)| self.def_ref(f, d)).collect())
            .unwrap_or_default()
    }

    /// Definitions whose name equals `name` ignoring case and separators
    /// ([`words::fuzzy_key`]), exact matches excluded.
    pub fn fuzzy_definitions(&self, name: &str) -> Vec<DefRef<'_>> {
        let key = words::fuzzy_key(name);
        self.lookup
            .fuzzy
            .get(&key)
            .into_iter()
            .flatten()
            .filter(|n| n.as_str() != name)
            .flat_map(|n| self.definitions(n))
            .collect()
    }

    /// Every distinct defined name, sorted.
    pub fn defined_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.lookup.exact.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    fn def_ref(&self, f: u32, d: u32) -> DefRef<'_> {
        let file = &self.files[f as usize];
        DefRef {
            file,
            def: &file.definitions[d as usize],
        }
    }

    /// Every definition with its file, in path then line order.
    pub fn all_definitions(&self) -> impl Iterator<Item = DefRef<'_>> {
        self.files
            .iter()
            .flat_map(|file| file.definitions.iter().map(move |def| DefRef { file, def }))
    }
}

#[cfg(test)]
pub(crate) mod tests;

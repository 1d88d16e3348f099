//! The task resolved against the probe's code index (docs/design.md §10).
//!
//! The probe (stage 2) builds a code index of the repository and resolves the task against it;
//! the result is a [`Resolution`], handed to every agent beside the probe report: the offline
//! planner names files, symbols and tests from it, model agents receive it as context, the
//! reviewers and Hephaestus check plans against it. It is plain data, so the agents depend on
//! the model and not on the index that produced it.
//!
//! Paths are relative to the repository root and `/`-separated; lines are 1-based and inclusive.
//! Lists are ordered best first. An empty `Resolution` (the [`Default`]) means no index was built
//! (an unsupported language, or the index was skipped); consumers must then fall back to the
//! probe report alone.
use serde::{Deserialize, Serialize};

/// The task resolved against the code index.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// Every name the task mentions, in the order it appears, with what it resolved to.
    pub names: Vec<NamedRef>,
    /// Files ranked by relevance to the task, best first; each says why.
    pub files: Vec<RankedFile>,
    /// Definitions ranked by relevance to the task, best first; each says why.
    pub symbols: Vec<SymbolRef>,
    /// Paths the task names that do not exist yet: files to create, not misses.
    pub to_create: Vec<String>,
    /// Tests (files or inline test modules) that exercise the ranked files and symbols, best
    /// first, in the project's own layout.
    pub tests: Vec<TestRef>,
    /// The test layouts the project uses, e.g. `inline #[cfg(test)] mod`, `tests/`,
    /// `*_test.go`, `test_*.py`, `*.test.ts`; empty when none was seen.
    pub test_layouts: Vec<String>,
    /// Every identifier the index saw, for checking the names a plan uses (Hephaestus's symbol
    /// integrity, docs/design.md §6a). In memory only: never serialized.
    #[serde(skip)]
    pub vocabulary: Vocabulary,
}

/// The identifiers of the repository, sorted and deduplicated (each list bounded by the index).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vocabulary {
    /// Every defined name (functions, types, variants, constants, fields, flags…).
    pub defined: Vec<String>,
    /// Every other identifier seen: names used (calls, types, paths, imported names), import
    /// path segments (external crates and packages the code uses) and file stems.
    pub used: Vec<String>,
}

impl Vocabulary {
    /// `true` when no index was built.
    pub fn is_empty(&self) -> bool {
        self.defined.is_empty() && self.used.is_empty()
    }

    /// `true` when `name` is defined in the repository.
    pub fn defines(&self, name: &str) -> bool {
        self.defined
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    /// `true` when `name` appears anywhere in the repository's code (defined or used).
    pub fn knows(&self, name: &str) -> bool {
        self.defines(name) || self.used.binary_search_by(|n| n.as_str().cmp(name)).is_ok()
    }
}

/// The form in which a name appears in the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameForm {
    /// A `backticked` span.
    Backticked,
    /// `CamelCase`.
    CamelCase,
    /// `snake_case` (also `SCREAMING_SNAKE`).
    SnakeCase,
    /// `dotted.path`.
    DottedPath,
    /// `Type::member`.
    PathMember,
    /// A `--flag`.
    Flag,
    /// A file path (`src/lib.rs`, `lib/parse-options.js`).
    FilePath,
}

/// One name of the task and its resolution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedRef {
    /// The name as the task writes it, without backticks.
    pub text: String,
    pub form: NameForm,
    /// `true` when a definition (or file) matched exactly; `false` for a fuzzy (case- and
    /// separator-insensitive) match or no match.
    pub exact: bool,
    /// The definitions it resolved to, best first (empty: unresolved).
    pub symbols: Vec<SymbolRef>,
    /// The files it resolved to (a file path, or the files defining the symbols).
    pub files: Vec<String>,
}

/// What kind of definition a symbol is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SymbolKind {
    Function,
    Method,
    /// struct, type alias, record, typedef.
    Type,
    Enum,
    EnumVariant,
    /// trait, interface, protocol.
    Trait,
    Class,
    Constant,
    Module,
    Field,
    /// A command-line flag whose long name appears in a definition's string literal.
    Flag,
}

/// One definition.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SymbolRef {
    /// The bare name (`ErrorKind`, `parse_counted_repetition`, `--json`).
    pub name: String,
    pub kind: SymbolKind,
    /// File that defines it.
    pub path: String,
    /// First and last line of the definition, 1-based inclusive.
    pub line_start: u32,
    pub line_end: u32,
    /// Enclosing scope (`ast::ErrorKind`, `Parser`, `impl Foo`), when there is one.
    pub scope: Option<String>,
    /// The definition's first line(s), trimmed and bounded, e.g. `pub enum ErrorKind {`.
    pub signature: Option<String>,
    /// Why it is here: `defines ErrorKind (named in the task)`, `calls parse_counted_repetition`.
    pub reason: String,
}

/// One file ranked by relevance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankedFile {
    pub path: String,
    /// Relevance score; only the order is meaningful.
    pub score: f64,
    /// Why, strongest first: `defines ErrorKind (named in the task)`, `mentions "repetition" ×4`.
    pub reasons: Vec<String>,
    /// `true` for a test file.
    pub is_test: bool,
}

/// A test location that exercises code the task is about.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestRef {
    /// The test file (for an inline module, the source file holding it).
    pub path: String,
    /// Inline test module or test class/function group, e.g. `tests` for Rust
    /// `#[cfg(test)] mod tests`, `TestParser` for a Python class; `None` for a whole file.
    pub module: Option<String>,
    /// Source files it exercises (by import, by name, or by layout).
    pub exercises: Vec<String>,
    /// Why: `imports src/ast/mod.rs`, `inline #[cfg(test)] mod in src/ast/mod.rs`, `tests/ layout`.
    pub reason: String,
}

/// The empty resolution, for contexts built without an index.
static EMPTY: Resolution = Resolution {
    names: Vec::new(),
    files: Vec::new(),
    symbols: Vec::new(),
    to_create: Vec::new(),
    tests: Vec::new(),
    test_layouts: Vec::new(),
    vocabulary: Vocabulary {
        defined: Vec::new(),
        used: Vec::new(),
    },
};

impl Resolution {
    /// A shared empty resolution (no index built), for borrowing contexts.
    pub fn empty() -> &'static Resolution {
        &EMPTY
    }

    /// `true` when no index was built or nothing matched.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.files.is_empty() && self.symbols.is_empty()
    }
}

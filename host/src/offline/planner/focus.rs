//! What a plan changes (docs/design.md §10): the files to modify, the functions and types to
//! change or add, the files to create and the tests to extend — from the code index's
//! resolution of the task when the probe built one, else from the probe report.
//!
//! From a resolution, in order:
//! 1. the files defining the names the task mentions (exact matches first, then fuzzy ones; at
//!    most [`MAX_FILES_PER_NAME`] per name, the ranked ones first; test files never);
//! 2. then the ranked files ([`Resolution::files`], test files excepted) whose score is at
//!    least [`RANKED_FLOOR`] of the best (or [`RANKED_FLOOR_NAMED`] once step 1 found a file),
//!    up to [`MAX_FILES`] in all: fewer, right files beat many;
//! 3. the symbols to change: those the task names, then the ranked symbols of those files,
//!    up to [`MAX_SYMBOLS`]; a name that resolved to nothing is a new symbol to add (to the
//!    definition it is added to — "Add `X` to `ErrorKind`" — when the task names one);
//! 4. the files to create: [`Resolution::to_create`] (a path the task names that does not
//!    exist);
//! 5. the tests to extend ([`super::testsite`]).
//!
//! Without a resolution the probe's ranked files are kept (as before the index), the task's
//! named paths that do not exist are files to create, and tests come from the probe.
use super::paths::is_test_path;
use super::testsite::{self, TestSite};
use crate::model::resolution::{NameForm, NamedRef, Resolution, SymbolKind, SymbolRef};
use crate::offline::clarity::leading_verb;
use crate::text::{cap_first as cap, prose_list};
use std::path::Path;

/// Most files a plan modifies from the index.
pub const MAX_FILES: usize = 3;
/// Most files one name contributes (a name defined in many files is ambiguous).
pub const MAX_FILES_PER_NAME: usize = 2;
/// A ranked file joins the files to modify when its score is at least this share of the best…
pub const RANKED_FLOOR: f64 = 0.5;
/// …and at least this share once the task's names resolved to a file.
pub const RANKED_FLOOR_NAMED: f64 = 0.75;
/// Most symbols the steps name.
pub const MAX_SYMBOLS: usize = 4;
/// Most test sites a plan extends.
pub const MAX_TESTS: usize = 2;

/// Leading verbs that add something new ("Add `X`", "Introduce trait Y").
const ADDING_VERBS: &[&str] = &[
    "add",
    "introduce",
    "implement",
    "create",
    "expose",
    "support",
    "build",
    "generate",
];
/// Leading verbs that move code into another file.
pub const MOVING_VERBS: &[&str] = &["move", "extract", "split"];
/// Nouns a task puts before a new name ("Add trait `X`", "Add the variant `Y`").
const NOUNS: &[&str] = &[
    "variant",
    "trait",
    "method",
    "function",
    "field",
    "struct",
    "class",
    "type",
    "enum",
    "option",
    "flag",
    "attribute",
    "interface",
    "constant",
    "module",
    "parameter",
    "argument",
    "hook",
    "endpoint",
    "command",
    "subcommand",
    "property",
    "macro",
    "decorator",
    "helper",
    "impl",
];
/// Words that introduce the definition a new name is added to ("Add `X` to `Y`").
const INTO: &[&str] = &["to", "in", "into", "on", "for", "of", "inside"];

/// An existing symbol the plan changes.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub symbol: SymbolRef,
    /// The task names it.
    pub named: bool,
}

/// A name the task mentions that the index does not know: a symbol to add (or an outside
/// API to use).
#[derive(Clone, Debug, PartialEq)]
pub struct NewName {
    /// As the task writes it (`RepetitionCountTooLarge`, `--dry-run`).
    pub name: String,
    /// What the task calls it ("variant", "trait"), if it says.
    pub noun: Option<String>,
    /// The definition it goes into ("Add `X` to `ErrorKind`").
    pub container: Option<SymbolRef>,
}

/// What the plan changes; see the module docs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Focus {
    /// Built from a code-index resolution (else from the probe report).
    pub indexed: bool,
    /// Existing files to modify, best first.
    pub files: Vec<String>,
    /// `(path, why)` for each of `files`.
    pub reasons: Vec<(String, String)>,
    /// Existing symbols to change, best first.
    pub changes: Vec<Change>,
    /// Names to add (or outside names to use).
    pub new_names: Vec<NewName>,
    /// Files to create that the task names.
    pub create: Vec<String>,
    /// Tests to extend, best first.
    pub tests: Vec<TestSite>,
    /// The task's leading verb (`add`, `deprecate`, …), if any.
    pub verb: Option<&'static str>,
    /// The task is about examples or demos, so their files may be changed
    /// ([`testsite::is_example_path`]); otherwise they never are.
    pub examples: bool,
}

impl Focus {
    /// The focus from a non-empty resolution of `task`; `root` is read only to check which
    /// test files exist.
    pub fn from_resolution(task: &str, res: &Resolution, root: &Path) -> Focus {
        let mut f = Focus {
            indexed: true,
            verb: leading_verb(task).map(|v| v.0),
            examples: testsite::task_mentions_examples(task),
            ..Default::default()
        };
        f.pick_files(res);
        f.pick_symbols(task, res);
        for p in &res.to_create {
            if !f.create.contains(p) {
                f.create.push(p.clone());
            }
        }
        f.tests = testsite::from_resolution(res, &f.files, root, MAX_TESTS);
        f
    }

    /// The focus without an index: the probe's ranked `sources` (with `reasons`), the task's
    /// named paths that do not exist under a readable `root` as files to create, and the
    /// probe's `tests`.
    pub fn from_probe(
        task: &str,
        sources: &[String],
        reasons: &[(String, String)],
        tests: &[String],
        root: &Path,
    ) -> Focus {
        let create = if root.is_dir() {
            crate::index::extract_names(task)
                .into_iter()
                .map(|m| (m.text.trim_start_matches("./").to_string(), m.form))
                .filter(|(n, form)| {
                    (*form == NameForm::FilePath
                        || *form == NameForm::Backticked && !n.contains(char::is_whitespace))
                        && names_a_file(n)
                        && !root.join(n).exists()
                })
                .map(|(n, _)| n)
                .collect()
        } else {
            Vec::new()
        };
        Focus {
            indexed: false,
            files: sources.to_vec(),
            reasons: reasons
                .iter()
                .filter(|(p, _)| sources.contains(p))
                .cloned()
                .collect(),
            changes: Vec::new(),
            new_names: Vec::new(),
            create,
            tests: testsite::from_probe(tests, sources, root),
            verb: leading_verb(task).map(|v| v.0),
            examples: testsite::task_mentions_examples(task),
        }
    }

    fn push_file(&mut self, path: &str, why: String) -> bool {
        if self.files.len() >= MAX_FILES
            || self.files.iter().any(|f| f == path)
            || is_test_path(path)
            || testsite::is_bench_path(path)
            || (!self.examples && testsite::is_example_path(path))
        {
            return false;
        }
        self.files.push(path.to_string());
        self.reasons.push((path.to_string(), why));
        true
    }

    /// Steps 1–2 of the module docs.
    fn pick_files(&mut self, res: &Resolution) {
        let rank = |p: &str| res.files.iter().position(|f| f.path == p);
        for exact in [true, false] {
            for n in res.names.iter().filter(|n| n.exact == exact) {
                let mut files: Vec<&String> = n.files.iter().collect();
                files.sort_by_key(|p| rank(p).unwrap_or(usize::MAX));
                let why = match n.form {
                    NameForm::FilePath => "named in the task".to_string(),
                    _ => format!("defines {} (named in the task)", n.text),
                };
                let mut taken = 0;
                for p in files {
                    if taken < MAX_FILES_PER_NAME && self.push_file(p, why.clone()) {
                        taken += 1;
                    }
                }
            }
        }
        let named = !self.files.is_empty();
        let ranked: Vec<_> = res
            .files
            .iter()
            .filter(|f| !f.is_test && !is_test_path(&f.path))
            .collect();
        let top = ranked.first().map(|f| f.score).unwrap_or(0.0);
        let floor = if named {
            RANKED_FLOOR_NAMED
        } else {
            RANKED_FLOOR
        };
        for f in ranked {
            if top > 0.0 && f.score < floor * top {
                break;
            }
            let why = f
                .reasons
                .first()
                .cloned()
                .unwrap_or_else(|| "ranked by the code index".to_string());
            self.push_file(&f.path, why);
        }
    }

    /// Step 3 of the module docs.
    fn pick_symbols(&mut self, task: &str, res: &Resolution) {
        let lower = task.to_lowercase();
        for n in &res.names {
            if n.form == NameForm::FilePath {
                continue;
            }
            if n.symbols.is_empty() && n.files.is_empty() {
                let noun = noun_before(&lower, &n.text);
                let container = container_after(&lower, n, res);
                self.new_names.push(NewName {
                    name: n.text.clone(),
                    noun,
                    container,
                });
                continue;
            }
            let mut taken = 0;
            for s in n.symbols.iter().filter(|s| !is_test_path(&s.path)) {
                if taken == MAX_FILES_PER_NAME || self.changes.len() >= MAX_SYMBOLS {
                    break;
                }
                if self.files.contains(&s.path) && !self.has_change(s) {
                    self.changes.push(Change {
                        symbol: s.clone(),
                        named: true,
                    });
                    taken += 1;
                }
            }
        }
        let task_terms = crate::index::words::terms(task);
        for s in &res.symbols {
            if self.changes.len() >= MAX_SYMBOLS {
                break;
            }
            // A ranked definition is the task's only when its name or its scope shares a word
            // with the task (`write` of the `UploadFile` the task names): one matched only
            // through its file's path (every function of `number.py` matches "number") is not.
            let own = crate::index::words::terms(&format!(
                "{} {}",
                s.name,
                s.scope.as_deref().unwrap_or("")
            ));
            if !own.iter().any(|t| task_terms.contains(t)) {
                continue;
            }
            if self.files.contains(&s.path) && !self.has_change(s) {
                // Moving code: a definition the task writes word for word is what moves
                // ("Move naturalsize into …"), though the task did not mark it as a name.
                let named = self.verb.is_some_and(|v| MOVING_VERBS.contains(&v))
                    && crate::text::contains_word(task, &s.name);
                self.changes.push(Change {
                    symbol: s.clone(),
                    named,
                });
            }
        }
    }

    fn has_change(&self, s: &SymbolRef) -> bool {
        self.changes
            .iter()
            .any(|c| c.symbol.name == s.name && c.symbol.path == s.path)
    }

    /// The definitions the task names that move into a file it names (`Move naturalsize into
    /// units.py`), as "`naturalsize` in `src/humanize/filesize.py`"; empty when the task moves
    /// nothing by name.
    pub fn moved(&self) -> Vec<String> {
        if !self.verb.is_some_and(|v| MOVING_VERBS.contains(&v)) || self.create.is_empty() {
            return Vec::new();
        }
        self.changes
            .iter()
            .filter(|c| c.named)
            .map(|c| format!("`{}` in `{}`", c.symbol.name, c.symbol.path))
            .collect()
    }

    /// The test to extend first, if any.
    pub fn test(&self) -> Option<&TestSite> {
        self.tests.first()
    }

    /// How steps name where the tests go: the first test site's label, else "the project's
    /// existing tests for `file`" (never a path made up from the task).
    pub fn tests_label(&self) -> String {
        match (self.test(), self.files.first()) {
            (Some(t), _) => t.label(),
            (None, Some(f)) => format!("the project's existing tests for `{f}`"),
            (None, None) => "the project's existing tests".to_string(),
        }
    }

    /// Who ranked the files: "the code index" or "the probe".
    pub fn ranked_by(&self) -> &'static str {
        if self.indexed {
            "the code index"
        } else {
            "the probe"
        }
    }

    /// The steps that name what to change, for the implementation phase: symbols to add (to
    /// their definition, in its file), named and ranked symbols to change (with file and
    /// lines), files the task names to create. Empty when the focus names none.
    pub fn steps(&self) -> Vec<String> {
        let mut out = Vec::new();
        let verb = self.verb.unwrap_or("change");
        let adding = ADDING_VERBS.contains(&verb);
        let home = self.create.first().or(self.files.first());
        for n in &self.new_names {
            out.push(new_name_step(n, adding, verb, home));
        }
        for c in &self.changes {
            if self
                .new_names
                .iter()
                .any(|n| n.container.as_ref() == Some(&c.symbol))
            {
                continue;
            }
            // The task's verb applies to what it names; a symbol ranked by word match is
            // "changed" ("Escape `utf`", "Allow `is`" read as nonsense) — unless the task adds
            // something new: then a ranked neighbour is the code to reuse or follow, not a
            // target ("Add normalized_osa_distance" does not change `normalized_levenshtein`).
            if adding && !self.new_names.is_empty() && !c.named {
                out.push(related_step(c));
                continue;
            }
            // Moved into a file the task names: the "Create … and move" step below says it.
            if c.named && MOVING_VERBS.contains(&verb) && !self.create.is_empty() {
                continue;
            }
            let verb = if adding || !c.named { "change" } else { verb };
            out.push(change_step(c, verb));
        }
        for p in &self.create {
            let named: Vec<&Change> = self.changes.iter().filter(|c| c.named).collect();
            if MOVING_VERBS.contains(&verb) && !named.is_empty() {
                let what: Vec<String> = named
                    .iter()
                    .map(|c| format!("`{}` (from `{}`)", c.symbol.name, c.symbol.path))
                    .collect();
                out.push(format!(
                    "Create `{p}` and move {} into it; import it where it was used, so callers keep working.",
                    prose_list(&what, "")
                ));
            } else {
                out.push(format!(
                    "Create `{p}`, the new file the task names, and declare or import it where the project wires files together."
                ));
            }
        }
        out
    }
}

/// Whether a name the task writes is a file path: a safe relative path whose extension is a
/// source or configuration file's (`lib/parse-options.js`, `utils.py`; not `os.path`).
fn names_a_file(n: &str) -> bool {
    let ext = super::paths::ext_of(n).unwrap_or("");
    crate::model::validate::path_problem(n).is_none()
        && (super::paths::is_code_path(n)
            || matches!(ext, "toml" | "json" | "yml" | "yaml" | "md" | "cfg" | "ini"))
}

/// "Add the variant `X` to `ErrorKind` in `src/ast/mod.rs`.", or "Use `pflag.X` in `cmd.go`."
fn new_name_step(n: &NewName, adding: bool, verb: &str, home: Option<&String>) -> String {
    let noun = n
        .noun
        .clone()
        .or_else(|| {
            n.container.as_ref().and_then(|c| match c.kind {
                SymbolKind::Enum => Some("variant".to_string()),
                _ => None,
            })
        })
        .map(|w| format!("the {w} "))
        .unwrap_or_default();
    if !adding {
        let place = home.map(|h| format!(" in `{h}`")).unwrap_or_default();
        return format!("{} `{}`{place}.", cap(verb), n.name);
    }
    match (&n.container, home) {
        (Some(c), _) => format!(
            "Add {noun}`{}` to `{}` in `{}` (lines {}–{}).",
            n.name, c.name, c.path, c.line_start, c.line_end
        ),
        (None, Some(h)) => format!("Add {noun}`{}` in `{h}`.", n.name),
        (None, None) => format!("Add {noun}`{}`.", n.name),
    }
}

/// "Deprecate `BaseThing` (class) in `src/cmd.py` (lines 10–80)." (plus why, for a ranked one).
fn change_step(c: &Change, verb: &str) -> String {
    let s = &c.symbol;
    let base = format!("{} {}", cap(verb), located(s));
    if c.named || s.reason.is_empty() {
        format!("{base}.")
    } else {
        format!("{base}: {}.", s.reason.trim_end_matches('.'))
    }
}

/// "Reuse or follow `normalized_levenshtein` (function) in `src/lib.rs` (lines 285–290) …": a
/// ranked definition beside what the task adds, named so the new code fits it.
fn related_step(c: &Change) -> String {
    let s = &c.symbol;
    let why = if s.reason.is_empty() {
        String::new()
    } else {
        format!(" ({})", s.reason.trim_end_matches('.'))
    };
    format!(
        "Reuse or follow {}{why}; change it only where the new code needs it.",
        located(s)
    )
}

/// "`ErrorKind` (enum of `ast`) in `src/ast/mod.rs` (lines 1–3)": a definition as steps name it.
fn located(s: &SymbolRef) -> String {
    let scope = s
        .scope
        .as_ref()
        .map(|x| format!(" of `{x}`"))
        .unwrap_or_default();
    format!(
        "`{}` ({}{scope}) in `{}` (lines {}–{})",
        s.name,
        kind_word(s.kind),
        s.path,
        s.line_start,
        s.line_end
    )
}

/// The word for a symbol kind in prose.
pub fn kind_word(k: SymbolKind) -> &'static str {
    match k {
        SymbolKind::Function => "function",
        SymbolKind::Method => "method",
        SymbolKind::Type => "type",
        SymbolKind::Enum => "enum",
        SymbolKind::EnumVariant => "variant",
        SymbolKind::Trait => "trait",
        SymbolKind::Class => "class",
        SymbolKind::Constant => "constant",
        SymbolKind::Module => "module",
        SymbolKind::Field => "field",
        SymbolKind::Flag => "flag",
    }
}

/// The noun right before `name` in the lowercased task ("add trait `x`" → "trait"), skipping
/// "the", "a", "new".
fn noun_before(lower: &str, name: &str) -> Option<String> {
    let at = lower.find(&name.to_lowercase())?;
    lower[..at]
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .rfind(|w| !w.is_empty() && !matches!(*w, "the" | "a" | "an" | "new"))
        .filter(|w| NOUNS.contains(w))
        .map(str::to_string)
}

/// The resolved definition a new name is added to: the first name written after it, right
/// after "to", "in", "into", … ("Add `X` to `ast::ErrorKind`").
fn container_after(lower: &str, n: &NamedRef, res: &Resolution) -> Option<SymbolRef> {
    let at = lower.find(&n.text.to_lowercase())? + n.text.len();
    let rest = &lower[at..];
    res.names
        .iter()
        .filter(|m| !m.symbols.is_empty())
        .filter_map(|m| rest.find(&m.text.to_lowercase()).map(|i| (i, m)))
        .filter(|(i, _)| {
            let before: Vec<&str> = rest[..*i]
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty() && !matches!(*w, "the" | "a" | "an"))
                .collect();
            before.len() <= 2 && before.first().is_some_and(|w| INTO.contains(w))
        })
        .min_by_key(|(i, _)| *i)
        .and_then(|(_, m)| m.symbols.first().cloned())
}

#[cfg(test)]
mod tests;

//! One source file → its [`FileEntry`]: definitions, references, imports and inline test
//! modules, from the tags of the language's query ([`super::lang`]).
//!
//! Rules beyond the tags themselves:
//! - **Scope**: the enclosing definitions (types, traits, classes, `impl` blocks, modules,
//!   functions) whose byte range contains a definition, outermost first.
//! - **Signature**: the definition's text up to its body (`{`, `;`, or for Python the line
//!   ending in `:`), at most four lines, whitespace collapsed, at most
//!   [`Limits::max_signature_chars`] characters.
//! - **Flags**: every `--name` inside a string literal of at most [`MAX_FLAG_LITERAL`]
//!   characters (argparse, click, commander, picocli, clap's `"--x"`), clap's `.long("name")`,
//!   Go's `flag.Kind("name", …)` / `Flags().Kind("name", …)`, and clap-derive fields with
//!   `#[arg(long)]` (the field name, `_` → `-`) or `#[arg(long = "name")]`. A flag is a
//!   [`SymbolKind::Flag`] definition named `--name`, scoped by the definition holding it.
//! - **Kinds refined from the text**: a Java field declared `static final` is a constant; an
//!   assignment in the body of a Python class deriving from `Enum`/`IntEnum`/`StrEnum`/`Flag`
//!   is an enum variant.
//!   Flags inside a test file or a Rust `#[cfg(test)]` module are not declarations and are
//!   not indexed.
//! - **Rust test modules**: a `mod` preceded by `#[cfg(test)]` is a [`TestModule`]; a file whose
//!   head holds `#![cfg(test)]` is a test file.
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::atomic::AtomicUsize;
use std::sync::LazyLock;

use regex::Regex;
use tree_sitter_tags::TagsContext;

use super::lang::{self, Lang};
use super::layout;
use super::limits::Limits;
use super::{Definition, FileEntry, RefKind, Reference, SymbolKind, TestModule};

/// Longest string literal searched for `--flags`, in bytes (longer ones are prose).
pub const MAX_FLAG_LITERAL: usize = 200;
/// Most imports kept per file.
pub const MAX_IMPORTS: usize = 256;

thread_local! {
    static CONTEXT: RefCell<TagsContext> = RefCell::new(TagsContext::new());
}

static FLAG_IN_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^A-Za-z0-9-])--([A-Za-z][A-Za-z0-9_-]*)").expect("regex"));
static FLAG_CALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?:\.long\(\s*|\.[A-Z][A-Za-z0-9]*\(\s*(?:&[A-Za-z0-9_.]+\s*,\s*)?)"([A-Za-z][A-Za-z0-9_-]*)""#)
        .expect("regex")
});
static DERIVE_LONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"#\[(?:arg|clap|structopt)\(.*\blong\b(?:\s*=\s*"([A-Za-z0-9_-]+)")?"#)
        .expect("regex")
});
static REQUIRE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"require\s*\(\s*['"`]([^'"`]+)['"`]"#).expect("regex"));

/// Byte offset → 1-based line.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Lines(starts)
    }
    fn line(&self, byte: usize) -> u32 {
        u32::try_from(self.0.partition_point(|&s| s <= byte)).unwrap_or(u32::MAX)
    }
    fn count(&self, text: &str) -> u32 {
        let n = self.0.len() - usize::from(text.ends_with('\n'));
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// One tag, decoded.
struct RawTag {
    kind: String,
    definition: bool,
    name: String,
    range: Range<usize>,
}

/// Parses `text` (the file at `path`, language `lang`, content hash `hash`) into its entry.
///
/// # Errors
/// Why the file was not indexed: the build's time budget ran out while parsing it
/// (`cancel` set), or the language's query failed to compile (a bug, reported as a skip).
pub fn extract(
    path: &str,
    lang: Lang,
    text: &str,
    hash: String,
    limits: &Limits,
    cancel: Option<&AtomicUsize>,
) -> Result<FileEntry, String> {
    let config = lang::configuration(lang)?;
    let raw = CONTEXT.with(|c| -> Result<Vec<RawTag>, String> {
        let mut ctx = c.borrow_mut();
        let (tags, _) = ctx
            .generate_tags(&config, text.as_bytes(), cancel)
            .map_err(|e| cancelled_or(e, lang))?;
        let mut out = Vec::new();
        for tag in tags {
            let tag = tag.map_err(|e| cancelled_or(e, lang))?;
            let Some(name) = text.get(tag.name_range.clone()) else {
                continue;
            };
            out.push(RawTag {
                kind: config.syntax_type_name(tag.syntax_type_id).to_string(),
                definition: tag.is_definition,
                name: name.to_string(),
                range: tag.range,
            });
        }
        Ok(out)
    })?;
    Ok(assemble(path, lang, text, hash, raw, limits))
}

fn cancelled_or(e: tree_sitter_tags::Error, lang: Lang) -> String {
    match e {
        tree_sitter_tags::Error::Cancelled => "time budget spent".to_string(),
        e => format!("{} tags failed: {e}", lang.name()),
    }
}

fn symbol_kind(kind: &str) -> Option<SymbolKind> {
    Some(match kind {
        "function" | "macro" => SymbolKind::Function,
        "method" => SymbolKind::Method,
        "struct" | "type" => SymbolKind::Type,
        "enum" => SymbolKind::Enum,
        "enum_variant" => SymbolKind::EnumVariant,
        "trait" | "interface" => SymbolKind::Trait,
        "class" => SymbolKind::Class,
        "constant" => SymbolKind::Constant,
        "module" => SymbolKind::Module,
        "field" => SymbolKind::Field,
        _ => return None,
    })
}

/// Kinds whose body is a scope for the definitions inside.
fn is_container(kind: &str) -> bool {
    matches!(
        kind,
        "struct"
            | "enum"
            | "trait"
            | "interface"
            | "class"
            | "impl"
            | "module"
            | "function"
            | "method"
    )
}

fn ref_kind(kind: &str) -> Option<RefKind> {
    Some(match kind {
        "call" => RefKind::Call,
        "type" | "class" | "implementation" => RefKind::Type,
        "path" | "field" => RefKind::Path,
        "import_name" => RefKind::Import,
        _ => return None,
    })
}

fn assemble(
    path: &str,
    lang: Lang,
    text: &str,
    hash: String,
    mut raw: Vec<RawTag>,
    limits: &Limits,
) -> FileEntry {
    let lines = Lines::new(text);
    raw.sort_by(|a, b| {
        a.range
            .start
            .cmp(&b.range.start)
            .then(b.range.end.cmp(&a.range.end))
    });
    let sep = lang.scope_separator();
    let entry_is_test = layout::is_test_path(path) || head_is_cfg_test(lang, text);
    let mut entry = FileEntry {
        path: path.to_string(),
        lang,
        hash,
        lines: lines.count(text),
        is_test: entry_is_test,
        definitions: Vec::new(),
        references: Vec::new(),
        imports: Vec::new(),
        test_modules: Vec::new(),
        truncated: 0,
    };
    let mut refs: HashMap<(String, RefKind), usize> = HashMap::new();
    // Flags are declarations of the program, not of its tests: none in a test file or module.
    let test_ranges: Vec<Range<usize>> = raw
        .iter()
        .filter(|t| lang == Lang::Rust && t.definition && t.kind == "module")
        .filter(|t| preceded_by_cfg_test(text, t.range.start))
        .map(|t| t.range.clone())
        .collect();
    let in_tests = |at: usize| entry_is_test || test_ranges.iter().any(|r| r.contains(&at));
    // Open containers: (end byte, name).
    let mut stack: Vec<(usize, String)> = Vec::new();
    for tag in &raw {
        while stack.last().is_some_and(|(end, _)| *end <= tag.range.start) {
            stack.pop();
        }
        let scope = (!stack.is_empty()).then(|| {
            stack
                .iter()
                .map(|(_, n)| n.as_str())
                .collect::<Vec<_>>()
                .join(sep)
        });
        if tag.definition {
            if tag.kind == "impl" {
                add_ref(
                    &mut entry,
                    &mut refs,
                    &tag.name,
                    RefKind::Type,
                    lines.line(tag.range.start),
                    limits,
                );
            } else if let Some(kind) = symbol_kind(&tag.kind) {
                let def = definition(lang, text, &lines, tag, kind, scope.clone(), limits);
                if lang == Lang::Rust
                    && kind == SymbolKind::Module
                    && preceded_by_cfg_test(text, tag.range.start)
                {
                    entry.test_modules.push(TestModule {
                        name: def.name.clone(),
                        line_start: def.line_start,
                        line_end: def.line_end,
                        external: text[tag.range.clone()].trim_end().ends_with(';'),
                    });
                }
                if lang == Lang::Rust && kind == SymbolKind::Field && !in_tests(tag.range.start) {
                    derive_flag(&mut entry, text, &lines, tag, &scope, limits);
                }
                push_def(&mut entry, def, limits);
            }
            if is_container(&tag.kind) {
                stack.push((tag.range.end, tag.name.clone()));
            }
            continue;
        }
        let line = lines.line(tag.range.start);
        match tag.kind.as_str() {
            "import" => push_import(&mut entry, lang, &tag.name),
            "flag" | "flag_call" if in_tests(tag.range.start) => {}
            "flag" => literal_flags(&mut entry, tag, line, &scope, limits),
            "flag_call" => {
                if let Some(c) = FLAG_CALL.captures_iter(&tag.name).last() {
                    let flag = format!("--{}", &c[1]);
                    push_flag(&mut entry, flag, line, &scope, &tag.name, limits);
                }
            }
            k => {
                if let Some(rk) = ref_kind(k) {
                    add_ref(&mut entry, &mut refs, &tag.name, rk, line, limits);
                }
            }
        }
    }
    refine_kinds(&mut entry, lang);
    entry
}

fn definition(
    lang: Lang,
    text: &str,
    lines: &Lines,
    tag: &RawTag,
    kind: SymbolKind,
    scope: Option<String>,
    limits: &Limits,
) -> Definition {
    Definition {
        name: tag.name.clone(),
        kind,
        line_start: lines.line(tag.range.start),
        line_end: lines.line(tag.range.end.saturating_sub(1).max(tag.range.start)),
        scope,
        signature: signature(lang, &text[tag.range.clone()], limits.max_signature_chars),
    }
}

fn push_def(entry: &mut FileEntry, def: Definition, limits: &Limits) {
    if entry.definitions.len() < limits.max_definitions_per_file {
        entry.definitions.push(def);
    } else {
        entry.truncated += 1;
    }
}

fn add_ref(
    entry: &mut FileEntry,
    seen: &mut HashMap<(String, RefKind), usize>,
    name: &str,
    kind: RefKind,
    line: u32,
    limits: &Limits,
) {
    if name.is_empty() || name.len() > 128 {
        return;
    }
    if let Some(&i) = seen.get(&(name.to_string(), kind)) {
        entry.references[i].count = entry.references[i].count.saturating_add(1);
        return;
    }
    if entry.references.len() >= limits.max_references_per_file {
        entry.truncated += 1;
        return;
    }
    seen.insert((name.to_string(), kind), entry.references.len());
    entry.references.push(Reference {
        name: name.to_string(),
        kind,
        line,
        count: 1,
    });
}

fn push_import(entry: &mut FileEntry, lang: Lang, text: &str) {
    if entry.imports.len() >= MAX_IMPORTS {
        entry.truncated += 1;
        return;
    }
    let cleaned = match lang {
        Lang::JavaScript | Lang::TypeScript | Lang::Tsx if text.starts_with("require") => {
            match REQUIRE.captures(text) {
                Some(c) => c[1].to_string(),
                None => return,
            }
        }
        _ => text
            .trim_matches(|c| c == '"' || c == '\'' || c == '`')
            .to_string(),
    };
    let cleaned: String = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    if !cleaned.is_empty() && !entry.imports.contains(&cleaned) {
        entry.imports.push(cleaned);
    }
}

fn literal_flags(
    entry: &mut FileEntry,
    tag: &RawTag,
    line: u32,
    scope: &Option<String>,
    limits: &Limits,
) {
    if tag.name.len() > MAX_FLAG_LITERAL {
        return;
    }
    for c in FLAG_IN_LITERAL.captures_iter(&tag.name) {
        let flag = format!("--{}", c[1].trim_end_matches('-'));
        push_flag(entry, flag, line, scope, &tag.name, limits);
    }
}

fn push_flag(
    entry: &mut FileEntry,
    flag: String,
    line: u32,
    scope: &Option<String>,
    literal: &str,
    limits: &Limits,
) {
    if entry
        .definitions
        .iter()
        .any(|d| d.kind == SymbolKind::Flag && d.name == flag && d.line_start == line)
    {
        return;
    }
    let def = Definition {
        name: flag,
        kind: SymbolKind::Flag,
        line_start: line,
        line_end: line,
        scope: scope.clone(),
        signature: Some(bounded(&collapse(literal), limits.max_signature_chars)),
    };
    push_def(entry, def, limits);
}

/// A clap-derive field (`#[arg(long)] dry_run: bool`) declares `--dry-run`.
fn derive_flag(
    entry: &mut FileEntry,
    text: &str,
    lines: &Lines,
    tag: &RawTag,
    scope: &Option<String>,
    limits: &Limits,
) {
    for attr in attribute_lines(text, tag.range.start) {
        if let Some(c) = DERIVE_LONG.captures(attr) {
            let name = c
                .get(1)
                .map(|m| m.as_str().to_string())
                .unwrap_or_else(|| tag.name.replace('_', "-"));
            let line = lines.line(tag.range.start);
            push_flag(entry, format!("--{name}"), line, scope, attr.trim(), limits);
            return;
        }
    }
}

/// The attribute and comment lines right above byte `start` (nearest first), at most eight.
fn attribute_lines(text: &str, start: usize) -> impl Iterator<Item = &str> {
    let before = &text[..start];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    text[..line_start].lines().rev().take(8).take_while(|l| {
        let t = l.trim_start();
        t.starts_with("#[")
            || t.starts_with("//")
            || t.starts_with("///")
            || t.ends_with(")]")
            || t.ends_with(',')
    })
}

fn preceded_by_cfg_test(text: &str, start: usize) -> bool {
    attribute_lines(text, start).any(|l| l.replace(' ', "").contains("#[cfg(test)]"))
        || text[text[..start].rfind('\n').map_or(0, |i| i + 1)..start]
            .replace(' ', "")
            .contains("#[cfg(test)]")
}

fn head_is_cfg_test(lang: Lang, text: &str) -> bool {
    lang == Lang::Rust
        && text
            .lines()
            .take(40)
            .any(|l| l.replace(' ', "").starts_with("#![cfg(test)]"))
}

/// Java `static final` fields are constants; assignments in a Python `Enum` class are variants.
fn refine_kinds(entry: &mut FileEntry, lang: Lang) {
    match lang {
        Lang::Java => {
            for d in &mut entry.definitions {
                let sig = d.signature.as_deref().unwrap_or("");
                if d.kind == SymbolKind::Field && sig.contains("static") && sig.contains("final") {
                    d.kind = SymbolKind::Constant;
                }
            }
        }
        Lang::Python => {
            let enums: Vec<String> = entry
                .definitions
                .iter()
                .filter(|d| d.kind == SymbolKind::Class)
                .filter(|d| {
                    let sig = d.signature.as_deref().unwrap_or("");
                    ["Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"]
                        .iter()
                        .any(|b| {
                            sig.contains(&format!("({b}"))
                                || sig.contains(&format!(".{b})"))
                                || sig.contains(&format!(" {b})"))
                        })
                })
                .map(|d| match &d.scope {
                    Some(s) => format!("{s}.{}", d.name),
                    None => d.name.clone(),
                })
                .collect();
            for d in &mut entry.definitions {
                if d.kind == SymbolKind::Field
                    && d.scope.as_ref().is_some_and(|s| enums.contains(s))
                {
                    d.kind = SymbolKind::EnumVariant;
                }
            }
        }
        _ => {}
    }
}

/// Whitespace runs collapsed to one space.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, `…` appended when cut.
fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The head of a definition's text (see the module rules).
pub fn signature(lang: Lang, def_text: &str, max: usize) -> Option<String> {
    let mut head = String::new();
    for (i, line) in def_text.lines().enumerate() {
        if i >= 4 {
            break;
        }
        let t = line.trim();
        if lang == Lang::Python {
            head.push_str(t);
            head.push(' ');
            if t.ends_with(':') {
                break;
            }
            continue;
        }
        if let Some(cut) = t.find(['{', ';']) {
            head.push_str(&t[..cut]);
            break;
        }
        head.push_str(t);
        head.push(' ');
    }
    let head = collapse(&head);
    let head = head.trim_end_matches([':', '=', ' ']).trim();
    (!head.is_empty()).then(|| bounded(head, max))
}

#[cfg(test)]
mod tests;

//! The task resolved against the code index (docs/design.md §10, "grounding"): the names it
//! mentions looked up, files and symbols ranked, tests found, paths to create listed.
//!
//! 1. **Names** ([`super::names::extract_names`]) are looked up exactly first, then fuzzily
//!    (case and separators ignored, [`super::words::fuzzy_key`]). A `Type::member` or
//!    `dotted.path` resolves its last segment, narrowed to definitions whose scope or file
//!    names the segment before it; when the last segment is unknown (a member to add), the
//!    segment before it is resolved instead. A file path resolves to that file, or to the
//!    files whose path ends with it; an unknown path with an extension is a file to create. A
//!    `--flag` resolves to flag declarations only, and no other name resolves to a flag.
//! 2. **Files** are ranked by BM25 over identifier words ([`super::rank`]), normalised to
//!    [0, 1], plus boosts: [`NAMED_FILE`] for a path the task names, [`DEFINES_EXACT`] /
//!    [`DEFINES_FUZZY`] for defining a name the task mentions, [`USES_NAMED`] (times the edge's
//!    weight, at most 1) for using one; test files count [`TEST_FACTOR`] of their score (their
//!    place is [`Resolution::tests`]). Each file lists its reasons, strongest first.
//! 3. **Symbols**: the resolved definitions first, then BM25 over the definitions of the top
//!    [`SYMBOL_POOL_FILES`] source files (not those inside an inline test module), weighted by
//!    their file's score.
//! 4. **Tests**: the tests that exercise the top source files and the files of resolved
//!    symbols ([`super::graph::Graph::tests_of`]), in the project's own layouts.
//!
//! Every list is bounded ([`MAX_FILES`], [`MAX_SYMBOLS`], [`MAX_TESTS`], …).
use std::collections::{BTreeMap, HashMap, HashSet};

use super::names::{extract_names, Mention, NameForm};
use super::rank::{self, Bm25};
use super::{words, CodeIndex, DefRef};
use crate::model::resolution::{NamedRef, RankedFile, Resolution, SymbolRef, TestRef, Vocabulary};

/// Boost for a file whose path the task names.
pub const NAMED_FILE: f64 = 4.0;
/// Boost for defining a name the task mentions (exact match).
pub const DEFINES_EXACT: f64 = 3.0;
/// Boost for defining a name the task mentions (fuzzy match).
pub const DEFINES_FUZZY: f64 = 1.5;
/// Boost for using a name the task mentions (times the edge weight, at most 1).
pub const USES_NAMED: f64 = 0.6;
/// Share of its score a test file keeps in the file ranking.
pub const TEST_FACTOR: f64 = 0.5;
/// Ranked files kept.
pub const MAX_FILES: usize = 20;
/// Ranked symbols kept.
pub const MAX_SYMBOLS: usize = 30;
/// Definitions kept per name.
pub const MAX_SYMBOLS_PER_NAME: usize = 8;
/// Tests kept.
pub const MAX_TESTS: usize = 12;
/// Files whose definitions are candidate symbols for BM25.
pub const SYMBOL_POOL_FILES: usize = 40;
/// Most identifiers carried in [`Resolution::vocabulary`] (each list).
pub const MAX_VOCABULARY: usize = 200_000;

/// The task resolved against `index` (see the module steps). An empty index gives a resolution
/// with only `names` (all unresolved) and `to_create`.
pub fn resolve(index: &CodeIndex, task: &str) -> Resolution {
    let mentions = extract_names(task);
    let query = words::terms(&without_new_paths(index, task, &mentions));
    let file_bm25 = bm25_files(index, &query);
    let mut names = Vec::new();
    let mut to_create = Vec::new();
    for m in &mentions {
        let named = lookup(index, m, &file_bm25);
        if m.shape == NameForm::FilePath && named.files.is_empty() && creatable(&m.text) {
            to_create.push(m.text.trim_start_matches("./").to_string());
        }
        names.push(named);
    }
    let files = rank_files(index, &names, &file_bm25, &query);
    let symbols = rank_symbols(index, &names, &files, &query);
    let tests = find_tests(index, &files, &symbols);
    Resolution {
        names,
        files,
        symbols,
        to_create,
        tests,
        test_layouts: index.graph.layouts.iter().map(|(l, _)| l.clone()).collect(),
        vocabulary: vocabulary(index),
    }
}

/// BM25 file scores normalised to [0, 1], by file index.
fn bm25_files(index: &CodeIndex, query: &[String]) -> FileScores {
    let docs: Vec<Vec<String>> = index.files.iter().map(rank::file_document).collect();
    let bm = Bm25::new(docs);
    let hits = bm.search(query);
    let max = hits.first().map_or(1.0, |h| h.1).max(f32::EPSILON);
    FileScores {
        scores: hits.iter().map(|&(i, s)| (i, f64::from(s / max))).collect(),
        bm,
    }
}

struct FileScores {
    scores: HashMap<usize, f64>,
    bm: Bm25,
}

impl FileScores {
    fn of(&self, index: &CodeIndex, path: &str) -> f64 {
        index
            .files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .and_then(|i| self.scores.get(&i).copied())
            .unwrap_or(0.0)
    }
}

/// Looks one mention up (module step 1).
fn lookup(index: &CodeIndex, m: &Mention, fs: &FileScores) -> NamedRef {
    let mut named = NamedRef {
        text: m.text.clone(),
        form: m.form,
        exact: false,
        symbols: Vec::new(),
        files: Vec::new(),
    };
    if m.shape == NameForm::FilePath {
        let (exact, files) = lookup_path(index, &m.text);
        named.exact = exact;
        named.files = files;
        return named;
    }
    let segments = m.segments();
    let skip = ["self", "crate", "super", "this", "Self"];
    let candidates: Vec<&str> = segments
        .iter()
        .rev()
        .copied()
        .filter(|s| !skip.contains(s))
        .collect();
    // A `--flag` resolves to flags only, and other names never to a flag.
    let is_flag = m.shape == NameForm::Flag;
    let kind_fits = |d: &DefRef<'_>| (d.def.kind == super::SymbolKind::Flag) == is_flag;
    for (depth, seg) in candidates.iter().enumerate() {
        let mut defs: Vec<DefRef<'_>> = index
            .definitions(seg)
            .into_iter()
            .filter(kind_fits)
            .collect();
        let mut exact = !defs.is_empty();
        if defs.is_empty() {
            defs = index
                .fuzzy_definitions(seg)
                .into_iter()
                .filter(kind_fits)
                .collect();
        }
        if defs.is_empty() {
            continue;
        }
        if let Some(parent) = candidates.get(depth + 1) {
            let pk = words::fuzzy_key(parent);
            let narrowed: Vec<DefRef<'_>> = defs
                .iter()
                .copied()
                .filter(|d| {
                    d.def
                        .scope
                        .as_deref()
                        .is_some_and(|s| words::fuzzy_key(s).contains(&pk))
                        || words::fuzzy_key(&d.file.path).contains(&pk)
                })
                .collect();
            if !narrowed.is_empty() {
                defs = narrowed;
            }
        }
        exact &= depth == 0;
        defs.sort_by(|a, b| {
            fs.of(index, &b.file.path)
                .total_cmp(&fs.of(index, &a.file.path))
                .then(a.file.is_test.cmp(&b.file.is_test))
                .then(a.file.path.cmp(&b.file.path))
                .then(a.def.line_start.cmp(&b.def.line_start))
        });
        defs.truncate(MAX_SYMBOLS_PER_NAME);
        let how = if exact {
            "named in the task"
        } else {
            "matches a name in the task"
        };
        named.exact = exact;
        named.symbols = defs
            .iter()
            .map(|d| d.to_symbol(format!("{} `{}` ({how})", verb(d), m.text)))
            .collect();
        for d in &defs {
            if !named.files.contains(&d.file.path) {
                named.files.push(d.file.path.clone());
            }
        }
        return named;
    }
    // A snake_case or CamelCase name may name a module: a file whose stem matches.
    let key = words::fuzzy_key(&m.text);
    named.files = index
        .paths
        .iter()
        .filter(|p| {
            index.file(p).is_some() && words::fuzzy_key(&super::layout::source_stem(p)) == key
        })
        .take(MAX_SYMBOLS_PER_NAME)
        .cloned()
        .collect();
    named
}

fn verb(d: &DefRef<'_>) -> &'static str {
    if d.def.kind == super::SymbolKind::Flag {
        "declares"
    } else {
        "defines"
    }
}

/// `(exact, files)` for a path the task names: the file itself, the files under a directory,
/// or the files whose path ends with it.
/// `task` with the file paths it names that match nothing in the index and would be files to
/// create ([`Resolution::to_create`]'s rule) cut out: the words of
/// a file to create (`src/humanize/units.py`) say where new code goes, not which existing
/// files are relevant ("units" ranked every file defining a `Unit`).
fn without_new_paths(index: &CodeIndex, task: &str, mentions: &[Mention]) -> String {
    let mut text = task.to_string();
    for m in mentions.iter().filter(|m| m.shape == NameForm::FilePath) {
        let (_, files) = lookup_path(index, &m.text);
        if files.is_empty() && creatable(&m.text) {
            text = text.replace(&m.text, " ");
        }
    }
    text
}

fn lookup_path(index: &CodeIndex, text: &str) -> (bool, Vec<String>) {
    let p = text.trim_start_matches("./");
    if index.has_path(p) {
        return (true, vec![p.to_string()]);
    }
    let dir = format!("{}/", p.trim_end_matches('/'));
    let under: Vec<String> = index
        .paths
        .iter()
        .filter(|x| x.starts_with(&dir))
        .take(MAX_SYMBOLS_PER_NAME)
        .cloned()
        .collect();
    if !under.is_empty() {
        return (true, under);
    }
    let suffix = format!("/{p}");
    let ends: Vec<String> = index
        .paths
        .iter()
        .filter(|x| x.ends_with(&suffix))
        .take(4)
        .cloned()
        .collect();
    (false, ends)
}

/// A path worth creating: a file name with an extension, inside the repository.
fn creatable(text: &str) -> bool {
    let p = text.trim_start_matches("./");
    let name = p.rsplit('/').next().unwrap_or(p);
    !p.starts_with('/')
        && !p.split('/').any(|s| s == "..")
        && name.contains('.')
        && !name.starts_with('.')
}

struct FileScore {
    score: f64,
    reasons: Vec<(f64, String)>,
}

fn rank_files(
    index: &CodeIndex,
    names: &[NamedRef],
    fs: &FileScores,
    query: &[String],
) -> Vec<RankedFile> {
    let mut acc: BTreeMap<String, FileScore> = BTreeMap::new();
    let mut bump = |path: &str, points: f64, reason: String| {
        let e = acc.entry(path.to_string()).or_insert(FileScore {
            score: 0.0,
            reasons: Vec::new(),
        });
        e.score += points;
        if !e.reasons.iter().any(|(_, r)| *r == reason) {
            e.reasons.push((points, reason));
        }
    };
    for (&i, &s) in &fs.scores {
        let matched = fs.bm.matched(i, query);
        let words: Vec<String> = matched
            .iter()
            .take(5)
            .map(|(t, n)| {
                if *n > 1 {
                    format!("{t} ×{n}")
                } else {
                    t.clone()
                }
            })
            .collect();
        bump(
            &index.files[i].path,
            s,
            format!("matches {}", words.join(", ")),
        );
    }
    for n in names {
        if n.symbols.is_empty() {
            for p in &n.files {
                let points = if n.exact {
                    NAMED_FILE
                } else {
                    NAMED_FILE / 2.0
                };
                bump(p, points, format!("is `{}` (named in the task)", n.text));
            }
            continue;
        }
        let boost = if n.exact {
            DEFINES_EXACT
        } else {
            DEFINES_FUZZY
        };
        let mut defining = HashSet::new();
        for s in &n.symbols {
            if defining.insert(s.path.clone()) {
                let how = if n.exact {
                    "named in the task"
                } else {
                    "close to a name in the task"
                };
                let verb = if s.kind == super::SymbolKind::Flag {
                    "declares"
                } else {
                    "defines"
                };
                bump(&s.path, boost, format!("{verb} {} ({how})", s.name));
            }
        }
        let sym = &n.symbols[0].name;
        for path in &defining {
            for e in index.graph.users_of(path) {
                if e.names.iter().any(|x| x == sym) {
                    let points = USES_NAMED * f64::from(e.weight.min(1.0));
                    bump(&e.from, points, format!("uses {sym} (defined in {path})"));
                }
            }
        }
    }
    let mut out: Vec<RankedFile> = acc
        .into_iter()
        .map(|(path, mut fscore)| {
            let is_test = index
                .file(&path)
                .map_or_else(|| super::layout::is_test_path(&path), |f| f.is_test);
            let score = if is_test {
                fscore.score * TEST_FACTOR
            } else {
                fscore.score
            };
            fscore.reasons.sort_by(|a, b| b.0.total_cmp(&a.0));
            RankedFile {
                path,
                score: (score * 1000.0).round() / 1000.0,
                reasons: fscore.reasons.into_iter().map(|(_, r)| r).collect(),
                is_test,
            }
        })
        .filter(|f| f.score > 0.0)
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.path.cmp(&b.path)));
    out.truncate(MAX_FILES);
    out
}

fn rank_symbols(
    index: &CodeIndex,
    names: &[NamedRef],
    files: &[RankedFile],
    query: &[String],
) -> Vec<SymbolRef> {
    let mut out: Vec<SymbolRef> = Vec::new();
    let key = |s: &SymbolRef| (s.path.clone(), s.line_start, s.name.clone());
    let mut seen = HashSet::new();
    for n in names {
        for s in &n.symbols {
            if seen.insert(key(s)) {
                out.push(s.clone());
            }
        }
    }
    let pool: Vec<DefRef<'_>> = files
        .iter()
        .filter(|f| !f.is_test)
        .take(SYMBOL_POOL_FILES)
        .filter_map(|f| index.file(&f.path))
        .flat_map(|file| {
            file.definitions
                .iter()
                .filter(|def| !file.in_test_module(def.line_start))
                .map(move |def| DefRef { file, def })
        })
        .collect();
    let file_score: HashMap<&str, f64> = files.iter().map(|f| (f.path.as_str(), f.score)).collect();
    let top_file = files.first().map_or(1.0, |f| f.score).max(f64::EPSILON);
    let bm = Bm25::new(pool.iter().map(rank::definition_document).collect());
    let mut scored: Vec<(f64, usize)> = bm
        .search(query)
        .into_iter()
        .map(|(i, s)| {
            (
                f64::from(s)
                    * (0.5
                        + 0.5
                            * file_score
                                .get(pool[i].file.path.as_str())
                                .copied()
                                .unwrap_or(0.0)
                            / top_file),
                i,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in scored {
        if out.len() >= MAX_SYMBOLS {
            break;
        }
        let d = &pool[i];
        let words: Vec<String> = bm.matched(i, query).into_iter().map(|(t, _)| t).collect();
        let s = d.to_symbol(format!("matches {} in {}", words.join(", "), d.file.path));
        if seen.insert(key(&s)) {
            out.push(s);
        }
    }
    out.truncate(MAX_SYMBOLS);
    out
}

fn find_tests(index: &CodeIndex, files: &[RankedFile], symbols: &[SymbolRef]) -> Vec<TestRef> {
    let mut sources: Vec<&str> = Vec::new();
    for s in symbols.iter().filter(|s| s.reason.contains("in the task")) {
        if !sources.contains(&s.path.as_str()) {
            sources.push(&s.path);
        }
    }
    for f in files.iter().filter(|f| !f.is_test).take(8) {
        if !sources.contains(&f.path.as_str()) {
            sources.push(&f.path);
        }
    }
    let mut out: Vec<TestRef> = Vec::new();
    for src in sources {
        for link in index.graph.tests_of(src) {
            if let Some(t) = out
                .iter_mut()
                .find(|t| t.path == link.test && t.module == link.module)
            {
                if !t.exercises.iter().any(|e| e == src) {
                    t.exercises.push(src.to_string());
                }
                continue;
            }
            if out.len() >= MAX_TESTS {
                continue;
            }
            out.push(TestRef {
                path: link.test.clone(),
                module: link.module.clone(),
                exercises: vec![src.to_string()],
                reason: link.detail.clone(),
            });
        }
    }
    out
}

/// Every identifier the index saw, for checking the names a plan uses (Hephaestus).
fn vocabulary(index: &CodeIndex) -> Vocabulary {
    let mut defined: Vec<String> = index
        .defined_names()
        .into_iter()
        .map(str::to_string)
        .collect();
    defined.truncate(MAX_VOCABULARY);
    let mut used: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = defined.iter().map(String::as_str).collect();
    let mut extra: Vec<&str> = Vec::new();
    for f in &index.files {
        for r in &f.references {
            if seen.insert(&r.name) {
                extra.push(&r.name);
            }
        }
        for i in &f.imports {
            for seg in i.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                if !seg.is_empty() && seen.insert(seg) {
                    extra.push(seg);
                }
            }
        }
    }
    for p in &index.paths {
        let stem = super::layout::source_stem(p);
        if !seen.contains(stem.as_str()) {
            used.push(stem);
        }
    }
    used.extend(extra.into_iter().map(str::to_string));
    used.sort();
    used.dedup();
    used.truncate(MAX_VOCABULARY);
    Vocabulary { defined, used }
}

#[cfg(test)]
mod tests;

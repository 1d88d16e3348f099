//! References between files and the tests that exercise each source file, derived from the
//! per-file entries (docs/design.md §10, "grounding").
//!
//! **Imports** are resolved to files per language: Rust `use crate::a::b` / `self::` /
//! `super::` / `<crate>::` against the crate's `src/` (`a/b.rs`, `a/b/mod.rs`, the longest
//! prefix that exists); Python `from .m import x`, `pkg.m` (`pkg/m.py`, `pkg/m/__init__.py`, at
//! any depth of the repository); JavaScript/TypeScript relative specifiers (`./x` → `x.ts`,
//! `x/index.js`, …); Go import paths to the package directory they end with; Java `a.b.C` to
//! `…/a/b/C.java` (`a.b.*` to the directory).
//!
//! **Name edges**: a file that uses a name defined in another file refers to it, when the name
//! is defined in at most [`MAX_DEFINERS`] files (common names like `new` or `get` say nothing),
//! or when one of its definers is a file the user imports (then only those). An edge's weight
//! sums `1 / definers` over its names.
//!
//! **Test links**, strongest first: an inline Rust `#[cfg(test)] mod` exercises its file (and
//! `#[cfg(test)] mod tests;` makes `tests.rs` beside it a test of that file); a test file
//! exercises what it imports; a test file exercises the source file its name points at
//! ([`super::layout::subject_stem`]: same directory first, then the mirrored `src/main` ↔
//! `src/test` directory, then anywhere when at most three files match); a test file exercises
//! the files defining the names it uses.
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::layout::{self, TestLayout};
use super::{FileEntry, Lang, SymbolKind};

/// Names defined in more files than this link no file by name alone.
pub const MAX_DEFINERS: usize = 4;
/// Names kept per edge (for its reason).
pub const MAX_EDGE_NAMES: usize = 8;

/// `from` uses names defined in `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileEdge {
    pub from: String,
    pub to: String,
    /// Names `from` uses that `to` defines, most specific first (at most [`MAX_EDGE_NAMES`]).
    pub names: Vec<String>,
    /// Sum over names of `1 / files defining the name`; an import adds 1.
    pub weight: f32,
    /// `from` imports `to`.
    pub imports: bool,
}

/// How a test was linked to a source file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkHow {
    Inline,
    Import,
    Layout,
    Name,
}

/// A test file or inline test module that exercises a source file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestLink {
    /// The test file (for an inline module, the source file holding it).
    pub test: String,
    /// The inline module's name, for inline tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub source: String,
    pub how: LinkHow,
    /// `inline #[cfg(test)] mod tests`, `imports src/ast/mod.rs`, `*_test.go beside parse.go`,
    /// `uses ErrorKind, parse`.
    pub detail: String,
}

/// The derived graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Graph {
    /// Sorted by (from, to).
    pub edges: Vec<FileEdge>,
    /// Sorted by (source, how, test).
    pub tests: Vec<TestLink>,
    /// Test layouts seen, with how many test files (or inline modules) follow each, most first.
    pub layouts: Vec<(String, u32)>,
}

impl Graph {
    /// Derives the graph of `files` (sorted by path).
    pub fn derive(files: &[FileEntry]) -> Graph {
        let ctx = Ctx::new(files);
        let mut edges: BTreeMap<(usize, usize), FileEdge> = BTreeMap::new();
        for (fi, f) in files.iter().enumerate() {
            let imported: HashSet<usize> = f
                .imports
                .iter()
                .flat_map(|i| ctx.resolve_import(fi, i))
                .filter(|&t| t != fi)
                .collect();
            for &t in &imported {
                edge(&mut edges, files, fi, t).imports = true;
                edge(&mut edges, files, fi, t).weight += 1.0;
            }
            name_edges(&ctx, fi, &imported, &mut edges);
        }
        let edges: Vec<FileEdge> = edges.into_values().collect();
        let tests = test_links(&ctx, &edges);
        let layouts = layouts(files);
        Graph {
            edges,
            tests,
            layouts,
        }
    }

    /// Edges into `path` (its users), heaviest first.
    pub fn users_of(&self, path: &str) -> Vec<&FileEdge> {
        let mut v: Vec<&FileEdge> = self.edges.iter().filter(|e| e.to == path).collect();
        v.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.from.cmp(&b.from)));
        v
    }

    /// Tests exercising `path`, strongest link first.
    pub fn tests_of(&self, path: &str) -> Vec<&TestLink> {
        let mut v: Vec<&TestLink> = self.tests.iter().filter(|t| t.source == path).collect();
        v.sort_by(|a, b| a.how.cmp(&b.how).then(a.test.cmp(&b.test)));
        v
    }
}

fn edge<'a>(
    edges: &'a mut BTreeMap<(usize, usize), FileEdge>,
    files: &[FileEntry],
    from: usize,
    to: usize,
) -> &'a mut FileEdge {
    edges.entry((from, to)).or_insert_with(|| FileEdge {
        from: files[from].path.clone(),
        to: files[to].path.clone(),
        names: Vec::new(),
        weight: 0.0,
        imports: false,
    })
}

fn name_edges(
    ctx: &Ctx<'_>,
    fi: usize,
    imported: &HashSet<usize>,
    edges: &mut BTreeMap<(usize, usize), FileEdge>,
) {
    let f = &ctx.files[fi];
    let own: HashSet<&str> = f.definitions.iter().map(|d| d.name.as_str()).collect();
    let mut seen = HashSet::new();
    for r in &f.references {
        if own.contains(r.name.as_str()) || !seen.insert(r.name.as_str()) {
            continue;
        }
        let Some(definers) = ctx.definers.get(r.name.as_str()) else {
            continue;
        };
        let near: Vec<usize> = definers
            .iter()
            .copied()
            .filter(|d| imported.contains(d) || ctx.same_package(fi, *d))
            .collect();
        let targets: Vec<usize> = if !near.is_empty() {
            near
        } else if definers.len() <= MAX_DEFINERS {
            definers.clone()
        } else {
            continue;
        };
        let w = 1.0 / targets.len() as f32;
        for t in targets {
            if t == fi {
                continue;
            }
            let e = edge(edges, ctx.files, fi, t);
            e.weight += w;
            if e.names.len() < MAX_EDGE_NAMES && !e.names.contains(&r.name) {
                e.names.push(r.name.clone());
            }
        }
    }
}

/// Lookups shared by import resolution and linking.
struct Ctx<'a> {
    files: &'a [FileEntry],
    by_path: HashMap<&'a str, usize>,
    /// Name → files defining it (linkable kinds only).
    definers: HashMap<&'a str, Vec<usize>>,
    /// Python dotted module name (every suffix of the path) → files.
    py_modules: HashMap<String, Vec<usize>>,
    /// Directory → files in it.
    dirs: HashMap<&'a str, Vec<usize>>,
    /// File name → files with that name.
    by_name: HashMap<&'a str, Vec<usize>>,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn stem_of(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split('.').next().unwrap_or(name)
}

impl<'a> Ctx<'a> {
    fn new(files: &'a [FileEntry]) -> Self {
        let mut by_path = HashMap::new();
        let mut definers: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut py_modules: HashMap<String, Vec<usize>> = HashMap::new();
        let mut dirs: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            by_path.insert(f.path.as_str(), i);
            by_name
                .entry(f.path.rsplit('/').next().unwrap_or(&f.path))
                .or_default()
                .push(i);
            dirs.entry(dir_of(&f.path)).or_default().push(i);
            for d in &f.definitions {
                if matches!(d.kind, SymbolKind::Flag | SymbolKind::Module) {
                    continue;
                }
                let v = definers.entry(d.name.as_str()).or_default();
                if v.last() != Some(&i) {
                    v.push(i);
                }
            }
            if f.lang == Lang::Python {
                let no_ext = f.path.trim_end_matches(".pyi").trim_end_matches(".py");
                let module = no_ext.trim_end_matches("/__init__").replace('/', ".");
                let parts: Vec<&str> = module.split('.').collect();
                for k in 0..parts.len() {
                    py_modules.entry(parts[k..].join(".")).or_default().push(i);
                }
            }
        }
        Ctx {
            files,
            by_path,
            definers,
            py_modules,
            dirs,
            by_name,
        }
    }

    /// Same Go package (same directory): names resolve without an import.
    fn same_package(&self, a: usize, b: usize) -> bool {
        let (fa, fb) = (&self.files[a], &self.files[b]);
        fa.lang == Lang::Go && fb.lang == Lang::Go && dir_of(&fa.path) == dir_of(&fb.path)
    }

    fn existing(&self, candidates: &[String]) -> Option<usize> {
        candidates
            .iter()
            .find_map(|c| self.by_path.get(c.as_str()).copied())
    }

    /// Files an import of file `fi` points at (empty for external imports).
    fn resolve_import(&self, fi: usize, import: &str) -> Vec<usize> {
        let f = &self.files[fi];
        match f.lang {
            Lang::Rust => self.rust_import(&f.path, import),
            Lang::Python => self.python_import(&f.path, import),
            Lang::JavaScript | Lang::TypeScript | Lang::Tsx => {
                self.ecma_import(&f.path, import).into_iter().collect()
            }
            Lang::Go => self.go_import(import),
            Lang::Java => self.java_import(import),
        }
    }

    fn rust_import(&self, path: &str, import: &str) -> Vec<usize> {
        let (prefix, items) = match import.split_once('{') {
            Some((p, rest)) => (
                p.trim_end_matches("::"),
                rest.trim_end_matches('}')
                    .split(',')
                    .map(|s| s.trim().split("::").next().unwrap_or("").trim())
                    .filter(|s| !s.is_empty() && *s != "self")
                    .collect::<Vec<_>>(),
            ),
            None => (import, Vec::new()),
        };
        let segs: Vec<&str> = prefix
            .split("::")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let Some(first) = segs.first() else {
            return Vec::new();
        };
        let src = crate_src(path);
        let (base, rest): (String, &[&str]) = match *first {
            "crate" => (src, &segs[1..]),
            "self" => (module_dir(path), &segs[1..]),
            "super" => (parent_dir(&module_dir(path)), &segs[1..]),
            _ => (src, &segs[1..]),
        };
        let mut out = Vec::new();
        let mut paths: Vec<Vec<&str>> = vec![rest.to_vec()];
        for item in items {
            let mut p = rest.to_vec();
            p.push(item);
            paths.push(p);
        }
        for segs in paths {
            if let Some(t) = self.rust_module(&base, &segs) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The file of the longest prefix of `segs` that is a module under `base`.
    fn rust_module(&self, base: &str, segs: &[&str]) -> Option<usize> {
        for k in (1..=segs.len()).rev() {
            let rel = segs[..k].join("/");
            let join = |s: &str| {
                if base.is_empty() {
                    s.to_string()
                } else {
                    format!("{base}/{s}")
                }
            };
            if let Some(t) =
                self.existing(&[join(&format!("{rel}.rs")), join(&format!("{rel}/mod.rs"))])
            {
                return Some(t);
            }
        }
        None
    }

    fn python_import(&self, path: &str, import: &str) -> Vec<usize> {
        let dots = import.chars().take_while(|&c| c == '.').count();
        let rest = &import[dots..];
        if dots > 0 {
            let mut dir = dir_of(path).to_string();
            for _ in 1..dots {
                dir = parent_dir(&dir);
            }
            let base = if rest.is_empty() {
                dir.clone()
            } else {
                format!("{dir}/{}", rest.replace('.', "/"))
            };
            let base = base.trim_start_matches('/').to_string();
            return self
                .existing(&[format!("{base}.py"), format!("{base}/__init__.py")])
                .into_iter()
                .collect();
        }
        match self.py_modules.get(rest) {
            Some(v) if v.len() <= MAX_DEFINERS => v.clone(),
            _ => Vec::new(),
        }
    }

    fn ecma_import(&self, path: &str, spec: &str) -> Option<usize> {
        let base = if spec.starts_with("./") || spec.starts_with("../") {
            normalize(&format!("{}/{spec}", dir_of(path)))?
        } else if let Some(s) = spec.strip_prefix("@/").or_else(|| spec.strip_prefix("~/")) {
            format!("src/{s}")
        } else {
            return None;
        };
        let stripped = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".mjs"))
            .or_else(|| base.strip_suffix(".cjs"))
            .unwrap_or(&base)
            .to_string();
        let mut candidates = vec![base.clone()];
        for b in [&base, &stripped] {
            for ext in ["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"] {
                candidates.push(format!("{b}.{ext}"));
                candidates.push(format!("{b}/index.{ext}"));
            }
        }
        self.existing(&candidates)
    }

    fn go_import(&self, import: &str) -> Vec<usize> {
        let mut best: Option<&str> = None;
        for dir in self.dirs.keys() {
            if dir.is_empty()
                || !self.dirs[dir]
                    .iter()
                    .any(|&i| self.files[i].lang == Lang::Go)
            {
                continue;
            }
            if (import == *dir || import.ends_with(&format!("/{dir}")))
                && best.is_none_or(|b| dir.len() > b.len())
            {
                best = Some(dir);
            }
        }
        best.map(|d| {
            self.dirs[d]
                .iter()
                .copied()
                .filter(|&i| self.files[i].lang == Lang::Go && !self.files[i].is_test)
                .collect()
        })
        .unwrap_or_default()
    }

    fn java_import(&self, import: &str) -> Vec<usize> {
        let import = import.trim_start_matches("static ").trim();
        let segs: Vec<&str> = import.split('.').collect();
        for k in (1..=segs.len()).rev() {
            if segs[k - 1] == "*" {
                let dir = segs[..k - 1].join("/");
                return self
                    .dirs
                    .iter()
                    .filter(|(d, _)| d.ends_with(&dir))
                    .flat_map(|(_, v)| v.iter().copied())
                    .filter(|&i| self.files[i].lang == Lang::Java)
                    .take(32)
                    .collect();
            }
            let suffix = format!("{}.java", segs[..k].join("/"));
            let name = format!("{}.java", segs[k - 1]);
            let hits: Vec<usize> = self
                .by_name
                .get(name.as_str())
                .into_iter()
                .flatten()
                .copied()
                .filter(|&i| {
                    let p = &self.files[i].path;
                    *p == suffix || p.ends_with(&format!("/{suffix}"))
                })
                .collect();
            if !hits.is_empty() {
                return hits;
            }
        }
        Vec::new()
    }
}

/// `a/b/../c` → `a/c`; `None` when it leaves the repository.
fn normalize(path: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p),
        }
    }
    Some(out.join("/"))
}

fn parent_dir(dir: &str) -> String {
    dir_of(dir).to_string()
}

/// The directory holding a Rust file's submodules: `src/a.rs` → `src/a`; `src/a/mod.rs`,
/// `src/lib.rs`, `src/main.rs` → their directory.
fn module_dir(path: &str) -> String {
    let stem = stem_of(path);
    if matches!(stem, "mod" | "lib" | "main") || path.contains("/bin/") {
        dir_of(path).to_string()
    } else {
        path.trim_end_matches(".rs").to_string()
    }
}

/// The `src` directory of the crate holding a Rust file: the nearest enclosing `src/`, or for
/// `tests/`, `benches/` and `examples/` files the `src/` beside that directory.
fn crate_src(path: &str) -> String {
    let parts: Vec<&str> = path.split('/').collect();
    if let Some(i) = parts.iter().rposition(|p| *p == "src") {
        return parts[..=i].join("/");
    }
    if let Some(i) = parts
        .iter()
        .rposition(|p| matches!(*p, "tests" | "benches" | "examples"))
    {
        let mut v: Vec<&str> = parts[..i].to_vec();
        v.push("src");
        return v.join("/");
    }
    "src".to_string()
}

fn test_links(ctx: &Ctx<'_>, edges: &[FileEdge]) -> Vec<TestLink> {
    let files = ctx.files;
    let mut links: BTreeMap<(String, Option<String>, String), TestLink> = BTreeMap::new();
    let mut add = |l: TestLink| {
        let key = (l.test.clone(), l.module.clone(), l.source.clone());
        match links.get(&key) {
            Some(old) if old.how <= l.how => {}
            _ => {
                links.insert(key, l);
            }
        }
    };
    let mut tests: HashSet<usize> = files
        .iter()
        .enumerate()
        .filter(|(_, f)| f.is_test)
        .map(|(i, _)| i)
        .collect();
    for f in files {
        for m in &f.test_modules {
            if !m.external {
                add(TestLink {
                    test: f.path.clone(),
                    module: Some(m.name.clone()),
                    source: f.path.clone(),
                    how: LinkHow::Inline,
                    detail: format!("inline #[cfg(test)] mod {} in {}", m.name, f.path),
                });
                continue;
            }
            let dir = module_dir(&f.path);
            let cands = [
                format!("{dir}/{}.rs", m.name),
                format!("{dir}/{}/mod.rs", m.name),
            ];
            if let Some(t) = ctx.existing(&cands) {
                tests.insert(t);
                add(TestLink {
                    test: files[t].path.clone(),
                    module: None,
                    source: f.path.clone(),
                    how: LinkHow::Inline,
                    detail: format!("#[cfg(test)] mod {}; of {}", m.name, f.path),
                });
            }
        }
    }
    let is_source = |i: usize| !tests.contains(&i);
    for e in edges {
        let (Some(&from), Some(&to)) = (
            ctx.by_path.get(e.from.as_str()),
            ctx.by_path.get(e.to.as_str()),
        ) else {
            continue;
        };
        if !tests.contains(&from) || !is_source(to) {
            continue;
        }
        let (how, detail) = if e.imports {
            (LinkHow::Import, format!("imports {}", e.to))
        } else {
            (LinkHow::Name, format!("uses {}", e.names.join(", ")))
        };
        add(TestLink {
            test: e.from.clone(),
            module: None,
            source: e.to.clone(),
            how,
            detail,
        });
    }
    for &t in &tests {
        for (s, detail) in layout_subjects(ctx, t, &is_source) {
            add(TestLink {
                test: files[t].path.clone(),
                module: None,
                source: files[s].path.clone(),
                how: LinkHow::Layout,
                detail,
            });
        }
    }
    let mut v: Vec<TestLink> = links.into_values().collect();
    v.sort_by(|a, b| {
        (a.source.as_str(), a.how, a.test.as_str()).cmp(&(
            b.source.as_str(),
            b.how,
            b.test.as_str(),
        ))
    });
    v
}

/// The source files a test file's name points at (see the module rules).
fn layout_subjects(
    ctx: &Ctx<'_>,
    t: usize,
    is_source: &dyn Fn(usize) -> bool,
) -> Vec<(usize, String)> {
    let test = &ctx.files[t];
    let Some(subject) = layout::subject_stem(&test.path) else {
        return Vec::new();
    };
    let label = layout::layout_of(&test.path).map_or("tests/", TestLayout::label);
    let same_lang = |i: usize| {
        let a = ctx.files[i].lang;
        a == test.lang
            || matches!(
                (a, test.lang),
                (
                    Lang::JavaScript | Lang::TypeScript | Lang::Tsx,
                    Lang::JavaScript | Lang::TypeScript | Lang::Tsx
                )
            )
    };
    let matches: Vec<usize> = ctx
        .files
        .iter()
        .enumerate()
        .filter(|(i, f)| is_source(*i) && same_lang(*i) && layout::source_stem(&f.path) == subject)
        .map(|(i, _)| i)
        .collect();
    let dir = dir_of(&test.path);
    let parent = dir_of(dir);
    let mirrored = dir.replace("src/test/", "src/main/");
    let near: Vec<usize> = matches
        .iter()
        .copied()
        .filter(|&i| {
            let d = dir_of(&ctx.files[i].path);
            d == dir || d == mirrored || (dir.ends_with("__tests__") && d == parent)
        })
        .collect();
    let chosen = if !near.is_empty() {
        near
    } else if test.lang == Lang::Go || matches.len() > 3 {
        Vec::new()
    } else {
        matches
    };
    chosen
        .into_iter()
        .map(|s| {
            (
                s,
                format!("{label} layout: {} ↔ {}", test.path, ctx.files[s].path),
            )
        })
        .collect()
}

fn layouts(files: &[FileEntry]) -> Vec<(String, u32)> {
    let mut counts: BTreeMap<&'static str, u32> = BTreeMap::new();
    for f in files {
        if !f.test_modules.iter().all(|m| m.external) {
            *counts.entry(TestLayout::RustInline.label()).or_default() += 1;
        }
        if f.is_test {
            if let Some(l) = layout::layout_of(&f.path) {
                *counts.entry(l.label()).or_default() += 1;
            }
        }
    }
    let mut v: Vec<(String, u32)> = counts
        .into_iter()
        .map(|(k, n)| (k.to_string(), n))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

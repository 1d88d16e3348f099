//! The crate's modules depend on each other in one direction (docs/design.md §2; house style:
//! no module imports one that imports it back). This test reads the crate's own source with a
//! Rust parser (`syn`), collects every `crate::…` and `super::…` path of non-test code (`use`
//! items and paths in code alike), and fails on a cycle:
//!
//! - between the top-level modules (`model`, `engine`, `stages`, `pipeline`, …);
//! - between the children of any one module (`stages::plan` and `stages::redteam`, say).
//!
//! A child using its parent's items (or a parent its children's) is not an edge: that is one
//! module. Test code (`#[cfg(test)]` items and modules) may use anything and is skipped.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

type Module = Vec<String>;

/// Every non-test source file of the crate with its module path.
fn files(src: &Path) -> Vec<(Module, PathBuf)> {
    let mut out = Vec::new();
    let mut test_files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut all: Vec<(Module, PathBuf)> = walkdir::WalkDir::new(src)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .map(|e| (module_of(src, e.path()), e.path().to_path_buf()))
        .collect();
    all.sort();
    // `#[cfg(test)] mod x;` declarations make x's file (and everything under it) test code.
    for (_, path) in &all {
        let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
        for item in &file.items {
            if let syn::Item::Mod(m) = item {
                if m.content.is_none() && is_test(&m.attrs) {
                    let dir = child_dir(path);
                    test_files.insert(dir.join(format!("{}.rs", m.ident)));
                    test_files.insert(dir.join(m.ident.to_string()));
                }
            }
        }
    }
    for (m, path) in all {
        if m.first().is_some_and(|f| f == "main") || test_files.iter().any(|t| path.starts_with(t))
        {
            continue;
        }
        out.push((m, path));
    }
    out
}

/// The directory a file's child modules live in (`a/mod.rs` → `a/`, `a.rs` → `a/`).
fn child_dir(path: &Path) -> PathBuf {
    let stem = path.file_stem().unwrap().to_string_lossy();
    let parent = path.parent().unwrap();
    if matches!(stem.as_ref(), "mod" | "lib" | "main") {
        parent.to_path_buf()
    } else {
        parent.join(stem.as_ref())
    }
}

fn module_of(src: &Path, path: &Path) -> Module {
    let rel = path.strip_prefix(src).unwrap().with_extension("");
    let mut m: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(m.last().map(String::as_str), Some("mod" | "lib")) {
        m.pop();
    }
    m
}

fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.parse_args::<syn::Meta>()
                .is_ok_and(|m| m.path().is_ident("test"))
    })
}

/// Collects the absolute module paths a file refers to.
struct Paths<'a> {
    here: &'a Module,
    out: Vec<Module>,
}

impl Paths<'_> {
    /// `crate::a::b` → `[a, b]`; `super::a` from `x::y` → `[x, a]`; anything else: `None`.
    fn absolute(&self, segs: &[String]) -> Option<Module> {
        let mut base: Module;
        let mut rest = segs;
        match segs.first().map(String::as_str) {
            Some("crate") => {
                base = Vec::new();
                rest = &segs[1..];
            }
            Some("super") => {
                base = self.here.clone();
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.push(prefix, &n.ident.to_string()),
            syn::UseTree::Rename(r) => self.push(prefix, &r.ident.to_string()),
            syn::UseTree::Glob(_) => self.push(prefix, "*"),
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    fn push(&mut self, prefix: &[String], last: &str) {
        let mut segs = prefix.to_vec();
        if last != "self" && last != "*" {
            segs.push(last.to_string());
        }
        if let Some(p) = self.absolute(&segs) {
            self.out.push(p);
        }
    }
}

impl<'ast> Visit<'ast> for Paths<'_> {
    fn visit_item(&mut self, i: &'ast syn::Item) {
        let attrs = match i {
            syn::Item::Mod(m) => &m.attrs,
            syn::Item::Fn(f) => &f.attrs,
            syn::Item::Impl(x) => &x.attrs,
            syn::Item::Use(u) => &u.attrs,
            _ => return syn::visit::visit_item(self, i),
        };
        if !is_test(attrs) {
            syn::visit::visit_item(self, i);
        }
    }
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }
    /// Paths inside macro calls (`format!("{}", crate::text::slug(..))`) are tokens, not
    /// syntax: read `crate`/`super` followed by `::ident` pairs off the token stream.
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        fn tokens(ts: proc_macro2::TokenStream, out: &mut Vec<proc_macro2::TokenTree>) {
            for t in ts {
                match t {
                    proc_macro2::TokenTree::Group(g) => tokens(g.stream(), out),
                    t => out.push(t),
                }
            }
        }
        let mut flat = Vec::new();
        tokens(m.tokens.clone(), &mut flat);
        let ident = |t: &proc_macro2::TokenTree| match t {
            proc_macro2::TokenTree::Ident(i) => Some(i.to_string()),
            _ => None,
        };
        let colon = |t: Option<&proc_macro2::TokenTree>| matches!(t, Some(proc_macro2::TokenTree::Punct(p)) if p.as_char() == ':');
        for i in 0..flat.len() {
            let Some(first) = ident(&flat[i]) else {
                continue;
            };
            let preceded = i >= 1 && colon(flat.get(i - 1));
            if !matches!(first.as_str(), "crate" | "super") || preceded {
                continue;
            }
            let mut segs = vec![first];
            let mut j = i + 1;
            while colon(flat.get(j)) && colon(flat.get(j + 1)) {
                match flat.get(j + 2).and_then(ident) {
                    Some(next) => segs.push(next),
                    None => break,
                }
                j += 3;
            }
            if let Some(a) = self.absolute(&segs) {
                self.out.push(a);
            }
        }
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segs: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(a) = self.absolute(&segs) {
            self.out.push(a);
        }
        syn::visit::visit_path(self, p);
    }
}

/// Edges between modules: `from` refers to something in `to` (the longest module prefix of
/// the path); self-references dropped.
fn edges(src: &Path) -> BTreeMap<Module, BTreeMap<Module, String>> {
    let files = files(src);
    let modules: BTreeSet<Module> = files.iter().map(|(m, _)| m.clone()).collect();
    let mut out: BTreeMap<Module, BTreeMap<Module, String>> = BTreeMap::new();
    for (m, path) in &files {
        let file = syn::parse_file(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut v = Paths {
            here: m,
            out: Vec::new(),
        };
        v.visit_file(&file);
        for p in v.out {
            let target = (0..=p.len())
                .rev()
                .map(|n| p[..n].to_vec())
                .find(|pre| modules.contains(pre))
                .unwrap_or_default();
            if &target != m {
                out.entry(m.clone())
                    .or_default()
                    .entry(target)
                    .or_insert_with(|| p.join("::"));
            }
        }
    }
    out
}

/// The graph between the children of `parent`: `a → b` when a module under `parent::a` refers
/// to one under `parent::b`, with one path that shows it.
fn sibling_graph(
    edges: &BTreeMap<Module, BTreeMap<Module, String>>,
    parent: &[String],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let child = |m: &Module| -> Option<String> {
        (m.len() > parent.len() && m.starts_with(parent)).then(|| m[parent.len()].clone())
    };
    for (from, tos) in edges {
        let Some(a) = child(from) else { continue };
        for (to, path) in tos {
            if let Some(b) = child(to) {
                if a != b {
                    g.entry(a.clone())
                        .or_default()
                        .entry(b)
                        .or_insert_with(|| format!("{} uses {path}", from.join("::")));
                }
            }
        }
    }
    g
}

/// A cycle of `g`, if any, as the edges that close it.
fn cycle(g: &BTreeMap<String, BTreeMap<String, String>>) -> Option<Vec<String>> {
    fn dfs(
        g: &BTreeMap<String, BTreeMap<String, String>>,
        n: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = stack.iter().position(|s| s == n) {
            let mut c = stack[i..].to_vec();
            c.push(n.to_string());
            return Some(
                c.windows(2)
                    .map(|w| format!("{} → {}: {}", w[0], w[1], g[&w[0]][&w[1]]))
                    .collect(),
            );
        }
        if !done.insert(n.to_string()) {
            return None;
        }
        stack.push(n.to_string());
        for next in g.get(n).into_iter().flat_map(|m| m.keys()) {
            if let Some(c) = dfs(g, next, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    g.keys().find_map(|n| dfs(g, n, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let edges = edges(&src);
    let parents: BTreeSet<Module> = edges
        .keys()
        .flat_map(|m| (0..m.len()).map(|n| m[..n].to_vec()))
        .collect();
    let mut cycles = Vec::new();
    for parent in &parents {
        let g = sibling_graph(&edges, parent);
        if parent.is_empty() {
            // The layering, for the record (`cargo test layering -- --nocapture`).
            for (a, bs) in &g {
                let bs: Vec<&str> = bs.keys().map(String::as_str).collect();
                println!("{a} → {}", bs.join(", "));
            }
        }
        if let Some(c) = cycle(&g) {
            let at = if parent.is_empty() {
                "crate".to_string()
            } else {
                parent.join("::")
            };
            cycles.push(format!("in {at}:\n    {}", c.join("\n    ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "module cycles (move the shared item down a layer, usually into `model`):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_check_sees_a_cycle() {
    let mut g: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    g.entry("a".into())
        .or_default()
        .insert("b".into(), "a uses b::x".into());
    g.entry("b".into())
        .or_default()
        .insert("c".into(), "b uses c::y".into());
    assert!(cycle(&g).is_none());
    g.entry("c".into())
        .or_default()
        .insert("a".into(), "c uses a::z".into());
    let c = cycle(&g).unwrap();
    assert_eq!(c.len(), 3, "{c:?}");
}

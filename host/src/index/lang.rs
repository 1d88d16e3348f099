//! The languages the code index parses, their grammars and their tags queries.
//!
//! Grammars are the official tree-sitter crates (`tree-sitter-rust`, `-python`, `-javascript`,
//! `-typescript` for TypeScript and TSX, `-go`, `-java`); the queries are ours
//! (`queries/*.scm`), in the capture conventions of `tree-sitter-tags`
//! (`@definition.KIND`/`@reference.KIND` with `@name`), extended beyond the grammars' own
//! `tags.scm` with enum variants, constants, fields, imports and flags.
use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tree_sitter_tags::TagsConfiguration;

/// A language the index parses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Rust,
    Python,
    JavaScript,
    TypeScript,
    /// TypeScript with JSX (`.tsx`).
    Tsx,
    Go,
    Java,
}

impl Lang {
    /// Every language, in display order.
    pub const ALL: [Lang; 7] = [
        Lang::Rust,
        Lang::Python,
        Lang::JavaScript,
        Lang::TypeScript,
        Lang::Tsx,
        Lang::Go,
        Lang::Java,
    ];

    /// The language of a file by its extension (`.rs`, `.py`/`.pyi`, `.js`/`.jsx`/`.mjs`/`.cjs`,
    /// `.ts`/`.mts`/`.cts`, `.tsx`, `.go`, `.java`); `None` for any other file.
    pub fn of_path(rel: &str) -> Option<Lang> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let (_, ext) = name.rsplit_once('.')?;
        Some(match ext {
            "rs" => Lang::Rust,
            "py" | "pyi" => Lang::Python,
            "js" | "jsx" | "mjs" | "cjs" => Lang::JavaScript,
            "ts" | "mts" | "cts" => Lang::TypeScript,
            "tsx" => Lang::Tsx,
            "go" => Lang::Go,
            "java" => Lang::Java,
            _ => return None,
        })
    }

    /// The display name (`Rust`, `TypeScript`, …); TSX counts as TypeScript.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::JavaScript => "JavaScript",
            Lang::TypeScript | Lang::Tsx => "TypeScript",
            Lang::Go => "Go",
            Lang::Java => "Java",
        }
    }

    /// The separator of scope paths: `::` for Rust, `.` elsewhere.
    pub fn scope_separator(self) -> &'static str {
        if self == Lang::Rust {
            "::"
        } else {
            "."
        }
    }

    fn grammar(self) -> tree_sitter::Language {
        match self {
            Lang::Rust => tree_sitter_rust::LANGUAGE.into(),
            Lang::Python => tree_sitter_python::LANGUAGE.into(),
            Lang::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Lang::TypeScript => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Go => tree_sitter_go::LANGUAGE.into(),
            Lang::Java => tree_sitter_java::LANGUAGE.into(),
        }
    }

    /// The tags query: for JavaScript and TypeScript the shared definitions, the language's own
    /// patterns, then the shared references (earlier patterns win on a node).
    pub fn tags_query(self) -> String {
        const ECMA_DEFS: &str = include_str!("queries/ecma_defs.scm");
        const ECMA_REFS: &str = include_str!("queries/ecma_refs.scm");
        match self {
            Lang::Rust => include_str!("queries/rust.scm").to_string(),
            Lang::Python => include_str!("queries/python.scm").to_string(),
            Lang::JavaScript => {
                [ECMA_DEFS, include_str!("queries/javascript.scm"), ECMA_REFS].join("\n")
            }
            Lang::TypeScript | Lang::Tsx => {
                [ECMA_DEFS, include_str!("queries/typescript.scm"), ECMA_REFS].join("\n")
            }
            Lang::Go => include_str!("queries/go.scm").to_string(),
            Lang::Java => include_str!("queries/java.scm").to_string(),
        }
    }

    /// A fresh tags configuration (grammar + compiled query).
    ///
    /// # Errors
    /// The query does not compile against the grammar (a bug in `queries/`, caught by tests).
    pub fn configuration(self) -> Result<TagsConfiguration, tree_sitter_tags::Error> {
        TagsConfiguration::new(self.grammar(), &self.tags_query(), "")
    }
}

thread_local! {
    /// Compiled configurations of this thread (they are neither `Send` nor `Sync`, and compiling
    /// a query costs milliseconds, so each worker thread compiles each language once).
    static CONFIGS: RefCell<HashMap<Lang, std::rc::Rc<TagsConfiguration>>> = RefCell::new(HashMap::new());
}

/// This thread's configuration for `lang`, compiled on first use.
///
/// # Errors
/// As [`Lang::configuration`].
pub fn configuration(lang: Lang) -> Result<std::rc::Rc<TagsConfiguration>, String> {
    CONFIGS.with(|c| {
        if let Some(cfg) = c.borrow().get(&lang) {
            return Ok(cfg.clone());
        }
        let cfg = std::rc::Rc::new(
            lang.configuration()
                .map_err(|e| format!("the {} tags query does not compile: {e}", lang.name()))?,
        );
        c.borrow_mut().insert(lang, cfg.clone());
        Ok(cfg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_query_compiles_against_its_grammar() {
        for lang in Lang::ALL {
            if let Err(e) = lang.configuration() {
                panic!("{lang:?}: {e}");
            }
        }
    }

    #[test]
    fn languages_by_extension() {
        assert_eq!(Lang::of_path("src/lib.rs"), Some(Lang::Rust));
        assert_eq!(Lang::of_path("a/b.tsx"), Some(Lang::Tsx));
        assert_eq!(Lang::of_path("x.mjs"), Some(Lang::JavaScript));
        assert_eq!(Lang::of_path("Makefile"), None);
        assert_eq!(Lang::of_path("README.md"), None);
    }
}

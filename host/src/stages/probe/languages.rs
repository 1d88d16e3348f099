//! Programming languages by file extension (or shebang for extension-less scripts).
//!
//! Only languages a plan would change code in are counted: documentation (Markdown,
//! reStructuredText, plain text) and data/configuration formats (JSON, YAML, TOML, XML, INI) are
//! not languages here, and neither are build files named by convention (`Makefile`,
//! `Dockerfile`), which the probe reports as manifests instead.

use std::collections::BTreeMap;

use crate::model::LanguageStat;

/// Extension (lowercase, without the dot) → language name.
const EXTENSIONS: &[(&str, &str)] = &[
    ("rs", "Rust"),
    ("py", "Python"),
    ("pyi", "Python"),
    ("ts", "TypeScript"),
    ("tsx", "TypeScript"),
    ("mts", "TypeScript"),
    ("cts", "TypeScript"),
    ("js", "JavaScript"),
    ("jsx", "JavaScript"),
    ("mjs", "JavaScript"),
    ("cjs", "JavaScript"),
    ("go", "Go"),
    ("java", "Java"),
    ("kt", "Kotlin"),
    ("kts", "Kotlin"),
    ("scala", "Scala"),
    ("groovy", "Groovy"),
    ("clj", "Clojure"),
    ("rb", "Ruby"),
    ("c", "C"),
    ("h", "C"),
    ("cc", "C++"),
    ("cpp", "C++"),
    ("cxx", "C++"),
    ("hh", "C++"),
    ("hpp", "C++"),
    ("hxx", "C++"),
    ("cs", "C#"),
    ("fs", "F#"),
    ("swift", "Swift"),
    ("m", "Objective-C"),
    ("mm", "Objective-C"),
    ("php", "PHP"),
    ("pl", "Perl"),
    ("pm", "Perl"),
    ("lua", "Lua"),
    ("dart", "Dart"),
    ("ex", "Elixir"),
    ("exs", "Elixir"),
    ("erl", "Erlang"),
    ("hs", "Haskell"),
    ("ml", "OCaml"),
    ("mli", "OCaml"),
    ("r", "R"),
    ("jl", "Julia"),
    ("zig", "Zig"),
    ("nim", "Nim"),
    ("sh", "Shell"),
    ("bash", "Shell"),
    ("zsh", "Shell"),
    ("ps1", "PowerShell"),
    ("sql", "SQL"),
    ("html", "HTML"),
    ("htm", "HTML"),
    ("css", "CSS"),
    ("scss", "SCSS"),
    ("sass", "SCSS"),
    ("less", "Less"),
    ("vue", "Vue"),
    ("svelte", "Svelte"),
    ("tf", "HCL"),
    ("hcl", "HCL"),
    ("nix", "Nix"),
    ("proto", "Protocol Buffers"),
    ("wit", "WIT"),
    ("wat", "WebAssembly"),
    ("sol", "Solidity"),
];

/// Interpreter (last word of the shebang program, version digits stripped) → language.
const INTERPRETERS: &[(&str, &str)] = &[
    ("sh", "Shell"),
    ("bash", "Shell"),
    ("zsh", "Shell"),
    ("dash", "Shell"),
    ("ksh", "Shell"),
    ("python", "Python"),
    ("node", "JavaScript"),
    ("deno", "TypeScript"),
    ("ruby", "Ruby"),
    ("perl", "Perl"),
    ("php", "PHP"),
];

/// The language of the file at repository-relative `rel`, from its extension, or for a file
/// without extension from the shebang on the first line of `text`. `None` for non-code files.
pub fn language_of(rel: &str, text: Option<&str>) -> Option<&'static str> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => {
            let ext = ext.to_ascii_lowercase();
            EXTENSIONS
                .iter()
                .find(|(e, _)| *e == ext)
                .map(|(_, lang)| *lang)
        }
        Some(_) => None, // dot files such as `.gitignore`
        None => text.and_then(shebang_language),
    }
}

fn shebang_language(text: &str) -> Option<&'static str> {
    let line = text.lines().next()?.strip_prefix("#!")?;
    let mut words = line.split_whitespace();
    let mut program = words.next()?.rsplit('/').next()?;
    if program == "env" {
        program = words.find(|w| !w.starts_with('-'))?;
    }
    let program = program.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    INTERPRETERS
        .iter()
        .find(|(p, _)| *p == program)
        .map(|(_, lang)| *lang)
}

/// File counts per language.
#[derive(Debug, Default)]
pub struct Tally(BTreeMap<&'static str, u32>);

impl Tally {
    /// Counts one file of `language`.
    pub fn add(&mut self, language: &'static str) {
        *self.0.entry(language).or_insert(0) += 1;
    }

    /// The counts sorted by file count descending, then name ascending.
    pub fn into_stats(self) -> Vec<LanguageStat> {
        let mut stats: Vec<LanguageStat> = self
            .0
            .into_iter()
            .map(|(name, files)| LanguageStat {
                name: name.to_string(),
                files,
            })
            .collect();
        stats.sort_by(|a, b| b.files.cmp(&a.files).then_with(|| a.name.cmp(&b.name)));
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_and_shebangs() {
        assert_eq!(language_of("src/main.rs", None), Some("Rust"));
        assert_eq!(language_of("app/Auth.PY", None), Some("Python"));
        assert_eq!(language_of("README.md", None), None);
        assert_eq!(language_of(".gitignore", None), None);
        assert_eq!(
            language_of(".ci/run", Some("#!/usr/bin/env bash\nset -e\n")),
            Some("Shell")
        );
        assert_eq!(
            language_of("bin/tool", Some("#!/usr/bin/python3.11\n")),
            Some("Python")
        );
        assert_eq!(language_of("Makefile", Some("build:\n")), None);
    }

    #[test]
    fn stats_sorted_by_count_then_name() {
        let mut t = Tally::default();
        for l in ["Go", "Rust", "Rust", "C", "Go", "Rust"] {
            t.add(l);
        }
        let names: Vec<(String, u32)> = t
            .into_stats()
            .into_iter()
            .map(|s| (s.name, s.files))
            .collect();
        assert_eq!(
            names,
            vec![("Rust".into(), 3), ("Go".into(), 2), ("C".into(), 1)]
        );
    }
}

//! Environment variable **names** (never values) the project uses: from environment templates
//! (`.env.example`, …), compose files, and references in code.
//!
//! Code references recognised (upper-case names of two or more characters, `[A-Z][A-Z0-9_]+`):
//! Rust `std::env::var("X")`, `env::var_os("X")`, `env!("X")`, `option_env!("X")`, clap
//! `env = "X"`; Python `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")`; JavaScript /
//! TypeScript `process.env.X`, `process.env["X"]`, `import.meta.env.X`; Go `os.Getenv("X")`,
//! `os.LookupEnv("X")`; Ruby `ENV["X"]`, `ENV.fetch("X")`; Java/Kotlin `System.getenv("X")`;
//! PHP `getenv("X")`, `$_ENV["X"]`.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

/// Environment variable names with the repository-relative file each was first seen in.
#[derive(Debug, Default)]
pub struct EnvNames(BTreeMap<String, String>);

/// One `NAME=value` line of an environment template, with only the URL scheme of the value kept
/// (`postgresql://…` → `postgresql`), used to tell which service a `DATABASE_URL` points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TemplateEntry {
    /// Variable name.
    pub name: String,
    /// Lowercase URL scheme of the example value, if it has one.
    pub scheme: Option<String>,
}

/// True when `name` is an upper-case environment variable name of two or more characters
/// (`[A-Z][A-Z0-9_]+`; single letters are placeholders in examples, not variables).
pub fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() >= 2
        && chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

impl EnvNames {
    /// Records `name` (if it is an upper-case name) as seen in `source`; the first source wins.
    pub fn insert(&mut self, name: &str, source: &str) {
        if is_env_name(name) && !self.0.contains_key(name) {
            self.0.insert(name.to_string(), source.to_string());
        }
    }

    /// Records the names `text` (the content of a code file in `language`) references.
    pub fn scan_code(&mut self, language: &str, text: &str, source: &str) {
        if let Some(re) = pattern(language) {
            for c in re.captures_iter(text) {
                self.insert(&c[1], source);
            }
        }
    }

    /// `(name, first source)` pairs in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, s)| (n.as_str(), s.as_str()))
    }

    /// The names, sorted and de-duplicated.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }
}

/// The entries of an environment template (`KEY=value`, `export KEY=value`; comments and blank
/// lines skipped; lower-case names dropped).
pub fn template_entries(text: &str) -> Vec<TemplateEntry> {
    static LINE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$").unwrap()
    });
    static SCHEME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"^["']?([A-Za-z][A-Za-z0-9+.-]*)://"#).unwrap());
    text.lines()
        .filter_map(|l| LINE.captures(l))
        .filter(|c| is_env_name(&c[1]))
        .map(|c| TemplateEntry {
            name: c[1].to_string(),
            scheme: SCHEME.captures(&c[2]).map(|s| s[1].to_ascii_lowercase()),
        })
        .collect()
}

/// One regex per language: an alternation of the reference prefixes, then the name in group 1.
fn pattern(language: &str) -> Option<&'static Regex> {
    fn compile(prefixes: &[&str], quote: &str) -> Regex {
        Regex::new(&format!(
            r"(?:{}){quote}([A-Z][A-Z0-9_]*)",
            prefixes.join("|")
        ))
        .unwrap()
    }
    static RUST: LazyLock<Regex> = LazyLock::new(|| {
        compile(
            &[
                r"env::var(?:_os)?\(\s*",
                r"\benv!\(\s*",
                r"\boption_env!\(\s*",
                r"\benv\s*=\s*",
            ],
            "\"",
        )
    });
    static PYTHON: LazyLock<Regex> = LazyLock::new(|| {
        compile(
            &[
                r"\benviron\[\s*",
                r"\benviron\.(?:get|setdefault|pop)\(\s*",
                r"\bgetenv\(\s*",
            ],
            "[\"']",
        )
    });
    static JS: LazyLock<Regex> = LazyLock::new(|| {
        compile(
            &[
                r"\bprocess\.env\.",
                r"\bprocess\.env\[\s*[\x22'`]",
                r"\bimport\.meta\.env\.",
            ],
            "",
        )
    });
    static GO: LazyLock<Regex> =
        LazyLock::new(|| compile(&[r"\bos\.(?:Getenv|LookupEnv)\(\s*"], "\""));
    static RUBY: LazyLock<Regex> =
        LazyLock::new(|| compile(&[r"\bENV\.fetch\(\s*", r"\bENV\[\s*"], "[\"']"));
    static JVM: LazyLock<Regex> = LazyLock::new(|| compile(&[r"\bSystem\.getenv\(\s*"], "\""));
    static PHP: LazyLock<Regex> =
        LazyLock::new(|| compile(&[r"\bgetenv\(\s*", r"\$_ENV\[\s*"], "[\"']"));
    Some(match language {
        "Rust" => &RUST,
        "Python" => &PYTHON,
        "JavaScript" | "TypeScript" | "Vue" | "Svelte" => &JS,
        "Go" => &GO,
        "Ruby" => &RUBY,
        "Java" | "Kotlin" | "Scala" | "Groovy" => &JVM,
        "PHP" => &PHP,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(lang: &str, text: &str) -> Vec<String> {
        let mut e = EnvNames::default();
        e.scan_code(lang, text, "f");
        e.names()
    }

    #[test]
    fn code_references_per_language() {
        assert_eq!(
            scan(
                "Rust",
                r#"let a = std::env::var("RUST_LOG"); let b = env!("CARGO_PKG_VERSION"); #[arg(long, env = "ANNEAL_RUNS_ROOT")] x; env::var("lower")"#
            ),
            ["ANNEAL_RUNS_ROOT", "CARGO_PKG_VERSION", "RUST_LOG"]
        );
        assert_eq!(
            scan(
                "Python",
                "os.environ['DATABASE_URL']\nos.environ.get(\"REDIS_URL\", '')\nos.getenv('JWT_SECRET')\n"
            ),
            ["DATABASE_URL", "JWT_SECRET", "REDIS_URL"]
        );
        assert_eq!(
            scan(
                "TypeScript",
                "const p = process.env.PORT ?? process.env['HOST'];"
            ),
            ["HOST", "PORT"]
        );
        assert_eq!(scan("Go", r#"os.Getenv("ADDR")"#), ["ADDR"]);
        assert!(scan("Markdown", "os.getenv('HOME')").is_empty());
        assert!(scan("Python", "os.getenv('X')").is_empty());
    }

    #[test]
    fn templates_keep_names_and_schemes_only() {
        let e = template_entries(
            "# comment\nDATABASE_URL=postgresql://app:secret@localhost/app\nexport REDIS_URL=\"redis://localhost:6379/0\"\nJWT_SECRET=change-me\nlower=1\n",
        );
        assert_eq!(
            e,
            [
                TemplateEntry {
                    name: "DATABASE_URL".into(),
                    scheme: Some("postgresql".into())
                },
                TemplateEntry {
                    name: "REDIS_URL".into(),
                    scheme: Some("redis".into())
                },
                TemplateEntry {
                    name: "JWT_SECRET".into(),
                    scheme: None
                },
            ]
        );
    }
}

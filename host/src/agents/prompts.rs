//! Agent prompts as data (docs/design.md §7 "agent prompts are files the project ships and a user can
//! override"; docs/design.md §3 invariant 7: a prompt names a model **category**, never a model).
//!
//! The defaults are the files of `_shared/agents/*.md`, embedded in the binary with
//! `include_str!` ([`EMBEDDED`]). Each file is YAML front matter between two `---` lines
//! (`role`, `category`, `output`, optional `description`) followed by the system prompt body.
//! A project may put `<repo>/.anneal/agents/<role>.md` files next to its code: such a file
//! replaces the default of that role wholesale, or defines a role anneal does not ship (a
//! third-party strategy may ask the host for it). Every file, shipped or override, is parsed at
//! [`Prompts::load`]; a malformed one is an error naming the file, never silently skipped.
use crate::model::Category;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What an agent's answer is (front matter `output`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputKind {
    /// A plan (docs/design.md §5): planners and the Synthesizer.
    Plan,
    /// A reviewer envelope (docs/design.md §4): Metis, Momus, the red team, the Oracle.
    Envelope,
    /// A task classification (docs/design.md §2 stage 1): the Intent Gate.
    Intent,
    /// Not an agent: an Alloy lens fragment, included in a planner's user message.
    Lens,
}

impl OutputKind {
    /// The front-matter spelling: `plan`, `envelope`, `intent`, `lens`.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputKind::Plan => "plan",
            OutputKind::Envelope => "envelope",
            OutputKind::Intent => "intent",
            OutputKind::Lens => "lens",
        }
    }
}

/// Where a prompt came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptSource {
    /// Shipped with anneal (`_shared/agents/<file>`, embedded at build time).
    Embedded,
    /// The project's override file `<repo>/.anneal/agents/<role>.md`.
    Override(PathBuf),
}

/// One agent's prompt: front matter plus body.
#[derive(Clone, Debug, PartialEq)]
pub struct AgentPrompt {
    /// The semantic role (`momus`, `redteam-security`, `lens-ux`, …); equals the file stem.
    pub role: String,
    /// The model category the agent asks for (docs/design.md §3 invariant 7).
    pub category: Category,
    /// What the answer must be.
    pub output: OutputKind,
    /// Optional one-line description from the front matter.
    pub description: Option<String>,
    /// The system prompt (or, for a lens, the fragment), without front matter, trimmed.
    pub body: String,
    pub source: PromptSource,
}

/// Why prompts could not be loaded. Every variant names the offending file.
#[derive(thiserror::Error, Debug)]
pub enum PromptError {
    /// The file has no front matter, bad YAML, unknown keys or an empty body.
    #[error("agent prompt {file}: {message}")]
    Malformed { file: String, message: String },
    /// The front matter's `role` is not the file's stem.
    #[error("agent prompt {file}: front matter role {role:?} does not match the file name (expected {expected:?})")]
    RoleMismatch {
        file: String,
        role: String,
        expected: String,
    },
    /// The override directory or a file in it could not be read.
    #[error("agent prompt {file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

/// The shipped prompt files, `(file name, text)`, one per model-served role of docs/design.md §2 and one
/// per Alloy lens (docs/design.md §2 bias order).
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "intent-gate.md",
        include_str!("../../../_shared/agents/intent-gate.md"),
    ),
    ("metis.md", include_str!("../../../_shared/agents/metis.md")),
    (
        "prometheus-cast.md",
        include_str!("../../../_shared/agents/prometheus-cast.md"),
    ),
    (
        "prometheus-alloy.md",
        include_str!("../../../_shared/agents/prometheus-alloy.md"),
    ),
    (
        "prometheus-temper.md",
        include_str!("../../../_shared/agents/prometheus-temper.md"),
    ),
    (
        "synthesizer.md",
        include_str!("../../../_shared/agents/synthesizer.md"),
    ),
    ("momus.md", include_str!("../../../_shared/agents/momus.md")),
    (
        "redteam-security.md",
        include_str!("../../../_shared/agents/redteam-security.md"),
    ),
    (
        "redteam-scope.md",
        include_str!("../../../_shared/agents/redteam-scope.md"),
    ),
    (
        "redteam-assumptions.md",
        include_str!("../../../_shared/agents/redteam-assumptions.md"),
    ),
    (
        "oracle.md",
        include_str!("../../../_shared/agents/oracle.md"),
    ),
    (
        "lens-correctness.md",
        include_str!("../../../_shared/agents/lens-correctness.md"),
    ),
    (
        "lens-minimalist.md",
        include_str!("../../../_shared/agents/lens-minimalist.md"),
    ),
    (
        "lens-defensive.md",
        include_str!("../../../_shared/agents/lens-defensive.md"),
    ),
    (
        "lens-performance.md",
        include_str!("../../../_shared/agents/lens-performance.md"),
    ),
    (
        "lens-ux.md",
        include_str!("../../../_shared/agents/lens-ux.md"),
    ),
    (
        "lens-verification.md",
        include_str!("../../../_shared/agents/lens-verification.md"),
    ),
    (
        "lens-migration.md",
        include_str!("../../../_shared/agents/lens-migration.md"),
    ),
];

/// Directory of project overrides, relative to the repository root.
pub const OVERRIDE_DIR: &str = ".anneal/agents";

/// Largest override file accepted, in bytes (a prompt is text, not a data dump).
pub const MAX_PROMPT_BYTES: u64 = 256 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    role: String,
    category: Category,
    output: OutputKind,
    #[serde(default)]
    description: Option<String>,
}

/// Parses one prompt file: `---\n<yaml>\n---\n<body>`. `file` names it in errors; the role
/// must equal `expected_role` (the file stem).
///
/// # Errors
/// [`PromptError::Malformed`] for missing front matter, invalid YAML, unknown keys, an unknown
/// category/output or an empty body; [`PromptError::RoleMismatch`] when `role` differs from
/// the file stem.
pub fn parse_prompt(
    file: &str,
    expected_role: &str,
    text: &str,
    source: PromptSource,
) -> Result<AgentPrompt, PromptError> {
    let malformed = |message: String| PromptError::Malformed {
        file: file.to_string(),
        message,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    match lines.next() {
        Some(first) if first.trim_end() == "---" => {}
        _ => {
            return Err(malformed(
                "no front matter: the file must start with a `---` line".into(),
            ))
        }
    }
    let mut yaml = String::new();
    let mut closed = false;
    for line in lines.by_ref() {
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        yaml.push_str(line);
    }
    if !closed {
        return Err(malformed(
            "front matter is not closed by a `---` line".into(),
        ));
    }
    let body: String = lines.collect::<String>().trim().to_string();
    let fm: FrontMatter =
        serde_yaml::from_str(&yaml).map_err(|e| malformed(format!("front matter: {e}")))?;
    if fm.role != expected_role {
        return Err(PromptError::RoleMismatch {
            file: file.to_string(),
            role: fm.role,
            expected: expected_role.to_string(),
        });
    }
    if body.is_empty() {
        return Err(malformed("the prompt body is empty".into()));
    }
    Ok(AgentPrompt {
        role: fm.role,
        category: fm.category,
        output: fm.output,
        description: fm.description.filter(|d| !d.trim().is_empty()),
        body,
        source,
    })
}

/// Every prompt available to a run: the shipped defaults with the project's overrides applied.
#[derive(Clone, Debug)]
pub struct Prompts {
    by_role: BTreeMap<String, AgentPrompt>,
}

impl Prompts {
    /// Only the embedded defaults (no repository).
    ///
    /// # Errors
    /// [`PromptError`] naming the shipped file if one is malformed (a build defect; the unit
    /// tests parse every shipped file).
    pub fn embedded() -> Result<Prompts, PromptError> {
        let mut by_role = BTreeMap::new();
        for (file, text) in EMBEDDED {
            let role = file.strip_suffix(".md").unwrap_or(file);
            let shown = format!("_shared/agents/{file} (embedded)");
            let p = parse_prompt(&shown, role, text, PromptSource::Embedded)?;
            by_role.insert(p.role.clone(), p);
        }
        Ok(Prompts { by_role })
    }

    /// The embedded defaults, then every `<repo_root>/.anneal/agents/*.md` file, each replacing
    /// the default of its role (the file stem) wholesale or adding a new role. A missing
    /// override directory is not an error; files not ending in `.md` are ignored.
    ///
    /// # Errors
    /// [`PromptError::Io`] if the directory or a file cannot be read (or a file exceeds
    /// [`MAX_PROMPT_BYTES`]); [`PromptError::Malformed`] / [`PromptError::RoleMismatch`] with the
    /// override's path for a malformed file — an override is never silently ignored.
    pub fn load(repo_root: &Path) -> Result<Prompts, PromptError> {
        let mut prompts = Prompts::embedded()?;
        let dir = repo_root.join(OVERRIDE_DIR);
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(prompts),
            Err(source) => {
                return Err(PromptError::Io {
                    file: dir.display().to_string(),
                    source,
                })
            }
        };
        let mut files: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| PromptError::Io {
                file: dir.display().to_string(),
                source,
            })?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) == Some("md") && path.is_file() {
                files.push(path);
            }
        }
        files.sort();
        for path in files {
            let shown = path.display().to_string();
            let io = |source| PromptError::Io {
                file: shown.clone(),
                source,
            };
            let len = std::fs::metadata(&path).map_err(io)?.len();
            if len > MAX_PROMPT_BYTES {
                return Err(PromptError::Malformed {
                    file: shown,
                    message: format!("{len} bytes; at most {MAX_PROMPT_BYTES} allowed"),
                });
            }
            let text = std::fs::read_to_string(&path).map_err(io)?;
            let role = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            let p = parse_prompt(&shown, &role, &text, PromptSource::Override(path.clone()))?;
            prompts.by_role.insert(role, p);
        }
        Ok(prompts)
    }

    /// The prompt of `role` (e.g. `"momus"`), or `None` when neither anneal nor the project
    /// defines it. Lens fragments are reachable here too as `lens-<name>`.
    pub fn get(&self, role: &str) -> Option<&AgentPrompt> {
        self.by_role.get(role)
    }

    /// The Alloy lens fragment `lens` (`"correctness"`, …, `"migration"`, docs/design.md §2), i.e. the
    /// prompt `lens-<lens>` whose `output` is `lens`; `None` otherwise.
    pub fn lens(&self, lens: &str) -> Option<&AgentPrompt> {
        self.by_role
            .get(&format!("lens-{lens}"))
            .filter(|p| p.output == OutputKind::Lens)
    }

    /// Every agent role (prompts whose output is not `lens`), sorted.
    pub fn roles(&self) -> Vec<&str> {
        self.by_role
            .values()
            .filter(|p| p.output != OutputKind::Lens)
            .map(|p| p.role.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROLES: &[(&str, Category, OutputKind)] = &[
        ("intent-gate", Category::Quick, OutputKind::Intent),
        ("metis", Category::Ultrabrain, OutputKind::Envelope),
        ("prometheus-cast", Category::Deep, OutputKind::Plan),
        ("prometheus-alloy", Category::Deep, OutputKind::Plan),
        ("prometheus-temper", Category::Deep, OutputKind::Plan),
        ("synthesizer", Category::Deep, OutputKind::Plan),
        ("momus", Category::Ultrabrain, OutputKind::Envelope),
        ("redteam-security", Category::Deep, OutputKind::Envelope),
        ("redteam-scope", Category::Deep, OutputKind::Envelope),
        ("redteam-assumptions", Category::Deep, OutputKind::Envelope),
        ("oracle", Category::Ultrabrain, OutputKind::Envelope),
    ];
    use crate::model::LENSES;

    #[test]
    fn every_shipped_prompt_parses_with_its_role_category_and_output() {
        let p = Prompts::embedded().expect("shipped prompts parse");
        for (role, cat, out) in ROLES {
            let a = p.get(role).unwrap_or_else(|| panic!("{role} shipped"));
            assert_eq!(a.role, *role);
            assert_eq!(a.category, *cat, "{role}");
            assert_eq!(a.output, *out, "{role}");
            assert_eq!(a.source, PromptSource::Embedded);
            assert!(a.body.len() > 400, "{role} has a real body");
            assert!(!a.body.starts_with("---"));
        }
        for l in LENSES {
            let a = p.lens(l).unwrap_or_else(|| panic!("lens {l} shipped"));
            assert_eq!(a.output, OutputKind::Lens);
            assert!(a.body.to_lowercase().contains(l), "{l}");
        }
        assert_eq!(p.roles().len(), ROLES.len());
        assert!(p.lens("nope").is_none());
        assert!(p.lens("momus").is_none());
        assert_eq!(EMBEDDED.len(), ROLES.len() + LENSES.len());
    }

    #[test]
    fn momus_prompt_carries_the_rubric_weights_and_bands() {
        let p = Prompts::embedded().unwrap();
        let m = &p.get("momus").unwrap().body;
        for s in [
            "| correctness | 25",
            "| completeness | 15",
            "| risk posture | 15",
            "| scope hygiene | 10",
            "| evidence plan | 20",
            "| sequencing | 15",
            "85–100",
            "70–84",
            "50–69",
            "0–49",
        ] {
            assert!(m.contains(s), "momus prompt lacks {s:?}");
        }
    }

    #[test]
    fn overrides_replace_a_default_and_add_new_roles() {
        let dir = tempfile::tempdir().unwrap();
        let agents = dir.path().join(OVERRIDE_DIR);
        std::fs::create_dir_all(&agents).unwrap();
        std::fs::write(
            agents.join("momus.md"),
            "---\nrole: momus\ncategory: deep\noutput: envelope\n---\nBe strict.\n",
        )
        .unwrap();
        std::fs::write(
            agents.join("foundry-tuner.md"),
            "---\nrole: foundry-tuner\ncategory: quick\noutput: plan\ndescription: third party\n---\nTune.\n",
        )
        .unwrap();
        std::fs::write(agents.join("notes.txt"), "ignored").unwrap();
        let p = Prompts::load(dir.path()).unwrap();
        let m = p.get("momus").unwrap();
        assert_eq!(m.body, "Be strict.");
        assert_eq!(m.category, Category::Deep);
        assert_eq!(m.source, PromptSource::Override(agents.join("momus.md")));
        let f = p.get("foundry-tuner").unwrap();
        assert_eq!(f.output, OutputKind::Plan);
        assert_eq!(f.description.as_deref(), Some("third party"));
        assert!(p.roles().contains(&"foundry-tuner"));
        // untouched defaults stay embedded
        assert_eq!(p.get("oracle").unwrap().source, PromptSource::Embedded);
    }

    #[test]
    fn missing_override_dir_is_only_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let p = Prompts::load(dir.path()).unwrap();
        assert_eq!(p.roles().len(), ROLES.len());
    }

    #[test]
    fn malformed_overrides_error_with_the_path() {
        let cases = [
            ("oracle.md", "no front matter here\n"),
            (
                "oracle.md",
                "---\nrole: oracle\ncategory: deep\noutput: envelope\n",
            ),
            (
                "oracle.md",
                "---\nrole: oracle\ncategory: huge\noutput: envelope\n---\nx\n",
            ),
            (
                "oracle.md",
                "---\nrole: oracle\ncategory: deep\noutput: envelope\nmodel: gpt\n---\nx\n",
            ),
            (
                "oracle.md",
                "---\nrole: oracle\ncategory: deep\noutput: envelope\n---\n\n",
            ),
            (
                "oracle.md",
                "---\nrole: momus\ncategory: deep\noutput: envelope\n---\nx\n",
            ),
            ("newrole.md", "Just a body without front matter.\n"),
        ];
        for (name, text) in cases {
            let dir = tempfile::tempdir().unwrap();
            let agents = dir.path().join(OVERRIDE_DIR);
            std::fs::create_dir_all(&agents).unwrap();
            let path = agents.join(name);
            std::fs::write(&path, text).unwrap();
            let err = Prompts::load(dir.path()).expect_err(text).to_string();
            assert!(
                err.contains(&path.display().to_string()),
                "{err:?} names {path:?}"
            );
        }
    }

    #[test]
    fn parse_prompt_accepts_crlf_and_bom() {
        let p = parse_prompt(
            "x.md",
            "x",
            "\u{feff}---\r\nrole: x\r\ncategory: quick\r\noutput: intent\r\n---\r\nBody\r\n",
            PromptSource::Embedded,
        )
        .unwrap();
        assert_eq!(p.body, "Body");
        assert_eq!(p.output.as_str(), "intent");
    }
}

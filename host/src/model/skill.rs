//! Skills (docs/design.md §3 invariant 4): a `SKILL.md` found for the user or the project.
//! Found once per run by the probe (`stages/probe/skills.rs`); injected into the agents whose
//! role they match (`engine/skills.rs`).
use std::path::PathBuf;

/// Where a skill was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkillScope {
    /// `~/.claude/skills/`.
    User,
    /// `<repo>/.claude/skills/`.
    Project,
}

/// One skill.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skill {
    /// `name:` of the front matter, or the skill's directory name when the front matter has
    /// none (or no parseable front matter).
    pub name: String,
    /// `description:` of the front matter (empty when absent).
    pub description: String,
    /// Path of the `SKILL.md` file.
    pub path: PathBuf,
    /// User or project skill.
    pub scope: SkillScope,
}

//! Skill injection (docs/design.md §3 invariant 4): a skill whose name matches an agent's semantic role
//! is added to that agent's context with no configuration.
//!
//! A skill matches a role when its name (lowercased) is the role itself, or is listed for the
//! role in [`SKILL_ROLES`]. The table extends docs/design.md §3's examples (functional-validation →
//! hephaestus, scout → probe, security-review → redteam-security) with the names skills for the
//! same work commonly carry. Probe and Hephaestus are host stages, not model agents: their
//! skills are listed in the probe report and the XML prompt (where the executing agent uses
//! them), but there is no prompt to inject them into.
use crate::model::Skill;

/// Most bytes of one skill's `SKILL.md` injected into a prompt; longer files are cut with a marker.
pub const MAX_SKILL_BYTES: usize = 16 * 1024;

/// Role → skill names that match it besides the role's own name. Planner entries apply to
/// every `prometheus-*` role.
pub const SKILL_ROLES: &[(&str, &[&str])] = &[
    ("intent-gate", &["triage", "task-triage", "intent"]),
    ("probe", &["scout", "repo-scout", "codebase-exploration"]),
    (
        "metis",
        &["requirements", "clarify", "requirements-analysis"],
    ),
    (
        "prometheus",
        &["planning", "writing-plans", "plan-writing", "architecture"],
    ),
    ("synthesizer", &["synthesis", "plan-synthesis"]),
    ("momus", &["plan-review", "code-review", "review"]),
    (
        "redteam-security",
        &["security-review", "security", "threat-model"],
    ),
    ("redteam-scope", &["scope-review", "scope"]),
    (
        "redteam-assumptions",
        &["assumptions-review", "assumption-check", "risk-review"],
    ),
    ("oracle", &["oracle", "adjudication"]),
    (
        "hephaestus",
        &["functional-validation", "validation", "verification"],
    ),
];

/// True when a skill named `skill` belongs in `role`'s context (see the module doc).
pub fn matches(skill: &str, role: &str) -> bool {
    let skill = skill.trim().to_ascii_lowercase();
    if skill == role {
        return true;
    }
    let key = if role.starts_with("prometheus-") {
        "prometheus"
    } else {
        role
    };
    SKILL_ROLES
        .iter()
        .any(|(r, names)| *r == key && names.contains(&skill.as_str()))
}

/// The roles (from [`SKILL_ROLES`] and the role names themselves) a skill named `skill` is
/// injected into; `prometheus` stands for every planner role. Empty when it matches none.
pub fn roles_for(skill: &str) -> Vec<&'static str> {
    let s = skill.trim().to_ascii_lowercase();
    SKILL_ROLES
        .iter()
        .filter(|(r, names)| *r == s || names.contains(&s.as_str()))
        .map(|(r, _)| *r)
        .collect()
}

/// A skill ready to inject: its name, description and `SKILL.md` text (bounded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injected {
    pub name: String,
    pub description: String,
    pub body: String,
}

/// The skills of `found` that match `role`, with their text read (at most [`MAX_SKILL_BYTES`]
/// each). A skill file that cannot be read is skipped (the probe report still lists it).
pub fn for_role(found: &[Skill], role: &str) -> Vec<Injected> {
    found
        .iter()
        .filter(|s| matches(&s.name, role))
        .filter_map(|s| {
            let text = std::fs::read_to_string(&s.path).ok()?;
            Some(Injected {
                name: s.name.clone(),
                description: s.description.clone(),
                body: bounded(text),
            })
        })
        .collect()
}

fn bounded(mut text: String) -> String {
    if text.len() > MAX_SKILL_BYTES {
        let mut cut = MAX_SKILL_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str("\n[… skill cut at 16 KiB]");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SkillScope;

    #[test]
    fn spec_examples_match() {
        assert!(matches("functional-validation", "hephaestus"));
        assert!(matches("scout", "probe"));
        assert!(matches("security-review", "redteam-security"));
        assert!(!matches("security-review", "redteam-scope"));
    }

    #[test]
    fn role_names_and_planner_aliases_match() {
        assert!(matches("momus", "momus"));
        assert!(matches("Planning", "prometheus-alloy"));
        assert!(matches("writing-plans", "prometheus-temper"));
        assert!(!matches("writing-plans", "momus"));
        assert_eq!(roles_for("security-review"), ["redteam-security"]);
        assert_eq!(roles_for("planning"), ["prometheus"]);
        assert!(roles_for("cooking").is_empty());
    }

    #[test]
    fn for_role_reads_and_bounds_the_skill() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("SKILL.md");
        std::fs::write(
            &path,
            format!("---\nname: security-review\n---\n{}", "é".repeat(20_000)),
        )
        .unwrap();
        let found = vec![
            Skill {
                name: "security-review".into(),
                description: "Review for security".into(),
                path: path.clone(),
                scope: SkillScope::Project,
            },
            Skill {
                name: "cooking".into(),
                description: String::new(),
                path,
                scope: SkillScope::User,
            },
        ];
        let got = for_role(&found, "redteam-security");
        assert_eq!(got.len(), 1);
        assert!(got[0].body.len() <= MAX_SKILL_BYTES + 40);
        assert!(got[0].body.ends_with("[… skill cut at 16 KiB]"));
        assert!(for_role(&found, "momus").is_empty());
    }
}

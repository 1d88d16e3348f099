//! Skills (docs/design.md §3 invariant 4): `~/.claude/skills/*/SKILL.md` (user) and the project's
//! `.claude/skills/*/SKILL.md`, named by the YAML front matter of their `SKILL.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::{Skill, SkillScope};

#[derive(Deserialize, Default)]
struct FrontMatter {
    name: Option<String>,
    description: Option<String>,
}

/// The skills of the user (`<home>/.claude/skills/*/SKILL.md`; `home` `None` means `$HOME`, and
/// no user skills when `$HOME` is unset) and of the project (`<repo_root>/.claude/skills/*/SKILL.md`),
/// sorted by name; a project skill replaces a user skill of the same name. Directories without a
/// readable `SKILL.md` are skipped; nothing here is an error.
pub fn find_skills(repo_root: &Path, home: Option<&Path>) -> Vec<Skill> {
    let home: Option<PathBuf> = home
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("HOME").map(PathBuf::from));
    let mut by_name: BTreeMap<String, Skill> = BTreeMap::new();
    let sources = [
        home.map(|h| (h.join(".claude/skills"), SkillScope::User)),
        Some((repo_root.join(".claude/skills"), SkillScope::Project)),
    ];
    for (dir, scope) in sources.into_iter().flatten() {
        for skill in skills_in(&dir, scope) {
            by_name.insert(skill.name.clone(), skill);
        }
    }
    by_name.into_values().collect()
}

fn skills_in(dir: &Path, scope: SkillScope) -> Vec<Skill> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    dirs.sort();
    dirs.into_iter()
        .filter_map(|d| {
            let path = d.join("SKILL.md");
            let text = std::fs::read_to_string(&path).ok()?;
            let fm = front_matter(&text).unwrap_or_default();
            let dir_name = d.file_name()?.to_string_lossy().into_owned();
            Some(Skill {
                name: fm
                    .name
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .unwrap_or(dir_name),
                description: fm.description.unwrap_or_default().trim().to_string(),
                path,
                scope,
            })
        })
        .collect()
}

/// The YAML between a leading `---` line and the next `---` line, parsed.
fn front_matter(text: &str) -> Option<FrontMatter> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines();
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let yaml: Vec<&str> = lines.take_while(|l| l.trim_end() != "---").collect();
    serde_yaml::from_str(&yaml.join("\n")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skill(root: &Path, dir: &str, text: &str) {
        let d = root.join(".claude/skills").join(dir);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("SKILL.md"), text).unwrap();
    }

    #[test]
    fn user_and_project_skills_project_wins() {
        let home = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        skill(
            home.path(),
            "scout",
            "---\nname: scout\ndescription: Explore a codebase\n---\n# Scout\n",
        );
        skill(
            home.path(),
            "sec",
            "---\nname: security-review\ndescription: user version\n---\n",
        );
        skill(home.path(), "plain", "# no front matter\n");
        std::fs::create_dir_all(home.path().join(".claude/skills/empty")).unwrap();
        skill(
            repo.path(),
            "security",
            "---\nname: security-review\ndescription: \"Project: check auth\"\n---\nbody\n",
        );
        skill(
            repo.path(),
            "fv",
            "---\nname: functional-validation\ndescription: Run the app\nallowed-tools: [Bash]\n---\n",
        );
        let skills = find_skills(repo.path(), Some(home.path()));
        let names: Vec<&str> = skills.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["functional-validation", "plain", "scout", "security-review"]
        );
        let sec = &skills[3];
        assert_eq!(sec.scope, SkillScope::Project);
        assert_eq!(sec.description, "Project: check auth");
        assert!(sec.path.starts_with(repo.path()));
        assert_eq!(skills[2].scope, SkillScope::User);
        assert_eq!(skills[2].description, "Explore a codebase");
    }

    #[test]
    fn missing_directories_give_no_skills() {
        let repo = tempfile::tempdir().unwrap();
        assert!(find_skills(repo.path(), Some(&repo.path().join("nope"))).is_empty());
    }
}

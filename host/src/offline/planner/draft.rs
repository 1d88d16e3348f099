//! A plan under construction. Phases carry a stable `key` instead of an id while the planner
//! inserts, merges and removes them; `depends_on` holds keys. [`Draft::finish`] numbers the
//! phases `00`, `01`, …, turns keys into ids, keeps only backward dependencies, makes slugs
//! unique kebab-case and fills in what docs/design.md §5 requires of every phase (a gate, a measurable
//! success criterion, an explicit rollback).
use super::ground::Grounding;
use crate::model::{Dependencies, FileAction, FileChange, Phase, Plan};
use crate::text::prose_list;

/// What a phase is for; lenses and rewrites use it to find phases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Preflight,
    /// A phase of the task kind's core shape.
    Core,
    /// The phase that carries the security gate.
    Security,
    /// Docs, release, rollout: dropped by the minimalist lens.
    Closing,
    /// Added by a lens.
    Lens,
    /// Added to answer a directive or a review finding.
    Added,
}

/// One phase of a draft.
#[derive(Clone, Debug)]
pub struct DPhase {
    /// Stable identity while phases move; the initial slug.
    pub key: String,
    /// What the phase is for (lenses and rewrites select phases by role).
    pub role: Role,
    /// `id` is ignored until [`Draft::finish`]; `depends_on` holds keys.
    pub phase: Phase,
    /// Effort in half days.
    pub half_days: u32,
}

impl DPhase {
    /// A phase with the given key (also its slug), role, title and goal; everything else empty.
    pub fn new(
        key: &str,
        role: Role,
        title: impl Into<String>,
        goal: impl Into<String>,
        half_days: u32,
    ) -> DPhase {
        DPhase {
            key: key.to_string(),
            role,
            phase: Phase {
                id: String::new(),
                slug: key.to_string(),
                title: title.into(),
                goal: goal.into(),
                steps: Vec::new(),
                files: Vec::new(),
                success_criteria: Vec::new(),
                gate: Vec::new(),
                rollback: String::new(),
                depends_on: Vec::new(),
                provenance: None,
            },
            half_days,
        }
    }

    /// Adds a step unless an identical one is there. Returns whether it was added.
    pub fn step(&mut self, s: impl Into<String>) -> bool {
        push_unique(&mut self.phase.steps, s.into())
    }

    /// Adds a success criterion unless an identical one is there.
    pub fn criterion(&mut self, s: impl Into<String>) -> bool {
        push_unique(&mut self.phase.success_criteria, s.into())
    }

    /// Adds a gate entry unless present.
    pub fn gate(&mut self, s: impl Into<String>) -> bool {
        push_unique(&mut self.phase.gate, s.into())
    }

    /// Adds a file change unless the path is already listed (the first action wins).
    pub fn file(&mut self, path: impl Into<String>, action: FileAction) -> bool {
        let path = path.into();
        if path.is_empty() || self.phase.files.iter().any(|f| f.path == path) {
            return false;
        }
        self.phase.files.push(FileChange { path, action });
        true
    }

    /// Adds a dependency on the phase with `key`.
    pub fn depends(&mut self, key: &str) {
        push_unique(&mut self.phase.depends_on, key.to_string());
    }

    /// Paths this phase creates.
    pub fn created(&self) -> Vec<String> {
        self.phase
            .files
            .iter()
            .filter(|f| f.action == FileAction::Create)
            .map(|f| f.path.clone())
            .collect()
    }

    /// Paths this phase modifies.
    pub fn modified(&self) -> Vec<String> {
        self.phase
            .files
            .iter()
            .filter(|f| f.action == FileAction::Modify)
            .map(|f| f.path.clone())
            .collect()
    }

    /// All the text of the phase, as written (title, goal, rollback, steps, criteria, gates, paths).
    pub fn text_raw(&self) -> String {
        let p = &self.phase;
        let mut s = format!("{}\n{}\n{}", p.title, p.goal, p.rollback);
        for x in p.steps.iter().chain(&p.success_criteria).chain(&p.gate) {
            s.push('\n');
            s.push_str(x);
        }
        s
    }

    /// All the text of the phase, lowercased, for matching.
    pub fn text(&self) -> String {
        let p = &self.phase;
        let mut s = format!("{} {} {} {}", p.slug, p.title, p.goal, p.rollback);
        for x in p.steps.iter().chain(&p.success_criteria).chain(&p.gate) {
            s.push(' ');
            s.push_str(x);
        }
        for f in &p.files {
            s.push(' ');
            s.push_str(&f.path);
        }
        s.to_lowercase()
    }
}

/// Pushes `s` unless an equal string is present; returns whether it was pushed.
pub fn push_unique(v: &mut Vec<String>, s: String) -> bool {
    if s.trim().is_empty() || v.iter().any(|x| x == &s) {
        false
    } else {
        v.push(s);
        true
    }
}

/// A plan under construction.
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// Plan title (the task, capitalised).
    pub title: String,
    /// Thesis sentences, joined with spaces.
    pub thesis: Vec<String>,
    /// Phases in order; phase 0 is preflight.
    pub phases: Vec<DPhase>,
    /// Services, environment variables and permissions.
    pub deps: Dependencies,
    /// Honest, task-specific out-of-scope items.
    pub out_of_scope: Vec<String>,
    /// Rules every phase obeys, including `Deferred: … — because …` entries.
    pub iron_rules: Vec<String>,
}

impl Draft {
    /// Index of the phase with `key`.
    pub fn index(&self, key: &str) -> Option<usize> {
        self.phases.iter().position(|p| p.key == key)
    }

    /// The phase with `key`.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut DPhase> {
        self.phases.iter_mut().find(|p| p.key == key)
    }

    /// Keys of the phases with `role`, in order.
    pub fn keys_with(&self, role: Role) -> Vec<String> {
        self.phases
            .iter()
            .filter(|p| p.role == role)
            .map(|p| p.key.clone())
            .collect()
    }

    /// Keys of every phase but preflight.
    pub fn work_keys(&self) -> Vec<String> {
        self.phases
            .iter()
            .filter(|p| p.role != Role::Preflight)
            .map(|p| p.key.clone())
            .collect()
    }

    /// Key of the first core phase that modifies or creates code (the implementation phase),
    /// else the first non-preflight phase.
    pub fn impl_key(&self) -> Option<String> {
        let code = |p: &&DPhase, action: Option<FileAction>| {
            p.role == Role::Core
                && p.phase.files.iter().any(|f| {
                    action.map(|a| a == f.action).unwrap_or(true)
                        && super::paths::is_code_path(&f.path)
                        && !super::paths::is_test_path(&f.path)
                })
        };
        self.phases
            .iter()
            .find(|p| code(p, Some(FileAction::Modify)))
            .or_else(|| self.phases.iter().find(|p| code(p, None)))
            .or_else(|| self.phases.iter().find(|p| p.role == Role::Core))
            .or_else(|| self.phases.iter().find(|p| p.role != Role::Preflight))
            .map(|p| p.key.clone())
    }

    /// A key not used yet, derived from `base`.
    pub fn fresh_key(&self, base: &str) -> String {
        let base = clean_slug(base);
        if self.index(&base).is_none() {
            return base;
        }
        (2..)
            .map(|n| clean_slug(&format!("{base}-{n}")))
            .find(|k| self.index(k).is_none())
            .expect("unbounded search finds a free key")
    }

    /// Inserts `p` at `at` (clamped to 1..=len so preflight stays first).
    pub fn insert(&mut self, at: usize, p: DPhase) {
        let at = at.clamp(1.min(self.phases.len()), self.phases.len());
        self.phases.insert(at, p);
    }

    /// Inserts `p` before the first closing phase (or at the end).
    pub fn insert_before_closing(&mut self, p: DPhase) {
        let at = self
            .phases
            .iter()
            .position(|x| x.role == Role::Closing)
            .unwrap_or(self.phases.len());
        self.insert(at, p);
    }

    /// Removes the phase with `key`, rewiring dependants to its own dependencies. Returns it.
    pub fn remove(&mut self, key: &str) -> Option<DPhase> {
        let i = self.index(key)?;
        let removed = self.phases.remove(i);
        for p in &mut self.phases {
            if p.phase.depends_on.iter().any(|d| d == key) {
                p.phase.depends_on.retain(|d| d != key);
                for d in &removed.phase.depends_on {
                    push_unique(&mut p.phase.depends_on, d.clone());
                }
            }
        }
        Some(removed)
    }

    /// Merges the phase `second` into `first` (steps, files, criteria, gates, rollback,
    /// dependencies), removing `second`.
    pub fn merge(&mut self, first: &str, second: &str) {
        let Some(b) = self.remove(second) else { return };
        let Some(a) = self.get_mut(first) else { return };
        for s in b.phase.steps {
            a.step(s);
        }
        for f in b.phase.files {
            a.file(f.path, f.action);
        }
        for c in b.phase.success_criteria {
            a.criterion(c);
        }
        for g in b.phase.gate {
            a.gate(g);
        }
        // The merged phase's rollback: the later phase's (which undoes the larger change),
        // plus deleting what the earlier one created if it does not say so already.
        if !b.phase.rollback.is_empty() {
            let created_a: Vec<String> = a
                .created()
                .into_iter()
                .filter(|c| !b.phase.rollback.contains(c.as_str()))
                .map(|c| format!("`{c}`"))
                .collect();
            a.phase.rollback = if created_a.is_empty() {
                b.phase.rollback
            } else {
                format!(
                    "{} Also delete {}.",
                    b.phase.rollback.trim_end(),
                    prose_list(&created_a, "")
                )
            };
        }
        for d in b.phase.depends_on {
            if d != a.key {
                a.depends(&d);
            }
        }
        a.half_days += b.half_days;
        if b.role == Role::Security {
            a.role = Role::Security;
        }
        let key = a.key.clone();
        for p in &mut self.phases {
            if p.key != key {
                for d in &mut p.phase.depends_on {
                    if d == second {
                        *d = key.clone();
                    }
                }
                p.phase.depends_on.dedup();
            }
        }
    }

    /// Declares a service in the plan's dependencies (no duplicate by leading name).
    pub fn service(&mut self, s: String) -> bool {
        let name = s.split_whitespace().next().unwrap_or("").to_lowercase();
        if self
            .deps
            .services
            .iter()
            .any(|x| x.split_whitespace().next().unwrap_or("").to_lowercase() == name)
        {
            return false;
        }
        push_unique(&mut self.deps.services, s)
    }

    /// Declares an environment variable.
    pub fn env(&mut self, v: &str) -> bool {
        push_unique(&mut self.deps.env_vars, v.to_string())
    }

    /// Declares a permission.
    pub fn permission(&mut self, p: String) -> bool {
        push_unique(&mut self.deps.permissions, p)
    }

    /// Adds an iron rule.
    pub fn rule(&mut self, r: impl Into<String>) -> bool {
        push_unique(&mut self.iron_rules, r.into())
    }

    /// Adds an out-of-scope item.
    pub fn out(&mut self, r: impl Into<String>) -> bool {
        push_unique(&mut self.out_of_scope, r.into())
    }

    /// Provisional id (`"03"`) of the phase with `key` in the current order.
    pub fn id_of(&self, key: &str) -> Option<String> {
        self.index(key).map(|i| format!("{i:02}"))
    }

    /// Turns the draft into a [`Plan`] by docs/design.md §5 and the phase conventions: ids `00`…
    /// consecutive, unique kebab-case slugs (≤ 40 chars), dependencies on earlier phases only
    /// (a phase with none depends on the one before it), a gate, a measurable criterion and a
    /// rollback on every phase, and the effort line.
    pub fn finish(mut self, g: &Grounding, author: &str) -> Plan {
        self.repair(g);
        let keys: Vec<String> = self.phases.iter().map(|p| p.key.clone()).collect();
        let mut used_slugs: Vec<String> = Vec::new();
        let mut phases = Vec::new();
        let mut half_days = 0;
        for (i, dp) in self.phases.iter().enumerate() {
            let mut p = dp.phase.clone();
            p.id = format!("{i:02}");
            p.title = cap(&p.title.replace(['\n', '\r'], " "), MAX_TITLE);
            p.goal = cap(&p.goal, MAX_TEXT);
            p.rollback = cap(&p.rollback, MAX_TEXT);
            for v in [&mut p.steps, &mut p.success_criteria, &mut p.gate] {
                for x in v.iter_mut() {
                    *x = cap(x, MAX_TEXT);
                }
            }
            let mut slug = if i == 0 {
                "preflight".to_string()
            } else {
                clean_slug(&p.slug)
            };
            if i != 0 && slug == "preflight" {
                slug = "preflight-followup".into();
            }
            let base = slug.clone();
            let mut n = 2;
            while used_slugs.contains(&slug) {
                slug = clean_slug(&format!("{base}-{n}"));
                n += 1;
            }
            used_slugs.push(slug.clone());
            p.slug = slug;
            let mut deps: Vec<String> = Vec::new();
            for d in &dp.phase.depends_on {
                if let Some(j) = keys.iter().position(|k| k == d) {
                    if j < i {
                        push_unique(&mut deps, format!("{j:02}"));
                    }
                } else if d.len() == 2 && d.chars().all(|c| c.is_ascii_digit()) {
                    if let Ok(j) = d.parse::<usize>() {
                        if j < i {
                            push_unique(&mut deps, format!("{j:02}"));
                        }
                    }
                }
            }
            if i > 0 && deps.is_empty() {
                deps.push(format!("{:02}", i - 1));
            }
            deps.sort();
            p.depends_on = deps;
            half_days += dp.half_days.max(1);
            phases.push(p);
        }
        let days = (half_days as f64 / 2.0).ceil() as u32;
        let effort = format!(
            "{} phases, ~{} day{}",
            phases.len(),
            days.max(1),
            if days > 1 { "s" } else { "" }
        );
        let cap_all = |v: Vec<String>| v.into_iter().map(|x| cap(&x, MAX_TEXT)).collect::<Vec<_>>();
        let mut deps = self.deps;
        deps.services = cap_all(deps.services);
        deps.env_vars = cap_all(deps.env_vars);
        deps.permissions = cap_all(deps.permissions);
        Plan {
            title: cap(&self.title.replace(['\n', '\r'], " "), MAX_TITLE),
            thesis: cap(&self.thesis.join(" "), MAX_TEXT),
            effort,
            phases,
            dependencies: deps,
            out_of_scope: cap_all(self.out_of_scope),
            iron_rules: cap_all(self.iron_rules),
            author: author.to_string(),
        }
    }

    /// Fills what docs/design.md §5 requires of every phase when a builder, a lens or a prior plan left
    /// it out: a gate, a measurable success criterion, an explicit rollback; also turns
    /// `create` of an existing file into `modify` and drops `modify`/`delete` of a file that
    /// does not exist when the repository is readable.
    pub fn repair(&mut self, g: &Grounding) {
        let root_readable = g.repo_root.is_dir();
        let gate = g.impl_gate();
        let mut created_before: Vec<String> = Vec::new();
        for dp in &mut self.phases {
            let p = &mut dp.phase;
            // Files. A file an earlier phase creates is not listed again: it does not exist in
            // the repository yet, so it can be neither a `modify` nor a second `create` target.
            let mut files = Vec::new();
            for f in p.files.drain(..) {
                let mut f = f;
                if created_before.contains(&f.path) {
                    continue;
                }
                if root_readable {
                    let exists = g.exists(&f.path);
                    match f.action {
                        FileAction::Create if exists => f.action = FileAction::Modify,
                        FileAction::Modify | FileAction::Delete if !exists => {
                            // A file the repository does not have: a modify becomes a create
                            // (it is new work), a delete of nothing is dropped.
                            if f.action == FileAction::Delete {
                                continue;
                            }
                            f.action = FileAction::Create;
                        }
                        _ => {}
                    }
                }
                if !files.iter().any(|x: &FileChange| x.path == f.path) {
                    files.push(f);
                }
            }
            created_before.extend(
                files
                    .iter()
                    .filter(|f| f.action == FileAction::Create)
                    .map(|f| f.path.clone()),
            );
            p.files = files;
            // Gate: a detected command or a `check:`; any other command (e.g. from a model's
            // prior plan) becomes a manual check, since Hephaestus would never run it.
            p.gate.retain(|x| !x.trim().is_empty());
            for x in p.gate.iter_mut() {
                let t = x.trim().to_string();
                if !t.starts_with("check:") && !g.commands.contains(&t) {
                    *x = format!("check: `{t}` passes (not a command the probe detected, so it is run by hand)");
                } else if t.starts_with("check:") && !t.starts_with("check: ") {
                    *x = format!("check: {}", t.trim_start_matches("check:").trim());
                }
            }
            let mut seen: Vec<String> = Vec::new();
            p.gate.retain(|x| push_unique(&mut seen, x.clone()));
            if p.gate.is_empty() {
                if dp.role == Role::Preflight || gate.is_empty() {
                    p.gate
                        .push(format!("check: {}", manual_check(&p.title, &p.goal)));
                } else {
                    p.gate.extend(gate.iter().cloned());
                }
            }
            // Success criteria: at least one measurable.
            p.success_criteria.retain(|x| !x.trim().is_empty());
            if !p.success_criteria.iter().any(|c| is_measurable(c)) {
                let cmd = p.gate.iter().find(|x| !x.starts_with("check:")).cloned();
                p.success_criteria.push(match cmd {
                    Some(c) => format!("`{c}` exits 0 with 0 failing tests, and the passing-test count is at least the phase-00 baseline"),
                    None => format!("check: 100% of the steps of this phase ({} in total) are done and recorded in evidence/", p.steps.len().max(1)),
                });
            }
            // Rollback.
            if p.rollback.trim().is_empty() {
                p.rollback = default_rollback(dp.role, &p.files);
            }
        }
    }
}

/// Longest phase or plan title written (the plan validator allows 200 characters).
pub const MAX_TITLE: usize = 160;
/// Longest other text item written (the plan validator allows 2000 characters).
pub const MAX_TEXT: usize = 1800;

/// `s` cut to `n` characters, ending with `…` when cut.
pub fn cap(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A manual check derived from a phase's title and goal.
fn manual_check(title: &str, goal: &str) -> String {
    let g = goal.trim_end_matches('.');
    if g.is_empty() {
        format!(
            "{} — 100% of its steps done and recorded in evidence/",
            title.trim_end_matches('.')
        )
    } else {
        format!("{g} — 100% of the phase's steps done and recorded in evidence/")
    }
}

/// Whether a success criterion is measurable: the one definition shared with Momus and Alloy's
/// synthesis ([`plan_rules::is_measurable`]).
pub use plan_rules::is_measurable;

/// The rollback of a phase that had none: revert its commits, delete what it created.
pub fn default_rollback(role: Role, files: &[FileChange]) -> String {
    if role == Role::Preflight && files.is_empty() {
        return "Nothing to roll back: preflight changes no file; discard the evidence notes if needed.".into();
    }
    let created: Vec<String> = files
        .iter()
        .filter(|f| f.action == FileAction::Create)
        .map(|f| format!("`{}`", f.path))
        .collect();
    let modified: Vec<String> = files
        .iter()
        .filter(|f| f.action == FileAction::Modify)
        .map(|f| format!("`{}`", f.path))
        .collect();
    let mut s = "Revert this phase's commits with `git revert`".to_string();
    if !created.is_empty() {
        s.push_str(&format!("; this deletes {}", prose_list(&created, "")));
    }
    if !modified.is_empty() {
        s.push_str(&format!(
            "; {} {} to {} previous state",
            prose_list(&modified, ""),
            if modified.len() == 1 {
                "returns"
            } else {
                "return"
            },
            if modified.len() == 1 { "its" } else { "their" }
        ));
    }
    if files.is_empty() {
        s.push_str("; the phase changes no file, so nothing else is undone");
    }
    s.push('.');
    s
}

/// Lowercase kebab-case `[a-z0-9-]`, at most 40 characters, no leading/trailing/double dash.
pub fn clean_slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_matches('-').to_string();
    if out.len() > 40 {
        out.truncate(40);
        if let Some(i) = out.rfind('-') {
            if i >= 20 {
                out.truncate(i);
            }
        }
        out = out.trim_matches('-').to_string();
    }
    if out.is_empty() {
        "phase".to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TaskKind;
    use std::path::Path;

    #[test]
    fn slugs_are_clean() {
        assert_eq!(clean_slug("Add Rate Limiting!"), "add-rate-limiting");
        let long = clean_slug("implement the very long descriptive phase name that goes on and on");
        assert!(long.len() <= 40 && !long.ends_with('-'), "{long}");
        assert_eq!(clean_slug("--"), "phase");
    }

    #[test]
    fn finish_numbers_and_rewires() {
        let g = Grounding::from_parts(
            "Add a thing to the widget module",
            TaskKind::Feature,
            &Default::default(),
            Path::new("/nonexistent"),
        );
        let mut d = Draft::default();
        d.phases.push(DPhase::new(
            "preflight",
            Role::Preflight,
            "Preflight",
            "Baseline",
            1,
        ));
        let mut a = DPhase::new("a", Role::Core, "A", "Do a", 2);
        a.depends("c"); // forward reference: dropped
        d.phases.push(a);
        d.phases.push(DPhase::new("b", Role::Core, "B", "Do b", 2));
        let mut c = DPhase::new("c", Role::Core, "C", "Do c", 2);
        c.depends("a");
        c.depends("preflight");
        d.phases.push(c);
        d.merge("a", "b");
        let plan = d.finish(&g, "prometheus-cast");
        let ids: Vec<&str> = plan.phases.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, vec!["00", "01", "02"]);
        assert_eq!(plan.phases[0].slug, "preflight");
        assert_eq!(plan.phases[1].depends_on, vec!["00"]);
        assert_eq!(plan.phases[2].depends_on, vec!["00", "01"]);
        for p in &plan.phases {
            assert!(!p.gate.is_empty() && !p.rollback.is_empty());
            assert!(p.success_criteria.iter().any(|c| is_measurable(c)));
        }
        assert_eq!(plan.effort, "3 phases, ~4 days");
    }
}

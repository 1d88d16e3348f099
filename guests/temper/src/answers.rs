//! Which finding each change of a rewrite answers (docs/design.md §2 Temper): the findings of
//! depth N−1's Momus and red-team envelopes set against what the plan of depth N changed in the
//! place each finding points at.
//!
//! A finding located at `plan/phase-NN-slug.md` is about that phase of plan N−1; it is answered
//! when the rewrite changed that phase (which of its parts: steps, files, success criteria,
//! gate, rollback, title, goal, depends_on) or removed it. A finding located at `plan/plan.md`
//! is answered when the plan-level parts changed (phases added or removed, dependencies,
//! out-of-scope, iron rules). Anything else is recorded as not answered, so the history shows
//! which findings a depth left standing.
use anneal_guest::types::{Envelope, Phase, Plan};

/// One finding of depth N−1 and what depth N changed for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub agent: String,
    pub location: String,
    pub concern: String,
    /// What changed where the finding points (`"rollback"`, `"steps +2 −1"`, `"phase removed"`);
    /// empty when nothing did.
    pub changes: Vec<String>,
}

fn phase_id_slug(location: &str) -> Option<(String, String)> {
    let file = location.split('#').next()?.strip_prefix("plan/phase-")?;
    let stem = file.strip_suffix(".md")?;
    let (id, slug) = stem.split_once('-')?;
    Some((id.to_string(), slug.to_string()))
}

fn list_change(name: &str, a: &[String], b: &[String]) -> Option<String> {
    if a == b {
        return None;
    }
    let added = b.iter().filter(|x| !a.contains(x)).count();
    let removed = a.iter().filter(|x| !b.contains(x)).count();
    Some(match (added, removed) {
        (0, 0) => format!("{name} reordered"),
        (a, 0) => format!("{name} +{a}"),
        (0, r) => format!("{name} −{r}"),
        (a, r) => format!("{name} +{a} −{r}"),
    })
}

/// The parts of phase `a` that `b` changed.
pub fn phase_changes(a: &Phase, b: &Phase) -> Vec<String> {
    let mut out = Vec::new();
    if a.title != b.title {
        out.push("title".to_string());
    }
    if a.goal != b.goal {
        out.push("goal".to_string());
    }
    out.extend(list_change("steps", &a.steps, &b.steps));
    let files = |p: &Phase| -> Vec<String> {
        p.files
            .iter()
            .map(|f| format!("{:?} {}", f.action, f.path))
            .collect()
    };
    out.extend(list_change("files", &files(a), &files(b)));
    out.extend(list_change(
        "success criteria",
        &a.success_criteria,
        &b.success_criteria,
    ));
    out.extend(list_change("gate", &a.gate, &b.gate));
    if a.rollback != b.rollback {
        out.push("rollback".to_string());
    }
    out.extend(list_change("depends_on", &a.depends_on, &b.depends_on));
    out
}

/// The plan-level parts `b` changed from `a`.
pub fn plan_changes(a: &Plan, b: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    let slugs = |p: &Plan| -> Vec<String> { p.phases.iter().map(|x| x.slug.clone()).collect() };
    out.extend(list_change("phases", &slugs(a), &slugs(b)));
    out.extend(list_change(
        "dependencies.services",
        &a.dependencies.services,
        &b.dependencies.services,
    ));
    out.extend(list_change(
        "dependencies.env_vars",
        &a.dependencies.env_vars,
        &b.dependencies.env_vars,
    ));
    out.extend(list_change(
        "dependencies.permissions",
        &a.dependencies.permissions,
        &b.dependencies.permissions,
    ));
    out.extend(list_change(
        "out_of_scope",
        &a.out_of_scope,
        &b.out_of_scope,
    ));
    out.extend(list_change("iron_rules", &a.iron_rules, &b.iron_rules));
    out
}

/// For every finding of `feedback` (the envelopes about `prev`), what `next` changed where the
/// finding points (module docs). In envelope order, then finding order.
pub fn answers(prev: &Plan, next: &Plan, feedback: &[Envelope]) -> Vec<Answer> {
    let mut out = Vec::new();
    for e in feedback {
        for f in &e.findings {
            let changes = match phase_id_slug(&f.location) {
                Some((id, slug)) => {
                    let before = prev
                        .phases
                        .iter()
                        .find(|p| p.slug == slug)
                        .or_else(|| prev.phases.iter().find(|p| p.id == id));
                    match before {
                        None => Vec::new(),
                        Some(b) => match next.phases.iter().find(|p| p.slug == b.slug) {
                            Some(a) => phase_changes(b, a),
                            None => vec!["phase removed".to_string()],
                        },
                    }
                }
                None => plan_changes(prev, next),
            };
            out.push(Answer {
                agent: e.agent.clone(),
                location: f.location.clone(),
                concern: f.concern.clone(),
                changes,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anneal_guest::types::{
        Dependencies, EnvelopeMetadata, FileAction, FileChange, Finding, Severity, Verdict,
    };

    fn phase(id: &str, slug: &str) -> Phase {
        Phase {
            id: id.into(),
            slug: slug.into(),
            title: "T".into(),
            goal: "G".into(),
            steps: vec!["Edit `a.rs`.".into()],
            files: vec![FileChange {
                path: "a.rs".into(),
                action: FileAction::Modify,
            }],
            success_criteria: vec!["`cargo test` exits 0".into()],
            gate: vec!["cargo test".into()],
            rollback: String::new(),
            depends_on: vec![],
            provenance: None,
        }
    }

    fn plan(phases: Vec<Phase>) -> Plan {
        Plan {
            title: "P".into(),
            thesis: "T".into(),
            effort: "1".into(),
            phases,
            dependencies: Dependencies {
                services: vec![],
                env_vars: vec![],
                permissions: vec![],
            },
            out_of_scope: vec![],
            iron_rules: vec![],
            author: "prometheus-temper".into(),
        }
    }

    fn env(agent: &str, locations: &[&str]) -> Envelope {
        Envelope {
            agent: agent.into(),
            run_id: "r".into(),
            depth: Some(0),
            verdict: Verdict::Caution,
            score: None,
            summary: "s".into(),
            findings: locations
                .iter()
                .map(|l| Finding {
                    location: (*l).into(),
                    severity: Severity::High,
                    concern: format!("about {l}"),
                    demand: "Fix it.".into(),
                })
                .collect(),
            directives: vec![],
            clarifying_questions: vec![],
            metadata: EnvelopeMetadata {
                timestamp: "t".into(),
                reviewer_model: "m".into(),
                token_cost: 0,
            },
        }
    }

    #[test]
    fn each_finding_gets_what_changed_where_it_points() {
        let prev = plan(vec![
            phase("00", "preflight"),
            phase("01", "impl"),
            phase("02", "docs"),
        ]);
        let mut next = plan(vec![phase("00", "preflight"), phase("01", "impl")]);
        next.phases[1].rollback = "Revert the commit with `git revert`.".into();
        next.phases[1]
            .steps
            .push("Add a test in `a_test.rs`.".into());
        next.out_of_scope.push("Docs.".into());
        let feedback = [env(
            "momus",
            &[
                "plan/phase-01-impl.md",
                "plan/phase-02-docs.md",
                "plan/phase-00-preflight.md",
                "plan/plan.md",
            ],
        )];
        let a = answers(&prev, &next, &feedback);
        assert_eq!(a[0].changes, vec!["steps +1", "rollback"]);
        assert_eq!(a[1].changes, vec!["phase removed"]);
        assert!(a[2].changes.is_empty(), "unanswered");
        assert_eq!(a[3].changes, vec!["phases −1", "out_of_scope +1"]);
    }
}

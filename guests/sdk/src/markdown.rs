//! Markdown rendering of a plan, for strategy artifacts (variants, per-depth plans).
use crate::types::Plan;
use std::fmt::Write;

/// Renders `plan` as one Markdown document: thesis, dependencies, every phase in full,
/// out-of-scope and iron rules. Deterministic: the same plan gives the same bytes.
pub fn plan(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", plan.title);
    let _ = writeln!(s, "- author: {}", plan.author);
    let _ = writeln!(s, "- effort: {}\n", plan.effort);
    let _ = writeln!(s, "## Thesis\n\n{}\n", plan.thesis);
    let d = &plan.dependencies;
    let _ = writeln!(s, "## Dependencies\n");
    list(&mut s, "services", &d.services);
    list(&mut s, "environment variables", &d.env_vars);
    list(&mut s, "permissions", &d.permissions);
    s.push('\n');
    for p in &plan.phases {
        let _ = writeln!(s, "## Phase {} — {} (`{}`)\n", p.id, p.title, p.slug);
        let _ = writeln!(s, "**Goal:** {}\n", p.goal);
        if !p.depends_on.is_empty() {
            let _ = writeln!(s, "**Depends on:** {}\n", p.depends_on.join(", "));
        }
        section(&mut s, "Steps", &p.steps);
        let files: Vec<String> = p
            .files
            .iter()
            .map(|f| format!("`{}` ({})", f.path, crate::names::file_action(f.action)))
            .collect();
        section(&mut s, "Files", &files);
        section(&mut s, "Success criteria", &p.success_criteria);
        let gates: Vec<String> = p.gate.iter().map(|g| format!("`{g}`")).collect();
        section(&mut s, "Gate", &gates);
        let _ = writeln!(s, "**Rollback:** {}\n", p.rollback);
        if let Some(pv) = &p.provenance {
            let _ = writeln!(s, "**Provenance:** primary `{}`", pv.primary_source);
            if let Some(sec) = &pv.secondary_source {
                let _ = writeln!(s, ", secondary `{sec}`");
            }
            s.push('\n');
        }
    }
    section(&mut s, "Out of scope", &plan.out_of_scope);
    section(&mut s, "Iron rules", &plan.iron_rules);
    s
}

fn list(s: &mut String, name: &str, items: &[String]) {
    if items.is_empty() {
        let _ = writeln!(s, "- {name}: none");
    } else {
        let _ = writeln!(s, "- {name}: {}", items.join(", "));
    }
}

fn section(s: &mut String, name: &str, items: &[String]) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(s, "**{name}:**\n");
    for i in items {
        let _ = writeln!(s, "- {i}");
    }
    s.push('\n');
}

//! The deterministic plan checks (docs/design.md §5 "Checks"): what can be checked about a plan
//! without judgement, against the task, the probe report, the code index's resolution, the
//! repository and — when one was recorded — the baseline.
//!
//! One definition, used by every reviewer: offline Momus scores each hit in its rubric
//! dimension ([`Hit::dimension`]); the offline red team reports the hits of its side
//! (assumptions: [`Check::NamedFile`], [`Check::Missing`], [`Check::Gate`]; scope:
//! [`Check::GenericStep`], [`Check::RepositoryFit`], [`Check::Scope`]); the Oracle adds every
//! hit no reviewer reported; model reviewers receive the hits as pre-check findings in their
//! prompt, and the host caps a model Momus's score when a hit is critical.
//!
//! | check | what it finds | severity |
//! |---|---|---|
//! | [`Check::NamedFile`] | a file defining a name the task mentions (resolved exactly, at most 3 files) that no phase touches | critical |
//! | [`Check::Missing`] | a modified or deleted file that does not exist and no earlier phase creates; a created file that exists; an unsafe path | critical; medium; high |
//! | [`Check::Contradiction`] | a phase that changes a file an earlier phase deletes, or a file or name an earlier phase renames | critical (file), high (name) |
//! | [`Check::Gate`] | a gate command the project does not declare; a gate command that fails on the baseline | medium, high when nothing declared is left in the gate; high |
//! | [`Check::Criterion`] | a phase without a success criterion, or without a measurable one | high; medium |
//! | [`Check::Rollback`] | a phase without a rollback, or one that does not say how to undo | high (low when it changes no file); medium |
//! | [`Check::Phase`] | the other phase-rubric rules: no steps, no goal, no gate, a vague gate, creep | medium, low, high, medium, medium |
//! | [`Check::GenericStep`] | a phase that changes files and none of whose steps names a file, symbol or command ("Add tests", "Update docs") | high |
//! | [`Check::RepositoryFit`] | deployment, rollout or production-operations work in a repository with no deployable service | high (a phase about it), medium (a mention) |
//! | [`Check::Scope`] | an existing file changed that nothing relates to the task; a phase tied to nothing in the task | high; medium |
//!
//! Every hit carries a [`Finding`] with a location (`plan/phase-NN-slug.md` or
//! `plan/plan.md`), a concern without reviewer prefix and an imperative demand. Deterministic,
//! read-only, never panics on odd plans.
mod files;
pub mod fit;
mod gates;
mod phases;
mod scope;
mod steps;

use crate::model::Context;
use crate::model::{Envelope, Finding, Plan, Severity};
pub use plan_rules::rubric::Dimension;
use plan_rules::rubric::Level;

/// The commands the project declares: the probe's detected commands.
pub fn declared(ctx: &Context<'_>) -> Vec<String> {
    ctx.probe
        .commands
        .iter()
        .map(|c| c.command.trim().to_string())
        .collect()
}

/// Which check found something (the rows of the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Check {
    NamedFile,
    Missing,
    Contradiction,
    Gate,
    Criterion,
    Rollback,
    Phase,
    GenericStep,
    RepositoryFit,
    Scope,
}

impl Check {
    /// Every check, in table order.
    pub const ALL: [Check; 10] = [
        Check::NamedFile,
        Check::Missing,
        Check::Contradiction,
        Check::Gate,
        Check::Criterion,
        Check::Rollback,
        Check::Phase,
        Check::GenericStep,
        Check::RepositoryFit,
        Check::Scope,
    ];

    /// A short kebab-case name, e.g. `named-file`, `repository-fit`.
    pub fn name(self) -> &'static str {
        match self {
            Check::NamedFile => "named-file",
            Check::Missing => "missing-reference",
            Check::Contradiction => "contradiction",
            Check::Gate => "gate",
            Check::Criterion => "success-criterion",
            Check::Rollback => "rollback",
            Check::Phase => "phase-rubric",
            Check::GenericStep => "generic-step",
            Check::RepositoryFit => "repository-fit",
            Check::Scope => "scope",
        }
    }
}

/// One thing a check found.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub check: Check,
    /// The rubric dimension it costs (docs/design.md §5).
    pub dimension: Dimension,
    /// Location, severity, concern (no reviewer prefix) and demand.
    pub finding: Finding,
}

/// Runs every check on `plan` (the baseline, when any, is `ctx.baseline`). Hits in table order,
/// then plan order.
pub fn run(ctx: &Context<'_>, plan: &Plan) -> Vec<Hit> {
    let mut hits = Vec::new();
    hits.extend(files::named_files(ctx, plan));
    hits.extend(files::missing(ctx, plan));
    hits.extend(files::contradictions(plan));
    hits.extend(gates::gates(ctx, plan));
    hits.extend(phases::phase_rules(ctx, plan));
    hits.extend(steps::generic_steps(ctx, plan));
    hits.extend(fit::repository_fit(ctx, plan));
    hits.extend(scope::scope(ctx, plan));
    hits.sort_by_key(|h| h.check);
    hits
}

/// The hits of `checks` only.
pub fn only(hits: &[Hit], checks: &[Check]) -> Vec<Hit> {
    hits.iter()
        .filter(|h| checks.contains(&h.check))
        .cloned()
        .collect()
}

/// The hits as findings whose concern starts with `prefix` (`"Assumptions: …"`).
pub fn prefixed(hits: &[Hit], prefix: &str) -> Vec<Finding> {
    hits.iter()
        .map(|h| Finding {
            concern: format!("{prefix}: {}", h.finding.concern),
            ..h.finding.clone()
        })
        .collect()
}

/// The rubric level of a severity.
pub fn level(s: Severity) -> Level {
    match s {
        Severity::Critical => Level::Critical,
        Severity::High => Level::High,
        Severity::Medium => Level::Medium,
        Severity::Low => Level::Low,
    }
}

/// The severity of a rubric level.
pub fn severity(l: Level) -> Severity {
    match l {
        Level::Critical => Severity::Critical,
        Level::High => Severity::High,
        Level::Medium => Severity::Medium,
        Level::Low => Severity::Low,
    }
}

/// The pre-check findings handed to model reviewers (docs/design.md §5): every hit, worst
/// first, concern prefixed `Pre-check (<check>)`.
pub fn precheck_findings(hits: &[Hit]) -> Vec<Finding> {
    let mut v: Vec<Finding> = hits
        .iter()
        .map(|h| Finding {
            concern: format!("Pre-check ({}): {}", h.check.name(), h.finding.concern),
            ..h.finding.clone()
        })
        .collect();
    v.sort_by_key(|f| std::cmp::Reverse(f.severity.rank()));
    v
}

/// A model Momus's envelope held to the rubric's critical cap (docs/design.md §5): when a
/// deterministic check found something critical, the score is at most
/// [`plan_rules::rubric::CAP_ON_CRITICAL`] and the verdict at least the band of that score,
/// with the reason in the summary. Any other envelope is returned unchanged.
pub fn cap_model_score(mut momus: Envelope, hits: &[Hit]) -> Envelope {
    let critical = hits
        .iter()
        .find(|h| h.finding.severity == Severity::Critical);
    if let (Some(score), Some(hit)) = (momus.score, critical) {
        let capped = plan_rules::rubric::cap_for_critical(score, true);
        if capped < score {
            momus.score = Some(capped);
            momus.verdict = momus.verdict.max(crate::model::rules::band(capped));
            momus.summary = crate::model::envelope::truncate_summary(format!(
                "{} [critical pre-check ({}): score {score} → {capped}]",
                momus.summary,
                hit.check.name()
            ));
        }
    }
    momus
}

/// A hit.
fn hit(
    check: Check,
    dimension: Dimension,
    location: impl Into<String>,
    severity: Severity,
    concern: impl Into<String>,
    demand: impl Into<String>,
) -> Hit {
    Hit {
        check,
        dimension,
        finding: crate::offline::scan::finding(location, severity, concern, demand),
    }
}

#[cfg(test)]
mod tests;

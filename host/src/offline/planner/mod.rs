//! The offline Prometheus planner (docs/design.md §2 stage 4 roles `prometheus-cast`,
//! `prometheus-alloy`, `prometheus-temper`): writes a plan (docs/design.md §5) from the task, its
//! kind, the probe report, the Metis directives and — for Alloy — a bias lens, or rewrites a
//! prior plan against review feedback (Temper depth ≥ 1). Deterministic: no clock, no
//! randomness; the same inputs give the same plan.
//!
//! How a plan is built:
//! 1. [`ground::Grounding`] reads the task and the probe: detected commands, relevant files,
//!    touched and new services, env vars, security-sensitive aspects, topics, file layout.
//! 2. [`kinds::base`] writes the task kind's phase shape (see its table), grounded in those
//!    facts: probe files as `modify` targets, new files as `create` in the repository's layout,
//!    the test command as the gate of implementation phases, a security phase when sensitive.
//! 3. [`lens::apply`] reshapes it for the Alloy lens, if any (see its table).
//! 4. [`act::apply`] acts on every directive (`ctx.directives`, then `req.extra_directives`)
//!    and on every finding of `req.feedback`: each becomes a change to a phase, a gate, a
//!    dependency, a rollback, a criterion or an iron rule, or a `Deferred: … — because …` rule.
//! 5. With `req.prior_plan`, [`rewrite::rewrite`] replaces 2–3: the prior plan is the starting
//!    point and every finding's demand is answered (Temper).
//! 6. [`failing::adopt`] makes the pre-existing failures the task is about (from the baseline,
//!    when known) a phase, and [`secure`] adds a security phase where the surface needs one.
//! 7. [`draft::Draft::finish`] numbers phases and enforces the conventions of
//!    HELPER_CONTEXT/docs/design.md §5; [`fit`] keeps plans between 3 and 9 phases.
pub mod act;
pub mod draft;
pub mod failing;
pub mod focus;
pub mod ground;
pub mod kinds;
pub mod lens;
pub mod paths;
pub mod rewrite;
pub mod testsite;
pub mod topics;

pub use act::{Action, Outcome};
pub use lens::Lens;

use crate::model::Context;
use crate::model::{AgentRequest, Plan};
use crate::offline::surface;
use draft::{DPhase, Draft, Role};
use ground::Grounding;

/// The planner roles this module implements.
pub const ROLES: [&str; 3] = ["prometheus-cast", "prometheus-alloy", "prometheus-temper"];

/// Smallest number of phases a plan may have.
pub const MIN_PHASES: usize = 3;
/// Largest number of phases a plan may have.
pub const MAX_PHASES: usize = 9;

/// Why the planner refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `req.role` is not one of [`ROLES`].
    #[error("unknown planner role '{0}' (expected prometheus-cast, prometheus-alloy or prometheus-temper)")]
    UnknownRole(String),
    /// `req.lens` is not one of the lenses of [`crate::model::LENSES`].
    #[error("unknown lens '{0}' (expected one of {all})", all = crate::model::LENSES.join(", "))]
    UnknownLens(String),
}

/// Writes the plan for `req` (docs/design.md §2 stage 4, §5).
///
/// Inputs: `ctx` (task, task kind, Metis directives, probe report, repository root — read to
/// check which paths exist) and `req` (role, optional lens, extra directives, optional prior
/// plan with feedback envelopes and depth scores). Output: a [`Plan`] with 3–9 phases whose
/// ids are `00`… consecutive, phase 00 `preflight` gated on the probe's detected build/test
/// commands (or a `check:` when none), every phase with a gate, a measurable criterion, an
/// explicit rollback and backward-only dependencies; `author` is the role, plus `/{lens}`
/// when a lens is given.
///
/// # Errors
/// [`PlanError::UnknownRole`] for a role outside [`ROLES`]; [`PlanError::UnknownLens`] for a
/// lens outside the seven of docs/design.md §2.
pub fn write_plan(ctx: &Context<'_>, req: &AgentRequest) -> Result<Plan, PlanError> {
    plan_with_actions(ctx, req).map(|(p, _)| p)
}

/// [`write_plan`], also returning what was done with every directive and feedback demand
/// (for strategy notes, provenance and tests).
///
/// # Errors
/// As [`write_plan`].
pub fn plan_with_actions(
    ctx: &Context<'_>,
    req: &AgentRequest,
) -> Result<(Plan, Vec<Action>), PlanError> {
    if !ROLES.contains(&req.role.as_str()) {
        return Err(PlanError::UnknownRole(req.role.clone()));
    }
    let lens = match &req.lens {
        Some(l) if !l.trim().is_empty() => {
            Some(Lens::parse(l).ok_or_else(|| PlanError::UnknownLens(l.clone()))?)
        }
        _ => None,
    };
    let author = match lens {
        Some(l) => format!("{}/{}", req.role, l.name()),
        None => req.role.clone(),
    };
    let mut g = Grounding::new(ctx);
    if lens == Some(Lens::Minimalist) {
        g.minimal = true;
        g.narrow(2);
    }
    let directives: Vec<(String, String)> = ctx
        .directives
        .iter()
        .map(|d| ("directive".to_string(), d.clone()))
        .chain(
            req.extra_directives
                .iter()
                .map(|d| ("extra-directive".to_string(), d.clone())),
        )
        .collect();

    let (mut d, mut actions) = match &req.prior_plan {
        Some(prior) => {
            let (mut d, actions) = rewrite::rewrite(
                &g,
                prior,
                &req.feedback,
                &directives,
                &req.scores,
                req.depth,
            );
            if let Some(l) = lens {
                lens::apply(&mut d, l, &g);
            }
            (d, actions)
        }
        None => {
            let mut d = kinds::base(&g);
            if let Some(l) = lens {
                lens::apply(&mut d, l, &g);
            }
            let mut actions = Vec::new();
            // Feedback without a prior plan (e.g. a tournament re-run with Momus's findings as
            // constraints): resolve all first, then act.
            let demands: Vec<act::Demand> = req
                .feedback
                .iter()
                .flat_map(|e| e.findings.iter().map(move |f| (e.agent.clone(), f)))
                .map(|(agent, f)| act::resolve(&d, &agent, &f.demand, Some(&f.location)))
                .collect();
            for dm in &demands {
                actions.push(act::apply(&mut d, &g, dm));
            }
            for (origin, text) in &directives {
                let dm = act::resolve(&d, origin, text, None);
                actions.push(act::apply(&mut d, &g, &dm));
            }
            (d, actions)
        }
    };
    if let Some(a) = failing::adopt(&mut d, ctx) {
        actions.push(a);
    }
    if let Some(a) = secure(&mut d, &g, ctx.task, &author) {
        actions.push(a);
    }
    if let Some(a) = fit(&mut d, &g) {
        actions.push(a);
    }
    if let Some(a) = complete_dependencies(&mut d, &g) {
        actions.push(a);
    }
    Ok((d.finish(&g, &author), actions))
}

/// The security gate rule, with the red team's definition (docs/design.md §2 stage 5, via
/// [`crate::offline::surface`]): when the task, the plan's steps or its file paths have a
/// security-sensitive surface ([`surface::sensitive_surface`] of the plan `d` would become)
/// and the plan has no security gate ([`surface::has_security_gate`]), adds a security phase
/// before the closing phase, on the aspects found. Returns what it did, if anything.
pub fn secure(d: &mut Draft, g: &Grounding, task: &str, author: &str) -> Option<Action> {
    let plan = d.clone().finish(g, author);
    let terms = surface::sensitive_surface(task, &plan);
    if terms.is_empty() || surface::has_security_gate(&plan) {
        return None;
    }
    let mut g2 = g.clone();
    for a in surface::aspects_of(&terms) {
        if !g2.sensitive.contains(&a) {
            g2.sensitive.push(a);
        }
    }
    let sec = kinds::security_phase(&g2, d);
    let key = sec.key.clone();
    d.insert_before_closing(sec);
    let shown: Vec<String> = terms.iter().take(4).cloned().collect();
    d.thesis.push(format!(
        "The plan touches security-sensitive surface ({}), so a security phase with negative tests gates the release.",
        shown.join(", ")
    ));
    Some(Action {
        origin: "structure".into(),
        text: "Give work on a security-sensitive surface a security gate.".into(),
        outcome: Outcome::Applied(vec![format!(
            "security phase `{key}` added: the plan touches {}",
            shown.join(", ")
        )]),
    })
}

/// Keeps the draft between [`MIN_PHASES`] and [`MAX_PHASES`]: too many → merge the adjacent
/// pair of ordinary work phases with the fewest steps (never preflight or the security
/// phase); too few → add a verification phase. Returns what it did, if anything.
pub fn fit(d: &mut Draft, g: &Grounding) -> Option<Action> {
    let mut done = Vec::new();
    while d.phases.len() > MAX_PHASES {
        let mergeable = |p: &DPhase| p.role != Role::Preflight && p.role != Role::Security;
        let mut best: Option<(usize, usize)> = None;
        for i in 1..d.phases.len().saturating_sub(1) {
            let (a, b) = (&d.phases[i], &d.phases[i + 1]);
            if mergeable(a) && mergeable(b) {
                let n = a.phase.steps.len() + b.phase.steps.len();
                if best.map(|(_, m)| n < m).unwrap_or(true) {
                    best = Some((i, n));
                }
            }
        }
        let Some((i, _)) = best else { break };
        let (a, b) = (d.phases[i].key.clone(), d.phases[i + 1].key.clone());
        let tb = d.phases[i + 1].phase.title.clone();
        d.merge(&a, &b);
        if let Some(p) = d.get_mut(&a) {
            p.phase.title = format!("{} and {}", p.phase.title, tb.to_lowercase());
        }
        done.push(format!(
            "phases `{a}` and `{b}` merged to stay within {MAX_PHASES} phases"
        ));
    }
    while d.phases.len() < MIN_PHASES {
        let key = d.fresh_key("verify-end-to-end");
        let mut v = DPhase::new(
            &key,
            Role::Added,
            "Verify end to end",
            format!(
                "Confirm {} works as the task asks, from the outside.",
                g.subject
            ),
            1,
        );
        v.step(format!(
            "Run {} and {} from a clean checkout and record the results in evidence/.",
            g.build_cmd(),
            g.test_cmd()
        ));
        v.step(format!(
            "Exercise {} by hand the way a user would and record what was observed.",
            g.subject
        ));
        v.criterion(format!(
            "{} exits 0 with the passing count at least the phase-00 baseline plus the new tests.",
            g.test_cmd()
        ));
        for c in g.impl_gate() {
            v.gate(c);
        }
        v.phase.rollback = "Nothing to roll back: verification changes no file.".to_string();
        d.phases.push(v);
        done.push(format!(
            "verification phase `{key}` added to reach {MIN_PHASES} phases"
        ));
    }
    if done.is_empty() {
        None
    } else {
        Some(Action {
            origin: "structure".into(),
            text: format!("Keep the plan between {MIN_PHASES} and {MAX_PHASES} phases."),
            outcome: Outcome::Applied(done),
        })
    }
}

/// Largest repository file read when looking for the environment variables it uses.
const MAX_READ_BYTES: u64 = 256 * 1024;

/// Completeness (docs/design.md §5): declares every probe environment variable that the plan's text
/// names or that a file the plan modifies or deletes reads (files read-only, ≤ 256 KiB each,
/// at most 64). Returns what it declared, if anything.
pub fn complete_dependencies(d: &mut Draft, g: &Grounding) -> Option<Action> {
    let probe_vars: Vec<String> = g.all_env_vars.clone();
    if probe_vars.is_empty() {
        return None;
    }
    let mut texts: Vec<String> = d.phases.iter().map(|p| p.text_raw()).collect();
    texts.extend(d.thesis.iter().cloned());
    texts.extend(d.iron_rules.iter().cloned());
    let mut read = 0;
    for p in &d.phases {
        for f in &p.phase.files {
            if f.action == crate::model::FileAction::Create || read >= 64 {
                continue;
            }
            let path = g.repo_root.join(&f.path);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_file() || meta.len() > MAX_READ_BYTES {
                continue;
            }
            if let Ok(bytes) = std::fs::read(&path) {
                texts.push(String::from_utf8_lossy(&bytes).into_owned());
                read += 1;
            }
        }
    }
    let mut added = Vec::new();
    for v in &probe_vars {
        let used = texts.iter().any(|t| crate::text::contains_word(t, v));
        if used && d.env(v) {
            added.push(format!(
                "`{v}` declared: the plan or a file it changes uses it"
            ));
        }
    }
    if added.is_empty() {
        None
    } else {
        Some(Action {
            origin: "structure".into(),
            text: "Declare every environment variable the plan or its touched files use.".into(),
            outcome: Outcome::Applied(added),
        })
    }
}

#[cfg(test)]
mod tests;

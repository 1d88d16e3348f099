//! Acting on directives and review demands: each imperative sentence (a Metis directive, a
//! directive folded in by a strategy, or a finding's `demand`) is read for what it asks —
//! a rollback, a measurable criterion, a gate, a declared dependency, a security phase, a
//! test, a feature flag, an out-of-scope item, a removed or split phase, an ordering fix,
//! a file fix, backwards compatibility, a checkpoint, monitoring, a baseline, error
//! messages, documentation, a prohibition — and the draft is changed so the plan answers it:
//! a step, a gate, a dependency, a rollback, a criterion or an iron rule. A demand the plan
//! already meets is recorded as satisfied (with where); a demand the planner must not meet
//! (a command the probe did not detect, a service nobody asked for, removing the preflight
//! or the security gate) is deferred with the reason. Anything else becomes a step and a
//! `check:` criterion in the phase it names, or in the phase whose text it matches best.
//!
//! The rules are data: [`rules::RULES`] lists, in the order they apply, each rule's name, the
//! cue that triggers it and the small function that changes the draft. [`apply`] runs every
//! rule whose cue matches and turns what they did into an [`Outcome`].
mod edit;
mod needs;
mod read;
mod rules;
mod text;

pub use edit::explicit_rollback;

use super::draft::Draft;
use super::ground::Grounding;
use regex::Regex;
use std::sync::LazyLock;
use text::sentence;

/// What the planner did with one directive or demand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The plan was changed; each entry says how (e.g. "explicit rollback on phase `fix-x`").
    Applied(Vec<String>),
    /// The plan already answered it; says where.
    Satisfied(String),
    /// Not done, with the reason; carried into `iron_rules` as `Deferred: … — because …`.
    Deferred(String),
}

/// One directive or demand and what the planner did with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// `directive`, `extra-directive`, or the agent of the envelope (`momus`, `redteam-scope`, …).
    pub origin: String,
    /// The sentence as received.
    pub text: String,
    /// What was done: applied (how), satisfied (where) or deferred (why).
    pub outcome: Outcome,
}

/// A directive or demand with the phases it names, resolved before any change to the draft
/// (phase numbers refer to the plan the reviewer read).
#[derive(Clone, Debug)]
pub struct Demand {
    /// Who asked: `directive`, `extra-directive`, an envelope agent, or `agent:prefix` for Cast-folded text.
    pub origin: String,
    /// The imperative sentence, without a Cast-style `Agent (location):` prefix.
    pub text: String,
    /// The finding's location (or the folded prefix's), e.g. `plan/phase-02-x.md`.
    pub location: Option<String>,
    /// Keys of the phases named by the location or the text; `None` for "every phase" style.
    pub targets: Vec<String>,
    /// The sentence says "every phase" / "each implementation phase".
    pub every: bool,
}

static PHASE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bphases?[-_ ]?(\d{1,2})\b").expect("valid"));
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z][\w-]*) \(([^)]*)\):\s*(.+)$").expect("valid"));

/// Phrases that make a demand apply to every phase.
const EVERY_PHASE: &[&str] = &[
    "every phase",
    "each phase",
    "all phases",
    "every implementation phase",
    "each implementation phase",
    "all implementation phases",
    "every work phase",
];

/// Resolves what `text` (with an optional finding `location`) points at in the draft as it
/// is now. Cast-style folded directives `"Momus (plan/phase-02-x.md): demand"` are split into
/// location and demand.
pub fn resolve(d: &Draft, origin: &str, text: &str, location: Option<&str>) -> Demand {
    let (loc, body, origin) = match PREFIX.captures(text.trim()) {
        Some(c) if location.is_none() => (
            Some(c[2].to_string()),
            c[3].to_string(),
            format!("{origin}:{}", c[1].to_lowercase()),
        ),
        _ => (
            location.map(|s| s.to_string()),
            text.trim().to_string(),
            origin.to_string(),
        ),
    };
    let lower = body.to_lowercase();
    let every = EVERY_PHASE.iter().any(|w| lower.contains(w))
        && !lower.contains("every phase that touches");
    let mut targets: Vec<String> = Vec::new();
    let push = |k: String, t: &mut Vec<String>| {
        if !t.contains(&k) {
            t.push(k);
        }
    };
    for src in loc
        .iter()
        .map(|s| s.as_str())
        .chain(std::iter::once(body.as_str()))
    {
        for c in PHASE_REF.captures_iter(src) {
            if let Ok(i) = c[1].parse::<usize>() {
                if let Some(p) = d.phases.get(i) {
                    push(p.key.clone(), &mut targets);
                }
            }
        }
        // `plan/phase-02-slug.md` also names the phase by slug.
        for p in &d.phases {
            if src.contains(&format!("-{}.md", p.phase.slug))
                || src.contains(&format!("-{}.md", p.key))
            {
                push(p.key.clone(), &mut targets);
            }
        }
    }
    if lower.contains("preflight") {
        if let Some(p) = d.phases.first() {
            push(p.key.clone(), &mut targets);
        }
    }
    Demand {
        origin,
        text: body,
        location: loc,
        targets,
        every,
    }
}

/// Applies one resolved demand to the draft and says what was done: every rule of
/// [`rules::RULES`] whose cue matches acts, in table order.
pub fn apply(d: &mut Draft, g: &Grounding, dm: &Demand) -> Action {
    let read = read::Read::new(d, dm);
    let mut log = read::Log::default();
    for rule in rules::RULES {
        if rule.cue.matches(&read, &log) {
            log.matched |= (rule.act)(d, g, &read, &mut log);
        }
    }
    Action {
        origin: dm.origin.clone(),
        text: dm.text.clone(),
        outcome: outcome(d, dm, log),
    }
}

/// What the rules did, as an outcome; deferred parts become a `Deferred: … — because …` rule.
fn outcome(d: &mut Draft, dm: &Demand, log: read::Log) -> Outcome {
    let read::Log {
        mut done,
        satisfied,
        deferred,
        matched,
    } = log;
    if !done.is_empty() {
        if !deferred.is_empty() {
            d.rule(format!(
                "Deferred: {} — because {}",
                sentence(&dm.text),
                deferred.join("; ")
            ));
            done.push(format!("partly deferred: {}", deferred.join("; ")));
        }
        Outcome::Applied(done)
    } else if !deferred.is_empty() {
        let reason = deferred.join("; ");
        d.rule(format!(
            "Deferred: {} — because {}",
            sentence(&dm.text).trim_end_matches('.'),
            reason
        ));
        Outcome::Deferred(reason)
    } else if !satisfied.is_empty() {
        Outcome::Satisfied(satisfied.join("; "))
    } else if matched {
        // An intent applied but everything it would add is already in the plan.
        Outcome::Satisfied(
            "the plan already carries what this asks (same step, rule or dependency)".to_string(),
        )
    } else {
        // Nothing matched anything we could change: carry it as a rule rather than drop it.
        d.rule(format!("Deferred: {} — because the offline planner found no phase, file or dependency it applies to; a reviewer should place it", sentence(&dm.text).trim_end_matches('.')));
        Outcome::Deferred("no phase, file or dependency it applies to".to_string())
    }
}

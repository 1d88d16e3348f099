//! The Temper rewrite (docs/design.md §2 Temper, depth ≥ 1): a full rewrite of plan N−1 given its Momus
//! envelope, the red-team envelopes, the directives and the depth scores.
//!
//! The prior plan is rebuilt as a draft (keeping every phase, step, file and rule that was
//! fine), its structure is repaired to the conventions (preflight first, detected commands in
//! the phase-00 gate), then every finding's demand of every feedback envelope is acted on
//! ([`super::act`]) with the phase numbers resolved against the plan the reviewers read —
//! each demand is either satisfied by a change or carried into `iron_rules` as
//! `Deferred: <demand> — because <reason>`. The directives are then re-applied (idempotent),
//! and when the last score is below the CAUTION band (70) every phase is hardened: an
//! explicit rollback, a metric-naming criterion, a gate.
use super::act::{self, explicit_rollback, Action, Demand, Outcome};
use super::draft::{is_measurable, push_unique, DPhase, Draft, Role};
use super::ground::Grounding;
use super::kinds;
use crate::model::{Envelope, Plan};

/// Rebuilds `prior` as a draft: phase order kept, keys from slugs (made unique), roles
/// inferred (phase 0 preflight, `security` slugs, rollout/release/ops/docs closing),
/// dependencies turned from ids into keys.
pub fn draft_of(prior: &Plan) -> Draft {
    let mut d = Draft {
        title: prior.title.clone(),
        thesis: split_sentences(&prior.thesis),
        phases: Vec::new(),
        deps: prior.dependencies.clone(),
        out_of_scope: prior.out_of_scope.clone(),
        iron_rules: prior.iron_rules.clone(),
    };
    let mut id_to_key: Vec<(String, String)> = Vec::new();
    for (i, p) in prior.phases.iter().enumerate() {
        let base = if p.slug.trim().is_empty() {
            super::draft::clean_slug(&p.title)
        } else {
            super::draft::clean_slug(&p.slug)
        };
        let key = d.fresh_key(&base);
        let slug = p.slug.to_lowercase();
        let role = if i == 0 && (slug == "preflight" || p.id == "00") {
            Role::Preflight
        } else if slug.contains("security") {
            Role::Security
        } else if [
            "rollout",
            "release",
            "ops",
            "docs",
            "document",
            "phased-rollout",
        ]
        .iter()
        .any(|w| slug.starts_with(w))
        {
            Role::Closing
        } else {
            Role::Core
        };
        let mut dp = DPhase::new(
            &key,
            role,
            p.title.clone(),
            p.goal.clone(),
            (p.steps.len() as u32).clamp(1, 6),
        );
        dp.phase = p.clone();
        dp.phase.slug = if role == Role::Preflight {
            "preflight".into()
        } else {
            key.clone()
        };
        id_to_key.push((p.id.clone(), key.clone()));
        d.phases.push(dp);
    }
    for dp in d.phases.iter_mut() {
        dp.phase.depends_on = dp
            .phase
            .depends_on
            .iter()
            .filter_map(|id| {
                id_to_key
                    .iter()
                    .find(|(i, _)| i == id)
                    .map(|(_, k)| k.clone())
            })
            .collect();
    }
    d
}

fn split_sentences(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        cur.push(*c);
        if *c == '.'
            && chars.get(i + 1).map(|n| *n == ' ').unwrap_or(true)
            && !cur.trim_end().ends_with("e.g.")
            && !cur.trim_end().ends_with("i.e.")
        {
            let t = cur.trim().to_string();
            if !t.is_empty() {
                out.push(t);
            }
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// Rewrites `prior` against `feedback`, `directives` and `scores` (see the module docs).
/// Returns the rewritten draft and what was done with each demand and directive, in order:
/// feedback findings first (envelope order, then finding order; duplicates once), then
/// directives, then score-driven hardening.
pub fn rewrite(
    g: &Grounding,
    prior: &Plan,
    feedback: &[Envelope],
    directives: &[(String, String)],
    scores: &[f64],
    depth: Option<u32>,
) -> (Draft, Vec<Action>) {
    let mut d = draft_of(prior);
    let mut actions = Vec::new();

    // Structure: preflight first, with the detected commands as its gate.
    if d.phases
        .first()
        .map(|p| p.role != Role::Preflight)
        .unwrap_or(true)
    {
        d.phases.insert(0, kinds::preflight(g));
        actions.push(Action {
            origin: "structure".into(),
            text: "Phase 00 must be the preflight Hephaestus runs.".into(),
            outcome: Outcome::Applied(vec!["preflight phase inserted as phase 00".into()]),
        });
    }
    if let Some(p) = d.phases.first_mut() {
        p.phase.gate.retain(|c| {
            c.starts_with("check:")
                || [&g.build, &g.test, &g.lint]
                    .into_iter()
                    .flatten()
                    .any(|x| &x.command == c)
        });
        for c in [&g.build, &g.test].into_iter().flatten() {
            p.gate(c.command.clone());
        }
    }

    // Resolve every finding against the plan as the reviewers read it, before any change.
    let mut demands: Vec<Demand> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for env in feedback {
        for f in &env.findings {
            let key = f.demand.trim().to_lowercase();
            if key.is_empty() || seen.contains(&key) {
                continue;
            }
            seen.push(key);
            // Reviewers number phases as in the prior plan; map its ids onto our order.
            let loc = remap_location(&f.location, prior, &d);
            let text = remap_location(&f.demand, prior, &d);
            let mut dm = act::resolve(&d, &env.agent, &text, Some(&loc));
            dm.text = f.demand.trim().to_string();
            demands.push(dm);
        }
    }
    for dm in &demands {
        actions.push(act::apply(&mut d, g, dm));
    }

    // Directives (idempotent): the plan must still answer every one.
    for (origin, text) in directives {
        let dm = act::resolve(&d, origin, text, None);
        actions.push(act::apply(&mut d, g, &dm));
    }

    // Scores: below the CAUTION band, harden every phase, not only the named ones.
    let last = scores.last().copied();
    if let Some(s) = last {
        if s < 70.0 {
            let mut done = Vec::new();
            for p in d.phases.iter_mut() {
                let has_metric = p
                    .phase
                    .success_criteria
                    .iter()
                    .any(|c| is_measurable(c) && c.to_lowercase().contains("metric"));
                if !has_metric
                    && p.role != Role::Preflight
                    && push_unique(&mut p.phase.success_criteria, format!("Metric: {} reports 0 failures with at least the phase-00 passing count after this phase.", g.test_cmd()))
                {
                    done.push(format!("metric criterion on `{}`", p.key));
                }
                let rb = explicit_rollback(p);
                if rb != p.phase.rollback {
                    p.phase.rollback = rb;
                    done.push(format!("explicit rollback on `{}`", p.key));
                }
                if p.phase.gate.is_empty() {
                    for c in g.impl_gate() {
                        p.gate(c);
                    }
                }
            }
            if g.is_sensitive() && !d.phases.iter().any(|p| p.phase.slug.contains("security")) {
                let sec = kinds::security_phase(g, &d);
                done.push(format!("security phase `{}`", sec.key));
                d.insert_before_closing(sec);
            }
            if d.out_of_scope.is_empty() {
                d.out("Anything the task does not name; new requests go to a follow-up plan.");
                done.push("out-of-scope section".into());
            }
            actions.push(Action {
                origin: "scores".into(),
                text: format!(
                    "The last score {s} is below the CAUTION band (70): harden every phase."
                ),
                outcome: if done.is_empty() {
                    Outcome::Satisfied(
                        "every phase already has a metric criterion and an explicit rollback"
                            .into(),
                    )
                } else {
                    Outcome::Applied(done)
                },
            });
        }
    }

    // Thesis: what this rewrite did, grounded in the scores.
    d.thesis
        .retain(|s| !s.starts_with("Rewrite at depth") && !s.starts_with("Rewrite of"));
    let applied = actions
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Applied(_)))
        .count();
    let satisfied = actions
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Satisfied(_)))
        .count();
    let deferred = actions
        .iter()
        .filter(|a| matches!(a.outcome, Outcome::Deferred(_)))
        .count();
    let trend = match scores {
        [] => String::new(),
        [one] => format!(" scored {one}"),
        [.., a, b] if b < a => format!(" whose score fell from {a} to {b} (the previous rewrite's additions are kept only where a finding asked for them)"),
        [.., a, b] => format!(" scored {b} (previously {a})"),
    };
    d.thesis.push(format!(
        "Rewrite {} of a plan{trend}: {} review demands answered — {applied} changed the plan, {satisfied} were already met, {deferred} deferred with reasons in the iron rules.",
        depth.map(|x| format!("at depth {x}")).unwrap_or_else(|| "of the prior plan".into()),
        demands.len()
    ));
    (d, actions)
}

/// Rewrites phase references (`phase 02`, `phase-02-…`) from the prior plan's ids to the
/// current draft's positions, so a finding about prior phase `02` lands on the same phase
/// even if a preflight had to be inserted.
fn remap_location(text: &str, prior: &Plan, d: &Draft) -> String {
    let re = regex::Regex::new(r"(?i)\b(phases?[-_ ]?)(\d{1,2})\b").expect("valid");
    re.replace_all(text, |c: &regex::Captures<'_>| {
        let id = format!("{:02}", c[2].parse::<usize>().unwrap_or(0));
        let slug = prior
            .phases
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.slug.clone());
        let pos = slug.and_then(|s| {
            d.phases.iter().position(|p| {
                p.phase.slug == super::draft::clean_slug(&s)
                    || p.key == super::draft::clean_slug(&s)
                    || (s == "preflight" && p.role == Role::Preflight)
            })
        });
        match pos {
            Some(i) => format!("{}{:02}", &c[1], i),
            None => c[0].to_string(),
        }
    })
    .to_string()
}

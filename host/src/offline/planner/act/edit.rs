//! Changes to a draft that several rules share: picking the phases a demand applies to, the
//! phase that already answers it, an explicit rollback, a metric criterion, a security phase,
//! a split phase, a new phase asked for by name.
use super::Demand;
use crate::offline::planner::draft::{self, DPhase, Draft, Role};
use crate::offline::planner::ground::Grounding;
use crate::offline::planner::kinds;
use crate::offline::planner::lens::metric_prefix;
use regex::Regex;
use std::sync::LazyLock;

/// Sentence fragments that an existing phase of a known shape already answers, by key prefix.
const COVERING: &[(&[&str], &[&str])] = &[
    (&["threat model"], &["security-threat-model"]),
    (
        &[
            "characterization",
            "characterisation",
            "pin today",
            "pin current",
        ],
        &["characterize-"],
    ),
    (
        &["regression test", "fails before", "failing test"],
        &["reproduce-"],
    ),
    (&["baseline", "benchmark"], &["baseline"]),
    (&["parity", "side by side"], &["parity-"]),
    (&["dual-write", "dual write"], &["dual-write-"]),
    (&["backfill"], &["backfill-"]),
    (&["spike"], &["spike-"]),
    (&["recommendation"], &["recommend-"]),
    (&["edge case"], &["edge-cases-"]),
    (&["acceptance test"], &["contract-", "acceptance-"]),
    (&["observability", "instrument"], &["observability-"]),
    (&["scaffold"], &["scaffold-"]),
    (&["provision"], &["provision-"]),
    (&["rehears"], &["rehearsal-"]),
];

static NEW_PHASE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bphase-(?:n|\d{1,2})-([a-z0-9][a-z0-9-]*[a-z0-9])(?:\.md)?").expect("valid")
});
static NEW_PHASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:add|insert|introduce|create)\s+(?:a|an|one)\s+(?:new\s+|separate\s+|dedicated\s+)?(?:([\w-]+)\s+)?phase\b(?:[\s:,—-]*(?:that|to|for|which|where)\b|[\s:,—-]*$|\s*[:—-])\s*(.*)$").expect("valid")
});

/// The key of a phase that already answers `lower` (a lowercased sentence), if any: a phase of
/// the matching shape, or — for phrases of two words or more — a phase whose steps do it.
pub(super) fn covering(d: &Draft, lower: &str) -> Option<String> {
    for (words, prefixes) in COVERING {
        let Some(w) = words.iter().find(|w| lower.contains(*w)) else {
            continue;
        };
        if let Some(p) = d.phases.iter().find(|p| {
            prefixes
                .iter()
                .any(|x| p.key.starts_with(x) || p.phase.slug.starts_with(x))
        }) {
            return Some(p.key.clone());
        }
        if w.contains(' ') {
            if let Some(p) = d.phases.iter().find(|p| {
                p.role != Role::Preflight
                    && p.phase.steps.iter().any(|s| s.to_lowercase().contains(*w))
            }) {
                return Some(p.key.clone());
            }
        }
    }
    None
}

/// Targets that still exist in the draft.
pub(super) fn live_targets(d: &Draft, dm: &Demand) -> Vec<String> {
    dm.targets
        .iter()
        .filter(|k| d.index(k).is_some())
        .cloned()
        .collect()
}

/// The phases to change: the named targets; else every work phase for "every phase"; else
/// the work phases failing `weak`; else every work phase.
pub(super) fn pick(
    d: &Draft,
    targets: &[String],
    every: bool,
    weak: impl Fn(&DPhase) -> bool,
) -> Vec<String> {
    if !targets.is_empty() {
        return targets.to_vec();
    }
    if every {
        return d.phases.iter().map(|p| p.key.clone()).collect();
    }
    let w: Vec<String> = d
        .phases
        .iter()
        .filter(|p| weak(p))
        .map(|p| p.key.clone())
        .collect();
    if w.is_empty() {
        d.work_keys()
    } else {
        w
    }
}

/// A rollback is weak when it is not explicit ([`plan_rules::is_explicit_rollback`], the one
/// definition shared with Momus and Alloy's synthesis): missing, a placeholder, too short, or
/// silent on how the change is undone.
pub(super) fn weak_rollback(r: &str) -> bool {
    !plan_rules::is_explicit_rollback(r)
}

/// An explicit rollback for `p`: checkpoint tag, what to revert, what to delete, what to
/// restore; the previous text is kept when it already says something concrete.
pub fn explicit_rollback(p: &DPhase) -> String {
    if p.role == Role::Preflight && p.phase.files.is_empty() {
        return if p
            .phase
            .rollback
            .to_lowercase()
            .contains("nothing to roll back")
        {
            p.phase.rollback.clone()
        } else {
            "Nothing to roll back: preflight changes no file; it only records evidence.".to_string()
        };
    }
    let mut s = format!("Checkpoint: tag `pre-{}` before starting. ", p.key);
    if !p.phase.rollback.trim().is_empty() && !weak_rollback(&p.phase.rollback) {
        if p.phase.rollback.starts_with("Checkpoint") {
            return p.phase.rollback.clone();
        }
        s.push_str(p.phase.rollback.trim());
        if !p.phase.rollback.contains("git revert") && !p.phase.files.is_empty() {
            s.push(' ');
            s.push_str(&draft::default_rollback(p.role, &p.phase.files).replace(
                "Revert this phase's commits",
                "Code changes: revert this phase's commits",
            ));
        }
        return s;
    }
    s.push_str(&draft::default_rollback(p.role, &p.phase.files));
    s.push_str(" Re-run the phase-00 gate to confirm the baseline is back.");
    s
}

/// A success criterion that names a metric, suited to the phase.
pub(super) fn metric_criterion(g: &Grounding, p: &DPhase) -> String {
    let m = metric_prefix(g);
    match p.role {
        Role::Preflight => "Metric: baseline build time (seconds), passing-test count and p95 latency of the touched path are recorded in evidence/.".to_string(),
        Role::Closing => format!("Metric: `{m}_errors_total` rate in the 24 h after release is at most the pre-release rate, and p95 latency within 10% of the baseline."),
        Role::Security => "Metric: 0 of the abuse-case requests succeed (refusal rate 100%), counted by the negative tests.".to_string(),
        _ => format!(
            "Metric: {} reports 0 failures with at least the phase-00 passing count, and `{m}_errors_total` stays at 0 during the phase's test run.",
            g.test_cmd()
        ),
    }
}

/// Ensures a security phase exists (inserted before the closing phase), returns its key.
pub(super) fn ensure_security_phase(
    d: &mut Draft,
    g: &Grounding,
    done: &mut Vec<String>,
) -> String {
    if let Some(p) = d
        .phases
        .iter()
        .find(|p| p.role == Role::Security || p.phase.slug.contains("security"))
    {
        return p.key.clone();
    }
    let mut g2 = g.clone();
    if g2.sensitive.is_empty() {
        g2.sensitive.push("untrusted input");
    }
    let sec = kinds::security_phase(&g2, d);
    let key = sec.key.clone();
    d.insert_before_closing(sec);
    done.push(format!("security phase `{key}` added with a gate"));
    key
}

/// Splits phase `k` in two halves of its steps; the second half gets the later files.
pub(super) fn split(d: &mut Draft, k: &str) -> Option<String> {
    let i = d.index(k)?;
    if d.phases[i].role == Role::Preflight || d.phases[i].phase.steps.len() < 2 {
        return None;
    }
    let new_key = d.fresh_key(&format!("{k}-part-2"));
    let p = &mut d.phases[i];
    let half = p.phase.steps.len().div_ceil(2);
    let steps2 = p.phase.steps.split_off(half);
    let files2 = if p.phase.files.len() >= 2 {
        p.phase.files.split_off(p.phase.files.len().div_ceil(2))
    } else {
        Vec::new()
    };
    let mut q = DPhase::new(
        &new_key,
        p.role,
        format!("{} (part 2)", p.phase.title),
        p.phase.goal.clone(),
        p.half_days.div_ceil(2),
    );
    p.half_days = (p.half_days / 2).max(1);
    q.phase.steps = steps2;
    q.phase.files = files2;
    q.phase.gate = p.phase.gate.clone();
    q.phase.success_criteria = p.phase.success_criteria.clone();
    q.phase.rollback = draft::default_rollback(q.role, &q.phase.files);
    q.depends(k);
    p.phase.title = format!("{} (part 1)", p.phase.title);
    d.phases.insert(i + 1, q);
    for later in d.phases.iter_mut().skip(i + 2) {
        if later.phase.depends_on.iter().any(|x| x == k) {
            later.depends(&new_key);
        }
    }
    Some(new_key)
}

/// `(slug, what)` when `text` asks for a new phase: `"Add phase-N-client-rollout-sequencing.md —
/// pin the order"` → `("client-rollout-sequencing", "client rollout sequencing: pin the order")`;
/// `"Add a phase that migrates existing sessions"` → `("migrates-sessions", …)`.
pub(super) fn new_phase_request(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let lower = t.to_lowercase();
    if !(lower.starts_with("add")
        || lower.starts_with("insert")
        || lower.starts_with("introduce")
        || lower.starts_with("create"))
    {
        return None;
    }
    if let Some(c) = NEW_PHASE_FILE.captures(t) {
        let slug = c[1].to_lowercase();
        let rest = t[c.get(0).map(|m| m.end()).unwrap_or(0)..]
            .trim_start_matches([' ', '—', '-', ':', ','])
            .trim();
        let name = slug.replace('-', " ");
        let what = if rest.is_empty() {
            name
        } else {
            format!("{name}: {rest}")
        };
        return Some((slug, what));
    }
    let c = NEW_PHASE.captures(t)?;
    let adj = c.get(1).map(|m| m.as_str()).unwrap_or("");
    if matches!(
        adj.to_lowercase().as_str(),
        "to" | "in" | "of" | "for" | "on" | "the" | "each" | "every"
    ) {
        return None;
    }
    let rest = c.get(2).map(|m| m.as_str().trim()).unwrap_or("");
    let what = match (adj.is_empty(), rest.is_empty()) {
        (true, true) => return None,
        (false, true) => format!("{adj} phase"),
        (true, false) => rest.to_string(),
        (false, false) => format!("{adj}: {rest}"),
    };
    let words: Vec<String> = crate::text::terms(&what).into_iter().take(4).collect();
    let slug = if words.is_empty() {
        "review-phase".to_string()
    } else {
        words.join("-")
    };
    Some((slug, what))
}

/// The phase whose text shares most meaningful terms with `text` (at least 2).
pub(super) fn best_phase(d: &Draft, text: &str) -> Option<String> {
    let terms = crate::text::terms(text);
    d.phases
        .iter()
        .filter(|p| p.role != Role::Preflight)
        .map(|p| {
            let t = p.text();
            (
                terms.iter().filter(|w| t.contains(w.as_str())).count(),
                p.key.clone(),
            )
        })
        .filter(|(n, _)| *n >= 2)
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(&a.1)))
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::new_phase_request;

    #[test]
    fn new_phase_requests_are_recognised() {
        assert_eq!(
            new_phase_request("Add phase-N-client-rollout-sequencing.md — pin the order")
                .map(|x| x.0),
            Some("client-rollout-sequencing".to_string())
        );
        assert_eq!(
            new_phase_request("Add a phase that migrates existing sessions").map(|x| x.0),
            Some("migrates-sessions".to_string())
        );
        assert_eq!(
            new_phase_request("Add a load-test phase").map(|x| x.1),
            Some("load-test phase".to_string())
        );
        assert_eq!(new_phase_request("Add a rollback to phase 02"), None);
        assert_eq!(
            new_phase_request("Add a success criterion to phase 01 that names a metric"),
            None
        );
        assert_eq!(
            new_phase_request("Add a test that a session is readable"),
            None
        );
    }
}

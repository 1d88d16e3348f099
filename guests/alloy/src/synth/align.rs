//! Synthesis pass 1, structural alignment (docs/design.md §2 Alloy): the phase-by-phase matrix across
//! variants and the rubric score of each candidate phase (docs/design.md §5).
use super::Variant;
use anneal_guest::types::{Phase, ProbeReport};

/// What a phase is for, read from its slug and title. Phases of different variants with the
/// same role (and, for work phases, similar wording) are aligned in one matrix row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Preflight,
    Security,
    FeatureFlag,
    Observability,
    Benchmark,
    Acceptance,
    Rollout,
    Migration,
    Prune,
    ErrorMessages,
    Docs,
    /// Anything else: the task's own implementation phases.
    Work,
}

impl Role {
    /// Lowercase name for the provenance report.
    pub fn name(self) -> &'static str {
        match self {
            Role::Preflight => "preflight",
            Role::Security => "security",
            Role::FeatureFlag => "feature-flag",
            Role::Observability => "observability",
            Role::Benchmark => "benchmark",
            Role::Acceptance => "contract/tests",
            Role::Rollout => "rollout",
            Role::Migration => "migration",
            Role::Prune => "prune",
            Role::ErrorMessages => "error-messages",
            Role::Docs => "docs/release",
            Role::Work => "implementation",
        }
    }
}

/// Lowercase alphanumeric words of `s` longer than two characters (stop words dropped).
pub fn words(s: &str) -> Vec<String> {
    const STOP: &[&str] = &[
        "the", "and", "for", "with", "from", "into", "that", "this", "phase", "add", "its", "are",
    ];
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .filter(|w| w.len() > 2 && !STOP.contains(&w.as_str()))
        .collect()
}

/// The role of `phase`, which is the `index`-th phase of its plan. Index 0 or slug `preflight`
/// is preflight; otherwise the first matching keyword family of the slug, then of the title.
pub fn role_of(phase: &Phase, index: usize) -> Role {
    if index == 0 || phase.slug == "preflight" {
        return Role::Preflight;
    }
    let slug_words: Vec<String> = phase.slug.split('-').map(str::to_string).collect();
    role_from(&slug_words)
        .or_else(|| role_from(&words(&phase.title)))
        .unwrap_or(Role::Work)
}

fn role_from(ws: &[String]) -> Option<Role> {
    let has = |keys: &[&str]| ws.iter().any(|w| keys.contains(&w.as_str()));
    let families: [(Role, &[&str]); 11] = [
        (
            Role::Security,
            &["security", "secure", "threat", "hardening"],
        ),
        (Role::FeatureFlag, &["flag", "flags", "toggle"]),
        (
            Role::Observability,
            &[
                "observability",
                "telemetry",
                "instrument",
                "instrumentation",
                "metrics",
                "tracing",
            ],
        ),
        (
            Role::Benchmark,
            &["benchmark", "baseline", "profile", "profiling"],
        ),
        (
            Role::Acceptance,
            &["acceptance", "contract", "tests", "test", "verification"],
        ),
        (
            Role::Rollout,
            &["rollout", "canary", "deploy", "deployment"],
        ),
        (
            Role::Migration,
            &[
                "migration",
                "migrate",
                "compatibility",
                "compat",
                "rehearsal",
                "backfill",
                "dual",
            ],
        ),
        (Role::Prune, &["prune", "remove", "cleanup", "delete"]),
        (
            Role::ErrorMessages,
            &["error", "errors", "messages", "progress", "ux"],
        ),
        (
            Role::Docs,
            &["docs", "documentation", "readme", "changelog", "release"],
        ),
        (Role::Work, &[]),
    ];
    families
        .iter()
        .find(|(_, keys)| !keys.is_empty() && has(keys))
        .map(|(r, _)| *r)
}

/// One cell of the matrix: phase `phase` (index into its plan) of variant `variant` (index into
/// the variant list).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cell {
    pub variant: usize,
    pub phase: usize,
}

/// One aligned row: the versions of "the same" phase across variants (at most one per variant).
#[derive(Clone, Debug)]
pub struct Row {
    pub role: Role,
    pub cells: Vec<Cell>,
}

impl Row {
    fn has_variant(&self, v: usize) -> bool {
        self.cells.iter().any(|c| c.variant == v)
    }
}

fn jaccard(a: &[String], b: &[String]) -> f64 {
    let inter = a.iter().filter(|w| b.contains(w)).count();
    let union = a.len() + b.iter().filter(|w| !a.contains(w)).count();
    if union == 0 {
        0.0
    } else {
        inter as f64 / union as f64
    }
}

fn phase_words(p: &Phase) -> Vec<String> {
    let mut w = words(&p.slug);
    for x in words(&p.title) {
        if !w.contains(&x) {
            w.push(x);
        }
    }
    w
}

/// Builds the phase-by-phase matrix. Variants are merged in order; each phase joins the row of
/// an earlier variant's phase with (1) the same slug, else (2) the same non-work role, else (3)
/// for work phases, wording overlap (Jaccard of slug+title words ≥ 0.5); a row holds at most one
/// phase per variant. A phase that joins no row opens a new one right after the row of the
/// variant's previous phase, so every variant's own order is preserved. The preflight row is first.
pub fn matrix(variants: &[Variant]) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for (v, variant) in variants.iter().enumerate() {
        let phases = &variant.plan.phases;
        // Assignment of each phase of this variant to a row index (of `rows` as it grows).
        let mut assigned: Vec<Option<usize>> = vec![None; phases.len()];
        let slug_of = |rows: &Vec<Row>, r: usize| -> String {
            let c = rows[r].cells[0];
            variants[c.variant].plan.phases[c.phase].slug.clone()
        };
        // (1) exact slug matches first, so role matching cannot steal a row a slug match needs.
        for (i, p) in phases.iter().enumerate() {
            let hit = (0..rows.len()).find(|&r| {
                !rows[r].has_variant(v)
                    && !assigned.contains(&Some(r))
                    && slug_of(&rows, r) == p.slug
            });
            if let Some(r) = hit {
                assigned[i] = Some(r);
            }
        }
        // (2) role / wording matches.
        for (i, p) in phases.iter().enumerate() {
            if assigned[i].is_some() {
                continue;
            }
            let role = role_of(p, i);
            let w = phase_words(p);
            let free = |r: usize| !rows[r].has_variant(v) && !assigned.contains(&Some(r));
            let hit = if role == Role::Work {
                let mut best: Option<(usize, f64)> = None;
                for r in (0..rows.len()).filter(|&r| free(r) && rows[r].role == Role::Work) {
                    let c = rows[r].cells[0];
                    let s = jaccard(&w, &phase_words(&variants[c.variant].plan.phases[c.phase]));
                    if s >= 0.5 && best.map_or(true, |(_, b)| s > b) {
                        best = Some((r, s));
                    }
                }
                best.map(|(r, _)| r)
            } else {
                (0..rows.len()).find(|&r| free(r) && rows[r].role == role)
            };
            assigned[i] = hit;
        }
        // Place: fill matched rows, open new rows after the previous phase's row.
        let mut last: Option<usize> = None;
        for (i, _) in phases.iter().enumerate() {
            let r = match assigned[i] {
                Some(r) => {
                    rows[r].cells.push(Cell {
                        variant: v,
                        phase: i,
                    });
                    r
                }
                None => {
                    let at = last.map_or(rows.len(), |l| l + 1);
                    rows.insert(
                        at,
                        Row {
                            role: role_of(&phases[i], i),
                            cells: vec![Cell {
                                variant: v,
                                phase: i,
                            }],
                        },
                    );
                    // Shift the assignments that point at or after the insertion.
                    for a in assigned.iter_mut().flatten() {
                        if *a >= at {
                            *a += 1;
                        }
                    }
                    at
                }
            };
            last = Some(r);
        }
    }
    if let Some(p) = rows.iter().position(|r| r.role == Role::Preflight) {
        let pre = rows.remove(p);
        rows.insert(0, pre);
    }
    rows
}

/// Whether a success criterion is measurable (docs/design.md §5 correctness): the definition
/// Momus and the offline planner use ([`plan_rules::is_measurable`]).
pub use plan_rules::is_measurable;

/// Whether `rollback` is explicit: not a placeholder, and it says how the change is undone
/// (docs/design.md §5 risk posture; [`plan_rules::is_explicit_rollback`], as Momus and the
/// offline planner read it).
pub use plan_rules::is_explicit_rollback as explicit_rollback;

/// Rubric score of one candidate phase, 0–100: the docs/design.md §5 rubric's own phase score
/// ([`plan_rules::rubric::phase_score`], the rules and weights Momus scores plans with), with
/// the probe's detected commands as the declared ones. `role` is preflight for phase 00.
pub fn score(p: &Phase, role: Role, probe: &ProbeReport) -> i32 {
    let declared: Vec<String> = probe.commands.iter().map(|c| c.command.clone()).collect();
    let facts = plan_rules::rubric::PhaseFacts {
        preflight: role == Role::Preflight,
        goal: &p.goal,
        steps: &p.steps,
        success_criteria: &p.success_criteria,
        gate: &p.gate,
        rollback: &p.rollback,
        changes_files: !p.files.is_empty(),
        declared: &declared,
    };
    i32::from(plan_rules::rubric::phase_score(&facts))
}

/// How much a candidate phase holds, to break ties between candidates of equal [`score`]:
/// measurable success criteria (up to 3), a gate entry the probe detected (+2) and files
/// named (up to 2). Higher is richer; only the order matters.
pub fn richness(p: &Phase, probe: &ProbeReport) -> i32 {
    let detected = |g: &String| probe.commands.iter().any(|c| &c.command == g);
    let measurable = p
        .success_criteria
        .iter()
        .filter(|c| is_measurable(c))
        .count()
        .min(3) as i32;
    measurable + if p.gate.iter().any(detected) { 2 } else { 0 } + p.files.len().min(2) as i32
}

//! The Alloy Synthesizer (docs/design.md §2 Alloy): blends N variant plans in three passes.
//!
//! 1. structural alignment ([`align`]): a phase-by-phase matrix across variants; the strongest
//!    version of each aligned phase is picked against the docs/design.md §5 rubric, and sections of one
//!    more variant (extra measurable success criteria, a more explicit rollback, a gate) may be
//!    folded in as the phase's secondary source;
//! 2. contradiction resolution ([`resolve`]): services, feature flags and files that variants
//!    disagree on are settled by a Metis directive, else the probe's detected stack, else
//!    surfaced for a human (`Decide: …` iron rule; either/or choices get a synthesizer phase);
//! 3. provenance: every phase carries `primary_source`, `secondary_source`, `contradictions`.
//!
//! Pure Rust over the WIT types: no host call, unit-tested natively.
pub mod align;
pub mod report;
pub mod resolve;
pub mod support;

use align::{explicit_rollback, is_measurable, richness, role_of, score, Role, Row};
use anneal_guest::types::{Dependencies, FileAction, Phase, Plan, ProbeReport, Provenance};
use resolve::{service_key, Contradiction, Resolution};
pub use support::TaskFacts;

/// One variant plan of the tournament.
#[derive(Clone, Debug)]
pub struct Variant {
    /// 1-based position in the bias order.
    pub index: usize,
    /// The bias lens, e.g. `defensive`.
    pub bias: String,
    pub plan: Plan,
}

impl Variant {
    /// `variant-{i}-{bias}`: the file stem and provenance source name (docs/design.md §2).
    pub fn source(&self) -> String {
        format!("variant-{}-{}", self.index, self.bias)
    }
}

/// Provenance source of a phase found in no variant.
pub const SYNTHESIZER: &str = "synthesizer";

/// How one phase of the blend was made (for the provenance report).
#[derive(Clone, Debug)]
pub struct PhaseRecord {
    /// New id in the blend.
    pub id: String,
    pub slug: String,
    pub role: Role,
    /// `(source, slug, rubric score)` of every aligned version, in variant order.
    pub candidates: Vec<(String, String, i32)>,
    /// Sections folded from the secondary source (e.g. "success criteria", "rollback").
    pub folded: Vec<String>,
    /// Why the primary was chosen.
    pub rationale: String,
}

/// The result of a synthesis.
#[derive(Clone, Debug)]
pub struct Synthesis {
    /// The blended plan (author `synthesizer`), ids renumbered, every phase with provenance.
    pub plan: Plan,
    pub records: Vec<PhaseRecord>,
    pub contradictions: Vec<Contradiction>,
    /// Rows of the matrix dropped by contradiction resolution: `(sources, slug, why)`.
    pub dropped: Vec<(Vec<String>, String, String)>,
    /// Per bias, in bias order: `(bias, phases as primary, phases as secondary)`.
    pub counts: Vec<(String, usize, usize)>,
}

fn mentions(p: &Phase, key: &str) -> bool {
    let text = format!(
        "{} {} {} {} {} {}",
        p.slug,
        p.title,
        p.goal,
        p.steps.join(" "),
        p.rollback,
        p.files
            .iter()
            .map(|f| f.path.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    align::words(&text).iter().any(|w| same_name(w, key))
}

/// Whether word `w` names the same thing as key `k`: equal, or one is a prefix of the other
/// and both have at least 5 characters (`postgres` / `postgresql`).
pub fn same_name(w: &str, k: &str) -> bool {
    w == k || (w.len() >= 5 && k.len() >= 5 && (w.starts_with(k) || k.starts_with(w)))
}

fn mentions_flag(p: &Phase) -> bool {
    let t = format!(
        "{} {} {} {}",
        p.title,
        p.goal,
        p.steps.join(" "),
        p.rollback
    )
    .to_lowercase();
    t.contains("feature flag") || t.contains("flag off") || t.contains("flag-off")
}

fn norm(s: &str) -> String {
    s.trim().trim_end_matches('.').to_lowercase()
}

/// Makes `slug` a valid, unused slug: `[a-z0-9-]`, ≤ 40 chars, no leading/trailing `-`,
/// suffixed `-2`, `-3`, … when `used` already holds it.
pub fn unique_slug(slug: &str, used: &[String]) -> String {
    let mut s: String = slug
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    let mut s: String = s.trim_matches('-').chars().take(40).collect();
    s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        s = "phase".into();
    }
    let mut out = s.clone();
    let mut n = 2;
    while used.contains(&out) {
        let suffix = format!("-{n}");
        let base: String = s.chars().take(40 - suffix.len()).collect();
        out = format!("{}{suffix}", base.trim_end_matches('-'));
        n += 1;
    }
    out
}

/// Blends `variants` (at least one, in bias order) into one plan (docs/design.md §2 Alloy synthesis).
/// `task` is the task and its kind, `directives` the Metis directives (plus folded
/// constraints), `probe` the probe report. A phase is kept only when at least half of the
/// variants have it, or when a variant whose bias applies to this task proposes it
/// ([`support`]); the others are left out with the reason, in [`Synthesis::dropped`].
/// Deterministic: the same input gives the same plan and report.
/// A file is created once: phases picked from different variants may each create the same new
/// file (the acceptance tests, say); in the blend, every later phase modifies what an earlier
/// one created (Hephaestus refuses a second `create`, docs/design.md §6a).
fn created_once(phases: &mut [Phase]) {
    let mut created: Vec<String> = Vec::new();
    for p in phases {
        for f in &mut p.files {
            if f.action == FileAction::Create {
                if created.contains(&f.path) {
                    f.action = FileAction::Modify;
                } else {
                    created.push(f.path.clone());
                }
            }
        }
    }
}

pub fn synthesize(
    variants: &[Variant],
    task: &TaskFacts<'_>,
    directives: &[String],
    probe: &ProbeReport,
) -> Synthesis {
    let rows = align::matrix(variants);
    let phase = |c: align::Cell| -> &Phase { &variants[c.variant].plan.phases[c.phase] };
    // Whether each variant has every phase that most variants have: a variant that merged two
    // of them (the minimalist's "reproduce and fix") must not lend its merged phase to a blend
    // that keeps the other one too, or the blend repeats it with the wrong dependencies.
    let conforms: Vec<bool> = (0..variants.len())
        .map(|v| {
            rows.iter()
                .filter(|r| 2 * r.cells.len() > variants.len())
                .all(|r| r.cells.iter().any(|c| c.variant == v))
        })
        .collect();

    // ---- Pass 2 first on plan-level facts (which options are out), so pass 1 picks among
    // the candidates that survive.
    let (mut contradictions, rejected) = resolve::services(variants, directives, probe);
    let rejected_keys: Vec<String> = rejected.iter().map(|s| service_key(s)).collect();
    let flagged: Vec<bool> = variants
        .iter()
        .map(|v| {
            v.plan
                .phases
                .iter()
                .enumerate()
                .any(|(i, p)| role_of(p, i) == Role::FeatureFlag)
        })
        .collect();
    let (flag_c, keep_flag) = resolve::feature_flag(variants, &flagged, directives, probe);
    // Flags are only pruned when variants disagreed and the resolution went against the flag.
    let flag_rejected = flag_c.is_some() && !keep_flag;
    let flag_line = flag_c.as_ref().map(Contradiction::line);
    if let Some(c) = flag_c {
        contradictions.push(c);
    }
    let service_lines: Vec<(Vec<String>, String)> = contradictions
        .iter()
        .filter(|c| c.topic.starts_with("service"))
        .map(|c| {
            let keys = c
                .options
                .iter()
                .map(|(o, _)| {
                    service_key(
                        o.trim_start_matches("declare ")
                            .trim_start_matches("no ")
                            .trim_matches('`'),
                    )
                })
                .collect();
            (keys, c.line())
        })
        .collect();

    struct Pick {
        row: Row,
        primary: align::Cell,
        secondary: Option<usize>,
        phase: Phase,
        folded: Vec<String>,
        contradictions: Vec<String>,
        rationale: String,
        scores: Vec<i32>,
        decision_of: Option<usize>,
    }
    let mut picks: Vec<Pick> = Vec::new();
    let mut dropped = Vec::new();
    for row in rows {
        let sources: Vec<String> = row
            .cells
            .iter()
            .map(|c| variants[c.variant].source())
            .collect();
        let scores: Vec<i32> = row
            .cells
            .iter()
            .map(|&c| score(phase(c), row.role, probe))
            .collect();
        let mut notes: Vec<String> = Vec::new();
        // Allowed candidates after plan-level resolutions.
        let mut allowed: Vec<usize> = (0..row.cells.len()).collect();
        if flag_rejected {
            if row.role == Role::FeatureFlag {
                dropped.push((
                    sources.clone(),
                    phase(row.cells[0]).slug.clone(),
                    flag_line.clone().unwrap_or_default(),
                ));
                continue;
            }
            let keep: Vec<usize> = allowed
                .iter()
                .copied()
                .filter(|&i| !mentions_flag(phase(row.cells[i])))
                .collect();
            if !keep.is_empty() && keep.len() < allowed.len() {
                allowed = keep;
                notes.extend(flag_line.clone());
            }
        }
        for key in &rejected_keys {
            let keep: Vec<usize> = allowed
                .iter()
                .copied()
                .filter(|&i| !mentions(phase(row.cells[i]), key))
                .collect();
            let line = service_lines
                .iter()
                .find(|(k, _)| k.contains(key))
                .map(|(_, l)| l.clone())
                .unwrap_or_default();
            if keep.is_empty() && row.role != Role::Preflight {
                dropped.push((sources.clone(), phase(row.cells[0]).slug.clone(), line));
                allowed.clear();
                break;
            } else if !keep.is_empty() && keep.len() < allowed.len() {
                allowed = keep;
                notes.push(line);
            }
        }
        if allowed.is_empty() {
            continue;
        }
        // Support: kept with at least half of the variants behind it, or a bias that applies.
        let backers: Vec<&Variant> = allowed
            .iter()
            .map(|&i| &variants[row.cells[i].variant])
            .collect();
        let mut support_note = None;
        if !matches!(row.role, Role::Preflight | Role::Security) {
            match support::judge(&backers, variants.len(), task, probe) {
                support::Support::Majority => {}
                support::Support::Bias(why) => support_note = Some(why),
                support::Support::Rejected(why) => {
                    dropped.push((
                        sources.clone(),
                        phase(row.cells[allowed[0]]).slug.clone(),
                        why,
                    ));
                    continue;
                }
            }
        }
        // Service contradictions touching this row's phases are recorded on it.
        for (keys, line) in &service_lines {
            if allowed
                .iter()
                .any(|&i| keys.iter().any(|k| mentions(phase(row.cells[i]), k)))
                && !notes.contains(line)
            {
                notes.push(line.clone());
            }
        }
        // Pass 1: the strongest allowed candidate; on equal scores one from a variant with the
        // majority's phases ([`conforms`]), then the richest; then the earliest variant.
        let rich: Vec<i32> = row
            .cells
            .iter()
            .map(|&c| richness(phase(c), probe))
            .collect();
        let shaped: Vec<bool> = row.cells.iter().map(|c| conforms[c.variant]).collect();
        let mut best = allowed[0];
        for &i in &allowed {
            if (scores[i], shaped[i], rich[i]) > (scores[best], shaped[best], rich[best]) {
                best = i;
            }
        }
        let mut rationale = if allowed.len() == 1 && row.cells.len() == 1 {
            format!("only {} has this phase", sources[best])
        } else {
            format!(
                "strongest against the docs/design.md §5 rubric (score {} of {:?})",
                scores[best], scores
            )
        };
        if let Some(why) = &support_note {
            rationale = format!("{rationale}; kept although a minority proposes it: {why}");
        }
        // Pass 2 on the row: files contradiction.
        let mut decision_of = None;
        let cands: Vec<(String, &Phase)> = allowed
            .iter()
            .map(|&i| (sources[i].clone(), phase(row.cells[i])))
            .collect();
        let default = allowed.iter().position(|&i| i == best).unwrap();
        if let Some((c, chosen)) = resolve::files(
            &phase(row.cells[best]).title,
            &cands,
            default,
            directives,
            probe,
        ) {
            best = allowed[chosen];
            if c.resolution != Resolution::Human {
                rationale = format!("{} chosen: {}", sources[best], c.line());
            }
            notes.push(c.line());
            if c.needs_decision_phase {
                decision_of = Some(contradictions.len());
            }
            contradictions.push(c);
        }
        // Pass 1, folding: sections of the best other candidate that adds something.
        let mut merged = phase(row.cells[best]).clone();
        let mut secondary = None;
        let mut folded = Vec::new();
        let mut others: Vec<usize> = allowed.iter().copied().filter(|&i| i != best).collect();
        others.sort_by_key(|&i| (std::cmp::Reverse(scores[i]), i));
        for i in others {
            let o = phase(row.cells[i]);
            let have: Vec<String> = merged.success_criteria.iter().map(|c| norm(c)).collect();
            let extra: Vec<String> = o
                .success_criteria
                .iter()
                .filter(|c| is_measurable(c) && !have.contains(&norm(c)))
                .filter(|c| rejected_keys.iter().all(|k| !align::words(c).contains(k)))
                .take(2)
                .cloned()
                .collect();
            if !extra.is_empty() {
                merged.success_criteria.extend(extra);
                folded.push("success criteria".to_string());
            }
            let richer = |r: &str| {
                let r = r.to_lowercase();
                r.contains("checkpoint") || (!flag_rejected && r.contains("flag"))
            };
            if (!explicit_rollback(&merged.rollback) && explicit_rollback(&o.rollback))
                || (richer(&o.rollback)
                    && !richer(&merged.rollback)
                    && explicit_rollback(&o.rollback))
            {
                merged.rollback = o.rollback.clone();
                folded.push("rollback".into());
            }
            if merged.gate.is_empty() && !o.gate.is_empty() {
                merged.gate = o.gate.clone();
                folded.push("gate".into());
            }
            if !folded.is_empty() {
                secondary = Some(i);
                break;
            }
        }
        picks.push(Pick {
            primary: row.cells[best],
            row,
            secondary,
            phase: merged,
            folded,
            contradictions: notes,
            rationale,
            scores,
            decision_of,
        });
    }

    // Synthesizer-invented decision phases for either/or contradictions left to a human; they go
    // right after preflight and the phases concerned depend on them.
    let mut invented: Vec<(usize, Phase)> = Vec::new();
    for (ci, c) in contradictions
        .iter()
        .enumerate()
        .filter(|(_, c)| c.needs_decision_phase)
    {
        let opts: Vec<&str> = c.options.iter().map(|(o, _)| o.as_str()).collect();
        let topic_slug = c.topic.replace(['`', '"'], "");
        invented.push((
            ci,
            Phase {
                id: String::new(),
                slug: format!("decide-{}", topic_slug),
                title: format!("Decide: {}", c.topic.replace('`', "")),
                goal: format!("Settle the contradiction between variants before building on it: {}.", opts.join(" or ")),
                steps: vec![
                    format!("Review the options and their sources in synthesis-provenance.md: {}.", c.line()),
                    "Record the decision and its reason in the plan's iron rules, then drop the phases of the rejected option.".into(),
                ],
                files: Vec::new(),
                success_criteria: vec!["Exactly 1 option is chosen and recorded, with the reason, before any later phase starts.".into()],
                gate: vec![format!("check: a human chose one of: {}", opts.join(" / "))],
                rollback: "Nothing to roll back: this phase changes no file; reopen the decision if the chosen option fails its gate.".into(),
                depends_on: Vec::new(),
                provenance: None,
            },
        ));
    }

    // ---- Pass 3: renumber, rewire dependencies, provenance.
    let n_pre = usize::from(!picks.is_empty());
    let total = picks.len() + invented.len();
    let mut new_index: Vec<usize> = Vec::with_capacity(picks.len());
    for k in 0..picks.len() {
        new_index.push(if k < n_pre { k } else { k + invented.len() });
    }
    let mut used: Vec<String> = Vec::new();
    let mut phases: Vec<Option<Phase>> = vec![None; total];
    let mut records: Vec<Option<PhaseRecord>> = vec![None; total];
    let mut counts: Vec<(String, usize, usize)> =
        variants.iter().map(|v| (v.bias.clone(), 0, 0)).collect();
    // Slugs: preflight first, then in final order.
    for (j, (ci, p)) in invented.iter().enumerate() {
        let pos = n_pre + j;
        let mut p = p.clone();
        p.id = format!("{pos:02}");
        p.depends_on = if n_pre == 1 {
            vec!["00".into()]
        } else {
            Vec::new()
        };
        p.provenance = Some(Provenance {
            primary_source: SYNTHESIZER.into(),
            secondary_source: None,
            contradictions: vec![contradictions[*ci].line()],
        });
        records[pos] = Some(PhaseRecord {
            id: p.id.clone(),
            slug: String::new(),
            role: Role::Work,
            candidates: Vec::new(),
            folded: Vec::new(),
            rationale: "found in no variant: added by the synthesizer to surface an either/or contradiction for a human".into(),
        });
        phases[pos] = Some(p);
    }
    for (k, pick) in picks.iter().enumerate() {
        let pos = new_index[k];
        let v = pick.primary.variant;
        let mut p = pick.phase.clone();
        p.id = format!("{pos:02}");
        // Map the primary's dependencies through its own variant's rows.
        let own = &variants[v].plan.phases;
        let mut deps: Vec<String> = Vec::new();
        for d in &own[pick.primary.phase].depends_on {
            let Some(old) = own.iter().position(|q| &q.id == d) else {
                continue;
            };
            if let Some(k2) = picks.iter().position(|q| {
                q.row.cells.contains(&align::Cell {
                    variant: v,
                    phase: old,
                })
            }) {
                let id2 = new_index[k2];
                if id2 < pos {
                    let s = format!("{id2:02}");
                    if !deps.contains(&s) {
                        deps.push(s);
                    }
                }
            }
        }
        if let Some(ci) = pick.decision_of {
            if let Some(j) = invented.iter().position(|(c, _)| *c == ci) {
                deps.push(format!("{:02}", n_pre + j));
            }
        }
        if deps.is_empty() && pos > 0 && !own[pick.primary.phase].depends_on.is_empty() {
            deps.push(format!("{:02}", pos - 1));
        }
        deps.sort();
        deps.dedup();
        p.depends_on = deps;
        let secondary = pick
            .secondary
            .map(|i| variants[pick.row.cells[i].variant].source());
        p.provenance = Some(Provenance {
            primary_source: variants[v].source(),
            secondary_source: secondary.clone(),
            contradictions: pick.contradictions.clone(),
        });
        counts[v].1 += 1;
        if let Some(i) = pick.secondary {
            counts[pick.row.cells[i].variant].2 += 1;
        }
        records[pos] = Some(PhaseRecord {
            id: p.id.clone(),
            slug: String::new(),
            role: pick.row.role,
            candidates: pick
                .row
                .cells
                .iter()
                .zip(&pick.scores)
                .map(|(c, s)| (variants[c.variant].source(), phase(*c).slug.clone(), *s))
                .collect(),
            folded: pick.folded.clone(),
            rationale: pick.rationale.clone(),
        });
        phases[pos] = Some(p);
    }
    let mut phases: Vec<Phase> = phases.into_iter().flatten().collect();
    let mut records: Vec<PhaseRecord> = records.into_iter().flatten().collect();
    for (i, (p, r)) in phases.iter_mut().zip(records.iter_mut()).enumerate() {
        if i == 0 && n_pre == 1 {
            p.slug = "preflight".into();
        }
        p.slug = unique_slug(&p.slug, &used);
        used.push(p.slug.clone());
        r.slug = p.slug.clone();
    }
    created_once(&mut phases);

    // Plan-level sections.
    let lead = counts
        .iter()
        .enumerate()
        .max_by_key(|(i, c)| (c.1, std::cmp::Reverse(*i)))
        .map(|(i, _)| i)
        .unwrap_or(0);
    let mut deps = Dependencies {
        services: Vec::new(),
        env_vars: Vec::new(),
        permissions: Vec::new(),
    };
    let push = |list: &mut Vec<String>, s: &String| {
        if !list.iter().any(|x| x.to_lowercase() == s.to_lowercase()) {
            list.push(s.clone());
        }
    };
    let mut out_of_scope = Vec::new();
    let mut iron_rules = Vec::new();
    for v in variants {
        let d = &v.plan.dependencies;
        for s in d.services.iter().filter(|s| {
            !rejected
                .iter()
                .any(|r| r.to_lowercase() == s.to_lowercase())
        }) {
            push(&mut deps.services, s);
        }
        for s in &d.env_vars {
            push(&mut deps.env_vars, s);
        }
        for s in &d.permissions {
            push(&mut deps.permissions, s);
        }
        for s in &v.plan.out_of_scope {
            push(&mut out_of_scope, s);
        }
        for s in &v.plan.iron_rules {
            let t = s.to_lowercase();
            let backers: Vec<&Variant> = variants
                .iter()
                .filter(|w| w.plan.iron_rules.iter().any(|r| r == s))
                .collect();
            let supported = !matches!(
                support::judge(&backers, variants.len(), task, probe),
                support::Support::Rejected(_)
            );
            if supported
                && (!flag_rejected || !t.contains("flag"))
                && rejected_keys.iter().all(|k| !align::words(&t).contains(k))
            {
                push(&mut iron_rules, s);
            }
        }
    }
    for r in &rejected {
        out_of_scope.push(format!("Service `{r}`: proposed by a variant and rejected by the synthesis (see synthesis-provenance.md)."));
    }
    for c in &contradictions {
        if let Some(rule) = c.decide_rule() {
            iron_rules.push(rule);
        }
    }
    let biases: Vec<&str> = variants.iter().map(|v| v.bias.as_str()).collect();
    let base = variants.get(lead).map(|v| v.plan.clone());
    let plan = Plan {
        title: base.as_ref().map(|p| p.title.clone()).unwrap_or_else(|| "Blended plan".into()),
        thesis: format!(
            "{} Blended by the synthesizer from {} variants ({}): the strongest version of each phase against the docs/design.md §5 rubric, {} contradiction(s) settled or surfaced.",
            base.as_ref().map(|p| p.thesis.trim().to_string()).unwrap_or_default(),
            variants.len(),
            biases.join(", "),
            contradictions.len()
        )
        .trim()
        .to_string(),
        effort: format!("{} phases (blend of {} variants)", phases.len(), variants.len()),
        phases,
        dependencies: deps,
        out_of_scope,
        iron_rules,
        author: SYNTHESIZER.into(),
    };
    Synthesis {
        plan,
        records,
        contradictions,
        dropped,
        counts,
    }
}

#[cfg(test)]
mod tests;

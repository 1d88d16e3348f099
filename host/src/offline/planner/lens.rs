//! The Alloy bias lenses (docs/design.md §2 Alloy): each lens reshapes the base plan.
//!
//! | lens | what it does to the plan |
//! |---|---|
//! | correctness | a test-command gate on every work phase, every criterion measurable, an acceptance phase mapping each criterion to a test, and a phased (canary) rollout with numeric thresholds |
//! | minimalist | drops closing phases, merges core phases down to preflight + at most two work phases (+ security/provisioning when required), keeps at most two modified files and one new test file, no new module |
//! | defensive | a feature-flag phase right after preflight (flag off by default), a checkpoint step and a flag-off rollback on every phase, fail-safe iron rules |
//! | performance | a baseline benchmark phase (unless the task kind has one), a prune phase that removes what the change makes unnecessary, hot-path steps and a no-regression criterion |
//! | ux | an error-messages-and-progress phase before the closing phase, user-facing error criteria |
//! | verification | an observability phase as phase 01, a metric-naming criterion on every phase, reproducibility steps |
//! | migration | a compatibility phase (breaking-change inventory, dual-read/dual-write, version gate) or, for migration tasks, a full rehearsal phase plus version gates |
//!
//! Every lens is idempotent: applying it twice gives the same draft.
use super::draft::{default_rollback, is_measurable, DPhase, Draft, Role};
use super::ground::{kebab, snake, Grounding};
use crate::model::{FileAction, TaskKind};
use crate::text::prose_list;

/// An Alloy bias lens, in docs/design.md §2 bias order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lens {
    Correctness,
    Minimalist,
    Defensive,
    Performance,
    Ux,
    Verification,
    Migration,
}

impl Lens {
    /// All lenses in docs/design.md §2 bias order (Alloy takes the first N).
    pub const ALL: [Lens; 7] = [
        Lens::Correctness,
        Lens::Minimalist,
        Lens::Defensive,
        Lens::Performance,
        Lens::Ux,
        Lens::Verification,
        Lens::Migration,
    ];

    /// The lens named `s` (case-insensitive, surrounding whitespace ignored).
    pub fn parse(s: &str) -> Option<Lens> {
        let s = s.trim().to_lowercase();
        Lens::ALL.iter().copied().find(|l| l.name() == s)
    }

    /// The lowercase name used in `variant-{i}-{bias}` and `author`: its entry of
    /// [`crate::model::LENSES`] (the variants are declared in that order).
    pub fn name(self) -> &'static str {
        crate::model::LENSES[self as usize]
    }
}

/// Applies `lens` to the draft (see the module table).
pub fn apply(d: &mut Draft, lens: Lens, g: &Grounding) {
    match lens {
        Lens::Correctness => correctness(d, g),
        Lens::Minimalist => minimalist(d, g),
        Lens::Defensive => defensive(d, g),
        Lens::Performance => performance(d, g),
        Lens::Ux => ux(d, g),
        Lens::Verification => verification(d, g),
        Lens::Migration => migration(d, g),
    }
}

/// The feature flag the defensive lens introduces.
pub fn flag_name(g: &Grounding) -> String {
    format!("{}_enabled", snake(&g.stem))
}

/// The metric prefix the verification lens introduces.
pub fn metric_prefix(g: &Grounding) -> String {
    snake(&g.stem)
}

fn thesis(d: &mut Draft, s: String) {
    if !d.thesis.contains(&s) {
        d.thesis.push(s);
    }
}

fn correctness(d: &mut Draft, g: &Grounding) {
    let key = kebab(&g.stem);
    let gate = g.impl_gate();
    let research = g.kind == TaskKind::Research;
    // Exhaustive gates: every work phase runs the test command (research phases stay manual).
    for p in d.phases.iter_mut().filter(|p| p.role != Role::Preflight) {
        if !research {
            for c in &gate {
                p.gate(c.clone());
            }
        }
        let crits: Vec<String> = p.phase.success_criteria.clone();
        p.phase.success_criteria = crits
            .into_iter()
            .map(|c| {
                if is_measurable(&c) {
                    c
                } else {
                    format!(
                        "{} — proven by at least 1 named test or recorded measurement",
                        c.trim_end_matches('.')
                    )
                }
            })
            .collect();
        p.criterion("Each success criterion of this phase is checked by at least 1 named test or measurement listed in evidence/ (100% of criteria covered).".to_string());
    }
    // Acceptance phase: every criterion of the plan mapped to a test.
    let akey = format!("acceptance-{key}");
    if d.index(&akey).is_none() {
        let mut a = DPhase::new(
            &akey,
            Role::Lens,
            if research {
                "Reproduce the spike's results"
            } else {
                "Acceptance run: every criterion mapped to a test"
            },
            if research {
                "A second engineer reproduces every number in the evaluation from the recorded commands.".to_string()
            } else {
                format!("Prove every success criterion of the plan with an automated test before release of {}.", g.subject)
            },
            2,
        );
        if research {
            a.step("A second engineer re-runs every recorded measurement command from a clean checkout of the spike branch.".to_string());
            a.criterion("Every reproduced number is within 10% of the recorded one; deviations are explained in the research document.".to_string());
            a.gate(
                "check: 100% of the recorded numbers reproduced within 10% by a second engineer"
                    .to_string(),
            );
        } else {
            let tl = g.focus.tests_label();
            a.step(format!("Map every success criterion of the work phases to the test in {tl} that proves it, as a table in evidence/."));
            a.step(format!(
                "Write the missing tests in {tl} for {}, one per unmapped criterion.",
                g.code_prose(3, &g.subject)
            ));
            if let Some(t) = g.focus.test() {
                a.file(t.path.clone(), t.action());
            }
            a.criterion("100% of the plan's success criteria map to a passing test or a recorded measurement.".to_string());
            a.criterion("Line coverage of the touched files is at least 80%, and not lower than at phase 00.".to_string());
            for c in &gate {
                a.gate(c.clone());
            }
        }
        a.phase.rollback = "This phase adds tests only: revert its commit to remove them; no production code changes.".to_string();
        d.insert_before_closing(a);
    }
    // Phased rollout with numeric thresholds, for a repository that is deployed.
    if !research && g.deployable.is_some() {
        let rkey = format!("phased-rollout-{key}");
        if d.index(&rkey).is_none() {
            let closing = d.keys_with(Role::Closing);
            let mut r = DPhase::new(
                &rkey,
                Role::Closing,
                "Phased rollout with acceptance thresholds",
                format!(
                    "Release {} in stages, each gated on measured error rate and latency.",
                    g.subject
                ),
                2,
            );
            r.step("Stage 1: one canary instance or 5% of traffic for 24 h.".to_string());
            r.step("Stage 2: 50% of traffic for 24 h.".to_string());
            r.step("Stage 3: 100% of traffic.".to_string());
            r.step("Between stages, compare error rate and p95 latency with the phase-00 baseline; stop and roll back automatically on breach.".to_string());
            r.criterion("At every stage the error rate stays within 0.5 percentage points and p95 latency within 10% of the phase-00 baseline.".to_string());
            if let Some(b) = &g.build {
                r.gate(b.command.clone());
            }
            r.gate(
                "check: each rollout stage's error rate and p95 recorded and within thresholds"
                    .to_string(),
            );
            r.phase.rollback = "Route all traffic back to the previous release at the current stage; later stages never start.".to_string();
            if let Some(c) = closing.first().cloned() {
                // The closing phase's documentation steps move into the rollout.
                let at = d.index(&c).unwrap_or(d.phases.len());
                d.insert(at, r);
                d.merge(&rkey, &c);
            } else {
                d.phases.push(r);
            }
        }
    }
    if !research
        && g.deployable.is_some()
        && !d
            .deps
            .permissions
            .iter()
            .any(|p| p.starts_with("Deploy rights"))
    {
        d.permission("Deploy rights to staging and production for the phased rollout (granted by the release owner)".to_string());
    }
    d.rule("Every success criterion is measurable and checked by a named test or a recorded measurement.");
    thesis(d, format!(
        "The correctness lens gates every phase on the test command and maps every criterion to a test in an acceptance phase{}.",
        if g.deployable.is_some() { ", and rolls out in measured stages" } else { "" }
    ));
}

fn minimalist(d: &mut Draft, g: &Grounding) {
    // Drop ceremony: closing and lens-added phases. The release itself still happens, folded
    // into the last work phase as one step.
    let had_closing = !d.keys_with(Role::Closing).is_empty();
    for k in d
        .keys_with(Role::Closing)
        .into_iter()
        .chain(d.keys_with(Role::Lens))
    {
        d.remove(&k);
    }
    if had_closing && g.deployable.is_some() {
        if let Some(last) = d
            .phases
            .iter()
            .rev()
            .find(|p| p.role == Role::Core)
            .map(|p| p.key.clone())
        {
            if let Some(p) = d.get_mut(&last) {
                p.step("Release through the project's normal staged rollout (one canary instance first, then everyone); no separate rollout phase.".to_string());
            }
        }
    }
    // Merge adjacent core phases pairwise until at most 2 remain; a merged phase is titled by
    // what it does ("Expand, dual write, backfill and cutover: session storage to Redis").
    let suffix = format!("-{}", kebab(&g.stem));
    let head = |key: &str| key.strip_suffix(&suffix).unwrap_or(key).replace('-', " ");
    let mut heads: Vec<(String, Vec<String>)> = Vec::new();
    loop {
        let work: Vec<String> = d
            .keys_with(Role::Core)
            .into_iter()
            .filter(|k| !k.starts_with("provision-"))
            .collect();
        if work.len() <= 2 {
            break;
        }
        let pairs: Vec<(String, String)> = work
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].clone(), c[1].clone()))
            .collect();
        for (a, b) in pairs {
            let slug_b = match d.phases.iter().find(|p| p.key == b) {
                Some(p) => p.phase.slug.clone(),
                None => continue,
            };
            let mut ha = heads
                .iter()
                .find(|(k, _)| *k == a)
                .map(|(_, h)| h.clone())
                .unwrap_or_else(|| vec![head(&a)]);
            let hb = heads
                .iter()
                .find(|(k, _)| *k == b)
                .map(|(_, h)| h.clone())
                .unwrap_or_else(|| vec![head(&b)]);
            ha.extend(hb);
            heads.retain(|(k, _)| *k != a && *k != b);
            heads.push((a.clone(), ha));
            d.merge(&a, &b);
            if let Some(p) = d.get_mut(&a) {
                // The later phase names the merged result better (`implement-…` over `contract-…`).
                p.phase.slug = slug_b;
            }
        }
    }
    for (k, hs) in heads {
        if let Some(p) = d.get_mut(&k) {
            let mut t = prose_list(&hs, "");
            if let Some(f) = t.get(0..1) {
                t = f.to_uppercase() + &t[1..];
            }
            p.phase.title = format!("{t}: {}", g.subject);
        }
    }
    // Fewest files (a safety net: the minimalist grounding already avoids topic modules and
    // extra test files): one new test file, at most two modified source files. New code files
    // a shape needs (a store adapter, a new component) stay.
    let mut kept_test: Option<String> = None;
    let mut modified: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for p in d.phases.iter_mut() {
        p.phase.files.retain(|f| {
            let code = super::paths::is_code_path(&f.path);
            let test = super::paths::is_test_path(&f.path);
            let keep = match f.action {
                FileAction::Create if test => match &kept_test {
                    Some(t) => *t == f.path,
                    None => {
                        kept_test = Some(f.path.clone());
                        true
                    }
                },
                FileAction::Modify if code && !test => {
                    if !modified.contains(&f.path) {
                        modified.push(f.path.clone());
                    }
                    modified.iter().position(|m| *m == f.path).unwrap_or(0) < 2
                }
                _ => true,
            };
            if !keep && !removed.contains(&f.path) {
                removed.push(f.path.clone());
            }
            keep
        });
    }
    if !removed.is_empty() {
        for p in d.phases.iter_mut() {
            p.phase
                .steps
                .retain(|s| !removed.iter().any(|r| s.contains(&format!("`{r}`"))));
        }
        if let (Some(ik), Some(src)) = (d.impl_key(), g.sources.first().cloned()) {
            if let Some(p) = d.get_mut(&ik) {
                p.step(format!("Keep the change inside `{src}` and the files already listed; no new module, abstraction or configuration knob beyond what the task needs."));
            }
        }
    }
    d.out("Documentation beyond a changelog line, dashboards, and configuration knobs the task does not ask for.");
    d.out("Any phase whose only purpose is ceremony (separate rollout, docs or cleanup phases).");
    d.rule("YAGNI: no new abstraction, dependency, configuration option or phase that the task does not need.");
    thesis(d, "The minimalist lens keeps the smallest plan that delivers the task: merged phases, the fewest files, no optional phase.".to_string());
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn defensive(d: &mut Draft, g: &Grounding) {
    let flag = flag_name(g);
    let key = kebab(&g.stem);
    let research = g.kind == TaskKind::Research;
    // A run-time flag only makes sense where something is deployed and can be switched; a
    // library or a command-line tool keeps new behaviour opt-in through its own API instead.
    let flagged = !research && g.deployable.is_some();
    let fkey = format!("feature-flag-{key}");
    if flagged && d.index(&fkey).is_none() {
        let mut f = DPhase::new(
            &fkey,
            Role::Lens,
            format!("Add the `{flag}` feature flag, off by default"),
            "Make every later change switchable at run time so a bad release is turned off without a deploy.".to_string(),
            1,
        );
        f.step(format!("Add the `{flag}` flag to the project's configuration, read once at start-up and on reload, defaulting to off."));
        f.step(format!("Wrap the entry point of the change in a check of `{flag}`: off means exactly today's behaviour."));
        f.step(format!("Test both states: with `{flag}` off the phase-00 tests pass unchanged; with it on the new tests run."));
        if let Some(src) = g.sources.first() {
            f.file(src.clone(), FileAction::Modify);
        }
        f.criterion(format!(
            "With `{flag}` off, {} passes with the phase-00 count: 0 behaviour changes.",
            g.test_cmd()
        ));
        for c in g.impl_gate() {
            f.gate(c);
        }
        f.phase.rollback =
            format!("Revert the flag commit; `{flag}` was off, so no user saw a difference.");
        let at = d
            .phases
            .iter()
            .position(|p| p.role != Role::Preflight && !p.key.starts_with("provision-"))
            .unwrap_or(d.phases.len());
        d.insert(at, f);
    }
    let keys: Vec<String> = d.phases.iter().map(|p| p.key.clone()).collect();
    for k in keys {
        let Some(p) = d.get_mut(&k) else { continue };
        let slug = p.key.clone();
        if p.role == Role::Preflight {
            if !flagged {
                p.step("Checkpoint: note the commit the work branches from, so the repository state can be restored exactly.".to_string());
            } else {
                p.step(format!("Decide the feature flag `{flag}` and its fail-safe default (off), so no later deploy changes behaviour until it is turned on."));
            }
            if !p.phase.rollback.contains("Checkpoint") {
                p.phase.rollback = format!(
                    "{} Checkpoint: the baseline commit is tagged `pre-{slug}`{}.",
                    p.phase.rollback.trim_end(),
                    if flagged {
                        format!("; the feature flag `{flag}` does not exist yet")
                    } else {
                        String::new()
                    }
                );
            }
            continue;
        }
        let cp = format!("Checkpoint: tag the commit `pre-{slug}` and snapshot any data this phase migrates, before starting.");
        if !p.phase.steps.contains(&cp) {
            p.phase.steps.insert(0, cp);
        }
        if !p.phase.rollback.starts_with("Checkpoint") {
            let base = if p.phase.rollback.trim().is_empty() {
                default_rollback(p.role, &p.phase.files)
            } else {
                p.phase.rollback.clone()
            };
            p.phase.rollback = if !flagged {
                format!("Checkpoint `pre-{slug}`: {base}")
            } else {
                format!("Checkpoint `pre-{slug}`: first turn the feature flag `{flag}` off (instant, no deploy); then {}", lower_first(&base))
            };
        }
        if flagged {
            p.criterion(format!("With the feature flag `{flag}` off, the phase-00 tests pass unchanged (0 regressions)."));
        } else if !research && !p.phase.files.is_empty() {
            p.criterion(format!("{} passes every phase-00 test unchanged (0 regressions, 0 edited pre-existing tests).", g.test_cmd()));
        }
    }
    d.rule("Fail safe: every new setting defaults to today's behaviour, and every error path refuses rather than guesses.");
    if research {
        d.rule("Nothing ships from a research plan, so no feature flag is needed; every phase is still checkpointed.");
    } else if flagged {
        d.rule(format!("The feature flag `{flag}` stays until the change has run at 100% for a full release cycle."));
    } else {
        d.rule("New behaviour is opt-in: existing callers see exactly today's behaviour unless they ask for the new one.");
    }
    if flagged {
        thesis(d, format!("The defensive lens puts the change behind the feature flag `{flag}` (off by default), checkpoints every phase and makes every rollback start by turning the flag off."));
    } else {
        thesis(d, "The defensive lens checkpoints every phase, keeps the new behaviour opt-in and holds every phase to the phase-00 tests passing unchanged.".to_string());
    }
}

fn performance(d: &mut Draft, g: &Grounding) {
    let key = kebab(&g.stem);
    let gate = g.impl_gate();
    if g.kind != TaskKind::Performance && g.kind != TaskKind::Research {
        let bkey = format!("baseline-benchmark-{key}");
        if d.index(&bkey).is_none() {
            let mut b = DPhase::new(
                &bkey,
                Role::Lens,
                "Benchmark the hot path before changing it",
                format!("Record the latency and memory of the code path {} changes, so any regression is visible.", g.subject),
                1,
            );
            b.step(format!("Benchmark the call path through {} with the inputs its tests use; record p50, p95 and peak memory from 5 runs.", g.code_prose(2, "the touched code")));
            b.criterion("p50, p95 and peak memory of the hot path recorded from 5 runs with a spread under 5%.".to_string());
            for c in &gate {
                b.gate(c.clone());
            }
            b.phase.rollback =
                "Revert the benchmark commit; production code is untouched.".to_string();
            let at = d
                .phases
                .iter()
                .position(|p| p.role != Role::Preflight && !p.key.starts_with("provision-"))
                .unwrap_or(d.phases.len());
            d.insert(at, b);
        }
    }
    let pkey = format!("prune-{key}");
    if d.index(&pkey).is_none() && g.kind != TaskKind::Research {
        let mut p = DPhase::new(
            &pkey,
            Role::Lens,
            "Prune what the change makes unnecessary",
            "Remove dead code, unused dependencies and speculative configuration, so the plan removes as much as it adds.".to_string(),
            1,
        );
        p.step(format!(
            "Delete code in {} that the change made unreachable (search for callers first).",
            g.sources_prose(3, "the touched files")
        ));
        p.step(format!(
            "Remove the imports of {} that nothing uses any more; deprecate (do not delete) public names nothing calls, a backwards-compatible removal.",
            g.sources_prose(2, "the touched files")
        ));
        p.step("Re-run the benchmark: the hot path is no slower than the baseline.".to_string());
        for s in g.sources.iter().take(2) {
            p.file(s.clone(), FileAction::Modify);
        }
        p.criterion("The diff of this phase deletes more lines than it adds, and the benchmark p95 is within 5% of the baseline or better.".to_string());
        for c in &gate {
            p.gate(c.clone());
        }
        p.phase.rollback = "Revert the prune commit; the removed code was unused, so reverting only restores dead code.".to_string();
        d.insert_before_closing(p);
    }
    if let Some(ik) = d.impl_key() {
        if let Some(p) = d.get_mut(&ik) {
            p.step("Keep the hot path lean: no extra I/O, lock or allocation per request; measure the added cost with the benchmark.".to_string());
            p.criterion(
                "The benchmark p95 of the hot path is no more than 5% above the recorded baseline."
                    .to_string(),
            );
        }
    }
    d.rule("Vendor only what is used: no new dependency or infrastructure unless a measurement shows it is needed.");
    thesis(d, "The performance lens benchmarks the hot path first, keeps it within 5% of the baseline, and prunes what the change makes unnecessary.".to_string());
}

fn ux(d: &mut Draft, g: &Grounding) {
    let key = kebab(&g.stem);
    let ekey = format!("error-messages-{key}");
    if d.index(&ekey).is_none() {
        let mut e = DPhase::new(
            &ekey,
            Role::Lens,
            "Helpful errors, progress and friendly failure paths",
            format!("Make every way {} can fail understandable to the person who hits it, and long operations visible.", g.subject),
            2,
        );
        let code = g.code_prose(3, "the touched code");
        e.step(format!("List every error {code} can return or print for the new behaviour; rewrite each message to say what happened, why, and what to do next."));
        e.step(format!(
            "Assert each message in {}, one test per error case.",
            g.focus.tests_label()
        ));
        if g.deployable.is_some() {
            e.step("For operations that can take more than 2 s, show progress (a status line or progress events) and what is being waited on.".to_string());
            e.step(
                "Count user-facing errors by type, so confusing messages show up in telemetry."
                    .to_string(),
            );
        }
        for f in g.sources.iter().take(1) {
            e.file(f.clone(), FileAction::Modify);
        }
        if let Some(t) = g.focus.test() {
            e.file(t.path.clone(), t.action());
        }
        e.criterion("Every user-visible error case has a test asserting its message (at least 1 assertion per error case).".to_string());
        for c in g.impl_gate() {
            e.gate(c);
        }
        e.phase.rollback =
            "Revert the message and progress commits; behaviour is unchanged apart from wording."
                .to_string();
        d.insert_before_closing(e);
    }
    if let Some(c) = d.keys_with(Role::Closing).first().cloned() {
        if let Some(p) = d.get_mut(&c) {
            p.step("Write the user-facing documentation from the user's side: what changes for them, and what each error means.".to_string());
        }
    }
    d.rule("Every error a user can see says what happened and what to do next; no stack traces or internal codes alone.");
    thesis(d, "The ux lens adds a phase for helpful error messages and friendly failure paths, each message asserted by a test.".to_string());
}

fn verification(d: &mut Draft, g: &Grounding) {
    if g.deployable.is_none() {
        return verification_by_tests(d, g);
    }
    let key = kebab(&g.stem);
    let m = metric_prefix(g);
    let okey = format!("observability-{key}");
    if d.index(&okey).is_none() {
        let mut o = DPhase::new(
            &okey,
            Role::Lens,
            "Instrument before changing anything",
            "Add the metrics and logs that will prove or disprove every claim of this plan, and record their current values.".to_string(),
            2,
        );
        o.step(format!(
            "Instrument {}: a counter `{m}_requests_total`, an error counter `{m}_errors_total` and a latency histogram `{m}_duration_seconds`, with bounded labels.",
            g.code_prose(2, "the code path the task changes")
        ));
        o.step(
            "Log each call with a request id and the outcome, with secrets redacted.".to_string(),
        );
        o.step("Record the current values of the new metrics under the phase-00 workload as the baseline in evidence/.".to_string());
        if let Some(s) = g.sources.first() {
            o.file(s.clone(), FileAction::Modify);
        }
        o.criterion(format!("The 3 metrics `{m}_requests_total`, `{m}_errors_total` and `{m}_duration_seconds` appear in a test run's output with non-zero samples."));
        for c in g.impl_gate() {
            o.gate(c);
        }
        o.phase.rollback =
            "Revert the instrumentation commit; it changes no behaviour.".to_string();
        d.insert(1, o);
    }
    for p in d.phases.iter_mut() {
        if p.key == okey {
            continue;
        }
        let c = match p.role {
            Role::Preflight => "Metric: build time in seconds and test count are recorded, so later phases compare against numbers, not impressions.".to_string(),
            Role::Closing => format!("Metric: `{m}_errors_total` rate after release is at most the pre-release rate over 24 h."),
            _ => format!("Metric: `{m}_errors_total` stays at its baseline and `{m}_duration_seconds` p95 within 10% of it during this phase's test run."),
        };
        p.criterion(c);
    }
    d.rule("Instrument before theorising: no claim in this plan is accepted without the metric or log line that shows it.");
    thesis(d, format!("The verification lens instruments the code first (the `{m}_*` metrics, right after preflight) so every later success criterion is a metric compared with its recorded baseline."));
}

/// The verification lens for a repository that is not deployed: the evidence is the test
/// suite, so it shows the behaviour the task asks for with a failing test before any change
/// and holds every phase to recorded test counts.
fn verification_by_tests(d: &mut Draft, g: &Grounding) {
    let key = kebab(&g.stem);
    let rkey = format!("evidence-first-{key}");
    let tl = g.focus.tests_label();
    if d.index(&rkey).is_none() && g.kind != TaskKind::Research {
        let mut o = DPhase::new(
            &rkey,
            Role::Lens,
            "Show the missing behaviour with a failing test first",
            format!(
                "Prove with a test what {} must change before changing it.",
                g.subject
            ),
            2,
        );
        o.step(format!(
            "Write a test in {tl} that exercises {} the way the task asks and fails today; mark it {} so {} stays green.",
            g.code_prose(2, "the code the task changes"),
            g.lang.pending_marker(),
            g.test_cmd()
        ));
        o.step(format!(
            "Record the output of {} (test count, the new expected failure) in evidence/.",
            g.test_cmd()
        ));
        if let Some(t) = g.focus.test() {
            o.file(t.path.clone(), t.action());
        }
        o.criterion(format!(
            "{} exits 0 with the phase-00 passing count and exactly 1 new expected failure.",
            g.test_cmd()
        ));
        for c in g.impl_gate() {
            o.gate(c);
        }
        o.phase.rollback = "Revert the commit that adds the failing test (`git revert`); no code under test changed.".to_string();
        d.insert(1, o);
    }
    for p in d.phases.iter_mut() {
        if p.key == rkey || p.role == Role::Preflight {
            continue;
        }
        p.criterion(format!(
            "The {} output of this phase is recorded in evidence/: passing count at least the phase-00 count, 0 failures.",
            g.test_cmd()
        ));
    }
    d.rule("Evidence before claims: every criterion is shown by a recorded test run, not by inspection.");
    thesis(d, "The verification lens shows the missing behaviour with a failing test before any change and records every phase's test run as evidence.".to_string());
}

fn migration(d: &mut Draft, g: &Grounding) {
    let key = kebab(&g.stem);
    if g.kind == TaskKind::Migration {
        let rkey = format!("rehearsal-{key}");
        if d.index(&rkey).is_none() {
            let mut r = DPhase::new(
                &rkey,
                Role::Lens,
                "Rehearse the migration end to end",
                "Run every step, including the rollbacks, on a production-sized copy before touching production.".to_string(),
                2,
            );
            r.step(
                "Restore a production-sized, anonymised copy into a staging environment."
                    .to_string(),
            );
            r.step("Run each phase's change and then its rollback, timing both.".to_string());
            r.step("Record a data or schema version number that the code checks at start-up, so old and new code refuse a version they cannot read.".to_string());
            r.criterion("Every phase and every rollback completes on the copy; the longest lock or pause measured is under 1 s.".to_string());
            for c in g.impl_gate() {
                r.gate(c);
            }
            r.gate("check: rehearsal timings recorded for every phase and rollback".to_string());
            r.phase.rollback = "Throw the staging copy away; production is untouched.".to_string();
            let at = d
                .phases
                .iter()
                .position(|p| p.role != Role::Preflight && !p.key.starts_with("provision-"))
                .unwrap_or(d.phases.len());
            d.insert(at, r);
        }
    } else {
        let ckey = format!("compatibility-{key}");
        if d.index(&ckey).is_none() {
            let mut c = DPhase::new(
                &ckey,
                Role::Lens,
                "Migration path for every breaking change",
                format!(
                    "Let old callers, data and configuration keep working while {} rolls out.",
                    g.subject
                ),
                2,
            );
            let code = g.code_prose(3, "the public code the plan changes");
            c.step(format!("List what the plan changes in the public behaviour of {code}, with the callers affected."));
            c.step(format!("Keep the old behaviour of {code} the default; the new one is chosen explicitly by callers, and each change keeps the old form accepted."));
            c.step(format!("Add a test in {} per behaviour change that calls the old form and expects today's result.", g.focus.tests_label()));
            if g.deployable.is_some() {
                c.step("Where data or configuration changes, accept both old and new forms (dual-read), write both (dual-write), and announce a removal date.".to_string());
                c.step("Add a version gate (API version, configuration version or schema version) so a caller on the old version keeps the old behaviour.".to_string());
            }
            if let Some(t) = g.focus.test() {
                c.file(t.path.clone(), t.action());
            }
            c.criterion("The phase-00 test suite passes unchanged against the new version (0 modified pre-existing tests), and each breaking change has 1 migration test.".to_string());
            for x in g.impl_gate() {
                c.gate(x);
            }
            c.phase.rollback = "Revert the compatibility commit only together with the change it protects; alone it is behaviour-neutral.".to_string();
            let at = d
                .impl_key()
                .and_then(|k| d.index(&k))
                .map(|i| i + 1)
                .unwrap_or(d.phases.len());
            d.insert(at, c);
        }
    }
    d.rule("Every breaking change has a migration step and a version gate; old and new versions work side by side until the old one is retired.");
    thesis(d, "The migration lens gives every breaking change a migration step, a version gate and a dual-read/dual-write window.".to_string());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lens_names_round_trip() {
        for l in Lens::ALL {
            assert_eq!(Lens::parse(l.name()), Some(l));
        }
        assert_eq!(Lens::parse(" Defensive "), Some(Lens::Defensive));
        assert_eq!(Lens::parse("speed"), None);
        assert_eq!(Lens::ALL.map(Lens::name), crate::model::LENSES);
    }
}

//! The rules of [`super::apply`], as data: [`RULES`] lists, in the order they apply, each
//! rule's name, the cue that triggers it and the function that changes the draft. A rule
//! returns whether the demand matched it (so the fallbacks at the end of the table know
//! whether anything did); what it changed, found already done or refused goes to the [`Log`].
use super::edit::{
    best_phase, covering, ensure_security_phase, explicit_rollback, metric_criterion,
    new_phase_request, pick, split, weak_rollback,
};
use super::needs;
use super::read::{Log, Read};
use super::text::{
    cap_title, clip, lower_first, mentioned_commands, object_after, quoted, scope_item, sentence,
};
use crate::model::FileAction;
use crate::offline::planner::draft::{self, is_measurable, DPhase, Draft, Role};
use crate::offline::planner::ground::Grounding;
use crate::offline::planner::lens::{flag_name, metric_prefix};
use crate::offline::planner::paths;
use crate::text::prose_list;
use regex::Regex;
use std::sync::LazyLock;

/// When a rule acts.
pub(super) enum Cue {
    /// The read text ([`Read::l`]) contains one of these.
    Any(&'static [&'static str]),
    /// A predicate over the demand and what the earlier rules did.
    When(fn(&Read, &Log) -> bool),
}

impl Cue {
    pub(super) fn matches(&self, r: &Read, log: &Log) -> bool {
        match self {
            Cue::Any(words) => r.has(words),
            Cue::When(f) => f(r, log),
        }
    }
}

/// Changes the draft for a demand; returns whether the demand matched the rule.
pub(super) type Act = fn(&mut Draft, &Grounding, &Read, &mut Log) -> bool;

/// One rule: its cue and what it does.
pub(super) struct Rule {
    pub cue: Cue,
    pub act: Act,
}

const fn rule(cue: Cue, act: Act) -> Rule {
    Rule { cue, act }
}

/// Every rule, in the order it applies (a rule is named by its function).
pub(super) const RULES: &[Rule] = &[
    rule(Cue::Any(FAILURE_CUES), failed_command),
    rule(Cue::Any(ROLLBACK_CUES), rollback),
    rule(Cue::Any(METRIC_CUES), metric),
    rule(Cue::When(gate_cue), needs::gates),
    rule(Cue::When(needs::dependency_cue), needs::dependencies),
    rule(Cue::Any(SECURITY_CUES), security),
    rule(Cue::When(test_cue), test),
    rule(Cue::Any(FLAG_CUES), feature_flag),
    rule(
        Cue::When(|r, _| new_phase_request(&r.dm.text).is_some()),
        new_phase,
    ),
    rule(
        Cue::When(|r, _| r.removal() && !r.targets.is_empty()),
        remove_phase,
    ),
    rule(
        Cue::When(|r, _| r.has(&["split"]) && !r.targets.is_empty()),
        split_phase,
    ),
    rule(Cue::Any(ORDER_CUES), ordering),
    rule(Cue::Any(OPERATIONS_CUES), operations),
    rule(Cue::Any(GENERIC_STEP_CUES), specific_steps),
    rule(Cue::When(|_, _| true), needs::files),
    rule(Cue::Any(COMPAT_CUES), compatibility),
    rule(Cue::Any(CHECKPOINT_CUES), checkpoint),
    rule(Cue::Any(MONITORING_CUES), monitoring),
    rule(Cue::Any(BASELINE_CUES), baseline),
    rule(Cue::Any(ERROR_MESSAGE_CUES), error_messages),
    rule(
        Cue::When(|r, _| r.has(DOC_CUES) && !r.has(&["research document"])),
        documentation,
    ),
    rule(
        Cue::When(|r, _| r.has(SCOPE_CUES) && (!r.removal() || r.targets.is_empty())),
        out_of_scope,
    ),
    rule(Cue::When(iron_rule_cue), iron_rule),
    rule(
        Cue::When(|r, log| !log.matched && r.targets.is_empty() && r.covered.is_some()),
        already_covered,
    ),
    rule(Cue::When(|_, log| !log.matched), step_and_check),
];

const FAILURE_CUES: &[&str] = &["failed", "fails", "failure", "exit code", "exited"];
const ROLLBACK_CUES: &[&str] = &[
    "rollback",
    "roll back",
    "roll-back",
    "revert",
    "reversib",
    "undo",
];
const METRIC_CUES: &[&str] = &[
    "success criteri",
    "measurable",
    "metric",
    "acceptance criteri",
    "criterion",
    "quantif",
    "threshold",
    "exact number",
    "name the exact",
];
const SECURITY_CUES: &[&str] = &[
    "security",
    "threat",
    "abuse",
    "attack",
    "vulnerab",
    "harden",
    "xss",
    "csrf",
    "injection",
    "secret",
    "brute",
    "forged",
    "tamper",
];
const FLAG_CUES: &[&str] = &[
    "feature flag",
    "feature-flag",
    "kill switch",
    "toggle",
    "behind a flag",
    "flag it",
];
const ORDER_CUES: &[&str] = &[
    "forward ref",
    "depends_on",
    "depends on",
    "dependency order",
    "sequenc",
    "topolog",
    "reorder",
    "ordering",
    "out of order",
];
const COMPAT_CUES: &[&str] = &[
    "backward",
    "breaking",
    "compatib",
    "deprecat",
    "old clients",
    "existing clients",
    "existing callers",
];
const CHECKPOINT_CUES: &[&str] = &["checkpoint", "backup", "snapshot"];
/// Demands to take deployment work out of a repository that is not deployed.
const OPERATIONS_CUES: &[&str] = &[
    "without deployment",
    "deployment permission",
    "released, not deployed",
];
/// Demands to make steps name what they change.
const GENERIC_STEP_CUES: &[&str] = &["name what they change", "steps that fit any task"];
const MONITORING_CUES: &[&str] = &[
    "monitor",
    "observability",
    "alerting",
    "alert on",
    "alert when",
    "dashboard",
    "telemetry",
    "logging",
    "log line",
];
const BASELINE_CUES: &[&str] = &["baseline", "benchmark", "measure before", "measure a"];
const ERROR_MESSAGE_CUES: &[&str] = &[
    "error message",
    "user-facing",
    "user facing",
    "progress",
    "friendly",
    "helpful",
];
const DOC_CUES: &[&str] = &["document", "readme", "changelog", "runbook"];
const SCOPE_CUES: &[&str] = &[
    "out of scope",
    "out-of-scope",
    "scope creep",
    "we could also",
    "speculative",
    "gold-plat",
    "gold plat",
    "yagni",
    "not needed",
    "unnecessary",
];
/// Words of a phase's text that make it risky enough for a checkpoint.
const RISKY_WORDS: &[&str] = &[
    "drop",
    "delete",
    "backfill",
    "cutover",
    "migrat",
    "remove",
    "contract:",
];

static GATE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bgat(e|es|ed|ing)\b").expect("valid"));
static TEST_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(add|write|cover|include|create)\b[^.;:]{0,40}\btests?\b|\btests? (that|for|which|proving|covering|where|when)\b|\b(regression|coverage|negative cases?|edge cases?|race conditions?|concurrent \w+|clock skew|idempoten\w*)\b").expect("valid")
});

fn gate_cue(r: &Read, _: &Log) -> bool {
    GATE_WORD.is_match(&r.l)
        || r.has(&["buildable", "runnable", "hephaestus"])
        || (r.has(&["ci "]) && r.has(&["green"]))
}

fn test_cue(r: &Read, _: &Log) -> bool {
    TEST_WORD.is_match(&r.l) && !r.has(&["security"])
}

fn iron_rule_cue(r: &Read, log: &Log) -> bool {
    r.prohibition
        || (!log.matched
            && r.covered.is_none()
            && r.starts(&["keep ", "preserve ", "limit ", "ensure ", "make sure "]))
}

/// Failures folded in by Hephaestus: a detected command that failed gets a preflight step
/// and joins the phase-00 gate.
fn failed_command(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let cmds = mentioned_commands(g, &r.dm.text);
    if cmds.is_empty() {
        return false;
    }
    if let Some(p) = d.phases.first_mut() {
        for c in &cmds {
            if p.step(format!("Make `{c}` pass on a clean checkout before any other phase: it failed in validation ({}). Record the fix and the passing log line in evidence/.", clip(&r.dm.text, 160))) {
                log.done.push(format!("preflight step to make `{c}` pass"));
            }
            p.gate(c.clone());
        }
    }
    true
}

/// An explicit rollback on the named phases, else on every phase whose rollback is weak.
fn rollback(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    let keys: Vec<String> = if r.targets.is_empty() {
        d.phases
            .iter()
            .filter(|p| weak_rollback(&p.phase.rollback))
            .map(|p| p.key.clone())
            .collect()
    } else {
        r.targets.clone()
    };
    if keys.is_empty() {
        log.satisfied
            .push("every phase already has an explicit rollback".to_string());
    }
    for k in keys {
        if let Some(p) = d.get_mut(&k) {
            let before = p.phase.rollback.clone();
            p.phase.rollback = explicit_rollback(p);
            if p.phase.rollback != before {
                log.done.push(format!("explicit rollback on phase `{k}`"));
            } else {
                log.satisfied
                    .push(format!("phase `{k}` already has an explicit rollback"));
            }
        }
    }
    true
}

/// A metric-based criterion (the one the demand quotes, else one suited to the phase) on the
/// phases without a measurable criterion.
fn metric(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let quoted = quoted(&r.dm.text);
    let keys = pick(d, &r.targets, r.dm.every, |p| {
        !p.phase.success_criteria.iter().any(|c| is_measurable(c))
    });
    let keys = if keys.is_empty() {
        d.impl_key().into_iter().collect()
    } else {
        keys
    };
    for k in keys {
        if let Some(p) = d.get_mut(&k) {
            let c = match &quoted {
                Some(q) => format!("{} (metric named by review).", q.trim_end_matches('.')),
                None => metric_criterion(g, p),
            };
            if p.criterion(c) {
                log.done
                    .push(format!("metric-based success criterion on phase `{k}`"));
            }
        }
    }
    true
}

/// A security phase (added when missing) with a negative test for the demand, unless the
/// demand only asks for the phase.
fn security(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let key = ensure_security_phase(d, g, &mut log.done);
    let mentions_phase_only = (r.has(&["security phase", "security gate", "security review"])
        || r.covered.is_some())
        && !r.has(&[
            "test that",
            "tests that",
            "verify that",
            "check that",
            "reject",
            "refuse",
        ]);
    if !mentions_phase_only {
        if let Some(p) = d.get_mut(&key) {
            if p.step(format!(
                "Add negative tests to {} for {}: malformed, unauthorised and oversized input is refused with an error, never accepted.",
                g.focus.tests_label(),
                g.code_prose(2, "the code the plan changes")
            )) {
                p.criterion(format!(
                    "The negative tests in {} pass under {}: every refused input gets its error.",
                    g.focus.tests_label(),
                    g.test_cmd()
                ));
                log.done
                    .push(format!("negative test step and criterion in phase `{key}`"));
            }
        }
    } else if log.done.is_empty() {
        match &r.covered {
            Some(c) => log.satisfied.push(format!("phase `{c}` does this")),
            None => log
                .satisfied
                .push(format!("phase `{key}` is the security gate")),
        }
    }
    true
}

/// A test step, criterion and gate on the named phases (else the implementation phase), in
/// the project's test for the phase's code.
fn test(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    if let (Some(k), true) = (&r.covered, r.targets.is_empty()) {
        log.satisfied.push(format!("phase `{k}` does this"));
        return true;
    }
    for k in r.targets_or_impl(d) {
        let Some(p) = d.get_mut(&k) else { continue };
        let has_test_file = p.phase.files.iter().any(|f| paths::is_test_path(&f.path));
        if !has_test_file && p.role != Role::Preflight {
            // The project's own test for the code the plan changes, never a new file named
            // after the phase.
            if let Some(t) = g.focus.test() {
                p.file(t.path.clone(), t.action());
            }
        }
        let code = g.code_prose(2, "the code this phase changes");
        let tl = g.focus.tests_label();
        let step = if r.has(&["regression test", "fails before", "failing test"]) {
            format!("Write a regression test in {tl} for {code} that fails before this phase's change and passes after it; keep the failing run's log in evidence/.")
        } else if let Some(what) = object_after(
            &r.dm.text,
            &[
                "test that ",
                "tests that ",
                "test for ",
                "tests for ",
                "test of ",
                "tests of ",
            ],
        ) {
            format!("Add a test in {tl} that checks {what}, against {code}.")
        } else {
            format!("Add a test in {tl} that exercises {code} the way this phase changes it, and fails without the change.")
        };
        if p.step(step) {
            p.criterion(format!(
                "The new test in {tl} passes under {} and fails when this phase's change is reverted.",
                g.test_cmd()
            ));
            for c in g.impl_gate() {
                p.gate(c);
            }
            log.done
                .push(format!("test step, criterion and gate on phase `{k}`"));
        }
    }
    true
}

/// The phases that change code work behind a feature flag, default off; their rollback turns
/// it off first.
fn feature_flag(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let flag = flag_name(g);
    let keys = pick(d, &r.targets, r.dm.every, |p| {
        p.role != Role::Preflight
            && p.phase
                .files
                .iter()
                .any(|f| paths::is_code_path(&f.path) && !paths::is_test_path(&f.path))
    });
    let keys = if keys.is_empty() {
        d.impl_key().into_iter().collect()
    } else {
        keys
    };
    for k in keys {
        if let Some(p) = d.get_mut(&k) {
            let added = p.step(format!("Guard this phase's work behind the feature flag `{flag}`, default off; test both states."));
            if !p.phase.rollback.contains(&flag) {
                p.phase.rollback = format!(
                    "Turn the feature flag `{flag}` off first (no deploy needed); then {}",
                    lower_first(&p.phase.rollback)
                );
            }
            if added {
                log.done
                    .push(format!("feature flag `{flag}` on phase `{k}`"));
            }
        }
    }
    true
}

/// A new phase: "Add a phase that …", "Add phase-N-client-rollout-sequencing.md — …"; not when
/// the plan already has it.
fn new_phase(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let wanted = new_phase_request(&r.dm.text).filter(|(slug, _)| {
        // A phase the plan already has (the security gate, a shape's own phase) is not added twice.
        let security = slug.contains("security")
            && d.phases
                .iter()
                .any(|p| p.role == Role::Security || p.phase.slug.contains("security"));
        !security && covering(d, &r.l).is_none() && d.index(&draft::clean_slug(slug)).is_none()
    });
    let Some((slug, what)) = wanted else {
        return false;
    };
    let key = d.fresh_key(&slug);
    let title = cap_title(&what);
    let mut p = DPhase::new(
        &key,
        Role::Added,
        title.clone(),
        format!(
            "{} (added on review).",
            sentence(&what).trim_end_matches('.')
        ),
        2,
    );
    p.step(sentence(&r.dm.text));
    p.criterion(format!(
        "check: \"{}\" is done, with 1 evidence entry per step of this phase.",
        clip(&what, 100)
    ));
    for c in g.impl_gate() {
        p.gate(c);
    }
    let at = r.targets.first().and_then(|k| d.index(k)).map(|i| i + 1);
    match at {
        Some(i) => d.insert(i, p),
        None => d.insert_before_closing(p),
    }
    log.done.push(format!("new phase `{key}` ({title})"));
    true
}

/// Removes (or merges into the previous one) each named phase — never the preflight, nor the
/// security gate of a sensitive task; a removed phase is listed out of scope.
fn remove_phase(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    for k in &r.targets {
        let Some(i) = d.index(k) else { continue };
        let role = d.phases[i].role;
        if role == Role::Preflight {
            log.deferred
                .push("phase 00 is the preflight Hephaestus runs; every plan keeps it".to_string());
        } else if role == Role::Security && g.is_sensitive() {
            log.deferred.push(format!(
                "the task touches {}, so the security gate stays",
                prose_list(
                    &g.sensitive
                        .iter()
                        .map(|s| s.to_string())
                        .collect::<Vec<_>>(),
                    ""
                )
            ));
        } else if r.has(&["merge"]) && i > 1 {
            let prev = d.phases[i - 1].key.clone();
            d.merge(&prev, k);
            log.done.push(format!("phase `{k}` merged into `{prev}`"));
        } else {
            let title = d.phases[i].phase.title.clone();
            d.remove(k);
            d.out(format!(
                "{title} (removed on review: {})",
                clip(&r.dm.text, 120)
            ));
            log.done
                .push(format!("phase `{k}` removed and listed out of scope"));
        }
    }
    true
}

/// Splits each named phase in two.
fn split_phase(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    for k in &r.targets {
        if let Some(new_key) = split(d, k) {
            log.done
                .push(format!("phase `{k}` split, second half is `{new_key}`"));
        }
    }
    true
}

/// Dependencies name only earlier phases (a phase left with none depends on the one before).
fn ordering(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    let keys: Vec<String> = if r.targets.is_empty() {
        d.work_keys()
    } else {
        r.targets.clone()
    };
    for k in keys {
        let Some(i) = d.index(&k) else { continue };
        let earlier: Vec<String> = d.phases[..i].iter().map(|p| p.key.clone()).collect();
        let p = &mut d.phases[i];
        let before = p.phase.depends_on.clone();
        p.phase.depends_on.retain(|x| earlier.contains(x));
        if p.phase.depends_on.is_empty() && i > 0 {
            p.phase.depends_on.push(earlier[i - 1].clone());
        }
        if before != p.phase.depends_on {
            log.done.push(format!(
                "depends_on of phase `{k}` names only earlier phases"
            ));
        }
    }
    if log.done.is_empty() {
        log.satisfied
            .push("every phase depends only on earlier phases".to_string());
    }
    true
}

/// Existing callers keep working: a step and criterion on the phase, and an iron rule.
fn compatibility(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    if let Some(k) = r.first_target_or_impl(d) {
        if let Some(p) = d.get_mut(&k) {
            if p.step("Keep existing callers working: old inputs, outputs and configuration stay accepted; any unavoidable breaking change is listed with its migration step.".to_string()) {
                p.criterion("The phase-00 test suite passes with 0 modified pre-existing tests.".to_string());
                log.done
                    .push(format!("compatibility step and criterion on phase `{k}`"));
            }
        }
    }
    let rule = if r.starts(&[
        "preserve",
        "keep",
        "maintain",
        "do not break",
        "don't break",
        "never break",
    ]) {
        sentence(&r.dm.text)
    } else {
        format!("Backwards compatibility: {}", sentence(&r.dm.text))
    };
    if d.rule(rule) {
        log.done
            .push("backwards-compatibility iron rule".to_string());
    }
    true
}

/// A checkpoint and backup before the named (else the risky, else the implementation) phases.
fn checkpoint(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    let keys: Vec<String> = if !r.targets.is_empty() {
        r.targets.clone()
    } else {
        let risky: Vec<String> = d
            .phases
            .iter()
            .filter(|p| {
                p.role != Role::Preflight
                    && (r.dm.every || RISKY_WORDS.iter().any(|w| p.text().contains(w)))
            })
            .map(|p| p.key.clone())
            .collect();
        if risky.is_empty() {
            d.impl_key().into_iter().collect()
        } else {
            risky
        }
    };
    for k in keys {
        let Some(p) = d.get_mut(&k) else { continue };
        if p.role == Role::Preflight {
            continue;
        }
        let cp = format!("Checkpoint: tag `pre-{k}` and back up the data this phase changes before starting; verify the backup restores.");
        if !p.phase.steps.contains(&cp) {
            p.phase.steps.insert(0, cp);
            if !p.phase.rollback.contains("backup") {
                p.phase.rollback = format!(
                    "{} If data was changed, restore the backup taken at the checkpoint.",
                    p.phase.rollback.trim_end()
                );
            }
            log.done
                .push(format!("checkpoint and backup on phase `{k}`"));
        }
    }
    true
}

/// A monitoring step and criterion on the named (else the closing, else the implementation)
/// phase.
fn monitoring(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    if g.deployable.is_none() {
        log.deferred.push("the probe found no deployed service to monitor (a library or tool is proven by its tests)".to_string());
        return true;
    }
    let m = metric_prefix(g);
    let k = r
        .targets
        .first()
        .cloned()
        .or_else(|| d.keys_with(Role::Closing).first().cloned())
        .or_else(|| d.impl_key());
    if let Some(p) = k.as_deref().and_then(|k| d.get_mut(k)) {
        let what = object_after(
            &r.dm.text,
            &[
                "monitoring for ",
                "monitoring of ",
                "monitor ",
                "alert on ",
                "alert when ",
            ],
        )
        .map(|w| format!("Monitor {w}: emit"))
        .unwrap_or_else(|| "Emit".to_string());
        if p.step(format!("{what} `{m}_errors_total` and `{m}_duration_seconds` from {}, and alert when the error rate doubles against the baseline.", g.code_prose(2, "the changed code"))) {
            p.criterion(format!("`{m}_errors_total` and `{m}_duration_seconds` are visible in the monitoring system within 1 h of release, with 1 alert rule defined."));
            log.done.push(format!(
                "monitoring step and criterion on phase `{}`",
                p.key
            ));
        }
    }
    true
}

/// A baseline measured before any change (in preflight), unless a baseline phase exists.
fn baseline(d: &mut Draft, g: &Grounding, _: &Read, log: &mut Log) -> bool {
    if let Some(k) = d
        .phases
        .iter()
        .find(|p| p.key.starts_with("baseline") || p.phase.slug.starts_with("baseline"))
        .map(|p| p.key.clone())
    {
        log.satisfied.push(format!(
            "phase `{k}` measures the baseline before any change"
        ));
    } else if let Some(p) = d.phases.first_mut() {
        if p.step(format!("Measure a baseline of {} (latency p50/p95, throughput, peak memory) with a repeatable benchmark before any change; the same benchmark verifies the result later.", g.subject)) {
            p.criterion("Baseline p50, p95, throughput and peak memory recorded from 5 runs.".to_string());
            log.done.push("baseline measurement in phase 00".to_string());
        }
    }
    true
}

/// Error paths that say what happened and what to do, asserted in tests.
fn error_messages(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    if let Some(k) = r.first_target_or_impl(d) {
        if let Some(p) = d.get_mut(&k) {
            if p.step(format!(
                "Make every error {} reports for this phase's change say what happened and what to do next, and assert each message in {}.",
                g.code_prose(2, "the changed code"),
                g.focus.tests_label()
            )) {
                p.criterion("Every user-visible error of this phase is asserted in a test (at least 1 assertion per error case).".to_string());
                log.done
                    .push(format!("error-message step and criterion on phase `{k}`"));
            }
        }
    }
    true
}

/// A documentation step (with the project's README and changelog) on the named, else the
/// closing, else the last phase.
fn documentation(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let k = r
        .targets
        .first()
        .cloned()
        .or_else(|| d.keys_with(Role::Closing).first().cloned())
        .or_else(|| d.phases.last().map(|p| p.key.clone()));
    let docs = g.doc_files();
    let where_ = if docs.is_empty() {
        "the project's documentation".to_string()
    } else {
        prose_list(
            &docs.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>(),
            "",
        )
    };
    if let Some(p) = k.as_deref().and_then(|k| d.get_mut(k)) {
        if p.step(format!(
            "Document the change to {} in {where_}: what it does and every new option with its default.",
            g.code_prose(2, &g.subject)
        )) {
            for f in docs {
                p.file(f, FileAction::Modify);
            }
            p.criterion("check: the documentation change is reviewed and covers 100% of the new configuration keys and behaviours.".to_string());
            log.done
                .push(format!("documentation step on phase `{}`", p.key));
        }
    }
    true
}

/// An out-of-scope item; with "remove", the speculative steps (those with a scope-creep phrase,
/// the rule Momus applies) go too.
fn out_of_scope(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    let item = scope_item(&r.dm.text);
    if d.out(item.clone()) {
        log.done.push(format!("out-of-scope item: {item}"));
    }
    if r.has(&["remove", "drop", "cut", "strip"]) {
        for p in d.phases.iter_mut() {
            let before = p.phase.steps.len();
            p.phase
                .steps
                .retain(|s| plan_rules::creep_phrase(s).is_none());
            if p.phase.steps.len() < before {
                log.done
                    .push(format!("speculative steps removed from phase `{}`", p.key));
            }
        }
    }
    true
}

/// Deployment and production-operations work out of the named phases (steps, criteria, gate
/// checks that speak of it; a rollback that redeploys becomes a revert), and deployment
/// permissions out of the dependencies: the rule the reviewers apply
/// ([`crate::offline::checks::fit::OPERATIONS`]).
fn operations(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    use crate::offline::checks::fit::OPERATIONS;
    let before = d.deps.permissions.len();
    d.deps
        .permissions
        .retain(|p| !OPERATIONS.is_match(p) && !p.to_lowercase().contains("production"));
    if d.deps.permissions.len() < before {
        log.done.push("deployment permission dropped".to_string());
    }
    let keys = if r.targets.is_empty() {
        d.phases.iter().map(|p| p.key.clone()).collect()
    } else {
        r.targets.clone()
    };
    for k in keys {
        let Some(p) = d.get_mut(&k) else { continue };
        let n = p.phase.steps.len() + p.phase.success_criteria.len() + p.phase.gate.len();
        p.phase.steps.retain(|s| !OPERATIONS.is_match(s));
        p.phase.success_criteria.retain(|s| !OPERATIONS.is_match(s));
        p.phase.gate.retain(|s| !OPERATIONS.is_match(s));
        let changed =
            n != p.phase.steps.len() + p.phase.success_criteria.len() + p.phase.gate.len();
        if OPERATIONS.is_match(&p.phase.rollback) {
            p.phase.rollback = explicit_rollback(&DPhase {
                phase: crate::model::Phase {
                    rollback: String::new(),
                    ..p.phase.clone()
                },
                ..p.clone()
            });
        }
        if changed {
            log.done
                .push(format!("deployment work taken out of phase `{k}`"));
        }
    }
    true
}

/// The generic steps of the named phases rewritten to say where they act: the phase's first
/// file (and the symbols the plan changes there), so no step of a phase that changes code
/// fits any task.
fn specific_steps(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    for k in r.targets_or_impl(d) {
        let Some(p) = d.get_mut(&k) else { continue };
        let Some(file) = p.phase.files.first().map(|f| f.path.clone()) else {
            continue;
        };
        let syms: Vec<String> = g
            .focus
            .changes
            .iter()
            .filter(|c| c.symbol.path == file)
            .take(2)
            .map(|c| format!("`{}`", c.symbol.name))
            .collect();
        let place = if syms.is_empty() {
            format!("in `{file}`")
        } else {
            format!("in {} of `{file}`", prose_list(&syms, ""))
        };
        let mut n = 0;
        for s in p.phase.steps.iter_mut() {
            if !s.contains('`') && crate::index::extract_names(s).is_empty() {
                *s = format!("{} — {place}.", s.trim_end_matches('.'));
                n += 1;
            }
        }
        if n > 0 {
            log.done.push(format!(
                "{n} step(s) of phase `{k}` now name where they act"
            ));
        }
    }
    true
}

/// Prohibitions (and unmatched "keep …", "ensure …") become iron rules.
fn iron_rule(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    if d.rule(sentence(&r.dm.text)) {
        log.done.push("iron rule".to_string());
    } else {
        log.satisfied.push("already an iron rule".to_string());
    }
    true
}

/// Nothing matched, but a phase already does what a directive asks.
fn already_covered(_: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    if let Some(k) = &r.covered {
        log.satisfied.push(format!("phase `{k}` does this"));
    }
    true
}

/// Anything else. A directive (Metis's, or a strategy's) becomes a step and a `check:` in the
/// phase it names or matches best. A review demand no rule could act on is never pasted into
/// the plan as a step: it is deferred with the reason (an iron rule), so the plan says what it
/// did not do.
fn step_and_check(d: &mut Draft, _: &Grounding, r: &Read, log: &mut Log) -> bool {
    // Review findings arrive as `agent (location): demand`, folded by the pipeline or a
    // strategy: the origin then carries the agent after a colon.
    let from_review = r.dm.origin.contains(':')
        || !(r.dm.origin.starts_with("directive") || r.dm.origin.starts_with("extra-directive"));
    if from_review {
        log.deferred.push(
            "no rule of the offline planner acts on it; a reviewer or a person must".to_string(),
        );
        return false;
    }
    let k = r
        .targets
        .first()
        .cloned()
        .or_else(|| best_phase(d, &r.dm.text))
        .or_else(|| d.impl_key());
    if let Some(p) = k.as_deref().and_then(|k| d.get_mut(k)) {
        if p.step(sentence(&r.dm.text)) {
            p.criterion(format!(
                "check: done as asked — \"{}\" — with the evidence saved in evidence/ (1 entry).",
                clip(&r.dm.text, 120)
            ));
            log.done
                .push(format!("step and check on phase `{}`", p.key));
        } else {
            log.satisfied
                .push(format!("phase `{}` already has this step", p.key));
        }
    }
    false
}

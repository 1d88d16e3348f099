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
use super::draft::{is_measurable, DPhase, Draft, Role};
use super::ground::{known_service, prose_list, Grounding};
use super::kinds;
use super::lens::{flag_name, metric_prefix};
use crate::model::FileAction;
use regex::Regex;
use std::sync::LazyLock;

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

static BACKTICK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"`([^`]+)`").expect("valid"));
static PHASE_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bphases?[-_ ]?(\d{1,2})\b").expect("valid"));
static ENV_VAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b").expect("valid"));
static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z][\w-]*) \(([^)]*)\):\s*(.+)$").expect("valid"));
static PATHISH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[\s(`'])((?:[\w.-]+/)+[\w.-]+\.\w+|[\w-]+\.(?:rs|py|go|ts|tsx|js|jsx|java|kt|rb|cs|php|toml|yml|yaml|json|md|sql|cfg|ini))\b").expect("valid")
});
static GATE_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bgat(e|es|ed|ing)\b").expect("valid"));
static TEST_WORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(add|write|cover|include|create)\b[^.;:]{0,40}\btests?\b|\btests? (that|for|which|proving|covering|where|when)\b|\b(regression|coverage|negative cases?|edge cases?|race conditions?|concurrent \w+|clock skew|idempoten\w*)\b").expect("valid")
});
static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"['"“]([^'"”]{8,})['"”]"#).expect("valid"));

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
    let every = [
        "every phase",
        "each phase",
        "all phases",
        "every implementation phase",
        "each implementation phase",
        "all implementation phases",
        "every work phase",
    ]
    .iter()
    .any(|w| lower.contains(w))
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

/// Applies one resolved demand to the draft and says what was done.
pub fn apply(d: &mut Draft, g: &Grounding, dm: &Demand) -> Action {
    let mut done: Vec<String> = Vec::new();
    let mut satisfied: Vec<String> = Vec::new();
    let mut deferred: Vec<String> = Vec::new();
    // Keywords are matched on the text without backticked spans and env-var names, so a
    // command such as `pytest` or a variable such as SECRET_KEY does not read as "test" or
    // "secret".
    let scrubbed = ENV_VAR
        .replace_all(&BACKTICK.replace_all(&dm.text, " "), " ")
        .to_string();
    let l = scrubbed.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| l.contains(w));
    let mut matched = false;
    let targets = live_targets(d, dm);
    let starts = |w: &[&str]| w.iter().any(|x| l.trim_start().starts_with(x));
    let prohibition = starts(&[
        "never ",
        "do not ",
        "don't ",
        "avoid ",
        "must not ",
        "no ",
        "only ",
    ]);
    // A phase that already does what the sentence asks (e.g. "threat model" → the threat-model phase).
    // Only for the run's own directives: review demands are specific and always change the plan.
    let covered = if dm.origin == "directive" {
        covering(d, &l)
    } else {
        None
    };

    // Failures folded in by Hephaestus: a detected command that failed.
    if has(&["failed", "fails", "failure", "exit code", "exited"]) {
        let cmds = mentioned_commands(g, &dm.text);
        if !cmds.is_empty() {
            matched = true;
            if let Some(p) = d.phases.first_mut() {
                for c in &cmds {
                    if p.step(format!("Make `{c}` pass on a clean checkout before any other phase: it failed in validation ({}). Record the fix and the passing log line in evidence/.", clip(&dm.text, 160))) {
                        done.push(format!("preflight step to make `{c}` pass"));
                    }
                    p.gate(c.clone());
                }
            }
        }
    }
    // Rollback.
    if has(&[
        "rollback",
        "roll back",
        "roll-back",
        "revert",
        "reversib",
        "undo",
    ]) {
        matched = true;
        let keys: Vec<String> = if targets.is_empty() {
            d.phases
                .iter()
                .filter(|p| weak_rollback(&p.phase.rollback))
                .map(|p| p.key.clone())
                .collect()
        } else {
            targets.clone()
        };
        if keys.is_empty() {
            satisfied.push("every phase already has an explicit rollback".to_string());
        }
        for k in keys {
            if let Some(p) = d.get_mut(&k) {
                let before = p.phase.rollback.clone();
                p.phase.rollback = explicit_rollback(p);
                if p.phase.rollback != before {
                    done.push(format!("explicit rollback on phase `{k}`"));
                } else {
                    satisfied.push(format!("phase `{k}` already has an explicit rollback"));
                }
            }
        }
    }
    // Measurable success criteria / metrics.
    if has(&[
        "success criteri",
        "measurable",
        "metric",
        "acceptance criteri",
        "criterion",
        "quantif",
        "threshold",
        "exact number",
        "name the exact",
    ]) {
        matched = true;
        let quoted = quoted(&dm.text);
        let keys = pick(d, &targets, dm.every, |p| {
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
                    done.push(format!("metric-based success criterion on phase `{k}`"));
                }
            }
        }
    }
    // Gates.
    if GATE_WORD.is_match(&l)
        || has(&["buildable", "runnable", "hephaestus"])
        || (has(&["ci "]) && has(&["green"]))
    {
        matched = true;
        let named: Vec<String> = BACKTICK
            .captures_iter(&dm.text)
            .map(|c| c[1].to_string())
            .filter(|c| looks_like_command(c))
            .collect();
        let detected = g.impl_gate();
        let known: Vec<String> = named
            .iter()
            .filter(|c| is_detected(g, c))
            .cloned()
            .collect();
        let unknown: Vec<String> = named
            .iter()
            .filter(|c| !is_detected(g, c))
            .cloned()
            .collect();
        for c in &unknown {
            deferred.push(format!(
                "`{c}` is not a command the probe detected in the project's files, and Hephaestus runs only detected commands; the gates keep {}",
                if detected.is_empty() { "manual checks".to_string() } else { detected.iter().map(|x| format!("`{x}`")).collect::<Vec<_>>().join(", ") }
            ));
        }
        let keys: Vec<String> = if !targets.is_empty() {
            targets.clone()
        } else if dm.every || l.contains("implementation phase") {
            // Phases that change code or tests: a phase that only profiles, decides or
            // documents has nothing for a test command to prove.
            d.phases
                .iter()
                .filter(|p| {
                    p.role != Role::Preflight
                        && p.role != Role::Closing
                        && p.phase
                            .files
                            .iter()
                            .any(|f| super::ground::is_code_path(&f.path))
                })
                .map(|p| p.key.clone())
                .collect()
        } else if l.contains("phase-00") || l.contains("phase 00") {
            d.phases
                .first()
                .map(|p| vec![p.key.clone()])
                .unwrap_or_default()
        } else {
            d.phases
                .iter()
                .filter(|p| p.phase.gate.iter().all(|x| x.starts_with("check:")))
                .map(|p| p.key.clone())
                .collect()
        };
        let to_add: Vec<String> = if !known.is_empty() {
            known.clone()
        } else {
            detected.clone()
        };
        if to_add.is_empty() && unknown.is_empty() && !g.has_runnable() {
            satisfied.push("every gate is a manual `check:` entry: the probe detected no build or test command to gate on".to_string());
        }
        for k in &keys {
            if let Some(p) = d.get_mut(k) {
                if p.role == Role::Preflight {
                    // Phase 00 holds exactly what Hephaestus runs: detected build/test commands.
                    let cmds: Vec<String> = to_add
                        .iter()
                        .filter(|c| Some(c.as_str()) != g.lint.as_ref().map(|l| l.command.as_str()))
                        .cloned()
                        .collect();
                    let before = p.phase.gate.len();
                    for c in cmds {
                        p.gate(c);
                    }
                    if p.phase.gate.len() > before {
                        done.push(format!(
                            "phase-00 gate now runs {}",
                            to_add
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    } else if !to_add.is_empty() {
                        satisfied.push(format!(
                            "the phase-00 gate already runs {}",
                            p.phase
                                .gate
                                .iter()
                                .map(|c| format!("`{c}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                    continue;
                }
                let mut added = false;
                for c in &to_add {
                    added |= p.gate(c.clone());
                }
                if added {
                    done.push(format!(
                        "gate {} on phase `{k}`",
                        to_add
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                } else if !to_add.is_empty() {
                    satisfied.push(format!(
                        "phase `{k}` is already gated on {}",
                        to_add
                            .iter()
                            .map(|c| format!("`{c}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
        if keys.is_empty() && !to_add.is_empty() {
            satisfied.push("every phase already has a gate".to_string());
        }
        if has(&["ci "]) {
            if let Some(ci) = g.ci.first() {
                if d.rule(format!("`{ci}` stays green on every phase's commits: the gates run the same commands as CI.")) {
                    done.push("iron rule keeping CI green".to_string());
                }
            }
        }
    }
    // Dependencies: env vars, services, permissions.
    if has(&[
        "declar",
        "dependenc",
        "environment variable",
        "env var",
        "service",
        "permission",
        "privilege",
        "provision",
    ]) || ENV_VAR.is_match(&dm.text)
    {
        let mut any = false;
        for v in env_vars_in(g, &dm.text) {
            any = true;
            matched = true;
            if d.env(&v) {
                done.push(format!("`{v}` declared among the environment variables"));
                if let Some(p) = d.phases.first_mut() {
                    p.step(format!("Confirm `{v}` is set in every environment the plan touches (check the name only; never print its value)."));
                }
            } else {
                satisfied.push(format!("`{v}` is already declared"));
            }
        }
        let touched = touched_path(&dm.text);
        for (name, kind, source, known_in_probe) in services_in(g, &dm.text) {
            any = true;
            matched = true;
            if known_in_probe {
                let label = format!("{name} ({kind}, declared in {source})");
                if d.service(label.clone()) {
                    done.push(format!("{name} declared as a service dependency"));
                } else {
                    satisfied.push(format!("{name} is already a declared service"));
                }
                // "… of every phase that touches app/db.py"
                let keys: Vec<String> = match &touched {
                    Some(path) => {
                        let by_file: Vec<String> = d
                            .phases
                            .iter()
                            .filter(|p| p.phase.files.iter().any(|f| &f.path == path))
                            .map(|p| p.key.clone())
                            .collect();
                        if by_file.is_empty() {
                            d.phases
                                .iter()
                                .filter(|p| {
                                    p.role != Role::Preflight
                                        && p.phase.steps.iter().any(|s| s.contains(path.as_str()))
                                })
                                .map(|p| p.key.clone())
                                .collect()
                        } else {
                            by_file
                        }
                    }
                    None => targets.clone(),
                };
                let lname = name.to_lowercase();
                for k in keys {
                    if let Some(p) = d.get_mut(&k) {
                        if p.phase
                            .steps
                            .iter()
                            .any(|s| s.to_lowercase().contains(&lname))
                        {
                            satisfied
                                .push(format!("phase `{k}` already names {name} in its steps"));
                            continue;
                        }
                        if p.step(format!("Requires {name} ({kind}, from {source}) running: this phase {} — start it before the phase and keep it in the test environment.", touched.as_ref().map(|t| format!("touches `{t}`")).unwrap_or_else(|| "depends on it".into()))) {
                            done.push(format!("{name} named as a dependency of phase `{k}`"));
                        }
                    }
                }
            } else if let Some(n) = g.source_services.iter().find(|n| n.name == name) {
                if d.service(format!("{} ({}, the source the task names; not found by the probe — confirm where it runs and how the plan reaches it)", n.name, n.kind)) {
                    done.push(format!("{name} declared as the source service the task names"));
                } else {
                    satisfied.push(format!("{name} is declared as the source service the task names"));
                }
            } else if g.new_services.iter().any(|n| n.name == name) {
                if d.service(format!(
                    "{name} ({kind}, NEW: not found by the probe; provisioned by this plan)"
                )) {
                    done.push(format!("{name} declared as a new service"));
                } else {
                    satisfied.push(format!(
                        "{name} is declared as a new service and provisioned in its own phase"
                    ));
                }
            } else {
                deferred.push("the probe found no such service in the repository and the task does not ask for one; adding a service nobody named is scope creep (name it in the task and re-run)".to_string());
            }
        }
        if has(&["permission", "privilege", "access to", "grant"]) {
            any = true;
            matched = true;
            let p = permission_phrase(&dm.text);
            if d.permission(p.clone()) {
                done.push(format!("permission declared: {p}"));
            } else {
                satisfied.push("the permission is already declared".to_string());
            }
        }
        if !any && has(&["dependenc"]) {
            matched = true;
            // "Declare every dependency": make the list complete from the probe.
            let mut n = 0;
            for s in &g.services {
                n += d.service(format!("{} ({}, declared in {})", s.name, s.kind, s.source))
                    as usize;
            }
            for s in &g.untouched {
                n += d.service(format!(
                    "{} ({}, declared in {}; needed to run the application)",
                    s.name, s.kind, s.source
                )) as usize;
            }
            for v in &g.env_vars {
                n += d.env(v) as usize;
            }
            if n > 0 {
                done.push(format!("{n} dependencies found by the probe declared"));
            } else {
                satisfied.push(
                    "every service and environment variable the probe ties to the task is declared"
                        .to_string(),
                );
            }
        }
    }
    // Security.
    if has(&[
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
    ]) {
        matched = true;
        let key = ensure_security_phase(d, g, &mut done);
        let mentions_phase_only = (has(&["security phase", "security gate", "security review"])
            || covered.is_some())
            && !has(&[
                "test that",
                "tests that",
                "verify that",
                "check that",
                "reject",
                "refuse",
            ]);
        if !mentions_phase_only {
            if let Some(p) = d.get_mut(&key) {
                if p.step(format!("Negative test from review: {}", sentence(&dm.text))) {
                    p.criterion(format!(
                        "The negative test for \"{}\" passes under {}.",
                        clip(&dm.text, 90),
                        g.test_cmd()
                    ));
                    done.push(format!("negative test step and criterion in phase `{key}`"));
                }
            }
        } else if done.is_empty() {
            match &covered {
                Some(c) => satisfied.push(format!("phase `{c}` does this")),
                None => satisfied.push(format!("phase `{key}` is the security gate")),
            }
        }
    }
    // Tests.
    if TEST_WORD.is_match(&l) && !has(&["security"]) {
        matched = true;
        if let (Some(k), true) = (&covered, targets.is_empty()) {
            satisfied.push(format!("phase `{k}` does this"));
        } else {
            let keys: Vec<String> = if targets.is_empty() {
                d.impl_key().into_iter().collect()
            } else {
                targets.clone()
            };
            for k in keys {
                if let Some(p) = d.get_mut(&k) {
                    let has_test_file = p
                        .phase
                        .files
                        .iter()
                        .any(|f| super::ground::is_test_path(&f.path));
                    if !has_test_file && p.role != Role::Preflight {
                        if let Some(tp) = g.new_test_path(&format!(
                            "{}_{}",
                            g.stem,
                            k.split('-').next().unwrap_or("review")
                        )) {
                            p.file(tp, FileAction::Create);
                        }
                    }
                    let step = if has(&["regression test", "fails before", "failing test"]) {
                        "Write a regression test that fails before this phase's change and passes after it; keep the failing run's log in evidence/.".to_string()
                    } else {
                        format!("Add a test from review: {}", sentence(&dm.text))
                    };
                    if p.step(step) {
                        p.criterion(format!(
                            "The test added for \"{}\" passes under {}.",
                            clip(&dm.text, 90),
                            g.test_cmd()
                        ));
                        for c in g.impl_gate() {
                            p.gate(c);
                        }
                        done.push(format!("test step, criterion and gate on phase `{k}`"));
                    }
                }
            }
        }
    }
    // Feature flags.
    if has(&[
        "feature flag",
        "feature-flag",
        "kill switch",
        "toggle",
        "behind a flag",
        "flag it",
    ]) {
        matched = true;
        let flag = flag_name(g);
        let keys = pick(d, &targets, dm.every, |p| {
            p.role != Role::Preflight
                && p.phase.files.iter().any(|f| {
                    super::ground::is_code_path(&f.path) && !super::ground::is_test_path(&f.path)
                })
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
                    done.push(format!("feature flag `{flag}` on phase `{k}`"));
                }
            }
        }
    }
    // A new phase: "Add a phase that …", "Add phase-N-client-rollout-sequencing.md — …".
    let wanted_phase = new_phase_request(&dm.text).filter(|(slug, _)| {
        // A phase the plan already has (the security gate, a shape's own phase) is not added twice.
        let security = slug.contains("security")
            && d.phases
                .iter()
                .any(|p| p.role == Role::Security || p.phase.slug.contains("security"));
        !security && covering(d, &l).is_none() && d.index(&super::draft::clean_slug(slug)).is_none()
    });
    if let Some((slug, what)) = wanted_phase {
        matched = true;
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
        p.step(sentence(&dm.text));
        p.criterion(format!(
            "check: \"{}\" is done, with 1 evidence entry per step of this phase.",
            clip(&what, 100)
        ));
        for c in g.impl_gate() {
            p.gate(c);
        }
        let at = targets.first().and_then(|k| d.index(k)).map(|i| i + 1);
        match at {
            Some(i) => d.insert(i, p),
            None => d.insert_before_closing(p),
        }
        done.push(format!("new phase `{key}` ({title})"));
    }
    // Removing, splitting and ordering phases.
    let removal = has(&[
        "remove phase",
        "drop phase",
        "delete phase",
        "cut phase",
        "remove the phase",
        "drop the phase",
        "merge phase",
    ]) || (has(&["remove", "drop", "cut"])
        && has(&["phase"])
        && has(&[
            "scope",
            "speculative",
            "unnecessary",
            "not needed",
            "optional",
        ]));
    if removal && !targets.is_empty() {
        matched = true;
        for k in &targets {
            let Some(i) = d.index(k) else { continue };
            let role = d.phases[i].role;
            if role == Role::Preflight {
                deferred.push(
                    "phase 00 is the preflight Hephaestus runs; every plan keeps it".to_string(),
                );
            } else if role == Role::Security && g.is_sensitive() {
                deferred.push(format!(
                    "the task touches {}, so the security gate stays",
                    prose_list(
                        &g.sensitive
                            .iter()
                            .map(|s| s.to_string())
                            .collect::<Vec<_>>(),
                        ""
                    )
                ));
            } else if has(&["merge"]) && i > 1 {
                let prev = d.phases[i - 1].key.clone();
                d.merge(&prev, k);
                done.push(format!("phase `{k}` merged into `{prev}`"));
            } else {
                let title = d.phases[i].phase.title.clone();
                d.remove(k);
                d.out(format!(
                    "{title} (removed on review: {})",
                    clip(&dm.text, 120)
                ));
                done.push(format!("phase `{k}` removed and listed out of scope"));
            }
        }
    }
    if has(&["split"]) && !targets.is_empty() {
        matched = true;
        for k in &targets {
            if let Some(new_key) = split(d, k) {
                done.push(format!("phase `{k}` split, second half is `{new_key}`"));
            }
        }
    }
    if has(&[
        "forward ref",
        "depends_on",
        "depends on",
        "dependency order",
        "sequenc",
        "topolog",
        "reorder",
        "ordering",
        "out of order",
    ]) {
        matched = true;
        let keys: Vec<String> = if targets.is_empty() {
            d.work_keys()
        } else {
            targets.clone()
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
                done.push(format!(
                    "depends_on of phase `{k}` names only earlier phases"
                ));
            }
        }
        if done.is_empty() {
            satisfied.push("every phase depends only on earlier phases".to_string());
        }
    }
    // Files named in the demand.
    let paths = paths_in(&dm.text);
    let file_verb = has(&[
        "does not exist",
        "doesn't exist",
        "not exist",
        "missing",
        "not found",
        "nonexistent",
        "non-existent",
    ]) || starts(&[
        "create",
        "modify",
        "change",
        "touch",
        "update",
        "edit",
        "remove",
        "delete",
        "start from",
        "add `",
        "list `",
        "include",
        "use ",
    ]);
    // "Start from a, b and c" is met when the plan already works in one of them.
    let start_from = starts(&["start from"]);
    let any_listed = paths.iter().any(|p| {
        d.phases
            .iter()
            .any(|x| x.phase.files.iter().any(|f| &f.path == p))
    });
    if !paths.is_empty() && start_from && any_listed {
        matched = true;
        let listed: Vec<String> = paths
            .iter()
            .filter(|p| {
                d.phases
                    .iter()
                    .any(|x| x.phase.files.iter().any(|f| &f.path == *p))
            })
            .map(|p| format!("`{p}`"))
            .collect();
        satisfied.push(format!("the plan works in {}", prose_list(&listed, "")));
    } else if !paths.is_empty() && file_verb && !prohibition {
        matched = true;
        let by = if dm.origin.starts_with("directive") || dm.origin.starts_with("extra-directive") {
            "the directive"
        } else {
            "the review"
        };
        for path in paths {
            let exists = g.exists(&path);
            let remove = has(&["remove", "drop"]) && !has(&["remove the old", "removal"]);
            let mut listed = false;
            for p in d.phases.iter_mut() {
                let Some(f) = p.phase.files.iter_mut().find(|f| f.path == path) else {
                    continue;
                };
                listed = true;
                if remove {
                    continue;
                }
                let want = if exists {
                    FileAction::Modify
                } else {
                    FileAction::Create
                };
                if g.repo_root.is_dir() && f.action != want && f.action != FileAction::Delete {
                    f.action = want;
                    done.push(format!(
                        "`{path}` is now a {} target in phase `{}`",
                        if exists { "modify" } else { "create" },
                        p.key
                    ));
                }
            }
            if remove && listed {
                for p in d.phases.iter_mut() {
                    p.phase.files.retain(|f| f.path != path);
                }
                done.push(format!("`{path}` removed from the files to touch"));
            } else if !listed && !remove {
                let k = if targets.is_empty() {
                    d.impl_key()
                } else {
                    targets.first().cloned()
                };
                if let Some(k) = k {
                    if let Some(p) = d.get_mut(&k) {
                        let action = if exists || !g.repo_root.is_dir() && g.sources.contains(&path)
                        {
                            FileAction::Modify
                        } else {
                            FileAction::Create
                        };
                        p.file(path.clone(), action);
                        p.step(format!(
                            "Change `{path}` as {by} asks: {}",
                            sentence(&dm.text)
                        ));
                        done.push(format!("`{path}` added to phase `{k}`"));
                    }
                }
            } else if listed && !remove {
                satisfied.push(format!("`{path}` is already a target of the plan"));
            }
        }
    }
    // Backwards compatibility and breaking changes.
    if has(&[
        "backward",
        "breaking",
        "compatib",
        "deprecat",
        "old clients",
        "existing clients",
        "existing callers",
    ]) {
        matched = true;
        if let Some(k) = if targets.is_empty() {
            d.impl_key()
        } else {
            targets.first().cloned()
        } {
            if let Some(p) = d.get_mut(&k) {
                if p.step("Keep existing callers working: old inputs, outputs and configuration stay accepted; any unavoidable breaking change is listed with its migration step.".to_string()) {
                    p.criterion("The phase-00 test suite passes with 0 modified pre-existing tests.".to_string());
                    done.push(format!("compatibility step and criterion on phase `{k}`"));
                }
            }
        }
        let rule = if starts(&[
            "preserve",
            "keep",
            "maintain",
            "do not break",
            "don't break",
            "never break",
        ]) {
            sentence(&dm.text)
        } else {
            format!("Backwards compatibility: {}", sentence(&dm.text))
        };
        if d.rule(rule) {
            done.push("backwards-compatibility iron rule".to_string());
        }
    }
    // Checkpoints and backups.
    if has(&["checkpoint", "backup", "snapshot"]) {
        matched = true;
        let keys: Vec<String> = if !targets.is_empty() {
            targets.clone()
        } else {
            let risky: Vec<String> = d
                .phases
                .iter()
                .filter(|p| {
                    p.role != Role::Preflight
                        && (dm.every
                            || [
                                "drop",
                                "delete",
                                "backfill",
                                "cutover",
                                "migrat",
                                "remove",
                                "contract:",
                            ]
                            .iter()
                            .any(|w| p.text().contains(w)))
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
            if let Some(p) = d.get_mut(&k) {
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
                    done.push(format!("checkpoint and backup on phase `{k}`"));
                }
            }
        }
    }
    // Monitoring.
    if has(&[
        "monitor",
        "observability",
        "alerting",
        "alert on",
        "alert when",
        "dashboard",
        "telemetry",
        "logging",
        "log line",
    ]) {
        matched = true;
        let m = metric_prefix(g);
        let k = targets
            .first()
            .cloned()
            .or_else(|| d.keys_with(Role::Closing).first().cloned())
            .or_else(|| d.impl_key());
        if let Some(k) = k {
            if let Some(p) = d.get_mut(&k) {
                if p.step(format!("Monitoring from review: {} Emit `{m}_errors_total` and `{m}_duration_seconds`, and alert when the error rate doubles against the baseline.", sentence(&dm.text))) {
                    p.criterion(format!("`{m}_errors_total` and `{m}_duration_seconds` are visible in the monitoring system within 1 h of release, with 1 alert rule defined."));
                    done.push(format!("monitoring step and criterion on phase `{k}`"));
                }
            }
        }
    }
    // Baselines.
    if has(&["baseline", "benchmark", "measure before", "measure a"]) {
        matched = true;
        if let Some(k) = d
            .phases
            .iter()
            .find(|p| p.key.starts_with("baseline") || p.phase.slug.starts_with("baseline"))
            .map(|p| p.key.clone())
        {
            satisfied.push(format!(
                "phase `{k}` measures the baseline before any change"
            ));
        } else if let Some(p) = d.phases.first_mut() {
            if p.step(format!("Measure a baseline of {} (latency p50/p95, throughput, peak memory) with a repeatable benchmark before any change; the same benchmark verifies the result later.", g.subject)) {
                p.criterion("Baseline p50, p95, throughput and peak memory recorded from 5 runs.".to_string());
                done.push("baseline measurement in phase 00".to_string());
            }
        }
    }
    // Error messages and UX.
    if has(&[
        "error message",
        "user-facing",
        "user facing",
        "progress",
        "friendly",
        "helpful",
    ]) {
        matched = true;
        if let Some(k) = if targets.is_empty() {
            d.impl_key()
        } else {
            targets.first().cloned()
        } {
            if let Some(p) = d.get_mut(&k) {
                if p.step(format!("Error paths from review: {} Each message says what happened and what to do next.", sentence(&dm.text))) {
                    p.criterion("Every user-visible error of this phase is asserted in a test (at least 1 assertion per error case).".to_string());
                    done.push(format!("error-message step and criterion on phase `{k}`"));
                }
            }
        }
    }
    // Documentation.
    if has(&["document", "readme", "changelog", "runbook"]) && !has(&["research document"]) {
        matched = true;
        let k = targets
            .first()
            .cloned()
            .or_else(|| d.keys_with(Role::Closing).first().cloned())
            .or_else(|| d.phases.last().map(|p| p.key.clone()));
        if let Some(k) = k {
            let docs = g.doc_files();
            if let Some(p) = d.get_mut(&k) {
                if p.step(format!("Documentation from review: {}", sentence(&dm.text))) {
                    for f in docs {
                        p.file(f, FileAction::Modify);
                    }
                    p.criterion("check: the documentation change is reviewed and covers 100% of the new configuration keys and behaviours.".to_string());
                    done.push(format!("documentation step on phase `{k}`"));
                }
            }
        }
    }
    // Out of scope.
    if has(&[
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
    ]) && (!removal || targets.is_empty())
    {
        matched = true;
        let item = scope_item(&dm.text);
        if d.out(item.clone()) {
            done.push(format!("out-of-scope item: {item}"));
        }
        if has(&["remove", "drop", "cut", "strip"]) {
            // Speculative steps: those with a scope-creep phrase (the rule Momus applies).
            for p in d.phases.iter_mut() {
                let before = p.phase.steps.len();
                p.phase
                    .steps
                    .retain(|s| plan_rules::creep_phrase(s).is_none());
                if p.phase.steps.len() < before {
                    done.push(format!("speculative steps removed from phase `{}`", p.key));
                }
            }
        }
    }
    // Prohibitions become iron rules.
    if prohibition
        || (!matched
            && covered.is_none()
            && starts(&["keep ", "preserve ", "limit ", "ensure ", "make sure "]))
    {
        matched = true;
        if d.rule(sentence(&dm.text)) {
            done.push("iron rule".to_string());
        } else {
            satisfied.push("already an iron rule".to_string());
        }
    }
    // Anything else: a step and a check in the phase it names or matches best.
    if !matched && targets.is_empty() {
        if let Some(k) = &covered {
            satisfied.push(format!("phase `{k}` does this"));
            matched = true;
        }
    }
    if !matched {
        let k = targets
            .first()
            .cloned()
            .or_else(|| best_phase(d, &dm.text))
            .or_else(|| d.impl_key());
        if let Some(k) = k {
            if let Some(p) = d.get_mut(&k) {
                if p.step(sentence(&dm.text)) {
                    p.criterion(format!("check: done as asked — \"{}\" — with the evidence saved in evidence/ (1 entry).", clip(&dm.text, 120)));
                    done.push(format!("step and check on phase `{k}`"));
                } else {
                    satisfied.push(format!("phase `{k}` already has this step"));
                }
            }
        }
    }
    let outcome = if !done.is_empty() {
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
    };
    Action {
        origin: dm.origin.clone(),
        text: dm.text.clone(),
        outcome,
    }
}

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

/// The key of a phase that already answers `lower` (a lowercased sentence), if any: a phase of
/// the matching shape, or — for phrases of two words or more — a phase whose steps do it.
fn covering(d: &Draft, lower: &str) -> Option<String> {
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
fn live_targets(d: &Draft, dm: &Demand) -> Vec<String> {
    dm.targets
        .iter()
        .filter(|k| d.index(k).is_some())
        .cloned()
        .collect()
}

/// The phases to change: the named targets; else every work phase for "every phase"; else
/// the work phases failing `weak`; else every work phase.
fn pick(d: &Draft, targets: &[String], every: bool, weak: impl Fn(&DPhase) -> bool) -> Vec<String> {
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
fn weak_rollback(r: &str) -> bool {
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
            s.push_str(
                &super::draft::default_rollback(p.role, &p.phase.files).replace(
                    "Revert this phase's commits",
                    "Code changes: revert this phase's commits",
                ),
            );
        }
        return s;
    }
    s.push_str(&super::draft::default_rollback(p.role, &p.phase.files));
    s.push_str(" Re-run the phase-00 gate to confirm the baseline is back.");
    s
}

/// A success criterion that names a metric, suited to the phase.
fn metric_criterion(g: &Grounding, p: &DPhase) -> String {
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
fn ensure_security_phase(d: &mut Draft, g: &Grounding, done: &mut Vec<String>) -> String {
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
fn split(d: &mut Draft, k: &str) -> Option<String> {
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
    q.phase.rollback = super::draft::default_rollback(q.role, &q.phase.files);
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

static NEW_PHASE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bphase-(?:n|\d{1,2})-([a-z0-9][a-z0-9-]*[a-z0-9])(?:\.md)?").expect("valid")
});
static NEW_PHASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:add|insert|introduce|create)\s+(?:a|an|one)\s+(?:new\s+|separate\s+|dedicated\s+)?(?:([\w-]+)\s+)?phase\b(?:[\s:,—-]*(?:that|to|for|which|where)\b|[\s:,—-]*$|\s*[:—-])\s*(.*)$").expect("valid")
});

/// `(slug, what)` when `text` asks for a new phase: `"Add phase-N-client-rollout-sequencing.md —
/// pin the order"` → `("client-rollout-sequencing", "client rollout sequencing: pin the order")`;
/// `"Add a phase that migrates existing sessions"` → `("migrates-sessions", …)`.
fn new_phase_request(text: &str) -> Option<(String, String)> {
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

/// A phase title from free text: capitalised, one line, at most 80 characters.
fn cap_title(s: &str) -> String {
    let t = sentence(s);
    let t = t.trim_end_matches('.');
    clip(t, 80)
}

/// The phase whose text shares most meaningful terms with `text` (at least 2).
fn best_phase(d: &Draft, text: &str) -> Option<String> {
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

/// Detected commands mentioned in backticks or verbatim in `text`.
fn mentioned_commands(g: &Grounding, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in [&g.build, &g.test, &g.lint].into_iter().flatten() {
        if text.contains(&c.command) && !out.contains(&c.command) {
            out.push(c.command.clone());
        }
    }
    out
}

fn is_detected(g: &Grounding, c: &str) -> bool {
    [&g.build, &g.test, &g.lint]
        .into_iter()
        .flatten()
        .any(|x| x.command == c)
}

fn looks_like_command(c: &str) -> bool {
    let first = c.split_whitespace().next().unwrap_or("");
    c.contains(' ')
        || [
            "make", "cargo", "npm", "pnpm", "yarn", "pytest", "go", "mvn", "gradle", "tox", "just",
            "bundle", "rake", "dotnet", "composer", "bun", "deno",
        ]
        .contains(&first)
}

/// Env vars named in `text`: `UPPER_SNAKE` tokens, and probe variables named verbatim.
fn env_vars_in(g: &Grounding, text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in ENV_VAR.find_iter(text) {
        let v = m.as_str().to_string();
        if !out.contains(&v) {
            out.push(v);
        }
    }
    for v in &g.env_vars {
        if text.contains(v.as_str()) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    for n in &g.new_services {
        if text.contains(n.env) && !out.iter().any(|x| x == n.env) {
            out.push(n.env.to_string());
        }
    }
    out
}

/// Services named in `text`: (name, kind, source, found by the probe).
fn services_in(g: &Grounding, text: &str) -> Vec<(String, String, String, bool)> {
    // Identifiers such as REDIS_URL or session_store name variables, not services.
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty() && !w.contains('_'))
        .map(|w| w.to_lowercase())
        .collect();
    let mut out: Vec<(String, String, String, bool)> = Vec::new();
    for s in g
        .services
        .iter()
        .map(|s| (s.name.clone(), s.kind.clone(), s.source.clone()))
        .chain(
            g.untouched
                .iter()
                .map(|s| (s.name.clone(), s.kind.clone(), s.source.clone())),
        )
    {
        let n = s.0.to_lowercase();
        let canon = known_service(&n).map(|k| k.0.to_string());
        if words.iter().any(|w| {
            *w == n || known_service(w).map(|k| k.0.to_string()) == canon && canon.is_some()
        }) && !out.iter().any(|o| o.0 == s.0)
        {
            out.push((s.0, s.1, s.2, true));
        }
    }
    for w in &words {
        if let Some((name, kind, _)) = known_service(w) {
            if !out
                .iter()
                .any(|o| o.0 == name || known_service(&o.0).map(|k| k.0) == Some(name))
            {
                out.push((name.to_string(), kind.to_string(), String::new(), false));
            }
        }
    }
    out
}

/// "every phase that touches X" → X.
fn touched_path(text: &str) -> Option<String> {
    let re = Regex::new(r"(?i)touch(?:es)?\s+`?([\w./-]+\w)`?").expect("valid");
    re.captures(text).map(|c| c[1].to_string())
}

fn paths_in(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in PATHISH.captures_iter(text) {
        let p = c[1].trim_start_matches("./").to_string();
        if p.starts_with("plan/") || p.starts_with("evidence/") || p.starts_with("reviews/") {
            continue;
        }
        if !out.contains(&p) {
            out.push(p);
        }
    }
    for c in BACKTICK.captures_iter(text) {
        let p = c[1].to_string();
        if (p.contains('/') || p.contains('.'))
            && !p.contains(' ')
            && !p.starts_with("plan/")
            && !out.contains(&p)
            && super::ground::ext_of(&p).is_some()
        {
            out.push(p);
        }
    }
    out
}

fn permission_phrase(text: &str) -> String {
    let re = Regex::new(r"(?i)(?:permission|privilege|access)s?\s+(?:to|for|on)\s+(.+?)(?:[.;]|$)")
        .expect("valid");
    match re.captures(text) {
        Some(c) => format!("Permission to {}", c[1].trim()),
        None => sentence(text).trim_end_matches('.').to_string(),
    }
}

fn scope_item(text: &str) -> String {
    let re = Regex::new(r"(?i)^(?:declare|list|mark|put|move|add|state)\s+(.+?)\s+(?:as\s+|to\s+(?:the\s+)?|in\s+(?:the\s+)?)?out[- ]of[- ]scope").expect("valid");
    if let Some(c) = re.captures(text.trim()) {
        let mut s = c[1].trim().to_string();
        if let Some(f) = s.get(0..1) {
            s = f.to_uppercase() + &s[1..];
        }
        return format!("{} (out of scope, per review).", s.trim_end_matches('.'));
    }
    if let Some(q) = quoted(text) {
        return format!("{q} (out of scope, per review).");
    }
    format!("Per review: {}", sentence(text))
}

/// Text in quotes (at least 8 characters), if any.
fn quoted(text: &str) -> Option<String> {
    QUOTED.captures(text).map(|c| c[1].trim().to_string())
}

/// The text as a sentence: trimmed, capitalised, ending with a period.
fn sentence(text: &str) -> String {
    let t = text.trim();
    let mut s = match t.chars().next() {
        Some(f) => f.to_uppercase().collect::<String>() + &t[f.len_utf8()..],
        None => String::new(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

fn clip(text: &str, n: usize) -> String {
    let t = text.trim().trim_end_matches('.');
    if t.chars().count() <= n {
        t.to_string()
    } else {
        let mut s: String = t.chars().take(n - 1).collect();
        s.push('…');
        s
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod new_phase_tests {
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

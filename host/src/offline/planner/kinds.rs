//! The base plan of each task kind (SPEC §2 stage 1 kinds), grounded in the probe report:
//!
//! | kind | phases after `00 preflight` |
//! |---|---|
//! | feature | contract (failing acceptance tests) → implement → edge cases → [security] → rollout |
//! | bugfix | reproduce (failing regression test) → fix root cause → regression coverage → [security] → release |
//! | refactor | characterization tests → new structure beside the old → move callers → remove old path → [security] |
//! | migration (data) | expand → dual-write → backfill → cutover (dual-read) → contract → [security] |
//! | migration (platform) | inventory → compatibility on both versions → switch → remove old-version code → [security] |
//! | replacement | seam around the old → new implementation behind the seam → parity → switch → remove old → [security] |
//! | performance | baseline benchmark → profile → optimize hot path → verify against baseline → [security] → rollout |
//! | security | threat model → fix → security tests → rollout |
//! | research | questions and criteria → time-boxed spike → evaluation → [security assessment] → written recommendation |
//! | greenfield | scaffold → core → interface → integration tests → [security] → ops |
//!
//! `[security]` is a phase whose slug contains `security` with a non-empty gate, added when
//! the task or the files it touches involve authentication, sessions, secrets, authorization,
//! cryptography, uploads or untrusted input (for research: an assessment of each option).
//! A service the task names that the probe did not find gets a `provision-…` phase right
//! after preflight. Closing phases (rollout, release, ops) have [`Role::Closing`] so the
//! minimalist lens can drop them; with the minimalist grounding a feature is written as one
//! implement-with-tests phase (no separate contract phase, no new module, one test file).
//!
//! Every shape is filled from [`Grounding`]: the probe's relevant files are the `modify`
//! targets, new files follow the language's layout next to them, implementation phases gate
//! on the detected test (and lint) command, touched services and their env vars are named
//! where they are used, and matching [`super::topics`] contribute design decisions, edge
//! cases, measurable criteria and out-of-scope items.
use super::draft::{DPhase, Draft, Role};
use super::ground::{kebab, prose_list, snake, Grounding, Lang};
use crate::model::{FileAction, TaskKind};
use regex::Regex;

/// The base draft for the grounding's task kind: title, thesis, phases, dependencies,
/// out-of-scope and iron rules. Lenses, directives and feedback are applied afterwards.
pub fn base(g: &Grounding) -> Draft {
    let mut d = Draft {
        title: title_of(&g.task),
        ..Default::default()
    };
    d.phases.push(preflight(g));
    match g.kind {
        TaskKind::Feature => feature(g, &mut d),
        TaskKind::Bugfix => bugfix(g, &mut d),
        TaskKind::Refactor => refactor(g, &mut d),
        TaskKind::Migration => {
            if is_data_migration(g) {
                data_migration(g, &mut d)
            } else {
                platform_migration(g, &mut d)
            }
        }
        TaskKind::Replacement => replacement(g, &mut d),
        TaskKind::Performance => performance(g, &mut d),
        TaskKind::Security => security_kind(g, &mut d),
        TaskKind::Research => research(g, &mut d),
        TaskKind::Greenfield => greenfield(g, &mut d),
    }
    if g.is_sensitive()
        && g.kind != TaskKind::Security
        && g.kind != TaskKind::Research
        && !d.phases.iter().any(|p| p.role == Role::Security)
    {
        let sec = security_phase(g, &d);
        d.insert_before_closing(sec);
    }
    if g.is_sensitive() && g.kind == TaskKind::Research {
        // Research changes no code, so its security gate is an assessment of each option,
        // placed before the recommendation it informs.
        let sec = research_security_phase(g, &d);
        let at = d
            .phases
            .iter()
            .position(|p| p.key.starts_with("recommend-"))
            .unwrap_or(d.phases.len());
        d.insert(at, sec);
        let k = d.phases[at].key.clone();
        if let Some(next) = d.phases.get_mut(at + 1) {
            next.depends(&k);
        }
    }
    new_services(g, &mut d);
    dependencies(g, &mut d);
    common_rules(g, &mut d);
    d.thesis = thesis(g, &d);
    d
}

/// Plan title: the task, capitalised, at most 100 characters.
pub fn title_of(task: &str) -> String {
    let t = task.trim().trim_end_matches('.');
    let t: String = t.chars().take(100).collect();
    let mut c = t.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => "Untitled task".to_string(),
    }
}

fn k(g: &Grounding) -> String {
    kebab(&g.stem)
}

fn code(s: &str) -> String {
    format!("`{s}`")
}

/// `` `a`, `b` and `c` `` for paths.
fn paths(ps: &[String]) -> String {
    prose_list(
        &ps.iter().map(|p| code(p)).collect::<Vec<_>>(),
        "the affected files",
    )
}

/// Phase 00: run the detected commands on a clean checkout and record the baseline.
pub fn preflight(g: &Grounding) -> DPhase {
    let mut p = DPhase::new(
        "preflight",
        Role::Preflight,
        "Preflight: baseline on a clean checkout",
        "Prove the repository builds and its tests pass before any change, so every later gate compares against a recorded baseline.",
        1,
    );
    if let Some(b) = &g.build {
        p.step(format!("Run `{}` (declared in {}) on a clean checkout; save the full log under evidence/ and note the exit code and duration.", b.command, b.source));
        p.criterion(format!(
            "`{}` exits 0 on a clean checkout, with the log line that shows it saved in evidence/.",
            b.command
        ));
        p.gate(b.command.clone());
    }
    if let Some(t) = &g.test {
        p.step(format!("Run `{}` ({}) and record the number of passing, failing and skipped tests: this is the baseline every later phase is compared with.", t.command, t.source));
        p.criterion(format!(
            "`{}` exits 0; the pass/fail/skip counts are recorded in evidence/.",
            t.command
        ));
        p.gate(t.command.clone());
    }
    if let Some(l) = &g.lint {
        p.step(format!("Run `{}` ({}) and record the existing warnings, so later phases can tell new warnings from old ones.", l.command, l.source));
    }
    if !g.has_runnable() {
        p.step("No buildable target was detected: the probe found no build or test command in the project's manifests. Find out how the project is built and tested (README, CI files, maintainers), write the exact commands into evidence/, and run them before any other phase.".to_string());
        p.criterion("check: 1 build command and 1 test command are written down and each ran once on a clean checkout, with its output saved in evidence/.".to_string());
        p.gate("check: 1 build or test command is identified and exits 0 on a clean checkout (the probe detected none)".to_string());
    }
    for s in &g.services {
        let env = if s.env.is_empty() {
            String::new()
        } else {
            format!(
                " through {}",
                prose_list(&s.env.iter().map(|e| code(e)).collect::<Vec<_>>(), "")
            )
        };
        p.step(format!(
            "Start {} ({}, declared in {}) and confirm the application reaches it{}.",
            s.name, s.kind, s.source, env
        ));
    }
    if !g.sources.is_empty() {
        p.step(format!(
            "Read {} (ranked most relevant by the probe) and list the functions the task touches and their callers.",
            paths(&g.sources.iter().take(3).cloned().collect::<Vec<_>>())
        ));
    }
    if let Some(ci) = g.ci.first() {
        p.step(format!(
            "Check that {} runs the same commands, so the local baseline matches CI.",
            code(ci)
        ));
    }
    p.phase.rollback =
        "Nothing to roll back: preflight changes no file; it only records evidence.".to_string();
    p
}

fn test_path(g: &Grounding, suffix: &str) -> Option<String> {
    // Minimalist plans keep every new test in one file.
    let stem = if suffix.is_empty() || g.minimal {
        g.stem.clone()
    } else {
        format!("{}_{}", g.stem, suffix)
    };
    g.new_test_path(&stem)
}

/// Steps that use the touched services in a phase changing `files`.
fn service_steps(g: &Grounding, p: &mut DPhase) {
    let touched: Vec<String> = p.phase.files.iter().map(|f| f.path.clone()).collect();
    for s in &g.services {
        if s.files.iter().any(|f| touched.contains(f)) {
            let env = if s.env.is_empty() {
                String::new()
            } else {
                format!(
                    ", configured by {}",
                    prose_list(&s.env.iter().map(|e| code(e)).collect::<Vec<_>>(), "")
                )
            };
            p.step(format!(
                "This phase touches {} which talks to {} ({}{}): run its tests against a local {} started from {}, not a mock.",
                paths(&s.files),
                s.name,
                s.kind,
                env,
                s.name,
                s.source
            ));
        }
    }
}

/// The gate of implementation phases (test command, lint) — empty when none was detected;
/// `Draft::repair` then writes a manual check.
fn impl_gate(g: &Grounding, p: &mut DPhase) {
    for c in g.impl_gate() {
        p.gate(c);
    }
}

fn feature(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let tp = test_path(g, "");
    let marker = g.lang.pending_marker();
    let subject = &g.subject;
    // 01 contract
    let mut c = DPhase::new(
        &format!("contract-{key}"),
        Role::Core,
        format!("Define the contract of {subject} in acceptance tests"),
        format!("Agree on the observable behaviour of {subject} and encode it as acceptance tests before any production change."),
        2,
    );
    for t in &g.topics {
        for s in t.design {
            c.step(format!("{s}."));
        }
    }
    if g.topics.is_empty() {
        c.step(format!("Write down the behaviour the task asks for — inputs, outputs, error cases and defaults of {subject} — as a short contract at the top of the acceptance test file."));
    }
    match &tp {
        Some(tp) => {
            c.step(format!("Write acceptance tests in `{tp}` for the happy path and every error case of the contract; mark them {marker} so {} stays green until the implementation phase.", g.test_cmd()));
            c.file(tp.clone(), FileAction::Create);
            c.criterion(format!("`{tp}` holds at least 3 acceptance tests (happy path plus each error case), all marked expected-to-fail for the reason 'not implemented'."));
        }
        None => {
            c.step(format!("Write acceptance tests beside the existing tests for the happy path and every error case, marked expected-to-fail so {} stays green.", g.test_cmd()));
        }
    }
    if !g.sources.is_empty() {
        c.step(format!("List every caller of the public functions in {} that the change affects, so none is missed in the implementation phase.", paths(&g.sources.iter().take(3).cloned().collect::<Vec<_>>())));
    }
    impl_gate(g, &mut c);
    if let Some(t) = &g.test {
        c.criterion(format!("`{}` still exits 0: the new tests run as expected failures, the phase-00 count passes.", t.command));
    }
    c.phase.rollback = match &tp {
        Some(tp) => format!("Delete `{tp}`; no production code changed in this phase."),
        None => "Delete the new acceptance tests; no production code changed in this phase.".into(),
    };
    // 02 implement
    let mut i = implement_phase(g, &key, &tp);
    if g.minimal {
        // Minimalist: one phase writes the acceptance tests first and then the change; the
        // contract's design decisions come along, the expected-failure ceremony does not.
        let mut steps: Vec<String> = c
            .phase
            .steps
            .iter()
            .filter(|s| {
                !s.starts_with("Write acceptance tests") && !s.starts_with("List every caller")
            })
            .cloned()
            .collect();
        if let Some(tp) = &tp {
            steps.push(format!("Write the acceptance tests in `{tp}` first (happy path and each error case); they fail until the change below is in."));
            i.file(tp.clone(), FileAction::Create);
        }
        i.phase
            .steps
            .retain(|s| !s.starts_with("Remove the expected-failure markers"));
        steps.append(&mut i.phase.steps);
        i.phase.steps = steps;
        i.phase.rollback = i.phase.rollback.replace(
            "the acceptance tests go back to expected failures",
            "the new tests go with them",
        );
        d.phases.push(i);
    } else {
        let ck = c.key.clone();
        d.phases.push(c);
        i.depends(&ck);
        d.phases.push(i);
    }
    let ik = d.phases.last().map(|p| p.key.clone()).unwrap_or_default();

    // 03 edge cases
    let mut e = edge_phase(g, &key);
    e.depends(&ik);
    d.phases.push(e);

    // closing
    let r = rollout_phase(g, &key);
    d.phases.push(r);

    for t in &g.topics {
        for o in t.out_of_scope {
            d.out(*o);
        }
    }
    if g.topics.is_empty() {
        d.out(format!("Behaviour beyond what the task names ({subject}); new requests go to a follow-up plan."));
    }
    d.out("Refactoring code the change does not need to touch.");
    d.rule("Existing public signatures stay backwards compatible: new parameters get defaults, nothing is renamed.");
}

/// The implementation phase shared by feature and greenfield-in-existing-code shapes.
fn implement_phase(g: &Grounding, key: &str, tp: &Option<String>) -> DPhase {
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let mut i = DPhase::new(
        &format!("implement-{key}"),
        Role::Core,
        format!("Implement {subject}"),
        if src_list.is_empty() {
            format!("Make the acceptance tests pass with the smallest production change that delivers {subject}.")
        } else {
            format!(
                "Make the acceptance tests pass by changing {}.",
                paths(&src_list)
            )
        },
        4,
    );
    let module_topic = g.topics.iter().find(|t| t.module);
    let mut module_path = None;
    if let (Some(t), true, Some(src)) = (module_topic, g.minimal, src_list.first()) {
        i.step(format!("Put the {} logic directly in `{src}`: no new module, abstraction or configuration knob beyond what the task needs.", t.name.replace('_', " ")));
    }
    if (module_topic.is_some() && !g.minimal) || src_list.is_empty() {
        if let Some((mp, parent)) = g.new_module_path(&g.stem) {
            let caller = src_list
                .first()
                .map(|s| format!("; {} only calls into it", code(s)))
                .unwrap_or_default();
            i.step(format!(
                "Create `{mp}` holding the {} logic behind a small interface{caller}.",
                g.stem.replace('_', " ")
            ));
            i.file(mp.clone(), FileAction::Create);
            if let Some(parent) = parent {
                i.step(format!("Declare the new module in `{parent}`."));
                i.file(parent, FileAction::Modify);
            }
            module_path = Some(mp);
        }
    }
    for (n, s) in src_list.iter().enumerate() {
        let why = g
            .reason_of(s)
            .map(|r| format!(" (probe: {r})"))
            .unwrap_or_default();
        if n == 0 {
            i.step(format!("Change `{s}`{why}: call the new code from the point where the request or call is handled, before any side effect."));
        } else {
            i.step(format!("Adjust `{s}`{why} for the new behaviour, keeping its public signatures backwards compatible."));
        }
        i.file(s.clone(), FileAction::Modify);
    }
    for t in &g.topics {
        if let Some(kind) = t.store_kind {
            // Stateful topics keep state in the store; the others read their data from it.
            let stateful = STATEFUL_TOPICS.contains(&t.name);
            if let Some(s) = g.services.iter().find(|s| s.kind == kind) {
                let env = s
                    .env
                    .first()
                    .map(|e| format!(" through `{e}`"))
                    .unwrap_or_default();
                if stateful {
                    i.step(format!(
                        "Keep the {} state in {} (declared in {}){env}; no new store.",
                        t.name.replace('_', " "),
                        s.name,
                        s.source
                    ));
                } else {
                    i.step(format!(
                        "Read the data for the {} from {} (declared in {}){env} with the project's existing data-access code; add no new store.",
                        t.name.replace('_', " "),
                        s.name,
                        s.source
                    ));
                }
                continue;
            }
            if !stateful {
                continue;
            }
            if let Some(n) = g.new_services.iter().find(|n| n.kind == kind) {
                i.step(format!("Keep the {} state in {} (new: provisioned by this plan), reached through `{}`.", t.name.replace('_', " "), n.name, n.env));
            } else if kind == "cache" {
                i.step(format!(
                    "The probe found no shared cache: keep the {} state in process memory behind an interface, and note in the module docstring that several instances would each keep their own state.",
                    t.name.replace('_', " ")
                ));
            }
        }
    }
    i.step("Read every new setting from the project's existing configuration with a fail-safe default; no constant in the handler.".to_string());
    if let Some(tp) = tp {
        i.step(format!(
            "Remove the expected-failure markers from `{tp}`: every acceptance test now passes."
        ));
        i.criterion(format!(
            "All acceptance tests in `{tp}` pass: {} exits 0 with 0 failures.",
            g.test_cmd()
        ));
    } else {
        i.criterion(format!(
            "The acceptance tests pass: {} exits 0 with 0 failures.",
            g.test_cmd()
        ));
    }
    i.criterion("The phase-00 passing-test count still passes: 0 regressions.".to_string());
    if let Some(t) = g.topics.first() {
        i.criterion(format!("{}.", t.criteria[0]));
    }
    service_steps(g, &mut i);
    impl_gate(g, &mut i);
    let mut rb = "Revert this phase's commits with `git revert`".to_string();
    if let Some(mp) = &module_path {
        rb.push_str(&format!("; `{mp}` is deleted"));
    }
    if !src_list.is_empty() {
        rb.push_str(&format!(
            "; {} return to their phase-00 state",
            paths(&src_list)
        ));
    }
    rb.push_str("; the acceptance tests go back to expected failures.");
    i.phase.rollback = rb;
    i
}

/// Topics whose implementation keeps state of its own in a store (as opposed to reading data).
const STATEFUL_TOPICS: &[&str] = &[
    "rate_limit",
    "cache",
    "session",
    "upload",
    "background_jobs",
    "notifications",
    "webhooks",
];

fn edge_phase(g: &Grounding, key: &str) -> DPhase {
    let subject = &g.subject;
    let mut e = DPhase::new(
        &format!("edge-cases-{key}"),
        Role::Core,
        "Cover edge cases and failure paths",
        format!("Prove {subject} behaves on its boundaries and when its dependencies fail, not only on the happy path."),
        2,
    );
    let tp = test_path(g, "edge_cases");
    let mut n = 0;
    for t in &g.topics {
        for c in t.edge_cases {
            e.step(format!("Add a test: {c}."));
            n += 1;
        }
    }
    if n == 0 {
        e.step(
            "Add tests for empty, maximal and malformed inputs to the new code path.".to_string(),
        );
        e.step("Add a test for concurrent calls if the new code keeps any state.".to_string());
        n = 2;
    }
    for s in &g.services {
        e.step(format!("Add a test for {} being unavailable: the error is reported to the caller with a clear message, not swallowed.", s.name));
        n += 1;
    }
    for t in &g.topics {
        if let Some(c) = t.criteria.get(1) {
            e.criterion(format!("{c}."));
        }
    }
    e.step(format!(
        "Run {} three times in a row to rule out order-, time- or randomness-dependent tests.",
        g.test_cmd()
    ));
    if let Some(tp) = &tp {
        e.file(tp.clone(), FileAction::Create);
        e.criterion(format!("`{tp}` holds at least {n} tests, one per case listed, and {} exits 0 three runs in a row.", g.test_cmd()));
    } else {
        e.criterion(format!(
            "At least {n} new edge-case tests pass; {} exits 0 three runs in a row.",
            g.test_cmd()
        ));
    }
    impl_gate(g, &mut e);
    e.phase.rollback = "Revert the commit that adds the edge-case tests; production code is unaffected by this phase.".to_string();
    e
}

fn rollout_phase(g: &Grounding, key: &str) -> DPhase {
    let mut r = DPhase::new(
        &format!("rollout-{key}"),
        Role::Closing,
        "Document and roll out",
        format!(
            "Ship {} with its configuration documented and its effect observable after release.",
            g.subject
        ),
        1,
    );
    let docs = g.doc_files();
    if docs.is_empty() {
        r.step("Document the new behaviour and every new configuration key with its default where the project documents its settings.".to_string());
    } else {
        for f in &docs {
            if f.to_lowercase().contains("changelog")
                || f.to_lowercase().contains("changes")
                || f.to_lowercase().contains("history")
            {
                r.step(format!(
                    "Add an entry to `{f}` naming the new behaviour and its configuration keys."
                ));
            } else {
                r.step(format!("Document the new behaviour and every new configuration key with its default in `{f}`."));
            }
            r.file(f.clone(), FileAction::Modify);
        }
    }
    if let Some(ci) = g.ci.first() {
        r.step(format!(
            "Confirm `{ci}` runs {} on the branch and is green before merging.",
            g.test_cmd()
        ));
    }
    r.step("Release in a staged rollout — one canary instance first, then everyone — with the fail-safe defaults; for 24 hours after each stage compare the touched endpoints' error rate and latency with the week before.".to_string());
    r.criterion("The touched endpoints' error rate stays within 1 percentage point of the pre-release week for 24 h after deploy.".to_string());
    r.criterion(
        "check: every new configuration key is documented with its default (1 entry per key)."
            .to_string(),
    );
    if let Some(b) = &g.build {
        r.gate(b.command.clone());
    }
    r.gate("check: 1 docs change and 1 release note reviewed; post-release error rate within 1 percentage point of the baseline".to_string());
    r.phase.rollback =
        "Redeploy the previous release; the documentation commit is reverted with it.".to_string();
    r
}

fn bugfix(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let marker = g.lang.pending_marker();
    let tp = g
        .tests
        .first()
        .cloned()
        .or_else(|| test_path(g, "regression"));
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    // 01 reproduce
    let mut r = DPhase::new(
        &format!("reproduce-{key}"),
        Role::Core,
        format!("Reproduce the {subject} with a failing test"),
        "Turn the report into a regression test that fails on today's code for the reported reason.".to_string(),
        2,
    );
    r.step(format!("Reproduce the {subject} by hand; write the exact input, the observed output or error, and the expected result into evidence/."));
    match &tp {
        Some(tp) => {
            let how = if g.tests.first() == Some(tp) {
                "Add"
            } else {
                "Create"
            };
            r.step(format!("{how} a regression test in `{tp}` that fails with the same symptom; mark it {marker} so {} stays green until the fix lands.", g.test_cmd()));
            r.file(
                tp.clone(),
                if g.tests.first() == Some(tp) {
                    FileAction::Modify
                } else {
                    FileAction::Create
                },
            );
            r.criterion(format!("The regression test in `{tp}` fails on the unfixed code with the reported error (assertion or exception named in evidence/)."));
        }
        None => {
            r.step("Add a regression test beside the existing tests that fails with the same symptom, marked expected-to-fail.".to_string());
            r.criterion("The regression test fails on the unfixed code with the reported error, recorded in evidence/.".to_string());
        }
    }
    r.step("If it worked before, find the commit that broke it with `git bisect run` using the new test.".to_string());
    impl_gate(g, &mut r);
    r.phase.rollback = "Revert the commit that adds the regression test; production code is untouched in this phase.".to_string();
    let rk = r.key.clone();
    d.phases.push(r);

    // 02 fix
    let mut f = DPhase::new(
        &format!("fix-{key}"),
        Role::Core,
        format!(
            "Fix the root cause in {}",
            if src_list.is_empty() {
                "the code".to_string()
            } else {
                paths(&src_list[..1.min(src_list.len())])
            }
        ),
        "Remove the cause of the bug, not its symptom, so the regression test passes.".to_string(),
        3,
    );
    f.step(format!(
        "Trace the failing test to the root cause{}; write the cause in the commit message.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(" in {}", paths(&src_list))
        }
    ));
    f.step("Fix the cause, not the symptom: no catch-all error handler, no special case for the test's input.".to_string());
    for s in &src_list {
        f.file(s.clone(), FileAction::Modify);
    }
    f.step("Remove the expected-failure marker: the regression test now passes.".to_string());
    f.criterion(format!("The regression test passes and {} exits 0 with the phase-00 passing count plus at least 1.", g.test_cmd()));
    service_steps(g, &mut f);
    impl_gate(g, &mut f);
    f.phase.rollback = "Revert the fix commit with `git revert`; the regression test returns to an expected failure and the released behaviour is unchanged.".to_string();
    f.depends(&rk);
    let fk = f.key.clone();
    d.phases.push(f);

    // 03 regression coverage
    let mut c = DPhase::new(
        &format!("regression-coverage-{key}"),
        Role::Core,
        "Cover the neighbours of the bug",
        "Make sure the same mistake is not hiding in nearby inputs or in other copies of the code."
            .to_string(),
        2,
    );
    c.step("Add tests for the boundary inputs around the failing case (empty, maximum, one past the maximum, malformed).".to_string());
    for t in &g.topics {
        for e in t.edge_cases.iter().take(2) {
            c.step(format!("Add a test: {e}."));
        }
    }
    c.step("Search the codebase for the same pattern as the root cause; fix each occurrence the task covers and list the others in out-of-scope with their paths.".to_string());
    if let Some(tp) = test_path(g, "regression_neighbours") {
        c.file(tp, FileAction::Create);
    }
    c.criterion(format!(
        "At least 3 new boundary tests pass; {} exits 0 three runs in a row.",
        g.test_cmd()
    ));
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the commit that adds the boundary tests; the fix itself stays.".to_string();
    c.depends(&fk);
    d.phases.push(c);

    // closing
    let mut rel = DPhase::new(
        &format!("release-{key}"),
        Role::Closing,
        "Release and confirm the fix",
        "Ship the fix and confirm the symptom is gone where it was reported.".to_string(),
        1,
    );
    for f in g
        .doc_files()
        .iter()
        .filter(|f| f.to_lowercase().contains("change"))
    {
        rel.step(format!(
            "Add an entry to `{f}` naming the symptom that is fixed."
        ));
        rel.file(f.clone(), FileAction::Modify);
    }
    rel.step("Ship through a staged rollout (one canary instance first, then everyone); after each stage search the logs for the original error message for 24 hours.".to_string());
    rel.criterion(
        "0 occurrences of the original error in the logs in the 24 h after release.".to_string(),
    );
    if let Some(b) = &g.build {
        rel.gate(b.command.clone());
    }
    rel.gate(
        "check: the original error no longer appears in the logs 24 h after release".to_string(),
    );
    rel.phase.rollback =
        "Redeploy the previous release and reopen the bug with the new evidence.".to_string();
    d.phases.push(rel);

    d.out("Refactoring the touched code beyond what the fix needs.");
    d.out("Other bugs found on the way: they are listed with their paths, not fixed here.");
    d.rule("No fix without the failing regression test first.");
}

/// Two things a task relates, e.g. "unify OIDC and legacy JWT" → ("OIDC", "legacy JWT").
fn pair(task: &str, patterns: &[&str]) -> Option<(String, String)> {
    for p in patterns {
        let re = Regex::new(p).expect("pair patterns are valid");
        if let Some(c) = re.captures(task) {
            let a = clip(c.name("a").map(|m| m.as_str()).unwrap_or(""));
            let b = clip(c.name("b").map(|m| m.as_str()).unwrap_or(""));
            if !a.is_empty() && !b.is_empty() {
                return Some((a, b));
            }
        }
    }
    None
}

/// At most 6 words, trailing punctuation and filler removed.
fn clip(s: &str) -> String {
    let s = s.trim().trim_end_matches(['.', ',', ';', ':', '!']);
    let s = s.strip_prefix("the ").unwrap_or(s);
    let words: Vec<&str> = s.split_whitespace().take(6).collect();
    words.join(" ")
}

const END: &str = r"(?:\s+(?:flows?|in|for|across|with|so|while|and keep|,)\b|[,.;:]|$)";

fn refactor(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let unify = pair(
        &g.task,
        &[&format!(
            r"(?i)\bunif(?:y|ies|ying)\s+(?:the\s+)?(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"
        )],
    );
    // 01 characterization
    let mut c = DPhase::new(
        &format!("characterize-{key}"),
        Role::Core,
        "Pin current behaviour with characterization tests",
        format!(
            "Record what {} does today so the restructuring can be proven behaviour-preserving.",
            if src_list.is_empty() {
                "the code".into()
            } else {
                paths(&src_list)
            }
        ),
        2,
    );
    c.step(format!(
        "List the public entry points of {} and every caller of them.",
        if src_list.is_empty() {
            "the code the task names".into()
        } else {
            paths(&src_list)
        }
    ));
    let tp = test_path(g, "characterization");
    match &tp {
        Some(tp) => {
            c.step(format!("Write characterization tests in `{tp}` that record today's outputs for representative inputs, including the error paths."));
            c.file(tp.clone(), FileAction::Create);
            c.criterion(format!(
                "Characterization tests in `{tp}` pass on the unchanged code: {} exits 0.",
                g.test_cmd()
            ));
        }
        None => {
            c.criterion(format!(
                "Characterization tests pass on the unchanged code: {} exits 0.",
                g.test_cmd()
            ));
        }
    }
    if let Some((a, b)) = &unify {
        c.step(format!("Cover both the {a} path and the {b} path with the same scenarios, so differences between them are written down before they are unified."));
    }
    c.criterion(
        "Every public entry point listed has at least 1 characterization test.".to_string(),
    );
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the commit that adds the characterization tests; no production code changed."
            .to_string();
    let ck = c.key.clone();
    d.phases.push(c);

    // 02 new structure beside the old
    let mut n = DPhase::new(
        &format!("introduce-{key}"),
        Role::Core,
        match &unify {
            Some((a, b)) => format!("Introduce one interface for {a} and {b}"),
            None => format!("Introduce the new structure for {subject}"),
        },
        "Build the target structure beside the old one, without moving any caller yet.".to_string(),
        3,
    );
    if let Some((a, b)) = &unify {
        n.step(format!("Define a single interface that both the {a} and the {b} implementations satisfy; callers will depend on it only."));
        n.step(format!("Adapt the {a} code and the {b} code to the interface without changing their behaviour."));
    } else {
        n.step(format!("Create the new structure for {subject} with the responsibilities written at the top of the module."));
    }
    if let Some((mp, parent)) = g.new_module_path(&g.stem) {
        n.step(format!(
            "Put the new structure in `{mp}`; the old code stays in place and working."
        ));
        n.file(mp, FileAction::Create);
        if let Some(parent) = parent {
            n.step(format!("Declare the new module in `{parent}`."));
            n.file(parent, FileAction::Modify);
        }
    }
    for t in &g.topics {
        for s in t.design.iter().take(2) {
            n.step(format!("{s}."));
        }
    }
    n.criterion(format!("Unit tests of the new structure pass and the characterization tests pass unchanged: {} exits 0.", g.test_cmd()));
    n.criterion("0 callers changed in this phase (the diff touches only new files and module declarations).".to_string());
    impl_gate(g, &mut n);
    n.depends(&ck);
    let nk = n.key.clone();
    d.phases.push(n);

    // 03 move callers
    let mut m = DPhase::new(
        &format!("move-callers-{key}"),
        Role::Core,
        "Move callers to the new structure",
        "Switch every caller to the new structure one at a time, behaviour unchanged.".to_string(),
        3,
    );
    for s in &src_list {
        let why = g
            .reason_of(s)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        m.step(format!(
            "Switch the callers in `{s}`{why} to the new structure; run {} after each file.",
            g.test_cmd()
        ));
        m.file(s.clone(), FileAction::Modify);
    }
    if src_list.is_empty() {
        m.step(format!(
            "Switch callers one at a time; run {} after each.",
            g.test_cmd()
        ));
    }
    m.step(
        "Do not edit the characterization tests: a change there means behaviour changed."
            .to_string(),
    );
    m.step("Route the switched callers through a toggle that re-selects the old path at run time until the old path is removed, so a production problem is undone without a deploy.".to_string());
    m.criterion(format!("{} exits 0 after every caller switch, with the characterization tests unmodified (0 changed lines in their file).", g.test_cmd()));
    service_steps(g, &mut m);
    impl_gate(g, &mut m);
    m.phase.rollback = "Revert the caller switches commit by commit; the old structure is still present, so each revert restores a working state.".to_string();
    m.depends(&nk);
    let mk = m.key.clone();
    d.phases.push(m);

    // 04 remove old path
    let mut r = DPhase::new(
        &format!("remove-old-{key}"),
        Role::Core,
        "Remove the old path",
        "Delete the code no caller uses any more, so only one way remains.".to_string(),
        2,
    );
    r.step("Search for remaining references to the old functions; there must be none outside the code being deleted.".to_string());
    r.step("Delete the old implementation and any compatibility shim added while introducing the new structure.".to_string());
    for s in &src_list {
        r.file(s.clone(), FileAction::Modify);
    }
    r.criterion(
        "A search for the old entry points returns 0 hits outside the changelog.".to_string(),
    );
    r.criterion(format!(
        "The characterization tests still pass unchanged: {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut r);
    r.phase.rollback = "Revert the removal commit; callers already use the new structure, so the old code simply comes back unused.".to_string();
    r.depends(&mk);
    d.phases.push(r);

    d.out("Behaviour changes: any change in observable behaviour found during the refactor is a separate task.");
    d.out("Performance work on the restructured code beyond keeping it at the phase-00 level.");
    d.rule("No behaviour change: the characterization tests are not edited once they pass on the unchanged code.");
}

/// Whether a migration moves data (stores, schemas) rather than a platform or library version.
pub fn is_data_migration(g: &Grounding) -> bool {
    let data_words = [
        "table",
        "tables",
        "schema",
        "column",
        "columns",
        "data",
        "database",
        "records",
        "rows",
        "storage",
        "store",
        "sessions",
        "session",
        "collection",
        "index",
    ];
    g.services
        .iter()
        .any(|s| s.kind == "database" && !s.why.contains("relevant"))
        || g.new_services
            .iter()
            .any(|s| matches!(s.kind, "database" | "cache" | "object-store" | "search"))
        || g.terms.iter().any(|t| data_words.contains(&t.as_str()))
}

/// "from X to Y" / "to Y" in a task.
fn from_to(task: &str) -> (String, String) {
    if let Some((a, b)) = pair(
        task,
        &[&format!(r"(?i)\bfrom\s+(?P<a>.+?)\s+to\s+(?P<b>.+?){END}")],
    ) {
        return (a, b);
    }
    let re = Regex::new(&format!(r"(?i)\bto\s+(?P<b>.+?){END}")).expect("valid");
    let b = re
        .captures(task)
        .and_then(|c| c.name("b"))
        .map(|m| clip(m.as_str()))
        .unwrap_or_default();
    (
        "the current implementation".to_string(),
        if b.is_empty() {
            "the target".to_string()
        } else {
            b
        },
    )
}

fn data_migration(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old0, new) = from_to(&g.task);
    let old = if old0 == "the current implementation" {
        format!("the current {} store", g.stem.replace('_', " "))
    } else {
        old0
    };
    let target_kind = new
        .split(|c: char| !c.is_alphanumeric())
        .find_map(super::ground::known_service)
        .map(|k| k.1)
        .or_else(|| g.new_services.first().map(|n| n.kind))
        .unwrap_or("database");
    let kv = target_kind == "cache";
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let flag = format!("{}_read_from_new", snake(&g.stem));
    let dual = format!("{}_dual_write", snake(&g.stem));
    let mig_dir = g.first_existing(&[
        "migrations",
        "db/migrate",
        "alembic/versions",
        "prisma/migrations",
        "src/main/resources/db/migration",
        "migrate",
    ]);
    // 01 expand
    let mut e = DPhase::new(
        &format!("expand-{key}"),
        Role::Core,
        format!("Expand: add {new} beside {old}"),
        format!("Make {new} exist and be writable without removing or renaming anything the running version reads from {old}."),
        3,
    );
    if kv {
        e.step(format!("Define the key layout in {new}: key names with a prefix and a version, the serialisation format, and a TTL that matches today's expiry rules."));
        e.step(format!("Choose an eviction policy that never silently drops live records (`noeviction`, or a dedicated {new} instance) and size memory from the measured record count × record size."));
        if let Some((mp, parent)) = g.new_module_path(&format!("{}_store", g.stem)) {
            e.step(format!("Write a {new}-backed store adapter in `{mp}` with the same interface as the current store; nothing calls it yet."));
            e.file(mp, FileAction::Create);
            if let Some(p) = parent {
                e.file(p, FileAction::Modify);
            }
        }
        e.criterion(format!("The adapter round-trips 1,000 records through {new} in the test suite with 0 differences, and the measured memory per record is recorded."));
        e.phase.rollback = format!(
            "Revert the adapter commit; nothing reads or writes {new} yet, so no user is affected."
        );
    } else {
        e.step(format!("Add the new structures in {new} (tables, columns, indexes) as additions only: nullable columns, defaults in code, indexes built online."));
        match &mig_dir {
            Some(dir) => e.step(format!("Write the change as a reversible migration in `{dir}/` with an up and a down step.")),
            None => e.step("Write the change as a reversible migration (up and down) with the project's migration tool.".to_string()),
        };
        e.step("Measure lock time on a production-sized copy before applying; any statement holding a table lock for more than 1 s is rewritten.".to_string());
        e.criterion("The up and down migrations both apply cleanly on a copy of production-shaped data; the longest table lock measured is under 1 s.".to_string());
        e.phase.rollback = format!(
            "Run the down migration; nothing reads {new} yet, so removing it affects no user."
        );
    }
    impl_gate(g, &mut e);
    let ek = e.key.clone();
    d.phases.push(e);

    // 02 dual-write
    let mut w = DPhase::new(
        &format!("dual-write-{key}"),
        Role::Core,
        format!("Dual-write to {old} and {new}"),
        format!("Every write lands in both stores while {old} stays the source of truth."),
        3,
    );
    w.step(format!(
        "Make every write path{} write {old} first and then {new}, behind the `{dual}` switch (on for writes; reads untouched).",
        if src_list.is_empty() { String::new() } else { format!(" in {}", paths(&src_list)) }
    ));
    w.step(format!("A failed write to {new} is logged and counted, never surfaced to the user: {old} remains authoritative."));
    for s in &src_list {
        w.file(s.clone(), FileAction::Modify);
    }
    if let Some(tp) = test_path(g, "dual_write") {
        w.step(format!("Test in `{tp}` that each write path writes both stores, and that an outage of {new} does not fail the request."));
        w.file(tp, FileAction::Create);
    }
    w.criterion(format!(
        "{} exits 0; the dual-write mismatch counter stays at 0 across the test suite.",
        g.test_cmd()
    ));
    service_steps(g, &mut w);
    impl_gate(g, &mut w);
    w.phase.rollback = format!("Turn `{dual}` off: writes go to {old} only, as before; data already written to {new} is ignored.");
    w.depends(&ek);
    let wk = w.key.clone();
    d.phases.push(w);

    // 03 backfill
    let mut b = DPhase::new(
        &format!("backfill-{key}"),
        Role::Core,
        format!("Backfill existing data into {new}"),
        "Copy everything written before dual-write started, idempotently and resumably."
            .to_string(),
        3,
    );
    if kv {
        b.step(format!("Copy the existing records into {new} in batches, each with its remaining TTL; skip records that have already expired."));
        b.step("Make the copy idempotent (set only if absent, or compare a version) so a record written by dual-write meanwhile is not overwritten with older data.".to_string());
        b.step("If every record expires within the cutover's soak period, the backfill may be skipped: write down why, with the measured maximum lifetime.".to_string());
        b.criterion(format!("Unexpired record counts in {old} and {new} match within 0.1%, and a sample of 1,000 records compared field by field shows 0 differences."));
    } else {
        b.step("Copy in batches (for example 1,000 rows) ordered by primary key, recording the last key done so the job can resume after a crash.".to_string());
        b.step("Make the copy idempotent (upsert by key) so rows written by dual-write meanwhile are not duplicated or overwritten with older data.".to_string());
        b.step(
            "Throttle between batches and watch replica lag and error rates while it runs."
                .to_string(),
        );
        b.criterion(format!("Row counts in {old} and {new} are equal, and a sample of 1,000 records compared field by field shows 0 differences."));
        b.criterion("Replica lag stays under 5 s during the backfill.".to_string());
    }
    b.step(format!("Compare counts and checksums of a 1% sample between {old} and {new}, and save the comparison in evidence/."));
    impl_gate(g, &mut b);
    let old_cap = old
        .get(0..1)
        .map(|f| f.to_uppercase() + &old[1..])
        .unwrap_or_default();
    b.phase.rollback = format!("Stop the backfill job. {old_cap} is only read by the copy and stays authoritative through dual-write, so it needs no restore; restore {new} from the snapshot taken before the job (or delete the copied records) and re-run, then verify the counts again.");
    b.phase.steps.insert(0, format!("Snapshot {new} before the job starts, so the copy can be undone without touching {old}."));
    b.depends(&wk);
    let bk = b.key.clone();
    d.phases.push(b);

    // 04 cutover
    let mut c = DPhase::new(
        &format!("cutover-{key}"),
        Role::Core,
        format!("Cut reads over to {new}"),
        format!("Serve reads from {new} once dual-reads show it matches {old}."),
        3,
    );
    c.step(format!("Dual-read for a soak period: serve from {old}, read {new} too, compare and count differences."));
    c.step(format!("Flip `{flag}` on for reads once the difference rate is below 0.1% over 7 days; keep dual-writing."));
    for s in src_list.iter().take(2) {
        c.file(s.clone(), FileAction::Modify);
    }
    c.criterion(
        "Dual-read difference rate below 0.1% over 7 consecutive days before the flip.".to_string(),
    );
    c.criterion("p95 read latency after the flip within 10% of the phase-00 baseline.".to_string());
    impl_gate(g, &mut c);
    c.phase.rollback = format!("Flip `{flag}` off: reads return to {old}, which is still written by dual-write, so no data is lost.");
    c.depends(&bk);
    let ck = c.key.clone();
    d.phases.push(c);

    // 05 contract
    let mut t = DPhase::new(
        &format!("contract-{key}"),
        Role::Core,
        format!("Contract: retire {old}"),
        format!("Remove the old path once {new} has served all reads for a full release cycle."),
        2,
    );
    t.step(format!(
        "Take and verify a backup of {old} before anything is dropped."
    ));
    t.step(format!("Stop dual writes; remove the code paths that read or write {old}, and the `{dual}` and `{flag}` switches."));
    t.step(format!(
        "Drop the old data in {old} in a separate, later deploy, after sign-off."
    ));
    for s in src_list.iter().take(2) {
        t.file(s.clone(), FileAction::Modify);
    }
    t.criterion(format!("0 reads or writes reach {old} for 7 days (query or connection metrics) before anything is dropped."));
    impl_gate(g, &mut t);
    t.phase.rollback = format!("Restore {old} from the backup taken at the start of this phase and turn dual-write back on; this is the only phase whose rollback needs a restore.");
    t.depends(&ck);
    d.phases.push(t);

    d.out(format!(
        "Changing the data model while moving it: {new} mirrors what {old} holds today."
    ));
    d.out("Performance tuning of the new store beyond the phase-00 latency baseline.");
    d.rule(format!("Never remove or rename anything the running version reads from {old} before the contract phase."));
    d.rule(format!("Breaking change: dropping the old data in {old} is irreversible without the backup; it needs an explicit sign-off."));
}

fn platform_migration(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old, new) = from_to(&g.task);
    let manifests: Vec<String> = g
        .others
        .iter()
        .chain(g.sources.iter())
        .filter(|p| is_manifest(p))
        .cloned()
        .collect();
    let manifest = manifests.first().cloned().or_else(|| {
        g.first_existing(&[
            "Cargo.toml",
            "pyproject.toml",
            "package.json",
            "go.mod",
            "pom.xml",
            "build.gradle",
            "Gemfile",
            "requirements.txt",
            "setup.py",
        ])
    });
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    // 01 inventory
    let mut i = DPhase::new(
        &format!("inventory-{key}"),
        Role::Core,
        format!("Inventory what moving to {new} breaks"),
        format!("Know every incompatibility between {old} and {new} that the code hits, before changing anything."),
        2,
    );
    i.step(format!(
        "Read the release notes and migration guide of {new}; list every removed or changed API."
    ));
    i.step(
        "Search the code for each of them and record file and line of every use in evidence/."
            .to_string(),
    );
    i.step(format!(
        "Try {new} on a throwaway branch and record every build and test failure."
    ));
    i.criterion("The inventory lists every build and test failure seen on the throwaway branch, with a count per category.".to_string());
    i.gate("check: the inventory lists 100% of the build and test failures seen on the throwaway branch".to_string());
    i.phase.rollback = "Delete the throwaway branch; nothing is merged in this phase.".to_string();
    let ik = i.key.clone();
    d.phases.push(i);

    // 02 compat
    let mut c = DPhase::new(
        &format!("compat-{key}"),
        Role::Core,
        format!("Make the code work on both {old} and {new}"),
        "Fix every incompatibility in a way that still works on the current version, so the switch itself is a one-line change.".to_string(),
        4,
    );
    for s in &src_list {
        c.step(format!("Update `{s}` to APIs available in both versions."));
        c.file(s.clone(), FileAction::Modify);
    }
    c.step("Where no common API exists, add a small compatibility shim in one place and mark it for removal.".to_string());
    if !g.ci.is_empty() {
        c.step(format!(
            "Run CI on both versions (a matrix entry in `{}`) until the switch.",
            g.ci[0]
        ));
        c.file(g.ci[0].clone(), FileAction::Modify);
    }
    c.criterion(format!(
        "{} exits 0 on the current version and on {new} (both CI jobs green).",
        g.test_cmd()
    ));
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the compatibility commits; they are behaviour-neutral on the current version."
            .to_string();
    c.depends(&ik);
    let ck = c.key.clone();
    d.phases.push(c);

    // 03 switch
    let mut s = DPhase::new(
        &format!("switch-{key}"),
        Role::Core,
        format!("Switch to {new}"),
        format!("Make {new} the version the project builds and ships with."),
        2,
    );
    match &manifest {
        Some(m) => {
            s.step(format!("Change the version in `{m}` and regenerate the lock file with the project's package manager."));
            s.file(m.clone(), FileAction::Modify);
        }
        None => {
            s.step(
                "Change the version where the project pins it and regenerate the lock file."
                    .to_string(),
            );
        }
    }
    s.step("Update the CI image or toolchain pin to the new version.".to_string());
    s.step(
        "Roll the new version out in stages: CI and one canary environment first, then everywhere."
            .to_string(),
    );
    s.criterion(format!(
        "{} and {} exit 0 on {new}; the test count equals the phase-00 baseline.",
        g.build_cmd(),
        g.test_cmd()
    ));
    impl_gate(g, &mut s);
    s.phase.rollback = format!(
        "Revert the version bump commit: the code still works on {old} thanks to the compatibility phase."
    );
    s.depends(&ck);
    let sk = s.key.clone();
    d.phases.push(s);

    // 04 cleanup
    let mut r = DPhase::new(
        &format!("remove-compat-{key}"),
        Role::Core,
        format!("Remove code kept only for {old}"),
        "Delete the compatibility shims and the old-version CI job once the new version has shipped.".to_string(),
        1,
    );
    r.step("Delete every shim marked for removal and the old-version CI matrix entry.".to_string());
    r.criterion("A search for the removal marker returns 0 hits.".to_string());
    impl_gate(g, &mut r);
    r.phase.rollback = "Revert the cleanup commit; the shims come back unused.".to_string();
    r.depends(&sk);
    d.phases.push(r);

    d.out(format!(
        "Adopting new features of {new} beyond what the switch needs."
    ));
    d.out("Upgrading other dependencies that are not required by the switch.");
    d.rule("Each phase leaves the project releasable on the version it ships with.");
}

fn is_manifest(p: &str) -> bool {
    let f = p.rsplit('/').next().unwrap_or(p);
    matches!(
        f,
        "Cargo.toml"
            | "pyproject.toml"
            | "package.json"
            | "go.mod"
            | "pom.xml"
            | "build.gradle"
            | "build.gradle.kts"
            | "Gemfile"
            | "requirements.txt"
            | "setup.py"
            | "composer.json"
    )
}

fn replacement(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let (old, new) = pair(
        &g.task,
        &[
            &format!(r"(?i)\breplac(?:e|es|ing)\s+(?P<a>.+?)\s+(?:with|by)\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\bswap\s+(?:out\s+)?(?P<a>.+?)\s+for\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\b(?:use|adopt)\s+(?P<b>.+?)\s+instead of\s+(?P<a>.+?){END}"),
            &format!(r"(?i)\bswitch\s+from\s+(?P<a>.+?)\s+to\s+(?P<b>.+?){END}"),
        ],
    )
    .unwrap_or_else(|| {
        (
            "the current implementation".into(),
            "the replacement".into(),
        )
    });
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let switch = format!("use_{}", snake(&new));
    // 01 seam
    let mut s = DPhase::new(
        &format!("seam-{key}"),
        Role::Core,
        format!("Put a seam around {old}"),
        format!(
            "Route every use of {old} through one interface so it can be swapped in one place."
        ),
        3,
    );
    s.step(format!(
        "List every use of {old}{} with file and line.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(" (start with {})", paths(&src_list))
        }
    ));
    s.step(format!("Define an interface covering exactly the operations those uses need, and an adapter that implements it with {old}."));
    if let Some((mp, parent)) = g.new_module_path(&format!("{}_port", g.stem)) {
        s.file(mp, FileAction::Create);
        if let Some(p) = parent {
            s.file(p, FileAction::Modify);
        }
    }
    for f in &src_list {
        s.step(format!(
            "Make `{f}` call the interface instead of {old} directly."
        ));
        s.file(f.clone(), FileAction::Modify);
    }
    s.criterion(format!("{} exits 0 with behaviour unchanged; a search shows 0 direct uses of {old} outside the adapter.", g.test_cmd()));
    impl_gate(g, &mut s);
    s.phase.rollback =
        "Revert the seam commits; callers return to using the old API directly.".to_string();
    let sk = s.key.clone();
    d.phases.push(s);

    // 02 implement new
    let mut n = DPhase::new(
        &format!("implement-{}", kebab(&new)),
        Role::Core,
        format!("Implement {new} behind the seam"),
        format!("Provide a second adapter backed by {new}, selected by the `{switch}` switch (default off)."),
        3,
    );
    n.step(format!(
        "Add {new} as a dependency, pinned to an exact version."
    ));
    n.step(format!("Write the {new} adapter for the interface; do not widen the interface for {new}-only features."));
    if let Some((mp, parent)) = g.new_module_path(&format!("{}_adapter", snake(&new))) {
        n.file(mp, FileAction::Create);
        if let Some(p) = parent {
            n.file(p, FileAction::Modify);
        }
    }
    n.criterion(format!(
        "Unit tests of the {new} adapter pass; {} exits 0 with `{switch}` off and on.",
        g.test_cmd()
    ));
    impl_gate(g, &mut n);
    n.phase.rollback = format!("Revert the adapter commit and remove {new} from the manifest; `{switch}` is off, so no user is affected.");
    n.depends(&sk);
    let nk = n.key.clone();
    d.phases.push(n);

    // 03 parity
    let mut p = DPhase::new(
        &format!("parity-{key}"),
        Role::Core,
        format!("Prove parity between {old} and {new}"),
        "Run the same contract tests against both adapters and compare them on real inputs."
            .to_string(),
        2,
    );
    p.step(
        "Write contract tests against the interface and run them against both adapters."
            .to_string(),
    );
    p.step(format!("Run {new} in shadow mode on real inputs, comparing its results with {old} and logging differences."));
    if let Some(tp) = test_path(g, "parity") {
        p.file(tp, FileAction::Create);
    }
    p.criterion("Both adapters pass 100% of the contract tests.".to_string());
    p.criterion("Shadow comparison shows less than 0.1% differing results over at least 1,000 real calls; every difference is explained.".to_string());
    impl_gate(g, &mut p);
    p.phase.rollback =
        "Turn shadow mode off; the contract tests stay as documentation of the interface."
            .to_string();
    p.depends(&nk);
    let pk = p.key.clone();
    d.phases.push(p);

    // 04 switch
    let mut w = DPhase::new(
        &format!("switch-to-{}", kebab(&new)),
        Role::Core,
        format!("Switch to {new}"),
        format!("Make {new} the default while {old} stays available for one release."),
        1,
    );
    w.step(format!(
        "Turn `{switch}` on by default; keep {old} selectable for one release."
    ));
    w.criterion("Error rate and p95 latency of the affected operations stay within 5% of the phase-00 baseline for 7 days after the switch.".to_string());
    impl_gate(g, &mut w);
    w.phase.rollback = format!("Turn `{switch}` off: every call goes back to {old} at once.");
    w.depends(&pk);
    let wk = w.key.clone();
    d.phases.push(w);

    // 05 remove old
    let mut r = DPhase::new(
        &format!("remove-{}", kebab(&old)),
        Role::Core,
        format!("Remove {old}"),
        format!("Delete the {old} adapter, the switch and the dependency."),
        1,
    );
    r.step(format!("Delete the {old} adapter and the `{switch}` switch; remove {old} from the manifest and the lock file."));
    r.criterion(format!(
        "A search for {old} returns 0 hits in the code and the manifest; {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut r);
    r.phase.rollback =
        format!("Revert the removal commit: the {old} adapter and the switch come back.");
    r.depends(&wk);
    d.phases.push(r);

    d.out(format!("New features of {new} beyond parity with {old}."));
    d.out("Replacing other uses of similar libraries that the task does not name.");
    d.rule(format!(
        "Until the switch phase, {old} stays the default and the switch defaults to off."
    ));
}

fn performance(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let target = if g.targets.is_empty() {
        "at least 20% better p95 latency than the baseline, with no other measured metric worse by more than 5%".to_string()
    } else {
        format!(
            "a measured improvement on the figure the task names ({}) — at least 20% better p95 than the baseline unless the task sets a stricter target — with no other measured metric worse by more than 5%",
            g.targets.join(", ")
        )
    };
    // 01 baseline benchmark
    let mut b = DPhase::new(
        &format!("baseline-{key}"),
        Role::Core,
        format!("Measure the baseline of {subject}"),
        "Write a reproducible benchmark and record today's numbers before changing any code."
            .to_string(),
        2,
    );
    let bench = bench_path(g);
    b.step(format!("Write a benchmark{} that exercises {subject} with fixed, production-shaped inputs and a fixed seed.", bench.as_ref().map(|p| format!(" in `{p}`")).unwrap_or_default()));
    if let Some(p) = &bench {
        b.file(p.clone(), FileAction::Create);
    }
    b.step("Run it 5 times on a quiet machine; record p50, p95, throughput and peak memory, with their spread, in evidence/.".to_string());
    b.criterion("Baseline p50, p95, throughput and peak memory are recorded from 5 runs, with a spread under 5% between runs.".to_string());
    impl_gate(g, &mut b);
    b.phase.rollback = "Revert the benchmark commit; production code is untouched.".to_string();
    let bk = b.key.clone();
    d.phases.push(b);

    // 02 profile
    let mut p = DPhase::new(
        &format!("profile-{key}"),
        Role::Core,
        "Find the hot path",
        "Locate where the time or memory actually goes, with a profile, before theorising."
            .to_string(),
        1,
    );
    p.step(format!("Profile the benchmark with {}.", g.lang.profiler()));
    p.step(format!(
        "Write the top 5 functions by self time (or allocation) into evidence/{}.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(", noting which are in {}", paths(&src_list))
        }
    ));
    p.step("Pick the change with the best expected gain per line changed; write down the expected gain.".to_string());
    p.criterion("The profile and the top-5 list are saved in evidence/, with the chosen hot path and its expected gain in percent.".to_string());
    p.gate(
        "check: 1 profile saved in evidence/ and the hot path chosen with its expected gain in %"
            .to_string(),
    );
    p.phase.rollback = "Nothing to roll back: profiling changes no file.".to_string();
    p.depends(&bk);
    let pk = p.key.clone();
    d.phases.push(p);

    // 03 optimize
    let mut o = DPhase::new(
        &format!("optimize-{key}"),
        Role::Core,
        format!(
            "Optimize the hot path{}",
            if src_list.is_empty() {
                String::new()
            } else {
                format!(" in {}", paths(&src_list[..1]))
            }
        ),
        "Remove the cost the profile found, one change at a time, behaviour unchanged.".to_string(),
        3,
    );
    for s in &src_list {
        o.file(s.clone(), FileAction::Modify);
    }
    o.step("Make one change at a time and re-run the benchmark after each; keep only changes that improve it.".to_string());
    o.step("Prefer removing work (redundant queries, copies, allocations, repeated parsing) over adding caches or new infrastructure.".to_string());
    for s in &g.services {
        if s.kind == "database" {
            o.step(format!("Check the {} query plans of the hot path (EXPLAIN) for sequential scans and N+1 patterns.", s.name));
        }
    }
    o.criterion(format!("{} exits 0 (behaviour unchanged) and each kept change improves the benchmark by at least 5%.", g.test_cmd()));
    service_steps(g, &mut o);
    impl_gate(g, &mut o);
    o.phase.rollback = "Revert the optimisation commits one by one; each was benchmarked separately, so any can go alone.".to_string();
    o.depends(&pk);
    let ok = o.key.clone();
    d.phases.push(o);

    // 04 verify
    let mut v = DPhase::new(
        &format!("verify-{key}"),
        Role::Core,
        "Verify against the baseline",
        "Show with the same benchmark, inputs and machine that the target is met.".to_string(),
        1,
    );
    v.step("Re-run the baseline benchmark 5 times under the same conditions and compare with the recorded baseline.".to_string());
    v.criterion(format!("The benchmark shows {target}."));
    impl_gate(g, &mut v);
    v.gate(
        "check: benchmark comparison with the recorded baseline (5 runs each) saved in evidence/"
            .to_string(),
    );
    v.phase.rollback = "If the target is missed, revert the optimisation commits and record the measurements for the next attempt.".to_string();
    v.depends(&ok);
    d.phases.push(v);

    let mut r = rollout_phase(g, &key);
    r.step("Watch the production p95 latency of the optimised path for 7 days and compare with the benchmark's prediction.".to_string());
    d.phases.push(r);

    d.out("Optimising code paths other than the one the profile selects.");
    d.out("New caching layers or infrastructure unless the profile proves nothing simpler works.");
    d.rule("No optimisation without a measurement before and after, on the same benchmark.");
}

fn bench_path(g: &Grounding) -> Option<String> {
    let stem = snake(&g.stem);
    let p = match g.lang {
        Lang::Rust => {
            let dir = g.source_dir();
            let segs: Vec<&str> = dir.split('/').collect();
            let krate = match segs.iter().position(|s| *s == "src") {
                Some(i) if i > 0 => format!("{}/", segs[..i].join("/")),
                _ => String::new(),
            };
            format!("{krate}benches/{stem}.rs")
        }
        Lang::Python => format!("benchmarks/bench_{stem}.py"),
        Lang::Go => {
            let dir = g.source_dir();
            format!(
                "{}{stem}_bench_test.go",
                if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                }
            )
        }
        Lang::TypeScript => format!("bench/{}.bench.ts", kebab(&stem)),
        Lang::JavaScript => format!("bench/{}.bench.js", kebab(&stem)),
        Lang::Java | Lang::Kotlin => format!(
            "src/jmh/java/{}Benchmark.java",
            super::ground::pascal(&stem)
        ),
        _ => return None,
    };
    Some(g.fresh(&p))
}

fn security_kind(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let src_list = g.sources.iter().take(3).cloned().collect::<Vec<_>>();
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    let doc = g.fresh(&format!("{}/security/{}.md", g.docs_dir(), kebab(&g.stem)));
    // 01 threat model
    let mut t = DPhase::new(
        &format!("security-threat-model-{key}"),
        Role::Security,
        format!("Threat model {subject}"),
        format!("Write down who can attack {subject}, through which entry points, and what they gain, before changing code."),
        2,
    );
    t.step(format!(
        "List the entry points{} and the assets behind them.",
        if src_list.is_empty() {
            String::new()
        } else {
            format!(" in {}", paths(&src_list))
        }
    ));
    t.step(format!("For {aspects}, write at least one concrete abuse case per entry point: attacker, input, expected refusal."));
    t.step("Rate each abuse case by impact and likelihood; the plan fixes every high one and lists the rest in out-of-scope.".to_string());
    t.file(doc.clone(), FileAction::Create);
    t.criterion(format!(
        "`{doc}` lists at least 1 abuse case per entry point, each with a rating."
    ));
    t.gate(format!(
        "check: threat model in `{doc}` reviewed by a second engineer"
    ));
    t.phase.rollback = format!("Delete `{doc}`; no code changed.");
    let tk = t.key.clone();
    d.phases.push(t);

    // 02 fix
    let mut f = DPhase::new(
        &format!("fix-{key}"),
        Role::Core,
        format!(
            "Close the holes in {}",
            if src_list.is_empty() {
                "the affected code".into()
            } else {
                paths(&src_list)
            }
        ),
        "Fix every high-rated abuse case at the boundary where untrusted data enters.".to_string(),
        3,
    );
    for s in &src_list {
        let why = g
            .reason_of(s)
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        f.step(format!(
            "Fix `{s}`{why}: validate and reject at the boundary, deny by default."
        ));
        f.file(s.clone(), FileAction::Modify);
    }
    f.step("Use the framework's vetted mechanisms (parameterised queries, output encoding, constant-time comparison, standard crypto); no home-made escaping or crypto.".to_string());
    f.step(
        "Make every refusal fail closed, with an error that does not leak internals.".to_string(),
    );
    for t in g.topics.iter().filter(|t| t.sensitive) {
        for s in t.design.iter().take(2) {
            f.step(format!("{s}."));
        }
    }
    let has_term = |ws: &[&str]| g.terms.iter().any(|t| ws.contains(&t.as_str()));
    if has_term(&["sql", "injection", "sqli"]) {
        f.step("Replace every query built by string concatenation or formatting in the touched files with parameterised queries or the query builder; search the diff for string-built SQL and leave 0.".to_string());
    }
    if has_term(&["xss", "html", "script"]) {
        f.step("Encode output for its context (HTML, attribute, URL, JavaScript) with the template engine's escaping; never insert user data as raw HTML.".to_string());
    }
    if has_term(&["csrf"]) {
        f.step("Require a per-session anti-CSRF token (or SameSite=strict cookies plus an Origin check) on every state-changing request.".to_string());
    }
    if has_term(&["traversal", "path"]) {
        f.step("Resolve every user-supplied path against the allowed base directory and refuse any result outside it (after canonicalisation).".to_string());
    }
    if has_term(&["ssrf"]) {
        f.step("Allow outgoing requests only to an allow-list of hosts; refuse private and link-local addresses after DNS resolution.".to_string());
    }
    f.criterion(format!("{} exits 0; every high-rated abuse case from the threat model is closed by a change in this phase (1 change per case, listed in the commit messages).", g.test_cmd()));
    service_steps(g, &mut f);
    impl_gate(g, &mut f);
    f.phase.rollback = "Revert the fix commits only together with a mitigation (WAF rule, feature disabled); never reopen a known hole silently.".to_string();
    f.depends(&tk);
    let fk = f.key.clone();
    d.phases.push(f);

    // 03 security tests
    let mut s = security_phase(g, d);
    s.depends(&fk);
    d.phases.push(s);

    // 04 rollout
    let mut r = rollout_phase(g, &key);
    if g.sensitive.contains(&"secrets and credentials") {
        r.step(format!("Rotate every secret that may have been exposed{} and invalidate sessions or tokens issued with it.", if g.env_vars.is_empty() { String::new() } else { format!(" ({})", g.env_vars.iter().map(|e| code(e)).collect::<Vec<_>>().join(", ")) }));
    }
    r.step("Tell the people who must know (security contact, affected users if data was exposed), following the project's disclosure policy.".to_string());
    d.phases.push(r);

    d.out("Hardening outside the threat model's entry points.");
    d.out("Replacing the authentication or framework stack.");
    d.rule("Never log secrets, tokens, passwords or session identifiers.");
}

/// The security phase: abuse cases and negative tests for the sensitive aspects.
pub fn security_phase(g: &Grounding, d: &Draft) -> DPhase {
    let key = k(g);
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    // The code this plan changes: modified sources first, else the code it creates.
    let mut src_list: Vec<String> = Vec::new();
    for action in [FileAction::Modify, FileAction::Create] {
        for p in &d.phases {
            for f in &p.phase.files {
                if f.action == action
                    && super::ground::is_code_path(&f.path)
                    && !super::ground::is_test_path(&f.path)
                    && !src_list.contains(&f.path)
                    && src_list.len() < 3
                {
                    src_list.push(f.path.clone());
                }
            }
        }
        if !src_list.is_empty() {
            break;
        }
    }
    let mut s = DPhase::new(
        &d.fresh_key(&format!("security-{key}")),
        Role::Security,
        format!("Security tests for {aspects}"),
        format!("Show the change opens no hole in {aspects}: every abuse case has a test that proves the request is refused."),
        2,
    );
    let tp = test_path(g, "security");
    s.step(format!(
        "Write the abuse cases for {aspects} around this change (who calls it, with what input, what they would gain) at the top of {}.",
        tp.as_ref().map(|p| format!("`{p}`")).unwrap_or_else(|| "the security test file".into())
    ));
    let on = if src_list.is_empty() {
        "the touched code".to_string()
    } else {
        paths(&src_list)
    };
    for a in &g.sensitive {
        let step = match *a {
            "authentication" if g.terms.iter().any(|t| matches!(t.as_str(), "login" | "signin" | "logon" | "password" | "passwords")) => format!(
                "Test that a failed login does not reveal whether the account exists (same message, similar timing), and that credentials never reach a log line, on every path touched in {on}."
            ),
            "authentication" => format!("Test that requests without credentials, or with expired or forged ones, are refused with 401 on every path touched in {on}."),
            "sessions" => "Test that session ids rotate on login, are invalidated server-side on logout, and that cookies carry Secure, HttpOnly and SameSite.".to_string(),
            "secrets and credentials" => format!(
                "Check that no password, token or secret{} is logged, returned in an error or committed: grep the diff and the test logs for the test secrets.",
                secret_envs(g)
            ),
            "authorization" => "Test that a caller without the permission gets 403 and that changing an id in the request cannot reach another user's data.".to_string(),
            "cryptography" => "Test that a tampered signature or ciphertext is rejected; use the platform's vetted primitives only.".to_string(),
            "file uploads" => "Test that oversize files, disallowed types and names containing `../` are refused before anything is stored.".to_string(),
            "abuse and brute force" => "Test that repeated failed attempts from one key are limited and that the limit cannot be bypassed by varying headers such as X-Forwarded-For unless the proxy is trusted.".to_string(),
            _ => format!("Test that malformed, oversized and injection-shaped input (SQL, HTML/script, shell metacharacters) is rejected or escaped at the boundary of {on}."),
        };
        s.step(step);
    }
    if let Some(l) = &g.lint {
        s.step(format!(
            "Run `{}` and fix every new warning in the touched files.",
            l.command
        ));
    }
    s.step(format!(
        "Run the dependency audit for {} ({}) on any package this plan adds.",
        g.lang.name(),
        audit_tool(g.lang)
    ));
    if let Some(tp) = &tp {
        s.file(tp.clone(), FileAction::Create);
        s.criterion(format!(
            "Every abuse case in `{tp}` has a test; {} exits 0 with all of them passing.",
            g.test_cmd()
        ));
    } else {
        s.criterion(format!(
            "Every abuse case has a passing negative test; {} exits 0.",
            g.test_cmd()
        ));
    }
    s.criterion("0 secrets or tokens appear in the test logs (a grep for the test secret values returns 0 hits).".to_string());
    for c in g.impl_gate() {
        s.gate(c);
    }
    s.gate("check: every abuse case listed maps to a passing negative test".to_string());
    s.phase.rollback = "Security tests are not rolled back on their own: if one fails, revert the change it guards (the implementation phase) instead.".to_string();
    s
}

/// The security gate of a research plan: every option assessed for the sensitive aspects the
/// task touches, written into the research document.
fn research_security_phase(g: &Grounding, d: &Draft) -> DPhase {
    let key = k(g);
    let aspects = prose_list(
        &g.sensitive
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        "untrusted input",
    );
    let doc = d
        .phases
        .iter()
        .flat_map(|p| p.phase.files.iter())
        .find(|f| f.path.ends_with(".md"))
        .map(|f| f.path.clone())
        .unwrap_or_else(|| format!("{}/research/{}.md", g.docs_dir(), kebab(&g.stem)));
    let mut s = DPhase::new(
        &d.fresh_key(&format!("security-assessment-{key}")),
        Role::Security,
        format!("Security assessment of each option for {aspects}"),
        format!("Know what each option changes for {aspects} before one is recommended."),
        1,
    );
    s.step(format!("For each option, write in `{doc}` how callers authenticate, how traffic is encrypted in transit, where secrets live and how they rotate."));
    s.step(format!("List the attack surface each option adds or removes for {aspects}, and the mitigations it needs."));
    if !g.sources.is_empty() {
        s.step(format!("Check how {} would change under each option, and what would need a security review in the follow-up.", g.sources_prose(2, "the touched code")));
    }
    s.step("Rule out any option that would need a protection switched off to work.".to_string());
    s.criterion(format!("`{doc}` has a security section with 1 entry per option covering authentication, transport encryption and secrets."));
    s.gate(format!("check: the security section of `{doc}` covers 100% of the options and was reviewed by a second engineer"));
    s.phase.rollback = format!("Revert the security section of `{doc}`; no code changed.");
    s
}

fn secret_envs(g: &Grounding) -> String {
    let secrets: Vec<String> = g
        .env_vars
        .iter()
        .filter(|v| {
            let l = v.to_lowercase();
            ["secret", "key", "token", "password", "jwt", "session"]
                .iter()
                .any(|w| l.contains(w))
        })
        .map(|v| code(v))
        .collect();
    if secrets.is_empty() {
        String::new()
    } else {
        format!(" ({})", secrets.join(", "))
    }
}

fn audit_tool(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "`cargo audit`",
        Lang::Python => "`pip-audit`",
        Lang::Go => "`govulncheck`",
        Lang::TypeScript | Lang::JavaScript => "`npm audit`",
        Lang::Java | Lang::Kotlin => "OWASP dependency-check",
        Lang::Ruby => "`bundler-audit`",
        Lang::CSharp => "`dotnet list package --vulnerable`",
        Lang::Php => "`composer audit`",
        Lang::Other => "the ecosystem's advisory database",
    }
}

fn research(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let options = pair(
        &g.task,
        &[
            &format!(
                r"(?i)\bcompar(?:e|ing)\s+(?P<a>.+?)\s+(?:and|with|to|vs\.?|versus)\s+(?P<b>.+?){END}"
            ),
            &format!(r"(?i)\bbetween\s+(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"),
            &format!(r"(?i)\b(?P<a>\S+)\s+(?:vs\.?|versus)\s+(?P<b>.+?){END}"),
        ],
    );
    let opts = options
        .as_ref()
        .map(|(a, b)| format!("{a} and {b}"))
        .unwrap_or_else(|| {
            "the candidate approaches (at least 2, including doing nothing)".to_string()
        });
    let doc = g.fresh(&format!("{}/research/{}.md", g.docs_dir(), kebab(&g.stem)));
    let spike_branch = format!("spike/{}", kebab(&g.stem));
    // 01 questions
    let mut q = DPhase::new(
        &format!("questions-{key}"),
        Role::Core,
        "Frame the questions and decision criteria",
        format!("Say what must be learned about {subject} and how the options will be judged, before any experiment."),
        1,
    );
    q.step(format!(
        "Write the questions to answer and the options to compare — {opts} — into `{doc}`."
    ));
    q.step("Write weighted decision criteria (for example latency, operational cost, team familiarity, migration effort), each with how it will be measured.".to_string());
    q.step(format!(
        "Record the constraints from the repository: {}",
        g.repo_summary()
    ));
    q.file(doc.clone(), FileAction::Create);
    q.criterion(format!("`{doc}` lists at least 2 options and at least 3 weighted criteria, each with a measurement method."));
    q.gate(format!(
        "check: questions and criteria in `{doc}` agreed with the requester"
    ));
    q.phase.rollback = format!("Delete `{doc}`; nothing else changed.");
    let qk = q.key.clone();
    d.phases.push(q);

    // 02 spike
    let mut s = DPhase::new(
        &format!("spike-{key}"),
        Role::Core,
        "Time-boxed spike",
        format!("Build the smallest prototype of each option that can answer the questions, on a throwaway branch `{spike_branch}`."),
        4,
    );
    s.step(format!("Time-box the spike to 3 days; on branch `{spike_branch}`, prototype each option against the same scenario{}.", if g.sources.is_empty() { String::new() } else { format!(" touching {}", paths(&g.sources.iter().take(2).cloned().collect::<Vec<_>>())) }));
    s.step("Measure every criterion that can be measured; write down how each number was obtained so it can be reproduced.".to_string());
    for n in &g.new_services {
        s.step(format!(
            "Run {} locally (container) for the spike only; it is not provisioned anywhere else.",
            n.name
        ));
    }
    s.criterion("100% of the options have a measured value for every measurable criterion, recorded with its command or script.".to_string());
    s.gate(
        "check: 100% of the spike measurements recorded; 0 commits of the spike branch merged"
            .to_string(),
    );
    s.phase.rollback = format!("Delete the branch `{spike_branch}`; nothing was merged.");
    s.depends(&qk);
    let sk = s.key.clone();
    d.phases.push(s);

    // 03 evaluate
    let mut e = DPhase::new(
        &format!("evaluate-{key}"),
        Role::Core,
        "Evaluate the options against the criteria",
        "Score every option on every criterion from the spike's measurements.".to_string(),
        1,
    );
    e.step(format!("Fill a scoring table in `{doc}`: options × criteria, with the measured numbers and the weighted total."));
    e.step("List the risks and unknowns the spike could not resolve, with what it would take to resolve them.".to_string());
    e.criterion("The scoring table has a value in 100% of its cells, or an explicit 'unknown' with the reason.".to_string());
    e.gate("check: the scoring table has a value in 100% of its cells".to_string());
    e.phase.rollback = "Revert the evaluation edits to the research document.".to_string();
    e.depends(&sk);
    let ek = e.key.clone();
    d.phases.push(e);

    // 04 recommendation
    let mut r = DPhase::new(
        &format!("recommend-{key}"),
        Role::Core,
        "Written recommendation",
        "Recommend one option with its reasons, and outline the implementation plan that would follow.".to_string(),
        1,
    );
    r.step(format!("Write the recommendation, the rejected options with the reason for each, and a follow-up task for the implementation at the end of `{doc}`."));
    r.step(
        "Present it to the people who will own the result and record their decision.".to_string(),
    );
    r.criterion("The recommendation names 1 option, cites at least 2 measured criteria for it, and the decision is recorded.".to_string());
    r.gate(
        "check: 1 recommendation reviewed and the decision recorded in the research document"
            .to_string(),
    );
    r.phase.rollback = "Mark the recommendation as withdrawn in the document; no production change exists to undo.".to_string();
    r.depends(&ek);
    d.phases.push(r);

    d.out("Any production change: the spike code is thrown away and the implementation is a separate task.");
    d.out("Provisioning any candidate service beyond a local container.");
    d.rule("No production code changes: only documents are merged; the follow-up implementation starts behind a feature flag, default off.");
}

fn greenfield(g: &Grounding, d: &mut Draft) {
    let skip = [
        "build",
        "create",
        "new",
        "service",
        "scratch",
        "tool",
        "app",
        "application",
        "system",
        "engine",
        "platform",
        "library",
        "project",
        "server",
        "cli",
        "command",
        "line",
        "design",
        "write",
        "own",
        "inspired",
        "want",
        "code",
        "simple",
        "small",
        "basic",
    ];
    let name_stem = if g.topics.is_empty() {
        let ts: Vec<&String> = g
            .terms
            .iter()
            .filter(|t| !skip.contains(&t.as_str()) && t.chars().all(|c| c.is_ascii_alphanumeric()))
            .take(2)
            .collect();
        if ts.is_empty() {
            g.stem.clone()
        } else {
            ts.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("_")
        }
    } else {
        g.stem.clone()
    };
    let name = kebab(&name_stem);
    let (scaffold_files, manifest_edit) = scaffold_files(g, &name_stem);
    let key = name.clone();
    // 01 scaffold
    let mut s = DPhase::new(
        &format!("scaffold-{key}"),
        Role::Core,
        format!("Scaffold `{name}` inside the repository"),
        format!("Create the skeleton of {} in the repository's layout and wire it into the existing build.", g.subject),
        2,
    );
    s.step(format!(
        "Create the skeleton following {} conventions: {}.",
        g.lang.name(),
        paths(&scaffold_files)
    ));
    for f in &scaffold_files {
        s.file(f.clone(), FileAction::Create);
    }
    if let Some(m) = &manifest_edit {
        s.step(format!(
            "Register the new component in `{m}` so {} builds it.",
            g.build_cmd()
        ));
        s.file(m.clone(), FileAction::Modify);
    }
    s.step("Add one trivial test so the test command exercises the new component from the first commit.".to_string());
    s.criterion(format!(
        "{} and {} exit 0 with the new component included (test count = baseline + 1).",
        g.build_cmd(),
        g.test_cmd()
    ));
    impl_gate(g, &mut s);
    s.phase.rollback = format!("Delete the `{name}` skeleton and revert the manifest change.");
    let sk = s.key.clone();
    d.phases.push(s);

    // 02 core
    let mut c = DPhase::new(
        &format!("core-{key}"),
        Role::Core,
        "Implement the core logic",
        format!(
            "Implement the domain logic of {} with unit tests, independent of I/O.",
            g.subject
        ),
        6,
    );
    c.step("Write the core types and operations with no network, disk or database access, so they are unit-testable.".to_string());
    for t in &g.topics {
        for x in t.design {
            c.step(format!("{x}."));
        }
    }
    c.step("Unit-test every operation, including its error cases.".to_string());
    c.criterion(format!(
        "Unit tests cover every public operation (at least 1 test each); {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut c);
    c.phase.rollback = "Revert the core commits; the scaffold stays and still builds.".to_string();
    c.depends(&sk);
    let ck = c.key.clone();
    d.phases.push(c);

    // 03 interface
    let mut i = DPhase::new(
        &format!("interface-{key}"),
        Role::Core,
        "Expose the entry point",
        "Connect the core to its callers (CLI, HTTP or API) and to its configuration.".to_string(),
        4,
    );
    i.step("Add the entry point (command, route or public API) and map core errors to clear, documented responses.".to_string());
    i.step(
        "Ship the entry point disabled by default (opt-in) until the integration tests pass in CI."
            .to_string(),
    );
    i.step("Read configuration from environment variables with validated, fail-safe defaults; refuse to start on invalid configuration.".to_string());
    for s in &g.services {
        i.step(format!(
            "Connect to {} ({}){}.",
            s.name,
            s.source,
            s.env
                .first()
                .map(|e| format!(" through `{e}`"))
                .unwrap_or_default()
        ));
    }
    i.criterion("Starting with a missing required setting exits non-zero with a message naming it; a valid start responds to 1 smoke request.".to_string());
    impl_gate(g, &mut i);
    i.phase.rollback = "Revert the entry-point commits; the core library stays unused.".to_string();
    i.depends(&ck);
    let ik = i.key.clone();
    d.phases.push(i);

    // 04 integration tests
    let mut t = DPhase::new(
        &format!("integration-tests-{key}"),
        Role::Core,
        "Integration tests end to end",
        "Exercise the component through its entry point with its real dependencies.".to_string(),
        3,
    );
    if let Some(tp) = g.new_test_path(&format!("{name_stem}_integration")) {
        t.file(tp.clone(), FileAction::Create);
        t.step(format!(
            "Write end-to-end tests in `{tp}` through the entry point."
        ));
    }
    for e in g.topics.iter().flat_map(|t| t.edge_cases.iter()) {
        t.step(format!("Add a test: {e}."));
    }
    for s in g.services.iter() {
        t.step(format!(
            "Run the integration tests against a real {} started from {}.",
            s.name, s.source
        ));
    }
    t.criterion(format!(
        "The end-to-end tests pass three runs in a row: {} exits 0.",
        g.test_cmd()
    ));
    impl_gate(g, &mut t);
    t.phase.rollback =
        "Revert the integration-test commit; the component is unchanged.".to_string();
    t.depends(&ik);
    d.phases.push(t);

    // 05 ops
    let mut o = DPhase::new(
        &format!("ops-{key}"),
        Role::Closing,
        "Operate it: CI, docs, health",
        "Make the component buildable in CI, documented and observable.".to_string(),
        2,
    );
    if let Some(ci) = g.ci.first() {
        o.step(format!("Add the component's build and tests to `{ci}`."));
        o.file(ci.clone(), FileAction::Modify);
    } else {
        o.step("Document how CI should build and test the component (the probe found no CI configuration).".to_string());
    }
    o.step(format!("Write a README for `{name}`: what it does, how to run it, every configuration variable with its default."));
    o.step("Expose a health check and log start-up configuration (without secrets).".to_string());
    o.criterion("CI runs the component's tests on every push (1 job green), and the README lists 100% of the configuration variables.".to_string());
    if let Some(b) = &g.build {
        o.gate(b.command.clone());
    }
    o.gate(
        "check: the README lists 100% of the configuration variables and 1 CI job is green"
            .to_string(),
    );
    o.phase.rollback = "Revert the CI and docs commits.".to_string();
    d.phases.push(o);

    for t in &g.topics {
        for x in t.out_of_scope {
            d.out(*x);
        }
    }
    d.out("Horizontal scaling, multi-region deployment and a web UI unless the task names them.");
    d.rule("The new component builds and tests with the project's existing commands; no second toolchain.");
}

/// Files of a new component's skeleton, and the existing manifest that must register it.
fn scaffold_files(g: &Grounding, stem: &str) -> (Vec<String>, Option<String>) {
    let name = kebab(stem);
    let sn = snake(stem);
    let (files, manifest): (Vec<String>, Option<&str>) = match g.lang {
        Lang::Rust => (
            vec![format!("{name}/Cargo.toml"), format!("{name}/src/lib.rs")],
            Some("Cargo.toml"),
        ),
        Lang::Python => (
            vec![format!("{sn}/__init__.py"), format!("{sn}/core.py")],
            Some("pyproject.toml"),
        ),
        Lang::Go => (
            vec![
                format!("internal/{sn}/{sn}.go"),
                format!("cmd/{name}/main.go"),
            ],
            None,
        ),
        Lang::TypeScript => {
            if g.is_dir("packages") {
                (
                    vec![
                        format!("packages/{name}/package.json"),
                        format!("packages/{name}/src/index.ts"),
                    ],
                    Some("package.json"),
                )
            } else {
                (vec![format!("src/{name}/index.ts")], None)
            }
        }
        Lang::JavaScript => {
            if g.is_dir("packages") {
                (
                    vec![
                        format!("packages/{name}/package.json"),
                        format!("packages/{name}/src/index.js"),
                    ],
                    Some("package.json"),
                )
            } else {
                (vec![format!("src/{name}/index.js")], None)
            }
        }
        Lang::Java => (
            vec![format!(
                "src/main/java/{sn}/{}.java",
                super::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Kotlin => (
            vec![format!(
                "src/main/kotlin/{sn}/{}.kt",
                super::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Ruby => (vec![format!("lib/{sn}.rb")], None),
        Lang::CSharp => (
            vec![format!(
                "src/{}/{}.cs",
                super::ground::pascal(stem),
                super::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Php => (
            vec![format!("src/{}.php", super::ground::pascal(stem))],
            None,
        ),
        Lang::Other => (vec![format!("{name}/README.md")], None),
    };
    let files = files.into_iter().map(|f| g.fresh(&f)).collect();
    (
        files,
        manifest.filter(|m| g.exists(m)).map(|m| m.to_string()),
    )
}

/// Provisioning of services the task names that the probe did not find.
fn new_services(g: &Grounding, d: &mut Draft) {
    if g.new_services.is_empty() || g.kind == TaskKind::Research {
        return;
    }
    let names = prose_list(
        &g.new_services
            .iter()
            .map(|n| n.name.to_string())
            .collect::<Vec<_>>(),
        "",
    );
    let mut p = DPhase::new(
        &format!("provision-{}", kebab(&g.new_services.iter().map(|n| n.name).collect::<Vec<_>>().join("-"))),
        Role::Core,
        format!("Provision {names} (new service)"),
        format!("Make {names} available in every environment before any code depends on it: the probe found no such service in the repository."),
        2,
    );
    let compose = g.services_file();
    for n in &g.new_services {
        match &compose {
            Some(c) => {
                p.step(format!("Add a {} service ({}) to `{c}` for local development and tests, with a pinned image version and a health check.", n.name, n.kind));
                p.file(c.clone(), FileAction::Modify);
            }
            None => {
                p.step(format!("Provide a {} instance ({}) for local development and tests (container with a pinned version and a health check), and document how to start it.", n.name, n.kind));
            }
        }
        p.step(format!("Introduce `{}` as the only way the code finds {}; fail at start-up with a clear message when it is missing.", n.env, n.name));
        p.step(format!("Provision {} in staging and production (managed service or cluster), with persistence and memory limits chosen for this use, and credentials in the secret store.", n.name));
        p.criterion(format!("A connection check to {} through `{}` succeeds in local, CI and staging (3 environments), recorded in evidence/.", n.name, n.env));
    }
    if let Some(ci) = g.ci.first() {
        p.step(format!(
            "Start the new service in CI (`{ci}`) so the tests run against it."
        ));
        p.file(ci.clone(), FileAction::Modify);
    }
    if let Some(b) = &g.build {
        p.gate(b.command.clone());
    }
    p.gate(format!(
        "check: {names} reachable through {} in local, CI and staging",
        g.new_services
            .iter()
            .map(|n| format!("`{}`", n.env))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    p.phase.rollback = format!(
        "Remove the {names} service definitions; no code uses them yet, so nothing else changes."
    );
    // Right after preflight: everything else may depend on it.
    d.insert(1, p);
    let pk = d.phases[1].key.clone();
    let first_core = d.phases.get(2).map(|x| x.key.clone());
    if let Some(fc) = first_core {
        if let Some(x) = d.get_mut(&fc) {
            x.depends(&pk);
        }
    }
    for n in &g.new_services {
        d.rule(format!(
            "{} is a new service: no phase may rely on it before the provisioning phase is done.",
            n.name
        ));
    }
}

/// Dependencies: every probe service (touched ones with why), new services, env vars,
/// permissions justified by the task.
fn dependencies(g: &Grounding, d: &mut Draft) {
    if d.phases.iter().any(|p| p.role == Role::Closing) && g.kind != TaskKind::Research {
        d.permission("Deploy rights to staging and production for the release phase (granted by the release owner)".to_string());
    }
    for s in &g.services {
        d.service(format!(
            "{} ({}, declared in {}; touched: {})",
            s.name, s.kind, s.source, s.why
        ));
    }
    for n in &g.source_services {
        d.service(format!(
            "{} ({}, the source the task names; not found by the probe — confirm where it runs and how the plan reaches it)",
            n.name, n.kind
        ));
    }
    for s in &g.untouched {
        d.service(format!(
            "{} ({}, declared in {}; needed to run the application, not changed by this plan)",
            s.name, s.kind, s.source
        ));
    }
    if g.kind != TaskKind::Research {
        for n in &g.new_services {
            d.service(format!(
                "{} ({}, NEW: not found by the probe; provisioned by this plan)",
                n.name, n.kind
            ));
            d.env(n.env);
        }
    } else {
        for n in &g.new_services {
            d.service(format!("{} ({}, candidate evaluated in the spike only; not found by the probe, not provisioned)", n.name, n.kind));
        }
    }
    for v in &g.env_vars {
        d.env(v);
    }
    for s in &g.services {
        for v in &s.env {
            d.env(v);
        }
    }
    let db = g.services.iter().find(|s| s.kind == "database");
    if g.kind == TaskKind::Migration && is_data_migration(g) {
        let kv_target = g.new_services.iter().any(|n| n.kind == "cache")
            || from_to(&g.task)
                .1
                .split(|c: char| !c.is_alphanumeric())
                .filter_map(super::ground::known_service)
                .any(|k| k.1 == "cache");
        match db {
            Some(s) if !kv_target => d.permission(format!(
                "A database role allowed to run DDL (CREATE/ALTER/DROP) on {} in every environment, for the expand and contract phases",
                s.name
            )),
            _ => d.permission("Write access to the old and the new store in every environment, for the dual-write and backfill phases".to_string()),
        };
    }
    if !g.new_services.is_empty() && g.kind != TaskKind::Research {
        d.permission(format!(
            "Permission to provision {} in staging and production and to add its credentials to the secret store",
            prose_list(&g.new_services.iter().map(|n| n.name.to_string()).collect::<Vec<_>>(), "")
        ));
    }
    if g.kind == TaskKind::Security && g.sensitive.contains(&"secrets and credentials") {
        d.permission("Access to the secret store to rotate the exposed secrets".to_string());
    }
}

fn common_rules(g: &Grounding, d: &mut Draft) {
    d.rule("Every phase ends with its gate green; a red gate stops the plan until it is fixed or the phase is rolled back.");
    let cmds: Vec<String> = [&g.build, &g.test, &g.lint]
        .iter()
        .filter_map(|c| c.as_ref().map(|c| format!("`{}`", c.command)))
        .collect();
    if !cmds.is_empty() {
        d.rule(format!(
            "Gates run only the commands the project declares ({}); no ad-hoc scripts as evidence.",
            cmds.join(", ")
        ));
    }
    if g.is_sensitive() {
        d.rule("Never log secrets, tokens, passwords or session identifiers.");
    }
    for s in &g.untouched {
        d.out(format!(
            "Changes to {} ({}): the task does not touch it.",
            s.name, s.kind
        ));
    }
}

/// Thesis: why this shape, grounded in the probe.
fn thesis(g: &Grounding, d: &Draft) -> Vec<String> {
    let mut t = vec![g.repo_summary()];
    if !g.sources.is_empty() {
        let top: Vec<String> = g
            .sources
            .iter()
            .take(3)
            .map(|s| match g.reason_of(s) {
                Some(r) if !r.is_empty() => format!("`{s}` ({r})"),
                _ => format!("`{s}`"),
            })
            .collect();
        t.push(format!("The probe ranks {} as the files the task touches, so they are the plan's modify targets.", prose_list(&top, "")));
    } else {
        t.push("The probe found no existing file relevant to the task, so the plan creates new files in the repository's layout.".to_string());
    }
    t.push(match g.kind {
        TaskKind::Feature => "As a feature, it fixes the contract in acceptance tests first, implements against them, then covers edge cases before rolling out.".to_string(),
        TaskKind::Bugfix => "As a bugfix, it reproduces the bug with a failing test before touching code, fixes the root cause, then widens coverage around it.".to_string(),
        TaskKind::Refactor => "As a refactor, it pins today's behaviour with characterization tests, builds the new structure beside the old, moves callers, and only then removes the old path.".to_string(),
        TaskKind::Migration => if is_data_migration(g) {
            "As a data migration, it follows expand, dual-write, backfill, cutover and contract so every step before the last stays reversible.".to_string()
        } else {
            "As a platform migration, it inventories incompatibilities, makes the code work on both versions, switches, and then removes the compatibility code.".to_string()
        },
        TaskKind::Replacement => "As a replacement, it puts a seam around the old implementation, proves parity of the new one behind a switch, and removes the old one last.".to_string(),
        TaskKind::Performance => "As performance work, it measures a baseline and profiles before changing code, and verifies the gain with the same benchmark.".to_string(),
        TaskKind::Security => "As security work, it writes the threat model first, closes each high-rated abuse case, and proves each with a negative test.".to_string(),
        TaskKind::Research => "As research, it frames questions and criteria, runs a time-boxed spike on a throwaway branch, and ends in a written recommendation with no production change.".to_string(),
        TaskKind::Greenfield => "As greenfield work inside an existing repository, it scaffolds the component into the existing build first, then grows core, entry point, tests and operations.".to_string(),
    });
    if d.phases.iter().any(|p| p.role == Role::Security) && g.kind != TaskKind::Security {
        t.push(format!(
            "The task touches {}, so a security phase with negative tests gates the release.",
            prose_list(
                &g.sensitive
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                ""
            )
        ));
    }
    if !g.new_services.is_empty() && g.kind != TaskKind::Research {
        t.push(format!(
            "The task needs {}, which the probe did not find, so the plan provisions it first.",
            prose_list(
                &g.new_services
                    .iter()
                    .map(|n| n.name.to_string())
                    .collect::<Vec<_>>(),
                ""
            )
        ));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_parsed() {
        assert_eq!(
            pair(
                "Rewrite the auth middleware to unify OIDC and legacy JWT",
                &[&format!(
                    r"(?i)\bunif(?:y|ies|ying)\s+(?:the\s+)?(?P<a>.+?)\s+and\s+(?P<b>.+?){END}"
                )]
            ),
            Some(("OIDC".to_string(), "legacy JWT".to_string()))
        );
        assert_eq!(
            from_to("Migrate the orders table from MySQL to PostgreSQL"),
            ("MySQL".to_string(), "PostgreSQL".to_string())
        );
        assert_eq!(from_to("Move session storage to Redis").1, "Redis");
    }
}

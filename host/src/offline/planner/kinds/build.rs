//! Shapes that build something: feature (contract → implement → edge cases → rollout),
//! bugfix (reproduce → fix → regression coverage → release) and greenfield (scaffold → core →
//! interface → integration tests → ops), with the implementation, edge-case and rollout phases
//! they share.
use super::*;

pub(super) fn feature(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let tl = tests_label(g);
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
    c.step(format!("Write acceptance tests in {tl} for the happy path and every error case of the contract; mark them {marker} so {} stays green until the implementation phase.", g.test_cmd()));
    test_file(&mut c, g);
    c.criterion(format!("{} gains at least 3 acceptance tests (happy path plus each error case), all marked expected-to-fail for the reason 'not implemented'.", cap_first(&tl)));
    if !g.sources.is_empty() {
        c.step(format!("List every caller of the public functions in {} that the change affects, so none is missed in the implementation phase.", paths(&g.sources.iter().take(3).cloned().collect::<Vec<_>>())));
    }
    impl_gate(g, &mut c);
    if let Some(t) = &g.test {
        c.criterion(format!("`{}` still exits 0: the new tests run as expected failures, the phase-00 count passes.", t.command));
    }
    c.phase.rollback = format!(
        "Revert the commit that adds the acceptance tests to {tl}; no production code changed in this phase."
    );
    // 02 implement
    let mut i = implement_phase(g, &key);
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
        steps.push(format!("Write the acceptance tests in {tl} first (happy path and each error case); they fail until the change below is in."));
        test_file(&mut i, g);
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
    if let Some(r) = rollout_phase(g, &key) {
        d.phases.push(r);
    }

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
pub(super) fn implement_phase(g: &Grounding, key: &str) -> DPhase {
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
    // A new module: the one the task names; else, without the index, one for a topic that
    // lives in its own module; or when no existing file is known. With the index, the change
    // goes into the files it resolved (fewer, right files).
    let named_module = g
        .focus
        .create
        .iter()
        .any(|p| super::super::paths::is_code_path(p));
    if named_module
        || (module_topic.is_some() && !g.minimal && !g.focus.indexed)
        || src_list.is_empty()
    {
        if let Some((mp, parent)) = g.module_to_create(&g.stem) {
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
            .map(|r| {
                let by = if g.focus.indexed {
                    "code index"
                } else {
                    "probe"
                };
                format!(" ({by}: {r})")
            })
            .unwrap_or_default();
        if n == 0 && module_path.is_some() {
            i.step(format!("Change `{s}`{why}: call the new code from the point where the request or call is handled, before any side effect."));
        } else if n == 0 {
            i.step(format!("Change `{s}`{why}: put the new code beside the definitions it extends, keeping existing public signatures backwards compatible."));
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
                    .connection_env()
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
    if g.deployable.is_some() || speaks_of_settings(&g.task) {
        i.step("Read every new setting from the project's existing configuration with a fail-safe default; no constant in the handler.".to_string());
    }
    let tl = tests_label(g);
    i.step(format!(
        "Remove the expected-failure markers from the acceptance tests in {tl}: every one now passes."
    ));
    i.criterion(format!(
        "All acceptance tests in {tl} pass: {} exits 0 with 0 failures.",
        g.test_cmd()
    ));
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
            "; {} {} to {} phase-00 state",
            paths(&src_list),
            if src_list.len() == 1 {
                "returns"
            } else {
                "return"
            },
            if src_list.len() == 1 { "its" } else { "their" }
        ));
    }
    rb.push_str("; the acceptance tests go back to expected failures.");
    i.phase.rollback = rb;
    i
}

/// Topics whose implementation keeps state of its own in a store (as opposed to reading data).
pub(super) const STATEFUL_TOPICS: &[&str] = &[
    "rate_limit",
    "cache",
    "session",
    "upload",
    "background_jobs",
    "notifications",
    "webhooks",
];

/// `true` when the task speaks of something configurable (a setting, an option, a limit, an
/// environment variable, a timeout…): only then, or for a deployable service, does the
/// implement phase ask for settings read from the configuration.
fn speaks_of_settings(task: &str) -> bool {
    const WORDS: [&str; 12] = [
        "config",
        "configurable",
        "configuration",
        "setting",
        "settings",
        "option",
        "options",
        "env",
        "environment",
        "timeout",
        "limit",
        "threshold",
    ];
    task.split(|c: char| !c.is_alphanumeric())
        .any(|w| WORDS.contains(&w.to_lowercase().as_str()))
}

/// The code an edge-case or boundary test exercises, as step text: the first two of the
/// definitions the plan changes and the names it creates — created first when `new_first` (a
/// feature tests what it adds), changed first otherwise (a bug fix tests what it fixes):
/// `` `from_str` ``, `` `from_str` and `parse` ``; empty when the focus has neither.
fn tested_names(g: &Grounding, new_first: bool) -> String {
    let changed = g
        .focus
        .changes
        .iter()
        .map(|c| format!("`{}`", c.symbol.name));
    let created = g.focus.new_names.iter().map(|n| format!("`{}`", n.name));
    let mut names: Vec<String> = if new_first {
        created.chain(changed).collect()
    } else {
        changed.chain(created).collect()
    };
    names.dedup();
    names.truncate(2);
    names.join(" and ")
}

pub(super) fn edge_phase(g: &Grounding, key: &str) -> DPhase {
    let subject = &g.subject;
    let mut e = DPhase::new(
        &format!("edge-cases-{key}"),
        Role::Core,
        "Cover edge cases and failure paths",
        format!("Prove {subject} behaves on its boundaries and when its dependencies fail, not only on the happy path."),
        2,
    );
    let tl = tests_label(g);
    let mut n = 0;
    for t in &g.topics {
        for c in t.edge_cases {
            e.step(format!("Add a test: {c}."));
            n += 1;
        }
    }
    if n == 0 {
        let of = tested_names(g, true);
        let what = if of.is_empty() {
            "the new code path".to_string()
        } else {
            of
        };
        e.step(format!(
            "Add tests to {tl} for empty, maximal and malformed inputs to {what}."
        ));
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
    test_file(&mut e, g);
    e.criterion(format!("{} gains at least {n} edge-case tests, one per case listed, and {} exits 0 three runs in a row.", cap_first(&tl), g.test_cmd()));
    impl_gate(g, &mut e);
    e.phase.rollback = "Revert the commit that adds the edge-case tests; production code is unaffected by this phase.".to_string();
    e
}

/// The closing phase: for a deployable repository ([`Grounding::deployable`]) "Document and
/// roll out" (docs, CI, a staged rollout watched against the week before); for a library, a
/// command-line tool or a script, "Document the change" in the project's README and changelog
/// when it has them — it is released, not deployed — and no closing phase at all when it has
/// neither.
pub(super) fn rollout_phase(g: &Grounding, key: &str) -> Option<DPhase> {
    if g.deployable.is_none() {
        return document_phase(g, key);
    }
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
    doc_steps(g, &mut r);
    if g.doc_files().is_empty() {
        r.step("Document the new behaviour and every new configuration key with its default where the project documents its settings.".to_string());
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
    Some(r)
}

/// One step and one file per documentation file the project has: an entry in the changelog,
/// the new behaviour in the README, naming what the change touches.
fn doc_steps(g: &Grounding, r: &mut DPhase) {
    let what = g.code_prose(2, &g.subject);
    for f in &g.doc_files() {
        let lower = f.to_lowercase();
        if lower.contains("changelog") || lower.contains("changes") || lower.contains("history") {
            r.step(format!("Add an entry to `{f}` for {what}."));
        } else {
            r.step(format!(
                "Describe the new behaviour of {what} in `{f}`, with an example."
            ));
        }
        r.file(f.clone(), FileAction::Modify);
    }
}

/// The closing phase of a repository that is not deployed: the change documented in its README
/// and changelog; `None` when it has neither.
fn document_phase(g: &Grounding, key: &str) -> Option<DPhase> {
    let docs = g.doc_files();
    if docs.is_empty() {
        return None;
    }
    let mut r = DPhase::new(
        &format!("document-{key}"),
        Role::Closing,
        "Document the change",
        format!(
            "Say in the project's own documentation what {} changes for its users.",
            g.subject
        ),
        1,
    );
    doc_steps(g, &mut r);
    r.criterion(format!(
        "{} names the change in 1 entry each; {} exits 0.",
        docs.iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(" and "),
        g.test_cmd()
    ));
    for c in g.impl_gate() {
        r.gate(c);
    }
    r.phase.rollback = format!(
        "Revert the documentation commit (`git revert`); {} return to their previous text and no code changes.",
        docs.iter().map(|d| format!("`{d}`")).collect::<Vec<_>>().join(" and ")
    );
    Some(r)
}

/// The closing phase of a bugfix: for a deployable repository, ship through a staged rollout
/// and confirm the symptom is gone from the logs; otherwise an entry in the changelog when the
/// project keeps one, and no closing phase when it does not.
fn bugfix_release(g: &Grounding, key: &str) -> Option<DPhase> {
    let changelogs: Vec<String> = g
        .doc_files()
        .into_iter()
        .filter(|f| f.to_lowercase().contains("change") || f.to_lowercase().contains("history"))
        .collect();
    if g.deployable.is_none() && changelogs.is_empty() {
        return None;
    }
    let mut rel = DPhase::new(
        &format!("release-{key}"),
        Role::Closing,
        if g.deployable.is_some() {
            "Release and confirm the fix"
        } else {
            "Record the fix in the changelog"
        },
        if g.deployable.is_some() {
            "Ship the fix and confirm the symptom is gone where it was reported.".to_string()
        } else {
            "Tell the project's users which symptom the fix removes.".to_string()
        },
        1,
    );
    for f in &changelogs {
        rel.step(format!(
            "Add an entry to `{f}` naming the symptom that is fixed and {}.",
            g.code_prose(2, "the code it changed")
        ));
        rel.file(f.clone(), FileAction::Modify);
    }
    if g.deployable.is_some() {
        rel.step("Ship through a staged rollout (one canary instance first, then everyone); after each stage search the logs for the original error message for 24 hours.".to_string());
        rel.criterion(
            "0 occurrences of the original error in the logs in the 24 h after release."
                .to_string(),
        );
        if let Some(b) = &g.build {
            rel.gate(b.command.clone());
        }
        rel.gate(
            "check: the original error no longer appears in the logs 24 h after release"
                .to_string(),
        );
        rel.phase.rollback =
            "Redeploy the previous release and reopen the bug with the new evidence.".to_string();
    } else {
        rel.criterion(format!(
            "{} has 1 entry naming the fixed symptom; {} exits 0.",
            changelogs
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(" and "),
            g.test_cmd()
        ));
        for c in g.impl_gate() {
            rel.gate(c);
        }
        rel.phase.rollback =
            "Revert the changelog commit (`git revert`); the fix itself stays.".to_string();
    }
    Some(rel)
}

pub(super) fn bugfix(g: &Grounding, d: &mut Draft) {
    let key = k(g);
    let subject = &g.subject;
    let marker = g.lang.pending_marker();
    let tl = tests_label(g);
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
    r.step(format!("Add a regression test to {tl} that fails with the same symptom; mark it {marker} so {} stays green until the fix lands.", g.test_cmd()));
    test_file(&mut r, g);
    r.criterion(format!("The regression test in {tl} fails on the unfixed code with the reported error (assertion or exception named in evidence/)."));
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
    let of = tested_names(g, false);
    c.step(format!(
        "Add tests to {tl} for the boundary inputs{} around the failing case (empty, maximum, one past the maximum, malformed).",
        if of.is_empty() { String::new() } else { format!(" of {of}") }
    ));
    for t in &g.topics {
        for e in t.edge_cases.iter().take(2) {
            c.step(format!("Add a test: {e}."));
        }
    }
    c.step("Search the codebase for the same pattern as the root cause; fix each occurrence the task covers and list the others in out-of-scope with their paths.".to_string());
    test_file(&mut c, g);
    c.criterion(format!(
        "At least 3 new boundary tests pass; {} exits 0 three runs in a row.",
        g.test_cmd()
    ));
    impl_gate(g, &mut c);
    c.phase.rollback =
        "Revert the commit that adds the boundary tests; the fix itself stays.".to_string();
    c.depends(&fk);
    d.phases.push(c);

    // closing: a deployable service ships the fix and watches for the symptom; anything else
    // records it in its changelog, when it keeps one.
    if let Some(rel) = bugfix_release(g, &key) {
        d.phases.push(rel);
    }

    d.out("Refactoring the touched code beyond what the fix needs.");
    d.out("Other bugs found on the way: they are listed with their paths, not fixed here.");
    d.rule("No fix without the failing regression test first.");
}

pub(super) fn greenfield(g: &Grounding, d: &mut Draft) {
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
            s.connection_env()
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
pub(super) fn scaffold_files(g: &Grounding, stem: &str) -> (Vec<String>, Option<String>) {
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
                crate::offline::planner::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Kotlin => (
            vec![format!(
                "src/main/kotlin/{sn}/{}.kt",
                crate::offline::planner::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Ruby => (vec![format!("lib/{sn}.rb")], None),
        Lang::CSharp => (
            vec![format!(
                "src/{}/{}.cs",
                crate::offline::planner::ground::pascal(stem),
                crate::offline::planner::ground::pascal(stem)
            )],
            None,
        ),
        Lang::Php => (
            vec![format!(
                "src/{}.php",
                crate::offline::planner::ground::pascal(stem)
            )],
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

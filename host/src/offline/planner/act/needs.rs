//! The rules of [`super::rules::RULES`] about what a plan needs from outside its phases: the
//! commands it gates on, the environment variables, services and permissions it depends on,
//! and the files it names.
use super::read::{Log, Read};
use super::text::{
    env_vars_in, is_detected, named_commands, paths_in, permission_phrase, sentence, services_in,
    touched_path, ENV_VAR,
};
use crate::model::FileAction;
use crate::offline::planner::draft::{Draft, Role};
use crate::offline::planner::ground::Grounding;
use crate::offline::planner::paths;
use crate::text::prose_list;

const DEPENDENCY_CUES: &[&str] = &[
    "declar",
    "dependenc",
    "environment variable",
    "env var",
    "service",
    "permission",
    "privilege",
    "provision",
];
const PERMISSION_CUES: &[&str] = &["permission", "privilege", "access to", "grant"];
/// Words that ask for a file to be fixed (with a path in the demand).
const FILE_CUES: &[&str] = &[
    "does not exist",
    "doesn't exist",
    "not exist",
    "missing",
    "not found",
    "nonexistent",
    "non-existent",
];
/// Verbs that start a demand about a file.
const FILE_VERBS: &[&str] = &[
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
];

/// `` `a`, `b` `` for commands.
fn ticked(cmds: &[String]) -> String {
    cmds.iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Gates on the detected commands the demand names (else the detected test command): on the
/// named phases, else every code phase ("every phase"), else phase 00, else the phases gated
/// only by manual checks. A command the probe did not detect is deferred: Hephaestus would
/// never run it.
pub(super) fn gates(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let named = named_commands(&r.dm.text);
    let detected = g.impl_gate();
    let (known, unknown): (Vec<String>, Vec<String>) =
        named.into_iter().partition(|c| is_detected(g, c));
    for c in &unknown {
        log.deferred.push(format!(
            "`{c}` is not a command the probe detected in the project's files, and Hephaestus runs only detected commands; the gates keep {}",
            if detected.is_empty() { "manual checks".to_string() } else { ticked(&detected) }
        ));
    }
    let keys = gate_keys(d, r);
    let to_add: Vec<String> = if !known.is_empty() { known } else { detected };
    if to_add.is_empty() && unknown.is_empty() && !g.has_runnable() {
        log.satisfied.push("every gate is a manual `check:` entry: the probe detected no build or test command to gate on".to_string());
    }
    for k in &keys {
        let Some(p) = d.get_mut(k) else { continue };
        if p.role == Role::Preflight {
            // Phase 00 holds exactly what Hephaestus runs: detected build/test commands.
            let lint = g.lint.as_ref().map(|l| l.command.as_str());
            let before = p.phase.gate.len();
            for c in to_add.iter().filter(|c| Some(c.as_str()) != lint) {
                p.gate(c.clone());
            }
            if p.phase.gate.len() > before {
                log.done
                    .push(format!("phase-00 gate now runs {}", ticked(&to_add)));
            } else if !to_add.is_empty() {
                log.satisfied.push(format!(
                    "the phase-00 gate already runs {}",
                    ticked(&p.phase.gate)
                ));
            }
            continue;
        }
        let mut added = false;
        for c in &to_add {
            added |= p.gate(c.clone());
        }
        if added {
            log.done
                .push(format!("gate {} on phase `{k}`", ticked(&to_add)));
        } else if !to_add.is_empty() {
            log.satisfied.push(format!(
                "phase `{k}` is already gated on {}",
                ticked(&to_add)
            ));
        }
    }
    if keys.is_empty() && !to_add.is_empty() {
        log.satisfied
            .push("every phase already has a gate".to_string());
    }
    if r.has(&["ci "]) {
        if let Some(ci) = g.ci.first() {
            if d.rule(format!("`{ci}` stays green on every phase's commits: the gates run the same commands as CI.")) {
                log.done.push("iron rule keeping CI green".to_string());
            }
        }
    }
    true
}

/// The phases a gate demand applies to (see [`gates`]).
fn gate_keys(d: &Draft, r: &Read) -> Vec<String> {
    if !r.targets.is_empty() {
        r.targets.clone()
    } else if r.dm.every || r.l.contains("implementation phase") {
        // Phases that change code or tests: a phase that only profiles, decides or
        // documents has nothing for a test command to prove.
        d.phases
            .iter()
            .filter(|p| {
                p.role != Role::Preflight
                    && p.role != Role::Closing
                    && p.phase.files.iter().any(|f| paths::is_code_path(&f.path))
            })
            .map(|p| p.key.clone())
            .collect()
    } else if r.l.contains("phase-00") || r.l.contains("phase 00") {
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
    }
}

pub(super) fn dependency_cue(r: &Read, _: &Log) -> bool {
    r.has(DEPENDENCY_CUES) || ENV_VAR.is_match(&r.dm.text)
}

/// Declares the environment variables, services and permissions the demand names; "declare
/// every dependency" completes the list from the probe. Matches only when it names one.
pub(super) fn dependencies(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let mut any = env_vars(d, g, r, log);
    let touched = touched_path(&r.dm.text);
    for (name, kind, source, known_in_probe) in services_in(g, &r.dm.text) {
        any = true;
        if known_in_probe {
            probe_service(d, r, log, &touched, [&name, &kind, &source]);
        } else {
            unknown_service(d, g, log, &name, &kind);
        }
    }
    if r.has(PERMISSION_CUES) {
        any = true;
        let p = permission_phrase(&r.dm.text);
        if d.permission(p.clone()) {
            log.done.push(format!("permission declared: {p}"));
        } else {
            log.satisfied
                .push("the permission is already declared".to_string());
        }
    }
    if !any && r.has(&["dependenc"]) {
        declare_all(d, g, log);
        return true;
    }
    any
}

/// Declares the environment variables the demand names; whether it named any.
fn env_vars(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let vars = env_vars_in(g, &r.dm.text);
    for v in &vars {
        if d.env(v) {
            log.done
                .push(format!("`{v}` declared among the environment variables"));
            if let Some(p) = d.phases.first_mut() {
                p.step(format!("Confirm `{v}` is set in every environment the plan touches (check the name only; never print its value)."));
            }
        } else {
            log.satisfied.push(format!("`{v}` is already declared"));
        }
    }
    !vars.is_empty()
}

/// A service the probe found: declared, and named in the phases that touch the file the demand
/// names ("… of every phase that touches app/db.py"), else in the named phases.
fn probe_service(
    d: &mut Draft,
    r: &Read,
    log: &mut Log,
    touched: &Option<String>,
    [name, kind, source]: [&String; 3],
) {
    if d.service(format!("{name} ({kind}, declared in {source})")) {
        log.done
            .push(format!("{name} declared as a service dependency"));
    } else {
        log.satisfied
            .push(format!("{name} is already a declared service"));
    }
    let keys: Vec<String> = match touched {
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
        None => r.targets.clone(),
    };
    let lname = name.to_lowercase();
    for k in keys {
        let Some(p) = d.get_mut(&k) else { continue };
        if p.phase
            .steps
            .iter()
            .any(|s| s.to_lowercase().contains(&lname))
        {
            log.satisfied
                .push(format!("phase `{k}` already names {name} in its steps"));
            continue;
        }
        if p.step(format!("Requires {name} ({kind}, from {source}) running: this phase {} — start it before the phase and keep it in the test environment.", touched.as_ref().map(|t| format!("touches `{t}`")).unwrap_or_else(|| "depends on it".into()))) {
            log.done
                .push(format!("{name} named as a dependency of phase `{k}`"));
        }
    }
}

/// A service the probe did not find: declared when the task names it (as the source of a
/// move, or as a new service); otherwise adding it is scope creep, deferred.
fn unknown_service(d: &mut Draft, g: &Grounding, log: &mut Log, name: &str, kind: &str) {
    if let Some(n) = g.source_services.iter().find(|n| n.name == name) {
        if d.service(format!("{} ({}, the source the task names; not found by the probe — confirm where it runs and how the plan reaches it)", n.name, n.kind)) {
            log.done
                .push(format!("{name} declared as the source service the task names"));
        } else {
            log.satisfied
                .push(format!("{name} is declared as the source service the task names"));
        }
    } else if g.new_services.iter().any(|n| n.name == name) {
        if d.service(format!(
            "{name} ({kind}, NEW: not found by the probe; provisioned by this plan)"
        )) {
            log.done.push(format!("{name} declared as a new service"));
        } else {
            log.satisfied.push(format!(
                "{name} is declared as a new service and provisioned in its own phase"
            ));
        }
    } else {
        log.deferred.push("the probe found no such service in the repository and the task does not ask for one; adding a service nobody named is scope creep (name it in the task and re-run)".to_string());
    }
}

/// "Declare every dependency": makes the list complete from the probe.
fn declare_all(d: &mut Draft, g: &Grounding, log: &mut Log) {
    let mut n = 0;
    for s in &g.services {
        n += d.service(format!("{} ({}, declared in {})", s.name, s.kind, s.source)) as usize;
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
        log.done
            .push(format!("{n} dependencies found by the probe declared"));
    } else {
        log.satisfied.push(
            "every service and environment variable the probe ties to the task is declared"
                .to_string(),
        );
    }
}

/// Files the demand names: "start from a, b" is met when the plan works in one of them;
/// otherwise each path is made a `modify` (it exists) or `create` target, removed ("remove
/// `x`"), or added to the named (else the implementation) phase with a step.
pub(super) fn files(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log) -> bool {
    let paths = paths_in(&r.dm.text);
    if paths.is_empty() {
        return false;
    }
    let listed_in_plan = |d: &Draft, p: &str| {
        d.phases
            .iter()
            .any(|x| x.phase.files.iter().any(|f| f.path == p))
    };
    if r.starts(&["start from"]) && paths.iter().any(|p| listed_in_plan(d, p)) {
        let listed: Vec<String> = paths
            .iter()
            .filter(|p| listed_in_plan(d, p))
            .map(|p| format!("`{p}`"))
            .collect();
        log.satisfied
            .push(format!("the plan works in {}", prose_list(&listed, "")));
        return true;
    }
    if !(r.has(FILE_CUES) || r.starts(FILE_VERBS)) || r.prohibition {
        return false;
    }
    for path in paths {
        file(d, g, r, log, &path);
    }
    true
}

/// One path of [`files`].
fn file(d: &mut Draft, g: &Grounding, r: &Read, log: &mut Log, path: &str) {
    let exists = g.exists(path);
    let remove = r.has(&["remove", "drop"]) && !r.has(&["remove the old", "removal"]);
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
            log.done.push(format!(
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
        log.done
            .push(format!("`{path}` removed from the files to touch"));
    } else if listed && !remove {
        log.satisfied
            .push(format!("`{path}` is already a target of the plan"));
    } else if !listed && !remove {
        let by =
            if r.dm.origin.starts_with("directive") || r.dm.origin.starts_with("extra-directive") {
                "the directive"
            } else {
                "the review"
            };
        let Some(p) = r.first_target_or_impl(d).and_then(|k| d.get_mut(&k)) else {
            return;
        };
        let action = if exists || !g.repo_root.is_dir() && g.sources.iter().any(|s| s == path) {
            FileAction::Modify
        } else {
            FileAction::Create
        };
        p.file(path.to_string(), action);
        p.step(format!(
            "Change `{path}` as {by} asks: {}",
            sentence(&r.dm.text)
        ));
        log.done
            .push(format!("`{path}` added to phase `{}`", p.key));
    }
}

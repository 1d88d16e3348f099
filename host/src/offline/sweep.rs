//! Consistency sweep of the offline engine: for varied tasks on two real repositories (the
//! fixture service repository and anneal itself), every planner role and Alloy lens writes a
//! plan that passes `validate_plan`, Momus and the three red-team reviewers with SAFE or
//! CAUTION; a Temper rewrite of it (prior plan + those envelopes) never lowers the score; and
//! the planner and the red team agree on the security gate (`offline::surface`).
use crate::model::validate::validate_plan;
use crate::model::Context;
use crate::model::{AgentRequest, Envelope, Plan, ProbeReport, RedTeamReport, Verdict};
use crate::offline::intent::classify;
use crate::offline::planner::{write_plan, Lens};
use crate::offline::{metis, momus, redteam, surface};
use crate::stages::probe::{probe, ProbeOptions};
use std::path::{Path, PathBuf};

const FIXTURE_TASKS: &[&str] = &[
    "Add rate limiting to the login endpoint",
    "Fix the crash when the profile cache returns an empty payload",
    "Refactor the users module into a repository and a service layer",
    "Move session storage to Redis",
    "Replace the hand-written password hashing with argon2",
    "Speed up the user profile endpoint to respond under 200ms",
    "Harden password reset against token reuse",
    "Evaluate whether to adopt OpenTelemetry for request tracing",
    "Build a command-line tool that exports users as CSV",
    "Add pagination to the list users endpoint",
    "Upgrade the project to Python 3.12",
    "Add a webhook that notifies subscribers when a profile changes",
];

const ANNEAL_TASKS: &[&str] = &[
    "Add retry with exponential backoff to the model client",
    "Fix the probe so it skips symlinked directories",
    "Refactor the rundir module into smaller files",
    "Add a --json flag to the CLI that prints the run summary as JSON",
    "Speed up the repository probe on large monorepos",
    "Harden the WebAssembly sandbox against guests that exhaust memory",
    "Evaluate whether to replace regex with aho-corasick in the scanners",
    "Replace chrono with the time crate",
];

struct Repo {
    root: PathBuf,
    probe_for: fn(&Path, &str) -> ProbeReport,
}

fn probe_of(root: &Path, task: &str) -> ProbeReport {
    probe(root, task, &ProbeOptions::default()).expect("probe")
}

fn req(role: &str, lens: Option<Lens>) -> AgentRequest {
    AgentRequest {
        role: role.into(),
        category: None,
        lens: lens.map(|l| l.name().to_string()),
        extra_directives: vec![],
        prior_plan: None,
        feedback: vec![],
        scores: vec![],
        depth: None,
    }
}

/// Momus (with the red-team cap) and the red team on `plan`.
fn review(ctx: &Context<'_>, plan: &Plan, depth: Option<u32>) -> (Envelope, RedTeamReport) {
    let security = redteam::security(ctx, plan, depth);
    let scope = redteam::scope(ctx, plan, depth);
    let assumptions = redteam::assumptions(ctx, plan, depth);
    let oracle = redteam::oracle(ctx, plan, [&security, &scope, &assumptions], depth);
    let rt = RedTeamReport {
        security,
        scope,
        assumptions,
        oracle,
    };
    (momus::audit(ctx, plan, depth, Some(&rt)), rt)
}

fn show(e: &Envelope) -> String {
    let mut s = format!("{} {:?} {:?}: {}\n", e.agent, e.verdict, e.score, e.summary);
    for f in &e.findings {
        s.push_str(&format!(
            "  [{}] {} — {}\n",
            f.severity.as_str(),
            f.location,
            f.concern
        ));
    }
    s
}

/// Sweeps `tasks` on `repo`; returns the problems found (empty = all good) and the number of
/// plans checked.
fn sweep(repo: &Repo, tasks: &[&str]) -> (Vec<String>, usize) {
    let mut problems = Vec::new();
    let mut n = 0;
    let mut roles: Vec<(&str, Option<Lens>)> =
        vec![("prometheus-cast", None), ("prometheus-temper", None)];
    roles.extend(Lens::ALL.iter().map(|l| ("prometheus-alloy", Some(*l))));
    for task in tasks {
        let probe = (repo.probe_for)(&repo.root, task);
        let intent = classify(task);
        let base = Context {
            run_id: "anneal-20260101-000000-sweep",
            task,
            task_kind: intent.kind,
            directives: &[],
            probe: &probe,
            repo_root: &repo.root,
            resolution: crate::model::resolution::Resolution::empty(),
        };
        let directives = metis::enrich(&base, &intent, &[]).directives;
        let ctx = Context {
            directives: &directives,
            ..base
        };
        for (role, lens) in &roles {
            n += 1;
            let who = format!(
                "{task:?} {role}{}",
                lens.map(|l| format!("/{}", l.name())).unwrap_or_default()
            );
            let plan = write_plan(&ctx, &req(role, *lens)).expect("plan");
            if let Err(e) = validate_plan(&plan) {
                problems.push(format!("{who}: invalid plan: {e:?}"));
                continue;
            }
            if !surface::sensitive_surface(task, &plan).is_empty()
                && !surface::has_security_gate(&plan)
            {
                problems.push(format!("{who}: sensitive surface without a security gate"));
            }
            let (m, rt) = review(&ctx, &plan, Some(0));
            for e in [&m, &rt.security, &rt.scope, &rt.assumptions] {
                if e.verdict > Verdict::Caution {
                    problems.push(format!("{who}: {}", show(e)));
                }
            }
            // Temper: prior plan + every envelope.
            let mut t = req("prometheus-temper", None);
            t.prior_plan = Some(plan.clone());
            t.feedback = vec![
                m.clone(),
                rt.security.clone(),
                rt.scope.clone(),
                rt.assumptions.clone(),
            ];
            t.scores = vec![f64::from(m.score.unwrap_or(0))];
            t.depth = Some(1);
            let rewritten = write_plan(&ctx, &t).expect("temper plan");
            if let Err(e) = validate_plan(&rewritten) {
                problems.push(format!("{who} → temper: invalid plan: {e:?}"));
                continue;
            }
            let (m2, rt2) = review(&ctx, &rewritten, Some(1));
            if std::env::var_os("ANNEAL_SWEEP_VERBOSE").is_some() {
                eprintln!(
                    "{who}: {} phases, momus {:?} {:?} → temper {:?} {:?}; red team {:?}/{:?}/{:?}",
                    plan.phases.len(),
                    m.verdict,
                    m.score,
                    m2.verdict,
                    m2.score,
                    rt.security.verdict,
                    rt.scope.verdict,
                    rt.assumptions.verdict
                );
            }
            if m2.score < m.score {
                problems.push(format!(
                    "{who} → temper lowered the score {:?} → {:?}:\nbefore {}after {}",
                    m.score,
                    m2.score,
                    show(&m),
                    show(&m2)
                ));
            }
            for e in [&m2, &rt2.security, &rt2.scope, &rt2.assumptions] {
                if e.verdict > Verdict::Caution {
                    problems.push(format!("{who} → temper: {}", show(e)));
                }
            }
        }
    }
    (problems, n)
}

fn fixture_repo() -> Repo {
    Repo {
        root: Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/service-repo"),
        probe_for: probe_of,
    }
}

fn anneal_repo() -> Repo {
    Repo {
        root: Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
        probe_for: probe_of,
    }
}

#[test]
fn sweep_fixture_repository_quick() {
    // Three kinds (feature + security surface, migration with a service, sensitive feature);
    // the full sweep below is ignored because it takes ~8 s in debug.
    let tasks = [FIXTURE_TASKS[0], FIXTURE_TASKS[3], FIXTURE_TASKS[11]];
    let (problems, n) = sweep(&fixture_repo(), &tasks);
    assert_eq!(n, tasks.len() * 9);
    assert!(
        problems.is_empty(),
        "{} problem(s) in {n} plans:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
#[ignore = "~8 s in debug: cargo test -- --ignored sweep_fixture_repository"]
fn sweep_fixture_repository() {
    let (problems, n) = sweep(&fixture_repo(), FIXTURE_TASKS);
    assert_eq!(n, FIXTURE_TASKS.len() * 9);
    assert!(
        problems.is_empty(),
        "{} problem(s) in {n} plans:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
#[ignore = "probes the whole anneal repository for every task (slow in debug): cargo test -- --ignored sweep_anneal"]
fn sweep_anneal_repository() {
    let (problems, n) = sweep(&anneal_repo(), ANNEAL_TASKS);
    assert!(
        problems.is_empty(),
        "{} problem(s) in {n} plans:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Prints the rendered Cast plan, its reviews and its Temper rewrite for `ANNEAL_SWEEP_TASK`
/// (default: the rate-limit task) on the fixture repository (`ANNEAL_SWEEP_REPO=anneal` for
/// anneal itself), for reading by hand.
#[test]
#[ignore = "prints a rendered plan: ANNEAL_SWEEP_TASK=… cargo test -- --ignored --nocapture print_rendered_plan"]
fn print_rendered_plan() {
    let repo = match std::env::var("ANNEAL_SWEEP_REPO").as_deref() {
        Ok("anneal") => anneal_repo(),
        _ => fixture_repo(),
    };
    let task = std::env::var("ANNEAL_SWEEP_TASK")
        .unwrap_or_else(|_| "Add rate limiting to the login endpoint".into());
    let role = std::env::var("ANNEAL_SWEEP_ROLE").unwrap_or_else(|_| "prometheus-cast".into());
    let lens = std::env::var("ANNEAL_SWEEP_LENS")
        .ok()
        .and_then(|l| Lens::parse(&l));
    let probe = (repo.probe_for)(&repo.root, &task);
    let intent = classify(&task);
    let base = Context {
        run_id: "anneal-20260101-000000-sweep",
        task: &task,
        task_kind: intent.kind,
        directives: &[],
        probe: &probe,
        repo_root: &repo.root,
        resolution: crate::model::resolution::Resolution::empty(),
    };
    let directives = metis::enrich(&base, &intent, &[]).directives;
    let ctx = Context {
        directives: &directives,
        ..base
    };
    let plan = write_plan(&ctx, &req(&role, lens)).expect("plan");
    let (m, rt) = review(&ctx, &plan, Some(0));
    let header = crate::render::plan_md::Header {
        run_id: ctx.run_id,
        strategy: "cast",
        task: &task,
        task_kind: intent.kind,
        status: "EMIT",
        overall_verdict: m.verdict,
        momus_score: m.score,
        hephaestus: "PASS",
    };
    for (path, text) in crate::render::plan_md::render(&plan, &header) {
        println!("===== {path}\n{text}");
    }
    for e in [&m, &rt.security, &rt.scope, &rt.assumptions] {
        print!("{}", show(e));
    }
}

/// Cast plan for `task` on the fixture repository.
fn fixture_plan(task: &str) -> Plan {
    let repo = fixture_repo();
    let probe = (repo.probe_for)(&repo.root, task);
    let intent = classify(task);
    let ctx = Context {
        run_id: "anneal-20260101-000000-sweep",
        task,
        task_kind: intent.kind,
        directives: &[],
        probe: &probe,
        repo_root: &repo.root,
        resolution: crate::model::resolution::Resolution::empty(),
    };
    write_plan(&ctx, &req("prometheus-cast", None)).expect("plan")
}

#[test]
fn rate_limit_plan_is_grounded_in_the_right_variables() {
    let plan = fixture_plan("Add rate limiting to the login endpoint");
    let text: String = plan
        .phases
        .iter()
        .flat_map(|p| p.steps.iter().chain(std::iter::once(&p.rollback)))
        .map(|s| format!("{s}\n"))
        .collect();
    assert!(
        text.contains("Keep the rate limit state in redis (declared in docker-compose.yml) through `REDIS_URL`"),
        "{text}"
    );
    assert!(
        !text.contains("through `PROFILE_CACHE_TTL_SECONDS`"),
        "{text}"
    );
    assert!(
        text.contains("`app/main.py` returns to its phase-00 state"),
        "{text}"
    );
    assert!(!text.contains("return to their"), "{text}");
    // The database is untouched: its password is not a dependency of this plan.
    assert!(!plan
        .dependencies
        .env_vars
        .iter()
        .any(|v| v == "POSTGRES_PASSWORD"));
}

#[test]
fn planner_adds_the_security_gate_the_red_team_would_demand() {
    // "SQL" and "parser" are surface for redteam-security (offline::surface) only through the
    // shared definition: the planner must agree.
    for task in [
        "Speed up the SQL query behind the user list",
        "Rewrite the config parser",
    ] {
        let plan = fixture_plan(task);
        assert!(
            !surface::sensitive_surface(task, &plan).is_empty(),
            "{task}"
        );
        assert!(
            surface::has_security_gate(&plan),
            "{task}: no security gate"
        );
    }
}

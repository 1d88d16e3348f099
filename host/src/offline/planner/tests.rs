//! Planner tests: conventions, kinds, lenses, directives, Temper rewrites.
use super::*;
use crate::model::*;
use crate::offline::intent::classify;
use crate::offline::metis;
use crate::offline::planner::ground::fixtures::*;
use std::path::Path;

struct Repo {
    dir: tempfile::TempDir,
    probe: ProbeReport,
}

fn python_repo() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let probe = python_app();
    materialize(
        dir.path(),
        &probe,
        &[
            "docker-compose.yml",
            "README.md",
            "CHANGELOG.md",
            ".github/workflows/ci.yml",
            "pyproject.toml",
            "Makefile",
        ],
    );
    Repo { dir, probe }
}

fn req(role: &str, lens: Option<&str>) -> AgentRequest {
    AgentRequest {
        role: role.into(),
        category: None,
        lens: lens.map(|s| s.to_string()),
        extra_directives: vec![],
        prior_plan: None,
        feedback: vec![],
        scores: vec![],
        depth: None,
    }
}

fn ctx<'a>(
    task: &'a str,
    kind: TaskKind,
    directives: &'a [String],
    probe: &'a ProbeReport,
    root: &'a Path,
) -> Context<'a> {
    Context {
        run_id: "anneal-20260101-000000-test",
        task,
        task_kind: kind,
        directives,
        probe,
        repo_root: root,
        resolution: crate::model::resolution::Resolution::empty(),
        baseline: None,
    }
}

/// Metis directives for `task` on `repo`, as the pipeline would pass them.
fn metis_directives(task: &str, repo: &Repo) -> Vec<String> {
    let intent = classify(task);
    let c = ctx(task, intent.kind, &[], &repo.probe, repo.dir.path());
    metis::enrich(&c, &intent, &[]).directives
}

fn plan_for(task: &str, repo: &Repo, r: &AgentRequest) -> (Plan, Vec<Action>) {
    let intent = classify(task);
    let directives = metis_directives(task, repo);
    let c = ctx(task, intent.kind, &directives, &repo.probe, repo.dir.path());
    plan_with_actions(&c, r).expect("plan")
}

fn all_text(p: &Phase) -> String {
    let mut s = format!("{} {} {} {}", p.slug, p.title, p.goal, p.rollback);
    for x in p.steps.iter().chain(&p.success_criteria).chain(&p.gate) {
        s.push('\n');
        s.push_str(x);
    }
    s
}

/// The conventions of HELPER_CONTEXT.md and docs/design.md §5 every plan must satisfy.
fn assert_conventions(plan: &Plan, probe: &ProbeReport, root: &Path) {
    let n = plan.phases.len();
    assert!(
        (MIN_PHASES..=MAX_PHASES).contains(&n),
        "{n} phases: {:?}",
        plan.phases.iter().map(|p| &p.slug).collect::<Vec<_>>()
    );
    assert!(!plan.title.is_empty() && !plan.thesis.is_empty() && !plan.effort.is_empty());
    assert!(
        plan.effort.starts_with(&format!("{n} phases")),
        "{}",
        plan.effort
    );
    assert!(!plan.out_of_scope.is_empty(), "out of scope");
    assert!(!plan.iron_rules.is_empty(), "iron rules");
    let mut slugs = Vec::new();
    for (i, p) in plan.phases.iter().enumerate() {
        assert_eq!(p.id, format!("{i:02}"));
        assert!(p.slug.len() <= 40 && !p.slug.is_empty(), "slug {}", p.slug);
        assert!(
            p.slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "slug {}",
            p.slug
        );
        assert!(
            !p.slug.starts_with('-') && !p.slug.ends_with('-') && !p.slug.contains("--"),
            "slug {}",
            p.slug
        );
        assert!(!slugs.contains(&p.slug), "duplicate slug {}", p.slug);
        slugs.push(p.slug.clone());
        assert!(!p.gate.is_empty(), "phase {} has no gate", p.id);
        assert!(
            !p.rollback.trim().is_empty(),
            "phase {} has no rollback",
            p.id
        );
        assert!(!p.steps.is_empty(), "phase {} has no steps", p.id);
        assert!(
            p.success_criteria.iter().any(|c| draft::is_measurable(c)),
            "phase {} has no measurable criterion: {:?}",
            p.id,
            p.success_criteria
        );
        for d in &p.depends_on {
            assert!(
                d.len() == 2 && d.as_str() < p.id.as_str(),
                "phase {} depends on {d}",
                p.id
            );
        }
        if i > 0 {
            assert!(
                !p.depends_on.is_empty(),
                "phase {} depends on nothing",
                p.id
            );
        }
        for g in &p.gate {
            assert!(
                g.starts_with("check: ") || probe.commands.iter().any(|c| &c.command == g),
                "gate {g:?} is neither a check nor a detected command"
            );
        }
        for f in &p.files {
            let exists = root.join(&f.path).exists();
            match f.action {
                FileAction::Create => assert!(!exists, "create target {} exists", f.path),
                FileAction::Modify | FileAction::Delete => {
                    assert!(exists, "modify target {} does not exist", f.path)
                }
            }
        }
    }
    assert_eq!(plan.phases[0].slug, "preflight");
    let detected: Vec<&str> = probe
        .commands
        .iter()
        .filter(|c| c.purpose == "build" || c.purpose == "test")
        .map(|c| c.command.as_str())
        .collect();
    if let Some(b) = probe.commands.iter().find(|c| c.purpose == "build") {
        assert!(
            plan.phases[0].gate.contains(&b.command),
            "phase 00 gate {:?}",
            plan.phases[0].gate
        );
    }
    for g in &plan.phases[0].gate {
        assert!(
            g.starts_with("check: ") || detected.contains(&g.as_str()),
            "phase 00 gate {g}"
        );
    }
    if detected.is_empty() {
        assert!(plan.phases[0].gate.iter().all(|g| g.starts_with("check: ")));
    }
}

fn security_phase(plan: &Plan) -> Option<&Phase> {
    plan.phases
        .iter()
        .find(|p| p.slug.contains("security") && !p.gate.is_empty())
}

#[test]
fn feature_plan_follows_the_conventions_and_the_probe() {
    let repo = python_repo();
    let task = "Add rate limiting to the login endpoint";
    let (plan, actions) = plan_for(task, &repo, &req("prometheus-cast", None));
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert_eq!(plan.author, "prometheus-cast");
    assert_eq!(plan.phases[0].gate, vec!["make build", "pytest"]);
    // Shape: preflight → contract → implement → edge cases → security → rollout.
    let slugs: Vec<&str> = plan.phases.iter().map(|p| p.slug.as_str()).collect();
    assert!(slugs[1].starts_with("contract-"), "{slugs:?}");
    assert!(slugs[2].starts_with("implement-"), "{slugs:?}");
    assert!(
        security_phase(&plan).is_some(),
        "login is security-sensitive: {slugs:?}"
    );
    // Modify targets are probe files; new files follow the layout.
    let modified: Vec<&str> = plan
        .phases
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| f.action == FileAction::Modify)
        .map(|f| f.path.as_str())
        .collect();
    assert!(
        modified.contains(&"app/auth.py") && modified.contains(&"app/routes/login.py"),
        "{modified:?}"
    );
    let created: Vec<&str> = plan
        .phases
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| f.action == FileAction::Create)
        .map(|f| f.path.as_str())
        .collect();
    // Tests extend the project's own test of the changed code (the probe ranked
    // tests/test_auth.py), never a file named after the task.
    assert!(
        !created.iter().any(|c| c.starts_with("tests/")),
        "{created:?}"
    );
    assert!(modified.contains(&"tests/test_auth.py"), "{modified:?}");
    assert!(created.contains(&"app/rate_limit.py"), "{created:?}");
    // Implementation phases gate on the test command.
    assert!(plan.phases[2].gate.contains(&"pytest".to_string()));
    // Grounded dependencies and thesis.
    assert!(plan
        .dependencies
        .services
        .iter()
        .any(|s| s.starts_with("postgresql")));
    assert!(plan
        .dependencies
        .env_vars
        .contains(&"DATABASE_URL".to_string()));
    assert!(
        !plan
            .dependencies
            .services
            .iter()
            .any(|s| s.starts_with("redis")),
        "never invent a service"
    );
    assert!(
        plan.thesis.contains("Python")
            && plan.thesis.contains("`make build`")
            && plan.thesis.contains("app/auth.py"),
        "{}",
        plan.thesis
    );
    // Topic knowledge, not a template.
    let text: String = plan.phases.iter().map(all_text).collect();
    assert!(
        text.contains("429") && text.contains("Retry-After"),
        "rate-limit knowledge"
    );
    assert!(
        plan.out_of_scope.iter().any(|o| o.contains("rabbitmq")),
        "{:?}",
        plan.out_of_scope
    );
    // Every Metis directive is acted on (applied or already met), none deferred.
    assert!(!actions.is_empty());
    for a in &actions {
        assert!(!matches!(a.outcome, Outcome::Deferred(_)), "{a:?}");
    }
    // The postgresql directive lands on the phase touching app/db.py.
    let db_phase = plan
        .phases
        .iter()
        .find(|p| p.files.iter().any(|f| f.path == "app/db.py"))
        .expect("a phase touches app/db.py");
    assert!(
        db_phase.steps.iter().any(|s| s.contains("postgresql")),
        "{:?}",
        db_phase.steps
    );
}

#[test]
fn bugfix_plan_reproduces_first() {
    let repo = python_repo();
    let task = "Fix the crash when the login form is submitted twice";
    let (plan, actions) = plan_for(task, &repo, &req("prometheus-cast", None));
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    let slugs: Vec<&str> = plan.phases.iter().map(|p| p.slug.as_str()).collect();
    assert!(
        slugs[1].starts_with("reproduce-")
            && slugs[2].starts_with("fix-")
            && slugs[3].starts_with("regression-coverage-"),
        "{slugs:?}"
    );
    // The regression test goes into the existing relevant test file.
    assert!(plan.phases[1]
        .files
        .iter()
        .any(|f| f.path == "tests/test_auth.py" && f.action == FileAction::Modify));
    assert!(plan.phases[2]
        .files
        .iter()
        .any(|f| f.path == "app/auth.py" && f.action == FileAction::Modify));
    assert!(
        plan.phases[1].steps.iter().any(|s| s.contains("xfail")),
        "language-aware expected-failure marker"
    );
    assert!(
        security_phase(&plan).is_some(),
        "login form input is sensitive"
    );
    let regression = actions
        .iter()
        .find(|a| a.text.starts_with("Add a regression test"))
        .expect("directive");
    assert!(
        matches!(&regression.outcome, Outcome::Satisfied(w) if w.contains("reproduce-")),
        "{regression:?}"
    );
}

#[test]
fn migration_plan_provisions_a_new_service() {
    let repo = python_repo();
    let task = "Move session storage to Redis";
    let (plan, actions) = plan_for(task, &repo, &req("prometheus-cast", None));
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    let slugs: Vec<&str> = plan.phases.iter().map(|p| p.slug.as_str()).collect();
    assert!(slugs[1].starts_with("provision-redis"), "{slugs:?}");
    for want in [
        "expand-",
        "dual-write-",
        "backfill-",
        "cutover-",
        "contract-",
    ] {
        assert!(
            slugs.iter().any(|s| s.starts_with(want)),
            "{want} in {slugs:?}"
        );
    }
    assert!(
        plan.dependencies
            .services
            .iter()
            .any(|s| s.starts_with("redis") && s.contains("NEW")),
        "{:?}",
        plan.dependencies.services
    );
    assert!(plan
        .dependencies
        .env_vars
        .contains(&"REDIS_URL".to_string()));
    assert!(plan.phases[1]
        .files
        .iter()
        .any(|f| f.path == "docker-compose.yml" && f.action == FileAction::Modify));
    assert!(plan.phases[1].steps.iter().any(|s| s.contains("REDIS_URL")));
    assert!(!plan.dependencies.permissions.is_empty());
    assert!(security_phase(&plan).is_some(), "sessions are sensitive");
    assert!(plan
        .iron_rules
        .iter()
        .any(|r| r.contains("Breaking change")));
    assert!(
        actions
            .iter()
            .all(|a| !matches!(a.outcome, Outcome::Deferred(_))),
        "{actions:#?}"
    );
}

#[test]
fn migration_from_a_named_source_declares_it_without_provisioning() {
    let repo = python_repo();
    let (plan, actions) = plan_for(
        "Migrate the orders table from MySQL to PostgreSQL",
        &repo,
        &req("prometheus-cast", None),
    );
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert!(
        plan.dependencies
            .services
            .iter()
            .any(|s| s.starts_with("mysql") && s.contains("source")),
        "{:?}",
        plan.dependencies.services
    );
    assert!(!plan.phases.iter().any(|p| p.slug.starts_with("provision-")));
    assert!(
        plan.phases
            .iter()
            .any(|p| p.title == "Expand: add PostgreSQL beside MySQL"),
        "{:?}",
        plan.phases.iter().map(|p| &p.title).collect::<Vec<_>>()
    );
    assert!(plan
        .dependencies
        .permissions
        .iter()
        .any(|p| p.contains("DDL")));
    assert!(actions
        .iter()
        .all(|a| !matches!(a.outcome, Outcome::Deferred(_))));
}

#[test]
fn every_kind_gives_a_valid_plan() {
    let repo = python_repo();
    for (task, first) in [
        ("Add rate limiting to the login endpoint", "contract-"),
        (
            "Fix the crash when the login form is submitted twice",
            "reproduce-",
        ),
        (
            "Rewrite the auth middleware to unify OIDC and legacy JWT",
            "characterize-",
        ),
        (
            "Migrate the orders table from MySQL to PostgreSQL",
            "expand-",
        ),
        (
            "Upgrade the project from Python 3.9 to Python 3.12",
            "inventory-",
        ),
        (
            "Replace the requests library with httpx in the payment client",
            "seam-",
        ),
        (
            "Make the login endpoint faster: p95 latency is 2 seconds",
            "baseline-",
        ),
        (
            "Patch the SQL injection vulnerability in the report filters",
            "security-threat-model-",
        ),
        (
            "Investigate whether we should adopt gRPC for internal services",
            "questions-",
        ),
        (
            "Build a new service from scratch that ingests webhook events",
            "scaffold-",
        ),
    ] {
        let (plan, actions) = plan_for(task, &repo, &req("prometheus-cast", None));
        assert_conventions(&plan, &repo.probe, repo.dir.path());
        assert!(
            plan.phases[1].slug.starts_with(first),
            "{task}: {:?}",
            plan.phases.iter().map(|p| &p.slug).collect::<Vec<_>>()
        );
        for a in &actions {
            assert!(!matches!(a.outcome, Outcome::Deferred(_)), "{task}: {a:?}");
        }
    }
}

#[test]
fn research_changes_no_production_code() {
    let repo = python_repo();
    let (plan, _) = plan_for(
        "Compare Redis streams and Postgres LISTEN/NOTIFY for job dispatch",
        &repo,
        &req("prometheus-cast", None),
    );
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    for p in &plan.phases {
        for f in &p.files {
            assert!(
                f.path.starts_with("docs/"),
                "research touches only docs: {}",
                f.path
            );
        }
    }
    assert!(plan
        .dependencies
        .services
        .iter()
        .any(|s| s.starts_with("redis") && s.contains("spike only")));
    assert!(!plan.phases.iter().any(|p| p.slug.starts_with("provision-")));
}

#[test]
fn no_detected_command_gives_a_check_gate() {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = python_app();
    probe.commands.clear();
    materialize(dir.path(), &probe, &[]);
    let repo = Repo { dir, probe };
    let (plan, actions) = plan_for(
        "Add rate limiting to the login endpoint",
        &repo,
        &req("prometheus-cast", None),
    );
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert!(plan.phases[0].gate.iter().all(|g| g.starts_with("check: ")));
    assert!(plan.phases[0]
        .steps
        .iter()
        .any(|s| s.contains("No buildable target was detected")));
    assert!(
        actions
            .iter()
            .all(|a| !matches!(a.outcome, Outcome::Deferred(_))),
        "{actions:#?}"
    );
}

#[test]
fn rust_greenfield_uses_crate_layout() {
    let dir = tempfile::tempdir().unwrap();
    let probe = ProbeReport {
        repository: "tools".into(),
        languages: vec![LanguageStat {
            name: "Rust".into(),
            files: 40,
        }],
        manifests: vec!["Cargo.toml".into()],
        commands: vec![
            cmd("build", "cargo build --workspace", "Cargo.toml"),
            cmd("test", "cargo test --workspace", "Cargo.toml"),
        ],
        ..Default::default()
    };
    materialize(dir.path(), &probe, &["Cargo.toml", "core/src/lib.rs"]);
    let repo = Repo { dir, probe };
    let (plan, _) = plan_for(
        "Create a command line tool that validates deployment manifests",
        &repo,
        &req("prometheus-cast", None),
    );
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    let files: Vec<(&str, FileAction)> = plan.phases[1]
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.action))
        .collect();
    assert!(
        files
            .iter()
            .any(|(p, a)| p.ends_with("/Cargo.toml") && *a == FileAction::Create),
        "{files:?}"
    );
    assert!(
        files.contains(&("Cargo.toml", FileAction::Modify)),
        "{files:?}"
    );
    assert_eq!(
        plan.phases[0].gate,
        vec!["cargo build --workspace", "cargo test --workspace"]
    );
}

#[test]
fn unknown_role_and_lens_are_errors() {
    let repo = python_repo();
    let c = ctx(
        "Add rate limiting to the login endpoint",
        TaskKind::Feature,
        &[],
        &repo.probe,
        repo.dir.path(),
    );
    assert_eq!(
        write_plan(&c, &req("prometheus-forge", None)),
        Err(PlanError::UnknownRole("prometheus-forge".into()))
    );
    assert_eq!(
        write_plan(&c, &req("prometheus-alloy", Some("speed"))),
        Err(PlanError::UnknownLens("speed".into()))
    );
    assert!(write_plan(&c, &req("prometheus-temper", None)).is_ok());
}

#[test]
fn plans_are_deterministic() {
    let repo = python_repo();
    let a = plan_for(
        "Move session storage to Redis",
        &repo,
        &req("prometheus-alloy", Some("defensive")),
    )
    .0;
    let b = plan_for(
        "Move session storage to Redis",
        &repo,
        &req("prometheus-alloy", Some("defensive")),
    )
    .0;
    assert_eq!(a, b);
}

#[test]
fn every_lens_gives_a_different_plan_with_its_traits() {
    let repo = python_repo();
    let task = "Add rate limiting to the login endpoint";
    let base = plan_for(task, &repo, &req("prometheus-alloy", None)).0;
    let mut plans: Vec<(Lens, Plan)> = Vec::new();
    for l in Lens::ALL {
        let (p, _) = plan_for(task, &repo, &req("prometheus-alloy", Some(l.name())));
        assert_conventions(&p, &repo.probe, repo.dir.path());
        assert_eq!(p.author, format!("prometheus-alloy/{}", l.name()));
        assert_ne!(p.phases, base.phases, "{} changes the phases", l.name());
        for (other, q) in &plans {
            assert_ne!(
                p.phases,
                q.phases,
                "{} and {} give the same phases",
                l.name(),
                other.name()
            );
        }
        plans.push((l, p));
    }
    let get = |l: Lens| &plans.iter().find(|(x, _)| *x == l).unwrap().1;

    // minimalist: fewest phases and files, no closing phase.
    let min = get(Lens::Minimalist);
    let files = |p: &Plan| p.phases.iter().map(|x| x.files.len()).sum::<usize>();
    for (l, p) in &plans {
        if *l != Lens::Minimalist {
            assert!(
                min.phases.len() < p.phases.len(),
                "minimalist {} vs {} {}",
                min.phases.len(),
                l.name(),
                p.phases.len()
            );
            assert!(files(min) <= files(p), "minimalist files vs {}", l.name());
        }
    }
    assert!(!min.phases.iter().any(|p| p.slug.starts_with("rollout")));
    let min_created: Vec<&str> = min
        .phases
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| f.action == FileAction::Create)
        .map(|f| f.path.as_str())
        .collect();
    assert!(
        min_created.is_empty(),
        "minimalist: no new module, tests in the existing test file: {min_created:?}"
    );
    assert!(min.phases[1]
        .steps
        .iter()
        .any(|s| s.contains("directly in `app/auth.py`")));
    assert!(
        security_phase(min).is_some(),
        "the security gate is not optional"
    );

    // correctness: every work phase gated on the test command, phased rollout, acceptance phase.
    let cor = get(Lens::Correctness);
    for p in &cor.phases[1..] {
        assert!(
            p.gate.contains(&"pytest".to_string()),
            "correctness gate on {}",
            p.slug
        );
        assert!(
            p.success_criteria.iter().all(|c| draft::is_measurable(c)),
            "correctness criteria on {}: {:?}",
            p.slug,
            p.success_criteria
        );
    }
    assert!(cor
        .phases
        .iter()
        .any(|p| p.slug.starts_with("phased-rollout")));
    assert!(cor.phases.iter().any(|p| p.slug.starts_with("acceptance-")));

    // defensive: rollback + feature flag in every phase, flag phase right after preflight.
    let def = get(Lens::Defensive);
    assert!(def.phases[1].slug.starts_with("feature-flag-"));
    for p in &def.phases {
        assert!(!p.rollback.is_empty());
        assert!(
            all_text(p).contains("rate_limit_enabled"),
            "feature flag in {}",
            p.slug
        );
        if p.id != "00" {
            assert!(
                p.rollback.contains("Checkpoint") && p.rollback.contains("feature flag"),
                "{}: {}",
                p.slug,
                p.rollback
            );
        }
    }

    // performance: baseline benchmark and prune phases.
    let perf = get(Lens::Performance);
    assert!(perf.phases[1].slug.starts_with("baseline-benchmark-"));
    assert!(perf.phases.iter().any(|p| p.slug.starts_with("prune-")));

    // ux: an error-message phase.
    assert!(get(Lens::Ux)
        .phases
        .iter()
        .any(|p| p.slug.starts_with("error-messages-")));

    // verification: phase 01 is observability; every phase names a metric.
    let ver = get(Lens::Verification);
    assert!(ver.phases[1].slug.starts_with("observability-"));
    for p in &ver.phases {
        assert!(
            p.success_criteria
                .iter()
                .any(|c| c.to_lowercase().contains("metric")),
            "{}",
            p.slug
        );
    }

    // migration: a compatibility phase with a version gate.
    let mig = get(Lens::Migration);
    let compat = mig
        .phases
        .iter()
        .find(|p| p.slug.starts_with("compatibility-"))
        .expect("compatibility phase");
    assert!(compat.steps.iter().any(|s| s.contains("version gate")));
    assert!(compat.steps.iter().any(|s| s.contains("dual-read")));
}

#[test]
fn lenses_work_for_every_kind() {
    let repo = python_repo();
    for task in [
        "Fix the crash when the login form is submitted twice",
        "Move session storage to Redis",
        "Investigate whether we should adopt gRPC for internal services",
        "Rewrite the auth middleware to unify OIDC and legacy JWT",
    ] {
        for l in Lens::ALL {
            let (p, actions) = plan_for(task, &repo, &req("prometheus-alloy", Some(l.name())));
            assert_conventions(&p, &repo.probe, repo.dir.path());
            assert!(
                actions
                    .iter()
                    .all(|a| !matches!(a.outcome, Outcome::Deferred(_))),
                "{task} {}: {actions:#?}",
                l.name()
            );
        }
    }
}

#[test]
fn extra_directives_are_acted_on() {
    let repo = python_repo();
    let task = "Add rate limiting to the login endpoint";
    let base = plan_for(task, &repo, &req("prometheus-cast", None)).0;
    let mut r = req("prometheus-cast", None);
    r.extra_directives = vec![
        "Momus (plan/phase-02-implement-rate-limit.md): Guard the change behind a feature flag."
            .into(),
        "Declare the permission to read client IP addresses from the load balancer.".into(),
        "Never store raw IP addresses for longer than 24 hours.".into(),
        "Add a test that the limiter keys on the account id when the user is logged in.".into(),
        "Declare LOGIN_RATE_LIMIT as an environment variable.".into(),
        "Add monitoring for the number of 429 responses per minute.".into(),
        "Add phase-N-client-rollout-sequencing.md — pin the order (start with the lowest-traffic client, ratchet to the highest).".into(),
    ];
    let (plan, actions) = plan_for(task, &repo, &r);
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert_ne!(plan, base);
    let extra: Vec<&Action> = actions
        .iter()
        .filter(|a| a.origin.starts_with("extra-directive"))
        .collect();
    assert_eq!(extra.len(), 7);
    let seq = plan
        .phases
        .iter()
        .find(|p| p.slug == "client-rollout-sequencing")
        .expect("new phase from the demand");
    assert!(seq.steps[0].contains("lowest-traffic client"));
    assert!(
        seq.id.as_str() < plan.phases.last().unwrap().id.as_str(),
        "inserted before the closing phase"
    );
    for a in &extra {
        assert!(matches!(a.outcome, Outcome::Applied(_)), "{a:?}");
    }
    let p2 = &plan.phases[2];
    assert!(p2.slug.starts_with("implement-"));
    assert!(
        p2.steps
            .iter()
            .any(|s| s.contains("feature flag `rate_limit_enabled`")),
        "{:?}",
        p2.steps
    );
    assert!(p2.rollback.contains("rate_limit_enabled"));
    assert!(
        plan.dependencies
            .permissions
            .iter()
            .any(|p| p.contains("client IP addresses")),
        "{:?}",
        plan.dependencies.permissions
    );
    assert!(plan
        .iron_rules
        .iter()
        .any(|r| r.starts_with("Never store raw IP addresses")));
    assert!(plan
        .phases
        .iter()
        .any(|p| p.steps.iter().any(|s| s.contains("account id"))));
    assert!(plan
        .dependencies
        .env_vars
        .contains(&"LOGIN_RATE_LIMIT".to_string()));
    assert!(plan.phases.iter().any(|p| p
        .steps
        .iter()
        .any(|s| s.contains("429 responses per minute"))));
}

fn finding(location: &str, severity: Severity, demand: &str) -> Finding {
    Finding {
        location: location.into(),
        severity,
        concern: format!("concern behind: {demand}"),
        demand: demand.into(),
    }
}

fn env(agent: &str, findings: Vec<Finding>) -> Envelope {
    Envelope {
        agent: agent.into(),
        run_id: "anneal-20260101-000000-test".into(),
        depth: Some(0),
        verdict: Verdict::Caution,
        score: None,
        summary: "test".into(),
        findings,
        directives: vec![],
        clarifying_questions: vec![],
        metadata: EnvelopeMetadata {
            timestamp: "2026-01-01T00:00:00Z".into(),
            reviewer_model: "test".into(),
            token_cost: 0,
        },
    }
}

#[test]
fn temper_rewrite_addresses_every_demand() {
    let repo = python_repo();
    let task = "Move session storage to Redis";
    let (mut prior, _) = plan_for(task, &repo, &req("prometheus-temper", None));
    // Make the prior plan weak where the reviewers will point.
    prior.phases[2].rollback = String::new();
    prior.phases[1].success_criteria = vec!["Redis works.".into()];
    prior.dependencies.env_vars.retain(|v| v != "REDIS_URL");
    let n_prior = prior.phases.len();
    let p4_title = prior.phases[4].title.clone();
    let momus = env(
        "momus",
        vec![
            finding(
                "plan/phase-02-expand-session.md",
                Severity::High,
                "Add a rollback to phase 02",
            ),
            finding(
                "dependencies",
                Severity::High,
                "Declare REDIS_URL as a dependency",
            ),
            finding(
                "plan/phase-01-provision-redis.md",
                Severity::Medium,
                "Add a success criterion to phase 01 that names a metric",
            ),
        ],
    );
    let red = env(
        "redteam-assumptions",
        vec![
            finding(
                "plan/phase-03-dual-write-session.md",
                Severity::Medium,
                "Run `npm run e2e` as the gate of phase 03",
            ),
            finding(
                "plan/phase-04-backfill-session.md",
                Severity::Low,
                "Remove phase 04 as scope creep: sessions expire within a day",
            ),
            finding(
                "plan/plan.md",
                Severity::Medium,
                "Declare Kafka as a dependency for session events",
            ),
            finding(
                "plan/phase-05-cutover-session.md",
                Severity::High,
                "Add a test that a session written before the cutover is still readable after it",
            ),
        ],
    );
    let mut r = req("prometheus-temper", None);
    r.prior_plan = Some(prior.clone());
    r.feedback = vec![momus, red];
    r.scores = vec![64.0];
    r.depth = Some(1);
    let (plan, actions) = plan_for(task, &repo, &r);
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert_eq!(plan.author, "prometheus-temper");
    let demand = |d: &str| {
        actions
            .iter()
            .find(|a| a.text == d)
            .unwrap_or_else(|| panic!("no action for {d}: {actions:#?}"))
    };

    // "Add a rollback to phase 02" → phase 02 (same slug) has an explicit rollback.
    assert!(matches!(
        demand("Add a rollback to phase 02").outcome,
        Outcome::Applied(_)
    ));
    let p2 = plan
        .phases
        .iter()
        .find(|p| p.slug == prior.phases[2].slug)
        .unwrap();
    assert!(
        p2.rollback.contains("Checkpoint") && p2.rollback.len() > 60,
        "{}",
        p2.rollback
    );

    // "Declare REDIS_URL as a dependency".
    assert!(matches!(
        demand("Declare REDIS_URL as a dependency").outcome,
        Outcome::Applied(_)
    ));
    assert!(plan
        .dependencies
        .env_vars
        .contains(&"REDIS_URL".to_string()));

    // "Add a success criterion to phase 01 that names a metric".
    assert!(matches!(
        demand("Add a success criterion to phase 01 that names a metric").outcome,
        Outcome::Applied(_)
    ));
    let p1 = plan
        .phases
        .iter()
        .find(|p| p.slug == prior.phases[1].slug)
        .unwrap();
    assert!(
        p1.success_criteria
            .iter()
            .any(|c| c.contains("Metric") && draft::is_measurable(c)),
        "{:?}",
        p1.success_criteria
    );

    // An undetected command is deferred, with the reason, in the iron rules.
    assert!(matches!(
        demand("Run `npm run e2e` as the gate of phase 03").outcome,
        Outcome::Deferred(_)
    ));
    assert!(plan.iron_rules.iter().any(|r| r.starts_with("Deferred: Run `npm run e2e` as the gate of phase 03 — because")), "{:?}", plan.iron_rules);
    assert!(!plan
        .phases
        .iter()
        .any(|p| p.gate.iter().any(|g| g.contains("npm"))));

    // Removal of a phase: gone, and listed out of scope.
    assert!(matches!(
        demand("Remove phase 04 as scope creep: sessions expire within a day").outcome,
        Outcome::Applied(_)
    ));
    assert!(!plan.phases.iter().any(|p| p.title == p4_title));
    assert!(
        plan.out_of_scope.iter().any(|o| o.starts_with(&p4_title)),
        "{:?}",
        plan.out_of_scope
    );

    // A service nobody asked for is deferred, not invented.
    assert!(matches!(
        demand("Declare Kafka as a dependency for session events").outcome,
        Outcome::Deferred(_)
    ));
    assert!(!plan
        .dependencies
        .services
        .iter()
        .any(|s| s.starts_with("kafka")));

    // A test demand lands in the phase it names (prior phase 05 = cutover).
    assert!(matches!(
        demand("Add a test that a session written before the cutover is still readable after it")
            .outcome,
        Outcome::Applied(_)
    ));
    let cut = plan
        .phases
        .iter()
        .find(|p| p.slug == prior.phases[5].slug)
        .unwrap();
    assert!(
        cut.steps.iter().any(|s| s.contains("still readable")),
        "{:?}",
        cut.steps
    );

    // Kept what was fine: the other phases are still there, and the thesis says what changed.
    assert_eq!(plan.phases.len(), n_prior - 1);
    assert!(
        plan.thesis.contains("Rewrite at depth 1"),
        "{}",
        plan.thesis
    );
    // Score below 70: hardening recorded.
    assert!(actions.iter().any(|a| a.origin == "scores"));
}

#[test]
fn temper_rewrite_repairs_a_broken_model_plan() {
    let repo = python_repo();
    let task = "Add rate limiting to the login endpoint";
    // A plan as a careless model might write it: no preflight, forward reference, missing
    // files, no gates, no rollback.
    let bad = Plan {
        title: "Rate limiting".into(),
        thesis: "Add a limiter.".into(),
        effort: "2 phases".into(),
        phases: vec![
            Phase {
                id: "01".into(),
                slug: "Implement Limiter".into(),
                title: "Implement limiter".into(),
                goal: "Limit logins".into(),
                steps: vec!["Write the limiter".into()],
                files: vec![
                    FileChange {
                        path: "app/limiter.py".into(),
                        action: FileAction::Modify,
                    },
                    FileChange {
                        path: "app/auth.py".into(),
                        action: FileAction::Create,
                    },
                ],
                success_criteria: vec!["It works".into()],
                gate: vec![],
                rollback: String::new(),
                depends_on: vec!["02".into()],
                provenance: None,
            },
            Phase {
                id: "02".into(),
                slug: "tests".into(),
                title: "Tests".into(),
                goal: "Test it".into(),
                steps: vec!["Write tests".into()],
                files: vec![],
                success_criteria: vec![],
                gate: vec!["npm test".into()],
                rollback: "undo".into(),
                depends_on: vec![],
                provenance: None,
            },
        ],
        dependencies: Dependencies::default(),
        out_of_scope: vec![],
        iron_rules: vec![],
        author: "model".into(),
    };
    let mut r = req("prometheus-temper", None);
    r.prior_plan = Some(bad);
    r.feedback = vec![env(
        "momus",
        vec![finding(
            "plan/phase-01-implement-limiter.md",
            Severity::Critical,
            "Remove the forward reference from phase 01 to phase 02",
        )],
    )];
    r.scores = vec![35.0];
    r.depth = Some(1);
    let (plan, actions) = plan_for(task, &repo, &r);
    // The conventions hold again; the model's own gate `npm test` (not detected) is a manual check now.
    assert_conventions(&plan, &repo.probe, repo.dir.path());
    assert!(plan
        .phases
        .iter()
        .any(|p| p.gate.iter().any(|g| g.starts_with("check: `npm test`"))));
    assert_eq!(plan.phases[0].slug, "preflight");
    assert_eq!(plan.phases[0].gate, vec!["make build", "pytest"]);
    let limiter = plan
        .phases
        .iter()
        .find(|p| p.slug == "implement-limiter")
        .unwrap();
    assert!(limiter.files.contains(&FileChange {
        path: "app/limiter.py".into(),
        action: FileAction::Create
    }));
    assert!(limiter.files.contains(&FileChange {
        path: "app/auth.py".into(),
        action: FileAction::Modify
    }));
    assert!(
        security_phase(&plan).is_some(),
        "hardening at score 35 adds the missing security phase"
    );
    assert!(actions.iter().any(|a| a.origin == "structure"));
}

#[test]
fn rewrite_moves_a_stub_reviewer_score() {
    // A tiny stand-in for Momus: one point off per missing explicit rollback, per phase
    // without a metric criterion and per undeclared REDIS_URL. The rewrite must lower the
    // number of defects it names.
    fn defects(p: &Plan) -> usize {
        p.phases.iter().filter(|x| x.rollback.len() < 40).count()
            + p.phases
                .iter()
                .filter(|x| !x.success_criteria.iter().any(|c| c.contains("Metric")))
                .count()
            + usize::from(!p.dependencies.env_vars.contains(&"REDIS_URL".to_string()))
    }
    let repo = python_repo();
    let task = "Move session storage to Redis";
    let (mut prior, _) = plan_for(task, &repo, &req("prometheus-temper", None));
    for p in prior.phases.iter_mut() {
        p.rollback = "revert".into();
    }
    prior.dependencies.env_vars.clear();
    let findings: Vec<Finding> = prior
        .phases
        .iter()
        .map(|p| finding(&format!("plan/phase-{}-{}.md", p.id, p.slug), Severity::High, &format!("Add an explicit rollback and a success criterion that names a metric to phase {}", p.id)))
        .chain(std::iter::once(finding("dependencies", Severity::High, "Declare REDIS_URL as a dependency")))
        .collect();
    let mut r = req("prometheus-temper", None);
    r.prior_plan = Some(prior.clone());
    r.feedback = vec![env("momus", findings)];
    r.scores = vec![52.0];
    r.depth = Some(1);
    let (plan, _) = plan_for(task, &repo, &r);
    assert!(defects(&prior) > 0);
    assert_eq!(defects(&plan), 0, "{plan:#?}");
}

#[test]
#[ignore = "prints sample plans for manual review: cargo test -- --ignored --nocapture print_sample_plans"]
fn print_sample_plans() {
    let repo = match std::env::var("ANNEAL_SAMPLE_REPO").as_deref() {
        Ok("ts") => {
            let dir = tempfile::tempdir().unwrap();
            let probe = ProbeReport {
                repository: "billing-web".into(),
                languages: vec![LanguageStat {
                    name: "TypeScript".into(),
                    files: 120,
                }],
                manifests: vec!["package.json".into()],
                commands: vec![
                    cmd("build", "npm run build", "package.json"),
                    cmd("test", "npm test", "package.json"),
                    cmd("lint", "npm run lint", "package.json"),
                ],
                services: vec![DetectedService {
                    name: "postgres".into(),
                    kind: "database".into(),
                    source: "docker-compose.yml".into(),
                }],
                frameworks: vec!["Express".into()],
                relevant_files: vec![
                    rel(
                        "src/invoices/invoice.service.ts",
                        "matched terms: invoices",
                        8,
                    ),
                    rel(
                        "src/invoices/invoices.controller.ts",
                        "matched terms: invoices",
                        7,
                    ),
                ],
                env_vars: vec!["DATABASE_URL".into(), "JWT_SECRET".into()],
                ..Default::default()
            };
            materialize(
                dir.path(),
                &probe,
                &["package.json", "docker-compose.yml", "README.md"],
            );
            Repo { dir, probe }
        }
        _ => python_repo(),
    };
    let tasks: Vec<String> = std::env::var("ANNEAL_SAMPLE_TASKS")
        .map(|v| v.split('|').map(|s| s.to_string()).collect())
        .unwrap_or_else(|_| vec!["Add rate limiting to the login endpoint".into()]);
    let lens = std::env::var("ANNEAL_SAMPLE_LENS").ok();
    let full = std::env::var("ANNEAL_SAMPLE_FULL").is_ok();
    for task in tasks {
        let (plan, actions) = plan_for(&task, &repo, &req("prometheus-cast", lens.as_deref()));
        if full {
            println!("{}", serde_yaml::to_string(&plan).unwrap());
        } else {
            println!(
                "\n## {} [{}] {}\n{}",
                plan.title, plan.author, plan.effort, plan.thesis
            );
            for p in &plan.phases {
                println!(
                    "  {} {} — {} | gate {:?} | deps {:?}",
                    p.id, p.slug, p.title, p.gate, p.depends_on
                );
                for st in &p.steps {
                    println!("      - {st}");
                }
                for f in &p.files {
                    println!("      * {:?} {}", f.action, f.path);
                }
                for c in &p.success_criteria {
                    println!("      ✓ {c}");
                }
                println!("      ↶ {}", p.rollback);
            }
            println!(
                "  deps {:?}\n  out {:?}\n  rules {:?}",
                plan.dependencies, plan.out_of_scope, plan.iron_rules
            );
        }
        for a in actions {
            println!("  > [{}] {} => {:?}", a.origin, a.text, a.outcome);
        }
    }
}

#[test]
fn empty_repository_still_gives_valid_plans() {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repo {
        dir,
        probe: ProbeReport {
            repository: "empty".into(),
            ..Default::default()
        },
    };
    for task in [
        "Build a command line tool in Rust that validates deployment manifests",
        "Add rate limiting to the login endpoint",
        "Fix the crash when the config file is missing",
        "Investigate whether we should adopt gRPC for internal services",
    ] {
        let (plan, actions) = plan_for(task, &repo, &req("prometheus-cast", None));
        assert_conventions(&plan, &repo.probe, repo.dir.path());
        assert!(
            plan.phases[0].gate.iter().all(|g| g.starts_with("check: ")),
            "{task}"
        );
        assert!(
            plan.thesis.contains("no build or test command"),
            "{task}: {}",
            plan.thesis
        );
        assert!(
            actions
                .iter()
                .all(|a| !matches!(a.outcome, Outcome::Deferred(_))),
            "{task}: {actions:#?}"
        );
    }
    let (plan, _) = plan_for(
        "Build a command line tool in Rust that validates deployment manifests",
        &repo,
        &req("prometheus-cast", None),
    );
    assert!(
        plan.phases[1]
            .files
            .iter()
            .any(|f| f.path.ends_with("/src/lib.rs") && f.action == FileAction::Create),
        "{:?}",
        plan.phases[1].files
    );
}

/// The Python app without its services and compose file: a library, nothing deployable.
fn python_library() -> Repo {
    let dir = tempfile::tempdir().unwrap();
    let mut probe = python_app();
    probe.services.clear();
    probe.frameworks.clear();
    materialize(
        dir.path(),
        &probe,
        &["README.md", "CHANGELOG.md", "pyproject.toml", "Makefile"],
    );
    Repo { dir, probe }
}

#[test]
fn a_library_gets_no_deployment_rollout_or_production_metrics() {
    use crate::offline::checks::fit::{deployable, OPERATIONS};
    let repo = python_library();
    assert!(deployable(&repo.probe, repo.dir.path()).is_none());
    for task in [
        "Add rate limiting to the login endpoint",
        "Fix the crash when the login form is submitted twice",
        "Make the report export faster",
        "Replace the hand-written password hashing with argon2",
    ] {
        let mut roles: Vec<(&str, Option<&str>)> = vec![("prometheus-cast", None)];
        roles.extend(
            Lens::ALL
                .iter()
                .map(|l| ("prometheus-alloy", Some(l.name()))),
        );
        for (role, lens) in roles {
            let (plan, _) = plan_for(task, &repo, &req(role, lens));
            for p in &plan.phases {
                let head = format!("{}\n{}", p.title, p.goal);
                assert!(
                    !OPERATIONS.is_match(&head),
                    "{task} {lens:?}: phase {} ({})",
                    p.id,
                    p.title
                );
            }
            assert!(
                plan.dependencies
                    .permissions
                    .iter()
                    .all(|x| !x.contains("Deploy rights")),
                "{task} {lens:?}: {:?}",
                plan.dependencies.permissions
            );
        }
    }
    // The same repository with its services is deployed: the feature gets its rollout.
    let service = python_repo();
    let (plan, _) = plan_for(
        "Add rate limiting to the login endpoint",
        &service,
        &req("prometheus-cast", None),
    );
    assert!(plan.phases.iter().any(|p| p.slug.starts_with("rollout-")));
}

#[test]
fn settings_are_asked_for_only_where_something_is_configurable() {
    const SETTINGS: &str = "Read every new setting from the project's existing configuration";
    let says = |task: &str, repo: &Repo| {
        let (plan, _) = plan_for(task, repo, &req("prometheus-cast", None));
        plan.phases
            .iter()
            .flat_map(|p| p.steps.iter())
            .any(|s| s.starts_with(SETTINGS))
    };
    let library = python_library();
    assert!(!says(
        "Add a slugify helper to the text utilities",
        &library
    ));
    assert!(says(
        "Add a configurable timeout to the HTTP client",
        &library
    ));
    // A deployable service reads its settings from its configuration.
    assert!(says(
        "Add a slugify helper to the text utilities",
        &python_repo()
    ));
}

#[test]
fn a_fix_prefix_makes_a_bugfix_about_the_rest_of_the_sentence() {
    let repo = python_library();
    let task = "Fix: login crashes when the password is empty";
    assert_eq!(classify(task).kind, TaskKind::Bugfix);
    let (plan, _) = plan_for(task, &repo, &req("prometheus-cast", None));
    let text: String = plan.phases.iter().map(all_text).collect();
    assert!(!text.contains("the Fix"), "{text}");
    assert!(
        plan.phases[1].title.contains("login crashes"),
        "{}",
        plan.phases[1].title
    );
}

/// Findings folded by the pipeline (`agent (location): demand`) change the phase they are
/// about and are never pasted into the plan as steps.
#[test]
fn re_loop_findings_change_their_phase_and_are_not_pasted_as_steps() {
    let repo = python_library();
    let task = "Add rate limiting to the login endpoint";
    let intent = classify(task);
    let base = plan_for(task, &repo, &req("prometheus-cast", None)).0;
    let impl_phase = base
        .phases
        .iter()
        .find(|p| p.slug.starts_with("implement"))
        .expect("an implementation phase");
    let loc = format!("plan/phase-{}-{}.md", impl_phase.id, impl_phase.slug);
    let mut directives = metis_directives(task, &repo);
    let folded = [
        format!("momus ({loc}): Write the rollback of phase {}: the steps that undo it and how to verify they did.", impl_phase.id),
        format!("redteam-scope ({loc}): Rewrite the steps of phase {} to name what they change: the file (`app/auth.py`), the function or type, and the test or command that proves it.", impl_phase.id),
        format!("redteam-assumptions ({loc}): Add a test that an empty password is refused with 400."),
        "oracle (plan/plan.md): Reconsider the overall approach with the product owner.".to_string(),
    ];
    directives.extend(folded.iter().cloned());
    let c = ctx(task, intent.kind, &directives, &repo.probe, repo.dir.path());
    let (plan, actions) = plan_with_actions(&c, &req("prometheus-cast", None)).unwrap();
    let after = plan
        .phases
        .iter()
        .find(|p| p.slug == impl_phase.slug)
        .unwrap();
    assert!(
        plan_rules::is_explicit_rollback(&after.rollback),
        "{}",
        after.rollback
    );
    assert!(
        after
            .steps
            .iter()
            .any(|s| s.contains("empty password is refused with 400")),
        "{:?}",
        after.steps
    );
    for p in &plan.phases {
        for s in &p.steps {
            for bad in [
                "from review",
                "Fix from iteration",
                "momus (",
                "oracle (",
                "redteam-",
                "Reconsider the overall approach",
            ] {
                assert!(
                    !s.contains(bad),
                    "phase {} step pastes a finding: {s}",
                    p.id
                );
            }
        }
    }
    // What no rule can act on is deferred with its reason, not pasted.
    let oracle = actions
        .iter()
        .find(|a| a.text.starts_with("Reconsider the overall approach"))
        .expect("the oracle's demand is acted on");
    assert!(
        matches!(oracle.outcome, Outcome::Deferred(_)),
        "{:?}",
        oracle.outcome
    );
}

/// The fixture's detected command of `purpose` (`build`, `test`).
fn command_of(repo: &Repo, purpose: &str) -> String {
    repo.probe
        .commands
        .iter()
        .find(|c| c.purpose == purpose)
        .unwrap_or_else(|| panic!("the fixture has a {purpose} command"))
        .command
        .clone()
}

/// A detected command that fails on the untouched repository is no gate of any phase, and
/// phase 00 says why with its evidence (docs/design.md §6, "a baseline, not a blocker").
#[test]
fn a_command_failing_on_the_baseline_is_no_gate_and_phase_00_says_so() {
    use crate::model::baseline::{Baseline, BaselineRun};
    let repo = python_repo();
    let build = command_of(&repo, "build");
    let baseline = Baseline {
        preflight: None,
        blocked: None,
        commands: vec![BaselineRun {
            command: build.clone(),
            passed: false,
            detail: "exit status 2".into(),
            evidence: Some("evidence/baseline-gate-1.log".into()),
            failing: vec![],
        }],
    };
    let task = "Add a --json flag to the export command";
    let intent = classify(task);
    let mut c = ctx(task, intent.kind, &[], &repo.probe, repo.dir.path());
    let (before, _) = plan_with_actions(&c, &req("prometheus-cast", None)).expect("plan");
    assert!(
        before.phases[0].gate.contains(&build),
        "{:?}",
        before.phases[0]
    );
    c.baseline = Some(&baseline);
    let (plan, _) = plan_with_actions(&c, &req("prometheus-cast", None)).expect("plan");
    for p in &plan.phases {
        assert!(!p.gate.contains(&build), "phase {}: {:?}", p.id, p.gate);
    }
    let says = format!("`{build}`");
    assert!(
        plan.phases[0].steps.iter().any(|s| s.starts_with(&says)
            && s.contains("already fails on the untouched repository: exit status 2")
            && s.contains("evidence/baseline-gate-1.log")),
        "{:?}",
        plan.phases[0].steps
    );
    assert!(
        !plan.phases[0].gate.is_empty(),
        "the test command still gates phase 00"
    );
}

/// A pre-existing failure the task names becomes the first phase after the preflight, gated
/// on the command that runs it, naming the test file; a task about something else leaves it
/// as the baseline (docs/design.md §6).
#[test]
fn a_pre_existing_failure_the_task_is_about_becomes_a_phase() {
    use crate::model::baseline::{Baseline, BaselineRun};
    let repo = python_repo();
    std::fs::create_dir_all(repo.dir.path().join("tests")).unwrap();
    std::fs::write(
        repo.dir.path().join("tests/test_sessions.py"),
        "def test_expired_session_is_rejected():\n    assert False\n",
    )
    .unwrap();
    let test_cmd = command_of(&repo, "test");
    let baseline = Baseline {
        preflight: None,
        blocked: None,
        commands: vec![BaselineRun {
            command: test_cmd.clone(),
            passed: true,
            detail: String::new(),
            evidence: Some("evidence/baseline-gate-2.log".into()),
            failing: vec!["tests/test_sessions.py::test_expired_session_is_rejected".into()],
        }],
    };
    let plan_with = |task: &str| {
        let intent = classify(task);
        let mut c = ctx(task, intent.kind, &[], &repo.probe, repo.dir.path());
        c.baseline = Some(&baseline);
        plan_with_actions(&c, &req("prometheus-cast", None)).expect("plan")
    };
    let (plan, actions) = plan_with("Fix test_expired_session_is_rejected");
    let p = &plan.phases[1];
    assert!(
        p.title
            .contains("tests/test_sessions.py::test_expired_session_is_rejected"),
        "{p:?}"
    );
    assert!(p.gate.contains(&test_cmd), "{p:?}");
    assert!(
        p.files.iter().any(|f| f.path == "tests/test_sessions.py"),
        "{p:?}"
    );
    assert!(!p.rollback.is_empty() && !p.success_criteria.is_empty());
    assert!(
        actions.iter().any(|a| a.origin == "baseline"),
        "{actions:?}"
    );
    assert!(
        crate::model::validate::validate_plan(&plan).is_ok(),
        "{:?}",
        crate::model::validate::validate_plan(&plan)
    );
    // Another task leaves the failure as the baseline.
    let (other, _) = plan_with("Add a --json flag to the export command");
    assert!(!other
        .phases
        .iter()
        .any(|p| p.title.contains("test_expired_session_is_rejected")));
}

/// A removal is done in place: the refactor shape adds no new module named after the task, and
/// its change phase says what it removes.
#[test]
fn a_removal_refactor_creates_no_module_named_after_the_task() {
    let repo = python_repo();
    let (plan, _) = plan_for(
        "Remove the legacy session cleanup",
        &repo,
        &req("prometheus-cast", None),
    );
    let created: Vec<&String> = plan
        .phases
        .iter()
        .flat_map(|p| p.files.iter())
        .filter(|f| f.action == FileAction::Create && super::paths::is_code_path(&f.path))
        .filter(|f| !super::paths::is_test_path(&f.path))
        .map(|f| &f.path)
        .collect();
    assert!(created.is_empty(), "{created:?}");
    assert!(
        plan.phases
            .iter()
            .any(|p| p.title.starts_with("Remove ") && p.title.ends_with("where it is defined")),
        "{:?}",
        plan.phases.iter().map(|p| &p.title).collect::<Vec<_>>()
    );
}

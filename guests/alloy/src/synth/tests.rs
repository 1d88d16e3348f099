//! Unit tests of the synthesis with hand-built variant plans.
use super::*;
use anneal_guest::types::TaskKind;

/// A feature task for tests that do not depend on which biases apply.
const FEATURE: TaskFacts<'static> = TaskFacts {
    text: "Add presence to the chat",
    kind: TaskKind::Feature,
};
use anneal_guest::types::{DetectedCommand, DetectedService, FileAction, FileChange, LanguageStat};

fn phase(id: usize, slug: &str, title: &str) -> Phase {
    Phase {
        id: format!("{id:02}"),
        slug: slug.into(),
        title: title.into(),
        goal: format!("Do {title}."),
        steps: vec![format!("Implement {title}.")],
        files: Vec::new(),
        success_criteria: vec![format!("{title} is done.")],
        gate: vec!["cargo test --workspace".into()],
        rollback: format!("Revert the commits of {title} and delete what it created."),
        depends_on: if id == 0 {
            Vec::new()
        } else {
            vec![format!("{:02}", id - 1)]
        },
        provenance: None,
    }
}

fn plan(phases: Vec<Phase>, services: &[&str]) -> Plan {
    Plan {
        title: "Add presence".into(),
        thesis: "Show who is online.".into(),
        effort: "3 phases".into(),
        phases,
        dependencies: Dependencies {
            services: services.iter().map(|s| s.to_string()).collect(),
            env_vars: Vec::new(),
            permissions: Vec::new(),
        },
        out_of_scope: vec!["Mobile clients.".into()],
        iron_rules: vec!["Keep the test suite green.".into()],
        author: "x".into(),
    }
}

fn create(p: &mut Phase, path: &str) {
    p.files.push(FileChange {
        path: path.into(),
        action: FileAction::Create,
    });
}

fn probe() -> ProbeReport {
    ProbeReport {
        repository: "app".into(),
        languages: vec![LanguageStat {
            name: "Rust".into(),
            files: 10,
        }],
        manifests: vec!["Cargo.toml".into()],
        commands: vec![DetectedCommand {
            purpose: "test".into(),
            command: "cargo test --workspace".into(),
            source: "Cargo.toml".into(),
        }],
        services: Vec::new(),
        ci: Vec::new(),
        frameworks: Vec::new(),
        entry_points: vec!["src/main.rs".into()],
        relevant_files: Vec::new(),
        env_vars: Vec::new(),
        skills: Vec::new(),
        files_scanned: 10,
    }
}

fn v(index: usize, bias: &str, plan: Plan) -> Variant {
    Variant {
        index,
        bias: bias.into(),
        plan,
    }
}

fn base(_i: usize, extra: &str) -> Vec<Phase> {
    vec![
        phase(0, "preflight", "Preflight"),
        phase(1, "presence-core", "Presence core"),
        phase(
            2,
            &format!("presence-{extra}"),
            &format!("Presence {extra}"),
        ),
    ]
}

/// Redis vs Postgres: two variants each declare one store and a phase that provisions it.
fn store_variants() -> Vec<Variant> {
    let mut a = base(0, "api");
    a.insert(2, phase(2, "redis-store", "Redis presence store"));
    a[3].id = "03".into();
    a[3].depends_on = vec!["02".into()];
    let mut b = base(0, "api");
    b.insert(
        2,
        phase(
            2,
            "postgres-listen-notify",
            "Postgres LISTEN/NOTIFY presence",
        ),
    );
    b[3].id = "03".into();
    b[3].depends_on = vec!["02".into()];
    vec![
        v(1, "correctness", plan(a, &["Redis"])),
        v(2, "minimalist", plan(b, &["PostgreSQL"])),
    ]
}

fn check_valid(p: &Plan) {
    for (i, ph) in p.phases.iter().enumerate() {
        assert_eq!(ph.id, format!("{i:02}"));
        assert!(
            ph.depends_on.iter().all(|d| d.as_str() < ph.id.as_str()),
            "{} deps {:?}",
            ph.id,
            ph.depends_on
        );
        assert!(ph.slug.len() <= 40 && !ph.slug.starts_with('-') && !ph.slug.ends_with('-'));
        assert!(
            ph.slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{}",
            ph.slug
        );
        assert!(ph.provenance.is_some());
    }
    assert_eq!(p.phases[0].slug, "preflight");
    let mut slugs: Vec<&str> = p.phases.iter().map(|p| p.slug.as_str()).collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), p.phases.len(), "unique slugs");
    assert_eq!(p.author, "synthesizer");
}

#[test]
fn aligned_phases_pick_the_strongest_and_fold_a_secondary() {
    let mut a = base(0, "api");
    a[1].success_criteria = vec!["Presence core works.".into()];
    let mut b = base(0, "api");
    b[1].success_criteria = vec![
        "Presence core answers in under 50 ms.".into(),
        "`cargo test presence` exits 0.".into(),
    ];
    let mut c = base(0, "api");
    c[1].rollback =
        "Checkpoint the database, then turn the presence_enabled flag off and revert the commits."
            .into();
    let vs = vec![
        v(1, "correctness", plan(a, &[])),
        v(2, "minimalist", plan(b, &[])),
        v(3, "defensive", plan(c, &[])),
    ];
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    assert_eq!(
        s.plan.phases.len(),
        3,
        "the same three phases aligned: {:?}",
        s.plan.phases.iter().map(|p| &p.slug).collect::<Vec<_>>()
    );
    let core = &s.plan.phases[1];
    let pv = core.provenance.as_ref().unwrap();
    // b has the most measurable criteria; c's checkpoint-and-flag rollback is folded in.
    assert_eq!(pv.primary_source, "variant-2-minimalist");
    assert_eq!(pv.secondary_source.as_deref(), Some("variant-3-defensive"));
    assert!(
        core.rollback.contains("Checkpoint"),
        "defensive rollback folded: {}",
        core.rollback
    );
    assert!(s.contradictions.is_empty());
}

#[test]
fn service_contradiction_resolved_by_directive() {
    let directives =
        vec!["Use PostgreSQL LISTEN/NOTIFY for presence; do not add a new store.".to_string()];
    let s = synthesize(&store_variants(), &FEATURE, &directives, &probe());
    check_valid(&s.plan);
    assert_eq!(s.plan.dependencies.services, vec!["PostgreSQL".to_string()]);
    let c = &s.contradictions[0];
    assert!(matches!(c.resolution, Resolution::Directive(_)), "{c:?}");
    assert!(
        s.plan.phases.iter().all(|p| p.slug != "redis-store"),
        "the Redis phase is dropped"
    );
    let pg = s
        .plan
        .phases
        .iter()
        .find(|p| p.slug == "postgres-listen-notify")
        .expect("postgres phase kept");
    assert!(pg.provenance.as_ref().unwrap().contradictions[0].contains("Metis directive"));
    assert!(!s.plan.iron_rules.iter().any(|r| r.starts_with("Decide:")));
    assert!(s.plan.out_of_scope.iter().any(|o| o.contains("Redis")));
}

#[test]
fn service_contradiction_resolved_by_probe_stack() {
    let mut p = probe();
    p.services.push(DetectedService {
        name: "redis".into(),
        kind: "cache".into(),
        source: "docker-compose.yml".into(),
    });
    let s = synthesize(&store_variants(), &FEATURE, &[], &p);
    check_valid(&s.plan);
    assert_eq!(s.plan.dependencies.services, vec!["Redis".to_string()]);
    assert!(matches!(
        s.contradictions[0].resolution,
        Resolution::Stack(_)
    ));
    assert!(s.plan.phases.iter().any(|p| p.slug == "redis-store"));
    assert!(s
        .plan
        .phases
        .iter()
        .all(|p| p.slug != "postgres-listen-notify"));
}

#[test]
fn unresolved_contradiction_is_surfaced_with_a_synthesizer_phase() {
    let s = synthesize(&store_variants(), &FEATURE, &[], &probe());
    check_valid(&s.plan);
    let c = &s.contradictions[0];
    assert_eq!(c.resolution, Resolution::Human);
    assert!(
        s.plan
            .iron_rules
            .iter()
            .any(|r| r.starts_with("Decide: services `Redis` vs `PostgreSQL`")),
        "{:?}",
        s.plan.iron_rules
    );
    // The synthesizer-invented decision phase: right after preflight, no secondary source.
    let d = &s.plan.phases[1];
    let pv = d.provenance.as_ref().unwrap();
    assert_eq!(pv.primary_source, "synthesizer");
    assert!(pv.secondary_source.is_none());
    assert!(d.slug.starts_with("decide-"), "{}", d.slug);
    assert!(d.gate[0].starts_with("check: "));
    let md = report::render(&s, &store_variants(), 0);
    assert!(md.contains("**Synthesizer-invented phase**"));
    assert!(md.contains("surfaced for a human"));
    assert!(md.contains("| (synthesizer) | — | 1 | 0 |"));
}

#[test]
fn feature_flag_contradiction_follows_directive_or_is_surfaced() {
    let mut d = base(0, "api");
    d.insert(
        1,
        phase(1, "feature-flag-presence", "Feature flag for presence"),
    );
    for (i, p) in d.iter_mut().enumerate() {
        p.id = format!("{i:02}");
        if i > 0 {
            p.depends_on = vec![format!("{:02}", i - 1)];
        }
    }
    d[2].rollback = "Turn the feature flag presence_enabled off, then revert the commits.".into();
    let vs = vec![
        v(1, "correctness", plan(base(0, "api"), &[])),
        v(2, "defensive", plan(d, &[])),
    ];
    // No directive, no flag in the stack: surfaced, flag kept provisionally.
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    assert!(s
        .plan
        .phases
        .iter()
        .any(|p| p.slug == "feature-flag-presence"));
    assert!(s
        .plan
        .iron_rules
        .iter()
        .any(|r| r.starts_with("Decide: feature flag")));
    // A directive against flags drops the flag phase and the flag-only candidates.
    let s = synthesize(
        &vs,
        &FEATURE,
        &["Ship without a feature flag; no flag infrastructure.".to_string()],
        &probe(),
    );
    check_valid(&s.plan);
    assert!(s
        .plan
        .phases
        .iter()
        .all(|p| p.slug != "feature-flag-presence"));
    assert!(s
        .plan
        .phases
        .iter()
        .all(|p| !p.rollback.contains("feature flag")));
    assert!(s
        .dropped
        .iter()
        .any(|(_, slug, _)| slug == "feature-flag-presence"));
}

#[test]
fn flag_as_a_verb_is_not_a_directive_about_feature_flags() {
    let mut d = base(0, "api");
    d.insert(
        1,
        phase(1, "feature-flag-presence", "Feature flag for presence"),
    );
    for (i, p) in d.iter_mut().enumerate() {
        p.id = format!("{i:02}");
        if i > 0 {
            p.depends_on = vec![format!("{:02}", i - 1)];
        }
    }
    let vs = vec![
        v(1, "correctness", plan(base(0, "api"), &[])),
        v(2, "defensive", plan(d, &[])),
    ];
    let verb =
        "Flag dropping the old data as a breaking change and keep a restore path.".to_string();
    let s = synthesize(&vs, &FEATURE, &[verb], &probe());
    check_valid(&s.plan);
    // Not resolved by that directive: still surfaced for a human.
    assert!(s
        .plan
        .iron_rules
        .iter()
        .any(|r| r.starts_with("Decide: feature flag")));
}

#[test]
fn file_contradiction_resolved_by_stack() {
    let mut a = base(0, "api");
    create(&mut a[1], "presence/core.py");
    let mut b = base(0, "api");
    create(&mut b[1], "src/presence.rs");
    let vs = vec![
        v(1, "correctness", plan(a, &[])),
        v(2, "minimalist", plan(b, &[])),
    ];
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    let core = &s.plan.phases[1];
    assert_eq!(
        core.provenance.as_ref().unwrap().primary_source,
        "variant-2-minimalist"
    );
    assert!(core.provenance.as_ref().unwrap().contradictions[0].contains("probe's detected stack"));
}

#[test]
fn per_bias_counts_and_lens_only_phases() {
    let mut a = base(0, "api");
    a.push(phase(
        3,
        "acceptance-presence",
        "Acceptance tests for presence",
    ));
    let mut c = base(0, "api");
    c.insert(
        1,
        phase(1, "observability-presence", "Observability for presence"),
    );
    for (i, p) in c.iter_mut().enumerate() {
        p.id = format!("{i:02}");
        p.depends_on = if i == 0 {
            vec![]
        } else {
            vec![format!("{:02}", i - 1)]
        };
    }
    c[2].success_criteria
        .push("Presence core p95 latency under 20 ms.".into());
    c[2].success_criteria
        .push("`cargo test presence` exits 0.".into());
    let vs = vec![
        v(1, "correctness", plan(a, &[])),
        v(2, "verification", plan(c, &[])),
    ];
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    let slugs: Vec<&str> = s.plan.phases.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(
        slugs,
        vec![
            "preflight",
            "observability-presence",
            "presence-core",
            "presence-api",
            "acceptance-presence"
        ]
    );
    let total: usize = s.counts.iter().map(|c| c.1).sum();
    assert_eq!(total, 5);
    assert_eq!(s.counts[1], ("verification".to_string(), 2, s.counts[1].2));
    assert_eq!(s.counts[0].1, 3);
    let md = report::render(&s, &vs, 0);
    assert!(
        md.contains("| correctness | variant-1-correctness | 3 |"),
        "{md}"
    );
    assert!(md.contains("| verification | variant-2-verification | 2 |"));
    // Dependencies point at earlier ids only, through the variant's own rows.
    assert_eq!(s.plan.phases[2].depends_on, vec!["01".to_string()]);
}

#[test]
fn unique_slug_is_valid() {
    assert_eq!(
        unique_slug("decide-services Redis vs Postgres", &[]),
        "decide-services-redis-vs-postgres"
    );
    assert_eq!(unique_slug("a", &["a".into()]), "a-2");
    let long = "x".repeat(50);
    let s = unique_slug(&long, &["x".repeat(40)]);
    assert_eq!(s.len(), 40);
    assert!(s.ends_with("-2"));
}

#[test]
fn the_rubric_uses_the_shared_plan_rules() {
    let p = probe();
    let mut clean = phase(1, "implement", "Implement presence");
    clean.success_criteria = vec!["`cargo test --workspace` exits 0".into()];
    let mut creep = clean.clone();
    creep
        .steps
        .push("While we're at it, add a presence dashboard.".into());
    assert!(score(&creep, Role::Work, &p) < score(&clean, Role::Work, &p));
    // A long rollback that never says how to undo the change is not explicit (it used to be,
    // by length alone).
    let mut vague = clean.clone();
    vague.rollback = "TBD by the release owner after the launch.".into();
    assert!(
        score(&vague, Role::Work, &p) < score(&clean, Role::Work, &p),
        "{} {}",
        score(&vague, Role::Work, &p),
        score(&clean, Role::Work, &p)
    );
    // "All existing tests pass" names an observable outcome: measurable, as Momus reads it.
    let mut observable = clean.clone();
    observable.success_criteria = vec!["All existing tests pass.".into()];
    let mut vague_criterion = clean.clone();
    vague_criterion.success_criteria = vec!["Presence works well.".into()];
    assert!(score(&observable, Role::Work, &p) > score(&vague_criterion, Role::Work, &p));
    // The score is the rubric's phase score: a missing criterion costs what it costs Momus.
    let mut none = clean.clone();
    none.success_criteria.clear();
    let s = |ph: &Phase| score(ph, Role::Work, &p);
    assert_eq!(
        s(&clean) - s(&none),
        10,
        "a high correctness finding costs 10 points"
    );
}

/// Seven variants: six agree on preflight, core and api; the performance variant adds a
/// benchmark phase, the defensive one a feature flag.
fn seven() -> Vec<Variant> {
    const BIASES: [&str; 7] = [
        "correctness",
        "minimalist",
        "defensive",
        "performance",
        "ux",
        "verification",
        "migration",
    ];
    BIASES
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let mut phases = base(0, "api");
            let extra = match *b {
                "performance" => Some(phase(
                    1,
                    "baseline-benchmark-presence",
                    "Benchmark the hot path",
                )),
                "defensive" => Some(phase(
                    1,
                    "feature-flag-presence",
                    "Feature flag for presence",
                )),
                _ => None,
            };
            if let Some(x) = extra {
                phases.insert(1, x);
                for (k, p) in phases.iter_mut().enumerate() {
                    p.id = format!("{k:02}");
                    p.depends_on = if k == 0 {
                        vec![]
                    } else {
                        vec![format!("{:02}", k - 1)]
                    };
                }
            }
            let mut pl = plan(phases, &[]);
            if *b == "migration" {
                pl.iron_rules
                    .push("Every breaking change has a migration step.".into());
            }
            v(i + 1, b, pl)
        })
        .collect()
}

#[test]
fn a_phase_only_a_minority_proposes_is_kept_only_for_a_bias_that_applies() {
    let vs = seven();
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    let slugs: Vec<&str> = s.plan.phases.iter().map(|p| p.slug.as_str()).collect();
    assert_eq!(slugs, vec!["preflight", "presence-core", "presence-api"]);
    let why = |slug: &str| {
        s.dropped
            .iter()
            .find(|(_, sl, _)| sl == slug)
            .map(|(_, _, w)| w.clone())
            .unwrap_or_default()
    };
    assert!(why("baseline-benchmark-presence")
        .contains("proposed by 1 of 7 variants (variant-4-performance)"));
    // The flag: 1 of 7 variants, so the majority decides against it, said in the contradiction.
    let flag = s
        .contradictions
        .iter()
        .find(|c| c.topic == "feature flag")
        .unwrap();
    assert!(
        flag.line()
            .contains("resolved by majority (6 of 7 variants)"),
        "{}",
        flag.line()
    );
    assert!(s
        .plan
        .iron_rules
        .iter()
        .all(|r| !r.contains("migration step")));
    let md = report::render(&s, &vs, 0);
    assert!(md.contains("## Phases left out of the blend"), "{md}");

    // A task about speed calls for the performance bias: its benchmark stays, with the reason.
    let speed = TaskFacts {
        text: "Make presence updates faster",
        kind: anneal_guest::types::TaskKind::Performance,
    };
    let s = synthesize(&vs, &speed, &[], &probe());
    let bench = s
        .plan
        .phases
        .iter()
        .position(|p| p.slug == "baseline-benchmark-presence")
        .expect("benchmark kept");
    assert!(s.records[bench]
        .rationale
        .contains("serves the performance bias, which applies"));
}

/// A variant that merged two phases the others keep apart (the minimalist's "reproduce and
/// fix") does not lend its merged phase to the blend, even when it is the richest: the blend
/// would repeat the reproduction and lose the fix's dependency on it.
#[test]
fn a_merged_phase_of_a_minority_shape_is_not_the_primary() {
    let split = || {
        let mut p = vec![
            phase(0, "preflight", "Preflight"),
            phase(1, "reproduce-bug", "Reproduce the bug"),
            phase(2, "fix-bug", "Fix the bug"),
        ];
        p[2].files.push(FileChange {
            path: "src/lib.rs".into(),
            action: FileAction::Modify,
        });
        p
    };
    let mut merged = vec![
        phase(0, "preflight", "Preflight"),
        phase(1, "fix-bug", "Reproduce and fix the bug"),
    ];
    merged[1]
        .steps
        .insert(0, "Reproduce the bug with a failing test.".into());
    for path in ["src/lib.rs", "tests/regression.rs"] {
        merged[1].files.push(FileChange {
            path: path.into(),
            action: FileAction::Modify,
        });
    }
    let vs = vec![
        v(1, "minimalist", plan(merged, &[])),
        v(2, "correctness", plan(split(), &[])),
        v(3, "defensive", plan(split(), &[])),
    ];
    let s = synthesize(&vs, &FEATURE, &[], &probe());
    check_valid(&s.plan);
    let fix = s.plan.phases.iter().find(|p| p.slug == "fix-bug").unwrap();
    let pv = fix.provenance.as_ref().unwrap();
    assert_eq!(pv.primary_source, "variant-2-correctness", "{pv:?}");
    assert_eq!(fix.depends_on, vec!["01".to_string()], "{fix:?}");
    assert_eq!(
        s.plan
            .phases
            .iter()
            .filter(|p| p.title.contains("Reproduce"))
            .count(),
        1,
        "{:?}",
        s.plan.phases.iter().map(|p| &p.title).collect::<Vec<_>>()
    );
}

use super::*;
use crate::model::{Dependencies, FileAction, FileChange, Phase, Plan, Provenance, TaskKind};
use crate::render::plan_md::{render, Header};
use proptest::prelude::*;

fn header() -> Header<'static> {
    Header {
        run_id: "anneal-20261201-120000-add-a-shout",
        strategy: "alloy",
        task: "Add a --shout flag to greet.py",
        task_kind: TaskKind::Feature,
        status: "EMIT",
        overall_verdict: crate::model::Verdict::Caution,
        momus_score: Some(88),
        momus_breakdown: Some("correctness −10, scope hygiene −1.5"),
        hephaestus: "PASS",
    }
}

/// Words of plan text, chosen to hit what Markdown makes of text: block markers at the start
/// of a line, inline code, emphasis, links, HTML, escapes, commas, digits.
const TOKENS: &[&str] = &[
    "add",
    "the",
    "flag",
    "greet",
    "upper",
    "case",
    "Run",
    "tests",
    "x",
    "é",
    "—",
    "…",
    "-",
    "--shout",
    "#",
    "##",
    "#x",
    ">",
    "|",
    "a|b",
    "*",
    "**bold**",
    "_em_",
    "`code`",
    "``",
    "`open",
    "[link](url)",
    "[x]:",
    "[",
    "]",
    "\\",
    "\\*",
    "a\\",
    ",",
    "a,b",
    "a,",
    "1.",
    "2)",
    "10.",
    "<b>",
    "<!--",
    "&amp;",
    "~~",
    "===",
    "---",
    "+",
    ":",
    "!",
    "(x)",
    "check",
    "greet.py",
    "src/lib.rs",
    "Type::member",
    "snake_case",
    "\"q\"",
    "'s",
    "%",
    "=",
    "<",
];

fn text(max_words: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 1..=max_words).prop_map(|w| w.join(" "))
}

fn paragraphs() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        text(12),
        (text(8), text(8)).prop_map(|(a, b)| format!("{a}\n\n{b}")),
    ]
}

fn command() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("cargo test --workspace".to_string()),
        Just("make test".to_string()),
        Just("echo `x` | grep -c x".to_string()),
        Just("python3 -m pytest -k 'a and b'".to_string()),
        text(5).prop_filter("not a check", |t| {
            !t.to_lowercase().starts_with("check:") && !t.to_lowercase().starts_with("run")
        }),
        (text(3), text(3)).prop_map(|(a, b)| format!("set -e\n{a}\n{b}")),
        text(6).prop_map(|t| format!("check: {t}")),
    ]
}

fn slug() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z][a-z0-9]{0,6}", 1..=3).prop_map(|w| w.join("-"))
}

fn path() -> impl Strategy<Value = String> {
    (
        "[a-z]{1,6}",
        "[a-z_]{1,8}",
        prop::sample::select(&["rs", "py", "md", "go"][..]),
    )
        .prop_map(|(d, f, e)| format!("{d}/{f}.{e}"))
}

fn action() -> impl Strategy<Value = FileAction> {
    prop::sample::select(&[FileAction::Create, FileAction::Modify, FileAction::Delete][..])
}

prop_compose! {
    fn phase()(
        slug in slug(),
        title in text(8),
        goal in paragraphs(),
        steps in prop::collection::vec(text(10), 0..4),
        files in prop::collection::vec((path(), action()), 0..3),
        criteria in prop::collection::vec(text(8), 0..3),
        gate in prop::collection::vec(command(), 0..3),
        rollback in paragraphs(),
        deps in prop::collection::vec(0usize..8, 0..3),
        provenance in prop::option::of((text(3), prop::option::of(text(3)), prop::collection::vec(text(6), 0..3))),
    ) -> (String, Phase, Vec<usize>) {
        let phase = Phase {
            id: String::new(),
            slug: slug.clone(),
            title,
            goal,
            steps,
            files: files.into_iter().map(|(path, action)| FileChange { path, action }).collect(),
            success_criteria: criteria,
            gate,
            rollback,
            depends_on: Vec::new(),
            provenance: provenance.map(|(p, s, c)| Provenance {
                primary_source: p,
                secondary_source: s,
                contradictions: c,
            }),
        };
        (slug, phase, deps)
    }
}

prop_compose! {
    fn plan()(
        title in text(10),
        thesis in prop_oneof![Just(String::new()), text(40)],
        effort in prop_oneof![Just(String::new()), text(6)],
        phases in prop::collection::vec(phase(), 1..6),
        services in prop::collection::vec(text(3), 0..3),
        env in prop::collection::vec("[A-Z][A-Z0-9]{0,5}_[A-Z0-9]{1,5}", 0..3),
        permissions in prop::collection::vec(text(3), 0..2),
        oos in prop::collection::vec(text(8), 0..3),
        iron in prop::collection::vec(text(8), 0..3),
        author in prop_oneof![Just(String::new()), Just("prometheus-alloy/minimalist".to_string())],
    ) -> Plan {
        let mut used: Vec<String> = Vec::new();
        let n = phases.len();
        let phases = phases
            .into_iter()
            .enumerate()
            .map(|(i, (slug, mut p, deps))| {
                p.id = format!("{i:02}");
                // Unique file names: a repeated slug gets the phase number.
                p.slug = if used.contains(&slug) { format!("{slug}-{i}") } else { slug };
                used.push(p.slug.clone());
                p.depends_on = deps
                    .into_iter()
                    .map(|d| if d < n { format!("{d:02}") } else { "99".to_string() })
                    .collect();
                p.depends_on.dedup();
                p
            })
            .collect();
        Plan {
            title,
            thesis,
            effort,
            phases,
            dependencies: Dependencies { services, env_vars: env, permissions },
            out_of_scope: oos,
            iron_rules: iron,
            author,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Rendering a plan and parsing it back gives the same plan.
    #[test]
    fn rendering_then_parsing_gives_the_same_plan(plan in plan()) {
        let files = render(&plan, &header());
        let parsed = parse(&files);
        prop_assert!(parsed.problems.is_empty(), "problems: {:?}\n{}", parsed.problems, files[0].1);
        prop_assert!(parsed.cuts.is_empty(), "cuts: {:?}", parsed.cuts);
        prop_assert_eq!(&parsed.plan, &plan, "\n{}", files.iter().map(|(p, t)| format!("=== {p}\n{t}")).collect::<String>());
        prop_assert_eq!(parsed.header.run_id.as_deref(), Some(header().run_id));
        prop_assert_eq!(parsed.header.strategy.as_deref(), Some("alloy"));
        prop_assert_eq!(parsed.header.task_kind, Some(TaskKind::Feature));
        prop_assert_eq!(parsed.header.task.as_deref(), Some(header().task));
    }
}

#[test]
fn the_renderers_fixture_plans_round_trip() {
    use crate::render::plan_md::fixtures;
    for n in 1..=5 {
        let mut plan = fixtures::plan(n);
        if n > 1 {
            plan.phases[1].provenance = Some(fixtures::provenance());
        }
        let parsed = parse(&render(&plan, &header()));
        assert_eq!(parsed.problems, vec![]);
        assert_eq!(parsed.plan, plan);
    }
}

#[test]
fn a_long_overview_says_what_it_cut() {
    let plan = crate::render::plan_md::fixtures::long_plan(30);
    let parsed = parse(&render(&plan, &header()));
    assert_eq!(parsed.plan.phases.len(), 30, "every phase file is read");
    for c in [
        Cut::Thesis,
        Cut::OutOfScope,
        Cut::Services,
        Cut::Permissions,
    ] {
        assert!(parsed.cuts.contains(&c), "{c:?} not in {:?}", parsed.cuts);
    }
    // Each phase file holds its whole phase (texts folded onto one line).
    let (got, want) = (&parsed.plan.phases[7], &plan.phases[7]);
    assert_eq!(got.files, want.files);
    assert_eq!(got.gate.len(), want.gate.len());
    assert_eq!(got.steps.len(), want.steps.len());
    assert_eq!(got.title, fold(&want.title));
}

/// A plan a person wrote or edited by hand: sections in another order, an item over two lines,
/// a gate entry without a checkbox, a bare command, a phase missing from the table, an extra
/// section and a file line without an action.
#[test]
fn a_hand_edited_plan_is_read_and_what_is_not_says_where() {
    let overview = "# Shout\n\n- **Effort:** small\n\n## Thesis\n\nAdd `--shout` to\n`greet.py`.\n\n## Phases\n\n| ID | Phase |\n|---|---|\n| 00 | [Preflight](phase-00-preflight.md) |\n\n## Out of scope\n\n- Colours.\n\n## Notes\n\nAsk Bob.\n";
    let p0 = "# Phase 00 — Preflight\n\n## Gate\n\n- `make test`\n- check: the greeting prints\n\n## Goal\n\nBaseline.\n\n## Steps\n\n1. Run `make test` on a clean\n   checkout.\n\n## Files\n\nNone.\n\n## Success criteria\n\n- `make test` exits 0\n\n## Rollback\n\nNothing to roll back: no file changes.\n";
    let p1 = "# Phase 01 — Add the flag\n\n## Goal\n\nShout.\n\n## Depends on\n\n- [Phase 00 — Preflight](phase-00-preflight.md)\n\n## Steps\n\n- Add `--shout` to `main` in `greet.py`.\n\n## Files\n\n- **modify** `greet.py`\n- greet_test.py\n\n## Success criteria\n\n- `python3 greet.py --shout x` prints `HELLO, X!`\n\n## Gate\n\n- [x] Run `make test`\n\n## Rollback\n\nRevert the commit with `git revert`.\n";
    let files = vec![
        ("plan/plan.md".to_string(), overview.to_string()),
        ("plan/phase-00-preflight.md".to_string(), p0.to_string()),
        ("plan/phase-01-add-flag.md".to_string(), p1.to_string()),
    ];
    let parsed = parse(&files);
    let plan = &parsed.plan;
    assert_eq!(plan.title, "Shout");
    assert_eq!(plan.thesis, "Add `--shout` to `greet.py`.");
    assert_eq!(plan.out_of_scope, vec!["Colours."]);
    assert_eq!(plan.phases.len(), 2);
    let (a, b) = (&plan.phases[0], &plan.phases[1]);
    assert_eq!(a.gate, vec!["make test", "check: the greeting prints"]);
    assert_eq!(a.steps, vec!["Run `make test` on a clean checkout."]);
    assert_eq!((b.id.as_str(), b.slug.as_str()), ("01", "add-flag"));
    assert_eq!(b.depends_on, vec!["00"]);
    assert_eq!(b.gate, vec!["make test"]);
    assert_eq!(
        b.files,
        vec![FileChange {
            path: "greet.py".into(),
            action: FileAction::Modify
        }]
    );
    let lines: Vec<(String, usize)> = parsed
        .problems
        .iter()
        .map(|p| (p.file.clone(), p.line))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("plan/plan.md".to_string(), 20),
            ("plan/phase-01-add-flag.md".to_string(), 1),
            ("plan/phase-01-add-flag.md".to_string(), 18),
        ],
        "{:#?}",
        parsed.problems
    );
    assert!(parsed.problems[0].message.contains("\"Notes\""));
    assert!(parsed.problems[1]
        .message
        .contains("not in the phase table"));
    assert!(parsed.problems[2].message.contains("greet_test.py"));
}

#[test]
fn read_dir_refuses_what_is_not_a_plan_directory() {
    let d = tempfile::tempdir().unwrap();
    let e = read_dir(d.path()).unwrap_err();
    assert!(e.contains("has no plan.md"), "{e}");
    std::fs::write(d.path().join("plan.md"), "# X\n").unwrap();
    std::fs::write(d.path().join("phase-00-preflight.md"), "# Phase 00 — P\n").unwrap();
    std::fs::write(d.path().join("notes.txt"), "x").unwrap();
    let files = read_dir(d.path()).unwrap();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(names, vec!["plan/plan.md", "plan/phase-00-preflight.md"]);
}

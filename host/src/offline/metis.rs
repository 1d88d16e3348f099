//! Metis, the Enrich stage (docs/design.md §2 stage 3): turns the Intent Gate's reading of the task and
//! the probe report into directives — imperative sentences the planner must act on — and,
//! when the task cannot be planned, a BLOCK with clarifying questions.
//!
//! Directives, in order (each only when the probe or the task supports it):
//! 1. the phase-00 gate (the detected build command, else the test command, else a `check:`),
//!    and the test command as the gate of implementation phases;
//! 2. the files to start from (the probe's most relevant files);
//! 3. each touched service as a dependency of the phases touching its files;
//! 4. services the task names that the probe did not find, to be provisioned as new;
//! 5. the relevant environment variables;
//! 6. backwards compatibility of the touched public code;
//! 7. the task kind's discipline (regression test first, baseline first, threat model first,
//!    reversible migration, characterization tests, parity, no production change, scaffold
//!    into the existing build);
//! 8. a security phase when the task or its files are security-sensitive;
//! 9. CI kept green; untouched services left alone;
//! 10. the `folded` failure directives of earlier iterations, verbatim.
use crate::model::Intent;
use crate::model::{envelope, Context};
use crate::model::{Envelope, Finding, Severity, TaskKind, Verdict};
use crate::offline::intent;
use crate::offline::planner::ground::Grounding;
use crate::offline::planner::kinds::is_data_migration;
use crate::text::prose_list;

/// The agent name of the Metis envelope.
pub const AGENT: &str = "metis";

/// Runs Metis (docs/design.md §2 stage 3).
///
/// Inputs: the offline context (task, probe report, repository root; `ctx.task_kind` is not
/// used — `intent.kind` is), the Intent Gate's [`Intent`], and `folded`: failure directives of
/// earlier iterations (appended verbatim after the derived ones). Output: an envelope with
/// `agent: metis`, no depth, `directives` as above, and
/// - BLOCK with `clarifying_questions = intent.questions` and one high finding per vagueness
///   reason when the task is not clear (only `folded` directives are kept then). The Intent
///   Gate ran before the probe, on the task text alone; Metis reads the task again against
///   the code index ([`intent::with_resolution`]), so a task that names a symbol, path or flag
///   the index resolved is not refused for naming no object;
/// - CAUTION when the probe found no build/test command (Hephaestus will have nothing to run),
///   no relevant file, or the task needs a service the probe did not find;
/// - SAFE otherwise.
pub fn enrich(ctx: &Context<'_>, intent: &Intent, folded: &[String]) -> Envelope {
    let intent = &intent::with_resolution(intent, ctx.task, ctx.resolution);
    let g = Grounding::from_parts(ctx.task, intent.kind, ctx.probe, ctx.repo_root)
        .with_resolution(ctx.resolution);
    if !intent.clear {
        let reasons: Vec<&String> = intent
            .reasons
            .iter()
            .filter(|r| !r.contains(": '") && !r.contains(" over ") && !r.contains("default"))
            .collect();
        let mut env = envelope::new(
            AGENT,
            ctx,
            None,
            Verdict::Block,
            format!(
                "BLOCK: the task is too vague to plan ({}); {} clarifying question(s).",
                reasons.first().map(|r| r.as_str()).unwrap_or("unclear"),
                intent.questions.len()
            ),
        );
        env.findings = reasons
            .iter()
            .map(|r| Finding {
                location: "task".to_string(),
                severity: Severity::High,
                concern: format!("The task cannot be planned as written: {r}."),
                demand: "Answer the clarifying questions and restate the task as one sentence naming the component, the change and how to tell it is done.".to_string(),
            })
            .collect();
        env.clarifying_questions = intent.questions.clone();
        env.directives = folded.to_vec();
        return env;
    }

    let mut directives = directives(&g);
    for f in folded {
        if !directives.contains(f) {
            directives.push(f.clone());
        }
    }
    let findings = findings(&g);
    let verdict = if findings.is_empty() {
        Verdict::Safe
    } else {
        Verdict::Caution
    };
    let lang = g
        .languages
        .first()
        .map(|l| l.split(" (").next().unwrap_or(l).to_string())
        .unwrap_or_else(|| "no detected language".to_string());
    let gate = g
        .build
        .as_ref()
        .or(g.test.as_ref())
        .map(|c| format!("gate `{}`", c.command))
        .unwrap_or_else(|| "no runnable gate".to_string());
    let svc = if g.services.is_empty() {
        String::new()
    } else {
        format!(
            "; touches {}",
            g.services
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let summary = format!(
        "{} task on {} ({lang}); {} directive(s); {gate}{svc}{}.",
        intent.kind.as_str(),
        if g.repository.is_empty() {
            "the repository"
        } else {
            g.repository.as_str()
        },
        directives.len(),
        if g.is_sensitive() {
            "; security-sensitive"
        } else {
            ""
        }
    );
    let mut env = envelope::new(AGENT, ctx, None, verdict, summary);
    env.directives = directives;
    env.findings = findings;
    env
}

/// The directives derived from the grounding (docs/design.md §2 stage 3), without folded failures.
/// Deterministic; every sentence is imperative and names what it is grounded in.
pub fn directives(g: &Grounding) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !out.contains(&s) {
            out.push(s);
        }
    };
    // 1. Gates.
    match (&g.build, &g.test) {
        (Some(b), _) => push(format!("Keep the phase-00 gate to `{}`, the command the project declares in {}.", b.command, b.source)),
        (None, Some(t)) => push(format!("Keep the phase-00 gate to `{}`, the test command the project declares in {}.", t.command, t.source)),
        (None, None) => push("Make the phase-00 gate a `check:` that identifies how the project builds and tests: the probe detected no build or test command in its manifests.".to_string()),
    }
    if let Some(t) = &g.test {
        if g.kind != TaskKind::Research {
            push(format!(
                "Gate every implementation phase on `{}`, the test command declared in {}.",
                t.command, t.source
            ));
        }
    }
    // 2. Files.
    if !g.sources.is_empty() {
        let top: Vec<String> = g.sources.iter().take(3).cloned().collect();
        let why = g
            .reason_of(&top[0])
            .filter(|r| !r.is_empty())
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let them = if top.len() == 1 { "it" } else { "them" };
        let by = g.focus.ranked_by();
        if g.kind == TaskKind::Research {
            push(format!("Study {} in the spike, without changing {them}: {by} ranks {them} most relevant to the question{why}.", prose_list(&top, "")));
        } else if g.kind == TaskKind::Greenfield {
            push(format!("Follow the conventions of {} in the new component: {by} ranks {them} closest to the task{why}.", prose_list(&top, "")));
        } else {
            push(format!(
                "Start from {}: {by} ranks {them} most relevant to the task{why}.",
                prose_list(&top, "")
            ));
        }
    }
    // 3. Touched services.
    for s in &g.services {
        if s.files.is_empty() {
            push(format!(
                "Declare {} ({}) as a service dependency: {}.",
                s.name, s.source, s.why
            ));
        } else {
            for f in s.files.iter().take(2) {
                push(format!(
                    "Declare {} ({}) as a dependency of every phase that touches {f}.",
                    s.name, s.source
                ));
            }
        }
    }
    // 4. New services.
    if g.kind != TaskKind::Research {
        for n in &g.new_services {
            push(format!("Provision {} as a NEW service in its own phase before any code uses it, and declare {}: the probe found no {} in the repository.", n.name, n.env, n.name));
        }
    }
    // 5. Env vars.
    for v in g.env_vars.iter().take(6) {
        push(format!("Name {v} among the environment variables."));
    }
    // 6. Backwards compatibility.
    if matches!(
        g.kind,
        TaskKind::Feature
            | TaskKind::Refactor
            | TaskKind::Replacement
            | TaskKind::Migration
            | TaskKind::Performance
            | TaskKind::Bugfix
    ) && !g.sources.is_empty()
    {
        push(format!(
            "Preserve backwards compatibility of the public functions in {}.",
            prose_list(&g.sources.iter().take(2).cloned().collect::<Vec<_>>(), "")
        ));
    }
    // 7. Kind discipline.
    push(match g.kind {
        TaskKind::Bugfix => "Add a regression test that fails before the fix and passes after it.".to_string(),
        TaskKind::Performance => format!(
            "Measure a baseline before changing code, with the same benchmark used to verify the result{}.",
            if g.targets.is_empty() { String::new() } else { format!(" against the task's target ({})", g.targets.join(", ")) }
        ),
        TaskKind::Migration if is_data_migration(g) => "Keep every phase before the cutover reversible, and flag dropping the old data as a breaking change that needs an explicit sign-off.".to_string(),
        TaskKind::Migration => "Keep the project releasable on the old version until the switch phase; flag every breaking change with its migration step.".to_string(),
        TaskKind::Refactor => "Pin today's behaviour with characterization tests before restructuring; the refactor changes no observable behaviour.".to_string(),
        TaskKind::Replacement => "Run the old and the new implementation side by side behind a switch until parity is shown by the same contract tests.".to_string(),
        TaskKind::Security => "Write the threat model before changing code, and prove every fix with a negative test.".to_string(),
        TaskKind::Research => "Do not change production code: the deliverable is a written recommendation backed by spike measurements.".to_string(),
        TaskKind::Greenfield => format!(
            "Scaffold the new component inside the repository's existing layout ({}) and wire it into {} from the first phase.",
            g.lang.name(),
            g.build.as_ref().map(|b| format!("`{}`", b.command)).unwrap_or_else(|| "the project's build".into())
        ),
        TaskKind::Feature => format!("Encode the behaviour of {} in acceptance tests before implementing it.", g.subject),
    });
    // 8. Security.
    if g.is_sensitive() && g.kind != TaskKind::Security && g.kind != TaskKind::Research {
        push(format!(
            "Add a security phase with negative tests for {}{}.",
            prose_list(
                &g.sensitive
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>(),
                ""
            ),
            g.test
                .as_ref()
                .map(|t| format!(", gated on `{}`", t.command))
                .unwrap_or_default()
        ));
    }
    // 9. CI and untouched services.
    if let Some(ci) = g.ci.first() {
        if g.kind != TaskKind::Research && g.has_runnable() {
            push(format!("Keep the CI workflow {ci} green on every phase: gate on the same commands CI runs."));
        }
    }
    for s in g.untouched.iter().take(3) {
        push(format!(
            "Do not change {} ({}): the task does not touch it.",
            s.name, s.kind
        ));
    }
    out
}

/// Findings that make the envelope CAUTION (never BLOCK for a clear task).
fn findings(g: &Grounding) -> Vec<Finding> {
    let mut f = Vec::new();
    if !g.has_runnable() {
        f.push(Finding {
            location: "probe: commands".to_string(),
            severity: Severity::Medium,
            concern: "The probe found no build or test command in the project's manifests, so Hephaestus will have nothing to run for phase 00.".to_string(),
            demand: "Make phase 00 a `check:` that identifies the build and test commands, and declare them in a manifest (Makefile, package.json, Cargo.toml, …) so they can be detected.".to_string(),
        });
    } else if g.test.is_none() {
        f.push(Finding {
            location: "probe: commands".to_string(),
            severity: Severity::Low,
            concern: "The probe found a build command but no test command, so implementation phases can only gate on the build.".to_string(),
            demand: "Gate implementation phases on the build command and add tests that the build runs, or declare a test command.".to_string(),
        });
    }
    if g.sources.is_empty() && g.kind != TaskKind::Greenfield && g.kind != TaskKind::Research {
        f.push(Finding {
            location: "probe: relevant_files".to_string(),
            severity: Severity::Low,
            concern: "The probe found no source file relevant to the task's terms; the plan cannot name existing files to change.".to_string(),
            demand: "Name the files to change in the task, or let the plan create new files in the repository's layout.".to_string(),
        });
    }
    for n in &g.source_services {
        f.push(Finding {
            location: "probe: services".to_string(),
            severity: Severity::Low,
            concern: format!("The task names {} as the source to move from, but the probe found no {} in the repository's files.", n.name, n.kind),
            demand: format!("Confirm where {} runs and how the code reaches it, and declare it in the plan's dependencies.", n.name),
        });
    }
    if g.kind != TaskKind::Research {
        for n in &g.new_services {
            f.push(Finding {
                location: "probe: services".to_string(),
                severity: Severity::Low,
                concern: format!(
                    "The task needs {} ({}), which the probe did not find in the repository.",
                    n.name, n.kind
                ),
                demand: format!(
                    "Provision {} as a new service in its own phase and declare {}.",
                    n.name, n.env
                ),
            });
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProbeReport;
    use crate::offline::intent::classify;
    use crate::offline::planner::ground::fixtures::*;
    use std::path::Path;

    fn run(task: &str, probe: &ProbeReport, root: &Path, folded: &[String]) -> Envelope {
        let intent = classify(task);
        let ctx = Context {
            run_id: "anneal-20260101-000000-test",
            task,
            task_kind: intent.kind,
            directives: &[],
            probe,
            repo_root: root,
            resolution: crate::model::resolution::Resolution::empty(),
        };
        enrich(&ctx, &intent, folded)
    }

    #[test]
    fn directives_are_grounded_in_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let probe = python_app();
        materialize(dir.path(), &probe, &["docker-compose.yml"]);
        let env = run(
            "Add rate limiting to the login endpoint",
            &probe,
            dir.path(),
            &[],
        );
        assert_eq!(env.agent, "metis");
        assert_eq!(env.verdict, Verdict::Safe, "{:?}", env.findings);
        let d = env.directives.join("\n");
        assert!(d.contains("Keep the phase-00 gate to `make build`, the command the project declares in Makefile."), "{d}");
        assert!(
            d.contains("Gate every implementation phase on `pytest`"),
            "{d}"
        );
        assert!(d.contains("Declare postgresql (docker-compose.yml) as a dependency of every phase that touches app/db.py."), "{d}");
        assert!(
            d.contains("Name DATABASE_URL among the environment variables."),
            "{d}"
        );
        assert!(
            d.contains("Name SECRET_KEY among the environment variables."),
            "{d}"
        );
        assert!(d.contains("Preserve backwards compatibility of the public functions in app/auth.py and app/routes/login.py."), "{d}");
        assert!(
            d.contains("Add a security phase with negative tests for authentication"),
            "{d}"
        );
        assert!(d.contains("Do not change rabbitmq"), "{d}");
        assert!(d.contains(".github/workflows/ci.yml"), "{d}");
        assert!(
            !d.contains("AMQP_URL"),
            "untouched service's variable is not pushed: {d}"
        );
        assert!(env.summary.chars().count() <= 240);
        assert!(env.clarifying_questions.is_empty());
    }

    #[test]
    fn kind_directives() {
        let probe = python_app();
        let root = Path::new("/nonexistent");
        let has = |task: &str, want: &str| {
            let env = run(task, &probe, root, &[]);
            assert!(
                env.directives.iter().any(|d| d.contains(want)),
                "{task}: {:?}",
                env.directives
            );
        };
        has(
            "Fix the crash when the login form is submitted twice",
            "Add a regression test that fails before the fix",
        );
        has(
            "Make the login endpoint faster: p95 latency is 2 seconds",
            "Measure a baseline before changing code",
        );
        has(
            "Make the login endpoint faster: p95 latency is 2 seconds",
            "target (2 seconds)",
        );
        has(
            "Harden the login endpoint against credential stuffing and XSS",
            "Write the threat model before changing code",
        );
        has(
            "Investigate whether we should use OIDC for the login endpoint",
            "Do not change production code",
        );
        has(
            "Refactor the auth module to extract token parsing",
            "characterization tests",
        );
    }

    #[test]
    fn new_services_and_folded_failures() {
        let probe = python_app();
        let folded = vec![
            "Hephaestus: `make build` failed with exit code 2 (ImportError in app/db.py)."
                .to_string(),
        ];
        let env = run(
            "Move session storage to Redis",
            &probe,
            Path::new("/nonexistent"),
            &folded,
        );
        assert_eq!(env.verdict, Verdict::Caution);
        assert!(
            env.directives
                .iter()
                .any(|d| d.contains("Provision redis as a NEW service") && d.contains("REDIS_URL")),
            "{:?}",
            env.directives
        );
        assert_eq!(
            env.directives.last(),
            Some(&folded[0]),
            "folded failures come last, verbatim"
        );
        assert!(env.findings.iter().any(|f| f.concern.contains("redis")));
    }

    #[test]
    fn a_source_service_the_probe_missed_is_a_finding_not_a_new_service() {
        let probe = python_app();
        let env = run(
            "Migrate the orders table from MySQL to PostgreSQL",
            &probe,
            Path::new("/nonexistent"),
            &[],
        );
        assert_eq!(env.verdict, Verdict::Caution);
        assert!(env
            .findings
            .iter()
            .any(|f| f.concern.contains("mysql") && f.demand.starts_with("Confirm")));
        assert!(
            !env.directives.iter().any(|d| d.contains("Provision mysql")),
            "{:?}",
            env.directives
        );
    }

    #[test]
    fn missing_commands_are_a_caution_finding() {
        let mut probe = python_app();
        probe.commands.clear();
        let env = run(
            "Add rate limiting to the login endpoint",
            &probe,
            Path::new("/nonexistent"),
            &[],
        );
        assert_eq!(env.verdict, Verdict::Caution);
        let f = env
            .findings
            .iter()
            .find(|f| f.location == "probe: commands")
            .expect("finding about commands");
        assert!(f.concern.contains("Hephaestus will have nothing to run"));
        assert!(env.directives[0].contains("`check:`"));
    }

    #[test]
    fn a_task_naming_what_the_index_knows_is_not_blocked() {
        use crate::model::resolution::{RankedFile, Resolution};
        let probe = python_app();
        let task = "fix the login";
        let intent = classify(task);
        assert!(!intent.clear, "text alone: a weak verb and one term");
        let res = Resolution {
            files: vec![RankedFile {
                path: "app/routes/login.py".into(),
                score: 2.0,
                reasons: vec!["mentions \"login\" ×3".into()],
                is_test: false,
            }],
            ..Default::default()
        };
        let ctx = Context {
            run_id: "anneal-20260101-000000-test",
            task,
            task_kind: intent.kind,
            directives: &[],
            probe: &probe,
            repo_root: Path::new("/nonexistent"),
            resolution: &res,
        };
        let env = enrich(&ctx, &intent, &[]);
        assert_ne!(env.verdict, Verdict::Block, "{:?}", env.findings);
        assert!(env.clarifying_questions.is_empty());
    }

    #[test]
    fn vague_task_blocks_with_questions() {
        let probe = python_app();
        let env = run("improve it", &probe, Path::new("/nonexistent"), &[]);
        assert_eq!(env.verdict, Verdict::Block);
        assert!((2..=4).contains(&env.clarifying_questions.len()));
        assert!(!env.findings.is_empty());
        assert!(env
            .findings
            .iter()
            .all(|f| f.severity == Severity::High && !f.demand.is_empty()));
        assert!(env.directives.is_empty());
    }
}

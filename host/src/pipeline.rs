//! The seven-stage pipeline of docs/design.md §2 with the re-loop rules of docs/design.md §3 invariant 5 and the
//! emission logic of docs/design.md §4.
//!
//! One call of [`run`] is one run: it loads and checks the strategy (and the convergence
//! checker), creates the run directory, then iterates stages 1–7 until Atlas decides EMIT or
//! ABORT, or the iteration cap is reached. Whatever happens after the run directory exists, the
//! directory is left consistent: every output of docs/design.md §8 that can be written is written, and
//! `rollup.yaml` — written last — records the decision or the error.
use crate::engine::{AgentError, Budget, Engine};
use crate::events::Events;
use crate::model::{
    Category, Envelope, Plan, ProbeReport, RunInput, StageOutput, StrategyInfo, TaskKind, Verdict,
};
use crate::render::rollup::{
    self, Accounting, Emission, GateStatus, GuestRecord, IterationRecord, Rollup, StrategyRecord,
};
use crate::rundir::RunDir;
use crate::runtime::engine::Runtime;
use crate::runtime::host_impl::{HostState, RunLog};
use crate::runtime::instance::{self, Checker, GuestError};
use crate::runtime::limits::GuestLimits;
use crate::runtime::loader::{self, LoadError, Loaded, Source, World};
use crate::stages::plan::{write_envelope, PipelineServices};
use crate::stages::{self, hephaestus, RunContext, Tally};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Everything a run needs, from the CLI or a test.
#[derive(Clone, Debug)]
pub struct Config {
    pub task: String,
    /// Repository to plan for.
    pub repo: PathBuf,
    /// Where run directories go (`${ANNEAL_RUNS_ROOT:-./.anneal/runs}`).
    pub runs_root: PathBuf,
    /// Bundled name or path of the strategy component.
    pub strategy: String,
    /// `--strategy-sha256`: lowercase hex sha256 the strategy's bytes must have; a mismatch
    /// refuses the run before anything is written ([`StartError::Pin`]).
    pub strategy_sha256: Option<String>,
    /// Path of another convergence checker; `None` → the bundled one.
    pub convergence: Option<String>,
    /// Thresholds preset handed to the convergence checker (`--convergence-preset`).
    pub convergence_preset: crate::convergence::Preset,
    /// Concurrent agent calls (`--jobs`, ≥ 1; 1 = sequential fallback).
    pub jobs: usize,
    /// Full iterations before giving up (docs/design.md §3 invariant 5: default 3); `None` = `--loop`.
    pub max_iterations: Option<u32>,
    /// Planner category (`--type`).
    pub planner_category: Category,
    /// `--accept-risk`: RISKY proceeds (docs/design.md §4).
    pub accept_risk: bool,
    /// Invariant-breaking flags the user passed, refused (docs/design.md §3).
    pub refused_flags: Vec<String>,
    /// `--opt key=value` pairs, validated against the strategy's `info()`.
    pub options: Vec<(String, String)>,
    pub limits: GuestLimits,
    pub hephaestus: hephaestus::Options,
    pub probe: stages::probe::ProbeOptions,
    /// Fixed time added to every offline agent call (0 = none); see [`Tally`].
    pub simulated_latency: std::time::Duration,
    /// The run's model budget (`--max-spawns`, `--max-tokens`, `budget:` in the configuration).
    pub budget: Budget,
    /// Who answers the agent roles (the offline engine unless a model is configured).
    pub engine: Arc<Engine>,
}

/// Why a run could not start (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("{0}")]
    Guest(#[from] GuestError),
    /// Bad user input: exit code 2.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    /// The strategy's sha256 is not the pinned one (`--strategy-sha256`): exit code 5.
    #[error("{0}")]
    Pin(String),
}

/// Checks a loaded component against a pinned sha256 (`expected`, lowercase hex; `None` = no
/// pin). The hash is the one of the bytes actually compiled, so what runs is what was checked.
///
/// # Errors
/// A message naming the source, the expected and the actual sha256.
pub fn check_pin(expected: Option<&str>, loaded: &Loaded) -> Result<(), String> {
    match expected {
        Some(want) if !want.eq_ignore_ascii_case(&loaded.sha256) => Err(format!(
            "refusing strategy {}: sha256 mismatch (expected {want}, actual {}); \
             the file is not the one that was pinned",
            loaded.source, loaded.sha256
        )),
        _ => Ok(()),
    }
}

/// How a run ended.
pub struct Outcome {
    pub run_id: String,
    pub run_dir: PathBuf,
    pub rollup: Rollup,
    /// Set when the run ended on a runtime error after the run directory was created.
    pub error: Option<String>,
    pub xml: String,
}

/// Progress sink: one line per call, already sanitized.
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
pub fn run_id(task: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "anneal-{}-{}",
        now.format("%Y%m%d-%H%M%S"),
        crate::text::slug(task, 4)
    )
}

/// Loads a component from a `--strategy`/`--convergence` argument.
///
/// # Errors
/// [`LoadError`] with a message saying what to do.
pub fn load_component(
    runtime: &Runtime,
    arg: &str,
    bundled: &[&'static str],
    world: World,
) -> Result<Loaded, LoadError> {
    let installed = match world {
        World::Strategy => crate::runtime::installed::dir(),
        World::Convergence => None,
    };
    let source = loader::resolve(arg, bundled, installed.as_deref())?;
    let bytes = loader::read(&source)?;
    loader::load(runtime, &bytes, source, world)
}

/// Stage names as recorded in the rollup's `stage_wall_clock_ms`.
const STAGES: [&str; 7] = [
    "1-intent-gate",
    "2-probe",
    "3-enrich",
    "4-plan",
    "5-red-team",
    "6-validate",
    "7-emit",
];

struct Timer(BTreeMap<String, u64>);
impl Timer {
    fn add(&mut self, stage: usize, t: Instant) {
        *self.0.entry(STAGES[stage].to_string()).or_default() += t.elapsed().as_millis() as u64;
    }
}

/// What one iteration produced, kept for the outputs.
struct Iteration {
    metis: Envelope,
    plan: Option<Plan>,
    output: Option<StageOutput>,
    momus: Option<Envelope>,
    red: Option<crate::model::RedTeamReport>,
    heph: Option<hephaestus::Report>,
}

/// Runs the pipeline.
///
/// # Errors
/// [`StartError`] when the run cannot start (unknown or invalid strategy, bad option, missing
/// repository); nothing is written then. Failures after the run directory exists are reported
/// in [`Outcome::error`] and in `rollup.yaml`.
pub async fn run(cfg: Config, progress: Progress) -> Result<Outcome, StartError> {
    let started = Instant::now();
    let task = cfg.task.trim().to_string();
    if task.is_empty() {
        return Err(StartError::Usage("the task is empty: say what to plan, e.g. anneal \"Add rate limiting to the login endpoint\"".into()));
    }
    if cfg.jobs == 0 {
        return Err(StartError::Usage("--jobs must be at least 1".into()));
    }
    let repo = std::fs::canonicalize(&cfg.repo).map_err(|e| {
        StartError::Usage(format!(
            "repository {} cannot be opened: {e}",
            cfg.repo.display()
        ))
    })?;
    if !repo.is_dir() {
        return Err(StartError::Usage(format!(
            "repository {} is not a directory",
            repo.display()
        )));
    }
    let runtime = Arc::new(
        Runtime::new()
            .map_err(|e| StartError::Io(format!("cannot start the WebAssembly engine: {e:#}")))?,
    );
    let loaded = load_component(
        &runtime,
        &cfg.strategy,
        loader::BUNDLED_STRATEGIES,
        World::Strategy,
    )?;
    check_pin(cfg.strategy_sha256.as_deref(), &loaded).map_err(StartError::Pin)?;
    let info: StrategyInfo = instance::strategy_info(&runtime, &loaded, &cfg.limits).await?;
    let options = crate::options::resolve(&info, &cfg.options).map_err(StartError::Usage)?;
    let checker_loaded = load_component(
        &runtime,
        cfg.convergence.as_deref().unwrap_or("convergence"),
        &["convergence"],
        World::Convergence,
    )?;
    let checker = Arc::new(Checker::new(&runtime, &checker_loaded)?);
    let strategy_name = crate::text::slug_name(&info.name);

    // The run directory; from here on, every failure is recorded in it.
    let mut id = run_id(&task, chrono::Utc::now());
    let run = {
        let mut n = 1;
        loop {
            match RunDir::create(&cfg.runs_root, &id) {
                Ok(r) => break Arc::new(r),
                Err(crate::rundir::RunDirError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists && n < 100 =>
                {
                    n += 1;
                    id = format!("{}-{n}", run_id(&task, chrono::Utc::now()));
                }
                Err(e) => {
                    return Err(StartError::Io(format!(
                        "cannot create the run directory: {e}"
                    )))
                }
            }
        }
    };
    let events = Arc::new(Events::default());
    let tally = Arc::new(Tally::with_budget(
        events.clone(),
        cfg.simulated_latency,
        cfg.budget,
    ));
    let log = Arc::new(RunLog::default());
    let jobs = Arc::new(Semaphore::new(cfg.jobs));
    let say = |msg: &str| {
        log.push(format!("[host] {msg}"));
        progress(msg);
    };
    say(&format!(
        "run {id}: strategy {} {} ({}), repository {}",
        info.name,
        info.version,
        loaded.source,
        repo.display()
    ));
    say(&format!("agents: {}", cfg.engine.label()));
    say(&format!(
        "component {} ({} bytes, sha256 {}): {} in {} ms",
        loaded.source, loaded.size, loaded.sha256, loaded.compiled, loaded.compile_ms
    ));
    if let Some(w) = runtime.cache_warning() {
        // Printed even with --quiet: the operator has something to fix.
        log.push(format!("[host] warning: {w}"));
        eprintln!("anneal: warning: {w}");
    }
    for f in &cfg.refused_flags {
        say(&format!(
            "refused flag {f}: it would break an invariant of docs/design.md §3; ignored"
        ));
    }

    let mut timer = Timer(BTreeMap::new());
    let mut iterations: Vec<IterationRecord> = Vec::new();
    let mut folded: Vec<String> = Vec::new();
    let mut intent = None;
    let mut probe: Option<ProbeReport> = None;
    let mut resolution = Arc::default();
    let mut last: Option<Iteration> = None;
    let mut guest = GuestRecord::default();
    let mut error: Option<String> = None;
    let mut stop_reason: Option<String> = None;
    let mut decision = Emission::ReLoop;
    let mut overall = Verdict::Block;
    let mut gate_status = GateStatus {
        metis: Verdict::Block,
        momus: None,
        red_team_trinity: None,
        oracle: None,
        hephaestus: None,
    };
    let mut simultaneous = false;
    let mut invalid: Vec<String> = Vec::new();
    let mut iteration: u32 = 0;
    // docs/design.md §3 invariant 5: Alloy re-enters at the Intent Gate, the others at stage 3.
    let reenter_at_intent = info.name == "alloy";

    'iterations: loop {
        iteration += 1;
        // Stage 1: Intent Gate.
        if intent.is_none() || reenter_at_intent {
            say(&format!("[1/7] intent gate (iteration {iteration})"));
            let t = Instant::now();
            let i = match stages::intent::run(&cfg.engine, &task, iteration, &tally).await {
                Ok(i) => i,
                Err(e) => {
                    agent_stop(e, &mut error, &mut stop_reason);
                    break 'iterations;
                }
            };
            timer.add(0, t);
            say(&format!(
                "      task kind: {:?}, {}",
                i.kind,
                if i.clear {
                    "clear"
                } else {
                    "too vague to plan"
                }
            ));
            intent = Some(i);
        }
        let intent_now = intent.clone().expect("intent set above");
        // Stage 2: Probe (once per run: the repository does not change between iterations).
        if probe.is_none() {
            say("[2/7] probe: scanning the repository");
            let t = Instant::now();
            let (r, task2, popts) = (repo.clone(), task.clone(), cfg.probe.clone());
            tally.events.record("start", "probe", iteration, None, "");
            let p = tokio::task::spawn_blocking(move || {
                stages::probe::probe_indexed(&r, &task2, &popts)
            })
            .await
            .expect("probe panicked");
            tally.events.record("finish", "probe", iteration, None, "");
            timer.add(1, t);
            match p {
                Ok((p, indexed)) => {
                    say(&format!(
                        "      {} files, languages: {}, {} commands, {} services, {} relevant files",
                        p.files_scanned,
                        p.languages.iter().take(3).map(|l| l.name.as_str()).collect::<Vec<_>>().join(", "),
                        p.commands.len(),
                        p.services.len(),
                        p.relevant_files.len()
                    ));
                    say(&stages::probe::index_line(&indexed));
                    write_yaml(&run, "probe-report.yaml", &indexed.document(&p));
                    indexed.write_code_index(&run);
                    resolution = indexed.resolution;
                    probe = Some(p);
                }
                Err(e) => {
                    error = Some(format!(
                        "the probe could not scan {}: {e:#}",
                        repo.display()
                    ));
                    break 'iterations;
                }
            }
        }
        let probe_now = probe.clone().expect("probe set above");
        // Stage 3: Enrich.
        say(&format!(
            "[3/7] metis: directives{}",
            if folded.is_empty() {
                String::new()
            } else {
                format!(" (+{} folded from earlier failures)", folded.len())
            }
        ));
        let t = Instant::now();
        let base = RunContext {
            run_id: id.clone(),
            task: task.clone(),
            task_kind: intent_now.kind,
            directives: Vec::new(),
            probe: probe_now.clone(),
            repo_root: repo.clone(),
            resolution: resolution.clone(),
            iteration,
            engine: cfg.engine.clone(),
        };
        let metis = stages::metis::run(
            Arc::new(base.clone()),
            intent_now.clone(),
            folded.clone(),
            &tally,
        )
        .await;
        timer.add(2, t);
        let metis = match metis {
            Ok(m) => m,
            Err(e) => {
                agent_stop(e, &mut error, &mut stop_reason);
                break 'iterations;
            }
        };
        write_envelope(&run, "reviews/metis.yaml", &metis);
        let rc = Arc::new(RunContext {
            directives: metis.directives.clone(),
            ..base
        });
        if metis.verdict == Verdict::Block && !metis.clarifying_questions.is_empty() {
            say("      metis: BLOCK — the task needs clarification");
            overall = Verdict::Block;
            decision = Emission::Abort;
            gate_status = GateStatus {
                metis: metis.verdict,
                momus: None,
                red_team_trinity: None,
                oracle: None,
                hephaestus: None,
            };
            invalid = invalid_envelopes(&[("metis", &metis)]);
            iterations.push(IterationRecord {
                iteration,
                overall_verdict: overall,
                emission_decision: decision,
                gate_status: gate_status.clone(),
                momus_score: None,
                folded_into_next: Vec::new(),
            });
            last = Some(Iteration {
                metis,
                plan: None,
                output: None,
                momus: None,
                red: None,
                heph: None,
            });
            break 'iterations;
        }
        // Stage 4: the strategy component.
        say(&format!(
            "[4/7] plan: strategy {} in the sandbox",
            info.name
        ));
        let t = Instant::now();
        let services = Arc::new(
            PipelineServices::new(
                rc.clone(),
                jobs.clone(),
                tally.clone(),
                run.clone(),
                runtime.clone(),
                checker.clone(),
                cfg.planner_category,
            )
            .with_thresholds(cfg.convergence_preset.thresholds()),
        );
        let progress2 = progress.clone();
        let host = HostState::new(
            &info.name,
            services.clone(),
            run.clone(),
            log.clone(),
            Arc::new(move |m: &str| progress2(&format!("      {m}"))),
            cfg.limits.clone(),
        );
        let input = RunInput {
            run_id: id.clone(),
            task: task.clone(),
            task_kind: intent_now.kind,
            category: cfg.planner_category,
            directives: rc.directives.clone(),
            probe: probe_now.clone(),
            options: options.clone(),
            iteration,
        };
        tally.events.record(
            "start",
            &format!("strategy:{}", info.name),
            iteration,
            None,
            "",
        );
        let result = instance::run_strategy(&runtime, &loaded, host, &cfg.limits, &input).await;
        tally.events.record(
            "finish",
            &format!("strategy:{}", info.name),
            iteration,
            None,
            "",
        );
        timer.add(3, t);
        let (out, host) = match result {
            Ok(ok) => ok,
            Err((e, host)) => {
                record_guest(&mut guest, &host, None);
                match tally.exhausted() {
                    // The guest failed because the host refused a call over budget: a clean stop.
                    Some(budget) => {
                        stop_reason = Some(budget);
                        say(&format!("      strategy stopped: {e}"));
                    }
                    None => error = Some(e.to_string()),
                }
                // A budget stop keeps the previous iteration's complete outputs when there are any.
                if stop_reason.is_none() || last.is_none() {
                    gate_status.metis = metis.verdict;
                    last = Some(Iteration {
                        metis,
                        plan: None,
                        output: None,
                        momus: None,
                        red: None,
                        heph: None,
                    });
                }
                break 'iterations;
            }
        };
        record_guest(&mut guest, &host, Some(&out));
        if let Err(problems) = crate::model::validate::validate_plan(&out.plan) {
            error = Some(format!(
                "strategy {} returned an invalid plan: {}",
                info.name,
                problems.join("; ")
            ));
            last = Some(Iteration {
                metis,
                plan: None,
                output: Some(out),
                momus: None,
                red: None,
                heph: None,
            });
            break 'iterations;
        }
        let plan = out.plan.clone();
        say(&format!(
            "      plan: {} phases by {}",
            plan.phases.len(),
            plan.author
        ));
        // Stage 5: Red Team on the final plan (reusing the host's own record when the strategy
        // already had the red team attack exactly this plan, as Temper does at every depth).
        say("[5/7] red team: security, scope, assumptions (concurrently), then oracle");
        let t = Instant::now();
        let reviewed = async {
            let red = match services.recorded_red_team(&plan) {
                Some(r) => r,
                None => services.red_team_now(plan.clone(), None).await?,
            };
            // Momus's gate verdict carries the red-team caps (docs/design.md §5).
            let momus = match services.recorded_momus(&plan) {
                Some(m) => crate::engine::apply_caps(m, &red),
                None => services.momus_now(plan.clone(), None).await?,
            };
            Ok::<_, AgentError>((red, momus))
        }
        .await;
        let (red, momus) = match reviewed {
            Ok(r) => r,
            Err(e) => {
                agent_stop(e, &mut error, &mut stop_reason);
                last = Some(Iteration {
                    metis,
                    plan: Some(plan),
                    output: Some(out),
                    momus: None,
                    red: None,
                    heph: None,
                });
                break 'iterations;
            }
        };
        timer.add(4, t);
        write_envelope(&run, "reviews/momus.yaml", &momus);
        write_envelope(&run, "reviews/redteam-security.yaml", &red.security);
        write_envelope(&run, "reviews/redteam-scope.yaml", &red.scope);
        write_envelope(&run, "reviews/redteam-assumptions.yaml", &red.assumptions);
        write_envelope(&run, "reviews/oracle.yaml", &red.oracle);
        let trinity = [&red.security, &red.scope, &red.assumptions]
            .iter()
            .filter(|e| e.verdict.passes())
            .count();
        say(&format!(
            "      momus {} (score {}), red team {trinity}/3 PASS, oracle {}",
            momus.verdict.as_str(),
            momus.score.map(|s| s.to_string()).unwrap_or("-".into()),
            red.oracle.verdict.as_str()
        ));
        // Stage 6: Hephaestus.
        say("[6/7] hephaestus: reference integrity and phase-00 gates in a scratch copy");
        let t = Instant::now();
        tally
            .events
            .record("start", "hephaestus", iteration, None, "");
        let heph = hephaestus::validate(&rc.ctx(), &plan, &run, &cfg.hephaestus).await;
        tally
            .events
            .record("finish", "hephaestus", iteration, None, "");
        timer.add(5, t);
        write_envelope(&run, "reviews/hephaestus.yaml", &heph.envelope);
        say(&format!(
            "      hephaestus {}",
            if heph.passed { "PASS" } else { "FAIL" }
        ));
        // Stage 7: Atlas's gate arithmetic (docs/design.md §4).
        let t = Instant::now();
        let heph_verdict = crate::model::rules::hephaestus_verdict(heph.passed);
        invalid = invalid_envelopes(&[
            ("metis", &metis),
            ("momus", &momus),
            ("redteam-security", &red.security),
            ("redteam-scope", &red.scope),
            ("redteam-assumptions", &red.assumptions),
            ("oracle", &red.oracle),
            ("hephaestus", &heph.envelope),
        ]);
        let gates = [
            metis.verdict,
            momus.verdict,
            red.security.verdict,
            red.scope.verdict,
            red.assumptions.verdict,
            red.oracle.verdict,
            heph_verdict,
        ];
        overall = Verdict::worst(gates);
        let green = |v: Verdict| v.passes() || (cfg.accept_risk && v == Verdict::Risky);
        simultaneous = gates.iter().all(|v| green(*v)) && heph.passed && invalid.is_empty();
        decision = rollup::emission(
            simultaneous,
            overall,
            cfg.accept_risk,
            !metis.clarifying_questions.is_empty(),
        );
        gate_status = GateStatus {
            metis: metis.verdict,
            momus: Some(momus.verdict),
            red_team_trinity: Some(format!("{trinity}/3 PASS")),
            oracle: Some(red.oracle.verdict),
            hephaestus: Some(if heph.passed {
                "PASS".into()
            } else {
                "FAIL".into()
            }),
        };
        timer.add(6, t);
        let mut next = Vec::new();
        if decision == Emission::ReLoop {
            next = fold(
                iteration,
                &[
                    &momus,
                    &red.security,
                    &red.scope,
                    &red.assumptions,
                    &red.oracle,
                    &heph.envelope,
                    &metis,
                ],
                &invalid,
            );
        }
        iterations.push(IterationRecord {
            iteration,
            overall_verdict: overall,
            emission_decision: decision,
            gate_status: gate_status.clone(),
            momus_score: momus.score,
            folded_into_next: next.clone(),
        });
        say(&format!(
            "[7/7] atlas: {} (overall {}, simultaneous pass {simultaneous})",
            decision.as_str(),
            overall.as_str()
        ));
        last = Some(Iteration {
            metis,
            plan: Some(plan),
            output: Some(out),
            momus: Some(momus),
            red: Some(red),
            heph: Some(heph),
        });
        if decision != Emission::ReLoop {
            break;
        }
        if let Some(cap) = cfg.max_iterations {
            if iteration >= cap {
                stop_reason = Some(format!("not emitted after {iteration} iteration(s): the re-loop cap is {cap} (--loop lifts it)"));
                break;
            }
        }
        say(&format!(
            "      re-loop: folding {} finding(s) into the directives of iteration {}",
            next.len(),
            iteration + 1
        ));
        for d in next {
            if !folded.contains(&d) {
                folded.push(d);
            }
        }
    }

    // Stage 7: Atlas writes the outputs, rollup.yaml last.
    let t = Instant::now();
    let it = last;
    let (depth_final, depth_scores, convergence_reason, bias_set) =
        match it.as_ref().and_then(|i| i.output.as_ref()) {
            Some(o) => (
                o.depth_final,
                o.depth_scores.clone(),
                o.convergence_reason,
                o.bias_set.clone(),
            ),
            None => (None, Vec::new(), None, Vec::new()),
        };
    if error.is_some() {
        decision = Emission::Abort;
        simultaneous = false;
    }
    let xml_name = format!("{strategy_name}-{id}.xml");
    let mut rollup = Rollup {
        run_id: id.clone(),
        architecture: info.name.clone(),
        agents: cfg.engine.label(),
        overall_verdict: overall,
        gate_status,
        simultaneous_pass: simultaneous,
        emission_decision: decision,
        iteration_count: iteration,
        depth_final,
        depth_scores,
        convergence_reason,
        synthesis_provenance: if !bias_set.is_empty() && run.exists("synthesis-provenance.md") {
            Some("synthesis-provenance.md".into())
        } else {
            None
        },
        bias_set,
        task: task.clone(),
        task_kind: intent.as_ref().map(|i| i.kind).unwrap_or(TaskKind::Feature),
        strategy: StrategyRecord {
            name: info.name.clone(),
            version: info.version.clone(),
            source: match &loaded.source {
                Source::Bundled(_) => "bundled".into(),
                Source::Path(p) => p.display().to_string(),
                Source::Installed { name, path } => {
                    format!("installed {name}: {}", path.display())
                }
            },
            sha256: loaded.sha256.clone(),
            wit: format!("anneal:strategy@{}", loaded.api_version),
            options: options.iter().cloned().collect(),
        },
        momus_score: it
            .as_ref()
            .and_then(|i| i.momus.as_ref())
            .and_then(|m| m.score),
        risk_accepted: cfg.accept_risk && overall == Verdict::Risky && decision == Emission::Emit,
        invalid_envelopes: invalid,
        refused_flags: cfg.refused_flags.clone(),
        clarifying_questions: it
            .as_ref()
            .map(|i| i.metis.clarifying_questions.clone())
            .unwrap_or_default(),
        error: error.clone(),
        stop_reason,
        accounting: Accounting::default(),
        guest,
        iterations,
        outputs: BTreeMap::new(),
    };
    let write_result = stages::atlas::emit(stages::atlas::EmitInput {
        run: &run,
        rollup: &mut rollup,
        plan: it.as_ref().and_then(|i| i.plan.as_ref()),
        probe: probe.as_ref(),
        metis: it.as_ref().map(|i| &i.metis),
        momus: it.as_ref().and_then(|i| i.momus.as_ref()),
        red: it.as_ref().and_then(|i| i.red.as_ref()),
        heph: it.as_ref().and_then(|i| i.heph.as_ref()),
        xml_name: &xml_name,
        strategy_version: &info.version,
        skills: &skill_pairs(&repo, &cfg.probe),
        log: &log,
        events: &events,
        tally: &tally,
        timer_ms: {
            timer.add(6, t);
            timer.0.clone()
        },
        started,
    });
    if let Err(e) = write_result {
        let msg = format!("writing the outputs failed: {e}");
        rollup.error = Some(match rollup.error.take() {
            Some(prev) => format!("{prev}; {msg}"),
            None => msg,
        });
    }
    Ok(Outcome {
        run_id: id,
        run_dir: run.path().to_path_buf(),
        error: rollup.error.clone(),
        rollup,
        xml: xml_name,
    })
}

/// Records why an agent failure ended the run: a spent budget is a clean stop (`stop_reason`,
/// not emitted, exit code 4); anything else is an error (exit code 5).
fn agent_stop(e: AgentError, error: &mut Option<String>, stop_reason: &mut Option<String>) {
    match e {
        AgentError::Budget(m) => *stop_reason = Some(m),
        other => *error = Some(other.to_string()),
    }
}

fn skill_pairs(
    repo: &std::path::Path,
    popts: &stages::probe::ProbeOptions,
) -> Vec<(String, String)> {
    stages::probe::find_skills(repo, popts.home.as_deref())
        .into_iter()
        .map(|s| (s.name, s.description))
        .collect()
}

fn write_yaml<T: serde::Serialize>(run: &RunDir, path: &str, value: &T) {
    match serde_yaml::to_string(value) {
        Ok(y) => {
            if let Err(e) = run.write(path, y.as_bytes()) {
                eprintln!("anneal: could not write {path}: {e}");
            }
        }
        Err(e) => eprintln!("anneal: could not serialize {path}: {e}"),
    }
}

fn record_guest(guest: &mut GuestRecord, host: &HostState, out: Option<&StageOutput>) {
    guest.agent_calls += host.agent_calls;
    guest.cpu_ms += host.guest_time().as_millis() as u64;
    for a in &host.artifacts_written {
        if !guest.artifacts.contains(a) {
            guest.artifacts.push(a.clone());
        }
    }
    if let Some(o) = out {
        guest.stage_loops += o.stage_loops;
        guest.notes.extend(
            o.notes
                .iter()
                .map(|n| crate::runtime::host_impl::sanitize(n, 500)),
        );
    }
}

/// Envelopes that fail validation, as `agent: problem; problem`.
fn invalid_envelopes(envs: &[(&str, &Envelope)]) -> Vec<String> {
    envs.iter()
        .filter_map(|(name, e)| {
            crate::model::validate::validate_envelope(e)
                .err()
                .map(|p| format!("{name}: {}", p.join("; ")))
        })
        .collect()
}

/// docs/design.md §5 red-team caps applied to a Momus envelope made before the red team ran.
/// The failures of an iteration, folded as directives for the next (docs/design.md §3 invariant 5):
/// every demand of a finding in an envelope that did not pass, de-duplicated, at most 20.
fn fold(iteration: u32, envs: &[&Envelope], invalid: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for e in envs {
        if e.verdict.passes() {
            continue;
        }
        for f in &e.findings {
            let d = format!(
                "Fix from iteration {iteration} ({}, {}): {}",
                e.agent, f.location, f.demand
            );
            if !out.iter().any(|x| x.ends_with(&f.demand)) {
                out.push(d);
            }
        }
    }
    for i in invalid {
        out.push(format!("Fix from iteration {iteration}: an envelope was invalid ({i}); every reviewer must return a schema-valid envelope."));
    }
    out.truncate(20);
    out
}

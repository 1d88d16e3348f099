//! `anneal review PATH`: review a plan without planning it (docs/design.md §5, §8).
//!
//! PATH is a run directory (`…/anneal-…/`, whose `plan/` is reviewed) or a `plan/` directory as
//! anneal writes it, edited by hand or not. The markdown is read back into the plan model
//! ([`crate::render::plan_parse`]); what cannot be read becomes a finding with its file and line
//! (Momus, correctness, high). Then stages 5–7 run on that plan exactly as in a run: the red team
//! and the Oracle, Momus with the red-team caps, Hephaestus (reference and symbol integrity, the
//! phase-00 gates in a scratch copy), and Atlas, which writes the reviews, the evidence, the plan
//! as reviewed, the XML prompt and the rollup into a **new** run directory (`anneal-…-review-…`);
//! the reviewed directory is never written. The emission decision and the exit code are a run's
//! (docs/design.md §4): 0 EMIT, 4 not emitted, 5 runtime error, 2 usage error.
//!
//! The task and its kind come from the overview (`- **Task:**`, `task kind`), else the plan's
//! title (classified by the intent gate's rule); a run directory also gives the Metis
//! directives it was planned with (`reviews/metis.yaml`) and, where the overview cut the thesis
//! or a list, the full text from its XML prompt. Metis does not run: the plan exists already.
mod source;

use crate::engine::{Budget, Engine, RunContext, Tally};
use crate::events::Events;
use crate::model::baseline::Baseline;
use crate::model::{Envelope, Finding, Plan, Severity, TaskKind, Verdict};
use crate::pipeline::{Outcome, Progress, StartError};
use crate::render::plan_parse::{ParsedPlan, Problem};
use crate::render::rollup::{
    Accounting, Emission, GuestRecord, IterationRecord, Rollup, StrategyRecord,
};
use crate::rundir::RunDir;
use crate::runtime::host_impl::RunLog;
use crate::stages::{hephaestus, probe};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

pub use source::Source;

/// What a review needs, from the CLI or a test.
#[derive(Clone, Debug)]
pub struct Config {
    /// A run directory or a `plan/` directory.
    pub path: PathBuf,
    /// The repository the plan is for.
    pub repo: PathBuf,
    /// Where the new run directory goes.
    pub runs_root: PathBuf,
    /// Concurrent agent calls (≥ 1).
    pub jobs: usize,
    /// `--accept-risk`: RISKY may be emitted.
    pub accept_risk: bool,
    pub hephaestus: hephaestus::Options,
    pub probe: probe::ProbeOptions,
    /// What the gate commands do on the untouched repository, when recorded: the reviewers'
    /// gate check judges against it, and Hephaestus takes phase-00 outcomes from it.
    pub baseline: Option<Baseline>,
    pub budget: Budget,
    pub engine: Arc<Engine>,
}

/// The reviewers' verdicts on a plan (what the mutation bench compares).
#[derive(Clone, Debug)]
pub struct Verdicts {
    pub overall: Verdict,
    pub momus_score: Option<u8>,
    pub emission: Emission,
}

impl Outcome {
    /// The verdicts of a review (or a run): overall, Momus's score, the emission decision.
    pub fn verdicts(&self) -> Verdicts {
        Verdicts {
            overall: self.rollup.overall_verdict,
            momus_score: self.rollup.momus_score,
            emission: self.rollup.emission_decision,
        }
    }
}

/// Reviews the plan at `cfg.path` (see the module docs).
///
/// # Errors
/// [`StartError::Usage`] when PATH is not a plan or run directory, its plan cannot be read at
/// all, no task can be found, or the repository cannot be opened; [`StartError::Io`] when the
/// run directory cannot be created. Nothing is written then. Failures after the run directory
/// exists are in [`Outcome::error`] and `rollup.yaml`.
pub async fn run(cfg: Config, progress: Progress) -> Result<Outcome, StartError> {
    let started = Instant::now();
    if cfg.jobs == 0 {
        return Err(StartError::Usage("--jobs must be at least 1".into()));
    }
    let src = Source::locate(&cfg.path).map_err(StartError::Usage)?;
    let files = crate::render::plan_parse::read_dir(&src.plan_dir).map_err(StartError::Usage)?;
    let mut parsed = crate::render::plan_parse::parse(&files);
    src.fill_cuts(&mut parsed);
    let task = parsed
        .header
        .task
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| parsed.plan.title.clone());
    if task.trim().is_empty() {
        return Err(StartError::Usage(format!(
            "{} names no task and its plan has no title: add `- **Task:** …` to plan.md",
            src.plan_dir.display()
        )));
    }
    let kind = parsed
        .header
        .task_kind
        .unwrap_or_else(|| crate::offline::intent::classify(&task).kind);
    let repo = std::fs::canonicalize(&cfg.repo).map_err(|e| {
        StartError::Usage(format!(
            "repository {} cannot be opened: {e}",
            cfg.repo.display()
        ))
    })?;
    let id = crate::pipeline::run_id(&format!("review {task}"), chrono::Utc::now());
    let run = Arc::new(
        create_run_dir(&cfg.runs_root, &id)
            .map_err(|e| StartError::Io(format!("cannot create the run directory: {e}")))?,
    );
    let log = Arc::new(RunLog::default());
    let say = |m: &str| {
        log.push(format!("[host] {m}"));
        progress(m);
    };
    say(&format!(
        "review {}: plan {} ({} phases{}), repository {}",
        run.path().file_name().unwrap_or_default().to_string_lossy(),
        src.plan_dir.display(),
        parsed.plan.phases.len(),
        if parsed.problems.is_empty() {
            String::new()
        } else {
            format!(", {} unreadable part(s)", parsed.problems.len())
        },
        repo.display()
    ));
    let reviewed = Reviewed {
        src,
        parsed,
        task,
        kind,
        repo,
    };
    let outcome = stages_5_to_7(&cfg, &reviewed, run, log.clone(), started, &say).await;
    progress("done");
    Ok(outcome)
}

/// The plan as read, with what the review knows about it.
struct Reviewed {
    src: Source,
    parsed: ParsedPlan,
    task: String,
    kind: TaskKind,
    repo: PathBuf,
}

fn create_run_dir(root: &Path, id: &str) -> Result<RunDir, crate::rundir::RunDirError> {
    let mut attempt = id.to_string();
    let mut n = 1;
    loop {
        match RunDir::create(root, &attempt) {
            Err(crate::rundir::RunDirError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::AlreadyExists && n < 100 =>
            {
                n += 1;
                attempt = format!("{id}-{n}");
            }
            other => return other,
        }
    }
}

/// Probe, red team, Oracle, Momus, Hephaestus and Atlas on the reviewed plan; every failure
/// is recorded in the run directory.
async fn stages_5_to_7(
    cfg: &Config,
    r: &Reviewed,
    run: Arc<RunDir>,
    log: Arc<RunLog>,
    started: Instant,
    say: &(dyn Fn(&str) + Sync),
) -> Outcome {
    let events = Arc::new(Events::default());
    let tally = Arc::new(Tally::with_budget(
        events.clone(),
        std::time::Duration::ZERO,
        cfg.budget,
    ));
    let mut timer: BTreeMap<String, u64> = BTreeMap::new();
    let mut error: Option<String> = None;
    let plan = r.parsed.plan.clone();

    say("[2/7] probe: scanning the repository");
    let t = Instant::now();
    let (root, task, popts) = (r.repo.clone(), r.task.clone(), cfg.probe.clone());
    let found = tokio::task::spawn_blocking(move || {
        let skills = probe::find_skills(&root, popts.home.as_deref());
        let p = probe::probe_indexed(&root, &task, &popts, &skills);
        (p, skills)
    })
    .await
    .map_err(|e| anyhow::anyhow!("probe panicked: {e}"));
    let (probed, skills): (_, Arc<[crate::model::Skill]>) = match found {
        Ok((p, s)) => (p, s.into()),
        Err(e) => (Err(e), Arc::from([])),
    };
    timer.insert("2-probe".into(), t.elapsed().as_millis() as u64);
    let mut resolution = Default::default();
    let probe_report = match probed {
        Ok((p, indexed)) => {
            write_yaml(&run, "probe-report.yaml", &p);
            resolution = indexed.resolution;
            Some(p)
        }
        Err(e) => {
            error = Some(format!(
                "the probe could not scan {}: {e:#}",
                r.repo.display()
            ));
            None
        }
    };
    let mut reviews: Option<Reviews> = None;
    if let Some(p) = &probe_report {
        let rc = Arc::new(RunContext {
            run_id: run
                .path()
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            task: r.task.clone(),
            task_kind: r.kind,
            directives: r.src.directives(),
            probe: p.clone(),
            repo_root: r.repo.clone(),
            resolution: resolution.clone(),
            baseline: cfg.baseline.clone().map(Arc::new),
            iteration: 1,
            skills: skills.clone(),
            engine: cfg.engine.clone(),
        });
        match review_plan(
            cfg,
            &rc,
            &plan,
            &r.src,
            &r.parsed.problems,
            &run,
            &tally,
            &mut timer,
            say,
        )
        .await
        {
            Ok(x) => reviews = Some(x),
            Err(e) => error = Some(e),
        }
    }
    let t = Instant::now();
    let mut rollup = rollup_of(cfg, r, &run, reviews.as_ref(), error.clone());
    let xml_name = format!(
        "{}-{}.xml",
        crate::text::slug_name(&rollup.architecture),
        rollup.run_id
    );
    timer.insert("7-emit".into(), t.elapsed().as_millis() as u64);
    let skills: Vec<(String, String)> = skills
        .iter()
        .map(|s| (s.name.clone(), s.description.clone()))
        .collect();
    let write = crate::stages::atlas::emit(crate::stages::atlas::EmitInput {
        run: &run,
        rollup: &mut rollup,
        plan: Some(&plan),
        probe: probe_report.as_ref(),
        metis: None,
        momus: reviews.as_ref().map(|x| &x.momus),
        red: reviews.as_ref().map(|x| &x.red),
        heph: reviews.as_ref().map(|x| &x.heph),
        xml_name: &xml_name,
        strategy_version: env!("CARGO_PKG_VERSION"),
        skills: &skills,
        log: &log,
        events: &events,
        tally: &tally,
        timer_ms: timer,
        started,
    });
    if let Err(e) = write {
        let msg = format!("writing the outputs failed: {e}");
        rollup.error = Some(match rollup.error.take() {
            Some(prev) => format!("{prev}; {msg}"),
            None => msg,
        });
    }
    say(&format!(
        "[7/7] atlas: {} (overall {})",
        rollup.emission_decision.as_str(),
        rollup.overall_verdict.as_str()
    ));
    Outcome {
        run_id: rollup.run_id.clone(),
        run_dir: run.path().to_path_buf(),
        error: rollup.error.clone(),
        rollup,
        xml: xml_name,
        interrupted: false,
        plan: Some(plan),
    }
}

/// The envelopes of a review, as Atlas decides on them.
struct Reviews {
    /// The run directory's Metis envelope, or a SAFE one saying Metis did not run.
    metis: Envelope,
    momus: Envelope,
    red: crate::model::RedTeamReport,
    heph: hephaestus::Report,
}

/// Stages 5 and 6 on `plan`: the red team and Oracle, Momus (with the parse problems as
/// findings), Hephaestus; every envelope written under `reviews/`.
#[allow(clippy::too_many_arguments)]
async fn review_plan(
    cfg: &Config,
    rc: &Arc<RunContext>,
    plan: &Plan,
    source: &Source,
    problems: &[Problem],
    run: &Arc<RunDir>,
    tally: &Arc<Tally>,
    timer: &mut BTreeMap<String, u64>,
    say: &(dyn Fn(&str) + Sync),
) -> Result<Reviews, String> {
    say("[5/7] red team: security, scope, assumptions (concurrently), then oracle; momus");
    let t = Instant::now();
    let jobs = Arc::new(Semaphore::new(cfg.jobs));
    let red = crate::stages::redteam::run(rc.clone(), Arc::new(plan.clone()), None, jobs, tally)
        .await
        .map_err(|e| e.to_string())?;
    let momus = rc
        .engine
        .momus(tally, rc.clone(), plan.clone(), None, Some(red.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let momus = with_problems(momus, problems);
    timer.insert("5-red-team".into(), t.elapsed().as_millis() as u64);
    for (name, e) in [
        ("momus", &momus),
        ("redteam-security", &red.security),
        ("redteam-scope", &red.scope),
        ("redteam-assumptions", &red.assumptions),
        ("oracle", &red.oracle),
    ] {
        crate::stages::plan::write_envelope(run, &format!("reviews/{name}.yaml"), e);
    }
    say(&format!(
        "      momus {} (score {}), oracle {}",
        momus.verdict.as_str(),
        momus.score.map(|s| s.to_string()).unwrap_or("-".into()),
        red.oracle.verdict.as_str()
    ));
    say("[6/7] hephaestus: reference integrity and phase-00 gates in a scratch copy");
    let t = Instant::now();
    let heph = hephaestus::validate(&rc.ctx(), plan, run, &cfg.hephaestus).await;
    timer.insert("6-validate".into(), t.elapsed().as_millis() as u64);
    crate::stages::plan::write_envelope(run, "reviews/hephaestus.yaml", &heph.envelope);
    say(&format!(
        "      hephaestus {}",
        if heph.passed { "PASS" } else { "FAIL" }
    ));
    let metis = source.metis().unwrap_or_else(|| {
        crate::model::envelope::new(
            "metis",
            &rc.ctx(),
            None,
            Verdict::Safe,
            "Not run: the plan exists and was reviewed as it is.",
        )
    });
    Ok(Reviews {
        metis,
        momus,
        red,
        heph,
    })
}

/// Momus's envelope with every part of the plan that could not be read as a finding
/// (`plan/phase-01-x.md#L18`, correctness, high: what is not read is not reviewed), the score
/// lowered by what each costs ([`plan_rules::rubric::points`]) and the verdict by the score's
/// band.
pub fn with_problems(mut momus: Envelope, problems: &[Problem]) -> Envelope {
    if problems.is_empty() {
        return momus;
    }
    use plan_rules::rubric::{points, Dimension, Level};
    let cost = points(Dimension::Correctness, Level::High);
    let mut extra: Vec<Finding> = problems
        .iter()
        .map(|p| Finding {
            location: format!("{}#L{}", p.file, p.line),
            severity: Severity::High,
            concern: format!(
                "Correctness −{cost:.0}: line {} of {} cannot be read as plan data ({}); it was not reviewed.",
                p.line, p.file, p.message
            ),
            demand: p.demand.clone(),
        })
        .collect();
    let lost = (cost * problems.len() as f64).round() as u8;
    if let Some(s) = momus.score {
        let score = s.saturating_sub(lost);
        momus.score = Some(score);
        momus.verdict = momus.verdict.max(crate::model::rules::band(score));
        momus.summary = crate::model::envelope::truncate_summary(format!(
            "{} [{} unreadable part(s) of the plan: score {s} → {score}]",
            momus.summary,
            problems.len()
        ));
    }
    extra.append(&mut momus.findings);
    momus.findings = crate::offline::momus::worst_first(extra);
    momus
}

/// The rollup of a review: Atlas's decision ([`crate::stages::atlas::decide`]) on the gates of
/// stages 5–7, settled as a run's; an error makes it ABORT.
fn rollup_of(
    cfg: &Config,
    r: &Reviewed,
    run: &RunDir,
    reviews: Option<&Reviews>,
    error: Option<String>,
) -> Rollup {
    use crate::stages::atlas::{decide, settle, Gates};
    let decided = reviews.map(|x| {
        decide(
            Gates {
                metis: &x.metis,
                reviewed: Some(crate::stages::atlas::Reviewed {
                    momus: &x.momus,
                    red: &x.red,
                    hephaestus: &x.heph.envelope,
                    hephaestus_passed: x.heph.passed,
                }),
            },
            cfg.accept_risk,
        )
    });
    let metis = reviews.map(|x| crate::render::rollup::Gate::of(&x.metis));
    let s = settle(decided.as_ref(), metis, error.is_some(), cfg.accept_risk);
    let name = r
        .parsed
        .header
        .strategy
        .clone()
        .unwrap_or_else(|| "review".into());
    Rollup {
        run_id: run
            .path()
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned(),
        architecture: name.clone(),
        agents: cfg.engine.label(),
        overall_verdict: s.overall,
        gate_status: s.gate_status.clone(),
        simultaneous_pass: s.simultaneous_pass,
        emission_decision: s.emission,
        iteration_count: 1,
        depth_final: None,
        depth_scores: Vec::new(),
        convergence_reason: None,
        bias_set: Vec::new(),
        synthesis_provenance: None,
        task: r.task.clone(),
        repository: r.repo.to_string_lossy().into_owned(),
        task_kind: r.kind,
        strategy: StrategyRecord {
            name,
            version: env!("CARGO_PKG_VERSION").into(),
            source: "not run: an existing plan was reviewed".into(),
            sha256: String::new(),
            wit: String::new(),
            options: BTreeMap::new(),
        },
        momus_score: reviews.and_then(|x| x.momus.score),
        momus_breakdown: Vec::new(),
        risk_accepted: s.risk_accepted,
        invalid_envelopes: s.invalid,
        refused_flags: Vec::new(),
        clarifying_questions: Vec::new(),
        error,
        stop_reason: None,
        stopped_at: None,
        blocked_by_environment: reviews.and_then(|x| x.heph.blocked.clone()),
        gate_sandbox: cfg.hephaestus.sandbox.line.clone(),
        accounting: Accounting::default(),
        guest: GuestRecord::default(),
        iterations: vec![IterationRecord {
            iteration: 1,
            overall_verdict: s.overall,
            emission_decision: s.emission,
            gate_status: s.gate_status,
            momus_score: reviews.and_then(|x| x.momus.score),
            folded_into_next: Vec::new(),
        }],
        outputs: BTreeMap::new(),
        reviewed: Some(r.src.record(&r.parsed)),
    }
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

#[cfg(test)]
mod tests;

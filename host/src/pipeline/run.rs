//! A run: the seven stages of docs/design.md §2 as methods of [`Run`], each with typed inputs
//! and outputs, each recording what it produced in the run's [`RunRecord`] as it finishes.
//!
//! | stage | method | in | out |
//! |---|---|---|---|
//! | 1 Intent Gate | [`Run::intent`] | the task | [`Intent`] |
//! | 2 Probe | [`Run::probe`] | the repository | [`ProbeReport`] |
//! | 3 Enrich | [`Run::enrich`] | intent, probe report, folded failures | [`Enriched`]: Metis's envelope and the agents' context |
//! | 4 Plan | [`Run::plan`] | [`Enriched`], intent | [`Planned`]: the strategy's output |
//! | 5 Red Team | [`Run::red_team`] | [`Planned`] | [`RedTeamed`]: the red team's report and Momus's gate envelope |
//! | 6 Validate | [`Run::validate`] | [`Enriched`], the plan | Hephaestus's report |
//! | 7 Emit | [`Run::decide`], [`Run::emit`] | the record | the decision; the outputs and [`Outcome`] |
use super::record::{Facts, Outputs, RunRecord, Stop};
use super::start::{self, Strategy};
use super::{Config, Outcome, Progress, StartError};
use crate::events::Events;
use crate::index::query::Query;
use crate::model::baseline::Baseline;
use crate::model::Intent;
use crate::model::{
    Envelope, Plan, ProbeReport, RedTeamReport, Reentry, RunInput, StageOutput, Verdict,
};
use crate::render::rollup::{Emission, StrategyRecord};
use crate::rundir::RunDir;
use crate::runtime::host_impl::{HostState, RunLog};
use crate::runtime::instance;
use crate::runtime::loader::Source;
use crate::stages::plan::{write_envelope, PipelineServices};
use crate::stages::{self, atlas, hephaestus, RunContext, Tally};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Semaphore;

/// Stage 3's output: Metis's envelope and what every later agent of the iteration sees.
pub struct Enriched {
    pub metis: Envelope,
    /// The iteration's context: Metis's directives (folded failures included).
    pub rc: Arc<RunContext>,
}

impl Enriched {
    /// Metis blocked the task with clarifying questions: the run ends ABORT (docs/design.md §4).
    pub fn needs_clarification(&self) -> bool {
        self.metis.verdict == Verdict::Block && !self.metis.clarifying_questions.is_empty()
    }
}

/// Stage 4's output: the strategy's stage output (its plan validated) and the host services of
/// the iteration, which remember every red team and Momus audit the strategy asked for.
pub struct Planned {
    pub output: StageOutput,
    pub services: Arc<PipelineServices>,
}

/// Stage 5's output on the final plan.
pub struct RedTeamed {
    pub red: RedTeamReport,
    /// Momus's gate envelope, with the red-team caps of docs/design.md §5.
    pub momus: Envelope,
}

/// What an iteration ended on.
enum Next {
    /// Atlas decided RE_LOOP and the cap allows another iteration.
    ReLoop,
    /// The run is decided (EMIT, ABORT) or capped.
    Done,
}

/// One run of the pipeline: its configuration, its strategy, its run directory, its shared
/// accounting, and the [`RunRecord`] of what happened so far.
pub struct Run {
    cfg: Config,
    /// The trimmed task.
    task: String,
    /// The canonical repository path.
    repo: PathBuf,
    id: String,
    dir: Arc<RunDir>,
    strategy: Strategy,
    events: Arc<Events>,
    tally: Arc<Tally>,
    log: Arc<RunLog>,
    jobs: Arc<Semaphore>,
    progress: Progress,
    started: Instant,
    /// Where a full re-loop re-enters, as the strategy's `info()` declares it
    /// (docs/design.md §3 invariant 5).
    reentry: Reentry,
    /// Earlier runs of the repository, for the strategy's `history.earlier-runs`.
    earlier: Arc<crate::model::past::RunHistory>,
    /// What the run learned so far; the rollup is built from it.
    pub record: RunRecord,
    /// The baseline's gate commands, running on the untouched repository while the strategy
    /// plans ([`Run::start_baseline`]); aborted (process groups killed) when the run is dropped.
    baseline_task: Option<AbortOnDrop<Option<Baseline>>>,
    /// The baseline, once it finished: judges the plan's phase-00 gates of every iteration.
    baseline: Option<Arc<Baseline>>,
}

/// A spawned task that is aborted when dropped (an interrupt drops the run's futures; the
/// task's gate commands must not outlive it).
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Run {
    /// Checks the input, loads the strategy and the convergence checker, and creates the run
    /// directory; reports the run's identity on `progress` and in `run.log`.
    ///
    /// # Errors
    /// [`StartError`] when the run cannot start; nothing is written then.
    pub async fn start(cfg: Config, progress: Progress) -> Result<Run, StartError> {
        let started = Instant::now();
        let (task, repo) = start::check_input(&cfg)?;
        let strategy = start::load_strategy(&cfg).await?;
        let (id, dir) = start::create_run_dir(&cfg.runs_root, &task)?;
        let events = Arc::new(Events::default());
        let tally = Arc::new(Tally::with_budget(
            events.clone(),
            cfg.simulated_latency,
            cfg.budget,
        ));
        let reentry = strategy.info.reentry;
        // Read before this run writes anything of its own (docs/design.md §11, `history`).
        let earlier = Arc::new(crate::history::summary::earlier_runs(
            &cfg.runs_root,
            &repo,
            &id,
            &cfg.limits.history,
        ));
        let run = Run {
            jobs: Arc::new(Semaphore::new(cfg.jobs)),
            cfg,
            task,
            repo,
            id,
            dir,
            strategy,
            events,
            tally,
            log: Arc::new(RunLog::default()),
            progress,
            started,
            reentry,
            earlier,
            record: RunRecord::default(),
            baseline_task: None,
            baseline: None,
        };
        run.announce();
        Ok(run)
    }

    /// The run's first lines: what runs where, with which engine and component, and the
    /// refused flags.
    fn announce(&self) {
        let (info, loaded) = (&self.strategy.info, &self.strategy.loaded);
        self.say(&format!(
            "run {}: strategy {} {} ({}), repository {}",
            self.id,
            info.name,
            info.version,
            loaded.source,
            self.repo.display()
        ));
        self.say(&format!("agents: {}", self.cfg.engine.label()));
        self.say(&format!(
            "component {} ({} bytes, sha256 {}): {} in {} ms",
            loaded.source, loaded.size, loaded.sha256, loaded.compiled, loaded.compile_ms
        ));
        if let Some(w) = self.strategy.runtime.cache_warning() {
            // Printed even with --quiet: the operator has something to fix.
            self.log.push(format!("[host] warning: {w}"));
            eprintln!("anneal: warning: {w}");
        }
        for f in &self.cfg.refused_flags {
            self.say(&format!(
                "refused flag {f}: it would break an invariant of docs/design.md §3; ignored"
            ));
        }
    }

    /// One progress line, also appended to `run.log`.
    /// Setting this flag cancels the run: every further agent spawn is refused and the run
    /// stops as on a spent budget (outputs and `rollup.yaml` written, `stop_reason` saying so).
    pub fn cancel_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.tally.cancel_flag()
    }

    fn say(&self, msg: &str) {
        self.log.push(format!("[host] {msg}"));
        (self.progress)(msg);
    }

    /// Iterates stages 1–7 until Atlas decides EMIT or ABORT, the re-loop cap is reached, or a
    /// stage stops the run (budget spent, runtime error). Everything is in [`Run::record`].
    pub async fn iterate(&mut self) {
        loop {
            match self.iteration().await {
                Ok(Next::ReLoop) => continue,
                Ok(Next::Done) => break,
                Err(stop) => {
                    self.record.stop(stop);
                    break;
                }
            }
        }
    }

    /// [`Run::iterate`] until `interrupt` completes first (a signal, named by its output): then
    /// the iteration in progress is dropped — agent calls in flight cancelled, gate commands'
    /// process groups killed, the scratch copy removed (their guards do it on drop) — and the
    /// record says the run was interrupted, so [`Run::emit`] writes it with
    /// `emission_decision: ABORT` (docs/design.md §4, interrupts). Returns the signal's name
    /// when it interrupted the run.
    pub async fn iterate_until(
        &mut self,
        interrupt: impl std::future::Future<Output = &'static str>,
    ) -> Option<&'static str> {
        let signal = {
            let iterate = self.iterate();
            tokio::pin!(iterate);
            tokio::select! {
                () = &mut iterate => None,
                signal = interrupt => Some(signal),
            }
        };
        if let Some(signal) = signal {
            self.say(&format!(
                "interrupted by {signal}: agents cancelled, gate commands killed, scratch copy removed; writing the outputs (a second signal exits at once)"
            ));
            self.events
                .record("interrupt", "host", self.record.iteration, None, signal);
            self.record.stop(Stop::Interrupted(signal.into()));
        }
        signal
    }

    /// One full iteration of stages 1–7.
    async fn iteration(&mut self) -> Result<Next, Stop> {
        self.record.begin_iteration();
        let intent = self.intent().await?;
        let probe = self.probe().await?;
        self.start_baseline(&intent, &probe);
        self.baseline_before_planning().await;
        let enriched = match self.reenter_at_plan(&intent, &probe) {
            Some(enriched) => enriched,
            None => self.enrich(&intent, &probe).await?,
        };
        if enriched.needs_clarification() {
            self.say("      metis: BLOCK — the task needs clarification");
            self.record.decide(self.cfg.accept_risk);
            return Ok(Next::Done);
        }
        let planned = self.plan(&enriched, &intent).await?;
        if self.cfg.plan_only {
            self.record.stop_reason = Some(
                "plan-only run: stopped after stage 4, the plan was neither reviewed nor validated"
                    .into(),
            );
            return Ok(Next::Done);
        }
        self.red_team(&planned).await?;
        self.validate(&enriched, &planned.output.plan).await;
        Ok(self.decide())
    }

    /// Stage 1, the Intent Gate: classifies the task. Runs in the first iteration, and again
    /// on a re-loop only when the strategy re-enters there; otherwise returns the first result.
    ///
    /// # Errors
    /// [`Stop`] when the agent fails or the budget is spent.
    pub async fn intent(&mut self) -> Result<Intent, Stop> {
        if let Some(i) = &self.record.intent {
            if self.reentry != Reentry::IntentGate {
                return Ok(i.clone());
            }
        }
        let iteration = self.record.iteration;
        self.say(&format!("[1/7] intent gate (iteration {iteration})"));
        self.record.enter(0);
        let t = Instant::now();
        let i = stages::intent::run(&self.cfg.engine, &self.task, iteration, &self.tally).await?;
        self.record.time(0, t);
        self.say(&format!(
            "      task kind: {:?}, {}",
            i.kind,
            if i.clear {
                "clear"
            } else {
                "too vague to plan"
            }
        ));
        self.record.intent = Some(i.clone());
        Ok(i)
    }

    /// Stage 2, the Probe: finds the skills, scans the repository and builds its code index,
    /// once per run (it does not change between iterations); writes `probe-report.yaml` and
    /// `code-index.json`, and keeps the task's resolution for every agent.
    ///
    /// # Errors
    /// [`Stop::Error`] when the repository cannot be scanned.
    pub async fn probe(&mut self) -> Result<Arc<ProbeReport>, Stop> {
        if let Some(p) = &self.record.probe {
            return Ok(p.clone());
        }
        self.say("[2/7] probe: scanning the repository");
        self.record.enter(1);
        let iteration = self.record.iteration;
        let t = Instant::now();
        let (repo, task, opts) = (self.repo.clone(), self.task.clone(), self.cfg.probe.clone());
        self.events.record("start", "probe", iteration, None, "");
        let (p, skills) = tokio::task::spawn_blocking(move || {
            let skills = stages::probe::find_skills(&repo, opts.home.as_deref());
            let p = stages::probe::probe_indexed(&repo, &task, &opts, &skills);
            (p, skills)
        })
        .await
        .expect("probe panicked");
        self.record.skills = skills.into();
        self.events.record("finish", "probe", iteration, None, "");
        self.record.time(1, t);
        let (p, indexed) = p.map_err(|e| {
            Stop::Error(format!(
                "the probe could not scan {}: {e:#}",
                self.repo.display()
            ))
        })?;
        self.say(&format!(
            "      {} files, languages: {}, {} commands, {} services, {} relevant files",
            p.files_scanned,
            p.languages
                .iter()
                .take(3)
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            p.commands.len(),
            p.services.len(),
            p.relevant_files.len()
        ));
        self.say(&stages::probe::index_line(&indexed));
        write_yaml(&self.dir, "probe-report.yaml", &indexed.document(&p));
        indexed.write_code_index(&self.dir);
        self.record.indexed = indexed;
        let p = Arc::new(p);
        self.record.probe = Some(p.clone());
        Ok(p)
    }

    /// Starts the baseline (docs/design.md §6) once per run, after the probe: the probe's
    /// detected build and test commands run on the untouched repository in their own scratch
    /// copy while stages 3–5 plan and review, so stage 6 finds their outcome recorded instead
    /// of running them after planning. Not for a plan-only run.
    fn start_baseline(&mut self, intent: &Intent, probe: &ProbeReport) {
        // A record the caller gives (a benchmark's, a review's) is the baseline: nothing runs,
        // and every reviewer and Hephaestus judge against it.
        if self.baseline.is_none() {
            if let Some(given) = &self.cfg.hephaestus.baseline {
                self.baseline = Some(Arc::new(given.clone()));
            }
        }
        let wanted = self.cfg.baseline_alongside && !self.cfg.plan_only;
        if !wanted || self.baseline_task.is_some() || self.baseline.is_some() {
            return;
        }
        let commands: Vec<String> = probe
            .commands
            .iter()
            .filter(|c| matches!(c.purpose.as_str(), "build" | "test"))
            .map(|c| c.command.clone())
            .collect();
        if commands.is_empty() {
            return;
        }
        self.say(&format!(
            "      baseline: {} build/test command(s) on the untouched repository, alongside planning",
            commands.len()
        ));
        let rc = self.context(intent, probe);
        let (dir, opts) = (self.dir.clone(), self.cfg.hephaestus.clone());
        let events = self.events.clone();
        self.baseline_task = Some(AbortOnDrop(tokio::spawn(async move {
            events.record("start", "baseline", 1, None, "");
            let b = hephaestus::run_baseline(&rc.ctx(), &commands, &dir, &opts).await;
            events.record("finish", "baseline", 1, None, "");
            b
        })));
    }

    /// A task about failing tests ([`crate::model::baseline::about_failing_tests`]) is planned
    /// with the baseline in hand (docs/design.md §6): its pre-existing failures are the work, so
    /// Metis and the planners must see them. Such a run waits for the baseline before stage 3
    /// instead of overlapping it with planning; any other run does not wait.
    async fn baseline_before_planning(&mut self) {
        if self.baseline_task.is_none() || !crate::model::baseline::about_failing_tests(&self.task)
        {
            return;
        }
        self.say(
            "      baseline: the task is about failing tests, so planning waits for the baseline",
        );
        self.finish_baseline().await;
    }

    /// The baseline, waiting for it if it is still running (once per run).
    async fn finish_baseline(&mut self) -> Option<Arc<Baseline>> {
        if let Some(task) = self.baseline_task.take() {
            let t = Instant::now();
            // The task is ours: a join error is a panic in it or an abort, never expected.
            let mut task = task;
            let done = (&mut task.0).await.ok().flatten();
            self.adopt_baseline(done, &format!("{} ms waited", t.elapsed().as_millis()));
        }
        self.baseline.clone()
    }

    /// Takes the baseline if it has already finished, without waiting: a stage that starts
    /// after it (a model-served Metis takes longer than most builds) plans and reviews with it,
    /// so a command that fails on the untouched repository costs no re-loop.
    fn poll_baseline(&mut self) {
        use futures::FutureExt;
        if !self
            .baseline_task
            .as_ref()
            .is_some_and(|t| t.0.is_finished())
        {
            return;
        }
        if let Some(mut task) = self.baseline_task.take() {
            let done = (&mut task.0).now_or_never().and_then(Result::ok).flatten();
            self.adopt_baseline(done, "finished before this stage");
        }
    }

    /// Keeps the baseline's result and says what it found (`when`: how long the run waited).
    fn adopt_baseline(&mut self, done: Option<Baseline>, when: &str) {
        self.baseline = done.map(Arc::new);
        if let Some(why) = self.baseline.as_ref().and_then(|b| b.blocked.as_ref()) {
            self.say(&format!(
                "      baseline: blocked by environment: {why} ({when})"
            ));
        } else if let Some(b) = &self.baseline {
            self.say(&format!(
                "      baseline: {} of {} command(s) passed on the untouched repository ({when})",
                b.commands.iter().filter(|r| r.passed).count(),
                b.commands.len(),
            ));
        }
    }

    /// What every agent of this iteration sees, before Metis's directives.
    fn context(&self, intent: &Intent, probe: &ProbeReport) -> RunContext {
        RunContext {
            run_id: self.id.clone(),
            task: self.task.clone(),
            task_kind: intent.kind,
            directives: Vec::new(),
            probe: probe.clone(),
            repo_root: self.repo.clone(),
            resolution: self.record.indexed.resolution.clone(),
            // Known once the baseline finished: polled at stages 3 and 4, awaited at stage 6.
            baseline: self.baseline.clone(),
            iteration: self.record.iteration,
            skills: self.record.skills.clone(),
            engine: self.cfg.engine.clone(),
        }
    }

    /// Stage 3, Enrich: Metis turns the task, the probe report and the failures folded from
    /// earlier iterations into directives (or a BLOCK with questions); writes
    /// `reviews/metis.yaml` and starts the iteration's outputs.
    ///
    /// # Errors
    /// [`Stop`] when the agent fails or the budget is spent.
    pub async fn enrich(&mut self, intent: &Intent, probe: &ProbeReport) -> Result<Enriched, Stop> {
        self.poll_baseline();
        let folded = &self.record.folded;
        self.say(&format!(
            "[3/7] metis: directives{}",
            if folded.is_empty() {
                String::new()
            } else {
                format!(" (+{} folded from earlier failures)", folded.len())
            }
        ));
        self.record.enter(2);
        let t = Instant::now();
        let base = self.context(intent, probe);
        let metis = stages::metis::run(
            Arc::new(base.clone()),
            intent.clone(),
            self.record.folded.clone(),
            &self.tally,
        )
        .await;
        self.record.time(2, t);
        let metis = metis?;
        write_envelope(&self.dir, "reviews/metis.yaml", &metis);
        self.record.current = Some(Outputs::started(metis.clone()));
        let rc = Arc::new(RunContext {
            directives: metis.directives.clone(),
            ..base
        });
        Ok(Enriched { metis, rc })
    }

    /// Stage 3 on a re-loop of a strategy that re-enters at stage 4: the last Metis envelope
    /// stands, and the iteration's directives are its directives plus every failure folded
    /// since (no new Metis call). `None` in the first iteration or for another re-entry.
    fn reenter_at_plan(&mut self, intent: &Intent, probe: &ProbeReport) -> Option<Enriched> {
        if self.reentry != Reentry::Plan {
            return None;
        }
        let last = self.record.complete.as_ref()?;
        let metis = last.metis.clone();
        let mut directives = metis.directives.clone();
        directives.extend(self.record.folded.iter().cloned());
        self.say(&format!(
            "[3/7] metis: directives of iteration {} (+{} folded from earlier failures)",
            self.record.iteration - 1,
            self.record.folded.len()
        ));
        self.record.enter(2);
        let rc = RunContext {
            directives,
            ..self.context(intent, probe)
        };
        self.record.current = Some(Outputs::started(metis.clone()));
        Some(Enriched {
            metis,
            rc: Arc::new(rc),
        })
    }

    /// Stage 4, Plan: the strategy component runs in the sandbox with the iteration's
    /// directives and the host's services; its plan is validated.
    ///
    /// # Errors
    /// [`Stop::Budget`] when the guest failed because the run's budget was spent;
    /// [`Stop::Error`] when it trapped, hit a limit, returned an error or an invalid plan.
    pub async fn plan(&mut self, e: &Enriched, intent: &Intent) -> Result<Planned, Stop> {
        self.poll_baseline();
        let name = self.strategy.info.name.clone();
        self.say(&format!("[4/7] plan: strategy {name} in the sandbox"));
        self.record.enter(3);
        let t = Instant::now();
        // A baseline that finished since stage 3 reaches the planner and this iteration's
        // reviewers.
        let rc = match (&self.baseline, &e.rc.baseline) {
            (Some(b), None) => Arc::new(RunContext {
                baseline: Some(b.clone()),
                ..(*e.rc).clone()
            }),
            _ => e.rc.clone(),
        };
        let services = Arc::new(
            PipelineServices::new(
                rc,
                self.jobs.clone(),
                self.tally.clone(),
                self.dir.clone(),
                self.strategy.runtime.clone(),
                self.strategy.checker.clone(),
                self.cfg.planner_category,
            )
            .with_thresholds(self.cfg.convergence_preset.thresholds()),
        );
        let progress = self.progress.clone();
        let host = HostState::new(
            &name,
            services.clone(),
            self.dir.clone(),
            self.log.clone(),
            Arc::new(move |m: &str| progress(&format!("      {m}"))),
            self.cfg.limits.clone(),
        )
        .with_code_index(Arc::new(Query::new(
            self.record.indexed.index.clone(),
            &self.repo,
            self.cfg.limits.code_query.clone(),
        )))
        .with_history(self.earlier.clone());
        let input = RunInput {
            run_id: self.id.clone(),
            task: self.task.clone(),
            task_kind: intent.kind,
            category: self.cfg.planner_category,
            directives: e.rc.directives.clone(),
            probe: e.rc.probe.clone(),
            options: self.strategy.options.clone(),
            iteration: self.record.iteration,
        };
        let iteration = self.record.iteration;
        let what = format!("strategy:{name}");
        self.events.record("start", &what, iteration, None, "");
        let s = &self.strategy;
        let result =
            instance::run_strategy(&s.runtime, &s.loaded, host, &self.cfg.limits, &input).await;
        self.events.record("finish", &what, iteration, None, "");
        self.record.time(3, t);
        let output = match result {
            Ok((output, host)) => {
                self.record.guest(&host, Some(&output));
                output
            }
            Err((err, host)) => {
                self.record.guest(&host, None);
                // The guest failed because the host refused a call over budget: a clean stop.
                return Err(match self.tally.exhausted() {
                    Some(budget) => {
                        self.say(&format!("      strategy stopped: {err}"));
                        Stop::Budget(budget)
                    }
                    None => Stop::Error(err.to_string()),
                });
            }
        };
        let valid = crate::model::validate::validate_plan(&output.plan);
        self.record.current().output = Some(output.clone());
        if let Err(problems) = valid {
            return Err(Stop::Error(format!(
                "strategy {name} returned an invalid plan: {}",
                problems.join("; ")
            )));
        }
        self.record.current().plan = Some(output.plan.clone());
        self.say(&format!(
            "      plan: {} phases by {}",
            output.plan.phases.len(),
            output.plan.author
        ));
        Ok(Planned { output, services })
    }

    /// Stage 5, Red Team on the final plan: the three reviewers concurrently, then Oracle, and
    /// Momus's gate envelope — reusing the host's own record when the strategy already had
    /// exactly this plan attacked or audited (as Temper does at every depth). Writes the five
    /// envelopes under `reviews/`.
    ///
    /// # Errors
    /// [`Stop`] when an agent fails or the budget is spent.
    pub async fn red_team(&mut self, p: &Planned) -> Result<RedTeamed, Stop> {
        self.say("[5/7] red team: security, scope, assumptions (concurrently), then oracle");
        self.record.enter(4);
        let t = Instant::now();
        let (services, plan) = (&p.services, &p.output.plan);
        let red = match services.recorded_red_team(plan) {
            Some(r) => r,
            None => services.red_team_now(plan.clone(), None).await?,
        };
        // Momus's gate verdict carries the red-team caps (docs/design.md §5).
        let momus = match services.recorded_momus(plan) {
            Some(m) => crate::engine::apply_caps(m, &red),
            None => services.momus_now(plan.clone(), None).await?,
        };
        self.record.time(4, t);
        for (path, e) in [
            ("reviews/momus.yaml", &momus),
            ("reviews/redteam-security.yaml", &red.security),
            ("reviews/redteam-scope.yaml", &red.scope),
            ("reviews/redteam-assumptions.yaml", &red.assumptions),
            ("reviews/oracle.yaml", &red.oracle),
        ] {
            write_envelope(&self.dir, path, e);
        }
        self.say(&format!(
            "      momus {} (score {}), red team {}/3 PASS, oracle {}",
            momus.verdict.as_str(),
            momus.score.map(|s| s.to_string()).unwrap_or("-".into()),
            atlas::trinity(&red),
            red.oracle.verdict.as_str()
        ));
        let current = self.record.current();
        current.red = Some(red.clone());
        current.momus = Some(momus.clone());
        Ok(RedTeamed { red, momus })
    }

    /// Stage 6, Validate: Hephaestus checks the plan's references and runs its phase-00 gates
    /// in a scratch copy; writes `reviews/hephaestus.yaml` and the evidence files.
    pub async fn validate(&mut self, e: &Enriched, plan: &Plan) -> hephaestus::Report {
        self.say(&format!(
            "[6/7] hephaestus: reference integrity and phase-00 gates in a scratch copy ({})",
            self.cfg.hephaestus.sandbox.line
        ));
        self.record.enter(5);
        let iteration = self.record.iteration;
        let t = Instant::now();
        self.events
            .record("start", "hephaestus", iteration, None, "");
        let opts = hephaestus::Options {
            baseline: self.finish_baseline().await.map(|b| (*b).clone()),
            ..self.cfg.hephaestus.clone()
        };
        let heph = hephaestus::validate(&e.rc.ctx(), plan, &self.dir, &opts).await;
        self.events
            .record("finish", "hephaestus", iteration, None, "");
        self.record.time(5, t);
        write_envelope(&self.dir, "reviews/hephaestus.yaml", &heph.envelope);
        self.say(&format!(
            "      hephaestus {}",
            if heph.passed { "PASS" } else { "FAIL" }
        ));
        self.record.current().heph = Some(heph.clone());
        heph
    }

    /// Stage 7, Atlas's decision on the iteration (docs/design.md §4, [`atlas::decide`]); on
    /// RE_LOOP within the cap, the iteration's failures are folded into the next one's
    /// directives (docs/design.md §3 invariant 5).
    fn decide(&mut self) -> Next {
        let t = Instant::now();
        let d = self.record.decide(self.cfg.accept_risk).clone();
        self.record.time(6, t);
        self.say(&format!(
            "[7/7] atlas: {} (overall {}, simultaneous pass {})",
            d.emission.as_str(),
            d.overall.as_str(),
            d.simultaneous_pass
        ));
        self.record.enter(6);
        if d.emission != Emission::ReLoop {
            return Next::Done;
        }
        let blocked = self
            .record
            .complete
            .as_ref()
            .and_then(|o| o.heph.as_ref())
            .and_then(|h| h.blocked.clone());
        if let Some(why) = blocked {
            self.record.stop_reason = Some(format!("not emitted: blocked by environment: {why}. No change to the plan can fix this, so it was not re-planned; install what is missing and run again"));
            self.record.blocked = Some(why);
            return Next::Done;
        }
        let iteration = self.record.iteration;
        if let Some(cap) = self.cfg.max_iterations {
            if iteration >= cap {
                self.record.stop_reason = Some(format!("not emitted after {iteration} iteration(s): the re-loop cap is {cap} (--loop lifts it)"));
                return Next::Done;
            }
        }
        let n = self.record.fold_last();
        self.say(&format!(
            "      re-loop: folding {n} finding(s) into the directives of iteration {}",
            iteration + 1
        ));
        Next::ReLoop
    }

    /// What the rollup says about this run besides its record.
    fn facts(&self) -> Facts<'_> {
        let (info, loaded) = (&self.strategy.info, &self.strategy.loaded);
        Facts {
            run_id: &self.id,
            task: &self.task,
            repository: self.repo.to_string_lossy().into_owned(),
            agents: self.cfg.engine.label(),
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
                options: self.strategy.options.iter().cloned().collect(),
            },
            accept_risk: self.cfg.accept_risk,
            refused_flags: &self.cfg.refused_flags,
            synthesis_provenance: self.dir.exists("synthesis-provenance.md"),
            gate_sandbox: self.cfg.hephaestus.sandbox.line.clone(),
        }
    }

    /// Stage 7, Atlas writes the outputs — the plan directory, the XML prompt, the logs and
    /// `rollup.yaml` last — from the record as it stands, whenever the run ended.
    pub fn emit(self) -> Outcome {
        let t = Instant::now();
        let mut rollup = self.record.rollup(self.facts());
        let xml_name = format!(
            "{}-{}.xml",
            crate::text::slug_name(&self.strategy.info.name),
            self.id
        );
        let written = self.record.written();
        let write_result = atlas::emit(atlas::EmitInput {
            run: &self.dir,
            rollup: &mut rollup,
            plan: written.and_then(|o| o.plan.as_ref()),
            probe: self.record.probe.as_deref(),
            metis: written.map(|o| &o.metis),
            momus: written.and_then(|o| o.momus.as_ref()),
            red: written.and_then(|o| o.red.as_ref()),
            heph: written.and_then(|o| o.heph.as_ref()),
            xml_name: &xml_name,
            strategy_version: &self.strategy.info.version,
            skills: &self
                .record
                .skills
                .iter()
                .map(|s| (s.name.clone(), s.description.clone()))
                .collect::<Vec<_>>(),
            log: &self.log,
            events: &self.events,
            tally: &self.tally,
            timer_ms: {
                let mut ms = self.record.stage_ms.clone();
                *ms.entry(super::record::STAGES[6].to_string()).or_default() +=
                    t.elapsed().as_millis() as u64;
                ms
            },
            started: self.started,
        });
        if let Err(e) = write_result {
            let msg = format!("writing the outputs failed: {e}");
            rollup.error = Some(match rollup.error.take() {
                Some(prev) => format!("{prev}; {msg}"),
                None => msg,
            });
        }
        let plan = self.record.written().and_then(|o| o.plan.clone());
        Outcome {
            plan,
            interrupted: self.record.interrupted,
            run_id: self.id,
            run_dir: self.dir.path().to_path_buf(),
            error: rollup.error.clone(),
            rollup,
            xml: xml_name,
        }
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

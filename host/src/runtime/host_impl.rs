//! The host side of `anneal:strategy/host`: what a strategy guest can ask for, in the host's
//! model types. Each WIT version's `Host` trait (`runtime/bindings/since_v*.rs`) calls these.
//!
//! The guest never touches the filesystem, network, clock or environment: it gets exactly these
//! calls. Planning, reviewing and convergence checks go through [`Services`], which the pipeline
//! provides (so the runtime does not depend on the stages); artifact writes go through the
//! cap-std run directory; every payload is size-checked; every call counts against the guest's
//! share of the budget; time spent in host calls is not charged to the guest's CPU limit.
use super::convergence_record::ConvergenceRecord;
use super::guest_log::GuestLog;
use super::limits::GuestLimits;
use crate::index::query::{Excerpt, Query, QueryError};
use crate::model::resolution::{RankedFile, SymbolRef};
use crate::model::{AgentRequest, Decision, Envelope, HostError, LogLevel, Plan, RedTeamReport};
use crate::rundir::RunDir;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A boxed, sendable future.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the pipeline provides to strategies: the agents, the red team, Momus, the checker.
/// Implementations bound their own concurrency (`--jobs`) and record what they did.
pub trait Services: Send + Sync {
    /// Runs one planner agent.
    fn invoke_agent(&self, req: AgentRequest) -> BoxFut<'_, Result<Plan, HostError>>;
    /// Runs the red-team three concurrently, then Oracle, on `plan`.
    fn red_team(
        &self,
        plan: Plan,
        depth: Option<u32>,
    ) -> BoxFut<'_, Result<RedTeamReport, HostError>>;
    /// Runs Momus on `plan`.
    fn momus(&self, plan: Plan, depth: Option<u32>) -> BoxFut<'_, Result<Envelope, HostError>>;
    /// Asks the run's convergence checker.
    fn check_convergence(
        &self,
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
    ) -> BoxFut<'_, Result<Decision, HostError>>;
}

/// Agents one `red-team` call runs: the three reviewers and Oracle. Each counts against the
/// guest's `--max-guest-calls`, as it does against the run's budget. No host call runs more
/// agents per unit it is charged.
pub const RED_TEAM_AGENTS: u32 = 4;

pub use super::artifacts::{is_reserved, RESERVED};

/// An envelope as the guest receives it: a reviewer's answer that could not be read
/// ([`crate::model::rules::is_invalid_answer`]) keeps its BLOCK verdict and summary but loses
/// its one finding, which only asks for the reviewer to be run again — no strategy should fold
/// that into a plan as a directive. The host's own record (reviews/, the rollup) keeps it whole.
fn for_guest(mut e: Envelope) -> Envelope {
    if crate::model::rules::is_invalid_answer(&e) {
        e.findings.clear();
    }
    e
}

pub use super::guest_log::RunLog;

/// The one sanitizer of guest text ([`crate::text::sanitize`]), re-exported where the runtime
/// and the pipeline have always found it.
pub use crate::text::sanitize;

/// Guest CPU time of one strategy instance (docs/security.md: the limit does not count time the host spends
/// answering the guest): wall-clock since the instance started, minus the time spent inside
/// `host` calls (agents, red team, Momus, convergence). Time inside WASI calls *is* guest time.
/// Shared (`Arc`) so a watchdog can read it while the guest runs: the epoch deadline stops a
/// guest that computes, the watchdog one that blocks in a WASI call and never yields to it.
#[derive(Debug)]
pub struct GuestClock {
    started: Instant,
    /// Completed host-call time, and the start of the host call in progress if one is.
    host: Mutex<(Duration, Option<Instant>)>,
}

impl GuestClock {
    /// A clock starting now, with no host time.
    pub fn new() -> GuestClock {
        GuestClock {
            started: Instant::now(),
            host: Mutex::new((Duration::ZERO, None)),
        }
    }

    /// Guest time so far (see the type's docs).
    pub fn guest_time(&self) -> Duration {
        let (done, since) = *self.lock();
        let host = done + since.map_or(Duration::ZERO, |s| s.elapsed());
        self.started.elapsed().saturating_sub(host)
    }

    fn enter_host(&self) {
        self.lock().1 = Some(Instant::now());
    }

    fn leave_host(&self) {
        let mut h = self.lock();
        if let Some(since) = h.1.take() {
            h.0 += since.elapsed();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (Duration, Option<Instant>)> {
        self.host.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Default for GuestClock {
    fn default() -> Self {
        GuestClock::new()
    }
}

/// Per-store state of the `host` interface for one strategy instance.
pub struct HostState {
    /// Strategy name, for messages.
    pub strategy: String,
    services: Option<Arc<dyn Services>>,
    run: Option<Arc<RunDir>>,
    /// Log and progress lines, bounded (`runtime::guest_log`).
    out: GuestLog,
    limits: GuestLimits,
    /// Guest time accounting, shared with the run's watchdog.
    pub clock: Arc<GuestClock>,
    /// Agents run for the guest so far (a red-team call counts [`RED_TEAM_AGENTS`]).
    pub agent_calls: u32,
    /// Momus scores and checker decisions the host served: the run's convergence record.
    pub convergence: ConvergenceRecord,
    artifacts: u32,
    artifact_bytes: u64,
    /// Run-relative paths of artifacts written by the guest.
    pub artifacts_written: Vec<String>,
    /// The probe's code index, served read-only by `code-index` (`None`: no index here).
    code: Option<Arc<Query>>,
    /// `code-index` calls made so far, and the bytes of their answers.
    pub code_queries: u32,
    code_bytes: u64,
    /// What `history.earlier-runs` answers (already bounded by its maker); empty unless
    /// [`HostState::with_history`] set it.
    history: Arc<crate::model::past::RunHistory>,
}

impl HostState {
    /// State for a `run` call: full access to `services` and artifact writes into `run`.
    pub fn new(
        strategy: &str,
        services: Arc<dyn Services>,
        run: Arc<RunDir>,
        log: Arc<RunLog>,
        progress: Arc<dyn Fn(&str) + Send + Sync>,
        limits: GuestLimits,
    ) -> Self {
        HostState {
            strategy: strategy.into(),
            services: Some(services),
            run: Some(run),
            out: GuestLog::new(strategy, &limits, log, progress),
            limits,
            clock: Arc::new(GuestClock::new()),
            agent_calls: 0,
            convergence: ConvergenceRecord::default(),
            artifacts: 0,
            artifact_bytes: 0,
            artifacts_written: Vec::new(),
            code: None,
            code_queries: 0,
            code_bytes: 0,
            history: Arc::default(),
        }
    }

    /// State for `info()` and inspection: every host call is refused.
    pub fn detached(strategy: &str, limits: GuestLimits) -> Self {
        HostState {
            strategy: strategy.into(),
            services: None,
            run: None,
            out: GuestLog::new(strategy, &limits, Arc::default(), Arc::new(|_| {})),
            limits,
            clock: Arc::new(GuestClock::new()),
            agent_calls: 0,
            convergence: ConvergenceRecord::default(),
            artifacts: 0,
            artifact_bytes: 0,
            artifacts_written: Vec::new(),
            code: None,
            code_queries: 0,
            code_bytes: 0,
            history: Arc::default(),
        }
    }

    /// Serves `index` (the probe's code index of the repository) to the guest through the
    /// `code-index` interface; without it lookups and searches answer empty lists and
    /// excerpts are refused.
    pub fn with_code_index(mut self, index: Arc<Query>) -> Self {
        self.code = Some(index);
        self
    }

    /// The summary of earlier runs `history.earlier-runs` answers with (docs/design.md §11),
    /// made and bounded by `history::summary`.
    pub fn with_history(mut self, history: Arc<crate::model::past::RunHistory>) -> Self {
        self.history = history;
        self
    }

    /// `history.earlier-runs`: the summary, the same for every call. Not a host call for the
    /// guest clock: the copy counts as the guest's own CPU time.
    pub fn earlier_runs(&self) -> crate::model::past::RunHistory {
        (*self.history).clone()
    }

    /// Guest CPU time so far: wall-clock since start, minus time in host calls.
    pub fn guest_time(&self) -> Duration {
        self.clock.guest_time()
    }

    fn services(&self) -> Result<Arc<dyn Services>, HostError> {
        self.services.clone().ok_or_else(|| {
            HostError::InvalidRequest(
                "the host is not available here (info() must not call the host)".into(),
            )
        })
    }

    /// Counts `agents` agents the host is about to run for the guest against its limit.
    fn charge(&mut self, agents: u32) -> Result<(), HostError> {
        if self.agent_calls.saturating_add(agents) > self.limits.agent_calls {
            return Err(HostError::BudgetExhausted(format!(
                "strategy {} reached its limit of {} agent calls for this run (--max-guest-calls; \
                 every agent the host runs for it counts: a red-team call is {RED_TEAM_AGENTS}, \
                 a batch one per request; {} used)",
                self.strategy, self.limits.agent_calls, self.agent_calls
            )));
        }
        self.agent_calls += agents;
        Ok(())
    }

    fn check_size<T: serde::Serialize>(&self, what: &str, value: &T) -> Result<(), HostError> {
        let n = serde_json::to_vec(value)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if n > self.limits.call_bytes {
            return Err(HostError::LimitExceeded(format!(
                "{what} is {n} bytes, over the {} byte limit for one host call",
                self.limits.call_bytes
            )));
        }
        Ok(())
    }

    fn check_plan(&self, plan: &Plan) -> Result<(), HostError> {
        self.check_size("the plan", plan)?;
        crate::model::validate::validate_plan(plan).map_err(|problems| {
            HostError::InvalidRequest(format!("the plan is not valid: {}", problems.join("; ")))
        })
    }

    async fn timed<T>(&mut self, f: impl Future<Output = T>) -> T {
        self.clock.enter_host();
        let r = f.await;
        self.clock.leave_host();
        r
    }
}

impl HostState {
    /// Appends what a WASI guest wrote to `stream` (`stdout`/`stderr`) to the run log, one entry
    /// per line, each sanitized, cut and counted like a `log` call. Invalid UTF-8 is replaced;
    /// empty lines are skipped.
    pub fn log_output(&mut self, stream: &str, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            self.out.log(stream, line);
        }
    }
}

/// The calls of the `host` interface (the same in every WIT version so far). None fails the
/// host: every refusal is a [`HostError`] the guest sees.
impl HostState {
    /// `invoke-agent`: one planner agent (one agent of the guest's limit).
    pub async fn invoke_agent(&mut self, request: AgentRequest) -> Result<Plan, HostError> {
        let s = self.services()?;
        self.check_size("the agent request", &request)?;
        self.charge(1)?;
        self.timed(s.invoke_agent(request)).await
    }

    /// `invoke-batch`: several planner agents concurrently; results in request order.
    pub async fn invoke_batch(
        &mut self,
        requests: Vec<AgentRequest>,
    ) -> Vec<Result<Plan, HostError>> {
        let pre = async {
            if requests.len() > self.limits.batch_size {
                return Err(HostError::LimitExceeded(format!(
                    "a batch of {} agent requests is over the limit of {}",
                    requests.len(),
                    self.limits.batch_size
                )));
            }
            let s = self.services()?;
            self.check_size("the batch", &requests)?;
            self.charge(requests.len() as u32)?;
            Ok(s)
        }
        .await;
        let s = match pre {
            Ok(s) => s,
            Err(e) => return requests.iter().map(|_| Err(e.clone())).collect(),
        };
        let futs: Vec<_> = requests.into_iter().map(|r| s.invoke_agent(r)).collect();
        self.timed(futures::future::join_all(futs)).await
    }

    /// `red-team`: the three reviewers concurrently, then Oracle, on `plan` ([`RED_TEAM_AGENTS`]
    /// agents of the guest's limit).
    pub async fn red_team(
        &mut self,
        plan: Plan,
        depth: Option<u32>,
    ) -> Result<RedTeamReport, HostError> {
        let s = self.services()?;
        self.check_plan(&plan)?;
        self.charge(RED_TEAM_AGENTS)?;
        let r = self.timed(s.red_team(plan, depth)).await?;
        Ok(RedTeamReport {
            security: for_guest(r.security),
            scope: for_guest(r.scope),
            assumptions: for_guest(r.assumptions),
            oracle: for_guest(r.oracle),
        })
    }

    /// `momus`: the rubric audit of `plan`; its score joins the run's convergence record.
    pub async fn momus(&mut self, plan: Plan, depth: Option<u32>) -> Result<Envelope, HostError> {
        let s = self.services()?;
        self.check_plan(&plan)?;
        self.charge(1)?;
        let envelope = self.timed(s.momus(plan, depth)).await?;
        self.convergence.momus(depth, envelope.score);
        Ok(for_guest(envelope))
    }

    /// `check-convergence`: the run's convergence checker, on scores the host served; its
    /// decision joins the run's convergence record.
    pub async fn check_convergence(
        &mut self,
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
    ) -> Result<Decision, HostError> {
        if scores.len() > 64 {
            return Err(HostError::InvalidRequest(format!(
                "{} scores is more than any depth cap allows",
                scores.len()
            )));
        }
        self.convergence
            .check_scores(&scores)
            .map_err(HostError::InvalidRequest)?;
        let s = self.services()?;
        self.charge(1)?;
        let decision = self
            .timed(s.check_convergence(depth, scores.clone(), cap))
            .await?;
        self.convergence.checked(depth, scores, decision.clone());
        Ok(decision)
    }

    /// `write-artifact`: a file of the strategy's own under the run directory.
    pub fn write_artifact(&mut self, path: String, contents: String) -> Result<(), HostError> {
        let run = self.run.clone().ok_or_else(|| {
            HostError::InvalidRequest(
                "artifacts cannot be written here (info() must not call the host)".into(),
            )
        })?;
        crate::rundir::check_rel_path(&path)
            .map_err(|e| HostError::InvalidRequest(e.to_string()))?;
        super::artifacts::check_name(&path).map_err(|why| {
            HostError::InvalidRequest(format!("artifact name {path:?} is refused: {why}"))
        })?;
        if contents.len() > self.limits.call_bytes {
            return Err(HostError::LimitExceeded(format!(
                "artifact {path:?} is {} bytes, over the {} byte limit for one host call",
                contents.len(),
                self.limits.call_bytes
            )));
        }
        if self.artifacts >= self.limits.artifacts {
            return Err(HostError::LimitExceeded(format!(
                "artifact limit reached: {} artifacts per run",
                self.limits.artifacts
            )));
        }
        if self.artifact_bytes + contents.len() as u64 > self.limits.artifact_total_bytes {
            return Err(HostError::LimitExceeded(format!(
                "artifact byte limit reached: {} bytes per run",
                self.limits.artifact_total_bytes
            )));
        }
        run.write(&path, contents.as_bytes())
            .map_err(|e| HostError::InvalidRequest(e.to_string()))?;
        self.artifacts += 1;
        self.artifact_bytes += contents.len() as u64;
        if !self.artifacts_written.contains(&path) {
            self.artifacts_written.push(path.clone());
        }
        Ok(())
    }

    /// `log`: one line of the run log, bounded (`runtime::guest_log`).
    pub fn log(&mut self, level: LogLevel, message: String) {
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        self.out.log(level, &message);
    }

    /// `progress`: one line on stderr while the run goes, also in the run log; rate-limited
    /// and bounded (`runtime::guest_log`).
    pub fn progress(&mut self, message: String) {
        self.out.progress(&message);
    }
}

/// The calls of the `code-index` interface (new in 0.2.0; docs/design.md §11). Each is one
/// query of [`GuestLimits::code_queries`], bounded by [`GuestLimits::code_query`] in what it
/// accepts and returns, and its answer's bytes count against
/// [`GuestLimits::code_answer_bytes`]. Time spent answering is host time, not guest CPU.
impl HostState {
    /// `lookup`: definitions named `name`, at most `limit`.
    pub fn code_lookup(&mut self, name: &str, limit: u32) -> Result<Vec<SymbolRef>, HostError> {
        Ok(self
            .code_query(|q| q.lookup(name, limit as usize))?
            .unwrap_or_default())
    }

    /// `search-symbols`: definitions ranked against `text`, at most `limit`.
    pub fn code_search_symbols(
        &mut self,
        text: &str,
        limit: u32,
    ) -> Result<Vec<SymbolRef>, HostError> {
        Ok(self
            .code_query(|q| q.search_symbols(text, limit as usize))?
            .unwrap_or_default())
    }

    /// `search-files`: indexed files ranked against `text`, at most `limit`.
    pub fn code_search_files(
        &mut self,
        text: &str,
        limit: u32,
    ) -> Result<Vec<RankedFile>, HostError> {
        Ok(self
            .code_query(|q| q.search_files(text, limit as usize))?
            .unwrap_or_default())
    }

    /// `read-excerpt`: lines `start..=end` of the indexed source file `path`, bounded.
    pub fn code_excerpt(&mut self, path: &str, start: u32, end: u32) -> Result<Excerpt, HostError> {
        self.code_query(|q| q.excerpt(path, start, end))?
            .ok_or_else(|| {
                HostError::InvalidRequest(format!(
                    "no code index was built for this run (no supported language), so {:?} cannot be read",
                    sanitize(path, 200)
                ))
            })
    }

    /// Counts one `code-index` call against [`GuestLimits::code_queries`].
    fn count_code_query(&mut self) -> Result<(), HostError> {
        if self.code_queries >= self.limits.code_queries {
            return Err(HostError::LimitExceeded(format!(
                "strategy {} reached its limit of {} code-index queries for this run; ask fewer, broader questions (search with a larger limit, read longer excerpts)",
                self.strategy, self.limits.code_queries
            )));
        }
        self.code_queries += 1;
        Ok(())
    }

    /// Runs one counted, bounded query: `None` when no index was built, else `f`'s answer
    /// when its size fits what is left of [`GuestLimits::code_answer_bytes`].
    fn code_query<T: serde::Serialize>(
        &mut self,
        f: impl FnOnce(&Query) -> Result<T, QueryError>,
    ) -> Result<Option<T>, HostError> {
        self.count_code_query()?;
        let Some(q) = self.code.clone() else {
            return Ok(None);
        };
        self.clock.enter_host();
        let answer = f(&q);
        self.clock.leave_host();
        let answer = answer.map_err(query_error)?;
        let n = serde_json::to_vec(&answer).map_or(u64::MAX, |v| v.len() as u64);
        if self.code_bytes.saturating_add(n) > self.limits.code_answer_bytes {
            return Err(HostError::LimitExceeded(format!(
                "strategy {} reached its limit of {} bytes of code-index answers for this run ({} used, this answer is {n}); ask for fewer results or shorter excerpts",
                self.strategy, self.limits.code_answer_bytes, self.code_bytes
            )));
        }
        self.code_bytes += n;
        Ok(Some(answer))
    }
}

/// A refused query as the guest sees it: a bound exceeded is `limit-exceeded`, anything else
/// `invalid-request`; the message says what was wrong (guest text in it is cut and cleaned).
fn query_error(e: QueryError) -> HostError {
    let message = sanitize(&e.to_string(), 400);
    match e {
        QueryError::TooLong { .. } => HostError::LimitExceeded(message),
        _ => HostError::InvalidRequest(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What docs/writing-a-strategy.md §2 promises when `info()` or `estimate()` calls the
    /// host: every call with a result is refused as `invalid-request`, log and progress lines
    /// are dropped, nothing is counted against the guest's calls, and nothing panics.
    #[test]
    fn a_detached_instance_refuses_every_host_call() {
        let mut h = HostState::detached("s", GuestLimits::default());
        let plan = Plan {
            title: "t".into(),
            thesis: "t".into(),
            effort: "S".into(),
            phases: Vec::new(),
            dependencies: Default::default(),
            out_of_scope: Vec::new(),
            iron_rules: Vec::new(),
            author: String::new(),
        };
        let request = AgentRequest {
            role: "prometheus-cast".into(),
            category: None,
            lens: None,
            extra_directives: Vec::new(),
            prior_plan: None,
            feedback: Vec::new(),
            scores: Vec::new(),
            depth: None,
        };
        let refused = |r: Result<(), HostError>| match r {
            Err(HostError::InvalidRequest(m)) => {
                assert!(m.contains("info() must not call the host"), "{m}")
            }
            other => panic!("not refused as invalid-request: {other:?}"),
        };
        futures::executor::block_on(async {
            // Refused before it is counted: never `budget-exhausted`, however many.
            for _ in 0..=GuestLimits::default().agent_calls {
                refused(h.invoke_agent(request.clone()).await.map(drop));
            }
            for r in h.invoke_batch(vec![request.clone(), request]).await {
                refused(r.map(drop));
            }
            refused(h.red_team(plan.clone(), None).await.map(drop));
            refused(h.momus(plan, None).await.map(drop));
            refused(h.check_convergence(1, vec![0.5], 3).await.map(drop));
        });
        refused(h.write_artifact("notes.md".into(), "x".into()));
        h.log(LogLevel::Info, "dropped".into());
        h.progress("dropped".into());
    }

    fn code_host(limits: GuestLimits) -> (tempfile::TempDir, HostState) {
        let dir = tempfile::tempdir().unwrap();
        crate::index::tests::polyglot(dir.path());
        let index = Arc::new(crate::index::tests::index_of(dir.path()));
        let q = Query::new(index, dir.path(), limits.code_query.clone());
        let host = HostState::detached("probe", limits).with_code_index(Arc::new(q));
        (dir, host)
    }

    #[test]
    fn code_queries_are_counted_up_to_the_limit() {
        let limits = GuestLimits {
            code_queries: 3,
            ..GuestLimits::default()
        };
        let (_d, mut h) = code_host(limits);
        assert_eq!(
            h.code_lookup("ErrorKind", 5).unwrap()[0].path,
            "src/ast/mod.rs"
        );
        assert!(!h.code_search_files("password login", 5).unwrap().is_empty());
        assert!(h.code_excerpt("src/parse.rs", 1, 3).is_ok());
        let refused = h.code_lookup("ErrorKind", 5).unwrap_err();
        assert!(
            matches!(&refused, HostError::LimitExceeded(m) if m.contains("limit of 3 code-index queries")),
            "{refused:?}"
        );
        assert_eq!(h.code_queries, 3);
    }

    #[test]
    fn code_answers_are_bounded_per_call_and_per_run() {
        let (_d, mut h) = code_host(GuestLimits::default());
        assert!(
            h.code_search_symbols("error kind parse", u32::MAX)
                .unwrap()
                .len()
                <= 50
        );
        let e = h.code_excerpt("src/parse.rs", 1, u32::MAX).unwrap();
        assert!(e.line_end - e.line_start < 200);
        let limits = GuestLimits {
            code_answer_bytes: 600,
            ..GuestLimits::default()
        };
        let (_d, mut h) = code_host(limits);
        let mut served = 0;
        let refused = loop {
            match h.code_excerpt("src/parse.rs", 1, 9) {
                Ok(e) => served += e.text.len(),
                Err(e) => break e,
            }
        };
        assert!(served <= 600, "{served} bytes served");
        assert!(
            matches!(&refused, HostError::LimitExceeded(m) if m.contains("600 bytes of code-index answers")),
            "{refused:?}"
        );
    }

    #[test]
    fn refused_queries_say_why() {
        let (_d, mut h) = code_host(GuestLimits::default());
        let long = "x".repeat(1000);
        assert!(matches!(
            h.code_lookup(&long, 1),
            Err(HostError::LimitExceeded(m)) if m.contains("at most 256")
        ));
        for path in ["../etc/passwd", "/etc/passwd", "README.md"] {
            assert!(
                matches!(h.code_excerpt(path, 1, 1), Err(HostError::InvalidRequest(m)) if m.contains("refused")),
                "{path}"
            );
        }
        // Without an index: empty answers, and no file to read.
        let mut bare = HostState::detached("probe", GuestLimits::default());
        assert!(bare.code_lookup("ErrorKind", 5).unwrap().is_empty());
        assert!(matches!(
            bare.code_excerpt("src/parse.rs", 1, 1),
            Err(HostError::InvalidRequest(m)) if m.contains("no code index")
        ));
        assert_eq!(bare.code_queries, 2);
    }
}

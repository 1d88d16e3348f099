//! The host side of `anneal:strategy/host`: what a strategy guest can ask for, in the host's
//! model types. Each WIT version's `Host` trait (`runtime/bindings/since_v*.rs`) calls these.
//!
//! The guest never touches the filesystem, network, clock or environment: it gets exactly these
//! calls. Planning, reviewing and convergence checks go through [`Services`], which the pipeline
//! provides (so the runtime does not depend on the stages); artifact writes go through the
//! cap-std run directory; every payload is size-checked; every call counts against the guest's
//! share of the budget; time spent in host calls is not charged to the guest's CPU limit.
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

/// Files and directories of the run directory that belong to the host; guests cannot write them.
pub const RESERVED: &[&str] = &[
    "plan",
    "reviews",
    "evidence",
    "rollup.yaml",
    "run.log",
    "events.jsonl",
    "probe-report.yaml",
    "code-index.json",
    "strategy.yaml",
];

/// Shared, bounded run log (`run.log`): host and guest lines, in order.
#[derive(Default)]
pub struct RunLog {
    lines: Mutex<Vec<String>>,
}

impl RunLog {
    /// Appends one line (already sanitized by the caller).
    pub fn push(&self, line: String) {
        self.lines.lock().expect("run log lock").push(line);
    }
    /// The whole log, one line per entry.
    pub fn text(&self) -> String {
        let mut s = self.lines.lock().expect("run log lock").join("\n");
        s.push('\n');
        s
    }
}

/// Removes terminal escape sequences and control characters (but tab) from guest text, and
/// cuts it to `max` bytes on a character boundary, marking the cut.
pub fn sanitize(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max));
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI / OSC sequences: skip to their end.
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    for d in chars.by_ref() {
                        if ('@'..='~').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    while let Some(d) = chars.next() {
                        if d == '\u{7}' || (d == '\u{1b}' && chars.peek() == Some(&'\\')) {
                            break;
                        }
                    }
                }
                _ => {}
            }
            continue;
        }
        if c.is_control() && c != '\t' {
            out.push(' ');
            continue;
        }
        if out.len() + c.len_utf8() > max {
            out.push_str(" …[cut]");
            break;
        }
        out.push(c);
    }
    out
}

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
    log: Arc<RunLog>,
    progress: Arc<dyn Fn(&str) + Send + Sync>,
    limits: GuestLimits,
    /// Guest time accounting, shared with the run's watchdog.
    pub clock: Arc<GuestClock>,
    /// Agent calls made so far.
    pub agent_calls: u32,
    artifacts: u32,
    artifact_bytes: u64,
    log_bytes: usize,
    /// Run-relative paths of artifacts written by the guest.
    pub artifacts_written: Vec<String>,
    /// The probe's code index, served read-only by `code-index` (`None`: no index here).
    code: Option<Arc<Query>>,
    /// `code-index` calls made so far, and the bytes of their answers.
    pub code_queries: u32,
    code_bytes: u64,
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
            log,
            progress,
            limits,
            clock: Arc::new(GuestClock::new()),
            agent_calls: 0,
            artifacts: 0,
            artifact_bytes: 0,
            log_bytes: 0,
            artifacts_written: Vec::new(),
            code: None,
            code_queries: 0,
            code_bytes: 0,
        }
    }

    /// State for `info()` and inspection: every host call is refused.
    pub fn detached(strategy: &str, limits: GuestLimits) -> Self {
        HostState {
            strategy: strategy.into(),
            services: None,
            run: None,
            log: Arc::new(RunLog::default()),
            progress: Arc::new(|_| {}),
            limits,
            clock: Arc::new(GuestClock::new()),
            agent_calls: 0,
            artifacts: 0,
            artifact_bytes: 0,
            log_bytes: 0,
            artifacts_written: Vec::new(),
            code: None,
            code_queries: 0,
            code_bytes: 0,
        }
    }

    /// Serves `index` (the probe's code index of the repository) to the guest through the
    /// `code-index` interface; without it lookups and searches answer empty lists and
    /// excerpts are refused.
    pub fn with_code_index(mut self, index: Arc<Query>) -> Self {
        self.code = Some(index);
        self
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

    fn charge(&mut self, calls: u32) -> Result<(), HostError> {
        if self.agent_calls.saturating_add(calls) > self.limits.agent_calls {
            return Err(HostError::BudgetExhausted(format!(
                "strategy {} reached its limit of {} agent calls for this run (--max-guest-calls)",
                self.strategy, self.limits.agent_calls
            )));
        }
        self.agent_calls += calls;
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

    fn log_line(&mut self, level: &str, message: &str) {
        if self.log_bytes >= self.limits.log_total_bytes {
            return;
        }
        let line = sanitize(message, self.limits.log_message_bytes);
        self.log_bytes += line.len();
        let note = if self.log_bytes >= self.limits.log_total_bytes {
            " (log limit reached: later guest lines dropped)"
        } else {
            ""
        };
        self.log
            .push(format!("[guest {}] {level}: {line}{note}", self.strategy));
    }
}

impl HostState {
    /// Appends what a WASI guest wrote to `stream` (`stdout`/`stderr`) to the run log, one entry
    /// per line, each sanitized and cut like `log` messages and counted against the same total
    /// log limit. Invalid UTF-8 is replaced; empty lines are skipped.
    pub fn log_output(&mut self, stream: &str, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            self.log_line(stream, line);
        }
    }
}

/// Whether `path` (already checked by [`crate::rundir::check_rel_path`]) names a host-owned file.
pub fn is_reserved(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    RESERVED.contains(&first) || (!path.contains('/') && path.ends_with(".xml"))
}

/// The calls of the `host` interface (the same in every WIT version so far). None fails the
/// host: every refusal is a [`HostError`] the guest sees.
impl HostState {
    /// `invoke-agent`: one planner agent (one agent call of the guest's limit).
    pub async fn invoke_agent(&mut self, request: AgentRequest) -> Result<Plan, HostError> {
        self.check_size("the agent request", &request)?;
        self.charge(1)?;
        let s = self.services()?;
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
            self.check_size("the batch", &requests)?;
            self.charge(requests.len() as u32)?;
            self.services()
        }
        .await;
        let s = match pre {
            Ok(s) => s,
            Err(e) => return requests.iter().map(|_| Err(e.clone())).collect(),
        };
        let futs: Vec<_> = requests.into_iter().map(|r| s.invoke_agent(r)).collect();
        self.timed(futures::future::join_all(futs)).await
    }

    /// `red-team`: the three reviewers concurrently, then Oracle, on `plan`.
    pub async fn red_team(
        &mut self,
        plan: Plan,
        depth: Option<u32>,
    ) -> Result<RedTeamReport, HostError> {
        self.check_plan(&plan)?;
        self.charge(1)?;
        let s = self.services()?;
        self.timed(s.red_team(plan, depth)).await
    }

    /// `momus`: the rubric audit of `plan`.
    pub async fn momus(&mut self, plan: Plan, depth: Option<u32>) -> Result<Envelope, HostError> {
        self.check_plan(&plan)?;
        self.charge(1)?;
        let s = self.services()?;
        self.timed(s.momus(plan, depth)).await
    }

    /// `check-convergence`: the run's convergence checker.
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
        self.charge(1)?;
        let s = self.services()?;
        self.timed(s.check_convergence(depth, scores, cap)).await
    }

    /// `write-artifact`: a file of the strategy's own under the run directory.
    pub fn write_artifact(&mut self, path: String, contents: String) -> Result<(), HostError> {
        (|| {
            let run = self.run.clone().ok_or_else(|| {
                HostError::InvalidRequest(
                    "artifacts cannot be written here (info() must not call the host)".into(),
                )
            })?;
            crate::rundir::check_rel_path(&path)
                .map_err(|e| HostError::InvalidRequest(e.to_string()))?;
            if is_reserved(&path) {
                return Err(HostError::InvalidRequest(format!(
                    "{path:?} is reserved for the host (plan/, reviews/, evidence/, rollup.yaml, run.log, the XML prompt); write strategy files elsewhere"
                )));
            }
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
        })()
    }

    /// `log`: one line of the run log.
    pub fn log(&mut self, level: LogLevel, message: String) {
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        self.log_line(level, &message);
    }

    /// `progress`: one line on stderr while the run goes, also in the run log.
    pub fn progress(&mut self, message: String) {
        let line = sanitize(&message, self.limits.log_message_bytes.min(200));
        (self.progress)(&line);
        self.log_line("progress", &message);
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

    #[test]
    fn sanitize_strips_escapes_and_cuts() {
        assert_eq!(sanitize("a\u{1b}[31mred\u{1b}[0m b", 100), "ared b");
        assert_eq!(sanitize("x\u{1b}]0;title\u{7}y", 100), "xy");
        assert_eq!(sanitize("a\nb\0c", 100), "a b c");
        assert!(sanitize(&"é".repeat(100), 11).ends_with("…[cut]"));
    }

    #[test]
    fn reserved_paths() {
        assert!(is_reserved("rollup.yaml"));
        assert!(is_reserved("plan/plan.md"));
        assert!(is_reserved("reviews/x.yaml"));
        assert!(is_reserved("cast-anneal-1.xml"));
        assert!(!is_reserved("variants/variant-1-correctness.md"));
        assert!(!is_reserved("depth-history.json"));
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

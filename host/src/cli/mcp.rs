//! `anneal mcp`: a Model Context Protocol server over stdio (the official Rust SDK, `rmcp`), so
//! a coding agent can plan with anneal. Tools:
//! - `plan`: one run (task, repository, strategy, options, model category); returns the
//!   emission decision, the verdicts, the run directory, `plan.md` and the XML prompt's path.
//!   Each stage is reported as a progress notification when the call carries a progress
//!   token; `notifications/cancelled` ends the run as a spent budget does (every further agent
//!   spawn refused, the outputs so far and `rollup.yaml` written).
//! - `strategies`: the strategies (as `strategy list`), or one (as `strategy inspect`).
//! - `runs`: the runs under the runs root (as `anneal runs`), or one run's record.
//! - `review`: review a plan directory or a run directory without planning it (as `anneal
//!   review PATH --repo DIR`); returns the verdicts, Momus's score, the final reviewers'
//!   findings and the review's run directory.
//!
//! The repository a client may plan or review must lie inside one of the server's roots
//! (`--root DIR`, repeatable; default the directory the server was started in), and so must the
//! plan a client asks to review (or inside the server's runs root, where `plan` writes): any
//! other path is refused before anything is read. Stdout carries only the protocol; the server
//! logs nothing there.
use super::args::{Cli, RunsFilterArgs};
use super::output::Output;
use crate::history::{self, History};
use crate::pipeline::{self, Run};
use clap::Parser;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ProgressNotificationParam, ServerCapabilities,
    ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Largest `plan.md` returned in a `plan` result (bytes); the file itself is complete.
pub const MAX_PLAN_BYTES: usize = 256 << 10;

/// Most findings a `review` result lists (final envelopes, most severe first); the review's
/// `reviews/*.yaml` hold them all, and `findings_total` says how many there were.
pub const MAX_REVIEW_FINDINGS: usize = 100;

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum McpServeError {
    /// A `--root` that is not a readable directory (usage).
    #[error("--root {0}: {1}")]
    Root(String, std::io::Error),
    /// The transport failed (runtime).
    #[error("MCP server: {0}")]
    Serve(String),
}

/// What the server was started with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Canonical directories a repository must lie inside.
    pub roots: Vec<PathBuf>,
    /// Where run directories go and are read from.
    pub runs_root: PathBuf,
    /// Passed to every run: model configuration and provider overrides, as for a run.
    pub config: Option<PathBuf>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// `--simulate-latency-ms` for every run (measuring, and tests that need time to cancel).
    pub simulate_latency_ms: u64,
}

/// The server: [`Settings`] behind an `Arc` (rmcp clones the handler per request).
#[derive(Clone)]
pub struct Server(Arc<Settings>);

/// Serves MCP over stdin/stdout until the client closes the connection.
///
/// # Errors
/// [`McpServeError`]: a bad `--root`, a transport failure.
pub async fn serve(mut settings: Settings) -> Result<(), McpServeError> {
    if settings.roots.is_empty() {
        settings.roots.push(PathBuf::from("."));
    }
    settings.roots = settings
        .roots
        .iter()
        .map(|r| {
            r.canonicalize()
                .map_err(|e| McpServeError::Root(r.display().to_string(), e))
        })
        .collect::<Result<_, _>>()?;
    let running = Server(Arc::new(settings))
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| McpServeError::Serve(e.to_string()))?;
    running
        .waiting()
        .await
        .map_err(|e| McpServeError::Serve(e.to_string()))?;
    Ok(())
}

fn schema(v: Value) -> Arc<Map<String, Value>> {
    Arc::new(v.as_object().cloned().unwrap_or_default())
}

/// The tools, with their input schemas.
pub fn tools() -> Vec<Tool> {
    vec![
        Tool::new(
            "plan",
            "Plan a one-line engineering task for a repository: anneal's seven stages (intent gate, probe, Metis, the strategy's planners with Momus, red team and Oracle, Hephaestus's gates, Atlas). Returns the emission decision (EMIT only when every gate passed in the same iteration), the verdicts, the run directory, plan.md and the XML prompt's path for a coding agent. Reports each stage as progress; cancelling ends the run cleanly.",
            schema(json!({
                "type": "object",
                "required": ["task", "repository"],
                "properties": {
                    "task": { "type": "string", "description": "The engineering task, in one line." },
                    "repository": { "type": "string", "description": "Path of the repository to plan for; must lie inside one of the server's roots." },
                    "strategy": { "type": "string", "description": "cast (default), alloy, temper, an installed strategy's name, or the path of a .wasm component." },
                    "options": { "type": "object", "additionalProperties": { "type": "string" }, "description": "The strategy's options, e.g. {\"versions\": \"3\"} (see the strategies tool)." },
                    "category": { "enum": ["ultrabrain", "deep", "quick"], "description": "Model category of the planners (default deep)." },
                    "max_spawns": { "type": "integer", "minimum": 1, "description": "Stop cleanly after this many agent spawns." },
                    "max_tokens": { "type": "integer", "minimum": 1, "description": "Stop cleanly after this many model tokens." }
                }
            })),
        ),
        Tool::new(
            "strategies",
            "The planning strategies anneal can run (bundled and installed), or, with `inspect`, one strategy's description, options, WIT version, sha256 and expected agent spawns.",
            schema(json!({
                "type": "object",
                "properties": {
                    "inspect": { "type": "string", "description": "A strategy's name or .wasm path to describe." }
                }
            })),
        ),
        Tool::new(
            "runs",
            "Earlier runs under the server's runs root (newest last), filtered; or, with `id`, one run's record (decision, verdicts, scores, spawns, tokens, wall-clock, phases).",
            schema(json!({
                "type": "object",
                "properties": {
                    "id": { "type": "string", "description": "A run id (or its unique start)." },
                    "strategy": { "type": "string" },
                    "task": { "type": "string", "description": "Only tasks containing this text." },
                    "outcome": { "enum": ["emit", "not-emitted", "abort", "error"] },
                    "limit": { "type": "integer", "minimum": 1, "description": "At most this many, the newest (default 20)." }
                }
            })),
        ),
        Tool::new(
            "review",
            "Review an existing plan without planning it: a run directory (its plan/ is reviewed) or a plan/ directory as anneal writes it, edited by hand or not. The red team, Oracle, Momus, Hephaestus's gates and Atlas run on it and write into a new run directory. Returns the emission decision, the verdicts, Momus's score, the reviewers' findings and the review's run directory.",
            schema(json!({
                "type": "object",
                "required": ["path"],
                "properties": {
                    "path": { "type": "string", "description": "A run directory or a plan/ directory; must lie inside one of the server's roots or its runs root." },
                    "repository": { "type": "string", "description": "The repository the plan is for (default: the directory the server was started in); must lie inside one of the server's roots." },
                    "accept_risk": { "type": "boolean", "description": "Let a RISKY verdict be emitted (an explicit human override)." }
                }
            })),
        ),
    ]
}

/// A tool-level failure the client shows its user.
fn failed(msg: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(msg.into())])
}

fn arg<'a>(args: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

impl Server {
    /// The repository, canonical, when it lies inside a root.
    fn check_repo(&self, repo: &str) -> Result<PathBuf, String> {
        self.inside_roots("repository", repo, None)
    }

    /// `path`, canonical (symbolic links resolved), when it lies inside a root or inside
    /// `also`; otherwise a message naming it, the roots and `--root`.
    fn inside_roots(&self, what: &str, path: &str, also: Option<&Path>) -> Result<PathBuf, String> {
        let p = Path::new(path)
            .canonicalize()
            .map_err(|e| format!("{what} {path}: {e}"))?;
        let also = also.and_then(|a| a.canonicalize().ok());
        if self.0.roots.iter().chain(&also).any(|r| p.starts_with(r)) {
            Ok(p)
        } else {
            let roots: Vec<String> = self
                .0
                .roots
                .iter()
                .map(|r| r.display().to_string())
                .collect();
            Err(format!(
                "{what} {} is outside the roots this server may plan ({}); start `anneal mcp` with --root DIR to allow another",
                p.display(),
                roots.join(", ")
            ))
        }
    }

    /// The command line a run of these arguments would have: the run's configuration is then
    /// made exactly as for `anneal "task"`.
    fn run_cli(&self, args: &Map<String, Value>, repo: &Path) -> Result<Cli, String> {
        let s = &self.0;
        let task = arg(args, "task").ok_or("`task` is required")?;
        let mut argv: Vec<String> = vec!["anneal".into(), "--quiet".into()];
        let mut push = |flag: &str, v: String| argv.extend([flag.to_string(), v]);
        push("--repo", repo.display().to_string());
        push("--out", s.runs_root.display().to_string());
        push("--strategy", arg(args, "strategy").unwrap_or("cast").into());
        push("--type", arg(args, "category").unwrap_or("deep").into());
        push("--simulate-latency-ms", s.simulate_latency_ms.to_string());
        for key in ["max_spawns", "max_tokens"] {
            if let Some(n) = args.get(key).and_then(Value::as_u64) {
                push(&format!("--{}", key.replace('_', "-")), n.to_string());
            }
        }
        if let Some(opts) = args.get("options").and_then(Value::as_object) {
            for (k, v) in opts {
                let v = v
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string());
                push("--opt", format!("{k}={v}"));
            }
        }
        if let Some(c) = &s.config {
            push("--config", c.display().to_string());
        }
        if let Some(p) = &s.provider {
            push("--provider", p.clone());
        }
        if let Some(m) = &s.model {
            push("--model", m.clone());
        }
        argv.extend(["--".into(), task.into()]);
        Cli::try_parse_from(argv).map_err(|e| e.to_string())
    }

    async fn plan(
        &self,
        args: &Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let repo = match arg(args, "repository").map(|r| self.check_repo(r)) {
            Some(Ok(p)) => p,
            Some(Err(e)) => return failed(e),
            None => return failed("`repository` is required"),
        };
        let cfg = match self
            .run_cli(args, &repo)
            .and_then(|cli| super::run::config(&cli).map_err(|e| e.to_string()))
        {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        let progress = progress_sink(ctx);
        let mut run = match Run::start(cfg, progress).await {
            Ok(r) => r,
            Err(e) => return failed(e.to_string()),
        };
        // A cancelled call cancels the run: the flag makes every further spawn a refusal.
        let flag = run.cancel_flag();
        let ct = ctx.ct.clone();
        let watch = tokio::spawn(async move {
            ct.cancelled().await;
            flag.store(true, Ordering::SeqCst);
        });
        run.iterate().await;
        let outcome = run.emit();
        watch.abort();
        planned(&outcome)
    }

    async fn strategies(&self, args: &Map<String, Value>) -> CallToolResult {
        let limits = super::args::GuestLimitArgs {
            max_guest_memory: 256,
            max_guest_cpu: 60,
            max_guest_calls: 200,
            max_compile_secs: None,
            max_compile_memory: None,
        };
        let out = match arg(args, "inspect") {
            Some(name) => super::strategy::inspect(name, &limits).await,
            None => Ok(super::strategy::list(&limits.limits()).await),
        };
        match out {
            Ok(o) => CallToolResult::structured(o.data),
            Err(e) => failed(e.to_string()),
        }
    }

    fn runs(&self, args: &Map<String, Value>) -> CallToolResult {
        let root = &self.0.runs_root;
        if let Some(id) = arg(args, "id") {
            return match history::find(root, id) {
                Ok(r) => CallToolResult::structured(serde_json::to_value(&r).unwrap_or_default()),
                Err(e) => failed(e.to_string()),
            };
        }
        let outcome = match arg(args, "outcome")
            .map(|o| <crate::history::Outcome as clap::ValueEnum>::from_str(o, true))
        {
            Some(Err(e)) => return failed(format!("outcome: {e}")),
            Some(Ok(o)) => Some(o),
            None => None,
        };
        let f = RunsFilterArgs {
            strategy: arg(args, "strategy").map(String::from),
            task: arg(args, "task").map(String::from),
            outcome,
        };
        let limit = args.get("limit").and_then(Value::as_u64).unwrap_or(20) as usize;
        match History::read(root) {
            Ok(h) => {
                let kept = h.filtered(&super::runs::filter(&f));
                let newest = &kept[kept.len().saturating_sub(limit)..];
                CallToolResult::structured(json!({
                    "root": root.display().to_string(),
                    "total": kept.len(),
                    "runs": newest,
                }))
            }
            Err(e) => failed(e.to_string()),
        }
    }
}

impl Server {
    /// `review`: the plan and the repository checked against the roots before anything is
    /// read, then the review as `anneal review PATH --repo DIR` runs it (its progress reported
    /// like a plan's). A cancelled call is not stopped: the review runs to its end (its
    /// agents and gates are bounded by the run's budget and `--gate-timeout`).
    async fn review(
        &self,
        args: &Map<String, Value>,
        ctx: &RequestContext<RoleServer>,
    ) -> CallToolResult {
        let s = &self.0;
        let path = match arg(args, "path").map(|p| self.inside_roots("plan", p, Some(&s.runs_root)))
        {
            Some(Ok(p)) => p,
            Some(Err(e)) => return failed(e),
            None => return failed("`path` is required: a run directory or a plan/ directory"),
        };
        let repo = match self.check_repo(arg(args, "repository").unwrap_or(".")) {
            Ok(p) => p,
            Err(e) => return failed(e),
        };
        let mut argv: Vec<String> = vec!["anneal".into(), "review".into(), "--quiet".into()];
        argv.extend(["--repo".into(), repo.display().to_string()]);
        argv.extend(["--out".into(), s.runs_root.display().to_string()]);
        if args.get("accept_risk").and_then(Value::as_bool) == Some(true) {
            argv.push("--accept-risk".into());
        }
        for (flag, v) in [("--provider", &s.provider), ("--model", &s.model)] {
            if let Some(v) = v {
                argv.extend([flag.into(), v.clone()]);
            }
        }
        if let Some(c) = &s.config {
            argv.extend(["--config".into(), c.display().to_string()]);
        }
        argv.extend(["--".into(), path.display().to_string()]);
        let cfg = match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Some(super::args::Command::Review(a)),
                ..
            }) => super::review::config(&a).map_err(|e| e.to_string()),
            Ok(_) => Err("internal: `anneal review` arguments were not read as a review".into()),
            Err(e) => Err(e.to_string()),
        };
        let cfg = match cfg {
            Ok(c) => c,
            Err(e) => return failed(e),
        };
        match crate::review::run(cfg, progress_sink(ctx)).await {
            Ok(o) => reviewed(&o),
            Err(e) => failed(e.to_string()),
        }
    }
}

/// The `review` result: the run's summary document (decision, verdicts, Momus's score, the
/// review's run directory and outputs), with the final reviewers' findings, most severe first,
/// at most [`MAX_REVIEW_FINDINGS`].
fn reviewed(o: &pipeline::Outcome) -> CallToolResult {
    let Output { mut data, .. } = super::run::summary(o);
    let mut findings: Vec<(u8, Value)> = Vec::new();
    let files = std::fs::read_dir(o.run_dir.join("reviews"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for f in files {
        let name = f.file_name().unwrap_or_default().to_string_lossy();
        // `*-envelope-*` are earlier iterations' envelopes; the final ones have plain names.
        if !name.ends_with(".yaml") || name.contains("-envelope-") {
            continue;
        }
        let Some(env) = std::fs::read_to_string(&f)
            .ok()
            .and_then(|t| serde_yaml::from_str::<crate::model::Envelope>(&t).ok())
        else {
            continue;
        };
        for x in env.findings {
            let v = json!({
                "reviewer": env.agent,
                "severity": x.severity,
                "location": x.location,
                "concern": x.concern,
                "demand": x.demand,
            });
            // `Critical` is 0: ascending order is most severe first.
            findings.push((x.severity as u8, v));
        }
    }
    findings.sort_by_key(|f| f.0);
    let total = findings.len();
    if let Some(obj) = data.as_object_mut() {
        obj.insert("findings_total".into(), json!(total));
        obj.insert(
            "findings".into(),
            Value::Array(
                findings
                    .into_iter()
                    .take(MAX_REVIEW_FINDINGS)
                    .map(|(_, v)| v)
                    .collect(),
            ),
        );
    }
    CallToolResult::structured(data)
}

/// Progress notifications for the run's stages (`[N/7] …` lines), when the call asked for
/// them with a progress token; other lines are dropped, and none is sent once the call was
/// cancelled.
fn progress_sink(ctx: &RequestContext<RoleServer>) -> pipeline::Progress {
    let Some(token) = ctx.meta.get_progress_token() else {
        return Arc::new(|_| {});
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let peer = ctx.peer.clone();
    let ct = ctx.ct.clone();
    tokio::spawn(async move {
        let mut n = 0.0;
        while let Some(msg) = rx.recv().await {
            if ct.is_cancelled() {
                break;
            }
            n += 1.0;
            let mut p = ProgressNotificationParam::new(token.clone(), n);
            p.message = Some(msg);
            if peer.notify_progress(p).await.is_err() {
                break;
            }
        }
    });
    Arc::new(move |m: &str| {
        if m.starts_with('[') {
            let _ = tx.send(m.to_string());
        }
    })
}

/// The `plan` result: the run's summary document, with plan.md's text.
fn planned(o: &pipeline::Outcome) -> CallToolResult {
    let Output { mut data, .. } = super::run::summary(o);
    let mut plan = std::fs::read(o.run_dir.join("plan/plan.md")).unwrap_or_default();
    plan.truncate(MAX_PLAN_BYTES);
    if let Some(obj) = data.as_object_mut() {
        obj.insert(
            "plan_md".into(),
            Value::String(String::from_utf8_lossy(&plan).into_owned()),
        );
    }
    CallToolResult::structured(data)
}

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("anneal", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "anneal plans an engineering task for a repository through reviewed, validated stages. Call `plan` with the task and the repository; `review` reviews an existing plan directory; `strategies` lists the planning strategies and their options; `runs` reads earlier runs.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let args = request.arguments.unwrap_or_default();
        let result = match request.name.as_ref() {
            "plan" => self.plan(&args, &context).await,
            "strategies" => self.strategies(&args).await,
            "runs" => self.runs(&args),
            "review" => self.review(&args, &context).await,
            other => {
                return Err(McpError::invalid_params(
                    format!("no tool {other}: the tools are plan, strategies, runs, review"),
                    None,
                ))
            }
        };
        Ok(result.into())
    }
}

//! Stage 6, Hephaestus (docs/design.md §6 and invariant 2 of docs/design.md §3): planning-time validation with
//! real evidence.
//!
//! 1. Reference integrity ([`references`]): every `modify`/`delete` target exists inside the
//!    repository, every `create` target does not yet (a failed check: see that module), no
//!    path leaves the repository, every gate command of every phase names a program that
//!    exists (and a make target, just recipe, cargo subcommand or package script that exists),
//!    and every function or type the plan names exists in the code index or is introduced by
//!    the plan first (`references::symbols`).
//!    `check:` entries are manual checks, recorded NOT RUN.
//! 2. Phase 00's gate commands run for real ([`runner`], [`scratch`]): only a command equal
//!    (after trimming) to a `DetectedCommand.command` of the probe report or to an entry of
//!    [`Options::allowed_commands`] is trusted; any other is recorded NOT RUN "untrusted: not
//!    detected from the project's manifests" and never run. Trusted commands run one after the
//!    other, in gate order, in one scratch copy of the repository (as a developer would run the
//!    gate), with `/bin/sh -c`, a scrubbed environment and a timeout; their output goes to
//!    `evidence/phase-00-gate-{n}.log`, `n` being the command's 1-based position in the gate
//!    (format in [`evidence`]).
//!    With a baseline record ([`Options::baseline`]), a command it holds is judged from the
//!    record instead (phase 00 runs on the untouched repository, so its outcome is the
//!    baseline's), and counts as existing.
//! 3. Evidence rules ([`evidence::judge`]) on each log as written to the run directory. A test
//!    command that ran and failed only a few tests on the untouched repository passes on its
//!    baseline: the failing tests go to `evidence/baseline.json` ([`pre_existing`]), and the
//!    plan is judged on new failures only.
//!
//! PASS iff no check failed and at least one phase-00 command ran and passed. The report is
//! also written as `evidence/hephaestus.md`, and returned as an envelope (agent `hephaestus`,
//! SAFE on PASS, BLOCK on FAIL: docs/design.md §4) with one finding per failed check.
pub mod evidence;
pub mod pre_existing;
pub mod preflight;
mod prepare;
pub mod references;
pub mod runner;
pub mod sandbox;
pub mod scratch;

use crate::model::Context;
use crate::model::{Envelope, Finding, Phase, Plan, ProbeReport, Severity, Verdict};
use crate::rundir::RunDir;
use prepare::prepare;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use runner::{ENV_ALLOWLIST, FIXED_ENV, SECRET_MARKERS};

/// Agent name on the envelope.
pub const AGENT: &str = "hephaestus";

/// Run-relative path of the preflight's log.
pub const PREFLIGHT_LOG: &str = "evidence/preflight.log";

/// Run-relative path of a second preflight's log in the same run (stage 6 preparing its own
/// scratch copy after the baseline's preflight wrote [`PREFLIGHT_LOG`]).
pub const PREFLIGHT_LOG_AGAIN: &str = "evidence/preflight-phase-00.log";

/// Run-relative path of the human-readable report.
pub const EVIDENCE_REPORT: &str = "evidence/hephaestus.md";

/// Run-relative path of the evidence of phase 00's gate entry `n` (1-based).
pub fn gate_log_path(n: usize) -> String {
    format!("evidence/phase-00-gate-{n}.log")
}

/// How Hephaestus runs commands.
#[derive(Clone, Debug)]
pub struct Options {
    /// Per command; on expiry the command's whole process group is killed. Default 600 s.
    pub timeout: Duration,
    /// Extra trusted commands from configuration, compared with gate entries after trimming.
    pub allowed_commands: Vec<String>,
    /// Evidence kept per command; longer output keeps its head and tail (cut at line
    /// boundaries, with a marker line saying how much was omitted). Default 1 MiB; values
    /// under 1 KiB count as 1 KiB.
    pub max_output_bytes: usize,
    /// When set, `CARGO_TARGET_DIR` for commands that invoke cargo or rustc (a persistent
    /// cache so repeated runs are fast). When unset they build inside the scratch copy.
    pub cargo_target_dir: Option<PathBuf>,
    /// What the gate commands did on the untouched repository, recorded earlier (docs/design.md
    /// §10): a phase-00 gate command the record holds is judged from it instead of being run
    /// again — phase 00 runs on the untouched repository, so its outcome there is the
    /// baseline's — and a command it records as run exists. `None`: everything is run.
    pub baseline: Option<crate::model::baseline::Baseline>,
    /// The OS sandbox gate commands run in ([`sandbox::resolve`]); the default is none, with
    /// a line saying so.
    pub sandbox: sandbox::Decision,
    /// Per-repository caches of the preflight ([`preflight::cache_env`]) live under this
    /// directory, reused across runs; `None`: no cache variables are set.
    pub cache_dir: Option<PathBuf>,
    /// Per preflight step; on expiry its process group is killed and validation is blocked.
    /// Default 900 s.
    pub preflight_timeout: Duration,
    /// No network for dependency installation (caches and lockfiles only).
    pub offline: bool,
    /// Whether the preflight prepares the scratch copy ([`preflight::Mode`]).
    pub preflight: preflight::Mode,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(600),
            allowed_commands: Vec::new(),
            max_output_bytes: 1 << 20,
            cargo_target_dir: None,
            baseline: None,
            sandbox: sandbox::Decision {
                sandbox: None,
                line: "gate sandbox: off (not requested)".into(),
            },
            cache_dir: None,
            preflight_timeout: Duration::from_secs(900),
            offline: false,
            preflight: preflight::Mode::Install,
        }
    }
}

/// Outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CheckStatus {
    Passed,
    Failed,
    /// Manual checks and untrusted commands.
    NotRun,
}

impl CheckStatus {
    /// `PASSED`, `FAILED` or `NOT RUN`.
    pub fn label(self) -> &'static str {
        match self {
            CheckStatus::Passed => "PASSED",
            CheckStatus::Failed => "FAILED",
            CheckStatus::NotRun => "NOT RUN",
        }
    }
}

/// One check. Names: `file: phase NN <action> <path>`, `command exists: <command>`,
/// `manual check: phase NN gate N`, `run: phase 00 gate N: <command>`,
/// `phase 00: runnable command`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Check {
    pub name: String,
    pub status: CheckStatus,
    /// What was found; for a run, the log line that proves success or failure.
    pub detail: String,
    /// Run-relative evidence file (`evidence/phase-00-gate-N.log`) for commands that ran.
    pub evidence: Option<String>,
}

/// What Hephaestus concluded.
#[derive(Clone, Debug)]
pub struct Report {
    /// PASS: no failed check and at least one phase-00 command ran and passed.
    pub passed: bool,
    /// Files, then commands and manual checks, then phase-00 runs (plan order within each).
    pub checks: Vec<Check>,
    /// Run-relative files written: the gate logs, then `evidence/hephaestus.md`.
    pub evidence: Vec<String>,
    /// Agent `hephaestus`; SAFE on PASS, BLOCK on FAIL; one finding per failed check.
    pub envelope: Envelope,
    /// Set when the environment, not the plan, stopped validation (a tool that is not
    /// installed, a dependency installation that failed): what is missing. No re-plan can
    /// fix it, so the run stops "blocked by environment".
    pub blocked: Option<String>,
}

/// Which part of the validation a check belongs to (sections of `hephaestus.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    File,
    Command,
    Manual,
    Run,
    Symbol,
}

/// A check plus what its finding says if it failed.
struct Item {
    check: Check,
    kind: Kind,
    severity: Severity,
    location: String,
    demand: String,
}

impl Item {
    fn passed(kind: Kind, name: &str, detail: String) -> Item {
        Item::new(kind, name, CheckStatus::Passed, detail)
    }

    fn not_run(kind: Kind, name: &str, detail: String) -> Item {
        Item::new(kind, name, CheckStatus::NotRun, detail)
    }

    fn failed(
        kind: Kind,
        name: &str,
        detail: String,
        severity: Severity,
        location: &str,
        demand: String,
    ) -> Item {
        Item {
            severity,
            location: location.into(),
            demand,
            ..Item::new(kind, name, CheckStatus::Failed, detail)
        }
    }

    fn new(kind: Kind, name: &str, status: CheckStatus, detail: String) -> Item {
        Item {
            check: Check {
                name: name.into(),
                status,
                detail,
                evidence: None,
            },
            kind,
            severity: Severity::Low,
            location: String::new(),
            demand: String::new(),
        }
    }
}

/// `plan/phase-{id}-{slug}.md`, where a phase's findings point.
fn phase_file(p: &Phase) -> String {
    format!("plan/phase-{}-{}.md", p.id, p.slug)
}

/// Validates `plan` against the repository of `ctx` (docs/design.md §6), writing evidence into `run`.
/// Commands get an environment scrubbed from this process's environment. Never panics and
/// never fails: every problem is a failed check.
pub async fn validate(ctx: &Context<'_>, plan: &Plan, run: &RunDir, opts: &Options) -> Report {
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    validate_with_env(ctx, plan, run, opts, &env).await
}

/// [`validate`] with the base environment given: commands get
/// [`runner::scrubbed_env`]`(base_env, …)`, and programs are looked up on its `PATH`. For tests
/// and for hosts that want to narrow the environment further.
pub async fn validate_with_env(
    ctx: &Context<'_>,
    plan: &Plan,
    run: &RunDir,
    opts: &Options,
    base_env: &[(OsString, OsString)],
) -> Report {
    let lookup = references::Lookup::from_env(&runner::scrubbed_env(base_env, None));
    let mut items = references::file_checks(plan, ctx.repo_root);
    let mut commands = references::command_checks(plan, ctx.repo_root, &lookup, ctx.probe);
    if let Some(b) = &opts.baseline {
        recorded_exist(&mut commands, b);
    }
    items.extend(commands);
    items.extend(references::symbol_checks(plan, ctx.resolution));
    let mut evidence = Vec::new();
    let (ran_ok, blocked) =
        run_phase_00(ctx, plan, run, opts, base_env, &mut items, &mut evidence).await;
    let mut passed = ran_ok > 0 && !items.iter().any(|i| i.check.status == CheckStatus::Failed);
    let md = render_report(ctx, &items, passed, ran_ok, &opts.sandbox.line);
    match run.write(EVIDENCE_REPORT, md.as_bytes()) {
        Ok(()) => evidence.push(EVIDENCE_REPORT.to_string()),
        Err(e) => {
            passed = false;
            items.push(Item::failed(
                Kind::Run,
                "evidence report",
                format!("{EVIDENCE_REPORT} could not be written: {e}"),
                Severity::High,
                EVIDENCE_REPORT,
                "Make the run directory writable so Hephaestus can record its evidence.".into(),
            ));
        }
    }
    let mut envelope = build_envelope(ctx, &items, passed, ran_ok);
    if let Some(why) = &blocked {
        envelope.summary = format!("BLOCKED BY ENVIRONMENT: {why}");
    }
    Report {
        passed,
        checks: items.into_iter().map(|i| i.check).collect(),
        evidence,
        envelope,
        blocked,
    }
}

/// The evidence of a gate judged from this run's baseline record, copied to where the gate's
/// own log belongs (`to`), so phase 00's evidence is always at `evidence/phase-00-gate-{n}.log`;
/// `None` when the record has no log of this run or it cannot be copied.
fn keep_recorded_evidence(
    run: &RunDir,
    record: &crate::model::baseline::BaselineRun,
    to: String,
) -> Option<String> {
    let from = record.evidence.as_deref()?;
    if from == to {
        return Some(to);
    }
    let text = run.read_to_string(from).ok()?;
    run.write(&to, text.as_bytes()).ok()?;
    Some(to)
}

/// Run-relative path of the evidence of the baseline's gate command `n` (1-based).
pub fn baseline_log_path(n: usize) -> String {
    format!("evidence/baseline-gate-{n}.log")
}

/// The baseline (docs/design.md §6): runs `commands` — the probe's detected build and test
/// commands — once on the untouched repository, as the gate of a phase 00 would (preflight,
/// scratch copy, sandbox, trust and evidence rules; logs at [`baseline_log_path`]), while the
/// strategy plans. Returns one record per command that ran, its evidence log with it; a plan's
/// phase-00 gate naming one of them is then judged from the record
/// ([`Options::baseline`]), not run again. When the environment blocked it, a record with no
/// command and [`Baseline::blocked`](crate::model::baseline::Baseline::blocked) set, which
/// stage 6 reports without preparing again. `None` when nothing could run otherwise (no
/// command, no scratch copy): stage 6 then runs the plan's gate itself.
pub async fn run_baseline(
    ctx: &Context<'_>,
    commands: &[String],
    run: &RunDir,
    opts: &Options,
) -> Option<crate::model::baseline::Baseline> {
    if commands.is_empty() {
        return None;
    }
    let phase = Phase {
        id: "00".into(),
        slug: "baseline".into(),
        title: "Baseline".into(),
        goal: "The project's own build and test commands on the untouched repository".into(),
        steps: Vec::new(),
        files: Vec::new(),
        success_criteria: Vec::new(),
        gate: commands.to_vec(),
        rollback: String::new(),
        depends_on: Vec::new(),
        provenance: None,
    };
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let no_baseline = Options {
        baseline: None,
        ..opts.clone()
    };
    let (mut items, mut files) = (Vec::new(), Vec::new());
    let (_, blocked) = run_gates(
        ctx,
        &phase,
        run,
        &no_baseline,
        &env,
        &mut items,
        &mut files,
        baseline_log_path,
    )
    .await;
    let preflight = items
        .iter()
        .find(|i| i.kind == Kind::Run && i.check.name == prepare::CHECK_NAME)
        .map(|i| crate::model::baseline::Preparation {
            ran: i.check.status == CheckStatus::Passed,
            detail: i.check.detail.clone(),
            evidence: i.check.evidence.clone(),
        });
    if let Some(why) = blocked {
        return Some(crate::model::baseline::Baseline {
            commands: Vec::new(),
            preflight,
            blocked: Some(why),
        });
    }
    let runs: Vec<crate::model::baseline::BaselineRun> = commands
        .iter()
        .enumerate()
        .filter_map(|(i, cmd)| {
            let name = run_name(i + 1, cmd.trim());
            let item = items
                .iter()
                .find(|it| it.kind == Kind::Run && it.check.name == name)?;
            // Only what really ran is a fact about the repository.
            let evidence = item.check.evidence.clone()?;
            let passed = item.check.status == CheckStatus::Passed;
            let failing = if passed && item.check.detail.contains(pre_existing::BASELINE_FILE) {
                recorded_failures(run, &evidence)
            } else {
                Vec::new()
            };
            Some(crate::model::baseline::BaselineRun {
                command: cmd.trim().to_string(),
                passed,
                detail: item.check.detail.clone(),
                evidence: Some(evidence),
                failing,
            })
        })
        .collect();
    (!runs.is_empty()).then_some(crate::model::baseline::Baseline {
        commands: runs,
        preflight,
        blocked: None,
    })
}

/// The baseline's preflight as this validation's check, when the record has it.
fn recorded_preflight(opts: &Options) -> Option<Item> {
    let p = opts.baseline.as_ref()?.preflight.as_ref()?;
    let mut item = if p.ran {
        Item::passed(
            Kind::Run,
            prepare::CHECK_NAME,
            format!("for the baseline's scratch copy: {}", p.detail),
        )
    } else {
        Item::not_run(Kind::Run, prepare::CHECK_NAME, p.detail.clone())
    };
    item.check.evidence = p.evidence.clone();
    Some(item)
}

/// The failing tests of a gate passed on its baseline, read back from its evidence log.
fn recorded_failures(run: &RunDir, evidence: &str) -> Vec<String> {
    run.read_to_string(evidence)
        .ok()
        .and_then(|t| evidence::read_log(&t).ok())
        .and_then(|facts| pre_existing::parse(&facts.output))
        .map(|t| t.failing)
        .unwrap_or_default()
}

/// A command the baseline ran exists, whatever this machine's `PATH` says (its outcome is
/// judged from the record, not from a run here).
fn recorded_exist(items: &mut [Item], baseline: &crate::model::baseline::Baseline) {
    for i in items
        .iter_mut()
        .filter(|i| i.kind == Kind::Command && i.check.status == CheckStatus::Failed)
    {
        let Some(cmd) = i.check.name.strip_prefix("command exists: ") else {
            continue;
        };
        if baseline.run_of(cmd).is_some() {
            i.check.status = CheckStatus::Passed;
            i.check.detail = "ran on the untouched repository (baseline record)".into();
        }
    }
}

/// Why `command` may run: detected by the probe, or allowed in configuration.
fn trust_of(command: &str, probe: &ProbeReport, opts: &Options) -> Option<String> {
    if let Some(d) = probe.commands.iter().find(|d| d.command.trim() == command) {
        return Some(format!(
            "detected by the probe in {} ({})",
            d.source, d.purpose
        ));
    }
    opts.allowed_commands
        .iter()
        .any(|a| a.trim() == command)
        .then(|| "allowed in configuration".to_string())
}

/// Name of the repository for evidence headers: the last component of the probe's
/// `repository`, else of the repository root.
fn repo_name(ctx: &Context<'_>) -> String {
    let from_probe = ctx
        .probe
        .repository
        .trim()
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    if !from_probe.is_empty() {
        return from_probe;
    }
    std::fs::canonicalize(ctx.repo_root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "repository".into())
}

/// An example of what phase 00 should name, for demands.
fn detected_example(probe: &ProbeReport) -> String {
    let pick = probe
        .commands
        .iter()
        .find(|c| c.purpose == "build")
        .or_else(|| probe.commands.iter().find(|c| c.purpose == "test"))
        .or_else(|| probe.commands.first());
    match pick {
        Some(c) => format!("a command the probe detected, such as `{}`", c.command),
        None => "a command the probe detected from the project's manifests (it detected none: add a build or test command to a manifest, or allow one in configuration)".into(),
    }
}

fn run_name(n: usize, command: &str) -> String {
    format!("run: phase 00 gate {n}: {command}")
}

/// Runs phase 00's trusted gate commands (module docs, step 2) after the preflight; returns
/// how many passed and, when the environment blocked them, why.
async fn run_phase_00(
    ctx: &Context<'_>,
    plan: &Plan,
    run: &RunDir,
    opts: &Options,
    base_env: &[(OsString, OsString)],
    items: &mut Vec<Item>,
    evidence_files: &mut Vec<String>,
) -> (usize, Option<String>) {
    let Some(phase) = plan.phases.iter().find(|p| p.id == "00") else {
        items.push(Item::failed(
            Kind::Run,
            "phase 00: runnable command",
            "the plan has no phase 00 (preflight), so it names no command Hephaestus can run"
                .into(),
            Severity::High,
            "plan/plan.md",
            format!(
                "Add phase 00 (preflight) whose gate names {}.",
                detected_example(ctx.probe)
            ),
        ));
        return (0, None);
    };
    run_gates(
        ctx,
        phase,
        run,
        opts,
        base_env,
        items,
        evidence_files,
        gate_log_path,
    )
    .await
}

/// When the baseline's preparation was already blocked by the environment, the same scratch
/// preparation would be too (minutes of a failing install again): records it as this phase's
/// failed preparation, with the baseline's preflight log, and the commands of `to_run` as not
/// run; returns why. `None` (nothing recorded) otherwise.
fn blocked_by_baseline(
    opts: &Options,
    location: &str,
    to_run: &[(usize, &str, String)],
    items: &mut Vec<Item>,
    evidence_files: &mut Vec<String>,
) -> Option<String> {
    let b = opts.baseline.as_ref()?;
    let why = b.blocked.clone()?;
    let log = b.preflight.as_ref().and_then(|p| p.evidence.clone());
    evidence_files.extend(log.clone());
    items.push(prepare::blocked_item(&why, location, log));
    for (n, cmd, _) in to_run {
        items.push(Item::not_run(
            Kind::Run,
            &run_name(*n, cmd),
            format!("not run: blocked by environment (found by the baseline's preflight): {why}"),
        ));
    }
    Some(why)
}

/// Runs the trusted gate commands of `phase` (module docs, step 2) after the preflight, each
/// logged at `log_path(n)`; returns how many passed and, when the environment blocked them,
/// why.
#[allow(clippy::too_many_arguments)]
async fn run_gates(
    ctx: &Context<'_>,
    phase: &Phase,
    run: &RunDir,
    opts: &Options,
    base_env: &[(OsString, OsString)],
    items: &mut Vec<Item>,
    evidence_files: &mut Vec<String>,
    log_path: fn(usize) -> String,
) -> (usize, Option<String>) {
    let location = phase_file(phase);
    let mut to_run = Vec::new();
    let (mut recorded, mut recorded_ok) = (0, 0);
    for (i, entry) in phase.gate.iter().enumerate() {
        let entry = entry.trim();
        if entry.is_empty() || entry.starts_with("check:") {
            continue; // recorded by the reference checks
        }
        if let Some(record) = opts.baseline.as_ref().and_then(|b| b.run_of(entry)) {
            let name = run_name(i + 1, entry);
            recorded += 1;
            let detail = format!(
                "recorded on the untouched repository, not run again: {}",
                if record.detail.is_empty() {
                    "no detail recorded"
                } else {
                    &record.detail
                }
            );
            let mut item = if record.passed {
                recorded_ok += 1;
                Item::passed(Kind::Run, &name, detail)
            } else {
                let demand = run_demand(entry, &record.detail, opts.timeout);
                Item::failed(Kind::Run, &name, detail, Severity::High, &location, demand)
            };
            item.check.evidence = keep_recorded_evidence(run, record, log_path(i + 1));
            evidence_files.extend(item.check.evidence.clone());
            items.push(item);
            continue;
        }
        match trust_of(entry, ctx.probe, opts) {
            Some(why) => to_run.push((i + 1, entry, why)),
            None => items.push(Item::not_run(
                Kind::Run,
                &run_name(i + 1, entry),
                "untrusted: not detected from the project's manifests (nor allowed in configuration); never run".into(),
            )),
        }
    }
    if to_run.is_empty() && recorded > 0 {
        // Every trusted command's outcome came from the baseline record, and so does the
        // preparation they ran after.
        items.extend(recorded_preflight(opts));
        return (recorded_ok, None);
    }
    if to_run.is_empty() {
        items.push(Item::failed(
            Kind::Run,
            "phase 00: runnable command",
            "phase 00 names no command Hephaestus can run".into(),
            Severity::High,
            &location,
            format!("Make phase 00's gate name {}.", detected_example(ctx.probe)),
        ));
        return (0, None);
    }
    if let Some(why) = blocked_by_baseline(opts, &location, &to_run, items, evidence_files) {
        return (0, Some(why));
    }
    let repo = repo_name(ctx);
    let src = ctx.repo_root.to_path_buf();
    let exclude = run.path().parent().map(Path::to_path_buf);
    let name = repo.clone();
    let copied = tokio::task::spawn_blocking(move || {
        scratch::copy_repository(&src, &name, exclude.as_deref())
    })
    .await
    .map_err(|e| std::io::Error::other(e.to_string()))
    .and_then(|r| r);
    let scratch = match copied {
        Ok(s) => s,
        Err(e) => {
            for (n, cmd, _) in to_run {
                items.push(Item::failed(
                    Kind::Run,
                    &run_name(n, cmd),
                    format!("not run: the scratch copy of the repository could not be made: {e}"),
                    Severity::High,
                    &location,
                    "Make the repository readable and the temporary directory writable so Hephaestus can copy it.".into(),
                ));
            }
            return (0, None);
        }
    };
    let prepared = prepare(ctx.repo_root, &scratch, run, opts, base_env, &location).await;
    evidence_files.extend(prepared.log.clone());
    items.extend(prepared.item);
    if let Some(why) = prepared.blocked {
        for (n, cmd, _) in to_run {
            items.push(Item::not_run(
                Kind::Run,
                &run_name(n, cmd),
                format!("not run: blocked by environment: {why}"),
            ));
        }
        return (0, Some(why));
    }
    let mut passed = recorded_ok;
    let mut baseline = Vec::new();
    for (n, cmd, why) in to_run {
        let cargo = references::invokes_cargo(cmd);
        let target = opts.cargo_target_dir.as_deref().filter(|_| cargo);
        let mut env = prepared.env.clone();
        if let Some(t) = target {
            env.push(("CARGO_TARGET_DIR".into(), t.as_os_str().to_owned()));
            env.sort();
        }
        let mut writable = scratch_writable(&scratch, target);
        writable.extend(prepared.cache.clone());
        let confine = opts.sandbox.sandbox.as_ref().map(|s| sandbox::Confinement {
            sandbox: s,
            writable,
            network: sandbox::Network::None,
        });
        let outcome = runner::run(
            cmd,
            scratch.root(),
            &env,
            opts.timeout,
            opts.max_output_bytes,
            confine.as_ref(),
        )
        .await;
        let header = evidence::LogHeader {
            gate_index: n,
            command: cmd,
            trusted: &why,
            repository: &repo,
            env_names: env
                .iter()
                .map(|(k, _)| k.to_string_lossy().into_owned())
                .collect(),
            timeout: opts.timeout,
        };
        let path = log_path(n);
        let name = run_name(n, cmd);
        if let Err(e) = run.write(&path, evidence::render_log(&header, &outcome).as_bytes()) {
            items.push(Item::failed(
                Kind::Run,
                &name,
                format!("its evidence could not be written to {path}: {e}"),
                Severity::High,
                &location,
                "Make the run directory writable so Hephaestus can record its evidence.".into(),
            ));
            continue;
        }
        evidence_files.push(path.clone());
        let (status, detail) = match run
            .read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| evidence::read_log(&t))
        {
            Ok(facts) => {
                let mut judged = evidence::judge(&facts, &outcome.exit, cargo);
                let silent = facts.output.trim().is_empty()
                    && outcome.exit == runner::Exit::Code(0)
                    && evidence::silent_on_success(cmd);
                if silent {
                    judged = (
                        CheckStatus::Passed,
                        format!("exit status 0; `{}` prints nothing when it succeeds, so its exit status, observed and written by Hephaestus, is the evidence", cmd.trim()),
                    );
                }
                match pre_existing_failures(&judged, &facts, &outcome.exit) {
                    Some(tests) => {
                        let detail = baseline_detail(&judged.1, &tests);
                        baseline.push((n, cmd.to_string(), path.clone(), tests));
                        (CheckStatus::Passed, detail)
                    }
                    None => judged,
                }
            }
            Err(why) => (CheckStatus::Failed, why),
        };
        let mut item = if status == CheckStatus::Passed {
            passed += 1;
            Item::passed(Kind::Run, &name, detail)
        } else {
            let demand = run_demand(cmd, &detail, opts.timeout);
            Item::failed(Kind::Run, &name, detail, Severity::High, &location, demand)
        };
        item.check.evidence = Some(path);
        items.push(item);
    }
    if !baseline.is_empty() {
        write_baseline(run, &baseline, items, evidence_files, &location);
    }
    (passed, None)
}

/// The pre-existing failures of a gate command judged failed (exit status not 0, evidence
/// valid), when its test runner's report makes it a baseline ([`pre_existing`]).
fn pre_existing_failures(
    judged: &(CheckStatus, String),
    facts: &evidence::LogFacts,
    exit: &runner::Exit,
) -> Option<pre_existing::PreExisting> {
    let valid = !judged.1.starts_with("INVALID") && !judged.1.starts_with("empty evidence");
    (judged.0 == CheckStatus::Failed && valid && matches!(exit, runner::Exit::Code(c) if *c != 0))
        .then(|| pre_existing::parse(&facts.output))
        .flatten()
}

/// The detail of a gate passed on its baseline: the runner, the failing tests, the rule.
fn baseline_detail(failed_detail: &str, t: &pre_existing::PreExisting) -> String {
    let shown: Vec<&str> = t.failing.iter().take(3).map(String::as_str).collect();
    let more = t.failing.len().saturating_sub(shown.len());
    format!(
        "{n} test{s} already fail{v} on the untouched repository ({runner}: {list}{more}; {p} passed), recorded as the baseline in {file}: the plan is judged on new failures only ({failed_detail})",
        n = t.failing.len(),
        s = if t.failing.len() == 1 { "" } else { "s" },
        v = if t.failing.len() == 1 { "s" } else { "" },
        runner = t.runner,
        list = shown.join(", "),
        more = if more > 0 { format!(" and {more} more") } else { String::new() },
        p = t.passed,
        file = pre_existing::BASELINE_FILE,
    )
}

/// Writes `evidence/baseline.json` (one entry per gate command passed on its baseline); when
/// it cannot be written, those gates fail, as any evidence that cannot be kept.
fn write_baseline(
    run: &RunDir,
    baseline: &[(usize, String, String, pre_existing::PreExisting)],
    items: &mut Vec<Item>,
    evidence_files: &mut Vec<String>,
    location: &str,
) {
    let entries: Vec<pre_existing::BaselineEntry<'_>> = baseline
        .iter()
        .map(|(n, cmd, path, tests)| pre_existing::BaselineEntry {
            gate_index: *n,
            command: cmd,
            evidence: path,
            tests,
        })
        .collect();
    let json = serde_json::to_string_pretty(&entries).expect("the baseline serializes");
    match run.write(pre_existing::BASELINE_FILE, json.as_bytes()) {
        Ok(()) => evidence_files.push(pre_existing::BASELINE_FILE.to_string()),
        Err(e) => items.push(Item::failed(
            Kind::Run,
            "baseline record",
            format!("{} could not be written: {e}", pre_existing::BASELINE_FILE),
            Severity::High,
            location,
            "Make the run directory writable so Hephaestus can record its evidence.".into(),
        )),
    }
}

/// What a gate command may write under the sandbox: the scratch copy's temporary directory
/// and, for cargo, the shared target directory (created here so it can be bound).
fn scratch_writable(scratch: &scratch::Scratch, cargo_target: Option<&Path>) -> Vec<PathBuf> {
    let mut w = vec![scratch
        .root()
        .parent()
        .unwrap_or(scratch.root())
        .to_path_buf()];
    if let Some(t) = cargo_target {
        if std::fs::create_dir_all(t).is_ok() {
            w.push(t.to_path_buf());
        }
    }
    w
}

/// The imperative demand for a phase-00 command that failed, by cause.
fn run_demand(cmd: &str, detail: &str, timeout: Duration) -> String {
    if detail.starts_with("timed out") {
        format!(
            "Replace `{cmd}` in phase 00's gate with a command that finishes within {} s, such as a narrower build or test target.",
            runner::secs(timeout)
        )
    } else if detail.starts_with("empty evidence") {
        format!("Replace `{cmd}` in phase 00's gate with a command that prints what it checked: empty evidence is INVALID.")
    } else if detail.starts_with("INVALID") {
        format!("Re-run validation of phase 00's gate `{cmd}` so it leaves complete evidence.")
    } else {
        let short: String = detail.chars().take(160).collect();
        format!("Gate phase 00 on a detected command that passes on the repository as it is today: `{cmd}` fails there ({short}).")
    }
}

fn summary(items: &[Item], passed: bool, ran_ok: usize) -> String {
    let count = |s| items.iter().filter(|i| i.check.status == s).count();
    let (p, f, n) = (
        count(CheckStatus::Passed),
        count(CheckStatus::Failed),
        count(CheckStatus::NotRun),
    );
    if passed {
        format!("PASS: {ran_ok} phase-00 command(s) ran and passed; {} checks: {p} passed, {f} failed, {n} not run.", items.len())
    } else if let Some(first) = items.iter().find(|i| i.check.status == CheckStatus::Failed) {
        format!(
            "FAIL: {f} of {} checks failed; first: {}: {}",
            items.len(),
            first.check.name,
            first.check.detail
        )
    } else {
        format!(
            "FAIL: no phase-00 command ran and passed; {} checks: {p} passed, {n} not run.",
            items.len()
        )
    }
}

fn build_envelope(ctx: &Context<'_>, items: &[Item], passed: bool, ran_ok: usize) -> Envelope {
    let verdict = if passed {
        Verdict::Safe
    } else {
        Verdict::Block
    };
    let mut env =
        crate::model::envelope::new(AGENT, ctx, None, verdict, summary(items, passed, ran_ok));
    env.findings = items
        .iter()
        .filter(|i| i.check.status == CheckStatus::Failed)
        .map(|i| Finding {
            location: i.location.clone(),
            severity: i.severity,
            concern: format!("{}: {}", i.check.name, i.check.detail),
            demand: i.demand.clone(),
        })
        .collect();
    // A gate passed on its baseline says so in its detail (baseline_detail): a low finding
    // tells the executing agent, who reads the envelope, that those failures are not its own.
    env.findings.extend(
        items
            .iter()
            .filter(|i| {
                i.check.status == CheckStatus::Passed
                    && i.check.detail.contains(pre_existing::BASELINE_FILE)
            })
            .map(|i| Finding {
                location: pre_existing::BASELINE_FILE.into(),
                severity: Severity::Low,
                concern: format!("{}: {}", i.check.name, i.check.detail)
                    .chars()
                    .take(2000)
                    .collect(),
                demand: "Leave these pre-existing failures as they are unless the task is about them; judge every gate on new failures only.".into(),
            }),
    );
    env
}

/// `evidence/hephaestus.md`: every check with its status, detail and evidence file.
fn render_report(
    ctx: &Context<'_>,
    items: &[Item],
    passed: bool,
    ran_ok: usize,
    sandbox_line: &str,
) -> String {
    let mut s = format!("# Hephaestus: {}\n\n", if passed { "PASS" } else { "FAIL" });
    s.push_str(&format!("- run: `{}`\n", ctx.run_id));
    s.push_str(&format!("- repository: {}\n", repo_name(ctx)));
    s.push_str(&format!(
        "- written: {}\n",
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    ));
    s.push_str(&format!("- result: {}\n", summary(items, passed, ran_ok)));
    s.push_str(&format!("- {}\n", sandbox_line));
    s.push_str(
        "- rule: PASS requires no failed check and at least one phase-00 gate command that ran in a scratch copy and passed \
         (docs/design.md §6); empty evidence, or a success without the log line that shows it, is INVALID (invariant 2).\n",
    );
    for (kind, title) in [
        (Kind::Run, "Phase 00 gate commands (run for real)"),
        (Kind::File, "Reference integrity: files"),
        (Kind::Command, "Reference integrity: gate commands"),
        (Kind::Symbol, "Reference integrity: symbols"),
        (Kind::Manual, "Manual checks (not run)"),
    ] {
        s.push_str(&format!("\n## {title}\n\n"));
        let mut any = false;
        for i in items.iter().filter(|i| i.kind == kind) {
            any = true;
            s.push_str(&format!(
                "- **{}** {}\n",
                i.check.status.label(),
                i.check.name.replace('\n', " ")
            ));
            s.push_str(&format!(
                "  - detail: {}\n",
                i.check.detail.replace('\n', " ")
            ));
            if let Some(e) = &i.check.evidence {
                s.push_str(&format!("  - evidence: `{e}`\n"));
            }
            if i.check.status == CheckStatus::Failed {
                s.push_str(&format!("  - demand: {}\n", i.demand));
            }
        }
        if !any {
            s.push_str("_none_\n");
        }
    }
    s
}

#[cfg(test)]
mod tests;

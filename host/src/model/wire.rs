//! The records of the newest WIT `types` interface (`wit/since_v0.2.0/types.wit`), as the
//! host's plan model (docs/design.md §11: the newest version is the host's model; each older
//! version has an adapter in `runtime/bindings/` that maps its records onto these).
//!
//! The WIT is the source of truth. These Rust types are what `bindgen!` uses for that interface
//! (its `with` option), so wasmtime type-checks them against the WIT every time a component is
//! instantiated: a field renamed, reordered or retyped on either side fails instantiation of
//! every bundled guest, which the integration tests do on every run. They are written by hand
//! (not generated with `additional_derives`) for one reason: the files of docs/design.md §4 spell enums
//! their own way (`SAFE`, `critical`, `cast`), and generated types cannot carry serde
//! attributes. Field order and names follow the WIT exactly; keep them so.
pub use super::past::{PastRun, RunHistory, RunOutcome};
use serde::{Deserialize, Serialize};
use wasmtime::component::{ComponentType, Lift, Lower};

/// Reviewer verdict, ordered `Safe < Caution < Risky < Block` (docs/design.md §4: BLOCK > RISKY > CAUTION > SAFE).
#[derive(
    ComponentType,
    Lift,
    Lower,
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "UPPERCASE")]
pub enum Verdict {
    #[component(name = "safe")]
    Safe,
    #[component(name = "caution")]
    Caution,
    #[component(name = "risky")]
    Risky,
    #[component(name = "block")]
    Block,
}

/// Severity of one finding; `Critical` is the worst. A critical finding makes a verdict at
/// least RISKY (docs/design.md §4).
#[derive(
    ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[component(name = "critical")]
    Critical,
    #[component(name = "high")]
    High,
    #[component(name = "medium")]
    Medium,
    #[component(name = "low")]
    Low,
}

/// Model category (docs/design.md §3 invariant 7).
#[derive(
    ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    #[component(name = "ultrabrain")]
    Ultrabrain,
    #[component(name = "deep")]
    Deep,
    #[component(name = "quick")]
    Quick,
}

/// Task classification (docs/design.md §2 stage 1).
#[derive(
    ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    #[component(name = "greenfield")]
    Greenfield,
    #[component(name = "feature")]
    Feature,
    #[component(name = "bugfix")]
    Bugfix,
    #[component(name = "refactor")]
    Refactor,
    #[component(name = "migration")]
    Migration,
    #[component(name = "replacement")]
    Replacement,
    #[component(name = "performance")]
    Performance,
    #[component(name = "security")]
    Security,
    #[component(name = "research")]
    Research,
}

/// One reviewer finding (docs/design.md §4).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Finding {
    pub location: String,
    pub severity: Severity,
    pub concern: String,
    pub demand: String,
}

/// Envelope `metadata` (docs/design.md §4).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct EnvelopeMetadata {
    /// ISO-8601 UTC.
    pub timestamp: String,
    #[component(name = "reviewer-model")]
    pub reviewer_model: String,
    #[component(name = "token-cost")]
    pub token_cost: u64,
}

/// The reviewer envelope of docs/design.md §4. Serialised with absent optional parts omitted.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Envelope {
    pub agent: String,
    #[component(name = "run-id")]
    pub run_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<u8>,
    pub summary: String,
    #[serde(default)]
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub directives: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[component(name = "clarifying-questions")]
    pub clarifying_questions: Vec<String>,
    pub metadata: EnvelopeMetadata,
}

/// What a phase does to a file.
#[derive(
    ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum FileAction {
    #[component(name = "create")]
    Create,
    #[component(name = "modify")]
    Modify,
    #[component(name = "delete")]
    Delete,
}

/// One file a phase touches (repository-relative, `/`-separated).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[component(record)]
pub struct FileChange {
    pub path: String,
    pub action: FileAction,
}

/// Alloy synthesis provenance of a phase (docs/design.md §2 pass 3).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Provenance {
    #[component(name = "primary-source")]
    pub primary_source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[component(name = "secondary-source")]
    pub secondary_source: Option<String>,
    #[serde(default)]
    pub contradictions: Vec<String>,
}

/// One phase of a plan (docs/design.md §5).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Phase {
    pub id: String,
    pub slug: String,
    pub title: String,
    pub goal: String,
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub files: Vec<FileChange>,
    #[serde(default)]
    #[component(name = "success-criteria")]
    pub success_criteria: Vec<String>,
    #[serde(default)]
    pub gate: Vec<String>,
    #[serde(default)]
    pub rollback: String,
    #[serde(default)]
    #[component(name = "depends-on")]
    pub depends_on: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provenance: Option<Provenance>,
}

/// External needs of a plan (docs/design.md §5 completeness).
#[derive(ComponentType, Lift, Lower, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Dependencies {
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    #[component(name = "env-vars")]
    pub env_vars: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A plan (docs/design.md §5).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Plan {
    pub title: String,
    pub thesis: String,
    pub effort: String,
    pub phases: Vec<Phase>,
    #[serde(default)]
    pub dependencies: Dependencies,
    #[serde(default)]
    #[component(name = "out-of-scope")]
    pub out_of_scope: Vec<String>,
    #[serde(default)]
    #[component(name = "iron-rules")]
    pub iron_rules: Vec<String>,
    #[serde(default)]
    pub author: String,
}

/// A command found in the project's own files.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[component(record)]
pub struct DetectedCommand {
    /// `build`, `test`, `lint`, `format` or `run`.
    pub purpose: String,
    pub command: String,
    pub source: String,
}

/// A service the project depends on.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[component(record)]
pub struct DetectedService {
    pub name: String,
    /// `database`, `queue`, `cache`, `search`, `object-store` or `other`.
    pub kind: String,
    pub source: String,
}

/// A file relevant to the task.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(record)]
pub struct RelevantFile {
    pub path: String,
    pub reason: String,
    pub score: u32,
}

/// Language share by file count.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(record)]
pub struct LanguageStat {
    pub name: String,
    pub files: u32,
}

/// The probe report (docs/design.md §2 stage 2).
#[derive(ComponentType, Lift, Lower, Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct ProbeReport {
    pub repository: String,
    pub languages: Vec<LanguageStat>,
    pub manifests: Vec<String>,
    pub commands: Vec<DetectedCommand>,
    pub services: Vec<DetectedService>,
    pub ci: Vec<String>,
    pub frameworks: Vec<String>,
    #[component(name = "entry-points")]
    pub entry_points: Vec<String>,
    #[component(name = "relevant-files")]
    pub relevant_files: Vec<RelevantFile>,
    #[component(name = "env-vars")]
    pub env_vars: Vec<String>,
    pub skills: Vec<String>,
    #[component(name = "files-scanned")]
    pub files_scanned: u32,
}

/// Kind of value a strategy option takes.
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum OptionKind {
    #[component(name = "integer")]
    Integer,
    #[component(name = "text")]
    Text,
    #[component(name = "flag")]
    Flag,
}

/// One option a strategy accepts.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct OptionSpec {
    pub name: String,
    pub description: String,
    pub kind: OptionKind,
    #[component(name = "default-value")]
    pub default_value: String,
    pub min: Option<i64>,
    pub max: Option<i64>,
    #[component(name = "below-min")]
    pub below_min: Option<String>,
    #[component(name = "above-max")]
    pub above_max: Option<String>,
}

/// Where a full re-loop re-enters the pipeline (docs/design.md §3 invariant 5).
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum Reentry {
    /// Stage 1: the task is classified again, then Metis.
    #[component(name = "intent-gate")]
    IntentGate,
    /// Stage 3: Metis writes the directives again with the failures folded in.
    #[component(name = "enrich")]
    Enrich,
    /// Stage 4: the strategy plans again with the last directives plus the folded failures.
    #[component(name = "plan")]
    Plan,
}

/// What a strategy says about itself.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct StrategyInfo {
    pub name: String,
    pub version: String,
    pub description: String,
    pub options: Vec<OptionSpec>,
    /// Where a full re-loop re-enters (a 0.1.0 strategy declares nothing: the host's rule,
    /// [`Reentry::Enrich`]).
    pub reentry: Reentry,
}

/// The agent spawns one stage-4 run of a strategy makes with given options (`estimate`).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(record)]
pub struct SpawnEstimate {
    /// Earliest exit.
    pub best: u32,
    /// Every re-plan and loop of the strategy's own taken.
    pub worst: u32,
    /// The last `momus` call is on the returned plan (stage 5 reuses it).
    #[component(name = "audits-final-plan")]
    pub audits_final_plan: bool,
    /// The last `red-team` call is on the returned plan (stage 5 reuses it).
    #[component(name = "red-teams-final-plan")]
    pub red_teams_final_plan: bool,
    /// How the figures follow from the options.
    pub basis: String,
}

/// Stage-4 input.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct RunInput {
    #[component(name = "run-id")]
    pub run_id: String,
    pub task: String,
    #[component(name = "task-kind")]
    pub task_kind: TaskKind,
    pub category: Category,
    pub directives: Vec<String>,
    pub probe: ProbeReport,
    pub options: Vec<(String, String)>,
    pub iteration: u32,
}

/// An agent call a strategy asks for.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct AgentRequest {
    pub role: String,
    pub category: Option<Category>,
    pub lens: Option<String>,
    #[component(name = "extra-directives")]
    pub extra_directives: Vec<String>,
    #[component(name = "prior-plan")]
    pub prior_plan: Option<Plan>,
    pub feedback: Vec<Envelope>,
    pub scores: Vec<f64>,
    pub depth: Option<u32>,
}

/// The red-team fan-out on one plan.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct RedTeamReport {
    pub security: Envelope,
    pub scope: Envelope,
    pub assumptions: Envelope,
    pub oracle: Envelope,
}

/// Why the convergence checker stopped (docs/design.md §2).
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum ConvergenceReason {
    #[component(name = "variance")]
    Variance,
    #[component(name = "delta")]
    Delta,
    #[component(name = "cap")]
    Cap,
}

/// Convergence checker output.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Decision {
    pub converged: bool,
    pub reason: Option<ConvergenceReason>,
    #[component(name = "next-depth")]
    pub next_depth: Option<u32>,
}

/// Why a host call failed.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(variant)]
pub enum HostError {
    #[component(name = "budget-exhausted")]
    BudgetExhausted(String),
    #[component(name = "invalid-request")]
    InvalidRequest(String),
    #[component(name = "limit-exceeded")]
    LimitExceeded(String),
    #[component(name = "agent-failed")]
    AgentFailed(String),
}

/// `host.log` levels.
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    #[component(name = "debug")]
    Debug,
    #[component(name = "info")]
    Info,
    #[component(name = "warn")]
    Warn,
    #[component(name = "error")]
    Error,
}

/// What stage 4 hands back.
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct StageOutput {
    pub plan: Plan,
    #[component(name = "stage-loops")]
    pub stage_loops: u32,
    #[component(name = "depth-final")]
    pub depth_final: Option<u32>,
    #[component(name = "depth-scores")]
    pub depth_scores: Vec<f64>,
    #[component(name = "convergence-reason")]
    pub convergence_reason: Option<ConvergenceReason>,
    #[component(name = "bias-set")]
    pub bias_set: Vec<String>,
    pub notes: Vec<String>,
}

/// Convergence thresholds (docs/design.md §2 rules 1 and 2).
#[derive(ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[component(record)]
pub struct Thresholds {
    pub variance: f64,
    pub delta: f64,
}

/// `types` is a types-only interface: what bindgen expects of a `with`-mapped interface is an
/// empty host trait and an `add_to_linker` that defines the (function-less) instance.
pub trait Host: Send {}
impl<T: ?Sized + Send> Host for T {}

/// See [`Host`].
pub trait HostWithStore<T>: wasmtime::component::HasData + Send {}
impl<H: ?Sized, T> HostWithStore<T> for H where H: wasmtime::component::HasData + Send {}

/// Defines the function-less `anneal:strategy/types@0.2.0` instance in `linker`.
///
/// # Errors
/// Only if the linker already holds a conflicting definition of that name.
pub fn add_to_linker<T, D>(
    linker: &mut wasmtime::component::Linker<T>,
    _host_getter: fn(&mut T) -> D::Data<'_>,
) -> wasmtime::Result<()>
where
    D: HostWithStore<T>,
    T: 'static + Send,
{
    linker.instance("anneal:strategy/types@0.2.0")?;
    Ok(())
}

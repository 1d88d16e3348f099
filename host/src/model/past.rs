//! The records the WIT `history` interface returns (`wit/since_v0.2.0/history.wit`; declared
//! in `types.wit`): the bounded summary of earlier runs of the same repository a strategy may
//! read (docs/design.md §11). Part of [`super::wire`] (re-exported there, so `bindgen!`'s
//! `with` finds them and wasmtime type-checks them against the WIT); field order and names
//! follow the WIT exactly.
use super::Verdict;
use serde::Serialize;
use wasmtime::component::{ComponentType, Lift, Lower};

/// How a run ended (`anneal runs --outcome`, and `outcome` in the WIT).
#[derive(
    ComponentType, Lift, Lower, Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum,
)]
#[component(enum)]
#[repr(u8)]
#[serde(rename_all = "kebab-case")]
pub enum RunOutcome {
    /// EMIT.
    #[component(name = "emit")]
    Emit,
    /// RE_LOOP at the cap, or the budget was spent.
    #[component(name = "not-emitted")]
    NotEmitted,
    /// ABORT: the task needed clarification.
    #[component(name = "abort")]
    Abort,
    /// A runtime error ended the run.
    #[component(name = "error")]
    Error,
}

/// One earlier run of the repository, its texts cleaned and cut (`history::summary`).
#[derive(ComponentType, Lift, Lower, Clone, Debug, PartialEq, Serialize)]
#[component(record)]
pub struct PastRun {
    #[component(name = "run-id")]
    pub run_id: String,
    pub task: String,
    pub strategy: String,
    pub options: Vec<(String, String)>,
    pub outcome: RunOutcome,
    #[component(name = "overall-verdict")]
    pub overall_verdict: Verdict,
    /// 0–100.
    #[component(name = "momus-score")]
    pub momus_score: Option<u8>,
    #[component(name = "depth-scores")]
    pub depth_scores: Vec<f64>,
    pub iterations: u32,
    pub phases: u32,
    #[component(name = "agent-spawns")]
    pub agent_spawns: u32,
    pub tokens: u64,
    #[component(name = "wall-clock-ms")]
    pub wall_clock_ms: u64,
}

/// The summary: runs newest first, and how many the bound left out.
#[derive(ComponentType, Lift, Lower, Clone, Debug, Default, PartialEq, Serialize)]
#[component(record)]
pub struct RunHistory {
    pub runs: Vec<PastRun>,
    pub omitted: u32,
}

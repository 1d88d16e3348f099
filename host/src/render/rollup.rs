//! `rollup.yaml` (docs/design.md §4, written by Atlas at stage 7) and the emission logic.
use crate::model::{ConvergenceReason, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;

/// The emission decision (docs/design.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Emission {
    Emit,
    ReLoop,
    Abort,
}

impl Emission {
    /// `EMIT`, `RE_LOOP` or `ABORT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Emission::Emit => "EMIT",
            Emission::ReLoop => "RE_LOOP",
            Emission::Abort => "ABORT",
        }
    }
}

/// docs/design.md §4 emission logic: EMIT iff `simultaneous_pass` and the overall verdict is SAFE or
/// CAUTION (or RISKY when the human accepted the risk with `--accept-risk`); else ABORT iff the
/// overall verdict is BLOCK and Metis asked clarifying questions; else RE_LOOP.
pub fn emission(
    simultaneous_pass: bool,
    overall: Verdict,
    accept_risk: bool,
    metis_questions: bool,
) -> Emission {
    let acceptable = matches!(overall, Verdict::Safe | Verdict::Caution)
        || (accept_risk && overall == Verdict::Risky);
    if simultaneous_pass && acceptable {
        Emission::Emit
    } else if overall == Verdict::Block && metis_questions {
        Emission::Abort
    } else {
        Emission::ReLoop
    }
}

/// `gate_status` (docs/design.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateStatus {
    pub metis: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momus: Option<Verdict>,
    /// `"N/3 PASS"`: how many of the three red-team verdicts are SAFE or CAUTION.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub red_team_trinity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle: Option<Verdict>,
    /// `PASS` or `FAIL`; absent when the run stopped before stage 6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hephaestus: Option<String>,
}

impl GateStatus {
    /// Only Metis's verdict: the run stopped before stages 4–6 gave theirs.
    pub fn metis_only(metis: Verdict) -> GateStatus {
        GateStatus {
            metis,
            momus: None,
            red_team_trinity: None,
            oracle: None,
            hephaestus: None,
        }
    }
}

/// The strategy that ran stage 4.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyRecord {
    pub name: String,
    pub version: String,
    /// `bundled` or the path given.
    pub source: String,
    pub sha256: String,
    pub wit: String,
    pub options: BTreeMap<String, String>,
}

/// One iteration of the full pipeline, for the history.
#[derive(Clone, Debug, Serialize)]
pub struct IterationRecord {
    pub iteration: u32,
    pub overall_verdict: Verdict,
    pub emission_decision: Emission,
    pub gate_status: GateStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momus_score: Option<u8>,
    /// Directives folded into the next iteration from this one's failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub folded_into_next: Vec<String>,
}

/// What the guest did in the sandbox.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GuestRecord {
    pub agent_calls: u32,
    /// Calls of the `code-index` interface (lookups, searches, excerpts).
    #[serde(skip_serializing_if = "is_zero")]
    pub code_queries: u32,
    pub cpu_ms: u64,
    pub artifacts: Vec<String>,
    pub stage_loops: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Budget and timing (docs/design.md §4: what a user needs to trust and budget a run).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Accounting {
    pub agent_spawns: u32,
    /// Spawns per agent role.
    pub spawns_by_agent: BTreeMap<String, u32>,
    pub tokens: u64,
    pub wall_clock_ms: u64,
    /// Wall-clock per stage, summed over iterations.
    pub stage_wall_clock_ms: BTreeMap<String, u64>,
    /// The run's budget (`--max-spawns`, `--max-tokens` or the configuration's); absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_spawns: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
}

/// The `rollup:` document.
#[derive(Clone, Debug, Serialize)]
pub struct Rollup {
    pub run_id: String,
    /// `cast`, `alloy`, `temper` or the strategy's own name.
    pub architecture: String,
    /// Who answered the agent roles: the offline engine, or the models per category (docs/design.md §7).
    pub agents: String,
    pub overall_verdict: Verdict,
    pub gate_status: GateStatus,
    pub simultaneous_pass: bool,
    pub emission_decision: Emission,
    pub iteration_count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth_final: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depth_scores: Vec<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub convergence_reason: Option<ConvergenceReason>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bias_set: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub synthesis_provenance: Option<String>,
    pub task: String,
    pub task_kind: crate::model::TaskKind,
    pub strategy: StrategyRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momus_score: Option<u8>,
    pub risk_accepted: bool,
    /// Envelopes that failed schema validation (never a pass, docs/design.md §4).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub invalid_envelopes: Vec<String>,
    /// Flags refused because they would break an invariant (docs/design.md §3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused_flags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clarifying_questions: Vec<String>,
    /// Why the run ended without a decision of its own (runtime error), if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Why the run stopped re-looping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    pub accounting: Accounting,
    pub guest: GuestRecord,
    pub iterations: Vec<IterationRecord>,
    /// Run-relative paths of the outputs.
    pub outputs: BTreeMap<String, Vec<String>>,
}

/// The file as written: `rollup:` at the top (docs/design.md §4).
#[derive(Serialize)]
pub struct RollupFile<'a> {
    pub rollup: &'a Rollup,
}

/// Renders `rollup.yaml`.
///
/// # Errors
/// Only if serialization fails (not expected for these types).
pub fn render(rollup: &Rollup) -> Result<String, serde_yaml::Error> {
    serde_yaml::to_string(&RollupFile { rollup })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emission_follows_spec() {
        assert_eq!(emission(true, Verdict::Safe, false, false), Emission::Emit);
        assert_eq!(
            emission(true, Verdict::Caution, false, false),
            Emission::Emit
        );
        assert_eq!(
            emission(true, Verdict::Risky, false, false),
            Emission::ReLoop
        );
        assert_eq!(emission(true, Verdict::Risky, true, false), Emission::Emit);
        assert_eq!(
            emission(false, Verdict::Safe, false, false),
            Emission::ReLoop
        );
        assert_eq!(
            emission(false, Verdict::Block, false, true),
            Emission::Abort
        );
        assert_eq!(
            emission(false, Verdict::Block, false, false),
            Emission::ReLoop
        );
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

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

/// One reviewer gate in `gate_status`: its verdict, or `INVALID_ANSWER` when the reviewer's
/// answer could not be read even after the repair request. An invalid answer still counts as
/// BLOCK for the emission decision (never a pass, docs/design.md §4), but it is no judgement of
/// the plan, and the rollup and the summary say which it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Verdict(Verdict),
    InvalidAnswer,
}

impl Gate {
    /// The gate of a reviewer's envelope.
    pub fn of(e: &crate::model::Envelope) -> Gate {
        if crate::model::rules::is_invalid_answer(e) {
            Gate::InvalidAnswer
        } else {
            Gate::Verdict(e.verdict)
        }
    }

    /// `SAFE` … `BLOCK`, or `INVALID_ANSWER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Verdict(v) => v.as_str(),
            Gate::InvalidAnswer => "INVALID_ANSWER",
        }
    }
}

impl From<Verdict> for Gate {
    fn from(v: Verdict) -> Gate {
        Gate::Verdict(v)
    }
}

impl Serialize for Gate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// `red_team_trinity`: how many of the three red-team verdicts pass (`"2/3 PASS"`), and how
/// many of them were answers that could not be read (`"2/3 PASS, 1 invalid answer"`).
pub fn trinity(red: [&crate::model::Envelope; 3]) -> String {
    let pass = red.iter().filter(|e| e.verdict.passes()).count();
    match red
        .iter()
        .filter(|e| crate::model::rules::is_invalid_answer(e))
        .count()
    {
        0 => format!("{pass}/3 PASS"),
        1 => format!("{pass}/3 PASS, 1 invalid answer"),
        n => format!("{pass}/3 PASS, {n} invalid answers"),
    }
}

/// `gate_status` (docs/design.md §4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GateStatus {
    pub metis: Gate,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momus: Option<Gate>,
    /// `"N/3 PASS"`: how many of the three red-team verdicts are SAFE or CAUTION.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub red_team_trinity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oracle: Option<Gate>,
    /// `PASS` or `FAIL`; absent when the run stopped before stage 6.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hephaestus: Option<String>,
}

impl GateStatus {
    /// Only Metis's verdict: the run stopped before stages 4–6 gave theirs.
    pub fn metis_only(metis: Gate) -> GateStatus {
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
    /// Requests agents made again within their spawn (a repair of an unreadable answer, a
    /// retry after an empty or cut-off one): not spawns, but tokens and time.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repairs: u32,
    /// [`Accounting::repairs`] per role.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub repairs_by_agent: BTreeMap<String, u32>,
    pub tokens: u64,
    pub wall_clock_ms: u64,
    /// Wall-clock per stage, summed over iterations.
    pub stage_wall_clock_ms: BTreeMap<String, u64>,
    /// The run's budget (`--max-spawns`, `--max-tokens` or the configuration's); absent: no limit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_spawns: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// The budget as the summary says it (`300 agent spawns (--loop's default …)`,
    /// [`crate::engine::Budget::describe`]); absent without one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<String>,
}

/// One rubric dimension of the Momus score (docs/design.md §5).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DimensionCost {
    /// `correctness`, `completeness`, `risk posture`, `scope hygiene`, `evidence plan`,
    /// `sequencing`.
    pub dimension: String,
    /// Its weight in the score, out of 100.
    pub weight: u32,
    /// Its score, 0–100.
    pub score: u8,
    /// Points it took off the plan's score.
    pub points_lost: f64,
    /// Findings of Momus in it.
    pub findings: usize,
}

/// The per-dimension costs of a Momus envelope's findings (every dimension, rubric order);
/// empty when no finding names a dimension.
pub fn momus_breakdown(momus: &crate::model::Envelope) -> Vec<DimensionCost> {
    let rows = crate::offline::momus::breakdown(&momus.findings);
    if rows.iter().all(|(_, _, _, n)| *n == 0) {
        return Vec::new();
    }
    rows.into_iter()
        .map(|(d, score, lost, n)| DimensionCost {
            dimension: d.name().to_string(),
            weight: d.weight(),
            score,
            points_lost: lost,
            findings: n,
        })
        .collect()
}

/// What `anneal review` reviewed (docs/design.md §8): the rollup of a review has it, a run's
/// does not.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReviewRecord {
    /// The path given (a run directory or a plan directory).
    pub source: String,
    /// The `plan/` directory read.
    pub plan_dir: String,
    /// The Metis envelope whose directives the reviewers were given, when the source is a run
    /// directory that has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directives_from: Option<String>,
    /// `file:line: what` for every part of the plan that could not be read (each is also a
    /// Momus finding).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// Parts the overview showed only in part and that could not be read whole elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_in_overview: Vec<String>,
    /// Why Metis has no envelope here.
    pub metis: String,
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
    /// The repository planned, its canonical path (the history's "same repository",
    /// docs/design.md §8).
    pub repository: String,
    pub task_kind: crate::model::TaskKind,
    pub strategy: StrategyRecord,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momus_score: Option<u8>,
    /// What cost the Momus score points, per rubric dimension (docs/design.md §5); filled by
    /// Atlas from the final Momus envelope, empty when its findings name no dimension.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub momus_breakdown: Vec<DimensionCost>,
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
    /// The stage in progress when a budget, a runtime error or a signal stopped the run
    /// (`4-plan`: one of the seven stage names of `stage_wall_clock_ms`); absent when Atlas
    /// decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at: Option<String>,
    /// Set when validation was blocked by the environment (docs/design.md §6): what is
    /// missing. The run ends "blocked by environment" (exit 6), not re-planned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocked_by_environment: Option<String>,
    /// The OS sandbox gate commands ran in, or why none (`--gate-sandbox`).
    pub gate_sandbox: String,
    pub accounting: Accounting,
    pub guest: GuestRecord,
    pub iterations: Vec<IterationRecord>,
    /// Run-relative paths of the outputs.
    pub outputs: BTreeMap<String, Vec<String>>,
    /// Set by `anneal review`: what was reviewed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<ReviewRecord>,
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

fn is_zero(n: &u32) -> bool {
    *n == 0
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

//! What a run learned so far: one [`RunRecord`], filled in by the stages as they finish, from
//! which the rollup is built. It is consistent between any two stages, so the rollup can be
//! written at any point (a stop, an error, an interrupt), not only after the last iteration.
use crate::engine::AgentError;
use crate::model::Intent;
use crate::model::{Envelope, Plan, ProbeReport, RedTeamReport, Skill, StageOutput, TaskKind};
use crate::render::rollup::{
    Accounting, Gate, GuestRecord, IterationRecord, Rollup, StrategyRecord,
};
use crate::runtime::host_impl::HostState;
use crate::stages::atlas::{self, Decision, Gates, Reviewed};
use crate::stages::hephaestus;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Stage names as recorded in the rollup's `stage_wall_clock_ms`, in stage order.
pub const STAGES: [&str; 7] = [
    "1-intent-gate",
    "2-probe",
    "3-enrich",
    "4-plan",
    "5-red-team",
    "6-validate",
    "7-emit",
];

/// Why a run stopped before Atlas decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The run's budget is spent: a clean stop, not emitted (exit code 4).
    Budget(String),
    /// A runtime error: the run aborts (exit code 5).
    Error(String),
    /// SIGINT or SIGTERM (named): the run aborts with what it has (exit code 130).
    Interrupted(String),
}

impl From<AgentError> for Stop {
    fn from(e: AgentError) -> Stop {
        match e {
            AgentError::Budget(m) => Stop::Budget(m),
            other => Stop::Error(other.to_string()),
        }
    }
}

/// The outputs of one iteration, as far as it got: what Atlas writes.
#[derive(Clone, Debug)]
pub struct Outputs {
    pub metis: Envelope,
    /// The strategy's plan, once it passed validation.
    pub plan: Option<Plan>,
    pub output: Option<StageOutput>,
    pub momus: Option<Envelope>,
    pub red: Option<RedTeamReport>,
    pub heph: Option<hephaestus::Report>,
}

impl Outputs {
    /// An iteration's outputs once stage 3 gave its envelope.
    pub fn started(metis: Envelope) -> Outputs {
        Outputs {
            metis,
            plan: None,
            output: None,
            momus: None,
            red: None,
            heph: None,
        }
    }

    /// Atlas's view of these outputs: the reviewed gates only when stages 4–6 all finished.
    pub fn gates(&self) -> Gates<'_> {
        let reviewed = match (&self.momus, &self.red, &self.heph) {
            (Some(momus), Some(red), Some(heph)) => Some(Reviewed {
                momus,
                red,
                hephaestus: &heph.envelope,
                hephaestus_passed: heph.passed,
            }),
            _ => None,
        };
        Gates {
            metis: &self.metis,
            reviewed,
        }
    }
}

/// Everything a run accumulated: stage results, the iteration history, the decision of the
/// last iteration Atlas saw, the guest's record, and why the run stopped if it did.
#[derive(Default)]
pub struct RunRecord {
    /// 1-based iteration in progress (0 before the first).
    pub iteration: u32,
    /// Wall-clock per stage, summed over iterations, in milliseconds.
    pub stage_ms: BTreeMap<String, u64>,
    /// One record per iteration that reached Atlas.
    pub iterations: Vec<IterationRecord>,
    /// Failure directives folded into the next iterations (docs/design.md §3 invariant 5).
    pub folded: Vec<String>,
    /// Stage 1's result (kept across iterations unless the strategy re-enters there).
    pub intent: Option<Intent>,
    /// Stage 2's report (once per run: the repository does not change between iterations).
    pub probe: Option<Arc<ProbeReport>>,
    /// The code index stage 2 built and the task resolved against it (once per run).
    pub indexed: crate::stages::probe::Indexed,
    /// The skills stage 2 found (once per run), for the agents and the XML prompt.
    pub skills: Arc<[Skill]>,
    /// The outputs of the iteration in progress, as far as it got.
    pub current: Option<Outputs>,
    /// The outputs of the last iteration Atlas decided.
    pub complete: Option<Outputs>,
    /// Atlas's decision on the last iteration it saw.
    pub decided: Option<Decision>,
    pub guest: GuestRecord,
    /// The runtime error that ended the run.
    pub error: Option<String>,
    /// Why the run stopped without a decision of its own (budget, re-loop cap, interrupt).
    pub stop_reason: Option<String>,
    /// What the environment lacks, when Hephaestus was blocked by it (a tool not installed,
    /// a dependency installation that failed): the run stops without re-planning.
    pub blocked: Option<String>,
    /// The run was interrupted by a signal: its decision is ABORT whatever the gates said.
    pub interrupted: bool,
    /// 0-based index into [`STAGES`] of the stage in progress ([`RunRecord::enter`]).
    pub stage: usize,
    /// The stage in progress when the run stopped (budget, error, interrupt), from [`STAGES`].
    pub stopped_at: Option<&'static str>,
}

impl RunRecord {
    /// Starts the next iteration: nothing of it is known yet.
    pub fn begin_iteration(&mut self) {
        self.iteration += 1;
        self.current = None;
    }

    /// Adds the time since `t` to stage `stage` (0-based index into [`STAGES`]).
    pub fn time(&mut self, stage: usize, t: Instant) {
        *self.stage_ms.entry(STAGES[stage].to_string()).or_default() +=
            t.elapsed().as_millis() as u64;
    }

    /// Marks stage `stage` (0-based index into [`STAGES`]) as the one in progress.
    pub fn enter(&mut self, stage: usize) {
        self.stage = stage.min(STAGES.len() - 1);
    }

    /// Records why the run stopped, and in which stage.
    pub fn stop(&mut self, stop: Stop) {
        self.stopped_at = Some(STAGES[self.stage]);
        match stop {
            Stop::Budget(m) => self.stop_reason = Some(m),
            Stop::Error(m) => self.error = Some(m),
            Stop::Interrupted(signal) => {
                self.interrupted = true;
                self.stop_reason = Some(format!(
                    "interrupted by {signal}: the run was stopped before Atlas decided"
                ));
            }
        }
    }

    /// The iteration in progress; stage 3 starts it with its envelope.
    ///
    /// # Panics
    /// When called before stage 3 recorded Metis (a pipeline bug).
    pub fn current(&mut self) -> &mut Outputs {
        self.current
            .as_mut()
            .expect("stages 4-7 run after stage 3 recorded Metis")
    }

    /// Atlas's decision on the iteration in progress: recorded in the history (with the
    /// directives a re-loop folds), and its outputs become the complete ones.
    pub fn decide(&mut self, accept_risk: bool) -> &Decision {
        let current = self.current.take().expect("a decision follows stage 3");
        let gates = current.gates();
        let d = atlas::decide(gates, accept_risk);
        let folded_into_next = match d.emission {
            crate::render::rollup::Emission::ReLoop => atlas::fold(gates),
            _ => Vec::new(),
        };
        self.iterations.push(IterationRecord {
            iteration: self.iteration,
            overall_verdict: d.overall,
            emission_decision: d.emission,
            gate_status: d.gate_status.clone(),
            momus_score: current.momus.as_ref().and_then(|m| m.score),
            folded_into_next,
        });
        self.complete = Some(current);
        self.decided.insert(d)
    }

    /// Adds the failures of the last decided iteration to the directives of the next.
    pub fn fold_last(&mut self) -> usize {
        let next = self
            .iterations
            .last()
            .map(|i| i.folded_into_next.clone())
            .unwrap_or_default();
        for d in &next {
            if !self.folded.contains(d) {
                self.folded.push(d.clone());
            }
        }
        next.len()
    }

    /// The outputs Atlas writes: after a budget stop, the last complete iteration's when there
    /// is one (a budget stop leaves nothing better); otherwise the iteration in progress as far
    /// as it got, or the last complete one.
    pub fn written(&self) -> Option<&Outputs> {
        match (&self.stop_reason, &self.complete) {
            (Some(_), Some(c)) => Some(c),
            _ => self.current.as_ref().or(self.complete.as_ref()),
        }
    }

    /// Adds a guest instance's record (agent calls, CPU time, artifacts; stage loops and notes
    /// of its output when it returned one).
    pub fn guest(&mut self, host: &HostState, out: Option<&StageOutput>) {
        let guest = &mut self.guest;
        guest.agent_calls += host.agent_calls;
        guest.code_queries += host.code_queries;
        guest.cpu_ms += host.guest_time().as_millis() as u64;
        for a in &host.artifacts_written {
            if !guest.artifacts.contains(a) {
                guest.artifacts.push(a.clone());
            }
        }
        if let Some(o) = out {
            guest.stage_loops += o.stage_loops;
            guest.notes.extend(
                o.notes
                    .iter()
                    .map(|n| crate::runtime::host_impl::sanitize(n, 500)),
            );
        }
    }

    /// The rollup of the run as recorded so far (docs/design.md §4); `accounting` and `outputs`
    /// are left for Atlas to fill in when it writes the files.
    pub fn rollup(&self, facts: Facts<'_>) -> Rollup {
        let written = self.written();
        let settled = atlas::settle(
            self.decided.as_ref(),
            written.map(|o| Gate::of(&o.metis)),
            self.error.is_some() || self.interrupted,
            facts.accept_risk,
        );
        let out = written.and_then(|o| o.output.as_ref());
        let bias_set = out.map(|o| o.bias_set.clone()).unwrap_or_default();
        Rollup {
            run_id: facts.run_id.to_string(),
            architecture: facts.strategy.name.clone(),
            agents: facts.agents,
            overall_verdict: settled.overall,
            gate_status: settled.gate_status,
            simultaneous_pass: settled.simultaneous_pass,
            emission_decision: settled.emission,
            iteration_count: self.iteration,
            depth_final: out.and_then(|o| o.depth_final),
            depth_scores: out.map(|o| o.depth_scores.clone()).unwrap_or_default(),
            convergence_reason: out.and_then(|o| o.convergence_reason),
            synthesis_provenance: (!bias_set.is_empty() && facts.synthesis_provenance)
                .then(|| "synthesis-provenance.md".into()),
            bias_set,
            task: facts.task.to_string(),
            repository: facts.repository,
            task_kind: self
                .intent
                .as_ref()
                .map(|i| i.kind)
                .unwrap_or(TaskKind::Feature),
            strategy: facts.strategy,
            momus_score: written.and_then(|o| o.momus.as_ref()).and_then(|m| m.score),
            momus_breakdown: Vec::new(),
            risk_accepted: settled.risk_accepted,
            invalid_envelopes: settled.invalid,
            refused_flags: facts.refused_flags.to_vec(),
            clarifying_questions: written
                .map(|o| o.metis.clarifying_questions.clone())
                .unwrap_or_default(),
            error: self.error.clone(),
            stop_reason: self.stop_reason.clone(),
            stopped_at: self.stopped_at.map(String::from),
            blocked_by_environment: self.blocked.clone(),
            gate_sandbox: facts.gate_sandbox,
            accounting: Accounting::default(),
            guest: self.guest.clone(),
            iterations: self.iterations.clone(),
            outputs: BTreeMap::new(),
            reviewed: None,
        }
    }
}

/// What the rollup says about a run that the record does not hold: fixed when the run starts.
pub struct Facts<'a> {
    pub run_id: &'a str,
    pub task: &'a str,
    /// The repository planned, its canonical path.
    pub repository: String,
    /// Who answered the agent roles ([`crate::engine::Engine::label`]).
    pub agents: String,
    pub strategy: StrategyRecord,
    pub accept_risk: bool,
    pub refused_flags: &'a [String],
    /// Whether the strategy wrote `synthesis-provenance.md`.
    pub synthesis_provenance: bool,
    /// The gate sandbox's summary line ([`crate::stages::hephaestus::sandbox::Decision::line`]).
    pub gate_sandbox: String,
}

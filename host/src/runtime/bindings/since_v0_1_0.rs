//! `anneal:strategy@0.1.0` (`wit/since_v0.1.0`): its own generated records, mapped onto the
//! host's model (the 0.2.0 records) by [`Adapt`], and its `host` interface served by
//! [`HostState`] through those conversions. 0.1.0 declares neither a re-entry stage nor a
//! spawn estimate: [`info`] fills in the host's rule (re-enter at stage 3).
use self::anneal::strategy::types as v;
use super::adapt::{enums, records, Adapt};
use crate::model as m;
use crate::runtime::host_impl::HostState;

wasmtime::component::bindgen!({
    path: "../wit/since_v0.1.0",
    world: "strategy",
    imports: { default: async | trappable },
    exports: { default: async },
});

/// The convergence-checker world (its records are the strategy world's).
pub mod convergence {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "convergence",
        exports: { default: async },
        with: { "anneal:strategy/types": super::anneal::strategy::types },
    });
}

records!(v => m {
    Finding { location, severity, concern, demand }
    EnvelopeMetadata { timestamp, reviewer_model, token_cost }
    Envelope {
        agent, run_id, depth, verdict, score, summary, findings, directives,
        clarifying_questions, metadata,
    }
    FileChange { path, action }
    Provenance { primary_source, secondary_source, contradictions }
    Phase {
        id, slug, title, goal, steps, files, success_criteria, gate, rollback, depends_on,
        provenance,
    }
    Dependencies { services, env_vars, permissions }
    Plan { title, thesis, effort, phases, dependencies, out_of_scope, iron_rules, author }
    DetectedCommand { purpose, command, source }
    DetectedService { name, kind, source }
    RelevantFile { path, reason, score }
    LanguageStat { name, files }
    ProbeReport {
        repository, languages, manifests, commands, services, ci, frameworks, entry_points,
        relevant_files, env_vars, skills, files_scanned,
    }
    OptionSpec { name, description, kind, default_value, min, max, below_min, above_max }
    RunInput { run_id, task, task_kind, category, directives, probe, options, iteration }
    AgentRequest {
        role, category, lens, extra_directives, prior_plan, feedback, scores, depth,
    }
    RedTeamReport { security, scope, assumptions, oracle }
    Decision { converged, reason, next_depth }
    StageOutput {
        plan, stage_loops, depth_final, depth_scores, convergence_reason, bias_set, notes,
    }
    Thresholds { variance, delta }
});

enums!(v => m {
    Verdict { Safe, Caution, Risky, Block }
    Severity { Critical, High, Medium, Low }
    Category { Ultrabrain, Deep, Quick }
    TaskKind {
        Greenfield, Feature, Bugfix, Refactor, Migration, Replacement, Performance, Security,
        Research,
    }
    FileAction { Create, Modify, Delete }
    OptionKind { Integer, Text, Flag }
    ConvergenceReason { Variance, Delta, Cap }
    LogLevel { Debug, Info, Warn, Error }
});

impl Adapt<v::HostError> for m::HostError {
    fn adapt(self) -> v::HostError {
        match self {
            m::HostError::BudgetExhausted(s) => v::HostError::BudgetExhausted(s),
            m::HostError::InvalidRequest(s) => v::HostError::InvalidRequest(s),
            m::HostError::LimitExceeded(s) => v::HostError::LimitExceeded(s),
            m::HostError::AgentFailed(s) => v::HostError::AgentFailed(s),
        }
    }
}

/// A 0.1.0 `strategy-info` in the model: where a full re-loop re-enters is the host's rule
/// for strategies that declare nothing, stage 3 ([`m::Reentry::Enrich`]).
pub fn info(i: v::StrategyInfo) -> m::StrategyInfo {
    m::StrategyInfo {
        name: i.name,
        version: i.version,
        description: i.description,
        options: i.options.adapt(),
        reentry: m::Reentry::Enrich,
    }
}

impl v::Host for HostState {}

impl anneal::strategy::host::Host for HostState {
    async fn invoke_agent(
        &mut self,
        request: v::AgentRequest,
    ) -> wasmtime::Result<Result<v::Plan, v::HostError>> {
        Ok(HostState::invoke_agent(self, request.adapt()).await.adapt())
    }

    async fn invoke_batch(
        &mut self,
        requests: Vec<v::AgentRequest>,
    ) -> wasmtime::Result<Vec<Result<v::Plan, v::HostError>>> {
        Ok(HostState::invoke_batch(self, requests.adapt())
            .await
            .adapt())
    }

    async fn red_team(
        &mut self,
        plan: v::Plan,
        depth: Option<u32>,
    ) -> wasmtime::Result<Result<v::RedTeamReport, v::HostError>> {
        Ok(HostState::red_team(self, plan.adapt(), depth).await.adapt())
    }

    async fn momus(
        &mut self,
        plan: v::Plan,
        depth: Option<u32>,
    ) -> wasmtime::Result<Result<v::Envelope, v::HostError>> {
        Ok(HostState::momus(self, plan.adapt(), depth).await.adapt())
    }

    async fn check_convergence(
        &mut self,
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
    ) -> wasmtime::Result<Result<v::Decision, v::HostError>> {
        Ok(HostState::check_convergence(self, depth, scores, cap)
            .await
            .adapt())
    }

    async fn write_artifact(
        &mut self,
        path: String,
        contents: String,
    ) -> wasmtime::Result<Result<(), v::HostError>> {
        Ok(HostState::write_artifact(self, path, contents).map_err(Adapt::adapt))
    }

    async fn log(&mut self, level: v::LogLevel, message: String) -> wasmtime::Result<()> {
        HostState::log(self, level.adapt(), message);
        Ok(())
    }

    async fn progress(&mut self, message: String) -> wasmtime::Result<()> {
        HostState::progress(self, message);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::plan_md::fixtures::plan;

    /// Every record a 0.1.0 guest exchanges survives the trip through its version and back.
    #[test]
    fn records_round_trip_through_0_1_0() {
        let p = plan(3);
        let back: m::Plan = Adapt::<v::Plan>::adapt(p.clone()).adapt();
        assert_eq!(back, p);
        let envelope = m::Envelope {
            agent: "momus".into(),
            run_id: "anneal-1".into(),
            depth: Some(2),
            verdict: m::Verdict::Risky,
            score: Some(61),
            summary: "s".into(),
            findings: vec![m::Finding {
                location: "plan/plan.md".into(),
                severity: m::Severity::Critical,
                concern: "c".into(),
                demand: "d".into(),
            }],
            directives: vec!["x".into()],
            clarifying_questions: vec!["q?".into()],
            metadata: m::EnvelopeMetadata {
                timestamp: "t".into(),
                reviewer_model: "r".into(),
                token_cost: 7,
            },
        };
        let back: m::Envelope = Adapt::<v::Envelope>::adapt(envelope.clone()).adapt();
        assert_eq!(back, envelope);
        let input = m::RunInput {
            run_id: "anneal-1".into(),
            task: "t".into(),
            task_kind: m::TaskKind::Migration,
            category: m::Category::Quick,
            directives: vec!["d".into()],
            probe: m::ProbeReport {
                repository: "r".into(),
                files_scanned: 3,
                skills: vec!["s".into()],
                ..Default::default()
            },
            options: vec![("k".into(), "v".into())],
            iteration: 2,
        };
        let back: m::RunInput = Adapt::<v::RunInput>::adapt(input.clone()).adapt();
        assert_eq!(back, input);
        let err: v::HostError = m::HostError::LimitExceeded("x".into()).adapt();
        assert!(matches!(err, v::HostError::LimitExceeded(s) if s == "x"));
    }

    #[test]
    fn a_0_1_0_info_gets_the_hosts_re_entry_rule() {
        let i = info(v::StrategyInfo {
            name: "old".into(),
            version: "1".into(),
            description: "d".into(),
            options: vec![v::OptionSpec {
                name: "n".into(),
                description: "d".into(),
                kind: v::OptionKind::Flag,
                default_value: "false".into(),
                min: None,
                max: None,
                below_min: None,
                above_max: None,
            }],
        });
        assert_eq!(i.reentry, m::Reentry::Enrich);
        assert_eq!(i.options[0].kind, m::OptionKind::Flag);
    }
}

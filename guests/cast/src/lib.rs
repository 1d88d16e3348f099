//! Cast (docs/design.md §2 stage 4): one planner call; Momus audits the single plan. On Momus BLOCK the
//! findings are folded in as a new directive and the plan is written once more; if Momus still
//! blocks, the host escalates to a full re-loop.
use anneal_guest::host::{self, LogLevel};
use anneal_guest::strategy::Guest;
use anneal_guest::types::{
    AgentRequest, Plan, Reentry, RunInput, SpawnEstimate, StageOutput, StrategyInfo, Verdict,
};

struct Cast;

fn request(extra_directives: Vec<String>) -> AgentRequest {
    AgentRequest {
        role: "prometheus-cast".into(),
        category: None,
        lens: None,
        extra_directives,
        prior_plan: None,
        feedback: Vec::new(),
        scores: Vec::new(),
        depth: None,
    }
}

fn plan_once(extra: Vec<String>) -> Result<Plan, String> {
    host::invoke_agent(&request(extra)).map_err(|e| format!("prometheus-cast failed: {e:?}"))
}

impl Guest for Cast {
    fn info() -> StrategyInfo {
        StrategyInfo {
            name: "cast".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Linear single planner: one Prometheus call, Momus audits the plan, one re-plan on BLOCK.".into(),
            options: Vec::new(),
            // docs/design.md §3 invariant 5: a full re-loop re-enters at stage 3.
            reentry: Reentry::Enrich,
        }
    }

    /// One planner and Momus; a Momus BLOCK re-plans once (planner and Momus again). The last
    /// Momus audit is on the returned plan.
    fn estimate(_options: Vec<(String, String)>) -> SpawnEstimate {
        SpawnEstimate {
            best: 2,
            worst: 4,
            audits_final_plan: true,
            red_teams_final_plan: false,
            basis: "cast: 1 planner + Momus; one re-plan on Momus BLOCK adds 2".into(),
        }
    }

    fn run(input: RunInput) -> Result<StageOutput, String> {
        host::progress("cast: prometheus-cast is writing the plan");
        let mut plan = plan_once(Vec::new())?;
        host::progress("cast: momus is auditing the plan");
        let mut momus = host::momus(&plan, None).map_err(|e| format!("momus failed: {e:?}"))?;
        let mut stage_loops = 0;
        if momus.verdict == Verdict::Block {
            // docs/design.md §2 Cast: fold the findings as a new Metis directive and re-plan once.
            let folded: Vec<String> = momus
                .findings
                .iter()
                .map(|f| format!("Momus ({}): {}", f.location, f.demand))
                .collect();
            host::log(
                LogLevel::Info,
                &format!(
                    "cast: momus blocked (score {}); re-planning once with {} folded findings",
                    momus.score.map_or("none".to_string(), |s| s.to_string()),
                    folded.len()
                ),
            );
            host::progress("cast: re-planning with Momus findings folded in");
            plan = plan_once(folded)?;
            momus = host::momus(&plan, None).map_err(|e| format!("momus failed: {e:?}"))?;
            stage_loops = 1;
        }
        let notes = vec![format!(
            "cast: iteration {} planned {} phases; momus {}",
            input.iteration,
            plan.phases.len(),
            anneal_guest::names::verdict(momus.verdict)
        )];
        Ok(StageOutput {
            plan,
            stage_loops,
            depth_final: None,
            depth_scores: Vec::new(),
            convergence_reason: None,
            bias_set: Vec::new(),
            notes,
        })
    }
}

anneal_guest::strategy::export_strategy!(Cast);

//! Alloy (docs/design.md §2 stage 4): N biased planners in parallel (one `invoke-batch`), a synthesizer
//! blends their plans in three passes ([`synth`]), Momus audits the blend only. On Momus BLOCK
//! the tournament re-runs with Momus's findings as constraints, at most 2 stage-4 re-loops; then
//! the strategy returns and the host escalates to a full re-loop through the Intent Gate.
pub mod synth;

use anneal_guest::types::{
    AgentRequest, OptionKind, OptionSpec, Reentry, RunInput, SpawnEstimate, StageOutput,
    StrategyInfo,
};

/// The bias lenses in docs/design.md §2 order; a run takes the first N.
pub const BIASES: [&str; 7] = [
    "correctness",
    "minimalist",
    "defensive",
    "performance",
    "ux",
    "verification",
    "migration",
];

/// Default, minimum and maximum `versions` (docs/design.md §2: N in [2, 7], default 5).
pub const VERSIONS_DEFAULT: i64 = 5;
pub const VERSIONS_MIN: i64 = 2;
pub const VERSIONS_MAX: i64 = 7;
/// Stage-4 re-loops on Momus BLOCK before the host escalates (docs/design.md §2).
pub const MAX_STAGE_LOOPS: u32 = 2;

/// The `versions` option of `info()`, with docs/design.md §2's refusal messages.
pub fn versions_option() -> OptionSpec {
    OptionSpec {
        name: "versions".into(),
        description: "Number of biased planners (variants) in the tournament; takes the first N of correctness, minimalist, defensive, performance, ux, verification, migration.".into(),
        kind: OptionKind::Integer,
        default_value: VERSIONS_DEFAULT.to_string(),
        min: Some(VERSIONS_MIN),
        max: Some(VERSIONS_MAX),
        below_min: Some("use Cast for single-planner work".into()),
        above_max: Some("synthesizer signal-to-noise collapses beyond 7".into()),
    }
}

/// The first `n` biases (n clamped to 2..=7: the host validated it already).
pub fn bias_set(n: i64) -> Vec<&'static str> {
    BIASES[..n.clamp(VERSIONS_MIN, VERSIONS_MAX) as usize].to_vec()
}

/// One `prometheus-alloy` request per bias, with the same extra directives.
pub fn requests(biases: &[&str], extra: &[String]) -> Vec<AgentRequest> {
    biases
        .iter()
        .map(|b| AgentRequest {
            role: "prometheus-alloy".into(),
            category: None,
            lens: Some((*b).to_string()),
            extra_directives: extra.to_vec(),
            prior_plan: None,
            feedback: Vec::new(),
            scores: Vec::new(),
            depth: None,
        })
        .collect()
}

/// The strategy info (name `alloy`, option `versions`).
pub fn strategy_info() -> StrategyInfo {
    StrategyInfo {
        name: "alloy".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: "Tournament consensus: N biased planners in parallel, a synthesizer blends the strongest phases with provenance, Momus audits the blend.".into(),
        options: vec![versions_option()],
        // docs/design.md §3 invariant 5: Alloy's full re-loop goes back through the Intent Gate.
        reentry: Reentry::IntentGate,
    }
}

/// N planners and Momus per tournament; up to [`MAX_STAGE_LOOPS`] re-runs on Momus BLOCK. The
/// last Momus audit is on the returned blend.
pub fn estimate(options: &[(String, String)]) -> SpawnEstimate {
    let n = anneal_guest::options::lookup(options, "versions")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(VERSIONS_DEFAULT)
        .clamp(VERSIONS_MIN, VERSIONS_MAX) as u32;
    let tournament = n + 1;
    SpawnEstimate {
        best: tournament,
        worst: (MAX_STAGE_LOOPS + 1) * tournament,
        audits_final_plan: true,
        red_teams_final_plan: false,
        basis: format!(
            "alloy: {n} planners + Momus per tournament; up to {MAX_STAGE_LOOPS} re-runs on Momus BLOCK"
        ),
    }
}

#[cfg(target_arch = "wasm32")]
mod guest {
    use super::*;
    use anneal_guest::host::{self, LogLevel};
    use anneal_guest::strategy::Guest;
    use anneal_guest::types::Verdict;
    use synth::{report, synthesize, Variant};

    struct Alloy;

    fn write(path: &str, contents: &str) -> Result<(), String> {
        host::write_artifact(path, contents).map_err(|e| format!("writing {path} failed: {e:?}"))
    }

    impl Guest for Alloy {
        fn info() -> StrategyInfo {
            strategy_info()
        }

        fn estimate(options: Vec<(String, String)>) -> SpawnEstimate {
            super::estimate(&options)
        }

        fn run(input: RunInput) -> Result<StageOutput, String> {
            let n = anneal_guest::options::integer(&input, "versions", VERSIONS_DEFAULT);
            let biases = bias_set(n);
            let mut constraints: Vec<String> = Vec::new();
            let mut stage_loops = 0u32;
            let mut notes = Vec::new();
            loop {
                host::progress(&format!(
                    "alloy: {} biased planners in parallel ({})",
                    biases.len(),
                    biases.join(", ")
                ));
                let results = host::invoke_batch(&requests(&biases, &constraints));
                let mut variants = Vec::new();
                for (i, (bias, r)) in biases.iter().zip(results).enumerate() {
                    match r {
                        Ok(plan) => variants.push(Variant {
                            index: i + 1,
                            bias: (*bias).to_string(),
                            plan,
                        }),
                        Err(e) => {
                            host::log(
                                LogLevel::Warn,
                                &format!("alloy: variant-{}-{bias} failed: {e:?}", i + 1),
                            );
                            notes.push(format!(
                                "alloy: variant-{}-{bias} failed and is left out of the blend",
                                i + 1
                            ));
                        }
                    }
                }
                if variants.is_empty() {
                    return Err("alloy: every planner of the tournament failed".into());
                }
                for v in &variants {
                    write(
                        &format!("variants/{}.md", v.source()),
                        &anneal_guest::markdown::plan(&v.plan),
                    )?;
                }
                host::progress("alloy: synthesizer is blending the variants");
                let mut directives = input.directives.clone();
                directives.extend(constraints.iter().cloned());
                let s = synthesize(&variants, &directives, &input.probe);
                write(
                    "synthesis-provenance.md",
                    &report::render(&s, &variants, stage_loops),
                )?;
                host::progress("alloy: momus is auditing the blend");
                let momus =
                    host::momus(&s.plan, None).map_err(|e| format!("momus failed: {e:?}"))?;
                notes.push(format!(
                    "alloy: loop {stage_loops}: {} variants blended into {} phases, {} contradiction(s); momus {} (score {})",
                    variants.len(),
                    s.plan.phases.len(),
                    s.contradictions.len(),
                    anneal_guest::names::verdict(momus.verdict),
                    momus.score.map_or("none".to_string(), |x| x.to_string())
                ));
                if momus.verdict != Verdict::Block || stage_loops >= MAX_STAGE_LOOPS {
                    if momus.verdict == Verdict::Block {
                        host::log(LogLevel::Warn, "alloy: momus still blocks after 2 stage-4 re-loops; escalating to a full re-loop");
                    }
                    return Ok(StageOutput {
                        plan: s.plan,
                        stage_loops,
                        depth_final: None,
                        depth_scores: Vec::new(),
                        convergence_reason: None,
                        bias_set: biases.iter().map(|b| b.to_string()).collect(),
                        notes,
                    });
                }
                // docs/design.md §2 Alloy: re-run the tournament with Momus's findings as constraints.
                for f in &momus.findings {
                    let c = format!("Momus ({}): {}", f.location, f.demand);
                    if !constraints.contains(&c) {
                        constraints.push(c);
                    }
                }
                stage_loops += 1;
                host::log(LogLevel::Info, &format!("alloy: momus blocked the blend; stage-4 re-loop {stage_loops} with {} constraints", constraints.len()));
            }
        }
    }

    anneal_guest::strategy::export_strategy!(Alloy);
}

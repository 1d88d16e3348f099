//! A strategy built against `anneal:strategy@0.1.0` (`wit/since_v0.1.0`), for the tests only:
//! the host serves every version it ever published (docs/design.md §11), and this guest is
//! how the suite proves a 0.1.0 component still runs unchanged. It goes through every call of
//! the 0.1.0 `host` interface once, so each is adapted both ways:
//!
//! `progress` and `log`; `invoke-batch` (two planners); `invoke-agent` (one more, with the
//! first plan as prior plan and Momus's envelope as feedback); `red-team` and `momus` on the
//! final plan; `check-convergence` twice (depth 0, then 1 with cap 1); `write-artifact`
//! (`legacy-notes.md`). Option `strict` (a flag): when true the notes say so.
wit_bindgen::generate!({
    path: "../../wit/since_v0.1.0",
    world: "strategy",
});

use anneal::strategy::host::{self, LogLevel};
use anneal::strategy::types::{AgentRequest, OptionKind, OptionSpec, Verdict};

struct Legacy;

fn request(lens: Option<&str>, prior: Option<anneal::strategy::types::Plan>, feedback: Vec<anneal::strategy::types::Envelope>) -> AgentRequest {
    AgentRequest {
        role: if lens.is_some() { "prometheus-alloy" } else { "prometheus-cast" }.into(),
        category: None,
        lens: lens.map(str::to_string),
        extra_directives: Vec::new(),
        prior_plan: prior,
        feedback,
        scores: Vec::new(),
        depth: None,
    }
}

fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "SAFE",
        Verdict::Caution => "CAUTION",
        Verdict::Risky => "RISKY",
        Verdict::Block => "BLOCK",
    }
}

impl Guest for Legacy {
    fn info() -> StrategyInfo {
        StrategyInfo {
            name: "legacy".into(),
            version: "0.1.0".into(),
            description: "A 0.1.0 strategy for the tests: every host call once.".into(),
            options: vec![OptionSpec {
                name: "strict".into(),
                description: "Say in the notes that the run was strict.".into(),
                kind: OptionKind::Flag,
                default_value: "false".into(),
                min: None,
                max: None,
                below_min: None,
                above_max: None,
            }],
        }
    }

    fn run(input: RunInput) -> Result<StageOutput, String> {
        let strict = input.options.iter().any(|(k, v)| k == "strict" && v == "true");
        host::progress("legacy: two planners");
        host::log(LogLevel::Info, "legacy: anneal:strategy@0.1.0 guest starting");
        let batch = host::invoke_batch(&[
            request(Some("defensive"), None, Vec::new()),
            request(Some("minimalist"), None, Vec::new()),
        ]);
        let first = batch
            .into_iter()
            .find_map(Result::ok)
            .ok_or("legacy: every planner of the batch failed")?;
        let audit = host::momus(&first, None).map_err(|e| format!("momus failed: {e:?}"))?;
        let plan = host::invoke_agent(&request(None, Some(first), vec![audit]))
            .map_err(|e| format!("planner failed: {e:?}"))?;
        let red = host::red_team(&plan, Some(0)).map_err(|e| format!("red team failed: {e:?}"))?;
        let momus = host::momus(&plan, Some(0)).map_err(|e| format!("momus failed: {e:?}"))?;
        let score = f64::from(momus.score.ok_or("momus gave no score")?);
        let d0 = host::check_convergence(0, &[score], 1).map_err(|e| format!("checker: {e:?}"))?;
        let d1 = host::check_convergence(1, &[score, score], 1)
            .map_err(|e| format!("checker: {e:?}"))?;
        let notes = vec![format!(
            "legacy: momus {} ({score}), oracle {}, depth 0 converged {}, depth 1 converged {}{}",
            verdict(momus.verdict),
            verdict(red.oracle.verdict),
            d0.converged,
            d1.converged,
            if strict { "; strict" } else { "" }
        )];
        host::write_artifact("legacy-notes.md", &format!("# legacy\n\n{}\n", notes[0]))
            .map_err(|e| format!("write failed: {e:?}"))?;
        Ok(StageOutput {
            plan,
            stage_loops: 0,
            depth_final: Some(1),
            depth_scores: vec![score, score],
            convergence_reason: d1.reason,
            bias_set: Vec::new(),
            notes,
        })
    }
}

export!(Legacy);

//! A convergence checker built against `anneal:strategy@0.1.0`, for the tests only: it
//! converges at once, at depth 0, with reason `cap` — which no checker following
//! docs/design.md §2 does (the cap is at least 1) — so a run that used it shows it did.
wit_bindgen::generate!({
    path: "../../wit/since_v0.1.0",
    world: "convergence",
});

use anneal::strategy::types::ConvergenceReason;

struct Checker;

impl Guest for Checker {
    fn check(depth: u32, scores: Vec<f64>, cap: u32, _t: Option<Thresholds>) -> Result<Decision, String> {
        if scores.len() as u64 != u64::from(depth) + 1 || cap == 0 {
            return Err(format!("invalid input: depth {depth}, {} scores, cap {cap}", scores.len()));
        }
        Ok(Decision { converged: true, reason: Some(ConvergenceReason::Cap), next_depth: None })
    }
}

export!(Checker);

//! The default Temper convergence checker (docs/design.md §2): three rules in order, first that holds wins.
//!
//! 1. `variance`: population variance of the three highest scores < `thresholds.variance`
//!    (default 0.3; needs ≥ 3 scores).
//! 2. `delta`: |last − previous| < `thresholds.delta` (default 0.15; needs ≥ 2 scores).
//! 3. `cap`: depth ≥ cap.
//!
//! Otherwise: continue at depth + 1. Invalid input (`scores.len() != depth + 1`, a score outside
//! 0–100 or not finite, cap outside 1–5, a negative or non-finite threshold) is an error.
use anneal_guest::convergence::anneal::strategy::types::{ConvergenceReason, Decision, Thresholds};
use anneal_guest::convergence::Guest;

struct Checker;

/// docs/design.md §2 defaults.
const DEFAULT: Thresholds = Thresholds {
    variance: 0.3,
    delta: 0.15,
};

impl Guest for Checker {
    fn check(
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
        thresholds: Option<Thresholds>,
    ) -> Result<Decision, String> {
        let t = thresholds.unwrap_or(DEFAULT);
        if !(1..=5).contains(&cap) {
            return Err(format!("cap must be in 1..=5, got {cap}"));
        }
        if scores.len() as u64 != u64::from(depth) + 1 {
            return Err(format!(
                "scores must have depth + 1 = {} entries (one per depth), got {}",
                u64::from(depth) + 1,
                scores.len()
            ));
        }
        if let Some(bad) = scores
            .iter()
            .find(|s| !s.is_finite() || **s < 0.0 || **s > 100.0)
        {
            return Err(format!("every score must be in 0..=100, got {bad}"));
        }
        for (name, v) in [("variance", t.variance), ("delta", t.delta)] {
            if !v.is_finite() || v < 0.0 {
                return Err(format!(
                    "threshold {name} must be a finite number >= 0, got {v}"
                ));
            }
        }
        let converged = |reason| {
            Ok(Decision {
                converged: true,
                reason: Some(reason),
                next_depth: None,
            })
        };
        if scores.len() >= 3 {
            let mut top = scores.clone();
            top.sort_by(|a, b| b.total_cmp(a));
            top.truncate(3);
            let mean = top.iter().sum::<f64>() / 3.0;
            let var = top.iter().map(|s| (s - mean) * (s - mean)).sum::<f64>() / 3.0;
            if var < t.variance {
                return converged(ConvergenceReason::Variance);
            }
        }
        if scores.len() >= 2 {
            let n = scores.len();
            if (scores[n - 1] - scores[n - 2]).abs() < t.delta {
                return converged(ConvergenceReason::Delta);
            }
        }
        if depth >= cap {
            return converged(ConvergenceReason::Cap);
        }
        Ok(Decision {
            converged: false,
            reason: None,
            next_depth: Some(depth + 1),
        })
    }
}

anneal_guest::convergence::export_convergence!(Checker);

//! Convergence presets and `anneal convergence check` (docs/design.md §2, convergence checker).
//!
//! The checker is a WASM component (`world convergence`); the host only chooses which one runs
//! and which thresholds it receives. Two named presets:
//! - `strict` (default): no thresholds are passed, so the checker applies its own defaults —
//!   for the bundled checker docs/design.md §2's variance < 0.3 and delta < 0.15.
//! - `loose`: the looser wording of docs/design.md §2, "variance ≤ 3, delta ≤ 2". The checker's rules compare
//!   with `<`, so the preset passes the smallest doubles above 3 and 2, which makes `<` exactly `≤`.
//!   (The seed's "over the last two depths" is not expressible through the WIT `thresholds`; the
//!   checker still takes the variance of the three highest scores.)
use crate::model::{ConvergenceReason, Decision, Thresholds};
use crate::runtime::engine::Runtime;
use crate::runtime::instance::Checker;
use crate::runtime::loader::World;

/// A named set of convergence thresholds (`--convergence-preset`, `--preset`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// The checker's own defaults (bundled: variance < 0.3, delta < 0.15).
    #[default]
    Strict,
    /// Variance ≤ 3, delta ≤ 2 (the looser preset of docs/design.md §2).
    Loose,
}

/// The smallest double strictly greater than `x` (for finite, non-negative `x`).
fn just_above(x: f64) -> f64 {
    f64::from_bits(x.to_bits() + 1)
}

impl Preset {
    /// Thresholds to pass to the checker: `None` for `strict` (the checker's defaults),
    /// `Some` just above (3, 2) for `loose` so the checker's `<` means `≤`.
    pub fn thresholds(self) -> Option<Thresholds> {
        match self {
            Preset::Strict => None,
            Preset::Loose => Some(Thresholds {
                variance: just_above(3.0),
                delta: just_above(2.0),
            }),
        }
    }
}

/// Parses a comma-separated score list (`72,81,87` or `84.1, 84.0`).
///
/// # Errors
/// A message naming the entry that is not a number (range checks are the checker's job).
pub fn parse_scores(text: &str) -> Result<Vec<f64>, String> {
    text.split(',')
        .map(|s| {
            let s = s.trim();
            s.parse::<f64>()
                .map_err(|_| format!("score {s:?} is not a number"))
        })
        .collect()
}

/// The decision as one line of JSON: `{"converged":…,"reason":…,"next_depth":…}`.
pub fn decision_json(d: &Decision) -> String {
    serde_json::json!({
        "converged": d.converged,
        "reason": d.reason.map(ConvergenceReason::as_str),
        "next_depth": d.next_depth,
    })
    .to_string()
}

/// Why `check` produced no decision.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The checker refused the input (wrong length, score out of range, cap out of range):
    /// a usage error.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The checker could not be loaded or trapped.
    #[error("{0}")]
    Runtime(String),
}

/// Loads the checker (`None` → the bundled one, else a `.wasm` path) and asks it for a decision
/// on `(depth, scores, cap)` with the preset's thresholds.
///
/// # Errors
/// [`CheckError::Invalid`] when the checker refuses the input; [`CheckError::Runtime`] when it
/// cannot be loaded or fails.
pub async fn check(
    checker: Option<&str>,
    preset: Preset,
    depth: u32,
    scores: &[f64],
    cap: u32,
) -> Result<Decision, CheckError> {
    let runtime = Runtime::new()
        .map_err(|e| CheckError::Runtime(format!("cannot start the WebAssembly engine: {e:#}")))?;
    let loaded = crate::runtime::loader::load_component(
        &runtime,
        checker.unwrap_or("convergence"),
        &["convergence"],
        World::Convergence,
    )
    .map_err(|e| CheckError::Runtime(e.to_string()))?;
    let c = Checker::new(&runtime, &loaded).map_err(|e| CheckError::Runtime(e.to_string()))?;
    match c
        .check(&runtime, depth, scores, cap, preset.thresholds())
        .await
    {
        Ok(Ok(d)) => Ok(d),
        Ok(Err(reason)) => Err(CheckError::Invalid(reason)),
        Err(e) => Err(CheckError::Runtime(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn decide(preset: Preset, depth: u32, scores: &[f64], cap: u32) -> Decision {
        check(None, preset, depth, scores, cap).await.unwrap()
    }

    #[tokio::test]
    async fn seed_examples_with_the_bundled_checker() {
        let d = decide(Preset::Strict, 4, &[72.0, 81.0, 87.0, 86.0, 87.0], 5).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Variance));
        let d = decide(Preset::Strict, 3, &[70.0, 74.0, 80.0, 80.0], 5).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Delta));
        let d = decide(Preset::Strict, 4, &[65.0, 78.0, 83.0, 84.1, 84.0], 5).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Variance));
        let d = decide(Preset::Strict, 4, &[45.0, 52.0, 58.0, 61.0, 63.0], 4).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Cap));
        let d = decide(Preset::Strict, 3, &[45.0, 52.0, 58.0, 61.0], 4).await;
        assert_eq!(
            d,
            Decision {
                converged: false,
                reason: None,
                next_depth: Some(4)
            }
        );
    }

    #[tokio::test]
    async fn loose_preset_is_inclusive_and_converges_earlier() {
        // Delta exactly 2 converges under loose (≤ 2), never under strict.
        let d = decide(Preset::Loose, 1, &[80.0, 82.0], 3).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Delta));
        let d = decide(Preset::Strict, 1, &[80.0, 82.0], 3).await;
        assert!(!d.converged);
        // Top three 84, 83, 81: variance 1.56 ≤ 3.
        let d = decide(Preset::Loose, 2, &[81.0, 84.0, 83.0], 3).await;
        assert_eq!(d.reason, Some(ConvergenceReason::Variance));
    }

    #[tokio::test]
    async fn invalid_input_is_refused() {
        for (depth, scores, cap) in [
            (1, vec![70.0], 3),
            (0, vec![101.0], 3),
            (0, vec![70.0], 0),
            (0, vec![70.0], 6),
        ] {
            let e = check(None, Preset::Strict, depth, &scores, cap)
                .await
                .unwrap_err();
            assert!(matches!(e, CheckError::Invalid(_)), "{e}");
        }
    }

    #[test]
    fn scores_parse_and_json_shape() {
        assert_eq!(parse_scores("72, 81,87").unwrap(), vec![72.0, 81.0, 87.0]);
        assert!(parse_scores("72,x").is_err());
        let d = Decision {
            converged: true,
            reason: Some(ConvergenceReason::Cap),
            next_depth: None,
        };
        assert_eq!(
            decision_json(&d),
            r#"{"converged":true,"next_depth":null,"reason":"cap"}"#
        );
    }
}

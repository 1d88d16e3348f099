//! The convergence record of one run of a strategy, kept by the host from its own calls, so the
//! rollup's `depth_final`, `depth_scores` and `convergence_reason` are what the host's Momus
//! scored and the run's convergence checker decided — never what a guest claims in its stage
//! output (docs/security.md, "What a guest's answers can and cannot do").
//!
//! - Every Momus envelope the host returns for a depth records that depth's score.
//! - A `check-convergence` call whose scores disagree with a score the host's Momus gave for
//!   that depth is refused: the checker decides on the host's scores only.
//! - After `run`, the output's convergence fields are replaced with the last checker call the
//!   host served (its depth, the scores it was given, the reason when it converged), or cleared
//!   when the guest never called the checker; a guest claim that differed is noted.
use crate::model::{Decision, StageOutput};
use std::collections::BTreeMap;

/// What the host saw of a guest's Momus scores and convergence checks in one run.
#[derive(Clone, Debug, Default)]
pub struct ConvergenceRecord {
    /// Momus score the host returned, by depth (the last one for a depth scored twice).
    scores: BTreeMap<u32, f64>,
    /// The last checker call served: depth, scores, decision.
    last: Option<(u32, Vec<f64>, Decision)>,
}

impl ConvergenceRecord {
    /// Records the score of a Momus envelope the host returned for `depth`.
    pub fn momus(&mut self, depth: Option<u32>, score: Option<u8>) {
        if let (Some(d), Some(s)) = (depth, score) {
            self.scores.insert(d, f64::from(s));
        }
    }

    /// Checks the scores a guest passes to the checker against the host's Momus scores.
    ///
    /// # Errors
    /// The first score that differs from the one the host's Momus gave for that depth.
    pub fn check_scores(&self, scores: &[f64]) -> Result<(), String> {
        for (i, s) in scores.iter().enumerate() {
            let recorded = u32::try_from(i).ok().and_then(|d| self.scores.get(&d));
            if let Some(m) = recorded {
                if (m - s).abs() > f64::EPSILON {
                    return Err(format!(
                        "scores[{i}] is {s}, but the host's Momus scored depth {i} {m}; the checker decides on the scores Momus gave"
                    ));
                }
            }
        }
        Ok(())
    }

    /// Records a checker call the host served.
    pub fn checked(&mut self, depth: u32, scores: Vec<f64>, decision: Decision) {
        self.last = Some((depth, scores, decision));
    }

    /// `out` with its convergence fields from this record (see the module docs); a note says
    /// so when the guest had claimed something else.
    pub fn apply(&self, mut out: StageOutput) -> StageOutput {
        let (depth, scores, reason) = match &self.last {
            Some((d, s, decision)) => (
                Some(*d),
                s.clone(),
                decision.reason.filter(|_| decision.converged),
            ),
            None => (None, Vec::new(), None),
        };
        let claimed = (out.depth_final, &out.depth_scores, out.convergence_reason);
        if claimed != (depth, &scores, reason) {
            out.notes.push(format!(
                "host: the strategy's own convergence record (depth {:?}, scores {:?}, reason {:?}) was replaced by the host's (depth {depth:?}, scores {scores:?}, reason {reason:?})",
                out.depth_final, out.depth_scores, out.convergence_reason
            ));
        }
        out.depth_final = depth;
        out.depth_scores = scores;
        out.convergence_reason = reason;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ConvergenceReason;

    fn output() -> StageOutput {
        let mut o = crate::runtime::limits::tests_output();
        o.depth_final = Some(5);
        o.depth_scores = vec![99.0, 99.0, 99.0];
        o.convergence_reason = Some(ConvergenceReason::Variance);
        o
    }

    #[test]
    fn claims_without_checker_calls_are_cleared_and_noted() {
        let o = ConvergenceRecord::default().apply(output());
        assert_eq!(o.depth_final, None);
        assert!(o.depth_scores.is_empty());
        assert_eq!(o.convergence_reason, None);
        assert!(o
            .notes
            .iter()
            .any(|n| n.contains("was replaced by the host's")));
    }

    #[test]
    fn the_record_is_the_last_checker_call_on_momus_scores() {
        let mut r = ConvergenceRecord::default();
        r.momus(Some(0), Some(62));
        r.momus(Some(1), Some(80));
        assert!(r
            .check_scores(&[62.0, 99.0])
            .unwrap_err()
            .contains("scored depth 1 80"));
        r.check_scores(&[62.0, 80.0]).unwrap();
        let decision = Decision {
            converged: true,
            reason: Some(ConvergenceReason::Delta),
            next_depth: None,
        };
        r.checked(1, vec![62.0, 80.0], decision);
        let o = r.apply(output());
        assert_eq!(o.depth_final, Some(1));
        assert_eq!(o.depth_scores, vec![62.0, 80.0]);
        assert_eq!(o.convergence_reason, Some(ConvergenceReason::Delta));
        // An honest claim adds no note.
        let honest = StageOutput {
            notes: Vec::new(),
            ..o.clone()
        };
        assert!(r.apply(honest).notes.is_empty());
    }
}

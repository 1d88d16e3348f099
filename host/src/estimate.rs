//! Budget before you commit: the agent spawns a run is expected to
//! make, per strategy and options, best case and worst case (every stage-4 re-loop taken, every
//! full re-loop up to the cap).
//!
//! Counted as the rollup counts them: intent gate, probe, Metis, planners, Momus, the three
//! red-team reviewers, Oracle, Hephaestus and Atlas are one spawn each per call.

/// Expected spawns of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// One iteration, no stage-4 re-loop, earliest convergence.
    pub best: u32,
    /// One iteration with every stage-4 re-loop / the full depth.
    pub typical_worst: u32,
    /// `typical_worst` times the full-iteration cap (None = `--loop`, unbounded).
    pub worst: Option<u32>,
    /// How the figures were derived.
    pub basis: String,
}

/// Stages outside stage 4 in one iteration: intent gate, probe, Metis, red team ×3, Oracle,
/// Hephaestus, Atlas.
const COMMON: u32 = 9;

/// Estimates spawns for `strategy` with its resolved `options`; `guest_calls` bounds a
/// third-party strategy's share (`--max-guest-calls`); `iterations` is the full re-loop cap.
pub fn estimate(
    strategy: &str,
    options: &[(String, String)],
    guest_calls: u32,
    iterations: Option<u32>,
) -> Estimate {
    let opt = |k: &str, d: u32| {
        options
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(d)
    };
    let (best, one, basis) = match strategy {
        "cast" => (COMMON + 2, COMMON + 4, "cast: 1 planner + Momus; one re-plan on Momus BLOCK adds 2".to_string()),
        "alloy" => {
            let n = opt("versions", 5);
            (COMMON + n + 1, COMMON + 3 * (n + 1), format!("alloy: {n} planners + Momus per tournament; up to 2 stage-4 re-loops"))
        }
        "temper" => {
            let d = opt("depth", 3);
            // Per depth: planner, red team ×3, Oracle, Momus; stage 5 reuses the last depth's red team.
            let per_depth = 6;
            let outside = COMMON - 4;
            (outside + 2 * per_depth, outside + (d + 1) * per_depth, format!("temper: 6 per depth (planner, red team ×3, Oracle, Momus), depths 0..={d}; earliest exit at depth 1"))
        }
        other => (COMMON, COMMON + guest_calls, format!("{other}: unknown shape; the agents the host runs for it are bounded by --max-guest-calls ({guest_calls}, a red-team call counting {})", crate::runtime::host_impl::RED_TEAM_AGENTS)),
    };
    Estimate {
        best,
        typical_worst: one,
        worst: iterations.map(|i| one * i),
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_follow_the_strategy_shapes() {
        assert_eq!(estimate("cast", &[], 200, Some(3)).best, 11);
        let a = estimate("alloy", &[("versions".into(), "5".into())], 200, Some(3));
        assert_eq!((a.best, a.typical_worst, a.worst), (15, 27, Some(81)));
        let a7 = estimate("alloy", &[("versions".into(), "7".into())], 200, Some(3));
        assert!(a7.best > a.best);
        let t = estimate("temper", &[("depth".into(), "3".into())], 200, None);
        assert_eq!((t.best, t.typical_worst, t.worst), (17, 29, None));
        assert_eq!(estimate("foundry", &[], 50, Some(1)).typical_worst, 59);
    }
}

//! Budget before you commit (`--dry-run`, `strategy inspect`): the agent spawns a run is
//! expected to make — best case, one full iteration, worst case over the re-loop cap — from
//! what the strategy declares and the host's own stages. The host knows no strategy by name:
//! stage 4's figures are the strategy's `estimate` (WIT 0.2.0, docs/design.md §11), and where a
//! full re-loop re-enters is its `info().reentry`.
//!
//! Counted as the budget (`--max-spawns`, [`crate::engine::Budget`]) and the rollup
//! (`accounting.agent_spawns`) count them — one definition: agent roles only. The intent gate
//! once, and again on each re-loop that re-enters there; Metis once per iteration (not on a
//! re-loop that re-enters at stage 4); stage 5's red team (four: three reviewers and Oracle)
//! and Momus unless the strategy's last such call was on its final plan (the host reuses its
//! own record then). The probe, Hephaestus and Atlas are the host's own stages, not spawns.
use crate::model::{Reentry, SpawnEstimate};
use crate::runtime::host_impl::RED_TEAM_AGENTS as RED_TEAM;

/// Expected spawns of one run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// One iteration, the strategy's earliest exit.
    pub best: u32,
    /// One iteration with every re-plan and loop of the strategy's own.
    pub one_iteration: u32,
    /// Every full re-loop up to the cap taken, each at `one_iteration`'s stage 4 (`None` =
    /// `--loop`: unbounded).
    pub worst: Option<u32>,
    /// How the figures were derived, one line.
    pub basis: String,
}

/// Estimates a run's spawns.
///
/// Input: `declared`, the strategy's own estimate for the run's options (`None` for a 0.1.0
/// component, which declares none); `reentry`, where its full re-loops re-enter;
/// `guest_calls`, the agents the host may run for the guest in one iteration
/// (`--max-guest-calls`, a red-team call counting four), which bounds any strategy; `iterations`, the full-iteration cap (`None` = `--loop`). A declaration that
/// contradicts itself (best over worst) is set aside for the bound the call limit gives, and
/// the basis says so; a worst case over what the call limit allows is cut to it.
pub fn estimate(
    declared: Option<&SpawnEstimate>,
    reentry: Reentry,
    guest_calls: u32,
    iterations: Option<u32>,
) -> Estimate {
    let limit = guest_calls;
    let bound = format!(
        "the agents the host runs for it are bounded by --max-guest-calls ({guest_calls}), a red-team call counting {RED_TEAM}"
    );
    let (best, worst, stage5, basis) = match declared {
        Some(d) if d.best <= d.worst => {
            let stage5 =
                if d.red_teams_final_plan { 0 } else { RED_TEAM } + u32::from(!d.audits_final_plan);
            let mut basis = crate::runtime::host_impl::sanitize(&d.basis, 300);
            if d.worst > limit {
                basis.push_str(&format!(" (worst case cut to {limit}: {bound})"));
            }
            (d.best, d.worst.min(limit), stage5, basis)
        }
        Some(d) => (
            0,
            limit,
            RED_TEAM + 1,
            format!(
                "the strategy's estimate is invalid (best {} over worst {}); {bound}",
                d.best, d.worst
            ),
        ),
        None => (
            0,
            limit,
            RED_TEAM + 1,
            format!("the strategy declares no estimate (anneal:strategy@0.1.0); {bound}"),
        ),
    };
    // Stages 1 and 3, then 5, of the first iteration and of a re-loop.
    let first = 1 + 1 + stage5;
    let again = match reentry {
        Reentry::IntentGate => 2,
        Reentry::Enrich => 1,
        Reentry::Plan => 0,
    } + stage5;
    let one_iteration = first + worst;
    Estimate {
        best: first + best,
        one_iteration,
        worst: iterations.map(|n| {
            one_iteration.saturating_add(n.saturating_sub(1).saturating_mul(again + worst))
        }),
        basis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(best: u32, worst: u32, audits: bool, red_teams: bool) -> SpawnEstimate {
        SpawnEstimate {
            best,
            worst,
            audits_final_plan: audits,
            red_teams_final_plan: red_teams,
            basis: "basis".into(),
        }
    }

    #[test]
    fn figures_follow_the_declaration() {
        // Cast's declaration: planner + Momus, one re-plan adds 2; stage 5 reuses Momus.
        let cast = estimate(
            Some(&declared(2, 4, true, false)),
            Reentry::Enrich,
            200,
            Some(3),
        );
        // intent + metis + planner + momus + red team 4.
        assert_eq!((cast.best, cast.one_iteration), (8, 10));
        // Two re-loops at stage 3: metis + 4 + red team 4 each.
        assert_eq!(cast.worst, Some(10 + 2 * 9));
        // Alloy at 7 versions re-enters at the Intent Gate.
        let alloy = estimate(
            Some(&declared(8, 24, true, false)),
            Reentry::IntentGate,
            200,
            Some(3),
        );
        assert_eq!((alloy.best, alloy.one_iteration), (14, 30));
        assert_eq!(alloy.worst, Some(30 + 2 * 30));
        // Temper's depths red-team and audit the final plan themselves: stage 5 adds nothing.
        let temper = estimate(
            Some(&declared(12, 24, true, true)),
            Reentry::Enrich,
            200,
            None,
        );
        assert_eq!(
            (temper.best, temper.one_iteration, temper.worst),
            (14, 26, None)
        );
        // Re-entering at stage 4 skips Metis too.
        let plan = estimate(
            Some(&declared(1, 1, false, false)),
            Reentry::Plan,
            200,
            Some(2),
        );
        assert_eq!(plan.worst, Some(plan.one_iteration + 1 + 5));
    }

    #[test]
    fn without_a_declaration_the_call_limit_bounds_the_worst_case() {
        let e = estimate(None, Reentry::Enrich, 50, Some(1));
        // Nothing of stage 4 in the best case; 50 agents in the worst (a red-team call is 4 of
        // them, as the host counts it).
        assert_eq!(e.best, 1 + 1 + 5);
        assert_eq!(e.one_iteration, e.best + 50);
        assert_eq!(e.worst, Some(e.one_iteration));
        assert!(e.basis.contains("declares no estimate"), "{}", e.basis);
        assert!(e.basis.contains("--max-guest-calls (50)"), "{}", e.basis);
    }

    #[test]
    fn a_declaration_that_contradicts_itself_or_the_limit_is_not_believed() {
        let e = estimate(
            Some(&declared(9, 3, true, false)),
            Reentry::Enrich,
            10,
            Some(1),
        );
        assert_eq!(e.one_iteration, e.best + 10);
        assert!(
            e.basis.contains("invalid (best 9 over worst 3)"),
            "{}",
            e.basis
        );
        let e = estimate(
            Some(&declared(1, 1_000_000, true, false)),
            Reentry::Enrich,
            10,
            Some(1),
        );
        assert_eq!(e.one_iteration - e.best, 10 - 1);
        assert!(e.basis.contains("cut to 10"), "{}", e.basis);
        // Control characters of a guest's basis never reach the terminal.
        let mut d = declared(1, 2, true, false);
        d.basis = "a\u{1b}[31mred\nline".into();
        let e = estimate(Some(&d), Reentry::Enrich, 10, Some(1));
        assert!(
            !e.basis.contains('\u{1b}') && !e.basis.contains('\n'),
            "{:?}",
            e.basis
        );
    }
}

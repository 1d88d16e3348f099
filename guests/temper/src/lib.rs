//! Temper (docs/design.md §2 stage 4): a fixed-point deepen loop.
//!
//! - Depth 0: `prometheus-temper` writes the seed plan from the directives and the probe report.
//! - Depth N ≥ 1: `prometheus-temper` fully rewrites plan N−1 given its Momus envelope, its three
//!   red-team envelopes, the directives (the host passes the run's own) and every depth score.
//! - At every depth: the red team attacks the plan (the host runs the three concurrently, then
//!   Oracle), Momus scores it 0–100, and the run's convergence checker decides with
//!   `check(depth, scores, cap)`. The plan of the depth at which the loop exits is the final plan.
//!
//! Option `depth` (1–5, default 3) is the hard cap handed to the checker.
//!
//! Files written (run-relative): on iteration 1 of the pipeline `plan-depth-{N}.md` and
//! `depth-history.json` at the top of the run directory; on a later full re-loop (iteration
//! `i ≥ 2`, which restarts at depth 0) the same names under `iteration-{i}/`, so the earlier
//! iterations' files are never overwritten. The host itself writes the per-depth review
//! envelopes (`reviews/momus-envelope-depth-{N}.yaml`, `reviews/redteam-*-envelope-depth-{N}.yaml`);
//! `depth-history.json` also holds every envelope, so nothing is lost on a re-loop.
mod json;

use anneal_guest::host::{self, LogLevel};
use anneal_guest::strategy::Guest;
use anneal_guest::types::{
    AgentRequest, ConvergenceReason, Decision, Envelope, OptionKind, OptionSpec, Plan,
    RedTeamReport, Reentry, RunInput, SpawnEstimate, StageOutput, StrategyInfo,
};
use json::{obj, s, Json};

struct Temper;

/// docs/design.md §2: `--depth` is the hard cap, 1–5, default 3.
const DEFAULT_CAP: i64 = 3;
const MIN_CAP: i64 = 1;
const MAX_CAP: i64 = 5;

/// One depth of the loop, as recorded in `depth-history.json`.
struct DepthRecord {
    depth: u32,
    plan_file: String,
    plan: Plan,
    momus: Envelope,
    red: RedTeamReport,
    score: f64,
    scores_in: Vec<f64>,
    decision: Decision,
}

/// Directory prefix of this iteration's files: empty for iteration 1, `iteration-{i}/` after.
fn prefix(iteration: u32) -> String {
    if iteration <= 1 {
        String::new()
    } else {
        format!("iteration-{iteration}/")
    }
}

fn planner_request(depth: u32, prior: Option<&DepthRecord>, scores: &[f64]) -> AgentRequest {
    let (prior_plan, feedback) = match prior {
        Some(r) => (
            Some(r.plan.clone()),
            vec![
                r.momus.clone(),
                r.red.security.clone(),
                r.red.scope.clone(),
                r.red.assumptions.clone(),
            ],
        ),
        None => (None, Vec::new()),
    };
    AgentRequest {
        role: "prometheus-temper".into(),
        category: None,
        lens: None,
        extra_directives: Vec::new(),
        prior_plan,
        feedback,
        scores: scores.to_vec(),
        depth: Some(depth),
    }
}

fn history(input: &RunInput, cap: u32, records: &[DepthRecord], exit: Option<&DepthRecord>) -> String {
    let depths = records
        .iter()
        .map(|r| {
            obj([
                ("depth", Json::Int(i64::from(r.depth))),
                ("plan_file", s(&r.plan_file)),
                ("score", Json::Num(r.score)),
                (
                    "convergence",
                    obj([
                        (
                            "input",
                            obj([
                                ("depth", Json::Int(i64::from(r.depth))),
                                ("scores", Json::Arr(r.scores_in.iter().map(|v| Json::Num(*v)).collect())),
                                ("cap", Json::Int(i64::from(cap))),
                            ]),
                        ),
                        ("output", json::decision(&r.decision)),
                    ]),
                ),
                ("momus", json::envelope(&r.momus)),
                (
                    "red_team",
                    obj([
                        ("security", json::envelope(&r.red.security)),
                        ("scope", json::envelope(&r.red.scope)),
                        ("assumptions", json::envelope(&r.red.assumptions)),
                        ("oracle", json::envelope(&r.red.oracle)),
                    ]),
                ),
                ("plan", json::plan(&r.plan)),
            ])
        })
        .collect();
    obj([
        ("strategy", s("temper")),
        ("run_id", s(&input.run_id)),
        ("iteration", Json::Int(i64::from(input.iteration))),
        ("cap", Json::Int(i64::from(cap))),
        ("directives", json::strs(&input.directives)),
        (
            "depth_final",
            exit.map(|r| Json::Int(i64::from(r.depth))).unwrap_or(Json::Null),
        ),
        (
            "depth_scores",
            Json::Arr(records.iter().map(|r| Json::Num(r.score)).collect()),
        ),
        (
            "convergence_reason",
            exit.and_then(|r| r.decision.reason).map(|x| s(anneal_guest::names::convergence_reason(x))).unwrap_or(Json::Null),
        ),
        ("depths", Json::Arr(depths)),
    ])
    .pretty()
}

fn write(path: &str, contents: &str) -> Result<(), String> {
    host::write_artifact(path, contents).map_err(|e| format!("could not write {path}: {e:?}"))
}

impl Guest for Temper {
    fn info() -> StrategyInfo {
        StrategyInfo {
            name: "temper".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Fixed-point deepen: one plan rewritten depth by depth; red team and Momus at every depth; the convergence checker decides when to stop.".into(),
            options: vec![OptionSpec {
                name: "depth".into(),
                description: "Hard cap on the deepen depth (the loop may converge earlier).".into(),
                kind: OptionKind::Integer,
                default_value: DEFAULT_CAP.to_string(),
                min: Some(MIN_CAP),
                max: Some(MAX_CAP),
                below_min: Some("Temper needs a depth of at least 1 (use Cast for a single pass)".into()),
                above_max: Some("the depth cap is at most 5".into()),
            }],
            // docs/design.md §3 invariant 5: Temper resets to depth 0 and re-enters at stage 3.
            reentry: Reentry::Enrich,
        }
    }

    /// Per depth: the planner, the red team (four agents) and Momus. The earliest exit is at
    /// depth 1 (the delta rule needs two scores); the latest at the cap. The last depth's red
    /// team and Momus are on the returned plan, so stage 5 reuses both.
    fn estimate(options: Vec<(String, String)>) -> SpawnEstimate {
        let cap = anneal_guest::options::lookup(&options, "depth")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(DEFAULT_CAP)
            .clamp(MIN_CAP, MAX_CAP) as u32;
        let per_depth = 1 + anneal_guest::RED_TEAM_SPAWNS + 1;
        SpawnEstimate {
            best: 2 * per_depth,
            worst: (cap + 1) * per_depth,
            audits_final_plan: true,
            red_teams_final_plan: true,
            basis: format!(
                "temper: {per_depth} per depth (planner, red team 4, Momus), depths 0..={cap}; earliest exit at depth 1"
            ),
        }
    }

    fn run(input: RunInput) -> Result<StageOutput, String> {
        let cap = anneal_guest::options::integer(&input, "depth", DEFAULT_CAP).clamp(MIN_CAP, MAX_CAP) as u32;
        let dir = prefix(input.iteration);
        let history_path = format!("{dir}depth-history.json");
        let mut records: Vec<DepthRecord> = Vec::new();
        let mut scores: Vec<f64> = Vec::new();
        let mut notes = Vec::new();
        let mut depth: u32 = 0;
        loop {
            host::progress(&if depth == 0 {
                format!("temper: depth 0 (cap {cap}): prometheus-temper writes the seed plan")
            } else {
                format!("temper: depth {depth} (cap {cap}): prometheus-temper rewrites plan {}", depth - 1)
            });
            let plan = host::invoke_agent(&planner_request(depth, records.last(), &scores))
                .map_err(|e| format!("prometheus-temper failed at depth {depth}: {e:?}"))?;
            let plan_file = format!("{dir}plan-depth-{depth}.md");
            write(&plan_file, &anneal_guest::markdown::plan(&plan))?;
            host::progress(&format!("temper: depth {depth}: red team attacks the plan"));
            let red = host::red_team(&plan, Some(depth))
                .map_err(|e| format!("red team failed at depth {depth}: {e:?}"))?;
            host::progress(&format!("temper: depth {depth}: momus scores the plan"));
            let momus = host::momus(&plan, Some(depth))
                .map_err(|e| format!("momus failed at depth {depth}: {e:?}"))?;
            let score = f64::from(
                momus
                    .score
                    .ok_or_else(|| format!("momus returned no score at depth {depth}"))?,
            );
            scores.push(score);
            let decision = host::check_convergence(depth, &scores, cap)
                .map_err(|e| format!("convergence check failed at depth {depth}: {e:?}"))?;
            let line = match (decision.converged, decision.reason) {
                (true, Some(r)) => format!("temper: depth {depth} score {score} → converged ({})", anneal_guest::names::convergence_reason(r)),
                (true, None) => format!("temper: depth {depth} score {score} → converged"),
                (false, _) => format!("temper: depth {depth} score {score} → continue"),
            };
            host::log(LogLevel::Info, &line);
            host::progress(&line);
            notes.push(line);
            records.push(DepthRecord {
                depth,
                plan_file,
                plan,
                momus,
                red,
                score,
                scores_in: scores.clone(),
                decision: decision.clone(),
            });
            if decision.converged {
                break;
            }
            let next = decision.next_depth.unwrap_or(depth + 1);
            // A checker must move forward; anything else would loop forever.
            if next != depth + 1 || depth >= MAX_CAP as u32 {
                write(&history_path, &history(&input, cap, &records, None))?;
                return Err(format!(
                    "the convergence checker did not converge at depth {depth} and asked for depth {next}; Temper needs depth + 1 and stops at {MAX_CAP}"
                ));
            }
            write(&history_path, &history(&input, cap, &records, None))?;
            depth = next;
        }
        let last = records.last().expect("at least one depth ran");
        write(&history_path, &history(&input, cap, &records, Some(last)))?;
        let reason: Option<ConvergenceReason> = last.decision.reason;
        notes.push(format!(
            "temper: iteration {} exited at depth {} of cap {cap}; scores {:?}; history in {history_path}",
            input.iteration, last.depth, scores
        ));
        Ok(StageOutput {
            plan: last.plan.clone(),
            stage_loops: 0,
            depth_final: Some(last.depth),
            depth_scores: scores,
            convergence_reason: reason,
            bias_set: Vec::new(),
            notes,
        })
    }
}

anneal_guest::strategy::export_strategy!(Temper);

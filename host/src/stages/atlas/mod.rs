//! Stage 7, Emit (docs/design.md §2, §4, §8): Atlas writes the two outputs (the `plan/` directory and the
//! XML prompt — both always, docs/design.md §3 invariant 3), the run log, the event log, and
//! `rollup.yaml` last, so a rollup on disk means every other output is there. What Atlas
//! decides (gate arithmetic, emission, the overall verdict) is [`decision`], pure functions.
pub mod decision;

pub use decision::{decide, fold, settle, trinity, Decision, Gates, Reviewed, Settled};

use super::hephaestus::Report;
use super::Tally;
use crate::events::Events;
use crate::model::{Envelope, Plan, ProbeReport, RedTeamReport};
use crate::render::rollup::Rollup;
use crate::rundir::{RunDir, RunDirError};
use crate::runtime::host_impl::RunLog;
use std::collections::BTreeMap;
use std::time::Instant;

/// What Atlas needs to write a run's outputs.
pub struct EmitInput<'a> {
    pub run: &'a RunDir,
    /// Filled in here: `accounting` and `outputs`.
    pub rollup: &'a mut Rollup,
    pub plan: Option<&'a Plan>,
    pub probe: Option<&'a ProbeReport>,
    pub metis: Option<&'a Envelope>,
    pub momus: Option<&'a Envelope>,
    pub red: Option<&'a RedTeamReport>,
    pub heph: Option<&'a Report>,
    /// `{strategy}-{run_id}.xml`.
    pub xml_name: &'a str,
    pub strategy_version: &'a str,
    pub skills: &'a [(String, String)],
    pub log: &'a RunLog,
    pub events: &'a Events,
    pub tally: &'a Tally,
    pub timer_ms: BTreeMap<String, u64>,
    pub started: Instant,
}

/// Writes every output of the run.
///
/// # Errors
/// The first write that failed; `rollup.yaml` is still attempted after a failed plan or XML write.
pub fn emit(input: EmitInput<'_>) -> Result<(), RunDirError> {
    let EmitInput {
        run,
        rollup,
        plan,
        probe,
        metis,
        momus,
        red,
        heph,
        xml_name,
        strategy_version,
        skills,
        log,
        events,
        tally,
        timer_ms,
        started,
    } = input;
    let mut first_err: Option<RunDirError> = None;
    let mut keep = |r: Result<(), RunDirError>| {
        if let Err(e) = r {
            if first_err.is_none() {
                first_err = Some(e);
            }
        }
    };

    let mut reviews: Vec<&Envelope> = Vec::new();
    reviews.extend(metis);
    reviews.extend(momus);
    if let Some(r) = red {
        reviews.extend([&r.security, &r.scope, &r.assumptions, &r.oracle]);
    }
    if let Some(h) = heph {
        reviews.push(&h.envelope);
    }

    // The plan directory.
    let mut plan_files = Vec::new();
    let breakdown = momus.and_then(momus_breakdown);
    if let Some(m) = momus {
        rollup.momus_breakdown = crate::render::rollup::momus_breakdown(m);
    }
    match plan {
        Some(plan) => {
            let header = crate::render::plan_md::Header {
                run_id: &rollup.run_id,
                strategy: &rollup.architecture,
                task: &rollup.task,
                task_kind: rollup.task_kind,
                status: rollup.emission_decision.as_str(),
                overall_verdict: rollup.overall_verdict,
                momus_score: rollup.momus_score,
                momus_breakdown: breakdown.as_deref(),
                hephaestus: rollup
                    .gate_status
                    .hephaestus
                    .as_deref()
                    .unwrap_or("not run"),
            };
            for (path, contents) in crate::render::plan_md::render(plan, &header) {
                keep(run.write(&path, contents.as_bytes()));
                plan_files.push(path);
            }
        }
        None => {
            let text = no_plan_md(rollup);
            keep(run.write("plan/plan.md", text.as_bytes()));
            plan_files.push("plan/plan.md".to_string());
        }
    }

    // The XML prompt.
    let empty_probe = ProbeReport::default();
    let xml = match plan {
        Some(plan) => crate::render::xml::render(&crate::render::xml::XmlInput {
            run_id: &rollup.run_id,
            strategy: &rollup.architecture,
            strategy_version,
            task: &rollup.task,
            task_kind: rollup.task_kind,
            emission: rollup.emission_decision.as_str(),
            overall_verdict: rollup.overall_verdict,
            probe: probe.unwrap_or(&empty_probe),
            directives: metis.map(|m| m.directives.as_slice()).unwrap_or(&[]),
            plan,
            reviews: &reviews,
            skills,
        }),
        None => crate::render::xml::render_no_plan(&crate::render::xml::NoPlan {
            run_id: &rollup.run_id,
            strategy: &rollup.architecture,
            status: rollup.emission_decision.as_str(),
            task: &rollup.task,
            questions: &rollup.clarifying_questions,
            error: rollup.error.as_deref(),
        }),
    };
    keep(run.write(xml_name, xml.as_bytes()));

    // Logs.
    let repairs = tally.repairs();
    if !repairs.is_empty() {
        let each: Vec<String> = repairs.iter().map(|(r, n)| format!("{r} {n}")).collect();
        log.push(format!(
            "[host] agents asked again within their spawn (repairs and retries): {}",
            each.join(", ")
        ));
    }
    keep(run.write("run.log", log.text().as_bytes()));
    keep(run.write("events.jsonl", events.jsonl().as_bytes()));

    // Accounting and the list of outputs, then the rollup.
    // Agent spawns as the budget counts them (engine::tally::Budget): the agent roles only;
    // the probe, Hephaestus and Atlas are the host's own stages (their time is in
    // stage_wall_clock_ms).
    rollup.accounting.spawns_by_agent = tally.spawns();
    rollup.accounting.agent_spawns = rollup.accounting.spawns_by_agent.values().sum();
    rollup.accounting.repairs = repairs.values().sum();
    rollup.accounting.repairs_by_agent = repairs;
    // Every agent's tokens, planners included (the envelopes carry the reviewers' own).
    rollup.accounting.tokens = tally.tokens();
    rollup.accounting.stage_wall_clock_ms = timer_ms;
    rollup.accounting.max_spawns = tally.budget().max_spawns;
    rollup.accounting.max_tokens = tally.budget().max_tokens;
    rollup.accounting.budget = tally.budget().describe();
    rollup.accounting.wall_clock_ms = started.elapsed().as_millis() as u64;
    let mut outputs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    outputs.insert("plan".into(), plan_files);
    outputs.insert("xml".into(), vec![xml_name.to_string()]);
    outputs.insert("reviews".into(), list_dir(run, "reviews"));
    outputs.insert("evidence".into(), list_dir(run, "evidence"));
    if !rollup.guest.artifacts.is_empty() {
        outputs.insert("strategy".into(), rollup.guest.artifacts.clone());
    }
    outputs.insert(
        "logs".into(),
        vec![
            "run.log".into(),
            "events.jsonl".into(),
            "probe-report.yaml".into(),
            "code-index.json".into(),
        ],
    );
    rollup.outputs = outputs;
    let yaml = crate::render::rollup::render(rollup).expect("rollup serializes");
    keep(run.write("rollup.yaml", yaml.as_bytes()));
    match first_err {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What cost the Momus score points, by rubric dimension (docs/design.md §5), when its findings
/// name their dimensions (`"Correctness −10: …"`); `None` when nothing was lost or the envelope
/// does not say.
pub fn momus_breakdown(momus: &Envelope) -> Option<String> {
    let lost: Vec<(plan_rules::rubric::Dimension, u8, f64, usize)> =
        crate::offline::momus::breakdown(&momus.findings)
            .into_iter()
            .filter(|(_, _, l, _)| *l > 0.0)
            .collect();
    (!lost.is_empty()).then(|| crate::offline::momus::breakdown_line(&momus.findings, 4))
}

fn list_dir(run: &RunDir, dir: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(run.path().join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| format!("{dir}/{}", e.file_name().to_string_lossy()))
                .filter(|n| !n.contains("/.tmp-"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// `plan/plan.md` when there is no plan: why, and what the user can do.
fn no_plan_md(r: &Rollup) -> String {
    let mut s = format!(
        "# No plan — {}\n\n- run: `{}`\n- strategy: {}\n- status: {}\n- task: {}\n\n",
        r.emission_decision.as_str(),
        r.run_id,
        r.architecture,
        r.emission_decision.as_str(),
        r.task.replace('\n', " ")
    );
    if !r.clarifying_questions.is_empty() {
        s.push_str("Metis blocked the task: it cannot be planned as written. Answer these questions in a more specific task and run again:\n\n");
        for q in &r.clarifying_questions {
            s.push_str(&format!("1. {}\n", q.replace('\n', " ")));
        }
    }
    if let Some(e) = &r.error {
        s.push_str(&format!(
            "The run stopped on an error:\n\n    {}\n",
            e.replace('\n', "\n    ")
        ));
    }
    s.lines()
        .take(crate::render::plan_md::MAX_OVERVIEW_LINES)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

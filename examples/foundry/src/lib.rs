//! Foundry: an example third-party anneal strategy (stage 4, docs/design.md §2).
//!
//! Casts several candidate plans at once — one `prometheus-cast` plan and `prometheus-alloy`
//! plans through bias lenses — with a single `invoke-batch` call, has Momus audit each
//! candidate, keeps the highest-scoring one (ties: the less severe verdict, then the earlier
//! candidate) and writes `foundry-report.md` explaining the choice.
//!
//! Written as a third party writes a strategy: on the guest SDK (`anneal-guest`, the crate
//! `anneal new strategy` copies into a new project) and nothing else of anneal's.
use std::fmt::Write as _;

use anneal_guest::host::{self, LogLevel};
use anneal_guest::names::verdict as verdict_name;
use anneal_guest::strategy::Guest;
use anneal_guest::types::{
    AgentRequest, Envelope, OptionKind, OptionSpec, Plan, Reentry, RunInput, SpawnEstimate,
    StageOutput, StrategyInfo, Verdict,
};

/// The lenses of the `prometheus-alloy` candidates, in order (candidate 1 is `prometheus-cast`).
const LENSES: [&str; 2] = ["defensive", "minimalist"];
const MIN_CANDIDATES: i64 = 2;
const MAX_CANDIDATES: i64 = 3;

struct Foundry;

/// One candidate: who was asked, and what came back.
struct Candidate {
    label: String,
    plan: Plan,
    momus: Envelope,
}

fn severity_rank(v: Verdict) -> u8 {
    match v {
        Verdict::Safe => 0,
        Verdict::Caution => 1,
        Verdict::Risky => 2,
        Verdict::Block => 3,
    }
}

/// The `candidates` option: the host already validated it against `info()`, so it is present
/// and in range; parsing is still checked rather than trusted.
fn candidates(options: &[(String, String)]) -> Result<usize, String> {
    let n = anneal_guest::options::integer(options, "candidates", MIN_CANDIDATES);
    if !(MIN_CANDIDATES..=MAX_CANDIDATES).contains(&n) {
        return Err(format!(
            "candidates must be {MIN_CANDIDATES}-{MAX_CANDIDATES}, got {n}"
        ));
    }
    Ok(n as usize)
}

/// Index of the best candidate: highest Momus score, then the less severe verdict, then the
/// earlier candidate.
fn best(cands: &[Candidate]) -> usize {
    let mut best = 0;
    for (i, c) in cands.iter().enumerate().skip(1) {
        let b = &cands[best];
        let (cs, bs) = (c.momus.score.unwrap_or(0), b.momus.score.unwrap_or(0));
        if cs > bs || (cs == bs && severity_rank(c.momus.verdict) < severity_rank(b.momus.verdict))
        {
            best = i;
        }
    }
    best
}

fn report(input: &RunInput, cands: &[Candidate], chosen: usize) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Foundry report\n");
    let _ = writeln!(s, "Task: {}\n", input.task);
    let _ = writeln!(
        s,
        "Foundry cast {} candidate plans in one batch and had Momus audit each.\n",
        cands.len()
    );
    let _ = writeln!(
        s,
        "| # | Candidate | Phases | Momus score | Verdict | Findings |"
    );
    let _ = writeln!(
        s,
        "|---|-----------|--------|-------------|---------|----------|"
    );
    for (i, c) in cands.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {}{} | {} | {} | {} | {} |",
            i + 1,
            c.label,
            if i == chosen { " (chosen)" } else { "" },
            c.plan.phases.len(),
            c.momus
                .score
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
            verdict_name(c.momus.verdict),
            c.momus.findings.len()
        );
    }
    let c = &cands[chosen];
    let _ = writeln!(
        s,
        "\n## Why {}\n\nIt has the highest Momus score ({}); ties go to the less severe verdict, then \
         to the earlier candidate. Momus said: {}\n",
        c.label,
        c.momus.score.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
        c.momus.summary
    );
    if !c.momus.findings.is_empty() {
        let _ = writeln!(s, "Open findings on the chosen plan:\n");
        for f in &c.momus.findings {
            let _ = writeln!(s, "- {}: {}", f.location, f.demand);
        }
    }
    s
}

impl Guest for Foundry {
    fn info() -> StrategyInfo {
        StrategyInfo {
            name: "foundry".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Example third-party strategy: casts 2-3 candidate plans in one batch, Momus audits each, the highest score wins.".into(),
            options: vec![OptionSpec {
                name: "candidates".into(),
                description: "Candidate plans cast at once (prometheus-cast, then prometheus-alloy with the defensive and minimalist lenses).".into(),
                kind: OptionKind::Integer,
                default_value: "2".into(),
                min: Some(MIN_CANDIDATES),
                max: Some(MAX_CANDIDATES),
                below_min: Some("foundry compares plans: use the cast strategy for a single planner".into()),
                above_max: None,
            }],
            // A failed iteration re-enters at stage 3: Metis folds the failures into new
            // directives before Foundry casts again.
            reentry: Reentry::Enrich,
        }
    }

    /// One batch of N planners, then Momus on each candidate; the chosen plan's audit is
    /// reused by the host at stage 5.
    fn estimate(options: Vec<(String, String)>) -> SpawnEstimate {
        let n = candidates(&options).unwrap_or(MIN_CANDIDATES as usize) as u32;
        SpawnEstimate {
            best: 2 * n,
            worst: 2 * n,
            audits_final_plan: true,
            red_teams_final_plan: false,
            basis: format!("foundry: {n} candidate planners + Momus on each"),
        }
    }

    fn run(input: RunInput) -> Result<StageOutput, String> {
        let n = candidates(&input.options)?;
        let mut requests = vec![AgentRequest::new("prometheus-cast")];
        let mut labels = vec!["prometheus-cast".to_string()];
        for lens in LENSES.iter().take(n - 1) {
            requests.push(AgentRequest::new("prometheus-alloy").with_lens(*lens));
            labels.push(format!("prometheus-alloy/{lens}"));
        }
        host::progress(&format!(
            "foundry: casting {n} candidate plans in one batch"
        ));
        let results = host::invoke_batch(&requests);
        let mut cands = Vec::new();
        for (label, result) in labels.into_iter().zip(results) {
            match result {
                Ok(plan) => {
                    host::progress(&format!("foundry: momus is auditing {label}"));
                    let momus = host::momus(&plan, None)
                        .map_err(|e| format!("momus failed on {label}: {e}"))?;
                    cands.push(Candidate { label, plan, momus });
                }
                Err(e) => host::log(
                    LogLevel::Warn,
                    &format!("foundry: {label} produced no plan ({e})"),
                ),
            }
        }
        if cands.is_empty() {
            return Err("foundry: no candidate produced a plan".into());
        }
        let chosen = best(&cands);
        host::write_artifact("foundry-report.md", &report(&input, &cands, chosen))
            .map_err(|e| format!("writing foundry-report.md: {e}"))?;
        let notes = cands
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "foundry: {} scored {} ({}){}",
                    c.label,
                    c.momus
                        .score
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    verdict_name(c.momus.verdict),
                    if i == chosen { ", chosen" } else { "" }
                )
            })
            .collect();
        let c = cands.swap_remove(chosen);
        host::log(LogLevel::Info, &format!("foundry: chose {}", c.label));
        Ok(StageOutput {
            plan: c.plan,
            stage_loops: 0,
            depth_final: None,
            depth_scores: Vec::new(),
            convergence_reason: None,
            bias_set: Vec::new(),
            notes,
        })
    }
}

anneal_guest::strategy::export_strategy!(Foundry);

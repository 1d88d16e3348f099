//! The report's sections, each an HTML fragment (empty when the run has nothing for it).
use super::{charts, esc, read};
use crate::history::Record;
use serde_json::Value as Json;
use serde_yaml::Value as Yaml;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// Most reviews and findings listed (a hostile run directory could hold millions).
const MAX_ROWS: usize = 200;

fn verdict(v: &str) -> String {
    format!("<span class=\"{0}\">{0}</span>", esc(v))
}

/// A chart in a `<figure>`. The SVG namespace attribute is dropped: HTML's parser puts an
/// inline `<svg>` in that namespace itself, and the page then names no URL at all.
fn chart(svg: Result<String, String>) -> String {
    match svg {
        Ok(s) => format!(
            "<figure>{}</figure>",
            s.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        ),
        Err(e) => format!("<p class=\"note\">{}</p>", esc(&e)),
    }
}

/// A link to `rel` inside the run directory when it exists and is a safe relative path.
fn link(dir: &Path, rel: &str) -> String {
    if crate::rundir::check_rel_path(rel).is_ok() && dir.join(rel).is_file() {
        format!("<a href=\"{0}\">{0}</a>", esc(rel))
    } else {
        String::new()
    }
}

fn s<'a>(v: &'a Yaml, key: &str) -> &'a str {
    v.get(key).and_then(Yaml::as_str).unwrap_or("")
}

/// Header: the run, the task, the decision.
pub fn summary(run: &Record, rollup: &Yaml) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<h1>anneal run <code>{}</code></h1><table>\
         <tr><th>task</th><td>{}</td></tr><tr><th>strategy</th><td>{} {}</td></tr>\
         <tr><th>decision</th><td>{} — overall verdict {}</td></tr>\
         <tr><th>agents</th><td>{}</td></tr>\
         <tr><th>iterations</th><td>{}</td></tr><tr><th>wall-clock</th><td>{:.2} s</td></tr>",
        esc(&run.run_id),
        esc(&run.task),
        esc(&run.strategy),
        esc(&run.options_text()),
        verdict(&run.emission_decision),
        verdict(&run.overall_verdict),
        esc(s(rollup, "agents")),
        run.iterations,
        run.wall_clock_ms as f64 / 1000.0,
    );
    for key in ["stop_reason", "error"] {
        if !s(rollup, key).is_empty() {
            let _ = write!(h, "<tr><th>{key}</th><td>{}</td></tr>", esc(s(rollup, key)));
        }
    }
    h.push_str("</table>");
    h
}

/// The agent calls of `events.jsonl` as bars (a start and the next finish of the same agent,
/// iteration and depth), and when each iteration began.
pub fn bars(events: &str) -> (Vec<charts::Bar>, Vec<(u32, u64)>) {
    type Key = (String, u32, Option<u64>);
    let mut open: BTreeMap<Key, Vec<u64>> = BTreeMap::new();
    let mut bars = Vec::new();
    let mut iterations: BTreeMap<u32, u64> = BTreeMap::new();
    let mut last = 0;
    for e in events
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
    {
        let t = e.get("t_ms").and_then(Json::as_u64).unwrap_or(0);
        let agent = e.get("agent").and_then(Json::as_str).unwrap_or("?");
        let iteration = e.get("iteration").and_then(Json::as_u64).unwrap_or(1) as u32;
        let key = (
            agent.to_string(),
            iteration,
            e.get("depth").and_then(Json::as_u64),
        );
        last = last.max(t);
        iterations
            .entry(iteration)
            .and_modify(|s| *s = (*s).min(t))
            .or_insert(t);
        match e.get("event").and_then(Json::as_str) {
            Some("start") => open.entry(key).or_default().push(t),
            Some("finish") => {
                if let Some(starts) = open.get_mut(&key).filter(|s| !s.is_empty()) {
                    let start_ms = starts.remove(0);
                    bars.push(charts::Bar {
                        agent: key.0,
                        iteration,
                        start_ms,
                        end_ms: t,
                        lane: 0,
                    });
                }
            }
            _ => {}
        }
    }
    // Calls that never finished (the run stopped) end at the last event.
    for ((agent, iteration, _), starts) in open {
        for start_ms in starts {
            bars.push(charts::Bar {
                agent: agent.clone(),
                iteration,
                start_ms,
                end_ms: last,
                lane: 0,
            });
        }
    }
    charts::assign_lanes(&mut bars);
    (bars, iterations.into_iter().collect())
}

/// The stage timeline.
pub fn timeline(dir: &Path) -> String {
    let Some(events) = read(dir, "events.jsonl") else {
        return "<h2>Timeline</h2><p class=\"note\">no events.jsonl</p>".into();
    };
    let (bars, iterations) = bars(&events);
    let peak = bars.iter().map(|b| b.lane + 1).max().unwrap_or(0);
    let mut roles: Vec<&str> = bars.iter().map(|b| b.agent.as_str()).collect();
    roles.sort_unstable();
    roles.dedup();
    let legend: String = roles
        .iter()
        .take(MAX_ROWS)
        .map(|r| {
            format!(
                "<span style=\"margin-right:1em\"><span style=\"display:inline-block;width:.8em;height:.8em;background:{}\"></span> {}</span>",
                charts::colour_hex(r),
                esc(r)
            )
        })
        .collect();
    let begins: Vec<String> = iterations
        .iter()
        .map(|(i, t)| format!("iteration {i} at {t} ms"))
        .collect();
    format!(
        "<h2>Timeline</h2><p>{} agent calls; at most {peak} at once. Each bar is one call, \
         from its start to its finish (<a href=\"events.jsonl\">events.jsonl</a>); the black \
         rules are where an iteration began ({}).</p><p>{legend}</p>{}",
        bars.len(),
        begins.join(", "),
        chart(charts::timeline(&bars, &iterations))
    )
}

/// The depth histories Temper wrote: `(iteration, history)`, the first iteration's at the
/// top of the run directory, the others under `iteration-N/`.
fn depth_histories(dir: &Path) -> Vec<(u32, Json)> {
    let mut out = Vec::new();
    for i in 1..=64u32 {
        let rel = if i == 1 {
            "depth-history.json".to_string()
        } else {
            format!("iteration-{i}/depth-history.json")
        };
        if let Some(h) = read(dir, &rel).and_then(|t| serde_json::from_str(&t).ok()) {
            out.push((i, h));
        } else if i > 1 {
            break;
        }
    }
    out
}

/// Points of a chart series: (depth, value).
type Series = Vec<(f64, f64)>;

/// Delta (|s_d − s_{d−1}|) and the variance of the three highest scores, per depth.
pub fn convergence_figures(scores: &[f64]) -> (Series, Series) {
    let delta = (1..scores.len())
        .map(|d| (d as f64, (scores[d] - scores[d - 1]).abs()))
        .collect();
    let variance = (2..scores.len())
        .map(|d| {
            let mut top: Vec<f64> = scores[..=d].to_vec();
            top.sort_by(|a, b| b.total_cmp(a));
            top.truncate(3);
            let mean = top.iter().sum::<f64>() / top.len() as f64;
            let var = top.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / top.len() as f64;
            (d as f64, var)
        })
        .collect();
    (delta, variance)
}

/// Temper: the score per depth, and delta and variance against the presets' thresholds.
pub fn temper(dir: &Path) -> String {
    let histories = depth_histories(dir);
    if histories.is_empty() {
        return String::new();
    }
    let mut scores = Vec::new();
    let mut figures = Vec::new();
    let mut rows = String::new();
    for (i, h) in &histories {
        let s: Vec<f64> = h
            .get("depth_scores")
            .and_then(Json::as_array)
            .map(|a| a.iter().filter_map(Json::as_f64).collect())
            .unwrap_or_default();
        scores.push((
            format!("iteration {i}"),
            s.iter().enumerate().map(|(d, v)| (d as f64, *v)).collect(),
        ));
        let (delta, variance) = convergence_figures(&s);
        figures.push((format!("iteration {i}: delta"), delta));
        if !variance.is_empty() {
            figures.push((format!("iteration {i}: variance"), variance));
        }
        for d in h
            .get("depths")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .take(MAX_ROWS)
        {
            let out = d.pointer("/convergence/output");
            let _ = write!(
                rows,
                "<tr><td>{i}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                d.get("depth").and_then(Json::as_u64).unwrap_or(0),
                d.get("score").map(|v| v.to_string()).unwrap_or_default(),
                out.and_then(|o| o.get("converged"))
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                esc(out
                    .and_then(|o| o.get("reason"))
                    .and_then(Json::as_str)
                    .unwrap_or("-")),
            );
        }
    }
    let rules = [
        ("strict: delta < 0.15".to_string(), 0.15),
        ("strict: variance < 0.3".to_string(), 0.3),
        ("loose: delta ≤ 2".to_string(), 2.0),
        ("loose: variance ≤ 3".to_string(), 3.0),
    ];
    format!(
        "<h2>Temper: score per depth</h2>{}<h3>Convergence figures</h3>\
         <p class=\"note\">The checker converges when delta or the variance of the three highest \
         scores falls under its threshold (docs/design.md §2); both presets' thresholds are drawn.</p>{}\
         <table><tr><th>iteration</th><th>depth</th><th>score</th><th>converged</th><th>reason</th></tr>{rows}</table>",
        chart(charts::lines(&scores, &[], "depth", "Momus score")),
        chart(charts::lines(&figures, &rules, "depth", "delta / variance")),
    )
}

/// Every reviewer's verdict and findings (`reviews/*.yaml`), final envelopes first.
pub fn reviews(dir: &Path) -> String {
    let mut files: Vec<String> = std::fs::read_dir(dir.join("reviews"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".yaml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort_by_key(|n| (n.contains("-envelope-"), n.clone()));
    let mut h = String::from("<h2>Verdicts and findings</h2>");
    if files.is_empty() {
        h.push_str("<p class=\"note\">no reviews</p>");
    }
    for name in files.iter().take(MAX_ROWS) {
        let rel = format!("reviews/{name}");
        let Some(env) = read(dir, &rel).and_then(|t| serde_yaml::from_str::<Yaml>(&t).ok()) else {
            let _ = write!(h, "<p class=\"note\">{} is unreadable</p>", esc(&rel));
            continue;
        };
        let score = env
            .get("score")
            .and_then(Yaml::as_u64)
            .map(|s| format!(" · score {s}"))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<h3>{} — {}{score}</h3><p>{} <span class=\"note\">({})</span></p>",
            esc(s(&env, "agent")),
            verdict(s(&env, "verdict")),
            esc(s(&env, "summary")),
            link(dir, &rel)
        );
        let findings = env.get("findings").and_then(Yaml::as_sequence);
        if let Some(f) = findings.filter(|f| !f.is_empty()) {
            h.push_str(
                "<table><tr><th>severity</th><th>location</th><th>concern</th><th>demand</th></tr>",
            );
            for x in f.iter().take(MAX_ROWS) {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(s(x, "severity")),
                    esc(s(x, "location")),
                    esc(s(x, "concern")),
                    esc(s(x, "demand"))
                );
            }
            h.push_str("</table>");
        }
    }
    h
}

/// The gates and where their evidence is.
pub fn gates(run: &Record, rollup: &Yaml) -> String {
    let dir = &run.dir;
    let evidence: Vec<String> = rollup
        .get("outputs")
        .and_then(|o| o.get("evidence"))
        .and_then(Yaml::as_sequence)
        .map(|e| {
            e.iter()
                .filter_map(Yaml::as_str)
                .map(|p| link(dir, p))
                .collect()
        })
        .unwrap_or_default();
    let g = &run.gate_status;
    let get = |k: &str| g.get(k).and_then(Json::as_str).unwrap_or("-").to_string();
    let rows = [
        (
            "Metis (stage 1)",
            get("metis"),
            link(dir, "reviews/metis.yaml"),
        ),
        (
            "Momus (stage 4)",
            get("momus"),
            link(dir, "reviews/momus.yaml"),
        ),
        (
            "red team (stage 5)",
            get("red_team_trinity"),
            ["security", "scope", "assumptions"]
                .map(|r| link(dir, &format!("reviews/redteam-{r}.yaml")))
                .join(" "),
        ),
        (
            "Oracle (stage 5)",
            get("oracle"),
            link(dir, "reviews/oracle.yaml"),
        ),
        (
            "Hephaestus (stage 6)",
            get("hephaestus"),
            format!(
                "{} {}",
                link(dir, "reviews/hephaestus.yaml"),
                evidence.join(" ")
            ),
        ),
    ];
    let mut h = String::from(
        "<h2>Gates</h2><table><tr><th>gate</th><th>verdict</th><th>evidence</th></tr>",
    );
    for (name, v, ev) in rows {
        let shown = match v.split_whitespace().last() {
            Some(last @ ("PASS" | "FAIL")) if v.contains('/') => {
                format!("{} {}", esc(&v[..v.len() - last.len()]), verdict(last))
            }
            _ => verdict(&v),
        };
        let _ = write!(h, "<tr><td>{name}</td><td>{shown}</td><td>{ev}</td></tr>");
    }
    h.push_str("</table>");
    h
}

/// Spawns and tokens against the run's budget, and the spawns per agent.
pub fn budget(run: &Record, rollup: &Yaml) -> String {
    let acc = rollup.get("accounting").cloned().unwrap_or_default();
    let limit = |k: &str| {
        acc.get(k)
            .and_then(Yaml::as_u64)
            .map(|v| v.to_string())
            .unwrap_or_else(|| "no limit".into())
    };
    let by_agent: Vec<(String, f64)> = acc
        .get("spawns_by_agent")
        .and_then(Yaml::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_u64()? as f64)))
                .take(MAX_ROWS)
                .collect()
        })
        .unwrap_or_default();
    format!(
        "<h2>Spawns and tokens</h2><table><tr><th></th><th>used</th><th>budget</th></tr>\
         <tr><td>agent spawns</td><td>{}</td><td>{}</td></tr>\
         <tr><td>tokens</td><td>{}</td><td>{}</td></tr></table>{}",
        run.agent_spawns,
        limit("max_spawns"),
        run.tokens,
        limit("max_tokens"),
        if by_agent.is_empty() {
            String::new()
        } else {
            chart(charts::bars(&by_agent, "agent spawns"))
        }
    )
}

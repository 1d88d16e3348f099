//! The localization bench's outputs: the side-by-side tables and the per-case files.
use super::corpus::Case;
use anneal::eval::{CaseScore, Summary};
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// Name of the baseline in the tables.
pub const BASELINE: &str = "bm25-top3";

/// What one system (a strategy or the baseline) did on one case.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Outcome {
    pub system: String,
    pub score: CaseScore,
    /// The run failed for another reason than a refusal (the case scores as a miss).
    pub error: Option<String>,
    pub ms: u64,
    /// The run directory (strategies only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_dir: Option<String>,
}

/// One case (as `cases.json` has it) with every system's outcome.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseResult {
    #[serde(flatten)]
    pub case: Case,
    pub results: Vec<Outcome>,
    /// Place of the first truly modified source file in the code index's ranking (1-based),
    /// `None` when it is not ranked.
    pub rank: Option<usize>,
    /// The code index's ranked source files with their scores.
    pub ranked: Vec<(String, f64)>,
    /// The code index's ranked symbols, `path: name`.
    pub ranked_symbols: Vec<String>,
}

/// Depths of the ranking table.
const DEPTHS: [usize; 5] = [1, 3, 5, 10, 20];

/// The ranking table: per group, the share of cases with a truly modified file within the top
/// k of the code index's ranking, for each k of [`DEPTHS`].
fn ranking(results: &[CaseResult]) -> String {
    let mut out = String::from("| split | cases | ");
    out.push_str(
        &DEPTHS
            .iter()
            .map(|k| format!("top {k}"))
            .collect::<Vec<_>>()
            .join(" | "),
    );
    out.push_str(" |\n|---|");
    out.push_str(&"---:|".repeat(DEPTHS.len() + 1));
    out.push('\n');
    for name in ["all", "dev", "holdout"] {
        let kept: Vec<&CaseResult> = results
            .iter()
            .filter(|r| name == "all" || r.case.split == name)
            .collect();
        if kept.is_empty() {
            continue;
        }
        out.push_str(&format!("| {name} | {} |", kept.len()));
        for k in DEPTHS {
            let within = kept
                .iter()
                .filter(|r| r.rank.is_some_and(|n| n <= k))
                .count();
            out.push_str(&format!(
                " {} |",
                pct(Some(within as f64 / kept.len() as f64))
            ));
        }
        out.push('\n');
    }
    out
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.1} %", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

/// Summaries per system, in `systems` order, of the results that `keep` selects.
fn summaries(
    results: &[CaseResult],
    systems: &[String],
    keep: impl Fn(&CaseResult) -> bool,
) -> Vec<(String, Summary)> {
    systems
        .iter()
        .map(|sys| {
            let mut s = Summary::default();
            for r in results.iter().filter(|r| keep(r)) {
                if let Some(o) = r.results.iter().find(|o| &o.system == sys) {
                    s.add(&o.score);
                }
            }
            (sys.clone(), s)
        })
        .collect()
}

/// The side-by-side table of `rows` (Markdown, so it can go into BENCHMARKS.md as printed).
pub fn table(rows: &[(String, Summary)], label: &str) -> String {
    let mut out = format!(
        "| {label} | cases | modified file named | precision of named files | files named per plan | changed symbols named | ≥ 1 symbol named | refused |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for (name, s) in rows {
        let refused = if name.ends_with(BASELINE) {
            "-".into()
        } else {
            pct(s.refusal_rate())
        };
        out.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {refused} |\n",
            s.cases,
            pct(s.hit_rate()),
            pct(s.precision()),
            s.named_per_plan()
                .map(|v| format!("{v:.2}"))
                .unwrap_or_else(|| "-".into()),
            pct(s.symbol_share()),
            pct(s.symbol_any_rate()),
        ));
    }
    out
}

/// The whole report: the chosen split's table, then one per language (and per split when
/// both are shown).
pub fn render(results: &[CaseResult], systems: &[String], split: &str) -> String {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for r in results {
        *counts.entry((&r.case.split, &r.case.language)).or_default() += 1;
    }
    let mut out = format!("Localization, split {split}: {} cases (", results.len());
    out.push_str(
        &counts
            .iter()
            .map(|((sp, l), n)| format!("{sp} {l} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    out.push_str(")\n\n");
    out.push_str(&table(&summaries(results, systems, |_| true), "system"));
    if split == "all" {
        for sp in ["dev", "holdout"] {
            if !results.iter().any(|r| r.case.split == sp) {
                continue;
            }
            out.push_str(&format!("\nsplit {sp}\n\n"));
            out.push_str(&table(
                &summaries(results, systems, |r| r.case.split == sp),
                "system",
            ));
        }
    }
    let mut languages: Vec<&str> = results.iter().map(|r| r.case.language.as_str()).collect();
    languages.sort();
    languages.dedup();
    out.push_str("\nper language\n\n");
    let mut rows = Vec::new();
    for l in languages {
        for (sys, s) in summaries(results, systems, |r| r.case.language == l) {
            rows.push((format!("{l} · {sys}"), s));
        }
    }
    out.push_str(&table(&rows, "language · system"));
    out.push_str(
        "\nranking ceiling (a truly modified source file within the code index's top k)\n\n",
    );
    out.push_str(&ranking(results));
    let errors: usize = results
        .iter()
        .flat_map(|r| &r.results)
        .filter(|o| o.error.is_some())
        .count();
    if errors > 0 {
        out.push_str(&format!(
            "\n{errors} run(s) failed for another reason than a refusal (scored as misses; see cases.csv)\n"
        ));
    }
    out
}

/// Writes `cases.json` (everything), `cases.csv` (one row per case and system) and
/// `summary.md` (the report) into `dir`, each atomically.
///
/// # Errors
/// The directory or a file cannot be written.
pub fn write(dir: &Path, results: &[CaseResult], report: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let json = serde_json::to_vec_pretty(results)?;
    atomic(dir, "cases.json", &json)?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "case",
        "repo",
        "language",
        "split",
        "system",
        "refused",
        "error",
        "hit",
        "named",
        "correct",
        "symbols_named",
        "symbols_total",
        "ms",
        "index_rank",
    ])?;
    for r in results {
        for o in &r.results {
            let s = &o.score;
            csv.write_record([
                r.case.id.clone(),
                r.case.repo.clone(),
                r.case.language.clone(),
                r.case.split.clone(),
                o.system.clone(),
                s.refused.to_string(),
                o.error.clone().unwrap_or_default(),
                s.hit().to_string(),
                s.named.join(" "),
                s.correct.join(" "),
                s.symbols_named.join(" "),
                s.symbols_total.to_string(),
                o.ms.to_string(),
                r.rank.map(|n| n.to_string()).unwrap_or_default(),
            ])?;
        }
    }
    atomic(dir, "cases.csv", &csv.into_inner()?)?;
    atomic(dir, "summary.md", report.as_bytes())
}

fn atomic(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let mut f = tempfile::NamedTempFile::new_in(dir)?;
    f.write_all(bytes)?;
    f.persist(dir.join(name))
        .with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    Ok(())
}

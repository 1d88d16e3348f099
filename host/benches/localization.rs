//! Localization benchmark (issue 10, "How it is measured"): do the plans point at the code that a
//! real commit changed?
//!
//! For each case of `host/benches/localization/cases.json` (task = a commit's subject, repository
//! = its parent, ground truth = the source files and definitions the commit changed; mined by
//! `scripts/locbench/mine.py`), the parent commit is materialized from the corpus's bare clone
//! and the pipeline runs on it with the offline engine through stage 4 only
//! ([`pipeline::Config::plan_only`]: intent gate, probe, Metis, the strategy's plan; no red team,
//! no Hephaestus, nothing from the repository runs), once per bundled strategy. Each plan is
//! scored with [`anneal::eval`]; so is a plain BM25 top-3 baseline on the same cases. The tables
//! print side by side, for the chosen split and per language; `--out DIR` keeps per-case
//! `cases.json`, `cases.csv`, `summary.md` and the run directories.
//!
//! Run (see BENCHMARKS.md, "Localization (issue 10)"):
//! `cargo bench -p anneal --bench localization -- --corpus /work/corpus [--split holdout|dev|all]
//! [--strategies cast,alloy,temper] [--out DIR] [--jobs 1|2] [--case ID]... [--limit N]`
#[path = "localization/corpus.rs"]
mod corpus;
#[path = "localization/report.rs"]
mod report;

use anneal::eval::{CaseScore, Classifier, PathRules};
use anneal::pipeline::{self, Config};
use anneal::stages::probe;
use anyhow::{bail, Context, Result};
use clap::Parser;
use corpus::Case;
use futures::StreamExt;
use report::{CaseResult, Outcome, BASELINE};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/localization");

#[derive(Parser, Debug)]
#[command(
    name = "localization",
    about = "Scores the plans of the bundled strategies (offline engine, stages 1-4) against real commits, beside a BM25 top-3 baseline"
)]
struct Args {
    /// Corpus directory: `repos/<owner>__<name>.git` bare clones (see BENCHMARKS.md).
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Which cases: the held-out repositories, the tuning ones, or all.
    #[arg(long, default_value = "all", value_parser = ["holdout", "dev", "all"])]
    split: String,
    /// Strategies to run, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "cast,alloy,temper")]
    strategies: Vec<String>,
    /// Directory for cases.json, cases.csv, summary.md and the run directories.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Cases run at once (the machine has 2 cores).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    jobs: u8,
    /// Only these case ids (repeatable).
    #[arg(long = "case")]
    cases: Vec<String>,
    /// At most this many cases (after the other filters, in file order).
    #[arg(long)]
    limit: Option<usize>,
    /// Where materialized parent commits are cached (default `<corpus>/.locbench-cache`).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Case file (default: the committed one).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/localization/cases.json"))]
    case_file: PathBuf,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// What every case shares.
struct Bench {
    corpus: PathBuf,
    cache: PathBuf,
    classifier: Classifier,
    strategies: Vec<String>,
    runs_root: PathBuf,
    home: PathBuf,
}

fn main() {
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("localization bench: {e:#}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<()> {
    let Some(corpus) = args.corpus.clone() else {
        bail!("no --corpus given: pass the directory holding repos/<owner>__<name>.git (BENCHMARKS.md, \"Localization (issue 10)\", says how to build it)");
    };
    let rules: PathRules = serde_json::from_str(
        &std::fs::read_to_string(Path::new(DATA).join("rules.json")).context("rules.json")?,
    )
    .context("rules.json is not valid")?;
    let mut cases = corpus::load_cases(&args.case_file)?;
    cases.retain(|c| {
        (args.split == "all" || c.split == args.split)
            && (args.cases.is_empty() || args.cases.contains(&c.id))
    });
    cases.truncate(args.limit.unwrap_or(usize::MAX));
    if cases.is_empty() {
        bail!("no case selected (check --split, --case and --limit)");
    }
    let scratch = tempfile::tempdir()?;
    let runs_root = match &args.out {
        Some(o) => o.join("runs"),
        None => scratch.path().join("runs"),
    };
    let home = scratch.path().join("home");
    std::fs::create_dir_all(&home)?;
    let bench = Arc::new(Bench {
        cache: args
            .cache
            .clone()
            .unwrap_or_else(|| corpus.join(".locbench-cache")),
        corpus,
        classifier: Classifier::new(&rules).context("a pattern of rules.json")?,
        strategies: args.strategies.clone(),
        runs_root,
        home,
    });
    let started = Instant::now();
    let total = cases.len();
    let rt = tokio::runtime::Runtime::new()?;
    let results: Vec<CaseResult> = rt.block_on(async {
        futures::stream::iter(cases.into_iter().enumerate())
            .map(|(i, case)| {
                let bench = bench.clone();
                async move { run_case(&bench, &case, i + 1, total).await }
            })
            .buffered(usize::from(args.jobs))
            .collect::<Vec<_>>()
            .await
    });
    let mut systems = bench.strategies.clone();
    systems.push(BASELINE.into());
    let text = report::render(&results, &systems, &args.split);
    println!("{text}");
    println!(
        "{} cases in {:.0} s",
        results.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(out) = &args.out {
        report::write(out, &results, &text)?;
        println!("per-case results in {}", out.display());
    }
    Ok(())
}

/// Runs every strategy and the baseline on one case. A case whose parent cannot be
/// materialized stops the bench (the corpus is incomplete); a run that fails is recorded.
async fn run_case(bench: &Bench, case: &Case, n: usize, total: usize) -> CaseResult {
    let truth = case.truth();
    let (corpus, cache, c2) = (bench.corpus.clone(), bench.cache.clone(), case.clone());
    let root = tokio::task::spawn_blocking(move || corpus::materialize(&corpus, &cache, &c2))
        .await
        .expect("materialize panicked")
        .unwrap_or_else(|e| {
            eprintln!("localization bench: case {}: {e:#}", case.id);
            std::process::exit(2)
        });
    let mut results = Vec::new();
    for strategy in &bench.strategies {
        let o = run_strategy(bench, case, &root, strategy, &truth).await;
        eprintln!(
            "[{n}/{total}] {} {strategy}: {}named {}, right {}, symbols {}/{}{} ({} ms)",
            case.id,
            if o.score.refused { "REFUSED, " } else { "" },
            o.score.named.len(),
            o.score.correct.len(),
            o.score.symbols_named.len(),
            o.score.symbols_total,
            o.error
                .as_deref()
                .map(|e| format!(", error: {e}"))
                .unwrap_or_default(),
            o.ms
        );
        results.push(o);
    }
    results.push(baseline(bench, case, &root, &truth).await);
    let (ranked, ranked_symbols) = ranking(bench, case, &root).await;
    let rank = ranked
        .iter()
        .position(|(p, _)| truth.files.contains(p))
        .map(|i| i + 1);
    CaseResult {
        case: case.clone(),
        results,
        rank,
        ranked,
        ranked_symbols,
    }
}

/// The code index's ranked files for the task ([`anneal::index::resolve`], at most
/// `resolve::MAX_FILES`), source files only (test files and what is not source skipped), with
/// their scores: what a plan built from the ranking can name at best; and its ranked symbols
/// (`path: name`).
async fn ranking(bench: &Bench, case: &Case, root: &Path) -> (Vec<(String, f64)>, Vec<String>) {
    let (classifier, root2, task) = (
        bench.classifier.clone(),
        root.to_path_buf(),
        case.task.clone(),
    );
    let opts = probe::ProbeOptions {
        home: Some(bench.home.clone()),
        ..Default::default()
    };
    tokio::task::spawn_blocking(move || {
        let Ok(index) = probe::index_repository(&root2, &opts) else {
            return (Vec::new(), Vec::new());
        };
        let r = anneal::index::resolve(&index, &task);
        let files = r
            .files
            .into_iter()
            .filter(|f| corpus::is_source(&classifier, &root2, &f.path))
            .map(|f| (f.path, f.score))
            .collect();
        let symbols = r
            .symbols
            .into_iter()
            .map(|s| format!("{}: {}", s.path, s.name))
            .collect();
        (files, symbols)
    })
    .await
    .expect("ranking panicked")
}

async fn run_strategy(
    bench: &Bench,
    case: &Case,
    root: &Path,
    strategy: &str,
    truth: &anneal::eval::Truth,
) -> Outcome {
    let t = Instant::now();
    let cfg = config(bench, case, root, strategy);
    let run = pipeline::run(cfg, Arc::new(|_| {})).await;
    let ms = t.elapsed().as_millis() as u64;
    let (score, error, run_dir) = match run {
        Err(e) => (
            CaseScore::new(Vec::new(), "", truth),
            Some(e.to_string()),
            None,
        ),
        Ok(out) => {
            let dir = Some(out.run_dir.display().to_string());
            match &out.plan {
                Some(plan) => (
                    CaseScore::of_plan(plan, truth, |p| {
                        corpus::is_source(&bench.classifier, root, p)
                    }),
                    None,
                    dir,
                ),
                None if !out.rollup.clarifying_questions.is_empty() => {
                    (CaseScore::refused(truth), None, dir)
                }
                None => (
                    CaseScore::new(Vec::new(), "", truth),
                    Some(
                        out.error
                            .or(out.rollup.stop_reason.clone())
                            .unwrap_or_else(|| "no plan".into()),
                    ),
                    dir,
                ),
            }
        }
    };
    Outcome {
        system: strategy.to_string(),
        score,
        error,
        ms,
        run_dir,
    }
}

/// The pipeline configuration of one case: offline engine, one iteration, stages 1–4 only.
fn config(bench: &Bench, case: &Case, root: &Path, strategy: &str) -> Config {
    Config {
        max_iterations: Some(1),
        probe: probe::ProbeOptions {
            home: Some(bench.home.clone()),
            ..Default::default()
        },
        plan_only: true,
        ..Config::new(&case.task, root, &bench.runs_root.join(&case.id), strategy)
    }
}

/// The BM25 top-3 baseline; its text (for the symbols named) is the task and its three paths.
async fn baseline(bench: &Bench, case: &Case, root: &Path, truth: &anneal::eval::Truth) -> Outcome {
    let t = Instant::now();
    let (classifier, root2, task) = (
        bench.classifier.clone(),
        root.to_path_buf(),
        case.task.clone(),
    );
    let top = tokio::task::spawn_blocking(move || corpus::bm25_top(&classifier, &root2, &task, 3))
        .await
        .expect("bm25 panicked");
    let (score, error) = match top {
        Ok(files) => {
            let text = format!("{}\n{}", case.task, files.join("\n"));
            (CaseScore::new(files, &text, truth), None)
        }
        Err(e) => (
            CaseScore::new(Vec::new(), "", truth),
            Some(format!("{e:#}")),
        ),
    };
    Outcome {
        system: BASELINE.into(),
        score,
        error,
        ms: t.elapsed().as_millis() as u64,
        run_dir: None,
    }
}

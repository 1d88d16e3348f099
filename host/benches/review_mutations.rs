//! Mutation testing of the reviewers (docs/design.md §5): good plans from real runs, made wrong
//! one way at a time; does `anneal review` (the library function behind it) catch each?
//!
//! For every case of the localization corpus (task = a commit's subject, repository = its
//! parent, materialized from the bare clones under `--corpus`), the offline pipeline plans the
//! task (`--strategy`, default cast). Its plan is read back from the run's `plan/` directory
//! (the parser `anneal review` uses), reviewed as it is — the unmutated verdict — then once per
//! mutation kind ([`mutate::KINDS`]): a mutated plan is rendered to a plan directory and
//! reviewed. A mutation is **caught** when the review's overall verdict is worse than the
//! unmutated plan's, or Momus's score falls below the EMIT threshold (70). The report gives,
//! per kind, the share caught, and the share of unmutated plans whose review still EMITs.
//!
//! Phase-00 gates are not executed: the machine has neither every toolchain (Go) nor any
//! project's dependencies installed, so a real gate would fail for reasons that are not the
//! plan's. Instead every run and review gets a baseline record in which the project's declared
//! commands pass (docs/design.md §10); the "gate failing on the baseline" mutation marks the
//! work phase's gate command failed in that record.
//!
//! Run: `cargo bench -p anneal --bench review_mutations -- --corpus /work/corpus/repos
//! [--cases host/benches/localization/cases.json] [--per-repo 3] [--strategy cast]
//! [--split dev|holdout|all] [--verbose]`.
#[path = "review_mutations/mutate.rs"]
mod mutate;

use anneal::model::baseline::{Baseline, BaselineRun};
use anneal::model::{Plan, ProbeReport, Verdict};
use anneal::render::plan_parse;
use anneal::render::rollup::Emission;
use anneal::stages::{hephaestus, probe};
use mutate::KINDS;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

#[derive(serde::Deserialize, Clone)]
struct Case {
    id: String,
    repo: String,
    language: String,
    split: String,
    parent: String,
    task: String,
    #[serde(default)]
    files_modified: Vec<String>,
    #[serde(default)]
    files_created: Vec<String>,
}

#[derive(serde::Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

struct Args {
    corpus: PathBuf,
    cases: PathBuf,
    per_repo: usize,
    strategy: String,
    split: String,
    verbose: bool,
}

fn args() -> Args {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let get = |k: &str| {
        raw.iter()
            .position(|a| a == k)
            .and_then(|i| raw.get(i + 1).cloned())
    };
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    Args {
        corpus: get("--corpus").map(PathBuf::from).unwrap_or_else(|| {
            eprintln!("review_mutations: give the bare clones with --corpus DIR (e.g. /work/corpus/repos)");
            std::process::exit(2)
        }),
        cases: get("--cases")
            .map(PathBuf::from)
            .unwrap_or_else(|| manifest.join("benches/localization/cases.json")),
        per_repo: get("--per-repo").and_then(|v| v.parse().ok()).unwrap_or(3),
        strategy: get("--strategy").unwrap_or_else(|| "cast".into()),
        split: get("--split").unwrap_or_else(|| "all".into()),
        verbose: raw.iter().any(|a| a == "--verbose"),
    }
}

/// The parent commit of `case` as a working tree under `dir`.
fn materialize(corpus: &Path, case: &Case, dir: &Path) -> Result<PathBuf, String> {
    let git_dir = corpus.join(format!("{}.git", case.repo.replace('/', "__")));
    let out = dir.join(&case.id);
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    let archive = Command::new("git")
        .stderr(Stdio::null())
        .arg("--git-dir")
        .arg(&git_dir)
        .args(["archive", &case.parent])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("git archive: {e}"))?;
    let status = Command::new("tar")
        .stderr(Stdio::null())
        .args(["-x", "-C"])
        .arg(&out)
        .stdin(archive.stdout.ok_or("no pipe")?)
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("cannot extract {} at {}", case.repo, case.parent));
    }
    Ok(out)
}

/// The baseline record of a repository whose declared commands all pass (see the module docs).
fn passing(probe: &ProbeReport) -> Baseline {
    Baseline {
        preflight: None,
        blocked: None,
        commands: probe
            .commands
            .iter()
            .map(|c| BaselineRun {
                command: c.command.clone(),
                passed: true,
                detail:
                    "exit status 0 (bench: the declared commands pass on the untouched repository)"
                        .into(),
                evidence: None,
                failing: Vec::new(),
            })
            .collect(),
    }
}

fn heph(baseline: &Baseline) -> hephaestus::Options {
    hephaestus::Options {
        baseline: Some(baseline.clone()),
        ..hephaestus::Options::default()
    }
}

/// Plans `case` with the offline pipeline; returns the run directory and whether it emitted.
async fn plan(
    args: &Args,
    case: &Case,
    repo: &Path,
    runs: &Path,
    base: &Baseline,
) -> Result<(PathBuf, bool), String> {
    let cfg = anneal::pipeline::Config {
        jobs: 4,
        hephaestus: heph(base),
        ..anneal::pipeline::Config::new(&case.task, repo, runs, &args.strategy)
    };
    let out = anneal::pipeline::run(cfg, Arc::new(|_| {}))
        .await
        .map_err(|e| e.to_string())?;
    Ok((out.run_dir, out.rollup.emission_decision == Emission::Emit))
}

/// Reviews the plan at `path`; returns (overall verdict, Momus score, emission).
async fn review(
    path: &Path,
    repo: &Path,
    runs: &Path,
    base: &Baseline,
) -> Result<(Verdict, Option<u8>, Emission), String> {
    let cfg = anneal::review::Config {
        path: path.to_path_buf(),
        repo: repo.to_path_buf(),
        runs_root: runs.to_path_buf(),
        jobs: 4,
        accept_risk: false,
        hephaestus: heph(base),
        probe: probe::ProbeOptions::default(),
        baseline: Some(base.clone()),
        budget: Default::default(),
        engine: Default::default(),
    };
    let o = anneal::review::run(cfg, Arc::new(|_| {}))
        .await
        .map_err(|e| e.to_string())?;
    let v = o.verdicts();
    Ok((v.overall, v.momus_score, v.emission))
}

/// Writes `plan` as a plan directory under `dir`.
fn write_plan(plan: &Plan, header: &plan_parse::PlanHeader, dir: &Path) {
    let h = anneal::render::plan_md::Header {
        run_id: header.run_id.as_deref().unwrap_or("anneal-bench"),
        strategy: header.strategy.as_deref().unwrap_or("cast"),
        task: header.task.as_deref().unwrap_or(&plan.title),
        task_kind: header.task_kind.unwrap_or(anneal::model::TaskKind::Feature),
        status: "EMIT",
        overall_verdict: Verdict::Safe,
        momus_score: None,
        momus_breakdown: None,
        hephaestus: "PASS",
    };
    for (rel, text) in anneal::render::plan_md::render(plan, &h) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[derive(Default)]
struct Tally {
    applicable: usize,
    caught: usize,
    missed: Vec<String>,
}

fn main() {
    let a = args();
    let text = std::fs::read_to_string(&a.cases).unwrap_or_else(|e| {
        eprintln!(
            "review_mutations: cannot read the cases {}: {e}",
            a.cases.display()
        );
        std::process::exit(2)
    });
    let file: CaseFile = serde_json::from_str(&text).expect("the localization corpus's cases.json");
    let cases: Vec<Case> = file
        .cases
        .into_iter()
        .filter(|c| a.split == "all" || c.split == a.split)
        .filter(|c| {
            a.corpus
                .join(format!("{}.git", c.repo.replace('/', "__")))
                .exists()
        })
        .collect();
    // The first `--per-repo` cases of each repository that can be checked out.
    let mut per: BTreeMap<String, usize> = BTreeMap::new();
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let (mut planned, mut emitted, mut good, mut good_emit) = (0, 0, 0, 0);
    let mut langs: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut used: Vec<Case> = Vec::new();
    for case in &cases {
        if per.get(&case.repo).copied().unwrap_or(0) >= a.per_repo {
            continue;
        }
        let repo = match materialize(&a.corpus, case, tmp.path()) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{}: {e}; the next case of {} is taken", case.id, case.repo);
                continue;
            }
        };
        *per.entry(case.repo.clone()).or_default() += 1;
        used.push(case.clone());
        let probe =
            probe::probe(&repo, &case.task, &probe::ProbeOptions::default()).expect("probe");
        let base = passing(&probe);
        let deployable = anneal::offline::checks::fit::deployable(&probe, &repo).is_some();
        let runs = tmp.path().join(format!("{}-runs", case.id));
        let (run_dir, emit) = match rt.block_on(plan(&a, case, &repo, &runs, &base)) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{}: the run failed to start: {e}", case.id);
                continue;
            }
        };
        planned += 1;
        emitted += usize::from(emit);
        let files = plan_parse::read_dir(&run_dir.join("plan")).expect("the run's plan");
        let parsed = plan_parse::parse(&files);
        let original = tmp.path().join(format!("{}-plan", case.id));
        write_plan(&parsed.plan, &parsed.header, &original);
        let (v0, s0, e0) = match rt.block_on(review(&original, &repo, &runs, &base)) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{}: review failed: {e}", case.id);
                continue;
            }
        };
        good += 1;
        good_emit += usize::from(e0 == Emission::Emit);
        let l = langs.entry(case.language.clone()).or_default();
        l.0 += 1;
        l.1 += usize::from(e0 == Emission::Emit);
        if a.verbose || e0 != Emission::Emit {
            eprintln!(
                "{}: unmutated review {} (momus {:?}), run {}",
                case.id,
                v0.as_str(),
                s0,
                if emit { "EMIT" } else { "not emitted" }
            );
        }
        let truth: Vec<String> = case
            .files_modified
            .iter()
            .chain(&case.files_created)
            .cloned()
            .collect();
        let facts = mutate::Facts {
            probe: &probe,
            repo: &repo,
            baseline: &base,
            deployable,
            truth: &truth,
            // FNV-1a of the case id: a fixed, unbiased pick per case.
            seed: case.id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
            }),
        };
        for kind in KINDS {
            let t = tallies.entry(kind.name()).or_default();
            let Some(m) = mutate::mutate(kind, &parsed.plan, &facts) else {
                continue;
            };
            let dir = tmp.path().join(format!("{}-{:?}", case.id, kind));
            write_plan(&m.plan, &parsed.header, &dir);
            let Ok((v, s, _)) = rt.block_on(review(&dir, &repo, &runs, &m.baseline)) else {
                continue;
            };
            t.applicable += 1;
            let caught = v > v0 || s.is_some_and(|s| s < plan_rules::rubric::EMIT_THRESHOLD);
            if caught {
                t.caught += 1;
            } else {
                t.missed.push(format!(
                    "{} ({} → {}, momus {:?} → {:?})",
                    case.id,
                    v0.as_str(),
                    v.as_str(),
                    s0,
                    s
                ));
            }
            if a.verbose {
                eprintln!(
                    "  {:<40} {} momus {:?} {}",
                    kind.name(),
                    v.as_str(),
                    s,
                    if caught { "caught" } else { "MISSED" }
                );
            }
        }
    }
    report(
        &a,
        &used,
        &tallies,
        &langs,
        (planned, emitted, good, good_emit),
        started,
    );
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "—".into()
    } else {
        format!("{:.1} %", 100.0 * n as f64 / d as f64)
    }
}

fn report(
    a: &Args,
    cases: &[Case],
    tallies: &BTreeMap<&str, Tally>,
    langs: &BTreeMap<String, (usize, usize)>,
    (planned, emitted, good, good_emit): (usize, usize, usize, usize),
    started: Instant,
) {
    let repos: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.repo.as_str()).collect();
    println!(
        "review_mutations: {} cases ({} repositories, split {}), strategy {}, {:.0} s",
        cases.len(),
        repos.len(),
        a.split,
        a.strategy,
        started.elapsed().as_secs_f64()
    );
    println!(
        "  runs that emitted:                 {emitted}/{planned} ({})",
        pct(emitted, planned)
    );
    println!(
        "  unmutated plans whose review EMITs: {good_emit}/{good} ({})",
        pct(good_emit, good)
    );
    for (l, (n, e)) in langs {
        println!("    {l:<8} {e}/{n}");
    }
    println!();
    println!("| mutation | applicable | caught | share |");
    println!("|---|---:|---:|---:|");
    let (mut all_a, mut all_c) = (0, 0);
    for kind in KINDS {
        let t = &tallies
            .get(kind.name())
            .map(|t| (t.applicable, t.caught))
            .unwrap_or((0, 0));
        all_a += t.0;
        all_c += t.1;
        println!(
            "| {} | {} | {} | {} |",
            kind.name(),
            t.0,
            t.1,
            pct(t.1, t.0)
        );
    }
    println!("| all | {all_a} | {all_c} | {} |", pct(all_c, all_a));
    for kind in KINDS {
        if let Some(t) = tallies.get(kind.name()) {
            for m in &t.missed {
                println!("  missed {}: {m}", kind.name());
            }
        }
    }
}

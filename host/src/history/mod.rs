//! Run history: what earlier runs recorded, read back from their run directories
//! (docs/design.md §8: `rollup.yaml`, written last, and `plan/`). Used by `anneal runs`,
//! `anneal runs show|compare`, `anneal stats` and `anneal report`.
//!
//! Run directories are data from disk, not trusted: a rollup that cannot be read is reported
//! as unreadable (a run still going, or one that never got that far), never a failure of the
//! whole listing; every text field is cleaned of control characters before it reaches a
//! terminal ([`clean`]).
pub mod compare;
pub mod stats;
pub mod summary;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest `rollup.yaml` read (bytes): a real one is a few KiB.
pub const MAX_ROLLUP_BYTES: u64 = 4 << 20;

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The runs root cannot be listed.
    #[error("cannot read the runs root {root}: {source} (pass --out DIR or set ANNEAL_RUNS_ROOT)")]
    Root {
        root: String,
        source: std::io::Error,
    },
    /// No run directory of that id under the root, and no such path (usage).
    #[error("no run {id} under {root}: give a run id as `anneal runs` lists it, or the path of a run directory")]
    NoSuchRun { id: String, root: String },
    /// More than one run starts with the id given (usage).
    #[error("{id} names {n} runs under {root}: give more of the run id")]
    Ambiguous { id: String, n: usize, root: String },
    /// The run directory has no readable rollup (runtime).
    #[error("{dir}: {reason}")]
    Unreadable { dir: String, reason: String },
}

/// How a run ended, as `--outcome` filters it (also the WIT `history` interface's).
pub use crate::model::past::RunOutcome as Outcome;

/// One run, as its `rollup.yaml` records it (the `run_record` of the JSON schema).
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    pub run_id: String,
    /// The run directory.
    pub dir: PathBuf,
    /// The strategy's name (`cast`, `alloy`, `temper`, or a third party's).
    pub strategy: String,
    /// The strategy's options as the run resolved them.
    pub options: BTreeMap<String, String>,
    pub task: String,
    /// The repository planned (its canonical path), when the rollup records it.
    pub repository: Option<String>,
    /// `EMIT`, `RE_LOOP` or `ABORT`.
    pub emission_decision: String,
    pub outcome: Outcome,
    /// `SAFE`, `CAUTION`, `RISKY` or `BLOCK`.
    pub overall_verdict: String,
    /// `gate_status` as written (metis, momus, red_team_trinity, oracle, hephaestus).
    pub gate_status: serde_json::Value,
    /// Momus's score, 0–100.
    pub momus_score: Option<u8>,
    /// Temper's score per depth.
    pub depth_scores: Vec<f64>,
    /// Full iterations of the pipeline (1 + re-loops).
    pub iterations: u32,
    pub agent_spawns: u32,
    pub tokens: u64,
    pub wall_clock_ms: u64,
    pub stage_wall_clock_ms: BTreeMap<String, u64>,
    /// The plan's phase files, run-relative (`plan/phase-NN-slug.md`).
    pub phases: Vec<String>,
    pub error: Option<String>,
}

/// The fields of `rollup.yaml` the history reads; every one may be missing in an old rollup.
#[derive(Deserialize, Default)]
#[serde(default)]
struct Rollup {
    run_id: String,
    architecture: String,
    overall_verdict: String,
    gate_status: serde_json::Value,
    emission_decision: String,
    iteration_count: u32,
    depth_scores: Vec<f64>,
    task: String,
    repository: Option<String>,
    strategy: StrategyPart,
    momus_score: Option<u8>,
    error: Option<String>,
    accounting: Accounting,
    outputs: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StrategyPart {
    name: String,
    options: BTreeMap<String, String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Accounting {
    agent_spawns: u32,
    tokens: u64,
    wall_clock_ms: u64,
    stage_wall_clock_ms: BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct RollupFile {
    rollup: Rollup,
}

impl Record {
    /// Reads the run directory `dir`'s `rollup.yaml`.
    ///
    /// # Errors
    /// [`HistoryError::Unreadable`]: no rollup (the run is still going or never started), one
    /// larger than [`MAX_ROLLUP_BYTES`], or one that is not a rollup.
    pub fn read(dir: &Path) -> Result<Record, HistoryError> {
        let unreadable = |reason: String| HistoryError::Unreadable {
            dir: dir.display().to_string(),
            reason,
        };
        let path = dir.join("rollup.yaml");
        let meta = std::fs::metadata(&path).map_err(|e| {
            unreadable(format!(
                "no rollup.yaml ({e}): the run is still going, or it never started"
            ))
        })?;
        if meta.len() > MAX_ROLLUP_BYTES {
            return Err(unreadable(format!(
                "rollup.yaml is {} bytes, more than the {MAX_ROLLUP_BYTES} a rollup can be",
                meta.len()
            )));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| unreadable(format!("cannot read rollup.yaml: {e}")))?;
        let r = serde_yaml::from_str::<RollupFile>(&text)
            .map_err(|e| unreadable(format!("rollup.yaml is not a rollup: {e}")))?
            .rollup;
        if r.run_id.is_empty() || r.emission_decision.is_empty() || r.overall_verdict.is_empty() {
            return Err(unreadable(
                "rollup.yaml lacks run_id, emission_decision or overall_verdict".into(),
            ));
        }
        Ok(Record::from_rollup(dir, r))
    }

    fn from_rollup(dir: &Path, r: Rollup) -> Record {
        let outcome = match (r.error.is_some(), r.emission_decision.as_str()) {
            (true, _) => Outcome::Error,
            (false, "EMIT") => Outcome::Emit,
            (false, "ABORT") => Outcome::Abort,
            _ => Outcome::NotEmitted,
        };
        let phases = r
            .outputs
            .get("plan")
            .map(|files| {
                files
                    .iter()
                    .filter(|f| f.starts_with("plan/phase-"))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Record {
            run_id: r.run_id,
            dir: dir.to_path_buf(),
            strategy: if r.strategy.name.is_empty() {
                r.architecture
            } else {
                r.strategy.name
            },
            options: r.strategy.options,
            task: r.task,
            repository: r.repository,
            emission_decision: r.emission_decision,
            outcome,
            overall_verdict: r.overall_verdict,
            gate_status: r.gate_status,
            momus_score: r.momus_score,
            depth_scores: r.depth_scores,
            iterations: r.iteration_count,
            agent_spawns: r.accounting.agent_spawns,
            tokens: r.accounting.tokens,
            wall_clock_ms: r.accounting.wall_clock_ms,
            stage_wall_clock_ms: r.accounting.stage_wall_clock_ms,
            phases,
            error: r.error,
        }
    }

    /// The options as `k=v, k=v` (empty when none).
    pub fn options_text(&self) -> String {
        self.options
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A run directory that could not be read, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Unreadable {
    pub dir: PathBuf,
    pub reason: String,
}

/// Every run under a runs root, oldest first (run ids begin with their start time).
#[derive(Clone, Debug, Default, Serialize)]
pub struct History {
    pub root: PathBuf,
    pub runs: Vec<Record>,
    pub unreadable: Vec<Unreadable>,
}

/// Which runs a listing keeps.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only this strategy (exact name).
    pub strategy: Option<String>,
    /// Only tasks containing this text (case-insensitive).
    pub task: Option<String>,
    /// Only runs that ended this way.
    pub outcome: Option<Outcome>,
}

impl Filter {
    /// Whether `r` passes every filter given.
    pub fn keeps(&self, r: &Record) -> bool {
        self.strategy.as_ref().is_none_or(|s| &r.strategy == s)
            && self
                .task
                .as_ref()
                .is_none_or(|t| r.task.to_lowercase().contains(&t.to_lowercase()))
            && self.outcome.is_none_or(|o| r.outcome == o)
    }
}

impl History {
    /// Reads every run directory directly under `root` (entries that are not directories are
    /// skipped; a root that does not exist holds no runs).
    ///
    /// # Errors
    /// [`HistoryError::Root`] when the root exists but cannot be listed.
    pub fn read(root: &Path) -> Result<History, HistoryError> {
        let mut h = History {
            root: root.to_path_buf(),
            ..History::default()
        };
        if !root.exists() {
            return Ok(h);
        }
        let root_err = |source| HistoryError::Root {
            root: root.display().to_string(),
            source,
        };
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
            .map_err(root_err)?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        dirs.sort();
        for dir in dirs {
            match Record::read(&dir) {
                Ok(r) => h.runs.push(r),
                Err(e) => h.unreadable.push(Unreadable {
                    dir,
                    reason: match e {
                        HistoryError::Unreadable { reason, .. } => reason,
                        other => other.to_string(),
                    },
                }),
            }
        }
        Ok(h)
    }

    /// The runs `filter` keeps, oldest first.
    pub fn filtered(&self, filter: &Filter) -> Vec<&Record> {
        self.runs.iter().filter(|r| filter.keeps(r)).collect()
    }
}

/// Finds one run: `id` is the path of a run directory, a run id under `root`, or the start of
/// exactly one run id there.
///
/// # Errors
/// [`HistoryError::NoSuchRun`], [`HistoryError::Ambiguous`] (usage); [`HistoryError::Root`],
/// [`HistoryError::Unreadable`] (runtime).
pub fn find(root: &Path, id: &str) -> Result<Record, HistoryError> {
    let as_path = Path::new(id);
    if as_path.join("rollup.yaml").exists() {
        return Record::read(as_path);
    }
    let exact = root.join(id);
    if !id.contains('/') && exact.is_dir() {
        return Record::read(&exact);
    }
    let names: Vec<PathBuf> = match std::fs::read_dir(root) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with(id))
            .map(|e| e.path())
            .collect(),
        Err(_) => Vec::new(),
    };
    match names.as_slice() {
        [one] => Record::read(one),
        [] => Err(HistoryError::NoSuchRun {
            id: clean(id, 200),
            root: root.display().to_string(),
        }),
        many => Err(HistoryError::Ambiguous {
            id: clean(id, 200),
            n: many.len(),
            root: root.display().to_string(),
        }),
    }
}

/// Text from a run directory, made safe for a terminal: escape sequences and control
/// characters removed, cut to `max` bytes.
pub fn clean(s: &str, max: usize) -> String {
    crate::runtime::host_impl::sanitize(s, max)
}

#[cfg(test)]
mod tests;

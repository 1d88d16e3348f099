//! The code index and the task's resolution as stage 2 hands them on (docs/design.md §2 stage
//! 2, §8): `probe-report.yaml` gains a `code_index` summary, the full index is
//! `code-index.json` of the run directory, and the resolution goes to every agent through the
//! run context.
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

use crate::index::{CacheStats, CodeIndex, Skipped};
use crate::model::resolution::Resolution;
use crate::model::ProbeReport;
use crate::rundir::RunDir;

/// File of the run directory holding the full index.
pub const CODE_INDEX_FILE: &str = "code-index.json";
/// Largest `code-index.json`, in bytes: past it the per-file references are left out, then
/// files are dropped from the end (the document says so in `omitted`).
pub const MAX_CODE_INDEX_BYTES: usize = 32 * 1024 * 1024;
/// Resolved names listed in the summary.
const MAX_SUMMARY_NAMES: usize = 16;

/// What the probe built beside the report.
#[derive(Clone, Debug, Default)]
pub struct Indexed {
    pub index: Arc<CodeIndex>,
    /// The task resolved against the index ([`crate::index::resolve`]).
    pub resolution: Arc<Resolution>,
}

/// The `code_index` section of `probe-report.yaml`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndexSummary {
    pub files: u32,
    pub files_per_language: BTreeMap<String, u32>,
    pub definitions: u32,
    pub references: u32,
    /// File-to-file reference edges.
    pub edges: u32,
    pub test_links: u32,
    pub test_layouts: Vec<String>,
    pub skipped_by_reason: BTreeMap<String, u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<Skipped>,
    pub cache: CacheStats,
    pub build_ms: u64,
    /// The task's names and what they resolved to: `ast::ErrorKind → src/ast/mod.rs:12 (enum)`,
    /// `lib/x.js → to create`, `Foo → unresolved`.
    pub resolved: Vec<String>,
}

/// `probe-report.yaml`: the report's fields, then `code_index`.
#[derive(Serialize)]
pub struct ProbeDocument<'a> {
    #[serde(flatten)]
    pub report: &'a ProbeReport,
    pub code_index: IndexSummary,
}

impl Indexed {
    /// The summary of the index and the resolution (bounded).
    pub fn summary(&self) -> IndexSummary {
        let r = &self.index.report;
        let res = &self.resolution;
        let resolved = res
            .names
            .iter()
            .take(MAX_SUMMARY_NAMES)
            .map(|n| {
                let to = match (n.symbols.first(), n.files.first()) {
                    (Some(s), _) => format!(
                        "{}:{} ({}{})",
                        s.path,
                        s.line_start,
                        serde_json::to_value(s.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
                        if n.exact { "" } else { ", fuzzy" }
                    ),
                    (None, Some(f)) => f.clone(),
                    (None, None) if res.to_create.contains(&n.text) => "to create".into(),
                    (None, None) => "unresolved".into(),
                };
                format!("{} → {to}", n.text)
            })
            .collect();
        IndexSummary {
            files: r.files,
            files_per_language: r.files_per_language.clone(),
            definitions: r.definitions,
            references: r.references,
            edges: r.edges,
            test_links: r.test_links,
            test_layouts: res.test_layouts.clone(),
            skipped_by_reason: r.skipped_by_reason.clone(),
            skipped: r.skipped.clone(),
            cache: r.cache.clone(),
            build_ms: r.build_ms,
            resolved,
        }
    }

    /// The document of `probe-report.yaml` for `report`.
    pub fn document<'a>(&self, report: &'a ProbeReport) -> ProbeDocument<'a> {
        ProbeDocument {
            report,
            code_index: self.summary(),
        }
    }

    /// `code-index.json`, at most `max_bytes`: the whole index, or without per-file references,
    /// or with files dropped from the end, with `omitted` saying which.
    pub fn code_index_json(&self, max_bytes: usize) -> Vec<u8> {
        let full = serde_json::to_vec(&*self.index).unwrap_or_default();
        if full.len() <= max_bytes {
            return full;
        }
        let mut lean = (*self.index).clone();
        for f in &mut lean.files {
            f.references.clear();
        }
        let mut doc = serde_json::to_value(&lean).unwrap_or_default();
        doc["omitted"] = "per-file references (the index exceeded the size bound)".into();
        let mut bytes = serde_json::to_vec(&doc).unwrap_or_default();
        while bytes.len() > max_bytes && !lean.files.is_empty() {
            let keep = lean.files.len() * max_bytes / bytes.len().max(1);
            lean.files.truncate(keep.min(lean.files.len() - 1));
            doc = serde_json::to_value(&lean).unwrap_or_default();
            doc["omitted"] = format!(
                "per-file references, and files after the first {} (the index exceeded the size bound)",
                lean.files.len()
            )
            .into();
            bytes = serde_json::to_vec(&doc).unwrap_or_default();
        }
        bytes
    }

    /// Writes `code-index.json` into the run directory (atomically, as every file of the run
    /// directory). A failure is printed and the run goes on: the file is a record, not an input
    /// of a later stage.
    pub fn write_code_index(&self, run: &RunDir) {
        if let Err(e) = run.write(CODE_INDEX_FILE, &self.code_index_json(MAX_CODE_INDEX_BYTES)) {
            eprintln!("anneal: could not write {CODE_INDEX_FILE}: {e}");
        }
    }
}

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
                        serde_json::to_value(s.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
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

    /// `code-index.json`, at most `max_bytes`: the whole index; or, when larger, without the
    /// per-file references, then without the file-to-file edges, then with files and walked
    /// paths dropped from the end — `omitted` says what was left out; at worst the build
    /// report alone.
    pub fn code_index_json(&self, max_bytes: usize) -> Vec<u8> {
        let full = serde_json::to_vec(&*self.index).unwrap_or_default();
        if full.len() <= max_bytes {
            return full;
        }
        let render = |ix: &CodeIndex, omitted: String| {
            let mut doc = serde_json::to_value(ix).unwrap_or_default();
            doc["omitted"] = omitted.into();
            serde_json::to_vec(&doc).unwrap_or_default()
        };
        let mut lean = (*self.index).clone();
        for f in &mut lean.files {
            f.references.clear();
        }
        let what = "per-file references (the index exceeded the size bound)";
        let bytes = render(&lean, what.into());
        if bytes.len() <= max_bytes {
            return bytes;
        }
        lean.graph.edges.clear();
        let (files, paths) = (lean.files.len(), lean.paths.len());
        // Halve files and paths until it fits (at most ~64 rounds).
        let (mut keep_files, mut keep_paths) = (files, paths);
        loop {
            lean.files.truncate(keep_files);
            lean.paths.truncate(keep_paths);
            let bytes = render(
                &lean,
                format!(
                    "per-file references, file-to-file edges, files after the first {keep_files} of {files} \
                     and walked paths after the first {keep_paths} of {paths} (the index exceeded the size bound)"
                ),
            );
            if bytes.len() <= max_bytes {
                return bytes;
            }
            if keep_files == 0 && keep_paths == 0 {
                break;
            }
            keep_files /= 2;
            keep_paths /= 2;
        }
        let minimal = serde_json::json!({
            "version": self.index.version,
            "report": { "files": self.index.report.files, "definitions": self.index.report.definitions },
            "omitted": "everything but the counts (the size bound is too small for more)",
        });
        serde_json::to_vec(&minimal).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::tests::{index_of, polyglot};

    fn indexed(task: &str) -> (tempfile::TempDir, Indexed) {
        let dir = tempfile::tempdir().unwrap();
        polyglot(dir.path());
        let index = index_of(dir.path());
        let resolution = crate::index::resolve(&index, task);
        (
            dir,
            Indexed {
                index: Arc::new(index),
                resolution: Arc::new(resolution),
            },
        )
    }

    #[test]
    fn probe_report_yaml_gains_the_index_summary() {
        let (_d, ix) = indexed("Add `Missing` to `ast::ErrorKind` in lib/new.rs");
        let report = ProbeReport {
            repository: "rx".into(),
            ..ProbeReport::default()
        };
        let yaml = serde_yaml::to_string(&ix.document(&report)).unwrap();
        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        assert_eq!(v["repository"], "rx");
        let ci = &v["code_index"];
        assert_eq!(ci["files"], 15);
        assert_eq!(ci["files_per_language"]["Rust"], 6);
        assert!(ci["definitions"].as_u64().unwrap() > 10);
        assert!(ci["cache"]["status"].as_str().is_some());
        let resolved: Vec<&str> = ci["resolved"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(
            resolved,
            [
                "Missing → unresolved",
                "ast::ErrorKind → src/ast/mod.rs:2 (enum)",
                "lib/new.rs → to create"
            ]
        );
    }

    #[test]
    fn code_index_json_is_bounded() {
        let (_d, ix) = indexed("x");
        let full = ix.code_index_json(usize::MAX);
        let v: serde_json::Value = serde_json::from_slice(&full).unwrap();
        assert_eq!(v["files"].as_array().unwrap().len(), 15);
        assert!(v.get("omitted").is_none());
        let lean = ix.code_index_json(full.len() - 1);
        let v: serde_json::Value = serde_json::from_slice(&lean).unwrap();
        assert!(v["omitted"]
            .as_str()
            .unwrap()
            .starts_with("per-file references"));
        assert!(lean.len() < full.len());
        let small = ix.code_index_json(full.len() / 3);
        assert!(small.len() <= full.len() / 3, "{}", small.len());
        let v: serde_json::Value = serde_json::from_slice(&small).unwrap();
        assert!(
            v["omitted"]
                .as_str()
                .unwrap()
                .contains("files after the first"),
            "{v}"
        );
        let tiny = ix.code_index_json(200);
        assert!(tiny.len() <= 200, "{}", tiny.len());
        let v: serde_json::Value = serde_json::from_slice(&tiny).unwrap();
        assert_eq!(v["report"]["files"], 15);
    }
}

//! `anneal report RUN`: one self-contained `report.html` in the run directory, built from what
//! the run directory holds (docs/design.md §8): the stage timeline from `events.jsonl` (every
//! agent call a bar, so parallel fan-out shows), Temper's score per depth against the
//! convergence thresholds (`depth-history.json`), Alloy's provenance matrix
//! (`synthesis-provenance.md`), every reviewer's verdict and findings (`reviews/*.yaml`), the
//! gates with links to their evidence, and spawns and tokens against the budget (`rollup.yaml`).
//!
//! No script, no stylesheet or font from the network: the charts are inline SVG (`plotters`).
//! Everything read from the run directory is escaped ([`esc`]); links go only to relative
//! paths inside the run directory.
pub mod charts;
mod provenance;
mod sections;

use crate::history::{HistoryError, Record};
use std::path::{Path, PathBuf};

/// Largest file of the run directory the report reads (bytes); a larger one is skipped and said so.
pub const MAX_INPUT_BYTES: u64 = 8 << 20;

/// Why no report was written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The run could not be found or has no readable rollup.
    #[error(transparent)]
    Run(#[from] HistoryError),
    /// Writing `report.html` failed (runtime).
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

/// HTML-escapes text from the run directory (element content and attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Reads a file of the run directory as text, or `None` (missing, too large, unreadable).
fn read(dir: &Path, rel: &str) -> Option<String> {
    let p = dir.join(rel);
    let meta = std::fs::metadata(&p).ok()?;
    if !meta.is_file() || meta.len() > MAX_INPUT_BYTES {
        return None;
    }
    std::fs::read(&p)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The report of the run recorded in `run`, as one HTML document.
pub fn render(run: &Record) -> String {
    let dir = &run.dir;
    let rollup: serde_yaml::Value = read(dir, "rollup.yaml")
        .and_then(|t| serde_yaml::from_str(&t).ok())
        .unwrap_or_default();
    let rollup = rollup.get("rollup").cloned().unwrap_or_default();
    let body = [
        sections::summary(run, &rollup),
        sections::timeline(dir),
        sections::temper(dir),
        provenance::section(dir),
        sections::reviews(dir),
        sections::gates(run, &rollup),
        sections::budget(run, &rollup),
    ]
    .concat();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>anneal report — {}</title><style>{}</style></head><body>{body}</body></html>\n",
        esc(&run.run_id),
        STYLE
    )
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1150px;color:#222}\
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}\
th{background:#f4f4f4}.SAFE,.PASS,.EMIT{color:#1a7f37;font-weight:600}.CAUTION{color:#9a6700;font-weight:600}\
.RISKY,.RE_LOOP{color:#bc4c00;font-weight:600}.BLOCK,.FAIL,.ABORT{color:#cf222e;font-weight:600}\
.note{color:#666;font-size:.9em}svg{max-width:100%;height:auto}code{background:#f4f4f4;padding:0 .2em}";

/// Writes `report.html` into the run directory (atomically: a temporary file renamed into
/// place) and returns its path.
///
/// # Errors
/// [`ReportError::Write`] when the file cannot be written.
pub fn write(run: &Record) -> Result<PathBuf, ReportError> {
    let path = run.dir.join("report.html");
    let err = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&run.dir).map_err(err)?;
    std::io::Write::write_all(&mut tmp, render(run).as_bytes()).map_err(err)?;
    // Readable like the run's other files (a temporary file is created owner-only).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::Permissions::from_mode(0o644);
        tmp.as_file().set_permissions(mode).map_err(err)?;
    }
    tmp.persist(&path).map_err(|e| err(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests;

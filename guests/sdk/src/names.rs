//! The spellings the host writes for the WIT enums (`SAFE`, `critical`, `modify`, …), for
//! notes, logs and artifacts: what a user reads in the rollup and the reviews, never Rust's
//! `Debug` form (`Verdict::Safe`).
use crate::types::{ConvergenceReason, FileAction, Severity, Verdict};

/// `SAFE`, `CAUTION`, `RISKY` or `BLOCK`.
pub fn verdict(v: Verdict) -> &'static str {
    match v {
        Verdict::Safe => "SAFE",
        Verdict::Caution => "CAUTION",
        Verdict::Risky => "RISKY",
        Verdict::Block => "BLOCK",
    }
}

/// `critical`, `high`, `medium` or `low`.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
    }
}

/// `create`, `modify` or `delete`.
pub fn file_action(a: FileAction) -> &'static str {
    match a {
        FileAction::Create => "create",
        FileAction::Modify => "modify",
        FileAction::Delete => "delete",
    }
}

/// `variance`, `delta` or `cap`.
pub fn convergence_reason(r: ConvergenceReason) -> &'static str {
    match r {
        ConvergenceReason::Variance => "variance",
        ConvergenceReason::Delta => "delta",
        ConvergenceReason::Cap => "cap",
    }
}

//! The offline red team (docs/design.md §2 stage 5): three reviewers that attack a plan — security,
//! scope, assumptions — and the Oracle that aggregates their envelopes.
//!
//! Each reviewer's verdict follows its findings ([`verdict_from_findings`]): none → SAFE,
//! low/medium → CAUTION, high/critical → RISKY. Findings are listed worst first, at most
//! [`MAX_FINDINGS`](crate::offline::momus::MAX_FINDINGS). The plan-text analysis they share
//! with Momus lives in [`crate::offline::momus::scan`].
mod assumptions;
mod oracle;
mod scope;
mod security;

pub use assumptions::{assumptions, assumptions_findings};
pub use oracle::{oracle, strong_disagreement};
pub use scope::{scope, scope_findings, MAX_BUGFIX_PHASES};
pub use security::{has_security_gate, security, security_findings, sensitive_surface};

use crate::model::rules::{verdict_from_findings, worst_severity};
use crate::model::Context;
use crate::model::{Envelope, Finding};
use crate::offline::momus::worst_first;

/// Agent names of the three red-team reviewers, in the order the Oracle takes them.
pub const AGENTS: [&str; 3] = ["redteam-security", "redteam-scope", "redteam-assumptions"];

/// A reviewer envelope: verdict from `findings`, findings worst first, and a summary of
/// `headline` plus the finding count and worst severity.
fn reviewer_envelope(
    agent: &str,
    ctx: &Context<'_>,
    depth: Option<u32>,
    findings: Vec<Finding>,
    headline: &str,
) -> Envelope {
    let verdict = verdict_from_findings(&findings);
    let tail = match worst_severity(&findings) {
        None => "no findings".to_string(),
        Some(s) => format!(
            "{} finding{}, worst {s}",
            findings.len(),
            crate::offline::momus::plural(findings.len())
        ),
    };
    let mut env =
        crate::model::envelope::new(agent, ctx, depth, verdict, format!("{headline}; {tail}."));
    env.findings = worst_first(findings);
    env
}

#[cfg(test)]
mod tests;

//! The baseline: what the project's gate commands do on the untouched repository
//! (docs/design.md §10, "Validation on ordinary repositories").
//!
//! Phase 00 runs on the repository as it is, so the outcome of a gate command there is a fact
//! about the repository, not about the plan: a plan that gates on a command that already fails
//! cannot prove anything with it. Whoever ran the commands (Hephaestus on a scratch copy, or a
//! record kept from an earlier run) hands this record to the reviewers, whose gate check
//! (`offline::checks`, docs/design.md §5) turns a command that fails here into a finding.
//! Without a record (`None` wherever one is taken) nothing is judged against a baseline.
use serde::{Deserialize, Serialize};

/// The outcomes of gate commands on the untouched repository.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    /// One entry per command that ran, in the order it ran.
    pub commands: Vec<BaselineRun>,
}

/// One command run on the untouched repository.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineRun {
    /// The command exactly as a gate names it (compared after trimming).
    pub command: String,
    /// It exited 0 (and, for Hephaestus, left valid evidence).
    pub passed: bool,
    /// What was seen: the failing line, the exit status, or the success line.
    #[serde(default)]
    pub detail: String,
    /// Run-relative path of its evidence log, when it ran in this run
    /// (`evidence/baseline-gate-{n}.log`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
}

impl Baseline {
    /// The recorded run of `command` (trimmed comparison), if it ran.
    pub fn run_of(&self, command: &str) -> Option<&BaselineRun> {
        let c = command.trim();
        self.commands.iter().find(|r| r.command.trim() == c)
    }
}

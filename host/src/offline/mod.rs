//! The offline engine (SPEC §7): every agent role, deterministically, from the task, the probe
//! report and rules. Labelled `anneal-offline/<version>` in `reviewer_model`.
pub mod intent;
pub mod metis;
pub mod momus;
pub mod planner;
pub mod redteam;

/// `reviewer_model` of every envelope the offline engine writes.
pub const MODEL: &str = concat!("anneal-offline/", env!("CARGO_PKG_VERSION"));

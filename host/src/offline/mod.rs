//! The offline engine (docs/design.md §7): every agent role, deterministically, from the task, the probe
//! report and rules. Labelled `anneal-offline/<version>` in `reviewer_model`.
pub mod clarity;
pub mod intent;
pub mod metis;
pub mod momus;
pub mod planner;
pub mod redteam;
pub mod surface;

#[cfg(test)]
mod sweep;

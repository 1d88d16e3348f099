//! The seven stages of docs/design.md §2. Stages 1–3 and 5–7 run in the host; stage 4 (`plan`) drives
//! the strategy component.
pub mod atlas;
pub mod hephaestus;
pub mod intent;
pub mod metis;
pub mod plan;
pub mod probe;
pub mod redteam;

pub use crate::engine::{Budget, RunContext, Tally};

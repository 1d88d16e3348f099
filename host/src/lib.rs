//! anneal: a native host runtime that turns a one-line engineering task into a reviewed,
//! validated implementation plan, through the seven stages of docs/design.md §2. Stage 4 is a strategy
//! loaded as a sandboxed WebAssembly component.
pub mod agents;
pub mod cli;
pub mod convergence;
pub mod engine;
pub mod estimate;
pub mod eval;
pub mod events;
pub mod history;
pub mod index;
pub mod model;
pub mod offline;
pub mod options;
pub mod pipeline;
pub mod providers;
pub mod render;
pub mod report;
pub mod review;
pub mod rundir;
pub mod runtime;
pub mod scaffold;
pub mod stages;
pub mod text;

#[cfg(test)]
mod layering;

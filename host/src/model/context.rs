//! What every agent sees of a run, borrowed: the offline engine's agents and Hephaestus take it
//! (the model-served agents get it through `engine::RunContext`).
use super::resolution::Resolution;
use super::{ProbeReport, TaskKind};
use std::path::Path;

/// What every agent sees: the task, its classification, the directives so far, the
/// probe report and the repository (read-only; agents never write to it).
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    /// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
    pub run_id: &'a str,
    /// The user's one-line task.
    pub task: &'a str,
    /// Intent Gate classification.
    pub task_kind: TaskKind,
    /// Metis directives plus any failures folded in by earlier iterations.
    pub directives: &'a [String],
    pub probe: &'a ProbeReport,
    /// Root of the repository being planned for.
    pub repo_root: &'a Path,
    /// The task resolved against the probe's code index (empty when none was built).
    pub resolution: &'a Resolution,
}

//! What every agent of one iteration sees.
use super::Engine;
use crate::model::{ProbeReport, TaskKind};
use crate::offline::Context;
use std::path::PathBuf;
use std::sync::Arc;

/// What every agent of one iteration sees, owned so it can cross threads.
#[derive(Clone, Debug)]
pub struct RunContext {
    pub run_id: String,
    pub task: String,
    pub task_kind: TaskKind,
    pub directives: Vec<String>,
    pub probe: ProbeReport,
    pub repo_root: PathBuf,
    /// The task resolved against the probe's code index (empty when none was built).
    pub resolution: Arc<crate::model::resolution::Resolution>,
    /// What the gate commands do on the untouched repository, when known.
    pub baseline: Option<Arc<crate::model::baseline::Baseline>>,
    pub iteration: u32,
    /// Who answers the agent roles.
    pub engine: Arc<Engine>,
}

impl RunContext {
    /// The borrowed view offline agents take.
    pub fn ctx(&self) -> Context<'_> {
        Context {
            run_id: &self.run_id,
            task: &self.task,
            task_kind: self.task_kind,
            directives: &self.directives,
            probe: &self.probe,
            repo_root: &self.repo_root,
            resolution: &self.resolution,
            baseline: self.baseline.as_deref(),
        }
    }
}

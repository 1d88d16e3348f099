//! What every agent of one iteration sees.
use super::{skills, Engine};
use crate::agents::context::InjectedSkill;
use crate::model::Context;
use crate::model::{ProbeReport, Skill, TaskKind};
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
    pub iteration: u32,
    /// The skills the probe found (once per run); each agent gets those matching its role.
    pub skills: Arc<[Skill]>,
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
        }
    }

    /// The run's skills whose names match `role` (docs/design.md §3 invariant 4), read and
    /// bounded ([`skills::for_role`]).
    pub fn skills_for(&self, role: &str) -> Vec<InjectedSkill> {
        skills::for_role(&self.skills, role)
            .into_iter()
            .map(|s| InjectedSkill {
                name: s.name,
                description: s.description,
                body: s.body,
            })
            .collect()
    }
}

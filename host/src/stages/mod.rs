//! The seven stages of SPEC §2. Stages 1–3 and 5–7 run in the host; stage 4 (`plan`) drives
//! the strategy component.
pub mod atlas;
pub mod hephaestus;
pub mod intent;
pub mod metis;
pub mod plan;
pub mod probe;
pub mod redteam;

use crate::events::Events;
use crate::model::{ProbeReport, TaskKind};
use crate::offline::Context;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// What every agent of one iteration sees, owned so it can cross threads.
#[derive(Clone, Debug)]
pub struct RunContext {
    pub run_id: String,
    pub task: String,
    pub task_kind: TaskKind,
    pub directives: Vec<String>,
    pub probe: ProbeReport,
    pub repo_root: PathBuf,
    pub iteration: u32,
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
        }
    }
}

/// Counts agent spawns per role and records their events, shared by every stage.
pub struct Tally {
    pub events: Arc<Events>,
    spawns: Mutex<BTreeMap<String, u32>>,
    /// Simulated model latency added to every offline agent call (`--simulate-latency-ms`):
    /// makes the offline engine behave like a provider that takes a fixed time per call, so
    /// the parallelism of fan-outs can be observed and measured.
    latency: std::time::Duration,
}

impl Tally {
    pub fn new(events: Arc<Events>, latency: std::time::Duration) -> Self {
        Tally {
            events,
            spawns: Mutex::new(BTreeMap::new()),
            latency,
        }
    }

    /// Runs the blocking agent `f` on the blocking pool, counting one spawn of `agent` and
    /// recording its start and finish.
    pub async fn agent<T: Send + 'static>(
        &self,
        agent: &str,
        iteration: u32,
        depth: Option<u32>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> T {
        *self
            .spawns
            .lock()
            .expect("tally lock")
            .entry(agent.to_string())
            .or_default() += 1;
        self.events.record("start", agent, iteration, depth, "");
        let latency = self.latency;
        let out = tokio::task::spawn_blocking(move || {
            if !latency.is_zero() {
                std::thread::sleep(latency);
            }
            f()
        })
        .await
        .expect("offline agent panicked");
        self.events.record("finish", agent, iteration, depth, "");
        out
    }

    /// Spawns so far per role.
    pub fn spawns(&self) -> BTreeMap<String, u32> {
        self.spawns.lock().expect("tally lock").clone()
    }
}

//! Stage 4, Plan (docs/design.md §2): the strategy component runs in the sandbox and asks the host, through
//! [`Services`], for planner agents, red-team passes, Momus audits and convergence checks.
//!
//! The host keeps its own record of every Momus envelope and red-team report it produced, keyed
//! by the plan's content hash, so what reaches the rollup is what the host computed, never what
//! a guest claims.
use super::{RunContext, Tally};
use crate::engine::AgentError;
use crate::model::{AgentRequest, Decision, Envelope, HostError, Plan, RedTeamReport};
use crate::rundir::RunDir;
use crate::runtime::engine::Runtime;
use crate::runtime::host_impl::{BoxFut, Services};
use crate::runtime::instance::Checker;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Content hash of a plan (sha256 of its JSON form).
pub fn plan_hash(plan: &Plan) -> String {
    let json = serde_json::to_vec(plan).expect("plan serializes");
    crate::runtime::loader::sha256_hex(&Sha256::digest(json))
}

/// The pipeline's [`Services`] for one iteration.
pub struct PipelineServices {
    pub rc: Arc<RunContext>,
    pub jobs: Arc<Semaphore>,
    pub tally: Arc<Tally>,
    pub run: Arc<RunDir>,
    pub runtime: Arc<Runtime>,
    pub checker: Arc<Checker>,
    pub planner_category: crate::model::Category,
    /// Thresholds passed to the convergence checker; `None` = the checker's own defaults.
    pub thresholds: Option<crate::model::Thresholds>,
    momus: Mutex<HashMap<String, Envelope>>,
    red_team: Mutex<HashMap<String, RedTeamReport>>,
}

impl PipelineServices {
    pub fn new(
        rc: Arc<RunContext>,
        jobs: Arc<Semaphore>,
        tally: Arc<Tally>,
        run: Arc<RunDir>,
        runtime: Arc<Runtime>,
        checker: Arc<Checker>,
        planner_category: crate::model::Category,
    ) -> Self {
        PipelineServices {
            rc,
            jobs,
            tally,
            run,
            runtime,
            checker,
            planner_category,
            thresholds: None,
            momus: Mutex::new(HashMap::new()),
            red_team: Mutex::new(HashMap::new()),
        }
    }

    /// Sets the thresholds every convergence check of this iteration passes to the checker
    /// (`--convergence-preset`; `None` = the checker's defaults).
    pub fn with_thresholds(mut self, thresholds: Option<crate::model::Thresholds>) -> Self {
        self.thresholds = thresholds;
        self
    }

    /// The red-team report the host produced for exactly this plan, if any.
    pub fn recorded_red_team(&self, plan: &Plan) -> Option<RedTeamReport> {
        self.red_team
            .lock()
            .expect("records lock")
            .get(&plan_hash(plan))
            .cloned()
    }

    /// The Momus envelope the host produced for exactly this plan, if any.
    pub fn recorded_momus(&self, plan: &Plan) -> Option<Envelope> {
        self.momus
            .lock()
            .expect("records lock")
            .get(&plan_hash(plan))
            .cloned()
    }

    /// Runs the red team on `plan` and records it (writing per-depth envelopes when `depth` is set).
    ///
    /// # Errors
    /// [`AgentError`] from the engine (budget spent, provider failure).
    pub async fn red_team_now(
        &self,
        plan: Plan,
        depth: Option<u32>,
    ) -> Result<RedTeamReport, AgentError> {
        let hash = plan_hash(&plan);
        let report = super::redteam::run(
            self.rc.clone(),
            Arc::new(plan),
            depth,
            self.jobs.clone(),
            &self.tally,
        )
        .await?;
        if let Some(d) = depth {
            for (name, e) in [
                ("security", &report.security),
                ("scope", &report.scope),
                ("assumptions", &report.assumptions),
            ] {
                write_envelope(
                    &self.run,
                    &format!("reviews/redteam-{name}-envelope-depth-{d}.yaml"),
                    e,
                );
            }
            write_envelope(
                &self.run,
                &format!("reviews/oracle-envelope-depth-{d}.yaml"),
                &report.oracle,
            );
        }
        self.red_team
            .lock()
            .expect("records lock")
            .insert(hash, report.clone());
        Ok(report)
    }

    /// Runs Momus on `plan` (with the red-team caps when the red team already ran on it) and
    /// records it (writing the per-depth envelope when `depth` is set).
    ///
    /// # Errors
    /// [`AgentError`] from the engine (budget spent, provider failure).
    pub async fn momus_now(&self, plan: Plan, depth: Option<u32>) -> Result<Envelope, AgentError> {
        let hash = plan_hash(&plan);
        let red = self.recorded_red_team(&plan);
        let rc = self.rc.clone();
        let permit = self
            .jobs
            .clone()
            .acquire_owned()
            .await
            .expect("jobs semaphore closed");
        let engine = rc.engine.clone();
        let env = engine.momus(&self.tally, rc, plan, depth, red).await;
        drop(permit);
        let env = env?;
        if let Some(d) = depth {
            write_envelope(
                &self.run,
                &format!("reviews/momus-envelope-depth-{d}.yaml"),
                &env,
            );
        }
        self.momus
            .lock()
            .expect("records lock")
            .insert(hash, env.clone());
        Ok(env)
    }
}

/// Writes an envelope as YAML; a failure is logged to stderr (the rollup still records it).
pub fn write_envelope(run: &RunDir, path: &str, e: &Envelope) {
    let yaml = serde_yaml::to_string(e).expect("envelope serializes");
    if let Err(err) = run.write(path, yaml.as_bytes()) {
        eprintln!("anneal: could not write {path}: {err}");
    }
}

impl Services for PipelineServices {
    fn invoke_agent(&self, req: AgentRequest) -> BoxFut<'_, Result<Plan, HostError>> {
        Box::pin(async move {
            let permit = self
                .jobs
                .clone()
                .acquire_owned()
                .await
                .expect("jobs semaphore closed");
            let rc = self.rc.clone();
            let engine = rc.engine.clone();
            let result = engine
                .planner(&self.tally, rc, req, self.planner_category)
                .await;
            drop(permit);
            result.map_err(|e| e.to_host())
        })
    }

    fn red_team(
        &self,
        plan: Plan,
        depth: Option<u32>,
    ) -> BoxFut<'_, Result<RedTeamReport, HostError>> {
        Box::pin(async move {
            self.red_team_now(plan, depth)
                .await
                .map_err(|e| e.to_host())
        })
    }

    fn momus(&self, plan: Plan, depth: Option<u32>) -> BoxFut<'_, Result<Envelope, HostError>> {
        Box::pin(async move { self.momus_now(plan, depth).await.map_err(|e| e.to_host()) })
    }

    fn check_convergence(
        &self,
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
    ) -> BoxFut<'_, Result<Decision, HostError>> {
        Box::pin(async move {
            self.tally
                .events
                .record("start", "convergence", self.rc.iteration, Some(depth), "");
            let r = self
                .checker
                .check(&self.runtime, depth, &scores, cap, self.thresholds)
                .await;
            self.tally
                .events
                .record("finish", "convergence", self.rc.iteration, Some(depth), "");
            match r {
                Ok(Ok(d)) => Ok(d),
                Ok(Err(reason)) => Err(HostError::InvalidRequest(format!(
                    "the convergence checker refused the input: {reason}"
                ))),
                Err(e) => Err(HostError::AgentFailed(e.to_string())),
            }
        })
    }
}

//! `anneal:strategy@0.2.0` (`wit/since_v0.2.0`), the newest version: its `types` are the host's
//! model (`model::wire`, through bindgen's `with`), so this adapter converts nothing.
use crate::model::{Decision, Envelope, HostError, LogLevel, Plan, RedTeamReport};
use crate::runtime::host_impl::HostState;

wasmtime::component::bindgen!({
    path: "../wit/since_v0.2.0",
    world: "strategy",
    imports: { default: async | trappable },
    exports: { default: async },
    with: { "anneal:strategy/types": crate::model::wire },
});

/// The convergence-checker world.
pub mod convergence {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.2.0",
        world: "convergence",
        exports: { default: async },
        with: { "anneal:strategy/types": crate::model::wire },
    });
}

impl anneal::strategy::host::Host for HostState {
    async fn invoke_agent(
        &mut self,
        request: crate::model::AgentRequest,
    ) -> wasmtime::Result<Result<Plan, HostError>> {
        Ok(HostState::invoke_agent(self, request).await)
    }

    async fn invoke_batch(
        &mut self,
        requests: Vec<crate::model::AgentRequest>,
    ) -> wasmtime::Result<Vec<Result<Plan, HostError>>> {
        Ok(HostState::invoke_batch(self, requests).await)
    }

    async fn red_team(
        &mut self,
        plan: Plan,
        depth: Option<u32>,
    ) -> wasmtime::Result<Result<RedTeamReport, HostError>> {
        Ok(HostState::red_team(self, plan, depth).await)
    }

    async fn momus(
        &mut self,
        plan: Plan,
        depth: Option<u32>,
    ) -> wasmtime::Result<Result<Envelope, HostError>> {
        Ok(HostState::momus(self, plan, depth).await)
    }

    async fn check_convergence(
        &mut self,
        depth: u32,
        scores: Vec<f64>,
        cap: u32,
    ) -> wasmtime::Result<Result<Decision, HostError>> {
        Ok(HostState::check_convergence(self, depth, scores, cap).await)
    }

    async fn write_artifact(
        &mut self,
        path: String,
        contents: String,
    ) -> wasmtime::Result<Result<(), HostError>> {
        Ok(HostState::write_artifact(self, path, contents))
    }

    async fn log(&mut self, level: LogLevel, message: String) -> wasmtime::Result<()> {
        HostState::log(self, level, message);
        Ok(())
    }

    async fn progress(&mut self, message: String) -> wasmtime::Result<()> {
        HostState::progress(self, message);
        Ok(())
    }
}

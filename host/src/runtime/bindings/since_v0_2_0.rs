//! `anneal:strategy@0.2.0` (`wit/since_v0.2.0`), the newest version: its `types` are the host's
//! model (`model::wire`, through bindgen's `with`), so this adapter converts nothing; the
//! `code-index` interface (new in 0.2.0) maps the query layer's answers onto its records.
use crate::model::{Decision, Envelope, HostError, LogLevel, Plan, RedTeamReport};
use crate::runtime::host_impl::HostState;

wasmtime::component::bindgen!({
    path: "../wit/since_v0.2.0",
    world: "strategy",
    imports: { default: async | trappable },
    exports: { default: async },
    with: { "anneal:strategy/types": crate::model::wire },
});

impl anneal::strategy::history::Host for HostState {
    async fn earlier_runs(&mut self) -> wasmtime::Result<crate::model::past::RunHistory> {
        Ok(HostState::earlier_runs(self))
    }
}

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

/// `code-index` (new in 0.2.0): the query layer's answers in the interface's records; the
/// bounds and the counting are [`HostState`]'s (`code_*`).
mod code_index {
    use super::anneal::strategy::code_index::{CodeFile, CodeSymbol, Excerpt, Host};
    use crate::model::resolution::{RankedFile, SymbolKind, SymbolRef};
    use crate::model::HostError;
    use crate::runtime::host_impl::HostState;

    /// The snake-case spelling of a kind (`enum_variant`), as the model serializes it.
    fn kind(k: SymbolKind) -> String {
        serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }

    fn symbols(v: Vec<SymbolRef>) -> Vec<CodeSymbol> {
        v.into_iter()
            .map(|s| CodeSymbol {
                kind: kind(s.kind),
                name: s.name,
                path: s.path,
                line_start: s.line_start,
                line_end: s.line_end,
                scope: s.scope,
                signature: s.signature,
                reason: s.reason,
            })
            .collect()
    }

    fn files(v: Vec<RankedFile>) -> Vec<CodeFile> {
        v.into_iter()
            .map(|f| CodeFile {
                path: f.path,
                score: f.score,
                reasons: f.reasons,
                is_test: f.is_test,
            })
            .collect()
    }

    impl Host for HostState {
        async fn lookup(
            &mut self,
            name: String,
            limit: u32,
        ) -> wasmtime::Result<Result<Vec<CodeSymbol>, HostError>> {
            Ok(self.code_lookup(&name, limit).map(symbols))
        }

        async fn search_symbols(
            &mut self,
            text: String,
            limit: u32,
        ) -> wasmtime::Result<Result<Vec<CodeSymbol>, HostError>> {
            Ok(self.code_search_symbols(&text, limit).map(symbols))
        }

        async fn search_files(
            &mut self,
            text: String,
            limit: u32,
        ) -> wasmtime::Result<Result<Vec<CodeFile>, HostError>> {
            Ok(self.code_search_files(&text, limit).map(files))
        }

        async fn read_excerpt(
            &mut self,
            path: String,
            line_start: u32,
            line_end: u32,
        ) -> wasmtime::Result<Result<Excerpt, HostError>> {
            Ok(self
                .code_excerpt(&path, line_start, line_end)
                .map(|e| Excerpt {
                    path: e.path,
                    line_start: e.line_start,
                    line_end: e.line_end,
                    total_lines: e.total_lines,
                    text: e.text,
                    truncated: e.truncated,
                }))
        }
    }
}

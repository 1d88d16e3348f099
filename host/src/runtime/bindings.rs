//! Host bindings generated from the WIT package, one module per served API version.

/// `anneal:strategy@0.1.0` (`wit/since_v0.1.0`).
pub mod since_v0_1_0 {
    wasmtime::component::bindgen!({
        path: "../wit/since_v0.1.0",
        world: "strategy",
        imports: { default: async | trappable },
        exports: { default: async },
        with: { "anneal:strategy/types": crate::model::wire },
    });

    /// The convergence-checker world.
    pub mod convergence {
        wasmtime::component::bindgen!({
            path: "../wit/since_v0.1.0",
            world: "convergence",
            exports: { default: async },
            with: { "anneal:strategy/types": crate::model::wire },
        });
    }
}

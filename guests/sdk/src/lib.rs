//! Guest SDK for anneal strategies.
//!
//! Generates the bindings of the `anneal:strategy@0.1.0` WIT package once, so a strategy crate
//! only implements [`strategy::Guest`] and calls `anneal_guest::strategy::export_strategy!(MyStrategy);`.
//! Also holds small helpers every strategy needs (option lookup, Markdown rendering of a plan).

/// Bindings of the `strategy` world.
pub mod strategy {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.1.0",
        world: "strategy",
        pub_export_macro: true,
        export_macro_name: "export_strategy",
        default_bindings_module: "anneal_guest::strategy",
        type_section_suffix: "strategy",
    });
}

/// Bindings of the `convergence` world.
pub mod convergence {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.1.0",
        world: "convergence",
        pub_export_macro: true,
        export_macro_name: "export_convergence",
        default_bindings_module: "anneal_guest::convergence",
        type_section_suffix: "convergence",
    });
}

pub use strategy::anneal::strategy::host;
pub use strategy::anneal::strategy::types;

pub mod markdown;
pub mod options;

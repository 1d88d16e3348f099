//! Guest SDK for anneal strategies.
//!
//! Generates the bindings of the `anneal:strategy@0.2.0` WIT package (`wit/since_v0.2.0`, the
//! newest version the host serves) once, so a strategy crate only implements
//! [`strategy::Guest`] and calls `anneal_guest::strategy::export_strategy!(MyStrategy);`.
//! Also holds what every strategy needs around them: [`AgentRequest::new`](types::AgentRequest::new)
//! and its `with_*` builders ([`request`]), a [`HostError`] whose `Display` is written for a user
//! ([`error`]), option lookup ([`options`]), the wire spellings of the enums ([`names`]) and
//! Markdown rendering of a plan ([`markdown`]) and the code index's queries ([`code`]).
//!
//! `anneal new strategy` copies this crate into the new project (`sdk/`, beside the WIT in
//! `wit/`), so a strategy builds without an anneal checkout.

/// Bindings of the `strategy` world.
pub mod strategy {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.2.0",
        world: "strategy",
        pub_export_macro: true,
        export_macro_name: "export_strategy",
        default_bindings_module: "anneal_guest::strategy",
        type_section_suffix: "strategy",
        with: { "anneal:strategy/types@0.2.0/host-error": crate::error::HostError },
    });
}

/// Bindings of the `convergence` world.
pub mod convergence {
    wit_bindgen::generate!({
        path: "../../wit/since_v0.2.0",
        world: "convergence",
        pub_export_macro: true,
        export_macro_name: "export_convergence",
        default_bindings_module: "anneal_guest::convergence",
        type_section_suffix: "convergence",
        with: { "anneal:strategy/types@0.2.0/host-error": crate::error::HostError },
    });
}

pub use strategy::anneal::strategy::history;
pub use strategy::anneal::strategy::host;
pub use strategy::anneal::strategy::types;

pub use error::HostError;

pub mod error;
pub mod code;
pub mod markdown;
pub mod names;
pub mod options;
pub mod request;

/// Agent spawns of one `host::red-team` call (three reviewers, then Oracle), for `estimate`.
pub const RED_TEAM_SPAWNS: u32 = 4;

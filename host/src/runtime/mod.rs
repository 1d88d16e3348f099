//! The plugin runtime: loads strategy and convergence components with wasmtime, checks their
//! world and version, instantiates them with no ambient authority and bounded resources, and
//! serves the host imports.
pub mod bindings;
pub mod cache;
pub mod engine;
pub mod host_impl;
pub mod installed;
pub mod instance;
pub mod limits;
pub mod loader;
pub mod wasi;

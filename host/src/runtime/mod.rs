//! The plugin runtime: loads strategy and convergence components with wasmtime, checks their
//! world and version, instantiates them with no ambient authority and bounded resources, and
//! serves the host imports.
pub mod artifacts;
pub mod bindings;
pub mod cache;
pub mod compile;
pub mod convergence_record;
pub mod engine;
pub mod guest_log;
pub mod host_impl;
pub mod info;
pub mod installed;
pub mod instance;
pub mod limits;
pub mod loader;
pub mod private_dir;
pub mod wasi;

//! The plan model: envelopes, plans, probe reports (the WIT records) and their rules.
pub mod baseline;
pub mod resolution;
pub mod rules;
pub mod validate;
pub mod wire;
pub use wire::*;

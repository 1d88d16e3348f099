//! The plan model: envelopes, plans, probe reports (the WIT records), the domain types every
//! stage shares (the intent, skills, the agents' view of a run), their spellings and their rules.
//! Depends on nothing else of the crate: every other module builds on it.
pub mod baseline;
pub mod context;
pub mod envelope;
pub mod intent;
pub mod names;
pub mod past;
pub mod resolution;
pub mod rules;
pub mod skill;
pub mod validate;
pub mod wire;
pub use context::Context;
pub use intent::Intent;
pub use names::LENSES;
pub use skill::{Skill, SkillScope};
pub use wire::*;

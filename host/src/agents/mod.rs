//! Model-served agents (Issue 4; docs/design.md §3 invariants 7 and 8, §4, §7): the prompt files each role
//! runs with, the user message it sees, and the format adapters that turn a model's raw answer
//! into the same typed, validated plan / envelope / intent the offline engine produces.
//!
//! Dependency direction: `agents` depends on `model` only (the intent, envelopes and plans it
//! parses into are model types), so the model-served agents do not depend on the offline engine.
//! Nothing here talks to a provider; `crate::providers` does, and the engine joins the two.
pub mod adapters;
pub mod code;
pub mod context;
pub mod prompts;

pub use context::{user_message, AgentInput, InjectedSkill};
pub use prompts::{AgentPrompt, OutputKind, PromptError, PromptSource, Prompts};

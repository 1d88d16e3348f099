//! The Intent Gate's reading of a task (docs/design.md §2 stage 1): what stage 1 hands to the
//! later stages, whoever answered it (the offline engine's `offline/intent.rs` or a model
//! through `agents/adapters.rs`).
use super::TaskKind;

/// The Intent Gate's reading of a task (docs/design.md §2 stage 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    /// The task kind the cues point to (feature when none matched).
    pub kind: TaskKind,
    /// False when the task is too vague to plan; Metis then BLOCKs with `questions`.
    pub clear: bool,
    /// Why: the cues that decided the kind (`"bugfix: 'crash' +3"`), then, for a vague task,
    /// each reason it is vague.
    pub reasons: Vec<String>,
    /// Two to four clarifying questions when `clear` is false; empty otherwise.
    pub questions: Vec<String>,
    /// Meaningful terms of the task ([`crate::text::terms`]), in order.
    pub terms: Vec<String>,
}

//! [`HostError`]: why a host call failed, as the strategy reads it and as a user reads it.
//!
//! The bindings map the WIT `host-error` variant onto this type (the `with` option of
//! `wit_bindgen::generate!` in the crate root), so every host function returns it and its
//! [`Display`](std::fmt::Display) is the text a strategy puts in its own error: `agent failed:
//! the model answered no plan`, never Rust's `Debug` form (`AgentFailed("…")`).

/// A host call's failure (WIT `host-error`). Each case carries the host's message, written
/// for a user: what happened and, where it applies, what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostError {
    /// The run's model budget (spawns or tokens) is spent.
    BudgetExhausted(String),
    /// A request the host refuses: bad path, oversized payload, unknown role.
    InvalidRequest(String),
    /// A sandbox limit was hit (artifact count or bytes, call size).
    LimitExceeded(String),
    /// The agent failed (provider error, invalid answer after repair).
    AgentFailed(String),
}

impl HostError {
    /// The host's message, without the kind.
    pub fn message(&self) -> &str {
        match self {
            HostError::BudgetExhausted(m)
            | HostError::InvalidRequest(m)
            | HostError::LimitExceeded(m)
            | HostError::AgentFailed(m) => m,
        }
    }

    /// `budget exhausted`, `invalid request`, `limit exceeded` or `agent failed`.
    pub fn kind(&self) -> &'static str {
        match self {
            HostError::BudgetExhausted(_) => "budget exhausted",
            HostError::InvalidRequest(_) => "invalid request",
            HostError::LimitExceeded(_) => "limit exceeded",
            HostError::AgentFailed(_) => "agent failed",
        }
    }
}

/// `KIND: MESSAGE`, e.g. `budget exhausted: 12 of 12 agent spawns used`.
impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind(), self.message())
    }
}

impl std::error::Error for HostError {}

#[cfg(test)]
mod tests {
    use super::HostError;

    #[test]
    fn display_is_kind_then_message_never_debug() {
        let e = HostError::AgentFailed("the model answered no plan".into());
        assert_eq!(e.to_string(), "agent failed: the model answered no plan");
        assert_eq!(
            format!("momus: {}", HostError::BudgetExhausted("12 of 12 spawns".into())),
            "momus: budget exhausted: 12 of 12 spawns"
        );
        for e in [
            HostError::InvalidRequest("x".into()),
            HostError::LimitExceeded("x".into()),
        ] {
            assert!(!e.to_string().contains('('), "{e}");
        }
    }
}

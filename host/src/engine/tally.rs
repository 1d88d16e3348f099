//! Agent accounting: spawns and tokens per role, the run's budget, agent events.
use super::AgentError;
use crate::events::Events;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The run's model budget (docs/design.md §7): agent spawns and tokens. `None` = unlimited.
///
/// Spawns count agent-role calls (intent gate, Metis, planners, Momus, red team, Oracle, and any
/// role a strategy asks for); probe, Hephaestus and Atlas are host work and never count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub max_spawns: Option<u32>,
    pub max_tokens: Option<u64>,
}

/// Counts agent spawns and tokens per role, enforces the run's [`Budget`] and records agent
/// events; shared by every stage and by the strategy's host calls.
pub struct Tally {
    pub events: Arc<Events>,
    spawns: Mutex<BTreeMap<String, u32>>,
    tokens: Mutex<BTreeMap<String, u64>>,
    budget: Budget,
    /// The first budget refusal, kept so the pipeline can tell a budget stop from a failure
    /// even when a guest turned the refusal into its own error.
    exhausted: Mutex<Option<String>>,
    /// Set when the run is cancelled (an MCP client's `notifications/cancelled`): every
    /// further spawn is refused like a spent budget, so the run stops cleanly and writes its
    /// rollup.
    cancelled: Arc<std::sync::atomic::AtomicBool>,
    /// Simulated model latency added to every offline agent call (`--simulate-latency-ms`):
    /// makes the offline engine behave like a provider that takes a fixed time per call, so
    /// the parallelism of fan-outs can be observed and measured.
    latency: std::time::Duration,
}

impl Tally {
    pub fn new(events: Arc<Events>, latency: std::time::Duration) -> Self {
        Self::with_budget(events, latency, Budget::default())
    }

    /// A tally that refuses spawns beyond `budget`.
    pub fn with_budget(events: Arc<Events>, latency: std::time::Duration, budget: Budget) -> Self {
        Tally {
            events,
            spawns: Mutex::new(BTreeMap::new()),
            tokens: Mutex::new(BTreeMap::new()),
            budget,
            exhausted: Mutex::new(None),
            cancelled: Arc::default(),
            latency,
        }
    }

    /// The run's budget (`None` fields: no limit).
    pub fn budget(&self) -> Budget {
        self.budget
    }

    /// The run's cancellation flag: once set, [`Tally::admit`] refuses every spawn.
    pub fn cancel_flag(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.cancelled.clone()
    }

    /// Admits one spawn of `agent`: counts it, or refuses when the budget is spent or the run
    /// was cancelled.
    ///
    /// # Errors
    /// [`AgentError::Budget`] naming the limit that was reached, the role refused and the flag
    /// or configuration key that raises it.
    pub fn admit(&self, agent: &str) -> Result<(), AgentError> {
        let mut spawns = self.spawns.lock().expect("tally lock");
        let used: u32 = spawns.values().sum();
        let tokens: u64 = self.tokens.lock().expect("tally lock").values().sum();
        let cancelled = self.cancelled.load(std::sync::atomic::Ordering::SeqCst);
        let refusal = match (self.budget.max_spawns, self.budget.max_tokens) {
            _ if cancelled => Some(format!(
                "the run was cancelled by its client ({agent} was refused); the outputs so far are kept"
            )),
            (Some(max), _) if used >= max => Some(format!(
                "the run's budget of {max} agent spawns is spent ({agent} was refused); raise --max-spawns or budget.max_spawns in the configuration"
            )),
            (_, Some(max)) if tokens >= max => Some(format!(
                "the run's budget of {max} tokens is spent ({tokens} used; {agent} was refused); raise --max-tokens or budget.max_tokens in the configuration"
            )),
            _ => None,
        };
        if let Some(msg) = refusal {
            self.exhausted
                .lock()
                .expect("tally lock")
                .get_or_insert_with(|| msg.clone());
            return Err(AgentError::Budget(msg));
        }
        *spawns.entry(agent.to_string()).or_default() += 1;
        Ok(())
    }

    /// Checks the token budget without counting a spawn (a repair request of the same spawn).
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's tokens are spent.
    pub fn check_tokens(&self, agent: &str) -> Result<(), AgentError> {
        let tokens = self.tokens();
        match self.budget.max_tokens {
            Some(max) if tokens >= max => {
                let msg = format!(
                    "the run's budget of {max} tokens is spent ({tokens} used; {agent} was refused); raise --max-tokens or budget.max_tokens in the configuration"
                );
                self.exhausted
                    .lock()
                    .expect("tally lock")
                    .get_or_insert_with(|| msg.clone());
                Err(AgentError::Budget(msg))
            }
            _ => Ok(()),
        }
    }

    /// Adds `n` tokens spent by `agent`.
    pub fn add_tokens(&self, agent: &str, n: u64) {
        *self
            .tokens
            .lock()
            .expect("tally lock")
            .entry(agent.to_string())
            .or_default() += n;
    }

    /// The first budget refusal of the run, if any.
    pub fn exhausted(&self) -> Option<String> {
        self.exhausted.lock().expect("tally lock").clone()
    }

    /// Runs the blocking offline agent `f` on the blocking pool, after admitting one spawn of
    /// `agent` ([`Tally::admit`]), recording its start and finish.
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the budget is spent (then `f` does not run).
    pub async fn agent<T: Send + 'static>(
        &self,
        agent: &str,
        iteration: u32,
        depth: Option<u32>,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AgentError> {
        self.admit(agent)?;
        self.events.record("start", agent, iteration, depth, "");
        let latency = self.latency;
        let out = tokio::task::spawn_blocking(move || {
            if !latency.is_zero() {
                std::thread::sleep(latency);
            }
            f()
        })
        .await
        .expect("offline agent panicked");
        self.events.record("finish", agent, iteration, depth, "");
        Ok(out)
    }

    /// Spawns so far per role.
    pub fn spawns(&self) -> BTreeMap<String, u32> {
        self.spawns.lock().expect("tally lock").clone()
    }

    /// Tokens so far, summed over roles.
    pub fn tokens(&self) -> u64 {
        self.tokens.lock().expect("tally lock").values().sum()
    }
}

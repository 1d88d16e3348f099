//! Agent accounting: spawns and tokens per role, the run's budget, agent events.
use super::AgentError;
use crate::events::Events;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// The run's model budget (docs/design.md §7): agent spawns, tokens, and a deadline for agent
/// calls. `None` = unlimited.
///
/// Spawns count agent-role calls (intent gate, Metis, planners, Momus, red team, Oracle, and any
/// role a strategy asks for); probe, Hephaestus and Atlas are host work and never count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Budget {
    pub max_spawns: Option<u32>,
    pub max_tokens: Option<u64>,
    /// Seconds from the start of the run after which no agent call is started and a call in
    /// flight is cancelled (`budget.deadline_secs` in the configuration): a hung provider
    /// cannot hold a run longer than this, whatever its timeouts and retries.
    pub deadline_secs: Option<u64>,
    /// Set when `max_spawns` is [`LOOP_DEFAULT_MAX_SPAWNS`], applied by [`Budget::for_loop`]
    /// because `--loop` was given without a budget: the refusal and the summary say so.
    pub loop_default: bool,
}

/// The agent spawns a `--loop` run may make when no budget (spawns, tokens or deadline) is set:
/// without it, a run whose gates never pass would re-loop for ever (docs/design.md §7).
pub const LOOP_DEFAULT_MAX_SPAWNS: u32 = 300;

impl Budget {
    /// This budget for a run whose re-loops are not capped (`--loop`): unchanged when it
    /// limits spawns, tokens or time; otherwise [`LOOP_DEFAULT_MAX_SPAWNS`] spawns, marked as
    /// the default.
    pub fn for_loop(self) -> Budget {
        if self.max_spawns.is_some() || self.max_tokens.is_some() || self.deadline_secs.is_some() {
            return self;
        }
        Budget {
            max_spawns: Some(LOOP_DEFAULT_MAX_SPAWNS),
            loop_default: true,
            ..self
        }
    }

    /// `300 agent spawns (--loop's default)`, `2000000 tokens`, …: the limits set, for the
    /// summary; `None` without any.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(n) = self.max_spawns {
            let origin = if self.loop_default {
                " (--loop's default without a budget; --max-spawns or --max-tokens sets one)"
            } else {
                ""
            };
            parts.push(format!("{n} agent spawns{origin}"));
        }
        if let Some(n) = self.max_tokens {
            parts.push(format!("{n} tokens"));
        }
        if let Some(n) = self.deadline_secs {
            parts.push(format!("{n} s for agent calls"));
        }
        (!parts.is_empty()).then(|| parts.join(" · "))
    }
}

/// Counts agent spawns and tokens per role, enforces the run's [`Budget`] and records agent
/// events; shared by every stage and by the strategy's host calls.
pub struct Tally {
    pub events: Arc<Events>,
    spawns: Mutex<BTreeMap<String, u32>>,
    tokens: Mutex<BTreeMap<String, u64>>,
    /// Requests made again within a spawn, per role: a repair of an unreadable answer, a retry
    /// after an empty or cut-off one ([`Tally::add_repair`]).
    repairs: Mutex<BTreeMap<String, u32>>,
    budget: Budget,
    /// The first budget refusal, kept so the pipeline can tell a budget stop from a failure
    /// even when a guest turned the refusal into its own error.
    exhausted: Mutex<Option<String>>,
    /// Tokens held by model calls in flight: each call's worst case, reserved when it is
    /// admitted ([`Tally::reserve_tokens`]) so calls running at once cannot together spend more
    /// than the budget has left.
    reserved: Mutex<u64>,
    /// When the run's clock started (the tally is made at the start of the run).
    started: std::time::Instant,
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
            repairs: Mutex::new(BTreeMap::new()),
            budget,
            exhausted: Mutex::new(None),
            reserved: Mutex::new(0),
            started: std::time::Instant::now(),
            cancelled: Arc::default(),
            latency,
        }
    }

    /// Time left before the run's deadline for agent calls; `None` without a deadline.
    pub fn deadline_left(&self) -> Option<std::time::Duration> {
        self.budget
            .deadline_secs
            .map(|s| std::time::Duration::from_secs(s).saturating_sub(self.started.elapsed()))
    }

    /// The budget stop for the deadline: what passed, for which `agent` (and `waiting_for`,
    /// the provider a call in flight was waiting on), and the key that moves it. Recorded as
    /// the run's first budget refusal.
    pub fn deadline_passed(&self, agent: &str, waiting_for: Option<&str>) -> AgentError {
        let secs = self.budget.deadline_secs.unwrap_or_default();
        let what = match waiting_for {
            Some(p) => format!("{agent} was cancelled while waiting for {p}"),
            None => format!("{agent} was refused"),
        };
        let msg = format!(
            "the run's deadline of {secs} s for agent calls passed ({what}); raise budget.deadline_secs in the configuration, or check the provider"
        );
        self.refused(msg)
    }

    /// Records `msg` as the first budget refusal (if none was) and returns it as an error.
    fn refused(&self, msg: String) -> AgentError {
        self.exhausted
            .lock()
            .expect("tally lock")
            .get_or_insert_with(|| msg.clone());
        AgentError::Budget(msg)
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
        if self.deadline_left().is_some_and(|d| d.is_zero()) {
            return Err(self.deadline_passed(agent, None));
        }
        let mut spawns = self.spawns.lock().expect("tally lock");
        let used: u32 = spawns.values().sum();
        let tokens: u64 = self.tokens.lock().expect("tally lock").values().sum();
        let cancelled = self.cancelled.load(std::sync::atomic::Ordering::SeqCst);
        let refusal = match (self.budget.max_spawns, self.budget.max_tokens) {
            _ if cancelled => Some(format!(
                "the run was cancelled by its client ({agent} was refused); the outputs so far are kept"
            )),
            (Some(max), _) if used >= max => Some(format!(
                "the run's budget of {max} agent spawns{} is spent ({agent} was refused); raise --max-spawns or budget.max_spawns in the configuration",
                if self.budget.loop_default { " (--loop's default without a budget)" } else { "" }
            )),
            (_, Some(max)) if tokens >= max => Some(format!(
                "the run's budget of {max} tokens is spent ({tokens} used; {agent} was refused); raise --max-tokens or budget.max_tokens in the configuration"
            )),
            _ => None,
        };
        if let Some(msg) = refusal {
            return Err(self.refused(msg));
        }
        *spawns.entry(agent.to_string()).or_default() += 1;
        Ok(())
    }

    /// Checks the token budget and the deadline without counting a spawn (a repair request of
    /// the same spawn).
    ///
    /// # Errors
    /// [`AgentError::Budget`] when the run's tokens are spent or its deadline passed.
    pub fn check_tokens(&self, agent: &str) -> Result<(), AgentError> {
        if self.deadline_left().is_some_and(|d| d.is_zero()) {
            return Err(self.deadline_passed(agent, None));
        }
        let tokens = self.tokens();
        match self.budget.max_tokens {
            Some(max) if tokens >= max => Err(self.refused(format!(
                "the run's budget of {max} tokens is spent ({tokens} used; {agent} was refused); raise --max-tokens or budget.max_tokens in the configuration"
            ))),
            _ => Ok(()),
        }
    }

    /// Admits a model call of `agent` that may spend up to `worst` tokens (its prompt and its
    /// `max_tokens`) only if that fits what the token budget has left after the tokens spent and
    /// those held by calls in flight, and holds `worst` until the returned [`Reservation`] is
    /// dropped (when the call is over and its real tokens are added). Without a token budget it
    /// holds nothing.
    ///
    /// # Errors
    /// [`AgentError::Budget`] naming the budget, the call's worst case, what is left, and the
    /// keys that change either.
    pub fn reserve_tokens(&self, agent: &str, worst: u64) -> Result<Reservation<'_>, AgentError> {
        let Some(max) = self.budget.max_tokens else {
            return Ok(Reservation { tally: self, n: 0 });
        };
        let used = self.tokens();
        let mut held = self.reserved.lock().expect("tally lock");
        let left = max.saturating_sub(used.saturating_add(*held));
        if worst > left {
            let busy = *held;
            drop(held);
            return Err(self.refused(format!(
                "the run's budget of {max} tokens cannot cover {agent}'s next call: up to {worst} tokens (its prompt and max_tokens), {left} left ({used} spent, {busy} held by calls in flight); raise --max-tokens or budget.max_tokens, or lower max_tokens in the configuration"
            )));
        }
        *held += worst;
        Ok(Reservation {
            tally: self,
            n: worst,
        })
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

    /// Counts one request `agent` made again within its spawn (a repair, a retry): not a spawn,
    /// but the run's log, rollup and summary show how many there were.
    pub fn add_repair(&self, agent: &str) {
        *self
            .repairs
            .lock()
            .expect("tally lock")
            .entry(agent.to_string())
            .or_default() += 1;
    }

    /// Repairs and retries so far per role ([`Tally::add_repair`]).
    pub fn repairs(&self) -> BTreeMap<String, u32> {
        self.repairs.lock().expect("tally lock").clone()
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

/// Tokens a call in flight holds against the budget ([`Tally::reserve_tokens`]); released on
/// drop.
pub struct Reservation<'a> {
    tally: &'a Tally,
    n: u64,
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        let mut held = self
            .tally
            .reserved
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *held = held.saturating_sub(self.n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(budget: Budget) -> Tally {
        Tally::with_budget(
            Arc::new(Events::default()),
            std::time::Duration::ZERO,
            budget,
        )
    }

    #[test]
    fn loop_without_a_budget_gets_the_default_and_says_so() {
        let none = Budget::default().for_loop();
        assert_eq!(none.max_spawns, Some(LOOP_DEFAULT_MAX_SPAWNS));
        assert!(none.describe().unwrap().contains("--loop's default"));
        for set in [
            Budget {
                max_spawns: Some(9),
                ..Budget::default()
            },
            Budget {
                max_tokens: Some(9),
                ..Budget::default()
            },
            Budget {
                deadline_secs: Some(9),
                ..Budget::default()
            },
        ] {
            assert_eq!(set.for_loop(), set, "a budget set is kept");
        }
        let t = tally(
            Budget {
                max_spawns: Some(1),
                ..Budget::default()
            }
            .for_loop(),
        );
        t.admit("a").unwrap();
        let e = t.admit("b").unwrap_err().to_string();
        assert!(!e.contains("default"), "{e}");
        let t = tally(Budget::default().for_loop());
        for _ in 0..LOOP_DEFAULT_MAX_SPAWNS {
            t.admit("planner").unwrap();
        }
        let e = t.admit("momus").unwrap_err().to_string();
        assert!(
            e.contains("300 agent spawns (--loop's default without a budget)"),
            "{e}"
        );
    }

    #[test]
    fn a_passed_deadline_refuses_agent_calls_naming_the_key() {
        let t = tally(Budget {
            deadline_secs: Some(0),
            ..Budget::default()
        });
        let e = t.admit("momus").unwrap_err().to_string();
        assert!(e.contains("deadline of 0 s for agent calls passed"), "{e}");
        assert!(e.contains("budget.deadline_secs"), "{e}");
        assert!(t.check_tokens("momus").is_err());
        assert!(t.exhausted().is_some());
        let open = tally(Budget {
            deadline_secs: Some(3600),
            ..Budget::default()
        });
        open.admit("momus").unwrap();
        assert!(open.deadline_left().unwrap() > std::time::Duration::from_secs(3500));
        assert!(tally(Budget::default()).deadline_left().is_none());
    }

    #[test]
    fn a_call_is_admitted_only_if_its_worst_case_fits_what_is_left() {
        let t = tally(Budget {
            max_tokens: Some(10_000),
            ..Budget::default()
        });
        let a = t.reserve_tokens("planner", 6_000).unwrap();
        // A second call at once would overshoot: refused although nothing is spent yet.
        let e = t.reserve_tokens("momus", 6_000).err().unwrap().to_string();
        assert!(e.contains("up to 6000 tokens"), "{e}");
        assert!(
            e.contains("4000 left (0 spent, 6000 held by calls in flight)"),
            "{e}"
        );
        t.add_tokens("planner", 1_500);
        drop(a);
        // 8 500 left now.
        let b = t.reserve_tokens("momus", 6_000).unwrap();
        drop(b);
        assert!(t.reserve_tokens("x", 9_000).is_err());
        // No token budget: nothing is held.
        assert!(tally(Budget::default())
            .reserve_tokens("x", u64::MAX)
            .is_ok());
    }
}

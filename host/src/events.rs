//! The run's event log (`events.jsonl`): one JSON object per line for every agent start and
//! finish, with milliseconds since the run began. It is how a run proves its fan-out was
//! parallel (docs/design.md §3 invariant 6): overlapping start/finish intervals.
use serde::Serialize;
use std::sync::Mutex;
use std::time::Instant;

/// One event.
#[derive(Clone, Debug, Serialize)]
pub struct Event {
    /// Milliseconds since the run started.
    pub t_ms: u64,
    /// `start` or `finish` (or a stage name for stage events).
    pub event: String,
    /// Agent role, e.g. `redteam-security`, or stage name.
    pub agent: String,
    /// Iteration of the full pipeline (1-based).
    pub iteration: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub depth: Option<u32>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// Thread-safe event collector.
pub struct Events {
    start: Instant,
    events: Mutex<Vec<Event>>,
}

impl Default for Events {
    fn default() -> Self {
        Events {
            start: Instant::now(),
            events: Mutex::new(Vec::new()),
        }
    }
}

impl Events {
    /// Records an event now.
    pub fn record(
        &self,
        event: &str,
        agent: &str,
        iteration: u32,
        depth: Option<u32>,
        detail: impl Into<String>,
    ) {
        let e = Event {
            t_ms: self.start.elapsed().as_millis() as u64,
            event: event.into(),
            agent: agent.into(),
            iteration,
            depth,
            detail: detail.into(),
        };
        self.events.lock().expect("events lock").push(e);
    }

    /// All events so far, in order of recording.
    pub fn all(&self) -> Vec<Event> {
        self.events.lock().expect("events lock").clone()
    }

    /// JSON lines.
    pub fn jsonl(&self) -> String {
        self.all()
            .iter()
            .map(|e| serde_json::to_string(e).expect("event serializes") + "\n")
            .collect()
    }

    /// Milliseconds since the run started.
    pub fn elapsed_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }
}

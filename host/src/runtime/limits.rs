//! Sandbox limits for guests, and the resource limiter that enforces the memory ones.
//!
//! Every limit has a default, can be changed by the operator, and ends a run that exceeds it
//! with an error naming the limit (see `docs/security.md`).
use std::time::Duration;

/// Limits applied to one strategy guest for one run.
#[derive(Clone, Debug)]
pub struct GuestLimits {
    /// Linear memory of the guest, in bytes (all memories together). Default 256 MiB.
    pub memory_bytes: usize,
    /// Table elements per table. Default 100 000.
    pub table_elements: usize,
    /// Core instances, tables and memories per store. Default 32 each.
    pub instances: usize,
    /// Guest CPU time: wall-clock time spent executing guest code, not counting time spent in
    /// host calls (model requests, red team, Momus). Enforced with epoch interruption at
    /// [`EPOCH_TICK`] granularity. Default 60 s.
    pub cpu_time: Duration,
    /// Maximum wasm stack, in bytes. Default 1 MiB.
    pub stack_bytes: usize,
    /// Largest single payload accepted from a guest in one host call (an artifact, a
    /// serialized plan, a batch), in bytes. Default 4 MiB.
    pub call_bytes: usize,
    /// Longest log or progress message kept, in bytes; longer ones are cut. Default 4 KiB.
    pub log_message_bytes: usize,
    /// Total log bytes a guest may emit in a run; later messages are dropped. Default 1 MiB.
    pub log_total_bytes: usize,
    /// Artifacts a guest may write in a run. Default 256.
    pub artifacts: u32,
    /// Total artifact bytes a guest may write in a run. Default 32 MiB.
    pub artifact_total_bytes: u64,
    /// Agent calls (planner invocations, Momus, red-team fan-outs, convergence checks) a guest
    /// may make in one run: its share of the model budget. Default 200.
    pub agent_calls: u32,
    /// Largest batch accepted by `invoke-batch`. Default 16.
    pub batch_size: usize,
    /// Bytes a WASI guest may write to stdout, and again to stderr, in one run; once full the
    /// guest sees the stream closed. The captured text then goes to `run.log` under the log
    /// limits above. Default 64 KiB.
    pub stdio_bytes: usize,
    /// Calls of the `code-index` interface (lookups, searches, excerpts) a guest may make in
    /// one run. Cheap for the guest, not for the host: counted apart from the agent calls.
    /// Default 500.
    pub code_queries: u32,
    /// Total bytes of `code-index` answers (JSON size of the records) a guest may receive in
    /// one run. Default 4 MiB.
    pub code_answer_bytes: u64,
    /// Bounds of each `code-index` call: name and search length, results per answer, lines
    /// and bytes per excerpt (docs/security.md, "Code index queries").
    pub code_query: crate::index::query::QueryLimits,
}

/// How often the engine's epoch advances; the granularity of the CPU-time limit.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Default for GuestLimits {
    fn default() -> Self {
        GuestLimits {
            memory_bytes: 256 << 20,
            table_elements: 100_000,
            instances: 32,
            cpu_time: Duration::from_secs(60),
            stack_bytes: 1 << 20,
            call_bytes: 4 << 20,
            log_message_bytes: 4 << 10,
            log_total_bytes: 1 << 20,
            artifacts: 256,
            artifact_total_bytes: 32 << 20,
            agent_calls: 200,
            batch_size: 16,
            stdio_bytes: 64 << 10,
            code_queries: 500,
            code_answer_bytes: 4 << 20,
            code_query: crate::index::query::QueryLimits::default(),
        }
    }
}

/// Which limit stopped a guest; recorded by the limiter before it traps so the error can name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitHit {
    Memory {
        limit: usize,
        requested: usize,
    },
    Table {
        limit: usize,
        requested: usize,
    },
    CpuTime {
        limit: Duration,
    },
    /// Too many core instances, tables or memories in one store (`what` names which).
    Count {
        what: &'static str,
        limit: usize,
    },
}

impl LimitHit {
    /// Recognises wasmtime's refusal of the `what`-th core instance, table or memory (the
    /// counts [`GuestLimiter`] reports through `ResourceLimiter::{instances, tables,
    /// memories}`; wasmtime refuses those itself, so nothing is recorded before): the error
    /// text "resource limit exceeded: instance count too high at 33" and the like, anywhere in
    /// `err`'s chain.
    pub fn from_count_error(err: &wasmtime::Error, limits: &GuestLimits) -> Option<LimitHit> {
        let text = format!("{err:#}");
        ["instance", "table", "memory"]
            .into_iter()
            .find(|what| text.contains(&format!("{what} count too high")))
            .map(|what| LimitHit::Count {
                what,
                limit: limits.instances,
            })
    }
}

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Memory { limit, requested } => write!(
                f,
                "memory limit: the guest asked for {} MiB of linear memory, the limit is {} MiB (--max-guest-memory)",
                requested >> 20,
                limit >> 20
            ),
            LimitHit::Table { limit, requested } => {
                write!(f, "table limit: the guest asked for {requested} table elements, the limit is {limit}")
            }
            LimitHit::Count { what, limit } => write!(
                f,
                "{what} limit: the component creates more than {limit} core {what}s in one store"
            ),
            LimitHit::CpuTime { limit } => write!(
                f,
                "CPU time limit: the guest ran for more than {} s of guest time (--max-guest-cpu)",
                limit.as_secs_f64()
            ),
        }
    }
}

/// Enforces [`GuestLimits`] memory and table bounds on a store; growing past them traps the
/// guest (rather than failing `memory.grow` softly) and records [`LimitHit`].
pub struct GuestLimiter {
    limits: GuestLimits,
    /// The limit that stopped the guest, if one did.
    pub hit: Option<LimitHit>,
}

impl GuestLimiter {
    pub fn new(limits: GuestLimits) -> Self {
        GuestLimiter { limits, hit: None }
    }
}

impl wasmtime::ResourceLimiter for GuestLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.memory_bytes {
            let hit = LimitHit::Memory {
                limit: self.limits.memory_bytes,
                requested: desired,
            };
            let msg = hit.to_string();
            self.hit = Some(hit);
            return Err(wasmtime::Error::msg(msg));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.limits.table_elements {
            let hit = LimitHit::Table {
                limit: self.limits.table_elements,
                requested: desired,
            };
            let msg = hit.to_string();
            self.hit = Some(hit);
            return Err(wasmtime::Error::msg(msg));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        self.limits.instances
    }
    fn tables(&self) -> usize {
        self.limits.instances
    }
    fn memories(&self) -> usize {
        self.limits.instances
    }
}

#[cfg(test)]
mod tests {
    //! The table and instance limits against real components (WAT, compiled by wasmtime) in a
    //! store with [`GuestLimiter`], as every guest store has. End-to-end strategies cannot reach
    //! these limits from Rust or Python source, so the hostile components are written here.
    use super::*;
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Engine, Store};

    fn instantiate(wat: &str) -> (wasmtime::Result<()>, Option<LimitHit>) {
        let engine = Engine::default();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let mut store = Store::new(&engine, GuestLimiter::new(GuestLimits::default()));
        store.limiter(|l| l);
        let result = Linker::<GuestLimiter>::new(&engine)
            .instantiate(&mut store, &component)
            .map(|_| ());
        let hit = store.data().hit.clone();
        (result, hit)
    }

    #[test]
    fn a_table_larger_than_the_limit_is_refused_and_named() {
        let (r, hit) = instantiate(
            r#"(component (core module $m (table 200000 funcref)) (core instance (instantiate $m)))"#,
        );
        assert!(r.is_err());
        let hit = hit.expect("the limiter recorded the table limit");
        assert_eq!(
            hit,
            LimitHit::Table {
                limit: 100_000,
                requested: 200_000
            }
        );
        assert!(hit.to_string().starts_with("table limit"), "{hit}");
        // At the limit is fine.
        let (r, hit) = instantiate(
            r#"(component (core module $m (table 100000 funcref)) (core instance (instantiate $m)))"#,
        );
        assert!(r.is_ok() && hit.is_none(), "{r:?}");
    }

    /// A component of `instances` core instances of a module defining `per` tables or
    /// memories (none for `"instance"`).
    fn many(what: &str, instances: usize, per: usize) -> String {
        let item = match what {
            "table" => "(table 1 funcref)",
            "memory" => "(memory 1)",
            _ => "",
        };
        format!(
            "(component (core module $m {}) {})",
            item.repeat(per),
            "(core instance (instantiate $m))".repeat(instances)
        )
    }

    #[test]
    fn more_core_instances_tables_or_memories_than_the_limit_are_refused_and_named() {
        for what in ["instance", "table", "memory"] {
            // 40 instances; or 8 instances of 5 tables (memories) each = 40.
            let bomb = match what {
                "instance" => many(what, 40, 0),
                _ => many(what, 8, 5),
            };
            let (r, _) = instantiate(&bomb);
            let err = r.expect_err(what);
            let hit = LimitHit::from_count_error(&err, &GuestLimits::default())
                .unwrap_or_else(|| panic!("{what}: not recognised as a count limit: {err:#}"));
            assert_eq!(hit, LimitHit::Count { what, limit: 32 });
            assert!(
                hit.to_string().starts_with(&format!("{what} limit")),
                "{hit}"
            );
            let (r, _) = instantiate(&many(what, 8, 2));
            assert!(r.is_ok(), "{what}: {r:?}");
        }
    }
}

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
        }
    }
}

/// Which limit stopped a guest; recorded by the limiter before it traps so the error can name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LimitHit {
    Memory { limit: usize, requested: usize },
    Table { limit: usize, requested: usize },
    CpuTime { limit: Duration },
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

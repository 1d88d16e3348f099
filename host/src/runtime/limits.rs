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
    /// Longest log message kept, in bytes; longer ones are cut. Default 4 KiB.
    pub log_message_bytes: usize,
    /// Bytes of `run.log` a guest may fill in a run (its `log` and `progress` lines and WASI
    /// output, each line counted whole with its `[guest NAME] level: ` prefix and at least
    /// [`LOG_CALL_COST`]); later lines are dropped, with one line saying so. Default 1 MiB.
    pub log_total_bytes: usize,
    /// `log` calls (and WASI output lines) a guest may make in a run; later ones are dropped,
    /// with one line saying so. Default 10 000.
    pub log_calls: u32,
    /// `progress` calls a guest may make in a run; later ones are dropped, with one line
    /// saying so. Default 10 000.
    pub progress_calls: u32,
    /// Bytes of progress a guest may put on the terminal in a run (each line counted at least
    /// [`LOG_CALL_COST`]). Default 256 KiB.
    pub progress_total_bytes: usize,
    /// Progress lines shown (on the terminal and in `run.log`): a burst of this many, then
    /// [`Self::progress_per_second`]; lines over the rate are dropped. Default 20.
    pub progress_burst: u32,
    /// Progress lines per second a guest may show once its burst is spent. Default 10.
    pub progress_per_second: u32,
    /// Hostcall fuel: most bytes the host allocates for what a guest passes in one call —
    /// the arguments of one host call, or the result of `run`/`info`/`check` — counted by
    /// wasmtime as it copies them out of the guest (`Store::set_hostcall_fuel`). Past it the
    /// call traps and the error names this limit. Default 32 MiB.
    pub hostcall_bytes: usize,
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
    /// Bounds of the summary of earlier runs the `history` interface answers with
    /// (docs/security.md, "Run history"). Default [`HISTORY_LIMITS`].
    pub history: HistoryLimits,
}

/// Bounds on the summary of earlier runs of the repository that a strategy reads through the
/// WIT `history` interface (`history::summary`, docs/design.md §11). The summary is made once
/// per run from the run directories' `rollup.yaml` files; whatever the runs root holds, it
/// stays within these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryLimits {
    /// Run directories looked at, the newest by name (run ids sort by time). 200.
    pub scanned: usize,
    /// Largest `rollup.yaml` read, in bytes; a larger one is skipped unread (a real rollup is a
    /// few KiB; `anneal runs` reads up to `history::MAX_ROLLUP_BYTES`). 256 KiB.
    pub rollup_bytes: u64,
    /// Runs in the summary; the rest are counted in `omitted`. 20.
    pub runs: usize,
    /// Bytes of the whole summary (every text, and 64 per run and per option for the
    /// numbers); a run that would pass it is counted in `omitted`. 32 KiB.
    pub total_bytes: usize,
    /// Longest task kept, in bytes (cut at a character boundary). 200.
    pub task_bytes: usize,
    /// Longest run id, strategy name, option name or option value kept, in bytes. 64.
    pub name_bytes: usize,
    /// Options kept per run. 16.
    pub options: usize,
    /// Depth scores kept per run (Temper's cap is 5). 8.
    pub depth_scores: usize,
}

/// The bounds every history summary is held to by default.
pub const HISTORY_LIMITS: HistoryLimits = HistoryLimits {
    scanned: 200,
    rollup_bytes: 256 << 10,
    runs: 20,
    total_bytes: 32 << 10,
    task_bytes: 200,
    name_bytes: 64,
    options: 16,
    depth_scores: 8,
};

/// The least a `log` or `progress` call costs against the byte limits, whatever its length:
/// an empty message still costs the host a call, a line and its prefix.
pub const LOG_CALL_COST: usize = 64;

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
            log_calls: 10_000,
            progress_calls: 10_000,
            progress_total_bytes: 256 << 10,
            progress_burst: 20,
            progress_per_second: 10,
            hostcall_bytes: 32 << 20,
            artifacts: 256,
            artifact_total_bytes: 32 << 20,
            agent_calls: 200,
            batch_size: 16,
            stdio_bytes: 64 << 10,
            code_queries: 500,
            code_answer_bytes: 4 << 20,
            code_query: crate::index::query::QueryLimits::default(),
            history: HISTORY_LIMITS,
        }
    }
}

/// Bounds on compiling a component (`runtime::compile`). The counts are checked with
/// `wasmparser` before anything is compiled; the time and memory limits hold the compilation
/// itself, which runs in a child process of its own (docs/security.md, "Compile limits").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileLimits {
    /// Largest component, in bytes. 64 MiB (an interpreter built with componentize-py is
    /// about 18 MB).
    pub component_bytes: usize,
    /// Functions in all its core modules together. 100 000 (componentize-py: about 13 000).
    pub functions: usize,
    /// Locals of one function. 2 000 (the largest seen in real guests is 271; compile time
    /// grows much faster than linearly with them).
    pub locals: u64,
    /// Bytes of one function body. 1 MiB (componentize-py's largest: 417 KiB).
    pub body_bytes: usize,
    /// Compile time allowed: this much, plus [`Self::time_per_mib`] per MiB of component.
    /// 10 s. `--max-compile-secs` replaces the sum.
    pub time_base: std::time::Duration,
    /// Compile time allowed per MiB of component. 10 s.
    pub time_per_mib: std::time::Duration,
    /// Address space of the compiling process: this much, plus [`Self::memory_per_mib`] per
    /// MiB of component. 1 GiB. `--max-compile-memory` replaces the sum.
    pub memory_base: u64,
    /// Address space allowed per MiB of component. 64 MiB.
    pub memory_per_mib: u64,
}

/// The bounds every component is compiled under.
pub const COMPILE_LIMITS: CompileLimits = CompileLimits {
    component_bytes: 64 << 20,
    functions: 100_000,
    locals: 2_000,
    body_bytes: 1 << 20,
    time_base: std::time::Duration::from_secs(10),
    time_per_mib: std::time::Duration::from_secs(10),
    memory_base: 1 << 30,
    memory_per_mib: 64 << 20,
};

/// Bounds on what a strategy says about itself in `info()`, checked when it is loaded
/// (`runtime::info`). Text over a bound is cut; a name, version or option name that breaks its
/// rule refuses the component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InfoLimits {
    /// Longest version string, in bytes (it must also be semver). 64.
    pub version_bytes: usize,
    /// Longest description kept, in bytes. 500.
    pub description_bytes: usize,
    /// Most options a strategy may declare. 32.
    pub options: usize,
    /// Longest option name, in bytes (names are `[a-z][a-z0-9_-]*`). 32.
    pub option_name_bytes: usize,
    /// Longest option description, `below-min` or `above-max` message kept, in bytes. 300.
    pub option_text_bytes: usize,
    /// Longest option default value, in bytes: the longest value `--opt` accepts. 1000.
    pub default_bytes: usize,
}

/// The bounds every strategy's `info()` is held to.
pub const INFO_LIMITS: InfoLimits = InfoLimits {
    version_bytes: 64,
    description_bytes: 500,
    options: 32,
    option_name_bytes: 32,
    option_text_bytes: 300,
    default_bytes: crate::options::TEXT_VALUE_BYTES,
};

/// Bounds on each field of the stage output a strategy returns from `run` (WIT
/// `stage-output`), checked before anything of it reaches the rollup, the summary or a file.
/// The plan's own fields are bounded by `model::validate::validate_plan`; its serialized size
/// by [`GuestLimits::call_bytes`]. An output over any bound is refused whole, naming the field
/// and the bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimits {
    /// Entries of `notes`. 64.
    pub notes: usize,
    /// Bytes of one note. 500.
    pub note_bytes: usize,
    /// Entries of `bias-set` (Alloy's lenses). 16.
    pub bias_set: usize,
    /// Bytes of one `bias-set` entry. 64.
    pub bias_bytes: usize,
    /// Entries of `depth-scores`, each a finite number in 0–100. 64.
    pub depth_scores: usize,
    /// Largest `depth-final`. 64.
    pub depth_final: u32,
    /// Largest `stage-loops`. 100.
    pub stage_loops: u32,
}

/// The bounds every stage output is held to.
pub const OUTPUT_LIMITS: OutputLimits = OutputLimits {
    notes: 64,
    note_bytes: 500,
    bias_set: 16,
    bias_bytes: 64,
    depth_scores: 64,
    depth_final: 64,
    stage_loops: 100,
};

/// Checks a stage output against `limits`, and its plan's serialized size against
/// `plan_bytes`.
///
/// # Errors
/// The first field over its bound: `"notes has 10000 entries; the limit is 64"`.
pub fn check_output(
    out: &crate::model::StageOutput,
    limits: &OutputLimits,
    plan_bytes: usize,
) -> Result<(), String> {
    let count = |field: &str, n: usize, max: usize| {
        if n > max {
            Err(format!("{field} has {n} entries; the limit is {max}"))
        } else {
            Ok(())
        }
    };
    let each = |field: &str, items: &[String], max: usize| match items
        .iter()
        .position(|s| s.len() > max)
    {
        Some(i) => Err(format!(
            "{field}[{i}] is {} bytes; the limit is {max} bytes",
            items[i].len()
        )),
        None => Ok(()),
    };
    count("notes", out.notes.len(), limits.notes)?;
    each("notes", &out.notes, limits.note_bytes)?;
    count("bias-set", out.bias_set.len(), limits.bias_set)?;
    each("bias-set", &out.bias_set, limits.bias_bytes)?;
    count("depth-scores", out.depth_scores.len(), limits.depth_scores)?;
    if let Some(i) = out
        .depth_scores
        .iter()
        .position(|s| !s.is_finite() || !(0.0..=100.0).contains(s))
    {
        return Err(format!(
            "depth-scores[{i}] is {}; a score is a number in 0-100",
            out.depth_scores[i]
        ));
    }
    if let Some(d) = out.depth_final.filter(|d| *d > limits.depth_final) {
        return Err(format!(
            "depth-final is {d}; the limit is {}",
            limits.depth_final
        ));
    }
    if out.stage_loops > limits.stage_loops {
        return Err(format!(
            "stage-loops is {}; the limit is {}",
            out.stage_loops, limits.stage_loops
        ));
    }
    let n = serde_json::to_vec(&out.plan).map_or(usize::MAX, |v| v.len());
    if n > plan_bytes {
        return Err(format!(
            "the plan is {n} bytes as JSON; the limit is {plan_bytes} bytes"
        ));
    }
    Ok(())
}

/// An empty stage output with a one-field plan, for tests.
#[cfg(test)]
pub(crate) fn tests_output() -> crate::model::StageOutput {
    crate::model::StageOutput {
        plan: crate::model::Plan {
            title: "t".into(),
            thesis: String::new(),
            effort: String::new(),
            phases: Vec::new(),
            dependencies: crate::model::Dependencies {
                services: Vec::new(),
                env_vars: Vec::new(),
                permissions: Vec::new(),
            },
            out_of_scope: Vec::new(),
            iron_rules: Vec::new(),
            author: "a".into(),
        },
        stage_loops: 0,
        depth_final: None,
        depth_scores: Vec::new(),
        convergence_reason: None,
        bias_set: Vec::new(),
        notes: Vec::new(),
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
    /// The guest passed more than the hostcall fuel allows in one call.
    HostcallData {
        limit: usize,
    },
}

impl LimitHit {
    /// Recognises the limits wasmtime enforces itself, so nothing is recorded before: the
    /// refusal of the `what`-th core instance, table or memory (the counts [`GuestLimiter`]
    /// reports through `ResourceLimiter::{instances, tables, memories}`; the error text
    /// "resource limit exceeded: instance count too high at 33" and the like), and hostcall
    /// fuel running out ([`GuestLimits::hostcall_bytes`]), anywhere in `err`'s chain.
    pub fn from_wasmtime_error(err: &wasmtime::Error, limits: &GuestLimits) -> Option<LimitHit> {
        let text = format!("{err:#}");
        ["instance", "table", "memory"]
            .into_iter()
            .find(|what| text.contains(&format!("{what} count too high")))
            .map(|what| LimitHit::Count {
                what,
                limit: limits.instances,
            })
            .or_else(|| {
                text.contains(HOSTCALL_FUEL_EXHAUSTED)
                    .then_some(LimitHit::HostcallData {
                        limit: limits.hostcall_bytes,
                    })
            })
    }
}

/// What wasmtime says (in its error's chain) when a guest passes more data in one call than
/// the store's hostcall fuel allows; its error type is private, so the text is matched.
const HOSTCALL_FUEL_EXHAUSTED: &str = "fuel allocated for hostcalls has been exhausted";

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LimitHit::Memory { limit, requested } => write!(
                f,
                "memory limit: the guest asked for {} of linear memory, over the limit of {} (--max-guest-memory)",
                size(*requested),
                size(*limit)
            ),
            LimitHit::Table { limit, requested } => {
                write!(f, "table limit: the guest asked for {requested} table elements, the limit is {limit}")
            }
            LimitHit::Count { what, limit } => write!(
                f,
                "{what} limit: the component creates more than {limit} core {what}s in one store"
            ),
            LimitHit::HostcallData { limit } => write!(
                f,
                "host-call data limit: the guest passed more than {} MiB to the host in one call \
                 (the arguments of a host call, or what run/info returned)",
                limit >> 20
            ),
            LimitHit::CpuTime { limit } => write!(
                f,
                "CPU time limit: the guest ran for more than {} s of guest time (--max-guest-cpu)",
                limit.as_secs_f64()
            ),
        }
    }
}

/// `bytes` exactly, in the largest units that say it without rounding: `256 MiB`,
/// `256 MiB + 64 KiB` (one wasm page over), else `N bytes`. A request just over a limit must
/// not read as equal to it.
fn size(bytes: usize) -> String {
    let (mib, rest) = (bytes >> 20, bytes & ((1 << 20) - 1));
    match (mib, rest) {
        (m, 0) => format!("{m} MiB"),
        (0, r) if r % 1024 == 0 => format!("{} KiB", r >> 10),
        (m, r) if r % 1024 == 0 => format!("{m} MiB + {} KiB", r >> 10),
        _ => format!("{bytes} bytes"),
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

    #[test]
    fn a_memory_one_page_over_the_limit_is_refused_and_says_by_how_much() {
        // 4097 wasm pages of 64 KiB: 256 MiB + 64 KiB, one page over the default limit.
        let (r, hit) = instantiate(
            r#"(component (core module $m (memory 4097)) (core instance (instantiate $m)))"#,
        );
        assert!(r.is_err());
        let hit = hit.expect("the limiter recorded the memory limit");
        assert_eq!(
            hit,
            LimitHit::Memory {
                limit: 256 << 20,
                requested: (256 << 20) + (64 << 10)
            }
        );
        assert_eq!(
            hit.to_string(),
            "memory limit: the guest asked for 256 MiB + 64 KiB of linear memory, over the limit \
             of 256 MiB (--max-guest-memory)"
        );
        let (r, hit) = instantiate(
            r#"(component (core module $m (memory 4096)) (core instance (instantiate $m)))"#,
        );
        assert!(r.is_ok() && hit.is_none(), "at the limit is fine: {r:?}");
        assert_eq!(size(512 << 10), "512 KiB");
        assert_eq!(size((1 << 20) + 3), "1048579 bytes");
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
            let hit = LimitHit::from_wasmtime_error(&err, &GuestLimits::default())
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

    /// A guest passing more than the hostcall fuel in one call (here a 2 MiB string to a host
    /// function, with 1 MiB of fuel) traps, and the error is recognised as that limit.
    #[test]
    fn a_call_over_the_hostcall_fuel_is_named_as_the_host_call_data_limit() {
        let wat = r#"(component
            (import "log" (func $log (param "m" string)))
            (core module $mem (memory (export "m") 40))
            (core instance $mi (instantiate $mem))
            (alias core export $mi "m" (core memory $m))
            (core func $lowered (canon lower (func $log) (memory $m)))
            (core module $main
                (import "host" "log" (func $log (param i32 i32)))
                (func (export "go") (call $log (i32.const 0) (i32.const 2097152))))
            (core instance $i (instantiate $main
                (with "host" (instance (export "log" (func $lowered))))))
            (func (export "go") (canon lift (core func $i "go"))))"#;
        let engine = Engine::default();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let limits = GuestLimits {
            hostcall_bytes: 1 << 20,
            ..GuestLimits::default()
        };
        let mut store = Store::new(&engine, GuestLimiter::new(limits.clone()));
        store.set_hostcall_fuel(limits.hostcall_bytes);
        let mut linker = Linker::<GuestLimiter>::new(&engine);
        linker
            .root()
            .func_wrap("log", |_, (_m,): (String,)| Ok(()))
            .unwrap();
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let go = instance.get_typed_func::<(), ()>(&mut store, "go").unwrap();
        let err = go.call(&mut store, ()).unwrap_err();
        let hit = LimitHit::from_wasmtime_error(&err, &limits)
            .unwrap_or_else(|| panic!("not recognised: {err:#}"));
        assert_eq!(hit, LimitHit::HostcallData { limit: 1 << 20 });
        assert!(hit.to_string().starts_with("host-call data limit"), "{hit}");
        // Within the fuel the same call goes through.
        let mut store = Store::new(&engine, GuestLimiter::new(GuestLimits::default()));
        store.set_hostcall_fuel(4 << 20);
        let instance = linker.instantiate(&mut store, &component).unwrap();
        let go = instance.get_typed_func::<(), ()>(&mut store, "go").unwrap();
        go.call(&mut store, ()).unwrap();
    }

    #[test]
    fn every_stage_output_field_is_bounded_and_named() {
        let ok = tests_output();
        assert!(check_output(&ok, &OUTPUT_LIMITS, 4 << 20).is_ok());
        type Spoil = Box<dyn Fn(&mut crate::model::StageOutput)>;
        let cases: Vec<(Spoil, &str)> = vec![
            (
                Box::new(|o| o.notes = vec![String::new(); 10_000]),
                "notes has 10000 entries; the limit is 64",
            ),
            (
                Box::new(|o| o.notes = vec!["n".repeat(501)]),
                "notes[0] is 501 bytes",
            ),
            (
                Box::new(|o| o.bias_set = vec!["b".into(); 17]),
                "bias-set has 17 entries; the limit is 16",
            ),
            (
                Box::new(|o| o.bias_set = vec!["b".repeat(65)]),
                "bias-set[0] is 65 bytes",
            ),
            (
                Box::new(|o| o.depth_scores = vec![50.0; 65]),
                "depth-scores has 65 entries",
            ),
            (
                Box::new(|o| o.depth_scores = vec![50.0, f64::NAN]),
                "depth-scores[1] is NaN",
            ),
            (
                Box::new(|o| o.depth_scores = vec![101.0]),
                "depth-scores[0] is 101",
            ),
            (
                Box::new(|o| o.depth_final = Some(1000)),
                "depth-final is 1000",
            ),
            (
                Box::new(|o| o.stage_loops = 1_000_000),
                "stage-loops is 1000000",
            ),
            (
                Box::new(|o| o.plan.thesis = "x".repeat(5 << 20)),
                "the plan is",
            ),
        ];
        for (spoil, needle) in cases {
            let mut o = tests_output();
            spoil(&mut o);
            let e = check_output(&o, &OUTPUT_LIMITS, 4 << 20).unwrap_err();
            assert!(e.contains(needle), "{needle:?} not in {e:?}");
        }
    }
}

//! Instantiating and calling components: one fresh store per call, with the limits applied,
//! WASI only for strategies that import it and then with nothing granted (see `runtime::wasi`),
//! and errors that name the strategy and the limit it hit.
use super::bindings::{ConvergencePre, StrategyPre};
use super::engine::Runtime;
use super::host_impl::{GuestClock, HostState};
use super::limits::{GuestLimiter, GuestLimits, LimitHit, OUTPUT_LIMITS};
use super::loader::Loaded;
use super::wasi::GuestWasi;
use crate::model::{Decision, RunInput, SpawnEstimate, StageOutput, StrategyInfo, Thresholds};
use std::future::Future;
use std::time::Duration;
use wasmtime::{Store, Trap, UpdateDeadline};

/// Store data of a strategy instance.
pub struct StoreState {
    limiter: GuestLimiter,
    cpu_limit: std::time::Duration,
    /// The `host` interface state.
    pub host: HostState,
    /// WASI with nothing granted (linked only for components that import WASI).
    wasi: GuestWasi,
}

impl wasmtime_wasi::WasiView for StoreState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        self.wasi.ctx()
    }
}

impl StoreState {
    /// Appends what the guest wrote to WASI stdout/stderr to the run log (sanitized, bounded by
    /// the log limits) and hands back the host state.
    fn finish(self) -> HostState {
        let mut host = self.host;
        let (out, err) = self.wasi.output();
        host.log_output("stdout", &out);
        host.log_output("stderr", &err);
        host
    }
}

/// Why calling a guest failed. The host is always left running.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    /// The component does not match the world's types (caught at link time).
    #[error("{origin} does not match the anneal:strategy@{version} {world} world: {reason}")]
    Link {
        origin: String,
        version: String,
        world: &'static str,
        reason: String,
    },
    /// A sandbox limit stopped the guest.
    #[error("strategy {name} was stopped by its {limit}")]
    Limit { name: String, limit: LimitHit },
    /// The guest's stack overflowed.
    #[error("strategy {name} was stopped by its stack limit ({kib} KiB of wasm stack): it recursed too deeply ({detail})")]
    Stack {
        name: String,
        kib: usize,
        detail: String,
    },
    /// The guest trapped (a panic, `unreachable`, an out-of-bounds access, …).
    #[error("strategy {name} crashed (trap): {detail}")]
    Trap { name: String, detail: String },
    /// The guest returned an error of its own.
    #[error("strategy {name} failed: {message}")]
    Returned { name: String, message: String },
    /// The stage output the strategy returned is over a limit (`limits::OUTPUT_LIMITS`).
    #[error("strategy {name} returned a stage output over the limits: {problem} (docs/security.md, stage-output limits)")]
    Output { name: String, problem: String },
    /// What the strategy says about itself in `info()` breaks a rule (see `runtime::info`).
    #[error("{origin} cannot be used as a strategy: its info() {problem}")]
    Info { origin: String, problem: String },
}

fn store(runtime: &Runtime, host: HostState, limits: &GuestLimits) -> Store<StoreState> {
    let mut store = Store::new(
        runtime.engine(),
        StoreState {
            limiter: GuestLimiter::new(limits.clone()),
            cpu_limit: limits.cpu_time,
            host,
            wasi: GuestWasi::new(limits.stdio_bytes),
        },
    );
    store.limiter(|s| &mut s.limiter);
    store.set_hostcall_fuel(limits.hostcall_bytes);
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(|mut ctx| {
        let data = ctx.data_mut();
        if data.host.guest_time() > data.cpu_limit {
            let hit = LimitHit::CpuTime {
                limit: data.cpu_limit,
            };
            let msg = hit.to_string();
            data.limiter.hit = Some(hit);
            return Err(wasmtime::Error::msg(msg));
        }
        Ok(UpdateDeadline::Continue(1))
    });
    store
}

fn classify(
    err: wasmtime::Error,
    store: &Store<StoreState>,
    name: &str,
    limits: &GuestLimits,
) -> GuestError {
    classify_with(err, store.data().limiter.hit.clone(), name, limits)
}

/// [`classify`] given the limit the limiter recorded, if any.
fn classify_with(
    err: wasmtime::Error,
    recorded: Option<LimitHit>,
    name: &str,
    limits: &GuestLimits,
) -> GuestError {
    if let Some(hit) = recorded.or_else(|| LimitHit::from_wasmtime_error(&err, limits)) {
        return GuestError::Limit {
            name: name.into(),
            limit: hit,
        };
    }
    let trap = err.downcast_ref::<Trap>().copied();
    let frames: Vec<String> = err
        .downcast_ref::<wasmtime::WasmBacktrace>()
        .map(|bt| {
            bt.frames()
                .iter()
                .map(|f| {
                    f.func_name()
                        .map(frame_name)
                        .unwrap_or_else(|| "<unnamed>".into())
                })
                .collect()
        })
        .unwrap_or_default();
    let kib = limits.stack_bytes.min(super::engine::MAX_WASM_STACK) >> 10;
    // A guest's own stack lives in its linear memory (the "shadow stack"): overflowing it shows
    // as an out-of-bounds access deep inside one recursing function.
    let recursing = recursion(&frames);
    match trap {
        Some(Trap::StackOverflow) => GuestError::Stack {
            name: name.into(),
            kib,
            detail: recursing.unwrap_or_default(),
        },
        Some(Trap::Interrupt) => GuestError::Limit {
            name: name.into(),
            limit: LimitHit::CpuTime {
                limit: limits.cpu_time,
            },
        },
        Some(Trap::MemoryOutOfBounds) if recursing.is_some() => GuestError::Stack {
            name: name.into(),
            kib,
            detail: format!(
                "{} (its own stack in linear memory overflowed)",
                recursing.unwrap_or_default()
            ),
        },
        _ => {
            let what = match trap {
                Some(Trap::UnreachableCodeReached) => {
                    "wasm `unreachable` executed (the guest panicked, aborted or threw an uncaught error)".to_string()
                }
                Some(t) => t.to_string(),
                None => format!("{:#}", err.root_cause()),
            };
            // The guest's own frames say more than the runtime's panic machinery.
            let own: Vec<&str> = frames
                .iter()
                .map(String::as_str)
                .filter(|f| {
                    ![
                        "std::",
                        "core::",
                        "alloc::",
                        "__rustc::",
                        "__rust",
                        "<unnamed>",
                    ]
                    .iter()
                    .any(|p| f.starts_with(p))
                })
                .collect();
            let at: Vec<&str> = if own.is_empty() {
                frames.iter().take(4).map(String::as_str).collect()
            } else {
                own.into_iter().take(4).collect()
            };
            let detail = if at.is_empty() {
                what
            } else {
                format!("{what}; at {}", at.join(" ← "))
            };
            GuestError::Trap {
                name: name.into(),
                detail,
            }
        }
    }
}

/// Longest function name shown from a guest's name section, in bytes.
const FRAME_NAME_BYTES: usize = 120;

/// A function name from the guest's name section, as shown in a trap message (and from there
/// in `rollup.yaml` and `plan.md`): demangled, then sanitized like any guest text, since the
/// name section is whatever the component's author wrote.
fn frame_name(raw: &str) -> String {
    crate::text::sanitize(
        &format!("{:#}", rustc_demangle::demangle(raw)),
        FRAME_NAME_BYTES,
    )
}

/// `Some("N frames of f")` when a backtrace is deep and dominated by one function.
fn recursion(frames: &[String]) -> Option<String> {
    if frames.len() < 20 {
        return None;
    }
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for f in frames {
        *counts.entry(f.as_str()).or_default() += 1;
    }
    let (func, n) = counts.into_iter().max_by_key(|(_, n)| *n)?;
    (n * 10 >= frames.len() * 9).then(|| format!("{n} frames of {func}"))
}

fn strategy_pre(runtime: &Runtime, loaded: &Loaded) -> Result<StrategyPre<StoreState>, GuestError> {
    StrategyPre::link(
        runtime.engine(),
        &loaded.component,
        &loaded.api_version,
        loaded.wasi,
        |s: &mut StoreState| &mut s.host,
    )
    .map_err(|e| GuestError::Link {
        origin: loaded.source.to_string(),
        version: loaded.api_version.clone(),
        world: "strategy",
        reason: format!("{e:#}"),
    })
}

/// How far past the CPU limit the watchdog lets a guest get before it cancels the call: the
/// epoch deadline (checked every [`super::limits::EPOCH_TICK`]) stops a computing guest first.
const WATCHDOG_GRACE: Duration = Duration::from_millis(250);

/// Runs `call` (a guest call on a store whose guest time `clock` measures) and cancels it —
/// dropping the future, which unwinds the guest — once the guest time passes `limit` plus
/// [`WATCHDOG_GRACE`]. The epoch deadline cannot interrupt a guest blocked inside a WASI host
/// call (a `wasi:io/poll` wait on a long timer, say), because no guest code runs; this does.
/// `None` when the watchdog fired.
async fn watched<T>(
    clock: &GuestClock,
    limit: Duration,
    call: impl Future<Output = T>,
) -> Option<T> {
    let watchdog = async {
        loop {
            let left = (limit + WATCHDOG_GRACE).saturating_sub(clock.guest_time());
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left.max(Duration::from_millis(50))).await;
        }
    };
    tokio::select! {
        r = call => Some(r),
        () = watchdog => None,
    }
}

/// The CPU-time limit error, for a guest the watchdog stopped.
fn cpu_limit(name: &str, limits: &GuestLimits) -> GuestError {
    GuestError::Limit {
        name: name.into(),
        limit: LimitHit::CpuTime {
            limit: limits.cpu_time,
        },
    }
}

/// Calls `info()` on a strategy with every host call refused, and checks and cleans what it
/// returns (`runtime::info`): every caller shows checked text.
///
/// # Errors
/// [`GuestError`] when the component does not link, the guest traps or exceeds a limit, or its
/// `info()` breaks a rule ([`GuestError::Info`]).
pub async fn strategy_info(
    runtime: &Runtime,
    loaded: &Loaded,
    limits: &GuestLimits,
) -> Result<StrategyInfo, GuestError> {
    let name = loaded.source.to_string();
    let pre = strategy_pre(runtime, loaded)?;
    let mut store = store(runtime, HostState::detached(&name, limits.clone()), limits);
    let clock = store.data().host.clock.clone();
    let call = pre.info(&mut store);
    let Some(result) = watched(&clock, limits.cpu_time, call).await else {
        return Err(cpu_limit(&name, limits));
    };
    let info = result.map_err(|e| classify(e, &store, &name, limits))?;
    super::info::check(info, &loaded.source, &loaded.sha256).map_err(|problem| GuestError::Info {
        origin: name,
        problem,
    })
}

/// Calls `estimate(options)` on a strategy with every host call refused, like
/// [`strategy_info`]; `None` for a component whose version declares no estimate (0.1.0).
///
/// # Errors
/// [`GuestError`] when the component does not link or the guest traps or exceeds a limit.
pub async fn strategy_estimate(
    runtime: &Runtime,
    loaded: &Loaded,
    limits: &GuestLimits,
    options: &[(String, String)],
) -> Result<Option<SpawnEstimate>, GuestError> {
    let name = loaded.source.to_string();
    let pre = strategy_pre(runtime, loaded)?;
    let mut store = store(runtime, HostState::detached(&name, limits.clone()), limits);
    let clock = store.data().host.clock.clone();
    let call = pre.estimate(&mut store, options);
    let Some(result) = watched(&clock, limits.cpu_time, call).await else {
        return Err(cpu_limit(&name, limits));
    };
    result.map_err(|e| classify(e, &store, &name, limits))
}

/// Runs stage 4: instantiates the strategy in a fresh store with `host` and calls `run(input)`.
/// Returns the output and the host state (artifacts written, agent calls, guest time).
///
/// # Errors
/// [`GuestError`] for link failures, traps, limits, or an `err` the guest returned.
pub async fn run_strategy(
    runtime: &Runtime,
    loaded: &Loaded,
    host: HostState,
    limits: &GuestLimits,
    input: &RunInput,
) -> Result<(StageOutput, HostState), (GuestError, HostState)> {
    let name = host.strategy.clone();
    let pre = match strategy_pre(runtime, loaded) {
        Ok(p) => p,
        Err(e) => return Err((e, host)),
    };
    let mut store = store(runtime, host, limits);
    let clock = store.data().host.clock.clone();
    let call = pre.run(&mut store, input);
    let Some(result) = watched(&clock, limits.cpu_time, call).await else {
        return Err((cpu_limit(&name, limits), store.into_data().finish()));
    };
    match result {
        Ok(Ok(out)) => {
            let host = store.into_data().finish();
            match super::limits::check_output(&out, &OUTPUT_LIMITS, limits.call_bytes) {
                Ok(()) => Ok((host.convergence.apply(out), host)),
                Err(problem) => Err((GuestError::Output { name, problem }, host)),
            }
        }
        Ok(Err(message)) => {
            let message = super::host_impl::sanitize(&message, 2000);
            Err((
                GuestError::Returned { name, message },
                store.into_data().finish(),
            ))
        }
        Err(e) => {
            let err = classify(e, &store, &name, limits);
            Err((err, store.into_data().finish()))
        }
    }
}

/// Limits for a convergence checker: it needs little.
pub fn checker_limits() -> GuestLimits {
    GuestLimits {
        memory_bytes: 32 << 20,
        cpu_time: std::time::Duration::from_secs(5),
        ..GuestLimits::default()
    }
}

/// A loaded convergence checker, called in a fresh store each time.
pub struct Checker {
    pre: ConvergencePre<StoreState>,
    name: String,
    limits: GuestLimits,
}

impl Checker {
    /// Links a convergence component.
    ///
    /// # Errors
    /// [`GuestError::Link`] when it does not match the convergence world.
    pub fn new(runtime: &Runtime, loaded: &Loaded) -> Result<Checker, GuestError> {
        let pre = ConvergencePre::link(
            runtime.engine(),
            &loaded.component,
            &loaded.api_version,
            |s: &mut StoreState| &mut s.host,
        )
        .map_err(|e| GuestError::Link {
            origin: loaded.source.to_string(),
            version: loaded.api_version.clone(),
            world: "convergence",
            reason: format!("{e:#}"),
        })?;
        Ok(Checker {
            pre,
            name: loaded.source.to_string(),
            limits: checker_limits(),
        })
    }

    /// `check(depth, scores, cap, thresholds)`: `Ok(Err(reason))` is the checker's own verdict
    /// that the input is invalid.
    ///
    /// # Errors
    /// [`GuestError`] when the checker traps or exceeds a limit.
    pub async fn check(
        &self,
        runtime: &Runtime,
        depth: u32,
        scores: &[f64],
        cap: u32,
        thresholds: Option<Thresholds>,
    ) -> Result<Result<Decision, String>, GuestError> {
        let mut store = store(
            runtime,
            HostState::detached(&self.name, self.limits.clone()),
            &self.limits,
        );
        let result = self
            .pre
            .check(&mut store, depth, scores, cap, thresholds)
            .await;
        result.map_err(|e| classify(e, &store, &self.name, &self.limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::component::{Component, Linker};
    use wasmtime::{Engine, Store};

    /// A trap in a function whose name-section name carries escape sequences: the message
    /// names the function without them.
    #[test]
    fn function_names_from_the_name_section_are_sanitized_in_trap_messages() {
        let wat = r#"(component
            (core module $m
                (func (@name "\1b]0;pwned\07\1b[2Jboom\0a[host] forged") (export "f") unreachable))
            (core instance $i (instantiate $m))
            (func (export "f") (canon lift (core func $i "f"))))"#;
        let engine = Engine::default();
        let component = Component::new(&engine, wat::parse_str(wat).unwrap()).unwrap();
        let mut store = Store::new(&engine, ());
        let instance = Linker::<()>::new(&engine)
            .instantiate(&mut store, &component)
            .unwrap();
        let f = instance.get_typed_func::<(), ()>(&mut store, "f").unwrap();
        let err = f.call(&mut store, ()).unwrap_err();
        let e = classify_with(err, None, "t", &GuestLimits::default());
        let text = e.to_string();
        assert!(text.contains("boom"), "{text}");
        assert!(!text.contains(['\u{1b}', '\u{7}', '\n']), "{text:?}");
    }
}

//! The wasmtime engine shared by every component of a process, and the epoch ticker that
//! drives guest CPU-time limits.
use super::cache;
use super::limits::EPOCH_TICK;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmtime::{Cache, Config, Engine};

/// Wasm stack bound for every guest (bytes). The async fiber stack is sized above it.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// An engine configured for untrusted components: component model, async host calls, epoch
/// interruption, bounded wasm stack, the compile cache of [`super::cache`]. Ticks the epoch every
/// [`EPOCH_TICK`] while alive.
pub struct Runtime {
    engine: Engine,
    stop: Arc<AtomicBool>,
    cache: Option<Cache>,
    /// The compile cache's directory, when the cache is in use.
    cache_dir: Option<std::path::PathBuf>,
    cache_warning: Option<String>,
}

/// How a component's machine code was obtained (see [`Runtime::compiled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compiled {
    /// Compiled now, and stored in the compile cache.
    Fresh,
    /// Read from the compile cache.
    Cached,
    /// Compiled now; the compile cache is off.
    Uncached,
}

impl std::fmt::Display for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Compiled::Fresh => "compiled, stored in the compile cache",
            Compiled::Cached => "from the compile cache",
            Compiled::Uncached => "compiled (compile cache off)",
        })
    }
}

/// The engine configuration every component is compiled and run with (component model, async
/// host calls, epoch interruption, bounded wasm stack) and the compile cache `cache`. The
/// compile child of `runtime::compile` builds its engine from the same function, so the machine
/// code it hands back matches this engine.
pub fn config(cache: Option<Cache>) -> Config {
    let mut config = Config::new();
    config.cache(cache);
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(MAX_WASM_STACK);
    config.async_stack_size(MAX_WASM_STACK + (1 << 20));
    config
}

impl Runtime {
    /// Builds the engine with the compile cache named by the environment
    /// ([`super::cache::from_env`]) and starts the epoch ticker thread.
    ///
    /// # Errors
    /// If wasmtime rejects the configuration (not expected on supported platforms).
    pub fn new() -> anyhow::Result<Runtime> {
        Runtime::with_cache(&cache::from_env())
    }

    /// As [`Runtime::new`], with the compile cache given. A cache directory that cannot be used
    /// is not an error: the runtime compiles without it and [`Runtime::cache_warning`] says why.
    ///
    /// # Errors
    /// If wasmtime rejects the configuration (not expected on supported platforms).
    pub fn with_cache(setting: &cache::Setting) -> anyhow::Result<Runtime> {
        let (cache, cache_warning) = match cache::open(setting) {
            Ok(c) => (c, None),
            Err(w) => (None, Some(w)),
        };
        let cache_dir = match (&cache, setting) {
            (Some(_), cache::Setting::Dir(d)) => Some(d.clone()),
            _ => None,
        };
        let engine = Engine::new(&config(cache.clone()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (e, s) = (engine.clone(), stop.clone());
        std::thread::Builder::new()
            .name("anneal-epoch".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    e.increment_epoch();
                }
            })?;
        Ok(Runtime {
            engine,
            stop,
            cache,
            cache_dir,
            cache_warning,
        })
    }

    /// The compile cache's directory, when the cache is in use.
    pub fn cache_dir(&self) -> Option<&std::path::Path> {
        self.cache_dir.as_deref()
    }

    /// Why the compile cache is not in use although one was asked for, if so.
    pub fn cache_warning(&self) -> Option<&str> {
        self.cache_warning.as_deref()
    }

    /// Runs `compile` (which compiles one component with this runtime's engine) and says where
    /// its machine code came from, by the cache's hit count before and after. Loads are
    /// sequential within a run, so the count is this compile's.
    pub fn compiled<T>(&self, compile: impl FnOnce() -> T) -> (T, Compiled) {
        let Some(c) = &self.cache else {
            return (compile(), Compiled::Uncached);
        };
        let hits = c.cache_hits();
        let out = compile();
        let how = if c.cache_hits() > hits {
            Compiled::Cached
        } else {
            Compiled::Fresh
        };
        (out, how)
    }

    /// The shared engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

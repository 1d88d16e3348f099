//! The wasmtime engine shared by every component of a process, and the epoch ticker that
//! drives guest CPU-time limits.
use super::limits::EPOCH_TICK;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wasmtime::{Config, Engine};

/// Wasm stack bound for every guest (bytes). The async fiber stack is sized above it.
pub const MAX_WASM_STACK: usize = 1 << 20;

/// An engine configured for untrusted components: component model, async host calls, epoch
/// interruption, bounded wasm stack. Ticks the epoch every [`EPOCH_TICK`] while alive.
pub struct Runtime {
    engine: Engine,
    stop: Arc<AtomicBool>,
}

impl Runtime {
    /// Builds the engine and starts the epoch ticker thread.
    ///
    /// # Errors
    /// If wasmtime rejects the configuration (not expected on supported platforms).
    pub fn new() -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        config.max_wasm_stack(MAX_WASM_STACK);
        config.async_stack_size(MAX_WASM_STACK + (1 << 20));
        let engine = Engine::new(&config)?;
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
        Ok(Runtime { engine, stop })
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

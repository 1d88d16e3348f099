//! Compiling a component to machine code under limits (docs/security.md, "Compile limits").
//!
//! Compiling untrusted WebAssembly is itself an attack surface: a small component can be built
//! so that Cranelift takes minutes and gigabytes on it (thousands of locals live across one
//! loop, say). So, before anything is compiled, [`precheck`] reads the component with
//! `wasmparser` and refuses one over [`CompileLimits`] — its size, its number of functions, the
//! locals and body size of any function — naming the count and the limit. Then the compilation
//! runs in a child process (the `anneal` binary itself, started with [`CHILD_ARG`]) whose
//! address space and CPU time are capped with `setrlimit`, and which the parent kills when the
//! wall-clock limit passes; the limit that stopped it is named in the error. The child writes
//! the compiled component back on a private pipe, and the parent loads it
//! (`Component::deserialize`): only machine code this binary's own compiler produced, with this
//! engine's settings, is ever loaded that way. The compile cache is the child's to read and
//! fill, exactly as the in-process compiler would.
//!
//! The child is used when the process was started as the `anneal` command (the CLI calls
//! [`configure`] with its own executable); a library user that does not (unit tests, benches)
//! compiles in-process, after the same [`precheck`].
use super::engine::{Compiled, Runtime};
use super::limits::{CompileLimits, COMPILE_LIMITS};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, Instant};
use wasmtime::component::Component;

/// First argument that turns the `anneal` binary into a compile child.
pub const CHILD_ARG: &str = "__anneal-compile-component";

/// Exit code of a compile child whose component did not compile (the reason on stderr).
const EXIT_INVALID: i32 = 3;

/// How this process compiles components, set once by the CLI.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The executable to start as a compile child (`None`: compile in-process).
    pub helper: Option<PathBuf>,
    /// `--max-compile-secs`: replaces the size-scaled time limit.
    pub time: Option<Duration>,
    /// `--max-compile-memory` (bytes): replaces the size-scaled address-space limit.
    pub memory: Option<u64>,
}

static SETTINGS: RwLock<Settings> = RwLock::new(Settings {
    helper: None,
    time: None,
    memory: None,
});

/// Sets how this process compiles components from now on (the CLI, once at start; the compile
/// benchmark, to compare the two ways).
pub fn configure(settings: Settings) {
    *SETTINGS.write().unwrap_or_else(|e| e.into_inner()) = settings;
}

fn settings() -> Settings {
    SETTINGS.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Why a component was not compiled.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// Over a count of [`CompileLimits`], found before compiling.
    #[error("it is over the compile limits: {0} (docs/security.md, compile limits)")]
    Over(String),
    /// The compilation went over its time or memory limit and was stopped.
    #[error("compiling it was stopped by the {0} (docs/security.md, compile limits)")]
    Stopped(String),
    /// Not a valid component, or the compile process failed otherwise.
    #[error("{0}")]
    Invalid(String),
}

/// Reads `bytes` (a component) with `wasmparser` and checks it against `limits`: its size, its
/// functions over all nested core modules, each function's locals and body size.
///
/// # Errors
/// [`CompileError::Over`] naming the count and the limit; [`CompileError::Invalid`] when the
/// bytes do not parse.
pub fn precheck(bytes: &[u8], limits: &CompileLimits) -> Result<(), CompileError> {
    if bytes.len() > limits.component_bytes {
        return Err(CompileError::Over(format!(
            "the component is {} MiB; the limit is {} MiB",
            bytes.len() >> 20,
            limits.component_bytes >> 20
        )));
    }
    let mut functions = 0usize;
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| CompileError::Invalid(e.to_string()))?;
        let wasmparser::Payload::CodeSectionEntry(body) = payload else {
            continue;
        };
        functions += 1;
        if functions > limits.functions {
            return Err(CompileError::Over(format!(
                "it has more than {} functions",
                limits.functions
            )));
        }
        let size = body.range().len();
        if size > limits.body_bytes {
            return Err(CompileError::Over(format!(
                "function {functions} has a body of {size} bytes; the limit is {} bytes",
                limits.body_bytes
            )));
        }
        let mut locals = 0u64;
        let reader = body
            .get_locals_reader()
            .map_err(|e| CompileError::Invalid(e.to_string()))?;
        for group in reader {
            let (n, _) = group.map_err(|e| CompileError::Invalid(e.to_string()))?;
            locals = locals.saturating_add(u64::from(n));
        }
        if locals > limits.locals {
            return Err(CompileError::Over(format!(
                "function {functions} has {locals} locals; the limit is {}",
                limits.locals
            )));
        }
    }
    Ok(())
}

/// The wall-clock time compiling `size` bytes may take: `--max-compile-secs`, else
/// [`CompileLimits::time_base`] plus [`CompileLimits::time_per_mib`] per MiB.
pub fn time_limit(size: usize, limits: &CompileLimits) -> Duration {
    settings().time.unwrap_or_else(|| {
        limits.time_base
            + limits
                .time_per_mib
                .mul_f64(size as f64 / f64::from(1 << 20))
    })
}

/// The address space the compile process may use for `size` bytes: `--max-compile-memory`,
/// else [`CompileLimits::memory_base`] plus [`CompileLimits::memory_per_mib`] per MiB.
pub fn memory_limit(size: usize, limits: &CompileLimits) -> u64 {
    settings().memory.unwrap_or_else(|| {
        limits.memory_base + limits.memory_per_mib * (size as u64).div_ceil(1 << 20)
    })
}

/// Compiles `bytes` for `runtime` under [`COMPILE_LIMITS`]: [`precheck`], then a compile child
/// when one is configured, else in-process. Returns the component and where its machine code
/// came from.
///
/// # Errors
/// [`CompileError`].
pub fn compile(runtime: &Runtime, bytes: &[u8]) -> Result<(Component, Compiled), CompileError> {
    precheck(bytes, &COMPILE_LIMITS)?;
    match settings().helper {
        Some(exe) => in_child(runtime, &exe, bytes, &COMPILE_LIMITS),
        None => {
            let (c, how) = runtime.compiled(|| Component::new(runtime.engine(), bytes));
            c.map(|c| (c, how))
                .map_err(|e| CompileError::Invalid(format!("{e:#}")))
        }
    }
}

/// Compiles in a child process under the time and memory limits.
fn in_child(
    runtime: &Runtime,
    exe: &std::path::Path,
    bytes: &[u8],
    limits: &CompileLimits,
) -> Result<(Component, Compiled), CompileError> {
    let time = time_limit(bytes.len(), limits);
    let memory = memory_limit(bytes.len(), limits);
    let cache = runtime
        .cache_dir()
        .map_or_else(|| "off".into(), |d| d.display().to_string());
    // CPU time is a backstop for the wall clock: every core may compile.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let cpu = (time.as_secs() + 1) * cores;
    let mut child = std::process::Command::new(exe)
        .args([CHILD_ARG, &cache, &memory.to_string(), &cpu.to_string()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            CompileError::Invalid(format!(
                "cannot start the compile process {}: {e}",
                exe.display()
            ))
        })?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut out = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err = child.stderr.take().expect("piped stderr");
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.take(64 << 10).read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + time;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(CompileError::Invalid(format!(
                    "waiting for the compile process failed: {e}"
                )))
            }
        }
    };
    let time_hit = || {
        CompileError::Stopped(format!(
            "compile time limit ({:.0} s; --max-compile-secs)",
            time.as_secs_f64()
        ))
    };
    let Some(status) = status else {
        // Only this child, by its own handle.
        let _ = child.kill();
        let _ = child.wait();
        let _ = writer.join();
        return Err(time_hit());
    };
    let _ = writer.join();
    let out = reader.join().unwrap_or_default();
    let err = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    if !status.success() {
        return Err(child_failure(status, &err, memory, time_hit));
    }
    let (how, code) = match out.split_first() {
        Some((b'C', rest)) => (Compiled::Cached, rest),
        Some((b'F', rest)) => (Compiled::Fresh, rest),
        Some((b'U', rest)) => (Compiled::Uncached, rest),
        _ => {
            return Err(CompileError::Invalid(
                "the compile process gave no machine code".into(),
            ))
        }
    };
    // SAFETY: `code` is what `Component::serialize` wrote in a child process of this same
    // executable, which built its engine from `engine::config` as `runtime` did; it came back
    // on a pipe only this process holds. Nothing a user supplies is ever deserialized.
    let component = unsafe { Component::deserialize(runtime.engine(), code) }
        .map_err(|e| CompileError::Invalid(format!("loading the compiled code failed: {e:#}")))?;
    Ok((component, how))
}

/// What a failed compile child means: a limit it hit, or the compiler's own error.
fn child_failure(
    status: std::process::ExitStatus,
    stderr: &str,
    memory: u64,
    time_hit: impl Fn() -> CompileError,
) -> CompileError {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if matches!(status.signal(), Some(libc::SIGXCPU | libc::SIGKILL)) {
            return time_hit();
        }
    }
    let out_of_memory = [
        "memory allocation of",
        "out of memory",
        "Cannot allocate memory",
    ]
    .iter()
    .any(|m| stderr.contains(m));
    if out_of_memory {
        return CompileError::Stopped(format!(
            "compile memory limit ({} MiB of address space; --max-compile-memory)",
            memory >> 20
        ));
    }
    if status.code() == Some(EXIT_INVALID) {
        return CompileError::Invalid(stderr.trim().to_string());
    }
    CompileError::Invalid(format!(
        "the compile process failed ({status}): {}",
        crate::text::sanitize(stderr.trim(), 400)
    ))
}

/// The compile child's `main`: when the process was started with [`CHILD_ARG`] (then `CACHE`
/// — a directory or `off` —, the address-space limit in bytes and the CPU limit in seconds),
/// caps itself with `setrlimit`, reads a component on stdin, compiles it with the engine of
/// [`super::engine::config`] and writes `C`/`F`/`U` (cached, fresh, uncached) and the
/// serialized component on stdout. Returns the exit code, or `None` for any other process.
pub fn child_main() -> Option<i32> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) != Some(CHILD_ARG) || args.len() != 5 {
        return None;
    }
    let memory: u64 = args[3].parse().unwrap_or(COMPILE_LIMITS.memory_base);
    let cpu: u64 = args[4].parse().unwrap_or(60);
    limit_self(memory, cpu);
    let mut bytes = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut bytes) {
        eprintln!("cannot read the component: {e}");
        return Some(EXIT_INVALID);
    }
    let setting = match args[2].as_str() {
        "off" => super::cache::Setting::Off,
        d => super::cache::Setting::Dir(PathBuf::from(d)),
    };
    let cache = super::cache::open(&setting).ok().flatten();
    let engine = match wasmtime::Engine::new(&super::engine::config(cache.clone())) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("cannot start the WebAssembly engine: {e:#}");
            return Some(EXIT_INVALID);
        }
    };
    let hits = cache.as_ref().map(wasmtime::Cache::cache_hits);
    let component = match Component::new(&engine, &bytes) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e:#}");
            return Some(EXIT_INVALID);
        }
    };
    let how = match (&cache, hits) {
        (Some(c), Some(h)) if c.cache_hits() > h => b'C',
        (Some(_), _) => b'F',
        _ => b'U',
    };
    let code = match component.serialize() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e:#}");
            return Some(EXIT_INVALID);
        }
    };
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(&[how])
        .and_then(|()| out.write_all(&code))
        .and_then(|()| out.flush());
    Some(if written.is_ok() { 0 } else { 1 })
}

/// Caps this process's address space at `memory` bytes and its CPU time at `cpu` seconds
/// (SIGXCPU at the soft limit, SIGKILL five seconds later).
fn limit_self(memory: u64, cpu: u64) {
    #[cfg(unix)]
    {
        let set = |resource, soft: u64, hard: u64| {
            let lim = libc::rlimit {
                rlim_cur: soft as libc::rlim_t,
                rlim_max: hard as libc::rlim_t,
            };
            // SAFETY: setrlimit reads the struct we pass; lowering our own limits is always
            // allowed.
            unsafe { libc::setrlimit(resource, &lim) };
        };
        set(libc::RLIMIT_AS, memory, memory);
        set(libc::RLIMIT_CPU, cpu, cpu + 5);
    }
}

/// The text (WAT) of a component made to be slow to compile, for the tests of the compile
/// limits: one core module of `functions` functions of `locals` i64 locals each, all live
/// across one loop — the shape that makes register allocation slow (measured in the test
/// build: 2.7 s for one function of 2 000 locals, 76 s for 8 000).
#[doc(hidden)]
pub fn bomb_wat(functions: usize, locals: usize) -> String {
    let mut funcs = String::new();
    for f in 0..functions {
        let mut body = String::new();
        for i in 0..locals {
            let j = (i * 7 + 3 + f) % locals;
            body.push_str(&format!(
                "(local.set {} (i64.add (local.get {}) (local.get {})))",
                i + 1,
                i + 1,
                j + 1
            ));
        }
        funcs.push_str(&format!(
            "(func (export \"f{f}\") (param i32) (result i64) (local {}) (loop $l {body} (br_if $l (local.get 0))) (local.get 1))",
            "i64 ".repeat(locals)
        ));
    }
    format!("(component (core module $m {funcs}) (core instance (instantiate $m)))")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bomb(functions: usize, locals: usize) -> Vec<u8> {
        wat::parse_str(bomb_wat(functions, locals)).unwrap()
    }

    #[test]
    fn components_over_the_counted_limits_are_refused_before_compiling() {
        let ok = bomb(2, 100);
        precheck(&ok, &COMPILE_LIMITS).unwrap();
        let e = precheck(&bomb(1, 3000), &COMPILE_LIMITS).unwrap_err();
        assert!(
            e.to_string().contains("has 3000 locals; the limit is 2000"),
            "{e}"
        );
        let small = CompileLimits {
            functions: 3,
            body_bytes: 1 << 10,
            component_bytes: 1 << 20,
            ..COMPILE_LIMITS
        };
        let e = precheck(&bomb(4, 10), &small).unwrap_err();
        assert!(e.to_string().contains("more than 3 functions"), "{e}");
        let e = precheck(&bomb(1, 200), &small).unwrap_err();
        assert!(e.to_string().contains("has a body of"), "{e}");
        let e = precheck(&vec![0u8; 2 << 20], &small).unwrap_err();
        assert!(e.to_string().contains("the component is 2 MiB"), "{e}");
    }

    #[test]
    fn real_guests_are_within_the_counted_limits() {
        for (name, bytes) in super::super::loader::BUNDLED {
            precheck(bytes, &COMPILE_LIMITS).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    fn the_time_and_memory_limits_scale_with_the_component() {
        let l = COMPILE_LIMITS;
        assert_eq!(time_limit(0, &l), Duration::from_secs(10));
        assert_eq!(time_limit(18 << 20, &l), Duration::from_secs(190));
        assert_eq!(memory_limit(0, &l), 1 << 30);
        assert_eq!(
            memory_limit((18 << 20) + 1, &l),
            (1 << 30) + 19 * (64 << 20)
        );
    }
}

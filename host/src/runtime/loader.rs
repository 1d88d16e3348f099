//! Finding, checking and compiling components.
//!
//! A strategy is named (`cast`, bundled in the binary) or given as a path (`./x.wasm`). Before a
//! component runs, the loader checks in this order, each failure with its own message: the
//! bytes are WebAssembly at all; they are not a precompiled artifact (never accepted from a
//! user); they are a component, not a core module; the component's imports are only the
//! interfaces of one WIT version this host serves (plus, for a strategy, the WASI 0.2 interfaces of
//! [`super::wasi::PROVIDED`], served with nothing granted); it exports what its world requires in
//! that version. The full type check against the WIT happens when it is linked (see
//! `runtime::bindings`, one adapter per version).
use super::engine::{Compiled, Runtime};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use wasmtime::component::types::ComponentItem;
use wasmtime::component::Component;
use wasmtime::Engine;

/// WIT package versions of `anneal:strategy` this host serves, newest first (docs/design.md
/// §11: a version once published is served for good).
pub const SUPPORTED_API_VERSIONS: &[&str] = &["0.2.0", "0.1.0"];

/// Bundled components, shipped inside the binary (built from `guests/` by `xtask guests`).
pub const BUNDLED: &[(&str, &[u8])] = &[
    ("cast", include_bytes!("../../bundled/cast.wasm")),
    ("alloy", include_bytes!("../../bundled/alloy.wasm")),
    ("temper", include_bytes!("../../bundled/temper.wasm")),
    (
        "convergence",
        include_bytes!("../../bundled/convergence.wasm"),
    ),
];

/// Bundled strategies users can name with `--strategy`.
pub const BUNDLED_STRATEGIES: &[&str] = &["cast", "alloy", "temper"];

/// Which world a component must implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum World {
    /// `anneal:strategy/strategy`: exports `info` and `run`.
    Strategy,
    /// `anneal:strategy/convergence`: exports `check`.
    Convergence,
}

impl World {
    fn name(self) -> &'static str {
        match self {
            World::Strategy => "strategy",
            World::Convergence => "convergence",
        }
    }
    /// The exports the world has in `version` (`estimate` is new in 0.2.0).
    fn required_exports(self, version: &str) -> &'static [&'static str] {
        match (self, version) {
            (World::Strategy, "0.1.0") => &["info", "run"],
            (World::Strategy, _) => &["info", "estimate", "run"],
            (World::Convergence, _) => &["check"],
        }
    }
}

/// Where a component comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Bundled under this name.
    Bundled(&'static str),
    /// A file given by the user.
    Path(PathBuf),
    /// An installed strategy (see [`super::installed`]), named on the command line.
    Installed { name: String, path: PathBuf },
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Bundled(n) => write!(f, "{n} (bundled)"),
            Source::Path(p) => write!(f, "{}", p.display()),
            Source::Installed { name, path } => {
                write!(f, "{name} (installed, {})", path.display())
            }
        }
    }
}

/// Why a component was refused. Each message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("unknown strategy {name:?}: the bundled strategies are {bundled}{installed}; to run your own, pass a path to its .wasm file (e.g. --strategy ./{name}.wasm) or install it with `anneal strategy install PATH`")]
    UnknownName {
        name: String,
        bundled: String,
        /// `"; installed: a, b (in DIR)"` or empty.
        installed: String,
    },
    /// The installed strategy's directory or file could be changed by another user.
    #[error("{why}")]
    UnsafeInstall { why: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{origin} is not a WebAssembly file (it does not start with the `\\0asm` magic); pass the .wasm component your build produced")]
    NotWasm { origin: String },
    #[error("{origin} is a precompiled wasmtime artifact; anneal only accepts WebAssembly components and compiles them itself")]
    Precompiled { origin: String },
    #[error("{origin} is a core WebAssembly module, not a component; turn it into one with `wasm-tools component new` (or build it with a wit-bindgen guest as docs/writing-a-strategy.md shows)")]
    CoreModule { origin: String },
    #[error("{origin} is not a valid WebAssembly component: {reason}")]
    Invalid { origin: String, reason: String },
    /// Over a compile limit (`runtime::compile`).
    #[error("{origin} was not compiled: {problem}")]
    CompileLimit { origin: String, problem: String },
    #[error("{origin} was built against anneal:strategy@{found}, which this host does not serve; supported versions: {supported}. Rebuild it against one of them")]
    UnsupportedVersion {
        origin: String,
        found: String,
        supported: String,
    },
    #[error("{origin} imports interfaces of two versions of anneal:strategy ({first} and {second}); build it against one version")]
    MixedVersions {
        origin: String,
        first: String,
        second: String,
    },
    #[error("{origin} imports {import:?}, which the host does not provide ({allowed}); remove that dependency from the guest")]
    ForbiddenImport {
        origin: String,
        import: String,
        /// What a component of this world may import, for the message.
        allowed: &'static str,
    },
    #[error("{origin} does not implement the anneal:strategy@{version} {world} world: it lacks the export(s) {missing}{hint}")]
    WrongWorld {
        origin: String,
        version: String,
        world: &'static str,
        missing: String,
        hint: String,
    },
}

/// A component that passed the loader's checks, compiled for the engine.
pub struct Loaded {
    pub component: Component,
    /// Where it came from.
    pub source: Source,
    /// Lowercase hex sha256 of the component bytes.
    pub sha256: String,
    /// The `anneal:strategy` version it was built against (from its imports).
    pub api_version: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// Whether it imports WASI 0.2 interfaces (then the host links WASI with nothing granted).
    pub wasi: bool,
    /// Where its machine code came from (compiled now, or the compile cache).
    pub compiled: Compiled,
    /// Time to compile it or read it from the cache, in milliseconds.
    pub compile_ms: u64,
}

/// Resolves a `--strategy` (or `--convergence`) argument: a path when the argument contains `/`
/// or ends with `.wasm`; else a bundled name; else, when `installed` names a strategy
/// directory, a strategy installed there (bundled names always win).
///
/// # Errors
/// [`LoadError::UnknownName`] for a name that is neither, listing what is available;
/// [`LoadError::UnsafeInstall`] for an installed strategy whose directory or file another user
/// can write.
pub fn resolve(
    arg: &str,
    bundled_names: &[&'static str],
    installed: Option<&Path>,
) -> Result<Source, LoadError> {
    if arg.contains('/') || arg.ends_with(".wasm") {
        return Ok(Source::Path(PathBuf::from(arg)));
    }
    if let Some(n) = bundled_names.iter().find(|n| **n == arg) {
        return Ok(Source::Bundled(n));
    }
    if let Some(dir) = installed {
        if let Some(path) = super::installed::find(dir, arg) {
            super::installed::check_private(dir, Some(&path))
                .map_err(|why| LoadError::UnsafeInstall { why })?;
            return Ok(Source::Installed {
                name: arg.to_string(),
                path,
            });
        }
    }
    let listed: Vec<String> = installed
        .map(super::installed::list)
        .unwrap_or_default()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    Err(LoadError::UnknownName {
        name: arg.to_string(),
        bundled: bundled_names.join(", "),
        installed: match installed {
            Some(d) if !listed.is_empty() => {
                format!("; installed: {} (in {})", listed.join(", "), d.display())
            }
            _ => String::new(),
        },
    })
}

/// The bytes of a source.
///
/// # Errors
/// [`LoadError::Read`] when the file cannot be read, [`LoadError::UnknownName`] for a bundled
/// name missing from the binary.
pub fn read(source: &Source) -> Result<Vec<u8>, LoadError> {
    match source {
        Source::Bundled(name) => BUNDLED
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.to_vec())
            .ok_or_else(|| LoadError::UnknownName {
                name: name.to_string(),
                bundled: BUNDLED_STRATEGIES.join(", "),
                installed: String::new(),
            }),
        Source::Path(p) | Source::Installed { path: p, .. } => {
            std::fs::read(p).map_err(|e| LoadError::Read {
                path: p.display().to_string(),
                source: e,
            })
        }
    }
}

/// Checks `bytes` and compiles them as a component of `world` under the compile limits of
/// `runtime::compile` (or takes the machine code from the runtime's compile cache, keyed by the
/// bytes' hash and the engine).
///
/// # Errors
/// Any [`LoadError`] but `UnknownName`/`Read`.
pub fn load(
    runtime: &Runtime,
    bytes: &[u8],
    source: Source,
    world: World,
) -> Result<Loaded, LoadError> {
    let engine = runtime.engine();
    let origin = source.to_string();
    if !bytes.starts_with(b"\0asm") {
        if Engine::detect_precompiled(bytes).is_some() {
            return Err(LoadError::Precompiled { origin });
        }
        return Err(LoadError::NotWasm { origin });
    }
    if wasmparser::Parser::is_core_wasm(bytes) {
        return Err(LoadError::CoreModule { origin });
    }
    if !wasmparser::Parser::is_component(bytes) {
        return Err(LoadError::Invalid {
            origin,
            reason: "unknown WebAssembly layer or version".into(),
        });
    }
    let started = std::time::Instant::now();
    let (component, compiled) = super::compile::compile(runtime, bytes).map_err(|e| match e {
        super::compile::CompileError::Invalid(reason) => LoadError::Invalid {
            origin: origin.clone(),
            reason,
        },
        limit => LoadError::CompileLimit {
            origin: origin.clone(),
            problem: limit.to_string(),
        },
    })?;
    let compile_ms = started.elapsed().as_millis() as u64;
    let (api_version, wasi) = check_world(engine, &component, &origin, world)?;
    Ok(Loaded {
        component,
        source,
        sha256: sha256_hex(bytes),
        api_version,
        size: bytes.len(),
        wasi,
        compiled,
        compile_ms,
    })
}

/// Resolves, reads and loads a component from a `--strategy`/`--convergence` argument
/// ([`resolve`], [`read`], [`load`]); installed strategies are looked up for [`World::Strategy`]
/// only.
///
/// # Errors
/// [`LoadError`] with a message saying what to do.
pub fn load_component(
    runtime: &Runtime,
    arg: &str,
    bundled: &[&'static str],
    world: World,
) -> Result<Loaded, LoadError> {
    let installed = match world {
        World::Strategy => super::installed::dir(),
        World::Convergence => None,
    };
    let source = resolve(arg, bundled, installed.as_deref())?;
    let bytes = read(&source)?;
    load(runtime, &bytes, source, world)
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks imports (only `anneal:strategy/*@<one supported version>`, and for a strategy the
/// provided WASI 0.2 interfaces) and exports (those of `world` in that version). Returns the API
/// version found in the imports and whether it imports WASI. A component that imports no
/// versioned interface is taken for the newest version whose exports it has all of.
fn check_world(
    engine: &Engine,
    component: &Component,
    origin: &str,
    world: World,
) -> Result<(String, bool), LoadError> {
    let ty = component.component_type();
    let mut version: Option<String> = None;
    let mut wasi = false;
    let allowed = match world {
        World::Strategy => "a strategy component may import only anneal:strategy interfaces and the WASI 0.2 interfaces listed in docs/security.md",
        World::Convergence => "a convergence component may import only anneal:strategy/types",
    };
    for (name, _) in ty.imports(engine) {
        if world == World::Strategy && super::wasi::is_provided(name) {
            wasi = true;
            continue;
        }
        let Some(rest) = name.strip_prefix("anneal:strategy/") else {
            return Err(LoadError::ForbiddenImport {
                origin: origin.into(),
                import: name.to_string(),
                allowed,
            });
        };
        let (iface, ver) = rest.split_once('@').unwrap_or((rest, ""));
        if !SUPPORTED_API_VERSIONS.contains(&ver) {
            return Err(LoadError::UnsupportedVersion {
                origin: origin.into(),
                found: if ver.is_empty() {
                    "(no version)".into()
                } else {
                    ver.to_string()
                },
                supported: SUPPORTED_API_VERSIONS.join(", "),
            });
        }
        let served = match iface {
            "types" => true,
            "host" => world == World::Strategy,
            // New in 0.2.0: an 0.1.0 world has no code index to import.
            "code-index" => world == World::Strategy && ver != "0.1.0",
            // New in 0.2.0 too (earlier runs of the repository, docs/design.md §11).
            "history" => world == World::Strategy && ver != "0.1.0",
            _ => false,
        };
        if !served {
            return Err(LoadError::ForbiddenImport {
                origin: origin.into(),
                import: name.to_string(),
                allowed,
            });
        }
        match &version {
            Some(v) if v != ver => {
                return Err(LoadError::MixedVersions {
                    origin: origin.into(),
                    first: v.clone(),
                    second: ver.to_string(),
                })
            }
            _ => version = Some(ver.to_string()),
        }
    }
    let exports: Vec<String> = ty
        .exports(engine)
        .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
        .map(|(n, _)| n.to_string())
        .collect();
    let has_all = |v: &str| {
        world
            .required_exports(v)
            .iter()
            .all(|e| exports.iter().any(|x| x == e))
    };
    let version = version.unwrap_or_else(|| {
        SUPPORTED_API_VERSIONS
            .iter()
            .find(|v| has_all(v))
            .unwrap_or(&SUPPORTED_API_VERSIONS[0])
            .to_string()
    });
    let missing: Vec<&str> = world
        .required_exports(&version)
        .iter()
        .copied()
        .filter(|e| !exports.iter().any(|x| x == e))
        .collect();
    if !missing.is_empty() {
        let hint = match world {
            World::Strategy if exports.iter().any(|e| e == "check") => {
                "; it looks like a convergence checker — pass it with --convergence, not --strategy"
                    .to_string()
            }
            World::Convergence if exports.iter().any(|e| e == "run") => {
                "; it looks like a strategy — pass it with --strategy, not --convergence"
                    .to_string()
            }
            _ if exports.is_empty() => "; it exports no functions".to_string(),
            World::Strategy if missing == ["estimate"] => {
                "; since 0.2.0 a strategy also exports `estimate`, the agent spawns it makes (docs/writing-a-strategy.md)".to_string()
            }
            _ => format!("; it exports: {}", exports.join(", ")),
        };
        return Err(LoadError::WrongWorld {
            origin: origin.into(),
            version,
            world: world.name(),
            missing: missing.join(", "),
            hint,
        });
    }
    Ok((version, wasi))
}

/// Display name of a path source's file stem (`./x/foo.wasm` → `foo`), for run files.
pub fn stem(source: &Source) -> String {
    match source {
        Source::Bundled(n) => n.to_string(),
        Source::Installed { name, .. } => name.clone(),
        Source::Path(p) => p
            .file_stem()
            .and_then(|s| s.to_str())
            .map(crate::text::slug_name)
            .unwrap_or_else(|| "strategy".into()),
    }
}

//! Project automation.
//!
//! - `cargo run -p xtask -- guests` builds every guest of `guests/` for `wasm32-unknown-unknown`,
//!   turns each core module into a component, and places the bundled ones in `host/bundled/`
//!   (shipped inside the `anneal` binary) and the test-only ones in `target/test-guests/`; then
//!   builds each standalone example strategy of `examples/` (own workspace) into
//!   `target/test-guests/` as well.
//! - `cargo run -p xtask -- componentize IN OUT` turns one core module into a component.
//!
//! Toolchain (docs/design.md §9): rustup's `wasm32-unknown-unknown` target when it is installed, otherwise
//! Debian's `rustc-web` (`/usr/bin/cargo`) with `-Zbuild-std`. `scripts/install-guest-toolchain.sh`
//! installs the latter on a fresh machine.
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Guests shipped inside the host binary.
const BUNDLED: &[&str] = &["cast", "alloy", "temper", "convergence"];
/// Guests built only for the tests: hostile behaviours, and a strategy and a convergence
/// checker built against the 0.1.0 WIT (the host serves every version it published).
const TEST_ONLY: &[&str] = &["hostile", "legacy", "legacy-checker"];
/// Standalone example strategies under `examples/` (each its own workspace, sharing only the
/// WIT with the bundled guests), built for the tests into `target/test-guests/`; never bundled.
const EXAMPLES: &[&str] = &["foundry"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("guests") => build_guests(),
        Some("componentize") if args.len() == 3 => {
            let out = componentize(
                &std::fs::read(&args[1]).with_context(|| format!("reading {}", args[1]))?,
            )?;
            std::fs::write(&args[2], out).with_context(|| format!("writing {}", args[2]))
        }
        _ => bail!("usage: xtask guests | xtask componentize IN.wasm OUT.wasm"),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// How the guests get compiled.
enum Toolchain {
    /// rustup with the wasm32-unknown-unknown target installed.
    Rustup,
    /// Debian's rustc-web: `/usr/bin/cargo` with the standard library rebuilt from source.
    DebianBuildStd,
}

fn detect_toolchain() -> Result<Toolchain> {
    if let Ok(out) = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
    {
        if String::from_utf8_lossy(&out.stdout)
            .lines()
            .any(|l| l.trim() == "wasm32-unknown-unknown")
        {
            return Ok(Toolchain::Rustup);
        }
    }
    let sysroot = Command::new("/usr/bin/rustc")
        .args(["--print", "sysroot"])
        .output();
    if let Ok(out) = sysroot {
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success()
            && sysroot.join("lib/rustlib/src/rust/library/std").is_dir()
            && Path::new("/usr/bin/cargo").exists()
        {
            return Ok(Toolchain::DebianBuildStd);
        }
    }
    bail!(
        "no toolchain can build wasm guests here: neither rustup's wasm32-unknown-unknown target nor \
         Debian's rustc-web with rust-web-src is installed.\n\
         Run `bash scripts/install-guest-toolchain.sh` (installs rustc-web, cargo-web, rust-web-src, \
         rust-web-llvm and lld-22 with apt), or `rustup target add wasm32-unknown-unknown`."
    )
}

/// `cargo build --release` of the workspace in `dir` for `wasm32-unknown-unknown` with
/// `toolchain`, into the target directory `target`; the core modules land in
/// `target/wasm32-unknown-unknown/release`.
fn cargo_build(toolchain: &Toolchain, dir: &Path, target: &Path) -> Result<PathBuf> {
    let mut cmd = match toolchain {
        Toolchain::Rustup => {
            let mut c = Command::new("cargo");
            c.args(["build", "--release", "--target", "wasm32-unknown-unknown"]);
            c
        }
        Toolchain::DebianBuildStd => {
            let mut c = Command::new("/usr/bin/cargo");
            // Cargo run from rustup exports variables that would point the nested build at
            // rustup's compiler; the Debian compiler must be the one found.
            for (k, _) in std::env::vars() {
                if k.starts_with("CARGO") && k != "CARGO_HOME"
                    || k.starts_with("RUSTUP")
                    || k == "RUSTC"
                    || k == "RUSTDOC"
                    || k == "RUSTC_WRAPPER"
                    || k == "RUSTFLAGS"
                {
                    c.env_remove(&k);
                }
            }
            let path = std::env::var("PATH").unwrap_or_default();
            c.env("PATH", format!("/usr/bin:{path}"));
            c.env("RUSTC_BOOTSTRAP", "1");
            c.args([
                "build",
                "--release",
                "--target",
                "wasm32-unknown-unknown",
                "-Zbuild-std=std,panic_abort",
            ]);
            c
        }
    };
    cmd.current_dir(dir).env("CARGO_TARGET_DIR", target);
    eprintln!(
        "xtask: building {} with {}",
        dir.display(),
        match toolchain {
            Toolchain::Rustup => "rustup (wasm32-unknown-unknown)",
            Toolchain::DebianBuildStd => "Debian rustc-web + -Zbuild-std (docs/design.md §9)",
        }
    );
    let status = cmd
        .status()
        .with_context(|| format!("running cargo in {}", dir.display()))?;
    if !status.success() {
        bail!("building {} failed ({status})", dir.display());
    }
    Ok(target.join("wasm32-unknown-unknown/release"))
}

fn build_guests() -> Result<()> {
    let root = root();
    let toolchain = detect_toolchain()?;
    // One target directory for the guests and the examples: they share the toolchain, the
    // release profile and (Debian route) the standard library rebuilt from source, which is
    // then built once instead of once per workspace.
    let target = root.join("guests/target");
    let built = cargo_build(&toolchain, &root.join("guests"), &target)?;
    let bundled_dir = root.join("host/bundled");
    let test_dir = root.join("target/test-guests");
    std::fs::create_dir_all(&bundled_dir)?;
    std::fs::create_dir_all(&test_dir)?;
    for (names, dir) in [(BUNDLED, &bundled_dir), (TEST_ONLY, &test_dir)] {
        for name in names {
            // Cargo names a library's file after the crate with `_` for `-`.
            let core_path = built.join(format!("{}.wasm", name.replace('-', "_")));
            let core = std::fs::read(&core_path)
                .with_context(|| format!("reading {}", core_path.display()))?;
            let component =
                componentize(&core).with_context(|| format!("componentizing {name}"))?;
            let out = dir.join(format!("{name}.wasm"));
            write_atomic(&out, &component)?;
            eprintln!("xtask: {} ({} bytes)", out.display(), component.len());
        }
    }
    for name in EXAMPLES {
        let built = cargo_build(&toolchain, &root.join("examples").join(name), &target)?;
        let core_path = built.join(format!("{name}.wasm"));
        let core = std::fs::read(&core_path)
            .with_context(|| format!("reading {}", core_path.display()))?;
        let component = componentize(&core).with_context(|| format!("componentizing {name}"))?;
        let out = test_dir.join(format!("{name}.wasm"));
        write_atomic(&out, &component)?;
        eprintln!("xtask: {} ({} bytes)", out.display(), component.len());
    }
    Ok(())
}

/// Core module with an embedded `component-type` section → component. Validates the result.
fn componentize(core: &[u8]) -> Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .module(core)?
        .validate(true)
        .encode()
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("wasm.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

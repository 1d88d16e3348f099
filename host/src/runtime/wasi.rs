//! WASI for guests that need it (Python via componentize-py, JavaScript via jco): a WASI 0.2
//! context with nothing granted (issue 5 item 5, `docs/security.md`).
//!
//! A strategy component may import the WASI 0.2 interfaces in [`PROVIDED`]; the host then links
//! wasmtime-wasi's p2 implementation with a [`WasiCtx`] that has no preopened directory, no
//! environment variables, no arguments, no network (every socket address is refused, TCP, UDP and
//! name lookup are disabled) and an empty stdin. Stdout and stderr go to bounded in-memory pipes
//! whose contents are appended to `run.log` after the call, stripped of escape sequences. Clocks
//! and random numbers are the host's (interpreters cannot start without them; see
//! `docs/security.md`). Any other import — `wasi:http/*`, `wasi:keyvalue/*`, a made-up package —
//! is refused by the loader, naming it.
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

/// The WASI 0.2 interfaces (`package/interface`, without version) the host links for a strategy.
/// Every one of them is served by wasmtime-wasi with nothing granted.
pub const PROVIDED: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/wall-clock",
    "wasi:clocks/monotonic-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Whether an import name (`wasi:cli/stdout@0.2.3`) is a WASI 0.2 interface the host provides.
/// Input: a component import name. Output: `true` only for a name in [`PROVIDED`] at a `0.2.x`
/// version (wasmtime-wasi serves 0.2.0 through its own 0.2 release by semver matching).
pub fn is_provided(import: &str) -> bool {
    let Some((iface, version)) = import.split_once('@') else {
        return false;
    };
    PROVIDED.contains(&iface)
        && version
            .strip_prefix("0.2.")
            .is_some_and(|patch| !patch.is_empty() && patch.chars().all(|c| c.is_ascii_digit()))
}

/// Whether an import name belongs to a `wasi:` package (provided or not).
pub fn is_wasi(import: &str) -> bool {
    import.starts_with("wasi:")
}

/// The WASI state of one strategy store: the context, its resource table and the captured
/// stdout/stderr pipes.
pub struct GuestWasi {
    ctx: WasiCtx,
    table: ResourceTable,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
}

impl GuestWasi {
    /// A context with nothing granted; stdout and stderr each hold at most `capacity` bytes
    /// (once full, the guest sees the stream closed).
    pub fn new(capacity: usize) -> Self {
        let stdout = MemoryOutputPipe::new(capacity);
        let stderr = MemoryOutputPipe::new(capacity);
        let mut b = WasiCtxBuilder::new();
        // No preopens, env or args are added; stdin is empty by default. Spelled out for the
        // network so a change of wasmtime-wasi's defaults cannot grant it.
        b.stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }));
        GuestWasi {
            ctx: b.build(),
            table: ResourceTable::new(),
            stdout,
            stderr,
        }
    }

    /// What the guest wrote so far: `(stdout, stderr)` bytes.
    pub fn output(&self) -> (Vec<u8>, Vec<u8>) {
        (
            self.stdout.contents().to_vec(),
            self.stderr.contents().to_vec(),
        )
    }
}

impl WasiView for GuestWasi {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provided_imports_are_the_listed_wasi_0_2_interfaces() {
        assert!(is_provided("wasi:cli/stdout@0.2.0"));
        assert!(is_provided("wasi:io/streams@0.2.3"));
        assert!(is_provided("wasi:filesystem/preopens@0.2.6"));
        assert!(!is_provided("wasi:http/outgoing-handler@0.2.0"));
        assert!(!is_provided("wasi:cli/stdout@0.3.0"));
        assert!(!is_provided("wasi:cli/stdout"));
        assert!(!is_provided("wasi:cli/stdout@0.2."));
        assert!(!is_provided("evil:net/socket@0.2.0"));
        assert!(is_wasi("wasi:http/types@0.2.0"));
        assert!(!is_wasi("anneal:strategy/host@0.1.0"));
    }

    #[test]
    fn the_context_captures_output_within_its_capacity() {
        use tokio::io::AsyncWriteExt;
        let w = GuestWasi::new(8);
        let mut out = w.stdout.clone();
        let n = futures::executor::block_on(out.write(b"hello world")).unwrap();
        assert_eq!(n, 8);
        assert_eq!(w.output().0, b"hello wo".to_vec());
        assert!(w.output().1.is_empty());
    }
}

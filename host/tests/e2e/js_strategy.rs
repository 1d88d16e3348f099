//! A strategy written in JavaScript (examples/js-strategy, componentized with ComponentizeJS by
//! scripts/build-js-strategy.sh) runs end to end under the WASI-with-nothing-granted sandbox
//! (issue 15, "a third guest language"). One test, in order, so the 13 MB component is compiled
//! once (by `inspect`) and both runs load it from the suite's compile cache.
use crate::common;
use common::*;

const TASK: &str = "Add rate limiting to the login endpoint";

#[test]
fn the_js_strategy_emits_and_sees_no_filesystem_network_or_environment() {
    if common::nested() {
        return;
    }
    let guest = test_guest("js-strategy");
    let guest = guest.to_str().unwrap();

    // Its imports: anneal's interfaces and WASI 0.2 served with nothing granted; no wasi:http,
    // no wasi:sockets (the build leaves http out; the sandbox would refuse it).
    let inspect = anneal(&["strategy".into(), "inspect".into(), guest.into()], &[]);
    assert_eq!(inspect.status.code(), Some(0), "{}", stderr(&inspect));
    let imports = stdout(&inspect)
        .lines()
        .find(|l| l.starts_with("imports"))
        .unwrap_or_default()
        .to_string();
    assert!(imports.contains("anneal:strategy/host@0.2.0"), "{imports}");
    assert!(
        !imports.contains("wasi:http") && !imports.contains("wasi:sockets"),
        "{imports}"
    );

    // A whole run: EMIT, console.log reaching run.log, and the probe of what JS can reach.
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", guest, "--opt", "probe=true", TASK]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    let run = s.run_dir();
    assert_eq!(rollup(&run)["emission_decision"], "EMIT");
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    assert!(
        log.contains("stdout: js-cast: planning 'Add rate limiting to the login endpoint'"),
        "console.log reaches run.log:\n{log}"
    );
    let probe = log
        .lines()
        .find(|l| l.starts_with("[guest") && l.contains("probe: globals"))
        .unwrap_or_else(|| panic!("the guest logged its probe:\n{log}"));
    // No Node/Deno/Bun host object (no fs module, no process), no environment variable.
    for absent in [
        "process=undefined",
        "require=undefined",
        "Deno=undefined",
        "Bun=undefined",
        "WebSocket=undefined",
    ] {
        assert!(probe.contains(absent), "{absent} in {probe}");
    }
    assert!(probe.contains("environ keys = []"), "{probe}");

    // The network: the embedding's fetch() has no wasi:http behind it, and the guest is stopped.
    let s = Scratch::new();
    let out = s.anneal(&["--strategy", guest, "--opt", "fetch=true", TASK]);
    assert_eq!(out.status.code(), Some(5), "stderr:\n{}", stderr(&out));
    let run = s.run_dir();
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    assert!(log.contains("fetch: calling fetch"), "{log}");
    assert!(!log.contains("fetch: returned"), "fetch returned:\n{log}");
    let error = rollup(&run)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(error.contains("crashed"), "{error}");
}

//! Broken and hostile strategies: each ends with a clear error naming what went wrong, a
//! non-zero exit, the host alive, nothing written outside the run directory, and — when the
//! run got that far — a consistent run directory whose rollup records the error.
use crate::common;
use common::*;

const TASK: &str = "Add rate limiting to the login endpoint";

/// Runs a strategy that must be refused before anything runs: exit 5, message, no run dir.
fn refused(s: &Scratch, strategy: &str, needle: &str) {
    let out = s.anneal(&["--strategy", strategy, TASK]);
    assert_eq!(out.status.code(), Some(5), "stderr: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(
        !err.contains("panicked at"),
        "the host must not panic: {err}"
    );
    assert_eq!(s.run_dirs(), 0, "nothing is written for a refused strategy");
}

#[test]
fn a_file_that_is_not_wasm_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let p = s.dir.path().join("notes.wasm");
    std::fs::write(&p, "this is not webassembly").unwrap();
    refused(&s, p.to_str().unwrap(), "is not a WebAssembly file");
}

#[test]
fn garbage_after_the_magic_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let p = s.dir.path().join("garbage.wasm");
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    bytes.extend((0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    std::fs::write(&p, bytes).unwrap();
    refused(
        &s,
        p.to_str().unwrap(),
        "is not a valid WebAssembly component",
    );
}

#[test]
fn a_core_module_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let p = s.dir.path().join("core.wasm");
    std::fs::write(
        &p,
        wat::parse_str("(module (func (export \"run\")))").unwrap(),
    )
    .unwrap();
    refused(
        &s,
        p.to_str().unwrap(),
        "is a core WebAssembly module, not a component",
    );
}

#[test]
fn a_precompiled_artifact_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let engine = wasmtime::Engine::default();
    let bytes = engine
        .precompile_component(&std::fs::read(root().join("host/bundled/cast.wasm")).unwrap())
        .unwrap();
    let p = s.dir.path().join("cast.cwasm");
    std::fs::write(&p, bytes).unwrap();
    refused(&s, p.to_str().unwrap(), "precompiled");
}

#[test]
fn a_component_of_another_world_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    refused(
        &s,
        root()
            .join("host/bundled/convergence.wasm")
            .to_str()
            .unwrap(),
        "looks like a convergence checker",
    );
}

#[test]
fn a_component_built_against_another_wit_version_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let p = s.dir.path().join("future.wasm");
    let wat = r#"(component
        (import "anneal:strategy/host@0.9.0" (instance (export "progress" (func (param "message" string)))))
    )"#;
    std::fs::write(&p, wat::parse_str(wat).unwrap()).unwrap();
    refused(
        &s,
        p.to_str().unwrap(),
        "built against anneal:strategy@0.9.0",
    );
}

/// A component whose only import is `import`, with no exports.
fn importing(s: &Scratch, file: &str, import: &str) -> String {
    let p = s.dir.path().join(file);
    let wat = format!(
        r#"(component
        (import "{import}" (instance (export "get-arguments" (func (result (list string))))))
    )"#
    );
    std::fs::write(&p, wat::parse_str(&wat).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn a_component_importing_an_interface_the_host_does_not_provide_is_refused_naming_it() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // WASI the host does not serve (HTTP), and a package nobody serves.
    let http = importing(&s, "http.wasm", "wasi:http/outgoing-handler@0.2.0");
    refused(
        &s,
        &http,
        "imports \"wasi:http/outgoing-handler@0.2.0\", which the host does not provide",
    );
    let evil = importing(&s, "evil.wasm", "evil:net/socket@1.0.0");
    refused(
        &s,
        &evil,
        "imports \"evil:net/socket@1.0.0\", which the host does not provide",
    );
    // WASI of another major version is not served either.
    let p3 = importing(&s, "p3.wasm", "wasi:cli/environment@0.3.0");
    refused(&s, &p3, "wasi:cli/environment@0.3.0");
}

#[test]
fn a_component_importing_provided_wasi_passes_the_import_check() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // `wasi:cli/environment` is served (empty): the loader goes on to the exports, which this
    // component lacks.
    let p = importing(&s, "wasi.wasm", "wasi:cli/environment@0.2.0");
    refused(&s, &p, "lacks the export(s) info, estimate, run");
}

/// A component importing the given (empty) instances.
fn importing_all(s: &Scratch, file: &str, imports: &[&str]) -> String {
    let p = s.dir.path().join(file);
    let body: String = imports
        .iter()
        .map(|i| format!("(import \"{i}\" (instance))\n"))
        .collect();
    std::fs::write(&p, wat::parse_str(format!("(component {body})")).unwrap()).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn versions_are_checked_before_anything_runs() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // A version nobody serves is named, with the ones that are.
    let future = importing_all(&s, "future.wasm", &["anneal:strategy/host@0.3.0"]);
    refused(
        &s,
        &future,
        "built against anneal:strategy@0.3.0, which this host does not serve; supported versions: 0.2.0, 0.1.0",
    );
    // One component, one version.
    let mixed = importing_all(
        &s,
        "mixed.wasm",
        &["anneal:strategy/types@0.1.0", "anneal:strategy/host@0.2.0"],
    );
    refused(
        &s,
        &mixed,
        "imports interfaces of two versions of anneal:strategy (0.1.0 and 0.2.0)",
    );
    // A 0.2.0 strategy exports `estimate` besides `info` and `run`; it may import the code
    // index and the history (the loader goes on to the exports).
    let v2 = importing_all(
        &s,
        "v2.wasm",
        &[
            "anneal:strategy/host@0.2.0",
            "anneal:strategy/code-index@0.2.0",
            "anneal:strategy/history@0.2.0",
        ],
    );
    refused(
        &s,
        &v2,
        "does not implement the anneal:strategy@0.2.0 strategy world: it lacks the export(s) info, estimate, run",
    );
    // The code index is new in 0.2.0: 0.1.0 has none to import.
    let v1 = importing_all(&s, "v1.wasm", &["anneal:strategy/code-index@0.1.0"]);
    refused(&s, &v1, "anneal:strategy/code-index@0.1.0");
    // So is the history of earlier runs.
    let v1 = importing_all(&s, "v1h.wasm", &["anneal:strategy/history@0.1.0"]);
    refused(&s, &v1, "anneal:strategy/history@0.1.0");
}

#[test]
fn a_guest_estimate_is_bounded_and_never_believed_blindly() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("hostile");
    let g = guest.to_str().unwrap();
    // Best over worst, with terminal escapes: set aside for the call limit, escapes removed.
    let out = s.anneal(&[
        "--strategy",
        g,
        "--opt",
        "mode=bad-estimate",
        "--dry-run",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let so = stdout(&out);
    assert!(
        so.contains("estimate is invalid (best 9 over worst 3)"),
        "{so}"
    );
    assert!(!so.contains('\u{1b}'), "{so:?}");
    // An estimate that never returns is stopped by the CPU limit.
    let out = s.anneal(&[
        "--strategy",
        g,
        "--opt",
        "mode=estimate-loop",
        "--max-guest-cpu",
        "1",
        "--dry-run",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("CPU time limit"), "{}", stderr(&out));
    assert_eq!(s.run_dirs(), 0);
}

#[test]
fn inspect_takes_the_limits_its_errors_name() {
    if common::nested() {
        return;
    }
    let guest = test_guest("hostile");
    let inspect = |extra: &[&str]| {
        let mut args: Vec<String> = vec!["strategy".into(), "inspect".into()];
        args.push(guest.display().to_string());
        args.extend(extra.iter().map(|s| s.to_string()));
        anneal(&args, &[])
    };
    // A limit too small for info(): the error names the flag, and the flag is accepted.
    let out = inspect(&["--max-guest-memory", "1"]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("(--max-guest-memory)"),
        "{}",
        stderr(&out)
    );
    let out = inspect(&["--max-guest-memory", "64", "--max-guest-cpu", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("name         hostile"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_unknown_bundled_name_is_refused() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    refused(&s, "forge", "bundled strategies are cast");
}

/// Runs the hostile guest in `mode`; the run must end with exit 5 naming `needle`, and the run
/// directory must hold a rollup recording the error, a plan.md and the XML prompt.
/// Peak resident memory allowed to the host while it runs a hostile guest (KiB): the guest's
/// linear memory limit (256 MiB by default) plus what the host itself needs. A guest that
/// could make the host allocate without bound (through host calls, logs, artifacts) fails this.
const HOST_PEAK_KIB: u64 = 640 << 10;

fn hostile(mode: &str, extra: &[&str], needle: &str) -> (Scratch, String) {
    hostile_in(Scratch::new(), mode, extra, needle)
}

/// As [`hostile`], in a scratch workspace the test prepared.
fn hostile_in(s: Scratch, mode: &str, extra: &[&str], needle: &str) -> (Scratch, String) {
    let guest = test_guest("hostile");
    let opt = format!("mode={mode}");
    let mut args = vec!["--strategy", guest.to_str().unwrap(), "--opt", &opt];
    args.extend_from_slice(extra);
    args.push(TASK);
    let (out, peak_kib) = s.anneal_measured(&args);
    eprintln!("mode {mode}: host peak {} MiB", peak_kib >> 10);
    assert!(
        peak_kib < HOST_PEAK_KIB,
        "mode {mode}: the host's peak resident memory was {} MiB",
        peak_kib >> 10
    );
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(5),
        "mode {mode}: stdout {} stderr {err}",
        stdout(&out)
    );
    assert!(
        err.contains(needle),
        "mode {mode}: expected {needle:?} in: {err}"
    );
    assert!(
        !err.contains("panicked at"),
        "the host must not panic: {err}"
    );
    let run = s.run_dir();
    let r = rollup(&run);
    assert!(
        r["error"].as_str().unwrap().contains(needle),
        "rollup error: {:?}",
        r["error"]
    );
    assert_eq!(r["emission_decision"], "ABORT");
    assert!(run.join("plan/plan.md").is_file());
    assert!(run.join("run.log").is_file());
    // Nothing outside the run directory: the scratch dir holds only the repo, the runs root
    // and the host's own caches beside it (the baseline's gate commands run alongside
    // planning, so their preflight and cargo caches may exist even when the guest failed).
    let mut top: Vec<String> = std::fs::read_dir(s.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "cache")
        .collect();
    if let Ok(cache) = std::fs::read_dir(s.dir.path().join("cache")) {
        for e in cache {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                n == "preflight" || n == "cargo-target",
                "only the host's caches are beside the runs root, found cache/{n}"
            );
        }
    }
    top.sort();
    assert_eq!(top, vec!["runs", "service-repo"]);
    (s, err)
}

#[test]
fn a_guest_that_traps_is_a_clear_error() {
    if common::nested() {
        return;
    }
    hostile("trap", &[], "crashed (trap)");
}

#[test]
fn a_guest_that_loops_forever_hits_the_cpu_limit() {
    if common::nested() {
        return;
    }
    hostile("loop", &["--max-guest-cpu", "2"], "CPU time limit");
}

#[test]
fn a_guest_that_loops_after_a_host_call_hits_the_cpu_limit() {
    if common::nested() {
        return;
    }
    hostile(
        "loop-after-call",
        &["--max-guest-cpu", "2"],
        "CPU time limit",
    );
}

#[test]
fn a_guest_that_grows_memory_without_bound_hits_the_memory_limit() {
    if common::nested() {
        return;
    }
    hostile("memory", &["--max-guest-memory", "64"], "memory limit");
}

#[test]
fn a_memory_bomb_at_the_default_limit_keeps_the_host_bounded() {
    if common::nested() {
        return;
    }
    // hostile() checks the host's peak resident memory against HOST_PEAK_KIB.
    let (_, err) = hostile(
        "memory",
        &[],
        "over the limit of 256 MiB (--max-guest-memory)",
    );
    // What the guest asked for is over the limit, and the message shows it: never "asked for
    // 256 MiB, the limit is 256 MiB".
    assert!(!err.contains("asked for 256 MiB of"), "{err}");
}

#[test]
fn a_guest_that_recurses_without_bound_hits_the_stack_limit() {
    if common::nested() {
        return;
    }
    hostile("stack", &[], "stack limit");
}

#[test]
fn a_guest_that_overflows_its_own_linear_memory_stack_is_named_as_such() {
    if common::nested() {
        return;
    }
    let (_, err) = hostile("shadow-stack", &[], "stack limit");
    assert!(
        err.contains("its own stack in linear memory overflowed"),
        "{err}"
    );
}

#[test]
fn a_guest_cannot_write_outside_the_run_directory() {
    if common::nested() {
        return;
    }
    let (s, err) = hostile("escape", &[], "every escape was refused");
    assert!(err.contains("`..`"), "{err}");
    assert!(err.contains("reserved for the host"), "{err}");
    assert!(!std::path::Path::new("/tmp/anneal-escape").exists());
    assert!(!s.runs().join("outside").exists());
}

#[test]
fn a_huge_artifact_is_refused() {
    if common::nested() {
        return;
    }
    hostile("huge-artifact", &[], "over the 4194304 byte limit");
}

#[test]
fn thousands_of_artifacts_stop_at_the_limit() {
    if common::nested() {
        return;
    }
    let (s, err) = hostile("many-artifacts", &[], "artifact limit reached");
    assert!(err.contains("stopped after 256 artifacts"), "{err}");
    let n = std::fs::read_dir(s.run_dir().join("spam")).unwrap().count();
    assert_eq!(n, 256);
}

#[test]
fn thousands_of_agent_calls_stop_at_the_guest_budget() {
    if common::nested() {
        return;
    }
    let (_, err) = hostile(
        "many-calls",
        &["--max-guest-calls", "25"],
        "limit of 25 agent calls",
    );
    assert!(err.contains("stopped after 25 agent calls"), "{err}");
}

#[test]
fn code_index_queries_are_bounded_counted_and_confined() {
    if common::nested() {
        return;
    }
    // The hostile guest asks for every result and a whole file, then for what must be
    // refused, then looks a name up until the host stops it (docs/security.md).
    let (s, err) = hostile(
        "code-index",
        &[],
        "its limit of 500 code-index queries for this run",
    );
    assert!(!err.contains("ESCAPED"), "{err}");
    assert!(
        err.contains(".py lines 1-"),
        "a real file was found and read: {err}"
    );
    for (what, bound) in [
        ("a 10 KiB name", "name is 10240 bytes; at most 256"),
        (
            "a 10 KiB symbol search",
            "search is 10240 bytes; at most 256",
        ),
        ("a 10 KiB file search", "search is 10240 bytes; at most 256"),
        ("a 2 KiB path", "at most 1024"),
    ] {
        assert!(
            err.contains(&format!("{what}: LimitExceeded(")) && err.contains(bound),
            "{what} must be refused naming {bound:?}: {err}"
        );
    }
    for refused in ["../../etc/passwd", "/etc/passwd", ".env.example"] {
        assert!(
            err.contains(&format!("{refused}: InvalidRequest(")),
            "{refused} must be refused: {err}"
        );
    }
    assert!(err.contains("not a source file of the index"), "{err}");
    // 500 calls in all: 4 answered, 7 refused, then 489 more lookups.
    assert!(err.contains("stopped after 489 more lookups"), "{err}");
    assert_eq!(rollup(&s.run_dir())["guest"]["code_queries"], 500);
}

#[test]
fn code_index_answers_are_bounded_per_excerpt_and_per_run() {
    if common::nested() {
        return;
    }
    // A big source file: 1 000 short definitions (the 200-line bound cuts an excerpt), then
    // 1 000 long ones (the 16 KiB bound does); the guest reads and searches until refused.
    let s = Scratch::new();
    let mut bulk = String::new();
    for i in 0..1000 {
        bulk.push_str(&format!("def bulk_short_{i}(): pass\n"));
    }
    for i in 0..1000 {
        bulk.push_str(&format!(
            "def bulk_long_{i}(): return {:?}\n",
            "x".repeat(100)
        ));
    }
    std::fs::write(s.repo().join("app/bulk.py"), bulk).unwrap();
    let (_, err) = hostile_in(
        s,
        "code-bytes",
        &[],
        "its limit of 4194304 bytes of code-index answers for this run",
    );
    assert!(!err.contains("ESCAPED"), "{err}");
    assert!(err.contains("excerpt from line 1: 200 lines"), "{err}");
    assert!(err.contains("50 symbols in a search"), "{err}");
    let long = err
        .split("excerpt from line 1001: ")
        .nth(1)
        .and_then(|t| t.split(" lines").next())
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or_else(|| panic!("no long excerpt in: {err}"));
    assert!(long < 200, "the 16 KiB bound cut it first: {err}");
}

#[test]
fn a_huge_log_message_is_cut_and_the_run_goes_on() {
    if common::nested() {
        return;
    }
    let s = hostile_ok("huge-log");
    let log = std::fs::read_to_string(s.run_dir().join("run.log")).unwrap();
    assert!(log.len() < 64 << 10, "run.log is {} bytes", log.len());
    assert!(log.contains("…[cut]"));
    // Within the host-call data limit: an 8 MiB message is cut, not refused.
}

#[test]
fn a_well_behaved_third_party_strategy_gets_its_options() {
    if common::nested() {
        return;
    }
    let s = hostile_ok("ok");
    let r = rollup(&s.run_dir());
    assert_eq!(r["architecture"], "hostile");
    assert_eq!(r["strategy"]["options"]["mode"], "ok");
    assert_eq!(r["strategy"]["wit"], "anneal:strategy@0.2.0");
}

/// Runs the hostile guest in `mode` without `--quiet` (progress on stderr, a pipe here), with
/// the host's peak memory measured and bounded.
fn hostile_loud(s: &Scratch, mode: &str, extra: &[&str]) -> std::process::Output {
    let guest = test_guest("hostile");
    let opt = format!("mode={mode}");
    let mut args = vec!["--strategy", guest.to_str().unwrap(), "--opt", &opt];
    args.extend_from_slice(extra);
    args.push(TASK);
    let (out, peak_kib) = common::anneal_measured(&in_scratch(s, &args), &[]);
    eprintln!("mode {mode}: host peak {} MiB", peak_kib >> 10);
    assert!(
        peak_kib < HOST_PEAK_KIB,
        "mode {mode}: the host's peak resident memory was {} MiB",
        peak_kib >> 10
    );
    out
}

/// `args` after `--repo`/`--out` of the scratch workspace (no `--quiet` added).
fn in_scratch(s: &Scratch, args: &[&str]) -> Vec<String> {
    let mut full = vec![
        "--repo".to_string(),
        s.repo().display().to_string(),
        "--out".into(),
        s.runs().display().to_string(),
    ];
    full.extend(args.iter().map(|a| a.to_string()));
    full
}

/// Runs the hostile guest in `mode`, which must end the run normally (exit 0).
fn hostile_ok(mode: &str) -> Scratch {
    let s = Scratch::new();
    let guest = test_guest("hostile");
    let opt = format!("mode={mode}");
    let out = s.anneal(&["--strategy", guest.to_str().unwrap(), "--opt", &opt, TASK]);
    assert_eq!(out.status.code(), Some(0), "mode {mode}: {}", stderr(&out));
    s
}

/// No escape sequence, bell or forged host line in `text` (terminal output or a file).
fn assert_clean(what: &str, text: &str) {
    assert!(
        !text.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{what} holds an escape sequence: {:?}",
        text.lines()
            .find(|l| l.contains(['\u{1b}', '\u{7}']))
            .unwrap_or_default()
    );
    assert!(
        !text
            .lines()
            .any(|l| l.trim_start().starts_with("[host] forged")),
        "{what} holds a forged host line"
    );
}

#[test]
fn a_flood_of_empty_log_calls_is_bounded_and_the_run_goes_on() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = hostile_loud(&s, "log-flood", &["--quiet"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = std::fs::read_to_string(s.run_dir().join("run.log")).unwrap();
    assert!(
        log.len() < (1 << 20) + (64 << 10),
        "run.log is {} bytes",
        log.len()
    );
    let guest_lines = log
        .lines()
        .filter(|l| l.starts_with("[guest hostile] info"))
        .count();
    assert_eq!(guest_lines, 10_000, "the log-call limit");
    assert_eq!(
        log.matches("reached its log limit").count(),
        1,
        "one line says the limit was reached"
    );
}

#[test]
fn a_flood_of_progress_is_rate_limited_and_bounded_on_the_terminal_and_in_the_log() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = hostile_loud(&s, "progress-flood", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.len() < 300 << 10, "stderr took {} bytes", err.len());
    assert_clean("stderr", &err);
    let log = std::fs::read_to_string(s.run_dir().join("run.log")).unwrap();
    assert!(
        log.len() < (1 << 20) + (64 << 10),
        "run.log is {} bytes",
        log.len()
    );
    assert_clean("run.log", &log);
    assert_eq!(
        log.matches("reached its progress limit").count(),
        1,
        "{}",
        &log[..log.len().min(2000)]
    );
}

#[test]
fn what_a_strategy_says_about_itself_is_shown_without_its_escape_sequences() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let guest = test_guest("hostile");
    let g = guest.to_str().unwrap();
    // inspect, --dry-run, a usage error naming its option text, then a whole run.
    let plain = |a: &[&str]| {
        let a: Vec<String> = a.iter().map(|x| x.to_string()).collect();
        common::anneal(&a, &[])
    };
    let inspect = plain(&["strategy", "inspect", g]);
    assert_eq!(inspect.status.code(), Some(0), "{}", stderr(&inspect));
    assert!(stdout(&inspect).contains("Misbehaves on purpose"));
    assert_clean("strategy inspect", &stdout(&inspect));
    let dry = s.anneal(&["--dry-run", "--strategy", g, TASK]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert_clean("--dry-run", &stdout(&dry));
    let usage = s.anneal(&["--strategy", g, "--opt", "level=11", TASK]);
    assert_eq!(usage.status.code(), Some(2), "{}", stderr(&usage));
    assert!(stderr(&usage).contains("too high"), "{}", stderr(&usage));
    assert_clean("the usage error", &stderr(&usage));
    let run = s.anneal(&["--strategy", g, "--opt", "mode=ok", TASK]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert_clean("the summary", &stdout(&run));
    let dir = s.run_dir();
    for f in ["run.log", "plan/plan.md", "rollup.yaml"] {
        assert_clean(f, &std::fs::read_to_string(dir.join(f)).unwrap());
    }
    let xml = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "xml"))
        .unwrap();
    let xml = std::fs::read_to_string(xml).unwrap();
    assert_clean("the XML prompt", &xml);
    common::xml_elements(&xml);
    // Installed, then listed.
    let t = tempfile::tempdir().unwrap();
    let sdir = t.path().join("strategies");
    let env = [("ANNEAL_STRATEGY_DIR", sdir.to_str().unwrap())];
    let args = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let out = common::anneal(&args(&["strategy", "install", g]), &env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = common::anneal(&args(&["strategy", "list"]), &env);
    assert!(stdout(&list).contains("hostile"), "{}", stdout(&list));
    assert_clean("strategy list", &stdout(&list));
}

#[test]
fn a_copy_of_a_bundled_strategy_keeps_its_name() {
    if common::nested() {
        return;
    }
    // A component calling itself `cast` is accepted when it is the bundled cast byte for byte
    // (runtime::info refuses any other; its unit tests build those infos).
    let s = Scratch::new();
    let p = s.dir.path().join("my-cast.wasm");
    std::fs::copy(root().join("host/bundled/cast.wasm"), &p).unwrap();
    let out = common::anneal(
        &["strategy".into(), "inspect".into(), p.display().to_string()],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("name         cast"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_inflated_stage_output_is_refused_naming_the_field_and_the_limit() {
    if common::nested() {
        return;
    }
    let (s, _) = hostile("inflate", &[], "notes has 10000 entries; the limit is 64");
    let r = rollup(&s.run_dir());
    assert!(r["guest"]["notes"].as_sequence().map_or(0, |n| n.len()) <= 64);
    let size = std::fs::metadata(s.run_dir().join("rollup.yaml"))
        .unwrap()
        .len();
    assert!(size < 64 << 10, "rollup.yaml is {size} bytes");
}

#[test]
fn a_huge_stage_output_stops_at_the_host_call_data_limit() {
    if common::nested() {
        return;
    }
    hostile("inflate-huge", &[], "host-call data limit");
}

#[test]
fn a_host_call_over_the_hostcall_fuel_is_named_with_its_size() {
    if common::nested() {
        return;
    }
    hostile(
        "fuel",
        &[],
        "host-call data limit: the guest passed more than 32 MiB",
    );
}

#[test]
fn every_agent_of_a_red_team_call_counts_against_the_guest_budget() {
    if common::nested() {
        return;
    }
    let (s, err) = hostile(
        "red-team-loop",
        &["--max-guest-calls", "20"],
        "limit of 20 agent calls",
    );
    // One planner, then four red-team calls of four agents each: 17; a fifth would be 21.
    assert!(err.contains("stopped after 4 red-team calls"), "{err}");
    let r = rollup(&s.run_dir());
    assert_eq!(r["guest"]["agent_calls"], 17);
    // --dry-run's worst case for a strategy that declares nothing covers what it spent.
    let dry = s.anneal(&[
        "--dry-run",
        "--max-guest-calls",
        "20",
        "--strategy",
        test_guest("hostile").to_str().unwrap(),
        TASK,
    ]);
    let worst: u64 = stdout(&dry)
        .lines()
        .find(|l| l.contains("worst case"))
        .and_then(|l| l.split_whitespace().find_map(|w| w.parse().ok()))
        .unwrap_or_else(|| panic!("{}", stdout(&dry)));
    let spent = r["accounting"]["agent_spawns"].as_u64().unwrap();
    assert!(
        spent <= worst,
        "spent {spent}, dry run said at most {worst}"
    );
}

#[test]
fn look_alike_and_non_portable_artifact_names_are_refused() {
    if common::nested() {
        return;
    }
    let (s, err) = hostile("names", &[], "every look-alike was refused");
    assert!(err.contains("is refused"), "{err}");
    let run = s.run_dir();
    assert!(run.join("notes/portable-name_1.md").is_file());
    for bad in ["p1an", "Plan", "R0LLUP.yaml", "rollup.yaml ", ".hidden"] {
        assert!(!run.join(bad).exists(), "{bad} was written");
    }
}

#[test]
fn a_guest_cannot_claim_convergence_it_never_checked() {
    if common::nested() {
        return;
    }
    let s = hostile_ok("fake-convergence");
    let r = rollup(&s.run_dir());
    assert!(r["depth_final"].is_null(), "{:?}", r["depth_final"]);
    assert!(r["depth_scores"].is_null(), "{:?}", r["depth_scores"]);
    assert!(r["convergence_reason"].is_null());
    let notes = format!("{:?}", r["guest"]["notes"]);
    assert!(notes.contains("replaced by the host's"), "{notes}");
}

/// A component made to be slow to compile (`runtime::compile::bomb_wat`): small on disk,
/// slow for the register allocator.
fn compile_bomb(functions: usize, locals: usize) -> Vec<u8> {
    wat::parse_str(anneal::runtime::compile::bomb_wat(functions, locals)).unwrap()
}

/// Runs anneal on a component at `path` with `extra` flags: the error, and the host's peak
/// memory (the compile process included) bounded.
/// The compile cache is off, so every run really compiles.
fn compile_refused(s: &Scratch, path: &std::path::Path, extra: &[&str], needle: &str) -> String {
    let mut args = vec!["--quiet", "--strategy", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(TASK);
    let started = std::time::Instant::now();
    let (out, peak_kib) =
        common::anneal_measured(&in_scratch(s, &args), &[("ANNEAL_CACHE_DIR", "off")]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(peak_kib < HOST_PEAK_KIB, "peak {} MiB", peak_kib >> 10);
    assert_eq!(
        s.run_dirs(),
        0,
        "nothing is written for a component that does not compile"
    );
    eprintln!(
        "{needle}: {:?}, peak {} MiB",
        started.elapsed(),
        peak_kib >> 10
    );
    err
}

#[test]
fn a_compile_bomb_is_stopped_by_the_compile_time_limit() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // Within the counted limits (2 000 locals a function), but tens of seconds of compile work
    // (24 such functions compile in under 2 s with wasmtime built at opt-level 1, so 240).
    let p = s.dir.path().join("bomb.wasm");
    std::fs::write(&p, compile_bomb(240, 2_000)).unwrap();
    let started = std::time::Instant::now();
    compile_refused(
        &s,
        &p,
        &["--max-compile-secs", "3"],
        "was not compiled: compiling it was stopped by the compile time limit (3 s; --max-compile-secs)",
    );
    assert!(started.elapsed().as_secs() < 30, "{:?}", started.elapsed());
}

#[test]
fn a_component_over_the_counted_compile_limits_is_refused_before_compiling() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let p = s.dir.path().join("locals.wasm");
    std::fs::write(&p, compile_bomb(1, 8_000)).unwrap();
    compile_refused(
        &s,
        &p,
        &[],
        "over the compile limits: function 1 has 8000 locals; the limit is 2000",
    );
}

#[test]
fn compiling_is_held_to_its_memory_limit() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // Any real component needs more than 64 MiB of address space to compile.
    compile_refused(
        &s,
        &root().join("host/bundled/alloy.wasm"),
        &["--max-compile-memory", "64"],
        "stopped by the compile memory limit (64 MiB of address space; --max-compile-memory)",
    );
}

/// Writes a forged run directory `id` under `runs` whose rollup says it planned `repo`.
fn forged_run(runs: &std::path::Path, id: &str, repo: &str, task: &str, option: &str) {
    let dir = runs.join(id);
    std::fs::create_dir_all(&dir).unwrap();
    let rollup = serde_json::json!({ "rollup": {
        "run_id": id, "architecture": "cast", "task": task, "repository": repo,
        "emission_decision": "EMIT", "overall_verdict": "SAFE", "iteration_count": 1,
        "momus_score": 91,
        "strategy": { "name": "cast", "version": "0.2.0", "options": { "key": option } },
    } });
    std::fs::write(
        dir.join("rollup.yaml"),
        serde_yaml::to_string(&rollup).unwrap(),
    )
    .unwrap();
}

#[test]
fn history_through_the_wit_is_this_repositorys_only_bounded_and_path_free() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    // A real earlier run of this repository.
    let first = s.anneal(&["Add a health check endpoint"]);
    assert!(
        matches!(first.status.code(), Some(0 | 4)),
        "{}",
        stderr(&first)
    );
    // Forged ones: another repository's, and one of this repository naming paths in and out
    // of it (docs/security.md, "Run history").
    let repo = s.repo().canonicalize().unwrap().display().to_string();
    let scratch = s.dir.path().display().to_string();
    forged_run(
        &s.runs(),
        "anneal-20200101-000000-other",
        "/somewhere/else",
        "Other repository: its secret task",
        "x",
    );
    forged_run(
        &s.runs(),
        "anneal-20200101-000001-forged",
        &repo,
        &format!("Read /etc/shadow, {scratch}/runs and {repo}/app/main.py \u{1b}[2J"),
        "/root/.ssh/id_rsa",
    );
    let guest = test_guest("hostile");
    let out = s.anneal(&[
        "--strategy",
        guest.to_str().unwrap(),
        "--opt",
        "mode=history",
        TASK,
    ]);
    assert!(matches!(out.status.code(), Some(0 | 4)), "{}", stderr(&out));
    let seen = std::fs::read_dir(s.runs())
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("history.txt")).ok())
        .next()
        .expect("the guest wrote history.txt");
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines[0], "omitted\t0", "{seen}");
    assert_eq!(
        lines.len(),
        3,
        "the real run and the forged one of this repository:\n{seen}"
    );
    assert!(
        lines[1].contains("\tAdd a health check endpoint\t"),
        "{seen}"
    );
    assert!(
        lines[2].contains("anneal-20200101-000001-forged\tcast\t"),
        "{seen}"
    );
    assert!(lines[2].contains("app/main.py"), "{seen}");
    assert!(
        lines[2].contains("key=[path outside the repository]"),
        "{seen}"
    );
    for leak in [
        "Other repository",
        "/etc/shadow",
        "/root",
        &scratch,
        &repo,
        "\u{1b}",
    ] {
        assert!(
            !seen.contains(leak),
            "{leak:?} leaked into the history:\n{seen}"
        );
    }
}

#[test]
fn a_guest_reading_the_history_forever_hits_the_cpu_limit() {
    if common::nested() {
        return;
    }
    hostile("history-loop", &["--max-guest-cpu", "2"], "CPU time limit");
}

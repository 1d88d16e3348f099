//! Helpers shared by the integration tests: the fixture repository, running the real `anneal`
//! binary, finding and reading a run directory.
#![allow(dead_code)]
pub mod fake_model;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

/// True when this test suite runs as a planning-time gate of anneal itself (Hephaestus sets
/// `ANNEAL_HEPHAESTUS`): the end-to-end tests, which launch anneal runs of their own, then
/// return at once instead of planning recursively inside the scratch copy.
pub fn nested() -> bool {
    std::env::var_os("ANNEAL_HEPHAESTUS").is_some()
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A test-only guest built by `cargo run -p xtask -- guests` (scripts/test.sh does it).
pub fn test_guest(name: &str) -> PathBuf {
    let p = root()
        .join("target/test-guests")
        .join(format!("{name}.wasm"));
    assert!(p.exists(), "{} is missing: build the test guests with `cargo run -p xtask -- guests` (scripts/test.sh does)", p.display());
    p
}

/// A scratch workspace for one test: a copy of the fixture service repository and an empty runs root.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &root().join("tests/fixtures/service-repo"),
            &dir.path().join("service-repo"),
        );
        std::fs::create_dir(dir.path().join("runs")).unwrap();
        Scratch { dir }
    }
    pub fn repo(&self) -> PathBuf {
        self.dir.path().join("service-repo")
    }
    pub fn runs(&self) -> PathBuf {
        self.dir.path().join("runs")
    }
    /// Runs `anneal` with `args` plus `--repo`/`--out` pointing into the scratch dir.
    pub fn anneal(&self, args: &[&str]) -> Output {
        self.anneal_env(args, &[])
    }
    /// As [`Scratch::anneal`], also returning the host's peak resident memory (KiB).
    #[cfg(target_os = "linux")]
    pub fn anneal_measured(&self, args: &[&str]) -> (Output, u64) {
        anneal_measured(&self.args(args), &[])
    }
    fn args(&self, args: &[&str]) -> Vec<String> {
        let mut full: Vec<String> = vec![
            "--repo".into(),
            self.repo().display().to_string(),
            "--out".into(),
            self.runs().display().to_string(),
            "--quiet".into(),
        ];
        full.extend(args.iter().map(|s| s.to_string()));
        full
    }
    /// As [`Scratch::anneal`], with extra environment variables.
    pub fn anneal_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        anneal(&self.args(args), env)
    }
    /// The single run directory under the runs root.
    pub fn run_dir(&self) -> PathBuf {
        let dirs: Vec<PathBuf> = std::fs::read_dir(self.runs())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(dirs.len(), 1, "expected one run directory, found {dirs:?}");
        dirs[0].clone()
    }
    pub fn run_dirs(&self) -> usize {
        std::fs::read_dir(self.runs()).unwrap().count()
    }
}

/// Runs the real binary with a 10-minute ceiling.
pub fn anneal(args: &[String], env: &[(&str, &str)]) -> Output {
    anneal_within(args, env, Duration::from_secs(600))
}

/// The compile cache every test run shares unless a test names its own: the suite compiles
/// each guest once, and no test touches the user's own cache.
pub fn test_cache_dir() -> PathBuf {
    root().join("target/test-compile-cache")
}

/// The environment every test run gets unless a test overrides it: the suite's compile cache,
/// an installed-strategies directory that does not exist, and no preflight (`--preflight
/// skip`): the fixtures' gates need only the standard tools, and installing the fixture's
/// declared dependencies would need the network. The preflight's own tests ask for it with
/// `--preflight install` on projects whose dependencies are local.
pub fn default_env() -> [(&'static str, PathBuf); 3] {
    [
        ("ANNEAL_CACHE_DIR", test_cache_dir()),
        (
            "ANNEAL_STRATEGY_DIR",
            root().join("target/test-no-installed-strategies"),
        ),
        ("ANNEAL_PREFLIGHT", PathBuf::from("skip")),
    ]
}

/// Runs the real binary, killed after `limit`. The compile cache is [`test_cache_dir`] and the
/// installed-strategies directory one that does not exist, unless `env` sets them.
pub fn anneal_within(args: &[String], env: &[(&str, &str)], limit: Duration) -> Output {
    let mut cmd = assert_cmd::Command::cargo_bin("anneal").unwrap();
    cmd.args(args).timeout(limit).env_remove("ANNEAL_RUNS_ROOT");
    cmd.envs(default_env());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs the real binary like [`anneal`] and also returns its peak resident memory in KiB
/// (`ru_maxrss` of exactly this child, from `wait4`). Killed after 10 minutes.
#[cfg(target_os = "linux")]
#[allow(clippy::zombie_processes)] // reaped by wait4 below, which std's Child does not see
pub fn anneal_measured(args: &[String], env: &[(&str, &str)]) -> (Output, u64) {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("anneal"));
    cmd.args(args)
        .env_remove("ANNEAL_RUNS_ROOT")
        .envs(default_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let killer = std::thread::spawn(move || {
        if wait.recv_timeout(Duration::from_secs(600)).is_err() {
            // SAFETY: kill(2) on our own child's pid, not yet reaped (wait4 below has not returned).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it for this one child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointers to locals; pid is our child.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let _ = done.send(());
    killer.join().unwrap();
    assert_eq!(r, pid, "wait4 failed");
    let output = Output {
        status: std::process::ExitStatus::from_raw(status),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, usage.ru_maxrss as u64)
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "__pycache__" {
            continue;
        }
        let ty = e.file_type().unwrap();
        if ty.is_dir() {
            copy_dir(&e.path(), &to.join(&name));
        } else if ty.is_file() {
            std::fs::copy(e.path(), to.join(&name)).unwrap();
        }
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Reads `rollup.yaml` as a YAML value (the `rollup:` mapping).
pub fn rollup(run: &Path) -> serde_yaml::Value {
    let text = std::fs::read_to_string(run.join("rollup.yaml")).expect("rollup.yaml exists");
    let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    v["rollup"].clone()
}

/// Reads and validates an envelope file.
pub fn envelope(run: &Path, rel: &str) -> anneal::model::Envelope {
    let text = std::fs::read_to_string(run.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let e: anneal::model::Envelope = serde_yaml::from_str(&text)
        .unwrap_or_else(|e| panic!("{rel} does not parse as an envelope: {e}"));
    if let Err(p) = anneal::model::validate::validate_envelope(&e) {
        panic!("{rel} is not a valid envelope: {p:?}");
    }
    e
}

/// Checks that `xml` is well-formed to the end, returning the element names seen.
pub fn xml_elements(xml: &str) -> Vec<String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut names = Vec::new();
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e)) => {
                names.push(String::from_utf8_lossy(e.name().as_ref()).into_owned())
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "XML is not well-formed at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    names
}

/// `(agent, start_ms, finish_ms)` for every agent call recorded in `events.jsonl` whose agent
/// name satisfies `keep`, pairing each start with the next finish of the same agent.
pub fn intervals(run: &Path, keep: impl Fn(&str) -> bool) -> Vec<(String, u64, u64)> {
    let text = std::fs::read_to_string(run.join("events.jsonl")).unwrap();
    let mut open: Vec<(String, u64)> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let agent = v["agent"].as_str().unwrap().to_string();
        if !keep(&agent) {
            continue;
        }
        let t = v["t_ms"].as_u64().unwrap();
        match v["event"].as_str().unwrap() {
            "start" => open.push((agent, t)),
            "finish" => {
                let i = open
                    .iter()
                    .position(|(a, _)| *a == agent)
                    .expect("finish without start");
                let (a, s) = open.remove(i);
                out.push((a, s, t));
            }
            _ => {}
        }
    }
    out
}

/// Whether every interval overlaps every other (all ran at the same time at some instant).
pub fn all_overlap(iv: &[(String, u64, u64)]) -> bool {
    let latest_start = iv.iter().map(|i| i.1).max().unwrap();
    let earliest_finish = iv.iter().map(|i| i.2).min().unwrap();
    latest_start < earliest_finish
}

/// Whether no two intervals overlap.
pub fn none_overlap(iv: &[(String, u64, u64)]) -> bool {
    let mut v: Vec<_> = iv.to_vec();
    v.sort_by_key(|i| i.1);
    v.windows(2).all(|w| w[1].1 >= w[0].2)
}

/// Runs the real binary like [`anneal`], and once `ready()` holds (polled every 50 ms, for at
/// most 5 minutes) sends it `signal` (`libc::SIGINT`, `libc::SIGTERM`); returns its output and
/// how long it took to end after the signal. Killed 60 s after the signal if still running.
#[cfg(unix)]
pub fn anneal_signalled(
    args: &[String],
    env: &[(&str, &str)],
    ready: impl Fn() -> bool,
    signal: libc::c_int,
) -> (Output, Duration) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    use std::time::Instant;
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("anneal"));
    cmd.args(args)
        .env_remove("ANNEAL_RUNS_ROOT")
        .envs(default_env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            v
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let waited = Instant::now();
    while !ready() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "anneal ended ({status}) before it was ready to be signalled:\n{}",
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        if waited.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("anneal never became ready to be signalled");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, not yet reaped (try_wait saw it running).
    assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            break child.wait().unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = signalled.elapsed();
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, took)
}

/// True while a process with this pid exists and is not a zombie.
#[cfg(target_os = "linux")]
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the command name in parentheses: "1234 (sleep) S …".
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

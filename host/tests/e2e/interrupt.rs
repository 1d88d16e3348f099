//! Interrupts (docs/design.md §4, "Interrupts"; docs/security.md): the first SIGINT or SIGTERM
//! cancels agents, kills gate commands' process groups, removes the scratch copy and writes
//! the run directory with `emission_decision: ABORT` and the reason; anneal exits 130.
use crate::common::*;
use std::path::Path;
use std::time::Duration;

const TASK: &str = "Add rate limiting to the login endpoint";

/// A Makefile whose every target starts a long `sleep` in the background, writes its pid and
/// the directory it runs in (Hephaestus's scratch copy) under `marks`, and waits for it.
fn hanging_makefile(repo: &Path, marks: &Path) {
    let recipe = format!(
        "\tpwd > {m}/cwd.tmp && mv {m}/cwd.tmp {m}/cwd\n\tsleep 300 & echo $$! > {m}/pid.tmp && mv {m}/pid.tmp {m}/pid; wait\n",
        m = marks.display()
    );
    let text = format!(".PHONY: build test lint\nbuild:\n{recipe}test:\n{recipe}lint:\n{recipe}");
    std::fs::write(repo.join("Makefile"), text).unwrap();
}

/// The marks directory of a [`hanging_makefile`] in `s`'s repository and the arguments of a
/// run on it, with `extra` before the task.
fn hanging_run(s: &Scratch, extra: &[&str]) -> (std::path::PathBuf, Vec<String>) {
    let marks = s.dir.path().join("marks");
    std::fs::create_dir(&marks).unwrap();
    hanging_makefile(&s.repo(), &marks);
    let (repo, runs) = (s.repo(), s.runs());
    let mut args: Vec<&str> = vec![
        "--repo",
        repo.to_str().unwrap(),
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
        // The hanging gate writes its marks outside the scratch copy, which the gate
        // sandbox would make read-only; the process-group kill is the same either way.
        "--gate-sandbox",
        "off",
    ];
    args.extend_from_slice(extra);
    args.push(TASK);
    (marks, args.iter().map(|a| a.to_string()).collect())
}

/// SIGINT while Hephaestus runs a gate command: the command's process group is killed, its
/// scratch copy removed, and the run directory records the interrupt; exit 130.
#[cfg(target_os = "linux")]
#[test]
fn sigint_during_a_gate_command_kills_it_removes_the_scratch_copy_and_writes_the_rollup() {
    if nested() {
        return;
    }
    let s = Scratch::new();
    let (marks, args) = hanging_run(&s, &["--strategy", "cast"]);
    let pid_file = marks.join("pid");
    let (out, took) = anneal_signalled(&args, &[], || pid_file.exists(), libc::SIGINT);
    let text = format!("{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(130), "{text}");
    assert!(
        took < Duration::from_secs(20),
        "took {took:?} to stop: {text}"
    );
    // The gate command's background sleep is gone with its process group…
    let sleep: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while process_alive(sleep) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_alive(sleep),
        "the gate command's sleep {sleep} survived anneal"
    );
    // …and so is the scratch copy it ran in.
    let cwd = std::fs::read_to_string(marks.join("cwd")).unwrap();
    let cwd = Path::new(cwd.trim());
    assert!(
        cwd.starts_with(std::env::temp_dir()) || cwd.to_str().unwrap().contains("hephaestus"),
        "{cwd:?}"
    );
    assert!(!cwd.exists(), "the scratch copy {cwd:?} was left behind");
    // The run directory says what happened.
    let run = s.run_dir();
    let r = rollup(&run);
    assert_eq!(r["emission_decision"].as_str(), Some("ABORT"), "{r:?}");
    assert_eq!(r["simultaneous_pass"].as_bool(), Some(false), "{r:?}");
    let why = r["stop_reason"].as_str().unwrap_or_default();
    assert!(why.contains("interrupted by SIGINT"), "{r:?}");
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    assert!(log.contains("interrupted by SIGINT"), "{log}");
    let events = std::fs::read_to_string(run.join("events.jsonl")).unwrap();
    assert!(events.contains("\"interrupt\""), "{events}");
    assert!(run.join("reviews/metis.yaml").exists());
    assert!(stdout(&out).contains("INTERRUPTED"), "{text}");
}

/// SIGTERM before the run is decided, with the offline engine's first stages done: same
/// ending, named SIGTERM.
#[cfg(target_os = "linux")]
#[test]
fn sigterm_is_an_interrupt_too() {
    if nested() {
        return;
    }
    let s = Scratch::new();
    let (marks, args) = hanging_run(&s, &[]);
    let pid_file = marks.join("pid");
    let (out, _) = anneal_signalled(&args, &[], || pid_file.exists(), libc::SIGTERM);
    let text = format!("{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(130), "{text}");
    let r = rollup(&s.run_dir());
    assert_eq!(r["emission_decision"].as_str(), Some("ABORT"), "{r:?}");
    assert!(
        r["stop_reason"]
            .as_str()
            .unwrap_or_default()
            .contains("interrupted by SIGTERM"),
        "{r:?}"
    );
}

/// A second signal while the first one's outputs are being written ends anneal at once, exit
/// 130, saying so. The debug build holds the writing for 30 s when asked
/// (`ANNEAL_TEST_HOLD_AFTER_INTERRUPT_MS`), so the second signal surely lands in it.
#[cfg(target_os = "linux")]
#[test]
fn a_second_signal_exits_at_once() {
    use std::process::{Command, Stdio};
    use std::time::Instant;
    if nested() {
        return;
    }
    let s = Scratch::new();
    let (marks, args) = hanging_run(&s, &["--strategy", "cast"]);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("anneal"))
        .args(&args)
        .env_remove("ANNEAL_RUNS_ROOT")
        .envs(default_env())
        .env("ANNEAL_TEST_HOLD_AFTER_INTERRUPT_MS", "30000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !marks.join("pid").exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "anneal ended before its gate ran"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the gate never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid = child.id() as libc::pid_t;
    // SAFETY: kill(2) on our own child, not yet reaped.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first signal's outputs are held for 30 s"
    );
    let second = Instant::now();
    // SAFETY: as above; the child is still running.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        second.elapsed() < Duration::from_secs(10),
        "{:?}",
        second.elapsed()
    );
    assert!(err.contains("SIGINT again: exiting at once"), "{err}");
}

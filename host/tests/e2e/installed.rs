//! Installed strategies (`anneal strategy install/list/remove`, `--strategy NAME`) and the
//! compile cache (`ANNEAL_CACHE_DIR`), through the real binary.
use crate::common;
use common::{anneal, root, stderr, stdout, test_guest, Scratch};
use std::path::Path;

const TASK: &str = "Add rate limiting to the login endpoint";

/// Runs `anneal` with the strategy directory `dir` (and the suite's compile cache).
fn with_dir(dir: &Path, args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    anneal(&args, &[("ANNEAL_STRATEGY_DIR", dir.to_str().unwrap())])
}

fn sha256_of(path: &Path) -> String {
    anneal::runtime::loader::sha256_hex(&std::fs::read(path).unwrap())
}

#[test]
fn install_list_run_and_remove_a_third_party_strategy() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("strategies");
    let guest = test_guest("foundry");
    let sha = sha256_of(&guest);

    let out = with_dir(&dir, &["strategy", "install", guest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("installed foundry"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains(&sha), "{}", stdout(&out));
    assert_eq!(sha256_of(&dir.join("foundry.wasm")), sha);

    let out = with_dir(&dir, &["strategy", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let list = stdout(&out);
    for line in ["cast", "alloy", "temper"] {
        assert!(list.contains(line), "{list}");
    }
    let line = list
        .lines()
        .find(|l| l.starts_with("foundry "))
        .unwrap_or_else(|| panic!("foundry is not listed: {list}"));
    assert!(line.contains("installed"), "{line}");
    assert!(line.contains(&sha[..12]), "{line}");

    // Run by name, pinned to the hash install printed.
    let s = Scratch::new();
    let (repo, runs) = (s.repo(), s.runs());
    let args = [
        "--repo",
        repo.to_str().unwrap(),
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
        "--strategy",
        "foundry",
        "--strategy-sha256",
        &sha,
        TASK,
    ];
    let out = with_dir(&dir, &args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = common::rollup(&s.run_dir());
    assert_eq!(r["strategy"]["name"], "foundry");
    let source = r["strategy"]["source"].as_str().unwrap_or_default();
    assert!(source.starts_with("installed foundry: "), "{source}");

    // A second install of the same name needs --force.
    let out = with_dir(&dir, &["strategy", "install", guest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    let out = with_dir(
        &dir,
        &["strategy", "install", "--force", guest.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = with_dir(&dir, &["strategy", "remove", "foundry"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.join("foundry.wasm").exists());
    let out = with_dir(&dir, &["strategy", "remove", "foundry"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no strategy named foundry"),
        "{}",
        stderr(&out)
    );
    let out = with_dir(&dir, &["strategy", "list"]);
    assert!(!stdout(&out).contains("foundry "), "{}", stdout(&out));
    let out = with_dir(&dir, &args);
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("unknown strategy \"foundry\""),
        "{}",
        stderr(&out)
    );
}

#[test]
fn install_refuses_bundled_names_pin_mismatches_and_non_components() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("strategies");

    // The bundled Cast component names itself "cast": it cannot be installed over the bundled one.
    let cast = root().join("host/bundled/cast.wasm");
    let out = with_dir(&dir, &["strategy", "install", cast.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cast is a bundled strategy"),
        "{}",
        stderr(&out)
    );

    let guest = test_guest("foundry");
    let wrong = "0".repeat(64);
    let out = with_dir(
        &dir,
        &[
            "strategy",
            "install",
            "--sha256",
            &wrong,
            guest.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(stderr(&out).contains("not installed"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&sha256_of(&guest)),
        "{}",
        stderr(&out)
    );

    let junk = t.path().join("junk.wasm");
    std::fs::write(&junk, b"not wasm at all").unwrap();
    let out = with_dir(&dir, &["strategy", "install", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not a WebAssembly file"),
        "{}",
        stderr(&out)
    );

    // Nothing was installed by any of these.
    let installed = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(installed, 0);
}

/// The `[host] component …` line of a run's `run.log`.
fn component_line(run: &Path) -> String {
    let log = std::fs::read_to_string(run.join("run.log")).unwrap();
    log.lines()
        .find(|l| l.starts_with("[host] component "))
        .unwrap_or_else(|| panic!("no component line in {log}"))
        .to_string()
}

#[test]
fn the_second_run_takes_machine_code_from_the_compile_cache() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("cache");
    let env = [("ANNEAL_CACHE_DIR", cache.to_str().unwrap())];
    let mut lines = Vec::new();
    for _ in 0..2 {
        let s = Scratch::new();
        let args: Vec<String> = [
            "--repo",
            s.repo().to_str().unwrap(),
            "--out",
            s.runs().to_str().unwrap(),
            "--quiet",
            TASK,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let out = anneal(&args, &env);
        assert!(
            out.status.code() == Some(0) || out.status.code() == Some(4),
            "{}",
            stderr(&out)
        );
        lines.push(component_line(&s.run_dir()));
    }
    assert!(
        lines[0].contains("compiled, stored in the compile cache"),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains("from the compile cache"), "{}", lines[1]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&cache).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    // `anneal cache` shows what the runs left, `anneal cache clear` empties it.
    let cache_cmd = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        anneal(&args, &env)
    };
    let out = cache_cmd(&["cache"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(shown.contains(cache.to_str().unwrap()), "{shown}");
    assert!(shown.contains("status         in use"), "{shown}");
    assert!(!shown.contains("holds          0 files"), "{shown}");
    let out = cache_cmd(&["cache", "clear"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("cleared"), "{}", stdout(&out));
    let out = cache_cmd(&["cache", "show"]);
    assert!(
        stdout(&out).contains("holds          0 files"),
        "{}",
        stdout(&out)
    );
    assert!(cache.is_dir());

    // `off` compiles every time and writes nothing.
    let s = Scratch::new();
    let out = s.anneal_env(&[TASK], &[("ANNEAL_CACHE_DIR", "off")]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(4),
        "{}",
        stderr(&out)
    );
    assert!(component_line(&s.run_dir()).contains("compile cache off"));
    let out = anneal(&["cache".to_string()], &[("ANNEAL_CACHE_DIR", "off")]);
    assert!(
        stdout(&out).contains("compile cache  off"),
        "{}",
        stdout(&out)
    );
}

#[cfg(unix)]
#[test]
fn a_cache_directory_others_can_write_is_not_used_and_the_run_says_why() {
    use std::os::unix::fs::PermissionsExt;
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let cache = t.path().join("shared-cache");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let s = Scratch::new();
    let out = s.anneal_env(&[TASK], &[("ANNEAL_CACHE_DIR", cache.to_str().unwrap())]);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(4),
        "{}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("writable by other users (mode 777)"), "{err}");
    assert!(err.contains("chmod 700"), "{err}");
    assert!(component_line(&s.run_dir()).contains("compile cache off"));
    let log = std::fs::read_to_string(s.run_dir().join("run.log")).unwrap();
    assert!(log.contains("warning: compile cache"), "{log}");
    let out = anneal(
        &["cache".to_string()],
        &[("ANNEAL_CACHE_DIR", cache.to_str().unwrap())],
    );
    assert!(
        stdout(&out).contains("not used: compile cache"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        0,
        "nothing written to it"
    );
}

#[cfg(unix)]
#[test]
fn a_closed_stdout_pipe_ends_the_command_quietly() {
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    if common::nested() {
        return;
    }
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("anneal"))
        .args(["strategy", "list"])
        .env("ANNEAL_CACHE_DIR", common::test_cache_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the reading end before anneal prints (it loads three components first), as
    // `anneal strategy list | head -0` would.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.signal(),
        Some(13),
        "ended by SIGPIPE: {:?}",
        out.status
    );
}

/// A strategy directory another user can write is refused as the compile cache is: a run by
/// name does not use what is there, `strategy list` says why.
#[cfg(unix)]
#[test]
fn a_strategy_directory_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("strategies");
    let guest = test_guest("foundry");
    let out = with_dir(&dir, &["strategy", "install", guest.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let s = Scratch::new();
    let (repo, runs) = (s.repo(), s.runs());
    let args = [
        "--repo",
        repo.to_str().unwrap(),
        "--out",
        runs.to_str().unwrap(),
        "--quiet",
        "--strategy",
        "foundry",
        TASK,
    ];
    let out = with_dir(&dir, &args);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("strategy directory") && err.contains("writable by other users (mode 777)"),
        "{err}"
    );
    assert!(err.contains("chmod 700"), "{err}");
    assert_eq!(s.run_dirs(), 0);
    let list = with_dir(&dir, &["strategy", "list"]);
    assert!(
        stdout(&list).contains("installed strategies: not used"),
        "{}",
        stdout(&list)
    );
    assert!(!stdout(&list).contains("foundry "), "{}", stdout(&list));
}

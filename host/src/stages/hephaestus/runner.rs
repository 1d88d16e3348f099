//! Runs one trusted gate command for real (docs/design.md §6b): `/bin/sh -c <command>` in the scratch
//! copy, stdin from `/dev/null`, stdout and stderr interleaved into one anonymous temporary
//! file (so the evidence keeps the order the tool wrote in, a chatty command cannot fill a
//! pipe and hang, and memory stays bounded), a scrubbed environment (docs/design.md §6: "Secrets are
//! scrubbed"), its own process group, and a timeout after which the whole group is killed.
use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Variables passed through from the host's environment when set there (docs/design.md §6): the basics
/// a build needs and the toolchain locations. Nothing else is passed: no `PYTHONPATH`, no
/// `CARGO_TARGET_DIR` (set only from [`super::Options::cargo_target_dir`]), no proxy variables
/// (their URLs can carry credentials).
pub const ENV_ALLOWLIST: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "GOPATH",
    "GOCACHE",
    "GOMODCACHE",
    "GOROOT",
    "JAVA_HOME",
    "GRADLE_USER_HOME",
    "MAVEN_HOME",
    "M2_HOME",
    "NVM_DIR",
    "PNPM_HOME",
    "DOTNET_ROOT",
];

/// A variable whose name contains one of these (case-insensitive) is never passed, even if a
/// future allowlist named it.
pub const SECRET_MARKERS: &[&str] = &["KEY", "TOKEN", "SECRET", "PASSWORD", "CREDENTIAL", "AUTH"];

/// Set by Hephaestus on every command, whatever the host has: plain, colourless logs.
pub const FIXED_ENV: &[(&str, &str)] = &[
    ("TERM", "dumb"),
    ("NO_COLOR", "1"),
    ("CARGO_TERM_COLOR", "never"),
    // Tells a gate command it runs under Hephaestus, so a project that is itself anneal (or
    // drives anneal in its tests) can avoid planning recursively.
    ("ANNEAL_HEPHAESTUS", "1"),
];

/// `PATH` given to commands when the host environment has none (defined beside the sandbox,
/// which resolves programs with it too).
pub use super::sandbox::DEFAULT_PATH;

/// Evidence is never cut below this many bytes, whatever the options say.
pub const MIN_OUTPUT_BYTES: usize = 1024;

/// Whether a variable name looks like it holds a secret (contains one of [`SECRET_MARKERS`]).
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
}

/// The environment a gate command gets, built from `base` (the host's environment, injectable
/// for tests): the [`ENV_ALLOWLIST`] names present in `base` with their values, minus any
/// [`is_secret_name`], plus [`FIXED_ENV`], plus `PATH` = [`DEFAULT_PATH`] when `base` has
/// none, plus `CARGO_TARGET_DIR` when `cargo_target_dir` is given. Sorted by name.
pub fn scrubbed_env(
    base: &[(OsString, OsString)],
    cargo_target_dir: Option<&Path>,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = base
        .iter()
        .filter(|(k, _)| {
            k.to_str()
                .is_some_and(|k| ENV_ALLOWLIST.contains(&k) && !is_secret_name(k))
        })
        .cloned()
        .collect();
    env.retain(|(k, _)| !FIXED_ENV.iter().any(|(f, _)| OsStr::new(f) == k));
    env.extend(FIXED_ENV.iter().map(|(k, v)| (k.into(), v.into())));
    if !env.iter().any(|(k, _)| k == "PATH") {
        env.push(("PATH".into(), DEFAULT_PATH.into()));
    }
    if let Some(dir) = cargo_target_dir {
        env.push(("CARGO_TARGET_DIR".into(), dir.as_os_str().to_owned()));
    }
    env.sort();
    env.dedup_by(|a, b| a.0 == b.0);
    env
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal (not by Hephaestus).
    Signal(i32),
    /// Still running after the timeout; its process group was killed.
    TimedOut(Duration),
    /// Could not be started or waited for.
    NotStarted(String),
}

impl Exit {
    /// The text after `exit status: ` on the last line of an evidence file.
    pub fn status_text(&self) -> String {
        match self {
            Exit::Code(c) => c.to_string(),
            Exit::Signal(s) => format!("killed by signal {s}"),
            Exit::TimedOut(d) => format!("timed out after {} s (process group killed)", secs(*d)),
            Exit::NotStarted(e) => format!("not started: {e}"),
        }
    }
}

/// Whole seconds when `d` is whole, else one decimal.
pub fn secs(d: Duration) -> String {
    if d.subsec_nanos() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

/// Output kept as evidence.
#[derive(Clone, Debug, Default)]
pub struct Captured {
    /// The output, lossily decoded as UTF-8; when cut, head and tail with a marker line
    /// between them saying how much was omitted.
    pub text: String,
    /// Bytes the command wrote in all.
    pub total_bytes: u64,
    /// Bytes left out of `text` (0 when nothing was cut).
    pub omitted_bytes: u64,
}

/// What running one command gave.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub exit: Exit,
    pub output: Captured,
    /// Wall-clock start, UTC.
    pub started: chrono::DateTime<chrono::Utc>,
    pub duration: Duration,
}

/// Kills the command's whole process group when dropped: on timeout, after a normal exit (so
/// nothing it started in the background survives it), and if the future running it is
/// dropped half-way.
struct GroupGuard(Option<u32>);

impl GroupGuard {
    fn kill(&self) {
        #[cfg(unix)]
        if let Some(pid) = self.0 {
            // Never signal groups 0 or 1 (ours, or every process we may signal).
            if let Some(pid) = i32::try_from(pid)
                .ok()
                .filter(|p| *p > 1)
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
        }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Where a sandboxed command keeps its caches when `XDG_CACHE_HOME` is not set: inside the
/// sandbox's private `/tmp`, because the home is read-only there (Go's build cache, for one,
/// must be writable).
pub const SANDBOX_XDG_CACHE_HOME: &str = "/tmp/.cache";

/// Runs `command` with `/bin/sh -c` in `cwd` with exactly `env`, as described in the module
/// docs, inside `confine`'s sandbox when given (then `XDG_CACHE_HOME` defaults to
/// [`SANDBOX_XDG_CACHE_HOME`]). Never panics; a command that cannot be started gives
/// [`Exit::NotStarted`]. `max_output_bytes` (at least [`MIN_OUTPUT_BYTES`]) bounds the
/// evidence kept: past it, the first and last halves are kept, cut at line boundaries.
/// This is the one place gate and preflight processes are spawned.
pub async fn run(
    command: &str,
    cwd: &Path,
    env: &[(OsString, OsString)],
    timeout: Duration,
    max_output_bytes: usize,
    confine: Option<&super::sandbox::Confinement<'_>>,
) -> Outcome {
    let started = chrono::Utc::now();
    let clock = Instant::now();
    let not_started = |e: String| Outcome {
        exit: Exit::NotStarted(e),
        output: Captured::default(),
        started,
        duration: clock.elapsed(),
    };
    let files = tempfile::tempfile().and_then(|f| Ok((f.try_clone()?, f.try_clone()?, f)));
    let (for_stdout, for_stderr, mut out) = match files {
        Ok(files) => files,
        Err(e) => return not_started(format!("cannot create the output file: {e}")),
    };
    let mut cmd = match confine {
        Some(c) => {
            let mut cmd = tokio::process::Command::new(&c.sandbox.bwrap);
            cmd.args(c.args(cwd)).arg("/bin/sh");
            cmd
        }
        None => tokio::process::Command::new("/bin/sh"),
    };
    cmd.arg("-c")
        .arg(command)
        .current_dir(cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(for_stdout))
        .stderr(Stdio::from(for_stderr))
        .kill_on_drop(true);
    if confine.is_some() && !env.iter().any(|(k, _)| k == "XDG_CACHE_HOME") {
        cmd.env("XDG_CACHE_HOME", SANDBOX_XDG_CACHE_HOME);
    }
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return not_started(e.to_string()),
    };
    // The child holds its own copies of the output descriptors; ours went into `cmd`.
    drop(cmd);
    let guard = GroupGuard(child.id());
    let exit = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(Ok(status)) => exit_of(status),
        Ok(Err(e)) => Exit::NotStarted(format!("waiting for the command failed: {e}")),
        Err(_) => {
            guard.kill();
            let _ = child.wait().await;
            Exit::TimedOut(timeout)
        }
    };
    drop(guard);
    let duration = clock.elapsed();
    let output =
        capture(&mut out, max_output_bytes.max(MIN_OUTPUT_BYTES)).unwrap_or_else(|e| Captured {
            text: format!("[Hephaestus: the output could not be read back: {e}]\n"),
            ..Captured::default()
        });
    Outcome {
        exit,
        output,
        started,
        duration,
    }
}

fn exit_of(status: std::process::ExitStatus) -> Exit {
    if let Some(code) = status.code() {
        return Exit::Code(code);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return Exit::Signal(sig);
        }
    }
    Exit::NotStarted(format!("unknown exit status {status}"))
}

/// Reads the output file back, keeping at most `max` bytes (head and tail halves, cut at line
/// boundaries, with a marker line between them).
fn capture(file: &mut std::fs::File, max: usize) -> std::io::Result<Captured> {
    let total = file.seek(SeekFrom::End(0))?;
    file.seek(SeekFrom::Start(0))?;
    if total <= max as u64 {
        let mut buf = Vec::with_capacity(total as usize);
        file.read_to_end(&mut buf)?;
        return Ok(Captured {
            text: String::from_utf8_lossy(&buf).into_owned(),
            total_bytes: buf.len() as u64,
            omitted_bytes: 0,
        });
    }
    let half = max / 2;
    let mut head = vec![0; half];
    file.read_exact(&mut head)?;
    if let Some(i) = head.iter().rposition(|b| *b == b'\n') {
        head.truncate(i + 1);
    }
    let tail_len = max - half;
    file.seek(SeekFrom::Start(total - tail_len as u64))?;
    let mut tail = vec![0; tail_len];
    file.read_exact(&mut tail)?;
    if let Some(i) = tail.iter().position(|b| *b == b'\n') {
        tail.drain(..=i);
    }
    let omitted = total - head.len() as u64 - tail.len() as u64;
    let mut text = String::from_utf8_lossy(&head).into_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "[Hephaestus: {omitted} bytes of output omitted here; the command wrote {total} bytes, more than the {max}-byte limit, so only the head and the tail are kept]\n"
    ));
    text.push_str(&String::from_utf8_lossy(&tail));
    Ok(Captured {
        text,
        total_bytes: total,
        omitted_bytes: omitted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs.iter().map(|(k, v)| (k.into(), v.into())).collect()
    }

    #[test]
    fn scrubbing_keeps_only_the_allowlist() {
        let base = os(&[
            ("PATH", "/bin"),
            ("HOME", "/root"),
            ("RUSTUP_HOME", "/r"),
            ("ANTHROPIC_API_KEY", "sk-1"),
            ("CARGO_REGISTRY_TOKEN", "t"),
            ("PYTHONPATH", "/p"),
            ("TERM", "xterm-256color"),
            ("CARGO_TARGET_DIR", "/shared"),
        ]);
        let env = scrubbed_env(&base, None);
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "ANNEAL_HEPHAESTUS",
                "CARGO_TERM_COLOR",
                "HOME",
                "NO_COLOR",
                "PATH",
                "RUSTUP_HOME",
                "TERM"
            ]
        );
        assert!(env.contains(&("TERM".into(), "dumb".into())));
        let env = scrubbed_env(&[], Some(Path::new("/cache")));
        assert!(env.contains(&("PATH".into(), DEFAULT_PATH.into())));
        assert!(env.contains(&("CARGO_TARGET_DIR".into(), "/cache".into())));
        assert!(
            is_secret_name("github_auth_header")
                && is_secret_name("DB_PASSWORD")
                && !is_secret_name("PATH")
        );
    }

    #[tokio::test]
    async fn output_is_interleaved_and_cut_head_and_tail() {
        let dir = tempfile::tempdir().unwrap();
        let env = scrubbed_env(&[], None);
        let o = run(
            "echo out; echo err >&2; echo out2",
            dir.path(),
            &env,
            Duration::from_secs(20),
            4096,
            None,
        )
        .await;
        assert_eq!(o.exit, Exit::Code(0));
        assert_eq!(o.output.text, "out\nerr\nout2\n");
        let o = run(
            "seq 1 5000; exit 3",
            dir.path(),
            &env,
            Duration::from_secs(20),
            2048,
            None,
        )
        .await;
        assert_eq!(o.exit, Exit::Code(3));
        assert!(o.output.omitted_bytes > 0);
        assert!(o.output.text.starts_with("1\n2\n"));
        assert!(o.output.text.ends_with("4999\n5000\n"));
        assert!(o.output.text.contains("bytes of output omitted here"));
        assert!(o.output.text.len() < 2400);
    }
}

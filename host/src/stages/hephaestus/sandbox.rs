//! The OS sandbox gate commands run in (docs/security.md, "Gate commands"): bubblewrap
//! (`bwrap`, Debian package `bubblewrap`), when the machine has it and it works there (it
//! needs unprivileged user namespaces, or root).
//!
//! Inside the sandbox:
//! - the whole filesystem is visible read-only; `/tmp` is a private empty tmpfs;
//! - the scratch copy and the cache directories the caller names are the only writable
//!   places ([`Confinement::writable`]);
//! - the user's home directory (`$HOME`, `/root`, `/home`) and `/run/user` are empty and
//!   read-only, so credentials (`~/.ssh`, `~/.aws`, `~/.npmrc`, `~/.cargo/credentials.toml`,
//!   `~/.config`, …) are not visible and nothing can be written there; the toolchains installed
//!   under the home ([`HOME_TOOLCHAINS`], and any `PATH` entry under it) are bound back
//!   read-only so commands still find `cargo`, `python3` or `node`;
//! - there is no network (a new network namespace with only a loopback of its own) unless the
//!   caller allows it — dependency installation only, and never with `--offline`;
//! - every other namespace (PID, IPC, UTS, cgroup, user where possible) is new, capabilities
//!   are dropped, and the sandbox dies with its parent.
//!
//! `--gate-sandbox auto|on|off` ([`Mode`]): `auto` uses the sandbox where it works and says
//! why not otherwise; `on` refuses to run gates without it; `off` runs them with the user's
//! rights (still in a scratch copy, with a scrubbed environment).
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `PATH` given to commands when the host environment has none.
pub const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// Directories under the home that hold toolchains, bound back read-only when present.
/// `.cargo` is split so `~/.cargo/credentials.toml` and `~/.cargo/config.toml` stay hidden.
pub const HOME_TOOLCHAINS: &[&str] = &[
    ".rustup",
    ".cargo/bin",
    ".cargo/registry",
    ".cargo/git",
    ".pyenv",
    ".nvm",
    ".volta",
    ".bun/bin",
    ".deno/bin",
    ".sdkman/candidates",
    ".local/share/pnpm",
    "go/pkg/mod",
    ".m2/repository",
    ".gradle/caches",
    ".gradle/wrapper",
];

/// `--gate-sandbox`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// The sandbox where it works here; otherwise unsandboxed, with the reason in the summary.
    #[default]
    Auto,
    /// The sandbox, or the run does not start.
    On,
    /// No OS sandbox (scratch copy and scrubbed environment only).
    Off,
}

/// A working bubblewrap and what it hides.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    /// The `bwrap` program.
    pub bwrap: PathBuf,
    /// Directories made empty and read-only (the homes).
    pub hidden: Vec<PathBuf>,
    /// Directories bound back read-only inside the hidden ones (toolchains).
    pub toolchains: Vec<PathBuf>,
}

/// What [`resolve`] decided: the sandbox, if any, and the line the summary and the evidence
/// carry (`gate sandbox: bubblewrap (…)` or `gate sandbox: off (…why…)`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub sandbox: Option<Sandbox>,
    pub line: String,
}

/// Whether a confined command may use the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// A private network namespace (loopback only): gate commands.
    None,
    /// The host's network: dependency installation when the run is not `--offline`.
    Host,
}

/// One command's confinement: the sandbox, the directories it may write, its network.
#[derive(Clone, Debug)]
pub struct Confinement<'a> {
    pub sandbox: &'a Sandbox,
    /// Writable directories (the scratch copy's temporary directory, caches); each must exist.
    pub writable: Vec<PathBuf>,
    pub network: Network,
}

/// Decides the sandbox for `mode` on this machine; `env` is the environment gate commands
/// start from (its `PATH` finds `bwrap` and the toolchains, its `HOME` is hidden).
///
/// # Errors
/// `mode` is [`Mode::On`] and bubblewrap is missing or does not work here: the message says
/// why and what to do.
pub fn resolve(mode: Mode, env: &[(OsString, OsString)]) -> Result<Decision, String> {
    if mode == Mode::Off {
        return Ok(Decision {
            sandbox: None,
            line: "gate sandbox: off (--gate-sandbox off): gate commands run with your rights, network and home directory".into(),
        });
    }
    match available(env) {
        Ok(sandbox) => Ok(Decision {
            sandbox: Some(sandbox),
            line: "gate sandbox: bubblewrap (scratch copy and caches writable, everything else read-only, home hidden, no network)".into(),
        }),
        Err(why) if mode == Mode::On => Err(format!(
            "--gate-sandbox on: the gate sandbox is not available: {why}. Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) where user namespaces are allowed, or run with --gate-sandbox off to run gate commands unsandboxed"
        )),
        Err(why) => Ok(Decision {
            sandbox: None,
            line: format!("gate sandbox: off (auto: {why}; install bubblewrap to sandbox gate commands)"),
        }),
    }
}

fn var<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsString> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// A working bubblewrap, or why not: not on `PATH`, or it fails to create its namespaces
/// (checked by running `true` inside the confinement gate commands get).
fn available(env: &[(OsString, OsString)]) -> Result<Sandbox, String> {
    let path = var(env, "PATH")
        .cloned()
        .unwrap_or_else(|| DEFAULT_PATH.into());
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let bwrap = which::which_in("bwrap", Some(&path), &cwd)
        .map_err(|_| "bubblewrap (bwrap) is not on PATH".to_string())?;
    let home = var(env, "HOME").map(PathBuf::from);
    let sandbox = layout(bwrap, home.as_deref(), &path);
    let probe_dir =
        tempfile::tempdir().map_err(|e| format!("cannot create a temporary directory: {e}"))?;
    let c = Confinement {
        sandbox: &sandbox,
        writable: vec![probe_dir.path().to_path_buf()],
        network: Network::None,
    };
    let out = std::process::Command::new(&sandbox.bwrap)
        .args(c.args(probe_dir.path()))
        .args(["/bin/sh", "-c", "true"])
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{} cannot be started: {e}", sandbox.bwrap.display()))?;
    if out.status.success() {
        return Ok(sandbox);
    }
    let err: String = String::from_utf8_lossy(&out.stderr)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect();
    Err(format!(
        "bubblewrap does not work here ({}): {err}",
        out.status
    ))
}

/// The whole toolchain a `PATH` entry under a hidden home belongs to (`/root/.pyenv` for
/// `/root/.pyenv/shims`: a shim runs the manager beside it), when it is one of
/// [`HOME_TOOLCHAINS`] of that home (`/root` or `/home/NAME`); `None` otherwise.
fn toolchain_root(dir: &Path) -> Option<PathBuf> {
    let mut parts = dir.components();
    let home: PathBuf = match (parts.next(), parts.next(), parts.next()) {
        (Some(root), Some(first), _) if first.as_os_str() == "root" => {
            [root, first].iter().collect()
        }
        (Some(root), Some(first), Some(user)) if first.as_os_str() == "home" => {
            [root, first, user].iter().collect()
        }
        _ => return None,
    };
    HOME_TOOLCHAINS
        .iter()
        .map(|t| home.join(t))
        .find(|t| dir.starts_with(t) && t.is_dir())
}

/// The homes to hide and the toolchains under them to bind back, for home `home` and `PATH`
/// `path`.
fn layout(bwrap: PathBuf, home: Option<&Path>, path: &OsString) -> Sandbox {
    let mut hidden: Vec<PathBuf> = ["/root", "/home", "/run/user"]
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .collect();
    if let Some(h) = home.filter(|h| h.is_dir() && h.is_absolute() && *h != Path::new("/")) {
        if !hidden.iter().any(|x| h.starts_with(x)) {
            hidden.push(h.to_path_buf());
        }
    }
    let mut toolchains: Vec<PathBuf> = Vec::new();
    if let Some(h) = home {
        toolchains.extend(
            HOME_TOOLCHAINS
                .iter()
                .map(|t| h.join(t))
                .filter(|p| p.is_dir()),
        );
    }
    for dir in std::env::split_paths(path) {
        let under_hidden = hidden.iter().any(|h| dir.starts_with(h));
        let covered = toolchains.iter().any(|t| dir.starts_with(t));
        let is_home = home.is_some_and(|h| dir == h);
        if under_hidden && !covered && !is_home && dir.is_dir() {
            toolchains.push(toolchain_root(&dir).unwrap_or(dir));
        }
    }
    Sandbox {
        bwrap,
        hidden,
        toolchains,
    }
}

impl Confinement<'_> {
    /// The `bwrap` arguments, up to the command, for a command run in `cwd` (module docs).
    pub fn args(&self, cwd: &Path) -> Vec<OsString> {
        let mut a: Vec<OsString> = Vec::new();
        let mut push =
            |parts: &[&std::ffi::OsStr]| a.extend(parts.iter().map(|p| p.to_os_string()));
        push(&["--ro-bind".as_ref(), "/".as_ref(), "/".as_ref()]);
        push(&[
            "--dev".as_ref(),
            "/dev".as_ref(),
            "--proc".as_ref(),
            "/proc".as_ref(),
        ]);
        push(&["--tmpfs".as_ref(), "/tmp".as_ref()]);
        for h in &self.sandbox.hidden {
            push(&["--tmpfs".as_ref(), h.as_os_str()]);
        }
        for t in &self.sandbox.toolchains {
            push(&["--ro-bind".as_ref(), t.as_os_str(), t.as_os_str()]);
        }
        for h in &self.sandbox.hidden {
            push(&["--remount-ro".as_ref(), h.as_os_str()]);
        }
        for w in &self.writable {
            // Bound at its real path: bubblewrap cannot create a mount point under a symbolic
            // link of the read-only root (a cache under a symlinked `target/`), and the
            // symlinked path the caller uses resolves to it inside the sandbox as outside.
            let w = std::fs::canonicalize(w).unwrap_or_else(|_| w.clone());
            push(&["--bind".as_ref(), w.as_os_str(), w.as_os_str()]);
        }
        push(&["--unshare-all".as_ref()]);
        if self.network == Network::Host {
            push(&["--share-net".as_ref()]);
        }
        push(&[
            "--die-with-parent".as_ref(),
            "--chdir".as_ref(),
            cwd.as_os_str(),
        ]);
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_says_so_and_layout_hides_home_but_keeps_toolchains() {
        let d = resolve(Mode::Off, &[]).unwrap();
        assert!(
            d.sandbox.is_none() && d.line.starts_with("gate sandbox: off (--gate-sandbox off)")
        );
        let home = tempfile::tempdir().unwrap();
        for d in [".cargo/bin", ".ssh", "tools/bin"] {
            std::fs::create_dir_all(home.path().join(d)).unwrap();
        }
        let path: OsString = std::env::join_paths([
            home.path().join(".cargo/bin"),
            home.path().join("tools/bin"),
            PathBuf::from("/usr/bin"),
        ])
        .unwrap();
        let s = layout("/usr/bin/bwrap".into(), Some(home.path()), &path);
        assert!(s.hidden.contains(&home.path().to_path_buf()));
        assert_eq!(
            s.toolchains,
            [
                home.path().join(".cargo/bin"),
                home.path().join("tools/bin")
            ]
        );
        let c = Confinement {
            sandbox: &s,
            writable: vec!["/tmp/x".into()],
            network: Network::None,
        };
        let args: Vec<String> = c
            .args(Path::new("/tmp/x/repo"))
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.starts_with("--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp"));
        assert!(joined
            .contains("--bind /tmp/x /tmp/x --unshare-all --die-with-parent --chdir /tmp/x/repo"));
        assert!(!joined.contains("--share-net") && !joined.contains(".ssh"));
    }

    #[test]
    fn on_fails_clearly_without_bwrap() {
        let env = vec![("PATH".into(), "/nonexistent-anneal-bin".into())];
        let e = resolve(Mode::On, &env).unwrap_err();
        assert!(
            e.contains("bubblewrap (bwrap) is not on PATH") && e.contains("--gate-sandbox off"),
            "{e}"
        );
        let d = resolve(Mode::Auto, &env).unwrap();
        assert!(d.sandbox.is_none());
        assert!(
            d.line
                .starts_with("gate sandbox: off (auto: bubblewrap (bwrap) is not on PATH"),
            "{}",
            d.line
        );
    }

    /// The sandbox's promise, end to end: a gate command that writes to `$HOME`, reads a
    /// credential there and connects to a server on the host's loopback is refused all three,
    /// while the same command without the sandbox does all three. Needs bubblewrap
    /// (scripts/install-test-tools.sh installs it).
    #[tokio::test]
    async fn home_and_network_are_refused_inside_allowed_outside() {
        use super::super::runner::{run, scrubbed_env, Exit};
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".ssh")).unwrap();
        std::fs::write(home.path().join(".ssh/id_ed25519"), "SECRET-KEY").unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let base = vec![
            ("PATH".into(), std::env::var_os("PATH").unwrap_or_default()),
            ("HOME".into(), home.path().as_os_str().to_owned()),
        ];
        let env = scrubbed_env(&base, None);
        let decision = resolve(Mode::On, &env).unwrap_or_else(|e| {
            panic!("this test needs a working bubblewrap (bash scripts/install-test-tools.sh): {e}")
        });
        let scratch = tempfile::tempdir().unwrap();
        let repo = scratch.path().join("repo");
        std::fs::create_dir(&repo).unwrap();
        let cmd = format!(
            "echo pwned > \"$HOME/pwned\" 2>/dev/null; echo home=$?; \
             cat \"$HOME/.ssh/id_ed25519\" 2>/dev/null; echo; \
             bash -c 'exec 3<>/dev/tcp/127.0.0.1/{port}' 2>/dev/null; echo net=$?; \
             echo ok > in-scratch; echo scratch=$?"
        );
        let confine = Confinement {
            sandbox: decision.sandbox.as_ref().unwrap(),
            writable: vec![scratch.path().to_path_buf()],
            network: Network::None,
        };
        let timeout = std::time::Duration::from_secs(60);
        let inside = run(&cmd, &repo, &env, timeout, 8192, Some(&confine)).await;
        let text = &inside.output.text;
        assert_eq!(inside.exit, Exit::Code(0), "{text}");
        assert!(
            !text.contains("home=0") && !text.contains("SECRET-KEY"),
            "{text}"
        );
        assert!(
            !text.contains("net=0") && text.contains("scratch=0"),
            "{text}"
        );
        assert!(!home.path().join("pwned").exists());
        assert!(repo.join("in-scratch").exists());
        let outside = run(&cmd, &repo, &env, timeout, 8192, None).await;
        let text = &outside.output.text;
        assert!(
            text.contains("home=0") && text.contains("SECRET-KEY") && text.contains("net=0"),
            "{text}"
        );
        drop(listener);
    }

    /// A cache reached through a symbolic link (a symlinked `target/`, a cache directory under
    /// a linked home) is writable under the sandbox through the same path.
    #[tokio::test]
    async fn a_writable_directory_behind_a_symlink_is_bound_at_its_real_path() {
        use super::super::runner::{run, scrubbed_env, Exit};
        let env = scrubbed_env(
            &[("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
            None,
        );
        let Ok(decision) = resolve(Mode::On, &env) else {
            panic!("this test needs a working bubblewrap (bash scripts/install-test-tools.sh)");
        };
        // Outside /tmp, which the sandbox replaces with an empty tmpfs.
        let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
        std::fs::create_dir_all(&target).unwrap();
        let base = tempfile::tempdir_in(&target).unwrap();
        std::fs::create_dir_all(base.path().join("real/cache")).unwrap();
        std::os::unix::fs::symlink(base.path().join("real"), base.path().join("link")).unwrap();
        let cache = base.path().join("link/cache");
        let confine = Confinement {
            sandbox: decision.sandbox.as_ref().unwrap(),
            writable: vec![cache.clone()],
            network: Network::None,
        };
        let cmd = format!("echo ok > '{}/f' && echo wrote", cache.display());
        let timeout = std::time::Duration::from_secs(60);
        let out = run(&cmd, base.path(), &env, timeout, 8192, Some(&confine)).await;
        assert_eq!(out.exit, Exit::Code(0), "{}", out.output.text);
        assert!(base.path().join("real/cache/f").is_file());
    }
}

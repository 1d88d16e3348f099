//! Runs the [`super::preflight`] steps in the scratch copy and records them in
//! `evidence/preflight.log` (each step in the evidence format of [`super::evidence`], one
//! after the other), then gives the environment the gate commands run with.
use super::{
    evidence, preflight, runner, sandbox, scratch, Item, Kind, Options, PREFLIGHT_LOG,
    PREFLIGHT_LOG_AGAIN,
};
use crate::model::Severity;
use crate::rundir::RunDir;
use std::ffi::OsString;
use std::path::PathBuf;

/// The name of the preflight's check in Hephaestus's evidence.
pub(super) const CHECK_NAME: &str = "preflight: prepare the scratch copy";

/// What the preflight left for the gates.
pub(super) struct Prepared {
    /// The environment gate commands get: scrubbed, the cache variables, the virtual
    /// environment first on `PATH`.
    pub env: Vec<(OsString, OsString)>,
    /// The per-repository cache directory (writable under the sandbox), when configured.
    pub cache: Option<PathBuf>,
    /// Why the environment blocks validation.
    pub blocked: Option<String>,
    /// The preflight's check (none when there was nothing to prepare).
    pub item: Option<Item>,
    /// `evidence/preflight.log` when written.
    pub log: Option<String>,
}

/// Prepares `scratch`, the copy of `repo_root` (module docs). Never fails: a problem is a blocked [`Prepared`].
pub(super) async fn prepare(
    repo_root: &std::path::Path,
    scratch: &scratch::Scratch,
    run: &RunDir,
    opts: &Options,
    base_env: &[(OsString, OsString)],
    location: &str,
) -> Prepared {
    let mut env = runner::scrubbed_env(base_env, None);
    env.extend(scm_version_env(repo_root));
    env.sort();
    let cache = opts
        .cache_dir
        .as_ref()
        .map(|c| preflight::repo_cache(c, repo_root));
    let cache = cache.filter(|c| std::fs::create_dir_all(c).is_ok());
    if let Some(c) = &cache {
        env.extend(preflight::cache_env(c));
        env.sort();
    }
    let mut done = Prepared {
        env,
        cache,
        blocked: None,
        item: None,
        log: None,
    };
    if opts.preflight == preflight::Mode::Skip {
        done.item = Some(Item::not_run(
            Kind::Run,
            CHECK_NAME,
            "skipped (--preflight skip): no virtual environment and no dependency installation; the gate commands use the tools on PATH".into(),
        ));
        return done;
    }
    let path = done
        .env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone());
    let here = scratch.root().to_path_buf();
    let have = |p: &str| which::which_in(p, path.clone(), &here).is_ok();
    let steps = match preflight::steps(scratch.root(), opts.offline, &have) {
        Ok(s) => s,
        Err(why) => return blocked(done, why, location),
    };
    if steps.is_empty() {
        return done;
    }
    let log_path = log_name(run);
    let mut log = String::new();
    let mut failed = None;
    for (i, step) in steps.iter().enumerate() {
        let program = step.program.as_str();
        let needs_wrapper = step.command.starts_with("./");
        if !needs_wrapper && !have(program) {
            failed = Some(format!(
                "`{program}` is not installed (needed for the {}: `{}`)",
                step.what, step.command
            ));
            break;
        }
        let outcome = run_step(step, scratch, opts, &done).await;
        log.push_str(&evidence::render_log(
            &evidence::LogHeader {
                gate_index: i + 1,
                command: &step.command,
                trusted: &format!("preflight: {}", step.what),
                repository: scratch
                    .root()
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("repository"),
                env_names: done
                    .env
                    .iter()
                    .map(|(k, _)| k.to_string_lossy().into_owned())
                    .collect(),
                timeout: opts.preflight_timeout,
            },
            &outcome,
        ));
        log.push('\n');
        preflight::with_venv(&mut done.env, scratch.root());
        if outcome.exit != runner::Exit::Code(0) {
            let said = evidence::telling_line(&outcome.output.text)
                .map(|l| format!(": {l}"))
                .unwrap_or_default();
            failed = Some(format!(
                "the {} could not be installed: `{}` ended with exit status {}{said} (see {log_path})",
                step.what,
                step.command,
                outcome.exit.status_text()
            ));
            break;
        }
    }
    if !log.is_empty() && run.write(log_path, log.as_bytes()).is_ok() {
        done.log = Some(log_path.into());
    }
    match failed {
        Some(why) => blocked(done, why, location),
        None => {
            let what: Vec<&str> = steps.iter().map(|s| s.what.as_str()).collect();
            let mut item = Item::passed(
                Kind::Run,
                CHECK_NAME,
                format!("prepared: {}", what.join(", ")),
            );
            item.check.evidence = done.log.clone();
            done.item = Some(item);
            done
        }
    }
}

/// Where this preparation's log goes: [`PREFLIGHT_LOG`], or [`PREFLIGHT_LOG_AGAIN`] when the
/// run already has one. The baseline's preflight (alongside planning) writes first; a second
/// preparation in the same run (stage 6 running commands the baseline did not) keeps both
/// records.
fn log_name(run: &RunDir) -> &'static str {
    if run.read_to_string(PREFLIGHT_LOG).is_ok() {
        PREFLIGHT_LOG_AGAIN
    } else {
        PREFLIGHT_LOG
    }
}

async fn run_step(
    step: &preflight::Step,
    scratch: &scratch::Scratch,
    opts: &Options,
    done: &Prepared,
) -> runner::Outcome {
    let mut writable: Vec<PathBuf> = scratch
        .root()
        .parent()
        .map(|p| p.to_path_buf())
        .into_iter()
        .collect();
    writable.extend(done.cache.clone());
    if step.cargo_registry {
        let home = done
            .env
            .iter()
            .find(|(k, _)| k == "HOME")
            .map(|(_, v)| PathBuf::from(v));
        let cargo_home = done
            .env
            .iter()
            .find(|(k, _)| k == "CARGO_HOME")
            .map(|(_, v)| PathBuf::from(v))
            .or_else(|| home.map(|h| h.join(".cargo")));
        if let Some(c) = cargo_home {
            for d in ["registry", "git"] {
                if std::fs::create_dir_all(c.join(d)).is_ok() {
                    writable.push(c.join(d));
                }
            }
        }
    }
    let network = if opts.offline {
        sandbox::Network::None
    } else {
        sandbox::Network::Host
    };
    let confine = opts.sandbox.sandbox.as_ref().map(|s| sandbox::Confinement {
        sandbox: s,
        writable,
        network,
    });
    runner::run(
        &step.command,
        scratch.root(),
        &done.env,
        opts.preflight_timeout,
        opts.max_output_bytes,
        confine.as_ref(),
    )
    .await
}

fn blocked(mut done: Prepared, why: String, location: &str) -> Prepared {
    done.item = Some(blocked_item(&why, location, done.log.clone()));
    done.blocked = Some(why);
    done
}

/// The failed preparation check of a scratch copy the environment blocked (`why`), pointing
/// at `location` and at its log `evidence`.
pub(super) fn blocked_item(why: &str, location: &str, evidence: Option<String>) -> Item {
    let mut item = Item::failed(
        Kind::Run,
        CHECK_NAME,
        format!("blocked by environment: {why}"),
        Severity::High,
        location,
        format!("Fix the environment, not the plan: {why}. Install what is missing on this machine and run again."),
    );
    item.check.evidence = evidence;
    item
}

/// The variables [`scm_version_env`] sets for every preflight step and gate command.
pub const SCM_VERSION_ENV: &[&str] = &[
    "SETUPTOOLS_SCM_PRETEND_VERSION",
    "VCS_VERSIONING_PRETEND_VERSION",
];

/// The scratch copy has no `.git/`, so a Python project whose version comes from its tags
/// (setuptools-scm, hatch-vcs, vcs-versioning: most of PyPI's newer projects) cannot build its
/// metadata there. These variables give those tools the version the repository's own tags say
/// (`git describe --tags --abbrev=0`, a leading `v` dropped), `0.0.0` when it has none or git is
/// missing: the documented way to build such a project outside its checkout.
fn scm_version_env(repo_root: &std::path::Path) -> Vec<(OsString, OsString)> {
    let described = std::process::Command::new("git")
        .arg("-C")
        .arg(repo_root)
        .args(["describe", "--tags", "--abbrev=0"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok());
    let version = described
        .as_deref()
        .map(|t| t.trim().trim_start_matches('v'))
        .filter(|t| {
            !t.is_empty()
                && t.len() <= 64
                && t.starts_with(|c: char| c.is_ascii_digit())
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".+-_".contains(c))
        })
        .unwrap_or("0.0.0")
        .to_string();
    SCM_VERSION_ENV
        .iter()
        .map(|k| (OsString::from(k), OsString::from(&version)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{log_name, scm_version_env, PREFLIGHT_LOG, PREFLIGHT_LOG_AGAIN};
    use crate::rundir::RunDir;

    #[test]
    fn a_second_preflight_in_a_run_does_not_overwrite_the_first_log() {
        let t = tempfile::tempdir().unwrap();
        let run = RunDir::create(t.path(), "anneal-test").unwrap();
        assert_eq!(log_name(&run), PREFLIGHT_LOG);
        run.write(PREFLIGHT_LOG, b"baseline's preflight").unwrap();
        assert_eq!(log_name(&run), PREFLIGHT_LOG_AGAIN);
        assert_ne!(PREFLIGHT_LOG, PREFLIGHT_LOG_AGAIN);
    }

    fn version(dir: &std::path::Path) -> String {
        let env = scm_version_env(dir);
        assert_eq!(env.len(), 2);
        env[0].1.to_string_lossy().into_owned()
    }

    #[test]
    fn the_version_comes_from_the_repositorys_tags() {
        let t = tempfile::tempdir().unwrap();
        assert_eq!(version(t.path()), "0.0.0", "no git repository");
        let git = |args: &[&str]| {
            let ok = std::process::Command::new("git")
                .arg("-C")
                .arg(t.path())
                .args(["-c", "user.email=a@b", "-c", "user.name=a"])
                .args(args)
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false);
            assert!(ok, "git {args:?}");
        };
        if which::which("git").is_err() {
            return;
        }
        git(&["init", "-q"]);
        std::fs::write(t.path().join("f"), "x").unwrap();
        git(&["add", "f"]);
        git(&["commit", "-qm", "x"]);
        assert_eq!(version(t.path()), "0.0.0", "no tag");
        git(&["tag", "v25.4.0"]);
        assert_eq!(version(t.path()), "25.4.0");
        // A tag that is no version is not passed on.
        std::fs::write(t.path().join("f"), "y").unwrap();
        git(&["commit", "-qam", "y"]);
        git(&["tag", "latest-docs"]);
        assert_eq!(version(t.path()), "0.0.0");
    }
}

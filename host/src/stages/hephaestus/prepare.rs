//! Runs the [`super::preflight`] steps in the scratch copy and records them in
//! `evidence/preflight.log` (each step in the evidence format of [`super::evidence`], one
//! after the other), then gives the environment the gate commands run with.
use super::{evidence, preflight, runner, sandbox, scratch, Item, Kind, Options, PREFLIGHT_LOG};
use crate::model::Severity;
use crate::rundir::RunDir;
use std::ffi::OsString;
use std::path::PathBuf;

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
            failed = Some(format!(
                "the {} could not be installed: `{}` ended with exit status {} (see {PREFLIGHT_LOG})",
                step.what,
                step.command,
                outcome.exit.status_text()
            ));
            break;
        }
    }
    if !log.is_empty() && run.write(PREFLIGHT_LOG, log.as_bytes()).is_ok() {
        done.log = Some(PREFLIGHT_LOG.into());
    }
    match failed {
        Some(why) => blocked(done, why, location),
        None => {
            let what: Vec<&str> = steps.iter().map(|s| s.what.as_str()).collect();
            let mut item = Item::passed(
                Kind::Run,
                "preflight: prepare the scratch copy",
                format!("prepared: {}", what.join(", ")),
            );
            item.check.evidence = done.log.clone();
            done.item = Some(item);
            done
        }
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
    let mut item = Item::failed(
        Kind::Run,
        "preflight: prepare the scratch copy",
        format!("blocked by environment: {why}"),
        Severity::High,
        location,
        format!("Fix the environment, not the plan: {why}. Install what is missing on this machine and run again."),
    );
    item.check.evidence = done.log.clone();
    done.item = Some(item);
    done.blocked = Some(why);
    done
}

//! The summary of earlier runs a strategy reads through the WIT `history` interface
//! (`wit/since_v0.2.0/history.wit`, docs/design.md §11): the runs of the same repository
//! under the runs root, newest first, read from their `rollup.yaml` (docs/design.md §8).
//!
//! A run directory's content is data, not trusted: an earlier strategy chose its own name,
//! options and notes, and anyone who can write the runs root can forge a rollup
//! (docs/security.md, "Run history"). So everything is bounded by [`HistoryLimits`] whatever
//! the runs root holds; only runs whose rollup names this repository are kept (a rollup that
//! names none, an older one, is left out); a `rollup.yaml` that is a symbolic link is not
//! followed; every text is cleaned of control characters and cut; and absolute paths in texts
//! are rewritten: one inside the repository becomes relative to it, any other becomes
//! [`OUTSIDE`], so a strategy learns no path outside the repository.
use super::{clean, Record};
use crate::model::past::{PastRun, RunHistory};
use crate::model::Verdict;
use crate::runtime::limits::HistoryLimits;
use std::path::Path;
use std::sync::LazyLock;

/// What an absolute path outside the repository is replaced with.
pub const OUTSIDE: &str = "[path outside the repository]";

/// Counted per run and per option against [`HistoryLimits::total_bytes`], for the numbers
/// and the record around the texts.
const RECORD_BYTES: usize = 64;

/// Earlier runs of `repository` (a canonical path, as rollups record it) under `runs_root`,
/// except the run `current`; newest first, bounded by `limits`. A root that does not exist
/// or cannot be listed, and a run directory that cannot be read, give no runs (never an
/// error: the history is an aid to the strategy, not a condition of the run).
pub fn earlier_runs(
    runs_root: &Path,
    repository: &Path,
    current: &str,
    limits: &HistoryLimits,
) -> RunHistory {
    let repo = repository.to_string_lossy();
    let mut dirs: Vec<_> = match std::fs::read_dir(runs_root) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()) && e.file_name() != current)
            .map(|e| e.path())
            .collect(),
        Err(_) => return RunHistory::default(),
    };
    dirs.sort_unstable_by(|a, b| b.cmp(a));
    dirs.truncate(limits.scanned);
    let mut h = RunHistory::default();
    let mut bytes = 0usize;
    for dir in dirs {
        // A symbolic link could make a rollup of anything the host can read.
        let plain = std::fs::symlink_metadata(dir.join("rollup.yaml"))
            .is_ok_and(|m| m.file_type().is_file() && m.len() <= limits.rollup_bytes);
        let Some(r) = plain.then(|| Record::read(&dir).ok()).flatten() else {
            continue;
        };
        if r.repository.as_deref() != Some(&*repo) {
            continue;
        }
        let Some(p) = past_run(&r, &repo, limits) else {
            continue;
        };
        let size = size_of(&p);
        if h.runs.len() < limits.runs && bytes + size <= limits.total_bytes {
            bytes += size;
            h.runs.push(p);
        } else {
            h.omitted = h.omitted.saturating_add(1);
        }
    }
    h
}

/// What one run counts against [`HistoryLimits::total_bytes`].
fn size_of(p: &PastRun) -> usize {
    RECORD_BYTES
        + p.run_id.len()
        + p.task.len()
        + p.strategy.len()
        + p.depth_scores.len() * 8
        + p.options
            .iter()
            .map(|(k, v)| RECORD_BYTES + k.len() + v.len())
            .sum::<usize>()
}

/// One run, cleaned, cut and its paths rewritten; `None` when its verdict is not one of the
/// four.
fn past_run(r: &Record, repo: &str, limits: &HistoryLimits) -> Option<PastRun> {
    let verdict: Verdict = serde_yaml::from_str(&r.overall_verdict).ok()?;
    let text = |s: &str, max: usize| clean(&confine(s, repo), max);
    Some(PastRun {
        run_id: text(&r.run_id, limits.name_bytes),
        task: text(&r.task, limits.task_bytes),
        strategy: text(&r.strategy, limits.name_bytes),
        options: r
            .options
            .iter()
            .take(limits.options)
            .map(|(k, v)| (text(k, limits.name_bytes), text(v, limits.name_bytes)))
            .collect(),
        outcome: r.outcome,
        overall_verdict: verdict,
        momus_score: r.momus_score.map(|s| s.min(100)),
        depth_scores: r
            .depth_scores
            .iter()
            .take(limits.depth_scores)
            .map(|s| {
                if s.is_finite() {
                    s.clamp(0.0, 100.0)
                } else {
                    0.0
                }
            })
            .collect(),
        iterations: r.iterations,
        phases: u32::try_from(r.phases.len()).unwrap_or(u32::MAX),
        agent_spawns: r.agent_spawns,
        tokens: r.tokens,
        wall_clock_ms: r.wall_clock_ms,
    })
}

/// An absolute path in prose: `/…`, `~/…` or `C:\…`, `C:/…`, starting a word (after a space,
/// a quote, a bracket, `=`, `:` or `,`, or at the start) and running to the next space or
/// quote. `file://` URLs are caught by their path part.
static ABSOLUTE: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(r#"(^|[\s"'`(\[{<=:,])((?:/|~/|~\\|[A-Za-z]:[\\/])[^\s"'`)\]}>,]*)"#)
        .expect("a valid pattern")
});

/// `text` with every absolute path rewritten: inside `repo` (a canonical path) relative to it
/// (`.` for the repository itself), anywhere else [`OUTSIDE`].
pub fn confine(text: &str, repo: &str) -> String {
    let repo = repo.trim_end_matches('/');
    ABSOLUTE
        .replace_all(text, |c: &regex::Captures| {
            let path = &c[2];
            let inside = if repo.is_empty() {
                None
            } else if path == repo {
                Some(".")
            } else {
                path.strip_prefix(repo)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .filter(|rest| !rest.split('/').any(|seg| seg == ".."))
            };
            format!("{}{}", &c[1], inside.unwrap_or(OUTSIDE))
        })
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_the_repository_become_relative_and_others_are_hidden() {
        let repo = "/home/u/src/app";
        assert_eq!(
            confine("Fix /home/u/src/app/src/main.rs and /etc/passwd", repo),
            format!("Fix src/main.rs and {OUTSIDE}")
        );
        assert_eq!(confine("in /home/u/src/app", repo), "in .");
        // A sibling whose name starts like the repository's is outside it.
        assert_eq!(
            confine("see /home/u/src/app2/x", repo),
            format!("see {OUTSIDE}")
        );
        assert_eq!(
            confine("/home/u/src/app/../secret", repo),
            OUTSIDE.to_string()
        );
        assert_eq!(
            confine("dir=~/.ssh, url file:///etc/shadow, win C:\\Users\\u", repo),
            format!("dir={OUTSIDE}, url file:{OUTSIDE}, win {OUTSIDE}")
        );
        assert_eq!(
            confine("\"/opt/x\" (/tmp/y)", repo),
            format!("\"{OUTSIDE}\" ({OUTSIDE})")
        );
        // Not paths: a ratio, a relative path, a URL's host.
        assert_eq!(
            confine("a 3/4 split in src/lib.rs", repo),
            "a 3/4 split in src/lib.rs"
        );
    }

    fn rollup(dir: &Path, id: &str, repo: &str, task: &str, strategy: &str) {
        std::fs::create_dir_all(dir.join(id)).unwrap();
        let r = serde_json::json!({ "rollup": {
            "run_id": id, "architecture": strategy, "task": task, "repository": repo,
            "emission_decision": "EMIT", "overall_verdict": "SAFE", "iteration_count": 1,
            "strategy": { "name": strategy, "version": "1.0.0", "options": { "k": "/etc/v" } },
        } });
        std::fs::write(
            dir.join(id).join("rollup.yaml"),
            serde_yaml::to_string(&r).unwrap(),
        )
        .unwrap();
    }

    #[test]
    fn only_this_repositorys_runs_are_kept_bounded_and_cleaned() {
        let d = tempfile::tempdir().unwrap();
        let repo = "/work/repo";
        rollup(d.path(), "anneal-20260101-000001-a", repo, "Task a", "cast");
        rollup(
            d.path(),
            "anneal-20260101-000002-b",
            "/work/other",
            "Other secret",
            "cast",
        );
        rollup(
            d.path(),
            "anneal-20260101-000003-c",
            repo,
            "Task c \u{1b}[31m /root/k",
            "alloy",
        );
        rollup(
            d.path(),
            "anneal-20260101-000004-now",
            repo,
            "current",
            "cast",
        );
        let limits = crate::runtime::limits::HISTORY_LIMITS;
        let h = earlier_runs(
            d.path(),
            Path::new(repo),
            "anneal-20260101-000004-now",
            &limits,
        );
        let tasks: Vec<&str> = h.runs.iter().map(|r| r.task.as_str()).collect();
        assert_eq!(tasks.len(), 2, "{h:?}");
        assert!(
            tasks[0].starts_with("Task c") && !tasks[0].contains('\u{1b}'),
            "{tasks:?}"
        );
        assert!(tasks[0].ends_with(OUTSIDE), "{tasks:?}");
        assert_eq!(tasks[1], "Task a");
        assert_eq!(h.runs[0].options, [("k".to_string(), OUTSIDE.to_string())]);
        assert_eq!(h.omitted, 0);

        let one = HistoryLimits { runs: 1, ..limits };
        let h = earlier_runs(d.path(), Path::new(repo), "", &one);
        assert_eq!((h.runs.len(), h.omitted), (1, 2), "{h:?}");
        let tiny = HistoryLimits {
            rollup_bytes: 10,
            ..limits
        };
        assert!(earlier_runs(d.path(), Path::new(repo), "", &tiny)
            .runs
            .is_empty());
        let small = HistoryLimits {
            total_bytes: 100,
            ..limits
        };
        let h = earlier_runs(d.path(), Path::new(repo), "", &small);
        assert!(h.runs.iter().map(size_of).sum::<usize>() <= 100, "{h:?}");
        assert_eq!(h.runs.len() as u32 + h.omitted, 3);
        assert!(
            earlier_runs(&d.path().join("none"), Path::new(repo), "", &limits)
                .runs
                .is_empty()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_rollup_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        rollup(
            d.path(),
            "elsewhere",
            "/work/repo",
            "Secret elsewhere",
            "cast",
        );
        std::fs::create_dir(d.path().join("runs")).unwrap();
        std::fs::create_dir(d.path().join("runs/anneal-x")).unwrap();
        std::os::unix::fs::symlink(
            d.path().join("elsewhere/rollup.yaml"),
            d.path().join("runs/anneal-x/rollup.yaml"),
        )
        .unwrap();
        let h = earlier_runs(
            &d.path().join("runs"),
            Path::new("/work/repo"),
            "",
            &crate::runtime::limits::HISTORY_LIMITS,
        );
        assert!(h.runs.is_empty(), "{h:?}");
    }
}

//! docs/design.md §3 invariant 6: fan-out is parallel. With every offline agent call made to take a fixed
//! time (`--simulate-latency-ms`, as a model provider would), the red-team three overlap in
//! time; with `--jobs 1` (the sequential fallback) they do not.
use crate::common;
use common::*;

const TASK: &str = "Add rate limiting to the login endpoint";

fn red_team(s: &Scratch) -> Vec<(String, u64, u64)> {
    let iv = intervals(&s.run_dir(), |a| a.starts_with("redteam-"));
    assert_eq!(iv.len(), 3, "{iv:?}");
    iv
}

#[test]
fn red_team_runs_concurrently() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["--simulate-latency-ms", "300", "--jobs", "8", TASK]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let iv = red_team(&s);
    assert!(
        all_overlap(&iv),
        "the three reviewers should overlap: {iv:?}"
    );
}

#[test]
fn jobs_1_is_the_sequential_fallback() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&["--simulate-latency-ms", "150", "--jobs", "1", TASK]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let iv = red_team(&s);
    assert!(none_overlap(&iv), "with --jobs 1 nothing overlaps: {iv:?}");
}

fn planners(s: &Scratch) -> Vec<(String, u64, u64)> {
    let iv = intervals(&s.run_dir(), |a| a == "prometheus-alloy");
    assert!(iv.len() >= 5, "{iv:?}");
    iv[..5].to_vec()
}

#[test]
fn alloy_planners_run_concurrently() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&[
        "--strategy",
        "alloy",
        "--simulate-latency-ms",
        "300",
        "--jobs",
        "8",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let iv = planners(&s);
    assert!(
        iv.iter().all(|i| i.2 - i.1 >= 300),
        "every call took the simulated latency: {iv:?}"
    );
    assert!(all_overlap(&iv), "the five planners should overlap: {iv:?}");
}

#[test]
fn alloy_planners_with_jobs_1_run_one_after_another() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let out = s.anneal(&[
        "--strategy",
        "alloy",
        "--simulate-latency-ms",
        "100",
        "--jobs",
        "1",
        TASK,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let iv = planners(&s);
    assert!(none_overlap(&iv), "with --jobs 1 nothing overlaps: {iv:?}");
}

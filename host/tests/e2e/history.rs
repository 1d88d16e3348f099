//! Run history and the report on real runs: Cast, Alloy and Temper on the same task, then
//! `anneal runs` (list, show, compare), `anneal stats` and `anneal report`, whose report.html is
//! rendered by headless Chromium (installed by scripts/install-test-tools.sh); the screenshots
//! are kept under target/report-screenshots/.
use crate::common::{self, Scratch};
use anneal::cli::output;
use std::path::{Path, PathBuf};
use std::process::Command;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", common::stderr(o));
    let doc: serde_json::Value = serde_json::from_str(common::stdout(o).trim()).unwrap();
    if let Err(why) = output::validate(&doc) {
        panic!("the document breaks the schema:\n{why}\n{doc:#}");
    }
    doc
}

/// Renders `html` in headless Chromium into `png`; returns Chromium's log.
fn screenshot(html: &Path, png: &Path) -> String {
    let chromium = which::which("chromium")
        .or_else(|_| which::which("chromium-browser"))
        .expect("chromium is missing: run scripts/install-test-tools.sh (scripts/test.sh does)");
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "chromium failed:\n{log}");
    log
}

#[test]
fn runs_of_three_strategies_are_listed_compared_counted_and_reported() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let task = "Add a health check endpoint";
    for strategy in ["cast", "alloy", "temper"] {
        let o = s.anneal(&["--strategy", strategy, task]);
        assert!(
            matches!(o.status.code(), Some(0 | 4)),
            "{strategy}: {}",
            common::stderr(&o)
        );
    }
    let runs = s.runs().display().to_string();
    let cmd = |args: &[&str]| {
        let mut a: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        a.extend(["--out".into(), runs.clone()]);
        common::anneal(&a, &[])
    };

    let list = json(&cmd(&["runs", "--format", "json"]));
    let ids: Vec<String> = list["result"]["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 3);
    let only = json(&cmd(&["runs", "--strategy", "alloy", "--format", "json"]));
    assert_eq!(only["result"]["runs"].as_array().unwrap().len(), 1);

    let show = json(&cmd(&["runs", "show", &ids[2], "--format", "json"]));
    assert_eq!(show["result"]["strategy"], "temper");
    assert!(!show["result"]["depth_scores"]
        .as_array()
        .unwrap()
        .is_empty());

    let cmp = cmd(&["runs", "compare", &ids[0], &ids[1]]);
    let text = common::stdout(&cmp);
    assert!(
        text.contains("cast") && text.contains("alloy") && text.contains("plan diff"),
        "{text}"
    );
    let cmp = json(&cmd(&[
        "runs", "compare", &ids[0], &ids[1], "--format", "json",
    ]));
    assert_eq!(cmp["result"]["same_task"], true);
    assert!(cmp["result"]["plan_diff"].as_str().unwrap().contains("+++"));

    let stats = cmd(&["stats"]);
    let text = common::stdout(&stats);
    assert!(text.contains("The same task across strategies"), "{text}");
    for strategy in ["cast", "alloy (versions=5)", "temper (depth=3)"] {
        assert!(text.contains(strategy), "{strategy}: {text}");
    }
    let stats = json(&cmd(&["stats", "--format", "json"]));
    assert_eq!(stats["result"]["groups"].as_array().unwrap().len(), 3);
    assert_eq!(
        stats["result"]["tasks"][0]["by_strategy"]
            .as_object()
            .unwrap()
            .len(),
        3
    );

    let shots = common::root().join("target/report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    for (id, strategy, section) in [
        (&ids[1], "alloy", "Alloy: provenance matrix"),
        (&ids[2], "temper", "Temper: score per depth"),
    ] {
        let doc = json(&cmd(&["report", id, "--format", "json"]));
        let html = PathBuf::from(doc["result"]["report"].as_str().unwrap());
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(
            page.contains(section) && page.contains("<svg"),
            "{strategy}"
        );
        let png = shots.join(format!("report-{strategy}.png"));
        let _ = std::fs::remove_file(&png);
        let log = screenshot(&html, &png);
        // A console message (a blocked load, a parse error) would be logged as CONSOLE.
        assert!(
            !log.contains("CONSOLE"),
            "{strategy}: console output:\n{log}"
        );
        let size = std::fs::metadata(&png).unwrap().len();
        assert!(
            size > 20_000,
            "{strategy}: a {size}-byte screenshot is blank"
        );
    }
}

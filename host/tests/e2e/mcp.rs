//! `anneal mcp` driven over a pipe by a client speaking the protocol (JSON-RPC lines):
//! initialize, tools/list, tools/call `plan` with progress notifications, a cancelled `plan`
//! whose run still writes its rollup, a repository outside the roots refused, `runs`, and
//! `review` of the first plan's run directory (a plan outside the roots refused).
use crate::common::{self, Scratch};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

struct Client {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Value>,
    /// Notifications seen while waiting for responses.
    notes: Vec<Value>,
}

impl Client {
    fn start(s: &Scratch, latency_ms: u64) -> Client {
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("anneal"))
            .args(["mcp", "--root"])
            .arg(s.dir.path())
            .arg("--out")
            .arg(s.runs())
            .args(["--simulate-latency-ms", &latency_ms.to_string()])
            .envs(common::default_env())
            .env_remove("ANNEAL_RUNS_ROOT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON-RPC ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            lines,
            notes: Vec::new(),
        }
    }

    fn send(&mut self, msg: Value) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Waits for the response to request `id`, keeping the notifications that come first.
    fn response(&mut self, id: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let v = self
                .lines
                .recv_timeout(left)
                .expect("no response from anneal mcp");
            if v.get("id") == Some(&json!(id)) && v.get("method").is_none() {
                return v;
            }
            self.notes.push(v);
        }
    }

    fn call(&mut self, id: u64, tool: &str, args: Value, token: Option<&str>) {
        let mut params = json!({ "name": tool, "arguments": args });
        if let Some(t) = token {
            params["_meta"] = json!({ "progressToken": t });
        }
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params }));
    }

    fn progress(&self, token: &str) -> Vec<String> {
        self.notes
            .iter()
            .filter(|n| {
                n["method"] == "notifications/progress" && n["params"]["progressToken"] == token
            })
            .map(|n| n["params"]["message"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

#[test]
fn a_client_plans_with_progress_cancels_and_is_kept_inside_the_roots() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let mut c = Client::start(&s, 150);
    c.send(
        json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": { "name": "e2e", "version": "0" } } }),
    );
    let init = c.response(1);
    assert_eq!(init["result"]["serverInfo"]["name"], "anneal", "{init}");
    c.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }));

    c.send(json!({ "jsonrpc": "2.0", "id": 2, "method": "tools/list" }));
    let list = c.response(2);
    let names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["plan", "strategies", "runs", "review"]);

    // A whole plan, with a progress notification per stage.
    let repo = s.repo().display().to_string();
    c.call(
        3,
        "plan",
        json!({ "task": "Add a health check endpoint", "repository": repo }),
        Some("p3"),
    );
    let done = c.response(3);
    let r = &done["result"]["structuredContent"];
    let planned_dir = r["run_dir"].as_str().unwrap().to_string();
    assert!(
        matches!(r["decision"].as_str(), Some("EMIT" | "NOT EMITTED")),
        "{done}"
    );
    assert!(r["plan_md"].as_str().unwrap().starts_with('#'), "{done}");
    assert!(std::path::Path::new(r["prompt"].as_str().unwrap()).is_file());
    let stages = c.progress("p3");
    for stage in ["[1/7]", "[2/7]", "[3/7]"] {
        assert!(
            stages.iter().any(|m| m.starts_with(stage)),
            "{stage} in {stages:?}"
        );
    }

    // A cancelled plan: the run stops cleanly and its rollup says why.
    c.call(4, "plan", json!({ "task": "Add rate limiting to the login endpoint", "repository": repo, "strategy": "alloy" }), Some("p4"));
    let t = Instant::now();
    while !c.progress("p4").iter().any(|m| m.starts_with("[3/7]")) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no progress for the second plan"
        );
        let v = c.lines.recv_timeout(Duration::from_secs(120)).unwrap();
        c.notes.push(v);
    }
    c.send(
        json!({ "jsonrpc": "2.0", "method": "notifications/cancelled",
        "params": { "requestId": 4, "reason": "the user changed their mind" } }),
    );
    let cancelled = loop {
        assert!(
            t.elapsed() < Duration::from_secs(180),
            "the cancelled run wrote no rollup"
        );
        let rollups: Vec<String> = std::fs::read_dir(s.runs())
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path().join("rollup.yaml")).ok())
            .filter(|r| r.contains("rate limiting"))
            .collect();
        if let Some(r) = rollups.into_iter().next() {
            break r;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(cancelled.contains("cancelled by its client"), "{cancelled}");

    // Outside the roots: refused, nothing run.
    c.call(
        5,
        "plan",
        json!({ "task": "Add X", "repository": "/" }),
        None,
    );
    let refused = c.response(5);
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert!(
        refused.to_string().contains("outside the roots"),
        "{refused}"
    );

    c.call(6, "runs", json!({}), None);
    let runs = c.response(6);
    assert_eq!(runs["result"]["structuredContent"]["total"], 2, "{runs}");

    // Review the first plan's run directory: verdicts, score, findings, a new run directory.
    c.call(
        7,
        "review",
        json!({ "path": planned_dir, "repository": repo }),
        Some("p7"),
    );
    let review = c.response(7);
    let r = &review["result"]["structuredContent"];
    assert_ne!(review["result"]["isError"], true, "{review}");
    assert!(
        matches!(r["decision"].as_str(), Some("EMIT" | "NOT EMITTED")),
        "{review}"
    );
    assert!(r["overall_verdict"].is_string(), "{review}");
    assert!(r["gate_status"]["momus"].is_string(), "{review}");
    assert!(r["momus_score"].is_u64(), "{review}");
    let findings = r["findings"].as_array().expect("findings is a list");
    assert_eq!(
        r["findings_total"].as_u64(),
        Some(findings.len() as u64),
        "{review}"
    );
    let out = std::path::Path::new(r["run_dir"].as_str().unwrap());
    assert!(out.join("rollup.yaml").is_file(), "{review}");
    assert_ne!(
        out,
        std::path::Path::new(&planned_dir),
        "a review writes a new run directory"
    );
    assert!(
        c.progress("p7").iter().any(|m| m.starts_with("[5/7]")),
        "{:?}",
        c.progress("p7")
    );

    // A plan outside the roots (and the runs root) is refused before anything is read.
    c.call(
        8,
        "review",
        json!({ "path": "/etc", "repository": repo }),
        None,
    );
    let refused = c.response(8);
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    assert!(
        refused
            .to_string()
            .contains("plan /etc is outside the roots"),
        "{refused}"
    );

    drop(c.stdin);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "anneal mcp exited {status}");
}

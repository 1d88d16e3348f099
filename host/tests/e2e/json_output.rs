//! `--format json`: every command's document validates against
//! `_shared/schemas/cli-output.schema.json`, stdout holds exactly that document, and the text
//! for people goes to stderr.
use crate::common::{self, Scratch};
use anneal::cli::output;

/// Parses stdout as exactly one JSON document and validates it against the schema.
fn document(o: &std::process::Output) -> serde_json::Value {
    let out = common::stdout(o);
    let doc: serde_json::Value = serde_json::from_str(out.trim())
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{out}"));
    if let Err(why) = output::validate(&doc) {
        panic!("the document breaks the schema:\n{why}\n{doc:#}");
    }
    doc
}

#[test]
fn a_run_and_every_command_print_one_valid_document() {
    if common::nested() {
        return;
    }
    let s = Scratch::new();
    let o = s.anneal(&["--format", "json", "Add a health check endpoint"]);
    let doc = document(&o);
    assert_eq!(doc["kind"], "run");
    let r = &doc["result"];
    assert_eq!(r["run_dir"], s.run_dir().display().to_string());
    assert_eq!(r["strategy"], "cast");
    assert!(std::path::Path::new(r["plan"].as_str().unwrap()).is_file());
    // The exit code agrees with the document's decision.
    let code = o.status.code().unwrap();
    match r["decision"].as_str().unwrap() {
        "EMIT" => assert_eq!(code, 0),
        "NOT EMITTED" => assert_eq!(code, 4),
        other => panic!("unexpected decision {other}: {}", common::stderr(&o)),
    }
    // The summary for people went to stderr.
    assert!(
        common::stderr(&o).contains("agent spawns"),
        "{}",
        common::stderr(&o)
    );

    let o = s.anneal(&["--format", "json", "--dry-run", "--strategy", "alloy", "x"]);
    let doc = document(&o);
    assert_eq!(doc["kind"], "dry-run");
    assert_eq!(doc["result"]["options"]["versions"], "5");

    for (args, kind) in [
        (
            &["strategy", "list", "--format", "json"][..],
            "strategy-list",
        ),
        (
            &["strategy", "inspect", "temper", "--format", "json"][..],
            "strategy-inspect",
        ),
        (&["config", "--format", "json"][..], "config"),
        (&["cache", "--format", "json"][..], "cache"),
        (&["cache", "show", "--format", "json"][..], "cache"),
    ] {
        let o = common::anneal(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), &[]);
        assert!(o.status.success(), "{args:?}: {}", common::stderr(&o));
        assert_eq!(document(&o)["kind"], kind, "{args:?}");
    }
    let o = common::anneal(
        &["strategy", "inspect", "temper", "--format", "json"].map(String::from),
        &[],
    );
    let opts = &document(&o)["result"]["options"];
    assert_eq!(opts[0]["name"], "depth", "{opts}");
}

#[test]
fn failures_print_the_error_document_with_the_exit_code() {
    if common::nested() {
        return;
    }
    // A usage error (no task) and a runtime error (unknown strategy).
    for (args, code) in [
        (vec!["--format", "json"], 2),
        (
            vec!["strategy", "inspect", "no-such", "--format", "json"],
            5,
        ),
    ] {
        let o = common::anneal(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), &[]);
        assert_eq!(o.status.code(), Some(code), "{args:?}");
        let doc = document(&o);
        assert_eq!(doc["kind"], "error");
        assert_eq!(doc["error"]["exit_code"], code);
        assert!(!doc["error"]["message"].as_str().unwrap().is_empty());
    }
}

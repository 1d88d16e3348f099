//! The clarity table: clear tasks written like real commit subjects of varied projects (Rust,
//! Go, Python, JavaScript/TypeScript, Java libraries and services), and vague ones.
use super::*;
use crate::model::resolution::{NameForm, NamedRef, RankedFile, SymbolKind, SymbolRef};
use crate::offline::intent::{classify, with_resolution};

/// Clear tasks: a verb and an object, a code name, a path or a flag.
const CLEAR: &[&str] = &[
    "Add `Retry-After` parsing to the HTTP client",
    "Deprecate `LegacyRouter` in favour of `Router::nest`",
    "Add trait IntoStatusCode",
    "Add `BodyStream`",
    "Use serde_json::to_writer in the exporter",
    "Rename parse_opts to parse_options",
    "Remove unused Config::legacy_mode field",
    "Add --dry-run flag to the sync command",
    "Support NO_COLOR",
    "Fix panic in Decoder::read_frame on empty input",
    "Move `_normalizeHeaders` into a new lib/headers.js",
    "Add type hints to requests/sessions.py",
    "Bump minimum Go version to 1.21",
    "Expose Histogram.percentile",
    "deprecate WidgetFactory",
    "Use strings.EqualFold for header comparison",
    "Drop Python 3.7 support",
    "Handle EINTR in read_exact",
    "Make `Timeout` implement Clone",
    "Add Display impl for TokenKind",
    "Implement From<io::Error> for ParseError",
    "Avoid allocating in fmt::Write for Buffer",
    "Allow trailing commas in array literals",
    "Add `--max-depth` option",
    "Return 404 for unknown routes",
    "Document the `strict` parameter of load()",
    "Switch CI to actions/setup-go@v5",
    "Add benchmarks for the tokenizer",
    "Add missing must_use to builder methods",
    "Replace lazy_static with once_cell",
    "Cache compiled regexes in the matcher",
    "Validate port range in parse_addr",
    "Log a warning when the config file is ignored",
    "Add async variant of fetch_all",
    "Add ListenerBuilder",
    "Port date parsing to chrono",
    "Use os.replace for atomic writes",
    "Reject negative durations in Duration.parse",
    "Add JSON output to the status command",
    "Split utils.py into io_utils.py and text_utils.py",
    "Upgrade to tokio 1.38",
    "Add support for HTTP/2 prior knowledge",
    "Add more doc comments to the public API",
    "Preserve insertion order in HeaderMap",
    "Skip hidden files by default",
    "Add logging",
    "Refactor the tokenizer",
    "feat(cli): add completion subcommand",
    "parser: reject duplicate keys",
    "Added retries to the webhook sender",
    "Fix flaky watcher test on macOS",
    "Fix the crash when the config file is missing",
    "Use pathlib in the loader",
];

/// Vague tasks: no object, or filler hiding the scope.
const VAGUE: &[&str] = &[
    "make it better",
    "fix the bug",
    "improve things",
    "improve it",
    "fix stuff",
    "make the code better",
    "refactor",
    "clean up",
    "update",
    "fix it",
    "Improve performance",
    "make things faster",
    "fix the issue",
    "various fixes",
    "misc cleanup",
    "Clean up the logging and other things etc",
    "fix bugs",
    "general improvements",
    "code quality",
    "",
    "StreamBody",
];

#[test]
fn the_clarity_table() {
    let refused: Vec<&str> = CLEAR
        .iter()
        .copied()
        .filter(|t| !classify(t).clear)
        .collect();
    let accepted: Vec<&str> = VAGUE
        .iter()
        .copied()
        .filter(|t| classify(t).clear)
        .collect();
    println!(
        "clarity table: {} clear tasks, {} falsely refused; {} vague tasks, {} falsely accepted",
        CLEAR.len(),
        refused.len(),
        VAGUE.len(),
        accepted.len()
    );
    assert!(CLEAR.len() >= 40 && VAGUE.len() >= 15);
    assert!(refused.is_empty(), "clear tasks refused: {refused:#?}");
    assert!(accepted.is_empty(), "vague tasks accepted: {accepted:#?}");
}

#[test]
fn vague_tasks_get_two_to_four_questions() {
    for t in VAGUE {
        let i = classify(t);
        assert!(!i.reasons.is_empty(), "{t:?}");
        assert!(
            (2..=4).contains(&i.questions.len()),
            "{t:?}: {:?}",
            i.questions
        );
        assert!(i.questions.iter().all(|q| q.ends_with('?')), "{t:?}");
    }
    let i = classify("fix the bug");
    assert!(
        i.questions.iter().any(|q| q.contains("broken")),
        "{:?}",
        i.questions
    );
    for t in CLEAR {
        assert!(classify(t).questions.is_empty(), "{t}");
    }
}

#[test]
fn objects_and_verbs() {
    let none = Evidence::default();
    let obj = |t: &str| object_of(t, &text::terms(t), &none);
    assert_eq!(obj("deprecate BaseThing").as_deref(), Some("BaseThing"));
    assert_eq!(obj("Add logging").as_deref(), Some("logging"));
    assert_eq!(obj("fix the parser"), None, "a weak verb needs two terms");
    assert_eq!(obj("make it better"), None);
    assert_eq!(leading_verb("Adds caching").map(|v| v.0), Some("add"));
    assert_eq!(
        leading_verb("deprecated foo").map(|v| v.0),
        Some("deprecate")
    );
    assert_eq!(leading_verb("feat(cli): Fixes x").map(|v| v.0), Some("fix"));
    assert_eq!(leading_verb("Better errors"), None);
}

fn resolution_with_parser() -> Resolution {
    let sym = SymbolRef {
        name: "Parser".into(),
        kind: SymbolKind::Class,
        path: "src/parser.py".into(),
        line_start: 10,
        line_end: 200,
        scope: None,
        signature: Some("class Parser:".into()),
        reason: "defines Parser".into(),
    };
    Resolution {
        names: vec![NamedRef {
            text: "Parser".into(),
            form: NameForm::CamelCase,
            exact: false,
            symbols: vec![sym.clone()],
            files: vec!["src/parser.py".into()],
        }],
        files: vec![RankedFile {
            path: "src/parser.py".into(),
            score: 3.0,
            reasons: vec!["defines Parser".into()],
            is_test: false,
        }],
        symbols: vec![sym],
        ..Default::default()
    }
}

#[test]
fn a_name_the_index_resolves_is_an_object() {
    let task = "fix the parser";
    let i = classify(task);
    assert!(!i.clear, "text alone: a weak verb and one term");
    let res = resolution_with_parser();
    let j = with_resolution(&i, task, &res);
    assert!(j.clear, "{:?}", j.reasons);
    assert!(j.questions.is_empty());
    assert!(
        j.reasons.iter().any(|r| r.contains("'parser'")),
        "{:?}",
        j.reasons
    );
    assert_eq!(j.kind, i.kind);
    // Nothing changes without an index, and vague words never become objects.
    assert_eq!(with_resolution(&i, task, Resolution::empty()), i);
    let bug = classify("fix the bug");
    assert!(!with_resolution(&bug, "fix the bug", &res).clear);
    // Filler still hides the scope, whatever the index knows.
    let t = "fix the parser and other stuff";
    assert!(!with_resolution(&classify(t), t, &res).clear);
}

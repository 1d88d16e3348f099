//! Plans from a code-index resolution, built by hand as the index would for small real-shaped
//! projects: a Rust crate testing in inline `mod tests`, a JavaScript package with
//! `test/*.test.js`, a Go package with `*_test.go`, a Python package with `tests/test_*.py`,
//! a TypeScript package with `*.test.ts` beside the sources.
use super::*;
use crate::model::resolution::{RankedFile, TestRef};
use crate::model::Context;
use crate::model::{AgentRequest, DetectedCommand, FileAction, LanguageStat, Plan, ProbeReport};
use crate::offline::intent::classify;
use crate::offline::planner::plan_with_actions;

fn sym(name: &str, kind: SymbolKind, path: &str, lines: (u32, u32)) -> SymbolRef {
    SymbolRef {
        name: name.into(),
        kind,
        path: path.into(),
        line_start: lines.0,
        line_end: lines.1,
        scope: None,
        signature: None,
        reason: format!("defines {name}"),
    }
}

fn named(text: &str, form: NameForm, symbols: Vec<SymbolRef>) -> NamedRef {
    let mut files: Vec<String> = symbols.iter().map(|s| s.path.clone()).collect();
    files.dedup();
    NamedRef {
        text: text.into(),
        form,
        exact: !symbols.is_empty(),
        symbols,
        files,
    }
}

fn ranked(path: &str, score: f64, why: &str) -> RankedFile {
    RankedFile {
        path: path.into(),
        score,
        reasons: vec![why.into()],
        is_test: path.contains("test"),
    }
}

fn probe(lang: &str, test: &str) -> ProbeReport {
    ProbeReport {
        repository: "lib".into(),
        languages: vec![LanguageStat {
            name: lang.into(),
            files: 20,
        }],
        commands: vec![DetectedCommand {
            purpose: "test".into(),
            command: test.into(),
            source: "manifest".into(),
        }],
        ..Default::default()
    }
}

/// A repository with `files` (path, content).
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, text) in files {
        let full = dir.path().join(p);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }
    dir
}

fn plan(task: &str, probe: &ProbeReport, root: &Path, res: &Resolution) -> Plan {
    let kind = classify(task).kind;
    let ctx = Context {
        run_id: "anneal-20260101-000000-test",
        task,
        task_kind: kind,
        directives: &[],
        probe,
        repo_root: root,
        resolution: res,
        baseline: None,
    };
    let req = AgentRequest {
        role: "prometheus-cast".into(),
        category: None,
        lens: None,
        extra_directives: vec![],
        prior_plan: None,
        feedback: vec![],
        scores: vec![],
        depth: None,
    };
    plan_with_actions(&ctx, &req).expect("plan").0
}

fn files(p: &Plan, action: FileAction) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for f in p.phases.iter().flat_map(|x| x.files.iter()) {
        if f.action == action && !v.contains(&f.path) {
            v.push(f.path.clone());
        }
    }
    v
}

fn steps(p: &Plan) -> String {
    p.phases
        .iter()
        .flat_map(|x| x.steps.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Rust crate: `ErrorKind` is defined in `src/ast/mod.rs`, which tests itself in an inline
/// `mod tests`; the parser mentions repetition more often; a benchmark mentions it too.
fn rust_crate() -> (tempfile::TempDir, ProbeReport, Resolution) {
    let dir = repo(&[
        ("Cargo.toml", "[package]\nname = \"rx\"\n"),
        ("src/lib.rs", "pub mod ast;\npub mod parser;\n"),
        (
            "src/ast/mod.rs",
            "pub enum ErrorKind {\n    RepetitionMissing,\n}\n#[cfg(test)]\nmod tests {}\n",
        ),
        ("src/parser.rs", "fn parse_counted_repetition() {}\n"),
        ("benches/bench.rs", "// repetition\n"),
    ]);
    let error_kind = sym("ErrorKind", SymbolKind::Enum, "src/ast/mod.rs", (1, 3));
    let parse = sym(
        "parse_counted_repetition",
        SymbolKind::Function,
        "src/parser.rs",
        (1, 1),
    );
    let res = Resolution {
        names: vec![
            named("RepetitionCountTooLarge", NameForm::Backticked, vec![]),
            named("ast::ErrorKind", NameForm::PathMember, vec![error_kind]),
        ],
        files: vec![
            ranked("src/parser.rs", 9.0, "mentions \"repetition\" ×6"),
            ranked(
                "src/ast/mod.rs",
                7.0,
                "defines ErrorKind (named in the task)",
            ),
            ranked("benches/bench.rs", 6.0, "mentions \"repetition\" ×1"),
            ranked("src/lib.rs", 1.0, "declares mod ast"),
        ],
        symbols: vec![SymbolRef {
            reason: "mentions \"repetition\"".into(),
            ..parse
        }],
        to_create: vec![],
        tests: vec![TestRef {
            path: "src/ast/mod.rs".into(),
            module: Some("tests".into()),
            exercises: vec!["src/ast/mod.rs".into()],
            reason: "inline #[cfg(test)] mod in src/ast/mod.rs".into(),
        }],
        test_layouts: vec!["inline #[cfg(test)] mod".into()],
        vocabulary: Default::default(),
    };
    (dir, probe("Rust", "cargo test"), res)
}

#[test]
fn add_x_to_y_modifies_the_file_defining_y_and_names_both() {
    let (dir, probe, res) = rust_crate();
    let task = "Add `RepetitionCountTooLarge` to `ast::ErrorKind`";
    let p = plan(task, &probe, dir.path(), &res);
    let modified = files(&p, FileAction::Modify);
    assert_eq!(
        modified.first().map(String::as_str),
        Some("src/ast/mod.rs"),
        "{modified:?}"
    );
    let text = steps(&p);
    assert!(
        text.contains(
            "Add the variant `RepetitionCountTooLarge` to `ErrorKind` in `src/ast/mod.rs` (lines 1–3)."
        ),
        "{text}"
    );
    // A neighbour ranked by the task's words is code to follow, not a target to change.
    assert!(
        text.contains("Reuse or follow `parse_counted_repetition` (function) in `src/parser.rs`"),
        "{text}"
    );
    assert!(
        !text.contains("Change `parse_counted_repetition`"),
        "{text}"
    );
    // The test to extend is the crate's own inline module, never a file named after the task,
    // never a benchmark.
    assert!(
        text.contains("the `tests` module of `src/ast/mod.rs`"),
        "{text}"
    );
    let all: Vec<String> = p
        .phases
        .iter()
        .flat_map(|x| x.files.iter().map(|f| f.path.clone()))
        .collect();
    assert!(!all.iter().any(|f| f.starts_with("benches/")), "{all:?}");
    assert!(files(&p, FileAction::Create).is_empty(), "{all:?}");
    // Fewer, right files: at most three source files, each ranked or named.
    let sources: Vec<&String> = modified.iter().filter(|f| f.ends_with(".rs")).collect();
    assert!(sources.len() <= MAX_FILES, "{sources:?}");
}

#[test]
fn a_ranked_definition_matched_only_through_its_file_is_not_a_change() {
    let dir = repo(&[
        ("pyproject.toml", "[project]\nname = \"hz\"\n"),
        (
            "src/hz/number.py",
            "def ordinal(value):\n    return value\n\ndef intword(value):\n    return value\n",
        ),
    ]);
    let res = Resolution {
        names: vec![],
        files: vec![ranked(
            "src/hz/number.py",
            5.0,
            "matches number ×6, intword ×3",
        )],
        symbols: vec![
            SymbolRef {
                reason: "matches number in src/hz/number.py".into(),
                ..sym("ordinal", SymbolKind::Function, "src/hz/number.py", (1, 2))
            },
            SymbolRef {
                reason: "matches intword, number in src/hz/number.py".into(),
                ..sym("intword", SymbolKind::Function, "src/hz/number.py", (4, 5))
            },
        ],
        to_create: vec![],
        tests: vec![],
        test_layouts: vec![],
        vocabulary: Default::default(),
    };
    let p = plan(
        "Support negative numbers in intword",
        &probe("Python", "python3 -m pytest"),
        dir.path(),
        &res,
    );
    let text = steps(&p);
    assert!(text.contains("Change `intword` (function)"), "{text}");
    assert!(!text.contains("`ordinal`"), "{text}");
}

#[test]
fn a_named_move_into_a_new_file_is_one_step_and_the_removal_names_it() {
    let dir = repo(&[
        ("pyproject.toml", "[project]\nname = \"hz\"\n"),
        (
            "src/hz/filesize.py",
            "def naturalsize(value):\n    return str(value)\n",
        ),
    ]);
    let res = Resolution {
        names: vec![named("src/hz/units.py", NameForm::FilePath, vec![])],
        files: vec![ranked("src/hz/filesize.py", 5.0, "matches naturalsize ×3")],
        symbols: vec![SymbolRef {
            reason: "matches naturalsize in src/hz/filesize.py".into(),
            ..sym(
                "naturalsize",
                SymbolKind::Function,
                "src/hz/filesize.py",
                (1, 2),
            )
        }],
        to_create: vec!["src/hz/units.py".into()],
        tests: vec![],
        test_layouts: vec![],
        vocabulary: Default::default(),
    };
    let task = "Move naturalsize into a new module src/hz/units.py";
    let p = plan(
        task,
        &probe("Python", "python3 -m pytest"),
        dir.path(),
        &res,
    );
    let text = steps(&p);
    assert!(
        text.contains(
            "Create `src/hz/units.py` and move `naturalsize` (from `src/hz/filesize.py`) into it"
        ),
        "{text}"
    );
    assert!(!text.contains("Move `naturalsize` (function)"), "{text}");
    assert!(!text.contains("Create the new structure"), "{text}");
    assert!(
        text.contains("Search for remaining uses of the old `naturalsize` in `src/hz/filesize.py`"),
        "{text}"
    );
}

#[test]
fn boundary_and_edge_tests_name_the_changed_code_and_where_the_tests_go() {
    let (dir, probe, res) = rust_crate();
    let p = plan("Fix the overflow in `ErrorKind`", &probe, dir.path(), &res);
    let text = steps(&p);
    assert!(
        text.contains("Add tests to the `tests` module of `src/ast/mod.rs` for the boundary inputs of `ErrorKind`"),
        "{text}"
    );
}

#[test]
#[ignore = "prints a plan: TASK=… cargo test -p anneal --lib print_rust_crate_plan -- --ignored --nocapture"]
fn print_rust_crate_plan() {
    let (dir, probe, res) = rust_crate();
    let task = std::env::var("TASK")
        .unwrap_or_else(|_| "Add `RepetitionCountTooLarge` to `ast::ErrorKind`".into());
    let p = plan(&task, &probe, dir.path(), &res);
    println!("{}", serde_yaml::to_string(&p).unwrap());
}

#[test]
fn focus_files_put_named_definitions_first_and_cut_weak_ranked_files() {
    let (dir, _, res) = rust_crate();
    let f = Focus::from_resolution(
        "Add `RepetitionCountTooLarge` to `ast::ErrorKind`",
        &res,
        dir.path(),
    );
    // The defining file first; the parser scores ≥ 0.75 of the best ranked file; the benchmark
    // is no source; lib.rs scores too low.
    assert_eq!(f.files, vec!["src/ast/mod.rs", "src/parser.rs"]);
    assert_eq!(f.reasons[0].1, "defines ast::ErrorKind (named in the task)");
    assert_eq!(f.new_names.len(), 1);
    assert_eq!(
        f.new_names[0].container.as_ref().map(|c| c.name.as_str()),
        Some("ErrorKind")
    );
    assert_eq!(
        f.test().map(|t| t.label()).as_deref(),
        Some("the `tests` module of `src/ast/mod.rs`")
    );
    // The ranked function of a focus file is named too, with why.
    assert!(f
        .steps()
        .iter()
        .any(|s| s.contains("`parse_counted_repetition` (function) in `src/parser.rs`")));
}

#[test]
fn a_named_path_that_does_not_exist_is_created() {
    let dir = repo(&[
        ("package.json", "{\"name\":\"opts\"}"),
        ("lib/command.js", "function _parseOptionsEnv() {}\n"),
        ("test/command.test.js", "test('x', () => {})\n"),
    ]);
    let res = Resolution {
        names: vec![
            named(
                "_parseOptionsEnv",
                NameForm::Backticked,
                vec![sym(
                    "_parseOptionsEnv",
                    SymbolKind::Method,
                    "lib/command.js",
                    (40, 72),
                )],
            ),
            NamedRef {
                text: "lib/parse-options.js".into(),
                form: NameForm::FilePath,
                exact: false,
                symbols: vec![],
                files: vec![],
            },
        ],
        files: vec![ranked("lib/command.js", 4.0, "defines _parseOptionsEnv")],
        symbols: vec![],
        to_create: vec!["lib/parse-options.js".into()],
        tests: vec![TestRef {
            path: "test/command.test.js".into(),
            module: None,
            exercises: vec!["lib/command.js".into()],
            reason: "imports lib/command.js".into(),
        }],
        test_layouts: vec!["test/*.test.js".into()],
        vocabulary: Default::default(),
    };
    let task = "move `_parseOptionsEnv` into a new `lib/parse-options.js`";
    let p = plan(task, &probe("JavaScript", "npm test"), dir.path(), &res);
    let created = files(&p, FileAction::Create);
    assert!(
        created.contains(&"lib/parse-options.js".to_string()),
        "{created:?}"
    );
    assert!(
        !created.iter().any(|c| c.contains("refactor")),
        "{created:?}"
    );
    assert!(files(&p, FileAction::Modify).contains(&"lib/command.js".to_string()));
    let text = steps(&p);
    assert!(
        text.contains("Create `lib/parse-options.js` and move `_parseOptionsEnv` (from `lib/command.js`) into it"),
        "{text}"
    );
    assert!(text.contains("`test/command.test.js`"), "{text}");
}

#[test]
fn go_tests_go_beside_the_source() {
    let dir = repo(&[
        ("go.mod", "module example.com/up\n"),
        (
            "server/handler.go",
            "package server\nfunc HandleUpload() {}\n",
        ),
    ]);
    let res = Resolution {
        names: vec![named(
            "HandleUpload",
            NameForm::CamelCase,
            vec![sym(
                "HandleUpload",
                SymbolKind::Function,
                "server/handler.go",
                (2, 30),
            )],
        )],
        files: vec![ranked("server/handler.go", 3.0, "defines HandleUpload")],
        test_layouts: vec!["*_test.go".into()],
        ..Default::default()
    };
    let task = "Reject empty filenames in HandleUpload";
    let p = plan(task, &probe("Go", "go test ./..."), dir.path(), &res);
    assert!(
        files(&p, FileAction::Create).contains(&"server/handler_test.go".to_string()),
        "{:?}",
        files(&p, FileAction::Create)
    );
    let text = steps(&p);
    assert!(
        text.contains("Reject `HandleUpload` (function) in `server/handler.go` (lines 2–30)."),
        "{text}"
    );
}

#[test]
fn python_tests_are_the_packages_own() {
    let dir = repo(&[
        ("pyproject.toml", "[project]\nname = \"cfg\"\n"),
        (
            "cfg/config.py",
            "def load_config(path, strict=False):\n    pass\n",
        ),
        ("tests/test_config.py", "def test_load(): pass\n"),
    ]);
    let res = Resolution {
        names: vec![
            NamedRef {
                text: "strict".into(),
                form: NameForm::Backticked,
                exact: false,
                symbols: vec![],
                files: vec![],
            },
            named(
                "load_config",
                NameForm::SnakeCase,
                vec![sym(
                    "load_config",
                    SymbolKind::Function,
                    "cfg/config.py",
                    (1, 2),
                )],
            ),
        ],
        files: vec![
            ranked(
                "cfg/config.py",
                5.0,
                "defines load_config (named in the task)",
            ),
            ranked("tests/test_config.py", 4.0, "calls load_config"),
        ],
        tests: vec![TestRef {
            path: "tests/test_config.py".into(),
            module: None,
            exercises: vec!["cfg/config.py".into()],
            reason: "imports cfg/config.py".into(),
        }],
        test_layouts: vec!["tests/".into(), "test_*.py".into()],
        ..Default::default()
    };
    let task = "Deprecate the `strict` argument of load_config";
    let p = plan(task, &probe("Python", "pytest"), dir.path(), &res);
    let modified = files(&p, FileAction::Modify);
    assert_eq!(
        modified.first().map(String::as_str),
        Some("cfg/config.py"),
        "{modified:?}"
    );
    assert!(
        modified.contains(&"tests/test_config.py".to_string()),
        "{modified:?}"
    );
    assert!(files(&p, FileAction::Create)
        .iter()
        .all(|c| !c.starts_with("tests/")));
    assert!(steps(&p).contains("`load_config` (function) in `cfg/config.py`"));
}

#[test]
fn test_sites_follow_each_layout() {
    let dir = repo(&[
        ("src/router.ts", "export function route() {}\n"),
        ("src/net/client.rs", "pub fn get() {}\n"),
        ("pkg/api/handler.go", "package api\n"),
        ("web/app/views.py", "def index(): pass\n"),
    ]);
    let site = |source: &str, layout: &str| {
        let res = Resolution {
            files: vec![ranked(source, 1.0, "ranked")],
            test_layouts: vec![layout.into()],
            ..Default::default()
        };
        testsite::from_resolution(&res, &[source.to_string()], dir.path(), 1)
            .first()
            .map(|t| t.label())
    };
    assert_eq!(
        site("src/router.ts", "*.test.ts").as_deref(),
        Some("`src/router.test.ts`")
    );
    assert_eq!(
        site("src/net/client.rs", "inline #[cfg(test)] mod").as_deref(),
        Some("the `tests` module of `src/net/client.rs`")
    );
    assert_eq!(
        site("src/net/client.rs", "tests/").as_deref(),
        Some("`tests/client.rs`")
    );
    assert_eq!(
        site("pkg/api/handler.go", "*_test.go").as_deref(),
        Some("`pkg/api/handler_test.go`")
    );
    assert_eq!(
        site("web/app/views.py", "test_*.py").as_deref(),
        Some("`tests/test_views.py`")
    );
    // A layout of another language gives nothing rather than a wrong file.
    assert_eq!(site("web/app/views.py", "*_test.go"), None);
}

#[test]
fn without_an_index_no_test_path_is_invented() {
    let dir = repo(&[
        ("src/net/client.rs", "pub fn get() {}\n"),
        ("src/lib.rs", "pub mod net;\n"),
        ("benches/bench.rs", "// retry\n"),
    ]);
    let mut probe = probe("Rust", "cargo test");
    probe.relevant_files = vec![
        crate::model::RelevantFile {
            path: "src/net/client.rs".into(),
            reason: "matched terms: retry".into(),
            score: 5,
        },
        crate::model::RelevantFile {
            path: "benches/bench.rs".into(),
            reason: "matched terms: retry".into(),
            score: 4,
        },
    ];
    let task = "Add retries with backoff to the HTTP client";
    let p = plan(task, &probe, dir.path(), Resolution::empty());
    let all: Vec<String> = p
        .phases
        .iter()
        .flat_map(|x| x.files.iter().map(|f| f.path.clone()))
        .collect();
    assert!(
        !all.iter()
            .any(|f| f.starts_with("tests/") || f.starts_with("benches/")),
        "{all:?}"
    );
    assert!(
        steps(&p).contains("the project's existing tests for `src/net/client.rs`"),
        "{}",
        steps(&p)
    );
    // With an inline test module in the file, that module is the site.
    std::fs::write(
        dir.path().join("src/net/client.rs"),
        "pub fn get() {}\n#[cfg(test)]\nmod tests {}\n",
    )
    .unwrap();
    let p = plan(task, &probe, dir.path(), Resolution::empty());
    assert!(steps(&p).contains("the `tests` module of `src/net/client.rs`"));
}

#[test]
fn without_an_index_a_named_new_path_is_created() {
    let dir = repo(&[("lib/command.js", "function a() {}\n")]);
    let mut probe = probe("JavaScript", "npm test");
    probe.relevant_files = vec![crate::model::RelevantFile {
        path: "lib/command.js".into(),
        reason: "matched terms: options".into(),
        score: 3,
    }];
    let task = "Move the options parsing into a new lib/parse-options.js";
    let p = plan(task, &probe, dir.path(), Resolution::empty());
    let created = files(&p, FileAction::Create);
    assert!(
        created.contains(&"lib/parse-options.js".to_string()),
        "{created:?}"
    );
}

#[test]
fn with_the_index_shapes_add_no_module_nobody_named() {
    let dir = repo(&[
        ("Cargo.toml", "[package]\nname = \"cfg\"\n"),
        ("src/lib.rs", "mod settings;\n"),
        (
            "src/settings.rs",
            "lazy_static! { static ref S: u8 = 1; }\n",
        ),
    ]);
    let res = Resolution {
        names: vec![named(
            "lazy_static",
            NameForm::SnakeCase,
            vec![sym("S", SymbolKind::Constant, "src/settings.rs", (1, 1))],
        )],
        files: vec![ranked("src/settings.rs", 3.0, "uses lazy_static")],
        test_layouts: vec!["inline #[cfg(test)] mod".into()],
        ..Default::default()
    };
    for task in [
        "Replace lazy_static with once_cell",
        "Add a settings cache with expiry",
    ] {
        let p = plan(task, &probe("Rust", "cargo test"), dir.path(), &res);
        let created = files(&p, FileAction::Create);
        assert!(created.is_empty(), "{task}: {created:?}");
        assert!(files(&p, FileAction::Modify).contains(&"src/settings.rs".to_string()));
    }
}

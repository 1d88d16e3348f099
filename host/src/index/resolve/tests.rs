use super::*;
use crate::index::tests::{index_of, polyglot, touch};
use crate::model::resolution::SymbolKind;

fn resolved(task: &str) -> Resolution {
    let dir = tempfile::tempdir().unwrap();
    polyglot(dir.path());
    // Distractors: files that repeat the task's words without defining what it names.
    touch(
        dir.path(),
        "src/error_display.rs",
        "use crate::ast::ErrorKind;\n/// Error kind display: repetition count messages.\npub fn error_kind_repetition_count_message(kind: &ErrorKind) -> &'static str {\n    match kind { ErrorKind::RepetitionCountInvalid => \"repetition count invalid\", ErrorKind::RepetitionCountUnclosed => \"repetition count unclosed\" }\n}\npub fn repetition_count_error_kind() {}\npub fn count_repetition_error() {}\n",
    );
    touch(
        dir.path(),
        "lib/command.js",
        "class Command {\n  _parseOptionsEnv(env) { return env; }\n  parse(argv) { return this._parseOptionsEnv(argv); }\n}\nfunction cli() { return new Command().option('--json', 'as JSON'); }\nmodule.exports = { Command, cli };\n",
    );
    touch(
        dir.path(),
        "src/like.py",
        "def whose_returning_like():\n    like = whose = returning = 1\n    return like\n",
    );
    resolve(&index_of(dir.path()), task)
}

fn paths(r: &Resolution) -> Vec<&str> {
    r.files.iter().map(|f| f.path.as_str()).collect()
}

fn named<'a>(r: &'a Resolution, text: &str) -> &'a NamedRef {
    r.names
        .iter()
        .find(|n| n.text == text)
        .unwrap_or_else(|| panic!("{text}: {:#?}", r.names))
}

#[test]
fn add_x_to_y_ranks_the_file_defining_y_first() {
    let r = resolved("Add `RepetitionCountTooLarge` to `ast::ErrorKind`");
    assert_eq!(paths(&r)[0], "src/ast/mod.rs", "{:#?}", r.files);
    assert!(
        r.files[0].reasons[0].contains("defines ErrorKind (named in the task)"),
        "{:?}",
        r.files[0].reasons
    );
    let y = named(&r, "ast::ErrorKind");
    assert!(y.exact);
    assert_eq!(y.form, NameForm::Backticked);
    assert_eq!(
        (y.symbols[0].name.as_str(), y.symbols[0].kind),
        ("ErrorKind", SymbolKind::Enum)
    );
    let x = named(&r, "RepetitionCountTooLarge");
    assert!(!x.exact && x.symbols.is_empty(), "{x:?}");
    assert_eq!(r.symbols[0].name, "ErrorKind");
    assert_eq!(
        r.symbols[0].signature.as_deref(),
        Some("pub enum ErrorKind")
    );
    // The users of ErrorKind come next, and say so.
    let parse = r
        .files
        .iter()
        .find(|f| f.path == "src/parse.rs")
        .expect("a user of ErrorKind");
    assert!(
        parse
            .reasons
            .iter()
            .any(|x| x == "uses ErrorKind (defined in src/ast/mod.rs)"),
        "{parse:?}"
    );
    // Its tests, in the project's own layout: the inline module of the defining file.
    let t = &r.tests[0];
    assert_eq!(
        (t.path.as_str(), t.module.as_deref()),
        ("src/ast/mod.rs", Some("tests")),
        "{:#?}",
        r.tests
    );
    assert!(r
        .test_layouts
        .iter()
        .any(|l| l == "inline #[cfg(test)] mod"));
    assert!(r.to_create.is_empty());
}

#[test]
fn a_named_path_that_does_not_exist_is_a_file_to_create() {
    let r = resolved("move `_parseOptionsEnv` into a new lib/parse-options.js");
    assert_eq!(r.to_create, ["lib/parse-options.js"]);
    assert_eq!(paths(&r)[0], "lib/command.js", "{:#?}", r.files);
    assert!(
        r.files[0].reasons[0].contains("defines _parseOptionsEnv"),
        "{:?}",
        r.files[0]
    );
    assert_eq!(named(&r, "lib/parse-options.js").form, NameForm::FilePath);
}

#[test]
fn each_name_form_in_each_language() {
    // (task, name, the file it must resolve to, exact)
    let cases = [
        (
            "Use pflag.ShorthandLookup in the parser",
            "pflag.ShorthandLookup",
            "pflag/flag.go",
            true,
        ),
        ("Rename FlagSet", "FlagSet", "pflag/flag.go", true),
        (
            "Harden check_password",
            "check_password",
            "app/auth.py",
            true,
        ),
        (
            "Harden checkPassword",
            "checkPassword",
            "app/auth.py",
            false,
        ),
        (
            "Call Engine.start twice",
            "Engine.start",
            "java/src/main/java/com/acme/Engine.java",
            true,
        ),
        ("Speed up parseArgs", "parseArgs", "web/src/parse.ts", true),
        (
            "Make `Parser::parse_counted_repetition` strict",
            "Parser::parse_counted_repetition",
            "src/parse.rs",
            true,
        ),
        ("Document the --json flag", "--json", "lib/command.js", true),
        ("Split app/auth.py", "app/auth.py", "app/auth.py", true),
        ("Split auth.py", "auth.py", "app/auth.py", false),
    ];
    for (task, name, file, exact) in cases {
        let r = resolved(task);
        let n = named(&r, name);
        assert_eq!(
            n.files.first().map(String::as_str),
            Some(file),
            "{task}: {n:#?}"
        );
        assert_eq!(n.exact, exact, "{task}: {n:#?}");
        assert_eq!(
            paths(&r).first().copied(),
            Some(file),
            "{task}: {:#?}",
            r.files
        );
    }
}

#[test]
fn a_flag_resolves_to_flags_only() {
    // `json` is defined nowhere as a flag but `--json` is declared in lib/command.js;
    // `--max-retries` is declared nowhere: it must not fall back to a function or module.
    let r = resolved("Rename --max-retries like --json");
    assert!(named(&r, "--max-retries").symbols.is_empty());
    assert_eq!(named(&r, "--json").symbols[0].path, "lib/command.js");
    let r = resolved("Use `json` output");
    assert!(named(&r, "json")
        .symbols
        .iter()
        .all(|s| s.kind != SymbolKind::Flag));
}

#[test]
fn a_member_to_add_resolves_its_type() {
    let r = resolved("Add `Parser::parse_bounded` next to the counted one");
    let n = named(&r, "Parser::parse_bounded");
    assert!(!n.exact);
    assert_eq!(n.symbols[0].name, "Parser");
    assert_eq!(paths(&r)[0], "src/parse.rs");
}

#[test]
fn stop_words_are_no_evidence() {
    let r = resolved("Make it work like the one whose result is returning early");
    assert!(!paths(&r).contains(&"src/like.py"), "{:#?}", r.files);
}

#[test]
fn every_ranked_file_says_why_and_tests_rank_low() {
    let r = resolved("Fix login when check_password fails");
    assert!(r.files.iter().all(|f| !f.reasons.is_empty()));
    assert_eq!(paths(&r)[0], "app/auth.py");
    let t = r.files.iter().find(|f| f.path == "tests/test_auth.py");
    assert!(t.is_none_or(|t| t.is_test && t.score < r.files[0].score));
    assert!(
        r.tests
            .iter()
            .any(|t| t.path == "tests/test_auth.py" && t.exercises == ["app/auth.py"]),
        "{:#?}",
        r.tests
    );
}

#[test]
fn vocabulary_knows_definitions_uses_and_imports() {
    let r = resolved("anything");
    assert!(r.vocabulary.defines("ErrorKind"));
    assert!(!r.vocabulary.defines("testing"));
    assert!(r.vocabulary.knows("testing"), "an import path segment");
    assert!(r.vocabulary.knows("check_password"));
    assert!(!r.vocabulary.knows("NoSuchThing"));
}

#[test]
fn empty_index_resolves_nothing_but_paths_to_create() {
    let idx = CodeIndex::default();
    let r = resolve(&idx, "Add `Foo` in src/foo.rs");
    assert!(r.files.is_empty() && r.symbols.is_empty());
    assert_eq!(r.to_create, ["src/foo.rs"]);
    assert_eq!(r.names.len(), 2);
}

#[test]
fn tests_in_an_inline_test_module_are_not_ranked_as_code_to_change() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "Cargo.toml", "[package]\nname = \"sim\"\n");
    touch(
        dir.path(),
        "src/lib.rs",
        "pub fn osa_distance(a: &str, b: &str) -> usize { a.len() + b.len() }\n\n\
         #[cfg(test)]\nmod tests {\n    use super::*;\n    #[test]\n    fn osa_distance_empty() { assert_eq!(osa_distance(\"\", \"\"), 0); }\n    #[test]\n    fn osa_distance_same() { assert_eq!(osa_distance(\"a\", \"a\"), 2); }\n}\n",
    );
    let r = resolve(
        &index_of(dir.path()),
        "Add a normalized osa distance returning a similarity",
    );
    let names: Vec<&str> = r.symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.first(), Some(&"osa_distance"), "{names:?}");
    assert!(
        !names.iter().any(|n| n.starts_with("osa_distance_")),
        "{names:?}"
    );
    // Named in the task, a test is still found.
    let named = resolve(&index_of(dir.path()), "Fix `osa_distance_same`");
    assert!(
        named.symbols.iter().any(|s| s.name == "osa_distance_same"),
        "{:?}",
        named.symbols
    );
}

#[test]
fn the_words_of_a_file_to_create_do_not_rank_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    touch(
        dir.path(),
        "pkg/filesize.py",
        "def naturalsize(value):\n    return str(value)\n",
    );
    touch(
        dir.path(),
        "pkg/time.py",
        "class Unit:\n    pass\n\ndef minimum_unit(units):\n    return units\n",
    );
    let r = resolve(
        &index_of(dir.path()),
        "Move naturalsize into a new module pkg/units.py",
    );
    assert_eq!(r.to_create, vec!["pkg/units.py".to_string()]);
    assert_eq!(paths(&r), vec!["pkg/filesize.py"], "{:?}", r.files);
    // A dotted member with a slash is no file to create: its words still count.
    let r = resolve(&index_of(dir.path()), "Check Unit.minimum/maximum in time");
    assert!(paths(&r).contains(&"pkg/time.py"), "{:?}", r.files);
}

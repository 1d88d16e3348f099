//! Validation on small real projects built in a temporary directory (docs/design.md §6b): the
//! preflight installs dependencies the project's own way inside the gate sandbox, and a missing
//! toolchain ends the run "blocked by environment" without re-planning.
use crate::common;
use common::*;
use std::path::Path;

fn write(root: &Path, files: &[(&str, &str)]) {
    for (rel, text) in files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

fn run_on(repo: &Path, runs: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut full: Vec<String> = vec![
        "--repo".into(),
        repo.display().to_string(),
        "--out".into(),
        runs.display().to_string(),
        "--quiet".into(),
        // The preflight is what these tests are about (the suite's default skips it).
        "--preflight".into(),
        "install".into(),
    ];
    full.extend(args.iter().map(|s| s.to_string()));
    anneal(&full, env)
}

fn only_run(runs: &Path) -> std::path::PathBuf {
    let dirs: Vec<_> = std::fs::read_dir(runs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// An npm project whose test runner is a dev dependency (a local package, so the test needs no
/// network): `npm ci` installs it from the lockfile into the sandboxed scratch copy, then the
/// `npm test` gate finds it in `node_modules/.bin` and passes.
#[test]
fn npm_test_runner_is_installed_from_the_lockfile_before_the_gate() {
    if common::nested() || which::which("npm").is_err() {
        assert!(
            common::nested() || std::env::var_os("CI").is_none(),
            "npm is needed on CI"
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("greeter");
    let runs = t.path().join("runs");
    write(
        &repo,
        &[
            ("package.json", r#"{"name":"greeter","version":"1.0.0","scripts":{"test":"minitest"},"devDependencies":{"minitest":"file:tools/minitest"}}"#),
            ("package-lock.json", r#"{"name":"greeter","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"greeter","version":"1.0.0","devDependencies":{"minitest":"file:tools/minitest"}},"node_modules/minitest":{"resolved":"tools/minitest","link":true},"tools/minitest":{"version":"1.0.0","dev":true,"bin":{"minitest":"bin.js"}}}}"#),
            ("tools/minitest/package.json", r#"{"name":"minitest","version":"1.0.0","bin":{"minitest":"bin.js"}}"#),
            ("tools/minitest/bin.js", "#!/usr/bin/env node\nconst g = require('../../index.js');\nif (g.greet('Ada') !== 'Hello, Ada') { console.log('0 passed, 1 failed'); process.exit(1); }\nconsole.log('1 passed, 0 failed');\n"),
            ("index.js", "exports.greet = (name) => `Hello, ${name}`;\n"),
            (".gitignore", "node_modules/\n"),
        ],
    );
    let out = run_on(
        &repo,
        &runs,
        &[
            "--gate-sandbox",
            "on",
            "--offline",
            "Add a farewell function next to greet in index.js",
        ],
        &[],
    );
    let run = only_run(&runs);
    let preflight =
        std::fs::read_to_string(run.join("evidence/preflight.log")).unwrap_or_else(|e| {
            panic!(
                "no preflight log ({e}); stdout:\n{}\nstderr:\n{}",
                stdout(&out),
                stderr(&out)
            )
        });
    assert!(
        preflight.contains("command: npm ci --no-audit --no-fund --offline"),
        "{preflight}"
    );
    assert!(
        preflight.trim_end().ends_with("exit status: 0"),
        "{preflight}"
    );
    let gate = std::fs::read_to_string(run.join("evidence/phase-00-gate-1.log")).unwrap();
    assert!(
        gate.contains("command: npm test") && gate.contains("1 passed, 0 failed"),
        "{gate}"
    );
    assert!(gate.trim_end().ends_with("exit status: 0"), "{gate}");
    assert!(
        stdout(&out).contains("gate sandbox: bubblewrap"),
        "{}",
        stdout(&out)
    );
}

/// Builds `vendor/pytest-8.0.0-py3-none-any.whl` in `repo`: a local package (a wheel, so
/// installing it needs no build backend and no index) providing a minimal `python3 -m pytest`
/// that runs `tests/test_*.py` and prints `minipytest: N passed, M failed`, so the test can tell
/// the virtual environment's runner from any pytest installed on the machine.
fn local_pytest_wheel(repo: &Path) {
    let script = r#"
import sys, zipfile
main = '''
import glob, importlib.util, sys, traceback
sys.path.insert(0, '.')
passed = failed = 0
for f in sorted(glob.glob('tests/test_*.py')):
    spec = importlib.util.spec_from_file_location(f[:-3].replace('/', '.'), f)
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    for name in sorted(dir(mod)):
        if name.startswith('test_'):
            try:
                getattr(mod, name)(); passed += 1
            except Exception:
                traceback.print_exc(); failed += 1
print(f'minipytest: {passed} passed, {failed} failed')
sys.exit(1 if failed or not passed else 0)
'''
files = {
    'pytest/__init__.py': '',
    'pytest/__main__.py': main,
    'pytest-8.0.0.dist-info/METADATA': 'Metadata-Version: 2.1\nName: pytest\nVersion: 8.0.0\n',
    'pytest-8.0.0.dist-info/WHEEL': 'Wheel-Version: 1.0\nGenerator: anneal-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n',
}
files['pytest-8.0.0.dist-info/RECORD'] = ''.join(f'{n},,\n' for n in files) + 'pytest-8.0.0.dist-info/RECORD,,\n'
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for n, t in files.items():
        z.writestr(n, t)
"#;
    std::fs::create_dir_all(repo.join("vendor")).unwrap();
    let st = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(repo.join("vendor/pytest-8.0.0-py3-none-any.whl"))
        .status()
        .unwrap();
    assert!(st.success());
}

/// A Python project whose test runner is declared only in `tox.ini` (`commands = pytest`) and
/// installed from a local package its `[testenv] deps` name: the preflight creates `.venv` in
/// the sandboxed scratch copy and installs it with no network, and the `python3 -m pytest`
/// gate runs the virtual environment's runner (not one installed on the machine).
#[test]
fn python_venv_installs_the_tox_deps_before_the_pytest_gate() {
    if common::nested() || which::which("python3").is_err() {
        assert!(
            common::nested() || std::env::var_os("CI").is_none(),
            "python3 is needed on CI"
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("greeter");
    let runs = t.path().join("runs");
    write(
        &repo,
        &[
            ("tox.ini", "[tox]\nenvlist = py3\n\n[testenv]\ndeps =\n    vendor/pytest-8.0.0-py3-none-any.whl\ncommands = pytest\n"),
            ("greet.py", "def greet(name):\n    return f\"Hello, {name}\"\n"),
            ("tests/test_greet.py", "from greet import greet\n\n\ndef test_greet():\n    assert greet(\"Ada\") == \"Hello, Ada\"\n"),
            (".gitignore", ".venv/\n"),
        ],
    );
    local_pytest_wheel(&repo);
    let out = run_on(
        &repo,
        &runs,
        &[
            "--gate-sandbox",
            "on",
            "--offline",
            "Add a farewell function next to greet in greet.py",
        ],
        &[],
    );
    let run = only_run(&runs);
    let preflight =
        std::fs::read_to_string(run.join("evidence/preflight.log")).unwrap_or_else(|e| {
            panic!(
                "no preflight log ({e}); stdout:\n{}\nstderr:\n{}",
                stdout(&out),
                stderr(&out)
            )
        });
    assert!(
        preflight.contains("-m venv .venv") || preflight.contains("uv venv"),
        "{preflight}"
    );
    assert!(
        preflight.contains("vendor/pytest-8.0.0-py3-none-any.whl"),
        "{preflight}"
    );
    assert!(
        preflight.trim_end().ends_with("exit status: 0"),
        "{preflight}"
    );
    let gate = std::fs::read_to_string(run.join("evidence/phase-00-gate-1.log")).unwrap();
    assert!(
        gate.contains("command: python3 -m pytest")
            && gate.contains("minipytest: 1 passed, 0 failed"),
        "{gate}"
    );
    assert_eq!(out.status.code(), Some(0), "stdout:\n{}", stdout(&out));
    // The user's repository is untouched: the environment was made in the scratch copy.
    assert!(!repo.join(".venv").exists());
}

/// A Go project on a machine without Go: the preflight names the missing tool, the run ends
/// "blocked by environment" (exit 6) after one iteration instead of re-planning three times.
#[test]
fn missing_toolchain_blocks_by_environment_without_reloop() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("hello");
    let runs = t.path().join("runs");
    write(
        &repo,
        &[
            ("go.mod", "module example.com/hello\n\ngo 1.21\n"),
            ("main.go", "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(greet(\"Ada\")) }\n\nfunc greet(n string) string { return \"Hello, \" + n }\n"),
            ("main_test.go", "package main\n\nimport \"testing\"\n\nfunc TestGreet(t *testing.T) { if greet(\"Ada\") != \"Hello, Ada\" { t.Fatal() } }\n"),
        ],
    );
    // PATH without any directory that holds a `go`.
    let path: Vec<_> = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .filter(|d| !d.join("go").exists())
        .collect();
    let path = std::env::join_paths(path).unwrap();
    let out = run_on(
        &repo,
        &runs,
        &["Add a farewell function next to greet in main.go"],
        &[("PATH", path.to_str().unwrap())],
    );
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(6),
        "stdout:\n{text}\nstderr:\n{}",
        stderr(&out)
    );
    assert!(
        text.contains("blocked by environment: `go` is not installed"),
        "{text}"
    );
    let run = only_run(&runs);
    let rollup = rollup(&run);
    assert_eq!(rollup["iteration_count"].as_u64(), Some(1), "{rollup:?}");
    assert!(
        rollup["blocked_by_environment"]
            .as_str()
            .is_some_and(|w| w.contains("`go` is not installed")),
        "{rollup:?}"
    );
    let heph = std::fs::read_to_string(run.join("evidence/hephaestus.md")).unwrap();
    assert!(heph.contains("not run: blocked by environment"), "{heph}");
    // Found once, by the baseline's preparation alongside planning: stage 6 reports it
    // instead of preparing a second scratch copy.
    assert!(heph.contains("found by the baseline's preflight"), "{heph}");
}

/// A crate with one test that already fails on the untouched repository (1 of 11): the
/// phase-00 `cargo test` gate passes on its baseline — the failing test recorded in
/// `evidence/baseline.json` and told to the executing agent as a low finding — instead of
/// blocking every plan.
#[test]
fn a_pre_existing_failing_test_is_the_baseline_not_a_blocker() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("adder");
    let runs = t.path().join("runs");
    let mut tests = String::new();
    for i in 0..10 {
        tests.push_str(&format!(
            "    #[test]\n    fn adds_{i}() {{\n        assert_eq!(add({i}, 1), {});\n    }}\n",
            i + 1
        ));
    }
    let lib = format!(
        "pub fn add(a: i64, b: i64) -> i64 {{\n    a + b\n}}\n\n#[cfg(test)]\nmod tests {{\n    use super::*;\n\n{tests}    #[test]\n    fn known_broken() {{\n        assert_eq!(add(2, 2), 5);\n    }}\n}}\n"
    );
    write(
        &repo,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"adder\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", &lib),
            (".gitignore", "target/\n"),
        ],
    );
    let out = run_on(
        &repo,
        &runs,
        &["--offline", "Add a sub function next to add in src/lib.rs"],
        &[],
    );
    let run = only_run(&runs);
    let text = format!("stdout:\n{}\nstderr:\n{}", stdout(&out), stderr(&out));
    let baseline = std::fs::read_to_string(run.join("evidence/baseline.json"))
        .unwrap_or_else(|e| panic!("no evidence/baseline.json ({e}); {text}"));
    let b: serde_json::Value = serde_json::from_str(&baseline).unwrap();
    assert_eq!(b[0]["runner"], "cargo test", "{baseline}");
    assert_eq!(b[0]["failing"][0], "tests::known_broken", "{baseline}");
    assert_eq!(b[0]["passed"], 10, "{baseline}");
    let heph = std::fs::read_to_string(run.join("reviews/hephaestus.yaml")).unwrap();
    assert!(heph.contains("verdict: SAFE"), "{heph}\n{text}");
    assert!(
        heph.contains("location: evidence/baseline.json") && heph.contains("severity: low"),
        "{heph}"
    );
    assert_eq!(out.status.code(), Some(0), "{text}");

    // A task about that failure waits for the baseline before planning and makes it the work:
    // the first phase after the preflight makes `tests::known_broken` pass, gated on the
    // command that runs it; the plan still EMITs (cargo's build is cached from the first run).
    let runs2 = t.path().join("runs2");
    std::fs::create_dir_all(&runs2).unwrap();
    let out = anneal(
        &[
            "--repo".into(),
            repo.display().to_string(),
            "--out".into(),
            runs2.display().to_string(),
            "--offline".into(),
            "Fix the failing test known_broken".into(),
        ],
        &[(
            "ANNEAL_CARGO_TARGET_DIR",
            t.path().join("cache/cargo-target").to_str().unwrap(),
        )],
    );
    let text = format!("stdout:\n{}\nstderr:\n{}", stdout(&out), stderr(&out));
    assert!(
        stderr(&out)
            .contains("the task is about failing tests, so planning waits for the baseline"),
        "{text}"
    );
    let run = only_run(&runs2);
    let plan = std::fs::read_to_string(run.join("plan/plan.md")).unwrap();
    let phase01 = std::fs::read_dir(run.join("plan"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("phase-01-")
        })
        .unwrap_or_else(|| panic!("no phase 01: {plan}"));
    let phase01 = std::fs::read_to_string(phase01).unwrap();
    assert!(
        phase01.contains("Make the pre-existing failures pass")
            && phase01.contains("tests::known_broken"),
        "{phase01}\n{text}"
    );
    assert!(phase01.contains("cargo test"), "{phase01}");
    assert_eq!(out.status.code(), Some(0), "{text}");
}

/// A declared command that already fails on the untouched repository (`make build`) is no gate
/// of the emitted plan: phase 00 names it with its baseline evidence, and the run EMITs on the
/// commands that pass (docs/design.md §6, "a baseline, not a blocker").
#[test]
fn a_command_failing_before_any_change_is_dropped_from_the_gates_and_named() {
    if common::nested() {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let repo = t.path().join("greeter");
    let runs = t.path().join("runs");
    write(
        &repo,
        &[
            (
                "Makefile",
                ".PHONY: build test\n\nbuild:\n\tpython3 -c \"raise SystemExit('generated headers missing')\"\n\ntest:\n\tpython3 -m unittest discover -s tests -t .\n",
            ),
            ("greet.py", "def greet(name):\n    return 'Hello, ' + name\n"),
            ("tests/__init__.py", ""),
            (
                "tests/test_greet.py",
                "import unittest\n\nfrom greet import greet\n\n\nclass GreetTest(unittest.TestCase):\n    def test_greet(self):\n        self.assertEqual(greet('Ada'), 'Hello, Ada')\n",
            ),
        ],
    );
    let out = run_on(
        &repo,
        &runs,
        &[
            "--offline",
            "Add a farewell function next to greet in greet.py",
        ],
        &[],
    );
    let text = format!("stdout:\n{}\nstderr:\n{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}");
    let run = only_run(&runs);
    let plan = run.join("plan");
    for e in std::fs::read_dir(&plan).unwrap() {
        let md = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!md.contains("- [ ] Run `make build`"), "{md}");
    }
    let preflight = std::fs::read_to_string(plan.join("phase-00-preflight.md")).unwrap();
    assert!(
        preflight.contains("`make build` (Makefile) already fails on the untouched repository")
            && preflight.contains("evidence/baseline-gate-"),
        "{preflight}"
    );
}

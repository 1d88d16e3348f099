//! `anneal review` end to end (docs/design.md §5, §8), on a one-file Python repository built
//! here (greet.py and a Makefile): the Alloy run with seven variants that must EMIT, the review
//! of its run directory and of the review's own output, and a plan directory edited by hand.
use crate::common::*;
use std::path::{Path, PathBuf};

const TASK: &str = "Add a --shout flag to greet.py that prints the greeting in upper case";

const GREET: &str = r#"import argparse


def greet(name):
    return f"Hello, {name}!"


def main():
    parser = argparse.ArgumentParser(description="Greet someone.")
    parser.add_argument("name", nargs="?", default="world")
    args = parser.parse_args()
    print(greet(args.name))


if __name__ == "__main__":
    main()
"#;

const MAKEFILE: &str =
    "test:\n\tpython3 -c \"import greet; assert greet.greet('x') == 'Hello, x!'\"\n";

/// A temporary directory with `greet/` (the repository) and `runs/`.
fn greet() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let repo = d.path().join("greet");
    std::fs::create_dir_all(&repo).unwrap();
    std::fs::write(repo.join("greet.py"), GREET).unwrap();
    std::fs::write(repo.join("Makefile"), MAKEFILE).unwrap();
    std::fs::create_dir(d.path().join("runs")).unwrap();
    d
}

fn run(root: &Path, args: &[&str]) -> std::process::Output {
    let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    full.extend(
        [
            "--repo",
            &root.join("greet").display().to_string(),
            "--out",
            &root.join("runs").display().to_string(),
            "--quiet",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    anneal(&full, &[])
}

/// The run directories under `runs/`, oldest first.
fn runs(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("runs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn phases_of(variant: &str) -> usize {
    variant.matches("\n## Phase ").count() + usize::from(variant.starts_with("## Phase "))
}

fn reviewed(dir: &Path) -> serde_yaml::Value {
    rollup(dir)["reviewed"].clone()
}

#[test]
fn greet_shout_with_seven_alloy_variants_emits_and_reviews_of_it_emit_too() {
    if nested() {
        return;
    }
    let d = greet();
    let out = run(
        d.path(),
        &["--strategy", "alloy", "--opt", "versions=7", TASK],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let planned = runs(d.path()).remove(0);
    // The blend keeps what most variants agree on; the minimalist variant is visibly shorter.
    let blend = std::fs::read_to_string(planned.join("plan/plan.md")).unwrap();
    let n_blend = blend.matches("](phase-").count() - blend.matches("[00](phase-").count();
    assert!(n_blend <= 6, "the blend has {n_blend} phases:\n{blend}");
    let provenance = std::fs::read_to_string(planned.join("synthesis-provenance.md")).unwrap();
    assert!(
        provenance.contains("## Phases left out of the blend"),
        "{provenance}"
    );
    let variant = |n: &str| std::fs::read_to_string(planned.join("variants").join(n)).unwrap();
    let minimal = phases_of(&variant("variant-2-minimalist.md"));
    for other in [
        "variant-1-correctness.md",
        "variant-3-defensive.md",
        "variant-4-performance.md",
    ] {
        assert!(
            minimal < phases_of(&variant(other)),
            "minimalist {minimal} vs {other}"
        );
    }

    // Its review: a new run directory, the same verdict, nothing written into the reviewed one.
    let before = std::fs::read_dir(&planned).unwrap().count();
    let out = run(d.path(), &["review", &planned.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    assert_eq!(std::fs::read_dir(&planned).unwrap().count(), before);
    let review = runs(d.path()).pop().unwrap();
    assert!(review
        .file_name()
        .unwrap()
        .to_string_lossy()
        .contains("-review-"));
    for f in [
        "plan/plan.md",
        "rollup.yaml",
        "reviews/momus.yaml",
        "reviews/redteam-security.yaml",
        "reviews/redteam-scope.yaml",
        "reviews/redteam-assumptions.yaml",
        "reviews/oracle.yaml",
        "reviews/hephaestus.yaml",
        "evidence/hephaestus.md",
        "probe-report.yaml",
    ] {
        assert!(review.join(f).is_file(), "{f} missing in the review");
    }
    assert_eq!(rollup(&review)["emission_decision"], "EMIT");
    assert_eq!(
        reviewed(&review)["source"].as_str().unwrap(),
        std::fs::canonicalize(&planned)
            .unwrap()
            .display()
            .to_string()
    );
    assert!(
        reviewed(&review)["unreadable"].is_null(),
        "{:?}",
        reviewed(&review)
    );

    // The review of the review: its plan/ reads back the same and passes the same way.
    let out = run(d.path(), &["review", &review.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let again = runs(d.path()).pop().unwrap();
    let phases = |dir: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join("plan"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(phases(&again), phases(&planned));
}

#[test]
fn a_hand_edited_plan_directory_is_reviewed_with_what_it_broke() {
    if nested() {
        return;
    }
    let d = greet();
    let out = run(d.path(), &[TASK]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let planned = runs(d.path()).remove(0);
    let edited = d.path().join("edited-plan");
    std::fs::create_dir(&edited).unwrap();
    let mut implement = None;
    for e in std::fs::read_dir(planned.join("plan")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.contains("-implement-") {
            implement = Some(name.clone());
        }
        std::fs::copy(&p, edited.join(&name)).unwrap();
    }
    let implement = edited.join(implement.expect("an implementation phase"));

    // A person rewords a step: still a good plan.
    let text = std::fs::read_to_string(&implement).unwrap();
    let reworded = text.replacen("\n1. ", "\n1. First, ", 1);
    std::fs::write(&implement, &reworded).unwrap();
    let out = run(d.path(), &["review", &edited.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );

    // Then points the phase at a file that does not exist and writes a line anneal cannot read.
    let broken = reworded.replace(
        "- **modify** `greet.py`",
        "- **modify** `greeter.py`\n- greeter_test.py",
    );
    assert_ne!(
        broken, reworded,
        "the implementation phase modifies greet.py"
    );
    std::fs::write(&implement, &broken).unwrap();
    let out = run(d.path(), &["review", &edited.display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let review = runs(d.path()).pop().unwrap();
    let line = broken
        .lines()
        .position(|l| l == "- greeter_test.py")
        .unwrap()
        + 1;
    let unreadable: Vec<String> = reviewed(&review)["unreadable"]
        .as_sequence()
        .expect("unreadable parts recorded")
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let name = implement
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        unreadable
            .iter()
            .any(|u| u.starts_with(&format!("plan/{name}:{line}:"))),
        "{unreadable:?}"
    );
    let momus = envelope(&review, "reviews/momus.yaml");
    assert!(momus
        .findings
        .iter()
        .any(|f| f.location == format!("plan/{name}#L{line}")));
    let assumptions = envelope(&review, "reviews/redteam-assumptions.yaml");
    assert!(
        assumptions
            .findings
            .iter()
            .any(|f| f.severity == anneal::model::Severity::Critical
                && f.concern.contains("greeter.py, which does not exist")),
        "{:?}",
        assumptions.findings
    );
    assert!(momus.score.unwrap() < 70, "score {:?}", momus.score);
}

#[test]
fn review_refuses_what_is_not_a_plan() {
    let d = greet();
    let out = run(
        d.path(),
        &["review", &d.path().join("greet").display().to_string()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("neither a run directory"),
        "{}",
        stderr(&out)
    );
    assert!(runs(d.path()).is_empty(), "nothing written");
}

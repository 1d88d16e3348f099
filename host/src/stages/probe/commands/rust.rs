//! Rust: `cargo build` and `cargo test` from the root `Cargo.toml` (`--workspace` for a
//! workspace), `cargo run` for a root binary. Clippy and rustfmt are not part of every build:
//! they are commands only where the project runs them — a plain CI line (taken verbatim, so
//! the project's own flags are kept) or their configuration (`clippy.toml`, a `[lints.clippy]`
//! table, `rustfmt.toml`).

use std::collections::BTreeSet;

use super::ci_steps::{self, CiLine};
use super::{text, Commands};
use crate::stages::probe::manifests::Manifest;

/// Adds the Rust commands of the root manifest `m` (module docs) to `out`.
pub(super) fn cargo(
    out: &mut Commands,
    m: &Manifest,
    root_files: &BTreeSet<String>,
    ci: &[CiLine],
) {
    let Ok(doc) = toml::from_str::<toml::Table>(text(m)) else {
        return;
    };
    let src = &m.rel;
    let workspace = doc.contains_key("workspace");
    if !workspace && !doc.contains_key("package") {
        return;
    }
    let ws = if workspace { " --workspace" } else { "" };
    out.push("build", &format!("cargo build{ws}"), src);
    out.push("test", &format!("cargo test{ws}"), src);
    if let Some(l) = ci_steps::plain_starting(ci, &["cargo", "clippy"]) {
        out.push("lint", &l.line, &l.file);
    } else if let Some(from) = clippy_config(&doc, src, root_files) {
        out.push("lint", &format!("cargo clippy{ws} --all-targets"), &from);
    }
    let fmt_check = |l: &CiLine| l.line.contains("--check");
    if let Some(l) = ci_steps::plain_starting(ci, &["cargo", "fmt"]).filter(|l| fmt_check(l)) {
        out.push("format", &l.line, &l.file);
    } else if let Some(f) = ["rustfmt.toml", ".rustfmt.toml"]
        .iter()
        .find(|f| root_files.contains(**f))
    {
        let all = if workspace { " --all" } else { "" };
        out.push("format", &format!("cargo fmt{all} -- --check"), f);
    }
    if doc.contains_key("package") && root_files.contains("src/main.rs") {
        out.push("run", "cargo run", src);
    }
}

/// Where the project configures clippy: `clippy.toml`, or a `[lints.clippy]` /
/// `[workspace.lints.clippy]` table of the root manifest.
fn clippy_config(doc: &toml::Table, src: &str, root_files: &BTreeSet<String>) -> Option<String> {
    if let Some(f) = ["clippy.toml", ".clippy.toml"]
        .iter()
        .find(|f| root_files.contains(**f))
    {
        return Some((*f).to_string());
    }
    let lints = doc
        .get("lints")
        .or_else(|| doc.get("workspace")?.get("lints"));
    lints
        .and_then(|l| l.get("clippy"))
        .map(|_| format!("{src} [lints.clippy]"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stages::probe::manifests::Kind;

    fn run(toml: &str, files: &[&str], ci: &[(&str, &str)]) -> Vec<String> {
        let m = Manifest {
            rel: "Cargo.toml".into(),
            kind: Kind::Cargo,
            text: Some(toml.into()),
        };
        let ci: Vec<CiLine> = ci
            .iter()
            .map(|(f, l)| CiLine {
                file: f.to_string(),
                line: l.to_string(),
            })
            .collect();
        let mut out = Commands::default();
        cargo(
            &mut out,
            &m,
            &files.iter().map(|f| f.to_string()).collect(),
            &ci,
        );
        out.0
            .iter()
            .map(|c| format!("{}: {} ({})", c.purpose, c.command, c.source))
            .collect()
    }

    #[test]
    fn clippy_and_fmt_are_never_invented() {
        assert_eq!(
            run("[package]\nname = 'regex-syntax'\n", &["src/lib.rs"], &[]),
            [
                "build: cargo build (Cargo.toml)",
                "test: cargo test (Cargo.toml)"
            ]
        );
    }

    #[test]
    fn clippy_and_fmt_from_ci_verbatim_or_config() {
        let ci = [
            ("ci.yml", "cargo clippy --features ${{ matrix.f }}"),
            ("ci.yml", "cargo clippy --workspace -- -D warnings"),
            ("ci.yml", "cargo fmt --all"),
        ];
        assert_eq!(
            run("[workspace]\nmembers = ['a']\n", &["rustfmt.toml"], &ci),
            [
                "build: cargo build --workspace (Cargo.toml)",
                "test: cargo test --workspace (Cargo.toml)",
                "lint: cargo clippy --workspace -- -D warnings (ci.yml)",
                "format: cargo fmt --all -- --check (rustfmt.toml)"
            ]
        );
        assert_eq!(
            run(
                "[package]\nname = 'x'\n[lints.clippy]\npedantic = 'warn'\n",
                &["src/main.rs"],
                &[]
            ),
            [
                "build: cargo build (Cargo.toml)",
                "test: cargo test (Cargo.toml)",
                "lint: cargo clippy --all-targets (Cargo.toml [lints.clippy])",
                "run: cargo run (Cargo.toml)"
            ]
        );
    }
}

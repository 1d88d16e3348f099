//! JavaScript and TypeScript: the scripts `package.json` defines, run with the package manager
//! the project uses — the `packageManager` field (Corepack's declaration) first, else the
//! lockfile (`pnpm-lock.yaml`, `yarn.lock`, `bun.lock`/`bun.lockb`, `package-lock.json`), else
//! npm.

use std::collections::BTreeSet;

use super::{text, Commands};
use crate::stages::probe::manifests::Manifest;

/// The package manager of a project whose root `package.json` has the text `package_json`:
/// `npm`, `pnpm`, `yarn` or `bun` (module docs).
pub fn package_manager(package_json: &str, root_files: &BTreeSet<String>) -> &'static str {
    let declared = serde_json::from_str::<serde_json::Value>(package_json)
        .ok()
        .and_then(|v| v.get("packageManager")?.as_str().map(str::to_string));
    if let Some(d) = declared {
        for pm in ["pnpm", "yarn", "bun", "npm"] {
            if d.starts_with(&format!("{pm}@")) || d == pm {
                return pm;
            }
        }
    }
    if root_files.contains("pnpm-lock.yaml") {
        "pnpm"
    } else if root_files.contains("yarn.lock") {
        "yarn"
    } else if root_files.contains("bun.lockb") || root_files.contains("bun.lock") {
        "bun"
    } else {
        "npm"
    }
}

/// The names of the `scripts` of a `package.json` or `composer.json`, without npm init's
/// placeholder test script (which fails by design).
pub fn json_scripts(text: &str) -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("scripts").and_then(|s| s.as_object()).cloned())
        .map(|o| {
            o.into_iter()
                .filter(|(_, v)| !v.as_str().is_some_and(|s| s.contains("no test specified")))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default()
}

/// Adds the commands of the root `package.json` `m` to `out`.
pub(super) fn npm(out: &mut Commands, m: &Manifest, root_files: &BTreeSet<String>) {
    let scripts = json_scripts(text(m));
    let has = |s: &str| scripts.iter().any(|x| x == s);
    let pm = package_manager(text(m), root_files);
    // `bun test` is bun's own runner, not the script, so bun always uses `run`.
    let short = |s: &str| {
        if pm == "bun" {
            format!("bun run {s}")
        } else {
            format!("{pm} {s}")
        }
    };
    let run = |s: &str| format!("{pm} run {s}");
    let table: &[(&str, &str, String)] = &[
        ("build", "build", run("build")),
        ("test", "test", short("test")),
        ("lint", "lint", run("lint")),
        ("lint", "typecheck", run("typecheck")),
        ("format", "format", run("format")),
        ("format", "fmt", run("fmt")),
        ("run", "start", short("start")),
        ("run", "dev", run("dev")),
    ];
    for (purpose, script, command) in table {
        if has(script) {
            out.push(purpose, command, &m.rel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_manager_from_field_then_lockfile() {
        let files = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(package_manager("{}", &files(&[])), "npm");
        assert_eq!(package_manager("{}", &files(&["yarn.lock"])), "yarn");
        assert_eq!(package_manager("{}", &files(&["bun.lock"])), "bun");
        assert_eq!(
            package_manager(
                r#"{"packageManager":"pnpm@9.1.0"}"#,
                &files(&["package-lock.json"])
            ),
            "pnpm"
        );
    }
}

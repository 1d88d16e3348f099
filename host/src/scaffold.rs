//! `anneal new strategy NAME [--dir DIR]`: writes a standalone guest project that builds to a
//! strategy component (issue 5, authoring kit; docs/writing-a-strategy.md).
//!
//! The templates are data files under `_shared/templates/strategy/`, embedded at compile time;
//! the WIT package the host serves (`wit/since_v0.2.0`) is copied in under `wit/` and the guest
//! SDK (`guests/sdk`, the crate the bundled strategies are written on) under `sdk/`, so the
//! project builds with nothing of anneal's but what it holds (and `wit-bindgen` from crates.io).
use std::path::{Path, PathBuf};

/// The WIT version the generated project is built against (the one the host serves).
pub const WIT_VERSION: &str = "0.2.0";

/// Where the SDK's `wit_bindgen::generate!` calls find the WIT in anneal's tree
/// (`guests/sdk/src/lib.rs`), and where the copy in a new project finds it (`sdk/` → `wit/`).
const SDK_WIT_PATH: (&str, &str) = ("\"../../wit/since_v0.2.0\"", "\"../wit\"");

/// `(relative path, template text, executable)` of every generated file.
const FILES: &[(&str, &str, bool)] = &[
    (
        "Cargo.toml",
        include_str!("../../_shared/templates/strategy/Cargo.toml.tmpl"),
        false,
    ),
    (
        "src/lib.rs",
        include_str!("../../_shared/templates/strategy/lib.rs.tmpl"),
        false,
    ),
    (
        "build.sh",
        include_str!("../../_shared/templates/strategy/build.sh.tmpl"),
        true,
    ),
    (
        "README.md",
        include_str!("../../_shared/templates/strategy/README.md.tmpl"),
        false,
    ),
    (
        ".gitignore",
        include_str!("../../_shared/templates/strategy/gitignore.tmpl"),
        false,
    ),
    (
        "wit/host.wit",
        include_str!("../../wit/since_v0.2.0/host.wit"),
        false,
    ),
    (
        "wit/code-index.wit",
        include_str!("../../wit/since_v0.2.0/code-index.wit"),
        false,
    ),
    (
        "wit/history.wit",
        include_str!("../../wit/since_v0.2.0/history.wit"),
        false,
    ),
    (
        "wit/types.wit",
        include_str!("../../wit/since_v0.2.0/types.wit"),
        false,
    ),
    (
        "wit/worlds.wit",
        include_str!("../../wit/since_v0.2.0/worlds.wit"),
        false,
    ),
    (
        "sdk/Cargo.toml",
        include_str!("../../_shared/templates/strategy/sdk-Cargo.toml.tmpl"),
        false,
    ),
    (
        "sdk/src/lib.rs",
        include_str!("../../guests/sdk/src/lib.rs"),
        false,
    ),
    (
        "sdk/src/code.rs",
        include_str!("../../guests/sdk/src/code.rs"),
        false,
    ),
    (
        "sdk/src/error.rs",
        include_str!("../../guests/sdk/src/error.rs"),
        false,
    ),
    (
        "sdk/src/markdown.rs",
        include_str!("../../guests/sdk/src/markdown.rs"),
        false,
    ),
    (
        "sdk/src/names.rs",
        include_str!("../../guests/sdk/src/names.rs"),
        false,
    ),
    (
        "sdk/src/options.rs",
        include_str!("../../guests/sdk/src/options.rs"),
        false,
    ),
    (
        "sdk/src/request.rs",
        include_str!("../../guests/sdk/src/request.rs"),
        false,
    ),
];

/// Why a project could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum ScaffoldError {
    /// NAME is not kebab-case: a usage error (exit 2).
    #[error("strategy name {0:?} must be kebab-case: lowercase ASCII letters, digits and single hyphens, starting with a letter, at most 40 characters (e.g. my-strategy)")]
    BadName(String),
    /// The target directory exists and is not empty: a usage error (exit 2).
    #[error("{0} exists and is not empty: choose another --dir or remove it")]
    NotEmpty(PathBuf),
    /// Writing failed (exit 5).
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub use crate::text::strategy_name as valid_name;

/// Replaces `{{name}}`, `{{crate}}` (the name with `_` for `-`, the library's file name) and
/// `{{wit_version}}` in `template`, and points the SDK's bindings at the project's `wit/`.
pub fn render(template: &str, name: &str) -> String {
    template
        .replace("{{name}}", name)
        .replace("{{crate}}", &name.replace('-', "_"))
        .replace("{{wit_version}}", WIT_VERSION)
        .replace(SDK_WIT_PATH.0, SDK_WIT_PATH.1)
}

/// Writes the project for strategy `name` into `dir` (created if missing; an existing empty
/// directory is used). Returns the files written, relative to `dir`, in order.
///
/// # Errors
/// [`ScaffoldError::BadName`] for a name that is not kebab-case, [`ScaffoldError::NotEmpty`]
/// when `dir` holds anything (nothing is overwritten), [`ScaffoldError::Io`] on a write failure.
pub fn new_strategy(name: &str, dir: &Path) -> Result<Vec<String>, ScaffoldError> {
    if !valid_name(name) {
        return Err(ScaffoldError::BadName(name.to_string()));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ScaffoldError::Io { path, source }
    };
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io(dir))?;
        if entries.next().is_some() {
            return Err(ScaffoldError::NotEmpty(dir.to_path_buf()));
        }
    }
    let mut written = Vec::new();
    for (rel, template, executable) in FILES {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, render(template, name)).map_err(io(&path))?;
        #[cfg(unix)]
        if *executable {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
                .map_err(io(&path))?;
        }
        #[cfg(not(unix))]
        let _ = executable;
        written.push(rel.to_string());
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_be_kebab_case() {
        for ok in ["a", "my-strategy", "foundry2", "x-1-y"] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "My",
            "my_strategy",
            "-a",
            "a-",
            "a--b",
            "1abc",
            "a b",
            "ä",
            &"a".repeat(41),
        ] {
            assert!(!valid_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn generates_a_complete_project_with_the_name_substituted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("my-strategy");
        let files = new_strategy("my-strategy", &dir).unwrap();
        assert_eq!(files.len(), FILES.len());
        for f in &files {
            let text = std::fs::read_to_string(dir.join(f)).unwrap();
            assert!(!text.contains("{{"), "{f} has an unsubstituted placeholder");
        }
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(cargo.contains("name = \"my-strategy\""));
        assert!(cargo.contains("\n[workspace]\n"), "own workspace");
        assert!(cargo.contains("anneal-guest = { path = \"sdk\" }"));
        let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
        assert!(lib.contains("name: \"my-strategy\".into()"));
        assert!(lib.contains("export_strategy!(Strategy);"));
        assert!(
            lib.contains("AgentRequest::new("),
            "the template uses the SDK's builder"
        );
        assert!(!lib.contains("{e:?}"), "host errors are shown with Display");
        // The SDK is copied in, its bindings pointed at the project's wit/ (both worlds).
        let sdk = std::fs::read_to_string(dir.join("sdk/src/lib.rs")).unwrap();
        assert_eq!(sdk.matches("path: \"../wit\"").count(), 2, "{sdk}");
        assert!(
            !sdk.contains("path: \"../../"),
            "no path into anneal's tree: {sdk}"
        );
        for m in ["error", "markdown", "names", "options", "request"] {
            assert!(sdk.contains(&format!("pub mod {m};")), "{m}");
            assert!(
                files.contains(&format!("sdk/src/{m}.rs")),
                "{m}.rs is copied"
            );
        }
        let sdk_cargo = std::fs::read_to_string(dir.join("sdk/Cargo.toml")).unwrap();
        assert!(sdk_cargo.contains("name = \"anneal-guest\"") && sdk_cargo.contains("wit-bindgen"));
        assert!(
            !sdk_cargo.contains(".workspace"),
            "nothing inherited from anneal's workspace"
        );
        let build = std::fs::read_to_string(dir.join("build.sh")).unwrap();
        assert!(build.contains("crate=my_strategy"));
        assert!(build.contains("name=my-strategy"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("build.sh"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o111, 0o111, "build.sh is executable");
        }
        // The WIT is the host's own, byte for byte.
        let worlds = std::fs::read_to_string(dir.join("wit/worlds.wit")).unwrap();
        assert_eq!(worlds, include_str!("../../wit/since_v0.2.0/worlds.wit"));
        assert!(worlds.contains(&format!("anneal:strategy@{WIT_VERSION}")));
    }

    #[test]
    fn every_sdk_source_file_is_copied() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../guests/sdk/src");
        let mut on_disk: Vec<String> = std::fs::read_dir(&src)
            .unwrap()
            .map(|e| format!("sdk/src/{}", e.unwrap().file_name().to_string_lossy()))
            .collect();
        on_disk.sort();
        let mut copied: Vec<String> = FILES
            .iter()
            .map(|(rel, _, _)| rel.to_string())
            .filter(|rel| rel.starts_with("sdk/src/"))
            .collect();
        copied.sort();
        assert_eq!(
            copied, on_disk,
            "a module of guests/sdk/src is missing from FILES"
        );
    }

    #[test]
    fn the_build_and_gitignore_stay_inside_the_project() {
        let build = render(FILES.iter().find(|f| f.0 == "build.sh").unwrap().1, "x");
        let xtask = build
            .lines()
            .position(|l| l.contains("--manifest-path"))
            .unwrap();
        assert!(
            build
                .lines()
                .nth(xtask - 1)
                .unwrap()
                .contains("CARGO_TARGET_DIR=\"$PWD/target/"),
            "the xtask route builds into the project's own target/"
        );
        let ignore = FILES.iter().find(|f| f.0 == ".gitignore").unwrap().1;
        assert!(
            !ignore.contains(".core.wasm"),
            "names only what the build produces"
        );
    }

    #[test]
    fn refuses_a_non_empty_directory_and_a_bad_name() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("keep.txt"), "mine").unwrap();
        assert!(matches!(
            new_strategy("ok", tmp.path()),
            Err(ScaffoldError::NotEmpty(_))
        ));
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("keep.txt")).unwrap(),
            "mine"
        );
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
        let empty = tmp.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            new_strategy("Bad_Name", &empty),
            Err(ScaffoldError::BadName(_))
        ));
        assert!(
            new_strategy("fine", &empty).is_ok(),
            "an empty directory is used"
        );
    }
}

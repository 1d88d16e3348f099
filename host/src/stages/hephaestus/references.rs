//! Reference integrity (docs/design.md §6a): the files a plan says to change exist (or, for `create`,
//! do not yet), and the programs its gate commands name exist. Read-only: nothing here runs a
//! command or evaluates a build file; Makefiles, justfiles, `package.json` and cargo
//! configuration are read as text.
//!
//! Files are checked phase by phase in plan order against a model of the repository that the
//! plan itself updates: a file created by phase 01 may be modified by phase 02, a file deleted
//! by phase 01 may not be modified after. A `create` of a file that already exists is a
//! **failed** check (conventions: `create` targets must not exist): the planner believes the
//! file absent, so its model of the repository is wrong, and carrying the plan out would
//! overwrite the user's file; the demand is to say `modify`.
//!
//! A gate command is split into simple commands at `&&`, `||`, `;`, `|` and `&` (after POSIX
//! word splitting with `shlex`); in each, leading `VAR=value` assignments (and an `env` prefix)
//! are skipped and the first word is the program. It exists when it is a shell builtin, a path
//! (inside the repository when relative: `./gradlew`) to an executable file, or found on the
//! scrubbed `PATH` with the `which` crate. Beyond the program: `make`/`gmake` targets must be
//! defined in the Makefile (or name an existing file); a `just` recipe must be in the
//! justfile; `cargo <sub>` must be a built-in, an alias in `.cargo/config.toml`, or an
//! installed `cargo-<sub>`; `npm|pnpm|yarn|bun run <script>` and `… test` need the script in
//! `package.json`. A build file that includes others or defines targets dynamically cannot
//! prove a name absent, so an unknown name there passes with the detail saying it was not
//! verified. `cd <dir>` moves where those files are looked for.
mod symbols;

use super::{phase_file, Item, Kind};
use crate::model::{FileAction, Plan, ProbeReport, Severity};
use regex::Regex;
use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
pub(super) use symbols::symbol_checks;
pub use symbols::{introduced_names, FILLERS, INTRODUCING, PROPER_NOUNS};

/// Normalises a plan's repository-relative path: `/`-separated, `.` and empty components
/// dropped. Refuses empty paths, NUL, absolute paths (`/x`, `\x`, `C:x`) and any `..`
/// component: a plan never reaches outside the repository.
///
/// # Errors
/// The reason the path is refused.
pub fn normalize(path: &str) -> Result<String, &'static str> {
    let p = path.trim();
    if p.is_empty() {
        return Err("empty path");
    }
    if p.contains('\0') {
        return Err("NUL in path");
    }
    if p.starts_with('/') || p.starts_with('\\') || p.get(1..2) == Some(":") {
        return Err("absolute path (paths are relative to the repository root)");
    }
    let mut parts = Vec::new();
    for c in p.split(['/', '\\']) {
        match c {
            "" | "." => {}
            ".." => return Err("`..` component (paths must stay inside the repository)"),
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err("path names the repository root itself");
    }
    Ok(parts.join("/"))
}

/// Whether `rel` (normalised) resolves inside `root` (canonical), following symlinks of its
/// nearest existing ancestor.
fn resolves_inside(root: &Path, rel: &str) -> bool {
    let mut p = root.join(rel);
    loop {
        if std::fs::symlink_metadata(&p).is_ok() {
            return std::fs::canonicalize(&p).is_ok_and(|c| c.starts_with(root));
        }
        if !p.pop() || !p.starts_with(root) {
            return true;
        }
    }
}

/// One check per `FileChange` of every phase, in plan order (rules in the module docs).
pub(super) fn file_checks(plan: &Plan, repo_root: &Path) -> Vec<Item> {
    let root = std::fs::canonicalize(repo_root);
    // What the plan's earlier phases did to a path: (exists afterwards, phase id).
    let mut planned: HashMap<String, (bool, String)> = HashMap::new();
    let mut items = Vec::new();
    for phase in &plan.phases {
        let location = phase_file(phase);
        for fc in &phase.files {
            let (verb, done) = match fc.action {
                FileAction::Create => ("create", "created"),
                FileAction::Modify => ("modify", "modified"),
                FileAction::Delete => ("delete", "deleted"),
            };
            let name = format!("file: phase {} {verb} {}", phase.id, fc.path.trim());
            let fail = |detail: String, severity, demand: String| {
                Item::failed(Kind::File, &name, detail, severity, &location, demand)
            };
            let root = match &root {
                Ok(r) => r,
                Err(e) => {
                    items.push(fail(
                        format!("the repository root cannot be read: {e}"),
                        Severity::High,
                        "Run the plan against a readable repository root.".into(),
                    ));
                    continue;
                }
            };
            let rel = match normalize(&fc.path) {
                Ok(r) => r,
                Err(why) => {
                    items.push(fail(
                        format!("refused path {:?}: {why}", fc.path),
                        Severity::Critical,
                        format!("Name `{}` as a path relative to the repository root, without `..` components.", fc.path.trim()),
                    ));
                    continue;
                }
            };
            if !resolves_inside(root, &rel) {
                items.push(fail(
                    format!(
                        "`{rel}` resolves outside the repository (or nowhere) through a symlink"
                    ),
                    Severity::Critical,
                    format!("Replace `{rel}` with a path that stays inside the repository."),
                ));
                continue;
            }
            let on_disk = std::fs::symlink_metadata(root.join(&rel)).is_ok();
            let (exists, why) = match planned.get(&rel) {
                Some((true, by)) => (true, format!("created by phase {by}")),
                Some((false, by)) => (false, format!("deleted by phase {by}")),
                None if on_disk => (true, "exists in the repository".to_string()),
                None => (false, "does not exist in the repository".to_string()),
            };
            let item = match (fc.action, exists) {
                (FileAction::Create, false) => Item::passed(Kind::File, &name, format!("`{rel}` {why}; it can be created")),
                (FileAction::Create, true) => fail(
                    format!("`{rel}` already exists ({why}); `create` would overwrite it").replace("exists (exists in the repository)", "exists in the repository"),
                    Severity::Medium,
                    format!("Change the action for `{rel}` in phase {} to modify, or create a path that does not exist yet.", phase.id),
                ),
                (_, true) => Item::passed(Kind::File, &name, format!("`{rel}` {why}")),
                (_, false) => fail(
                    format!("`{rel}` {why}; it cannot be {done}"),
                    Severity::High,
                    format!(
                        "Point the {verb} in phase {} at a file that exists in the repository, or create `{rel}` in an earlier phase.",
                        phase.id
                    ),
                ),
            };
            items.push(item);
            match fc.action {
                FileAction::Create | FileAction::Modify => {
                    planned.insert(rel, (true, phase.id.clone()))
                }
                FileAction::Delete => planned.insert(rel, (false, phase.id.clone())),
            };
        }
    }
    items
}

/// One simple command of a gate entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimpleCommand {
    /// Repository-relative directory it runs in (`""` = root), `None` after a `cd` that
    /// leaves the repository or cannot be followed.
    pub dir: Option<String>,
    pub program: String,
    pub args: Vec<String>,
}

const OPERATORS: &[&str] = &["&&", "||", ";", "|", "&", ";;"];

static ASSIGNMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z_][A-Za-z0-9_]*=").expect("valid regex"));
static REDIRECT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9]*(>>?|<|>&|<&|&>>?)(.*)$").expect("valid regex"));

/// Splits a gate command into simple commands (rules in the module docs); `None` when it
/// cannot be word-split (unbalanced quotes).
pub fn simple_commands(command: &str) -> Option<Vec<SimpleCommand>> {
    let words = shlex::split(command)?;
    let mut out = Vec::new();
    let mut dir = Some(String::new());
    let mut current: Vec<String> = Vec::new();
    let mut flush = |words: &mut Vec<String>, dir: &mut Option<String>| {
        let mut i = 0;
        while i < words.len() && ASSIGNMENT.is_match(&words[i]) {
            i += 1;
        }
        if words.get(i).map(String::as_str) == Some("env") {
            let mut j = i + 1;
            while j < words.len() && (ASSIGNMENT.is_match(&words[j]) || words[j].starts_with('-')) {
                j += 1;
            }
            // `env` alone (or with only assignments) runs `env` itself.
            if j < words.len() {
                i = j;
            }
        }
        if let Some(program) = words.get(i) {
            let args = words[i + 1..].to_vec();
            if program == "cd" {
                *dir = match (dir.as_deref(), args.first()) {
                    (Some(d), Some(to)) if !Path::new(to).is_absolute() => {
                        normalize(&join_rel(d, to)).ok()
                    }
                    _ => None,
                };
            }
            out.push(SimpleCommand {
                dir: dir.clone(),
                program: program.clone(),
                args,
            });
        }
        words.clear();
    };
    let mut skip_next = false;
    for w in words {
        if skip_next {
            skip_next = false;
            continue;
        }
        if OPERATORS.contains(&w.as_str()) {
            flush(&mut current, &mut dir);
            continue;
        }
        if let Some(c) = REDIRECT.captures(&w) {
            // `>` alone takes the next word as its file; `2>&1`, `>out` carry their own.
            skip_next = c[2].is_empty();
            continue;
        }
        match w.strip_suffix(';') {
            Some(head) => {
                if !head.is_empty() {
                    current.push(head.to_string());
                }
                flush(&mut current, &mut dir);
            }
            None => current.push(w),
        }
    }
    flush(&mut current, &mut dir);
    Some(out)
}

/// `dir/rel`, or `rel` when `dir` is the root (`""`).
fn join_rel(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Whether `command` runs cargo or rustc itself (it then gets `CARGO_TARGET_DIR` from the
/// options, and cargo's `error:` lines count as failure lines).
pub fn invokes_cargo(command: &str) -> bool {
    simple_commands(command)
        .unwrap_or_default()
        .iter()
        .any(|c| {
            let p = Path::new(&c.program)
                .file_name()
                .and_then(OsStr::to_str)
                .unwrap_or("");
            p == "cargo" || p == "rustc"
        })
}

const SHELL_BUILTINS: &[&str] = &[
    ".", ":", "[", "alias", "bg", "break", "cd", "command", "continue", "echo", "eval", "exec",
    "exit", "export", "false", "fg", "getopts", "hash", "jobs", "kill", "printf", "pwd", "read",
    "readonly", "return", "set", "shift", "test", "times", "trap", "true", "type", "ulimit",
    "umask", "unalias", "unset", "wait",
];

const CARGO_BUILTINS: &[&str] = &[
    "add",
    "b",
    "bench",
    "build",
    "c",
    "check",
    "clean",
    "config",
    "d",
    "doc",
    "fetch",
    "fix",
    "generate-lockfile",
    "git-checkout",
    "help",
    "info",
    "init",
    "install",
    "locate-project",
    "login",
    "logout",
    "metadata",
    "new",
    "owner",
    "package",
    "pkgid",
    "publish",
    "r",
    "read-manifest",
    "remove",
    "report",
    "rm",
    "run",
    "rustc",
    "rustdoc",
    "search",
    "t",
    "test",
    "tree",
    "uninstall",
    "update",
    "vendor",
    "verify-project",
    "version",
    "yank",
];

/// Where programs are looked for: the scrubbed `PATH`, and for cargo subcommands also
/// `$CARGO_HOME/bin` (or `$HOME/.cargo/bin`).
pub struct Lookup {
    pub path: OsString,
    pub cargo_bin: Option<PathBuf>,
}

impl Lookup {
    /// From a scrubbed environment (see `runner::scrubbed_env`).
    pub fn from_env(env: &[(OsString, OsString)]) -> Lookup {
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let cargo_home = get("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| get("HOME").map(|h| PathBuf::from(h).join(".cargo")));
        Lookup {
            path: get("PATH").unwrap_or_else(|| super::runner::DEFAULT_PATH.into()),
            cargo_bin: cargo_home.map(|h| h.join("bin")),
        }
    }
}

/// Why a command does not hold up.
#[derive(Debug)]
pub struct Miss {
    pub reason: String,
    pub demand: String,
}

/// One check per distinct gate command of the plan (in order of first use) and one NotRun
/// check per manual `check:` entry.
pub(super) fn command_checks(
    plan: &Plan,
    repo_root: &Path,
    lookup: &Lookup,
    probe: &ProbeReport,
) -> Vec<Item> {
    let mut items = Vec::new();
    let mut seen: Vec<(String, usize, Vec<String>)> = Vec::new(); // command, item index, phases
    let suggestion = {
        let cmds: Vec<String> = probe
            .commands
            .iter()
            .take(3)
            .map(|c| format!("`{}`", c.command))
            .collect();
        if cmds.is_empty() {
            "a program that exists in the repository or on PATH".to_string()
        } else {
            format!("a command the probe detected ({})", cmds.join(", "))
        }
    };
    for phase in &plan.phases {
        let location = phase_file(phase);
        for (i, entry) in phase.gate.iter().enumerate() {
            let entry = entry.trim();
            if let Some(what) = entry.strip_prefix("check:") {
                items.push(Item::not_run(
                    Kind::Manual,
                    &format!("manual check: phase {} gate {}", phase.id, i + 1),
                    format!("`check:{what}` is a manual check for a human to verify; Hephaestus does not run it"),
                ));
                continue;
            }
            if let Some((_, idx, phases)) = seen.iter_mut().find(|(c, _, _)| c == entry) {
                if !phases.contains(&phase.id) {
                    phases.push(phase.id.clone());
                    let d = &mut items[*idx].check.detail;
                    *d = format!(
                        "{}, {}",
                        d.replace("; used in phase ", "; used in phases "),
                        phase.id
                    );
                }
                continue;
            }
            let name = format!("command exists: {entry}");
            let item = if entry.is_empty() {
                Item::failed(
                    Kind::Command,
                    &format!("command exists: phase {} gate {}", phase.id, i + 1),
                    "empty gate entry: it names no command".into(),
                    Severity::High,
                    &location,
                    format!(
                        "Write gate entry {} of phase {} as a command or a `check:` line.",
                        i + 1,
                        phase.id
                    ),
                )
            } else {
                match verify_command(entry, repo_root, lookup, &suggestion) {
                    Ok(detail) => Item::passed(
                        Kind::Command,
                        &name,
                        format!("{detail}; used in phase {}", phase.id),
                    ),
                    Err(m) => Item::failed(
                        Kind::Command,
                        &name,
                        format!("{}; used in phase {}", m.reason, phase.id),
                        Severity::High,
                        &location,
                        m.demand,
                    ),
                }
            };
            seen.push((entry.to_string(), items.len(), vec![phase.id.clone()]));
            items.push(item);
        }
    }
    items
}

/// Checks every simple command of a gate entry; `Ok` carries what was found.
///
/// # Errors
/// The first [`Miss`].
pub fn verify_command(
    command: &str,
    repo_root: &Path,
    lookup: &Lookup,
    suggestion: &str,
) -> Result<String, Miss> {
    let Some(cmds) = simple_commands(command) else {
        return Err(Miss {
            reason: format!("`{command}` cannot be parsed as a shell command (unbalanced quotes)"),
            demand: format!("Replace `{command}` with {suggestion}."),
        });
    };
    if cmds.is_empty() {
        return Err(Miss {
            reason: format!("`{command}` names no program"),
            demand: format!("Replace `{command}` with {suggestion}."),
        });
    }
    let mut found = Vec::new();
    for c in &cmds {
        found.push(verify_simple(c, command, repo_root, lookup, suggestion)?);
    }
    Ok(found.join("; "))
}

fn verify_simple(
    c: &SimpleCommand,
    whole: &str,
    repo_root: &Path,
    lookup: &Lookup,
    suggestion: &str,
) -> Result<String, Miss> {
    let miss = |reason: String| Miss {
        reason,
        demand: format!("Replace `{whole}` with {suggestion}."),
    };
    let p = c.program.as_str();
    if SHELL_BUILTINS.contains(&p) {
        return Ok(format!("`{p}` is a shell builtin"));
    }
    let dir_abs = repo_root.join(c.dir.as_deref().unwrap_or(""));
    let found = if p.contains('/') {
        let path = if Path::new(p).is_absolute() {
            PathBuf::from(p)
        } else {
            let Some(rel) = c
                .dir
                .as_deref()
                .and_then(|d| normalize(&join_rel(d, p)).ok())
            else {
                return Err(miss(format!("`{p}` is outside the repository")));
            };
            repo_root.join(rel)
        };
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && is_executable(&m) => format!("`{p}` exists and is executable"),
            Ok(m) if m.is_file() => {
                return Err(miss(format!("`{p}` exists but is not executable")))
            }
            _ => return Err(miss(format!("`{p}` does not exist"))),
        }
    } else {
        match which::which_in(p, Some(&lookup.path), &dir_abs) {
            Ok(at) => format!("`{p}` found at {}", at.display()),
            Err(_) => {
                return Err(miss(format!(
                    "`{p}` is not a shell builtin and is not on PATH"
                )))
            }
        }
    };
    let Some(dir) = c.dir.as_deref() else {
        return Ok(found);
    };
    let dir_abs = repo_root.join(dir);
    let base = Path::new(p)
        .file_name()
        .and_then(OsStr::to_str)
        .unwrap_or(p);
    let more = match base {
        "make" | "gmake" => make_target(&c.args, &dir_abs, whole),
        "just" => just_recipe(&c.args, repo_root, dir, whole),
        "cargo" => cargo_sub(&c.args, repo_root, dir, lookup, whole),
        "npm" | "pnpm" | "yarn" | "bun" => package_script(base, &c.args, &dir_abs, whole),
        _ => Ok(None),
    }?;
    Ok(match more {
        Some(m) => format!("{found}; {m}"),
        None => found,
    })
}

#[cfg(unix)]
fn is_executable(m: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt;
    m.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    true
}

fn shown(dir: &Path, file: &Path) -> String {
    file.strip_prefix(dir).unwrap_or(file).display().to_string()
}

/// Targets a Makefile defines, read as text.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct MakeTargets {
    pub names: BTreeSet<String>,
    /// The first ordinary target (make's default goal).
    pub default_goal: Option<String>,
    /// False when the file includes others or defines targets with variables or patterns, so
    /// a name missing from `names` may still exist.
    pub complete: bool,
}

static MAKE_RULE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([^:=#\s][^:=#]*?)\s*::?(?:[^=]|$)").expect("valid regex"));

/// Reads the rule targets of a Makefile's text (recipe lines, comments, `define` blocks and
/// variable assignments are skipped).
pub fn make_targets(text: &str) -> MakeTargets {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut t = MakeTargets {
        complete: true,
        ..MakeTargets::default()
    };
    let mut in_define = false;
    for raw in joined.lines() {
        if raw.starts_with('\t') {
            continue;
        }
        let line = raw.split('#').next().unwrap_or("").trim();
        if in_define {
            in_define = line != "endef";
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        match first {
            "define" => {
                in_define = true;
                continue;
            }
            "include" | "-include" | "sinclude" => {
                t.complete = false;
                continue;
            }
            _ if line.starts_with("$(") => {
                t.complete = false;
                continue;
            }
            _ => {}
        }
        let Some(c) = MAKE_RULE.captures(line) else {
            continue;
        };
        for name in c[1].split_whitespace() {
            if name.contains('$') || name.contains('%') {
                t.complete = false;
                continue;
            }
            if t.default_goal.is_none() && (!name.starts_with('.') || name.contains('/')) {
                t.default_goal = Some(name.to_string());
            }
            t.names.insert(name.to_string());
        }
    }
    t
}

fn make_target(args: &[String], dir: &Path, whole: &str) -> Result<Option<String>, Miss> {
    let mut dir = dir.to_path_buf();
    let mut file: Option<String> = None;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let a = a.as_str();
        if let Some(d) = a.strip_prefix("--directory=") {
            dir.push(d);
        } else if a == "-C" || a == "--directory" {
            if let Some(d) = it.next() {
                dir.push(d);
            }
        } else if let Some(f) = a
            .strip_prefix("--file=")
            .or_else(|| a.strip_prefix("--makefile="))
        {
            file = Some(f.into());
        } else if a == "-f" || a == "--file" || a == "--makefile" {
            file = it.next().cloned();
        } else if [
            "-I",
            "-o",
            "-W",
            "--include-dir",
            "--old-file",
            "--what-if",
            "--assume-old",
            "--assume-new",
            "--new-file",
        ]
        .contains(&a)
        {
            it.next();
        } else if let Some(d) = a.strip_prefix("-C").filter(|_| !a.starts_with("--")) {
            dir.push(d);
        } else if let Some(f) = a.strip_prefix("-f").filter(|_| !a.starts_with("--")) {
            file = Some(f.into());
        } else if a.starts_with('-')
            || ASSIGNMENT.is_match(a)
            || a.chars().all(|c| c.is_ascii_digit())
        {
            // A flag, a variable override, or the number of `-j 4`.
        } else {
            targets.push(a.to_string());
        }
    }
    let candidates: Vec<PathBuf> = match &file {
        Some(f) => vec![dir.join(f)],
        None => ["GNUmakefile", "makefile", "Makefile"]
            .iter()
            .map(|n| dir.join(n))
            .collect(),
    };
    let Some((path, text)) = candidates
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok().map(|t| (p.clone(), t)))
    else {
        return Err(Miss {
            reason: format!("no Makefile in {} for `{whole}`", shown_dir(&dir)),
            demand: format!(
                "Replace `{whole}` with a command whose build file exists in the repository."
            ),
        });
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let t = make_targets(&text);
    if targets.is_empty() {
        return match (&t.default_goal, t.complete) {
            (Some(g), _) => Ok(Some(format!("default target `{g}` defined in {name}"))),
            (None, false) => Ok(Some(format!(
                "{name} defines its targets dynamically; the default target was not verified"
            ))),
            (None, true) => Err(Miss {
                reason: format!("{name} defines no target for `{whole}` to build"),
                demand: format!("Name a target defined in {name} in `{whole}`."),
            }),
        };
    }
    let mut notes = Vec::new();
    for target in &targets {
        if t.names.contains(target) {
            notes.push(format!("target `{target}` defined in {name}"));
        } else if dir.join(target).exists() {
            notes.push(format!("target `{target}` is an existing file"));
        } else if !t.complete {
            notes.push(format!("target `{target}` not found literally in {name}, which includes other files or defines targets dynamically (not verified)"));
        } else {
            let known: Vec<&str> = t
                .names
                .iter()
                .filter(|n| !n.starts_with('.'))
                .map(String::as_str)
                .take(12)
                .collect();
            return Err(Miss {
                reason: format!(
                    "make target `{target}` is not defined in {name} (targets: {})",
                    known.join(", ")
                ),
                demand: format!(
                    "Replace `{whole}` with a make target {name} defines ({}).",
                    known.join(", ")
                ),
            });
        }
    }
    Ok(Some(notes.join("; ")))
}

fn shown_dir(dir: &Path) -> String {
    dir.file_name()
        .map(|n| format!("`{}`", n.to_string_lossy()))
        .unwrap_or_else(|| "the repository".into())
}

static JUST_RECIPE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^@?([A-Za-z_][A-Za-z0-9_-]*)[^:=]*(?:=[^:]*)*:(?:[^=]|$)").expect("valid regex")
});
static JUST_ALIAS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^alias\s+([A-Za-z_][A-Za-z0-9_-]*)\s*:=").expect("valid regex"));

/// Recipes (and aliases) a justfile defines, and whether the list is complete (no `import` or
/// `mod`).
pub fn just_recipes(text: &str) -> (BTreeSet<String>, bool) {
    let mut names = BTreeSet::new();
    let mut complete = true;
    for line in text.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if ["import", "import?", "mod", "mod?"].contains(&first) {
            complete = false;
        } else if let Some(c) = JUST_ALIAS.captures(line) {
            names.insert(c[1].to_string());
        } else if ["set", "export", "alias"].contains(&first)
            || line.starts_with('#')
            || line.starts_with('[')
        {
            continue;
        } else if let Some(c) = JUST_RECIPE.captures(line) {
            names.insert(c[1].to_string());
        }
    }
    (names, complete)
}

fn just_recipe(
    args: &[String],
    repo_root: &Path,
    dir: &str,
    whole: &str,
) -> Result<Option<String>, Miss> {
    let mut file: Option<PathBuf> = None;
    let mut recipe = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-f" | "--justfile" => file = it.next().map(|f| repo_root.join(dir).join(f)),
            "-d"
            | "--working-directory"
            | "--shell"
            | "--dotenv-filename"
            | "--dotenv-path"
            | "--color"
            | "--chooser" => {
                it.next();
            }
            "--set" => {
                it.next();
                it.next();
            }
            a if a.starts_with('-') || ASSIGNMENT.is_match(a) => {}
            a => {
                recipe = Some(a.to_string());
                break;
            }
        }
    }
    let file = file.or_else(|| {
        // just looks in the working directory and then its parents.
        let mut d = repo_root.join(dir);
        loop {
            let hit = std::fs::read_dir(&d).ok().and_then(|rd| {
                rd.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                    p.file_name().and_then(OsStr::to_str).is_some_and(|n| {
                        n.eq_ignore_ascii_case("justfile") || n.eq_ignore_ascii_case(".justfile")
                    })
                })
            });
            if hit.is_some() || !d.pop() || !d.starts_with(repo_root) {
                return hit;
            }
        }
    });
    let Some(text) = file.as_ref().and_then(|f| std::fs::read_to_string(f).ok()) else {
        return Err(Miss {
            reason: format!("no justfile for `{whole}`"),
            demand: format!(
                "Replace `{whole}` with a command whose build file exists in the repository."
            ),
        });
    };
    let (names, complete) = just_recipes(&text);
    match recipe {
        None if !names.is_empty() || !complete => Ok(Some("the justfile's default recipe".into())),
        None => Err(Miss {
            reason: "the justfile defines no recipe".into(),
            demand: format!("Name a recipe the justfile defines in `{whole}`."),
        }),
        Some(r) if names.contains(&r) => Ok(Some(format!("recipe `{r}` defined in the justfile"))),
        Some(r) if !complete => Ok(Some(format!(
            "recipe `{r}` not found literally in the justfile, which imports others (not verified)"
        ))),
        Some(r) => {
            let known: Vec<&str> = names.iter().map(String::as_str).take(12).collect();
            Err(Miss {
                reason: format!(
                    "just recipe `{r}` is not defined in the justfile (recipes: {})",
                    known.join(", ")
                ),
                demand: format!(
                    "Replace `{whole}` with a recipe the justfile defines ({}).",
                    known.join(", ")
                ),
            })
        }
    }
}

fn cargo_sub(
    args: &[String],
    repo_root: &Path,
    dir: &str,
    lookup: &Lookup,
    whole: &str,
) -> Result<Option<String>, Miss> {
    let mut it = args.iter();
    let mut sub = None;
    while let Some(a) = it.next() {
        match a.as_str() {
            "--color" | "--config" | "-Z" | "-C" => {
                it.next();
            }
            a if a.starts_with('+') || a.starts_with('-') => {}
            a => {
                sub = Some(a.to_string());
                break;
            }
        }
    }
    let Some(sub) = sub else { return Ok(None) };
    if CARGO_BUILTINS.contains(&sub.as_str()) {
        return Ok(Some(format!("`cargo {sub}` is built in")));
    }
    let alias = Regex::new(&format!(r#"^\s*"?{}"?\s*="#, regex::escape(&sub)))
        .expect("escaped regex is valid");
    let mut d = repo_root.join(dir);
    let mut configs = Vec::new();
    loop {
        configs.push(d.join(".cargo/config.toml"));
        configs.push(d.join(".cargo/config"));
        if !d.pop() || !d.starts_with(repo_root) {
            break;
        }
    }
    if let Some(home) = lookup.cargo_bin.as_ref().and_then(|b| b.parent()) {
        configs.push(home.join("config.toml"));
        configs.push(home.join("config"));
    }
    for cfg in &configs {
        let Ok(text) = std::fs::read_to_string(cfg) else {
            continue;
        };
        let mut in_alias = false;
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with('[') {
                in_alias = l == "[alias]";
            } else if (in_alias && alias.is_match(l)) || l.starts_with(&format!("alias.{sub}")) {
                return Ok(Some(format!(
                    "`cargo {sub}` is an alias in {}",
                    shown(repo_root, cfg)
                )));
            }
        }
    }
    let mut paths: Vec<PathBuf> = std::env::split_paths(&lookup.path).collect();
    paths.extend(lookup.cargo_bin.clone());
    let joined = std::env::join_paths(paths).unwrap_or_else(|_| lookup.path.clone());
    match which::which_in(format!("cargo-{sub}"), Some(joined), repo_root) {
        Ok(at) => Ok(Some(format!("`cargo-{sub}` found at {}", at.display()))),
        Err(_) => Err(Miss {
            reason: format!("`cargo {sub}` is not a built-in cargo command, an alias in .cargo/config.toml, or an installed `cargo-{sub}`"),
            demand: format!("Replace `{whole}` with a cargo command that exists here (built in, aliased, or installed)."),
        }),
    }
}

fn package_script(
    tool: &str,
    args: &[String],
    dir: &Path,
    whole: &str,
) -> Result<Option<String>, Miss> {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if args.iter().any(|a| {
        [
            "-w",
            "--workspace",
            "--workspaces",
            "--ws",
            "--filter",
            "-r",
            "--recursive",
            "--if-present",
            "--prefix",
            "--cwd",
            "-C",
        ]
        .contains(&a.as_str())
    }) || words.first() == Some(&"workspace")
    {
        return Ok(Some(format!(
            "`{tool}` runs in a workspace or another directory; its script was not verified"
        )));
    }
    let script = match words.as_slice() {
        ["run" | "run-script" | "rum" | "urn", s, ..] => *s,
        ["test", ..] if tool == "bun" => {
            return Ok(Some("`bun test` is bun's own test runner".into()))
        }
        ["test" | "t" | "tst", ..] => "test",
        _ => return Ok(None),
    };
    let path = dir.join("package.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err(Miss {
            reason: format!("no package.json in {} for `{whole}`", shown_dir(dir)),
            demand: format!(
                "Replace `{whole}` with a command whose build file exists in the repository."
            ),
        });
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| Miss {
        reason: format!("package.json is not valid JSON ({e})"),
        demand: format!(
            "Replace `{whole}` with a command that does not depend on the broken package.json."
        ),
    })?;
    let scripts = json.get("scripts").and_then(|s| s.as_object());
    if scripts.is_some_and(|s| s.contains_key(script)) {
        return Ok(Some(format!("script `{script}` defined in package.json")));
    }
    let known: Vec<&str> = scripts
        .map(|s| s.keys().map(String::as_str).take(12).collect())
        .unwrap_or_default();
    Err(Miss {
        reason: format!(
            "package.json defines no script `{script}` (scripts: {})",
            known.join(", ")
        ),
        demand: format!(
            "Replace `{whole}` with a script package.json defines ({}).",
            known.join(", ")
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_repository() {
        assert_eq!(normalize("./src//lib.rs").unwrap(), "src/lib.rs");
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "\\x",
            "C:x",
            "a/..",
            ".",
        ] {
            assert!(normalize(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn splits_commands_and_finds_programs() {
        let c = simple_commands(
            "RUST_LOG=debug cargo test --workspace 2>&1 | tee out.log && cd web; npm test > x.txt",
        )
        .unwrap();
        let progs: Vec<(&str, Option<&str>)> = c
            .iter()
            .map(|c| (c.program.as_str(), c.dir.as_deref()))
            .collect();
        assert_eq!(
            progs,
            [
                ("cargo", Some("")),
                ("tee", Some("")),
                ("cd", Some("web")),
                ("npm", Some("web"))
            ]
        );
        assert_eq!(c[0].args, ["test", "--workspace"]);
        assert_eq!(c[3].args, ["test"]);
        assert!(simple_commands("echo 'unbalanced").is_none());
        assert_eq!(
            simple_commands("env -i FOO=1 make test").unwrap()[0].program,
            "make"
        );
        assert_eq!(simple_commands("env").unwrap()[0].program, "env");
        assert!(invokes_cargo("FOO=1 cargo build") && !invokes_cargo("make cargo"));
        assert_eq!(simple_commands("cd ../.. && make").unwrap()[1].dir, None);
    }

    #[test]
    fn reads_makefile_and_justfile_targets() {
        let t = make_targets(
            "CC := gcc\nX ?= 1\n.PHONY: build test\n# all: no\nbuild: src/a.c \\\n  src/b.c\n\t@echo all: $(CC)\ntest:: build\ndefine T\nfake:\nendef\nout/x.o: x.c\n",
        );
        assert_eq!(
            t.names.iter().map(String::as_str).collect::<Vec<_>>(),
            [".PHONY", "build", "out/x.o", "test"]
        );
        assert_eq!(t.default_goal.as_deref(), Some("build"));
        assert!(t.complete);
        assert!(!make_targets("include common.mk\nbuild:\n").complete);
        assert!(!make_targets("%.o: %.c\n").complete);
        let (names, complete) = just_recipes("set shell := [\"bash\"]\nalias t := test\n\n# doc\n[private]\nbuild target='x':\n    cargo build\n@test: build\n    cargo test\nversion := \"1\"\n");
        assert_eq!(
            names.iter().map(String::as_str).collect::<Vec<_>>(),
            ["build", "t", "test"]
        );
        assert!(complete);
    }

    #[test]
    fn verifies_build_file_names() {
        let repo = tempfile::tempdir().unwrap();
        let r = repo.path();
        std::fs::write(r.join("Makefile"), "build:\n\techo hi\n").unwrap();
        std::fs::write(
            r.join("package.json"),
            r#"{"scripts": {"test": "jest", "lint": "eslint ."}}"#,
        )
        .unwrap();
        std::fs::create_dir_all(r.join(".cargo")).unwrap();
        std::fs::write(
            r.join(".cargo/config.toml"),
            "[alias]\nxtask = \"run -p xtask --\"\n",
        )
        .unwrap();
        std::fs::write(r.join("gradlew"), "#!/bin/sh\n").unwrap();
        let lookup = Lookup {
            path: std::env::var_os("PATH")
                .unwrap_or_else(|| super::super::runner::DEFAULT_PATH.into()),
            cargo_bin: None,
        };
        let v = |c: &str| verify_command(c, r, &lookup, "x");
        assert!(v("make build").is_ok());
        assert!(v("make").unwrap().contains("default target `build`"));
        assert!(v("make lint")
            .unwrap_err()
            .reason
            .contains("make target `lint` is not defined in Makefile (targets: build)"));
        assert!(v("make -C nowhere build")
            .unwrap_err()
            .reason
            .contains("no Makefile"));
        assert!(v("sh -c true").is_ok());
        assert!(v("cd . && make build").is_ok());
        assert!(v("definitely-not-a-program-anneal --x")
            .unwrap_err()
            .reason
            .contains("not on PATH"));
        assert!(v("./gradlew build")
            .unwrap_err()
            .reason
            .contains("not executable"));
        assert!(v("./missing.sh")
            .unwrap_err()
            .reason
            .contains("does not exist"));
        assert!(v("../outside.sh")
            .unwrap_err()
            .reason
            .contains("outside the repository"));
        if which::which("npm").is_ok() {
            assert!(v("npm run lint").is_ok());
            assert!(v("npm run typo")
                .unwrap_err()
                .reason
                .contains("no script `typo`"));
        }
        if which::which("cargo").is_ok() {
            assert!(v("cargo xtask build-guests").unwrap().contains("alias"));
            assert!(v("cargo +stable --locked test")
                .unwrap()
                .contains("built in"));
            assert!(v("cargo no-such-subcommand-anneal")
                .unwrap_err()
                .reason
                .contains("not a built-in cargo command"));
        }
    }
}

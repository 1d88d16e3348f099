//! The corpus side of the localization bench: the cases of `cases.json`, the parent commits
//! materialized from the bare clones, and the plain BM25 top-3 baseline.
use anneal::eval::{Classifier, Truth};
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// One case of `cases.json` (written by `scripts/locbench/mine.py`).
#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct Case {
    pub id: String,
    /// `owner/name`.
    pub repo: String,
    pub language: String,
    /// `dev` or `holdout`.
    pub split: String,
    pub commit: String,
    pub parent: String,
    pub task: String,
    pub files_modified: Vec<String>,
    pub files_created: Vec<String>,
    /// Definitions of the parent that the commit changed.
    pub symbols: Vec<Symbol>,
    /// Definitions the commit introduced (recorded, not scored).
    #[serde(default)]
    pub symbols_added: Vec<Symbol>,
}

#[derive(Clone, Debug, Deserialize, serde::Serialize)]
pub struct Symbol {
    pub name: String,
    pub kind: String,
    pub file: String,
}

#[derive(Deserialize)]
struct CaseFile {
    cases: Vec<Case>,
}

impl Case {
    /// The ground truth scored: files modified and created, distinct changed definition names.
    pub fn truth(&self) -> Truth {
        let mut symbols: Vec<String> = Vec::new();
        for s in &self.symbols {
            if !symbols.contains(&s.name) {
                symbols.push(s.name.clone());
            }
        }
        Truth {
            files: self
                .files_modified
                .iter()
                .chain(&self.files_created)
                .cloned()
                .collect(),
            symbols,
        }
    }
}

/// Reads the cases.
///
/// # Errors
/// The file cannot be read or is not the miner's format.
pub fn load_cases(path: &Path) -> Result<Vec<Case>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the cases {}", path.display()))?;
    let file: CaseFile = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not a case file of scripts/locbench/mine.py",
            path.display()
        )
    })?;
    Ok(file.cases)
}

/// The bare clone of `repo` (`owner/name`) in the corpus.
pub fn git_dir(corpus: &Path, repo: &str) -> PathBuf {
    corpus
        .join("repos")
        .join(format!("{}.git", repo.replace('/', "__")))
}

/// The parent commit of `case` as a plain directory (no `.git`), cached under `cache`:
/// `cache/<owner>__<name>/<parent>/<name>` (the directory keeps the repository's name, which
/// the probe reports). Written once from the bare clone (`git ls-tree` + `git cat-file
/// --batch`) into a temporary sibling, then renamed into place, so an interrupted run never
/// leaves a half-written tree behind. Blobs that the fetched snapshot lacks (its largest files
/// may be absent) are skipped and listed in `cache/<owner>__<name>/<parent>/missing.txt`;
/// submodules are skipped. No network: the commit must be in the corpus's bare clone.
///
/// # Errors
/// The clone or the commit is missing, or git failed.
pub fn materialize(corpus: &Path, cache: &Path, case: &Case) -> Result<PathBuf> {
    let name = case.repo.rsplit('/').next().unwrap_or(&case.repo);
    let base = cache.join(case.repo.replace('/', "__")).join(&case.parent);
    let dir = base.join(name);
    if dir.is_dir() {
        return Ok(dir);
    }
    let git = git_dir(corpus, &case.repo);
    if !git.is_dir() {
        bail!(
            "{} is missing: fetch {} and bare-clone it there (README, \"Localization benchmark\")",
            git.display(),
            case.repo
        );
    }
    std::fs::create_dir_all(&base)?;
    let tmp = tempfile::tempdir_in(&base)?;
    let missing = extract(&git, &case.parent, tmp.path())
        .with_context(|| format!("cannot extract {} of {}", case.parent, case.repo))?;
    if !missing.is_empty() {
        std::fs::write(base.join("missing.txt"), missing.join("\n") + "\n")?;
    }
    let tree = tmp.keep();
    match std::fs::rename(&tree, &dir) {
        Ok(()) => Ok(dir),
        // Another worker materialized the same parent first.
        Err(_) if dir.is_dir() => {
            std::fs::remove_dir_all(&tree).ok();
            Ok(dir)
        }
        Err(e) => Err(e).with_context(|| format!("cannot move the tree to {}", dir.display())),
    }
}

/// Writes the tree of `rev` into `dest`; returns the paths whose blobs the clone lacks.
fn extract(git: &Path, rev: &str, dest: &Path) -> Result<Vec<String>> {
    let listing = Command::new("git")
        .arg("--git-dir")
        .arg(git)
        .args(["ls-tree", "-r", "-z", "--full-tree", rev])
        .output()
        .context("cannot run git")?;
    if !listing.status.success() {
        bail!(
            "git ls-tree {rev}: {}",
            String::from_utf8_lossy(&listing.stderr).trim()
        );
    }
    // `<mode> <type> <sha>\t<path>`, NUL-terminated; only blobs (not submodules).
    let entries: Vec<(String, String, String)> = listing
        .stdout
        .split(|b| *b == 0)
        .filter_map(|e| {
            let e = std::str::from_utf8(e).ok()?;
            let (meta, path) = e.split_once('\t')?;
            let mut m = meta.split(' ');
            let (mode, kind, sha) = (m.next()?, m.next()?, m.next()?);
            (kind == "blob").then(|| (mode.to_string(), sha.to_string(), path.to_string()))
        })
        .collect();
    let mut cat = Command::new("git")
        .arg("--git-dir")
        .arg(git)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot run git")?;
    let mut stdin = cat.stdin.take().expect("piped");
    let shas: String = entries
        .iter()
        .map(|(_, sha, _)| format!("{sha}\n"))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(shas.as_bytes()));
    let mut out = BufReader::new(cat.stdout.take().expect("piped"));
    let mut missing = Vec::new();
    for (mode, _, path) in &entries {
        let mut header = String::new();
        out.read_line(&mut header)?;
        let size = match header.trim_end().split(' ').collect::<Vec<_>>()[..] {
            [_, "blob", size] => size.parse::<usize>()?,
            _ => {
                missing.push(path.clone());
                continue;
            }
        };
        let mut body = vec![0; size + 1];
        out.read_exact(&mut body)?;
        body.pop();
        write_entry(&dest.join(path), mode, &body)?;
    }
    writer.join().expect("writer panicked")?;
    if !cat.wait()?.success() {
        bail!("git cat-file --batch failed");
    }
    Ok(missing)
}

fn write_entry(target: &Path, mode: &str, body: &[u8]) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if mode == "120000" {
        std::os::unix::fs::symlink(std::str::from_utf8(body)?, target)?;
    } else {
        std::fs::write(target, body)?;
        if mode == "100755" {
            std::fs::set_permissions(target, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(())
}

/// Largest file the baseline reads, in bytes.
const MAX_FILE_BYTES: u64 = 512 * 1024;

/// `true` when `path` (repository-relative) is a source file of `root` by the corpus rules:
/// its path, and, when it exists, the head of its contents (generated-code marker).
pub fn is_source(classifier: &Classifier, root: &Path, path: &str) -> bool {
    if !classifier.is_source_path(path) {
        return false;
    }
    match std::fs::read(root.join(path)) {
        Ok(bytes) => !classifier.is_generated(&String::from_utf8_lossy(&bytes)),
        Err(_) => true,
    }
}

/// The plain BM25 baseline: the `k` source files of `root` (by the corpus rules; `.gitignore`
/// respected) whose contents score best for `task`, with the `bm25` crate's English tokenizer
/// (lower case, stop words removed, stemmed) and default parameters (k1 1.2, b 0.75, avgdl fit
/// to the files). Ties break by path, so the result is deterministic.
///
/// # Errors
/// The tree cannot be walked.
pub fn bm25_top(classifier: &Classifier, root: &Path, task: &str, k: usize) -> Result<Vec<String>> {
    let mut docs: Vec<bm25::Document<String>> = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build();
    for entry in walk {
        let entry = entry?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)?
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with(".git/") || rel.starts_with(".anneal/") {
            continue;
        }
        if !classifier.is_source_path(&rel)
            || entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES
        {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(entry.path())?).into_owned();
        if !classifier.is_generated(&text) {
            docs.push(bm25::Document::new(rel, text));
        }
    }
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let engine =
        bm25::SearchEngineBuilder::<String>::with_documents(bm25::Language::English, docs).build();
    let mut hits: Vec<(f32, String)> = engine
        .search(task, None)
        .into_iter()
        .map(|r| (r.score, r.document.id))
        .collect();
    // Scores are rounded before the tie-break so summation order cannot reorder equal files.
    hits.sort_by(|a, b| {
        let (x, y) = ((a.0 * 1e4).round(), (b.0 * 1e4).round());
        y.total_cmp(&x).then_with(|| a.1.cmp(&b.1))
    });
    Ok(hits.into_iter().take(k).map(|(_, p)| p).collect())
}

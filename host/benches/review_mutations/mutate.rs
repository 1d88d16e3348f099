//! The mutations of the review bench: each takes a good plan (and the probe report of its
//! repository) and makes it wrong in one way a reviewer must catch, or says it does not apply.
use anneal::model::baseline::{Baseline, BaselineRun};
use anneal::model::{FileAction, FileChange, Phase, Plan, ProbeReport};
use std::path::Path;

/// The kinds of mutation, in report order.
pub const KINDS: [Kind; 9] = [
    Kind::WrongFile,
    Kind::MissingFile,
    Kind::DeleteThenModify,
    Kind::UndeclaredGate,
    Kind::BaselineFailingGate,
    Kind::CriteriaRemoved,
    Kind::RollbackRemoved,
    Kind::GenericSteps,
    Kind::DeploymentPhase,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    WrongFile,
    MissingFile,
    DeleteThenModify,
    UndeclaredGate,
    BaselineFailingGate,
    CriteriaRemoved,
    RollbackRemoved,
    GenericSteps,
    DeploymentPhase,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::WrongFile => "right file replaced by an unrelated one",
            Kind::MissingFile => "modified file that does not exist",
            Kind::DeleteThenModify => "delete, then modify",
            Kind::UndeclaredGate => "undeclared gate command",
            Kind::BaselineFailingGate => "gate failing on the baseline",
            Kind::CriteriaRemoved => "success criteria removed",
            Kind::RollbackRemoved => "rollback removed",
            Kind::GenericSteps => "specific steps made generic",
            Kind::DeploymentPhase => "deployment phase in a library",
        }
    }
}

/// A mutated plan and the baseline record to review it with.
pub struct Mutant {
    pub plan: Plan,
    pub baseline: Baseline,
}

const SOURCE_EXT: &[&str] = &["rs", "py", "go", "java", "js", "ts", "mjs", "cjs", "tsx"];

fn is_source(path: &str) -> bool {
    path.rsplit_once('.')
        .is_some_and(|(_, e)| SOURCE_EXT.contains(&e))
}

/// The phase the plan does its work in: the phase after 00 that modifies the most source files
/// (the first on ties); `None` when no phase modifies one.
pub fn work_phase(plan: &Plan) -> Option<usize> {
    let n = |p: &Phase| {
        p.files
            .iter()
            .filter(|f| f.action == FileAction::Modify && is_source(&f.path))
            .count()
    };
    (1..plan.phases.len())
        .filter(|i| n(&plan.phases[*i]) > 0)
        .max_by_key(|i| (n(&plan.phases[*i]), std::cmp::Reverse(*i)))
}

/// `path` replaced by `with` everywhere in the plan: files and every text.
fn replace_path(plan: &mut Plan, path: &str, with: &str) {
    for p in &mut plan.phases {
        for f in &mut p.files {
            if f.path == path {
                f.path = with.to_string();
            }
        }
        for t in p
            .steps
            .iter_mut()
            .chain(p.success_criteria.iter_mut())
            .chain(p.gate.iter_mut())
            .chain(std::iter::once(&mut p.rollback))
            .chain(std::iter::once(&mut p.goal))
            .chain(std::iter::once(&mut p.title))
        {
            *t = t.replace(path, with);
        }
    }
}

/// The source files of the repository with `ext`, walked with the `.gitignore` respected.
fn sources(repo: &Path, ext: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in ignore::WalkBuilder::new(repo).build().flatten() {
        if e.file_type().is_some_and(|t| t.is_file()) {
            if let Ok(rel) = e.path().strip_prefix(repo) {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if rel.ends_with(&format!(".{ext}")) {
                    out.push(rel);
                }
            }
        }
    }
    out.sort();
    out
}

/// The undeclared command the bench gates on, by ecosystem (something a project of that kind
/// might run, which this one does not declare).
fn undeclared(probe: &ProbeReport) -> String {
    let declared: Vec<&str> = probe.commands.iter().map(|c| c.command.as_str()).collect();
    let candidates = [
        "cargo nextest run --workspace",
        "tox -e lint",
        "golangci-lint run ./...",
        "./gradlew check",
        "npm run test:e2e",
        "make integration-test",
    ];
    candidates
        .iter()
        .find(|c| !declared.contains(c))
        .map(|c| c.to_string())
        .unwrap_or_else(|| "make integration-test".into())
}

/// What a mutation knows of the case besides the plan.
pub struct Facts<'a> {
    pub probe: &'a ProbeReport,
    pub repo: &'a Path,
    pub baseline: &'a Baseline,
    pub deployable: bool,
    /// The files the real commit changed (the ground truth): never "unrelated".
    pub truth: &'a [String],
    /// A number fixed per case, to pick among candidates without bias.
    pub seed: u64,
}

/// The plan mutated by `kind`, or `None` when the mutation does not apply to it (no work phase,
/// no unrelated file, a deployable repository for the deployment phase).
pub fn mutate(kind: Kind, plan: &Plan, facts: &Facts<'_>) -> Option<Mutant> {
    let (probe, repo, baseline, deployable) =
        (facts.probe, facts.repo, facts.baseline, facts.deployable);
    let mut p = plan.clone();
    let mut b = baseline.clone();
    let w = work_phase(plan);
    match kind {
        Kind::WrongFile => {
            let w = w?;
            let target = plan.phases[w]
                .files
                .iter()
                .find(|f| f.action == FileAction::Modify && is_source(&f.path))?
                .path
                .clone();
            let ext = target.rsplit_once('.')?.1.to_string();
            let touched: Vec<&str> = plan
                .phases
                .iter()
                .flat_map(|x| x.files.iter().map(|f| f.path.as_str()))
                .collect();
            let relevant: Vec<&str> = probe
                .relevant_files
                .iter()
                .map(|f| f.path.as_str())
                .collect();
            // Unrelated: a source file of the same language the probe does not relate to the
            // task, the plan does not touch and the real commit did not change; one of them
            // picked by the case's seed.
            let pool: Vec<String> = sources(repo, &ext)
                .into_iter()
                .filter(|s| !touched.contains(&s.as_str()) && !relevant.contains(&s.as_str()))
                .filter(|s| !facts.truth.contains(s))
                .filter(|s| !s.contains("test") && !s.contains("example") && !s.contains("bench"))
                .collect();
            if pool.is_empty() {
                return None;
            }
            let other = pool[(facts.seed % pool.len() as u64) as usize].clone();
            replace_path(&mut p, &target, &other);
        }
        Kind::MissingFile => {
            let w = w?;
            let target = plan.phases[w]
                .files
                .iter()
                .find(|f| f.action == FileAction::Modify && is_source(&f.path))?
                .path
                .clone();
            let (stem, ext) = target.rsplit_once('.')?;
            let missing = format!("{stem}_impl.{ext}");
            if repo.join(&missing).exists() {
                return None;
            }
            replace_path(&mut p, &target, &missing);
        }
        Kind::DeleteThenModify => {
            let w = w?;
            let target = plan.phases[w]
                .files
                .iter()
                .find(|f| f.action == FileAction::Modify && is_source(&f.path))?
                .path
                .clone();
            // An earlier work phase deletes what the work phase modifies; with none before it,
            // the work phase deletes it and the last phase modifies it again.
            let (del, modi) = if w > 1 {
                (w - 1, w)
            } else {
                (w, p.phases.len() - 1)
            };
            if modi <= del {
                return None;
            }
            p.phases[del].files.push(FileChange {
                path: target.clone(),
                action: FileAction::Delete,
            });
            if !p.phases[modi].files.iter().any(|f| f.path == target) {
                p.phases[modi].files.push(FileChange {
                    path: target,
                    action: FileAction::Modify,
                });
            }
        }
        Kind::UndeclaredGate => {
            let w = w?;
            p.phases[w].gate = vec![undeclared(probe)];
        }
        Kind::BaselineFailingGate => {
            let w = w?;
            let gated: Vec<String> = plan.phases[w]
                .gate
                .iter()
                .filter(|g| probe.commands.iter().any(|c| c.command == **g))
                .cloned()
                .collect();
            let cmd = gated.first()?.clone();
            for r in &mut b.commands {
                if r.command == cmd {
                    r.passed = false;
                    r.detail = "exit status 1: 3 tests failed on the untouched repository".into();
                }
            }
            if !b.commands.iter().any(|r| r.command == cmd) {
                b.commands.push(BaselineRun {
                    command: cmd,
                    passed: false,
                    detail: "exit status 1".into(),
                    evidence: None,
                    failing: Vec::new(),
                });
            }
        }
        Kind::CriteriaRemoved => {
            p.phases[w?].success_criteria.clear();
        }
        Kind::RollbackRemoved => {
            p.phases[w?].rollback.clear();
        }
        Kind::GenericSteps => {
            p.phases[w?].steps = vec![
                "Implement the change.".into(),
                "Add tests.".into(),
                "Update docs.".into(),
            ];
        }
        Kind::DeploymentPhase => {
            if deployable {
                return None;
            }
            let test = probe
                .commands
                .iter()
                .find(|c| c.purpose == "test")
                .map(|c| c.command.clone());
            let n = p.phases.len();
            p.phases.push(Phase {
                id: format!("{n:02}"),
                slug: "canary-rollout".into(),
                title: "Roll out to production behind a canary".into(),
                goal: "Deploy the change to 5% of production traffic, then everyone.".into(),
                steps: vec![
                    "Deploy the release to one canary instance serving 5% of traffic for 24 h."
                        .into(),
                    "Watch the error-rate dashboard and the p95 latency alert during the canary."
                        .into(),
                ],
                files: Vec::new(),
                success_criteria: vec![
                    "The error rate stays below 0.5% for 24 h at each stage.".into()
                ],
                gate: test.into_iter().collect(),
                rollback: "Redeploy the previous release and route all traffic back to it.".into(),
                depends_on: vec![format!("{:02}", n - 1)],
                provenance: None,
            });
        }
    }
    Some(Mutant {
        plan: p,
        baseline: b,
    })
}

//! How the model's enums are spelled in files, prompts, messages and on the command line: one
//! spelling per value, the one docs/design.md §4 (verdicts, severities) and the WIT (`task-kind`,
//! `category`, `file-action`, `convergence-reason`) use.
use super::wire::{Category, ConvergenceReason, FileAction, Severity, TaskKind, Verdict};

/// The bias lenses the host serves to planners (`agent-request.lens`), in docs/design.md §2
/// order: the offline planner implements each (`offline/planner/lens.rs`), and each has a
/// prompt fragment `_shared/agents/lens-{name}.md` for the models. Which lenses a strategy
/// uses, and in what order, is the strategy's own business (Alloy takes the first N).
pub const LENSES: [&str; 7] = [
    "correctness",
    "minimalist",
    "defensive",
    "performance",
    "ux",
    "verification",
    "migration",
];

impl Verdict {
    /// The spelling of docs/design.md §4: `"SAFE"`, `"CAUTION"`, `"RISKY"`, `"BLOCK"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Safe => "SAFE",
            Verdict::Caution => "CAUTION",
            Verdict::Risky => "RISKY",
            Verdict::Block => "BLOCK",
        }
    }

    /// Parses the spelling of [`Verdict::as_str`], ignoring ASCII case and surrounding
    /// whitespace; `None` for anything else.
    pub fn parse(s: &str) -> Option<Verdict> {
        let s = s.trim();
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s))
    }
}

impl Severity {
    /// The spelling of docs/design.md §4: `"critical"`, `"high"`, `"medium"`, `"low"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

impl TaskKind {
    /// Every task kind, in the order of docs/design.md §2 stage 1.
    pub const ALL: [TaskKind; 9] = [
        TaskKind::Greenfield,
        TaskKind::Feature,
        TaskKind::Bugfix,
        TaskKind::Refactor,
        TaskKind::Migration,
        TaskKind::Replacement,
        TaskKind::Performance,
        TaskKind::Security,
        TaskKind::Research,
    ];

    /// The lowercase spelling of docs/design.md §2 stage 1: `"feature"`, `"bugfix"`, ….
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Greenfield => "greenfield",
            TaskKind::Feature => "feature",
            TaskKind::Bugfix => "bugfix",
            TaskKind::Refactor => "refactor",
            TaskKind::Migration => "migration",
            TaskKind::Replacement => "replacement",
            TaskKind::Performance => "performance",
            TaskKind::Security => "security",
            TaskKind::Research => "research",
        }
    }
}

impl Category {
    /// Every category, strongest first.
    pub const ALL: [Category; 3] = [Category::Ultrabrain, Category::Deep, Category::Quick];

    /// `"ultrabrain"`, `"deep"` or `"quick"` (docs/design.md §3 invariant 7).
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Ultrabrain => "ultrabrain",
            Category::Deep => "deep",
            Category::Quick => "quick",
        }
    }

    /// Parses the spelling of [`Category::as_str`] exactly; `None` for anything else.
    pub fn parse(s: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl FileAction {
    /// `"create"`, `"modify"` or `"delete"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FileAction::Create => "create",
            FileAction::Modify => "modify",
            FileAction::Delete => "delete",
        }
    }
}

impl ConvergenceReason {
    /// `"variance"`, `"delta"` or `"cap"` (docs/design.md §2, the convergence checker).
    pub fn as_str(self) -> &'static str {
        match self {
            ConvergenceReason::Variance => "variance",
            ConvergenceReason::Delta => "delta",
            ConvergenceReason::Cap => "cap",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(
    Verdict,
    Severity,
    TaskKind,
    Category,
    FileAction,
    ConvergenceReason
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Each spelling is the one serde writes to disk, so files and messages agree.
    #[test]
    fn spellings_match_the_serialized_form() {
        for v in Verdict::ALL {
            assert_eq!(yaml(&v), v.as_str());
            assert_eq!(Verdict::parse(&v.as_str().to_lowercase()), Some(v));
        }
        for k in TaskKind::ALL {
            assert_eq!(yaml(&k), k.as_str());
        }
        for c in Category::ALL {
            assert_eq!(yaml(&c), c.as_str());
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::parse("Deep"), None);
        for s in [
            Severity::Critical,
            Severity::High,
            Severity::Medium,
            Severity::Low,
        ] {
            assert_eq!(yaml(&s), s.as_str());
        }
        for a in [FileAction::Create, FileAction::Modify, FileAction::Delete] {
            assert_eq!(yaml(&a), a.as_str());
        }
        for r in [
            ConvergenceReason::Variance,
            ConvergenceReason::Delta,
            ConvergenceReason::Cap,
        ] {
            assert_eq!(yaml(&r), r.as_str());
        }
        assert_eq!(TaskKind::Bugfix.to_string(), "bugfix");
    }

    fn yaml<T: serde::Serialize>(v: &T) -> String {
        serde_yaml::to_string(v).unwrap().trim().to_string()
    }
}

//! Localization measures of a plan against a commit's ground truth (issue 10, "How it is
//! measured"): does the plan name the files and definitions that a real commit changed?
//!
//! Used by `host/benches/localization.rs`, which runs the pipeline on the parent of each commit
//! of a mined corpus and scores the plan here. The rules that tell a source file from a test,
//! vendored, generated or documentation file are data ([`PathRules`], read from
//! `host/benches/localization/rules.json`, the same file the corpus miner reads), so the ground
//! truth and the scoring use one definition.
//!
//! What is counted, per case:
//! - **files named** ([`named_files`]): the distinct paths of the plan's file changes whose
//!   action is `modify` or `create` (paths trimmed, `\` turned into `/`, a leading `./`
//!   dropped), keeping only those the rules call source files (tests, docs, manifests and
//!   generated files the plan names are not counted either way);
//! - **hit**: at least one ground-truth file (modified or created) is among them;
//! - **correct**: how many of them are ground-truth files (precision = correct / named, pooled
//!   over the cases of a [`Summary`]);
//! - **symbols named** ([`names_in`]): the ground-truth definition names (distinct, bare names)
//!   that occur in the plan's text ([`plan_text`]: every string of the plan) as a whole word,
//!   case-sensitively.
//!
//! A refused case (the intent gate or Metis blocked the task, no plan) counts as a miss in the
//! hit rate and the symbol share, and names no file.
use crate::model::{FileAction, Plan};
use regex::{Regex, RegexSet};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// The path rules of the localization corpus (`rules.json`); other keys of the file are
/// ignored.
#[derive(Clone, Debug, Deserialize)]
pub struct PathRules {
    /// Language → file extensions (without the dot) of its source files.
    pub languages: BTreeMap<String, Vec<String>>,
    /// A path matching any of these (regular expressions, searched anywhere in the
    /// repository-relative `/`-separated path) is a test file.
    pub test_path_patterns: Vec<String>,
    /// A path matching any of these is vendored, generated, documentation or example code.
    pub excluded_path_patterns: Vec<String>,
    /// A file whose first `generated_head_lines` lines match this is generated.
    pub generated_marker: String,
    pub generated_head_lines: usize,
}

/// [`PathRules`] compiled.
#[derive(Clone, Debug)]
pub struct Classifier {
    ext_lang: BTreeMap<String, String>,
    test: RegexSet,
    excluded: RegexSet,
    generated: Regex,
    head_lines: usize,
}

impl Classifier {
    /// # Errors
    /// A pattern of `rules` that is not a valid regular expression.
    pub fn new(rules: &PathRules) -> Result<Self, regex::Error> {
        let ext_lang = rules
            .languages
            .iter()
            .flat_map(|(lang, exts)| exts.iter().map(move |e| (e.clone(), lang.clone())))
            .collect();
        Ok(Classifier {
            ext_lang,
            test: RegexSet::new(&rules.test_path_patterns)?,
            excluded: RegexSet::new(&rules.excluded_path_patterns)?,
            generated: Regex::new(&rules.generated_marker)?,
            head_lines: rules.generated_head_lines,
        })
    }

    /// The language whose extension `path` has (`None`: not a source language).
    pub fn language(&self, path: &str) -> Option<&str> {
        let file = path.rsplit('/').next().unwrap_or(path);
        let (_, ext) = file.rsplit_once('.')?;
        self.ext_lang.get(ext).map(String::as_str)
    }

    /// `true` for a test file (by its path alone).
    pub fn is_test_path(&self, path: &str) -> bool {
        self.test.is_match(path)
    }

    /// `true` for a source file by its path alone: a source language's extension, not a test,
    /// not vendored/generated/documentation.
    pub fn is_source_path(&self, path: &str) -> bool {
        self.language(path).is_some() && !self.is_test_path(path) && !self.excluded.is_match(path)
    }

    /// `true` when the head of `contents` carries a generated-code marker.
    pub fn is_generated(&self, contents: &str) -> bool {
        let head: Vec<&str> = contents.lines().take(self.head_lines).collect();
        self.generated.is_match(&head.join("\n"))
    }
}

/// A path as plans write it, made comparable with the ground truth's repository-relative paths.
pub fn normalize_path(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let mut p = p.as_str();
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p.to_string()
}

/// The distinct paths of `plan`'s `modify` and `create` file changes, normalized, in plan
/// order, that `is_source` accepts.
pub fn named_files(plan: &Plan, is_source: impl Fn(&str) -> bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in plan.phases.iter().flat_map(|p| &p.files) {
        if !matches!(f.action, FileAction::Modify | FileAction::Create) {
            continue;
        }
        let p = normalize_path(&f.path);
        if is_source(&p) && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// Every string of the plan, one per line: title, thesis, effort, each phase's title, goal,
/// steps, file paths, success criteria, gate, rollback, then dependencies, out of scope and
/// iron rules.
pub fn plan_text(plan: &Plan) -> String {
    let mut parts: Vec<&str> = vec![&plan.title, &plan.thesis, &plan.effort];
    for ph in &plan.phases {
        parts.extend([ph.title.as_str(), &ph.goal, &ph.rollback]);
        parts.extend(ph.steps.iter().map(String::as_str));
        parts.extend(ph.files.iter().map(|f| f.path.as_str()));
        parts.extend(ph.success_criteria.iter().map(String::as_str));
        parts.extend(ph.gate.iter().map(String::as_str));
    }
    let d = &plan.dependencies;
    for list in [&d.services, &d.env_vars, &d.permissions] {
        parts.extend(list.iter().map(String::as_str));
    }
    parts.extend(plan.out_of_scope.iter().map(String::as_str));
    parts.extend(plan.iron_rules.iter().map(String::as_str));
    parts.join("\n")
}

/// The names of `names` (distinct, in order) that occur in `text` as whole words,
/// case-sensitively (`parse` does not match in `parse_args` nor `Parse`).
pub fn names_in(text: &str, names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        if n.is_empty() || out.contains(n) {
            continue;
        }
        let re = Regex::new(&format!(r"\b{}\b", regex::escape(n))).expect("escaped name");
        if re.is_match(text) {
            out.push(n.clone());
        }
    }
    out
}

/// What a commit changed: the ground truth of one case.
#[derive(Clone, Debug, Default)]
pub struct Truth {
    /// Source files modified and created, repository-relative.
    pub files: Vec<String>,
    /// Distinct bare names of the definitions the commit changed.
    pub symbols: Vec<String>,
}

/// The score of one case.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CaseScore {
    /// No plan: the task was refused (intent gate or Metis).
    pub refused: bool,
    /// Source files named (see the module docs).
    pub named: Vec<String>,
    /// Named files that the commit modified or created.
    pub correct: Vec<String>,
    /// Ground-truth definition names named in the plan text.
    pub symbols_named: Vec<String>,
    /// Distinct ground-truth definition names.
    pub symbols_total: usize,
}

impl CaseScore {
    /// A case refused before any plan.
    pub fn refused(truth: &Truth) -> Self {
        CaseScore {
            refused: true,
            symbols_total: distinct(&truth.symbols),
            ..Default::default()
        }
    }

    /// Scores `named` files and `text` (the plan's, or a baseline's list of files) against
    /// `truth`.
    pub fn new(named: Vec<String>, text: &str, truth: &Truth) -> Self {
        let correct = named
            .iter()
            .filter(|n| truth.files.contains(n))
            .cloned()
            .collect();
        CaseScore {
            refused: false,
            symbols_named: names_in(text, &truth.symbols),
            symbols_total: distinct(&truth.symbols),
            named,
            correct,
        }
    }

    /// Scores a plan against `truth`; `is_source` filters the plan's files.
    pub fn of_plan(plan: &Plan, truth: &Truth, is_source: impl Fn(&str) -> bool) -> Self {
        Self::new(named_files(plan, is_source), &plan_text(plan), truth)
    }

    /// A ground-truth file is named.
    pub fn hit(&self) -> bool {
        !self.correct.is_empty()
    }
}

fn distinct(names: &[String]) -> usize {
    names.iter().collect::<BTreeSet<_>>().len()
}

/// Scores of many cases, pooled.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub cases: usize,
    pub hits: usize,
    pub refused: usize,
    /// Files named over all cases, and how many of them were right.
    pub named: usize,
    pub correct: usize,
    /// Cases with at least one ground-truth definition, and the sum of their shares of
    /// definitions named.
    pub symbol_cases: usize,
    pub symbol_share_sum: f64,
    /// Cases with at least one ground-truth definition named.
    pub symbol_any: usize,
}

impl Summary {
    pub fn add(&mut self, s: &CaseScore) {
        self.cases += 1;
        self.hits += usize::from(s.hit());
        self.refused += usize::from(s.refused);
        self.named += s.named.len();
        self.correct += s.correct.len();
        if s.symbols_total > 0 {
            self.symbol_cases += 1;
            self.symbol_share_sum += s.symbols_named.len() as f64 / s.symbols_total as f64;
            self.symbol_any += usize::from(!s.symbols_named.is_empty());
        }
    }

    /// Share of cases where a ground-truth file is named, 0–1 (`None` without cases).
    pub fn hit_rate(&self) -> Option<f64> {
        ratio(self.hits, self.cases)
    }

    /// Share of named files that are ground-truth files, pooled, 0–1 (`None`: none named).
    pub fn precision(&self) -> Option<f64> {
        ratio(self.correct, self.named)
    }

    /// Files named per plan (refused cases excluded).
    pub fn named_per_plan(&self) -> Option<f64> {
        ratio(self.named, self.cases - self.refused)
    }

    /// Mean share of a case's changed definitions that the plan names, over the cases that
    /// have any, 0–1.
    pub fn symbol_share(&self) -> Option<f64> {
        (self.symbol_cases > 0).then(|| self.symbol_share_sum / self.symbol_cases as f64)
    }

    /// Share of the cases with changed definitions where at least one is named, 0–1.
    pub fn symbol_any_rate(&self) -> Option<f64> {
        ratio(self.symbol_any, self.symbol_cases)
    }

    /// Share of cases refused, 0–1.
    pub fn refusal_rate(&self) -> Option<f64> {
        ratio(self.refused, self.cases)
    }
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Dependencies, FileChange, Phase};

    fn rules() -> Classifier {
        Classifier::new(&PathRules {
            languages: [
                ("rust".into(), vec!["rs".into()]),
                ("go".into(), vec!["go".into()]),
            ]
            .into(),
            test_path_patterns: vec!["(^|/)tests/".into(), "_test\\.go$".into()],
            excluded_path_patterns: vec!["(^|/)(docs|vendor)/".into()],
            generated_marker: "(?i)code generated .* do not edit".into(),
            generated_head_lines: 2,
        })
        .unwrap()
    }

    fn phase(files: &[(&str, FileAction)], steps: &[&str]) -> Phase {
        Phase {
            id: "01".into(),
            slug: "s".into(),
            title: "Change the parser".into(),
            goal: "g".into(),
            steps: steps.iter().map(|s| s.to_string()).collect(),
            files: files
                .iter()
                .map(|(p, a)| FileChange {
                    path: p.to_string(),
                    action: *a,
                })
                .collect(),
            success_criteria: vec![],
            gate: vec![],
            rollback: String::new(),
            depends_on: vec![],
            provenance: None,
        }
    }

    fn plan(phases: Vec<Phase>) -> Plan {
        Plan {
            title: "t".into(),
            thesis: "th".into(),
            effort: "S".into(),
            phases,
            dependencies: Dependencies::default(),
            out_of_scope: vec!["Leave Lexer alone".into()],
            iron_rules: vec![],
            author: "test".into(),
        }
    }

    #[test]
    fn classifier_tells_sources_from_tests_docs_and_generated() {
        let c = rules();
        assert!(c.is_source_path("src/ast/mod.rs"));
        assert!(!c.is_source_path("tests/parse.rs"));
        assert!(!c.is_source_path("flag_test.go"));
        assert!(!c.is_source_path("docs/intro.rs"));
        assert!(!c.is_source_path("README.md"));
        assert!(!c.is_source_path("Makefile"));
        assert_eq!(c.language("cmd/main.go"), Some("go"));
        assert!(c.is_generated("// Code generated by protoc. DO NOT EDIT.\npackage x"));
        assert!(!c.is_generated("package x\n\n// Code generated by protoc. DO NOT EDIT."));
    }

    #[test]
    fn scores_a_hand_made_plan() {
        let c = rules();
        let p = plan(vec![
            phase(
                &[
                    ("./src/ast/mod.rs", FileAction::Modify),
                    ("src/parser.rs", FileAction::Modify),
                    ("tests/parsing.rs", FileAction::Create),
                    ("README.md", FileAction::Modify),
                    ("src/old.rs", FileAction::Delete),
                ],
                &["Add RepetitionCountTooLarge to `ErrorKind` in parse_counted_repetition"],
            ),
            phase(
                &[
                    ("src/ast/mod.rs", FileAction::Modify),
                    ("src/error.rs", FileAction::Create),
                ],
                &["Map the new kind in ErrorKinds"],
            ),
        ]);
        let truth = Truth {
            files: vec![
                "src/ast/mod.rs".into(),
                "src/error.rs".into(),
                "src/lib.rs".into(),
            ],
            symbols: vec![
                "ErrorKind".into(),
                "parse_counted_repetition".into(),
                "Parser".into(),
                "parse".into(),
                "ErrorKind".into(),
                "Lexer".into(),
            ],
        };
        let s = CaseScore::of_plan(&p, &truth, |f| c.is_source_path(f));
        // Named: the three source files to modify/create, deduplicated; not the test, the
        // README or the deletion.
        assert_eq!(s.named, ["src/ast/mod.rs", "src/parser.rs", "src/error.rs"]);
        assert_eq!(s.correct, ["src/ast/mod.rs", "src/error.rs"]);
        assert!(s.hit());
        // Whole words, case-sensitive: `ErrorKinds` and `parse_counted_repetition` do not name
        // `parse`; out_of_scope is plan text too.
        assert_eq!(
            s.symbols_named,
            ["ErrorKind", "parse_counted_repetition", "Lexer"]
        );
        assert_eq!(s.symbols_total, 5);

        let refused = CaseScore::refused(&truth);
        let miss = CaseScore::new(vec!["src/x.rs".into()], "", &Truth::default());
        let mut sum = Summary::default();
        for c in [&s, &refused, &miss] {
            sum.add(c);
        }
        assert_eq!(sum.hit_rate(), Some(1.0 / 3.0));
        assert_eq!(sum.precision(), Some(2.0 / 4.0));
        assert_eq!(sum.named_per_plan(), Some(2.0));
        // Two cases have changed definitions: 3/5 and the refused 0/5.
        assert_eq!(sum.symbol_share(), Some(0.3));
        assert_eq!(sum.symbol_any_rate(), Some(0.5));
        assert_eq!(sum.refusal_rate(), Some(1.0 / 3.0));
    }
}

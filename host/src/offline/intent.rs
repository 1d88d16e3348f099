//! The Intent Gate (docs/design.md §2 stage 1): classifies a one-line task into one of the nine task
//! kinds by weighted cues, and checks that it is clear enough to plan.
//!
//! Classification: every cue of [`CUES`] that matches the lowercased task adds its weight to
//! its kind; the kind with the highest total wins. Ties are broken by [`PRECEDENCE`] (the
//! riskier, more specific kind first: security > migration > replacement > bugfix >
//! performance > refactor > research > greenfield > feature), so "Fix the XSS in comments"
//! (security 4 + bugfix 2) and "Fix the slow report" are decided by weight, and an exact tie
//! between, say, replacement and refactor goes to replacement. A task with no cue at all is a
//! feature.
//!
//! Clarity ([`crate::offline::clarity`]): a task is vague (`clear == false`) when it is empty,
//! longer than [`MAX_TASK_CHARS`], a single word, names no object (no code name, no name the
//! code index resolved, and not two meaningful non-vague terms — or one after a clear leading
//! verb such as "add", "deprecate", "use"), or leans on filler words ("stuff", "things",
//! "etc"). A vague task gets the reasons and two to four clarifying questions aimed at what is
//! missing. The gate runs before the probe, so [`classify`] reads the task text alone;
//! [`with_resolution`] reads it again once the probe has resolved it against the code index
//! (Metis does).
use crate::model::resolution::Resolution;
use crate::model::{Intent, TaskKind};
use crate::offline::clarity::{self, Evidence};
use crate::text;
use regex::Regex;
use std::sync::LazyLock;

pub use crate::offline::clarity::MAX_TASK_CHARS;

/// One classification cue: a regex on the lowercased task, the kind it votes for, its weight.
struct Cue {
    pattern: &'static str,
    kind: TaskKind,
    weight: u32,
}

const fn cue(pattern: &'static str, kind: TaskKind, weight: u32) -> Cue {
    Cue {
        pattern,
        kind,
        weight,
    }
}

/// The weighted cues. Patterns are matched against the lowercased task; `\b` keeps them on
/// word boundaries.
const CUES: &[Cue] = &[
    // bugfix
    cue(r"\bfix(es|ed|ing)?\b", TaskKind::Bugfix, 2),
    // A commit-style "Fix:" or "fix(scope):" prefix says what the whole sentence is.
    cue(
        r"^\s*(fix|bugfix|hotfix)(\([^)]*\))?!?:",
        TaskKind::Bugfix,
        4,
    ),
    // "… instead of panicking": the old behaviour was the defect.
    cue(
        r"\binstead of (panick|crash|fail|throw|error|hang|abort|silently|npe|null ?pointer|exception)\w*",
        TaskKind::Bugfix,
        3,
    ),
    cue(r"\bbug(s|gy)?\b", TaskKind::Bugfix, 3),
    cue(r"\bcrash(es|ed|ing)?\b", TaskKind::Bugfix, 3),
    cue(r"\bregression\b", TaskKind::Bugfix, 3),
    cue(r"\bbroken\b", TaskKind::Bugfix, 2),
    cue(r"\b(fails|failing|failure)\b", TaskKind::Bugfix, 2),
    cue(
        r"\b(panic|panics|exception|stack ?trace|segfault)\b",
        TaskKind::Bugfix,
        2,
    ),
    cue(
        r"\b(not working|doesn't work|does not work|wrong|incorrect)\b",
        TaskKind::Bugfix,
        2,
    ),
    cue(
        r"\b(leak|leaks|leaking|deadlock|race condition|off-by-one)\b",
        TaskKind::Bugfix,
        2,
    ),
    // migration
    cue(r"\bmigrat(e|es|ed|ing|ion|ions)\b", TaskKind::Migration, 3),
    cue(r"\bmove\b.*\bfrom\b.*\bto\b", TaskKind::Migration, 3),
    cue(r"\bmove\b.*\bto\b", TaskKind::Migration, 2),
    cue(r"\bupgrad(e|es|ed|ing)\b", TaskKind::Migration, 3),
    cue(
        r"\bport(ed|ing)? (it |this |the \w+ )?to\b",
        TaskKind::Migration,
        2,
    ),
    cue(r"\bbackfill\b", TaskKind::Migration, 2),
    cue(r"\b(deprecat\w*|sunset\w*)\b", TaskKind::Migration, 2),
    cue(
        r"\b(zero[- ]downtime|schema change)\b",
        TaskKind::Migration,
        2,
    ),
    // replacement
    cue(r"\breplac(e|es|ed|ing|ement)\b", TaskKind::Replacement, 3),
    cue(r"\bswap(s|ped|ping)?\b", TaskKind::Replacement, 3),
    // "Use X instead of Y" replaces Y; "instead of" inside a feature's description does not.
    cue(
        r"^\s*(use|switch|replace|migrate|move|swap|adopt|prefer)\b.*\binstead of\b",
        TaskKind::Replacement,
        3,
    ),
    cue(
        r"\bswitch(es|ed|ing)? (from|over)\b",
        TaskKind::Replacement,
        2,
    ),
    cue(r"\brip(ping)? out\b", TaskKind::Replacement, 2),
    // refactor
    cue(r"\brefactor(s|ed|ing)?\b", TaskKind::Refactor, 3),
    cue(r"\brestructur(e|es|ed|ing)\b", TaskKind::Refactor, 3),
    cue(r"\bclean(ing)?[- ]?up\b", TaskKind::Refactor, 2),
    cue(r"\bextract(s|ed|ing)?\b", TaskKind::Refactor, 2),
    // Moving code into a module or file is a refactor ("Move naturalsize into a new module
    // units.py"), not a migration ("Move sessions to Redis").
    cue(
        r"\bmov(e|es|ed|ing)\b.*\b(into|to)\b.*(\b(module|file|package|crate|class|namespace)\b|\.(py|rs|js|ts|mjs|cjs|go|java|kt|rb)\b)",
        TaskKind::Refactor,
        3,
    ),
    cue(r"\bunif(y|ies|ied|ying)\b", TaskKind::Refactor, 3),
    cue(r"\bconsolidat(e|es|ed|ing)\b", TaskKind::Refactor, 2),
    cue(r"\bsimplif(y|ies|ied|ying)\b", TaskKind::Refactor, 2),
    cue(r"\brewrit(e|es|ing|ten)\b", TaskKind::Refactor, 2),
    cue(r"\breorgani[sz](e|es|ed|ing)\b", TaskKind::Refactor, 2),
    cue(r"\bdecoupl(e|es|ed|ing)\b", TaskKind::Refactor, 2),
    cue(r"\b(remove|delete)\b", TaskKind::Refactor, 1),
    cue(
        r"\b(deduplicate|dedupe|rename|modulari[sz]e|split up)\b",
        TaskKind::Refactor,
        2,
    ),
    // performance
    cue(r"\bfaster\b", TaskKind::Performance, 3),
    cue(r"\blatenc(y|ies)\b", TaskKind::Performance, 3),
    cue(r"\bslow(er|ness|ly)?\b", TaskKind::Performance, 3),
    cue(
        r"\boptimi[sz](e|es|ed|ing|ation)\b",
        TaskKind::Performance,
        3,
    ),
    cue(r"\bmemory\b", TaskKind::Performance, 2),
    cue(r"\bthroughput\b", TaskKind::Performance, 3),
    cue(r"\b(performance|perf)\b", TaskKind::Performance, 3),
    cue(r"\bspeed(s|ing)? up\b", TaskKind::Performance, 3),
    cue(
        r"\b(p50|p95|p99|cpu|bottleneck|n\+1|allocations?)\b",
        TaskKind::Performance,
        2,
    ),
    cue(r"\bbenchmark(s|ed|ing)?\b", TaskKind::Performance, 2),
    // security
    cue(r"\bvulnerab(le|ility|ilities)\b", TaskKind::Security, 4),
    cue(r"\bcve-?\d*\b", TaskKind::Security, 4),
    cue(r"\bharden(s|ed|ing)?\b", TaskKind::Security, 3),
    cue(r"\bauth(n|z)?\b", TaskKind::Security, 2),
    cue(r"\bpermissions?\b", TaskKind::Security, 2),
    cue(r"\bsecrets?\b", TaskKind::Security, 3),
    cue(
        r"\b(xss|csrf|ssrf|injection|clickjacking)\b",
        TaskKind::Security,
        4,
    ),
    cue(r"\bsecurity\b", TaskKind::Security, 4),
    cue(
        r"\b(encrypt(s|ed|ion)?|sanitiz(e|es|ed|ation)|privilege escalation)\b",
        TaskKind::Security,
        3,
    ),
    cue(
        r"\b(password|passwords|credential|credentials)\b",
        TaskKind::Security,
        1,
    ),
    // research
    cue(r"\binvestigat(e|es|ed|ing|ion)\b", TaskKind::Research, 4),
    cue(r"\bevaluat(e|es|ed|ing|ion)\b", TaskKind::Research, 3),
    cue(r"\bcompar(e|es|ed|ing|ison)\b", TaskKind::Research, 3),
    cue(r"\bresearch\b", TaskKind::Research, 4),
    cue(r"\bspike\b", TaskKind::Research, 4),
    cue(
        r"\b(explore|assess|feasibility|trade-?offs?)\b",
        TaskKind::Research,
        3,
    ),
    cue(
        r"\b(should we|proof of concept|poc)\b",
        TaskKind::Research,
        3,
    ),
    // greenfield
    cue(r"\bfrom scratch\b", TaskKind::Greenfield, 4),
    cue(r"\bgreenfield\b", TaskKind::Greenfield, 4),
    cue(r"\bnew (micro)?service\b", TaskKind::Greenfield, 4),
    cue(
        r"\b(scaffold|bootstrap)(s|ed|ing)?\b",
        TaskKind::Greenfield,
        3,
    ),
    cue(r"\b(build|create|design|write)\b", TaskKind::Greenfield, 1),
    cue(
        r"\b(build|create|design|write) (a|an|our own|the) (\w+ ){0,3}(service|app|application|engine|system|platform|library|tool|cli|project|server|sdk)\b",
        TaskKind::Greenfield,
        3,
    ),
    // feature
    cue(r"\badd(s|ed|ing)?\b", TaskKind::Feature, 2),
    cue(r"\bsupport(s|ed|ing)?\b", TaskKind::Feature, 2),
    cue(
        r"\b(allow|enable|introduce|expose|implement)(s|d|ed|ing)?\b",
        TaskKind::Feature,
        2,
    ),
    cue(
        r"\b(let|lets) (users|customers|admins|people)\b",
        TaskKind::Feature,
        2,
    ),
    cue(
        r"\bnew (endpoint|flag|option|command|page|field|setting)\b",
        TaskKind::Feature,
        2,
    ),
];

/// Tie-break order: on equal weight the kind earlier in this list wins.
pub const PRECEDENCE: [TaskKind; 9] = [
    TaskKind::Security,
    TaskKind::Migration,
    TaskKind::Replacement,
    TaskKind::Bugfix,
    TaskKind::Performance,
    TaskKind::Refactor,
    TaskKind::Research,
    TaskKind::Greenfield,
    TaskKind::Feature,
];

static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    CUES.iter()
        .map(|c| Regex::new(c.pattern).expect("intent cue patterns are valid"))
        .collect()
});

/// Classifies `task` and checks its clarity (docs/design.md §2 stage 1).
///
/// Input: the user's task, any length. Output: an [`Intent`]; never fails. Deterministic: the
/// same task always gives the same intent. See the module docs for the weights, the
/// tie-break and the clarity rules.
pub fn classify(task: &str) -> Intent {
    let trimmed = task.trim();
    let lower = trimmed.to_lowercase();
    let terms = text::terms(trimmed);
    let (kind, mut reasons) = score_kind(&lower);
    let (vague_reasons, questions) =
        clarity::clarity(trimmed, &lower, &terms, kind, &Evidence::default());
    let clear = vague_reasons.is_empty();
    reasons.extend(vague_reasons);
    Intent {
        kind,
        clear,
        reasons,
        questions,
        terms,
    }
}

/// `intent` (the gate's reading of `task`, from [`classify`]) read again once the probe has
/// resolved the task against the code index: a task refused only because it named no object
/// is clear when it names a symbol, path or flag that `res` resolved
/// ([`Evidence::from_resolution`]). The kind and the cue reasons are kept; an empty resolution
/// changes nothing. A task that is empty, too long or full of filler stays vague.
pub fn with_resolution(intent: &Intent, task: &str, res: &Resolution) -> Intent {
    if intent.clear || res.is_empty() {
        return intent.clone();
    }
    let trimmed = task.trim();
    let evidence = Evidence::from_resolution(trimmed, res);
    if evidence.known.is_empty() {
        return intent.clone();
    }
    let (vague, questions) = clarity::clarity(
        trimmed,
        &trimmed.to_lowercase(),
        &intent.terms,
        intent.kind,
        &evidence,
    );
    let (_, mut reasons) = score_kind(&trimmed.to_lowercase());
    let clear = vague.is_empty();
    if clear {
        reasons.push(format!(
            "the code index resolves {} named in the task",
            evidence
                .known
                .iter()
                .map(|k| format!("'{k}'"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    reasons.extend(vague);
    Intent {
        kind: intent.kind,
        clear,
        reasons,
        questions,
        terms: intent.terms.clone(),
    }
}

/// Sums the cue weights per kind; returns the winner and one reason line per contributing cue
/// of the winning kind.
fn score_kind(lower: &str) -> (TaskKind, Vec<String>) {
    let mut totals = [0u32; 9];
    let mut hits: Vec<(TaskKind, String, u32)> = Vec::new();
    for (cue, re) in CUES.iter().zip(COMPILED.iter()) {
        if let Some(m) = re.find(lower) {
            totals[index(cue.kind)] += cue.weight;
            let shown: String = m.as_str().chars().take(40).collect();
            hits.push((cue.kind, shown, cue.weight));
        }
    }
    let best = PRECEDENCE
        .iter()
        .copied()
        .max_by(|a, b| {
            totals[index(*a)]
                .cmp(&totals[index(*b)])
                // max_by keeps the last of equals: reverse precedence so the earlier kind wins.
                .then_with(|| rank(*b).cmp(&rank(*a)))
        })
        .unwrap_or(TaskKind::Feature);
    if totals[index(best)] == 0 {
        return (
            TaskKind::Feature,
            vec!["feature: no classification cue matched; feature is the default".to_string()],
        );
    }
    let mut reasons: Vec<String> = hits
        .iter()
        .filter(|(k, _, _)| *k == best)
        .map(|(k, word, w)| format!("{}: '{}' +{}", k.as_str(), word, w))
        .collect();
    let runner_up = PRECEDENCE
        .iter()
        .copied()
        .filter(|k| *k != best && totals[index(*k)] > 0)
        .max_by(|a, b| {
            totals[index(*a)]
                .cmp(&totals[index(*b)])
                .then_with(|| rank(*b).cmp(&rank(*a)))
        });
    if let Some(r) = runner_up {
        let tie = totals[index(r)] == totals[index(best)];
        reasons.push(format!(
            "{} {} over {} {}{}",
            best.as_str(),
            totals[index(best)],
            r.as_str(),
            totals[index(r)],
            if tie {
                " (tie broken by precedence)"
            } else {
                ""
            }
        ));
    }
    (best, reasons)
}

fn index(kind: TaskKind) -> usize {
    match kind {
        TaskKind::Greenfield => 0,
        TaskKind::Feature => 1,
        TaskKind::Bugfix => 2,
        TaskKind::Refactor => 3,
        TaskKind::Migration => 4,
        TaskKind::Replacement => 5,
        TaskKind::Performance => 6,
        TaskKind::Security => 7,
        TaskKind::Research => 8,
    }
}

fn rank(kind: TaskKind) -> usize {
    PRECEDENCE
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(PRECEDENCE.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(task: &str) -> TaskKind {
        classify(task).kind
    }

    #[test]
    fn classifies_all_nine_kinds() {
        let cases: &[(&str, TaskKind)] = &[
            ("Add rate limiting to the login endpoint", TaskKind::Feature),
            (
                "Support CSV export of invoices from the billing page",
                TaskKind::Feature,
            ),
            (
                "Fix the crash when the config file is missing",
                TaskKind::Bugfix,
            ),
            (
                "Checkout total is wrong after applying two coupons, a regression from 2.3",
                TaskKind::Bugfix,
            ),
            (
                "Rewrite the auth middleware to unify OIDC and legacy JWT",
                TaskKind::Refactor,
            ),
            (
                "Extract the pricing rules from OrderService into their own module",
                TaskKind::Refactor,
            ),
            (
                "Migrate the orders table from MySQL to PostgreSQL",
                TaskKind::Migration,
            ),
            (
                "Upgrade the project from Python 3.9 to Python 3.12",
                TaskKind::Migration,
            ),
            ("Move session storage to Redis", TaskKind::Migration),
            (
                "Move naturalsize into a new module src/humanize/units.py",
                TaskKind::Refactor,
            ),
            (
                "Move the retry helpers to utils/retry.ts",
                TaskKind::Refactor,
            ),
            (
                "Replace moment.js with date-fns across the frontend",
                TaskKind::Replacement,
            ),
            (
                "Use structured logging with tracing instead of println in the worker",
                TaskKind::Replacement,
            ),
            // The whole sentence decides: a "Fix:" prefix, "instead of" after a feature verb.
            ("Fix: greeting ignores the --name flag", TaskKind::Bugfix),
            ("fix(cli): reject empty names", TaskKind::Bugfix),
            (
                "Reject out-of-range '@' Unix timestamp instead of panicking",
                TaskKind::Bugfix,
            ),
            (
                "Add a --quiet flag that prints nothing instead of the summary",
                TaskKind::Feature,
            ),
            (
                "Throw JsonSyntaxException instead of NPE for a null AtomicLongArray element",
                TaskKind::Bugfix,
            ),
            (
                "Make the search endpoint faster: p95 latency is 2 seconds",
                TaskKind::Performance,
            ),
            (
                "Reduce memory usage of the image thumbnail worker",
                TaskKind::Performance,
            ),
            (
                "Patch the SQL injection vulnerability in the report filters",
                TaskKind::Security,
            ),
            (
                "Harden file upload handling against path traversal",
                TaskKind::Security,
            ),
            (
                "Investigate whether we should adopt gRPC for internal services",
                TaskKind::Research,
            ),
            (
                "Compare Redis streams and Postgres LISTEN/NOTIFY for job dispatch",
                TaskKind::Research,
            ),
            (
                "Build a new service from scratch that ingests webhook events",
                TaskKind::Greenfield,
            ),
            (
                "Create a command line tool that validates deployment manifests",
                TaskKind::Greenfield,
            ),
            (
                "Deprecate and remove the v1 export endpoints",
                TaskKind::Migration,
            ),
            (
                "Remove the unused feature toggles from the settings module",
                TaskKind::Refactor,
            ),
            ("Speed up the nightly report job", TaskKind::Performance),
        ];
        for (task, want) in cases {
            assert_eq!(
                kind(task),
                *want,
                "task {task:?}: {:?}",
                classify(task).reasons
            );
        }
    }

    #[test]
    fn default_is_feature_and_reasons_name_the_cues() {
        let i = classify("Show the customer's timezone on the profile page");
        assert_eq!(i.kind, TaskKind::Feature);
        assert!(i.reasons[0].contains("default"));
        let i = classify("Fix the crash in the export job");
        assert!(
            i.reasons.iter().any(|r| r.contains("'crash' +3")),
            "{:?}",
            i.reasons
        );
    }

    #[test]
    fn ties_follow_precedence() {
        // replacement 'swap' 3 vs refactor 'restructure' 3: replacement is earlier in PRECEDENCE.
        let i = classify("Swap and restructure the payment adapters module");
        assert_eq!(i.kind, TaskKind::Replacement);
        assert!(
            i.reasons
                .iter()
                .any(|r| r.contains("tie broken by precedence")),
            "{:?}",
            i.reasons
        );
    }

    #[test]
    fn clear_examples_are_clear() {
        for t in [
            "Add rate limiting to the login endpoint",
            "Rewrite the auth middleware to unify OIDC and legacy JWT",
            "Fix the crash when the config file is missing",
            "Move session storage to Redis",
        ] {
            let i = classify(t);
            assert!(i.clear, "{t}: {:?}", i.reasons);
            assert!(i.questions.is_empty());
        }
    }

    #[test]
    fn vague_tasks_are_blocked_with_questions() {
        for t in [
            "improve it",
            "fix stuff",
            "make the code better",
            "refactor",
            "",
            "   ",
            "Clean up the logging and other things etc",
        ] {
            let i = classify(t);
            assert!(!i.clear, "{t:?} should be vague");
            assert!(!i.reasons.is_empty());
            assert!(
                (2..=4).contains(&i.questions.len()),
                "{t:?}: {:?}",
                i.questions
            );
            assert!(i.questions.iter().all(|q| q.ends_with('?')));
        }
        let i = classify("fix stuff");
        assert!(
            i.questions.iter().any(|q| q.contains("broken")),
            "{:?}",
            i.questions
        );
        assert!(
            i.questions.iter().any(|q| q.contains("'stuff'")),
            "{:?}",
            i.questions
        );
        let i = classify("make the code better");
        assert!(
            i.questions.iter().any(|q| q.contains("measurable")),
            "{:?}",
            i.questions
        );
    }

    #[test]
    fn overlong_task_is_vague() {
        let long = "Add a retry with backoff to the payment client. ".repeat(50);
        let i = classify(&long);
        assert!(!i.clear);
        assert!(i.reasons.iter().any(|r| r.contains("2000")));
    }

    #[test]
    fn classification_is_deterministic() {
        let a = classify("Migrate sessions from cookies to Redis and fix the logout bug");
        let b = classify("Migrate sessions from cookies to Redis and fix the logout bug");
        assert_eq!(a, b);
    }
}

//! Whether a task is clear enough to plan (docs/design.md §2 stage 1, the Intent Gate's
//! clarity check), and the clarifying questions for one that is not.
//!
//! A task is clear when it names an **object** — something in the code to change — and hides
//! nothing behind filler words. The object is, in order:
//! 1. a code name the task writes ([`crate::index::extract_names`]: a backticked span, a `--flag`,
//!    `Type::member`, a file path, a `dotted.path`, `snake_case`, `CamelCase`): "deprecate
//!    BaseCommand", "Add `StreamBody`";
//! 2. a name the code index resolved (only once the probe has run: [`Evidence::known`]);
//! 3. plain words: two meaningful terms that are not vague ("improve", "better", "code",
//!    "bug", …), or one after a leading verb that says what to do to it ([`ACTION_VERBS`]:
//!    "Add logging", "Drop Python 3.7 support"). A weak verb ([`WEAK_VERBS`]: "fix", "make",
//!    "improve") needs two: "fix the parser" does not say what is broken.
//!
//! Vague: an empty task, one longer than [`MAX_TASK_CHARS`], a single word, a task with no
//! object (then fewer than three meaningful terms is said too), or one that leans on filler
//! ("stuff", "things", "etc"). A vague task gets the reasons and two to four questions aimed at
//! what is missing.
use crate::model::resolution::Resolution;
use crate::model::TaskKind;
use crate::text;

/// Longest task the gate accepts as a one-line task (characters).
pub const MAX_TASK_CHARS: usize = 2000;

/// Words that say nothing about what to change, by what they leave open, each group with the
/// question that asks for it (the last group has none of its own).
pub const VAGUE_WORDS: &[(&[&str], Option<&str>)] = &[
    (
        &[
            "fix", "fixes", "fixed", "fixing", "issue", "issues", "problem", "problems", "bug",
            "bugs",
        ],
        Some("What exactly is broken: the error message or failing command, and the steps that reproduce it?"),
    ),
    (
        &[
            "improve",
            "improved",
            "improves",
            "improving",
            "improvement",
            "improvements",
            "better",
            "best",
            "good",
            "nicer",
            "nice",
            "quality",
            "faster",
            "performance",
            "readability",
            "stability",
        ],
        Some("What measurable outcome defines 'better' here: a latency or memory target, a failing case that must pass, or a module that must become easier to change?"),
    ),
    (
        &[
            "clean", "cleanup", "tweak", "tweaks", "change", "changes", "update", "updates",
        ],
        Some("Which behaviour must stay exactly the same, and which may change?"),
    ),
    (
        &[
            "code", "stuff", "things", "thing", "etc", "something", "anything", "everything",
            "work", "works", "working", "misc", "various", "general", "bunch", "whatever",
            "somehow", "stuffs", "lot", "lots", "kind", "sort", "app", "project", "codebase",
            "system", "program", "properly", "really",
        ],
        None,
    ),
];

/// Whether a (lowercase) term is a vague word ([`VAGUE_WORDS`]).
pub fn is_vague(term: &str) -> bool {
    VAGUE_WORDS.iter().any(|(ws, _)| ws.contains(&term))
}

/// Words that hide the scope of a task.
pub const FILLER: &[&str] = &[
    "stuff",
    "things",
    "etc",
    "whatever",
    "somehow",
    "misc",
    "and so on",
];

/// Leading verbs that say what to do to the object that follows (commit-subject style: "Add
/// X", "Deprecate Y", "Use Z"); inflected forms ("adds", "added") count.
pub const ACTION_VERBS: &[&str] = &[
    "add",
    "allow",
    "avoid",
    "bump",
    "cache",
    "check",
    "convert",
    "deprecate",
    "disable",
    "document",
    "drop",
    "emit",
    "enable",
    "ensure",
    "escape",
    "expose",
    "extract",
    "forward",
    "handle",
    "hide",
    "honor",
    "honour",
    "ignore",
    "implement",
    "inline",
    "introduce",
    "limit",
    "log",
    "merge",
    "migrate",
    "move",
    "normalize",
    "parse",
    "port",
    "preserve",
    "prevent",
    "propagate",
    "raise",
    "reduce",
    "refactor",
    "reject",
    "remove",
    "rename",
    "replace",
    "respect",
    "restore",
    "retry",
    "return",
    "revert",
    "rewrite",
    "sanitize",
    "show",
    "simplify",
    "skip",
    "sort",
    "split",
    "store",
    "support",
    "switch",
    "test",
    "unify",
    "update",
    "upgrade",
    "use",
    "validate",
    "wrap",
    "delete",
    "deduplicate",
    "optimize",
    "optimise",
    "speed",
    "accept",
    "require",
    "include",
    "exclude",
    "expose",
    "register",
    "stream",
    "serialize",
    "deserialize",
    "format",
    "print",
    "display",
    "warn",
    "read",
    "write",
    "load",
    "save",
    "create",
    "build",
    "generate",
    "configure",
    "pin",
    "unpin",
    "vendor",
    "release",
];

/// Leading verbs that say a change is wanted but not which: with one of them, plain words
/// must name the object twice over.
pub const WEAK_VERBS: &[&str] = &["fix", "make", "improve", "change", "tweak", "clean", "do"];

/// What the gate knows besides the task text.
#[derive(Clone, Debug, Default)]
pub struct Evidence {
    /// Names of the task the code index resolved (symbols, paths, flags), lowercase.
    pub known: Vec<String>,
}

impl Evidence {
    /// The names of `task` that `res` resolved: the resolved [`Resolution::names`] the task
    /// writes, and the
    /// task's terms (vague words excepted) that name a ranked symbol or a ranked file's stem,
    /// compared case- and separator-insensitively (`parser` ~ `Parser`, `src/parser.rs`).
    pub fn from_resolution(task: &str, res: &Resolution) -> Evidence {
        let lower = task.to_lowercase();
        let mut known: Vec<String> = res
            .names
            .iter()
            .filter(|n| !n.symbols.is_empty() || !n.files.is_empty())
            .map(|n| n.text.to_lowercase())
            .filter(|n| !n.is_empty() && lower.contains(n.as_str()))
            .collect();
        let norm = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let stems: Vec<String> = res
            .symbols
            .iter()
            .map(|s| norm(&s.name))
            .chain(res.files.iter().map(|f| {
                let file = f.path.rsplit('/').next().unwrap_or(&f.path);
                norm(file.split('.').next().unwrap_or(file))
            }))
            .collect();
        for t in text::terms(task) {
            let n = norm(&t);
            if !is_vague(&t) && stems.contains(&n) && !known.contains(&t) {
                known.push(t);
            }
        }
        Evidence { known }
    }
}

/// The reasons `task` is vague (empty when it is clear) and the questions that would clear it.
/// `task` is trimmed, `lower` its lowercase form, `terms` its [`text::terms`].
pub fn clarity(
    task: &str,
    lower: &str,
    terms: &[String],
    kind: TaskKind,
    evidence: &Evidence,
) -> (Vec<String>, Vec<String>) {
    if task.is_empty() {
        return (
            vec!["the task is empty".to_string()],
            vec![
                "What should change in the repository, in one sentence (verb, component, outcome)?"
                    .into(),
                "Which file, module, endpoint or command is the change about?".into(),
                "How will you know it is done: which test, metric or behaviour proves it?".into(),
            ],
        );
    }
    let mut reasons = Vec::new();
    let mut questions: Vec<String> = Vec::new();
    let chars = task.chars().count();
    if chars > MAX_TASK_CHARS {
        reasons.push(format!(
            "the task is {chars} characters long; the Intent Gate accepts one-line tasks of at most {MAX_TASK_CHARS}"
        ));
        ask(&mut questions, "What one-sentence outcome must this task deliver (the details can live in a document the plan references)?");
        ask(
            &mut questions,
            "Which parts of this description are requirements and which are background?",
        );
    }
    let words: Vec<&str> = task.split_whitespace().collect();
    if words.len() == 1 {
        reasons.push(format!("the task is a single word ('{}')", words[0]));
    }
    let object = object_of(task, terms, evidence);
    let vague_used: Vec<&String> = terms.iter().filter(|t| is_vague(t)).collect();
    if object.is_none() {
        if terms.len() < 3 {
            reasons.push(format!(
                "the task has {} meaningful term(s) ({}); at least 3 are needed to match it against the repository",
                terms.len(),
                if terms.is_empty() { "none".to_string() } else { terms.join(", ") }
            ));
        }
        reasons.push(if vague_used.is_empty() {
            "the task names no object: no component, file or behaviour to change".to_string()
        } else {
            format!(
                "only vague words ({}) with no object: nothing says what to change or how to tell it is done",
                vague_used.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        });
    }
    let fillers: Vec<&str> = FILLER
        .iter()
        .copied()
        .filter(|f| text::contains_word(lower, f))
        .collect();
    if !fillers.is_empty() {
        reasons.push(format!(
            "open-ended words ({}) hide the scope",
            fillers.join(", ")
        ));
    }
    if reasons.is_empty() {
        return (reasons, questions);
    }
    let missing_object = object.is_none() || words.len() == 1;
    questions_for(&mut questions, missing_object, &vague_used, &fillers, kind);
    (reasons, questions)
}

/// What the task names as its object, if anything (see the module docs), e.g. `"BaseCommand"`.
pub fn object_of(task: &str, terms: &[String], evidence: &Evidence) -> Option<String> {
    if let Some(m) = crate::index::extract_names(task).into_iter().next() {
        return Some(m.text);
    }
    if let Some(k) = evidence.known.first() {
        return Some(k.clone());
    }
    let verb = leading_verb(task);
    let specific: Vec<&String> = terms
        .iter()
        .filter(|t| !is_vague(t) && verb.as_ref().is_none_or(|(_, w)| w != *t))
        .collect();
    let needed = match &verb {
        Some((v, _)) if !WEAK_VERBS.contains(v) => 1,
        _ => 2,
    };
    (specific.len() >= needed).then(|| {
        specific
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// The task's leading verb, after a `scope:` or `type(scope):` prefix ("parser: add …",
/// "feat(cli): add …"): `(the verb of ACTION_VERBS or WEAK_VERBS, the word as written,
/// lowercased)`. Inflections are undone: "adds", "added", "fixes", "deprecated".
pub fn leading_verb(task: &str) -> Option<(&'static str, String)> {
    let t = task.trim_start();
    let t = match t.split_once(": ") {
        Some((prefix, rest))
            if !prefix.contains(' ') && prefix.len() <= 40 && !rest.trim().is_empty() =>
        {
            rest
        }
        _ => t,
    };
    let first = t.split_whitespace().next()?;
    let word = first.trim_matches(|c: char| !c.is_alphanumeric());
    let lower = word.to_lowercase();
    let candidates = [
        lower.as_str(),
        lower.strip_suffix("es").unwrap_or(""),
        lower.strip_suffix('s').unwrap_or(""),
        lower.strip_suffix("ed").unwrap_or(""),
        lower.strip_suffix('d').unwrap_or(""),
    ];
    let verb = candidates.iter().find_map(|c| {
        ACTION_VERBS
            .iter()
            .chain(WEAK_VERBS)
            .find(|v| !c.is_empty() && *v == c)
            .copied()
    })?;
    Some((verb, lower))
}

fn ask(qs: &mut Vec<String>, q: &str) {
    if !qs.iter().any(|x| x == q) {
        qs.push(q.to_string());
    }
}

/// Questions aimed at what is missing, most specific first; two to four.
fn questions_for(
    questions: &mut Vec<String>,
    missing_object: bool,
    vague_used: &[&String],
    fillers: &[&str],
    kind: TaskKind,
) {
    if missing_object {
        ask(questions, "Which component, file, endpoint or command should change (for example a path such as `src/…` or a route such as `POST /login`)?");
    }
    for (words, question) in VAGUE_WORDS {
        let used = vague_used.iter().any(|t| words.contains(&t.as_str()));
        let broken = words.contains(&"fix") && kind == TaskKind::Bugfix;
        if let Some(q) = question.filter(|_| used || broken) {
            ask(questions, q);
        }
    }
    if let Some(f) = fillers.first() {
        ask(questions, &format!(
            "Which specific items does '{f}' stand for, so each can become a phase or be declared out of scope?"
        ));
    }
    if questions.len() < 2 {
        ask(
            questions,
            "How will you know it is done: which test, metric or behaviour proves it?",
        );
    }
    if questions.len() < 2 {
        ask(questions, "Which constraints must hold (backwards compatibility, downtime, deadline, services that may not change)?");
    }
    questions.truncate(4);
}

#[cfg(test)]
mod tests;

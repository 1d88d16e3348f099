//! The rules every reader of a plan applies the same way (docs/design.md §5): what makes a
//! success criterion measurable, what is scope creep, what is a placeholder and what makes a
//! rollback explicit.
//!
//! One definition, used by the offline planner (which writes plans that must pass them), by
//! offline Momus and the red team (which score plans against them) and by Alloy's synthesis
//! (which picks the strongest phase of several variants with them). The host links this crate
//! natively and the Alloy guest links it for `wasm32-unknown-unknown`, so it has no dependency
//! and no `unsafe`; every rule is a table of words or phrases below, matched on word
//! boundaries, case-insensitively.
#![forbid(unsafe_code)]

pub mod rubric;
mod words;

use words::{find_phrase, Phrase, Words};

/// Words that name something an observer can check (an exit status, an output, a count, a
/// state). A criterion that names one of them — or a number, a command in backticks or a
/// comparison — says how to tell it holds.
pub const OBSERVABLE_WORDS: &[&str] = &[
    "exit",
    "exits",
    "exited",
    "pass",
    "passes",
    "passed",
    "fail",
    "fails",
    "failed",
    "return",
    "returns",
    "returned",
    "respond",
    "responds",
    "responded",
    "reject",
    "rejects",
    "rejected",
    "accept",
    "accepts",
    "accepted",
    "contain",
    "contains",
    "contained",
    "print",
    "prints",
    "printed",
    "log",
    "logs",
    "logged",
    "emit",
    "emits",
    "emitted",
    "show",
    "shows",
    "shown",
    "match",
    "matches",
    "matched",
    "equal",
    "equals",
    "succeed",
    "succeeds",
    "succeeded",
    "error",
    "errors",
    "warning",
    "warnings",
    "status",
    "exist",
    "exists",
    "present",
    "absent",
    "zero",
    "compile",
    "compiles",
    "build",
    "builds",
    "report",
    "reports",
    "count",
    "counts",
    "latency",
    "within",
    "only",
    "every",
    "none",
    "list",
    "lists",
    "output",
    "outputs",
    "write",
    "writes",
    "read",
    "reads",
    "create",
    "creates",
    "remove",
    "removes",
    "raise",
    "raises",
    "throw",
    "throws",
    "block",
    "blocks",
    "denies",
    "allow",
    "allows",
    "redirect",
    "redirects",
    "unchanged",
    "identical",
];

/// Multi-word observables ("no longer", "at most", "at least").
pub const OBSERVABLE_PHRASES: &[&str] = &["no longer", "at most", "at least"];

/// Characters that pin a criterion to something checkable: a command in backticks, a
/// comparison, a percentage.
pub const PINNING_CHARS: &[char] = &['`', '<', '>', '=', '≤', '≥', '%'];

/// Phrases that claim quality without saying how to check it ("works well", "as expected",
/// "robust"). A `*` ends a word prefix (`seamless*` matches "seamlessly").
pub const VAGUE_PHRASES: &[&str] = &[
    "work well",
    "works well",
    "work correctly",
    "works correctly",
    "work properly",
    "works properly",
    "work fine",
    "works fine",
    "as expected",
    "as intended",
    "look good",
    "looks good",
    "look right",
    "looks right",
    "look fine",
    "looks fine",
    "is good",
    "is better",
    "is nicer",
    "is cleaner",
    "properly",
    "improve",
    "improved",
    "robust",
    "seamless*",
    "user friendly",
    "high quality",
    "feel",
    "feels",
    "should be fine",
    "should be ok",
    "should be good",
    "best practice",
    "best practices",
];

/// Whether a success criterion (or the text of a `check:` gate) is measurable
/// (docs/design.md §5 correctness): it names something observable — a digit, a command in
/// backticks, a comparison or percentage ([`PINNING_CHARS`]), or an observable word such as
/// "exits", "returns", "passes", "rejects", "logs" ([`OBSERVABLE_WORDS`],
/// [`OBSERVABLE_PHRASES`]) — and, unless a digit or a backtick pins it, it is not merely vague
/// ([`VAGUE_PHRASES`]: "works well", "as expected", "properly", "robust").
///
/// Input: any text (empty gives `false`). Never panics.
pub fn is_measurable(text: &str) -> bool {
    let pinned = text.chars().any(|c| c.is_ascii_digit()) || text.contains('`');
    let w = Words::of(text);
    let signal = pinned
        || text.chars().any(|c| PINNING_CHARS.contains(&c))
        || w.any_word(OBSERVABLE_WORDS)
        || OBSERVABLE_PHRASES
            .iter()
            .any(|p| find_phrase(&w, &Phrase::parse(p)).is_some());
    signal && (pinned || !VAGUE_PHRASES.iter().any(|p| w.has(p)))
}

/// Phrases that introduce work nobody asked for (docs/design.md §5 scope hygiene: no "we
/// could also"). A `*` ends a word prefix (`gold plat*` matches "gold-plating"); hyphens and
/// apostrophes separate words like spaces ("nice-to-have", "while we're at it").
pub const CREEP_PHRASES: &[&str] = &[
    "we could also",
    "could also",
    "nice to have",
    "optionally",
    "while we re at it",
    "while were at it",
    "while we are at it",
    "might as well",
    "stretch goal",
    "stretch goals",
    "as a bonus",
    "if time permits",
    "gold plat*",
    "future proof*",
];

/// The first scope-creep phrase of `text` ([`CREEP_PHRASES`]), as written in `text`,
/// lowercased: `"We could also add a dashboard"` → `Some("we could also")`. When two phrases
/// start at the same word the longer wins. `None` when there is none.
pub fn creep_phrase(text: &str) -> Option<String> {
    let w = Words::of(text);
    CREEP_PHRASES
        .iter()
        .filter_map(|p| find_phrase(&w, &Phrase::parse(p)))
        .min_by_key(|&(start, end)| (start, std::cmp::Reverse(end)))
        .map(|(start, end)| text[start..end].to_lowercase())
}

/// Texts that say nothing when they stand alone (after trimming punctuation and case).
pub const PLACEHOLDERS: &[&str] = &[
    "",
    "n/a",
    "na",
    "none",
    "tbd",
    "todo",
    "nothing",
    "-",
    "?",
    "same",
    "see above",
];

/// Whether `text` is a placeholder that says nothing ([`PLACEHOLDERS`]: empty, "n/a", "TBD",
/// "none", "see above", …), ignoring case, surrounding whitespace and punctuation.
pub fn is_placeholder(text: &str) -> bool {
    let t: String = text
        .trim()
        .trim_matches(|c: char| c.is_ascii_punctuation())
        .to_lowercase();
    PLACEHOLDERS.contains(&t.trim())
}

/// Words (or word prefixes, ending with `*`) and phrases that say how a change is undone.
pub const UNDO_PHRASES: &[&str] = &[
    "revert*",
    "restor*",
    "delet*",
    "remov*",
    "drop*",
    "disabl*",
    "redeploy*",
    "undo*",
    "reset*",
    "discard*",
    "uninstall*",
    "downgrad*",
    "flip*",
    "turn*",
    "switch back",
    "roll back",
    "roll it back",
    "rolls back",
    "down migration",
    "migrate down",
    "nothing to roll back",
];

/// Shortest explicit rollback, in characters: shorter text cannot say what is undone and how
/// to tell it was.
pub const MIN_ROLLBACK_CHARS: usize = 20;

/// Whether a phase's rollback is explicit (docs/design.md §5 risk posture: "rollback
/// explicit"): not a placeholder ([`is_placeholder`]), at least [`MIN_ROLLBACK_CHARS`]
/// characters, and it names how the change is undone ([`UNDO_PHRASES`]: revert, restore,
/// delete, drop, turn the flag off, redeploy, "nothing to roll back", …).
pub fn is_explicit_rollback(text: &str) -> bool {
    let t = text.trim();
    if is_placeholder(t) || t.chars().count() < MIN_ROLLBACK_CHARS {
        return false;
    }
    let w = Words::of(t);
    UNDO_PHRASES.iter().any(|p| w.has(p))
}

#[cfg(test)]
mod tests;

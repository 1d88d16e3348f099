//! A demand as the rules of [`super::rules::RULES`] read it ([`Read`]), and what they did with
//! it ([`Log`]): shared by the rule modules (`rules`, `needs`), below both.
use super::edit::{covering, live_targets};
use super::text::{BACKTICK, ENV_VAR};
use super::Demand;
use crate::offline::planner::draft::Draft;

/// Demands that forbid something.
const PROHIBITION_CUES: &[&str] = &[
    "never ",
    "do not ",
    "don't ",
    "avoid ",
    "must not ",
    "no ",
    "only ",
];
/// Demands that remove or merge a phase.
const REMOVAL_CUES: &[&str] = &[
    "remove phase",
    "drop phase",
    "delete phase",
    "cut phase",
    "remove the phase",
    "drop the phase",
    "merge phase",
];

/// A demand as the rules read it.
pub(super) struct Read<'a> {
    pub dm: &'a Demand,
    /// The text lowercased, without backticked spans and env-var names, so a command such as
    /// `pytest` or a variable such as SECRET_KEY does not read as "test" or "secret".
    pub l: String,
    /// The phases it names that still exist in the draft.
    pub targets: Vec<String>,
    /// It forbids something ("never …", "do not …", "only …").
    pub prohibition: bool,
    /// A phase that already does what it asks (e.g. "threat model" → the threat-model phase);
    /// only for the run's own directives: review demands are specific and always change the
    /// plan.
    pub covered: Option<String>,
}

impl<'a> Read<'a> {
    pub(super) fn new(d: &Draft, dm: &'a Demand) -> Read<'a> {
        let scrubbed = ENV_VAR
            .replace_all(&BACKTICK.replace_all(&dm.text, " "), " ")
            .to_string();
        let l = scrubbed.to_lowercase();
        let covered = if dm.origin == "directive" {
            covering(d, &l)
        } else {
            None
        };
        let mut r = Read {
            dm,
            l,
            targets: live_targets(d, dm),
            prohibition: false,
            covered,
        };
        r.prohibition = r.starts(PROHIBITION_CUES);
        r
    }

    /// The text contains one of `words`.
    pub(super) fn has(&self, words: &[&str]) -> bool {
        words.iter().any(|w| self.l.contains(w))
    }

    /// The text starts with one of `words`.
    pub(super) fn starts(&self, words: &[&str]) -> bool {
        words.iter().any(|x| self.l.trim_start().starts_with(x))
    }

    /// It asks to remove or merge a phase.
    pub(super) fn removal(&self) -> bool {
        self.has(REMOVAL_CUES)
            || (self.has(&["remove", "drop", "cut"])
                && self.has(&["phase"])
                && self.has(&[
                    "scope",
                    "speculative",
                    "unnecessary",
                    "not needed",
                    "optional",
                ]))
    }

    /// The targets, else the implementation phase.
    pub(super) fn targets_or_impl(&self, d: &Draft) -> Vec<String> {
        if self.targets.is_empty() {
            d.impl_key().into_iter().collect()
        } else {
            self.targets.clone()
        }
    }

    /// The first target, else the implementation phase.
    pub(super) fn first_target_or_impl(&self, d: &Draft) -> Option<String> {
        self.targets.first().cloned().or_else(|| d.impl_key())
    }
}

/// What the rules did with one demand.
#[derive(Default)]
pub(super) struct Log {
    /// How the plan was changed.
    pub done: Vec<String>,
    /// Where the plan already answers it.
    pub satisfied: Vec<String>,
    /// Why a part was not done.
    pub deferred: Vec<String>,
    /// Some rule matched the demand.
    pub matched: bool,
}

//! The Momus rubric (docs/design.md §5): six dimensions with their weights, what one finding
//! costs, the score bands, the EMIT threshold and the cap a critical finding puts on a score,
//! and the per-phase rubric items that every reader of a phase applies.
//!
//! One definition: offline Momus scores whole plans with [`score`], the host caps a model
//! Momus's score with [`cap_for_critical`], and Alloy's synthesis ranks candidate phases with
//! [`phase_score`], which is [`score`] over the [`phase_items`] of one phase.
//!
//! How a score is made. Each dimension starts at 100 and loses [`penalty`] per finding of that
//! dimension (critical 100, high 40, medium 15, low 5), floored at 0. The score is the mean of
//! the six dimension scores weighted by [`Dimension::weight`] (25, 15, 15, 10, 20, 15: they sum to
//! 100), rounded half up. A plan with a critical finding scores at most [`CAP_ON_CRITICAL`] (69),
//! below the [`EMIT_THRESHOLD`] (70): a plan whose files are wrong or that contradicts itself
//! cannot be emitted, whatever else it does well. What one finding takes off the total is
//! [`points`]: its penalty times its dimension's weight over 100 (a high correctness finding
//! costs 10 points), until its dimension reaches 0.

/// The six dimensions of docs/design.md §5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    Correctness,
    Completeness,
    RiskPosture,
    ScopeHygiene,
    EvidencePlan,
    Sequencing,
}

impl Dimension {
    /// All six, in docs/design.md §5 order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Correctness,
        Dimension::Completeness,
        Dimension::RiskPosture,
        Dimension::ScopeHygiene,
        Dimension::EvidencePlan,
        Dimension::Sequencing,
    ];

    /// Human name: `"correctness"`, `"completeness"`, `"risk posture"`, `"scope hygiene"`,
    /// `"evidence plan"`, `"sequencing"`.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Correctness => "correctness",
            Dimension::Completeness => "completeness",
            Dimension::RiskPosture => "risk posture",
            Dimension::ScopeHygiene => "scope hygiene",
            Dimension::EvidencePlan => "evidence plan",
            Dimension::Sequencing => "sequencing",
        }
    }

    /// The dimension whose [`Dimension::name`] starts `text` (case-insensitive), e.g. the
    /// `"Correctness: …"` prefix of a Momus finding's concern; `None` when none does.
    pub fn of_concern(text: &str) -> Option<Dimension> {
        let t = text.trim_start().to_ascii_lowercase();
        Dimension::ALL.into_iter().find(|d| t.starts_with(d.name()))
    }

    /// Weight in the score, out of 100. Correctness and the evidence plan weigh most: they are
    /// what an implementer and Hephaestus depend on to prove each phase done.
    pub fn weight(self) -> u32 {
        match self {
            Dimension::Correctness => 25,
            Dimension::Completeness => 15,
            Dimension::RiskPosture => 15,
            Dimension::ScopeHygiene => 10,
            Dimension::EvidencePlan => 20,
            Dimension::Sequencing => 15,
        }
    }

    fn index(self) -> usize {
        Dimension::ALL
            .iter()
            .position(|d| *d == self)
            .unwrap_or_default()
    }
}

/// The level of a finding (the envelope's severity, docs/design.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

/// What one finding costs its dimension, out of 100: critical 100, high 40, medium 15, low 5.
pub fn penalty(level: Level) -> u32 {
    match level {
        Level::Critical => 100,
        Level::High => 40,
        Level::Medium => 15,
        Level::Low => 5,
    }
}

/// The points one finding of `level` in `dimension` takes off the total score when its
/// dimension has not yet reached 0: `penalty × weight / 100` (a high correctness finding: 10).
pub fn points(dimension: Dimension, level: Level) -> f64 {
    f64::from(penalty(level) * dimension.weight()) / 100.0
}

/// Lowest score of the SAFE band.
pub const SAFE_FROM: u8 = 85;
/// Lowest score that can be emitted: the CAUTION band starts here (docs/design.md §4, §5).
pub const EMIT_THRESHOLD: u8 = 70;
/// Lowest score of the RISKY band; below it a score is BLOCK.
pub const RISKY_FROM: u8 = 50;
/// Highest score a plan with a critical finding can get: one below [`EMIT_THRESHOLD`].
pub const CAP_ON_CRITICAL: u8 = EMIT_THRESHOLD - 1;

/// A plan's score and how it was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    /// Each dimension's score, 0–100, in [`Dimension::ALL`] order.
    pub dimensions: [u8; 6],
    /// The weighted mean before the critical cap, 0–100.
    pub raw: u8,
    /// The score: `raw`, or at most [`CAP_ON_CRITICAL`] when a finding was critical.
    pub score: u8,
}

impl Score {
    /// One dimension's score.
    pub fn get(&self, d: Dimension) -> u8 {
        self.dimensions[d.index()]
    }

    /// The points `d` loses from the total: `(100 − its score) × weight / 100`.
    pub fn lost(&self, d: Dimension) -> f64 {
        f64::from((100 - u32::from(self.get(d))) * d.weight()) / 100.0
    }

    /// The lowest-scoring dimension (the first in rubric order on ties) and its score.
    pub fn weakest(&self) -> (Dimension, u8) {
        Dimension::ALL.iter().map(|d| (*d, self.get(*d))).fold(
            (Dimension::Correctness, u8::MAX),
            |best, cur| if cur.1 < best.1 { cur } else { best },
        )
    }
}

/// Scores the findings `items` (each its dimension and level) by the rubric (module docs).
/// No finding gives 100.
pub fn score<I: IntoIterator<Item = (Dimension, Level)>>(items: I) -> Score {
    let mut lost = [0u32; 6];
    let mut critical = false;
    for (d, l) in items {
        lost[d.index()] += penalty(l);
        critical |= l == Level::Critical;
    }
    let mut dimensions = [0u8; 6];
    for (i, l) in lost.iter().enumerate() {
        dimensions[i] = 100u32.saturating_sub(*l) as u8;
    }
    let total: u32 = Dimension::ALL
        .iter()
        .map(|d| d.weight() * u32::from(dimensions[d.index()]))
        .sum();
    let weights: u32 = Dimension::ALL.iter().map(|d| d.weight()).sum();
    let raw = ((total + weights / 2) / weights).min(100) as u8;
    let score = if critical {
        cap_for_critical(raw, true)
    } else {
        raw
    };
    Score {
        dimensions,
        raw,
        score,
    }
}

/// `score`, lowered to at most [`CAP_ON_CRITICAL`] when `critical` (a critical finding was
/// made, by this reviewer or by the deterministic checks); never raised.
pub fn cap_for_critical(score: u8, critical: bool) -> u8 {
    if critical {
        score.min(CAP_ON_CRITICAL)
    } else {
        score
    }
}

/// What one phase holds, as the phase rubric reads it.
#[derive(Clone, Copy, Debug)]
pub struct PhaseFacts<'a> {
    /// `true` for phase 00, the preflight (its gate is judged by the evidence plan).
    pub preflight: bool,
    pub goal: &'a str,
    pub steps: &'a [String],
    pub success_criteria: &'a [String],
    pub gate: &'a [String],
    pub rollback: &'a str,
    /// The phase creates, modifies or deletes at least one file.
    pub changes_files: bool,
    /// The commands the project declares (the probe's detected commands); empty when unknown,
    /// and then gate commands are not judged.
    pub declared: &'a [String],
}

/// One rule of the phase rubric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PhaseRule {
    /// No step (correctness, medium).
    NoSteps,
    /// An empty goal (correctness, low).
    NoGoal,
    /// No success criterion (correctness, high).
    NoCriterion,
    /// Criteria of which none is measurable ([`crate::is_measurable`]) (correctness, medium).
    NoMeasurableCriterion,
    /// No gate, for a phase after 00 (correctness, high).
    NoGate,
    /// A gate of `check:` entries only, none measurable (correctness, medium).
    VagueGate,
    /// No rollback, or a placeholder (risk posture: high, low for a phase that changes no file).
    NoRollback,
    /// A rollback that does not say how the change is undone ([`crate::is_explicit_rollback`])
    /// (risk posture: medium, low for a phase that changes no file).
    VagueRollback,
    /// A goal or step with a scope-creep phrase ([`crate::creep_phrase`]) (scope hygiene,
    /// medium, once per phase).
    Creep,
    /// A gate command (not a `check:`) that the project does not declare (evidence plan, once
    /// per phase): nothing proves it runs here, and Hephaestus will not run it. High when no
    /// declared command is left in the gate of a phase after 00, else medium.
    UndeclaredCommand,
}

impl PhaseRule {
    /// The dimension and level of this rule for a phase (see each variant).
    pub fn cost(self, facts: &PhaseFacts<'_>) -> (Dimension, Level) {
        match self {
            PhaseRule::NoSteps => (Dimension::Correctness, Level::Medium),
            PhaseRule::NoGoal => (Dimension::Correctness, Level::Low),
            PhaseRule::NoCriterion => (Dimension::Correctness, Level::High),
            PhaseRule::NoMeasurableCriterion => (Dimension::Correctness, Level::Medium),
            PhaseRule::NoGate => (Dimension::Correctness, Level::High),
            PhaseRule::VagueGate => (Dimension::Correctness, Level::Medium),
            PhaseRule::NoRollback if facts.changes_files => (Dimension::RiskPosture, Level::High),
            PhaseRule::NoRollback => (Dimension::RiskPosture, Level::Low),
            PhaseRule::VagueRollback if facts.changes_files => {
                (Dimension::RiskPosture, Level::Medium)
            }
            PhaseRule::VagueRollback => (Dimension::RiskPosture, Level::Low),
            PhaseRule::Creep => (Dimension::ScopeHygiene, Level::Medium),
            PhaseRule::UndeclaredCommand => {
                let any_declared = facts
                    .gate
                    .iter()
                    .any(|g| facts.declared.iter().any(|d| d.trim() == g.trim()));
                if facts.preflight || any_declared {
                    (Dimension::EvidencePlan, Level::Medium)
                } else {
                    (Dimension::EvidencePlan, Level::High)
                }
            }
        }
    }
}

fn blank(items: &[String]) -> bool {
    items.iter().all(|s| s.trim().is_empty())
}

/// Whether a gate entry is a manual check (`check: …`, case-insensitive) rather than a command.
pub fn is_check(entry: &str) -> bool {
    entry
        .trim_start()
        .get(..6)
        .is_some_and(|p| p.eq_ignore_ascii_case("check:"))
}

/// The phase-rubric rules `facts` breaks, in [`PhaseRule`] order.
pub fn phase_items(facts: &PhaseFacts<'_>) -> Vec<PhaseRule> {
    let mut out = Vec::new();
    if blank(facts.steps) {
        out.push(PhaseRule::NoSteps);
    }
    if facts.goal.trim().is_empty() {
        out.push(PhaseRule::NoGoal);
    }
    let criteria: Vec<&String> = facts
        .success_criteria
        .iter()
        .filter(|c| !c.trim().is_empty())
        .collect();
    if criteria.is_empty() {
        out.push(PhaseRule::NoCriterion);
    } else if !criteria.iter().any(|c| crate::is_measurable(c)) {
        out.push(PhaseRule::NoMeasurableCriterion);
    }
    let gate: Vec<&String> = facts.gate.iter().filter(|g| !g.trim().is_empty()).collect();
    if gate.is_empty() {
        if !facts.preflight {
            out.push(PhaseRule::NoGate);
        }
    } else if gate.iter().all(|g| is_check(g))
        && !gate
            .iter()
            .any(|g| crate::is_measurable(g.trim_start()[6..].trim()))
    {
        out.push(PhaseRule::VagueGate);
    }
    if crate::is_placeholder(facts.rollback) {
        out.push(PhaseRule::NoRollback);
    } else if !crate::is_explicit_rollback(facts.rollback) {
        out.push(PhaseRule::VagueRollback);
    }
    if std::iter::once(facts.goal)
        .chain(facts.steps.iter().map(String::as_str))
        .any(|t| crate::creep_phrase(t).is_some())
    {
        out.push(PhaseRule::Creep);
    }
    if !undeclared_commands(facts.gate, facts.declared).is_empty() {
        out.push(PhaseRule::UndeclaredCommand);
    }
    out
}

/// The gate commands of `gate` (not `check:` entries, not blank) that are not in `declared`
/// (compared after trimming), in gate order; empty when `declared` is empty (nothing known).
pub fn undeclared_commands<'g>(gate: &'g [String], declared: &[String]) -> Vec<&'g str> {
    if declared.is_empty() {
        return Vec::new();
    }
    gate.iter()
        .map(|g| g.trim())
        .filter(|g| !g.is_empty() && !is_check(g))
        .filter(|g| !declared.iter().any(|d| d.trim() == *g))
        .collect()
}

/// The rubric score of one phase on its own: [`score`] over its [`phase_items`]. Alloy's
/// synthesis picks the strongest version of a phase by it; 100 is a phase the rubric finds
/// nothing wrong with.
pub fn phase_score(facts: &PhaseFacts<'_>) -> u8 {
    score(phase_items(facts).into_iter().map(|r| r.cost(facts))).score
}

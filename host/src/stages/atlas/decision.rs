//! Atlas's decision (docs/design.md §4): the gate arithmetic of one iteration, the overall
//! verdict, the emission decision, what a re-loop carries into the next iteration
//! (docs/design.md §3 invariant 5), and the verdict fields the rollup ends with.
//!
//! Pure functions of the iteration's envelopes and the run's flags: no I/O, no clock. The
//! pipeline (`host/src/pipeline/`) calls [`decide`] once per iteration that reaches stage 7
//! (or stops at Metis) and [`settle`] once when it writes the rollup.
use crate::model::rules::hephaestus_verdict;
use crate::model::{Envelope, RedTeamReport, Verdict};
use crate::render::rollup::{emission, Emission, GateStatus};

/// The envelopes of one iteration as Atlas sees them.
#[derive(Clone, Copy, Debug)]
pub struct Gates<'a> {
    /// Stage 3's envelope.
    pub metis: &'a Envelope,
    /// Stages 4–6; `None` when the iteration stopped at Metis (a BLOCK with clarifying
    /// questions: nothing else ran).
    pub reviewed: Option<Reviewed<'a>>,
}

/// The envelopes of stages 4–6 on the iteration's final plan.
#[derive(Clone, Copy, Debug)]
pub struct Reviewed<'a> {
    /// Momus's gate envelope (red-team caps applied, docs/design.md §5).
    pub momus: &'a Envelope,
    /// The three red-team envelopes and Oracle's.
    pub red: &'a RedTeamReport,
    /// Hephaestus's envelope (SAFE on PASS, BLOCK on FAIL).
    pub hephaestus: &'a Envelope,
    /// Hephaestus's PASS (`true`) or FAIL.
    pub hephaestus_passed: bool,
}

impl<'a> Gates<'a> {
    /// Every envelope with the name the rollup gives it, in gate order.
    fn named(&self) -> Vec<(&'static str, &'a Envelope)> {
        let mut v = vec![("metis", self.metis)];
        if let Some(r) = self.reviewed {
            v.extend([
                ("momus", r.momus),
                ("redteam-security", &r.red.security),
                ("redteam-scope", &r.red.scope),
                ("redteam-assumptions", &r.red.assumptions),
                ("oracle", &r.red.oracle),
                ("hephaestus", r.hephaestus),
            ]);
        }
        v
    }
}

/// What Atlas decided about one iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    /// The worst verdict of every gate that ran (Hephaestus PASS/FAIL as SAFE/BLOCK).
    pub overall: Verdict,
    pub gate_status: GateStatus,
    /// Every gate green in this iteration (SAFE or CAUTION; RISKY too with `--accept-risk`),
    /// Hephaestus PASS, and every envelope schema-valid.
    pub simultaneous_pass: bool,
    pub emission: Emission,
    /// Envelopes that failed validation, as `agent: problem; problem` (never a pass).
    pub invalid: Vec<String>,
}

/// How many of the three red-team verdicts pass (SAFE or CAUTION): the `N` of `"N/3 PASS"`.
pub fn trinity(red: &RedTeamReport) -> usize {
    [&red.security, &red.scope, &red.assumptions]
        .iter()
        .filter(|e| e.verdict.passes())
        .count()
}

/// Atlas's gate arithmetic (docs/design.md §4) for one iteration.
///
/// Input: the iteration's envelopes and `--accept-risk`. Output: the overall verdict (worst of
/// every gate that ran), the gate status, whether every gate passed at once, and the emission
/// decision of [`emission`]: EMIT iff the simultaneous pass holds and the overall verdict is
/// SAFE or CAUTION (RISKY with `accept_risk`); else ABORT iff the overall verdict is BLOCK and
/// Metis asked clarifying questions; else RE_LOOP. An iteration that stopped at Metis never
/// passes.
pub fn decide(g: Gates<'_>, accept_risk: bool) -> Decision {
    let invalid = invalid_envelopes(&g.named());
    let questions = !g.metis.clarifying_questions.is_empty();
    let Some(r) = g.reviewed else {
        let overall = g.metis.verdict;
        return Decision {
            overall,
            gate_status: GateStatus::metis_only(g.metis.verdict),
            simultaneous_pass: false,
            emission: emission(false, overall, accept_risk, questions),
            invalid,
        };
    };
    let gates = [
        g.metis.verdict,
        r.momus.verdict,
        r.red.security.verdict,
        r.red.scope.verdict,
        r.red.assumptions.verdict,
        r.red.oracle.verdict,
        hephaestus_verdict(r.hephaestus_passed),
    ];
    let overall = Verdict::worst(gates);
    let green = |v: Verdict| v.passes() || (accept_risk && v == Verdict::Risky);
    let simultaneous_pass =
        gates.iter().all(|v| green(*v)) && r.hephaestus_passed && invalid.is_empty();
    Decision {
        overall,
        gate_status: GateStatus {
            metis: g.metis.verdict,
            momus: Some(r.momus.verdict),
            red_team_trinity: Some(format!("{}/3 PASS", trinity(r.red))),
            oracle: Some(r.red.oracle.verdict),
            hephaestus: Some(if r.hephaestus_passed { "PASS" } else { "FAIL" }.into()),
        },
        simultaneous_pass,
        emission: emission(simultaneous_pass, overall, accept_risk, questions),
        invalid,
    }
}

/// The failures of an iteration, folded as directives for the next (docs/design.md §3
/// invariant 5): every demand of a finding in an envelope that did not pass (Momus, the red
/// team, Oracle, Hephaestus, then Metis), de-duplicated by demand, then one directive per
/// invalid envelope; at most 20.
pub fn fold(iteration: u32, g: Gates<'_>, invalid: &[String]) -> Vec<String> {
    let mut envs: Vec<&Envelope> = Vec::new();
    if let Some(r) = g.reviewed {
        envs.extend([
            r.momus,
            &r.red.security,
            &r.red.scope,
            &r.red.assumptions,
            &r.red.oracle,
            r.hephaestus,
        ]);
    }
    envs.push(g.metis);
    let mut out: Vec<String> = Vec::new();
    for e in envs.iter().filter(|e| !e.verdict.passes()) {
        for f in &e.findings {
            if !out.iter().any(|x| x.ends_with(&f.demand)) {
                out.push(format!(
                    "Fix from iteration {iteration} ({}, {}): {}",
                    e.agent, f.location, f.demand
                ));
            }
        }
    }
    for i in invalid {
        out.push(format!("Fix from iteration {iteration}: an envelope was invalid ({i}); every reviewer must return a schema-valid envelope."));
    }
    out.truncate(20);
    out
}

/// Envelopes that fail validation, as `agent: problem; problem`.
fn invalid_envelopes(envs: &[(&str, &Envelope)]) -> Vec<String> {
    envs.iter()
        .filter_map(|(name, e)| {
            crate::model::validate::validate_envelope(e)
                .err()
                .map(|p| format!("{name}: {}", p.join("; ")))
        })
        .collect()
}

/// The verdict fields a rollup ends with.
#[derive(Clone, Debug, PartialEq)]
pub struct Settled {
    pub overall: Verdict,
    pub gate_status: GateStatus,
    pub simultaneous_pass: bool,
    pub emission: Emission,
    /// RISKY was emitted because the human accepted the risk (`--accept-risk`).
    pub risk_accepted: bool,
    pub invalid: Vec<String>,
}

/// The rollup's verdict fields at the end of a run (docs/design.md §4).
///
/// `decided` is the decision of the last iteration that reached Atlas (`None` when none did:
/// the overall verdict is then BLOCK, nothing passed, and the decision RE_LOOP, i.e. not
/// emitted); `metis` is the verdict of the Metis envelope whose outputs are written (a later
/// iteration that stopped after stage 3 writes its own); `error` is true when the run ended on
/// a runtime error, which makes the decision ABORT and the simultaneous pass false whatever
/// the gates said.
pub fn settle(
    decided: Option<&Decision>,
    metis: Option<Verdict>,
    error: bool,
    accept_risk: bool,
) -> Settled {
    let mut s = match decided {
        Some(d) => Settled {
            overall: d.overall,
            gate_status: d.gate_status.clone(),
            simultaneous_pass: d.simultaneous_pass,
            emission: d.emission,
            risk_accepted: false,
            invalid: d.invalid.clone(),
        },
        None => Settled {
            overall: Verdict::Block,
            gate_status: GateStatus::metis_only(Verdict::Block),
            simultaneous_pass: false,
            emission: Emission::ReLoop,
            risk_accepted: false,
            invalid: Vec::new(),
        },
    };
    if let Some(v) = metis {
        s.gate_status.metis = v;
    }
    if error {
        s.emission = Emission::Abort;
        s.simultaneous_pass = false;
    }
    s.risk_accepted = accept_risk && s.overall == Verdict::Risky && s.emission == Emission::Emit;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EnvelopeMetadata, Finding, Severity};

    fn env(agent: &str, verdict: Verdict) -> Envelope {
        Envelope {
            agent: agent.into(),
            run_id: "anneal-20260101-000000-t".into(),
            depth: None,
            verdict,
            score: (agent == "momus").then_some(match verdict {
                Verdict::Safe => 90,
                Verdict::Caution => 75,
                Verdict::Risky => 60,
                Verdict::Block => 30,
            }),
            summary: format!("{agent} says {verdict}"),
            findings: if verdict.passes() {
                Vec::new()
            } else {
                vec![Finding {
                    location: "plan/plan.md".into(),
                    severity: Severity::High,
                    concern: "a concern".into(),
                    demand: format!("Fix what {agent} found."),
                }]
            },
            directives: if agent == "metis" {
                vec!["Do the thing.".into()]
            } else {
                Vec::new()
            },
            clarifying_questions: Vec::new(),
            metadata: EnvelopeMetadata {
                timestamp: "2026-01-01T00:00:00Z".into(),
                reviewer_model: "test".into(),
                token_cost: 0,
            },
        }
    }

    struct Iteration {
        metis: Envelope,
        momus: Envelope,
        red: RedTeamReport,
        heph: Envelope,
        passed: bool,
    }

    impl Iteration {
        fn all(v: Verdict) -> Iteration {
            Iteration {
                metis: env("metis", v),
                momus: env("momus", v),
                red: RedTeamReport {
                    security: env("redteam-security", v),
                    scope: env("redteam-scope", v),
                    assumptions: env("redteam-assumptions", v),
                    oracle: env("oracle", v),
                },
                heph: env("hephaestus", Verdict::Safe),
                passed: true,
            }
        }
        fn gates(&self) -> Gates<'_> {
            Gates {
                metis: &self.metis,
                reviewed: Some(Reviewed {
                    momus: &self.momus,
                    red: &self.red,
                    hephaestus: &self.heph,
                    hephaestus_passed: self.passed,
                }),
            }
        }
    }

    #[test]
    fn every_gate_green_emits() {
        for v in [Verdict::Safe, Verdict::Caution] {
            let it = Iteration::all(v);
            let d = decide(it.gates(), false);
            assert_eq!(d.overall, v);
            assert!(d.simultaneous_pass);
            assert_eq!(d.emission, Emission::Emit);
            assert_eq!(d.gate_status.red_team_trinity.as_deref(), Some("3/3 PASS"));
            assert_eq!(d.gate_status.hephaestus.as_deref(), Some("PASS"));
            assert!(d.invalid.is_empty());
        }
    }

    #[test]
    fn one_risky_gate_re_loops_unless_the_risk_is_accepted() {
        let mut it = Iteration::all(Verdict::Safe);
        it.red.scope = env("redteam-scope", Verdict::Risky);
        let d = decide(it.gates(), false);
        assert_eq!((d.overall, d.simultaneous_pass), (Verdict::Risky, false));
        assert_eq!(d.emission, Emission::ReLoop);
        assert_eq!(d.gate_status.red_team_trinity.as_deref(), Some("2/3 PASS"));
        let d = decide(it.gates(), true);
        assert_eq!(d.emission, Emission::Emit);
        let s = settle(Some(&d), Some(Verdict::Safe), false, true);
        assert!(s.risk_accepted);
        // A BLOCK is never accepted.
        it.red.oracle = env("oracle", Verdict::Block);
        assert_eq!(decide(it.gates(), true).emission, Emission::ReLoop);
    }

    #[test]
    fn a_failed_validation_blocks_even_with_green_reviewers() {
        let mut it = Iteration::all(Verdict::Safe);
        it.passed = false;
        let d = decide(it.gates(), false);
        assert_eq!(d.overall, Verdict::Block);
        assert!(!d.simultaneous_pass);
        assert_eq!(d.gate_status.hephaestus.as_deref(), Some("FAIL"));
        assert_eq!(d.emission, Emission::ReLoop);
    }

    #[test]
    fn an_invalid_envelope_is_never_a_pass() {
        let mut it = Iteration::all(Verdict::Safe);
        it.momus.summary = String::new();
        it.momus.score = None;
        let d = decide(it.gates(), false);
        assert!(!d.simultaneous_pass, "{d:?}");
        assert_eq!(d.emission, Emission::ReLoop);
        assert_eq!(d.invalid.len(), 1);
        assert!(d.invalid[0].starts_with("momus: "), "{:?}", d.invalid);
        let folded = fold(1, it.gates(), &d.invalid);
        assert!(folded
            .last()
            .unwrap()
            .contains("an envelope was invalid (momus: "));
    }

    #[test]
    fn metis_blocking_with_questions_aborts_without_other_gates() {
        let mut metis = env("metis", Verdict::Block);
        metis.clarifying_questions = vec!["Which endpoint?".into()];
        let d = decide(
            Gates {
                metis: &metis,
                reviewed: None,
            },
            false,
        );
        assert_eq!(d.overall, Verdict::Block);
        assert_eq!(d.emission, Emission::Abort);
        assert_eq!(d.gate_status, GateStatus::metis_only(Verdict::Block));
        // Without questions a Metis BLOCK re-loops.
        metis.clarifying_questions.clear();
        let g = Gates {
            metis: &metis,
            reviewed: None,
        };
        assert_eq!(decide(g, false).emission, Emission::ReLoop);
    }

    #[test]
    fn fold_takes_the_demands_of_failing_gates_once_each() {
        let mut it = Iteration::all(Verdict::Safe);
        it.momus = env("momus", Verdict::Block);
        it.red.security = env("redteam-security", Verdict::Risky);
        // The same demand twice is folded once.
        it.red.scope = env("redteam-scope", Verdict::Risky);
        it.red.scope.findings[0].demand = it.red.security.findings[0].demand.clone();
        let folded = fold(2, it.gates(), &[]);
        assert_eq!(
            folded,
            [
                "Fix from iteration 2 (momus, plan/plan.md): Fix what momus found.",
                "Fix from iteration 2 (redteam-security, plan/plan.md): Fix what redteam-security found.",
            ]
        );
        // Passing gates contribute nothing; at most 20 directives.
        assert!(fold(1, Iteration::all(Verdict::Caution).gates(), &[]).is_empty());
        let many: Vec<String> = (0..30).map(|i| format!("e{i}: bad")).collect();
        assert_eq!(fold(1, it.gates(), &many).len(), 20);
    }

    #[test]
    fn settle_without_a_decision_is_not_emitted_and_an_error_aborts() {
        let s = settle(None, None, false, false);
        assert_eq!(
            (s.overall, s.emission, s.simultaneous_pass),
            (Verdict::Block, Emission::ReLoop, false)
        );
        assert_eq!(s.gate_status, GateStatus::metis_only(Verdict::Block));
        // The Metis envelope written is the one the gate status shows.
        let s = settle(None, Some(Verdict::Safe), true, false);
        assert_eq!(s.gate_status.metis, Verdict::Safe);
        assert_eq!(s.emission, Emission::Abort);
        // An error after a green iteration still aborts.
        let d = decide(Iteration::all(Verdict::Safe).gates(), false);
        let s = settle(Some(&d), Some(Verdict::Safe), true, false);
        assert_eq!((s.emission, s.simultaneous_pass), (Emission::Abort, false));
        assert!(!s.risk_accepted);
    }
}

//! `synthesis-provenance.md` (docs/design.md §2 Alloy outputs): per-phase attribution, contradictions and
//! their rationale, synthesizer-invented phases flagged, and how many phases each bias contributed.
use super::{Synthesis, Variant, SYNTHESIZER};
use std::fmt::Write;

/// Renders the provenance report of `s`, made from `variants` at stage-4 loop `stage_loop`
/// (0 for the first tournament). Deterministic.
pub fn render(s: &Synthesis, variants: &[Variant], stage_loop: u32) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# Synthesis provenance\n");
    let biases: Vec<String> = variants.iter().map(Variant::source).collect();
    let _ = writeln!(o, "- variants: {} ({})", variants.len(), biases.join(", "));
    let _ = writeln!(o, "- stage-4 loop: {stage_loop}");
    let _ = writeln!(o, "- blended phases: {}", s.plan.phases.len());
    let _ = writeln!(o, "- contradictions: {}\n", s.contradictions.len());

    let _ = writeln!(o, "## Phases contributed per bias\n");
    let _ = writeln!(
        o,
        "| bias | variant | phases (primary) | phases (secondary) |"
    );
    let _ = writeln!(o, "|---|---|---|---|");
    for (v, (bias, p, sec)) in variants.iter().zip(&s.counts) {
        let _ = writeln!(o, "| {bias} | {} | {p} | {sec} |", v.source());
    }
    let invented = s
        .plan
        .phases
        .iter()
        .filter(|p| {
            p.provenance
                .as_ref()
                .is_some_and(|v| v.primary_source == SYNTHESIZER)
        })
        .count();
    let _ = writeln!(o, "| (synthesizer) | — | {invented} | 0 |\n");

    let _ = writeln!(o, "## Per-phase attribution\n");
    for (p, r) in s.plan.phases.iter().zip(&s.records) {
        let Some(pv) = &p.provenance else { continue };
        let _ = writeln!(o, "### phase-{}-{}\n", p.id, p.slug);
        let _ = writeln!(o, "```yaml");
        let _ = writeln!(o, "primary_source: {}", pv.primary_source);
        match &pv.secondary_source {
            Some(sec) => {
                let _ = writeln!(o, "secondary_source: {sec} ({})", r.folded.join(", "));
            }
            None => {
                let _ = writeln!(o, "secondary_source: null");
            }
        }
        if pv.contradictions.is_empty() {
            let _ = writeln!(o, "contradictions: []");
        } else {
            let _ = writeln!(o, "contradictions:");
            for c in &pv.contradictions {
                let _ = writeln!(o, "  - {}", c.replace('\n', " "));
            }
        }
        let _ = writeln!(o, "```\n");
        if pv.primary_source == SYNTHESIZER {
            let _ = writeln!(
                o,
                "**Synthesizer-invented phase** — found in no variant; read it skeptically.\n"
            );
        } else {
            let _ = writeln!(o, "- role: {}", r.role.name());
            let cands: Vec<String> = r
                .candidates
                .iter()
                .map(|(src, slug, sc)| format!("{src} `{slug}` (score {sc})"))
                .collect();
            let _ = writeln!(o, "- aligned versions: {}", cands.join("; "));
        }
        let _ = writeln!(o, "- rationale: {}\n", r.rationale);
    }

    let _ = writeln!(o, "## Contradictions\n");
    if s.contradictions.is_empty() {
        let _ = writeln!(
            o,
            "None: the variants agree on services, feature flags and files.\n"
        );
    }
    for c in &s.contradictions {
        let _ = writeln!(o, "- {}", c.line());
        if let Some(rule) = c.decide_rule() {
            let _ = writeln!(o, "  - surfaced for a human: `{rule}`");
        }
    }
    if !s.dropped.is_empty() {
        let _ = writeln!(o, "\n## Phases left out of the blend\n");
        for (src, slug, why) in &s.dropped {
            let _ = writeln!(o, "- `{slug}` ({}): {why}", src.join(", "));
        }
    }
    o
}

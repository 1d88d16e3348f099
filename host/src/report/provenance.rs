//! Alloy's provenance matrix (phase × variant) from `synthesis-provenance.md`: each phase's
//! `### phase-…` heading is followed by a YAML block with `primary_source`, `secondary_source`
//! and `contradictions` (written by the Alloy guest).
use super::{esc, read};
use serde_yaml::Value as Yaml;
use std::fmt::Write as _;
use std::path::Path;

/// One blended phase and where it came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Phase {
    pub name: String,
    pub primary: Option<String>,
    /// The secondary variant and what it gave (e.g. `variant-3-defensive (rollback)`).
    pub secondary: Option<String>,
    pub contradictions: Vec<String>,
}

/// The phases of a provenance file, in order; at most 500.
pub fn parse(md: &str) -> Vec<Phase> {
    let mut phases: Vec<Phase> = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        if let Some(name) = line.strip_prefix("### ") {
            phases.push(Phase {
                name: name.trim().to_string(),
                ..Phase::default()
            });
        } else if line.trim() == "```yaml" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            let (Some(p), Ok(y)) = (
                phases.last_mut(),
                serde_yaml::from_str::<Yaml>(&block.join("\n")),
            ) else {
                continue;
            };
            let text = |k: &str| y.get(k).and_then(Yaml::as_str).map(String::from);
            p.primary = text("primary_source");
            p.secondary = text("secondary_source");
            p.contradictions = y
                .get("contradictions")
                .and_then(Yaml::as_sequence)
                .map(|c| {
                    c.iter()
                        .map(|v| match v.as_str() {
                            Some(s) => s.to_string(),
                            None => serde_yaml::to_string(v)
                                .unwrap_or_default()
                                .trim()
                                .to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
        }
        if phases.len() > 500 {
            break;
        }
    }
    phases
}

/// The variant a source names (`variant-3-defensive (rollback)` → `variant-3-defensive`).
fn variant(source: &str) -> &str {
    source.split_whitespace().next().unwrap_or(source)
}

/// The section: a table with one row per phase, one column per variant (P primary, S
/// secondary) and the contradictions.
pub fn section(dir: &Path) -> String {
    let Some(md) = read(dir, "synthesis-provenance.md") else {
        return String::new();
    };
    let phases = parse(&md);
    let mut variants: Vec<&str> = phases
        .iter()
        .flat_map(|p| p.primary.iter().chain(p.secondary.iter()))
        .map(|s| variant(s))
        .collect();
    variants.sort_unstable();
    variants.dedup();
    let mut h = String::from(
        "<h2>Alloy: provenance matrix</h2><p>P: the phase's primary source; S: its secondary \
         source (what it gave in the cell's title). Full attribution: \
         <a href=\"synthesis-provenance.md\">synthesis-provenance.md</a>.</p><table><tr><th>phase</th>",
    );
    for v in &variants {
        let _ = write!(h, "<th>{}</th>", esc(v));
    }
    h.push_str("<th>contradictions</th></tr>");
    for p in &phases {
        let _ = write!(h, "<tr><td>{}</td>", esc(&p.name));
        for v in &variants {
            let cell = if p.primary.as_deref().map(variant) == Some(v) {
                "<td class=\"SAFE\">P</td>".to_string()
            } else if let Some(s) = p.secondary.as_deref().filter(|s| variant(s) == *v) {
                format!("<td class=\"CAUTION\" title=\"{}\">S</td>", esc(s))
            } else {
                "<td></td>".to_string()
            };
            h.push_str(&cell);
        }
        let _ = write!(
            h,
            "<td>{}</td></tr>",
            p.contradictions
                .iter()
                .map(|c| esc(c))
                .collect::<Vec<_>>()
                .join("<br>")
        );
    }
    h.push_str("</table>");
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_phase_block() {
        let md = "# Synthesis provenance\n\n### phase-00-preflight\n\n```yaml\nprimary_source: variant-1-correctness\nsecondary_source: variant-3-defensive (rollback)\ncontradictions: []\n```\n\n### phase-01-x\n\n```yaml\nprimary_source: variant-2-minimalist\nsecondary_source: null\ncontradictions:\n- 'variant-4 wants a flag, variant-2 none'\n```\n";
        let p = parse(md);
        assert_eq!(p.len(), 2);
        assert_eq!(
            p[0].secondary.as_deref(),
            Some("variant-3-defensive (rollback)")
        );
        assert_eq!(p[1].primary.as_deref(), Some("variant-2-minimalist"));
        assert_eq!(
            p[1].contradictions,
            ["variant-4 wants a flag, variant-2 none"]
        );
    }
}

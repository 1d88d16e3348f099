//! Where a reviewed plan comes from: a run directory or a bare `plan/` directory, and what a run
//! directory adds (the Metis directives the plan was made with, the full text of what the
//! overview cut, from the XML prompt).
use crate::model::Envelope;
use crate::render::plan_parse::{Cut, ParsedPlan};
use crate::render::rollup::ReviewRecord;
use quick_xml::events::Event;
use std::path::{Path, PathBuf};

/// Largest XML prompt read for the cut parts of the overview.
const MAX_XML_BYTES: u64 = 8 << 20;

/// The reviewed directory.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as given (canonical).
    pub path: PathBuf,
    /// The `plan/` directory read.
    pub plan_dir: PathBuf,
    /// The run directory holding it, when PATH is one (it has `plan/plan.md`).
    pub run_dir: Option<PathBuf>,
}

impl Source {
    /// Finds the plan of `path`: `path/plan/plan.md` (a run directory) or `path/plan.md` (a
    /// plan directory).
    ///
    /// # Errors
    /// A message for the user when `path` is neither.
    pub fn locate(path: &Path) -> Result<Source, String> {
        let path = std::fs::canonicalize(path)
            .map_err(|e| format!("{} cannot be opened: {e}", path.display()))?;
        if path.join("plan").join("plan.md").is_file() {
            return Ok(Source {
                plan_dir: path.join("plan"),
                run_dir: Some(path.clone()),
                path,
            });
        }
        if path.join("plan.md").is_file() {
            return Ok(Source {
                plan_dir: path.clone(),
                run_dir: None,
                path,
            });
        }
        Err(format!(
            "{} is neither a run directory (with plan/plan.md) nor a plan directory (with plan.md)",
            path.display()
        ))
    }

    /// The Metis envelope of the run directory, if it has a readable one.
    pub fn metis(&self) -> Option<Envelope> {
        let text =
            std::fs::read_to_string(self.run_dir.as_ref()?.join("reviews/metis.yaml")).ok()?;
        serde_yaml::from_str(&text).ok()
    }

    /// The Metis directives the plan was made with (a run directory's), else none.
    pub fn directives(&self) -> Vec<String> {
        self.metis().map(|m| m.directives).unwrap_or_default()
    }

    /// Fills what the overview cut (the thesis, a dependency list, out-of-scope, iron rules)
    /// from the run directory's XML prompt, which holds them whole; a part filled this way is
    /// no longer a cut.
    pub fn fill_cuts(&self, parsed: &mut ParsedPlan) {
        if parsed.cuts.is_empty() {
            return;
        }
        let Some(full) = self.run_dir.as_deref().and_then(xml_plan) else {
            return;
        };
        let plan = &mut parsed.plan;
        let mut filled = Vec::new();
        for c in &parsed.cuts {
            let list = match c {
                Cut::Thesis => {
                    if let Some(t) = &full.thesis {
                        plan.thesis = t.clone();
                        filled.push(*c);
                    }
                    continue;
                }
                Cut::Title | Cut::Effort => continue,
                Cut::OutOfScope => (&mut plan.out_of_scope, &full.out_of_scope),
                Cut::IronRules => (&mut plan.iron_rules, &full.iron_rules),
                Cut::Services => (&mut plan.dependencies.services, &full.services),
                Cut::EnvVars => (&mut plan.dependencies.env_vars, &full.env_vars),
                Cut::Permissions => (&mut plan.dependencies.permissions, &full.permissions),
            };
            *list.0 = list.1.clone();
            filled.push(*c);
        }
        parsed.cuts.retain(|c| !filled.contains(c));
    }

    /// What the rollup records about the review.
    pub fn record(&self, parsed: &ParsedPlan) -> ReviewRecord {
        ReviewRecord {
            source: self.path.display().to_string(),
            plan_dir: self.plan_dir.display().to_string(),
            directives_from: self
                .run_dir
                .as_ref()
                .map(|r| r.join("reviews/metis.yaml"))
                .filter(|p| p.is_file())
                .map(|p| p.display().to_string()),
            unreadable: parsed
                .problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.file, p.line, p.message))
                .collect(),
            cut_in_overview: parsed.cuts.iter().map(|c| format!("{c:?}")).collect(),
            metis: "not run: the plan exists; a run directory's directives are reused".into(),
        }
    }
}

/// The plan-level texts of an XML prompt (`render/xml.rs`).
#[derive(Default)]
struct XmlPlan {
    thesis: Option<String>,
    services: Vec<String>,
    env_vars: Vec<String>,
    permissions: Vec<String>,
    out_of_scope: Vec<String>,
    iron_rules: Vec<String>,
}

/// The plan-level texts of the run directory's XML prompt (`*.xml` with an `anneal_prompt`
/// root), when there is one and it reads.
fn xml_plan(run: &Path) -> Option<XmlPlan> {
    let file = std::fs::read_dir(run)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.extension().is_some_and(|x| x == "xml")
                && std::fs::metadata(p).is_ok_and(|m| m.len() <= MAX_XML_BYTES)
        })?;
    let text = std::fs::read_to_string(file).ok()?;
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut path: Vec<String> = Vec::new();
    let mut out = XmlPlan::default();
    let mut buf = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                path.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
                buf.clear();
            }
            Event::Text(t) => buf.push_str(&t.decode().ok()?),
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().ok()? {
                    Some(c) => c.to_string(),
                    None => {
                        quick_xml::escape::resolve_predefined_entity(&r.decode().ok()?)?.to_string()
                    }
                };
                buf.push_str(&c);
            }
            Event::CData(t) => buf.push_str(&String::from_utf8_lossy(&t)),
            Event::End(_) => {
                let p: Vec<&str> = path.iter().map(String::as_str).collect();
                let text = std::mem::take(&mut buf);
                match p.as_slice() {
                    [.., "plan", "thesis"] => out.thesis = Some(text),
                    [.., "dependencies", "service"] => out.services.push(text),
                    [.., "dependencies", "env_var"] => out.env_vars.push(text),
                    [.., "dependencies", "permission"] => out.permissions.push(text),
                    [.., "out_of_scope", "item"] => out.out_of_scope.push(text),
                    [.., "iron_rules", "rule"] => out.iron_rules.push(text),
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (path.is_empty() && (out.thesis.is_some() || !out.iron_rules.is_empty())).then_some(out)
}

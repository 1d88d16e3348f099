//! `plan/plan.md` read back: title, run facts, effort, author, thesis, dependencies, the phase
//! order of the phase table, out-of-scope and iron rules.
use super::{
    blocks, fold, item_text, line_of, or_empty, para_text, sections, split_escaped,
    unescape_heading, unescape_line_start, Block, Cut, Item, PlanHeader, Problem,
};
use crate::model::{Plan, TaskKind};

const FILE: &str = "plan/plan.md";
/// The renderer's cut marker of a joined list: ` and N more (all in `x.xml`)`.
const MORE: &str = " more (all in ";

fn problem(problems: &mut Vec<Problem>, line: usize, message: String, demand: &str) {
    problems.push(Problem {
        file: FILE.into(),
        line,
        message,
        demand: demand.into(),
    });
}

/// Reads the overview into `plan` and `header`; returns the phase file names in the phase
/// table's order.
pub(super) fn read(
    src: &str,
    plan: &mut Plan,
    header: &mut PlanHeader,
    cuts: &mut Vec<Cut>,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let (title, secs) = sections(src, blocks(src));
    match title {
        Some((t, _)) => {
            plan.title = unescape_heading(&t);
            if plan.title.ends_with('…') && plan.title.chars().count() >= 160 {
                cuts.push(Cut::Title);
            }
        }
        None => problem(
            problems,
            1,
            "plan/plan.md has no title (a `# ` heading)".into(),
            "Start plan/plan.md with the plan's title as a `# ` heading.",
        ),
    }
    let mut order = Vec::new();
    for (name, line, bs) in secs {
        match name.as_str() {
            "" => facts(src, &bs, plan, header, cuts, problems),
            "Thesis" => thesis(src, &bs, plan, cuts),
            "Dependencies" => dependencies(src, &bs, plan, cuts, problems),
            "Phases" => {
                for b in &bs {
                    if let Block::Table { links } = b {
                        order.extend(links.iter().filter(|l| l.starts_with("phase-")).cloned());
                    }
                }
            }
            "Out of scope" => plan.out_of_scope = list(src, &bs, Cut::OutOfScope, cuts),
            "Iron rules" => plan.iron_rules = list(src, &bs, Cut::IronRules, cuts),
            other => problem(
                problems,
                line,
                format!("plan/plan.md has a section \"{}\" that is not part of a plan; its text was not reviewed", fold(other)),
                "Move that text into the thesis, out-of-scope, iron rules or a phase file.",
            ),
        }
    }
    order
}

fn items(bs: &[Block]) -> impl Iterator<Item = &Item> {
    bs.iter().flat_map(|b| match b {
        Block::List { items } => items.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}

/// The text of an item after its bold label (`**Effort:** 3 days` → `3 days`).
fn after_label<'a>(text: &'a str, label: &str) -> &'a str {
    text.strip_prefix(&format!("**{label}**"))
        .unwrap_or(text)
        .trim()
}

fn facts(
    src: &str,
    bs: &[Block],
    plan: &mut Plan,
    header: &mut PlanHeader,
    cuts: &mut Vec<Cut>,
    problems: &mut Vec<Problem>,
) {
    for it in items(bs) {
        let text = item_text(src, it);
        let label = it
            .strong
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        match label.as_str() {
            "Status:" => {}
            "Run:" => {
                header.run_id = it.codes.first().cloned();
                header.strategy = it.codes.get(1).cloned();
                header.task_kind = it.codes.get(2).and_then(|k| TaskKind::parse(k));
            }
            "Effort:" => {
                plan.effort = or_empty(after_label(&text, "Effort:").to_string());
                if plan.effort.ends_with('…') && plan.effort.chars().count() >= 160 {
                    cuts.push(Cut::Effort);
                }
            }
            "Author:" => plan.author = it.codes.first().cloned().unwrap_or_default(),
            "Task:" => header.task = Some(or_empty(after_label(&text, "Task:").to_string())),
            _ => problem(
                problems,
                line_of(src, it.range.start),
                format!("the overview line \"{}\" is not one anneal writes; it was not read", super::super::plan_md::code_span(&text)),
                "Keep the overview's facts to Status, Run, Effort, Author and Task; put other text in the thesis.",
            ),
        }
    }
}

fn thesis(src: &str, bs: &[Block], plan: &mut Plan, cuts: &mut Vec<Cut>) {
    let mut paras = Vec::new();
    for b in bs {
        if let Block::Paragraph { range } = b {
            let lines = src[range.clone()].trim_end().lines().count();
            let t = unescape_line_start(&para_text(src, range));
            if lines >= super::super::plan_md::MAX_THESIS_LINES && t.ends_with(" …") {
                cuts.push(Cut::Thesis);
            }
            paras.push(t);
        }
    }
    plan.thesis = or_empty(paras.join("\n\n"));
}

fn dependencies(
    src: &str,
    bs: &[Block],
    plan: &mut Plan,
    cuts: &mut Vec<Cut>,
    problems: &mut Vec<Problem>,
) {
    for it in items(bs) {
        let text = item_text(src, it);
        let label = it
            .strong
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let (cut, name) = match label.as_str() {
            "Services:" => (Cut::Services, "Services:"),
            "Environment variables:" => (Cut::EnvVars, "Environment variables:"),
            "Permissions:" => (Cut::Permissions, "Permissions:"),
            _ => {
                problem(
                    problems,
                    line_of(src, it.range.start),
                    format!("the dependency line \"{}\" is not Services, Environment variables or Permissions; it was not read", fold(&text)),
                    "Write dependencies as `- **Services:** …`, `- **Environment variables:** …` or `- **Permissions:** …`.",
                );
                continue;
            }
        };
        let mut rest = after_label(&text, name).to_string();
        let more = rest
            .rfind(" and ")
            .filter(|i| rest[*i..].contains(MORE) && rest.ends_with(')'));
        if let Some(i) = more {
            rest.truncate(i);
            cuts.push(cut);
        }
        let values: Vec<String> = if cut == Cut::EnvVars {
            let n = it.codes.len() - usize::from(more.is_some());
            it.codes.iter().take(n).cloned().collect()
        } else {
            split_escaped(&rest)
        };
        match cut {
            Cut::Services => plan.dependencies.services = values,
            Cut::EnvVars => plan.dependencies.env_vars = values,
            _ => plan.dependencies.permissions = values,
        }
    }
}

/// Out-of-scope items or iron rules; the renderer's last "… N more" item is a cut, not an item.
fn list(src: &str, bs: &[Block], cut: Cut, cuts: &mut Vec<Cut>) -> Vec<String> {
    let mut out = Vec::new();
    for it in items(bs) {
        let t = item_text(src, it);
        if t.starts_with("… ") && t.contains(" more — the full list is in ") {
            cuts.push(cut);
            continue;
        }
        out.push(unescape_line_start(&t));
    }
    out
}

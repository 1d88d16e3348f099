//! One `plan/phase-NN-slug.md` read back into a [`Phase`].
use super::{
    blocks, fold, gate_entry, item_text, line_of, or_empty, para_text, sections, unescape_heading,
    unescape_line_start, Block, FileAction, FileChange, GateEntry, Item, Phase, Problem,
    Provenance,
};

/// Prefix of a `depends_on` entry that is still a phase file name (resolved to an id once every
/// phase is read).
pub(super) const FILE_REF: &str = "\u{0}file:";

/// The sections of a phase file, in the renderer's order; the first six are required.
const SECTIONS: [&str; 8] = [
    "Goal",
    "Depends on",
    "Steps",
    "Files",
    "Success criteria",
    "Gate",
    "Rollback",
    "Provenance",
];

struct Ctx<'a> {
    path: &'a str,
    src: &'a str,
    problems: &'a mut Vec<Problem>,
}

impl Ctx<'_> {
    fn problem(&mut self, offset: usize, message: String, demand: &str) {
        self.problems.push(Problem {
            file: self.path.to_string(),
            line: line_of(self.src, offset),
            message,
            demand: demand.into(),
        });
    }
}

/// `(id, slug)` from `phase-{id}-{slug}.md`.
fn from_name(name: &str) -> (String, String) {
    let stem = name
        .strip_prefix("phase-")
        .and_then(|n| n.strip_suffix(".md"))
        .unwrap_or(name);
    match stem.split_once('-') {
        Some((id, slug)) => (id.to_string(), slug.to_string()),
        None => (stem.to_string(), String::new()),
    }
}

/// Reads the phase file `path` (`plan/phase-…md`); `names` are every phase file name of the
/// plan (for `## Depends on` links). Problems go to `problems`.
pub(super) fn read(path: &str, src: &str, names: &[String], problems: &mut Vec<Problem>) -> Phase {
    let name = path.rsplit('/').next().unwrap_or(path);
    let (id, slug) = from_name(name);
    let mut p = Phase {
        id,
        slug,
        title: String::new(),
        goal: String::new(),
        steps: Vec::new(),
        files: Vec::new(),
        success_criteria: Vec::new(),
        gate: Vec::new(),
        rollback: String::new(),
        depends_on: Vec::new(),
        provenance: None,
    };
    let mut cx = Ctx {
        path,
        src,
        problems,
    };
    let (title, secs) = sections(src, blocks(src));
    match title {
        Some((t, _)) => match t.strip_prefix("Phase ").and_then(|r| r.split_once(" — ")) {
            Some((id, title)) => {
                p.id = fold(id);
                p.title = unescape_heading(title);
            }
            None => {
                cx.problem(0, format!("the heading \"{}\" is not `# Phase NN — title`; the phase id comes from the file name", fold(&t)), "Start the phase file with `# Phase NN — title`.");
                p.title = unescape_heading(&t);
            }
        },
        None => cx.problem(
            0,
            "the phase file has no `# Phase NN — title` heading".into(),
            "Start the phase file with `# Phase NN — title`.",
        ),
    }
    let mut seen: Vec<String> = Vec::new();
    for (section, line, bs) in secs {
        let at = src
            .lines()
            .take(line.saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>();
        seen.push(section.clone());
        match section.as_str() {
            "" => {}
            "Goal" => p.goal = paragraphs(src, &bs),
            "Depends on" => p.depends_on = depends(&mut cx, &bs, names),
            "Steps" => p.steps = texts(src, &bs),
            "Files" => p.files = files(&mut cx, &bs),
            "Success criteria" => p.success_criteria = texts(src, &bs),
            "Gate" => p.gate = gate(&mut cx, &bs),
            "Rollback" => p.rollback = paragraphs(src, &bs),
            "Provenance" => p.provenance = Some(provenance(&mut cx, &bs)),
            other => cx.problem(
                at,
                format!(
                    "the section \"{}\" is not part of a phase; its text was not reviewed",
                    fold(other)
                ),
                "Move that text into the phase's goal, steps, success criteria or rollback.",
            ),
        }
    }
    for s in SECTIONS.iter().take(7).filter(|s| **s != "Depends on") {
        if !seen.iter().any(|x| x == s) {
            cx.problem(
                0,
                format!("the phase file has no \"## {s}\" section"),
                "Give every phase file the sections Goal, Steps, Files, Success criteria, Gate and Rollback.",
            );
        }
    }
    p
}

fn items(bs: &[Block]) -> impl Iterator<Item = &Item> {
    bs.iter().flat_map(|b| match b {
        Block::List { items } => items.iter().collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}

/// Paragraph blocks joined by blank lines ("None stated." is empty).
fn paragraphs(src: &str, bs: &[Block]) -> String {
    let paras: Vec<String> = bs
        .iter()
        .filter_map(|b| match b {
            Block::Paragraph { range } => Some(unescape_line_start(&para_text(src, range))),
            _ => None,
        })
        .collect();
    or_empty(paras.join("\n\n"))
}

/// List items as plan texts (an item "None stated." is an empty text).
fn texts(src: &str, bs: &[Block]) -> Vec<String> {
    items(bs)
        .map(|it| or_empty(unescape_line_start(&item_text(src, it))))
        .collect()
}

fn depends(cx: &mut Ctx<'_>, bs: &[Block], names: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for it in items(bs) {
        if let Some(l) = it.links.iter().find(|l| names.contains(l)) {
            out.push(format!("{FILE_REF}{l}"));
            continue;
        }
        let t = item_text(cx.src, it);
        let id = t
            .strip_prefix("Phase ")
            .map(|r| r.strip_suffix(" (not in this plan)").unwrap_or(r));
        match id {
            Some(id) => out.push(unescape_line_start(id)),
            None => cx.problem(
                it.range.start,
                format!("\"{t}\" does not name a phase of this plan"),
                "Link the phase it depends on: `- [Phase NN — title](phase-NN-slug.md)`.",
            ),
        }
    }
    out
}

fn files(cx: &mut Ctx<'_>, bs: &[Block]) -> Vec<FileChange> {
    let mut out = Vec::new();
    for it in items(bs) {
        let action = match it
            .strong
            .first()
            .map(|s| s.trim().to_lowercase())
            .as_deref()
        {
            Some("create") => Some(FileAction::Create),
            Some("modify") => Some(FileAction::Modify),
            Some("delete") => Some(FileAction::Delete),
            _ => None,
        };
        match (action, it.codes.first()) {
            (Some(action), Some(path)) => out.push(FileChange {
                path: path.clone(),
                action,
            }),
            _ => cx.problem(
                it.range.start,
                format!(
                    "the file line \"{}\" is not `**create|modify|delete** `path``; the file was not reviewed",
                    item_text(cx.src, it)
                ),
                "Write each file as `- **modify** `path/to/file`` (create, modify or delete).",
            ),
        }
    }
    out
}

fn gate(cx: &mut Ctx<'_>, bs: &[Block]) -> Vec<String> {
    let mut out = Vec::new();
    for it in items(bs) {
        let t = item_text(cx.src, it);
        let lower = t.to_lowercase();
        if let Some(rest) = lower.strip_prefix("check:").map(|_| &t[6..]) {
            out.push(format!("check: {}", unescape_line_start(rest.trim())));
        } else if lower == "run:" {
            match it.children.iter().find_map(|b| match b {
                Block::Code { text, .. } => Some(text.trim_end_matches('\n').to_string()),
                _ => None,
            }) {
                Some(cmd) => out.push(cmd),
                None => cx.problem(
                    it.range.start,
                    "a gate entry \"Run:\" has no command under it".into(),
                    "Put the command in a fenced code block under \"Run:\", or write `- [ ] Run `command``.",
                ),
            }
        } else if let Some(c) = it
            .codes
            .first()
            .filter(|_| lower.starts_with("run `") || lower.starts_with('`'))
        {
            out.push(c.clone());
        } else if !t.is_empty() {
            // A hand-written command without backticks.
            let cmd = t.strip_prefix("Run ").unwrap_or(&t).to_string();
            match gate_entry(&cmd) {
                GateEntry::Command(c) => out.push(c.to_string()),
                GateEntry::Check(c) => out.push(format!("check: {c}")),
            }
        }
    }
    out
}

fn provenance(cx: &mut Ctx<'_>, bs: &[Block]) -> Provenance {
    let mut p = Provenance {
        primary_source: String::new(),
        secondary_source: None,
        contradictions: Vec::new(),
    };
    for it in items(bs) {
        let t = item_text(cx.src, it);
        let label = it
            .strong
            .first()
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        let rest = t
            .strip_prefix(&format!("**{label}**"))
            .unwrap_or(&t)
            .trim()
            .to_string();
        match label.as_str() {
            "Primary source:" => p.primary_source = or_empty(unescape_line_start(&rest)),
            "Secondary source:" => p.secondary_source = Some(or_empty(unescape_line_start(&rest))),
            "Contradictions:" => {
                for b in &it.children {
                    if let Block::List { items } = b {
                        for c in items {
                            p.contradictions
                                .push(or_empty(unescape_line_start(&item_text(cx.src, c))));
                        }
                    }
                }
            }
            _ => cx.problem(
                it.range.start,
                format!("the provenance line \"{t}\" is not Primary source, Secondary source or Contradictions"),
                "Write provenance as `- **Primary source:** …`, `- **Secondary source:** …`, `- **Contradictions:** …`.",
            ),
        }
    }
    p
}

//! The `plan/` directory read back into the plan model: the inverse of [`super::plan_md`], for
//! `anneal review` (docs/design.md §5, §8), including a plan a person edited by hand.
//!
//! The files are parsed as CommonMark with GFM tables and task lists (`pulldown-cmark`), so a
//! file is read the way any renderer shows it; plan text is taken from the Markdown source of each
//! item or paragraph (a step keeps its `code` and *emphasis* as written), with only what the
//! renderer escaped undone: the escape of a leading block marker ([`unescape_line_start`]) and,
//! in the joined dependency lists, of commas. What the renderer wrote round-trips exactly: for a
//! plan whose texts are folded onto one line and fit the overview (thesis of at most 6 wrapped
//! lines, lists that fit its 80 lines, titles and effort of at most 160 characters), parsing the
//! rendered files gives the same plan (tested by a property test over generated plans). What a
//! person wrote in the same shapes reads the same way: sections in any order, list items over
//! several lines, a gate entry without its checkbox.
//!
//! What cannot be read is not guessed: each is a [`Problem`] with its file and line (an item of
//! `## Files` that is not `**modify** `path``, a section a phase does not have, a phase file the
//! overview does not list, a missing phase heading). Where the overview cut a list or the thesis
//! ("… 3 more — the full list is in `x.xml`"), the [`Cut`] says so; the reviewer may read the full
//! text from the XML prompt beside the plan.
use super::plan_md::{gate_entry, GateEntry};
use crate::model::{Dependencies, FileAction, FileChange, Phase, Plan, Provenance, TaskKind};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use std::ops::Range;
use std::path::Path;

/// What the overview says about the run that wrote the plan (all optional: a hand-written
/// overview may have none of it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanHeader {
    pub run_id: Option<String>,
    pub strategy: Option<String>,
    pub task: Option<String>,
    pub task_kind: Option<TaskKind>,
}

/// Something of the plan files that could not be read as plan data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// `plan/plan.md` or `plan/phase-NN-slug.md`.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What was found there and why it was not read.
    pub message: String,
    /// What to write instead (imperative).
    pub demand: String,
}

/// A part of the plan the overview shows only in part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    Title,
    Effort,
    Thesis,
    Services,
    EnvVars,
    Permissions,
    OutOfScope,
    IronRules,
}

/// A plan read back from its files.
#[derive(Clone, Debug, PartialEq)]
pub struct ParsedPlan {
    pub plan: Plan,
    pub header: PlanHeader,
    /// What could not be read, in file then line order.
    pub problems: Vec<Problem>,
    /// What the overview cut.
    pub cuts: Vec<Cut>,
}

/// Most bytes of one plan file read.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most phase files read.
pub const MAX_PHASE_FILES: usize = 200;

/// The plan files of `dir` (a `plan/` directory): `plan.md` and every `phase-*.md`, as
/// `("plan/<name>", contents)` in name order, `plan/plan.md` first.
///
/// # Errors
/// A message saying what to fix: `dir` unreadable, no `plan.md` in it, a file over
/// [`MAX_FILE_BYTES`] or not UTF-8, more than [`MAX_PHASE_FILES`] phase files.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read the plan directory {}: {e}", dir.display()))?;
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n == "plan.md" || (n.starts_with("phase-") && n.ends_with(".md")))
        .collect();
    names.sort();
    if !names.iter().any(|n| n == "plan.md") {
        return Err(format!(
            "{} has no plan.md: give a run directory or a plan/ directory as anneal writes it",
            dir.display()
        ));
    }
    if names.len() > MAX_PHASE_FILES + 1 {
        return Err(format!(
            "{} holds {} phase files; at most {MAX_PHASE_FILES} are read",
            dir.display(),
            names.len() - 1
        ));
    }
    names.sort_by_key(|n| (n != "plan.md", n.clone()));
    let mut out = Vec::new();
    for n in names {
        let path = dir.join(&n);
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if len > MAX_FILE_BYTES {
            return Err(format!(
                "{} is {len} bytes; plan files are read up to {MAX_FILE_BYTES} bytes",
                path.display()
            ));
        }
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read {}: {e} (plan files must be UTF-8 text)",
                path.display()
            )
        })?;
        out.push((format!("plan/{n}"), text));
    }
    Ok(out)
}

/// Reads the plan from its files (`("plan/plan.md", …)` and `("plan/phase-…", …)`, as
/// [`super::plan_md::render`] returns them or [`read_dir`] reads them). Never fails: what cannot
/// be read is a [`Problem`].
pub fn parse(files: &[(String, String)]) -> ParsedPlan {
    let mut problems = Vec::new();
    let mut cuts = Vec::new();
    let overview = files.iter().find(|(p, _)| p == "plan/plan.md");
    let mut plan = Plan {
        title: String::new(),
        thesis: String::new(),
        effort: String::new(),
        phases: Vec::new(),
        dependencies: Dependencies::default(),
        out_of_scope: Vec::new(),
        iron_rules: Vec::new(),
        author: String::new(),
    };
    let mut header = PlanHeader::default();
    let mut order: Vec<String> = Vec::new();
    match overview {
        Some((_, text)) => {
            let o = overview::read(text, &mut plan, &mut header, &mut cuts, &mut problems);
            order = o;
        }
        None => problems.push(Problem {
            file: "plan/plan.md".into(),
            line: 1,
            message: "there is no plan/plan.md".into(),
            demand: "Write plan/plan.md: the title, thesis, dependencies, phase table, out-of-scope and iron rules.".into(),
        }),
    }
    // Phase files: in the overview's order, then any other in name order.
    let mut phase_files: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| {
            p.rsplit('/')
                .next()
                .is_some_and(|n| n.starts_with("phase-") && n.ends_with(".md"))
        })
        .collect();
    phase_files.sort_by_key(|(p, _)| {
        let name = p.rsplit('/').next().unwrap_or(p);
        (
            order.iter().position(|o| o == name).unwrap_or(usize::MAX),
            name.to_string(),
        )
    });
    for name in &order {
        if !phase_files
            .iter()
            .any(|(p, _)| p.rsplit('/').next() == Some(name.as_str()))
        {
            problems.push(Problem {
                file: "plan/plan.md".into(),
                line: 1,
                message: format!("the phase table links {name}, which does not exist"),
                demand: format!("Write plan/{name}, or remove its row from the phase table."),
            });
        }
    }
    let names: Vec<String> = phase_files
        .iter()
        .map(|(p, _)| p.rsplit('/').next().unwrap_or(p).to_string())
        .collect();
    for (path, text) in &phase_files {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !order.is_empty() && !order.iter().any(|o| o == name) {
            problems.push(Problem {
                file: path.clone(),
                line: 1,
                message: format!("{name} is not in the phase table of plan/plan.md, so its place in the plan is a guess (by file name)"),
                demand: format!("Add a row for {name} to the phase table of plan/plan.md."),
            });
        }
        plan.phases
            .push(phase::read(path, text, &names, &mut problems));
    }
    // Dependencies between phases were read as file names: turn them into ids.
    let ids: Vec<(String, String)> = names
        .iter()
        .zip(&plan.phases)
        .map(|(n, p)| (n.clone(), p.id.clone()))
        .collect();
    for p in &mut plan.phases {
        for d in &mut p.depends_on {
            if let Some(file) = d.strip_prefix(phase::FILE_REF) {
                if let Some((_, id)) = ids.iter().find(|(n, _)| n == file) {
                    *d = id.clone();
                }
            }
        }
    }
    problems.sort_by(|a, b| {
        (a.file != "plan/plan.md", &a.file, a.line).cmp(&(
            b.file != "plan/plan.md",
            &b.file,
            b.line,
        ))
    });
    ParsedPlan {
        plan,
        header,
        problems,
        cuts,
    }
}

/// Undoes [`super::plan_md`]'s escape of a line start: one leading `\` (the renderer escapes
/// every leading backslash and block marker), or one `\` right after 1–9 leading digits.
pub fn unescape_line_start(s: &str) -> String {
    if let Some(rest) = s.strip_prefix('\\') {
        return rest.to_string();
    }
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) && s[digits..].starts_with('\\') {
        return format!("{}{}", &s[..digits], &s[digits + 1..]);
    }
    s.to_string()
}

/// Splits a joined list (`a, b\, c`) at its unescaped `, ` and undoes
/// [`super::plan_md::escape_commas`].
pub fn split_escaped(s: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == ',' && chars.peek() == Some(&' ') {
            chars.next();
            pieces.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    pieces.push(cur);
    pieces
        .into_iter()
        .map(|p| {
            let mut out = String::new();
            let mut cs = p.chars().peekable();
            while let Some(c) = cs.next() {
                if c == '\\' && cs.peek().is_some_and(|n| n.is_ascii_punctuation()) {
                    out.push(cs.next().unwrap_or('\\'));
                } else {
                    out.push(c);
                }
            }
            out
        })
        .collect()
}

/// Collapses runs of whitespace to one space and trims (the renderer's fold).
pub fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

// ---------------------------------------------------------------------------------------------
// A small block tree over pulldown-cmark's events.

/// One block of a Markdown file, with its source range.
#[derive(Clone, Debug)]
enum Block {
    Heading { level: usize, range: Range<usize> },
    Paragraph { range: Range<usize> },
    List { items: Vec<Item> },
    Code { text: String },
    Table { links: Vec<String> },
    Other,
}

/// One list item: its source range, the end of its own text (where its first nested block
/// starts), the code spans, links and bold texts of its own text, and its nested blocks.
#[derive(Clone, Debug, Default)]
struct Item {
    range: Range<usize>,
    own_end: usize,
    task: bool,
    codes: Vec<String>,
    links: Vec<String>,
    strong: Vec<String>,
    children: Vec<Block>,
}

fn blocks(text: &str) -> Vec<Block> {
    let events: Vec<(Event<'_>, Range<usize>)> =
        Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS)
            .into_offset_iter()
            .collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < events.len() {
        out.push(block(&events, &mut i));
    }
    out
}

/// The block starting at `events[*i]`; advances past its end.
fn block(events: &[(Event<'_>, Range<usize>)], i: &mut usize) -> Block {
    let (ev, range) = (&events[*i].0, events[*i].1.clone());
    *i += 1;
    match ev {
        Event::Start(Tag::Heading { level, .. }) => {
            skip_to_end(events, i);
            Block::Heading {
                level: *level as usize,
                range,
            }
        }
        Event::Start(Tag::Paragraph) => {
            skip_to_end(events, i);
            Block::Paragraph { range }
        }
        Event::Start(Tag::List(_)) => {
            let mut items = Vec::new();
            while *i < events.len() {
                match &events[*i].0 {
                    Event::End(TagEnd::List(_)) => {
                        *i += 1;
                        break;
                    }
                    Event::Start(Tag::Item) => items.push(item(events, i)),
                    _ => *i += 1,
                }
            }
            Block::List { items }
        }
        Event::Start(Tag::CodeBlock(_)) => {
            let mut text = String::new();
            while *i < events.len() {
                match &events[*i].0 {
                    Event::End(TagEnd::CodeBlock) => {
                        *i += 1;
                        break;
                    }
                    Event::Text(t) => text.push_str(t),
                    _ => {}
                }
                *i += 1;
            }
            Block::Code { text }
        }
        Event::Start(Tag::Table(_)) => {
            // The first link of each row (the phase column of the overview's phase table).
            let mut links = Vec::new();
            let mut row_has_link = false;
            let mut depth = 1;
            while *i < events.len() && depth > 0 {
                match &events[*i].0 {
                    Event::Start(Tag::TableRow) => {
                        row_has_link = false;
                        depth += 1;
                    }
                    Event::Start(Tag::Link { dest_url, .. }) => {
                        if !row_has_link {
                            links.push(dest_url.to_string());
                            row_has_link = true;
                        }
                        depth += 1;
                    }
                    Event::Start(_) => depth += 1,
                    Event::End(_) => depth -= 1,
                    _ => {}
                }
                *i += 1;
            }
            Block::Table { links }
        }
        Event::Start(_) => {
            skip_to_end(events, i);
            Block::Other
        }
        _ => Block::Other,
    }
}

/// Skips the events of the element whose start was just consumed, through its end.
fn skip_to_end(events: &[(Event<'_>, Range<usize>)], i: &mut usize) {
    let mut depth = 1;
    while *i < events.len() && depth > 0 {
        match &events[*i].0 {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth -= 1,
            _ => {}
        }
        *i += 1;
    }
}

/// The item starting at `events[*i]` (a `Start(Item)`).
fn item(events: &[(Event<'_>, Range<usize>)], i: &mut usize) -> Item {
    let range = events[*i].1.clone();
    *i += 1;
    let mut it = Item {
        own_end: range.end,
        range,
        ..Item::default()
    };
    let mut in_strong = false;
    let mut own_para = false; // the item's first paragraph (its own text) was seen
    while *i < events.len() {
        let (ev, r) = (&events[*i].0, events[*i].1.clone());
        match ev {
            Event::End(TagEnd::Item) => {
                *i += 1;
                break;
            }
            Event::Start(Tag::List(_)) | Event::Start(Tag::CodeBlock(_)) => {
                if it.children.is_empty() {
                    it.own_end = r.start;
                }
                let b = block(events, i);
                it.children.push(b);
                continue;
            }
            Event::Start(Tag::Paragraph) if own_para || !it.children.is_empty() => {
                if it.children.is_empty() {
                    it.own_end = r.start;
                }
                let b = block(events, i);
                it.children.push(b);
                continue;
            }
            Event::Start(Tag::Paragraph) => {}
            Event::End(TagEnd::Paragraph) => own_para = true,
            Event::TaskListMarker(_) => it.task = true,
            Event::Code(c) => it.codes.push(c.to_string()),
            Event::Start(Tag::Link { dest_url, .. }) => it.links.push(dest_url.to_string()),
            Event::Start(Tag::Strong) => {
                in_strong = true;
                it.strong.push(String::new());
            }
            Event::End(TagEnd::Strong) => in_strong = false,
            Event::Text(t) if in_strong => {
                if let Some(s) = it.strong.last_mut() {
                    s.push_str(t);
                }
            }
            _ => {}
        }
        *i += 1;
    }
    it
}

/// The item's own text as written: its source after the list marker (and a task-list
/// checkbox), up to its first nested block, folded onto one line.
fn item_text(src: &str, it: &Item) -> String {
    let raw = &src[it.range.start..it.own_end.max(it.range.start).min(src.len())];
    let t = raw.trim_start();
    let t = if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        rest
    } else {
        let d = t.chars().take_while(char::is_ascii_digit).count();
        t[d..].strip_prefix(['.', ')']).unwrap_or(t)
    };
    let t = t.trim_start_matches([' ', '\t']);
    let t = if it.task {
        t.get(3..)
            .filter(|_| {
                t.starts_with('[') && t[1..].starts_with([' ', 'x', 'X']) && t[2..].starts_with(']')
            })
            .unwrap_or(t)
    } else {
        t
    };
    fold(t)
}

/// A paragraph's text as written, folded onto one line.
fn para_text(src: &str, range: &Range<usize>) -> String {
    fold(&src[range.clone()])
}

/// A heading's text as written (`#` marks and a closing sequence removed), folded.
fn heading_text(src: &str, range: &Range<usize>) -> String {
    let raw = fold(&src[range.clone()]);
    let t = raw.trim_start_matches('#').trim();
    // An ATX closing sequence: spaces then only `#`.
    let t = match t.rfind(' ') {
        Some(i) if !t[i + 1..].is_empty() && t[i + 1..].chars().all(|c| c == '#') => {
            t[..i].trim_end()
        }
        _ => t,
    };
    t.to_string()
}

/// Undoes the renderer's heading escape of a trailing `#` (`\#`).
fn unescape_heading(t: &str) -> String {
    match t.strip_suffix("\\#") {
        Some(head) => format!("{head}#"),
        None => t.to_string(),
    }
}

/// The renderer writes "None stated." for an empty text.
fn or_empty(t: String) -> String {
    if t == "None stated." {
        String::new()
    } else {
        t
    }
}

/// A level-2 section: its heading, the line it starts on, its blocks.
type Section = (String, usize, Vec<Block>);

/// Blocks grouped by the level-2 heading above them: `(heading text, heading line, blocks)`;
/// blocks before any level-2 heading are under `""`.
fn sections(src: &str, bs: Vec<Block>) -> (Option<(String, usize)>, Vec<Section>) {
    let mut title = None;
    let mut out: Vec<Section> = vec![(String::new(), 1, Vec::new())];
    for b in bs {
        match &b {
            Block::Heading { level: 1, range } if title.is_none() => {
                title = Some((heading_text(src, range), line_of(src, range.start)));
            }
            Block::Heading { level: 2, range } => {
                out.push((
                    heading_text(src, range),
                    line_of(src, range.start),
                    Vec::new(),
                ));
            }
            _ => {
                if let Some(last) = out.last_mut() {
                    last.2.push(b);
                }
            }
        }
    }
    (title, out)
}

mod overview;
mod phase;

#[cfg(test)]
mod tests;

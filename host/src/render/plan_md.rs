//! The `plan/` directory for humans (docs/design.md §5, §8, invariant 3): `plan/plan.md`, an overview of at
//! most [`MAX_OVERVIEW_LINES`] lines, and one `plan/phase-{id}-{slug}.md` per phase holding
//! everything about that phase.
//!
//! Plans come from models and may hold any text. Every piece of plan text is placed so that it
//! cannot break the document's structure: inline contexts (list items, table cells, headings,
//! link texts) get the text folded onto one line, with only the characters that would be
//! structural *in that context* escaped (a leading `- `, `#`, `>`, `1.`, a fence, a `|` in a
//! table cell, `[`/`]` in a link text, a trailing `#` in a heading); commands go in code spans
//! whose fences are longer than any backtick run they hold. Nothing else is escaped, so the
//! plan's own inline Markdown (`code`, *emphasis*) still renders.
use crate::model::{Plan, TaskKind, Verdict};

/// The run facts printed at the top of `plan/plan.md`.
#[derive(Clone, Copy, Debug)]
pub struct Header<'a> {
    /// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
    pub run_id: &'a str,
    /// Strategy name (`cast`, `alloy`, `temper` or a third-party name).
    pub strategy: &'a str,
    /// The user's one-line task.
    pub task: &'a str,
    /// Intent Gate classification.
    pub task_kind: TaskKind,
    /// Emission decision of the run (docs/design.md §4): `EMIT`, `RE_LOOP` or `ABORT`.
    pub status: &'a str,
    /// Worst-of verdict over every gate (docs/design.md §4).
    pub overall_verdict: Verdict,
    /// Momus's score, 0–100, when it gave one.
    pub momus_score: Option<u8>,
    /// Hephaestus result, `PASS` or `FAIL`.
    pub hephaestus: &'a str,
}

/// Hard limit on the lines of `plan/plan.md` (docs/design.md §5: "an overview of at most 80 lines").
pub const MAX_OVERVIEW_LINES: usize = 80;

/// Thesis lines shown in the overview (wrapped at [`WRAP_WIDTH`]); the rest is cut with `…`.
const MAX_THESIS_LINES: usize = 6;
/// Column at which the overview's thesis is wrapped.
const WRAP_WIDTH: usize = 100;
/// Characters of one overview list item before it is cut with `…`.
const MAX_ITEM_CHARS: usize = 160;
/// Characters of a phase title in the overview's phase table.
const MAX_TITLE_CHARS: usize = 80;
/// Characters of a gate command shown in the overview's phase table.
const MAX_GATE_CHARS: usize = 60;
/// Items of out-of-scope and of iron rules kept for when the phase table must be cut.
const RESERVED_LIST_ITEMS: usize = 3;

/// Renders the plan directory.
///
/// Returns `(path relative to the run directory, file contents)` pairs: first `plan/plan.md`,
/// then one `plan/phase-{id}-{slug}.md` per phase, in plan order (see [`phase_file_names`] for
/// how names are made safe and unique). `plan/plan.md` never exceeds [`MAX_OVERVIEW_LINES`]
/// lines, whatever the size of the plan: lists that do not fit end with an "… N more" line.
/// Never fails; empty fields render as "None stated." rather than disappearing.
pub fn render(plan: &Plan, header: &Header<'_>) -> Vec<(String, String)> {
    let names = phase_file_names(plan);
    let mut out = Vec::with_capacity(plan.phases.len() + 1);
    out.push(("plan/plan.md".to_string(), overview(plan, header, &names)));
    for i in 0..plan.phases.len() {
        out.push((
            format!("plan/{}", names[i]),
            phase_file(plan, header, &names, i),
        ));
    }
    out
}

/// The file name of each phase, in plan order: `phase-{id}-{slug}.md`.
///
/// `id` and `slug` are reduced to lowercase `[a-z0-9-]` (a slug to at most 40 characters), so
/// a malformed plan can never name a path outside `plan/`; an id or slug with nothing left
/// becomes the two-digit position or `phase`. When two phases would share a name, later ones
/// get `-2`, `-3`, … so that every phase has its own file.
pub fn phase_file_names(plan: &Plan) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(plan.phases.len());
    for (i, phase) in plan.phases.iter().enumerate() {
        let mut id = kebab(&phase.id, 8);
        if id.is_empty() {
            id = format!("{i:02}");
        }
        let mut slug = kebab(&phase.slug, 40);
        if slug.is_empty() {
            slug = "phase".to_string();
        }
        let base = format!("phase-{id}-{slug}");
        let mut name = format!("{base}.md");
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}-{n}.md");
            n += 1;
        }
        names.push(name);
    }
    names
}

/// A gate entry, classified by the convention of HELPER_CONTEXT: `check: <what>` is a manual
/// check, anything else a shell command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateEntry<'a> {
    /// A shell command, exactly as written in the plan (trimmed).
    Command(&'a str),
    /// A manual check: the text after `check:` (trimmed).
    Check(&'a str),
}

/// Classifies one gate entry (`check:` is matched case-insensitively).
pub fn gate_entry(entry: &str) -> GateEntry<'_> {
    let t = entry.trim();
    match t.get(..6) {
        Some(p) if p.eq_ignore_ascii_case("check:") => GateEntry::Check(t[6..].trim()),
        _ => GateEntry::Command(t),
    }
}

// ---------------------------------------------------------------------------------------------
// plan/plan.md

fn overview(plan: &Plan, h: &Header<'_>, names: &[String]) -> String {
    let xml_name = format!("{}-{}.xml", h.strategy, h.run_id);
    let title = if plan.title.trim().is_empty() {
        h.task
    } else {
        &plan.title
    };

    // Fixed part: title, run facts, thesis, dependencies.
    let mut lines: Vec<String> = vec![
        heading(1, &cut(&fold(title), MAX_ITEM_CHARS)),
        String::new(),
    ];
    let momus = h
        .momus_score
        .map_or_else(|| "no score".to_string(), |s| format!("{s}/100"));
    lines.push(format!(
        "- **Status:** {} — verdict **{}**, Momus {momus}, Hephaestus {}",
        inline(h.status),
        h.overall_verdict.as_str(),
        inline(h.hephaestus)
    ));
    lines.push(format!(
        "- **Run:** {} — strategy {}, task kind `{}`",
        code_span(h.run_id),
        code_span(&fold(h.strategy)),
        h.task_kind.as_str()
    ));
    lines.push(format!(
        "- **Effort:** {}",
        or_none(&cut(&fold(&plan.effort), MAX_ITEM_CHARS))
    ));
    lines.push(format!(
        "- **Task:** {}",
        or_none(&cut(&fold(h.task), MAX_ITEM_CHARS * 2))
    ));
    lines.push(String::new());

    lines.push("## Thesis".into());
    lines.push(String::new());
    let thesis = wrap(&fold(&plan.thesis), WRAP_WIDTH, MAX_THESIS_LINES);
    if thesis.is_empty() {
        lines.push("None stated.".into());
    } else {
        lines.extend(thesis);
    }
    lines.push(String::new());

    lines.push("## Dependencies".into());
    lines.push(String::new());
    let d = &plan.dependencies;
    let mut any = false;
    for (label, items, code) in [
        ("Services", &d.services, false),
        ("Environment variables", &d.env_vars, true),
        ("Permissions", &d.permissions, false),
    ] {
        if !items.is_empty() {
            any = true;
            lines.push(format!(
                "- **{label}:** {}",
                joined(items, code, MAX_ITEM_CHARS, &xml_name)
            ));
        }
    }
    if !any {
        lines.push("None declared.".into());
    }
    lines.push(String::new());

    // Flexible part: the phase table, out-of-scope, iron rules, sized to the remaining budget.
    let oos = &plan.out_of_scope;
    let iron = &plan.iron_rules;
    // Heading, blank, the table's two head lines (or "No phases."), trailing blank.
    let phases_overhead = if plan.phases.is_empty() { 4 } else { 5 };
    // Heading, blank, trailing blank.
    let section_overhead = 3;
    // The last section's trailing blank line is trimmed at the end, hence the +1.
    let avail = (MAX_OVERVIEW_LINES + 1).saturating_sub(lines.len() + phases_overhead);
    let reserve = |items: &Vec<String>| {
        if items.is_empty() {
            0
        } else {
            section_overhead + items.len().min(RESERVED_LIST_ITEMS)
        }
    };
    let phase_rows = plan
        .phases
        .len()
        .min(avail.saturating_sub(reserve(oos) + reserve(iron)))
        .max(usize::from(!plan.phases.is_empty()));
    let left = avail.saturating_sub(phase_rows);

    lines.push("## Phases".into());
    lines.push(String::new());
    if plan.phases.is_empty() {
        lines.push("No phases.".into());
    } else {
        lines.push("| ID | Phase | Depends on | Gate |".into());
        lines.push("|---|---|---|---|".into());
        let shown = fit(plan.phases.len(), phase_rows);
        for (i, p) in plan.phases.iter().enumerate().take(shown) {
            lines.push(format!(
                "| {} | [{}]({}) | {} | {} |",
                cell(&p.id),
                cell(&link_text(&cut(&fold(&p.title), MAX_TITLE_CHARS))),
                names[i],
                cell(&depends_links(plan, names, &p.depends_on)),
                cell(&gate_summary(&p.gate)),
            ));
        }
        if shown < plan.phases.len() {
            lines.push(format!(
                "| … | {} more phases — see the `phase-*.md` files | | |",
                plan.phases.len() - shown
            ));
        }
    }
    lines.push(String::new());

    // What is left goes to out-of-scope and iron rules, shared evenly unless one needs less.
    let sections = usize::from(!oos.is_empty()) + usize::from(!iron.is_empty());
    let total = left.saturating_sub(section_overhead * sections);
    let oos_budget = if iron.is_empty() {
        oos.len().min(total)
    } else {
        oos.len()
            .min((total / 2).max(total.saturating_sub(iron.len())))
    };
    let iron_budget = iron.len().min(total - oos_budget);
    if oos_budget > 0 {
        list_section(&mut lines, "Out of scope", oos, oos_budget, &xml_name);
    }
    if iron_budget > 0 {
        list_section(&mut lines, "Iron rules", iron, iron_budget, &xml_name);
    }

    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    // The budget arithmetic above keeps to the limit; this is the guarantee.
    if lines.len() > MAX_OVERVIEW_LINES {
        lines.truncate(MAX_OVERVIEW_LINES - 1);
        lines.push(format!(
            "… cut to {MAX_OVERVIEW_LINES} lines — see the phase files"
        ));
    }
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// How many of `n` items a list of `rows` lines shows when one line may be needed for "… N more".
fn fit(n: usize, rows: usize) -> usize {
    if n <= rows {
        n
    } else {
        rows.saturating_sub(1)
    }
}

fn list_section(lines: &mut Vec<String>, title: &str, items: &[String], rows: usize, xml: &str) {
    lines.push(format!("## {title}"));
    lines.push(String::new());
    let shown = fit(items.len(), rows);
    for item in &items[..shown] {
        lines.push(format!("- {}", inline(&cut(&fold(item), MAX_ITEM_CHARS))));
    }
    if shown < items.len() {
        lines.push(format!(
            "- … {} more — the full list is in {}",
            items.len() - shown,
            code_span(xml)
        ));
    }
    lines.push(String::new());
}

/// `items` joined with `, ` (each in a code span when `code`), stopping with "and N more (all in
/// `xml`)" before the line passes `max` characters.
fn joined(items: &[String], code: bool, max: usize, xml: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let folded = cut(&fold(item), max);
        let piece = if code {
            code_span(&folded)
        } else {
            inline(&folded)
        };
        let sep = if i == 0 { "" } else { ", " };
        if i > 0 && out.chars().count() + sep.len() + piece.chars().count() > max {
            out.push_str(&format!(
                " and {} more (all in {})",
                items.len() - i,
                code_span(xml)
            ));
            break;
        }
        out.push_str(sep);
        out.push_str(&piece);
    }
    out
}

fn gate_summary(gate: &[String]) -> String {
    let Some(first) = gate.first() else {
        return "none".into();
    };
    let text = match gate_entry(first) {
        GateEntry::Command(c) => {
            let c = fold(c);
            if c.chars().count() > MAX_GATE_CHARS {
                let head: String = c.chars().take(MAX_GATE_CHARS - 1).collect();
                format!("{}…", code_span(head.trim_end()))
            } else {
                code_span(&c)
            }
        }
        GateEntry::Check(c) => format!("check: {}", inline(&cut(&fold(c), MAX_GATE_CHARS))),
    };
    if gate.len() > 1 {
        format!("{text} (+{})", gate.len() - 1)
    } else {
        text
    }
}

fn depends_links(plan: &Plan, names: &[String], deps: &[String]) -> String {
    if deps.is_empty() {
        return "—".into();
    }
    deps.iter()
        .map(|d| match plan.phases.iter().position(|p| p.id == *d) {
            Some(j) => format!("[{}]({})", link_text(&fold(d)), names[j]),
            None => format!("{} (unknown)", inline(&fold(d))),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// plan/phase-{id}-{slug}.md

fn phase_file(plan: &Plan, h: &Header<'_>, names: &[String], i: usize) -> String {
    let p = &plan.phases[i];
    let mut l: Vec<String> = Vec::new();
    let title = if p.title.trim().is_empty() {
        &p.slug
    } else {
        &p.title
    };
    l.push(heading(
        1,
        &format!("Phase {} — {}", fold(&p.id), fold(title)),
    ));
    l.push(String::new());
    let mut nav = format!("[Overview](plan.md) · run {}", code_span(h.run_id));
    if i > 0 {
        nav.push_str(&format!(
            " · previous: [{}]({})",
            link_text(&fold(&plan.phases[i - 1].id)),
            names[i - 1]
        ));
    }
    if i + 1 < plan.phases.len() {
        nav.push_str(&format!(
            " · next: [{}]({})",
            link_text(&fold(&plan.phases[i + 1].id)),
            names[i + 1]
        ));
    }
    l.push(nav);
    l.push(String::new());

    l.push("## Goal".into());
    l.push(String::new());
    block(&mut l, &p.goal);
    l.push(String::new());

    l.push("## Depends on".into());
    l.push(String::new());
    if p.depends_on.is_empty() {
        l.push("Nothing: this phase can start first.".into());
    } else {
        for d in &p.depends_on {
            match plan.phases.iter().position(|q| q.id == *d) {
                Some(j) => l.push(format!(
                    "- [Phase {} — {}]({})",
                    link_text(&fold(d)),
                    link_text(&fold(&plan.phases[j].title)),
                    names[j]
                )),
                None => l.push(format!("- Phase {} (not in this plan)", inline(&fold(d)))),
            }
        }
    }
    l.push(String::new());

    l.push("## Steps".into());
    l.push(String::new());
    if p.steps.is_empty() {
        l.push("None stated.".into());
    }
    for (n, step) in p.steps.iter().enumerate() {
        l.push(format!("{}. {}", n + 1, or_none(&inline(step))));
    }
    l.push(String::new());

    l.push("## Files".into());
    l.push(String::new());
    if p.files.is_empty() {
        l.push("None.".into());
    }
    for f in &p.files {
        l.push(format!(
            "- **{}** {}",
            f.action.as_str(),
            code_span(&fold(&f.path))
        ));
    }
    l.push(String::new());

    l.push("## Success criteria".into());
    l.push(String::new());
    if p.success_criteria.is_empty() {
        l.push("None stated.".into());
    }
    for c in &p.success_criteria {
        l.push(format!("- {}", or_none(&inline(c))));
    }
    l.push(String::new());

    l.push("## Gate".into());
    l.push(String::new());
    if p.gate.is_empty() {
        l.push("None stated.".into());
    } else {
        l.push(
            "The phase is done when every command below exits with status 0 and every check holds."
                .into(),
        );
        l.push(String::new());
        for g in &p.gate {
            match gate_entry(g) {
                GateEntry::Command(c) if c.contains(['\n', '\r']) => {
                    // A multi-line command keeps its lines: a fenced block inside the item.
                    l.push("- [ ] Run:".into());
                    l.push(String::new());
                    let fence = "`".repeat(longest_run(c, '`').max(2) + 1);
                    l.push(format!("  {fence}sh"));
                    for line in c.lines() {
                        l.push(format!("  {}", strip_controls(line)));
                    }
                    l.push(format!("  {fence}"));
                    l.push(String::new());
                }
                GateEntry::Command(c) => l.push(format!("- [ ] Run {}", code_span(c))),
                GateEntry::Check(c) => l.push(format!("- [ ] Check: {}", or_none(&inline(c)))),
            }
        }
        while l.last().is_some_and(String::is_empty) {
            l.pop();
        }
    }
    l.push(String::new());

    l.push("## Rollback".into());
    l.push(String::new());
    block(&mut l, &p.rollback);

    if let Some(prov) = &p.provenance {
        l.push(String::new());
        l.push("## Provenance".into());
        l.push(String::new());
        l.push(format!(
            "- **Primary source:** {}",
            or_none(&inline(&prov.primary_source))
        ));
        if let Some(s) = &prov.secondary_source {
            l.push(format!("- **Secondary source:** {}", or_none(&inline(s))));
        }
        if prov.contradictions.is_empty() {
            l.push("- **Contradictions:** none".into());
        } else {
            l.push("- **Contradictions:**".into());
            for c in &prov.contradictions {
                l.push(format!("  - {}", or_none(&inline(c))));
            }
        }
    }

    let mut s = l.join("\n");
    s.push('\n');
    s
}

// ---------------------------------------------------------------------------------------------
// Markdown helpers

/// Block text (a goal, a rollback): paragraphs split on blank lines, each folded onto one line
/// and made safe at its start. "None stated." when empty.
fn block(out: &mut Vec<String>, text: &str) {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if fold(line).is_empty() {
            if !current.is_empty() {
                paragraphs.push(inline(&current));
                current.clear();
            }
        } else {
            current.push(' ');
            current.push_str(line);
        }
    }
    if !fold(&current).is_empty() {
        paragraphs.push(inline(&current));
    }
    if paragraphs.is_empty() {
        out.push("None stated.".into());
        return;
    }
    for (i, p) in paragraphs.into_iter().enumerate() {
        if i > 0 {
            out.push(String::new());
        }
        out.push(p);
    }
}

/// Collapses every run of whitespace and control characters to one space and trims.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c.is_control() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

fn strip_controls(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\t')
        .collect()
}

/// Text for an inline context that starts a line or a list item: folded, with a leading
/// block marker escaped.
fn inline(text: &str) -> String {
    escape_line_start(&fold(text))
}

/// Escapes the first character of `s` (already folded) when it would open a block structure:
/// an ATX heading, a block quote, a list item, a thematic break or setext underline, a code
/// fence, an HTML block, a table row. Anything else is left alone.
fn escape_line_start(s: &str) -> String {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    let second = chars.next();
    let only = |c: char| s.chars().all(|x| x == c || x == ' ');
    let needs = match first {
        '>' | '|' => true,
        '#' => {
            let hashes = s.chars().take_while(|c| *c == '#').count();
            hashes <= 6 && s[hashes..].chars().next().is_none_or(|c| c == ' ')
        }
        '-' | '+' | '*' => second.is_none_or(|c| c == ' ') || only(first),
        '=' | '_' => only(first),
        '`' | '~' => s.starts_with("```") || s.starts_with("~~~"),
        '<' => second.is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, '/' | '!' | '?')),
        _ => false,
    };
    if needs {
        return format!("\\{s}");
    }
    // An ordered-list marker: up to nine digits then `.` or `)` then a space or the end.
    let digits = s.chars().take_while(char::is_ascii_digit).count();
    if (1..=9).contains(&digits) {
        let rest = &s[digits..];
        let mut r = rest.chars();
        if matches!(r.next(), Some('.' | ')')) && r.next().is_none_or(|c| c == ' ') {
            return format!("{}\\{}", &s[..digits], rest);
        }
    }
    s.to_string()
}

/// An ATX heading whose text cannot lose a trailing `#` to the closing sequence.
fn heading(level: usize, text: &str) -> String {
    let t = fold(text);
    let t = if t.ends_with('#') {
        format!("{}\\#", &t[..t.len() - 1])
    } else {
        t
    };
    format!(
        "{} {}",
        "#".repeat(level),
        if t.is_empty() { "Untitled".into() } else { t }
    )
}

/// A code span holding `text` verbatim: the fence is one backtick longer than the longest
/// backtick run inside, padded with spaces when the content starts or ends with a backtick or
/// a space (CommonMark strips one space from each side). Newlines are folded to spaces.
pub fn code_span(text: &str) -> String {
    let t: String = text
        .chars()
        .map(|c| {
            if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    if t.is_empty() {
        return "` `".into();
    }
    let fence = "`".repeat(longest_run(&t, '`') + 1);
    let pad = t.starts_with(['`', ' ']) || t.ends_with(['`', ' ']);
    let sp = if pad { " " } else { "" };
    format!("{fence}{sp}{t}{sp}{fence}")
}

fn longest_run(s: &str, ch: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for c in s.chars() {
        if c == ch {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

/// A GFM table cell: every `|` escaped (GFM splits cells before parsing inlines, code spans
/// included, so the escape is right even inside a code span).
fn cell(text: &str) -> String {
    fold(text).replace('|', "\\|")
}

/// Link text: `[`, `]` and `\` escaped so the link cannot end early or nest.
fn link_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    if out.is_empty() {
        "untitled".into()
    } else {
        out
    }
}

/// Cuts `text` to `max` characters, ending with `…` when cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut t: String = text.chars().take(max.saturating_sub(1)).collect();
        t = t.trim_end().to_string();
        t.push('…');
        t
    }
}

fn or_none(text: &str) -> String {
    if text.is_empty() {
        "None stated.".into()
    } else {
        text.to_string()
    }
}

/// Greedy word wrap of folded `text` at `width`, at most `max_lines` lines (the last ending
/// with `…` when text remains). A line break is only placed before a word that starts with a
/// letter, so no continuation line can open a block structure (`- `, `1.`, `#`, `|---`, …);
/// the first line is escaped like any line start.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut truncated = false;
    for w in text.split(' ').filter(|w| !w.is_empty()) {
        let can_break = w.chars().next().is_some_and(char::is_alphabetic);
        if !cur.is_empty() && can_break && cur.chars().count() + 1 + w.chars().count() > width {
            if lines.len() + 1 >= max_lines {
                truncated = true;
                break;
            }
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        if truncated {
            cur.push_str(" …");
        }
        lines.push(cur);
    }
    if let Some(first) = lines.first_mut() {
        *first = escape_line_start(first);
    }
    lines
}

/// Lowercase `[a-z0-9-]` form of `s`: other characters become `-`, runs of `-` collapse, no
/// leading or trailing `-`, at most `max` characters.
fn kebab(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(max);
    out.trim_end_matches('-').to_string()
}

/// Hand-made plans shared by the renderers' tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::{
        Dependencies, FileAction, FileChange, Phase, Plan, Provenance, TaskKind, Verdict,
    };

    use super::Header;

    pub(crate) fn phase(i: usize, title: &str) -> Phase {
        let id = format!("{i:02}");
        Phase {
            id: id.clone(),
            slug: if i == 0 {
                "preflight".into()
            } else {
                crate::text::slug(title, 4)
            },
            title: title.into(),
            goal: format!("Goal of phase {id}."),
            steps: vec![
                format!("First step of {id}."),
                format!("Second step of {id}: run `cargo check`."),
            ],
            files: vec![
                FileChange {
                    path: "src/lib.rs".into(),
                    action: FileAction::Modify,
                },
                FileChange {
                    path: format!("src/phase_{id}.rs"),
                    action: FileAction::Create,
                },
            ],
            success_criteria: vec![format!("Phase {id} compiles and its tests pass.")],
            gate: vec![
                "cargo test --workspace".into(),
                format!("check: phase {id} behaves as described"),
            ],
            rollback: format!("git revert the commits of phase {id}."),
            depends_on: if i == 0 {
                vec![]
            } else {
                vec![format!("{:02}", i - 1)]
            },
            provenance: None,
        }
    }

    pub(crate) fn plan(n: usize) -> Plan {
        Plan {
            title: "Add rate limiting to the API".into(),
            thesis: "Rate limiting belongs in one middleware layer with a token bucket per client."
                .into(),
            effort: "2 days".into(),
            phases: (0..n)
                .map(|i| {
                    phase(
                        i,
                        if i == 0 {
                            "Preflight"
                        } else {
                            "Token bucket middleware"
                        },
                    )
                })
                .collect(),
            dependencies: Dependencies {
                services: vec!["redis".into()],
                env_vars: vec!["REDIS_URL".into()],
                permissions: vec![],
            },
            out_of_scope: vec!["Per-user quotas in the admin UI.".into()],
            iron_rules: vec!["Never drop a request silently.".into()],
            author: "prometheus-cast".into(),
        }
    }

    /// A plan of `n` phases whose every text is long.
    pub(crate) fn long_plan(n: usize) -> Plan {
        let long = |s: &str| format!("{s} {}", "lorem ipsum dolor sit amet ".repeat(30));
        let mut p = plan(n);
        p.title = long("A very long title");
        p.thesis = long("Thesis").repeat(5);
        p.effort = long("Effort");
        for ph in &mut p.phases {
            ph.title = long(&format!("Phase {} title", ph.id));
            ph.gate.insert(0, long("cargo test -- --include-ignored"));
            ph.steps.push(long("A long step"));
        }
        p.dependencies.services = (0..25).map(|i| long(&format!("service-{i}"))).collect();
        p.dependencies.env_vars = (0..25).map(|i| format!("ENV_VAR_NUMBER_{i}")).collect();
        p.dependencies.permissions = (0..25).map(|i| long(&format!("perm {i}"))).collect();
        p.out_of_scope = (0..40).map(|i| long(&format!("out {i}"))).collect();
        p.iron_rules = (0..40).map(|i| long(&format!("rule {i}"))).collect();
        p
    }

    pub(crate) fn provenance() -> Provenance {
        Provenance {
            primary_source: "correctness".into(),
            secondary_source: Some("defensive".into()),
            contradictions: vec![
                "Redis vs Postgres LISTEN/NOTIFY: Redis, as directive 2 names it.".into(),
            ],
        }
    }

    pub(crate) fn header() -> Header<'static> {
        Header {
            run_id: "anneal-20261121-143000-rate-limit",
            strategy: "temper",
            task: "Add rate limiting to the API",
            task_kind: TaskKind::Feature,
            status: "EMIT",
            overall_verdict: Verdict::Caution,
            momus_score: Some(82),
            hephaestus: "PASS",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{header, long_plan, phase, plan, provenance};
    use super::*;
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    /// What a CommonMark + GFM parser sees in a rendered file.
    #[derive(Debug, Default)]
    struct Md {
        /// (level, text)
        headings: Vec<(usize, String)>,
        /// (section heading, item text) for top-level list items.
        items: Vec<(String, String)>,
        /// cell texts per table row (header included).
        rows: Vec<Vec<String>>,
        links: Vec<String>,
        codes: Vec<String>,
        code_blocks: Vec<String>,
        paragraphs: Vec<(String, String)>,
    }

    fn parse(md: &str) -> Md {
        let mut out = Md::default();
        let mut section = String::new();
        let mut buf: Option<String> = None; // text of the current heading / item / cell / paragraph
        let mut list_depth = 0usize;
        let mut in_heading = None;
        let mut row: Option<Vec<String>> = None;
        let mut block: Option<String> = None;
        for ev in Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS) {
            match ev {
                Event::Start(Tag::Heading { level, .. }) => {
                    in_heading = Some(level as usize);
                    buf = Some(String::new());
                }
                Event::End(TagEnd::Heading(_)) => {
                    let t = buf.take().unwrap_or_default();
                    if in_heading == Some(2) {
                        section = t.clone();
                    }
                    out.headings.push((in_heading.take().unwrap(), t));
                }
                Event::Start(Tag::List(_)) => list_depth += 1,
                Event::End(TagEnd::List(_)) => list_depth -= 1,
                Event::Start(Tag::Item) if list_depth == 1 => buf = Some(String::new()),
                Event::End(TagEnd::Item) if list_depth == 1 => out
                    .items
                    .push((section.clone(), buf.take().unwrap_or_default())),
                Event::Start(Tag::Paragraph) if list_depth == 0 => buf = Some(String::new()),
                Event::End(TagEnd::Paragraph) if list_depth == 0 => out
                    .paragraphs
                    .push((section.clone(), buf.take().unwrap_or_default())),
                Event::Start(Tag::TableHead | Tag::TableRow) => row = Some(Vec::new()),
                Event::End(TagEnd::TableHead | TagEnd::TableRow) => {
                    out.rows.push(row.take().unwrap())
                }
                Event::Start(Tag::TableCell) => buf = Some(String::new()),
                Event::End(TagEnd::TableCell) => {
                    row.as_mut().unwrap().push(buf.take().unwrap_or_default())
                }
                Event::Start(Tag::Link { dest_url, .. }) => out.links.push(dest_url.to_string()),
                Event::Start(Tag::CodeBlock(_)) => block = Some(String::new()),
                Event::End(TagEnd::CodeBlock) => out.code_blocks.push(block.take().unwrap()),
                Event::Text(t) => {
                    if let Some(b) = block.as_mut() {
                        b.push_str(&t);
                    } else if let Some(b) = buf.as_mut() {
                        b.push_str(&t);
                    }
                }
                Event::Code(t) => {
                    out.codes.push(t.to_string());
                    if let Some(b) = buf.as_mut() {
                        b.push_str(&t);
                    }
                }
                Event::SoftBreak | Event::HardBreak => {
                    if let Some(b) = buf.as_mut() {
                        b.push(' ');
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
        &files
            .iter()
            .find(|(p, _)| p == name)
            .unwrap_or_else(|| panic!("{name} not rendered"))
            .1
    }

    const SECTIONS: [&str; 7] = [
        "Goal",
        "Depends on",
        "Steps",
        "Files",
        "Success criteria",
        "Gate",
        "Rollback",
    ];

    fn h2(md: &Md) -> Vec<&str> {
        md.headings
            .iter()
            .filter(|(l, _)| *l == 2)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    fn section_items<'a>(md: &'a Md, section: &str) -> Vec<&'a str> {
        md.items
            .iter()
            .filter(|(s, _)| s == section)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    #[test]
    fn one_phase_plan_overview_holds_everything() {
        let files = render(&plan(1), &header());
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].0, "plan/plan.md");
        let md = file(&files, "plan/plan.md");
        assert!(md.lines().count() <= MAX_OVERVIEW_LINES);
        let m = parse(md);
        assert_eq!(
            m.headings[0],
            (1, "Add rate limiting to the API".to_string())
        );
        assert_eq!(
            h2(&m),
            [
                "Thesis",
                "Dependencies",
                "Phases",
                "Out of scope",
                "Iron rules"
            ]
        );
        let facts = section_items(&m, "");
        assert!(facts[0].contains("EMIT") && facts[0].contains("CAUTION"));
        assert!(facts[0].contains("82/100") && facts[0].contains("PASS"));
        assert!(
            facts[1].contains("anneal-20261121-143000-rate-limit") && facts[1].contains("temper")
        );
        assert!(facts[2].contains("2 days"));
        assert!(section_items(&m, "Dependencies")[0].contains("redis"));
        assert!(m.codes.contains(&"REDIS_URL".to_string()));
        assert_eq!(m.rows.len(), 2, "header row and one phase row");
        assert_eq!(m.rows[1][0], "00");
        assert_eq!(m.rows[1][1], "Preflight");
        assert_eq!(m.rows[1][3], "cargo test --workspace (+1)");
        assert!(m.links.contains(&"phase-00-preflight.md".to_string()));
        assert_eq!(
            section_items(&m, "Out of scope"),
            ["Per-user quotas in the admin UI."]
        );
        assert_eq!(
            section_items(&m, "Iron rules"),
            ["Never drop a request silently."]
        );
        assert!(!md.ends_with("\n\n"));
    }

    #[test]
    fn thirty_long_phases_stay_within_eighty_lines_and_list_what_fits() {
        let p = long_plan(30);
        let files = render(&p, &header());
        let md = file(&files, "plan/plan.md");
        assert!(
            md.lines().count() <= MAX_OVERVIEW_LINES,
            "{} lines",
            md.lines().count()
        );
        let m = parse(md);
        // Every phase fits beside a few out-of-scope items and iron rules.
        assert_eq!(m.rows.len(), 31);
        for (i, row) in m.rows[1..].iter().enumerate() {
            assert_eq!(row.len(), 4);
            assert_eq!(row[0], format!("{i:02}"));
            assert!(row[1].ends_with('…'), "long titles are cut: {}", row[1]);
        }
        let oos = section_items(&m, "Out of scope");
        let iron = section_items(&m, "Iron rules");
        assert!(oos.len() >= 2 && iron.len() >= 2);
        assert!(oos.last().unwrap().contains("more — the full list is in"));
        assert!(iron
            .last()
            .unwrap()
            .contains("temper-anneal-20261121-143000-rate-limit.xml"));
        let thesis: Vec<_> = m.paragraphs.iter().filter(|(s, _)| s == "Thesis").collect();
        assert_eq!(thesis.len(), 1);
        assert!(thesis[0].1.ends_with('…'));
        assert!(section_items(&m, "Dependencies")
            .iter()
            .all(|d| d.contains("more")));
        // Every phase still gets its own file.
        assert_eq!(files.len(), 31);
    }

    #[test]
    fn huge_plans_cut_gracefully_at_eighty_lines() {
        for n in [0, 2, 45, 60, 200] {
            let p = long_plan(n);
            let files = render(&p, &header());
            let md = file(&files, "plan/plan.md");
            assert!(
                md.lines().count() <= MAX_OVERVIEW_LINES,
                "{n} phases: {} lines",
                md.lines().count()
            );
            let m = parse(md);
            let body_rows = m.rows.len().saturating_sub(1);
            if n > 0 {
                assert!(body_rows >= 30.min(n), "{n} phases: only {body_rows} rows");
            }
            if n > body_rows {
                let last = m.rows.last().unwrap();
                assert_eq!(last[0], "…");
                let shown = body_rows - 1;
                assert!(
                    last[1].starts_with(&format!("{} more phases", n - shown)),
                    "{last:?}"
                );
            }
            assert_eq!(files.len(), n + 1);
        }
    }

    #[test]
    fn budget_holds_for_every_mix_of_section_sizes() {
        for phases in [0, 1, 5, 29, 30, 31, 48, 70] {
            for oos in [0, 1, 3, 4, 25] {
                for iron in [0, 1, 3, 4, 25] {
                    let mut p = long_plan(phases);
                    p.out_of_scope.truncate(oos);
                    p.iron_rules.truncate(iron);
                    let md = render(&p, &header()).remove(0).1;
                    let n = md.lines().count();
                    assert!(n <= MAX_OVERVIEW_LINES, "{phases}/{oos}/{iron}: {n} lines");
                    assert!(
                        !md.contains("lines — see the phase files"),
                        "safety net used"
                    );
                    let m = parse(&md);
                    // Each non-empty list shows at least one item (or its "… N more" line).
                    assert_eq!(!section_items(&m, "Out of scope").is_empty(), oos > 0);
                    assert_eq!(!section_items(&m, "Iron rules").is_empty(), iron > 0);
                    if phases > 0 {
                        assert!(m.rows.len() > 1);
                    }
                }
            }
        }
    }

    #[test]
    fn every_phase_file_exists_with_steps_gate_and_rollback() {
        let p = plan(4);
        let files = render(&p, &header());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "plan/plan.md",
                "plan/phase-00-preflight.md",
                "plan/phase-01-token-bucket-middleware.md",
                "plan/phase-02-token-bucket-middleware.md",
                "plan/phase-03-token-bucket-middleware.md",
            ]
        );
        let md = file(&files, "plan/phase-02-token-bucket-middleware.md");
        let m = parse(md);
        assert_eq!(
            m.headings[0],
            (1, "Phase 02 — Token bucket middleware".into())
        );
        assert_eq!(h2(&m), SECTIONS);
        assert_eq!(
            section_items(&m, "Steps"),
            ["First step of 02.", "Second step of 02: run cargo check."]
        );
        assert!(md.contains("1. First step of 02.\n2. Second step of 02: run `cargo check`."));
        assert_eq!(
            section_items(&m, "Files"),
            ["modify src/lib.rs", "create src/phase_02.rs"]
        );
        assert_eq!(
            section_items(&m, "Gate"),
            [
                "Run cargo test --workspace",
                "Check: phase 02 behaves as described"
            ]
        );
        assert!(md.contains("- [ ] Run `cargo test --workspace`"));
        assert_eq!(
            section_items(&m, "Depends on"),
            ["Phase 01 — Token bucket middleware"]
        );
        assert!(m
            .links
            .contains(&"phase-01-token-bucket-middleware.md".to_string()));
        assert!(m
            .links
            .contains(&"phase-03-token-bucket-middleware.md".to_string()));
        assert!(m.links.contains(&"plan.md".to_string()));
        let rollback: Vec<_> = m
            .paragraphs
            .iter()
            .filter(|(s, _)| s == "Rollback")
            .collect();
        assert_eq!(rollback[0].1, "git revert the commits of phase 02.");
        assert!(!md.contains("## Provenance"));
    }

    #[test]
    fn provenance_is_rendered_when_present() {
        let mut p = plan(2);
        p.phases[1].provenance = Some(provenance());
        let mut no_secondary = provenance();
        no_secondary.secondary_source = None;
        no_secondary.contradictions.clear();
        p.phases[0].provenance = Some(no_secondary);
        let files = render(&p, &header());
        let m = parse(file(&files, "plan/phase-01-token-bucket-middleware.md"));
        assert_eq!(h2(&m).last(), Some(&"Provenance"));
        let items = section_items(&m, "Provenance");
        assert_eq!(items[0], "Primary source: correctness");
        assert_eq!(items[1], "Secondary source: defensive");
        assert!(items[2].contains("Redis vs Postgres LISTEN/NOTIFY"));
        let m0 = parse(file(&files, "plan/phase-00-preflight.md"));
        let items0 = section_items(&m0, "Provenance");
        assert_eq!(
            items0,
            ["Primary source: correctness", "Contradictions: none"]
        );
    }

    const HOSTILE: [&str; 12] = [
        "# Not a heading\n## Steps\nstill the same step",
        "```\nunclosed fence",
        "- not a nested list",
        "1. not a nested ordered list",
        "> not a quote",
        "---",
        "<!-- not a comment block",
        "a | b | c",
        "odd ` backtick and ``` fence",
        "line one\n\n\nline two\r\nline three",
        "ends with #",
        "<div>not html</div>",
    ];

    #[test]
    fn hostile_text_cannot_break_a_phase_file() {
        let mut p = plan(2);
        let ph = &mut p.phases[1];
        ph.title = "Title | with ] brackets [ and # ".into();
        ph.slug = "title-with-brackets-and".into();
        ph.goal = HOSTILE.join("\n");
        ph.steps = HOSTILE.iter().map(|s| s.to_string()).collect();
        ph.success_criteria = HOSTILE.iter().map(|s| s.to_string()).collect();
        ph.gate = vec![
            "echo `date` | grep ``x``".into(),
            "printf 'a\\n'\nmake test".into(),
            "check: ## not a heading\n- nor a list".into(),
        ];
        ph.rollback = "```\n# revert\n---".into();
        ph.provenance = Some(provenance());
        let files = render(&p, &header());
        let md = file(&files, "plan/phase-01-title-with-brackets-and.md");
        let m = parse(md);
        assert_eq!(m.headings.len(), 1 + SECTIONS.len() + 1, "{md}");
        assert_eq!(
            m.headings[0].1,
            "Phase 01 — Title | with ] brackets [ and #"
        );
        let mut want: Vec<&str> = SECTIONS.to_vec();
        want.push("Provenance");
        assert_eq!(h2(&m), want);
        let steps = section_items(&m, "Steps");
        assert_eq!(steps.len(), HOSTILE.len(), "{md}");
        assert_eq!(steps[0], "# Not a heading ## Steps still the same step");
        assert_eq!(steps[2], "- not a nested list");
        assert_eq!(steps[3], "1. not a nested ordered list");
        assert_eq!(steps[4], "> not a quote");
        assert_eq!(steps[6], "<!-- not a comment block");
        assert_eq!(steps[9], "line one line two line three");
        assert_eq!(section_items(&m, "Success criteria").len(), HOSTILE.len());
        let gate = section_items(&m, "Gate");
        assert_eq!(gate.len(), 3, "{md}");
        assert!(
            m.codes.contains(&"echo `date` | grep ``x``".to_string()),
            "{:?}",
            m.codes
        );
        assert!(m
            .code_blocks
            .contains(&"printf 'a\\n'\nmake test\n".to_string()));
        assert_eq!(gate[2], "Check: ## not a heading - nor a list");
        let rollback: Vec<_> = m
            .paragraphs
            .iter()
            .filter(|(s, _)| s == "Rollback")
            .collect();
        assert_eq!(rollback.len(), 1);
        assert_eq!(rollback[0].1, "``` # revert ---");
        assert!(
            m.code_blocks.len() == 1,
            "no stray code block: {:?}",
            m.code_blocks
        );
    }

    #[test]
    fn hostile_text_cannot_break_the_overview() {
        let mut p = plan(3);
        p.title = "## Title ending in #".into();
        p.thesis = HOSTILE.join(" ").repeat(3);
        p.phases[1].title = "Pipes | and ] brackets [ and `ticks".into();
        p.phases[1].slug = "pipes-and-brackets-and".into();
        p.phases[1].gate = vec!["a | b `c`".into()];
        p.phases[2].gate = vec!["check: rows | stay | whole".into()];
        p.out_of_scope = HOSTILE.iter().map(|s| s.to_string()).collect();
        p.iron_rules = vec!["- nested?".into(), "2) ordered?".into()];
        p.dependencies.env_vars = vec!["A`B".into()];
        let h = Header {
            task: "# task\n- with lines",
            ..header()
        };
        let files = render(&p, &h);
        let md = file(&files, "plan/plan.md");
        assert!(md.lines().count() <= MAX_OVERVIEW_LINES);
        let m = parse(md);
        assert_eq!(m.headings[0], (1, "## Title ending in #".into()));
        assert_eq!(
            h2(&m),
            [
                "Thesis",
                "Dependencies",
                "Phases",
                "Out of scope",
                "Iron rules"
            ],
            "{md}"
        );
        assert_eq!(m.rows.len(), 4);
        assert!(m.rows.iter().all(|r| r.len() == 4), "{:?}", m.rows);
        assert_eq!(m.rows[2][1], "Pipes | and ] brackets [ and `ticks");
        assert_eq!(m.rows[2][3], "a | b `c`");
        assert_eq!(m.rows[3][3], "check: rows | stay | whole");
        assert!(m
            .links
            .contains(&"phase-01-pipes-and-brackets-and.md".to_string()));
        assert_eq!(section_items(&m, "Out of scope").len(), HOSTILE.len());
        assert_eq!(
            section_items(&m, "Iron rules"),
            ["- nested?", "2) ordered?"]
        );
        assert!(m.codes.contains(&"A`B".to_string()));
        assert!(section_items(&m, "")[3].starts_with("Task: # task - with lines"));
    }

    #[test]
    fn phase_file_names_are_safe_and_unique() {
        let mut p = plan(3);
        p.phases[0].slug = "../../rollup.yaml".into();
        p.phases[1].id = "01/..".into();
        p.phases[1].slug = String::new();
        p.phases[2].id = "01".into();
        p.phases[2].slug = "phase".into();
        let names = phase_file_names(&p);
        assert_eq!(
            names,
            [
                "phase-00-rollup-yaml.md",
                "phase-01-phase.md",
                "phase-01-phase-2.md"
            ]
        );
        let files = render(&p, &header());
        assert_eq!(files.len(), 4);
        assert!(files
            .iter()
            .all(|(n, _)| n.starts_with("plan/phase-") || n == "plan/plan.md"));
    }

    #[test]
    fn code_spans_hold_any_backticks() {
        for s in ["plain", "a`b", "``x``", "`lead", "trail`", " sp ", "a\nb"] {
            let span = code_span(s);
            let m = parse(&span);
            assert_eq!(m.codes, [s.replace('\n', " ")], "{span}");
        }
    }

    #[test]
    fn gate_entries_are_classified() {
        assert_eq!(gate_entry(" make test "), GateEntry::Command("make test"));
        assert_eq!(gate_entry("check: it works"), GateEntry::Check("it works"));
        assert_eq!(gate_entry("CHECK:x"), GateEntry::Check("x"));
        assert_eq!(gate_entry("checkout"), GateEntry::Command("checkout"));
        assert_eq!(gate_entry("é"), GateEntry::Command("é"));
    }

    #[test]
    fn single_phase_fixture_is_the_preflight() {
        assert_eq!(phase(0, "Preflight").slug, "preflight");
    }
}

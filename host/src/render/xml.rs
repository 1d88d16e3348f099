//! The semantic-XML prompt `{strategy}-{run_id}.xml` (docs/design.md §8, invariant 3): one document a
//! user pastes into a fresh coding-agent session to execute the reviewed plan in one shot.
//!
//! The element tree is documented for the executing agent and for tool authors in
//! `_shared/xml-prompt-schema.md`; keep the two in step. Every element and attribute is written
//! with `quick-xml`'s writer, which escapes all text and attribute values; on top of that,
//! characters XML 1.0 forbids (C0 controls other than tab, newline and carriage return, and
//! U+FFFE/U+FFFF) are removed, line ends are normalised to `\n`, and attribute values are
//! folded onto one line, so the output is well-formed whatever the plan, the probe or the
//! reviewers wrote.
use std::io;

use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use crate::model::{Envelope, Plan, ProbeReport, TaskKind, Verdict};
use crate::render::plan_md::{gate_entry, phase_file_names, GateEntry};

/// Version of the prompt's element structure (the root's `version` attribute). Bump it when an
/// element or attribute changes meaning or disappears; additions keep it.
pub const SCHEMA_VERSION: &str = "1";

/// Everything the XML prompt is made of.
#[derive(Clone, Copy, Debug)]
pub struct XmlInput<'a> {
    /// `anneal-YYYYMMDD-HHMMSS-{slug}` (docs/design.md §8).
    pub run_id: &'a str,
    /// Strategy name (`cast`, `alloy`, `temper`, or a third party's).
    pub strategy: &'a str,
    /// The strategy's own version string.
    pub strategy_version: &'a str,
    /// The user's one-line task.
    pub task: &'a str,
    /// Intent Gate classification.
    pub task_kind: TaskKind,
    /// Emission decision (docs/design.md §4): `EMIT`, `RE_LOOP` or `ABORT`.
    pub emission: &'a str,
    /// Worst-of verdict over every gate (docs/design.md §4).
    pub overall_verdict: Verdict,
    /// Stage-2 probe report.
    pub probe: &'a ProbeReport,
    /// Metis directives plus any failures folded in by re-loops.
    pub directives: &'a [String],
    /// The final plan.
    pub plan: &'a Plan,
    /// Review envelopes in pipeline order: Metis, Momus, the red-team three, Oracle, Hephaestus.
    pub reviews: &'a [&'a Envelope],
    /// Skills injected for the executing agent: `(name, description)`.
    pub skills: &'a [(String, String)],
}

/// Renders the complete XML prompt: an XML declaration and one `<anneal_prompt>` root (see
/// `_shared/xml-prompt-schema.md` for every element). Deterministic for a given input; never
/// fails and always well-formed, whatever the input strings hold.
pub fn render(input: &XmlInput<'_>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_document(&mut w, input).expect("writing XML into a Vec<u8> cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    // Only `&str` input went in, and sanitising removes no UTF-8 boundaries.
    String::from_utf8(bytes).expect("quick-xml writes the UTF-8 it was given")
}

/// What the XML prompt says when a run ends without a plan.
#[derive(Clone, Copy, Debug)]
pub struct NoPlan<'a> {
    pub run_id: &'a str,
    pub strategy: &'a str,
    /// The emission decision: `ABORT` or `RE_LOOP`.
    pub status: &'a str,
    pub task: &'a str,
    /// Metis's clarifying questions, when it blocked the task.
    pub questions: &'a [String],
    /// The error that ended the run, if one did.
    pub error: Option<&'a str>,
}

/// The XML prompt of a run without a plan: the task, the status, the questions and the error,
/// and an instruction not to start work — so the second output of docs/design.md §3
/// invariant 3 exists and says why there is nothing to execute. Written and sanitized like
/// [`render`]; never fails, always well-formed.
pub fn render_no_plan(n: &NoPlan<'_>) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_no_plan(&mut w, n).expect("writing XML into a Vec<u8> cannot fail");
    let mut bytes = w.into_inner();
    bytes.push(b'\n');
    String::from_utf8(bytes).expect("quick-xml writes the UTF-8 it was given")
}

fn write_no_plan(w: &mut W, n: &NoPlan<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    open(
        w,
        "anneal_prompt",
        &[
            ("version", SCHEMA_VERSION),
            ("run_id", n.run_id),
            ("strategy", n.strategy),
            ("status", n.status),
        ],
    )?;
    leaf(w, "objective", &[], n.task)?;
    leaf(
        w,
        "instruction",
        &[],
        "There is no plan to execute: do not start work. Resolve what is below and run anneal again.",
    )?;
    list(w, "clarifying_questions", "question", n.questions, false)?;
    if let Some(e) = n.error {
        leaf(w, "error", &[], e)?;
    }
    close(w, "anneal_prompt")
}

/// Removes what XML 1.0 forbids in character data (C0 controls except `\t`, `\n`, `\r`;
/// U+FFFE; U+FFFF) and turns `\r\n` and lone `\r` into `\n` (what a parser would do anyway).
pub fn xml_text(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    s.chars().filter(|&c| xml_char_allowed(c)).collect()
}

/// An attribute value: [`xml_text`] folded onto one line (runs of whitespace become one space)
/// and trimmed, since parsers turn newlines and tabs in attributes into spaces.
pub fn xml_attr(s: &str) -> String {
    xml_text(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether XML 1.0 allows `c` as a character (production `Char`; Rust `char`s are never
/// surrogates).
fn xml_char_allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

type W = Writer<Vec<u8>>;

fn open(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, xml_attr(v).as_str()));
    }
    w.write_event(Event::Start(start))
}

fn close(w: &mut W, name: &str) -> io::Result<()> {
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// `<name attrs>text</name>`, or `<name attrs/>` when `text` is empty.
fn leaf(w: &mut W, name: &str, attrs: &[(&str, &str)], text: &str) -> io::Result<()> {
    let text = xml_text(text);
    let text = text.trim();
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, xml_attr(v).as_str()));
    }
    if text.is_empty() {
        w.write_event(Event::Empty(start))
    } else {
        w.write_event(Event::Start(start))?;
        w.write_event(Event::Text(BytesText::from_escaped(partial_escape(text))))?;
        close(w, name)
    }
}

/// `<name attrs>…</name>` with the children `body` writes, or `<name attrs/>` when `empty`
/// (then `body` is not called).
fn group(
    w: &mut W,
    name: &str,
    attrs: &[(&str, &str)],
    empty: bool,
    body: impl FnOnce(&mut W) -> io::Result<()>,
) -> io::Result<()> {
    let mut start = BytesStart::new(name);
    for (k, v) in attrs {
        start.push_attribute((*k, xml_attr(v).as_str()));
    }
    if empty {
        return w.write_event(Event::Empty(start));
    }
    w.write_event(Event::Start(start))?;
    body(w)?;
    close(w, name)
}

/// `<outer><inner>item</inner>…</outer>`; nothing at all when `items` is empty and `always` is
/// false, an empty `<outer/>` when it is true.
fn list(w: &mut W, outer: &str, inner: &str, items: &[String], always: bool) -> io::Result<()> {
    if items.is_empty() {
        if always {
            w.write_event(Event::Empty(BytesStart::new(outer)))?;
        }
        return Ok(());
    }
    open(w, outer, &[])?;
    for item in items {
        leaf(w, inner, &[], item)?;
    }
    close(w, outer)
}

fn write_document(w: &mut W, input: &XmlInput<'_>) -> io::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    open(
        w,
        "anneal_prompt",
        &[
            ("version", SCHEMA_VERSION),
            ("run_id", input.run_id),
            ("strategy", input.strategy),
            ("strategy_version", input.strategy_version),
            ("emission", input.emission),
            ("overall_verdict", input.overall_verdict.as_str()),
        ],
    )?;
    leaf(w, "role", &[], ROLE)?;
    write_objective(w, input)?;
    write_context(w, input.probe)?;
    list(w, "directives", "directive", input.directives, true)?;
    write_skills(w, input.skills)?;
    write_plan(w, input)?;
    list(w, "out_of_scope", "item", &input.plan.out_of_scope, true)?;
    list(w, "iron_rules", "rule", &input.plan.iron_rules, true)?;
    write_review(w, input)?;
    write_protocol(w, input)?;
    write_deliverable(w)?;
    close(w, "anneal_prompt")
}

fn write_objective(w: &mut W, input: &XmlInput<'_>) -> io::Result<()> {
    open(w, "objective", &[("kind", input.task_kind.as_str())])?;
    leaf(w, "task", &[], input.task)?;
    leaf(w, "plan_title", &[], &input.plan.title)?;
    leaf(
        w,
        "outcome",
        &[],
        "Carry out every phase of the plan, in order, in this repository, until each phase's \
         gate passes; then report as the deliverable element says.",
    )?;
    close(w, "objective")
}

fn write_context(w: &mut W, p: &ProbeReport) -> io::Result<()> {
    open(w, "context", &[])?;
    leaf(
        w,
        "repository",
        &[("files_scanned", &p.files_scanned.to_string())],
        &p.repository,
    )?;
    group(w, "languages", &[], p.languages.is_empty(), |w| {
        for l in &p.languages {
            let files = l.files.to_string();
            leaf(w, "language", &[("name", &l.name), ("files", &files)], "")?;
        }
        Ok(())
    })?;
    list(w, "manifests", "manifest", &p.manifests, true)?;
    group(w, "commands", &[], p.commands.is_empty(), |w| {
        for c in &p.commands {
            let attrs = [("purpose", c.purpose.as_str()), ("source", &c.source)];
            leaf(w, "command", &attrs, &c.command)?;
        }
        Ok(())
    })?;
    group(w, "services", &[], p.services.is_empty(), |w| {
        for s in &p.services {
            let attrs = [
                ("name", s.name.as_str()),
                ("kind", &s.kind),
                ("source", &s.source),
            ];
            leaf(w, "service", &attrs, "")?;
        }
        Ok(())
    })?;
    list(w, "ci", "config", &p.ci, true)?;
    list(w, "frameworks", "framework", &p.frameworks, true)?;
    list(w, "entry_points", "entry_point", &p.entry_points, true)?;
    group(w, "relevant_files", &[], p.relevant_files.is_empty(), |w| {
        for f in &p.relevant_files {
            let score = f.score.to_string();
            leaf(
                w,
                "file",
                &[("path", &f.path), ("score", &score)],
                &f.reason,
            )?;
        }
        Ok(())
    })?;
    list(w, "env_vars", "env_var", &p.env_vars, true)?;
    close(w, "context")
}

fn write_skills(w: &mut W, skills: &[(String, String)]) -> io::Result<()> {
    group(w, "skills", &[], skills.is_empty(), |w| {
        for (name, description) in skills {
            leaf(w, "skill", &[("name", name)], description)?;
        }
        Ok(())
    })
}

fn write_plan(w: &mut W, input: &XmlInput<'_>) -> io::Result<()> {
    let plan = input.plan;
    let names = phase_file_names(plan);
    open(
        w,
        "plan",
        &[
            ("title", &plan.title),
            ("effort", &plan.effort),
            ("author", &plan.author),
            ("phases", &plan.phases.len().to_string()),
        ],
    )?;
    leaf(w, "thesis", &[], &plan.thesis)?;
    let d = &plan.dependencies;
    let none = d.services.is_empty() && d.env_vars.is_empty() && d.permissions.is_empty();
    group(w, "dependencies", &[], none, |w| {
        for s in &d.services {
            leaf(w, "service", &[], s)?;
        }
        for e in &d.env_vars {
            leaf(w, "env_var", &[], e)?;
        }
        for p in &d.permissions {
            leaf(w, "permission", &[], p)?;
        }
        Ok(())
    })?;
    for (i, phase) in plan.phases.iter().enumerate() {
        let file = format!("plan/{}", names[i]);
        let depends = phase
            .depends_on
            .iter()
            .map(|d| xml_attr(d))
            .collect::<Vec<_>>()
            .join(" ");
        open(
            w,
            "phase",
            &[
                ("id", &phase.id),
                ("slug", &phase.slug),
                ("depends_on", &depends),
                ("file", &file),
            ],
        )?;
        leaf(w, "title", &[], &phase.title)?;
        leaf(w, "goal", &[], &phase.goal)?;
        group(w, "steps", &[], phase.steps.is_empty(), |w| {
            for (n, step) in phase.steps.iter().enumerate() {
                leaf(w, "step", &[("n", &(n + 1).to_string())], step)?;
            }
            Ok(())
        })?;
        group(w, "files", &[], phase.files.is_empty(), |w| {
            for f in &phase.files {
                let attrs = [("action", f.action.as_str()), ("path", &f.path)];
                leaf(w, "file", &attrs, "")?;
            }
            Ok(())
        })?;
        list(
            w,
            "success_criteria",
            "criterion",
            &phase.success_criteria,
            true,
        )?;
        group(w, "gate", &[], phase.gate.is_empty(), |w| {
            write_gate(w, input.probe, &phase.gate)
        })?;
        leaf(w, "rollback", &[], &phase.rollback)?;
        if let Some(prov) = &phase.provenance {
            let mut attrs: Vec<(&str, &str)> = vec![("primary_source", &prov.primary_source)];
            if let Some(s) = &prov.secondary_source {
                attrs.push(("secondary_source", s));
            }
            group(
                w,
                "provenance",
                &attrs,
                prov.contradictions.is_empty(),
                |w| {
                    for c in &prov.contradictions {
                        leaf(w, "contradiction", &[], c)?;
                    }
                    Ok(())
                },
            )?;
        }
        close(w, "phase")?;
    }
    close(w, "plan")
}

/// The gate's entries in order: `<command detected="true" source=…>` when the probe found the
/// exact command in the project's files, `detected="false"` otherwise; `<check>` for
/// `check:` entries.
fn write_gate(w: &mut W, probe: &ProbeReport, gate: &[String]) -> io::Result<()> {
    for entry in gate {
        match gate_entry(entry) {
            GateEntry::Command(c) => {
                let detected = probe.commands.iter().find(|d| d.command.trim() == c);
                match detected {
                    Some(d) => leaf(
                        w,
                        "command",
                        &[("detected", "true"), ("source", &d.source)],
                        c,
                    )?,
                    None => leaf(w, "command", &[("detected", "false")], c)?,
                }
            }
            GateEntry::Check(c) => leaf(w, "check", &[], c)?,
        }
    }
    Ok(())
}

fn write_review(w: &mut W, input: &XmlInput<'_>) -> io::Result<()> {
    let attrs = [("overall_verdict", input.overall_verdict.as_str())];
    group(w, "review", &attrs, input.reviews.is_empty(), |w| {
        write_envelopes(w, input.reviews)
    })
}

fn write_envelopes(w: &mut W, reviews: &[&Envelope]) -> io::Result<()> {
    for env in reviews {
        let depth = env.depth.map(|d| d.to_string());
        let score = env.score.map(|s| s.to_string());
        let mut attrs: Vec<(&str, &str)> =
            vec![("agent", &env.agent), ("verdict", env.verdict.as_str())];
        if let Some(s) = &score {
            attrs.push(("score", s));
        }
        if let Some(d) = &depth {
            attrs.push(("depth", d));
        }
        attrs.push(("reviewer_model", &env.metadata.reviewer_model));
        open(w, "envelope", &attrs)?;
        leaf(w, "summary", &[], &env.summary)?;
        for f in &env.findings {
            open(
                w,
                "finding",
                &[("severity", f.severity.as_str()), ("location", &f.location)],
            )?;
            leaf(w, "concern", &[], &f.concern)?;
            leaf(w, "demand", &[], &f.demand)?;
            close(w, "finding")?;
        }
        for q in &env.clarifying_questions {
            leaf(w, "clarifying_question", &[], q)?;
        }
        close(w, "envelope")?;
    }
    Ok(())
}

fn write_protocol(w: &mut W, input: &XmlInput<'_>) -> io::Result<()> {
    open(w, "execution_protocol", &[])?;
    if input.emission.trim() != "EMIT" {
        leaf(
            w,
            "warning",
            &[("emission", input.emission)],
            &format!(
                "This plan was NOT accepted for emission (decision {}, overall verdict {}). \
                 Do not execute it unless the user explicitly tells you to after reading the review.",
                xml_attr(input.emission),
                input.overall_verdict.as_str()
            ),
        )?;
    }
    for (n, rule) in PROTOCOL.iter().enumerate() {
        leaf(w, "rule", &[("n", &(n + 1).to_string())], rule)?;
    }
    close(w, "execution_protocol")
}

fn write_deliverable(w: &mut W) -> io::Result<()> {
    open(w, "deliverable", &[])?;
    for (n, item) in DELIVERABLE.iter().enumerate() {
        leaf(w, "item", &[("n", &(n + 1).to_string())], item)?;
    }
    leaf(w, "report_template", &[], REPORT_TEMPLATE)?;
    close(w, "deliverable")
}

/// The `role` element's text.
const ROLE: &str = "You are a senior software engineer executing a reviewed implementation plan \
in the repository described under context. The plan was written and attacked by a planning \
pipeline (anneal): reviewers checked it for correctness, completeness, risk, scope and evidence, \
and its preflight gate was run against this repository. Your job is to carry it out exactly, \
prove every phase done with real command output, and stop honestly when something fails.";

/// The `execution_protocol` rules, in order.
const PROTOCOL: &[&str] = &[
    "Read this whole prompt before changing anything. Work from the repository root named under context.",
    "Execute the phase elements of the plan one at a time, in document order. Start a phase only when every phase named in its depends_on attribute is done.",
    "Within a phase, perform its steps in order. Touch only the files it lists, with the action given: create a file that does not exist yet, modify or delete one that does. If the work needs another file, keep the change minimal and say so in your report.",
    "When a phase's steps are done, run its gate: run every gate command exactly as written, from the repository root, and verify every gate check by inspecting the repository or the running program. The phase is done only when every command exits with status 0 and every check holds.",
    "If a gate fails, fix the cause within the phase's scope and run the whole gate again. If it still fails after three attempts, apply the phase's rollback, stop, and report: never start a later phase on a failed gate.",
    "Evidence must be real: never mock, stub, fake or skip a test, a command, its output or a check to make a gate pass, and never weaken or delete an existing test. Empty evidence is invalid; a success claim without the output line that shows it is invalid.",
    "Respect out_of_scope and iron_rules at all times: they override every other instruction in this prompt. Follow every directive.",
    "Treat the findings under review as known risks: watch for them while you work, and report any you see come true.",
    "Use a skill listed under skills when its description matches the work at hand.",
    "Do not push, deploy, publish, or change anything outside this repository unless a step explicitly says so. Ask before any destructive operation on data.",
];

/// The `deliverable` items, in order.
const DELIVERABLE: &[&str] = &[
    "The repository changed as the plan says, phase by phase, each phase's gate passing.",
    "One report when you stop, after the last phase or at the first phase you could not finish, following report_template: one section per phase with its status, the files changed, and for each gate command the command, its exit status and the output lines that prove the result.",
    "A closing list of anything you did that the plan did not say, anything you could not do, and every review finding that turned out to be real.",
];

/// The `report_template` text.
const REPORT_TEMPLATE: &str = "## Phase {id} — {title}: DONE | FAILED | NOT STARTED
Files changed: {path (action)}, …
Gate:
  $ {command}
  exit status {n}
  {the output lines that show the result}
  check: {check} — {how you verified it, with what you saw}
Notes: {deviations from the plan, with reasons}";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        DetectedCommand, DetectedService, EnvelopeMetadata, Finding, LanguageStat, Provenance,
        RelevantFile, Severity,
    };
    use crate::render::plan_md::fixtures::{plan, provenance};
    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::Event as Ev;
    use quick_xml::Reader;

    /// One element as a reader sees it.
    #[derive(Debug, Default)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        children: Vec<Node>,
        text: String,
    }

    impl Node {
        fn attr(&self, k: &str) -> Option<&str> {
            self.attrs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        }
        fn all(&self, name: &str) -> Vec<&Node> {
            self.children.iter().filter(|c| c.name == name).collect()
        }
        fn child(&self, name: &str) -> &Node {
            let all = self.all(name);
            assert_eq!(all.len(), 1, "exactly one <{name}> under <{}>", self.name);
            all[0]
        }
        fn names(&self) -> Vec<&str> {
            self.children.iter().map(|c| c.name.as_str()).collect()
        }
        fn texts(&self, name: &str) -> Vec<&str> {
            self.all(name).iter().map(|n| n.text.as_str()).collect()
        }
    }

    fn element(e: &BytesStart<'_>) -> Node {
        let mut attrs = Vec::new();
        for a in e.attributes().with_checks(true) {
            let a = a.expect("well-formed attribute");
            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
            let value = a
                .unescape_value()
                .expect("attribute value unescapes")
                .into_owned();
            assert!(
                !attrs.iter().any(|(k, _)| *k == key),
                "duplicate attribute {key}"
            );
            attrs.push((key, value));
        }
        Node {
            name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
            attrs,
            ..Node::default()
        }
    }

    /// Parses `xml` with quick-xml's reader, all checks on, into its one root element; panics
    /// on anything not well-formed. Whitespace-only text between elements is dropped.
    fn parse(xml: &str) -> Node {
        parse_with(xml, false)
    }

    fn parse_with(xml: &str, allow_comments: bool) -> Node {
        assert!(
            xml.chars().all(xml_char_allowed),
            "a character XML 1.0 forbids"
        );
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        let mut reader = Reader::from_str(xml);
        reader.config_mut().enable_all_checks(true);
        let mut stack = vec![Node::default()];
        loop {
            match reader.read_event().expect("well-formed XML") {
                Ev::Start(e) => stack.push(element(&e)),
                Ev::Empty(e) => {
                    let n = element(&e);
                    stack.last_mut().unwrap().children.push(n);
                }
                Ev::End(e) => {
                    let mut n = stack.pop().unwrap();
                    assert_eq!(e.name().as_ref(), n.name.as_bytes());
                    if n.text.trim().is_empty() {
                        n.text.clear();
                    }
                    stack
                        .last_mut()
                        .expect("an end tag without a start")
                        .children
                        .push(n);
                }
                Ev::Text(t) => stack
                    .last_mut()
                    .unwrap()
                    .text
                    .push_str(&t.decode().unwrap()),
                Ev::GeneralRef(r) => {
                    let c = match r.resolve_char_ref().expect("valid character reference") {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&r.decode().unwrap())
                            .expect("only predefined entities")
                            .to_string(),
                    };
                    stack.last_mut().unwrap().text.push_str(&c);
                }
                Ev::Decl(_) => {}
                Ev::Comment(_) if allow_comments => {}
                Ev::Eof => break,
                other => panic!("unexpected event {other:?}"),
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements");
        let doc = stack.pop().unwrap();
        assert!(doc.text.trim().is_empty(), "text outside the root");
        assert_eq!(doc.children.len(), 1, "exactly one root element");
        doc.children.into_iter().next().unwrap()
    }

    fn probe() -> ProbeReport {
        ProbeReport {
            repository: "rate-api".into(),
            languages: vec![LanguageStat {
                name: "Rust".into(),
                files: 42,
            }],
            manifests: vec!["Cargo.toml".into()],
            commands: vec![
                DetectedCommand {
                    purpose: "test".into(),
                    command: "cargo test --workspace".into(),
                    source: "Cargo.toml".into(),
                },
                DetectedCommand {
                    purpose: "lint".into(),
                    command: "cargo clippy".into(),
                    source: ".github/workflows/ci.yml".into(),
                },
            ],
            services: vec![DetectedService {
                name: "redis".into(),
                kind: "cache".into(),
                source: "docker-compose.yml".into(),
            }],
            ci: vec![".github/workflows/ci.yml".into()],
            frameworks: vec!["axum".into()],
            entry_points: vec!["src/main.rs".into()],
            relevant_files: vec![RelevantFile {
                path: "src/middleware.rs".into(),
                reason: "names middleware".into(),
                score: 7,
            }],
            env_vars: vec!["REDIS_URL".into()],
            skills: vec!["security-review".into()],
            files_scanned: 120,
        }
    }

    fn envelope(agent: &str, verdict: Verdict, score: Option<u8>, findings: usize) -> Envelope {
        Envelope {
            agent: agent.into(),
            run_id: "anneal-20261121-143000-rate-limit".into(),
            depth: score.map(|_| 1),
            verdict,
            score,
            summary: format!("{agent} reviewed the plan."),
            findings: (0..findings)
                .map(|i| Finding {
                    location: "plan/phase-01-token-bucket-middleware.md".into(),
                    severity: Severity::Medium,
                    concern: format!("{agent} concern {i}"),
                    demand: format!("Address {agent} concern {i}."),
                })
                .collect(),
            directives: vec![],
            clarifying_questions: vec![],
            metadata: EnvelopeMetadata {
                timestamp: "2026-11-21T14:30:00Z".into(),
                reviewer_model: "anneal-offline/0.1.0".into(),
                token_cost: 0,
            },
        }
    }

    fn reviews() -> Vec<Envelope> {
        vec![
            envelope("metis", Verdict::Safe, None, 0),
            envelope("momus", Verdict::Caution, Some(82), 1),
            envelope("redteam-security", Verdict::Safe, None, 0),
            envelope("redteam-scope", Verdict::Caution, None, 2),
            envelope("redteam-assumptions", Verdict::Safe, None, 0),
            envelope("oracle", Verdict::Caution, None, 1),
            envelope("hephaestus", Verdict::Safe, None, 0),
        ]
    }

    struct Owned {
        probe: ProbeReport,
        plan: Plan,
        reviews: Vec<Envelope>,
        directives: Vec<String>,
        skills: Vec<(String, String)>,
    }

    fn owned(phases: usize) -> Owned {
        let mut plan = plan(phases);
        if phases > 1 {
            plan.phases[1].provenance = Some(provenance());
        }
        Owned {
            probe: probe(),
            plan,
            reviews: reviews(),
            directives: vec![
                "Keep the limiter in one middleware.".into(),
                "Use Redis for shared state.".into(),
            ],
            skills: vec![(
                "security-review".into(),
                "Review code for security flaws.".into(),
            )],
        }
    }

    fn input<'a>(o: &'a Owned, refs: &'a [&'a Envelope]) -> XmlInput<'a> {
        XmlInput {
            run_id: "anneal-20261121-143000-rate-limit",
            strategy: "temper",
            strategy_version: "0.1.0",
            task: "Add rate limiting to the API",
            task_kind: TaskKind::Feature,
            emission: "EMIT",
            overall_verdict: Verdict::Caution,
            probe: &o.probe,
            directives: &o.directives,
            plan: &o.plan,
            reviews: refs,
            skills: &o.skills,
        }
    }

    const TOP: [&str; 11] = [
        "role",
        "objective",
        "context",
        "directives",
        "skills",
        "plan",
        "out_of_scope",
        "iron_rules",
        "review",
        "execution_protocol",
        "deliverable",
    ];

    #[test]
    fn parses_into_the_documented_tree() {
        let o = owned(3);
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let xml = render(&input(&o, &refs));
        let root = parse(&xml);
        assert_eq!(root.name, "anneal_prompt");
        assert_eq!(root.attr("version"), Some(SCHEMA_VERSION));
        assert_eq!(
            root.attr("run_id"),
            Some("anneal-20261121-143000-rate-limit")
        );
        assert_eq!(root.attr("strategy"), Some("temper"));
        assert_eq!(root.attr("strategy_version"), Some("0.1.0"));
        assert_eq!(root.attr("emission"), Some("EMIT"));
        assert_eq!(root.attr("overall_verdict"), Some("CAUTION"));
        assert_eq!(root.names(), TOP);

        let objective = root.child("objective");
        assert_eq!(objective.attr("kind"), Some("feature"));
        assert_eq!(objective.child("task").text, "Add rate limiting to the API");

        let ctx = root.child("context");
        assert_eq!(ctx.child("repository").text, "rate-api");
        assert_eq!(ctx.child("repository").attr("files_scanned"), Some("120"));
        let lang = ctx.child("languages").child("language");
        assert_eq!(
            (lang.attr("name"), lang.attr("files")),
            (Some("Rust"), Some("42"))
        );
        let cmds = ctx.child("commands").all("command");
        assert_eq!(cmds.len(), 2);
        assert_eq!(cmds[0].text, "cargo test --workspace");
        assert_eq!(cmds[0].attr("purpose"), Some("test"));
        assert_eq!(cmds[0].attr("source"), Some("Cargo.toml"));
        let svc = ctx.child("services").child("service");
        assert_eq!(svc.attr("kind"), Some("cache"));
        assert_eq!(
            ctx.child("ci").texts("config"),
            [".github/workflows/ci.yml"]
        );
        assert_eq!(ctx.child("frameworks").texts("framework"), ["axum"]);
        assert_eq!(
            ctx.child("entry_points").texts("entry_point"),
            ["src/main.rs"]
        );
        let rf = ctx.child("relevant_files").child("file");
        assert_eq!(rf.attr("path"), Some("src/middleware.rs"));
        assert_eq!(rf.text, "names middleware");
        assert_eq!(ctx.child("env_vars").texts("env_var"), ["REDIS_URL"]);

        assert_eq!(root.child("directives").all("directive").len(), 2);
        let skill = root.child("skills").child("skill");
        assert_eq!(skill.attr("name"), Some("security-review"));

        let plan = root.child("plan");
        assert_eq!(plan.attr("phases"), Some("3"));
        assert_eq!(plan.child("thesis").text, o.plan.thesis);
        let deps = plan.child("dependencies");
        assert_eq!(deps.texts("service"), ["redis"]);
        assert_eq!(deps.texts("env_var"), ["REDIS_URL"]);
        let phases = plan.all("phase");
        assert_eq!(phases.len(), 3);
        assert_eq!(phases[0].attr("id"), Some("00"));
        assert_eq!(phases[0].attr("slug"), Some("preflight"));
        assert_eq!(phases[0].attr("depends_on"), Some(""));
        assert_eq!(phases[0].attr("file"), Some("plan/phase-00-preflight.md"));
        assert_eq!(phases[2].attr("depends_on"), Some("01"));
        let p1 = phases[1];
        assert_eq!(
            p1.names(),
            [
                "title",
                "goal",
                "steps",
                "files",
                "success_criteria",
                "gate",
                "rollback",
                "provenance"
            ]
        );
        let steps = p1.child("steps").all("step");
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1].attr("n"), Some("2"));
        assert_eq!(steps[1].text, "Second step of 01: run `cargo check`.");
        let files = p1.child("files").all("file");
        assert_eq!(files[0].attr("action"), Some("modify"));
        assert_eq!(files[1].attr("action"), Some("create"));
        assert_eq!(files[1].attr("path"), Some("src/phase_01.rs"));
        let gate = p1.child("gate");
        assert_eq!(gate.names(), ["command", "check"]);
        assert_eq!(gate.child("command").text, "cargo test --workspace");
        assert_eq!(gate.child("command").attr("detected"), Some("true"));
        assert_eq!(gate.child("command").attr("source"), Some("Cargo.toml"));
        assert_eq!(gate.child("check").text, "phase 01 behaves as described");
        assert_eq!(
            p1.child("rollback").text,
            "git revert the commits of phase 01."
        );
        let prov = p1.child("provenance");
        assert_eq!(prov.attr("primary_source"), Some("correctness"));
        assert_eq!(prov.attr("secondary_source"), Some("defensive"));
        assert_eq!(prov.all("contradiction").len(), 1);
        assert!(phases[0].all("provenance").is_empty());

        assert_eq!(
            root.child("out_of_scope").texts("item"),
            ["Per-user quotas in the admin UI."]
        );
        assert_eq!(
            root.child("iron_rules").texts("rule"),
            ["Never drop a request silently."]
        );

        let protocol = root.child("execution_protocol");
        assert!(protocol.all("warning").is_empty());
        assert!(protocol.all("rule").len() >= 8);
        assert!(root
            .child("deliverable")
            .child("report_template")
            .text
            .contains("exit status"));
    }

    #[test]
    fn carries_every_envelope_verdict() {
        let o = owned(2);
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let root = parse(&render(&input(&o, &refs)));
        let review = root.child("review");
        assert_eq!(review.attr("overall_verdict"), Some("CAUTION"));
        let envs = review.all("envelope");
        assert_eq!(envs.len(), 7);
        let got: Vec<(&str, &str)> = envs
            .iter()
            .map(|e| (e.attr("agent").unwrap(), e.attr("verdict").unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("metis", "SAFE"),
                ("momus", "CAUTION"),
                ("redteam-security", "SAFE"),
                ("redteam-scope", "CAUTION"),
                ("redteam-assumptions", "SAFE"),
                ("oracle", "CAUTION"),
                ("hephaestus", "SAFE"),
            ]
        );
        assert_eq!(envs[1].attr("score"), Some("82"));
        assert_eq!(envs[1].attr("depth"), Some("1"));
        assert_eq!(envs[0].attr("score"), None);
        assert_eq!(envs[1].child("summary").text, "momus reviewed the plan.");
        let findings = envs[3].all("finding");
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0].attr("severity"), Some("medium"));
        assert_eq!(
            findings[0].child("demand").text,
            "Address redteam-scope concern 0."
        );
    }

    #[test]
    fn warns_when_the_plan_was_not_emitted() {
        let o = owned(1);
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let mut i = input(&o, &refs);
        i.emission = "RE_LOOP";
        i.overall_verdict = Verdict::Risky;
        let root = parse(&render(&i));
        let warning = root.child("execution_protocol").child("warning");
        assert_eq!(warning.attr("emission"), Some("RE_LOOP"));
        assert!(warning.text.contains("NOT accepted") && warning.text.contains("RISKY"));
    }

    #[test]
    fn undetected_gate_commands_are_marked() {
        let mut o = owned(1);
        o.plan.phases[0].gate = vec!["./run-everything.sh".into()];
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let root = parse(&render(&input(&o, &refs)));
        let cmd = root
            .child("plan")
            .child("phase")
            .child("gate")
            .child("command");
        assert_eq!(cmd.attr("detected"), Some("false"));
        assert_eq!(cmd.attr("source"), None);
    }

    const HOSTILE: &str =
        "</plan> & ]]> \u{0} \"quoted\" 'single' <x a=\"1\"/> &amp; \u{1b}[31m\u{7}\u{FFFE}\u{FFFF}\r\nnext line\rlast \u{10FFFF} é";

    #[test]
    fn stays_well_formed_with_hostile_strings() {
        let h = HOSTILE.to_string();
        let mut o = owned(3);
        o.probe.repository = h.clone();
        o.probe.languages[0].name = h.clone();
        o.probe.manifests = vec![h.clone()];
        o.probe.commands[0].command = h.clone();
        o.probe.commands[0].source = h.clone();
        o.probe.services[0].name = h.clone();
        o.probe.relevant_files[0].reason = h.clone();
        o.probe.env_vars = vec![h.clone()];
        o.directives = vec![h.clone()];
        o.skills = vec![(h.clone(), h.clone())];
        o.plan.title = h.clone();
        o.plan.thesis = h.clone();
        o.plan.effort = h.clone();
        o.plan.out_of_scope = vec![h.clone(), h.clone()];
        o.plan.iron_rules = vec![h.clone()];
        o.plan.dependencies.permissions = vec![h.clone()];
        for ph in &mut o.plan.phases {
            ph.slug = h.clone();
            ph.title = h.clone();
            ph.goal = h.clone();
            ph.steps = vec![h.clone(), h.clone(), h.clone()];
            ph.gate = vec![h.clone(), format!("check: {h}")];
            ph.rollback = h.clone();
            ph.depends_on = vec![h.clone()];
            ph.provenance = Some(Provenance {
                primary_source: h.clone(),
                secondary_source: Some(h.clone()),
                contradictions: vec![h.clone()],
            });
        }
        for e in &mut o.reviews {
            e.agent = h.clone();
            e.summary = h.clone();
            e.findings = vec![Finding {
                location: h.clone(),
                severity: Severity::Critical,
                concern: h.clone(),
                demand: h.clone(),
            }];
            e.metadata.reviewer_model = h.clone();
        }
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let mut i = input(&o, &refs);
        i.run_id = HOSTILE;
        i.strategy = HOSTILE;
        i.task = HOSTILE;
        i.emission = HOSTILE;
        let xml = render(&i);
        assert_eq!(xml.matches("</plan>").count(), 1);
        assert!(!xml.contains("]]>"));
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{1b}') && !xml.contains('\r'));

        let root = parse(&xml);
        let text = xml_text(HOSTILE);
        let text = text.trim();
        let attr = xml_attr(HOSTILE);
        assert!(text.contains("</plan> & ]]>") && text.contains("next line\nlast"));
        assert_eq!(root.names(), TOP);
        assert_eq!(root.attr("run_id"), Some(attr.as_str()));
        assert_eq!(root.attr("strategy"), Some(attr.as_str()));
        assert_eq!(root.child("objective").child("task").text, text);
        assert_eq!(root.child("context").child("repository").text, text);
        assert_eq!(
            root.child("context")
                .child("languages")
                .child("language")
                .attr("name"),
            Some(attr.as_str())
        );
        assert_eq!(root.child("directives").texts("directive"), [text]);
        let plan = root.child("plan");
        assert_eq!(plan.attr("title"), Some(attr.as_str()));
        let phases = plan.all("phase");
        assert_eq!(phases.len(), 3);
        for p in &phases {
            assert_eq!(p.attr("slug"), Some(attr.as_str()));
            assert_eq!(p.attr("depends_on"), Some(attr.as_str()));
            assert_eq!(p.child("steps").texts("step"), [text, text, text]);
            assert_eq!(p.child("gate").child("command").text, text);
            assert_eq!(
                p.child("gate").child("command").attr("detected"),
                Some("true")
            );
            assert_eq!(p.child("gate").child("check").text, text);
            assert_eq!(p.child("rollback").text, text);
            assert_eq!(
                p.child("provenance").attr("secondary_source"),
                Some(attr.as_str())
            );
        }
        // Phase files stay inside plan/ whatever the slug.
        assert!(phases.iter().all(|p| {
            let f = p.attr("file").unwrap();
            f.starts_with("plan/phase-") && !f[5..].contains('/') && !f.contains("..")
        }));
        assert_eq!(root.child("out_of_scope").texts("item"), [text, text]);
        let envs = root.child("review").all("envelope");
        assert_eq!(envs.len(), 7);
        for e in envs {
            assert_eq!(e.attr("agent"), Some(attr.as_str()));
            assert_eq!(e.child("finding").attr("severity"), Some("critical"));
            assert_eq!(e.child("finding").child("demand").text, text);
        }
        let w = root.child("execution_protocol").child("warning");
        assert_eq!(w.attr("emission"), Some(attr.as_str()));
    }

    #[test]
    fn sanitisers_drop_only_what_xml_forbids() {
        assert_eq!(xml_text("a\u{0}b\u{8}c\u{B}d\u{C}e\u{1F}f"), "abcdef");
        assert_eq!(
            xml_text("tab\there\nnl\r\ncrlf\rcr"),
            "tab\there\nnl\ncrlf\ncr"
        );
        assert_eq!(
            xml_text("\u{FFFE}\u{FFFF}\u{FFFD}\u{7F}\u{10000}"),
            "\u{FFFD}\u{7F}\u{10000}"
        );
        assert_eq!(xml_attr("  two\n lines\t\u{0}here "), "two lines here");
    }

    #[test]
    fn is_deterministic_and_ends_with_a_newline() {
        let o = owned(2);
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let a = render(&input(&o, &refs));
        assert_eq!(a, render(&input(&o, &refs)));
        assert!(a.ends_with("</anneal_prompt>\n"));
    }

    #[test]
    fn empty_lists_are_empty_elements() {
        let mut o = owned(1);
        o.probe = ProbeReport::default();
        o.directives.clear();
        o.skills.clear();
        o.plan.out_of_scope.clear();
        o.plan.iron_rules.clear();
        o.plan.dependencies = Default::default();
        let ph = &mut o.plan.phases[0];
        ph.steps.clear();
        ph.files.clear();
        ph.gate.clear();
        ph.success_criteria.clear();
        ph.provenance = Some(Provenance {
            primary_source: "synthesizer".into(),
            secondary_source: None,
            contradictions: vec![],
        });
        let xml = render(&input(&o, &[]));
        for empty in [
            "<languages/>",
            "<commands/>",
            "<services/>",
            "<relevant_files/>",
            "<directives/>",
            "<skills/>",
            "<dependencies/>",
            "<steps/>",
            "<files/>",
            "<success_criteria/>",
            "<gate/>",
            "<provenance primary_source=\"synthesizer\"/>",
            "<out_of_scope/>",
            "<iron_rules/>",
            "<review overall_verdict=\"CAUTION\"/>",
        ] {
            assert!(xml.contains(empty), "{empty} missing in\n{xml}");
        }
        let root = parse(&xml);
        assert_eq!(root.names(), TOP);
    }

    const SCHEMA_DOC: &str = include_str!("../../../_shared/xml-prompt-schema.md");

    fn collect<'a>(n: &'a Node, out: &mut Vec<(&'a str, Vec<&'a str>)>) {
        out.push((&n.name, n.attrs.iter().map(|(k, _)| k.as_str()).collect()));
        for c in &n.children {
            collect(c, out);
        }
    }

    #[test]
    fn schema_document_names_every_element_and_attribute() {
        let tree = SCHEMA_DOC
            .split("## Tree")
            .nth(1)
            .and_then(|t| t.split("```").nth(1))
            .expect("the schema document has a Tree block");
        let words: Vec<&str> = tree
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .collect();
        let mut o = owned(2);
        o.reviews[0].clarifying_questions = vec!["Which API?".into()];
        let refs: Vec<&Envelope> = o.reviews.iter().collect();
        let mut i = input(&o, &refs);
        i.emission = "RE_LOOP";
        let root = parse(&render(&i));
        let mut seen = Vec::new();
        collect(&root, &mut seen);
        for (element, attrs) in seen {
            assert!(
                words.contains(&element),
                "<{element}> is not in the schema tree"
            );
            for a in attrs {
                assert!(
                    words.contains(&a),
                    "attribute {a} of <{element}> is not in the tree"
                );
            }
        }
    }

    #[test]
    fn schema_document_example_is_well_formed() {
        let example = SCHEMA_DOC
            .split("```xml")
            .nth(1)
            .and_then(|t| t.split("```").next())
            .expect("the schema document has an XML example");
        let root = parse_with(example.trim_start(), true);
        assert_eq!(root.name, "anneal_prompt");
        assert_eq!(root.attr("version"), Some(SCHEMA_VERSION));
        assert_eq!(root.names(), TOP);
        let check = root
            .child("plan")
            .child("phase")
            .child("gate")
            .child("check");
        assert_eq!(
            check.text,
            "REDIS_URL points at a reachable Redis & the ping succeeds"
        );
    }

    #[test]
    fn a_run_without_a_plan_still_gets_a_well_formed_prompt() {
        let questions = vec![
            "Which \u{FFFE}endpoint?".to_string(),
            "Why\u{1b}[31m?".to_string(),
        ];
        let xml = render_no_plan(&NoPlan {
            run_id: "anneal-1",
            strategy: "cast",
            status: "ABORT",
            task: "Make it \u{FFFF}better <now> & \u{0}faster",
            questions: &questions,
            error: Some("boom \u{FFFE}"),
        });
        assert!(!xml.contains('\u{FFFE}') && !xml.contains('\u{FFFF}') && !xml.contains('\u{0}'));
        assert!(!xml.contains('\u{1b}'), "{xml}");
        let mut r = Reader::from_str(&xml);
        let mut texts = Vec::new();
        loop {
            match r.read_event().expect("well-formed") {
                Ev::Eof => break,
                Ev::Text(t) => texts.push(t.decode().unwrap().into_owned()),
                _ => {}
            }
        }
        assert!(xml.contains("status=\"ABORT\""), "{xml}");
        assert!(
            xml.contains("Make it better &lt;now&gt; &amp; faster"),
            "{xml}"
        );
        assert!(
            xml.contains("<question>Which endpoint?</question>"),
            "{xml}"
        );
        assert!(xml.contains("do not start work"), "{xml}");
        assert!(xml.contains("<error>boom</error>"), "{xml}");
    }
}

//! A small JSON writer for `depth-history.json`: a value tree and a deterministic, pretty
//! (two-space indented, one key per line) rendering, so consecutive histories diff line by line.
//!
//! Also the JSON form of the WIT records Temper records (plans, envelopes, decisions), with the
//! spellings written to disk elsewhere (docs/design.md §4): snake_case keys, verdicts upper-case
//! (`SAFE`), severities and actions lower-case, reasons lower-case (`variance`).
use anneal_guest::names;
use anneal_guest::types::{Decision, Envelope, Phase, Plan};
use std::fmt::Write;

/// A JSON value. Objects keep insertion order (the order the writer chose).
pub enum Json {
    Null,
    Bool(bool),
    Int(i64),
    /// A finite number; non-finite numbers are written as `null` (JSON has no NaN).
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// Builds an object from `(key, value)` pairs.
pub fn obj<const N: usize>(pairs: [(&str, Json); N]) -> Json {
    Json::Obj(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// A string value.
pub fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

/// An array of strings.
pub fn strs(v: &[String]) -> Json {
    Json::Arr(v.iter().map(|x| s(x)).collect())
}

impl Json {
    /// Renders the value as pretty JSON ending with a newline.
    pub fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn write(&self, out: &mut String, indent: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Json::Num(n) if n.is_finite() => {
                let _ = write!(out, "{n}");
            }
            Json::Num(_) => out.push_str("null"),
            Json::Str(v) => escape(out, v),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Obj(items) if items.is_empty() => out.push_str("{}"),
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, indent + 1);
                    v.write(out, indent + 1);
                }
                out.push('\n');
                pad(out, indent);
                out.push(']');
            }
            Json::Obj(items) => {
                out.push('{');
                for (i, (k, v)) in items.iter().enumerate() {
                    out.push_str(if i == 0 { "\n" } else { ",\n" });
                    pad(out, indent + 1);
                    escape(out, k);
                    out.push_str(": ");
                    v.write(out, indent + 1);
                }
                out.push('\n');
                pad(out, indent);
                out.push('}');
            }
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

fn escape(out: &mut String, v: &str) {
    out.push('"');
    for c in v.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn opt<T>(v: &Option<T>, f: impl FnOnce(&T) -> Json) -> Json {
    v.as_ref().map(f).unwrap_or(Json::Null)
}

/// An envelope with the field names and spellings of docs/design.md §4.
pub fn envelope(e: &Envelope) -> Json {
    obj([
        ("agent", s(&e.agent)),
        ("run_id", s(&e.run_id)),
        ("depth", opt(&e.depth, |d| Json::Int(i64::from(*d)))),
        ("verdict", s(names::verdict(e.verdict))),
        ("score", opt(&e.score, |v| Json::Int(i64::from(*v)))),
        ("summary", s(&e.summary)),
        (
            "findings",
            Json::Arr(
                e.findings
                    .iter()
                    .map(|f| {
                        obj([
                            ("location", s(&f.location)),
                            ("severity", s(names::severity(f.severity))),
                            ("concern", s(&f.concern)),
                            ("demand", s(&f.demand)),
                        ])
                    })
                    .collect(),
            ),
        ),
        ("directives", strs(&e.directives)),
        ("clarifying_questions", strs(&e.clarifying_questions)),
        (
            "metadata",
            obj([
                ("timestamp", s(&e.metadata.timestamp)),
                ("reviewer_model", s(&e.metadata.reviewer_model)),
                ("token_cost", Json::Int(e.metadata.token_cost as i64)),
            ]),
        ),
    ])
}

fn phase(p: &Phase) -> Json {
    obj([
        ("id", s(&p.id)),
        ("slug", s(&p.slug)),
        ("title", s(&p.title)),
        ("goal", s(&p.goal)),
        ("steps", strs(&p.steps)),
        (
            "files",
            Json::Arr(
                p.files
                    .iter()
                    .map(|f| obj([("path", s(&f.path)), ("action", s(names::file_action(f.action)))]))
                    .collect(),
            ),
        ),
        ("success_criteria", strs(&p.success_criteria)),
        ("gate", strs(&p.gate)),
        ("rollback", s(&p.rollback)),
        ("depends_on", strs(&p.depends_on)),
        (
            "provenance",
            opt(&p.provenance, |pv| {
                obj([
                    ("primary_source", s(&pv.primary_source)),
                    ("secondary_source", opt(&pv.secondary_source, |x| s(x))),
                    ("contradictions", strs(&pv.contradictions)),
                ])
            }),
        ),
    ])
}

/// A plan with the field names of docs/design.md §5 (the WIT record, snake_case).
pub fn plan(p: &Plan) -> Json {
    obj([
        ("title", s(&p.title)),
        ("thesis", s(&p.thesis)),
        ("effort", s(&p.effort)),
        ("phases", Json::Arr(p.phases.iter().map(phase).collect())),
        (
            "dependencies",
            obj([
                ("services", strs(&p.dependencies.services)),
                ("env_vars", strs(&p.dependencies.env_vars)),
                ("permissions", strs(&p.dependencies.permissions)),
            ]),
        ),
        ("out_of_scope", strs(&p.out_of_scope)),
        ("iron_rules", strs(&p.iron_rules)),
        ("author", s(&p.author)),
    ])
}

/// A convergence decision (`converged`, `reason`, `next_depth`).
pub fn decision(d: &Decision) -> Json {
    obj([
        ("converged", Json::Bool(d.converged)),
        ("reason", opt(&d.reason, |r| s(names::convergence_reason(*r)))),
        ("next_depth", opt(&d.next_depth, |n| Json::Int(i64::from(*n)))),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_is_stable_and_escaped() {
        let v = obj([
            ("a", Json::Arr(vec![Json::Num(72.0), Json::Num(84.1)])),
            ("b", s("x\"y\n")),
            ("c", Json::Obj(Vec::new())),
            ("d", Json::Num(f64::NAN)),
        ]);
        assert_eq!(
            v.pretty(),
            "{\n  \"a\": [\n    72,\n    84.1\n  ],\n  \"b\": \"x\\\"y\\n\",\n  \"c\": {},\n  \"d\": null\n}\n"
        );
    }
}

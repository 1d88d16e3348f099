//! What a command prints: the human text, and with `--format json` one JSON document on stdout
//! (the text then goes to stderr). The document's shape is the versioned JSON Schema
//! `_shared/schemas/cli-output.schema.json` ([`SCHEMA`]); every document carries its
//! `format_version` and its `kind`, and the command's result under `result` (or the failure
//! under `error`).
use clap::ValueEnum;
use serde_json::{json, Value};

/// The version of the JSON documents' shape: a breaking change to any `kind` bumps it
/// (fields are only added within one version).
pub const FORMAT_VERSION: u32 = 1;

/// The JSON Schema of every document `--format json` prints (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../../_shared/schemas/cli-output.schema.json");

/// How a command prints its result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people, on stdout.
    #[default]
    Text,
    /// One JSON document on stdout (schema `_shared/schemas/cli-output.schema.json`); the
    /// text for people on stderr.
    Json,
}

/// `--format`, shared by the commands that have a result to print.
#[derive(clap::Args, Clone, Copy, Debug, Default)]
pub struct FormatArg {
    /// Output format: text, or one JSON document on stdout (schema in
    /// _shared/schemas/cli-output.schema.json; the text then goes to stderr).
    #[arg(long, value_enum, default_value = "text", value_name = "FORMAT")]
    pub format: Format,
}

/// A command's result: the text for people and the data for programs.
#[derive(Clone, Debug)]
pub struct Output {
    /// The document's `kind` (`run`, `dry-run`, `strategy-list`, …; one per schema branch).
    pub kind: &'static str,
    /// The text printed for people (ends with a newline, or is empty).
    pub text: String,
    /// The `result` of the JSON document.
    pub data: Value,
}

impl Output {
    /// The JSON document: `{format_version, kind, result}`.
    pub fn document(&self) -> Value {
        json!({ "format_version": FORMAT_VERSION, "kind": self.kind, "result": self.data })
    }

    /// Prints the output in `format`: the text on stdout, or the document on stdout and the
    /// text on stderr.
    pub fn print(&self, format: Format) {
        match format {
            Format::Text => print!("{}", self.text),
            Format::Json => {
                eprint!("{}", self.text);
                println!("{}", self.document());
            }
        }
    }
}

/// The document printed when a command fails under `--format json`: the message and the exit
/// code (the same the process exits with).
pub fn error_document(message: &str, exit_code: i32) -> Value {
    json!({
        "format_version": FORMAT_VERSION,
        "kind": "error",
        "error": { "message": message, "exit_code": exit_code },
    })
}

/// Validates `doc` against [`SCHEMA`].
///
/// # Errors
/// Every violation, one per line, with the path of the value that breaks the schema.
pub fn validate(doc: &Value) -> Result<(), String> {
    let schema: Value =
        serde_json::from_str(SCHEMA).map_err(|e| format!("the schema is not JSON: {e}"))?;
    let validator =
        jsonschema::validator_for(&schema).map_err(|e| format!("the schema is invalid: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_accepts_an_error_and_refuses_a_wrong_kind() {
        validate(&error_document("no task given", 2)).unwrap();
        let bad = json!({ "format_version": 1, "kind": "run", "result": { "run_id": 3 } });
        assert!(validate(&bad).is_err());
        let unknown = json!({ "format_version": 1, "kind": "nope", "result": {} });
        assert!(validate(&unknown).is_err());
        let future = json!({ "format_version": 2, "kind": "error", "error": { "message": "x", "exit_code": 2 } });
        assert!(validate(&future).is_err());
    }

    #[test]
    fn text_and_document_of_one_output() {
        let o = Output {
            kind: "cache",
            text: "compile cache  off\n".into(),
            data: json!({ "dir": null, "status": "off" }),
        };
        let d = o.document();
        assert_eq!(d["format_version"], FORMAT_VERSION);
        validate(&d).unwrap();
    }
}

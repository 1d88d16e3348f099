//! Option lookup, in a [`RunInput`](crate::types::RunInput) (what `run` receives) or in the
//! option list `estimate` receives. The host validates options against the strategy's
//! `info()` and fills in defaults before either is called, so a declared option is always
//! present and well-formed (an integer in its range, a flag `true` or `false`); the helpers
//! still fall back to a default rather than trust it.
use crate::types::RunInput;

/// What options can be read from: a [`RunInput`] or a `[(name, value)]` list.
pub trait Options {
    /// The `(name, value)` pairs.
    fn pairs(&self) -> &[(String, String)];
}

impl Options for RunInput {
    fn pairs(&self) -> &[(String, String)] {
        &self.options
    }
}

impl Options for [(String, String)] {
    fn pairs(&self) -> &[(String, String)] {
        self
    }
}

impl Options for Vec<(String, String)> {
    fn pairs(&self) -> &[(String, String)] {
        self
    }
}

/// The value of option `name`, if present.
pub fn get<'a, O: Options + ?Sized>(options: &'a O, name: &str) -> Option<&'a str> {
    options
        .pairs()
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Integer option `name`, or `default` when absent or not an integer.
pub fn integer<O: Options + ?Sized>(options: &O, name: &str, default: i64) -> i64 {
    get(options, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// Flag option `name`: `true` when its value is `true` (a flag given bare on the command
/// line, `--opt NAME`, is `true`), `false` when absent or anything else.
pub fn flag<O: Options + ?Sized>(options: &O, name: &str) -> bool {
    get(options, name) == Some("true")
}

/// String option `name`, or `default` when absent.
pub fn string<'a, O: Options + ?Sized>(options: &'a O, name: &str, default: &'a str) -> &'a str {
    get(options, name).unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_list_and_falls_back_to_the_default() {
        let o: Vec<(String, String)> = vec![
            ("replans".into(), " 2 ".into()),
            ("enforce".into(), "true".into()),
            ("mode".into(), "strict".into()),
            ("bad".into(), "x".into()),
        ];
        assert_eq!(integer(&o, "replans", 1), 2);
        assert_eq!(integer(&o, "bad", 1), 1);
        assert_eq!(integer(&o, "absent", 7), 7);
        assert!(flag(&o, "enforce"));
        assert!(!flag(&o, "mode") && !flag(&o, "absent"));
        assert_eq!(string(&o, "mode", "lax"), "strict");
        assert_eq!(string(o.as_slice(), "absent", "lax"), "lax");
    }
}

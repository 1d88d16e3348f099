//! Option lookup in a [`RunInput`](crate::types::RunInput). The host validates options against
//! the strategy's `info()` and fills in defaults before `run` is called, so a declared option is
//! always present.
use crate::types::RunInput;

/// The value of option `name`, if present.
pub fn get<'a>(input: &'a RunInput, name: &str) -> Option<&'a str> {
    lookup(&input.options, name)
}

/// The value of option `name` in `options` (as `run` and `estimate` receive them), if present.
pub fn lookup<'a>(options: &'a [(String, String)], name: &str) -> Option<&'a str> {
    options
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Integer option `name`, or `default` when absent or not an integer.
pub fn integer(input: &RunInput, name: &str, default: i64) -> i64 {
    get(input, name)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

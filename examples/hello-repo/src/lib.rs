//! Greetings: who to greet and how.

/// The greeting for `name`, or for the world when no name is given.
///
/// A name is trimmed; an empty one counts as none.
pub fn greeting(name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => format!("Hello, {n}!"),
        None => "Hello, world!".to_string(),
    }
}

/// Parses the command line (without the program name): an optional `--name NAME`.
///
/// # Errors
/// A message for an unknown argument or a `--name` without a value.
pub fn parse_args(args: &[String]) -> Result<Option<String>, String> {
    let mut name = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--name" => {
                name = Some(it.next().ok_or("--name needs a value")?.clone());
            }
            other => {
                return Err(format!(
                    "unknown argument {other:?}; usage: hello [--name NAME]"
                ))
            }
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets_the_world_by_default_and_a_name_when_given() {
        assert_eq!(greeting(None), "Hello, world!");
        assert_eq!(greeting(Some("  ")), "Hello, world!");
        assert_eq!(greeting(Some(" Ada ")), "Hello, Ada!");
    }

    #[test]
    fn parses_name_and_refuses_the_rest() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(parse_args(&args(&[])), Ok(None));
        assert_eq!(
            parse_args(&args(&["--name", "Ada"])),
            Ok(Some("Ada".into()))
        );
        assert!(parse_args(&args(&["--name"])).is_err());
        assert!(parse_args(&args(&["--loud"]))
            .unwrap_err()
            .contains("usage"));
    }
}

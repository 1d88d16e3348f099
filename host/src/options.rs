//! Strategy options (`--opt key=value`): validated against what the strategy declares in
//! `info()`, defaults filled in, so every strategy — bundled or third-party — gets the same
//! checking and the same `--help`-style listing.
use crate::model::{OptionKind, OptionSpec, StrategyInfo};

/// One `--opt` as given: `key=value`, or `key` alone — a `flag` option switched on
/// (`--enforce` on the command line becomes `--opt enforce`).
pub type Given = (String, Option<String>);

/// Parses `key=value` or a bare `key`.
///
/// # Errors
/// A message when the key is empty.
pub fn parse_kv(s: &str) -> Result<Given, String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => {
            Ok((k.trim().to_string(), Some(v.trim().to_string())))
        }
        None if !s.trim().is_empty() => Ok((s.trim().to_string(), None)),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

/// Why the options of a run cannot be resolved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    /// The user's `--opt` is wrong (a usage error, exit 2).
    #[error("{0}")]
    Given(String),
    /// The strategy's own `info()` declares a default its own rules refuse: the strategy is
    /// broken, whatever the user passes (a runtime error, exit 5).
    #[error("{0}")]
    BadDefault(String),
}

/// Checks `given` against `info.options` and returns every declared option with its value
/// (the given one, else the default), in declaration order. A bare option (no value) is a
/// `flag` switched on: `true`.
///
/// # Errors
/// [`OptionError::Given`], a message naming the option: unknown (listing the accepted ones),
/// given twice, not an integer, outside `[min, max]`, a flag that is not `true`/`false`, or an
/// option that takes a value given without one. [`OptionError::BadDefault`] when an option the
/// user did not give has a default that fails those checks: the message names the strategy as
/// the one to fix and says how to run it anyway (give the option).
pub fn resolve(info: &StrategyInfo, given: &[Given]) -> Result<Vec<(String, String)>, OptionError> {
    resolve_given(info, given).map_err(OptionError::Given)?;
    let mut out = Vec::new();
    for spec in &info.options {
        let value = match given.iter().find(|(k, _)| k == &spec.name) {
            Some((_, Some(v))) => v.clone(),
            Some((_, None)) => "true".to_string(),
            None => {
                check(spec, &spec.default_value, &info.name).map_err(|why| {
                    OptionError::BadDefault(format!(
                        "strategy {} is broken: its info() declares default {:?} for option {}, \
                         which its own rules refuse ({why}); report it to the strategy's author, \
                         or give the option explicitly (--opt {}=VALUE)",
                        info.name, spec.default_value, spec.name, spec.name
                    ))
                })?;
                spec.default_value.clone()
            }
        };
        out.push((spec.name.clone(), value));
    }
    Ok(out)
}

/// The checks on what the user gave: every given option exists, once, and its value passes
/// [`check`]; a bare one is a flag.
fn resolve_given(info: &StrategyInfo, given: &[Given]) -> Result<(), String> {
    for (i, (k, _)) in given.iter().enumerate() {
        if !info.options.iter().any(|o| &o.name == k) {
            let accepted = if info.options.is_empty() {
                "it accepts no options".to_string()
            } else {
                format!(
                    "it accepts: {}",
                    info.options
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            return Err(format!(
                "strategy {} has no option {k:?}; {accepted}",
                info.name
            ));
        }
        if given[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(format!("option {k:?} given twice"));
        }
    }
    for spec in &info.options {
        let value = match given.iter().find(|(k, _)| k == &spec.name) {
            Some((_, Some(v))) => v.clone(),
            Some((_, None)) if spec.kind == OptionKind::Flag => "true".to_string(),
            Some((k, None)) => {
                return Err(format!(
                    "option {k} of strategy {} takes a value: --opt {k}=VALUE (or --{k} VALUE before the task)",
                    info.name
                ))
            }
            None => continue,
        };
        check(spec, &value, &info.name)?;
    }
    Ok(())
}

/// Longest value a text option takes, in bytes, from `--opt` or as a declared default
/// (docs/security.md, what a strategy says about itself).
pub const TEXT_VALUE_BYTES: usize = 1000;

/// Checks every option's default value against the option's own declaration (kind, range),
/// when the strategy is loaded: a default the declaration refuses is the strategy's fault,
/// and the message says so rather than blaming the user's command line.
///
/// # Errors
/// A sentence naming the option, its default and why its declaration refuses it.
pub fn check_defaults(info: &StrategyInfo) -> Result<(), String> {
    for spec in &info.options {
        check(spec, &spec.default_value, &info.name).map_err(|why| {
            format!(
                "declares option {} with the default {:?}, which its own declaration refuses ({why}); \
                 this is a fault in the strategy, not in your command line: its author must fix info()",
                spec.name, spec.default_value
            )
        })?;
    }
    Ok(())
}

fn check(spec: &OptionSpec, value: &str, strategy: &str) -> Result<(), String> {
    match spec.kind {
        OptionKind::Integer => {
            let n: i64 = value.parse().map_err(|_| {
                format!(
                    "option {} of strategy {strategy} takes an integer, got {value:?}",
                    spec.name
                )
            })?;
            let (lo, hi) = (spec.min.unwrap_or(i64::MIN), spec.max.unwrap_or(i64::MAX));
            if n < lo || n > hi {
                let custom = if n < lo {
                    spec.below_min.as_ref()
                } else {
                    spec.above_max.as_ref()
                };
                return Err(match custom {
                    Some(m) => format!(
                        "option {}={n} refused by strategy {strategy}: {m} (accepted: {lo}..={hi})",
                        spec.name
                    ),
                    None => format!(
                        "option {} of strategy {strategy} must be in {lo}..={hi}, got {n}",
                        spec.name
                    ),
                });
            }
        }
        OptionKind::Flag => {
            if value != "true" && value != "false" {
                return Err(format!(
                    "option {} of strategy {strategy} takes true or false, got {value:?}",
                    spec.name
                ));
            }
        }
        OptionKind::Text => {
            let max = TEXT_VALUE_BYTES;
            if value.len() > max {
                return Err(format!(
                    "option {} of strategy {strategy} is longer than {max} bytes",
                    spec.name
                ));
            }
        }
    }
    Ok(())
}

/// `integer`, `text` or `flag`.
pub fn kind_name(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Integer => "integer",
        OptionKind::Text => "text",
        OptionKind::Flag => "flag",
    }
}

/// One line per option, for `--help`-style listings: `name (kind, default D, min..=max): description`.
pub fn describe(info: &StrategyInfo) -> Vec<String> {
    info.options
        .iter()
        .map(|o| {
            let kind = kind_name(o.kind);
            let range = match (o.min, o.max) {
                (Some(a), Some(b)) => format!(", {a}..={b}"),
                _ => String::new(),
            };
            format!(
                "{} ({kind}, default {}{range}): {}",
                o.name, o.default_value, o.description
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> StrategyInfo {
        StrategyInfo {
            name: "alloy".into(),
            version: "0.1.0".into(),
            description: String::new(),
            options: vec![OptionSpec {
                name: "versions".into(),
                description: "planners".into(),
                kind: OptionKind::Integer,
                default_value: "5".into(),
                min: Some(2),
                max: Some(7),
                below_min: Some("use Cast for single-planner work".into()),
                above_max: None,
            }],
            reentry: crate::model::Reentry::IntentGate,
        }
    }

    #[test]
    fn defaults_and_ranges() {
        assert_eq!(
            resolve(&info(), &[]).unwrap(),
            vec![("versions".to_string(), "5".to_string())]
        );
        assert_eq!(
            resolve(&info(), &[("versions".into(), Some("7".into()))]).unwrap()[0].1,
            "7"
        );
        assert!(resolve(&info(), &[("versions".into(), Some("8".into()))])
            .unwrap_err()
            .to_string()
            .contains("2..=7"));
        assert!(resolve(&info(), &[("versions".into(), Some("1".into()))])
            .unwrap_err()
            .to_string()
            .contains("use Cast for single-planner work"));
        assert!(resolve(&info(), &[("versions".into(), Some("x".into()))]).is_err());
        assert!(resolve(&info(), &[("depth".into(), Some("3".into()))])
            .unwrap_err()
            .to_string()
            .contains("accepts: versions"));
        assert!(parse_kv("").is_err() && parse_kv("=b").is_err());
        assert_eq!(parse_kv(" a = b ").unwrap(), ("a".into(), Some("b".into())));
        assert_eq!(parse_kv("enforce").unwrap(), ("enforce".into(), None));
    }

    #[test]
    fn a_bare_option_switches_a_flag_on_and_nothing_else() {
        let mut i = info();
        i.options.push(OptionSpec {
            name: "enforce".into(),
            description: "d".into(),
            kind: OptionKind::Flag,
            default_value: "false".into(),
            min: None,
            max: None,
            below_min: None,
            above_max: None,
        });
        let got = resolve(&i, &[("enforce".into(), None)]).unwrap();
        assert_eq!(got[1], ("enforce".to_string(), "true".to_string()));
        assert_eq!(resolve(&i, &[]).unwrap()[1].1, "false");
        let e = resolve(&i, &[("versions".into(), None)])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("option versions of strategy alloy takes a value"),
            "{e}"
        );
    }

    #[test]
    fn an_invalid_default_blames_the_strategy_not_the_user() {
        let mut i = info();
        i.options[0].default_value = "9".into();
        let e = resolve(&i, &[]).unwrap_err();
        let OptionError::BadDefault(m) = &e else {
            panic!("a bad default is the strategy's fault: {e:?}");
        };
        assert!(m.starts_with("strategy alloy is broken"), "{m}");
        assert!(
            m.contains("default \"9\" for option versions") && m.contains("2..=7"),
            "{m}"
        );
        assert!(m.contains("--opt versions=VALUE"), "{m}");
        assert!(matches!(
            crate::pipeline::StartError::from(e),
            crate::pipeline::StartError::Strategy(_)
        ));
        // Giving the option explicitly runs it anyway; a wrong value given is the user's.
        assert_eq!(
            resolve(&i, &[("versions".into(), Some("3".into()))]).unwrap()[0].1,
            "3"
        );
        assert!(matches!(
            resolve(&i, &[("versions".into(), Some("8".into()))]),
            Err(OptionError::Given(_))
        ));
    }
}

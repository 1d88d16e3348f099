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

/// Checks `given` against `info.options` and returns every declared option with its value
/// (the given one, else the default), in declaration order. A bare option (no value) is a
/// `flag` switched on: `true`.
///
/// # Errors
/// A usage message naming the option: unknown (listing the accepted ones), given twice, not an
/// integer, outside `[min, max]`, a flag that is not `true`/`false`, or an option that takes a
/// value given without one.
pub fn resolve(info: &StrategyInfo, given: &[Given]) -> Result<Vec<(String, String)>, String> {
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
    let mut out = Vec::new();
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
            None => spec.default_value.clone(),
        };
        check(spec, &value, &info.name)?;
        out.push((spec.name.clone(), value));
    }
    Ok(out)
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
            if value.len() > 1000 {
                return Err(format!(
                    "option {} of strategy {strategy} is longer than 1000 bytes",
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
            .contains("2..=7"));
        assert!(resolve(&info(), &[("versions".into(), Some("1".into()))])
            .unwrap_err()
            .contains("use Cast for single-planner work"));
        assert!(resolve(&info(), &[("versions".into(), Some("x".into()))]).is_err());
        assert!(resolve(&info(), &[("depth".into(), Some("3".into()))])
            .unwrap_err()
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
        let e = resolve(&i, &[("versions".into(), None)]).unwrap_err();
        assert!(
            e.contains("option versions of strategy alloy takes a value"),
            "{e}"
        );
    }
}

//! What a strategy says about itself (`info()`), checked once when it is loaded, so every place
//! that shows it — `strategy inspect` and `list`, `--dry-run`, usage errors, the summary,
//! `run.log`, `plan.md`, the XML prompt, the rollup — shows checked text (docs/security.md,
//! "What a strategy says about itself").
//!
//! Refused (the component cannot be used): a name that is not a strategy name
//! ([`crate::text::strategy_name`]); a bundled strategy's name (`cast`, `alloy`, `temper`) on a
//! component that is not that bundled component byte for byte; a version that is not semver
//! (<https://semver.org>, parsed by the `semver` crate) or is longer than
//! [`InfoLimits::version_bytes`]; more options than [`InfoLimits::options`]; an option name
//! that is not `[a-z][a-z0-9_-]*` of at most [`InfoLimits::option_name_bytes`], or is declared
//! twice; an integer option whose `min` is above its `max`; a default value its own
//! declaration refuses (a fault of the strategy, and the message says so).
//!
//! Cleaned (kept, made safe): the description, option descriptions, `below-min`/`above-max`
//! messages and default values go through [`crate::text::sanitize`] (escape sequences and
//! control characters removed) and are cut to their bounds.
use super::limits::{InfoLimits, INFO_LIMITS};
use super::loader::{sha256_hex, Source, BUNDLED, BUNDLED_STRATEGIES};
use crate::model::{OptionKind, StrategyInfo};
use crate::text::sanitize;

/// Checks and cleans `info`, returned by the component from `source` whose bytes hash to
/// `sha256` (lowercase hex).
///
/// # Errors
/// What is wrong with `info()` and what the strategy's author must change, in one sentence
/// (see the module docs for the rules). Guest text quoted in it is sanitized.
pub fn check(info: StrategyInfo, source: &Source, sha256: &str) -> Result<StrategyInfo, String> {
    check_with(info, source, sha256, &INFO_LIMITS)
}

fn check_with(
    info: StrategyInfo,
    source: &Source,
    sha256: &str,
    limits: &InfoLimits,
) -> Result<StrategyInfo, String> {
    let shown = |s: &str| format!("{:?}", sanitize(s, 60));
    if !crate::text::strategy_name(&info.name) {
        return Err(format!(
            "returns the name {}, which is not a strategy name: kebab-case (lowercase letters, \
             digits and single '-', starting with a letter), at most 40 characters",
            shown(&info.name)
        ));
    }
    check_bundled_name(&info.name, source, sha256)?;
    if info.version.len() > limits.version_bytes || semver::Version::parse(&info.version).is_err() {
        return Err(format!(
            "returns the version {}, which is not a semantic version (MAJOR.MINOR.PATCH, e.g. \
             1.2.0, at most {} bytes; see semver.org)",
            shown(&info.version),
            limits.version_bytes
        ));
    }
    if info.options.len() > limits.options {
        return Err(format!(
            "declares {} options; at most {} are allowed",
            info.options.len(),
            limits.options
        ));
    }
    let mut options = Vec::with_capacity(info.options.len());
    for (i, o) in info.options.into_iter().enumerate() {
        if !option_name(&o.name, limits.option_name_bytes) {
            return Err(format!(
                "declares an option named {}; an option name is [a-z][a-z0-9_-]*, at most {} bytes",
                shown(&o.name),
                limits.option_name_bytes
            ));
        }
        if options[..i]
            .iter()
            .any(|p: &crate::model::OptionSpec| p.name == o.name)
        {
            return Err(format!("declares option {} twice", o.name));
        }
        if let (Some(lo), Some(hi)) = (o.min, o.max) {
            if o.kind == OptionKind::Integer && lo > hi {
                return Err(format!(
                    "declares option {} with min {lo} above max {hi}",
                    o.name
                ));
            }
        }
        let text = |s: &str| sanitize(s, limits.option_text_bytes);
        options.push(crate::model::OptionSpec {
            description: text(&o.description),
            below_min: o.below_min.as_deref().map(text),
            above_max: o.above_max.as_deref().map(text),
            default_value: sanitize(&o.default_value, limits.default_bytes),
            ..o
        });
    }
    let info = StrategyInfo {
        description: sanitize(&info.description, limits.description_bytes),
        options,
        ..info
    };
    crate::options::check_defaults(&info)?;
    Ok(info)
}

/// A bundled strategy's name is only for the bundled component itself (or a copy of exactly
/// its bytes): anything else calling itself `cast` would pass for it in the summary, the
/// rollup and the XML prompt.
fn check_bundled_name(name: &str, source: &Source, sha256: &str) -> Result<(), String> {
    if !BUNDLED_STRATEGIES.contains(&name) || *source == Source::Bundled(bundled_name(name)) {
        return Ok(());
    }
    let same_bytes = BUNDLED
        .iter()
        .any(|(n, bytes)| *n == name && sha256_hex(bytes) == sha256);
    if same_bytes {
        return Ok(());
    }
    Err(format!(
        "calls itself {name:?}, the name of a bundled strategy, but it is not the bundled {name} \
         (its sha256 differs); give the strategy a name of its own in its info()"
    ))
}

/// The `'static` bundled name equal to `name` (only called for names in the bundled list).
fn bundled_name(name: &str) -> &'static str {
    BUNDLED_STRATEGIES
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("")
}

/// `[a-z][a-z0-9_-]*`, at most `max` bytes.
fn option_name(name: &str, max: usize) -> bool {
    name.len() <= max
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OptionSpec;
    use std::path::PathBuf;

    fn info(name: &str) -> StrategyInfo {
        StrategyInfo {
            name: name.into(),
            version: "1.2.0".into(),
            description: "plans".into(),
            options: vec![OptionSpec {
                name: "level".into(),
                description: "how hard".into(),
                kind: OptionKind::Integer,
                default_value: "1".into(),
                min: Some(0),
                max: Some(10),
                below_min: None,
                above_max: None,
            }],
            reentry: crate::model::Reentry::Enrich,
        }
    }

    fn path() -> Source {
        Source::Path(PathBuf::from("./theirs.wasm"))
    }

    #[test]
    fn a_good_info_passes_unchanged() {
        let i = info("theirs");
        assert_eq!(check(i.clone(), &path(), "00").unwrap(), i);
    }

    #[test]
    fn escape_sequences_and_newlines_are_stripped_and_text_is_bounded() {
        let mut i = info("theirs");
        i.description = format!(
            "ok\u{1b}]0;pwned\u{7}\u{1b}[2J\n[host] forged {}",
            "x".repeat(2000)
        );
        i.options[0].description = "a\u{1b}[31mred\nb".into();
        i.options[0].above_max = Some("too\u{1b}[2J high\n[host] forged".into());
        let c = check(i, &path(), "00").unwrap();
        for text in [
            c.description.as_str(),
            c.options[0].description.as_str(),
            c.options[0].above_max.as_deref().unwrap(),
        ] {
            assert!(!text.contains(['\u{1b}', '\u{7}', '\n']), "{text:?}");
        }
        assert!(c.description.len() <= INFO_LIMITS.description_bytes + 9);
        assert!(c.description.ends_with("…[cut]"));
        assert_eq!(c.options[0].description, "ared b");
    }

    #[test]
    fn names_that_break_the_rule_are_refused_without_echoing_escapes() {
        for bad in ["Theirs", "a b", "x\u{1b}[2J", "", "-x", &"a".repeat(41)] {
            let e = check(info(bad), &path(), "00").unwrap_err();
            assert!(e.contains("not a strategy name"), "{e}");
            assert!(!e.contains('\u{1b}'), "{e:?}");
        }
    }

    #[test]
    fn a_bundled_name_is_refused_unless_the_bytes_are_the_bundled_ones() {
        let e = check(info("cast"), &path(), "00").unwrap_err();
        assert!(e.contains("name of a bundled strategy"), "{e}");
        // The bundled component itself, or a copy of its exact bytes.
        let cast = BUNDLED.iter().find(|(n, _)| *n == "cast").unwrap().1;
        let mut i = info("cast");
        i.options.clear();
        assert!(check(i.clone(), &Source::Bundled("cast"), "00").is_ok());
        assert!(check(i, &path(), &sha256_hex(cast)).is_ok());
    }

    #[test]
    fn versions_must_be_semver() {
        for bad in [
            "1.0",
            "v1.0.0",
            "1.0.0\u{1b}]0;x\u{7}",
            "latest",
            &format!("1.0.0-{}", "a".repeat(80)),
        ] {
            let mut i = info("theirs");
            i.version = bad.into();
            let e = check(i, &path(), "00").unwrap_err();
            assert!(e.contains("not a semantic version"), "{bad:?}: {e}");
        }
        let mut i = info("theirs");
        i.version = "0.3.0-rc.1+build.5".into();
        assert!(check(i, &path(), "00").is_ok());
    }

    #[test]
    fn bad_option_declarations_are_refused() {
        let mut i = info("theirs");
        i.options[0].name = "Level\n".into();
        assert!(check(i, &path(), "00")
            .unwrap_err()
            .contains("option named"));
        let mut i = info("theirs");
        i.options.push(i.options[0].clone());
        assert!(check(i, &path(), "00").unwrap_err().contains("twice"));
        let mut i = info("theirs");
        i.options[0].min = Some(5);
        i.options[0].max = Some(1);
        assert!(check(i, &path(), "00").unwrap_err().contains("above max"));
        let mut i = info("theirs");
        i.options = (0..40).map(|_| info("x").options[0].clone()).collect();
        assert!(check(i, &path(), "00").unwrap_err().contains("at most 32"));
    }

    #[test]
    fn a_default_its_own_declaration_refuses_is_the_strategys_fault() {
        let mut i = info("theirs");
        i.options[0].default_value = "50".into();
        let e = check(i, &path(), "00").unwrap_err();
        assert!(e.contains("its own declaration refuses"), "{e}");
        assert!(e.contains("not in your command line"), "{e}");
    }
}

//! Names a guest may give its artifacts (`write-artifact`): a portable set that reads the same
//! on every filesystem and terminal, and never names — or looks like — a file the host owns
//! (docs/security.md, "Files").
//!
//! A name is `/`-separated segments, at most [`MAX_SEGMENTS`] of them and [`MAX_NAME_BYTES`]
//! bytes in all; each segment is 1–[`MAX_SEGMENT_BYTES`] bytes of `A-Z a-z 0-9 . _ -` (ASCII
//! only: no space, no Unicode look-alikes), does not start with `.` (no hidden files, no `..`)
//! and does not end with `.`, and is not a name Windows reserves (`CON`, `NUL`, `COM1`, …,
//! with any extension). The first segment must not be a host-owned name ([`RESERVED`], any
//! letter case, and read with `0` as `o` and `1` as `l`, so `p1an/` and `R0LLUP.yaml` are
//! refused too), nor a top-level `.xml` file (the XML prompt).
//!
//! The rules of the run directory itself (no absolute path, no `..`, a `cap-std` root) apply
//! before these (`crate::rundir::check_rel_path`).

/// Files and directories of the run directory that belong to the host; guests cannot write them.
pub const RESERVED: &[&str] = &[
    "plan",
    "reviews",
    "evidence",
    "rollup.yaml",
    "run.log",
    "events.jsonl",
    "probe-report.yaml",
    "code-index.json",
    "strategy.yaml",
];

/// Most segments in an artifact name.
pub const MAX_SEGMENTS: usize = 8;
/// Longest segment, in bytes.
pub const MAX_SEGMENT_BYTES: usize = 64;
/// Longest artifact name, in bytes.
pub const MAX_NAME_BYTES: usize = 255;

/// Names Windows reserves for devices, whatever the extension.
const DEVICE_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Checks an artifact name against the portable set (module docs).
///
/// # Errors
/// Which rule the name breaks, for the guest's `host-error`.
pub fn check_name(path: &str) -> Result<(), String> {
    if path.len() > MAX_NAME_BYTES {
        return Err(format!("artifact names are at most {MAX_NAME_BYTES} bytes"));
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() > MAX_SEGMENTS {
        return Err(format!(
            "artifact names have at most {MAX_SEGMENTS} segments"
        ));
    }
    for s in &segments {
        if s.is_empty() || s.len() > MAX_SEGMENT_BYTES {
            return Err(format!(
                "each segment of an artifact name is 1-{MAX_SEGMENT_BYTES} bytes"
            ));
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(
                "artifact names use only ASCII letters, digits, '.', '_' and '-' (no spaces, no other characters)"
                    .into(),
            );
        }
        if s.starts_with('.') || s.ends_with('.') {
            return Err("a segment of an artifact name must not start or end with '.'".into());
        }
        let stem = s.split('.').next().unwrap_or("").to_ascii_lowercase();
        if DEVICE_NAMES.contains(&stem.as_str()) {
            return Err(format!("{stem:?} is a device name on Windows"));
        }
    }
    if is_reserved(path) {
        return Err(
            "it is reserved for the host, or looks like a name that is (plan/, reviews/, evidence/, rollup.yaml, run.log, events.jsonl, probe-report.yaml, strategy.yaml, the XML prompt); write strategy files elsewhere"
                .into(),
        );
    }
    Ok(())
}

/// Whether `path` names a host-owned file, or one that reads like it: its first segment,
/// lowercased and with `0`→`o`, `1`→`l`, is in [`RESERVED`]; or it is a top-level `.xml` file.
pub fn is_reserved(path: &str) -> bool {
    let first = path.split('/').next().unwrap_or("");
    let skeleton: String = first
        .chars()
        .map(|c| match c.to_ascii_lowercase() {
            '0' => 'o',
            '1' => 'l',
            c => c,
        })
        .collect();
    RESERVED.contains(&skeleton.as_str())
        || (!path.contains('/') && path.to_ascii_lowercase().ends_with(".xml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_paths() {
        assert!(is_reserved("rollup.yaml"));
        assert!(is_reserved("plan/plan.md"));
        assert!(is_reserved("reviews/x.yaml"));
        assert!(is_reserved("cast-anneal-1.xml"));
        assert!(!is_reserved("variants/variant-1-correctness.md"));
        assert!(!is_reserved("depth-history.json"));
    }

    #[test]
    fn look_alikes_and_non_portable_names_are_refused() {
        for bad in [
            "p1an/phase-01.md",
            "Plan/x.md",
            "R0LLUP.yaml",
            "run.1og",
            "rollup.yaml ",
            " notes.md",
            "notes.md.",
            "\u{ff50}lan/x.md",
            "pl\u{0430}n/x.md",
            "caf\u{e9}.md",
            ".hidden",
            "a/.b",
            "CON",
            "dir/aux.txt",
            "x.XML",
            "a b.md",
            &"s".repeat(65),
            &["d"; 9].join("/"),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?} was accepted");
        }
        for ok in [
            "notes.md",
            "variants/variant-1-correctness.md",
            "iteration-2/plan-depth-0.md",
            "synthesis-provenance.md",
            "a_b-c.d.txt",
            "planning/x.md",
            "console.md",
        ] {
            assert!(check_name(ok).is_ok(), "{ok:?}: {:?}", check_name(ok));
        }
    }
}

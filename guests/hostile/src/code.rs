//! The `code-index` and `code-bytes` modes: a guest that asks the code index for more than each
//! of its bounds (docs/security.md, the `code-index` rows). Each returns `Err` with what it saw,
//! which the host prints; "ESCAPED" in it means a bound did not hold.
use anneal_guest::code;
use anneal_guest::types::StageOutput;
use anneal_guest::HostError;

/// Most bytes of one excerpt's text (the host's default, docs/security.md).
const MAX_EXCERPT_BYTES: usize = 16 << 10;
/// Most bytes of code-index answers per run (the host's default).
const MAX_ANSWER_BYTES: usize = 4 << 20;

fn fail(e: HostError) -> String {
    format!("{e:?}")
}

/// Asks for every result, a whole file, over-long names, searches and paths, paths out of the
/// repository, then looks a name up until the host stops it (the per-run call limit).
pub fn queries() -> Result<StageOutput, String> {
    let mut seen = Vec::new();
    let files = code::search_files("login password session user", u32::MAX).map_err(fail)?;
    let symbols = code::search_symbols("user", u32::MAX).map_err(fail)?;
    let found = code::lookup("login", u32::MAX).map_err(fail)?;
    let most = code::MAX_RESULTS as usize;
    if files.len() > most || symbols.len() > most || found.len() > most {
        return Err(format!(
            "ESCAPED: {} files, {} symbols, {} definitions in one answer",
            files.len(),
            symbols.len(),
            found.len()
        ));
    }
    let path = files.first().map(|f| f.path.clone()).ok_or("no file matched")?;
    let e = code::read_excerpt(&path, 1, u32::MAX).map_err(fail)?;
    if e.line_end + 1 - e.line_start > code::MAX_EXCERPT_LINES || e.text.len() > MAX_EXCERPT_BYTES {
        return Err(format!("ESCAPED: an excerpt of {} lines", e.line_end + 1 - e.line_start));
    }
    seen.push(format!(
        "{} files, {} symbols, {path} lines {}-{} of {}",
        files.len(),
        symbols.len(),
        e.line_start,
        e.line_end,
        e.total_lines
    ));
    let long = "x".repeat(10 << 10);
    let long_path = format!("app/{}.py", "d/".repeat(1000));
    for (what, answer) in [
        ("a 10 KiB name", code::lookup(&long, 1).map(drop)),
        ("a 10 KiB symbol search", code::search_symbols(&long, 1).map(drop)),
        ("a 10 KiB file search", code::search_files(&long, 1).map(drop)),
        ("a 2 KiB path", code::read_excerpt(&long_path, 1, 1).map(drop)),
        ("../../etc/passwd", code::read_excerpt("../../etc/passwd", 1, 1).map(drop)),
        ("/etc/passwd", code::read_excerpt("/etc/passwd", 1, 1).map(drop)),
        (".env.example", code::read_excerpt(".env.example", 1, 1).map(drop)),
    ] {
        match answer {
            Ok(()) => return Err(format!("ESCAPED: the host answered {what}")),
            Err(e) => seen.push(format!("{what}: {e:?}")),
        }
    }
    for i in 0..100_000 {
        if let Err(e) = code::lookup("login", 1) {
            seen.push(format!("stopped after {i} more lookups: {e:?}"));
            return Err(format!("bounded: {}", seen.join("; ")));
        }
    }
    Err("ESCAPED: 100000 code-index queries were accepted".into())
}

/// Reads the largest excerpts of `app/bulk.py` (added by the test: 1 000 short lines, then
/// 1 000 long ones, each a definition) and searches its definitions with every result, until
/// the host refuses for the per-run answer bytes.
pub fn bytes() -> Result<StageOutput, String> {
    let path = "app/bulk.py";
    let mut seen = Vec::new();
    // Short lines: the line bound cuts first; long lines: the byte bound does.
    for from in [1, 1001] {
        let e = code::read_excerpt(path, from, u32::MAX).map_err(fail)?;
        let lines = e.line_end + 1 - e.line_start;
        if lines > code::MAX_EXCERPT_LINES || e.text.len() > MAX_EXCERPT_BYTES || !e.truncated {
            return Err(format!(
                "ESCAPED: an excerpt of {lines} lines, {} bytes, truncated {}",
                e.text.len(),
                e.truncated
            ));
        }
        seen.push(format!("excerpt from line {from}: {lines} lines, {} bytes", e.text.len()));
    }
    let symbols = code::search_symbols("bulk", u32::MAX).map_err(fail)?;
    if symbols.len() > code::MAX_RESULTS as usize {
        return Err(format!("ESCAPED: {} symbols in one answer", symbols.len()));
    }
    seen.push(format!("{} symbols in a search", symbols.len()));
    let mut served = 0;
    for i in 0..100_000u32 {
        let answer = if i % 2 == 0 {
            code::read_excerpt(path, 1001 + i % 500, u32::MAX).map(|e| e.text.len())
        } else {
            code::search_symbols("bulk", u32::MAX).map(|s| s.len() * 64)
        };
        match answer {
            Ok(n) => served += n,
            Err(e) => {
                seen.push(format!("stopped after {i} more queries, {served} bytes of text: {e:?}"));
                return Err(format!("bounded: {}", seen.join("; ")));
            }
        }
        if served > MAX_ANSWER_BYTES {
            return Err(format!("ESCAPED: {served} bytes of code-index answers"));
        }
    }
    Err("ESCAPED: 100000 code-index queries were accepted".into())
}

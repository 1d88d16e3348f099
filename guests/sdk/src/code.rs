//! The probe's code index, read-only (`anneal:strategy/code-index@0.2.0`, docs/design.md §11):
//! the interface's calls re-exported, and helpers for what strategies ask most (the definition
//! of a name, the source of a definition).
//!
//! Every call is bounded and counted by the host (docs/security.md, "Code index queries"): at
//! most [`MAX_RESULTS`] results per answer, [`MAX_EXCERPT_LINES`] lines per excerpt, a per-run
//! number of calls and bytes. A refusal is a [`HostError`] whose message says what to change;
//! when the repository has no supported language, lookups and searches answer empty lists.
pub use crate::strategy::anneal::strategy::code_index::{
    lookup, read_excerpt, search_files, search_symbols, CodeFile, CodeSymbol, Excerpt,
};
use crate::HostError;

/// Most results the host returns for one lookup or search (a larger `limit` gets this many).
pub const MAX_RESULTS: u32 = 50;
/// Most lines of one excerpt.
pub const MAX_EXCERPT_LINES: u32 = 200;

/// The definition of `name` the host finds first (an exact match when there is one), or
/// `None` when the repository defines nothing by that name.
///
/// # Errors
/// The host's refusal (an empty or over-long name, the per-run query limit).
pub fn definition(name: &str) -> Result<Option<CodeSymbol>, HostError> {
    Ok(lookup(name, 1)?.into_iter().next())
}

/// The source of `symbol`: its lines, plus `context` lines before and after, bounded by the
/// host's excerpt limit (`truncated` says when it was cut).
///
/// # Errors
/// The host's refusal (the file is gone, the per-run query or byte limit).
pub fn source_of(symbol: &CodeSymbol, context: u32) -> Result<Excerpt, HostError> {
    read_excerpt(
        &symbol.path,
        symbol.line_start.saturating_sub(context).max(1),
        symbol.line_end.saturating_add(context),
    )
}

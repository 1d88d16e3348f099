//! Renderers of docs/design.md §8 outputs: the plan directory, the XML prompt, the rollup.
pub mod plan_md;
pub mod plan_parse;
pub mod rollup;
pub mod xml;

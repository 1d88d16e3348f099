//! The end-to-end tests: the real `anneal` binary, the real bundled and test guests, on the fixture
//! repository (and, for one test, on this workspace itself).
//!
//! One test binary, not one per file: each binary links wasmtime, so nine of them cost nine links
//! and several gigabytes of disk per target directory for nothing. Each module below is the file
//! it names; run one with `cargo test -p anneal --test e2e alloy::`.
mod common;

mod alloy;
mod cast_pipeline;
mod fanout;
mod foundry;
mod history;
mod installed;
mod interrupt;
mod js_strategy;
mod json_output;
mod mcp;
mod models;
mod python_strategy;
mod review;
mod sandbox;
mod temper;
mod validation;
mod versions;

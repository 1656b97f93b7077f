//! Benchmarks and the comparison harness for the KQL-over-Parquet engine.
//!
//! The criterion benchmarks live in `benches/` (`cargo bench -p benches`). This library will
//! hold what the comparison harness shares between engines; for now it only ties the crate to
//! the parser it measures.

// Unit tests see the dev-dependencies meant for the benchmarks.
#![cfg_attr(test, allow(unused_crate_dependencies))]

// Measured by `benches/parse.rs` and `benches/generate.rs`.
use {kql_parser as _, parquet as _, testdata as _};

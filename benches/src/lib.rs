//! Benchmarks and the comparison harness for the KQL-over-Parquet engine.
//!
//! The benchmarks live in `benches/` (run them with `cargo bench -p benches`); this library
//! holds what they share: where the corpus is and how to read queries out of rule files.

use std::path::PathBuf;

// The parser is what the benchmarks measure; the library itself only locates inputs.
use kql_parser as _;

/// The shared material beside the repository (`KQL_SHARED_DIR` overrides).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("KQL_SHARED_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"), PathBuf::from)
}

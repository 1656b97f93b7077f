//! The engine's integration tests, one module per topic, in one test binary: each binary links
//! all of DataFusion (about 300 MB in a debug build), so one binary instead of a dozen keeps
//! the build's disk use and link time down. Run one topic with
//! `cargo test -p kql-engine --test engine plans::`.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

mod common;
#[path = "../../../kql-parser/tests/common/mod.rs"]
mod corpus_common;

mod corpus_lake;
mod dictionary_scan;
mod dynamic_parquet;
mod dynamic_props;
mod exec_fuzz;
mod externaldata;
mod hunting_corpus;
mod never_panics;
mod parameters;
mod plans;
mod real_lakes;
mod several_results;
mod shared_scans;

//! The cluster's integration tests in one test binary (each binary links DataFusion and
//! Ballista, about 300 MB in a debug build): `nodes` runs the corpora on a scheduler and two
//! executors in this process, `round_trip` sends every family of KQL functions through the
//! codecs.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

#[path = "../../../kql-parser/tests/common/mod.rs"]
mod corpus_common;

mod nodes;
mod round_trip;

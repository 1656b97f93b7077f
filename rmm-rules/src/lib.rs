//! Sentinel hunting-rule catalog and a runner that hunts over a Parquet lake.
//!
//! This crate is being built (see the project README's roadmap); it has no public items yet.

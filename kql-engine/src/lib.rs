//! Runs KQL over Parquet with DataFusion, with Kusto's semantics.
//!
//! This crate is being built (see the project README's roadmap); it has no public items yet.

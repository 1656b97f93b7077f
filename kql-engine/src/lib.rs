//! Runs KQL (Kusto Query Language) hunting queries verbatim over Parquet, with Kusto's
//! semantics (`../shared/spec/kql-semantics.md`), on DataFusion.
//!
//! KQL text is parsed by [`kql_parser`], planned into a DataFusion [`LogicalPlan`] by
//! [`planner::KqlToRel`], optimised and executed by DataFusion. KQL's string operators are
//! vectorized UDFs ([`functions`]); `now()` comes from a per-query clock that can be pinned.
//!
//! ```no_run
//! use kql_engine::KqlContext;
//! # async fn demo() -> Result<(), kql_engine::KqlError> {
//! let ctx = KqlContext::builder().now(1_717_243_200_000_000_000).build()?;
//! ctx.register_lake("lake").await?;
//! let results = ctx
//!     .kql("DeviceNetworkEvents
//!           | where Timestamp between (ago(5d) .. now())
//!           | where RemoteUrl has_any ('atera.com', 'atera-agent-heartbeat')
//!           | summarize Count = count() by DeviceName")
//!     .await?
//!     .collect()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! [`LogicalPlan`]: datafusion::logical_expr::LogicalPlan

// Unit tests see the dev-dependencies meant for the integration tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod context;
pub mod dynamic;
mod error;
mod explain;
pub mod externaldata;
pub mod format;
pub mod functions;
mod lake;
pub mod physical;
pub mod planner;
pub mod portable;
pub mod render;
mod scan;
pub mod schemas;
mod session;
pub mod settings;
pub mod shared;

pub use context::{
    KqlContext, KqlContextBuilder, KqlResult, QueryParameters, SessionContextExt, default_memory_limit,
    kql_session_config, kql_session_state,
};
pub use error::{KqlError, Located, Result, closest_names};
pub use externaldata::ExternalDataOptions;
pub use kql_parser::{LineCol, ParseError, Span};
pub use lake::{BadFile, LakeTable, lake_tables};
pub use render::Visualization;
pub use scan::PlainParquetScans;
pub use schemas::DocumentedSchemas;
pub use shared::{SharedReport, SharedScanOptions, TablePath, rows_read};

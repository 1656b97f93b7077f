//! KQL on an Apache Ballista cluster, for lakes one machine cannot scan fast enough.
//!
//! The KQL engine plans locally, as always; Ballista ships the DataFusion plan to its
//! scheduler, which splits it into stages for its executors. Plans carry DataFusion's
//! functions by name, but every KQL function holds state compiled from its constant arguments
//! (the `has` family's needles, regular expressions, conversion targets), so the plans travel
//! with codecs ([`KqlLogicalCodec`], [`KqlPhysicalCodec`]) that write that state down and
//! build the same functions on the other side; lake tables travel as their file lists and
//! in-memory tables (`materialize()`, `datatable`) as Arrow IPC, `graph-mark-components` as its
//! kind. `scan` and `externaldata` do not travel yet: a query using them fails with an error
//! naming the operator.
//!
//! Every node must read the lake at the same path (a shared mount).
//!
//! ```no_run
//! # async fn demo() -> Result<(), kql_engine::KqlError> {
//! let ctx = kql_cluster::connect("df://scheduler.internal:50050").await?;
//! ctx.register_lake("/mnt/lake").await?;
//! let batches = ctx.kql("DeviceProcessEvents | where FileName =~ 'AnyDesk.exe' | count").await?.collect().await?;
//! # Ok(()) }
//! ```

// Unit tests see the dev-dependencies meant for the integration tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod codec;
mod nodes;
mod session;

pub use codec::{KqlLogicalCodec, KqlPhysicalCodec};
pub use nodes::{ExecutorOptions, run_executor, run_scheduler, spawn_executor, spawn_scheduler};
pub use session::{connect, connect_with, kql_config, kql_state, standalone};

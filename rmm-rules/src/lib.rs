//! Sentinel hunting rules, and a runner that hunts with them over a Parquet lake.
//!
//! * [`Rule`]: a Sentinel hunting or analytic rule as written in YAML (`id`, `name`,
//!   `description`, `requiredDataConnectors`, `tactics`, `relevantTechniques`, `query`, every
//!   other field kept in [`Rule::extra`]).
//! * [`Catalog`]: rules to run — [`Catalog::builtin`] (the four seed hunts), or any folder or file
//!   of rule YAML ([`Catalog::from_dir`], [`Catalog::from_file`]). Files are read leniently (see
//!   [`load`]); a file that still cannot be read is kept as a located [`LoadError`] and the rest
//!   of the folder loads. [`Filter`] chooses rules by id/name pattern, tactic, technique, table.
//! * [`Runner`]: runs a catalog concurrently over a [`kql_engine::KqlContext`], one shared
//!   session and one `now()`, and returns a [`Report`] (per rule: status, rows, rows scanned,
//!   time) that writes JSON Lines or a summary.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use rmm_rules::{Catalog, Filter, Runner};
//!
//! let ctx = kql_engine::KqlContext::new();
//! ctx.register_lake("lake/").await?;
//! let catalog = Catalog::from_dir("rules/")?.filter(&Filter::new().table("DeviceNetworkEvents"));
//! let report = Runner::new(ctx).run(&catalog).await;
//! report.write_jsonl(std::io::stdout())?;
//! eprint!("{}", report.summary());
//! # Ok(()) }
//! ```

// Unit tests see the dev-dependencies meant for the integration tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod catalog;
mod error;
mod filter;
pub mod load;
mod repair;
mod report;
mod rule;
mod runner;
mod selection;

pub use catalog::Catalog;
pub use error::{LoadError, PatternError};
pub use filter::Filter;
pub use report::{Counts, Report};
pub use rule::{DataConnector, Repair, Rule, RuleSource};
pub use runner::{Failure, RuleResult, Runner, Status};
pub use selection::{Selection, SelectionError};

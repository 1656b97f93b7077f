//! Lakes of Parquet files: their layout (which tables a folder holds), their footers, schemas
//! merged across files, and the lazily opened tables of a session (architecture §6).

mod balance;
mod footers;
mod layout;
mod merge;
mod named;
mod provider;
mod table;

pub(crate) use balance::{BalanceRowGroups, NAME as BALANCE_RULE};
pub use footers::BadFile;
pub use layout::{LakeTable, lake_tables};
pub(crate) use named::NamedFileSource;
pub(crate) use provider::KqlSchemaProvider;
pub(crate) use table::{OpenOptions, ParquetTable};

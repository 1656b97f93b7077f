//! A seeded Microsoft Defender telemetry generator with planted ground truth.
//!
//! It writes the documented advanced-hunting tables (`DeviceProcessEvents`,
//! `DeviceNetworkEvents`, `DeviceFileCertificateInfo`, `DeviceFileEvents`,
//! `DeviceRegistryEvents`, `DeviceInfo`) with every documented column, realistic and skewed
//! background activity, and planted activity for every remote-management tool of the RMM
//! hunting catalog, including near misses that a sloppy `has` gets wrong. Beside the data it
//! writes a manifest with the exact rows each hunting rule must return, computed by the
//! generator's own simple evaluator from what it planted, never by the engine under test.
//!
//! ```no_run
//! use testdata::{Generator, LakeOptions, write_lake};
//! let generator = Generator::builder().seed(1).rows(1_000_000).now_rfc3339("2024-06-01T12:00:00Z")?.build()?;
//! let summary = write_lake(&generator, "lake".as_ref(), &LakeOptions::default())?;
//! println!("{} rows, manifest at {}", summary.rows(), summary.manifest.display());
//! # Ok::<(), testdata::Error>(())
//! ```
//!
//! Streaming: [`Generator::batches`] yields one table's rows batch by batch (each batch made
//! from its own random stream), so 100 million rows per table never sit in memory.

// Unit tests see the dev-dependencies meant for the integration tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod background;
mod check;
pub mod cli;
pub mod documented;
mod generator;
mod lake;
mod manifest;
pub mod oracle;
mod plant;
mod pools;
pub mod rules;
mod sample;
mod schema;
mod time;
mod vocab;

use std::path::{Path, PathBuf};

pub use check::{check_result, result_rows};
pub use generator::{Config, Generator, GeneratorBuilder, TableBatches};
pub use lake::{Compression, LakeOptions, LakeSummary, Layout, TableSummary, write_lake};
pub use manifest::{ExpectedRow, GeneratorInfo, Manifest, RuleExpectation, Status};
pub use plant::{Cell, PLANTED_REPORT_ID_BASE, PlantedRow, Purpose};
pub use schema::{ColumnType, PhysicalTypes, StringEncoding, Table};
pub use time::{format_rfc3339, parse_rfc3339};

/// Errors from generating or writing a lake.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Settings that cannot work.
    #[error("{0}")]
    Config(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Parquet could not be written.
    #[error("{path}: {source}")]
    Parquet {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: parquet::errors::ParquetError,
    },
    /// Arrow failed while building a table's batches (a bug).
    #[error("generating {0}: {1}")]
    Arrow(String, arrow::error::ArrowError),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io { path: path.to_path_buf(), source }
    }

    pub(crate) fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        Self::Parquet { path: path.to_path_buf(), source }
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Self::Arrow("planted rows".into(), e)
    }
}

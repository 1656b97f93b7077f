//! The table `externaldata` plans: its sources are read (off the async runtime, with the
//! size limit and timeout of the options) when the query runs, not when it is planned, so
//! `kql check` and `explain` never touch a file or the network.

use std::io::Read as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::Session;
use datafusion::datasource::TableProvider;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{Expr, TableType};
use datafusion::physical_plan::ExecutionPlan;

use super::Location;
use super::formats::{self, Column, Format, Shape};
use super::mapping::Mapping;

/// The rows of `externaldata(...) [...]`: every source read in order, one format each.
#[derive(Clone, Debug)]
pub(crate) struct ExternalDataTable {
    schema: SchemaRef,
    sources: Vec<Location>,
    /// `format=`; `None` decides per source from its name.
    format: Option<Format>,
    ignore_first: bool,
    ignore_last: bool,
    /// Per column: its cells are JSON text (a `dynamic` column).
    json: Vec<bool>,
    /// `ingestionMapping`, when given.
    mapping: Option<Arc<Mapping>>,
    timeout: Duration,
    max_bytes: u64,
}

impl ExternalDataTable {
    /// A table of `schema` (UTF-8 columns for text formats, declared types for Parquet).
    pub(crate) fn new(
        schema: SchemaRef,
        sources: Vec<Location>,
        format: Option<Format>,
        (ignore_first, ignore_last): (bool, bool),
        json: Vec<bool>,
        mapping: Option<Mapping>,
        options: &super::ExternalDataOptions,
    ) -> Self {
        Self {
            schema,
            sources,
            format,
            ignore_first,
            ignore_last,
            json,
            mapping: mapping.map(Arc::new),
            timeout: options.timeout_value(),
            max_bytes: options.max_bytes_value(),
        }
    }

    fn read_all(&self) -> Result<Vec<RecordBatch>, String> {
        let mut batches = Vec::new();
        for source in &self.sources {
            let what = match source {
                Location::File(p) => p.display().to_string(),
                Location::Url(u) => u.clone(),
            };
            let bytes = self.fetch(source).map_err(|e| format!("externaldata cannot read `{what}`: {e}"))?;
            let name = source.name();
            let bytes = if name.to_ascii_lowercase().ends_with(".gz") {
                gunzip(&bytes, self.max_bytes).map_err(|e| format!("externaldata cannot read `{what}`: {e}"))?
            } else {
                bytes
            };
            let format = self.format.unwrap_or_else(|| Format::from_file_name(&name));
            let read = if format.is_text() {
                self.read_text(format, &bytes, &what).map(|b| vec![b])
            } else {
                let shape = Shape { mapping: self.mapping.as_deref(), location: &what };
                formats::read_parquet(bytes::Bytes::from(bytes), &self.schema, shape)
            };
            let mut read = read.map_err(|e| format!("externaldata cannot read `{what}`: {e}"))?;
            if self.ignore_last {
                read.retain(|b| b.num_rows() > 0);
                if let Some(last) = read.pop() {
                    read.push(last.slice(0, last.num_rows() - 1));
                }
            }
            batches.extend(read);
        }
        Ok(batches)
    }

    fn read_text(&self, format: Format, bytes: &[u8], location: &str) -> Result<RecordBatch, String> {
        if self.schema.fields().iter().any(|f| f.data_type() != &datafusion::arrow::datatypes::DataType::Utf8) {
            return Err(format!("a {format:?} source in a table declared for Parquet; give one format= for all"));
        }
        let columns: Vec<Column<'_>> =
            self.schema.fields().iter().zip(&self.json).map(|(f, &json)| Column { name: f.name(), json }).collect();
        let mut builders: Vec<StringBuilder> = columns.iter().map(|_| StringBuilder::new()).collect();
        let shape = Shape { mapping: self.mapping.as_deref(), location };
        formats::read_text(format, bytes, &columns, self.ignore_first, shape, &mut builders)?;
        let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
        RecordBatch::try_new(Arc::clone(&self.schema), arrays).map_err(|e| e.to_string())
    }

    fn fetch(&self, source: &Location) -> Result<Vec<u8>, String> {
        match source {
            Location::File(path) => {
                let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
                if len > self.max_bytes {
                    return Err(format!("the file has {len} bytes, over the limit of {}", self.max_bytes));
                }
                std::fs::read(path).map_err(|e| e.to_string())
            }
            Location::Url(url) => {
                let agent: ureq::Agent =
                    ureq::Agent::config_builder().timeout_global(Some(self.timeout)).build().into();
                let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
                response.body_mut().with_config().limit(self.max_bytes).read_to_vec().map_err(|e| e.to_string())
            }
        }
    }
}

fn gunzip(bytes: &[u8], limit: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes).take(limit.saturating_add(1));
    decoder.read_to_end(&mut out).map_err(|e| format!("not valid gzip: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!("the decompressed data is over the limit of {limit} bytes"));
    }
    Ok(out)
}

#[async_trait]
impl TableProvider for ExternalDataTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Temporary
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let this = self.clone();
        let batches = tokio::task::spawn_blocking(move || this.read_all())
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?
            .map_err(DataFusionError::Execution)?;
        Ok(MemorySourceConfig::try_new_exec(&[batches], Arc::clone(&self.schema), projection.cloned())?)
    }
}

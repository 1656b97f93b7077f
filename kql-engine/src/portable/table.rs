//! Tables as portable descriptions: a lake table is its files (paths every process must be
//! able to read), partition values and the way its columns are read; an in-memory table
//! (`materialize()`, `datatable`, tables handed in by an embedder) is its rows as Arrow IPC.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::ScalarValue;
use datafusion::common::config::TableParquetOptions;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::PartitionedFile;
use datafusion::object_store::ObjectMeta;
use datafusion::object_store::path::Path as StorePath;
use serde::{Deserialize, Serialize};

use crate::error::{KqlError, Result};
use crate::lake::ParquetTable;
use crate::planner::range::{RangeSpec, RangeTable};
use crate::scan::{KqlParquetFormat, dictionary_type};

/// One file of a lake table.
#[derive(Debug, Serialize, Deserialize)]
struct File {
    path: String,
    size: u64,
    /// Seconds and nanoseconds since 1970 (the cache key of its footer).
    modified: (i64, u32),
    partition_values: Vec<Option<String>>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
enum Table {
    /// A lake table: its files, its partition columns (the last columns of its schema), its
    /// `dynamic` columns and those read as dictionaries (`true`: of UTF-8 values).
    Lake { files: Vec<File>, partition_columns: usize, json: Vec<String>, dictionary: Vec<(String, bool)> },
    /// An in-memory table: per partition, its batches as one Arrow IPC stream (base64).
    Memory { partitions: Vec<String> },
    /// A `range`.
    Range { spec: RangeSpec },
}

fn internal(e: impl std::fmt::Display) -> KqlError {
    KqlError::Internal(format!("a shipped table description is not valid: {e}"))
}

/// The description of `table`, `None` when it is not a table the KQL engine made.
///
/// # Errors
/// An `externaldata` table (its rows come from a source only this process was allowed to
/// read), or an in-memory table whose rows cannot be written.
pub fn encode_table(name: &str, table: &dyn TableProvider) -> Result<Option<Vec<u8>>> {
    let spec = if let Some(t) = table.downcast_ref::<ParquetTable>() {
        let files = t
            .files
            .iter()
            .map(|f| File {
                path: f.object_meta.location.to_string(),
                size: f.object_meta.size,
                modified: (
                    f.object_meta.last_modified.timestamp(),
                    f.object_meta.last_modified.timestamp_subsec_nanos(),
                ),
                partition_values: f
                    .partition_values
                    .iter()
                    .map(|v| match v {
                        ScalarValue::Dictionary(_, inner) => match inner.as_ref() {
                            ScalarValue::Utf8(s) => s.clone(),
                            other => Some(other.to_string()),
                        },
                        ScalarValue::Utf8(s) => s.clone(),
                        other => Some(other.to_string()),
                    })
                    .collect(),
            })
            .collect();
        let mut json: Vec<String> = t.format.json.iter().cloned().collect();
        json.sort();
        let mut dictionary: Vec<(String, bool)> = t
            .format
            .dictionary
            .iter()
            .map(|(c, ty)| (c.clone(), matches!(ty, DataType::Dictionary(_, v) if v.as_ref() == &DataType::Utf8)))
            .collect();
        dictionary.sort();
        Table::Lake { files, partition_columns: t.partition_columns.len(), json, dictionary }
    } else if let Some(t) = table.downcast_ref::<MemTable>() {
        let schema = t.schema();
        let mut partitions = Vec::new();
        for p in &t.batches {
            let batches = p.try_read().map_err(|_| {
                KqlError::Internal(format!("the in-memory table {name} is being written to; it cannot be shipped now"))
            })?;
            partitions.push(ipc(&schema, &batches)?);
        }
        Table::Memory { partitions }
    } else if let Some(t) = table.downcast_ref::<RangeTable>() {
        Table::Range { spec: t.spec }
    } else if table.is::<crate::externaldata::provider::ExternalDataTable>() {
        return Err(KqlError::Internal(
            "externaldata does not run on a cluster yet: its source is read by the process that was allowed to \
             read it (copy the data into the lake, or run the query locally)"
                .into(),
        ));
    } else {
        return Ok(None);
    };
    serde_json::to_vec(&spec)
        .map(Some)
        .map_err(|e| KqlError::Internal(format!("table {name} cannot be written down: {e}")))
}

fn ipc(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String> {
    let mut out = Vec::new();
    let mut writer = StreamWriter::try_new(&mut out, schema).map_err(arrow_error)?;
    for b in batches {
        writer.write(b).map_err(arrow_error)?;
    }
    writer.finish().map_err(arrow_error)?;
    drop(writer);
    Ok(base64::engine::general_purpose::STANDARD.encode(out))
}

fn arrow_error(e: datafusion::arrow::error::ArrowError) -> KqlError {
    KqlError::Internal(format!("an in-memory table cannot be written as Arrow IPC: {e}"))
}

fn batches(text: &str) -> Result<Vec<RecordBatch>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).map_err(internal)?;
    let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None).map_err(internal)?;
    reader.collect::<std::result::Result<Vec<_>, _>>().map_err(internal)
}

/// The table `bytes` describes (from [`encode_table`]), of `schema`; a lake table reads its
/// files with `parquet` options.
///
/// # Errors
/// When the description is not valid.
pub fn decode_table(bytes: &[u8], schema: SchemaRef, parquet: &TableParquetOptions) -> Result<Arc<dyn TableProvider>> {
    match serde_json::from_slice(bytes).map_err(internal)? {
        Table::Memory { partitions } => {
            let partitions = partitions.iter().map(|p| batches(p)).collect::<Result<Vec<_>>>()?;
            Ok(Arc::new(MemTable::try_new(schema, partitions)?))
        }
        Table::Range { spec } => Ok(Arc::new(RangeTable { schema, spec })),
        Table::Lake { files, partition_columns, json, dictionary } => {
            let n = schema.fields().len();
            let split =
                n.checked_sub(partition_columns).ok_or_else(|| internal("more partition columns than columns"))?;
            let file_schema =
                Arc::new(Schema::new_with_metadata(schema.fields()[..split].to_vec(), schema.metadata().clone()));
            let partition_fields = schema.fields()[split..].to_vec();
            let files = files
                .into_iter()
                .map(|f| {
                    let modified = chrono::DateTime::from_timestamp(f.modified.0, f.modified.1)
                        .ok_or_else(|| internal("a file's time is out of range"))?;
                    let meta = ObjectMeta {
                        location: StorePath::parse(&f.path).map_err(internal)?,
                        last_modified: modified,
                        size: f.size,
                        e_tag: None,
                        version: None,
                    };
                    let values = f
                        .partition_values
                        .into_iter()
                        .map(|v| ScalarValue::Dictionary(Box::new(DataType::UInt16), Box::new(ScalarValue::Utf8(v))))
                        .collect();
                    Ok(PartitionedFile::from(meta).with_partition_values(values))
                })
                .collect::<Result<Vec<_>>>()?;
            let json: HashSet<String> = json.into_iter().collect();
            let dictionary: HashMap<String, DataType> =
                dictionary.into_iter().map(|(c, utf8)| (c, dictionary_type(utf8))).collect();
            let format = Arc::new(KqlParquetFormat::new(
                ParquetFormat::default().with_options(parquet.clone()),
                json,
                dictionary,
            ));
            Ok(Arc::new(ParquetTable {
                schema,
                file_schema,
                partition_columns: partition_fields,
                format,
                files,
                skipped: Vec::new(),
            }))
        }
    }
}

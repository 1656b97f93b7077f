//! Query results: planned when the query is given, run when they are read, handed to Python as
//! Arrow without copying.
//!
//! A [`QueryResult`] holds the plan. `to_arrow()` (and `to_polars()`, `to_pandas()`) run it once
//! and keep the batches; iterating or exporting through `__arrow_c_stream__` streams it batch by
//! batch without collecting (from the kept batches when there are some). Every batch leaves
//! with the result's declared schema: columns nullable (every KQL value can be null),
//! datetimes labelled UTC (a lake's zone-less timestamps are UTC in KQL; relabelling copies
//! nothing), `dynamic` columns as JSON text with the `arrow.json` extension type.

use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::{
    Array, ArrayRef, RecordBatch, RecordBatchIterator, RecordBatchOptions, RecordBatchReader, make_array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use datafusion::dataframe::DataFrame;
use datafusion::physical_plan::SendableRecordBatchStream;
use futures::StreamExt as _;
use pyo3::exceptions::{PyRuntimeError, PyStopIteration};
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use pyo3_arrow::{PyRecordBatch, PyRecordBatchReader, PySchema, PyTable};

use crate::errors::{ExecutionError, query_error};
use crate::runtime::wait;

/// The result of one KQL statement. Read it with `to_arrow()`, `to_polars()`, `to_pandas()`,
/// by iterating (pyarrow `RecordBatch`es), or hand it to any Arrow consumer
/// (`pyarrow.table(res)`, `polars.from_arrow(res)`, `duckdb.sql("from res")`).
#[pyclass(module = "kql_lake", frozen)]
#[derive(Debug)]
pub struct QueryResult {
    df: DataFrame,
    query: String,
    schema: SchemaRef,
    collected: Mutex<Option<Arc<Vec<RecordBatch>>>>,
    /// The statement's `render`, as Kusto's visualization JSON.
    visualization: Option<String>,
    /// The result's name (a `fork` leg's), if the query gives one.
    name: Option<String>,
}

impl QueryResult {
    /// A result of `df`, planned from `query`.
    pub(crate) fn new(
        df: DataFrame,
        query: &str,
        visualization: Option<&kql_engine::Visualization>,
        name: Option<String>,
    ) -> Self {
        let schema = declared_schema(df.schema().inner());
        let visualization = visualization.map(|v| v.to_kusto_json().to_string());
        Self { df, query: query.to_owned(), schema, collected: Mutex::new(None), visualization, name }
    }

    fn kept(&self) -> Option<Arc<Vec<RecordBatch>>> {
        self.collected.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Runs the query and keeps the batches (once).
    fn collect(&self, py: Python<'_>) -> PyResult<Arc<Vec<RecordBatch>>> {
        if let Some(kept) = self.kept() {
            return Ok(kept);
        }
        let mut stream = self.start(py)?;
        let mut batches = Vec::new();
        while let Some(batch) = stream.next_batch(py)? {
            batches.push(batch);
        }
        let batches = Arc::new(batches);
        *self.collected.lock().unwrap_or_else(PoisonError::into_inner) = Some(Arc::clone(&batches));
        Ok(batches)
    }

    /// Starts executing the plan.
    fn start(&self, py: Python<'_>) -> PyResult<Batches> {
        let stream =
            wait(py, self.df.clone().execute_stream())?.map_err(|e| query_error(py, &e.into(), &self.query))?;
        Ok(Batches { schema: Arc::clone(&self.schema), stream, query: self.query.clone() })
    }

    /// A reader over the kept batches, or over a new execution.
    fn reader(&self, py: Python<'_>) -> PyResult<Box<dyn RecordBatchReader + Send>> {
        Ok(match self.kept() {
            Some(kept) => Box::new(RecordBatchIterator::new(
                kept.iter().cloned().map(Ok).collect::<Vec<_>>(),
                Arc::clone(&self.schema),
            )),
            None => Box::new(self.start(py)?),
        })
    }
}

#[pymethods]
impl QueryResult {
    /// The result's Arrow schema (a `pyarrow.Schema`).
    #[getter]
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        PySchema::new(Arc::clone(&self.schema)).into_pyarrow(py)
    }

    /// The column names, in order.
    #[getter]
    fn columns(&self) -> Vec<String> {
        self.schema.fields().iter().map(|f| f.name().clone()).collect()
    }

    /// The KQL text this result comes from.
    #[getter]
    fn query(&self) -> &str {
        &self.query
    }

    /// The result's name when the query gives one (a `fork` leg's `name = (...)` or
    /// `| as name`), else `None`.
    #[getter]
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// The statement's `render` as Kusto describes it (`{"Visualization": "timechart",
    /// "Title": ..., "YColumns": ...}`), or `None` when the statement does not end with one.
    #[getter]
    fn visualization<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.visualization {
            None => Ok(None),
            Some(text) => Ok(Some(py.import("json")?.call_method1("loads", (text.as_str(),))?)),
        }
    }

    /// Runs the query (once; later calls reuse the rows) and returns a `pyarrow.Table`. The
    /// columns are the engine's own buffers: nothing is copied.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let batches = self.collect(py)?;
        PyTable::try_new(batches.as_ref().clone(), Arc::clone(&self.schema))?.into_pyarrow(py)
    }

    /// `to_arrow()` as a `polars.DataFrame` (needs polars).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.to_arrow(py)?;
        py.import("polars")?.call_method1("from_arrow", (table,))
    }

    /// `to_arrow()` as a `pandas.DataFrame` (needs pandas): datetimes as UTC-aware
    /// timestamps, timespans as timedeltas, `dynamic` values as JSON text.
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.to_arrow(py)?.call_method0("to_pandas")
    }

    /// Streams the result as `pyarrow.RecordBatch`es without collecting it.
    fn __iter__(&self, py: Python<'_>) -> PyResult<BatchIterator> {
        let source = match self.kept() {
            Some(kept) => Source::Kept(kept, 0),
            None => Source::Running(self.start(py)?),
        };
        Ok(BatchIterator { source: Mutex::new(Some(source)) })
    }

    /// The Arrow PyCapsule stream interface: `pyarrow.table(res)`, `polars.from_arrow(res)`,
    /// `duckdb` and any other Arrow consumer read the result without a copy.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        export_stream(py, self.reader(py)?, requested_schema)
    }

    fn __repr__(&self) -> String {
        let columns: Vec<String> =
            self.schema.fields().iter().map(|f| format!("{}: {}", f.name(), kql_type_name(f))).collect();
        let rows = match self.kept() {
            Some(kept) => format!(", {} rows", kept.iter().map(RecordBatch::num_rows).sum::<usize>()),
            None => String::new(),
        };
        format!("<kql_lake.QueryResult ({}){rows}>", columns.join(", "))
    }
}

/// `reader` as an Arrow PyCapsule stream (pyo3-arrow's export, casting to a requested schema).
pub(crate) fn export_stream<'py>(
    py: Python<'py>,
    reader: Box<dyn RecordBatchReader + Send>,
    requested_schema: Option<Bound<'py, PyCapsule>>,
) -> PyResult<Bound<'py, PyAny>> {
    Bound::new(py, PyRecordBatchReader::new(reader))?.call_method1("__arrow_c_stream__", (requested_schema,))
}

/// The KQL type a column shows as (`string`, `datetime`, `dynamic`, ...).
fn kql_type_name(f: &Field) -> &'static str {
    if kql_engine::dynamic::has_json_extension(f) {
        return "dynamic";
    }
    kql_engine::planner::KqlType::of(f.data_type()).name()
}

/// Iterates a result's batches (`for batch in res`).
#[pyclass(module = "kql_lake", frozen)]
#[derive(Debug)]
pub struct BatchIterator {
    source: Mutex<Option<Source>>,
}

#[derive(Debug)]
enum Source {
    Kept(Arc<Vec<RecordBatch>>, usize),
    Running(Batches),
}

#[pymethods]
impl BatchIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        // Take the source out while waiting, so the lock is never held without the GIL.
        let taken = self.source.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(mut source) = taken else {
            return Err(PyRuntimeError::new_err("this iterator is finished, or in use by another thread"));
        };
        let next = match &mut source {
            Source::Kept(batches, i) => {
                let b = batches.get(*i).cloned();
                *i += 1;
                Ok(b)
            }
            Source::Running(stream) => stream.next_batch(py),
        };
        match next {
            Ok(Some(batch)) => {
                *self.source.lock().unwrap_or_else(PoisonError::into_inner) = Some(source);
                PyRecordBatch::new(batch).into_pyarrow(py)
            }
            Ok(None) => Err(PyStopIteration::new_err(())),
            Err(e) => Err(e),
        }
    }
}

/// A running query's batches, conformed to the declared schema.
struct Batches {
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
    query: String,
}

impl std::fmt::Debug for Batches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batches").field("schema", &self.schema).field("query", &self.query).finish_non_exhaustive()
    }
}

impl Batches {
    fn next_batch(&mut self, py: Python<'_>) -> PyResult<Option<RecordBatch>> {
        match wait(py, self.stream.next())? {
            None => Ok(None),
            Some(Err(e)) => Err(query_error(py, &e.into(), &self.query)),
            Some(Ok(batch)) => {
                conform(&batch, &self.schema).map(Some).map_err(|e| ExecutionError::new_err(e.to_string()))
            }
        }
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, ArrowError>;

    /// Called by Arrow consumers through the C stream, on whatever thread they read from: take
    /// the GIL (to release it while waiting and to see Ctrl-C), then wait for the next batch.
    fn next(&mut self) -> Option<Self::Item> {
        Python::attach(|py| match self.next_batch(py) {
            Ok(b) => b.map(Ok),
            Err(e) => Some(Err(ArrowError::ExternalError(Box::new(std::io::Error::other(e.to_string()))))),
        })
    }
}

impl RecordBatchReader for Batches {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
}

/// The schema results leave with: every column nullable, zone-less timestamps labelled UTC.
fn declared_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Timestamp(unit, None) => DataType::Timestamp(*unit, Some("UTC".into())),
                other => other.clone(),
            };
            Field::new(f.name(), t, true).with_metadata(f.metadata().clone())
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `batch` with the declared schema: columns of the declared type kept as they are, a UTC
/// label added without copying, anything else cast.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| conform_column(c, f.data_type()))
        .collect::<Result<Vec<ArrayRef>, ArrowError>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(Arc::clone(schema), columns, &options)
}

fn conform_column(c: &ArrayRef, target: &DataType) -> Result<ArrayRef, ArrowError> {
    if c.data_type() == target {
        return Ok(Arc::clone(c));
    }
    match (c.data_type(), target) {
        (DataType::Timestamp(from, None), DataType::Timestamp(to, Some(_))) if from == to => {
            let data = c.to_data().into_builder().data_type(target.clone()).build()?;
            Ok(make_array(data))
        }
        _ => arrow::compute::cast(c.as_ref(), target),
    }
}

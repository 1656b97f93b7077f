//! `kql_lake.Connection`: a KQL session over a lake and any registered tables.

use std::path::PathBuf;
use std::sync::Arc;

use datafusion::datasource::MemTable;
use kql_engine::KqlContext;
use kql_engine::settings::{parse_now, parse_size};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{engine_error, lake_error, query_error};
use crate::hunt::{HuntOptions, HuntReport};
use crate::input::read_batches;
use crate::result::QueryResult;
use crate::runtime::wait;

/// A memory size: bytes, or text such as `"4GiB"`.
#[derive(FromPyObject)]
enum Size {
    Bytes(usize),
    Text(String),
}

/// A KQL session over a Parquet lake. Thread-safe: several threads may query one connection
/// at once.
#[pyclass(module = "kql_lake", frozen)]
#[derive(Debug)]
pub struct Connection {
    ctx: KqlContext,
    lake: Option<PathBuf>,
    now: Option<String>,
}

#[pymethods]
impl Connection {
    /// Opens a lake (or nothing, to register tables yourself).
    #[new]
    #[pyo3(signature = (
        lake=None, *, now=None, memory_limit=None, schemas=None, threads=None,
        allow_network=false, externaldata_mirror=None, externaldata_dirs=Vec::new(), skip_bad_files=false
    ))]
    #[allow(clippy::too_many_arguments)] // Python keyword arguments
    fn new(
        py: Python<'_>,
        lake: Option<PathBuf>,
        now: Option<String>,
        memory_limit: Option<Size>,
        schemas: Option<PathBuf>,
        threads: Option<usize>,
        allow_network: bool,
        externaldata_mirror: Option<PathBuf>,
        externaldata_dirs: Vec<PathBuf>,
        skip_bad_files: bool,
    ) -> PyResult<Self> {
        let mut external = kql_engine::ExternalDataOptions::new().allow_network(allow_network);
        if let Some(dir) = externaldata_mirror {
            if !dir.is_dir() {
                return Err(PyValueError::new_err(format!("externaldata_mirror: {} is not a folder", dir.display())));
            }
            external = external.mirror(dir);
        }
        for dir in externaldata_dirs {
            external = external.allow_local_dir(dir);
        }
        let mut builder = KqlContext::builder().externaldata(external).skip_bad_files(skip_bad_files);
        if let Some(now) = &now {
            builder = builder.now(parse_now(now).map_err(|e| PyValueError::new_err(format!("now: {e}")))?);
        }
        match memory_limit {
            Some(Size::Bytes(0)) => return Err(PyValueError::new_err("memory_limit: must be at least one byte")),
            Some(Size::Bytes(n)) => builder = builder.memory_limit(n),
            Some(Size::Text(t)) => {
                builder = builder
                    .memory_limit(parse_size(&t).map_err(|e| PyValueError::new_err(format!("memory_limit: {e}")))?);
            }
            None => {}
        }
        match threads {
            Some(0) => return Err(PyValueError::new_err("threads: must be at least 1")),
            Some(n) => builder = builder.target_partitions(n),
            None => {}
        }
        if let Some(dir) = &schemas {
            let documented = kql_engine::DocumentedSchemas::from_dir(dir)
                .map_err(|e| lake_error(format!("the table schemas {}: {e}", dir.display())))?;
            builder = builder.documented_schemas(documented);
        }
        let ctx = builder.build().map_err(|e| engine_error(py, &e))?;
        if let Some(dir) = &lake {
            if !dir.is_dir() {
                let why = if dir.exists() { "is not a folder" } else { "does not exist" };
                return Err(lake_error(format!("the lake {} {why}", dir.display())));
            }
            wait(py, ctx.register_lake(dir))?.map_err(|e| engine_error(py, &e))?;
        } else if schemas.is_some() {
            ctx.register_documented_tables().map_err(|e| engine_error(py, &e))?;
        }
        Ok(Self { ctx, lake, now })
    }

    /// The unreadable files `skip_bad_files` left out of the tables read so far, as
    /// (table, file, why) tuples.
    fn skipped_files(&self) -> Vec<(String, String, String)> {
        self.ctx
            .skipped_files()
            .into_iter()
            .map(|(table, bad)| (table, bad.path.display().to_string(), bad.reason))
            .collect()
    }

    /// Plans `kql` and returns the result of its last statement (it runs when read). Parse
    /// and planning errors are raised here, with the line and column.
    #[pyo3(signature = (kql, parameters=kql_engine::QueryParameters::new()))]
    fn query(&self, py: Python<'_>, kql: &str, parameters: kql_engine::QueryParameters) -> PyResult<QueryResult> {
        let mut results = wait(py, self.ctx.results(kql, &parameters))?.map_err(|e| query_error(py, &e, kql))?;
        let last = results.pop().ok_or_else(|| PyValueError::new_err("the query has no result statement"))?;
        Ok(QueryResult::new(last.frame, kql, last.visualization.as_ref(), last.name))
    }

    /// Every result of a batch of `;`-separated statements, in order.
    #[pyo3(signature = (kql, parameters=kql_engine::QueryParameters::new()))]
    fn query_all(
        &self,
        py: Python<'_>,
        kql: &str,
        parameters: kql_engine::QueryParameters,
    ) -> PyResult<Vec<QueryResult>> {
        let results = wait(py, self.ctx.results(kql, &parameters))?.map_err(|e| query_error(py, &e, kql))?;
        Ok(results.into_iter().map(|r| QueryResult::new(r.frame, kql, r.visualization.as_ref(), r.name)).collect())
    }

    /// The plans of `kql` as text; with `analyze=True` the query runs and each operator shows
    /// its rows, times and Parquet pruning.
    #[pyo3(signature = (kql, analyze=false))]
    fn explain(&self, py: Python<'_>, kql: &str, analyze: bool) -> PyResult<String> {
        let texts = wait(py, self.ctx.explain(kql, analyze))?.map_err(|e| query_error(py, &e, kql))?;
        if texts.len() == 1 {
            return Ok(texts.into_iter().next().unwrap_or_default());
        }
        Ok(texts.iter().enumerate().map(|(i, t)| format!("== result {} ==\n{t}", i + 1)).collect::<Vec<_>>().join("\n"))
    }

    /// Registers Python data as table `name` (replacing a table of that name): a pyarrow
    /// Table, RecordBatch or RecordBatchReader, a polars or pandas DataFrame, or any object with
    /// `__arrow_c_stream__`. The data is read once, without copying its buffers.
    fn register(&self, py: Python<'_>, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        check_name(name)?;
        let (schema, batches) = read_batches(data)?;
        let table = MemTable::try_new(schema, vec![batches]).map_err(|e| engine_error(py, &e.into()))?;
        self.replace(py, name, Arc::new(table))
    }

    /// Registers a Parquet file or folder (hive `key=value/` partitions allowed) as table
    /// `name`, replacing a table of that name.
    fn register_parquet(&self, py: Python<'_>, name: &str, path: PathBuf) -> PyResult<()> {
        check_name(name)?;
        if !path.exists() {
            return Err(lake_error(format!("table {name}: {} does not exist", path.display())));
        }
        let old = self.ctx.session().deregister_table(datafusion::common::TableReference::bare(name));
        let registered = wait(py, self.ctx.register_parquet(name, &path))?;
        if let Err(e) = registered {
            // Put the previous table back: a failed registration changes nothing.
            if let Ok(Some(old)) = old {
                let _ = self.ctx.register_table(name, old);
            }
            return Err(lake_error(format!("table {name}: {e}")));
        }
        Ok(())
    }

    /// The registered table names, sorted.
    fn tables(&self) -> Vec<String> {
        self.ctx.table_names()
    }

    /// A table's columns and the KQL types queries see (`string`, `long`, `datetime`,
    /// `dynamic`, ...), in order.
    fn schema(&self, py: Python<'_>, table: &str) -> PyResult<Vec<(String, String)>> {
        let names = self.ctx.table_names();
        if !names.iter().any(|n| n == table) {
            let mut msg = format!("no table named `{table}`");
            if let Some(best) = kql_engine::closest_names(table, names.iter().map(String::as_str)).first() {
                msg.push_str(&format!("; did you mean `{best}`?"));
            }
            return Err(PyKeyError::new_err(msg));
        }
        let columns = wait(py, self.ctx.table_columns(table))?.map_err(|e| engine_error(py, &e))?;
        Ok(columns.into_iter().map(|(name, t, _)| (name, t.name().to_owned())).collect())
    }

    /// Runs hunting rules (Sentinel YAML) over the connection's tables. See `kql_lake.connect`
    /// for the arguments' meaning; the Python wrapper normalises them.
    #[pyo3(signature = (rules, builtin, filters, tactics, techniques, tables, max_rows, concurrency))]
    #[allow(clippy::too_many_arguments)]
    fn _hunt(
        &self,
        py: Python<'_>,
        rules: Vec<PathBuf>,
        builtin: bool,
        filters: Vec<String>,
        tactics: Vec<String>,
        techniques: Vec<String>,
        tables: Vec<String>,
        max_rows: Option<usize>,
        concurrency: Option<usize>,
    ) -> PyResult<HuntReport> {
        let selection = rmm_rules::Selection { rules, builtin, patterns: filters, tactics, techniques, tables };
        let options = HuntOptions { selection, max_rows, concurrency };
        HuntReport::run(py, &self.ctx, &options)
    }

    /// The lake folder, if the connection opened one.
    #[getter]
    fn lake(&self) -> Option<PathBuf> {
        self.lake.clone()
    }

    /// The pinned query clock as given, or None for the wall clock.
    #[getter]
    fn now(&self) -> Option<String> {
        self.now.clone()
    }

    fn __repr__(&self) -> String {
        let lake = self.lake.as_ref().map_or_else(|| "None".to_owned(), |l| format!("'{}'", l.display()));
        let now = self.now.as_ref().map_or_else(|| "None".to_owned(), |n| format!("'{n}'"));
        format!("<kql_lake.Connection lake={lake} now={now} tables={}>", self.ctx.table_names().len())
    }
}

impl Connection {
    fn replace(&self, py: Python<'_>, name: &str, table: Arc<dyn datafusion::catalog::TableProvider>) -> PyResult<()> {
        let _ = self.ctx.session().deregister_table(datafusion::common::TableReference::bare(name));
        self.ctx.register_table(name, table).map_err(|e| engine_error(py, &e))
    }
}

fn check_name(name: &str) -> PyResult<()> {
    if name.trim().is_empty() {
        return Err(PyValueError::new_err("a table name cannot be empty"));
    }
    Ok(())
}

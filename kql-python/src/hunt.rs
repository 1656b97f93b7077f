//! `Connection.hunt`: the rule runner (`rmm_rules`) from Python, and its report as Arrow.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanArray, DurationNanosecondArray, Int64Array, ListBuilder, RecordBatch, StringArray, StringBuilder,
    UInt64Array,
};
use arrow::datatypes::{Field, Schema};
use kql_engine::KqlContext;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rmm_rules::{Report, Runner, Selection, SelectionError, Status};

use crate::errors::{KqlError, internal_error};
use crate::runtime::wait;

/// What to run and how (the arguments of `Connection.hunt`).
#[derive(Debug)]
pub(crate) struct HuntOptions {
    pub(crate) selection: Selection,
    pub(crate) max_rows: Option<usize>,
    pub(crate) concurrency: Option<usize>,
}

/// The outcome of a hunt: one row per rule (and per unreadable rule file).
#[pyclass(module = "kql_lake", frozen)]
#[derive(Debug)]
pub struct HuntReport {
    report: Report,
}

impl HuntReport {
    /// Loads, filters and runs the rules.
    pub(crate) fn run(py: Python<'_>, ctx: &KqlContext, o: &HuntOptions) -> PyResult<Self> {
        let catalog = o.selection.catalog().map_err(|e| match e {
            SelectionError::Load(e) => KqlError::new_err(format!("rules: {e}")),
            SelectionError::Pattern(e) => PyValueError::new_err(format!("filter: {e}")),
        })?;
        let mut runner = Runner::new(ctx.clone());
        if let Some(n) = o.max_rows {
            runner = runner.max_rows(n);
        }
        if let Some(n) = o.concurrency {
            if n == 0 {
                return Err(PyValueError::new_err("concurrency: must be at least 1"));
            }
            runner = runner.concurrency(n);
        }
        let report = wait(py, runner.run(&catalog))?;
        Ok(Self { report })
    }

    fn table(&self) -> PyResult<RecordBatch> {
        let results = &self.report.results;
        let problems = &self.report.problems;
        let n = results.len() + problems.len();
        let mut id = Vec::with_capacity(n);
        let mut name = Vec::with_capacity(n);
        let mut source = Vec::with_capacity(n);
        let mut status = Vec::with_capacity(n);
        let mut rows = Vec::with_capacity(n);
        let mut truncated = Vec::with_capacity(n);
        let mut scanned = Vec::with_capacity(n);
        let mut elapsed = Vec::with_capacity(n);
        let mut missing = ListBuilder::new(StringBuilder::new());
        let mut error = Vec::with_capacity(n);
        let mut line = Vec::with_capacity(n);
        let mut column = Vec::with_capacity(n);
        for r in results {
            id.push(Some(r.rule.id.clone()));
            name.push(Some(r.rule.name.clone()));
            source.push(r.rule.source.to_string());
            status.push(r.status.name().to_owned());
            rows.push(Some(r.row_count as u64));
            truncated.push(Some(r.truncated()));
            scanned.push(Some(r.rows_scanned));
            elapsed.push(Some(i64::try_from(r.elapsed.as_nanos()).unwrap_or(i64::MAX)));
            match &r.status {
                Status::Skipped { missing_tables } => {
                    missing.append_value(missing_tables.iter().map(Some));
                }
                _ => missing.append_null(),
            }
            match &r.status {
                Status::Failed(f) => {
                    error.push(Some(f.render(&r.rule, false)));
                    line.push(f.location.map(|l| l.0 as i64));
                    column.push(f.location.map(|l| l.1 as i64));
                }
                _ => {
                    error.push(None);
                    line.push(None);
                    column.push(None);
                }
            }
        }
        for p in problems {
            id.push(None);
            name.push(None);
            source.push(p.source.to_string());
            status.push("unreadable".to_owned());
            rows.push(None);
            truncated.push(None);
            scanned.push(None);
            elapsed.push(None);
            missing.append_null();
            error.push(Some(p.message.clone()));
            line.push(p.location.map(|l| l.0 as i64));
            column.push(p.location.map(|l| l.1 as i64));
        }
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(StringArray::from(id))),
            ("name", Arc::new(StringArray::from(name))),
            ("source", Arc::new(StringArray::from(source))),
            ("status", Arc::new(StringArray::from(status))),
            ("rows", Arc::new(UInt64Array::from(rows))),
            ("truncated", Arc::new(BooleanArray::from(truncated))),
            ("rows_scanned", Arc::new(UInt64Array::from(scanned))),
            ("elapsed", Arc::new(DurationNanosecondArray::from(elapsed))),
            ("missing_tables", Arc::new(missing.finish())),
            ("error", Arc::new(StringArray::from(error))),
            ("error_line", Arc::new(Int64Array::from(line))),
            ("error_column", Arc::new(Int64Array::from(column))),
        ];
        let fields: Vec<Field> =
            columns.iter().map(|(name, c)| Field::new(*name, c.data_type().clone(), true)).collect();
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns.into_iter().map(|(_, c)| c).collect())
            .map_err(|e| internal_error(format!("the hunt report table: {e}")))
    }
}

#[pymethods]
impl HuntReport {
    /// A text table of the rules (status, rows, rows scanned, time), then the failures with
    /// their located errors, as `kql hunt` prints it.
    fn summary(&self) -> String {
        self.report.summary()
    }

    /// One row per rule: `id`, `name`, `source`, `status` (`hits`, `no hits`, `skipped`,
    /// `failed`, or `unreadable` for a rule file that could not be read), `rows`, `truncated`,
    /// `rows_scanned`, `elapsed`, `missing_tables`, `error` (drawn with a caret), `error_line`,
    /// `error_column` (in the rule's file). A `pyarrow.Table`.
    fn to_arrow<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let batch = self.table()?;
        let schema = batch.schema();
        pyo3_arrow::PyTable::try_new(vec![batch], schema)?.into_pyarrow(py)
    }

    /// The rows a rule returned (at most `max_rows`), by rule id or name, as a `pyarrow.Table`.
    fn rows<'py>(&self, py: Python<'py>, rule: &str) -> PyResult<Bound<'py, PyAny>> {
        let found = self
            .report
            .results
            .iter()
            .find(|r| r.rule.id == rule)
            .or_else(|| self.report.results.iter().find(|r| r.rule.name == rule));
        let Some(r) = found else {
            return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                "no rule with id or name `{rule}` in this report"
            )));
        };
        let schema = match r.batches.first() {
            Some(b) => b.schema(),
            None => Arc::new(Schema::empty()),
        };
        pyo3_arrow::PyTable::try_new(r.batches.clone(), schema)?.into_pyarrow(py)
    }

    /// The number of rules in each status: `hits`, `no_hits`, `skipped`, `failed`,
    /// `unreadable`.
    fn counts(&self) -> std::collections::BTreeMap<&'static str, usize> {
        let c = self.report.counts();
        [
            ("hits", c.hits),
            ("no_hits", c.no_hits),
            ("skipped", c.skipped),
            ("failed", c.failed),
            ("unreadable", c.unreadable),
        ]
        .into_iter()
        .collect()
    }

    /// One JSON object per rule and per unreadable file, a line each (as `kql hunt --format
    /// ndjson` writes).
    fn to_jsonl(&self) -> PyResult<String> {
        let mut out = Vec::new();
        self.report.write_jsonl(&mut out).map_err(|e| KqlError::new_err(e.to_string()))?;
        String::from_utf8(out).map_err(|e| internal_error(e.to_string()))
    }

    /// The Arrow PyCapsule stream of `to_arrow()`'s table.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, pyo3::types::PyCapsule>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let batch = self.table()?;
        let schema = batch.schema();
        let reader = arrow::array::RecordBatchIterator::new(vec![Ok(batch)], schema);
        crate::result::export_stream(py, Box::new(reader), requested_schema)
    }

    fn __len__(&self) -> usize {
        self.report.results.len() + self.report.problems.len()
    }

    fn __repr__(&self) -> String {
        let c = self.report.counts();
        format!(
            "<kql_lake.HuntReport {} rules: {} with hits, {} without, {} skipped, {} failed, {} unreadable>",
            self.report.results.len(),
            c.hits,
            c.no_hits,
            c.skipped,
            c.failed,
            c.unreadable
        )
    }
}

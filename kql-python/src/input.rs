//! Python data as tables: anything that speaks the Arrow PyCapsule interface (pyarrow
//! `Table`/`RecordBatch`/`RecordBatchReader`, polars and pandas frames, DuckDB relations), and
//! pandas frames through pyarrow where they do not.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3_arrow::input::AnyRecordBatch;

/// The rows of `data`, read through the Arrow C interfaces (the buffers are shared, not copied).
pub(crate) fn read_batches(data: &Bound<'_, PyAny>) -> PyResult<(SchemaRef, Vec<RecordBatch>)> {
    let py = data.py();
    let arrow_object =
        if data.hasattr(intern!(py, "__arrow_c_stream__"))? || data.hasattr(intern!(py, "__arrow_c_array__"))? {
            data.clone()
        } else if is_pandas_frame(data)? {
            py.import(intern!(py, "pyarrow"))?
                .getattr(intern!(py, "Table"))?
                .call_method1(intern!(py, "from_pandas"), (data,))?
        } else {
            let kind = data.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "cannot register a {kind}: give a pyarrow Table, RecordBatch or RecordBatchReader, a polars or \
             pandas DataFrame, or any object with __arrow_c_stream__"
            )));
        };
    let input: AnyRecordBatch = arrow_object.extract()?;
    let reader = input.into_reader()?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(|e| PyTypeError::new_err(e.to_string()))?;
    Ok((Arc::clone(&schema), batches))
}

fn is_pandas_frame(data: &Bound<'_, PyAny>) -> PyResult<bool> {
    let module: String = data.get_type().getattr(intern!(data.py(), "__module__"))?.extract()?;
    Ok(module.starts_with("pandas"))
}

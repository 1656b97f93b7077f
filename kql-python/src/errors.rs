//! The exception hierarchy and how engine errors become Python exceptions.
//!
//! ```text
//! KqlError                  every error this package raises
//! ├── ParseError            the text is not valid KQL
//! ├── PlanError             valid KQL, wrong for these tables (unknown column, type error)
//! │   └── NotSupportedError KQL this engine does not run yet
//! ├── ExecutionError        reading files or running the plan failed
//! ├── LakeError             a lake, table or file could not be registered or read
//! └── InternalError         a bug in kql-lake (a caught panic included)
//! ```
//!
//! Errors about a place in the query carry `line`, `column` (1-based), `span` (character
//! offsets into the query string, so `query[span[0]:span[1]]` is the offending text), `help`,
//! `query` and `rendered`: the message drawn with the source line and a caret, exactly as the
//! `kql` CLI prints it, which is also `str(error)`.

use kql_engine::KqlError as EngineError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(kql_lake, KqlError, PyException, "Any error raised by kql_lake.");
create_exception!(kql_lake, ParseError, KqlError, "The query text is not valid KQL.");
create_exception!(
    kql_lake,
    PlanError,
    KqlError,
    "The query is valid KQL but wrong for these tables (an unknown table or column, a type error)."
);
create_exception!(kql_lake, NotSupportedError, PlanError, "The query uses KQL that kql_lake does not run yet.");
create_exception!(kql_lake, ExecutionError, KqlError, "Running the query failed (reading files, executing the plan).");
create_exception!(kql_lake, LakeError, KqlError, "A lake, table or file could not be registered or read.");
create_exception!(kql_lake, InternalError, KqlError, "A bug in kql_lake (please report it with the query).");

/// Adds the exception classes to the module.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("KqlError", py.get_type::<KqlError>())?;
    m.add("ParseError", py.get_type::<ParseError>())?;
    m.add("PlanError", py.get_type::<PlanError>())?;
    m.add("NotSupportedError", py.get_type::<NotSupportedError>())?;
    m.add("ExecutionError", py.get_type::<ExecutionError>())?;
    m.add("LakeError", py.get_type::<LakeError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// An internal error (a bug, or a runtime that cannot start).
pub(crate) fn internal_error(message: impl Into<String>) -> PyErr {
    let message = format!("internal error (a bug in kql_lake): {}", message.into());
    InternalError::new_err(message)
}

/// A [`LakeError`] with this message.
pub(crate) fn lake_error(message: impl Into<String>) -> PyErr {
    LakeError::new_err(message.into())
}

/// An engine error about `query` (which may be empty when the error is not about a query).
pub(crate) fn query_error(py: Python<'_>, e: &EngineError, query: &str) -> PyErr {
    let message = e.to_string();
    let rendered = match e.span() {
        Some(_) => e.render_named(query, "query", false).trim_end().to_owned(),
        None => message.clone(),
    };
    let err = match e {
        EngineError::Parse(_) => ParseError::new_err(rendered.clone()),
        EngineError::Plan(_) => PlanError::new_err(rendered.clone()),
        EngineError::NotSupported(_) => NotSupportedError::new_err(rendered.clone()),
        EngineError::Lake(_) => LakeError::new_err(rendered.clone()),
        EngineError::Internal(_) => InternalError::new_err(rendered.clone()),
        EngineError::DataFusion(_) => ExecutionError::new_err(rendered.clone()),
    };
    let (line, column, span) = match e.span() {
        Some(span) if span.start <= query.len() => {
            let lc = span.line_col(query);
            let chars = |byte: usize| query.get(..byte.min(query.len())).map_or(0, |s| s.chars().count());
            (Some(lc.line), Some(lc.column), Some((chars(span.start), chars(span.end))))
        }
        _ => (None, None, None),
    };
    let value = err.value(py);
    let set = |name: &str, v: Bound<'_, PyAny>| value.setattr(name, v);
    let attrs = (|| -> PyResult<()> {
        set("message", message.into_pyobject(py)?.into_any())?;
        set("rendered", rendered.into_pyobject(py)?.into_any())?;
        set("query", query.into_pyobject(py)?.into_any())?;
        set("line", line.into_pyobject(py)?)?;
        set("column", column.into_pyobject(py)?)?;
        set("span", span.into_pyobject(py)?)?;
        set("help", e.help().into_pyobject(py)?)?;
        Ok(())
    })();
    match attrs {
        Ok(()) => err,
        Err(e) => e,
    }
}

/// An engine error that is not about a query text (registering tables, reading rules).
pub(crate) fn engine_error(py: Python<'_>, e: &EngineError) -> PyErr {
    query_error(py, e, "")
}

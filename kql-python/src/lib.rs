//! `kql_lake._native`: the Rust half of the `kql-lake` Python package.
//!
//! KQL hunts over Parquet lakes from Python, with results handed to pyarrow, polars, pandas and
//! DuckDB through the Arrow PyCapsule interface (no copy). The engine is [`kql_engine`]; this
//! crate only translates: Python arguments to engine settings, engine errors to Python
//! exceptions, result streams to Arrow C streams. The pure-Python part of the package
//! (`python/kql_lake`) adds argument normalisation, the notebook magic and the type stubs.
//!
//! Every call that runs a query releases the GIL and waits on one shared tokio runtime in
//! short slices, checking for Ctrl-C between them, so a notebook can interrupt a query and
//! other Python threads keep running. No Rust panic crosses into Python: each one becomes a
//! `kql_lake.InternalError`.

// The library is a Python module; `rlib` exists so the workspace's clippy sees it.
#![allow(unreachable_pub)]

mod connection;
mod errors;
mod hunt;
mod input;
mod result;
mod runtime;

use pyo3::prelude::*;

/// The native module: classes, the `connect` entry point and the exception hierarchy.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<connection::Connection>()?;
    m.add_class::<result::QueryResult>()?;
    m.add_class::<result::BatchIterator>()?;
    m.add_class::<hunt::HuntReport>()?;
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

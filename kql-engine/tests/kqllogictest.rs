//! KQL logic tests: every `tests/kql/*.slt` file is run by the `sqllogictest` crate against a
//! fresh `KqlContext` (one per file). Records are written in KQL:
//!
//! ```text
//! statement ok
//! .set-or-replace T <| datatable(s:string, n:long) ["a", 1, "b", 2]
//!
//! query TI rowsort
//! T | where s has "a"
//! ----
//! a 1
//! ```
//!
//! `.set-or-replace T <| query` (Kusto's own control command) stores the result as a Parquet
//! file and registers it as table `T`, so queries scan real Parquet; `.set-or-replace T with
//! (strings=dictionary, time=ms) <| query` stores other physical types. `.set-now <datetime>`
//! pins `now()`. Column types: `T` string, `I` integer, `R` real, `B` bool, `P` datetime,
//! `S` timespan, `D` dynamic. Values: `NULL`, `(empty)` for `""`, datetimes as
//! `2024-01-01T00:00:00Z`, timespans as Kusto prints them, arrays as JSON.
//!
//! Run one file: `cargo test -p kql-engine --test kqllogictest -- has`; rewrite expected
//! results: `cargo test -p kql-engine --test kqllogictest -- has --complete`.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::dataframe::DataFrameWriteOptions;
use kql_engine::KqlContext;
use kql_engine::functions::tostring::{format_real, format_timespan, text_at};
use sqllogictest::{AsyncDB, ColumnType, DBOutput, Runner};

#[derive(Debug, Clone, PartialEq, Eq)]
enum KqlColumn {
    Text,
    Integer,
    Real,
    Bool,
    DateTime,
    TimeSpan,
    Dynamic,
    Any,
}

impl ColumnType for KqlColumn {
    fn from_char(value: char) -> Option<Self> {
        Some(match value {
            'T' => Self::Text,
            'I' => Self::Integer,
            'R' => Self::Real,
            'B' => Self::Bool,
            'P' => Self::DateTime,
            'S' => Self::TimeSpan,
            'D' => Self::Dynamic,
            _ => Self::Any,
        })
    }
    fn to_char(&self) -> char {
        match self {
            Self::Text => 'T',
            Self::Integer => 'I',
            Self::Real => 'R',
            Self::Bool => 'B',
            Self::DateTime => 'P',
            Self::TimeSpan => 'S',
            Self::Dynamic => 'D',
            Self::Any => '?',
        }
    }
}

fn column_type(f: &Field) -> KqlColumn {
    if kql_engine::dynamic::has_json_extension(f) {
        return KqlColumn::Dynamic;
    }
    data_column_type(f.data_type())
}

fn data_column_type(t: &DataType) -> KqlColumn {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlColumn::Text,
        DataType::Dictionary(_, v) => data_column_type(v),
        t if t.is_integer() => KqlColumn::Integer,
        t if t.is_floating() => KqlColumn::Real,
        DataType::Boolean => KqlColumn::Bool,
        DataType::Timestamp(..) => KqlColumn::DateTime,
        DataType::Duration(_) => KqlColumn::TimeSpan,
        DataType::List(_) | DataType::LargeList(_) => KqlColumn::Dynamic,
        _ => KqlColumn::Any,
    }
}

#[derive(Debug)]
struct TestError(String);

impl std::fmt::Display for TestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TestError {}

fn err(e: impl std::fmt::Display) -> TestError {
    TestError(e.to_string())
}

fn kql_err(e: kql_engine::KqlError) -> TestError {
    match e.help() {
        Some(h) => TestError(format!("{e} ({h})")),
        None => TestError(e.to_string()),
    }
}

/// One cell as text (a `dynamic` string bare, other `dynamic` values as Kusto's JSON).
fn cell(field: &Field, array: &ArrayRef, row: usize) -> Result<String, TestError> {
    if array.is_null(row) {
        return Ok("NULL".into());
    }
    if kql_engine::dynamic::has_json_extension(field) {
        let s = kql_engine::format::field_text_value(field, array.as_ref(), row).map_err(err)?;
        return Ok(if s.is_empty() { "(empty)".into() } else { s });
    }
    Ok(match array.data_type() {
        DataType::Timestamp(..) => {
            let ns = cast(&array.slice(row, 1), &DataType::Timestamp(TimeUnit::Nanosecond, None)).map_err(err)?;
            testdata::format_rfc3339(
                ns.as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>().value(0),
            )
        }
        DataType::Duration(_) => {
            let ns = cast(&array.slice(row, 1), &DataType::Duration(TimeUnit::Nanosecond)).map_err(err)?;
            format_timespan(ns.as_primitive::<datafusion::arrow::datatypes::DurationNanosecondType>().value(0))
        }
        DataType::Boolean => array.as_boolean().value(row).to_string(),
        DataType::Float64 => format_real(array.as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(row)),
        _ => {
            let s = text_at(array.as_ref(), row).map_err(err)?;
            if s.is_empty() { "(empty)".into() } else { s }
        }
    })
}

struct KqlDb {
    ctx: KqlContext,
    dir: tempfile::TempDir,
}

impl KqlDb {
    fn new() -> Result<Self, TestError> {
        Ok(Self { ctx: KqlContext::new(), dir: tempfile::tempdir().map_err(err)? })
    }

    /// `.set-or-replace T [with (strings=..., time=...)] <| query`
    async fn set_or_replace(&mut self, rest: &str) -> Result<u64, TestError> {
        let (head, query) = rest.split_once("<|").ok_or_else(|| err(".set-or-replace T <| query"))?;
        let head = head.trim();
        let (name, options) = match head.split_once(" with ") {
            Some((n, o)) => (n.trim(), o.trim().trim_start_matches('(').trim_end_matches(')')),
            None => (head, ""),
        };
        let batches = self.ctx.kql(query).await.map_err(kql_err)?.collect().await.map_err(err)?;
        let batches = convert(batches, options)?;
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        let path = self.dir.path().join(format!("{name}.parquet"));
        let _ = self.ctx.session().deregister_table(datafusion::common::TableReference::bare(name));
        let df = self.ctx.session().read_batches(batches).map_err(err)?;
        df.write_parquet(
            path.to_str().unwrap_or_default(),
            DataFrameWriteOptions::new().with_single_file_output(true),
            None,
        )
        .await
        .map_err(err)?;
        self.ctx.register_parquet(name, &path).await.map_err(kql_err)?;
        Ok(rows as u64)
    }
}

/// Applies `strings=dictionary|large|view, time=s|ms|us|ns, utc=false` to stored tables.
fn convert(batches: Vec<RecordBatch>, options: &str) -> Result<Vec<RecordBatch>, TestError> {
    if options.is_empty() || batches.is_empty() {
        return Ok(batches);
    }
    let mut strings = None;
    let mut unit = None;
    let mut utc = true;
    for o in options.split(',') {
        match o.trim().split_once('=').map(|(k, v)| (k.trim(), v.trim())) {
            Some(("strings", "dictionary")) => {
                strings = Some(DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8)))
            }
            Some(("strings", "large")) => strings = Some(DataType::LargeUtf8),
            Some(("strings", "view")) => strings = Some(DataType::Utf8View),
            Some(("time", u)) => {
                unit = Some(match u {
                    "s" => TimeUnit::Second,
                    "ms" => TimeUnit::Millisecond,
                    "us" => TimeUnit::Microsecond,
                    _ => TimeUnit::Nanosecond,
                })
            }
            Some(("utc", "false")) => utc = false,
            _ => return Err(err(format!("unknown table option `{o}`"))),
        }
    }
    let schema = batches[0].schema();
    let target = |t: &DataType| match t {
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8 => strings.clone().unwrap_or(t.clone()),
        DataType::Timestamp(u, _) => DataType::Timestamp(unit.unwrap_or(*u), utc.then(|| "UTC".into())),
        other => other.clone(),
    };
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            // A `dynamic` column stays JSON text, whatever the string layout asked for.
            if kql_engine::dynamic::has_json_extension(f) {
                f.as_ref().clone()
            } else {
                Field::new(f.name(), target(f.data_type()), true)
            }
        })
        .collect();
    let new_schema = Arc::new(Schema::new(fields));
    batches
        .into_iter()
        .map(|b| {
            let cols = b
                .columns()
                .iter()
                .zip(new_schema.fields())
                .map(|(c, f)| cast(c, f.data_type()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?;
            RecordBatch::try_new(Arc::clone(&new_schema), cols).map_err(err)
        })
        .collect()
}

#[async_trait::async_trait]
impl AsyncDB for KqlDb {
    type Error = TestError;
    type ColumnType = KqlColumn;

    async fn run(&mut self, text: &str) -> Result<DBOutput<KqlColumn>, TestError> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix(".set-or-replace ") {
            return Ok(DBOutput::StatementComplete(self.set_or_replace(rest).await?));
        }
        if let Some(rest) = text.strip_prefix(".set-now ") {
            let ns = testdata::parse_rfc3339(rest.trim()).map_err(err)?;
            self.ctx.set_now(Some(ns));
            return Ok(DBOutput::StatementComplete(0));
        }
        let df = self.ctx.kql(text).await.map_err(kql_err)?;
        let schema = df.schema().clone();
        let batches = df.collect().await.map_err(err)?;
        let types = schema.fields().iter().map(|f| column_type(f.as_ref())).collect();
        let mut rows = Vec::new();
        for b in &batches {
            for r in 0..b.num_rows() {
                rows.push(
                    b.columns()
                        .iter()
                        .zip(b.schema().fields())
                        .map(|(c, f)| cell(f, c, r))
                        .collect::<Result<Vec<_>, _>>()?,
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    async fn shutdown(&mut self) {}
}

fn files(filter: &[String]) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/kql");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "slt")).collect()
        })
        .unwrap_or_default();
    out.retain(|p| filter.is_empty() || filter.iter().any(|f| p.to_string_lossy().contains(f.as_str())));
    out.sort();
    out
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let complete = args.iter().any(|a| a == "--complete");
    let filter: Vec<String> = args.iter().filter(|a| !a.starts_with('-')).cloned().collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let files = files(&filter);
    let mut failed = 0;
    for file in &files {
        let result = runtime.block_on(async {
            let mut runner = Runner::new(|| async { KqlDb::new() });
            if complete {
                runner
                    .update_test_file(
                        file,
                        " ",
                        sqllogictest::default_validator,
                        sqllogictest::default_normalizer,
                        sqllogictest::strict_column_validator,
                    )
                    .await
                    .map_err(|e| e.to_string())
            } else {
                runner.with_column_validator(sqllogictest::strict_column_validator);
                runner.run_file_async(file).await.map_err(|e| e.display(true).to_string())
            }
        });
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        match result {
            Ok(()) => println!("ok    {name}"),
            Err(e) => {
                failed += 1;
                println!("FAIL  {name}\n{e}\n");
            }
        }
    }
    println!("{} file(s), {failed} failed", files.len());
    if failed == 0 && !files.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

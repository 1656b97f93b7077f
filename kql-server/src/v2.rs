//! The v2 answer (`response2.md`): a JSON array of frames, one per line, streamed while the
//! query runs: `DataSetHeader`, a `QueryProperties` table (`@ExtendedProperties`, with each
//! result's `render` visualization), one `PrimaryResult` table per result, a
//! `QueryCompletionInformation` table and `DataSetCompletion`. `FrameType` comes first in every
//! frame and `Rows` last, the order streaming parsers read them in.
//!
//! With `results_v2_fragment_primary_tables` (the Go SDK asks for it) each primary table is a
//! `TableHeader`, one `TableFragment` per batch and a `TableCompletion`. An error once the
//! answer has started (a failing scan, the time or row limit) is written where clients look for
//! it: as an error object in the table's rows, then in `DataSetCompletion`'s `OneApiErrors`.
//! Frames are written as batches arrive and sent through a small bounded channel, so a large
//! result is never held whole, and a client that goes away stops the query.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::response::Response;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use futures::StreamExt;
use kql_engine::KqlResult;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::error::{ApiError, json_content};
use crate::{Admitted, Limits, timeout_error};
use kql_engine::planner::KqlType;

/// Bytes gathered before a chunk is sent.
const CHUNK: usize = 64 << 10;

/// Starts the streamed answer.
pub(crate) fn respond(a: Admitted, results: Vec<KqlResult>) -> Response {
    let limits = a.limits;
    let (tx, mut rx) = mpsc::channel::<Bytes>(4);
    let fragmented = a.request.flag("results_v2_fragment_primary_tables");
    let (activity, request_id) = (a.activity.clone(), a.request_id.clone());
    tokio::spawn(async move {
        let mut w = Writer { tx, buf: Vec::with_capacity(CHUNK), frames: 0, gone: false };
        write_dataset(&mut w, &a, results, limits, fragmented).await;
        w.flush().await;
        drop(a);
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).map(Ok::<_, std::convert::Infallible>);
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = StatusCode::OK;
    json_content(&mut r);
    crate::ids(&mut r, &activity, &request_id);
    r
}

/// Frames into chunks into the channel.
struct Writer {
    tx: mpsc::Sender<Bytes>,
    buf: Vec<u8>,
    frames: usize,
    /// The client went away: stop working.
    gone: bool,
}

impl Writer {
    /// Starts a frame (the array's `[` or the separator).
    fn open(&mut self) {
        self.buf.extend_from_slice(if self.frames == 0 { b"[" } else { b"\r\n," });
        self.frames += 1;
    }

    fn frame(&mut self, v: &Value) {
        self.open();
        self.value(v);
    }

    fn value(&mut self, v: &Value) {
        // Writing JSON into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, v);
    }

    fn raw(&mut self, s: &str) {
        self.buf.extend_from_slice(s.as_bytes());
    }

    async fn maybe_flush(&mut self) {
        if self.buf.len() >= CHUNK {
            self.flush().await;
        }
    }

    async fn flush(&mut self) {
        if self.buf.is_empty() || self.gone {
            return;
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        if self.tx.send(chunk).await.is_err() {
            self.gone = true;
        }
    }
}

fn columns(schema: &SchemaRef) -> (Vec<KqlType>, Value) {
    let kinds: Vec<KqlType> = schema.fields().iter().map(|f| crate::values::kind_of(f)).collect();
    let cols = schema
        .fields()
        .iter()
        .zip(&kinds)
        .map(|(f, k)| json!({"ColumnName": f.name(), "ColumnType": k.name()}))
        .collect();
    (kinds, Value::Array(cols))
}

/// Writes a batch's rows as JSON arrays, each preceded by `,` unless it is the table's first;
/// `false` when the limit stopped it.
fn rows(w: &mut Writer, batch: &RecordBatch, kinds: &[KqlType], written: &mut u64, limit: u64) -> Result<bool, String> {
    for r in 0..batch.num_rows() {
        if *written >= limit {
            return Ok(false);
        }
        let row = crate::values::row(batch, kinds, r).map_err(|e| e.to_string())?;
        if *written > 0 {
            w.raw(",");
        }
        w.value(&row);
        *written += 1;
    }
    Ok(true)
}

/// What stopped a table early.
fn error_object(e: &ApiError, a: &Admitted) -> Value {
    json!({"OneApiErrors": [e.body(&a.activity, &a.request_id)]})
}

fn too_many_rows(limit: u64) -> ApiError {
    ApiError::status(StatusCode::OK, "LimitsExceeded", crate::values::too_many_rows(limit))
}

/// One primary table; `Err` when it stopped on an error (already written into its rows).
async fn table(
    w: &mut Writer,
    a: &Admitted,
    id: usize,
    result: KqlResult,
    limits: Limits,
    fragmented: bool,
) -> Result<(), ApiError> {
    let name = result.name.clone().unwrap_or_else(|| "PrimaryResult".to_owned());
    let started = tokio::time::timeout_at(limits.deadline, result.frame.execute_stream()).await;
    let mut stream = match started {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let err = ApiError::query(&kql_engine::KqlError::from(e), &a.request.csl);
            return empty_table_with_error(w, a, id, &name, fragmented, err);
        }
        Err(_) => return empty_table_with_error(w, a, id, &name, fragmented, timeout_error()),
    };
    let schema = stream.schema();
    let (kinds, cols) = columns(&schema);
    if fragmented {
        w.frame(&json!({"FrameType": "TableHeader", "TableId": id, "TableKind": "PrimaryResult", "TableName": name, "Columns": cols}));
    } else {
        w.open();
        w.raw(&format!(
            "{{\"FrameType\":\"DataTable\",\"TableId\":{id},\"TableKind\":\"PrimaryResult\",\"TableName\":{},\"Columns\":{cols},\"Rows\":[",
            Value::String(name.clone())
        ));
    }
    let mut written = 0u64;
    let mut failure: Option<ApiError> = None;
    loop {
        if w.gone {
            return Ok(());
        }
        let next = match tokio::time::timeout_at(limits.deadline, stream.next()).await {
            Ok(next) => next,
            Err(_) => {
                failure = Some(timeout_error());
                break;
            }
        };
        let batch = match next {
            None => break,
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                failure = Some(ApiError::query(&kql_engine::KqlError::from(e), &a.request.csl));
                break;
            }
        };
        if batch.num_rows() == 0 {
            continue;
        }
        let more = if fragmented {
            w.open();
            w.raw(&format!(
                "{{\"FrameType\":\"TableFragment\",\"TableFragmentType\":\"DataAppend\",\"TableId\":{id},\"Rows\":["
            ));
            let mut local = 0u64;
            let more = rows(w, &batch, &kinds, &mut local, limits.rows - written);
            written += local;
            w.raw("]}");
            more
        } else {
            rows(w, &batch, &kinds, &mut written, limits.rows)
        };
        match more {
            Ok(true) => {}
            Ok(false) => failure = Some(too_many_rows(limits.rows)),
            Err(e) => failure = Some(ApiError::status(StatusCode::OK, "Internal service error", e)),
        }
        if failure.is_some() {
            break;
        }
        w.maybe_flush().await;
    }
    drop(stream);
    if fragmented {
        if let Some(e) = &failure {
            w.frame(&json!({"FrameType": "TableFragment", "TableFragmentType": "DataAppend", "TableId": id, "Rows": [error_object(e, a)]}));
        }
        w.frame(&json!({"FrameType": "TableCompletion", "TableId": id, "RowCount": written}));
    } else {
        if let Some(e) = &failure {
            if written > 0 {
                w.raw(",");
            }
            w.value(&error_object(e, a));
        }
        w.raw("]}");
    }
    failure.map_or(Ok(()), Err)
}

fn empty_table_with_error(
    w: &mut Writer,
    a: &Admitted,
    id: usize,
    name: &str,
    fragmented: bool,
    err: ApiError,
) -> Result<(), ApiError> {
    let rows = json!([error_object(&err, a)]);
    if fragmented {
        w.frame(&json!({"FrameType": "TableHeader", "TableId": id, "TableKind": "PrimaryResult", "TableName": name, "Columns": []}));
        w.frame(&json!({"FrameType": "TableFragment", "TableFragmentType": "DataAppend", "TableId": id, "Rows": rows}));
        w.frame(&json!({"FrameType": "TableCompletion", "TableId": id, "RowCount": 0}));
    } else {
        w.frame(&json!({"FrameType": "DataTable", "TableId": id, "TableKind": "PrimaryResult", "TableName": name, "Columns": [], "Rows": rows}));
    }
    Err(err)
}

async fn write_dataset(w: &mut Writer, a: &Admitted, results: Vec<KqlResult>, limits: Limits, fragmented: bool) {
    w.frame(&json!({
        "FrameType": "DataSetHeader",
        "IsProgressive": false,
        "Version": "v2.0",
        "IsFragmented": fragmented,
        "ErrorReportingPlacement": "EndOfTable",
    }));
    let properties: Vec<Value> = results
        .iter()
        .enumerate()
        .filter_map(|(k, r)| {
            r.visualization.as_ref().map(|v| json!([k + 1, "Visualization", v.to_kusto_json().to_string()]))
        })
        .collect();
    w.frame(&json!({
        "FrameType": "DataTable",
        "TableId": 0,
        "TableKind": "QueryProperties",
        "TableName": "@ExtendedProperties",
        "Columns": [
            {"ColumnName": "TableId", "ColumnType": "int"},
            {"ColumnName": "Key", "ColumnType": "string"},
            {"ColumnName": "Value", "ColumnType": "dynamic"},
        ],
        "Rows": properties,
    }));
    let started = chrono::Utc::now();
    let mut errors: Vec<Value> = Vec::new();
    let count = results.len();
    for (k, result) in results.into_iter().enumerate() {
        if let Err(e) = table(w, a, k + 1, result, limits, fragmented).await {
            errors.push(e.body(&a.activity, &a.request_id));
            break;
        }
        if w.gone {
            return;
        }
        w.maybe_flush().await;
    }
    let (level, level_name, status, status_name) =
        if errors.is_empty() { (4, "Info", 0, "S_OK (0)") } else { (2, "Error", -2_133_196_797_i64, "E_QUERY_FAILED") };
    let payload =
        json!({"ExecutionTime": (chrono::Utc::now() - started).num_milliseconds() as f64 / 1000.0, "results": count});
    w.frame(&json!({
        "FrameType": "DataTable",
        "TableId": count + 1,
        "TableKind": "QueryCompletionInformation",
        "TableName": "QueryCompletionInformation",
        "Columns": [
            {"ColumnName": "Timestamp", "ColumnType": "datetime"},
            {"ColumnName": "ClientRequestId", "ColumnType": "string"},
            {"ColumnName": "ActivityId", "ColumnType": "guid"},
            {"ColumnName": "SubActivityId", "ColumnType": "guid"},
            {"ColumnName": "ParentActivityId", "ColumnType": "guid"},
            {"ColumnName": "Level", "ColumnType": "int"},
            {"ColumnName": "LevelName", "ColumnType": "string"},
            {"ColumnName": "StatusCode", "ColumnType": "int"},
            {"ColumnName": "StatusCodeName", "ColumnType": "string"},
            {"ColumnName": "EventType", "ColumnType": "int"},
            {"ColumnName": "EventTypeName", "ColumnType": "string"},
            {"ColumnName": "Payload", "ColumnType": "string"},
        ],
        "Rows": [[
            crate::values::datetime_wire(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()),
            a.request_id, a.activity, a.activity, a.activity,
            level, level_name, status, status_name, 14, "QueryInfo", payload.to_string(),
        ]],
    }));
    let mut done = json!({"FrameType": "DataSetCompletion", "HasErrors": !errors.is_empty(), "Cancelled": false});
    if !errors.is_empty()
        && let Some(o) = done.as_object_mut()
    {
        o.insert("OneApiErrors".to_owned(), Value::Array(errors));
    }
    w.frame(&done);
    w.raw("\r\n]");
}

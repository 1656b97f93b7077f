//! The v1 answer (`response.md`): `{"Tables": [...]}`, each table with `TableName`, `Columns`
//! (`ColumnName`, `DataType` as a .NET name, `ColumnType`) and `Rows`.
//!
//! A query answers its results (`Table_0`, ...), then `@ExtendedProperties`, a `QueryStatus`
//! table and the table of contents that names them (`Ordinal`, `KqlType`, `Name`, `Id`,
//! `PrettyName`), as Kusto does; a management command answers exactly one table. A v1 answer is
//! written whole, within the request's row limit.

use axum::http::StatusCode;
use axum::response::Response;
use datafusion::arrow::array::RecordBatch;
use futures::StreamExt;
use kql_engine::KqlResult;
use serde_json::{Value, json};

use crate::error::{ApiError, json_content};
use crate::{Admitted, Limits, timeout_error};
use kql_engine::planner::KqlType;

/// A v1 table: name, columns (name, kind) and rows.
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) columns: Vec<(String, KqlType)>,
    pub(crate) rows: Vec<Value>,
}

impl Table {
    pub(crate) fn json(&self) -> Value {
        let columns: Vec<Value> = self
            .columns
            .iter()
            .map(|(n, k)| json!({"ColumnName": n, "DataType": crate::values::net_name(*k), "ColumnType": k.name()}))
            .collect();
        json!({"TableName": self.name, "Columns": columns, "Rows": self.rows})
    }
}

/// An answer of `tables`.
pub(crate) fn answer(a: &Admitted, tables: &[Table]) -> Response {
    let body = json!({"Tables": tables.iter().map(Table::json).collect::<Vec<_>>()});
    let mut r = Response::new(axum::body::Body::from(body.to_string()));
    *r.status_mut() = StatusCode::OK;
    json_content(&mut r);
    crate::ids(&mut r, &a.activity, &a.request_id);
    r
}

fn batch_rows(batch: &RecordBatch, kinds: &[KqlType], out: &mut Vec<Value>, limit: u64) -> Result<bool, ApiError> {
    for r in 0..batch.num_rows() {
        if out.len() as u64 >= limit {
            return Ok(false);
        }
        let row = crate::values::row(batch, kinds, r).map_err(|e| {
            ApiError::status(StatusCode::INTERNAL_SERVER_ERROR, "Internal service error", e.to_string())
        })?;
        out.push(row);
    }
    Ok(true)
}

async fn collect(a: &Admitted, k: usize, result: KqlResult, limits: Limits) -> Result<Table, ApiError> {
    let run = async {
        let mut stream = result.frame.execute_stream().await.map_err(|e| ApiError::query(&e.into(), &a.request.csl))?;
        let schema = stream.schema();
        let kinds: Vec<KqlType> = schema.fields().iter().map(|f| crate::values::kind_of(f)).collect();
        let mut rows = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch.map_err(|e| ApiError::query(&e.into(), &a.request.csl))?;
            if !batch_rows(&batch, &kinds, &mut rows, limits.rows)? {
                return Err(ApiError::bad_request(crate::values::too_many_rows(limits.rows)));
            }
        }
        let columns = schema.fields().iter().zip(kinds).map(|(f, k)| (f.name().clone(), k)).collect();
        Ok(Table { name: format!("Table_{k}"), columns, rows })
    };
    tokio::time::timeout_at(limits.deadline, run).await.unwrap_or_else(|_| Err(timeout_error()))
}

/// Runs the results and answers them whole.
pub(crate) async fn respond(a: Admitted, results: Vec<KqlResult>) -> Response {
    let limits = a.limits;
    let mut tables = Vec::new();
    let visualizations: Vec<Option<Value>> =
        results.iter().map(|r| r.visualization.as_ref().map(kql_engine::Visualization::to_kusto_json)).collect();
    let names: Vec<String> =
        results.iter().map(|r| r.name.clone().unwrap_or_else(|| "PrimaryResult".to_owned())).collect();
    for (k, result) in results.into_iter().enumerate() {
        match collect(&a, k, result, limits).await {
            Ok(t) => tables.push(t),
            Err(e) => return e.response(&a.activity, &a.request_id),
        }
    }
    let n = tables.len();
    let properties = visualizations
        .iter()
        .enumerate()
        .filter_map(|(k, v)| v.as_ref().map(|v| json!([k, "Visualization", v.to_string()])))
        .collect();
    tables.push(Table {
        name: format!("Table_{n}"),
        columns: vec![
            ("TableId".into(), KqlType::Int),
            ("Key".into(), KqlType::String),
            ("Value".into(), KqlType::Dynamic),
        ],
        rows: properties,
    });
    tables.push(Table {
        name: format!("Table_{}", n + 1),
        columns: vec![
            ("Timestamp".into(), KqlType::DateTime),
            ("Severity".into(), KqlType::Int),
            ("SeverityName".into(), KqlType::String),
            ("StatusCode".into(), KqlType::Int),
            ("StatusDescription".into(), KqlType::String),
            ("Count".into(), KqlType::Int),
            ("RequestId".into(), KqlType::String),
            ("ActivityId".into(), KqlType::String),
            ("SubActivityId".into(), KqlType::String),
            ("ClientActivityId".into(), KqlType::String),
        ],
        rows: vec![json!([
            crate::values::datetime_wire(chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()),
            4,
            "Info",
            0,
            "Query completed successfully",
            1,
            a.activity,
            a.activity,
            a.activity,
            a.request_id
        ])],
    });
    let mut toc: Vec<Value> = names
        .iter()
        .enumerate()
        .map(|(k, name)| json!([k, "QueryResult", name, uuid::Uuid::new_v4().to_string(), ""]))
        .collect();
    toc.push(json!([n, "QueryProperties", "@ExtendedProperties", uuid::Uuid::new_v4().to_string(), ""]));
    toc.push(json!([n + 1, "QueryStatus", "QueryStatus", uuid::Uuid::new_v4().to_string(), ""]));
    tables.push(Table {
        name: format!("Table_{}", n + 2),
        columns: vec![
            ("Ordinal".into(), KqlType::Long),
            ("KqlType".into(), KqlType::String),
            ("Name".into(), KqlType::String),
            ("Id".into(), KqlType::String),
            ("PrettyName".into(), KqlType::String),
        ],
        rows: toc,
    });
    answer(&a, &tables)
}

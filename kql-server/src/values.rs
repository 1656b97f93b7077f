//! Result columns in Kusto's wire encoding: the column type names of the v2 (`ColumnType`) and
//! v1 (`DataType`, .NET names) answers, and each cell as JSON the way Kusto writes it.
//!
//! Datetimes are ISO 8601 with seven fractional digits and `Z`
//! (`2024-06-01T12:00:00.0000000Z`); timespans `[-][d.]hh:mm:ss[.fffffff]`; reals are JSON
//! numbers, and `NaN`, `Infinity`, `-Infinity` strings; `dynamic` values are embedded JSON;
//! decimals are strings (the engine's decimal text); strings are never null (a null string is `""`).

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::Field;
use datafusion::error::Result;
use kql_engine::format::{field_json_value, json_value, nanos};
use kql_engine::planner::KqlType;
use serde_json::Value;

/// The KQL type of a result field as the wire names it: a `dynamic` column is UTF-8 JSON with
/// the `arrow.json` extension (or binary JSON); types KQL has no name for travel as strings.
pub(crate) fn kind_of(field: &Field) -> KqlType {
    if kql_engine::dynamic::has_json_extension(field) {
        return KqlType::Dynamic;
    }
    wire(KqlType::of(field.data_type()))
}

/// `t`, with the types KQL has no name for as `string`.
pub(crate) fn wire(t: KqlType) -> KqlType {
    match t {
        KqlType::Null | KqlType::Other => KqlType::String,
        t => t,
    }
}

/// The .NET type name of the v1 answer's `DataType`: [`KqlType::clr_name`] without its
/// namespace (`Int64`, `SqlDecimal`, `Object`).
pub(crate) fn net_name(t: KqlType) -> &'static str {
    t.clr_name().rsplit('.').next().unwrap_or("Object")
}

/// A datetime (nanoseconds since the epoch) as Kusto's wire text: seven fractional digits.
pub(crate) fn datetime_wire(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let ticks = ns.rem_euclid(1_000_000_000) / 100;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(d) => format!("{}.{ticks:07}Z", d.format("%Y-%m-%dT%H:%M:%S")),
        None => kql_engine::format::datetime_text(ns),
    }
}

/// Row `i` of a result column, encoded for the wire.
pub(crate) fn cell(field: &Field, kind: KqlType, array: &dyn Array, i: usize) -> Result<Value> {
    if array.is_null(i) {
        return Ok(if kind == KqlType::String { Value::String(String::new()) } else { Value::Null });
    }
    Ok(match kind {
        KqlType::DateTime => nanos(array, i).map_or(Value::Null, |ns| Value::String(datetime_wire(ns))),
        KqlType::Dynamic => field_json_value(field, array, i)?,
        _ => json_value(array, i)?,
    })
}

/// Row `r` of a batch, each cell encoded for the wire.
pub(crate) fn row(batch: &datafusion::arrow::array::RecordBatch, kinds: &[KqlType], r: usize) -> Result<Value> {
    let schema = batch.schema();
    let cells = schema
        .fields()
        .iter()
        .zip(kinds)
        .zip(batch.columns())
        .map(|((f, k), c)| cell(f, *k, c.as_ref(), r))
        .collect::<Result<Vec<Value>>>()?;
    Ok(Value::Array(cells))
}

/// The message of a result cut at the row limit (Kusto's `E_QUERY_RESULT_SET_TOO_LARGE`).
pub(crate) fn too_many_rows(limit: u64) -> String {
    format!(
        "Query result set has exceeded the internal record count limit {limit} (E_QUERY_RESULT_SET_TOO_LARGE; \
         set truncationmaxrecords or notruncation, or narrow the query)"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn datetimes_have_seven_digits() {
        assert_eq!(super::datetime_wire(0), "1970-01-01T00:00:00.0000000Z");
        assert_eq!(super::datetime_wire(1_500_000_100), "1970-01-01T00:00:01.5000001Z");
        assert_eq!(super::datetime_wire(-100), "1969-12-31T23:59:59.9999999Z");
    }
}

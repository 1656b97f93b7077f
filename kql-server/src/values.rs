//! Result columns in Kusto's wire encoding: the column type names of the v2 (`ColumnType`) and
//! v1 (`DataType`, .NET names) answers, and each cell as JSON the way Kusto writes it.
//!
//! Datetimes are ISO 8601 with seven fractional digits and `Z`
//! (`2024-06-01T12:00:00.0000000Z`); timespans `[-][d.]hh:mm:ss[.fffffff]`; reals are JSON
//! numbers, and `NaN`, `Infinity`, `-Infinity` strings; `dynamic` values are embedded JSON;
//! decimals are strings; strings are never null (a null string is `""`).

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::Field;
use datafusion::error::Result;
use kql_engine::format::{field_json_value, json_value, nanos};
use kql_engine::planner::KqlType;
use serde_json::Value;

/// A result column's kind, as the wire encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    Int,
    Long,
    Real,
    Decimal,
    String,
    DateTime,
    TimeSpan,
    Dynamic,
}

impl Kind {
    /// The kind of a result field (a `dynamic` column is UTF-8 JSON with the `arrow.json`
    /// extension, or binary JSON).
    pub(crate) fn of(field: &Field) -> Self {
        if kql_engine::dynamic::has_json_extension(field) {
            return Self::Dynamic;
        }
        Self::from_kql(KqlType::of(field.data_type()))
    }

    /// The kind of a KQL type (types KQL has no name for travel as strings).
    pub(crate) fn from_kql(t: KqlType) -> Self {
        match t {
            KqlType::Bool => Self::Bool,
            KqlType::Int => Self::Int,
            KqlType::Long => Self::Long,
            KqlType::Real => Self::Real,
            KqlType::Decimal => Self::Decimal,
            KqlType::DateTime => Self::DateTime,
            KqlType::TimeSpan => Self::TimeSpan,
            KqlType::Dynamic => Self::Dynamic,
            KqlType::String | KqlType::Null | KqlType::Other => Self::String,
        }
    }

    /// The KQL type name (v2 `ColumnType`, v1 `ColumnType`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Bool => "bool",
            Self::Int => "int",
            Self::Long => "long",
            Self::Real => "real",
            Self::Decimal => "decimal",
            Self::String => "string",
            Self::DateTime => "datetime",
            Self::TimeSpan => "timespan",
            Self::Dynamic => "dynamic",
        }
    }

    /// The .NET type name of the v1 answer's `DataType`.
    pub(crate) fn clr_name(self) -> &'static str {
        match self {
            Self::Bool => "Boolean",
            Self::Int => "Int32",
            Self::Long => "Int64",
            Self::Real => "Double",
            Self::Decimal => "Decimal",
            Self::String => "String",
            Self::DateTime => "DateTime",
            Self::TimeSpan => "TimeSpan",
            Self::Dynamic => "Object",
        }
    }
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
pub(crate) fn cell(field: &Field, kind: Kind, array: &dyn Array, i: usize) -> Result<Value> {
    if array.is_null(i) {
        return Ok(if kind == Kind::String { Value::String(String::new()) } else { Value::Null });
    }
    Ok(match kind {
        Kind::DateTime => nanos(array, i).map_or(Value::Null, |ns| Value::String(datetime_wire(ns))),
        Kind::Decimal => {
            let text = match json_value(array, i)? {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s,
                other => other.to_string(),
            };
            // A decimal's text without the column scale's trailing zeros, as .NET prints it.
            let trimmed = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { &text };
            Value::String(trimmed.to_owned())
        }
        Kind::Dynamic => field_json_value(field, array, i)?,
        _ => json_value(array, i)?,
    })
}

/// Row `r` of a batch, each cell encoded for the wire.
pub(crate) fn row(batch: &datafusion::arrow::array::RecordBatch, kinds: &[Kind], r: usize) -> Result<Value> {
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

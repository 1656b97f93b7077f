//! Values as Kusto shows them, for any Arrow layout: text for tables and CSV, JSON for
//! machine output. Datetimes are ISO 8601 UTC with a `Z` (`2024-06-01T12:00:00Z`, the
//! fraction only when present), timespans `[-][d.]hh:mm:ss[.fffffff]`, `dynamic` values as
//! Kusto's compact JSON (a `dynamic` string bare in text); nulls are `null` in JSON and empty in
//! text.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};
use datafusion::error::Result;
use serde_json::{Map, Number, Value};

use crate::dynamic::Dyn;
use crate::functions::tostring::{format_real, format_timespan};

/// A datetime (nanoseconds since the Unix epoch) as `2024-06-01T12:00:00Z`, with a fraction
/// (up to 7 digits, Kusto's 100 ns ticks) only when it is not zero.
pub fn datetime_text(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let Some(d) = chrono::DateTime::from_timestamp(secs, 0) else { return format!("<{ns} ns>") };
    let base = d.format("%Y-%m-%dT%H:%M:%S").to_string();
    let ticks = nanos / 100;
    if ticks == 0 {
        format!("{base}Z")
    } else {
        let digits = format!("{ticks:07}");
        format!("{base}.{}Z", digits.trim_end_matches('0'))
    }
}

fn unit_nanos(u: TimeUnit) -> i64 {
    match u {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    }
}

/// The nanoseconds of row `i` of a timestamp or duration column (none for other types, or
/// when the value overflows 64-bit nanoseconds).
pub fn nanos(array: &dyn Array, i: usize) -> Option<i64> {
    use datafusion::arrow::datatypes as t;
    let (v, u) = match array.data_type() {
        DataType::Timestamp(u, _) => (
            match u {
                TimeUnit::Second => array.as_primitive::<t::TimestampSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<t::TimestampMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<t::TimestampMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<t::TimestampNanosecondType>().value(i),
            },
            *u,
        ),
        DataType::Duration(u) => (
            match u {
                TimeUnit::Second => array.as_primitive::<t::DurationSecondType>().value(i),
                TimeUnit::Millisecond => array.as_primitive::<t::DurationMillisecondType>().value(i),
                TimeUnit::Microsecond => array.as_primitive::<t::DurationMicrosecondType>().value(i),
                TimeUnit::Nanosecond => array.as_primitive::<t::DurationNanosecondType>().value(i),
            },
            *u,
        ),
        _ => return None,
    };
    v.checked_mul(unit_nanos(u))
}

/// Row `i` of `array` as JSON.
pub fn json_value(array: &dyn Array, i: usize) -> Result<Value> {
    use datafusion::arrow::datatypes as t;
    if array.is_null(i) {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(i)),
        DataType::Int8 => Value::from(array.as_primitive::<t::Int8Type>().value(i)),
        DataType::Int16 => Value::from(array.as_primitive::<t::Int16Type>().value(i)),
        DataType::Int32 => Value::from(array.as_primitive::<t::Int32Type>().value(i)),
        DataType::Int64 => Value::from(array.as_primitive::<t::Int64Type>().value(i)),
        DataType::UInt8 => Value::from(array.as_primitive::<t::UInt8Type>().value(i)),
        DataType::UInt16 => Value::from(array.as_primitive::<t::UInt16Type>().value(i)),
        DataType::UInt32 => Value::from(array.as_primitive::<t::UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(array.as_primitive::<t::UInt64Type>().value(i)),
        DataType::Float32 | DataType::Float64 => {
            let v = match array.data_type() {
                DataType::Float32 => f64::from(array.as_primitive::<t::Float32Type>().value(i)),
                _ => array.as_primitive::<t::Float64Type>().value(i),
            };
            // JSON has no NaN or infinity: Kusto writes them as strings.
            Number::from_f64(v).map_or_else(|| Value::String(format_real(v)), Value::Number)
        }
        DataType::Timestamp(..) => nanos(array, i).map_or(Value::Null, |n| Value::String(datetime_text(n))),
        DataType::Duration(_) => nanos(array, i).map_or(Value::Null, |n| Value::String(format_timespan(n))),
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let values: ArrayRef = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(i),
                DataType::LargeList(_) => array.as_list::<i64>().value(i),
                _ => array.as_fixed_size_list().value(i),
            };
            Value::Array((0..values.len()).map(|j| json_value(values.as_ref(), j)).collect::<Result<_>>()?)
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut map = Map::new();
            for (f, c) in fields.iter().zip(s.columns()) {
                map.insert(f.name().clone(), json_value(c.as_ref(), i)?);
            }
            Value::Object(map)
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::Map(..) => {
            crate::dynamic::arrow::to_dyn(array, i)?.to_serde()
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Value::String(string(array, i)?),
        // Decimals are text (JSON numbers would lose digits), without trailing zeros.
        DataType::Decimal128(..) | DataType::Decimal256(..) => {
            Value::String(crate::functions::tostring::decimal_text(array, i)?)
        }
        _ => {
            let plain = cast(&array.slice(i, 1), &DataType::Utf8)?;
            json_value(plain.as_ref(), 0)?
        }
    })
}

fn string(array: &dyn Array, i: usize) -> Result<String> {
    Ok(crate::functions::string_at(array, i)?.unwrap_or("").to_owned())
}

/// Row `i` of a result column as JSON, knowing its field: a `dynamic` column (UTF-8 JSON text
/// with the `arrow.json` extension type, as query results give it) is the JSON value itself.
pub fn field_json_value(field: &Field, array: &dyn Array, i: usize) -> Result<Value> {
    if crate::dynamic::has_json_extension(field) && !array.is_null(i) {
        let text = string(array, i)?;
        return Ok(Dyn::parse(text.as_bytes()).to_serde());
    }
    json_value(array, i)
}

/// Row `i` of a result column as text, knowing its field: a `dynamic` string without quotes,
/// other `dynamic` values as their JSON.
pub fn field_text_value(field: &Field, array: &dyn Array, i: usize) -> Result<String> {
    if crate::dynamic::has_json_extension(field) && !array.is_null(i) {
        let text = string(array, i)?;
        return Ok(Dyn::parse(text.as_bytes()).to_text());
    }
    text_value(array, i)
}

/// Row `i` of `array` as text: strings exactly as stored, nulls empty, other values as in
/// JSON (without quotes for scalars).
pub fn text_value(array: &dyn Array, i: usize) -> Result<String> {
    if array.is_null(i) {
        return Ok(String::new());
    }
    Ok(match json_value(array, i)? {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Every row of `batch` as a JSON object (columns in order).
pub fn json_rows(batch: &RecordBatch) -> Result<Vec<Map<String, Value>>> {
    let schema = batch.schema();
    (0..batch.num_rows())
        .map(|r| {
            let mut row = Map::new();
            for (f, c) in schema.fields().iter().zip(batch.columns()) {
                row.insert(f.name().clone(), field_json_value(f, c.as_ref(), r)?);
            }
            Ok(row)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{DurationNanosecondArray, ListArray, StringArray, TimestampMicrosecondArray};
    use datafusion::arrow::datatypes::Int64Type;

    use super::*;

    #[test]
    fn kusto_renderings() {
        let t = TimestampMicrosecondArray::from(vec![Some(1_717_243_200_000_000), Some(1_717_243_200_123_400), None]);
        assert_eq!(json_value(&t, 0).expect("value"), Value::String("2024-06-01T12:00:00Z".into()));
        assert_eq!(json_value(&t, 1).expect("value"), Value::String("2024-06-01T12:00:00.1234Z".into()));
        assert_eq!(json_value(&t, 2).expect("value"), Value::Null);
        let d = DurationNanosecondArray::from(vec![90_061_000_000_000]);
        assert_eq!(text_value(&d, 0).expect("value"), "1.01:01:01");
        let l = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1), Some(2)])]);
        assert_eq!(text_value(&l, 0).expect("value"), "[1,2]");
        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("a\"b"), None]));
        assert_eq!(text_value(s.as_ref(), 0).expect("value"), "a\"b");
        assert_eq!(json_value(s.as_ref(), 1).expect("value"), Value::Null);
        assert_eq!(
            json_value(&datafusion::arrow::array::Float64Array::from(vec![f64::NAN]), 0).expect("value"),
            Value::String("NaN".into())
        );
    }
}

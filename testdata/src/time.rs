//! Time: the generator keeps nanoseconds since the Unix epoch and writes whatever unit the
//! physical types ask for (flooring, so whole seconds stay exact in every unit).

use std::sync::Arc;

use arrow::array::{
    ArrayRef, TimestampMicrosecondArray, TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
};
use arrow::datatypes::TimeUnit;

use crate::schema::PhysicalTypes;

/// Nanoseconds per second.
pub(crate) const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// Nanoseconds per day.
pub(crate) const NANOS_PER_DAY: i64 = 86_400 * NANOS_PER_SECOND;

/// A timestamp column from nanosecond values, in the configured unit and zone.
pub(crate) fn timestamp_array(ns: impl Iterator<Item = Option<i64>>, physical: &PhysicalTypes) -> ArrayRef {
    let per = match physical.time_unit {
        TimeUnit::Second => NANOS_PER_SECOND,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    let values: Vec<Option<i64>> = ns.map(|v| v.map(|v| v.div_euclid(per))).collect();
    let tz = physical.utc.then_some("UTC");
    match physical.time_unit {
        TimeUnit::Second => Arc::new(TimestampSecondArray::from(values).with_timezone_opt(tz)),
        TimeUnit::Millisecond => Arc::new(TimestampMillisecondArray::from(values).with_timezone_opt(tz)),
        TimeUnit::Microsecond => Arc::new(TimestampMicrosecondArray::from(values).with_timezone_opt(tz)),
        TimeUnit::Nanosecond => Arc::new(TimestampNanosecondArray::from(values).with_timezone_opt(tz)),
    }
}

/// RFC 3339 with a `Z`, fraction only when present (`2024-06-01T12:00:00Z`).
pub fn format_rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(NANOS_PER_SECOND);
    let frac = ns.rem_euclid(NANOS_PER_SECOND);
    let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
        return format!("<{ns} ns>");
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if frac == 0 {
        format!("{base}Z")
    } else {
        let digits = format!("{frac:09}");
        format!("{base}.{}Z", digits.trim_end_matches('0'))
    }
}

/// Parses RFC 3339 (`2024-06-01T12:00:00Z`, offsets allowed) into nanoseconds.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let dt = chrono::DateTime::parse_from_rfc3339(text.trim())
        .map_err(|e| format!("`{text}` is not an RFC 3339 time such as 2024-06-01T12:00:00Z: {e}"))?;
    dt.timestamp_nanos_opt().ok_or_else(|| format!("`{text}` is outside the range of nanosecond timestamps"))
}

/// The UTC date (`YYYY-MM-DD`) of a time, for hive partitions.
pub(crate) fn date_of(ns: i64) -> String {
    chrono::DateTime::from_timestamp(ns.div_euclid(NANOS_PER_SECOND), 0)
        .map_or_else(|| "1970-01-01".to_owned(), |d| d.format("%Y-%m-%d").to_string())
}

/// Row `i` of a timestamp column (any unit), in nanoseconds.
pub(crate) fn nanos_at(array: &dyn arrow::array::Array, i: usize) -> Option<i64> {
    use arrow::array::AsArray as _;
    use arrow::datatypes::{
        DataType, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
    };
    if array.is_null(i) {
        return None;
    }
    Some(match array.data_type() {
        DataType::Timestamp(TimeUnit::Second, _) => {
            array.as_primitive::<TimestampSecondType>().value(i) * NANOS_PER_SECOND
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            array.as_primitive::<TimestampMillisecondType>().value(i) * 1_000_000
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            array.as_primitive::<TimestampMicrosecondType>().value(i) * 1_000
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => array.as_primitive::<TimestampNanosecondType>().value(i),
        _ => return None,
    })
}

//! KQL's types over Arrow's (spec §3), and literals.
//!
//! | KQL | Arrow |
//! |---|---|
//! | `string` | `Utf8`, `LargeUtf8`, `Utf8View`, or a dictionary of those |
//! | `long` / `int` | `Int64` / `Int32` (other integer widths read as `long`) |
//! | `real` | `Float64` (`Float32` reads as `real`) |
//! | `bool` | `Boolean` |
//! | `datetime` | `Timestamp` in any unit, with or without a zone (always read as UTC) |
//! | `timespan` | `Duration` (literals are nanoseconds) |
//! | `dynamic` | JSON text in `Binary`/`LargeBinary`/`BinaryView`, or Arrow's `List`, `Struct`, `Map` (see [`crate::dynamic`]) |

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use kql_parser::Span;
use kql_parser::ast::{Dynamic, Literal, Real, ScalarType};

use crate::dynamic::Dyn;
use crate::error::{KqlError, Result};

/// The KQL type of an Arrow type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KqlType {
    /// `bool`
    Bool,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `real`
    Real,
    /// `decimal`
    Decimal,
    /// `string`
    String,
    /// `datetime`
    DateTime,
    /// `timespan`
    TimeSpan,
    /// `dynamic`
    Dynamic,
    /// An untyped null.
    Null,
    /// Something KQL has no name for.
    Other,
}

impl KqlType {
    /// Classifies an Arrow type.
    pub fn of(t: &DataType) -> Self {
        match t {
            DataType::Boolean => Self::Bool,
            DataType::Int32 | DataType::Int16 | DataType::Int8 | DataType::UInt8 | DataType::UInt16 => Self::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => Self::Long,
            DataType::Float64 | DataType::Float32 | DataType::Float16 => Self::Real,
            DataType::Decimal128(..) | DataType::Decimal256(..) => Self::Decimal,
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Self::String,
            DataType::Dictionary(_, v) => Self::of(v),
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => Self::DateTime,
            DataType::Duration(_) | DataType::Interval(_) => Self::TimeSpan,
            t if crate::dynamic::is_dynamic_type(t) => Self::Dynamic,
            DataType::Null => Self::Null,
            _ => Self::Other,
        }
    }

    /// The KQL name.
    pub fn name(self) -> &'static str {
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
            Self::Null => "null",
            Self::Other => "an unsupported type",
        }
    }

    /// The .NET type name Kusto reports for the type (`getschema`'s `DataType`, schema
    /// answers): `System.String`, `System.Int64`, ...
    pub fn clr_name(self) -> &'static str {
        match self {
            Self::Bool => "System.Boolean",
            Self::Int => "System.Int32",
            Self::Long => "System.Int64",
            Self::Real => "System.Double",
            Self::Decimal => "System.Data.SqlTypes.SqlDecimal",
            Self::String => "System.String",
            Self::DateTime => "System.DateTime",
            Self::TimeSpan => "System.TimeSpan",
            Self::Dynamic | Self::Null | Self::Other => "System.Object",
        }
    }

    /// `int`, `long`, `real` or `decimal`.
    pub fn is_numeric(self) -> bool {
        matches!(self, Self::Int | Self::Long | Self::Real | Self::Decimal)
    }
}

/// The Arrow type for a KQL type name.
pub(crate) fn arrow_type(t: ScalarType) -> DataType {
    match t {
        ScalarType::Bool => DataType::Boolean,
        ScalarType::Int => DataType::Int32,
        ScalarType::Long => DataType::Int64,
        ScalarType::Real => DataType::Float64,
        ScalarType::Decimal => DataType::Decimal128(38, 10),
        ScalarType::String | ScalarType::Guid => DataType::Utf8,
        ScalarType::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        ScalarType::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
        ScalarType::Dynamic => crate::dynamic::DYNAMIC_TYPE,
    }
}

/// A datetime literal: nanoseconds when they fit, microseconds otherwise (years 1 to 9999).
pub(crate) fn datetime_scalar(d: kql_parser::ast::DateTime) -> ScalarValue {
    match d.unix_nanos() {
        Some(ns) => ScalarValue::TimestampNanosecond(Some(ns), Some("UTC".into())),
        None => ScalarValue::TimestampMicrosecond(Some(d.unix_micros()), Some("UTC".into())),
    }
}

/// A literal's value.
pub(crate) fn literal(l: &Literal, span: Span) -> Result<ScalarValue> {
    Ok(match l {
        Literal::Null(t) => ScalarValue::try_from(&arrow_type(*t)).map_err(|e| KqlError::Internal(e.to_string()))?,
        Literal::Bool(b) => ScalarValue::Boolean(Some(*b)),
        Literal::Int(i) => ScalarValue::Int32(Some(*i)),
        Literal::Long(v) => ScalarValue::Int64(Some(*v)),
        Literal::Real(Real(v)) => ScalarValue::Float64(Some(*v)),
        Literal::String(s) | Literal::Guid(s) => ScalarValue::Utf8(Some(s.clone())),
        Literal::DateTime(d) => datetime_scalar(*d),
        Literal::TimeSpan(t) => ScalarValue::DurationNanosecond(Some(
            t.nanos().ok_or_else(|| KqlError::plan(span, "this timespan is too long (over 292 years)"))?,
        )),
        Literal::Decimal(d) => ScalarValue::try_from_string(d.clone(), &DataType::Decimal128(38, 10))
            .map_err(|_| KqlError::plan(span, format!("`{d}` does not fit a decimal with 10 fraction digits")))?,
        Literal::Dynamic(d) => dynamic(d),
    })
}

/// A `dynamic` literal as JSON text (`dynamic(null)` is the null value).
fn dynamic(d: &Dynamic) -> ScalarValue {
    match dynamic_value(d) {
        Dyn::Null => ScalarValue::Binary(None),
        v => ScalarValue::Binary(Some(v.to_json().into_bytes())),
    }
}

/// A `dynamic` literal's value. Typed literals inside it keep their kind: numbers and booleans
/// as themselves, datetimes, timespans and GUIDs as Kusto's text for them.
pub(crate) fn dynamic_value(d: &Dynamic) -> Dyn {
    match d {
        Dynamic::Null => Dyn::Null,
        Dynamic::Array(items) => Dyn::Array(items.iter().map(dynamic_value).collect()),
        Dynamic::Object(pairs) => {
            let mut map = indexmap::IndexMap::with_capacity(pairs.len());
            for (k, v) in pairs {
                map.insert(k.clone(), dynamic_value(v));
            }
            Dyn::Bag(map)
        }
        Dynamic::Scalar(l) => match l {
            Literal::Null(_) => Dyn::Null,
            Literal::Bool(b) => Dyn::Bool(*b),
            Literal::Int(i) => Dyn::Long(i64::from(*i)),
            Literal::Long(v) => Dyn::Long(*v),
            Literal::Real(Real(v)) => Dyn::Real(*v),
            Literal::String(s) | Literal::Guid(s) => Dyn::String(s.clone()),
            Literal::Decimal(d) => d.parse::<f64>().map_or_else(|_| Dyn::String(d.clone()), Dyn::Real),
            Literal::DateTime(d) => Dyn::String(match d.unix_nanos() {
                Some(ns) => crate::functions::tostring::format_datetime(ns),
                None => d.to_string(),
            }),
            Literal::TimeSpan(t) => Dyn::String(t.to_kusto_string()),
            Literal::Dynamic(inner) => dynamic_value(inner),
        },
    }
}

/// The elements of a literal list value: a `dynamic` array is flattened (spec §5.3) into
/// scalars of their kind (nested arrays and bags stay `dynamic`).
pub(crate) fn flatten(v: ScalarValue) -> Vec<ScalarValue> {
    match v {
        ScalarValue::List(list) => {
            let values = list.value(0);
            (0..values.len()).filter_map(|i| ScalarValue::try_from_array(&values, i).ok()).collect()
        }
        ScalarValue::Binary(Some(bytes))
        | ScalarValue::LargeBinary(Some(bytes))
        | ScalarValue::BinaryView(Some(bytes)) => match Dyn::parse(&bytes) {
            Dyn::Array(items) => items.iter().map(scalar_of).collect(),
            other => vec![scalar_of(&other)],
        },
        other => vec![other],
    }
}

/// A `dynamic` value as the scalar literal of its kind.
pub(crate) fn scalar_of(v: &Dyn) -> ScalarValue {
    match v {
        Dyn::Null => ScalarValue::Null,
        Dyn::Bool(b) => ScalarValue::Boolean(Some(*b)),
        Dyn::Long(x) => ScalarValue::Int64(Some(*x)),
        Dyn::Real(x) => ScalarValue::Float64(Some(*x)),
        Dyn::String(s) => ScalarValue::Utf8(Some(s.clone())),
        other => ScalarValue::Binary(Some(other.to_json().into_bytes())),
    }
}

/// How a comparison with a time literal may round it to the column's unit without changing
/// the result (columns hold whole units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// `>=` and `<`: round up.
    Up,
    /// `<=` and `>`: round down.
    Down,
    /// `==`: only an exact value can be equal.
    Exact,
}

/// A time literal (nanoseconds) re-expressed in the unit and zone of `target`, so the
/// comparison needs no cast of the column and Parquet statistics can prune. `None` when
/// `target` is not a timestamp or the value does not fit.
pub(crate) fn timestamp_for(target: &DataType, ns: i64, rounding: Rounding) -> Option<ScalarValue> {
    let DataType::Timestamp(unit, tz) = target else { return None };
    let per: i64 = match unit {
        TimeUnit::Second => 1_000_000_000,
        TimeUnit::Millisecond => 1_000_000,
        TimeUnit::Microsecond => 1_000,
        TimeUnit::Nanosecond => 1,
    };
    let down = ns.div_euclid(per);
    let v = match rounding {
        Rounding::Down => down,
        Rounding::Up => down + i64::from(ns.rem_euclid(per) != 0),
        Rounding::Exact => {
            if ns.rem_euclid(per) != 0 {
                return None;
            }
            down
        }
    };
    let tz = tz.clone();
    Some(match unit {
        TimeUnit::Second => ScalarValue::TimestampSecond(Some(v), tz),
        TimeUnit::Millisecond => ScalarValue::TimestampMillisecond(Some(v), tz),
        TimeUnit::Microsecond => ScalarValue::TimestampMicrosecond(Some(v), tz),
        TimeUnit::Nanosecond => ScalarValue::TimestampNanosecond(Some(v), tz),
    })
}

/// The nanoseconds of a timestamp literal of any unit (`None` on overflow or non-timestamps).
pub(crate) fn timestamp_nanos(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::TimestampSecond(Some(x), _) => x.checked_mul(1_000_000_000),
        ScalarValue::TimestampMillisecond(Some(x), _) => x.checked_mul(1_000_000),
        ScalarValue::TimestampMicrosecond(Some(x), _) => x.checked_mul(1_000),
        ScalarValue::TimestampNanosecond(Some(x), _) => Some(*x),
        _ => None,
    }
}

/// The nanoseconds of a timespan literal.
pub(crate) fn duration_nanos(v: &ScalarValue) -> Option<i64> {
    match v {
        ScalarValue::DurationSecond(Some(x)) => x.checked_mul(1_000_000_000),
        ScalarValue::DurationMillisecond(Some(x)) => x.checked_mul(1_000_000),
        ScalarValue::DurationMicrosecond(Some(x)) => x.checked_mul(1_000),
        ScalarValue::DurationNanosecond(Some(x)) => Some(*x),
        _ => None,
    }
}

/// A timestamp literal in nanoseconds (UTC).
pub(crate) fn timestamp_scalar(ns: i64) -> ScalarValue {
    ScalarValue::TimestampNanosecond(Some(ns), Some("UTC".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_literals_round_to_the_column_unit() {
        let us = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let t = 1_500; // 1.5 µs
        assert_eq!(
            timestamp_for(&us, t, Rounding::Up),
            Some(ScalarValue::TimestampMicrosecond(Some(2), Some("UTC".into())))
        );
        assert_eq!(
            timestamp_for(&us, t, Rounding::Down),
            Some(ScalarValue::TimestampMicrosecond(Some(1), Some("UTC".into())))
        );
        assert_eq!(timestamp_for(&us, t, Rounding::Exact), None);
        assert_eq!(
            timestamp_for(&us, -1_500, Rounding::Down),
            Some(ScalarValue::TimestampMicrosecond(Some(-2), Some("UTC".into())))
        );
        let naive = DataType::Timestamp(TimeUnit::Second, None);
        assert_eq!(
            timestamp_for(&naive, 3_000_000_000, Rounding::Exact),
            Some(ScalarValue::TimestampSecond(Some(3), None))
        );
    }
}

//! Conversions of `dynamic` values to scalar types: `tolong(d)`, `toint`, `toreal`/`todouble`,
//! `tobool`, `todatetime`, `totimespan`, `toguid`, `todecimal`, and the implicit conversions
//! Kusto applies when a `dynamic` meets a typed value (`d.Count > 5`, `d.Name == "x"`). A value
//! that does not convert is null, never an error.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder, Int32Builder, Int64Builder, StringBuilder,
    TimestampNanosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use kql_parser::ast::{DateTime, TimeSpan};

use crate::dynamic::{Dyn, JsonRows};

/// The scalar type a `dynamic` converts to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Target {
    /// `long`
    Long,
    /// `int`
    Int,
    /// `real`
    Real,
    /// `bool`
    Bool,
    /// `datetime`
    DateTime,
    /// `timespan`
    TimeSpan,
    /// `guid` (as its text)
    Guid,
    /// `string` (`tostring`)
    String,
}

impl Target {
    fn name(self) -> &'static str {
        match self {
            Self::Long => "long",
            Self::Int => "int",
            Self::Real => "real",
            Self::Bool => "bool",
            Self::DateTime => "datetime",
            Self::TimeSpan => "timespan",
            Self::Guid => "guid",
            Self::String => "string",
        }
    }

    /// The Arrow type of the result.
    pub fn data_type(self) -> DataType {
        match self {
            Self::Long => DataType::Int64,
            Self::Int => DataType::Int32,
            Self::Real => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            Self::TimeSpan => DataType::Duration(TimeUnit::Nanosecond),
            Self::Guid | Self::String => DataType::Utf8,
        }
    }
}

/// `kql_dynamic_to_<type>(d)` and `kql_conform_<type>(d)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DynamicTo {
    pub(crate) target: Target,
    /// Cast-only (`to typeof(T)`): a value not already of the target kind is null.
    pub(crate) cast_only: bool,
    name: String,
    signature: Signature,
}

/// `d` converted to `target`.
pub fn dynamic_to(target: Target, d: Expr) -> Expr {
    call(target, false, d)
}

/// `d` as a `target` value when it is one (or, for datetimes, timespans and GUIDs, a string of
/// that form, which is how a `dynamic` holds them), null otherwise: `mv-expand ... to
/// typeof(T)` ("cast-only, no parsing or conversion", `mv-expand-operator.md`).
pub fn conform(target: Target, d: Expr) -> Expr {
    call(target, true, d)
}

fn call(target: Target, cast_only: bool, d: Expr) -> Expr {
    udf(target, cast_only).call(vec![d])
}

/// The UDF converting to `target` (`cast_only`: [`conform`]).
pub(crate) fn udf(target: Target, cast_only: bool) -> ScalarUDF {
    let kind = if cast_only { "conform" } else { "dynamic_to" };
    ScalarUDF::new_from_impl(DynamicTo {
        target,
        cast_only,
        name: format!("kql_{kind}_{}", target.name()),
        signature: Signature::any(1, Volatility::Immutable),
    })
}

/// The value when it has the target's kind, else null.
fn conforming(target: Target, v: Dyn) -> Dyn {
    match (target, &v) {
        (Target::Long, Dyn::Long(_)) | (Target::Real, Dyn::Real(_)) | (Target::Bool, Dyn::Bool(_)) => v,
        (Target::Int, Dyn::Long(x)) if i32::try_from(*x).is_ok() => v,
        (Target::Real, Dyn::Long(x)) => Dyn::Real(*x as f64),
        (Target::String, Dyn::String(_)) => v,
        (Target::DateTime, Dyn::String(_)) if to_datetime(&v).is_some() => v,
        (Target::TimeSpan, Dyn::String(_)) if to_timespan(&v).is_some() => v,
        (Target::Guid, Dyn::String(_)) if to_guid(&v).is_some() => v,
        _ => Dyn::Null,
    }
}

/// A value as a `long`: integers as they are, reals truncated, booleans 1 or 0, strings that
/// read as a number.
pub fn to_long(v: &Dyn) -> Option<i64> {
    match v {
        Dyn::Long(x) => Some(*x),
        Dyn::Real(x) if x.is_finite() && x.abs() < 9.3e18 => Some(x.trunc() as i64),
        Dyn::Bool(b) => Some(i64::from(*b)),
        Dyn::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>().ok().filter(|x| x.is_finite() && x.abs() < 9.3e18).map(|x| x.trunc() as i64)
            })
        }
        _ => None,
    }
}

/// A value as a `real`.
pub fn to_real(v: &Dyn) -> Option<f64> {
    match v {
        Dyn::Long(x) => Some(*x as f64),
        Dyn::Real(x) => Some(*x),
        Dyn::Bool(b) => Some(f64::from(u8::from(*b))),
        Dyn::String(s) => match s.trim() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            t => t.parse::<f64>().ok(),
        },
        _ => None,
    }
}

/// A value as a `bool`: booleans, numbers (non-zero is true), the strings `true` and `false`
/// in any case.
pub fn to_bool(v: &Dyn) -> Option<bool> {
    match v {
        Dyn::Bool(b) => Some(*b),
        Dyn::Long(x) => Some(*x != 0),
        Dyn::Real(x) => Some(*x != 0.0),
        Dyn::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A value as a `datetime` (nanoseconds since the Unix epoch): a string Kusto reads as one.
pub fn to_datetime(v: &Dyn) -> Option<i64> {
    match v {
        Dyn::String(s) => DateTime::parse_text(s.trim()).and_then(DateTime::unix_nanos),
        _ => None,
    }
}

/// A value as a `timespan` (nanoseconds): a string Kusto reads as one, or a number of ticks.
pub fn to_timespan(v: &Dyn) -> Option<i64> {
    match v {
        Dyn::String(s) => TimeSpan::parse(s.trim()).and_then(TimeSpan::nanos),
        Dyn::Long(ticks) => ticks.checked_mul(100),
        _ => None,
    }
}

/// A value as a `guid`: a string in one of the GUID forms, lower-cased and hyphenated.
pub fn to_guid(v: &Dyn) -> Option<String> {
    let Dyn::String(s) = v else { return None };
    let hex: String = s.trim().trim_start_matches('{').trim_end_matches('}').chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let h = hex.to_ascii_lowercase();
    Some(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

/// Every value of `d` converted to `target` (with `cast_only`, only those of its kind).
pub(crate) fn evaluate(target: Target, cast_only: bool, d: &ArrayRef, n: usize) -> Result<ArrayRef> {
    let rows = JsonRows::new(d)?;
    let value = |i: usize| if cast_only { conforming(target, rows.dyn_at(i)) } else { rows.dyn_at(i) };
    Ok(match target {
        Target::Long => {
            let mut b = Int64Builder::with_capacity(n);
            (0..n).for_each(|i| b.append_option(to_long(&value(i))));
            Arc::new(b.finish())
        }
        Target::Int => {
            let mut b = Int32Builder::with_capacity(n);
            (0..n).for_each(|i| b.append_option(to_long(&value(i)).and_then(|v| i32::try_from(v).ok())));
            Arc::new(b.finish())
        }
        Target::Real => {
            let mut b = Float64Builder::with_capacity(n);
            (0..n).for_each(|i| b.append_option(to_real(&value(i))));
            Arc::new(b.finish())
        }
        Target::Bool => {
            let mut b = BooleanBuilder::with_capacity(n);
            (0..n).for_each(|i| b.append_option(to_bool(&value(i))));
            Arc::new(b.finish())
        }
        Target::DateTime => {
            let mut b = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
            (0..n).for_each(|i| b.append_option(to_datetime(&value(i))));
            Arc::new(b.finish())
        }
        Target::TimeSpan => {
            let mut b = DurationNanosecondBuilder::with_capacity(n);
            (0..n).for_each(|i| b.append_option(to_timespan(&value(i))));
            Arc::new(b.finish())
        }
        Target::Guid => {
            let mut b = StringBuilder::with_capacity(n, n * 36);
            (0..n).for_each(|i| b.append_option(to_guid(&value(i))));
            Arc::new(b.finish())
        }
        Target::String => {
            let mut b = StringBuilder::with_capacity(n, n * 8);
            (0..n).for_each(|i| b.append_value(value(i).to_text()));
            Arc::new(b.finish())
        }
    })
}

impl ScalarUDFImpl for DynamicTo {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.target.data_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        crate::functions::map_unary(&self.name, &args.args, args.number_rows, |a, n| {
            evaluate(self.target, self.cast_only, a, n)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(to_long(&Dyn::parse(b"1.9")), Some(1));
        assert_eq!(to_long(&Dyn::parse(br#""42""#)), Some(42));
        assert_eq!(to_long(&Dyn::parse(b"[1]")), None);
        assert_eq!(to_real(&Dyn::parse(b"5")), Some(5.0));
        assert_eq!(to_bool(&Dyn::parse(br#""TRUE""#)), Some(true));
        assert_eq!(to_bool(&Dyn::parse(b"0")), Some(false));
        assert_eq!(to_bool(&Dyn::parse(br#""yes""#)), None);
        assert_eq!(to_datetime(&Dyn::parse(br#""1970-01-01T00:00:01Z""#)), Some(1_000_000_000));
        assert_eq!(to_timespan(&Dyn::parse(br#""01:00:00""#)), Some(3_600_000_000_000));
        assert_eq!(
            to_guid(&Dyn::parse(br#""74BE27DE-1E4E-49D9-B579-FE0B331D3642""#)).as_deref(),
            Some("74be27de-1e4e-49d9-b579-fe0b331d3642")
        );
    }
}

//! `tostring(x)` with Kusto's formatting (spec §11): null is `""`, booleans are `True` /
//! `False`, datetimes `2020-01-02T03:04:05.6000000Z` (seven fraction digits), timespans
//! `[-][d.]hh:mm:ss[.fffffff]`, arrays JSON.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::string_at;
use crate::format::nanos;

/// The `tostring` UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToString {
    signature: Signature,
}

/// `tostring(e)` as an expression.
pub fn call(e: Expr) -> Expr {
    udf().call(vec![e])
}

/// The UDF.
pub(crate) fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToString { signature: Signature::any(1, Volatility::Immutable) })
}

/// A datetime (nanoseconds since the Unix epoch) as Kusto prints it.
pub fn format_datetime(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let ticks = ns.rem_euclid(1_000_000_000) / 100;
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(d) => format!("{}.{ticks:07}Z", d.format("%Y-%m-%dT%H:%M:%S")),
        None => format!("<{ns} ns>"),
    }
}

/// A timespan (nanoseconds) as Kusto prints it.
pub fn format_timespan(ns: i64) -> String {
    kql_parser::ast::TimeSpan::from_ticks(ns / 100).to_kusto_string()
}

/// A real as Kusto (.NET) prints it: the shortest text that reads back as the same number, in
/// fixed notation for exponents from -4 to 14 (`0.0001`, `123456789012345`, no `.0` on whole
/// numbers) and scientific beyond (`1E+15`, `1.5E-06`); `NaN`, `Infinity`, `-Infinity`.
pub fn format_real(v: f64) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity".to_owned() } else { "-Infinity".to_owned() };
    }
    let scientific = format!("{v:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else { return format!("{v}") };
    let Ok(exponent) = exponent.parse::<i32>() else { return format!("{v}") };
    if v != 0.0 && !(-4..15).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}E{sign}{:02}", exponent.abs())
    } else {
        format!("{v}")
    }
}

/// Row `i` of a decimal array as Kusto prints it: the digits without the column scale's
/// trailing zeros (`decimal(1.5)` is `1.5`, `decimal(3)` is `3`).
pub fn decimal_text(array: &dyn Array, i: usize) -> Result<String> {
    let plain = cast(&array.slice(i, 1), &DataType::Utf8)?;
    let text = string_at(plain.as_ref(), 0)?.unwrap_or("");
    Ok(if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.') } else { text }.to_owned())
}

/// Row `i` of `array` as Kusto text (`None` only when Arrow cannot say).
pub fn text_at(array: &dyn Array, i: usize) -> Result<String> {
    if array.is_null(i) {
        return Ok(String::new());
    }
    Ok(match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => string_at(array, i)?.unwrap_or("").to_owned(),
        DataType::Boolean => if array.as_boolean().value(i) { "True" } else { "False" }.to_owned(),
        DataType::Float64 => format_real(array.as_primitive::<datafusion::arrow::datatypes::Float64Type>().value(i)),
        DataType::Float32 => {
            format_real(f64::from(array.as_primitive::<datafusion::arrow::datatypes::Float32Type>().value(i)))
        }
        DataType::Timestamp(..) => nanos(array, i).map_or_else(String::new, format_datetime),
        DataType::Duration(_) => nanos(array, i).map_or_else(String::new, format_timespan),
        DataType::Decimal128(..) | DataType::Decimal256(..) => decimal_text(array, i)?,
        t if crate::dynamic::is_dynamic_type(t) && !matches!(t, DataType::Dictionary(..)) => {
            crate::dynamic::arrow::to_dyn(array, i)?.to_text()
        }
        DataType::Dictionary(..) => {
            let plain: ArrayRef = cast(&array.slice(i, 1), &DataType::Utf8)?;
            text_at(plain.as_ref(), 0)?
        }
        _ => {
            let plain = cast(&array.slice(i, 1), &DataType::Utf8)?;
            string_at(plain.as_ref(), 0)?.unwrap_or("").to_owned()
        }
    })
}

impl ScalarUDFImpl for ToString {
    fn name(&self) -> &str {
        "tostring"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn is_nullable(&self, _args: &[Expr], _schema: &dyn datafusion::common::ExprSchema) -> bool {
        false
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args.args.iter().map(|a| a.to_array(args.number_rows)).collect::<Result<Vec<_>>>()?;
        let n = args.number_rows;
        let mut out = StringBuilder::with_capacity(n, n * 16);
        if let Some(a) = arrays.first() {
            let a = match a.data_type() {
                DataType::Dictionary(..) => cast(a, &DataType::Utf8)?,
                _ => Arc::clone(a),
            };
            for i in 0..n {
                out.append_value(text_at(a.as_ref(), i)?);
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_print_as_dotnet_does() {
        assert_eq!(format_real(1.0), "1");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(1e20), "1E+20");
        assert_eq!(format_real(1e15), "1E+15");
        assert_eq!(format_real(123_456_789_012_345.0), "123456789012345");
        assert_eq!(format_real(1.234_567_890_123_456_8e17), "1.2345678901234568E+17");
        assert_eq!(format_real(0.0001), "0.0001");
        assert_eq!(format_real(0.00001), "1E-05");
        assert_eq!(format_real(-1.5e-7), "-1.5E-07");
        assert_eq!(format_real(0.0), "0");
    }

    #[test]
    fn formats() {
        assert_eq!(format_datetime(1_577_934_245_600_000_000), "2020-01-02T03:04:05.6000000Z");
        assert_eq!(format_timespan(90_061_000_000_500), "1.01:01:01.0000005");
        assert_eq!(format_timespan(-3_600_000_000_000), "-01:00:00");
        assert_eq!(format_real(2.0), "2");
        assert_eq!(format_real(1.5), "1.5");
        assert_eq!(format_real(f64::NAN), "NaN");
    }
}

//! The last step of `make-series`: a group's bins and aggregated values (two lists, in the
//! same order) laid out as one `dynamic` array over the axis, absent bins taking the default;
//! or the axis itself. Without `from` a group's axis starts at its first bin with data, without
//! `to` it ends after its last one (make-series-operator.md).

use std::hash::Hash;

use datafusion::arrow::array::{Array, ArrayRef, AsArray as _};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::dynamic::Dyn;
use crate::dynamic::arrow::{build, to_dyn};
use crate::functions::tostring::{format_datetime, format_timespan};

/// The most elements one series may have (Kusto's limit, 2^20).
pub const MAX_SERIES_LENGTH: i64 = 1 << 20;

/// What the axis holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum AxisKind {
    /// Datetimes (nanoseconds since the epoch).
    DateTime,
    /// Timespans (nanoseconds).
    TimeSpan,
    /// Whole numbers.
    Long,
    /// Real numbers.
    Real,
}

/// The axis: its kind, bounds and step, as `f64` for reals and `i64` otherwise (bit patterns
/// of `f64` are kept for hashing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Axis {
    /// What the bins are.
    pub kind: AxisKind,
    /// `from` (bit pattern of an `f64` for reals).
    pub start: Option<i64>,
    /// `to`, not included.
    pub end: Option<i64>,
    /// `step`, positive.
    pub step: i64,
}

/// What the function returns.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// The aggregated values, with this default for absent bins.
    Values(Dyn),
    /// The axis values.
    Axis,
}

/// `series_layout(bins [, values])`.
#[derive(Debug)]
pub struct SeriesLayoutUdf {
    pub(crate) axis: Axis,
    pub(crate) layout: Layout,
    signature: Signature,
}

impl PartialEq for SeriesLayoutUdf {
    fn eq(&self, other: &Self) -> bool {
        self.axis == other.axis && self.layout == other.layout
    }
}
impl Eq for SeriesLayoutUdf {}
impl Hash for SeriesLayoutUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.axis.hash(state);
        matches!(self.layout, Layout::Axis).hash(state);
    }
}

impl SeriesLayoutUdf {
    /// The layout of `bins` (and `values`, for [`Layout::Values`]).
    pub fn call(axis: Axis, layout: Layout, args: Vec<Expr>) -> Expr {
        Self::udf(axis, layout, args.len()).call(args)
    }

    /// The UDF, of `arity` arguments.
    pub(crate) fn udf(axis: Axis, layout: Layout, arity: usize) -> ScalarUDF {
        ScalarUDF::new_from_impl(Self { axis, layout, signature: Signature::any(arity, Volatility::Immutable) })
    }

    fn position(&self, v: i64, start: i64) -> Option<i64> {
        match self.axis.kind {
            AxisKind::Real => {
                let (v, s, step) = (f64::from_bits(v as u64), f64::from_bits(start as u64), self.step_f64());
                let k = ((v - s) / step).round();
                k.is_finite().then_some(k as i64)
            }
            _ => Some((i128::from(v) - i128::from(start)).div_euclid(i128::from(self.axis.step)) as i64),
        }
    }

    fn step_f64(&self) -> f64 {
        f64::from_bits(self.axis.step as u64)
    }

    /// The number of elements from `start` to `end` (not included).
    fn length(&self, start: i64, end: i64) -> Result<i64> {
        let n = match self.axis.kind {
            AxisKind::Real => {
                let (s, e) = (f64::from_bits(start as u64), f64::from_bits(end as u64));
                let n = ((e - s) / self.step_f64()).ceil();
                if n.is_finite() { n.max(0.0) as i64 } else { 0 }
            }
            _ => {
                let span = i128::from(end) - i128::from(start);
                let step = i128::from(self.axis.step);
                (span.max(0) + step - 1).div_euclid(step).min(i128::from(i64::MAX)) as i64
            }
        };
        if n > MAX_SERIES_LENGTH {
            return exec_err!("make-series would make a series of {n} elements; the limit is {MAX_SERIES_LENGTH}");
        }
        Ok(n)
    }

    fn axis_value(&self, start: i64, k: i64) -> Dyn {
        match self.axis.kind {
            AxisKind::DateTime => Dyn::String(format_datetime(start.saturating_add(k.saturating_mul(self.axis.step)))),
            AxisKind::TimeSpan => Dyn::String(format_timespan(start.saturating_add(k.saturating_mul(self.axis.step)))),
            AxisKind::Long => Dyn::Long(start.saturating_add(k.saturating_mul(self.axis.step))),
            AxisKind::Real => Dyn::Real(f64::from_bits(start as u64) + k as f64 * self.step_f64()),
        }
    }

    /// The bounds of one group's series.
    fn bounds(&self, bins: &[i64]) -> Option<(i64, i64)> {
        let less = |a: i64, b: i64| match self.axis.kind {
            AxisKind::Real => f64::from_bits(a as u64) < f64::from_bits(b as u64),
            _ => a < b,
        };
        let first = bins.iter().copied().reduce(|a, b| if less(b, a) { b } else { a });
        let last = bins.iter().copied().reduce(|a, b| if less(a, b) { b } else { a });
        let start = self.axis.start.or(first)?;
        let end = match self.axis.end {
            Some(e) => e,
            None => {
                let last = last?;
                match self.axis.kind {
                    AxisKind::Real => (f64::from_bits(last as u64) + self.step_f64()).to_bits() as i64,
                    _ => last.saturating_add(self.axis.step),
                }
            }
        };
        Some((start, end))
    }
}

/// The bins of one list as `i64` (reals as bit patterns); nulls are skipped.
fn bin_values(list: &dyn Array, kind: AxisKind) -> Result<Vec<Option<i64>>> {
    use datafusion::arrow::datatypes as t;
    Ok(match (kind, list.data_type()) {
        (AxisKind::Real, _) => {
            let a = datafusion::arrow::compute::cast(list, &DataType::Float64)?;
            let a = a.as_primitive::<t::Float64Type>();
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_bits() as i64)).collect()
        }
        (AxisKind::DateTime | AxisKind::TimeSpan, _) => {
            (0..list.len()).map(|i| crate::format::nanos(list, i)).collect()
        }
        (AxisKind::Long, _) => {
            let a = datafusion::arrow::compute::cast(list, &DataType::Int64)?;
            let a = a.as_primitive::<t::Int64Type>();
            (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i))).collect()
        }
    })
}

impl ScalarUDFImpl for SeriesLayoutUdf {
    fn name(&self) -> &str {
        "make_series"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(crate::dynamic::DYNAMIC_TYPE)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays: Vec<ArrayRef> = args.args.iter().map(|a| a.to_array(rows)).collect::<Result<_>>()?;
        let Some(bins) = arrays.first() else {
            return exec_err!("make_series takes the bins");
        };
        let bins = bins.as_list::<i32>();
        let values = arrays.get(1).map(|v| v.as_list::<i32>());
        let mut out = Vec::with_capacity(rows);
        for r in 0..rows {
            let row_bins =
                if bins.is_valid(r) { bin_values(bins.value(r).as_ref(), self.axis.kind)? } else { Vec::new() };
            let present: Vec<i64> = row_bins.iter().flatten().copied().collect();
            let Some((start, end)) = self.bounds(&present) else {
                out.push(Dyn::Array(Vec::new()));
                continue;
            };
            let n = self.length(start, end)?;
            let series = match &self.layout {
                Layout::Axis => (0..n).map(|k| self.axis_value(start, k)).collect(),
                Layout::Values(default) => {
                    let mut series = vec![default.clone(); usize::try_from(n).unwrap_or(0)];
                    if let Some(values) = values.filter(|v| v.is_valid(r)) {
                        let row_values = values.value(r);
                        for (i, b) in row_bins.iter().enumerate() {
                            let Some(k) = b.and_then(|b| self.position(b, start)) else { continue };
                            if (0..n).contains(&k) {
                                series[k as usize] = to_dyn(row_values.as_ref(), i)?;
                            }
                        }
                    }
                    series
                }
            };
            out.push(Dyn::Array(series));
        }
        Ok(ColumnarValue::Array(build(out)))
    }
}

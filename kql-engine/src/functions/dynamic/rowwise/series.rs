//! Series functions over numeric `dynamic` arrays (what `make-series` produces, or any array):
//! element-wise arithmetic and comparisons, element-wise math, `series_stats_dynamic`,
//! `series_fit_line_dynamic`, `series_pearson_correlation` and the `series_fill_*` family.
//!
//! As documented, a non-numeric element, or an element one array lacks (arrays of different
//! lengths), gives a null element; a scalar number stands for a series of that value.

use indexmap::IndexMap;

use super::arg;
use super::arrays::array_of;
use crate::dynamic::Dyn;
use crate::functions::dynamic::convert::to_real;

/// A number of a series (strings that hold numbers do not count).
pub(super) fn num(v: &Dyn) -> Option<f64> {
    match v {
        Dyn::Long(_) | Dyn::Real(_) => to_real(v),
        _ => None,
    }
}

/// The elements of an array argument, or a scalar number repeated; `None` when neither.
enum Series<'a> {
    Array(&'a [Dyn]),
    Scalar(f64),
}

impl Series<'_> {
    fn of(v: &Dyn) -> Option<Series<'_>> {
        match v {
            Dyn::Array(a) => Some(Series::Array(a)),
            other => num(other).map(Series::Scalar),
        }
    }
    fn len(&self) -> Option<usize> {
        match self {
            Self::Array(a) => Some(a.len()),
            Self::Scalar(_) => None,
        }
    }
    fn at(&self, i: usize) -> Option<f64> {
        match self {
            Self::Array(a) => a.get(i).and_then(num),
            Self::Scalar(x) => Some(*x),
        }
    }
}

/// Element-wise `op` of two series.
fn binary(args: &[Dyn], op: fn(f64, f64) -> Dyn) -> Dyn {
    let (Some(a), Some(b)) = (Series::of(arg(args, 0)), Series::of(arg(args, 1))) else { return Dyn::Null };
    let n = match (a.len(), b.len()) {
        (Some(x), Some(y)) => x.max(y),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => return Dyn::Null,
    };
    Dyn::Array(
        (0..n)
            .map(|i| match (a.at(i), b.at(i)) {
                (Some(x), Some(y)) => op(x, y),
                _ => Dyn::Null,
            })
            .collect(),
    )
}

fn real(v: f64) -> Dyn {
    Dyn::Real(v)
}

/// Defines series functions that apply one element-wise operation.
macro_rules! series {
    ($helper:ident: $($name:ident => $op:expr),* $(,)?) => {
        $(pub(super) fn $name(args: &[Dyn]) -> Dyn {
            $helper(args, $op)
        })*
    };
}

series!(binary:
    series_add => |x, y| real(x + y),
    series_subtract => |x, y| real(x - y),
    series_multiply => |x, y| real(x * y),
    series_divide => |x, y| real(x / y),
    series_pow => |x, y| real(x.powf(y)),
    series_greater => |x, y| Dyn::Bool(x > y),
    series_greater_equals => |x, y| Dyn::Bool(x >= y),
    series_less => |x, y| Dyn::Bool(x < y),
    series_less_equals => |x, y| Dyn::Bool(x <= y),
    series_equals => |x, y| Dyn::Bool(x == y),
    series_not_equals => |x, y| Dyn::Bool(x != y),
);

/// Element-wise `op` of one series.
fn unary(args: &[Dyn], op: fn(f64) -> f64) -> Dyn {
    match array_of(arg(args, 0)) {
        Some(a) => Dyn::Array(a.iter().map(|v| num(v).map_or(Dyn::Null, |x| Dyn::Real(op(x)))).collect()),
        None => Dyn::Null,
    }
}

series!(unary:
    series_abs => f64::abs,
    series_sign => |x| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 },
    series_exp => f64::exp,
    series_log => f64::ln,
    series_floor => f64::floor,
    series_ceiling => f64::ceil,
    series_sin => f64::sin,
    series_cos => f64::cos,
    series_tan => f64::tan,
    series_asin => f64::asin,
    series_acos => f64::acos,
    series_atan => f64::atan,
);

/// `series_stats_dynamic(s [, ignore_nonfinite])`: min, max (first positions), avg, sample
/// stdev and variance, sum, len; null when a value is not finite unless told to skip those.
pub(super) fn series_stats_dynamic(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let skip = matches!(arg(args, 1), Dyn::Bool(true));
    let mut values = Vec::with_capacity(a.len());
    for (i, v) in a.iter().enumerate() {
        match num(v).filter(|x| x.is_finite()) {
            Some(x) => values.push((i, x)),
            None if skip => {}
            None => return Dyn::Null,
        }
    }
    let n = values.len();
    let mut bag = IndexMap::new();
    let (mut min, mut max) = (None::<(usize, f64)>, None::<(usize, f64)>);
    for &(i, x) in &values {
        if min.is_none_or(|(_, m)| x < m) {
            min = Some((i, x));
        }
        if max.is_none_or(|(_, m)| x > m) {
            max = Some((i, x));
        }
    }
    let sum: f64 = values.iter().map(|(_, x)| x).sum();
    let avg = if n > 0 { sum / n as f64 } else { f64::NAN };
    let variance =
        if n > 1 { values.iter().map(|(_, x)| (x - avg).powi(2)).sum::<f64>() / (n - 1) as f64 } else { 0.0 };
    let opt = |v: Option<f64>| v.map_or(Dyn::Null, Dyn::Real);
    let idx = |v: Option<(usize, f64)>| v.map_or(Dyn::Null, |(i, _)| Dyn::Long(i as i64));
    bag.insert("min".to_owned(), opt(min.map(|m| m.1)));
    bag.insert("min_idx".to_owned(), idx(min));
    bag.insert("max".to_owned(), opt(max.map(|m| m.1)));
    bag.insert("max_idx".to_owned(), idx(max));
    bag.insert("avg".to_owned(), if n > 0 { Dyn::Real(avg) } else { Dyn::Null });
    bag.insert("stdev".to_owned(), Dyn::Real(variance.sqrt()));
    bag.insert("variance".to_owned(), Dyn::Real(variance));
    bag.insert("sum".to_owned(), Dyn::Real(sum));
    bag.insert("len".to_owned(), Dyn::Long(a.len() as i64));
    Dyn::Bag(bag)
}

/// `series_fit_line_dynamic(s)`: least squares over x = 1..n; `variance` is the sample
/// variance of the values and `rvariance` of the residuals (the documented example's figures).
pub(super) fn series_fit_line_dynamic(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let y: Option<Vec<f64>> = a.iter().map(num).collect();
    let Some(y) = y.filter(|y| y.len() > 1) else { return Dyn::Null };
    let n = y.len() as f64;
    let mx = (n + 1.0) / 2.0;
    let my = y.iter().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (k, v) in y.iter().enumerate() {
        let dx = (k + 1) as f64 - mx;
        sxy += dx * (v - my);
        sxx += dx * dx;
    }
    let slope = sxy / sxx;
    let interception = my - slope * mx;
    let fit: Vec<f64> = (1..=y.len()).map(|x| interception + slope * x as f64).collect();
    let ss_res: f64 = y.iter().zip(&fit).map(|(v, f)| (v - f).powi(2)).sum();
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let mut bag = IndexMap::new();
    bag.insert("rsquare".to_owned(), Dyn::Real(if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 }));
    bag.insert("slope".to_owned(), Dyn::Real(slope));
    bag.insert("variance".to_owned(), Dyn::Real(ss_tot / (n - 1.0)));
    bag.insert("rvariance".to_owned(), Dyn::Real(ss_res / (n - 1.0)));
    bag.insert("interception".to_owned(), Dyn::Real(interception));
    bag.insert("line_fit".to_owned(), Dyn::Array(fit.into_iter().map(Dyn::Real).collect()));
    Dyn::Bag(bag)
}

/// `series_pearson_correlation(a, b)`: over the common length; null when either is not an array
/// of numbers.
pub(super) fn series_pearson_correlation(args: &[Dyn]) -> Dyn {
    let (Some(a), Some(b)) = (array_of(arg(args, 0)), array_of(arg(args, 1))) else { return Dyn::Null };
    let pairs: Option<Vec<(f64, f64)>> = a.iter().zip(b).map(|(x, y)| Some((num(x)?, num(y)?))).collect();
    let Some(pairs) = pairs.filter(|p| p.len() > 1) else { return Dyn::Null };
    let n = pairs.len() as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in &pairs {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    Dyn::Real(sxy / (sxx * syy).sqrt())
}

/// Whether an element is missing: null, or equal to the placeholder.
fn missing(v: &Dyn, placeholder: &Dyn) -> bool {
    v.is_null() || (!placeholder.is_null() && num(v).is_some() && num(v) == num(placeholder))
}

/// `series_fill_forward(s [, missing])`: each missing element takes the last present one.
pub(super) fn series_fill_forward(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let placeholder = arg(args, 1);
    let mut last: Option<Dyn> = None;
    Dyn::Array(
        a.iter()
            .map(|v| {
                if missing(v, placeholder) {
                    last.clone().unwrap_or_else(|| v.clone())
                } else {
                    last = Some(v.clone());
                    v.clone()
                }
            })
            .collect(),
    )
}

/// `series_fill_backward(s [, missing])`: each missing element takes the next present one.
pub(super) fn series_fill_backward(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let reversed = Dyn::Array(a.iter().rev().cloned().collect());
    match series_fill_forward(&[reversed, arg(args, 1).clone()]) {
        Dyn::Array(mut v) => {
            v.reverse();
            Dyn::Array(v)
        }
        other => other,
    }
}

/// `series_fill_const(s [, value [, missing]])`: missing elements become `value` (0 by default).
pub(super) fn series_fill_const(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let value = if args.len() > 1 { arg(args, 1).clone() } else { Dyn::Long(0) };
    let placeholder = arg(args, 2);
    Dyn::Array(a.iter().map(|v| if missing(v, placeholder) { value.clone() } else { v.clone() }).collect())
}

/// `series_fill_linear(s [, missing [, fill_edges [, constant]]])`: missing elements between two
/// present ones are interpolated; at the edges they take the nearest present value when
/// `fill_edges` (the default), else `constant` (null by default).
pub(super) fn series_fill_linear(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let placeholder = arg(args, 1);
    let fill_edges = !matches!(arg(args, 2), Dyn::Bool(false));
    let constant = arg(args, 3).clone();
    let present: Vec<(usize, f64)> = a
        .iter()
        .enumerate()
        .filter(|(_, v)| !missing(v, placeholder))
        .filter_map(|(i, v)| Some((i, num(v)?)))
        .collect();
    if present.is_empty() {
        return Dyn::Array(a.clone());
    }
    let mut out = a.clone();
    for (i, slot) in out.iter_mut().enumerate() {
        if !missing(slot, placeholder) {
            continue;
        }
        let before = present.iter().rev().find(|(k, _)| *k < i);
        let after = present.iter().find(|(k, _)| *k > i);
        *slot = match (before, after) {
            (Some(&(k0, y0)), Some(&(k1, y1))) => Dyn::Real(y0 + (y1 - y0) * (i - k0) as f64 / (k1 - k0) as f64),
            (Some(&(_, y)), None) | (None, Some(&(_, y))) if fill_edges => Dyn::Real(y),
            _ => constant.clone(),
        };
    }
    Dyn::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn longs(v: &[i64]) -> Dyn {
        Dyn::Array(v.iter().map(|x| Dyn::Long(*x)).collect())
    }

    #[test]
    fn documented_figures() {
        assert_eq!(series_add(&[longs(&[1, 2, 4]), longs(&[4, 2, 1])]).to_json(), "[5,4,5]");
        let s = series_stats_dynamic(&[longs(&[23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29])]).to_json();
        assert!(s.starts_with(r#"{"min":2,"min_idx":8,"max":87,"max_idx":3,"avg":32.8,"stdev":28.50363385354"#), "{s}");
        assert!(s.ends_with(r#""sum":492,"len":15}"#), "{s}");
        let fit = series_fit_line_dynamic(&[longs(&[2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30])]);
        let Dyn::Bag(b) = fit else { panic!("a bag") };
        let get = |k: &str| b.get(k).and_then(num).map(|x| (x * 1000.0).round() / 1000.0);
        assert_eq!(get("rsquare"), Some(0.983));
        assert_eq!(get("slope"), Some(2.731));
        assert_eq!(get("variance"), Some(98.629));
        assert_eq!(get("rvariance"), Some(1.686));
        assert_eq!(get("interception"), Some(-1.667));
        assert_eq!(
            series_fill_forward(&[Dyn::Array(vec![Dyn::Null, Dyn::Long(1), Dyn::Null])]).to_json(),
            "[null,1,1]"
        );
        assert_eq!(
            series_fill_linear(&[Dyn::Array(vec![Dyn::Null, Dyn::Long(1), Dyn::Null, Dyn::Long(3), Dyn::Null])])
                .to_json(),
            "[1,1,2,3,3]"
        );
    }
}

//! Time-series analysis over numeric arrays: `series_outliers`, `series_seasonal`,
//! `series_decompose` (and its `_anomalies` and `_forecast` forms), `series_fir`, `series_iir`
//! and `series_fit_2lines_dynamic`, following their `series-*-function.md` pages.
//!
//! Choices where the documentation is silent (also in the README's "Semantics choices"):
//! - percentiles of `series_outliers` interpolate linearly between the nearest ranks; a zero
//!   inter-percentile range counts as 1 so that points outside it still score;
//! - autodetected seasonality (`-1`) uses our own detector, because Kusto's period scoring is not
//!   published: the Pearson correlation of the series with itself shifted by `p`, for periods of
//!   at least 4 points and under half the series, keeping local maxima at or above the
//!   threshold and preferring the shortest period within 0.05 of the best (a period over its
//!   multiples). It finds the periods of every documented example;
//! - missing elements (null or not a number) are left out of what is learned (medians, averages,
//!   regressions, percentiles), score 0, and have a null residual; the filters read them as 0.

use indexmap::IndexMap;

use super::arg;
use super::arrays::array_of;
use super::series::num;
use crate::dynamic::Dyn;
use crate::functions::dynamic::convert::{to_bool, to_long, to_real};

/// The elements of a series, a missing one as `None`.
fn values(v: &Dyn) -> Option<Vec<Option<f64>>> {
    array_of(v).map(|a| a.iter().map(|x| num(x).filter(|x| x.is_finite())).collect())
}

fn reals(v: impl IntoIterator<Item = f64>) -> Dyn {
    Dyn::Array(v.into_iter().map(Dyn::Real).collect())
}

fn opt_reals(v: impl IntoIterator<Item = Option<f64>>) -> Dyn {
    Dyn::Array(v.into_iter().map(|x| x.map_or(Dyn::Null, Dyn::Real)).collect())
}

/// An optional argument: `None` when absent or null (Kusto's default-value indicator).
fn given(args: &[Dyn], i: usize) -> Option<&Dyn> {
    Some(arg(args, i)).filter(|v| !v.is_null())
}

fn real_or(args: &[Dyn], i: usize, default: f64) -> f64 {
    given(args, i).and_then(to_real).unwrap_or(default)
}

fn text_or<'a>(args: &'a [Dyn], i: usize, default: &'a str) -> &'a str {
    match given(args, i) {
        Some(Dyn::String(s)) => s,
        _ => default,
    }
}

// ---------------------------------------------------------------- argument checks

/// A located reason to reject constant arguments while planning (`None`: they are fine). Each
/// entry is `(argument index, message)`; `args` holds the constant arguments, `None` for the
/// others.
pub(super) fn check(name: &str, args: &[Option<Dyn>]) -> Option<(usize, String)> {
    let text = |i: usize| match args.get(i) {
        Some(Some(Dyn::String(s))) => Some(s.as_str()),
        _ => None,
    };
    let number = |i: usize| args.get(i).and_then(|a| a.as_ref()).and_then(to_real);
    let one_of = |i: usize, what: &str, allowed: &[&str]| {
        let t = text(i)?;
        (!allowed.contains(&t)).then(|| (i, format!("{what} must be one of {}, not `{t}`", quoted(allowed))))
    };
    let seasonality = |i: usize| {
        let s = number(i)?;
        (s < -1.0 || s.fract() != 0.0).then(|| {
            (i, "the seasonality must be -1 (detect it), 0 (none) or a period in bins (a positive integer)".to_owned())
        })
    };
    let not_negative = |i: usize, what: &str| {
        let p = number(i)?;
        (p < 0.0 || p.fract() != 0.0).then(|| (i, format!("{what} must be a whole number of points, 0 or more")))
    };
    let percentile = |i: usize| {
        let p = number(i)?;
        (!(2.0..=98.0).contains(&p))
            .then(|| (i, format!("a percentile of series_outliers must be in [2, 98], not {p}")))
    };
    match name {
        "series_outliers" => one_of(1, "the kind", &["tukey", "ctukey"])
            .or_else(|| not_negative(5, "the test points"))
            .or_else(|| percentile(3))
            .or_else(|| percentile(4))
            .or_else(|| match (number(3), number(4)) {
                (Some(lo), Some(hi)) if lo >= hi => {
                    Some((4, "the maximum percentile must be above the minimum percentile".to_owned()))
                }
                _ => None,
            }),
        "series_decompose" | "series_decompose_bag" => {
            seasonality(1).or_else(|| one_of(2, "the trend", TRENDS)).or_else(|| not_negative(3, "the test points"))
        }
        "series_decompose_anomalies" | "series_decompose_anomalies_bag" => seasonality(2)
            .or_else(|| one_of(3, "the trend", TRENDS))
            .or_else(|| not_negative(4, "the test points"))
            .or_else(|| one_of(5, "the anomaly detection method", &["ctukey", "tukey"])),
        "series_decompose_forecast" => not_negative(1, "the points to forecast")
            .or_else(|| seasonality(2))
            .or_else(|| one_of(3, "the trend", TRENDS)),
        "series_seasonal" => seasonality(1),
        _ => None,
    }
}

const TRENDS: &[&str] = &["avg", "linefit", "none"];

fn quoted(words: &[&str]) -> String {
    words.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------- statistics

/// The `p`th percentile (0-100) of sorted values, interpolated between the nearest ranks.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// Tukey scores: how many inter-percentile ranges a point lies above the upper percentile
/// (positive) or below the lower one (negative); 0 inside. The percentiles come from `learn`.
fn tukey_scores(x: &[Option<f64>], learn: &[Option<f64>], lo: f64, hi: f64) -> Vec<f64> {
    let mut present: Vec<f64> = learn.iter().flatten().copied().collect();
    if present.is_empty() {
        return vec![0.0; x.len()];
    }
    present.sort_by(f64::total_cmp);
    let (q_lo, q_hi) = (percentile(&present, lo), percentile(&present, hi));
    let range = if q_hi > q_lo { q_hi - q_lo } else { 1.0 };
    x.iter()
        .map(|v| match *v {
            Some(v) if v > q_hi => (v - q_hi) / range,
            Some(v) if v < q_lo => (v - q_lo) / range,
            _ => 0.0,
        })
        .collect()
}

/// Pearson correlation of the series with itself shifted by `lag` (pairs with a missing side
/// left out).
fn lag_correlation(y: &[Option<f64>], lag: usize) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = (0..y.len().saturating_sub(lag)).filter_map(|i| Some((y[i]?, y[i + lag]?))).collect();
    if pairs.len() < 3 {
        return None;
    }
    let n = pairs.len() as f64;
    let (mx, my) = (pairs.iter().map(|p| p.0).sum::<f64>() / n, pairs.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in &pairs {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

/// The series' most significant period in bins, if one scores at least `threshold` (see the
/// module documentation).
fn detect_period(y: &[Option<f64>], threshold: f64) -> Option<usize> {
    let n = y.len();
    let max = (n.saturating_sub(1)) / 2;
    if max < 4 {
        return None;
    }
    let score: Vec<Option<f64>> = (0..=max + 1).map(|p| if p == 0 { None } else { lag_correlation(y, p) }).collect();
    let at = |p: usize| score.get(p).copied().flatten().unwrap_or(f64::NEG_INFINITY);
    let candidates: Vec<(usize, f64)> = (4..=max)
        .filter_map(|p| score[p].map(|s| (p, s)))
        .filter(|&(p, s)| s >= threshold && s >= at(p - 1) && s >= at(p + 1))
        .collect();
    let best = candidates.iter().map(|c| c.1).fold(f64::NEG_INFINITY, f64::max);
    candidates.iter().find(|c| c.1 >= best - 0.05).map(|c| c.0)
}

/// The seasonal component: for each phase of `period`, the median of the learned points in it.
fn seasonal(y: &[Option<f64>], period: usize, learn: usize) -> Vec<f64> {
    let medians: Vec<f64> = (0..period)
        .map(|phase| median((phase..learn).step_by(period).filter_map(|i| y[i]).collect()).unwrap_or(0.0))
        .collect();
    (0..y.len()).map(|i| medians[i % period]).collect()
}

/// Least squares of `(x, y)` pairs: `(slope, interception)`.
fn line(points: &[(f64, f64)]) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let (mx, my) = (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, y) in points {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    Some((slope, my - slope * mx))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Trend {
    Avg,
    LineFit,
    None,
}

struct Decomposition {
    baseline: Vec<f64>,
    seasonal: Vec<f64>,
    trend: Vec<f64>,
    residual: Vec<Option<f64>>,
}

/// `series_decompose`: seasonal (median per phase), then the trend of what remains, both learned
/// from all but the last `test_points` points.
fn decompose(y: &[Option<f64>], seasonality: i64, trend: Trend, test_points: usize, threshold: f64) -> Decomposition {
    let n = y.len();
    let learn = n.saturating_sub(test_points);
    let period = match seasonality {
        -1 => detect_period(&y[..learn], threshold),
        p if p > 0 && (p as usize) <= learn => Some(p as usize),
        _ => None,
    };
    let seasonal = match period {
        Some(p) => seasonal(y, p, learn),
        None => vec![0.0; n],
    };
    let deseasoned: Vec<(f64, f64)> = (0..learn).filter_map(|i| y[i].map(|v| (i as f64, v - seasonal[i]))).collect();
    let trend: Vec<f64> = match trend {
        Trend::None => vec![0.0; n],
        Trend::Avg => {
            let avg = if deseasoned.is_empty() {
                0.0
            } else {
                deseasoned.iter().map(|p| p.1).sum::<f64>() / deseasoned.len() as f64
            };
            vec![avg; n]
        }
        Trend::LineFit => match line(&deseasoned) {
            Some((slope, icpt)) => (0..n).map(|i| icpt + slope * i as f64).collect(),
            None => vec![deseasoned.first().map_or(0.0, |p| p.1); n],
        },
    };
    let baseline: Vec<f64> = seasonal.iter().zip(&trend).map(|(s, t)| s + t).collect();
    let residual = y.iter().zip(&baseline).map(|(v, b)| v.map(|v| v - b)).collect();
    Decomposition { baseline, seasonal, trend, residual }
}

fn trend_of(text: &str) -> Option<Trend> {
    match text {
        "avg" => Some(Trend::Avg),
        "linefit" => Some(Trend::LineFit),
        "none" => Some(Trend::None),
        _ => None,
    }
}

/// The seasonality argument: -1 when absent.
fn seasonality_of(args: &[Dyn], i: usize) -> Option<i64> {
    match given(args, i) {
        None => Some(-1),
        Some(v) => to_long(v).filter(|s| *s >= -1),
    }
}

fn count_of(args: &[Dyn], i: usize) -> Option<usize> {
    match given(args, i) {
        None => Some(0),
        Some(v) => to_long(v).and_then(|p| usize::try_from(p).ok()),
    }
}

// ---------------------------------------------------------------- the functions

/// `series_outliers(s [, kind, ignore_val, min_percentile, max_percentile, test_points])`: the
/// percentiles are learned without the last `test_points` points (`Kusto.Language`'s second
/// signature).
pub(super) fn series_outliers(args: &[Dyn]) -> Dyn {
    let Some(mut y) = values(arg(args, 0)) else { return Dyn::Null };
    if let Some(ignore) = given(args, 2).and_then(to_real) {
        y.iter_mut().filter(|v| **v == Some(ignore)).for_each(|v| *v = None);
    }
    let (lo, hi) = match text_or(args, 1, "ctukey") {
        "tukey" => (25.0, 75.0),
        "ctukey" => (real_or(args, 3, 10.0), real_or(args, 4, 90.0)),
        _ => return Dyn::Null,
    };
    if !(2.0..=98.0).contains(&lo) || !(2.0..=98.0).contains(&hi) || lo >= hi {
        return Dyn::Null;
    }
    let Some(test) = count_of(args, 5) else { return Dyn::Null };
    let learn = y.len().saturating_sub(test);
    reals(tukey_scores(&y, &y[..learn], lo, hi))
}

/// `series_seasonal(s [, period])`: detected with threshold 0.7 when the period is -1; zeros
/// when none is found.
pub(super) fn series_seasonal(args: &[Dyn]) -> Dyn {
    let Some(y) = values(arg(args, 0)) else { return Dyn::Null };
    let period = match seasonality_of(args, 1) {
        Some(-1) => detect_period(&y, 0.7),
        Some(p) if p > 0 && (p as usize) <= y.len() => Some(p as usize),
        Some(_) => None,
        None => return Dyn::Null,
    };
    match period {
        Some(p) => reals(seasonal(&y, p, y.len())),
        None => reals(vec![0.0; y.len()]),
    }
}

/// The bag behind `series_decompose`: baseline, seasonal, trend, residual.
pub(super) fn series_decompose_bag(args: &[Dyn]) -> Dyn {
    let Some(y) = values(arg(args, 0)) else { return Dyn::Null };
    let (Some(s), Some(trend), Some(test)) =
        (seasonality_of(args, 1), trend_of(text_or(args, 2, "avg")), count_of(args, 3))
    else {
        return Dyn::Null;
    };
    let d = decompose(&y, s, trend, test, real_or(args, 4, 0.6));
    let mut bag = IndexMap::new();
    bag.insert("baseline".to_owned(), reals(d.baseline));
    bag.insert("seasonal".to_owned(), reals(d.seasonal));
    bag.insert("trend".to_owned(), reals(d.trend));
    bag.insert("residual".to_owned(), opt_reals(d.residual));
    Dyn::Bag(bag)
}

/// The bag behind `series_decompose_anomalies`: ad_flag, ad_score, baseline.
pub(super) fn series_decompose_anomalies_bag(args: &[Dyn]) -> Dyn {
    let Some(y) = values(arg(args, 0)) else { return Dyn::Null };
    let threshold = real_or(args, 1, 1.5);
    let (Some(s), Some(trend), Some(test)) =
        (seasonality_of(args, 2), trend_of(text_or(args, 3, "avg")), count_of(args, 4))
    else {
        return Dyn::Null;
    };
    let (lo, hi) = match text_or(args, 5, "ctukey") {
        "ctukey" => (10.0, 90.0),
        "tukey" => (25.0, 75.0),
        _ => return Dyn::Null,
    };
    let d = decompose(&y, s, trend, test, real_or(args, 6, 0.6));
    let learn = y.len().saturating_sub(test);
    let scores = tukey_scores(&d.residual, &d.residual[..learn], lo, hi);
    let flags = scores.iter().map(|s| {
        Dyn::Long(if *s > threshold {
            1
        } else if *s < -threshold {
            -1
        } else {
            0
        })
    });
    let mut bag = IndexMap::new();
    bag.insert("ad_flag".to_owned(), Dyn::Array(flags.collect()));
    bag.insert("ad_score".to_owned(), reals(scores));
    bag.insert("baseline".to_owned(), reals(d.baseline));
    Dyn::Bag(bag)
}

/// `series_decompose_forecast(s, points [, seasonality, trend, seasonality_threshold])`: the
/// baseline learned without the last `points` points.
pub(super) fn series_decompose_forecast(args: &[Dyn]) -> Dyn {
    let Some(y) = values(arg(args, 0)) else { return Dyn::Null };
    let (Some(points), Some(s), Some(trend)) =
        (given(args, 1).and_then(to_long), seasonality_of(args, 2), trend_of(text_or(args, 3, "avg")))
    else {
        return Dyn::Null;
    };
    let Ok(points) = usize::try_from(points) else { return Dyn::Null };
    reals(decompose(&y, s, trend, points, real_or(args, 4, 0.6)).baseline)
}

/// The numbers of a coefficient array; `None` if any is not a number.
fn coefficients(v: &Dyn) -> Option<Vec<f64>> {
    array_of(v)?.iter().map(|c| num(c).filter(|c| c.is_finite())).collect()
}

/// `series_fir(s, filter [, normalize, center])`: `y[i] = Σ f[k]·x[i-k]` (shifted by half the
/// filter when centered); missing elements and elements outside the series read as 0.
pub(super) fn series_fir(args: &[Dyn]) -> Dyn {
    let (Some(x), Some(mut f)) = (values(arg(args, 0)), coefficients(arg(args, 1))) else { return Dyn::Null };
    if f.is_empty() {
        return Dyn::Null;
    }
    let negative = f.iter().any(|c| *c < 0.0);
    let normalize = given(args, 2).map_or(Some(!negative), to_bool);
    let center = given(args, 3).map_or(Some(false), to_bool);
    let (Some(normalize), Some(center)) = (normalize, center) else { return Dyn::Null };
    if normalize {
        let sum: f64 = f.iter().sum();
        if negative || sum == 0.0 {
            return Dyn::Null;
        }
        f.iter_mut().for_each(|c| *c /= sum);
    }
    let shift = if center { (f.len() - 1) / 2 } else { 0 } as isize;
    let n = x.len() as isize;
    let at = |i: isize| if (0..n).contains(&i) { x[i as usize].unwrap_or(0.0) } else { 0.0 };
    reals((0..n).map(|i| f.iter().enumerate().map(|(k, c)| c * at(i + shift - k as isize)).sum()))
}

/// `series_iir(s, numerators, denominators)`: `y[i] = (Σ b[k]·x[i-k] - Σ a[k]·y[i-k], k ≥ 1) /
/// a[0]`; null when `a[0]` is 0.
pub(super) fn series_iir(args: &[Dyn]) -> Dyn {
    let (Some(x), Some(b), Some(a)) = (values(arg(args, 0)), coefficients(arg(args, 1)), coefficients(arg(args, 2)))
    else {
        return Dyn::Null;
    };
    let Some(&a0) = a.first().filter(|a0| **a0 != 0.0) else { return Dyn::Null };
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for i in 0..x.len() {
        let forward: f64 =
            b.iter().enumerate().filter(|(k, _)| *k <= i).map(|(k, c)| c * x[i - k].unwrap_or(0.0)).sum();
        let feedback: f64 = a.iter().enumerate().skip(1).filter(|(k, _)| *k <= i).map(|(k, c)| c * y[i - k]).sum();
        y.push((forward - feedback) / a0);
    }
    reals(y)
}

/// One side of a two-line fit, as `series_fit_line` reports it (x = 1..len of the side).
struct Side {
    slope: f64,
    interception: f64,
    ss_res: f64,
    ss_tot: f64,
    fit: Vec<f64>,
}

fn fit_side(y: &[f64]) -> Option<Side> {
    let points: Vec<(f64, f64)> = y.iter().enumerate().map(|(k, v)| ((k + 1) as f64, *v)).collect();
    let (slope, interception) = line(&points)?;
    let fit: Vec<f64> = (1..=y.len()).map(|x| interception + slope * x as f64).collect();
    let my = y.iter().sum::<f64>() / y.len() as f64;
    let ss_res = y.iter().zip(&fit).map(|(v, f)| (v - f).powi(2)).sum();
    let ss_tot = y.iter().map(|v| (v - my).powi(2)).sum();
    Some(Side { slope, interception, ss_res, ss_tot, fit })
}

fn rsquare(ss_res: f64, ss_tot: f64) -> f64 {
    if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 }
}

/// `series_fit_2lines_dynamic(s)`: every split into two parts of at least two points, a line
/// fitted to each (`series_fit_line`); the split with the best total r-square (the first on a
/// tie). `split_idx` is the first index of the right part.
pub(super) fn series_fit_2lines_dynamic(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let y: Option<Vec<f64>> = a.iter().map(|v| num(v).filter(|v| v.is_finite())).collect();
    let Some(y) = y.filter(|y| y.len() >= 4) else { return Dyn::Null };
    let n = y.len();
    let my = y.iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let mut best: Option<(usize, f64, Side, Side)> = None;
    for split in 2..=n - 2 {
        let (Some(left), Some(right)) = (fit_side(&y[..split]), fit_side(&y[split..])) else { continue };
        let r = rsquare(left.ss_res + right.ss_res, ss_tot);
        if best.as_ref().is_none_or(|b| r > b.1) {
            best = Some((split, r, left, right));
        }
    }
    let Some((split, r, left, right)) = best else { return Dyn::Null };
    let side_var = |ss: f64, len: usize| ss / (len - 1) as f64;
    let mut bag = IndexMap::new();
    bag.insert("rsquare".to_owned(), Dyn::Real(r));
    bag.insert("split_idx".to_owned(), Dyn::Long(split as i64));
    bag.insert("variance".to_owned(), Dyn::Real(ss_tot / (n - 1) as f64));
    bag.insert("rvariance".to_owned(), Dyn::Real((left.ss_res + right.ss_res) / (n - 1) as f64));
    bag.insert("line_fit".to_owned(), reals(left.fit.iter().chain(&right.fit).copied()));
    for (prefix, side, len) in [("right", &right, n - split), ("left", &left, split)] {
        bag.insert(format!("{prefix}_rsquare"), Dyn::Real(rsquare(side.ss_res, side.ss_tot)));
        bag.insert(format!("{prefix}_slope"), Dyn::Real(side.slope));
        bag.insert(format!("{prefix}_interception"), Dyn::Real(side.interception));
        bag.insert(format!("{prefix}_variance"), Dyn::Real(side_var(side.ss_tot, len)));
        bag.insert(format!("{prefix}_rvariance"), Dyn::Real(side_var(side.ss_res, len)));
    }
    Dyn::Bag(bag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(v: &[f64]) -> Dyn {
        Dyn::Array(v.iter().map(|x| Dyn::Real(*x)).collect())
    }

    fn numbers(d: &Dyn) -> Vec<f64> {
        array_of(d).expect("array").iter().map(|v| to_real(v).expect("number")).collect()
    }

    #[test]
    fn seasonal_finds_the_documented_periods() {
        let a = [2., 5., 3., 4., 3., 2., 1., 2., 3., 4., 3., 2., 1., 2., 3., 4., 3., 2., 1., 2., 3., 4., 3., 2., 1.];
        let got = numbers(&series_seasonal(&[series(&a)]));
        assert_eq!(&got[..7], &[1., 2., 3., 4., 3., 2., 1.]);
        let b = [8., 12., 14., 12., 10., 10., 12., 14., 12., 10., 10., 12., 14., 12., 10., 10., 12., 14., 12., 10.];
        assert_eq!(&numbers(&series_seasonal(&[series(&b)]))[..5], &[10., 12., 14., 12., 10.]);
        let c = [1., 3., 5., 2., 4., 6., 1., 3., 5., 2., 4., 6.];
        assert_eq!(numbers(&series_seasonal(&[series(&c)])), vec![0.0; 12]);
        let forced = numbers(&series_seasonal(&[series(&c), Dyn::Long(3)]));
        assert_eq!(&forced[..3], &[1.5, 3.5, 5.5]);
        let weekly = [
            80., 139., 87., 110., 68., 54., 50., 51., 53., 133., 86., 141., 97., 156., 94., 149., 95., 140., 77., 61.,
            50., 54., 47., 133., 72., 152., 94., 148., 105., 162., 101., 160., 87., 63., 53., 55., 54., 151., 103.,
            189., 108., 183., 113., 175., 113., 178., 90., 71., 62., 62., 65., 165., 109., 181., 115., 182., 121.,
            178., 114., 170.,
        ];
        let y: Vec<Option<f64>> = weekly.iter().map(|v| Some(*v)).collect();
        assert_eq!(detect_period(&y, 0.6), Some(14));
    }

    #[test]
    fn filters_follow_the_documented_examples() {
        let x = series(&[0., 0., 0., 0., 2., 2., 2., 2., 3., 3., 3., 3.]);
        let diff = series_fir(&[x, series(&[1., -1.]), Dyn::Bool(false), Dyn::Bool(false)]);
        assert_eq!(numbers(&diff), vec![0., 0., 0., 0., 2., 0., 0., 0., 1., 0., 0., 0.]);
        let spike = series(&[0., 0., 10., 0., 0.]);
        assert_eq!(numbers(&series_fir(&[spike.clone(), series(&[1., 1.])])), vec![0., 0., 5., 5., 0.]);
        let centered = series_fir(&[spike, series(&[1., 1., 1.]), Dyn::Bool(true), Dyn::Bool(true)]);
        let c = numbers(&centered);
        assert!((c[1] - 10.0 / 3.0).abs() < 1e-12 && (c[3] - 10.0 / 3.0).abs() < 1e-12 && c[0] == 0.0);
        assert!(series_fir(&[series(&[1.]), series(&[1., -1.]), Dyn::Bool(true)]).is_null());
        let sum = series_iir(&[series(&[1., 2., 3., 4.]), series(&[1.]), series(&[1., -1.])]);
        assert_eq!(numbers(&sum), vec![1., 3., 6., 10.]);
        assert!(series_iir(&[series(&[1.]), series(&[1.]), series(&[0., 1.])]).is_null());
    }

    #[test]
    fn outliers_and_anomalies_score_against_the_percentile_range() {
        let mut v = vec![1.0; 20];
        v.iter_mut().enumerate().for_each(|(i, x)| *x = (i % 5) as f64);
        v[10] = 40.0;
        let scores = numbers(&series_outliers(&[series(&v)]));
        assert!(scores[10] > 1.5 && scores.iter().enumerate().all(|(i, s)| i == 10 || *s == 0.0));
        let tukey = numbers(&series_outliers(&[series(&v), Dyn::String("tukey".into())]));
        assert!(tukey[10] > scores[10]);
        let Dyn::Bag(bag) = series_decompose_anomalies_bag(&[series(&v), Dyn::Real(1.5), Dyn::Long(0)]) else {
            panic!("a bag")
        };
        let flags: Vec<i64> = array_of(&bag["ad_flag"]).expect("flags").iter().filter_map(to_long).collect();
        assert_eq!(flags.iter().filter(|f| **f != 0).count(), 1);
        assert_eq!(flags[10], 1);
    }

    #[test]
    fn decompose_learns_without_the_test_points() {
        // A weekly pattern: the seasonal component is the pattern, the residual 0.
        let y: Vec<Option<f64>> = (0..28).map(|i| Some(if i % 7 >= 5 { 10.0 } else { 3.0 })).collect();
        let d = decompose(&y, 7, Trend::None, 0, 0.6);
        assert!(d.residual.iter().all(|r| *r == Some(0.0)));
        assert_eq!(&d.seasonal[..7], &[3., 3., 3., 3., 3., 10., 10.]);
        // A line learned from the first 32 points continues over the last 8.
        let line: Vec<f64> = (0..40).map(|i| 2.0 * i as f64 + 1.0).collect();
        let forecast = numbers(&series_decompose_forecast(&[
            series(&line[..32].iter().copied().chain([0.0; 8]).collect::<Vec<_>>()),
            Dyn::Long(8),
            Dyn::Long(0),
            Dyn::String("linefit".into()),
        ]));
        assert!(forecast.iter().zip(&line).all(|(f, v)| (f - v).abs() < 1e-9), "{forecast:?}");
        // The average trend of a flat series with a test point left out.
        let avg = decompose(&[Some(4.0), Some(6.0), Some(100.0)], 0, Trend::Avg, 1, 0.6);
        assert_eq!(avg.baseline, vec![5.0; 3]);
    }

    #[test]
    fn two_lines_split_where_the_trend_changes() {
        let y = series(&[1., 2., 3., 4., 5., 5., 4., 3., 2., 1.]);
        let Dyn::Bag(bag) = series_fit_2lines_dynamic(&[y]) else { panic!("a bag") };
        assert_eq!(bag["split_idx"], Dyn::Long(5));
        assert_eq!(bag["rsquare"], Dyn::Real(1.0));
        assert_eq!(bag["left_slope"], Dyn::Real(1.0));
        assert_eq!(bag["right_slope"], Dyn::Real(-1.0));
    }

    #[test]
    fn constant_arguments_are_checked() {
        let s = |t: &str| Some(Dyn::String(t.into()));
        assert!(check("series_decompose", &[None, Some(Dyn::Long(-1)), s("linefit")]).is_none());
        assert_eq!(check("series_decompose", &[None, Some(Dyn::Long(-1)), s("line")]).map(|e| e.0), Some(2));
        assert_eq!(check("series_decompose_anomalies", &[None, None, Some(Dyn::Long(-2))]).map(|e| e.0), Some(2));
        assert_eq!(check("series_outliers", &[None, s("x")]).map(|e| e.0), Some(1));
        assert_eq!(check("series_outliers", &[None, None, None, Some(Dyn::Long(1))]).map(|e| e.0), Some(3));
    }
}

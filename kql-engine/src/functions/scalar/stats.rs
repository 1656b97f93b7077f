//! Statistical distributions and tests: `beta_cdf`, `beta_inv`, `beta_pdf` and `welch_test`
//! (the `*-function.md` pages), computed with `statrs`.
//!
//! As documented, an argument outside the distribution's domain (`x` outside [0, 1], `alpha` or
//! `beta` not in (0, 10000]) gives NaN, and a null argument null.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;
use statrs::distribution::{Beta, Continuous, ContinuousCDF, StudentsT};

use super::Param::Real;
use super::{Call, Def, Out, f, reals};

/// The statistical functions.
pub static FUNCTIONS: &[Def] = &[
    f("beta_cdf", &[Real, Real, Real], Out::Real, beta_cdf),
    f("beta_inv", &[Real, Real, Real], Out::Real, beta_inv),
    f("beta_pdf", &[Real, Real, Real], Out::Real, beta_pdf),
    f("welch_test", &[Real, Real, Real, Real, Real, Real], Out::Real, welch_test),
];

/// The beta distribution of `alpha` and `beta`, if both are in (0, 10000].
fn beta(alpha: f64, beta: f64) -> Option<Beta> {
    let ok = |p: f64| p > 0.0 && p <= 10000.0;
    if ok(alpha) && ok(beta) { Beta::new(alpha, beta).ok() } else { None }
}

fn beta_kernel(c: &Call<'_>, op: fn(&Beta, f64) -> f64) -> Result<ArrayRef> {
    let (x, a, b) = (c.f64(0)?, c.f64(1)?, c.f64(2)?);
    Ok(reals((0..c.rows).map(|i| {
        let (x, a, b) = (x.get(i)?, a.get(i)?, b.get(i)?);
        Some(match beta(a, b) {
            Some(d) if (0.0..=1.0).contains(&x) => op(&d, x),
            _ => f64::NAN,
        })
    })))
}

fn beta_cdf(c: &Call<'_>) -> Result<ArrayRef> {
    beta_kernel(c, |d, x| d.cdf(x))
}
fn beta_inv(c: &Call<'_>) -> Result<ArrayRef> {
    beta_kernel(c, |d, p| d.inverse_cdf(p))
}
fn beta_pdf(c: &Call<'_>) -> Result<ArrayRef> {
    beta_kernel(c, |d, x| d.pdf(x))
}

/// The two-sided p-value of Welch's t-test for two samples given by mean, variance and count;
/// NaN when a count is 1 or less or both variances are 0.
pub(crate) fn welch(m1: f64, v1: f64, n1: f64, m2: f64, v2: f64, n2: f64) -> f64 {
    if n1 <= 1.0 || n2 <= 1.0 || v1 < 0.0 || v2 < 0.0 {
        return f64::NAN;
    }
    let (s1, s2) = (v1 / n1, v2 / n2);
    let se = (s1 + s2).sqrt();
    if se == 0.0 {
        return f64::NAN;
    }
    let t = (m1 - m2) / se;
    let df = (s1 + s2).powi(2) / (s1 * s1 / (n1 - 1.0) + s2 * s2 / (n2 - 1.0));
    match StudentsT::new(0.0, 1.0, df) {
        Ok(d) => 2.0 * (1.0 - d.cdf(t.abs())),
        Err(_) => f64::NAN,
    }
}

fn welch_test(c: &Call<'_>) -> Result<ArrayRef> {
    let cols = (0..6).map(|k| c.f64(k)).collect::<Result<Vec<_>>>()?;
    Ok(reals((0..c.rows).map(|i| {
        let v: Vec<f64> = cols.iter().map(|col| col.get(i)).collect::<Option<_>>()?;
        Some(welch(v[0], v[1], v[2], v[3], v[4], v[5]))
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_values() {
        let d = beta(10.0, 20.0).expect("valid");
        assert!((d.cdf(0.9) - 0.999999999999959).abs() < 1e-12);
        assert!(beta(-1.0, 20.0).is_none() && beta(1.0, 10001.0).is_none());
        // Wikipedia's second example, as the documentation uses it: p = 0.021.
        let s1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
        let s2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];
        let stats = |s: &[f64]| {
            let n = s.len() as f64;
            let m = s.iter().sum::<f64>() / n;
            (m, s.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0), n)
        };
        let ((m1, v1, n1), (m2, v2, n2)) = (stats(&s1), stats(&s2));
        let p = welch(m1, v1, n1, m2, v2, n2);
        assert!((p - 0.021).abs() < 0.0005, "{p}");
    }
}

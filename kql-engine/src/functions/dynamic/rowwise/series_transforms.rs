//! `series_fft`, `series_ifft` and `series_fit_poly` (their `*-function.md` pages): the bags
//! behind the several-column forms.
//!
//! * The transforms are the exact discrete Fourier transform of any length (`rustfft`), the
//!   forward one unscaled and the inverse one divided by the length, so `series_ifft` of
//!   `series_fft` gives the series back. A missing imaginary part is 0; a missing or
//!   non-numeric element makes the result null.
//! * `series_fit_poly(y [, x, degree])` fits by least squares (a QR decomposition of the
//!   Vandermonde matrix); `x` defaults to 1..n and the degree to 1; `coefficients` run from the
//!   highest power down; `variance` and `rvariance` divide by n - 1, as `series_fit_line` does.

use indexmap::IndexMap;
use rustfft::FftPlanner;
use rustfft::num_complex::Complex;

use super::arg;
use super::arrays::array_of;
use super::series::num;
use crate::dynamic::Dyn;
use crate::functions::dynamic::convert::to_long;

/// The numbers of a series; `None` if any element is missing or not a number.
fn numbers(v: &Dyn) -> Option<Vec<f64>> {
    array_of(v)?.iter().map(|x| num(x).filter(|x| x.is_finite())).collect()
}

fn reals(v: impl IntoIterator<Item = f64>) -> Dyn {
    Dyn::Array(v.into_iter().map(Dyn::Real).collect())
}

fn transform(args: &[Dyn], inverse: bool) -> Dyn {
    let Some(re) = numbers(arg(args, 0)) else { return Dyn::Null };
    let im = match arg(args, 1) {
        Dyn::Null => vec![0.0; re.len()],
        v => match numbers(v) {
            Some(im) if im.len() == re.len() => im,
            _ => return Dyn::Null,
        },
    };
    let mut buffer: Vec<Complex<f64>> = re.iter().zip(&im).map(|(r, i)| Complex::new(*r, *i)).collect();
    if !buffer.is_empty() {
        let mut planner = FftPlanner::new();
        let fft = if inverse { planner.plan_fft_inverse(buffer.len()) } else { planner.plan_fft_forward(buffer.len()) };
        fft.process(&mut buffer);
    }
    let scale = if inverse && !buffer.is_empty() { 1.0 / buffer.len() as f64 } else { 1.0 };
    let mut bag = IndexMap::new();
    bag.insert("real".to_owned(), reals(buffer.iter().map(|c| c.re * scale)));
    bag.insert("imag".to_owned(), reals(buffer.iter().map(|c| c.im * scale)));
    Dyn::Bag(bag)
}

/// The bag behind `series_fft(real [, imaginary])`.
pub(super) fn series_fft_bag(args: &[Dyn]) -> Dyn {
    transform(args, false)
}

/// The bag behind `series_ifft(real [, imaginary])`.
pub(super) fn series_ifft_bag(args: &[Dyn]) -> Dyn {
    transform(args, true)
}

/// Least squares `a` for `x · a ≈ y` (`x` has `cols` columns, row-major), by Householder QR;
/// `None` when the columns are dependent.
fn least_squares(mut x: Vec<f64>, rows: usize, cols: usize, mut y: Vec<f64>) -> Option<Vec<f64>> {
    for k in 0..cols {
        let norm = (k..rows).map(|r| x[r * cols + k].powi(2)).sum::<f64>().sqrt();
        if norm < 1e-300 {
            return None;
        }
        let alpha = if x[k * cols + k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (k..rows).map(|r| x[r * cols + k]).collect();
        v[0] -= alpha;
        let vnorm2: f64 = v.iter().map(|a| a * a).sum();
        if vnorm2 > 0.0 {
            for c in k..cols {
                let dot: f64 = (k..rows).map(|r| v[r - k] * x[r * cols + c]).sum();
                let f = 2.0 * dot / vnorm2;
                (k..rows).for_each(|r| x[r * cols + c] -= f * v[r - k]);
            }
            let dot: f64 = (k..rows).map(|r| v[r - k] * y[r]).sum();
            let f = 2.0 * dot / vnorm2;
            (k..rows).for_each(|r| y[r] -= f * v[r - k]);
        }
    }
    let mut a = vec![0.0; cols];
    for k in (0..cols).rev() {
        let diag = x[k * cols + k];
        if diag.abs() < 1e-12 * x[0].abs().max(1.0) {
            return None;
        }
        let rest: f64 = (k + 1..cols).map(|c| x[k * cols + c] * a[c]).sum();
        a[k] = (y[k] - rest) / diag;
    }
    Some(a)
}

/// The bag behind `series_fit_poly(y [, x, degree])`.
pub(super) fn series_fit_poly_bag(args: &[Dyn]) -> Dyn {
    let Some(y) = numbers(arg(args, 0)) else { return Dyn::Null };
    let n = y.len();
    let x = match arg(args, 1) {
        Dyn::Null => (1..=n).map(|i| i as f64).collect(),
        v => match numbers(v) {
            Some(x) if x.len() == n => x,
            _ => return Dyn::Null,
        },
    };
    let degree = match arg(args, 2) {
        Dyn::Null => 1,
        v => match to_long(v).and_then(|d| usize::try_from(d).ok()) {
            Some(d) if d >= 1 => d,
            _ => return Dyn::Null,
        },
    };
    if n <= degree {
        return Dyn::Null;
    }
    // Columns from the highest power down, as the coefficients are reported.
    let cols = degree + 1;
    let matrix: Vec<f64> = x.iter().flat_map(|xi| (0..cols).map(move |c| xi.powi((degree - c) as i32))).collect();
    let Some(coefficients) = least_squares(matrix, n, cols, y.clone()) else { return Dyn::Null };
    let fit: Vec<f64> = x.iter().map(|xi| coefficients.iter().fold(0.0, |acc, c| acc * xi + c)).collect();
    let my = y.iter().sum::<f64>() / n as f64;
    let ss_tot: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
    let ss_res: f64 = y.iter().zip(&fit).map(|(v, f)| (v - f).powi(2)).sum();
    let mut bag = IndexMap::new();
    bag.insert("rsquare".to_owned(), Dyn::Real(if ss_tot > 0.0 { 1.0 - ss_res / ss_tot } else { 0.0 }));
    bag.insert("coefficients".to_owned(), reals(coefficients));
    bag.insert("variance".to_owned(), Dyn::Real(ss_tot / (n - 1) as f64));
    bag.insert("rvariance".to_owned(), Dyn::Real(ss_res / (n - 1) as f64));
    bag.insert("poly_fit".to_owned(), reals(fit));
    Dyn::Bag(bag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::dynamic::convert::to_real;

    fn series(v: &[f64]) -> Dyn {
        Dyn::Array(v.iter().map(|x| Dyn::Real(*x)).collect())
    }

    fn field(bag: &Dyn, key: &str) -> Vec<f64> {
        let Dyn::Bag(b) = bag else { panic!("a bag") };
        array_of(&b[key]).expect("array").iter().map(|v| to_real(v).expect("number")).collect()
    }

    #[test]
    fn fft_round_trips_and_finds_the_frequency() {
        let x: Vec<f64> = (0..12).map(|i| (2.0 * std::f64::consts::PI * i as f64 / 4.0).sin()).collect();
        let f = series_fft_bag(&[series(&x)]);
        let (re, im) = (field(&f, "real"), field(&f, "imag"));
        // A sine of period 4 over 12 points: all the energy at bins 3 and 9.
        assert!((im[3] + 6.0).abs() < 1e-9 && (im[9] - 6.0).abs() < 1e-9);
        assert!(re.iter().all(|v| v.abs() < 1e-9));
        let back = series_ifft_bag(&[series(&re), series(&im)]);
        assert!(field(&back, "real").iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12));
        assert!(series_fft_bag(&[series(&[1.0]), series(&[1.0, 2.0])]).is_null());
    }

    #[test]
    fn polynomial_fit_recovers_exact_coefficients() {
        let x: Vec<f64> = (0..20).map(|i| i as f64 / 10.0 - 1.0).collect();
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v * v * v - v + 3.0).collect();
        let fit = series_fit_poly_bag(&[series(&y), series(&x), Dyn::Long(3)]);
        let c = field(&fit, "coefficients");
        for (got, want) in c.iter().zip([2.0, 0.0, -1.0, 3.0]) {
            assert!((got - want).abs() < 1e-9, "{c:?}");
        }
        // Degree 1 over 1..n is series_fit_line.
        let line = series_fit_poly_bag(&[series(&[2., 5., 6., 8., 11., 15., 17., 18., 25., 26., 30., 30.])]);
        let c = field(&line, "coefficients");
        assert!((c[0] - 2.730_769_230_769).abs() < 1e-9 && (c[1] + 1.666_666_666_667).abs() < 1e-9, "{c:?}");
    }
}

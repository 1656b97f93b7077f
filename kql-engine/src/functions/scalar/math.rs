//! Numbers: bitwise functions, trigonometry, `exp2`/`exp10`, `gamma`/`loggamma`, `isnan`/
//! `isinf`/`isfinite`, `rand`, `tohex`, `pi`.
//!
//! Bitwise functions work on `long` as .NET does (a shift count is taken modulo 64; a negative
//! one gives null). Real functions outside their domain give NaN, as .NET's `Math` does.

use datafusion::arrow::array::ArrayRef;
use datafusion::common::Result;

use super::Param::{Long, Real};
use super::{Call, Def, Out, bools, f, longs, nullable_texts, reals, texts};

/// The number functions.
pub static FUNCTIONS: &[Def] = &[
    f("binary_and", &[Long, Long], Out::Long, binary_and),
    f("binary_or", &[Long, Long], Out::Long, binary_or),
    f("binary_xor", &[Long, Long], Out::Long, binary_xor),
    f("binary_not", &[Long], Out::Long, binary_not),
    f("binary_shift_left", &[Long, Long], Out::Long, shift_left),
    f("binary_shift_right", &[Long, Long], Out::Long, shift_right),
    f("bitset_count_ones", &[Long], Out::Long, count_ones),
    f("sin", &[Real], Out::Real, sin),
    f("cos", &[Real], Out::Real, cos),
    f("tan", &[Real], Out::Real, tan),
    f("asin", &[Real], Out::Real, asin),
    f("acos", &[Real], Out::Real, acos),
    f("atan", &[Real], Out::Real, atan),
    f("atan2", &[Real, Real], Out::Real, atan2),
    f("cot", &[Real], Out::Real, cot),
    f("degrees", &[Real], Out::Real, degrees),
    f("radians", &[Real], Out::Real, radians),
    f("pi", &[], Out::Real, pi),
    f("exp2", &[Real], Out::Real, exp2),
    f("exp10", &[Real], Out::Real, exp10),
    f("gamma", &[Real], Out::Real, gamma),
    f("loggamma", &[Real], Out::Real, loggamma),
    f("isnan", &[Real], Out::Bool, isnan),
    f("isinf", &[Real], Out::Bool, isinf),
    f("isfinite", &[Real], Out::Bool, isfinite),
    f("rand", &[Long], Out::Real, rand).args(0, 1).volatile(),
    f("tohex", &[Long, Long], Out::Str, tohex).args(1, 2),
    f("new_guid", &[], Out::Guid, new_guid).volatile(),
];

fn long2(c: &Call<'_>, op: fn(i64, i64) -> Option<i64>) -> Result<ArrayRef> {
    let (a, b) = (c.i64(0)?, c.i64(1)?);
    Ok(longs((0..c.rows).map(|i| op(a.get(i)?, b.get(i)?))))
}

/// Defines kernels that apply one operation to every row.
macro_rules! kernels {
    ($helper:ident: $($name:ident => $op:expr),* $(,)?) => {
        $(fn $name(c: &Call<'_>) -> Result<ArrayRef> {
            $helper(c, $op)
        })*
    };
}

kernels!(long2:
    binary_and => |a, b| Some(a & b),
    binary_or => |a, b| Some(a | b),
    binary_xor => |a, b| Some(a ^ b),
    shift_left => |a, s| u32::try_from(s).ok().map(|s| a.wrapping_shl(s)),
    shift_right => |a, s| u32::try_from(s).ok().map(|s| a.wrapping_shr(s)),
);
fn binary_not(c: &Call<'_>) -> Result<ArrayRef> {
    let a = c.i64(0)?;
    Ok(longs((0..c.rows).map(|i| a.get(i).map(|v| !v))))
}
fn count_ones(c: &Call<'_>) -> Result<ArrayRef> {
    let a = c.i64(0)?;
    Ok(longs((0..c.rows).map(|i| a.get(i).map(|v| i64::from(v.count_ones())))))
}

fn real1(c: &Call<'_>, op: fn(f64) -> f64) -> Result<ArrayRef> {
    let a = c.f64(0)?;
    Ok(reals((0..c.rows).map(|i| a.get(i).map(op))))
}

kernels!(real1:
    sin => f64::sin,
    cos => f64::cos,
    tan => f64::tan,
    asin => f64::asin,
    acos => f64::acos,
    atan => f64::atan,
    cot => |x| 1.0 / x.tan(),
    degrees => f64::to_degrees,
    radians => f64::to_radians,
    exp2 => f64::exp2,
    exp10 => |x| 10f64.powf(x),
    gamma => libm::tgamma,
    loggamma => libm::lgamma,
);

fn atan2(c: &Call<'_>) -> Result<ArrayRef> {
    let (y, x) = (c.f64(0)?, c.f64(1)?);
    Ok(reals((0..c.rows).map(|i| Some(y.get(i)?.atan2(x.get(i)?)))))
}
fn pi(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(reals((0..c.rows).map(|_| Some(std::f64::consts::PI))))
}

fn real_test(c: &Call<'_>, op: fn(f64) -> bool) -> Result<ArrayRef> {
    let a = c.f64(0)?;
    Ok(bools((0..c.rows).map(|i| a.get(i).map(op))))
}
kernels!(real_test:
    isnan => f64::is_nan,
    isinf => f64::is_infinite,
    isfinite => f64::is_finite,
);

/// `rand()` in [0, 1); `rand(n)` a whole number in [0, n) (as a real; null for `n <= 0`).
fn rand(c: &Call<'_>) -> Result<ArrayRef> {
    use rand::{Rng as _, SeedableRng as _};
    static CALLS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = c.i64(0)?;
    let clock = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(clock ^ call.rotate_left(32));
    Ok(reals((0..c.rows).map(|i| {
        if c.has(0) {
            let n = n.get(i).filter(|n| *n > 0)?;
            Some(rng.random_range(0..n) as f64)
        } else {
            Some(rng.random::<f64>())
        }
    })))
}

/// `tohex(n, min_length)`: lower-case hex (two's complement for negatives), zero-padded.
fn tohex(c: &Call<'_>) -> Result<ArrayRef> {
    let (a, w) = (c.i64(0)?, c.i64(1)?);
    Ok(texts((0..c.rows).map(|i| {
        let v = a.get(i)?;
        let width = if c.has(1) { w.get(i).unwrap_or(0).clamp(0, 64) as usize } else { 0 };
        Some(format!("{v:0width$x}"))
    })))
}

/// `new_guid()`: a random (version 4) GUID per row.
fn new_guid(c: &Call<'_>) -> Result<ArrayRef> {
    Ok(nullable_texts((0..c.rows).map(|_| Some(uuid::Uuid::new_v4().to_string()))))
}

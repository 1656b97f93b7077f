//! Row-wise functions that build or read arrays of values: `range`, `repeat`,
//! `dynamic_to_json`, `jaccard_index`, and the readers of the `hll` and `tdigest` sketches.
//!
//! A sketch here is exact (a documented choice): `hll(x)` is the array of `x`'s distinct values
//! and `tdigest(x)` the array of its values, so `dcount_hll` and `percentile_tdigest` give the
//! exact distinct count and the nearest-rank percentile. Kusto's sketches are estimates within
//! their documented error of these values; the arrays are larger than Kusto's fixed-size
//! sketches.

use indexmap::IndexMap;

use super::arrays::{array_of, order};
use super::{arg, distinct, same};
use crate::dynamic::Dyn;
use crate::functions::dynamic::convert::{to_datetime, to_long, to_real, to_timespan};
use crate::functions::tostring::format_datetime;

/// At most this many values in one `range` or `repeat` (Kusto's cap on a dynamic array).
const MAX_VALUES: usize = 1_048_576;

/// `range(start, stop, step)`: numbers (whole when all three are), or datetimes with a
/// timespan step; null when the step is 0 or points away from `stop`.
pub(super) fn range(args: &[Dyn]) -> Dyn {
    let (start, stop) = (arg(args, 0), arg(args, 1));
    let step = if args.len() > 2 { arg(args, 2).clone() } else { Dyn::Long(1) };
    if let (Dyn::Long(a), Dyn::Long(b), Dyn::Long(s)) = (start, stop, &step) {
        if *s == 0 || (b > a && *s < 0) || (b < a && *s > 0) {
            return Dyn::Null;
        }
        let count = ((b - a) / s).unsigned_abs().saturating_add(1).min(MAX_VALUES as u64) as i64;
        return Dyn::Array((0..count).map(|k| Dyn::Long(a + k * s)).collect());
    }
    if let (Some(a), Some(b)) = (to_datetime(start), to_datetime(stop)) {
        let Some(s) = to_timespan(&step).filter(|s| *s != 0) else { return Dyn::Null };
        if (b > a && s < 0) || (b < a && s > 0) {
            return Dyn::Null;
        }
        let count = ((b - a) / s).unsigned_abs().saturating_add(1).min(MAX_VALUES as u64) as i64;
        return Dyn::Array((0..count).map(|k| Dyn::String(format_datetime(a + k * s))).collect());
    }
    let (Some(a), Some(b), Some(s)) = (num(start), num(stop), num(&step)) else { return Dyn::Null };
    if s == 0.0 || (b > a && s < 0.0) || (b < a && s > 0.0) || !s.is_finite() {
        return Dyn::Null;
    }
    let count = (((b - a) / s).floor() as u64).saturating_add(1).min(MAX_VALUES as u64);
    Dyn::Array((0..count).map(|k| Dyn::Real(a + k as f64 * s)).collect())
}

fn num(v: &Dyn) -> Option<f64> {
    match v {
        Dyn::Long(_) | Dyn::Real(_) => to_real(v),
        _ => None,
    }
}

/// `repeat(value, count)`: an array of `count` copies (empty for 0 or less).
pub(super) fn repeat(args: &[Dyn]) -> Dyn {
    let Some(n) = to_long(arg(args, 1)) else { return Dyn::Null };
    let n = usize::try_from(n.max(0)).unwrap_or(0).min(MAX_VALUES);
    Dyn::Array(vec![arg(args, 0).clone(); n])
}

/// `dynamic_to_json(d)`: JSON text with the keys of every bag sorted (Kusto's canonical form).
pub(super) fn dynamic_to_json(args: &[Dyn]) -> Dyn {
    fn sorted(v: &Dyn) -> Dyn {
        match v {
            Dyn::Array(items) => Dyn::Array(items.iter().map(sorted).collect()),
            Dyn::Bag(bag) => {
                let mut keys: Vec<&String> = bag.keys().collect();
                keys.sort();
                let mut out = IndexMap::new();
                for k in keys {
                    out.insert(k.clone(), sorted(&bag[k]));
                }
                Dyn::Bag(out)
            }
            other => other.clone(),
        }
    }
    Dyn::String(sorted(arg(args, 0)).to_json())
}

/// `jaccard_index(a, b)`: distinct elements in both over distinct elements in either (NaN for
/// two empty arrays).
pub(super) fn jaccard_index(args: &[Dyn]) -> Dyn {
    let (Some(a), Some(b)) = (array_of(arg(args, 0)), array_of(arg(args, 1))) else { return Dyn::Null };
    let (a, b) = (distinct(a.iter().cloned()), distinct(b.iter().cloned()));
    let both = a.iter().filter(|x| b.iter().any(|y| same(x, y))).count();
    let either = a.len() + b.len() - both;
    Dyn::Real(both as f64 / either as f64)
}

/// `dcount_hll(hll)`: the number of distinct values the sketch holds.
pub(super) fn dcount_hll(args: &[Dyn]) -> Dyn {
    match array_of(arg(args, 0)) {
        Some(a) => Dyn::Long(distinct(a.iter().cloned()).len() as i64),
        None if arg(args, 0).is_null() => Dyn::Long(0),
        None => Dyn::Null,
    }
}

/// `hll_merge(h1, h2, ...)`: one sketch of the distinct values of all.
pub(super) fn hll_merge(args: &[Dyn]) -> Dyn {
    Dyn::Array(distinct(args.iter().filter_map(array_of).flatten().cloned()))
}

/// `tdigest_merge(t1, t2, ...)`: one sketch of the values of all.
pub(super) fn tdigest_merge(args: &[Dyn]) -> Dyn {
    Dyn::Array(args.iter().filter_map(array_of).flatten().cloned().collect())
}

/// The sketch's values, sorted (numbers, datetimes and timespans in their order).
fn sorted_values(sketch: &Dyn) -> Option<Vec<Dyn>> {
    let mut values: Vec<Dyn> = array_of(sketch)?.iter().filter(|v| !v.is_null()).cloned().collect();
    values.sort_by(order);
    Some(values)
}

/// The nearest-rank percentile of sorted values.
fn nearest_rank(values: &[Dyn], p: f64) -> Dyn {
    if values.is_empty() || !(0.0..=100.0).contains(&p) {
        return Dyn::Null;
    }
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1].clone()
}

/// `percentile_tdigest(t, p)`.
pub(super) fn percentile_tdigest(args: &[Dyn]) -> Dyn {
    let (Some(values), Some(p)) = (sorted_values(arg(args, 0)), to_real(arg(args, 1))) else { return Dyn::Null };
    nearest_rank(&values, p)
}

/// `percentiles_array_tdigest(t, p1, p2, ...)` or `(t, dynamic([p1, ...]))`.
pub(super) fn percentiles_array_tdigest(args: &[Dyn]) -> Dyn {
    let Some(values) = sorted_values(arg(args, 0)) else { return Dyn::Null };
    let ps: Vec<&Dyn> = match args.get(1) {
        Some(Dyn::Array(items)) if args.len() == 2 => items.iter().collect(),
        _ => args.iter().skip(1).collect(),
    };
    Dyn::Array(ps.into_iter().map(|p| to_real(p).map_or(Dyn::Null, |p| nearest_rank(&values, p))).collect())
}

/// `rank_tdigest(t, v)`: how many values are at most `v`.
pub(super) fn rank_tdigest(args: &[Dyn]) -> Dyn {
    let Some(values) = sorted_values(arg(args, 0)) else { return Dyn::Null };
    let v = arg(args, 1);
    if v.is_null() {
        return Dyn::Null;
    }
    Dyn::Long(values.iter().filter(|x| order(x, v) != std::cmp::Ordering::Greater).count() as i64)
}

/// `percentrank_tdigest(t, v)`: the percentage of values at most `v`.
pub(super) fn percentrank_tdigest(args: &[Dyn]) -> Dyn {
    let Some(values) = sorted_values(arg(args, 0)) else { return Dyn::Null };
    if values.is_empty() {
        return Dyn::Null;
    }
    match rank_tdigest(args) {
        Dyn::Long(r) => Dyn::Real(r as f64 * 100.0 / values.len() as f64),
        other => other,
    }
}

/// The weighted nearest-rank percentile of values sorted ascending with their weights (aligned
/// arrays): the first value whose running weight reaches `p` percent of the total weight
/// (negative weights count as 0; null without positive weight).
pub(super) fn weighted_percentile(args: &[Dyn]) -> Dyn {
    let (Some(values), Some(weights), Some(p)) =
        (array_of(arg(args, 0)), array_of(arg(args, 1)), to_real(arg(args, 2)))
    else {
        return Dyn::Null;
    };
    let weight = |w: &Dyn| to_real(w).unwrap_or(0.0).max(0.0);
    let total: f64 = weights.iter().map(weight).sum();
    if total <= 0.0 || !(0.0..=100.0).contains(&p) {
        return Dyn::Null;
    }
    let threshold = p / 100.0 * total;
    let mut running = 0.0;
    for (v, w) in values.iter().zip(weights) {
        running += weight(w);
        if running >= threshold && weight(w) > 0.0 {
            return v.clone();
        }
    }
    values.last().cloned().unwrap_or(Dyn::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = range(&[Dyn::Long(1), Dyn::Long(8), Dyn::Long(3)]);
        assert_eq!(r.to_json(), "[1,4,7]");
        assert_eq!(range(&[Dyn::Long(5), Dyn::Long(1), Dyn::Long(-2)]).to_json(), "[5,3,1]");
        assert!(range(&[Dyn::Long(1), Dyn::Long(5), Dyn::Long(0)]).is_null());
        assert_eq!(range(&[Dyn::Real(1.0), Dyn::Real(2.0), Dyn::Real(0.5)]).to_json(), "[1,1.5,2]");
        let d = range(&[
            Dyn::String("2024-01-01T00:00:00.0000000Z".into()),
            Dyn::String("2024-01-03T00:00:00.0000000Z".into()),
            Dyn::String("1.00:00:00".into()),
        ]);
        assert_eq!(
            d.to_json(),
            r#"["2024-01-01T00:00:00.0000000Z","2024-01-02T00:00:00.0000000Z","2024-01-03T00:00:00.0000000Z"]"#
        );
    }

    #[test]
    fn sketches() {
        let t = Dyn::Array((1..=10).map(Dyn::Long).collect());
        assert_eq!(percentile_tdigest(&[t.clone(), Dyn::Long(50)]), Dyn::Long(5));
        assert_eq!(rank_tdigest(&[t.clone(), Dyn::Long(3)]), Dyn::Long(3));
        assert_eq!(percentrank_tdigest(&[t, Dyn::Long(3)]), Dyn::Real(30.0));
        let h =
            hll_merge(&[Dyn::Array(vec![Dyn::Long(1), Dyn::Long(2)]), Dyn::Array(vec![Dyn::Long(2), Dyn::Long(3)])]);
        assert_eq!(dcount_hll(&[h]), Dyn::Long(3));
        let v = Dyn::Array(vec![Dyn::Long(1), Dyn::Long(2), Dyn::Long(3)]);
        let w = Dyn::Array(vec![Dyn::Long(1), Dyn::Long(1), Dyn::Long(8)]);
        assert_eq!(weighted_percentile(&[v.clone(), w.clone(), Dyn::Long(20)]), Dyn::Long(2));
        assert_eq!(weighted_percentile(&[v, w, Dyn::Long(50)]), Dyn::Long(3));
    }
}

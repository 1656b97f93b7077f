//! The array and set entries of the row-wise registry (`array_*`, `pack_array`,
//! `strcat_array`, `set_*`).

use super::{arg, distinct, int_arg, same};
use crate::dynamic::Dyn;
use crate::functions::dynamic::convert::to_long;

pub(super) fn array_of(v: &Dyn) -> Option<&Vec<Dyn>> {
    if let Dyn::Array(a) = v { Some(a) } else { None }
}

/// Null when the value is not an array.
pub(super) fn array_length(args: &[Dyn]) -> Dyn {
    array_of(arg(args, 0)).map_or(Dyn::Null, |a| Dyn::Long(a.len() as i64))
}

/// Null when any argument is not an array.
pub(super) fn array_concat(args: &[Dyn]) -> Dyn {
    let mut out = Vec::new();
    for a in args {
        match array_of(a) {
            Some(items) => out.extend(items.iter().cloned()),
            None => return Dyn::Null,
        }
    }
    Dyn::Array(out)
}

/// `start..end`, both inclusive; negative values count from the end; out-of-range parts are
/// ignored.
pub(super) fn array_slice(args: &[Dyn]) -> Dyn {
    let (Some(a), Some(start), Some(end)) = (array_of(arg(args, 0)), int_arg(args, 1), int_arg(args, 2)) else {
        return Dyn::Null;
    };
    let n = a.len() as i64;
    let start = if start < 0 { n + start } else { start }.max(0);
    let end = if end < 0 { n + end } else { end }.min(n - 1);
    if start > end {
        return Dyn::Array(Vec::new());
    }
    Dyn::Array(a[start as usize..=end as usize].to_vec())
}

pub(super) fn array_reverse(args: &[Dyn]) -> Dyn {
    array_of(arg(args, 0)).map_or(Dyn::Null, |a| Dyn::Array(a.iter().rev().cloned().collect()))
}

/// The zero-based position of the `occurrence`-th match in the range `start` (negative: from
/// the end), `length` (-1: to the end); -1 when not found, null for an occurrence below 1 or a
/// length below -1.
pub(super) fn array_index_of(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let value = arg(args, 1);
    let n = a.len() as i64;
    let start = if args.len() > 2 { int_arg(args, 2) } else { Some(0) };
    let length = if args.len() > 3 { int_arg(args, 3) } else { Some(-1) };
    let occurrence = if args.len() > 4 { int_arg(args, 4) } else { Some(1) };
    let (Some(start), Some(length), Some(occurrence)) = (start, length, occurrence) else { return Dyn::Null };
    if occurrence < 1 || length < -1 {
        return Dyn::Null;
    }
    let start = if start < 0 { (n + start).max(0) } else { start };
    let end = if length == -1 { n } else { (start + length).min(n) };
    let mut seen = 0;
    for i in start..end {
        if same(&a[i as usize], value) {
            seen += 1;
            if seen == occurrence {
                return Dyn::Long(i);
            }
        }
    }
    Dyn::Long(-1)
}

/// Null when an element is not a number; the sum is a `real`.
pub(super) fn array_sum(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let mut sum = 0.0;
    for v in a {
        match v {
            Dyn::Long(x) => sum += *x as f64,
            Dyn::Real(x) => sum += *x,
            _ => return Dyn::Null,
        }
    }
    Dyn::Real(sum)
}

/// Element-wise `iff`: a condition is a boolean or a number (non-zero is true), anything else
/// gives null; `when_true`/`when_false` are arrays (missing elements null) or single values.
pub(super) fn array_iff(args: &[Dyn]) -> Dyn {
    let Some(cond) = array_of(arg(args, 0)) else { return Dyn::Null };
    let pick = |v: &Dyn, i: usize| match v {
        Dyn::Array(items) => items.get(i).cloned().unwrap_or(Dyn::Null),
        other => other.clone(),
    };
    Dyn::Array(
        cond.iter()
            .enumerate()
            .map(|(i, c)| {
                let truth = match c {
                    Dyn::Bool(b) => Some(*b),
                    Dyn::Long(x) => Some(*x != 0),
                    Dyn::Real(x) => Some(*x != 0.0),
                    _ => None,
                };
                match truth {
                    Some(true) => pick(arg(args, 1), i),
                    Some(false) => pick(arg(args, 2), i),
                    None => Dyn::Null,
                }
            })
            .collect(),
    )
}

pub(super) fn shift(args: &[Dyn], left: bool) -> Dyn {
    let (Some(a), Some(by)) = (array_of(arg(args, 0)), int_arg(args, 1)) else { return Dyn::Null };
    let fill = arg(args, 2).clone();
    let n = a.len() as i64;
    let by = if left { by } else { -by };
    Dyn::Array(
        (0..n)
            .map(|i| {
                let j = i + by;
                if (0..n).contains(&j) { a[j as usize].clone() } else { fill.clone() }
            })
            .collect(),
    )
}

pub(super) fn array_shift_left(args: &[Dyn]) -> Dyn {
    shift(args, true)
}

pub(super) fn array_shift_right(args: &[Dyn]) -> Dyn {
    shift(args, false)
}

pub(super) fn rotate(args: &[Dyn], left: bool) -> Dyn {
    let (Some(a), Some(by)) = (array_of(arg(args, 0)), int_arg(args, 1)) else { return Dyn::Null };
    if a.is_empty() {
        return Dyn::Array(Vec::new());
    }
    let n = a.len() as i64;
    let by = if left { by } else { -by }.rem_euclid(n) as usize;
    let mut out = a.clone();
    out.rotate_left(by);
    Dyn::Array(out)
}

pub(super) fn array_rotate_left(args: &[Dyn]) -> Dyn {
    rotate(args, true)
}

pub(super) fn array_rotate_right(args: &[Dyn]) -> Dyn {
    rotate(args, false)
}

/// The sort order of mixed elements: numbers (and datetimes, timespans), then strings, then
/// everything else; nulls apart.
pub(super) fn order(a: &Dyn, b: &Dyn) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let rank = |v: &Dyn| match v {
        Dyn::Long(_) | Dyn::Real(_) => 0,
        Dyn::String(_) => 1,
        _ => 2,
    };
    match (a, b) {
        (Dyn::Long(x), Dyn::Long(y)) => x.cmp(y),
        (x @ (Dyn::Long(_) | Dyn::Real(_)), y @ (Dyn::Long(_) | Dyn::Real(_))) => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x.partial_cmp(&y).unwrap_or(Ordering::Equal)
        }
        (Dyn::String(x), Dyn::String(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.key().cmp(&b.key())),
    }
}

/// The first array sorted, the others reordered to match (null for one whose length differs);
/// a trailing `bool` says whether nulls go last (the default). With one array, the sorted
/// array; with several, an array of the sorted arrays.
pub(super) fn sort(args: &[Dyn], descending: bool) -> Dyn {
    let (arrays, nulls_last) = match args.split_last() {
        Some((Dyn::Bool(b), rest)) if !rest.is_empty() => (rest, *b),
        _ => (args, true),
    };
    let Some(first) = arrays.first().and_then(array_of) else { return Dyn::Null };
    let mut idx: Vec<usize> = (0..first.len()).collect();
    idx.sort_by(|&i, &j| {
        let (a, b) = (&first[i], &first[j]);
        match (a.is_null(), b.is_null()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => {
                if nulls_last {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Less
                }
            }
            (false, true) => {
                if nulls_last {
                    std::cmp::Ordering::Less
                } else {
                    std::cmp::Ordering::Greater
                }
            }
            _ => {
                let o = order(a, b);
                if descending { o.reverse() } else { o }
            }
        }
    });
    let reorder = |a: &Dyn| match array_of(a) {
        Some(items) if items.len() == first.len() => Dyn::Array(idx.iter().map(|&i| items[i].clone()).collect()),
        _ => Dyn::Null,
    };
    if arrays.len() == 1 { reorder(&arrays[0]) } else { Dyn::Array(arrays.iter().map(reorder).collect()) }
}

pub(super) fn array_sort_asc(args: &[Dyn]) -> Dyn {
    sort(args, false)
}

pub(super) fn array_sort_desc(args: &[Dyn]) -> Dyn {
    sort(args, true)
}

/// Split at one index or an array of indexes (negative: from the end) into N+1 arrays.
pub(super) fn array_split(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::Null };
    let n = a.len() as i64;
    let raw: Vec<i64> = match arg(args, 1) {
        Dyn::Array(items) => items.iter().filter_map(to_long).collect(),
        other => to_long(other).into_iter().collect(),
    };
    let mut cuts: Vec<usize> = raw.iter().map(|&i| (if i < 0 { n + i } else { i }).clamp(0, n) as usize).collect();
    cuts.sort_unstable();
    let mut out = Vec::with_capacity(cuts.len() + 1);
    let mut from = 0;
    for c in cuts {
        out.push(Dyn::Array(a[from..c.max(from)].to_vec()));
        from = c.max(from);
    }
    out.push(Dyn::Array(a[from..].to_vec()));
    Dyn::Array(out)
}

/// Any values, of any types, as one array.
pub(super) fn pack_array(args: &[Dyn]) -> Dyn {
    Dyn::Array(args.to_vec())
}

/// The elements' text joined by the delimiter (nulls as `""`).
pub(super) fn strcat_array(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::String(String::new()) };
    let delim = arg(args, 1).to_text();
    Dyn::String(a.iter().map(Dyn::to_text).collect::<Vec<_>>().join(&delim))
}

// ---------------------------------------------------------------- sets

pub(super) fn set_has_element(args: &[Dyn]) -> Dyn {
    match array_of(arg(args, 0)) {
        Some(a) => Dyn::Bool(a.iter().any(|v| same(v, arg(args, 1)))),
        None => Dyn::Null,
    }
}

/// Distinct values of all arrays, in first-seen order (null when an argument is not an array).
pub(super) fn set_union(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    Dyn::Array(distinct(arrays.into_iter().flatten().cloned()))
}

/// Distinct values of the first array that every other array holds.
pub(super) fn set_intersect(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let Some((first, rest)) = arrays.split_first() else { return Dyn::Array(Vec::new()) };
    let keep = first.iter().filter(|v| rest.iter().all(|r| r.iter().any(|x| same(x, v)))).cloned();
    Dyn::Array(distinct(keep))
}

/// Distinct values of the first array that no other array holds.
pub(super) fn set_difference(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let Some((first, rest)) = arrays.split_first() else { return Dyn::Array(Vec::new()) };
    let keep = first.iter().filter(|v| !rest.iter().any(|r| r.iter().any(|x| same(x, v)))).cloned();
    Dyn::Array(distinct(keep))
}

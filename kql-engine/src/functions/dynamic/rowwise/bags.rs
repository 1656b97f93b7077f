//! The property-bag entries of the row-wise registry (`bag_*`, `treepath`, `zip`).

use indexmap::IndexMap;

use super::{arg, steps_of};
use crate::dynamic::{Dyn, Step};

pub(super) fn bag_keys(args: &[Dyn]) -> Dyn {
    match arg(args, 0) {
        Dyn::Bag(m) => Dyn::Array(m.keys().map(|k| Dyn::String(k.clone())).collect()),
        _ => Dyn::Null,
    }
}

/// A JSONPath key (`$.a.b`) or a root key; array subscripts are not supported (false).
pub(super) fn bag_has_key(args: &[Dyn]) -> Dyn {
    let Some(steps) = steps_of(arg(args, 1)) else { return Dyn::Bool(false) };
    let mut cur = arg(args, 0);
    for s in &steps {
        match (cur, s) {
            (Dyn::Bag(m), Step::Key(k)) => match m.get(k) {
                Some(v) => cur = v,
                None => return Dyn::Bool(false),
            },
            _ => return Dyn::Bool(false),
        }
    }
    Dyn::Bool(true)
}

/// The first bag that holds a key gives its value (the documented example keeps `A1` from the
/// first bag); arguments that are not bags are skipped.
pub(super) fn bag_merge(args: &[Dyn]) -> Dyn {
    let mut out = IndexMap::new();
    for a in args {
        if let Dyn::Bag(m) = a {
            for (k, v) in m {
                out.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
    Dyn::Bag(out)
}

/// Keys (root names or JSONPaths) removed; a bag is needed (null otherwise).
pub(super) fn bag_remove_keys(args: &[Dyn]) -> Dyn {
    let Dyn::Bag(m) = arg(args, 0) else { return Dyn::Null };
    let mut bag = m.clone();
    let keys = match arg(args, 1) {
        Dyn::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    for k in &keys {
        if let Some(steps) = steps_of(k) {
            remove_path(&mut bag, &steps);
        }
    }
    Dyn::Bag(bag)
}

pub(super) fn remove_path(bag: &mut IndexMap<String, Dyn>, steps: &[Step]) {
    match steps {
        [Step::Key(k)] => {
            bag.shift_remove(k);
        }
        [Step::Key(k), rest @ ..] => {
            if let Some(Dyn::Bag(inner)) = bag.get_mut(k) {
                remove_path(inner, rest);
            }
        }
        _ => {}
    }
}

/// The key (a root name or a JSONPath) set to the value, creating the bags on the way; a bag is
/// needed (null otherwise).
pub(super) fn bag_set_key(args: &[Dyn]) -> Dyn {
    let Dyn::Bag(m) = arg(args, 0) else { return Dyn::Null };
    let Some(steps) = steps_of(arg(args, 1)) else { return Dyn::Null };
    let mut bag = m.clone();
    set_path(&mut bag, &steps, arg(args, 2).clone());
    Dyn::Bag(bag)
}

pub(super) fn set_path(bag: &mut IndexMap<String, Dyn>, steps: &[Step], value: Dyn) {
    match steps {
        [Step::Key(k)] => {
            bag.insert(k.clone(), value);
        }
        [Step::Key(k), rest @ ..] => {
            let slot = bag.entry(k.clone()).or_insert_with(|| Dyn::Bag(IndexMap::new()));
            if !matches!(slot, Dyn::Bag(_)) {
                *slot = Dyn::Bag(IndexMap::new());
            }
            if let Dyn::Bag(inner) = slot {
                set_path(inner, rest, value);
            }
        }
        _ => {}
    }
}

/// Key/value pairs; a repeated key takes the last value (at its first place). Null values are
/// kept (the `pack_all` example shows `"Count": null`).
pub(super) fn bag_pack(args: &[Dyn]) -> Dyn {
    let mut out = IndexMap::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair {
            out.insert(k.to_text(), v.clone());
        }
    }
    Dyn::Bag(out)
}

/// Every leaf path (`['a']`, `['a'][0]`); an array's elements share the `[0]` path.
pub(super) fn treepath(args: &[Dyn]) -> Dyn {
    fn walk(v: &Dyn, prefix: &str, out: &mut Vec<String>) {
        match v {
            Dyn::Bag(m) => {
                for (k, child) in m {
                    let p = format!("{prefix}['{}']", k.replace('\'', "\\'"));
                    if !out.contains(&p) {
                        out.push(p.clone());
                    }
                    walk(child, &p, out);
                }
            }
            Dyn::Array(items) if !items.is_empty() => {
                let p = format!("{prefix}[0]");
                if !out.contains(&p) {
                    out.push(p.clone());
                }
                for item in items {
                    walk(item, &p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    match arg(args, 0) {
        v @ (Dyn::Bag(_) | Dyn::Array(_)) => walk(v, "", &mut out),
        _ => return Dyn::Null,
    }
    Dyn::Array(out.into_iter().map(Dyn::String).collect())
}

/// Arrays zipped element by element; shorter arrays are padded with null.
pub(super) fn zip(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> =
        args.iter().map(|a| if let Dyn::Array(v) = a { Some(v) } else { None }).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let len = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
    Dyn::Array(
        (0..len).map(|i| Dyn::Array(arrays.iter().map(|a| a.get(i).cloned().unwrap_or(Dyn::Null)).collect())).collect(),
    )
}

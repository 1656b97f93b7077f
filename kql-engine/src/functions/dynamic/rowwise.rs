//! The registry of row-wise functions over whole `dynamic` values: bags, arrays, sets and their
//! builders. Each entry names the KQL function, its aliases, its arity and its result type, and
//! its body works on [`Dyn`] values (every argument is read as one, typed arguments included:
//! a `long` is a number, a `string` a string). One UDF type runs them all.
//!
//! The bodies follow Microsoft's KQL documentation (`<name>-function.md`); where it is silent
//! the choice is written on the entry.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BinaryBuilder, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility,
};
use indexmap::IndexMap;

use super::convert::{to_bool, to_long, to_real};
use super::jsonpath;
use crate::dynamic::arrow::to_dyn;
use crate::dynamic::{DYNAMIC_TYPE, Dyn, JsonRows, Step, is_dynamic_type};

/// What a function returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Out {
    /// `dynamic`
    Dynamic,
    /// `bool`
    Bool,
    /// `long`
    Long,
    /// `real`
    Real,
    /// `string`
    String,
}

impl Out {
    fn data_type(self) -> DataType {
        match self {
            Self::Dynamic => DYNAMIC_TYPE,
            Self::Bool => DataType::Boolean,
            Self::Long => DataType::Int64,
            Self::Real => DataType::Float64,
            Self::String => DataType::Utf8,
        }
    }
}

/// A row-wise function.
#[derive(Debug)]
pub struct Def {
    /// The KQL name.
    pub name: &'static str,
    /// Other names Kusto accepts for it.
    pub aliases: &'static [&'static str],
    /// The fewest arguments.
    pub min: usize,
    /// The most arguments.
    pub max: usize,
    /// The result type.
    pub out: Out,
    body: fn(&[Dyn]) -> Dyn,
}

const fn def(name: &'static str, min: usize, max: usize, out: Out, body: fn(&[Dyn]) -> Dyn) -> Def {
    Def { name, aliases: &[], min, max, out, body }
}

const fn alias(
    name: &'static str,
    aliases: &'static [&'static str],
    min: usize,
    max: usize,
    out: Out,
    body: fn(&[Dyn]) -> Dyn,
) -> Def {
    Def { name, aliases, min, max, out, body }
}

/// Every row-wise `dynamic` function.
pub static REGISTRY: &[Def] = &[
    // property bags
    def("bag_keys", 1, 1, Out::Dynamic, bag_keys),
    def("bag_has_key", 2, 2, Out::Bool, bag_has_key),
    def("bag_merge", 1, 64, Out::Dynamic, bag_merge),
    def("bag_remove_keys", 2, 2, Out::Dynamic, bag_remove_keys),
    def("bag_set_key", 3, 3, Out::Dynamic, bag_set_key),
    alias("bag_pack", &["pack", "pack_dictionary"], 0, 128, Out::Dynamic, bag_pack),
    def("treepath", 1, 1, Out::Dynamic, treepath),
    def("zip", 2, 16, Out::Dynamic, zip),
    // arrays
    alias("array_length", &["arraylength"], 1, 1, Out::Long, array_length),
    def("array_concat", 1, 64, Out::Dynamic, array_concat),
    def("array_slice", 3, 3, Out::Dynamic, array_slice),
    def("array_reverse", 1, 1, Out::Dynamic, array_reverse),
    def("array_index_of", 2, 5, Out::Long, array_index_of),
    def("array_sum", 1, 1, Out::Real, array_sum),
    alias("array_iff", &["array_iif"], 3, 3, Out::Dynamic, array_iff),
    def("array_shift_left", 2, 3, Out::Dynamic, array_shift_left),
    def("array_shift_right", 2, 3, Out::Dynamic, array_shift_right),
    def("array_rotate_left", 2, 2, Out::Dynamic, array_rotate_left),
    def("array_rotate_right", 2, 2, Out::Dynamic, array_rotate_right),
    def("array_sort_asc", 1, 64, Out::Dynamic, array_sort_asc),
    def("array_sort_desc", 1, 64, Out::Dynamic, array_sort_desc),
    def("array_split", 2, 2, Out::Dynamic, array_split),
    def("pack_array", 0, 64, Out::Dynamic, pack_array),
    alias("strcat_array", &["array_strcat"], 2, 2, Out::String, strcat_array),
    // sets
    def("set_has_element", 2, 2, Out::Bool, set_has_element),
    def("set_union", 1, 64, Out::Dynamic, set_union),
    def("set_intersect", 1, 64, Out::Dynamic, set_intersect),
    def("set_difference", 1, 64, Out::Dynamic, set_difference),
    // types
    def("gettype", 1, 1, Out::String, gettype),
];

/// `pack_all(true)`: like `bag_pack`, without the pairs whose value is null or empty.
static PACK_NONEMPTY: Def = def("pack_nonempty", 0, usize::MAX, Out::Dynamic, pack_nonempty);

/// `bag_pack(k1, v1, ...)` over planned pairs; `skip_empty` leaves out null and empty values.
pub fn pack(pairs: Vec<Expr>, skip_empty: bool) -> Expr {
    let def = if skip_empty { &PACK_NONEMPTY } else { lookup("bag_pack").unwrap_or(&PACK_NONEMPTY) };
    call(def, pairs)
}

fn pack_nonempty(args: &[Dyn]) -> Dyn {
    let mut out = IndexMap::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair
            && !v.is_null()
            && *v != Dyn::String(String::new())
        {
            out.insert(k.to_text(), v.clone());
        }
    }
    Dyn::Bag(out)
}

/// The row-wise function called `name` (or an alias of it).
pub fn lookup(name: &str) -> Option<&'static Def> {
    REGISTRY.iter().find(|d| d.name == name || d.aliases.contains(&name))
}

/// Every name of the registry, aliases included (for suggestions).
pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().copied()))
}

/// The UDF that runs one registry entry.
#[derive(Debug)]
pub struct RowFn {
    def: &'static Def,
    name: String,
    signature: Signature,
}

impl PartialEq for RowFn {
    fn eq(&self, other: &Self) -> bool {
        self.def.name == other.def.name
    }
}
impl Eq for RowFn {}
impl std::hash::Hash for RowFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.def.name.hash(state);
    }
}

/// `def(args...)` as an expression.
pub fn call(def: &'static Def, args: Vec<Expr>) -> Expr {
    ScalarUDF::new_from_impl(RowFn {
        def,
        name: format!("kql_{}", def.name),
        signature: Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], Volatility::Immutable),
    })
    .call(args)
}

/// One argument, read as `dynamic` values.
enum Arg {
    Const(Dyn),
    Json(JsonRows),
    Native(ArrayRef),
}

impl Arg {
    fn new(v: &ColumnarValue) -> Result<Self> {
        Ok(match v {
            ColumnarValue::Scalar(s) => {
                let a = s.to_array_of_size(1)?;
                Self::Const(if is_dynamic_type(a.data_type()) {
                    JsonRows::new(&a)?.dyn_at(0)
                } else {
                    to_dyn(a.as_ref(), 0)?
                })
            }
            ColumnarValue::Array(a) if is_dynamic_type(a.data_type()) => Self::Json(JsonRows::new(a)?),
            ColumnarValue::Array(a) => Self::Native(Arc::clone(a)),
        })
    }

    fn at(&self, i: usize) -> Result<Dyn> {
        Ok(match self {
            Self::Const(v) => v.clone(),
            Self::Json(rows) => rows.dyn_at(i),
            Self::Native(a) => to_dyn(a.as_ref(), i)?,
        })
    }
}

impl ScalarUDFImpl for RowFn {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.def.out.data_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let scalar = args.args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let n = if scalar { 1 } else { args.number_rows };
        let readers = args.args.iter().map(Arg::new).collect::<Result<Vec<_>>>()?;
        let mut values = Vec::with_capacity(readers.len());
        let mut results = Vec::with_capacity(n);
        for i in 0..n {
            values.clear();
            for r in &readers {
                values.push(r.at(i)?);
            }
            results.push((self.def.body)(&values));
        }
        let out = build(self.def.out, results)?;
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// An Arrow array of results.
fn build(out: Out, values: Vec<Dyn>) -> Result<ArrayRef> {
    Ok(match out {
        Out::Dynamic => {
            let mut b = BinaryBuilder::with_capacity(values.len(), values.len() * 16);
            let mut text = String::new();
            for v in values {
                if v.is_null() {
                    b.append_null();
                } else {
                    text.clear();
                    v.write_json(&mut text);
                    b.append_value(text.as_bytes());
                }
            }
            Arc::new(b.finish())
        }
        Out::Bool => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            values.iter().for_each(|v| b.append_option(to_bool(v).filter(|_| !v.is_null())));
            Arc::new(b.finish())
        }
        Out::Long => {
            let mut b = Int64Builder::with_capacity(values.len());
            values.iter().for_each(|v| b.append_option(to_long(v)));
            Arc::new(b.finish())
        }
        Out::Real => {
            let mut b = Float64Builder::with_capacity(values.len());
            values.iter().for_each(|v| b.append_option(to_real(v)));
            Arc::new(b.finish())
        }
        Out::String => {
            let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
            values.iter().for_each(|v| b.append_value(v.to_text()));
            Arc::new(b.finish())
        }
    })
}

// ---------------------------------------------------------------- helpers

fn arg(args: &[Dyn], i: usize) -> &Dyn {
    args.get(i).unwrap_or(&Dyn::Null)
}

fn int_arg(args: &[Dyn], i: usize) -> Option<i64> {
    to_long(arg(args, i))
}

/// Element equality for searches (`array_index_of`, `set_has_element`) and sets: numbers by
/// value, anything else by its JSON text.
fn same(a: &Dyn, b: &Dyn) -> bool {
    match (a, b) {
        (Dyn::Null, _) | (_, Dyn::Null) => false,
        (Dyn::Long(x), Dyn::Real(y)) | (Dyn::Real(y), Dyn::Long(x)) => (*x as f64) == *y,
        _ => a == b || a.key() == b.key(),
    }
}

/// Distinct values in first-seen order.
fn distinct(values: impl IntoIterator<Item = Dyn>) -> Vec<Dyn> {
    let mut seen = HashSet::new();
    values.into_iter().filter(|v| !v.is_null() && seen.insert(v.key())).collect()
}

fn steps_of(key: &Dyn) -> Option<Vec<Step>> {
    match key {
        Dyn::String(s) => jsonpath::parse(s).filter(|s| !s.is_empty() && s.iter().all(|s| matches!(s, Step::Key(_)))),
        _ => None,
    }
}

// ---------------------------------------------------------------- bags

fn bag_keys(args: &[Dyn]) -> Dyn {
    match arg(args, 0) {
        Dyn::Bag(m) => Dyn::Array(m.keys().map(|k| Dyn::String(k.clone())).collect()),
        _ => Dyn::Null,
    }
}

/// A JSONPath key (`$.a.b`) or a root key; array subscripts are not supported (false).
fn bag_has_key(args: &[Dyn]) -> Dyn {
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
fn bag_merge(args: &[Dyn]) -> Dyn {
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
fn bag_remove_keys(args: &[Dyn]) -> Dyn {
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

fn remove_path(bag: &mut IndexMap<String, Dyn>, steps: &[Step]) {
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
fn bag_set_key(args: &[Dyn]) -> Dyn {
    let Dyn::Bag(m) = arg(args, 0) else { return Dyn::Null };
    let Some(steps) = steps_of(arg(args, 1)) else { return Dyn::Null };
    let mut bag = m.clone();
    set_path(&mut bag, &steps, arg(args, 2).clone());
    Dyn::Bag(bag)
}

fn set_path(bag: &mut IndexMap<String, Dyn>, steps: &[Step], value: Dyn) {
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
fn bag_pack(args: &[Dyn]) -> Dyn {
    let mut out = IndexMap::new();
    for pair in args.chunks(2) {
        if let [k, v] = pair {
            out.insert(k.to_text(), v.clone());
        }
    }
    Dyn::Bag(out)
}

/// Every leaf path (`['a']`, `['a'][0]`); an array's elements share the `[0]` path.
fn treepath(args: &[Dyn]) -> Dyn {
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
fn zip(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> =
        args.iter().map(|a| if let Dyn::Array(v) = a { Some(v) } else { None }).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let len = arrays.iter().map(|a| a.len()).max().unwrap_or(0);
    Dyn::Array(
        (0..len).map(|i| Dyn::Array(arrays.iter().map(|a| a.get(i).cloned().unwrap_or(Dyn::Null)).collect())).collect(),
    )
}

// ---------------------------------------------------------------- arrays

fn array_of(v: &Dyn) -> Option<&Vec<Dyn>> {
    if let Dyn::Array(a) = v { Some(a) } else { None }
}

/// Null when the value is not an array.
fn array_length(args: &[Dyn]) -> Dyn {
    array_of(arg(args, 0)).map_or(Dyn::Null, |a| Dyn::Long(a.len() as i64))
}

/// Null when any argument is not an array.
fn array_concat(args: &[Dyn]) -> Dyn {
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
fn array_slice(args: &[Dyn]) -> Dyn {
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

fn array_reverse(args: &[Dyn]) -> Dyn {
    array_of(arg(args, 0)).map_or(Dyn::Null, |a| Dyn::Array(a.iter().rev().cloned().collect()))
}

/// The zero-based position of the `occurrence`-th match in the range `start` (negative: from
/// the end), `length` (-1: to the end); -1 when not found, null for an occurrence below 1 or a
/// length below -1.
fn array_index_of(args: &[Dyn]) -> Dyn {
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
fn array_sum(args: &[Dyn]) -> Dyn {
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
fn array_iff(args: &[Dyn]) -> Dyn {
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

fn shift(args: &[Dyn], left: bool) -> Dyn {
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

fn array_shift_left(args: &[Dyn]) -> Dyn {
    shift(args, true)
}

fn array_shift_right(args: &[Dyn]) -> Dyn {
    shift(args, false)
}

fn rotate(args: &[Dyn], left: bool) -> Dyn {
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

fn array_rotate_left(args: &[Dyn]) -> Dyn {
    rotate(args, true)
}

fn array_rotate_right(args: &[Dyn]) -> Dyn {
    rotate(args, false)
}

/// The sort order of mixed elements: numbers (and datetimes, timespans), then strings, then
/// everything else; nulls apart.
fn order(a: &Dyn, b: &Dyn) -> std::cmp::Ordering {
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
fn sort(args: &[Dyn], descending: bool) -> Dyn {
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

fn array_sort_asc(args: &[Dyn]) -> Dyn {
    sort(args, false)
}

fn array_sort_desc(args: &[Dyn]) -> Dyn {
    sort(args, true)
}

/// Split at one index or an array of indexes (negative: from the end) into N+1 arrays.
fn array_split(args: &[Dyn]) -> Dyn {
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
fn pack_array(args: &[Dyn]) -> Dyn {
    Dyn::Array(args.to_vec())
}

/// The elements' text joined by the delimiter (nulls as `""`).
fn strcat_array(args: &[Dyn]) -> Dyn {
    let Some(a) = array_of(arg(args, 0)) else { return Dyn::String(String::new()) };
    let delim = arg(args, 1).to_text();
    Dyn::String(a.iter().map(Dyn::to_text).collect::<Vec<_>>().join(&delim))
}

// ---------------------------------------------------------------- sets

fn set_has_element(args: &[Dyn]) -> Dyn {
    match array_of(arg(args, 0)) {
        Some(a) => Dyn::Bool(a.iter().any(|v| same(v, arg(args, 1)))),
        None => Dyn::Null,
    }
}

/// Distinct values of all arrays, in first-seen order (null when an argument is not an array).
fn set_union(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    Dyn::Array(distinct(arrays.into_iter().flatten().cloned()))
}

/// Distinct values of the first array that every other array holds.
fn set_intersect(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let Some((first, rest)) = arrays.split_first() else { return Dyn::Array(Vec::new()) };
    let keep = first.iter().filter(|v| rest.iter().all(|r| r.iter().any(|x| same(x, v)))).cloned();
    Dyn::Array(distinct(keep))
}

/// Distinct values of the first array that no other array holds.
fn set_difference(args: &[Dyn]) -> Dyn {
    let arrays: Option<Vec<&Vec<Dyn>>> = args.iter().map(array_of).collect();
    let Some(arrays) = arrays else { return Dyn::Null };
    let Some((first, rest)) = arrays.split_first() else { return Dyn::Array(Vec::new()) };
    let keep = first.iter().filter(|v| !rest.iter().any(|r| r.iter().any(|x| same(x, v)))).cloned();
    Dyn::Array(distinct(keep))
}

// ---------------------------------------------------------------- types

/// The kind of a `dynamic` value (typed arguments are named by the planner).
fn gettype(args: &[Dyn]) -> Dyn {
    Dyn::String(arg(args, 0).type_name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Dyn {
        Dyn::parse(text.as_bytes())
    }

    fn run(name: &str, args: &[&str]) -> String {
        let def = lookup(name).expect("registered");
        (def.body)(&args.iter().map(|a| d(a)).collect::<Vec<_>>()).to_json()
    }

    #[test]
    fn documented_examples() {
        assert_eq!(run("array_slice", &["[1,2,3]", "1", "2"]), "[2,3]");
        assert_eq!(run("array_slice", &["[1,2,3,4,5]", "2", "-1"]), "[3,4,5]");
        assert_eq!(run("array_slice", &["[1,2,3,4,5]", "-3", "-2"]), "[3,4]");
        assert_eq!(run("array_slice", &["[1,2,3]", "5", "9"]), "[]");
        let arr = r#"["this","is","an","example","an","example"]"#;
        let idx = |a: &[&str]| {
            let mut all = vec![arr];
            all.extend_from_slice(a);
            run("array_index_of", &all)
        };
        assert_eq!(idx(&[r#""an""#]), "2");
        assert_eq!(idx(&[r#""example""#, "1", "3"]), "3");
        assert_eq!(idx(&[r#""example""#, "1", "2"]), "-1");
        assert_eq!(idx(&[r#""is""#, "2", "4"]), "-1");
        assert_eq!(idx(&[r#""example""#, "2", "-1"]), "3");
        assert_eq!(idx(&[r#""an""#, "1", "-1", "2"]), "4");
        assert_eq!(idx(&[r#""an""#, "1", "-1", "3"]), "-1");
        assert_eq!(idx(&[r#""an""#, "-3"]), "4");
        assert_eq!(idx(&[r#""is""#, "-4"]), "-1");
        assert_eq!(run("array_iff", &["[true,false,true]", "[1,2,3]", "[4,5,6]"]), "[1,5,3]");
        assert_eq!(run("array_iff", &["[1,0,50]", r#""yes""#, r#""no""#]), r#"["yes","no","yes"]"#);
        assert_eq!(run("array_iff", &["[true,true,true]", "[1,2]", "[3,4]"]), "[1,2,null]");
        assert_eq!(run("array_shift_left", &["[1,2,3,4,5]", "2"]), "[3,4,5,null,null]");
        assert_eq!(run("array_shift_left", &["[1,2,3,4,5]", "-2", "-1"]), "[-1,-1,1,2,3]");
        assert_eq!(run("array_shift_right", &["[1,2,3,4,5]", "2", "-1"]), "[-1,-1,1,2,3]");
        assert_eq!(run("array_rotate_left", &["[1,2,3,4,5]", "2"]), "[3,4,5,1,2]");
        assert_eq!(run("array_rotate_right", &["[1,2,3,4,5]", "2"]), "[4,5,1,2,3]");
        assert_eq!(run("array_rotate_right", &["[1,2,3,4,5]", "-2"]), "[3,4,5,1,2]");
        assert_eq!(
            run("array_sort_asc", &["[1,3,4,5,2]", r#"["a","b","c","d","e"]"#]),
            r#"[[1,2,3,4,5],["a","e","b","c","d"]]"#
        );
        assert_eq!(
            run("array_sort_asc", &[r#"[null,"blue","yellow","green",null]"#]),
            r#"["blue","green","yellow",null,null]"#
        );
        assert_eq!(
            run("array_sort_asc", &[r#"[null,"blue","yellow","green",null]"#, "false"]),
            r#"[null,null,"blue","green","yellow"]"#
        );
        assert_eq!(run("array_split", &["[1,2,3,4,5]", "2"]), "[[1,2],[3,4,5]]");
        assert_eq!(run("array_split", &["[1,2,3,4,5]", "[1,3]"]), "[[1],[2,3],[4,5]]");
        assert_eq!(run("array_sum", &["[1,2,3,4]"]), "10");
        assert_eq!(run("array_sum", &[r#"[1,"a"]"#]), "null");
        assert_eq!(run("zip", &["[1,3,5]", "[2,4,6]"]), "[[1,2],[3,4],[5,6]]");
        assert_eq!(run("zip", &[r#"["A",1,1.5]"#, r#"[{},"B"]"#]), r#"[["A",{}],[1,"B"],[1.5,null]]"#);
        assert_eq!(run("set_union", &["[1,2,1,4]", "[1,2]", "[8]"]), "[1,2,4,8]");
        assert_eq!(run("set_intersect", &["[1,2,3]", "[4,5]"]), "[]");
        assert_eq!(run("set_difference", &["[1,2,3]", "[2]", "[5,3]"]), "[1]");
        assert_eq!(
            run("bag_merge", &[r#"{"A1":12,"B1":2,"C1":3}"#, r#"{"A2":81,"B2":82,"A1":1}"#]),
            r#"{"A1":12,"B1":2,"C1":3,"A2":81,"B2":82}"#
        );
        assert_eq!(
            run(
                "bag_remove_keys",
                &[
                    r#"{"key1":123,"key2":{"prop1":"abc","prop2":"xyz"},"key3":[100,200]}"#,
                    r#"["$.key2.prop1","key3"]"#
                ]
            ),
            r#"{"key1":123,"key2":{"prop2":"xyz"}}"#
        );
        assert_eq!(
            run("bag_set_key", &[r#"{"key1":123}"#, r#""$.key2.prop1""#, r#""abc""#]),
            r#"{"key1":123,"key2":{"prop1":"abc"}}"#
        );
        assert_eq!(run("bag_has_key", &[r#"{"key1":123,"key2":{"prop1":"abc"}}"#, r#""$.key2.prop1""#]), "true");
        assert_eq!(
            run("treepath", &[r#"{"prop1":[1,2,3,4],"prop2":"value2"}"#]),
            r#"["['prop1']","['prop1'][0]","['prop2']"]"#
        );
        assert_eq!(
            run("treepath", &[r#"{"listProperty":[100,200,300,"abcde",{"x":"y"}]}"#]),
            r#"["['listProperty']","['listProperty'][0]","['listProperty'][0]['x']"]"#
        );
    }
}

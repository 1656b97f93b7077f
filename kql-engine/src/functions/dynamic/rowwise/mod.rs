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

use self::arrays::*;
use self::bags::*;
use self::series::*;
use self::series_analysis::*;
use self::series_transforms::*;
use self::sketches::*;
use super::convert::{to_bool, to_long, to_real};
use super::jsonpath;

mod arrays;
mod bags;
mod series;
mod series_analysis;
mod series_transforms;
mod sketches;
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
    // arrays built from values, and the exact sketches
    def("range", 2, 3, Out::Dynamic, range),
    def("repeat", 2, 2, Out::Dynamic, repeat),
    def("dynamic_to_json", 1, 1, Out::String, dynamic_to_json),
    def("jaccard_index", 2, 2, Out::Real, jaccard_index),
    def("dcount_hll", 1, 1, Out::Long, dcount_hll),
    def("hll_merge", 2, 16, Out::Dynamic, hll_merge),
    alias("tdigest_merge", &["merge_tdigest"], 2, 16, Out::Dynamic, tdigest_merge),
    def("percentile_tdigest", 2, 2, Out::Dynamic, percentile_tdigest),
    def("percentiles_array_tdigest", 2, 64, Out::Dynamic, percentiles_array_tdigest),
    def("rank_tdigest", 2, 2, Out::Long, rank_tdigest),
    def("percentrank_tdigest", 2, 2, Out::Real, percentrank_tdigest),
    // series (arrays of numbers)
    def("series_add", 2, 2, Out::Dynamic, series_add),
    def("series_subtract", 2, 2, Out::Dynamic, series_subtract),
    def("series_multiply", 2, 2, Out::Dynamic, series_multiply),
    def("series_divide", 2, 2, Out::Dynamic, series_divide),
    def("series_pow", 2, 2, Out::Dynamic, series_pow),
    def("series_greater", 2, 2, Out::Dynamic, series_greater),
    def("series_greater_equals", 2, 2, Out::Dynamic, series_greater_equals),
    def("series_less", 2, 2, Out::Dynamic, series_less),
    def("series_less_equals", 2, 2, Out::Dynamic, series_less_equals),
    def("series_equals", 2, 2, Out::Dynamic, series_equals),
    def("series_not_equals", 2, 2, Out::Dynamic, series_not_equals),
    def("series_abs", 1, 1, Out::Dynamic, series_abs),
    def("series_sign", 1, 1, Out::Dynamic, series_sign),
    def("series_exp", 1, 1, Out::Dynamic, series_exp),
    def("series_log", 1, 1, Out::Dynamic, series_log),
    def("series_floor", 1, 1, Out::Dynamic, series_floor),
    def("series_ceiling", 1, 1, Out::Dynamic, series_ceiling),
    def("series_sin", 1, 1, Out::Dynamic, series_sin),
    def("series_cos", 1, 1, Out::Dynamic, series_cos),
    def("series_tan", 1, 1, Out::Dynamic, series_tan),
    def("series_asin", 1, 1, Out::Dynamic, series_asin),
    def("series_acos", 1, 1, Out::Dynamic, series_acos),
    def("series_atan", 1, 1, Out::Dynamic, series_atan),
    def("series_stats_dynamic", 1, 2, Out::Dynamic, series_stats_dynamic),
    def("series_fit_line_dynamic", 1, 1, Out::Dynamic, series_fit_line_dynamic),
    def("series_pearson_correlation", 2, 2, Out::Real, series_pearson_correlation),
    def("series_fill_forward", 1, 2, Out::Dynamic, series_fill_forward),
    def("series_fill_backward", 1, 2, Out::Dynamic, series_fill_backward),
    def("series_fill_const", 1, 3, Out::Dynamic, series_fill_const),
    def("series_fill_linear", 1, 4, Out::Dynamic, series_fill_linear),
    // series analysis
    def("series_outliers", 1, 6, Out::Dynamic, series_outliers),
    def("series_seasonal", 1, 2, Out::Dynamic, series_seasonal),
    def("series_decompose_forecast", 2, 5, Out::Dynamic, series_decompose_forecast),
    def("series_fir", 2, 4, Out::Dynamic, series_fir),
    def("series_iir", 3, 3, Out::Dynamic, series_iir),
    def("series_fit_2lines_dynamic", 1, 1, Out::Dynamic, series_fit_2lines_dynamic),
];

/// Functions the planner calls but a query cannot name: the one-bag forms of tuple functions
/// that Kusto has no `_dynamic` twin for.
static INTERNAL: &[Def] = &[
    def("series_decompose_bag", 1, 5, Out::Dynamic, series_decompose_bag),
    def("series_decompose_anomalies_bag", 1, 7, Out::Dynamic, series_decompose_anomalies_bag),
    def("series_fft_bag", 1, 2, Out::Dynamic, series_fft_bag),
    def("series_ifft_bag", 1, 2, Out::Dynamic, series_ifft_bag),
    def("series_fit_poly_bag", 1, 3, Out::Dynamic, series_fit_poly_bag),
];

/// A registry entry or an internal function, by name (for the planner's tuple functions).
pub fn lookup_any(name: &str) -> Option<&'static Def> {
    lookup(name)
        .or_else(|| INTERNAL.iter().find(|d| d.name == name))
        .or_else(|| (name == PACK_NONEMPTY.name).then_some(&PACK_NONEMPTY))
}

/// A located reason to reject the constant arguments of `name` (`None` for the others):
/// `(argument index, message)`.
pub fn check_arguments(name: &str, args: &[Option<Dyn>]) -> Option<(usize, String)> {
    series_analysis::check(name, args)
}

/// `pack_all(true)`: like `bag_pack`, without the pairs whose value is null or empty.
static PACK_NONEMPTY: Def = def("pack_nonempty", 0, usize::MAX, Out::Dynamic, pack_nonempty);

/// `weighted_percentile(sorted values, weights, p)`: the planner's form of `percentilew`.
static WEIGHTED_PERCENTILE: Def = def("weighted_percentile", 3, 3, Out::Dynamic, weighted_percentile);

/// The weighted nearest-rank percentile of aligned, sorted value and weight arrays.
pub fn weighted(values: Expr, weights: Expr, p: Expr) -> Expr {
    call(&WEIGHTED_PERCENTILE, vec![values, weights, p])
}

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
    pub(crate) def: &'static Def,
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
    udf(def).call(args)
}

/// The UDF that runs `def` over `dynamic` values.
pub(crate) fn udf(def: &'static Def) -> ScalarUDF {
    ScalarUDF::new_from_impl(RowFn {
        def,
        name: format!("kql_{}", def.name),
        signature: Signature::one_of(vec![TypeSignature::Nullary, TypeSignature::VariadicAny], Volatility::Immutable),
    })
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

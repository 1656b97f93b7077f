//! The registry of Kusto's scalar functions that work on typed values (strings, numbers,
//! datetimes, IP addresses, hashes, encodings). Each entry names the KQL function, its aliases,
//! its parameters (what the planner converts each argument to, and which must be constants) and
//! its result type; its body is a vectorized kernel over Arrow arrays. One UDF type runs them
//! all, so adding a function is one entry and one kernel.
//!
//! The kernels follow Microsoft's KQL documentation (`<name>-function.md`) and the signatures
//! of `Kusto.Language` (`Functions.cs`); where the documentation is silent the choice is written
//! on the kernel and in the README's "Semantics choices". Shared rules: a null string is `""`
//! (spec §3), so string results are never null; a function of a null number or datetime is
//! null; invalid input (an address that does not parse, a bad base64 text) is null, never an
//! error.
//!
//! A string argument that arrives as an Arrow dictionary (a dictionary-encoded Parquet column)
//! while every other argument is a constant is evaluated once per distinct value and the
//! result gathered by the keys ([`KqlScalar::invoke_with_args`]).

pub mod densify;
pub mod encode;
pub mod geo;
pub mod geo_lines;
pub mod geo_shapes;
pub mod geohash;
mod grid;
pub mod h3;
mod h3fill;
pub mod hash;
pub mod ip;
pub mod math;
pub mod regex;
pub mod s2cells;
pub mod s2cover;
mod shapes;
mod sphere;
pub mod stats;
pub mod text;
pub mod time;
pub mod units;
pub mod useragent;
pub mod xml;

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, LargeStringArray, StringArray, StringViewArray,
};
use datafusion::arrow::datatypes::TimestampNanosecondType;
use datafusion::arrow::datatypes::{DataType, DurationNanosecondType, Float64Type, Int64Type, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// How the planner prepares an argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// A `string` (a `dynamic` is read as its text); other types are an error, as in Kusto.
    Str,
    /// A number as it is: an `int` or `long` as a `long`, other numbers as a `real`.
    Num,
    /// A `string`, or an `int` or `long` (as a `long`): `format_ipv4` takes either.
    StrOrLong,
    /// A `string`, or a `dynamic` array of strings kept as it is (`has_any_ipv4(t, dynamic([...]))`).
    StrOrList,
    /// Any scalar, converted to text with `tostring` (Kusto's `ParameterTypeKind.Scalar`
    /// parameters of string functions).
    Text,
    /// An `int` or `long`, as a `long`.
    Long,
    /// Any number, as a `real`.
    Real,
    /// A `datetime` (nanoseconds, UTC).
    Time,
    /// A `timespan` (nanoseconds).
    Span,
    /// A `dynamic` value (a `string` is parsed as JSON).
    Dyn,
    /// A constant string holding a regular expression, compiled once when the query is planned.
    Regex,
    /// A constant string (a part name, a format), checked when the query is planned.
    ConstStr,
    /// A `bool`.
    Bool,
}

/// What a function returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Out {
    /// `string`
    Str,
    /// `long`
    Long,
    /// `int`
    Int,
    /// `real`
    Real,
    /// `bool`
    Bool,
    /// `datetime`
    Time,
    /// `timespan`
    Span,
    /// `dynamic`
    Dyn,
    /// `guid` (text)
    Guid,
    /// `decimal` (whole numbers: `parse_version`)
    Decimal,
}

impl Out {
    /// The Arrow type of the result.
    pub fn data_type(self) -> DataType {
        match self {
            Self::Str | Self::Guid => DataType::Utf8,
            Self::Long => DataType::Int64,
            Self::Int => DataType::Int32,
            Self::Real => DataType::Float64,
            Self::Bool => DataType::Boolean,
            Self::Time => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            Self::Span => DataType::Duration(TimeUnit::Nanosecond),
            Self::Dyn => crate::dynamic::DYNAMIC_TYPE,
            Self::Decimal => DataType::Decimal128(38, 0),
        }
    }
}

/// A kernel: the arguments (one per parameter given), the row count and the compiled regular
/// expression when the function takes one.
pub type Kernel = fn(&Call<'_>) -> Result<ArrayRef>;

/// A check of a constant argument when the query is planned: `Err(message)` is reported at the
/// argument.
pub type Check = fn(&str) -> std::result::Result<(), String>;

/// A function of the registry.
#[derive(Debug)]
pub struct Def {
    /// The KQL name.
    pub name: &'static str,
    /// Other names Kusto accepts (deprecated spellings included).
    pub aliases: &'static [&'static str],
    /// The parameters, in order.
    pub params: &'static [Param],
    /// How many arguments are required.
    pub min: usize,
    /// The most arguments (above `params.len()` the last parameter repeats).
    pub max: usize,
    /// The result type.
    pub out: Out,
    /// A check of the constant (`ConstStr`) arguments.
    pub check: Option<Check>,
    /// Whether the result changes from call to call (`rand`, `new_guid`).
    pub volatile: bool,
    /// A form the planner picks itself (`countof(..., 'regex')`), not a name users call.
    pub internal: bool,
    kernel: Kernel,
}

impl Def {
    /// The parameter at position `i` (the last one repeats); `None` for a function without
    /// parameters.
    pub fn param(&self, i: usize) -> Option<Param> {
        self.params.get(i).or_else(|| self.params.last()).copied()
    }
}

/// A function with exactly `params.len()` arguments, all required.
pub(crate) const fn f(name: &'static str, params: &'static [Param], out: Out, kernel: Kernel) -> Def {
    Def {
        name,
        aliases: &[],
        params,
        min: params.len(),
        max: params.len(),
        out,
        check: None,
        volatile: false,
        internal: false,
        kernel,
    }
}

impl Def {
    /// The same function with `min..=max` arguments.
    pub(crate) const fn args(self, min: usize, max: usize) -> Self {
        Self { min, max, ..self }
    }
    /// The same function under more names.
    pub(crate) const fn aka(self, aliases: &'static [&'static str]) -> Self {
        Self { aliases, ..self }
    }
    /// The same function with a check of its constant arguments.
    pub(crate) const fn checked(self, check: Check) -> Self {
        Self { check: Some(check), ..self }
    }
    /// The same function, only for the planner's own use.
    pub(crate) const fn internal(self) -> Self {
        Self { internal: true, ..self }
    }
    /// The same function, volatile.
    pub(crate) const fn volatile(self) -> Self {
        Self { volatile: true, ..self }
    }
}

/// Every family's functions.
pub fn registry() -> impl Iterator<Item = &'static Def> {
    [
        text::FUNCTIONS,
        regex::FUNCTIONS,
        encode::FUNCTIONS,
        hash::FUNCTIONS,
        ip::FUNCTIONS,
        math::FUNCTIONS,
        time::FUNCTIONS,
        xml::FUNCTIONS,
        geo::FUNCTIONS,
        geo_shapes::FUNCTIONS,
        geo_lines::FUNCTIONS,
        densify::FUNCTIONS,
        geohash::FUNCTIONS,
        h3::FUNCTIONS,
        h3fill::FUNCTIONS,
        s2cells::FUNCTIONS,
        s2cover::FUNCTIONS,
        useragent::FUNCTIONS,
        stats::FUNCTIONS,
        units::FUNCTIONS,
    ]
    .into_iter()
    .flatten()
}

/// The function named `name` (or one of its aliases).
pub fn lookup(name: &str) -> Option<&'static Def> {
    registry().find(|d| !d.internal && (d.name == name || d.aliases.contains(&name)))
}

/// A form the planner picks itself, by its internal name.
pub(crate) fn lookup_internal(name: &str) -> Option<&'static Def> {
    registry().find(|d| d.internal && d.name == name)
}

/// One call of a kernel.
#[derive(Debug)]
pub struct Call<'a> {
    /// The arguments.
    pub args: &'a [ColumnarValue],
    /// The number of rows.
    pub rows: usize,
    /// The compiled regular expression, for functions with a [`Param::Regex`].
    pub regex: Option<&'a ::regex::Regex>,
}

impl Call<'_> {
    /// Whether argument `i` was given.
    pub fn has(&self, i: usize) -> bool {
        i < self.args.len()
    }

    /// Argument `i` as strings.
    pub fn str(&self, i: usize) -> Result<Strs<'_>> {
        match self.args.get(i) {
            Some(ColumnarValue::Array(a)) => Strs::of(a.as_ref()),
            Some(ColumnarValue::Scalar(s)) => match crate::planner::string_of_scalar(s) {
                Some(text) => Ok(Strs::Const(Some(text))),
                None if s.is_null() && !crate::dynamic::is_dynamic_type(&s.data_type()) => Ok(Strs::Const(None)),
                None => exec_err!("expected a string argument, got {}", s.data_type()),
            },
            None => Ok(Strs::Const(None)),
        }
    }

    /// Argument `i` as 64-bit integers (`long`, `datetime` and `timespan` nanoseconds).
    pub fn i64(&self, i: usize) -> Result<Nums<'_, i64>> {
        match self.args.get(i) {
            Some(ColumnarValue::Array(a)) => Ok(Nums::Arr(int64_values(a.as_ref())?, a.as_ref())),
            Some(ColumnarValue::Scalar(s)) => Ok(Nums::Const(scalar_i64(s))),
            None => Ok(Nums::Const(None)),
        }
    }

    /// Argument `i` as reals.
    pub fn f64(&self, i: usize) -> Result<Nums<'_, f64>> {
        match self.args.get(i) {
            Some(ColumnarValue::Array(a)) => match a.data_type() {
                DataType::Float64 => Ok(Nums::Arr(a.as_primitive::<Float64Type>().values(), a.as_ref())),
                other => exec_err!("expected a real argument, got {other}"),
            },
            Some(ColumnarValue::Scalar(ScalarValue::Float64(v))) => Ok(Nums::Const(*v)),
            Some(ColumnarValue::Scalar(s)) if s.is_null() => Ok(Nums::Const(None)),
            Some(ColumnarValue::Scalar(s)) => exec_err!("expected a real argument, got {}", s.data_type()),
            None => Ok(Nums::Const(None)),
        }
    }

    /// Argument `i` as numbers (a [`Param::Num`]: a `long` or a `real`), read as reals.
    pub fn number(&self, i: usize) -> Result<Number<'_>> {
        let whole = matches!(self.args.get(i), Some(a) if matches!(a.data_type(), DataType::Int64 | DataType::Int32));
        Ok(if whole { Number::Whole(self.i64(i)?) } else { Number::Real(self.f64(i)?) })
    }

    /// The strings of argument `i` at `row`: its text, or the elements (as text) of a `dynamic`
    /// array (a [`Param::StrOrList`] argument).
    pub fn list_at(&self, i: usize, row: usize) -> Result<Vec<String>> {
        let Some(arg) = self.args.get(i) else { return Ok(Vec::new()) };
        if !crate::dynamic::is_dynamic_type(&arg.data_type()) {
            return Ok(self.str(i)?.get(row).map(|t| vec![t.to_owned()]).unwrap_or_default());
        }
        let value = match arg {
            ColumnarValue::Array(a) => crate::dynamic::arrow::to_dyn(a.as_ref(), row)?,
            ColumnarValue::Scalar(s) => crate::dynamic::arrow::to_dyn(s.to_array_of_size(1)?.as_ref(), 0)?,
        };
        Ok(match value {
            crate::dynamic::Dyn::Array(items) => items.iter().map(crate::dynamic::Dyn::to_text).collect(),
            crate::dynamic::Dyn::Null => Vec::new(),
            v => vec![v.to_text()],
        })
    }

    /// Argument `i` as booleans at `row` (`None` for null or absent).
    pub fn bool_at(&self, i: usize, row: usize) -> Option<bool> {
        match self.args.get(i)? {
            ColumnarValue::Array(a) => {
                let a = a.as_boolean_opt()?;
                a.is_valid(row).then(|| a.value(row))
            }
            ColumnarValue::Scalar(ScalarValue::Boolean(v)) => *v,
            ColumnarValue::Scalar(_) => None,
        }
    }

    /// Argument `i` as an array of `rows` values.
    pub fn array(&self, i: usize) -> Result<ArrayRef> {
        match self.args.get(i) {
            Some(ColumnarValue::Array(a)) => Ok(Arc::clone(a)),
            Some(ColumnarValue::Scalar(s)) => s.to_array_of_size(self.rows),
            None => exec_err!("argument {i} is missing"),
        }
    }

    /// The constant string of argument `i` (`""` when absent or null).
    pub fn const_str(&self, i: usize) -> &str {
        match self.args.get(i) {
            Some(ColumnarValue::Scalar(s)) => crate::planner::string_of_scalar(s).unwrap_or(""),
            _ => "",
        }
    }
}

fn int64_values(a: &dyn Array) -> Result<&[i64]> {
    Ok(match a.data_type() {
        DataType::Int64 => a.as_primitive::<Int64Type>().values(),
        DataType::Timestamp(TimeUnit::Nanosecond, _) => a.as_primitive::<TimestampNanosecondType>().values(),
        DataType::Duration(TimeUnit::Nanosecond) => a.as_primitive::<DurationNanosecondType>().values(),
        other => return exec_err!("expected a long, datetime or timespan argument, got {other}"),
    })
}

fn scalar_i64(s: &ScalarValue) -> Option<i64> {
    match s {
        ScalarValue::Int64(v) | ScalarValue::TimestampNanosecond(v, _) | ScalarValue::DurationNanosecond(v) => *v,
        ScalarValue::Int32(v) => v.map(i64::from),
        _ => None,
    }
}

/// String values of an argument, in any layout.
#[derive(Debug)]
pub enum Strs<'a> {
    /// `Utf8`
    Utf8(&'a StringArray),
    /// `LargeUtf8`
    Large(&'a LargeStringArray),
    /// `Utf8View`
    View(&'a StringViewArray),
    /// A constant.
    Const(Option<&'a str>),
}

impl<'a> Strs<'a> {
    fn of(a: &'a dyn Array) -> Result<Self> {
        Ok(match a.data_type() {
            DataType::Utf8 => Self::Utf8(a.as_string::<i32>()),
            DataType::LargeUtf8 => Self::Large(a.as_string::<i64>()),
            DataType::Utf8View => Self::View(a.as_string_view()),
            DataType::Null => Self::Const(None),
            other => return exec_err!("expected a string argument, got {other}"),
        })
    }

    /// Row `i`; `None` for null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match self {
            Self::Utf8(a) => a.is_valid(i).then(|| a.value(i)),
            Self::Large(a) => a.is_valid(i).then(|| a.value(i)),
            Self::View(a) => a.is_valid(i).then(|| a.value(i)),
            Self::Const(v) => *v,
        }
    }

    /// Row `i`, a null read as `""` (a KQL string is never null).
    #[inline]
    pub fn text(&self, i: usize) -> &'a str {
        self.get(i).unwrap_or("")
    }
}

/// Numbers of an argument.
#[derive(Debug)]
pub enum Nums<'a, T> {
    /// An array's values and the array (for its nulls).
    Arr(&'a [T], &'a dyn Array),
    /// A constant.
    Const(Option<T>),
}

impl<T: Copy> Nums<'_, T> {
    /// Row `i`; `None` for null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<T> {
        match self {
            Self::Arr(v, a) => a.is_valid(i).then(|| v[i]),
            Self::Const(v) => *v,
        }
    }
}

/// Numbers of a [`Param::Num`] argument.
#[derive(Debug)]
pub enum Number<'a> {
    /// `long` values.
    Whole(Nums<'a, i64>),
    /// `real` values.
    Real(Nums<'a, f64>),
}

impl Number<'_> {
    /// Row `i` as a real; `None` for null.
    #[inline]
    pub fn get(&self, i: usize) -> Option<f64> {
        match self {
            Self::Whole(n) => n.get(i).map(|v| v as f64),
            Self::Real(n) => n.get(i),
        }
    }
}

/// `int`s, null where absent.
pub fn ints(values: impl Iterator<Item = Option<i32>>) -> ArrayRef {
    Arc::new(values.collect::<datafusion::arrow::array::Int32Array>())
}

/// Builds a `long` column from an iterator of options.
pub fn longs(values: impl Iterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(values.collect::<Int64Array>())
}

/// Builds a `real` column.
pub fn reals(values: impl Iterator<Item = Option<f64>>) -> ArrayRef {
    Arc::new(values.collect::<Float64Array>())
}

/// Builds a `bool` column (values and validity written as bits, without a builder per value).
pub fn bools(values: impl Iterator<Item = Option<bool>>) -> ArrayRef {
    let (lower, _) = values.size_hint();
    let mut bits = datafusion::arrow::array::BooleanBufferBuilder::new(lower);
    let mut valid = datafusion::arrow::array::BooleanBufferBuilder::new(lower);
    let mut nulls = 0;
    for v in values {
        bits.append(v == Some(true));
        valid.append(v.is_some());
        nulls += usize::from(v.is_none());
    }
    let nulls = (nulls > 0).then(|| datafusion::arrow::buffer::NullBuffer::new(valid.finish()));
    Arc::new(BooleanArray::new(bits.finish(), nulls))
}

/// Builds a `string` column, with a reusable buffer: `f` writes row `i` into it (nothing
/// written is `""`).
pub fn strings(rows: usize, mut f: impl FnMut(usize, &mut String)) -> ArrayRef {
    let mut out = datafusion::arrow::array::StringBuilder::with_capacity(rows, rows * 16);
    let mut buf = String::new();
    for i in 0..rows {
        buf.clear();
        f(i, &mut buf);
        out.append_value(&buf);
    }
    Arc::new(out.finish())
}

/// Builds a `string` column of optional values (`None` is `""`, never null).
pub fn texts<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
    let mut out = datafusion::arrow::array::StringBuilder::new();
    for v in values {
        match v {
            Some(s) => out.append_value(s.as_ref()),
            None => out.append_value(""),
        }
    }
    Arc::new(out.finish())
}

/// Builds a nullable string column (for `guid` results, which can be null).
pub fn nullable_texts<S: AsRef<str>>(values: impl Iterator<Item = Option<S>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// The UDF that runs a registry entry.
#[derive(Debug)]
pub struct KqlScalar {
    pub(crate) def: &'static Def,
    pub(crate) regex: Option<::regex::Regex>,
    signature: Signature,
}

impl PartialEq for KqlScalar {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self.def, other.def)
            && self.regex.as_ref().map(::regex::Regex::as_str) == other.regex.as_ref().map(::regex::Regex::as_str)
    }
}
impl Eq for KqlScalar {}
impl Hash for KqlScalar {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.def.name.hash(state);
        self.regex.as_ref().map(::regex::Regex::as_str).hash(state);
    }
}

/// `def(args...)` as an expression; `regex` is the compiled constant of a [`Param::Regex`].
pub fn call(def: &'static Def, regex: Option<::regex::Regex>, args: Vec<Expr>) -> Expr {
    udf(def, regex).call(args)
}

/// The UDF that runs `def`.
pub(crate) fn udf(def: &'static Def, regex: Option<::regex::Regex>) -> ScalarUDF {
    let volatility = if def.volatile { Volatility::Volatile } else { Volatility::Immutable };
    let signature = Signature::one_of(
        vec![datafusion::logical_expr::TypeSignature::VariadicAny, datafusion::logical_expr::TypeSignature::Nullary],
        volatility,
    );
    ScalarUDF::new_from_impl(KqlScalar { def, regex, signature })
}

impl ScalarUDFImpl for KqlScalar {
    fn name(&self) -> &str {
        self.def.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.def.out.data_type())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        evaluate(self.def, self.regex.as_ref(), &args.args, args.number_rows)
    }
}

/// Runs `def` over arguments as DataFusion passes them (the UDF's body; public for the
/// benchmarks): constants once, a dictionary argument once per distinct value.
///
/// # Errors
/// When an argument has a type the kernel does not take.
pub fn evaluate(
    def: &'static Def,
    regex: Option<&::regex::Regex>,
    args: &[ColumnarValue],
    rows: usize,
) -> Result<ColumnarValue> {
    let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
    if all_scalar && !def.volatile {
        let out = (def.kernel)(&Call { args, rows: 1, regex })?;
        return Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?));
    }
    // One dictionary argument, every other one constant: once per distinct value.
    let arrays: Vec<usize> = (0..args.len()).filter(|i| matches!(args[*i], ColumnarValue::Array(_))).collect();
    if let [only] = arrays[..]
        && let ColumnarValue::Array(a) = &args[only]
        && let Some(dict) = a.as_any_dictionary_opt()
        && !def.volatile
    {
        let values = Arc::clone(dict.values());
        let mut inner = args.to_vec();
        inner[only] = ColumnarValue::Array(Arc::clone(&values));
        let out = (def.kernel)(&Call { args: &inner, rows: values.len(), regex })?;
        let out = datafusion::arrow::compute::take(&out, dict.keys(), None)?;
        return Ok(ColumnarValue::Array(fill_null_strings(out, def.out)?));
    }
    // Other dictionaries are unpacked.
    let unpacked: Vec<ColumnarValue> = args
        .iter()
        .map(|a| match a {
            ColumnarValue::Array(arr) => match arr.data_type() {
                DataType::Dictionary(_, v) => Ok(ColumnarValue::Array(datafusion::arrow::compute::cast(arr, v)?)),
                _ => Ok(a.clone()),
            },
            s => Ok(s.clone()),
        })
        .collect::<Result<_>>()?;
    Ok(ColumnarValue::Array((def.kernel)(&Call { args: &unpacked, rows, regex })?))
}

/// A string result gathered through null dictionary keys is `""`, not null.
fn fill_null_strings(out: ArrayRef, kind: Out) -> Result<ArrayRef> {
    if kind != Out::Str || out.null_count() == 0 {
        return Ok(out);
    }
    Ok(datafusion::arrow::compute::kernels::zip::zip(
        &datafusion::arrow::compute::is_not_null(&out)?,
        &out,
        &datafusion::arrow::array::Scalar::new(StringArray::from(vec![""])),
    )?)
}

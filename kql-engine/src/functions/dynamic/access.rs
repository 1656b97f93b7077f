//! The UDFs every `dynamic` expression goes through:
//!
//! * `kql_dynamic(x)`: `parse_json`/`todynamic` of a string (the string buffers re-labelled as
//!   binary, nothing copied or parsed), and any other Arrow value as a `dynamic` of its kind;
//! * `kql_get(d, step...)`: member access `d.a.b[0]`, the value reached as `dynamic`;
//! * `kql_get_text(d, step...)`: `tostring(d.a.b[0])` in one pass;
//! * `kql_dynamic_out(d)`: a query result's `dynamic` column as UTF-8 JSON text in Kusto's
//!   compact rendering, with Arrow's canonical JSON extension type.
//!
//! A step is a string (a key) or an integer (an index), constant or per row.

use std::sync::Arc;

use datafusion::arrow::array::builder::make_view;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, BinaryViewArray, LargeBinaryArray, StringBuilder,
    StringViewArray,
};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::dynamic::arrow::{JsonRows, native_to_json};
use crate::dynamic::path::{self, StepRef};
use crate::dynamic::{DYNAMIC_TYPE, Dyn, is_json_type, json_extension_metadata};

use super::memo::{DictionaryResults, Memo, Memos};
use crate::functions::has::HasUdf;

/// `kql_dynamic(x)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct ToDynamic {
    signature: Signature,
}

/// `parse_json(s)` / `todynamic(s)` for a string, or any value as a `dynamic` of its kind.
pub fn to_dynamic(e: Expr) -> Expr {
    to_dynamic_udf().call(vec![e])
}

/// The UDF of [`to_dynamic`].
pub(crate) fn to_dynamic_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToDynamic { signature: Signature::any(1, Volatility::Immutable) })
}

/// The `dynamic` type `kql_dynamic` gives for an input type: string layouts map to the binary
/// layout with the same buffers.
fn relabelled(t: &DataType) -> DataType {
    match t {
        DataType::Utf8 | DataType::Binary => DataType::Binary,
        DataType::LargeUtf8 | DataType::LargeBinary => DataType::LargeBinary,
        DataType::Utf8View | DataType::BinaryView => DataType::BinaryView,
        DataType::Dictionary(k, v)
            if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) || is_json_type(v) =>
        {
            DataType::Dictionary(k.clone(), Box::new(relabelled(v)))
        }
        _ => DYNAMIC_TYPE,
    }
}

/// Re-labels string arrays as binary (no copy); renders other values as JSON.
pub(crate) fn relabel(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Utf8 => Arc::new(BinaryArray::from(array.as_string::<i32>().clone())),
        DataType::LargeUtf8 => Arc::new(LargeBinaryArray::from(array.as_string::<i64>().clone())),
        DataType::Utf8View => Arc::new(array.as_string_view().clone().to_binary_view()),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => Arc::clone(array),
        DataType::Dictionary(_, v)
            if matches!(**v, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View) || is_json_type(v) =>
        {
            let d = array.as_any_dictionary();
            d.with_values(relabel(d.values())?)
        }
        DataType::Null => Arc::new(BinaryArray::new_null(array.len())),
        _ => Arc::new(native_to_json(array.as_ref())?),
    })
}

impl ScalarUDFImpl for ToDynamic {
    fn name(&self) -> &str {
        "kql_dynamic"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        Ok(args.first().map_or(DYNAMIC_TYPE, relabelled))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        crate::functions::map_unary(self.name(), &args.args, args.number_rows, |a, _| relabel(a))
    }
}

/// `kql_get` and `kql_get_text`.
#[derive(Debug)]
pub struct Get {
    /// `kql_get_text`: the reached value as `tostring` gives it.
    pub(crate) text: bool,
    /// Results remembered across batches (see [`super::memo`]); not part of the identity.
    memos: Memos,
    /// Results per distinct value of dictionary inputs; not part of the identity.
    dictionaries: DictionaryResults,
    signature: Signature,
}

/// `d` followed by `steps` (string keys, integer indexes), as `dynamic`.
pub fn get(d: Expr, steps: Vec<Expr>) -> Expr {
    call_get(false, d, steps)
}

/// `tostring(d.steps...)` in one pass.
pub fn get_text(d: Expr, steps: Vec<Expr>) -> Expr {
    call_get(true, d, steps)
}

fn call_get(text: bool, d: Expr, steps: Vec<Expr>) -> Expr {
    let mut args = vec![d];
    args.extend(steps);
    get_udf(text).call(args)
}

/// The UDF of [`get`] (`text`: of [`get_text`]).
pub(crate) fn get_udf(text: bool) -> ScalarUDF {
    ScalarUDF::new_from_impl(Get::new(text))
}

impl Get {
    fn new(text: bool) -> Self {
        Self {
            text,
            memos: Memos::default(),
            dictionaries: DictionaryResults::default(),
            signature: Signature::variadic_any(Volatility::Immutable),
        }
    }
}

impl PartialEq for Get {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text && self.signature == other.signature
    }
}

impl Eq for Get {}

impl std::hash::Hash for Get {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.text.hash(state);
        self.signature.hash(state);
    }
}

/// The arguments of a `kql_get` call (the value, then the steps), if `e` is one: member access
/// that continues an access chain extends it instead of nesting.
pub fn as_get(e: &Expr) -> Option<&[Expr]> {
    match e {
        Expr::ScalarFunction(f) if f.func.name() == "kql_get" => Some(&f.args),
        _ => None,
    }
}

/// One step argument, per row or constant.
enum StepArg {
    Key(Option<String>),
    Index(Option<i64>),
    Keys(ArrayRef),
    Indexes(ArrayRef),
}

impl StepArg {
    fn new(v: &ColumnarValue) -> Result<Self> {
        Ok(match v {
            ColumnarValue::Scalar(s) => match s {
                ScalarValue::Utf8(k) | ScalarValue::LargeUtf8(k) | ScalarValue::Utf8View(k) => Self::Key(k.clone()),
                ScalarValue::Null => Self::Key(None),
                other if other.data_type().is_integer() => Self::Index(match other.cast_to(&DataType::Int64)? {
                    ScalarValue::Int64(v) => v,
                    _ => None,
                }),
                other => return exec_err!("a member of a dynamic value is a string or an integer, not {other}"),
            },
            ColumnarValue::Array(a) => match a.data_type() {
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
                    Self::Keys(datafusion::arrow::compute::cast(a, &DataType::Utf8)?)
                }
                DataType::Dictionary(..) => Self::Keys(datafusion::arrow::compute::cast(a, &DataType::Utf8)?),
                t if t.is_integer() => Self::Indexes(datafusion::arrow::compute::cast(a, &DataType::Int64)?),
                DataType::Null => Self::Key(None),
                t => return exec_err!("a member of a dynamic value is a string or an integer, not {t}"),
            },
        })
    }

    fn at(&self, i: usize) -> Option<StepRef<'_>> {
        match self {
            Self::Key(k) => k.as_deref().map(StepRef::Key),
            Self::Index(x) => x.map(StepRef::Index),
            Self::Keys(a) => (!a.is_null(i)).then(|| StepRef::Key(a.as_string::<i32>().value(i))),
            Self::Indexes(a) => (!a.is_null(i)).then(|| StepRef::Index(a.as_primitive::<Int64Type>().value(i))),
        }
    }

    fn constant(&self) -> bool {
        matches!(self, Self::Key(_) | Self::Index(_))
    }
}

/// Appends `tostring` of a JSON value's text: a string unescaped, null empty, anything else
/// re-rendered compactly.
pub(crate) fn append_text(out: &mut StringBuilder, value: &[u8], scratch: &mut String) {
    scratch.clear();
    write_text(value, scratch);
    out.append_value(scratch.as_str());
}

/// `tostring` of a JSON value's text, appended to `out`.
pub(crate) fn write_text(value: &[u8], out: &mut String) {
    match value.first() {
        Some(b'"') if !value.contains(&b'\\') && value.len() >= 2 => {
            match std::str::from_utf8(&value[1..value.len() - 1]) {
                Ok(s) => out.push_str(s),
                Err(_) => out.push_str(&Dyn::parse(value).to_text()),
            }
        }
        Some(b'n') if value == b"null" => {}
        Some(b't') if value == b"true" => out.push_str("true"),
        Some(b'f') if value == b"false" => out.push_str("false"),
        _ => match Dyn::parse(value) {
            Dyn::String(s) => out.push_str(&s),
            Dyn::Null => {}
            v => v.write_json(out),
        },
    }
}

impl Get {
    fn evaluate(&self, d: &ArrayRef, steps: &[StepArg], n: usize) -> Result<ArrayRef> {
        // A dictionary with a constant path: each distinct value once per dictionary (every
        // batch of a row group read as a dictionary shares its values), then per row the
        // value's result view: the output is a view array whose rows of one value share one
        // view, like the views path below gives.
        if let DataType::Dictionary(..) = d.data_type()
            && steps.iter().all(StepArg::constant)
        {
            let dict = d.as_any_dictionary();
            return gather_views(&self.dictionary_results(dict.values(), steps)?, dict, self.text);
        }
        // String views with a constant path: remembered by view, so a dictionary-encoded
        // Parquet page (every row of one value shares its view) is read once per value.
        if let DataType::BinaryView = d.data_type()
            && steps.iter().all(StepArg::constant)
        {
            return self.views(d.as_binary_view(), steps);
        }
        let rows = JsonRows::new(d)?;
        let mut path: Vec<StepRef<'_>> = Vec::with_capacity(steps.len());
        let mut scratch = String::new();
        if self.text {
            let mut out = StringBuilder::with_capacity(n, n * 8);
            for i in 0..n {
                match self.reach(&rows, steps, i, &mut path) {
                    Some((text, (a, b))) => append_text(&mut out, &text[a..b], &mut scratch),
                    None => out.append_value(""),
                }
            }
            Ok(Arc::new(out.finish()))
        } else {
            let mut out = BinaryBuilder::with_capacity(n, n * 8);
            for i in 0..n {
                match self.reach(&rows, steps, i, &mut path) {
                    Some((text, (a, b))) if &text[a..b] != b"null" => out.append_value(&text[a..b]),
                    _ => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()))
        }
    }

    /// The results of a dictionary's `values` for a constant path, one per value, as a view
    /// array: computed once per dictionary (see [`DictionaryResults`]).
    fn dictionary_results(&self, values: &ArrayRef, steps: &[StepArg]) -> Result<ArrayRef> {
        let target = if self.text { DataType::Utf8View } else { DataType::BinaryView };
        self.dictionaries.get_or(&self.tag(steps), values, || {
            let plain = self.evaluate(values, steps, values.len())?;
            Ok(datafusion::arrow::compute::cast(&plain, &target)?)
        })
    }

    /// What remembered results are of: the kind of result and the (constant) path.
    fn tag(&self, steps: &[StepArg]) -> Vec<u8> {
        let mut tag = vec![u8::from(self.text)];
        for s in steps {
            match s.at(0) {
                Some(StepRef::Key(k)) => {
                    tag.push(b'k');
                    tag.extend_from_slice(&(k.len() as u64).to_le_bytes());
                    tag.extend_from_slice(k.as_bytes());
                }
                Some(StepRef::Index(x)) => {
                    tag.push(b'i');
                    tag.extend_from_slice(&x.to_le_bytes());
                }
                None => tag.push(b'n'),
            }
        }
        tag
    }

    /// A binary-view array with a constant path, remembering recent results by view. The result
    /// is a view array too, whose rows of one input view share one output view (so the next
    /// operator, `has` or a group key, also sees repeats).
    fn views(&self, a: &BinaryViewArray, steps: &[StepArg]) -> Result<ArrayRef> {
        let tag = self.tag(steps);
        let mut memo = self.memos.take(&tag, a.data_buffers().first());
        let out = self.views_with(a, steps, &mut memo);
        self.memos.give(memo);
        out
    }

    fn views_with(&self, a: &BinaryViewArray, steps: &[StepArg], memo: &mut Memo) -> Result<ArrayRef> {
        let n = a.len();
        let path: Option<Vec<StepRef<'_>>> = steps.iter().map(|s| s.at(0)).collect();
        let data = a.data_buffers();
        memo.begin_batch(data);
        let mut out_views: Vec<u128> = Vec::with_capacity(n);
        let mut valid = datafusion::arrow::array::BooleanBufferBuilder::new(n);
        let mut scratch = String::new();
        let empty = make_view(b"", 0, 0);
        for (i, &view) in a.views().iter().enumerate() {
            if a.is_null(i) {
                out_views.push(empty);
                valid.append(self.text);
                continue;
            }
            let key = Memo::key(view, data);
            let (out, ok) = match key.and_then(|k| memo.get(k)) {
                Some(hit) => hit,
                None => {
                    let text = a.value(i);
                    if let Some((bytes, ok)) = memo.by_text(text) {
                        (memo.put(key, view, data, &bytes, ok)?, ok)
                    } else {
                        let (bytes, ok) = self.compute(text, path.as_deref(), &mut scratch);
                        memo.put_text(text, bytes, ok);
                        (memo.put(key, view, data, bytes, ok)?, ok)
                    }
                }
            };
            out_views.push(out);
            valid.append(ok);
        }
        let buffers = memo.finish_batch();
        let nulls = Some(datafusion::arrow::buffer::NullBuffer::new(valid.finish())).filter(|n| n.null_count() > 0);
        let views: datafusion::arrow::buffer::ScalarBuffer<u128> = out_views.into();
        // Every view is checked in test builds; the release build trusts their construction.
        #[cfg(debug_assertions)]
        if self.text {
            StringViewArray::try_new(views.clone(), buffers.clone(), nulls.clone())?;
        } else {
            BinaryViewArray::try_new(views.clone(), buffers.clone(), nulls.clone())?;
        }
        // SAFETY: `try_new` would accept these parts (what the test-build check above verifies):
        // each view is `make_view` of a result's bytes, inline or at that result's own range of
        // a result chunk; a chunk is only ever appended to until it is frozen, and a view's chunk
        // index is the position of its chunk in `buffers` (the memo hands out views only for the
        // chunks it returns, see `Memo::finish_batch`). A text result is the bytes of a `String`
        // (`compute` writes text results into one), so it is UTF-8. Validating per row would cost
        // a fifth of a dictionary-encoded scan.
        Ok(unsafe {
            if self.text {
                Arc::new(StringViewArray::new_unchecked(views, buffers, nulls))
            } else {
                Arc::new(BinaryViewArray::new_unchecked(views, buffers, nulls))
            }
        })
    }

    /// The result for one value's text with a constant path (`None`: a null step), borrowing
    /// the text or `scratch`; with its validity.
    fn compute<'a>(&self, text: &'a [u8], path: Option<&[StepRef<'_>]>, scratch: &'a mut String) -> (&'a [u8], bool) {
        let reached = match path {
            Some(p) if !text.is_empty() => path::get(text, p).map(|(x, y)| &text[x..y]),
            _ => None,
        };
        if self.text {
            scratch.clear();
            if let Some(v) = reached {
                write_text(v, scratch);
            }
            (scratch.as_bytes(), true)
        } else {
            match reached {
                Some(v) if v != b"null" => (v, true),
                _ => (b"", false),
            }
        }
    }

    /// The text of row `i` and the range the path reaches in it.
    fn reach<'r>(
        &self,
        rows: &'r JsonRows,
        steps: &'r [StepArg],
        i: usize,
        path: &mut Vec<StepRef<'r>>,
    ) -> Option<(&'r [u8], (usize, usize))> {
        let text = rows.get(i)?;
        path.clear();
        for s in steps {
            path.push(s.at(i)?);
        }
        path::get(text, path).map(|r| (text, r))
    }
}

impl ScalarUDFImpl for Get {
    fn name(&self) -> &str {
        if self.text { "kql_get_text" } else { "kql_get" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, args: &[DataType]) -> Result<DataType> {
        // Views in, views out (see [`Get::views`]).
        let views = match args.first() {
            Some(DataType::BinaryView) => true,
            Some(DataType::Dictionary(_, v)) => {
                matches!(**v, DataType::Binary | DataType::LargeBinary | DataType::BinaryView)
            }
            _ => false,
        };
        Ok(match (self.text, views) {
            (true, true) => DataType::Utf8View,
            (true, false) => DataType::Utf8,
            (false, true) => DataType::BinaryView,
            (false, false) => DYNAMIC_TYPE,
        })
    }
    fn is_nullable(&self, _args: &[Expr], _schema: &dyn datafusion::common::ExprSchema) -> bool {
        !self.text
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let Some((d, steps)) = args.args.split_first() else {
            return exec_err!("{} takes a value and its steps", self.name());
        };
        let steps = steps.iter().map(StepArg::new).collect::<Result<Vec<_>>>()?;
        let scalar = matches!(d, ColumnarValue::Scalar(_)) && steps.iter().all(StepArg::constant);
        let n = if scalar { 1 } else { args.number_rows };
        let d = d.to_array(n)?;
        let out = self.evaluate(&d, &steps, n)?;
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}

/// A string test over member access, `d.a.b has "x"`, in one function: the member access then
/// the test, except on a dictionary with a constant path, where the test runs on a dictionary
/// of the access's per-value results (both kept per dictionary), so each row only maps its key
/// to a bit. The planner makes it whenever a `has`-family test's haystack is `kql_get_text`
/// with a constant path.
#[derive(Debug)]
pub struct GetTest {
    get: Get,
    pub(crate) test: HasUdf,
    /// How many of the arguments after the value are path steps (the rest are the needles).
    pub(crate) steps: usize,
    name: String,
    signature: Signature,
}

impl PartialEq for GetTest {
    fn eq(&self, other: &Self) -> bool {
        self.test == other.test && self.steps == other.steps
    }
}

impl Eq for GetTest {}

impl std::hash::Hash for GetTest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.test.hash(state);
        self.steps.hash(state);
    }
}

/// `test(haystack)` as an expression: one [`GetTest`] when `haystack` is member access with a
/// constant path (`kql_get_text`), else the test itself over `haystack`. The needles are passed
/// as literal arguments so plans show them; the compiled test is what runs.
pub fn call_test(haystack: Expr, test: HasUdf, needles: &[String]) -> Expr {
    let needle_args = needles.iter().map(|n| datafusion::logical_expr::lit(n.as_str()));
    let path_is_constant = |args: &[Expr]| args.iter().skip(1).all(|a| matches!(a, Expr::Literal(..)));
    match haystack {
        Expr::ScalarFunction(f) if f.func.name() == "kql_get_text" && path_is_constant(&f.args) => {
            let udf = get_test_udf(test, f.args.len().saturating_sub(1));
            let mut args = f.args;
            args.extend(needle_args);
            udf.call(args)
        }
        other => {
            let mut args = vec![other];
            args.extend(needle_args);
            ScalarUDF::new_from_impl(test).call(args)
        }
    }
}

/// The UDF of a test of member access with `steps` path steps.
pub(crate) fn get_test_udf(test: HasUdf, steps: usize) -> ScalarUDF {
    let name = format!("{}_member", test.name());
    ScalarUDF::new_from_impl(GetTest {
        get: Get::new(true),
        steps,
        test,
        name,
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

impl ScalarUDFImpl for GetTest {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn is_nullable(&self, _args: &[Expr], _schema: &dyn datafusion::common::ExprSchema) -> bool {
        false
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let Some((d, rest)) = args.args.split_first() else {
            return exec_err!("{} takes a value, its steps and needles", self.name());
        };
        let steps = rest.iter().take(self.steps).map(StepArg::new).collect::<Result<Vec<_>>>()?;
        let d = d.to_array(n)?;
        if let DataType::Dictionary(..) = d.data_type()
            && steps.iter().all(StepArg::constant)
        {
            let dict = d.as_any_dictionary();
            let keyed = dict.with_values(self.get.dictionary_results(dict.values(), &steps)?);
            return Ok(ColumnarValue::Array(Arc::new(self.test.evaluate(keyed.as_ref())?)));
        }
        let text = self.get.evaluate(&d, &steps, n)?;
        Ok(ColumnarValue::Array(Arc::new(self.test.evaluate(text.as_ref())?)))
    }
}

/// `kql_dynamic_out(d)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DynamicOut {
    signature: Signature,
}

/// A `dynamic` column as a query result gives it: UTF-8 JSON text (Kusto's compact rendering)
/// with Arrow's canonical JSON extension type.
pub fn dynamic_out(e: Expr) -> Expr {
    dynamic_out_udf().call(vec![e])
}

/// The UDF of [`dynamic_out`].
pub(crate) fn dynamic_out_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(DynamicOut { signature: Signature::any(1, Volatility::Immutable) })
}

impl ScalarUDFImpl for DynamicOut {
    fn name(&self) -> &str {
        "kql_dynamic_out"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs<'_>) -> Result<FieldRef> {
        let nullable = args.arg_fields.first().is_none_or(|f| f.is_nullable());
        Ok(Arc::new(Field::new(self.name(), DataType::Utf8, nullable).with_metadata(json_extension_metadata())))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [x] = args.args.as_slice() else { return exec_err!("kql_dynamic_out takes one argument") };
        let n = args.number_rows;
        let rows = JsonRows::new(&x.to_array(n)?)?;
        let mut out = StringBuilder::with_capacity(n, n * 16);
        let mut text = String::new();
        for i in 0..n {
            match rows.dyn_at(i) {
                Dyn::Null => out.append_null(),
                v => {
                    text.clear();
                    v.write_json(&mut text);
                    out.append_value(&text);
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// Per row, the view of its key's result (`results` is a view array with one row per
/// dictionary value): a gather of 16-byte views, no bytes copied. A null key is null (empty
/// text for `tostring`).
fn gather_views(
    results: &ArrayRef,
    dict: &dyn datafusion::arrow::array::AnyDictionaryArray,
    text: bool,
) -> Result<ArrayRef> {
    let (views, buffers, value_nulls) = if text {
        let a = results.as_string_view();
        (a.views(), a.data_buffers().to_vec(), a.nulls())
    } else {
        let a = results.as_binary_view();
        (a.views(), a.data_buffers().to_vec(), a.nulls())
    };
    // One lookup per row: the key's view, or (a null or out-of-range key) the empty view at the
    // end of the table.
    let empty = make_view(b"", 0, 0);
    let mut table: Vec<u128> = views.to_vec();
    table.push(empty);
    let absent = table.len() - 1;
    let n = dict.keys().len();
    let key_nulls = dict.keys().logical_nulls();
    let index = |i: usize, k: usize| {
        if k < absent && key_nulls.as_ref().is_none_or(|nulls| nulls.is_valid(i)) { k } else { absent }
    };
    let indexes: Vec<usize> = match dict.keys().as_primitive_opt::<datafusion::arrow::datatypes::Int32Type>() {
        Some(keys) => {
            keys.values().iter().enumerate().map(|(i, &k)| index(i, usize::try_from(k).unwrap_or(absent))).collect()
        }
        // (`normalized_keys` asserts a dictionary has values; one of no values has only nulls.)
        None if absent == 0 => vec![absent; n],
        None => dict.normalized_keys().into_iter().enumerate().map(|(i, k)| index(i, k)).collect(),
    };
    let out: Vec<u128> = indexes.iter().map(|&k| table[k]).collect();
    // `tostring` results are never null (an absent value is ""); values are null where the key
    // is null or the value's result is.
    let nulls = if text {
        None
    } else {
        let bits = datafusion::arrow::buffer::BooleanBuffer::collect_bool(n, |i| {
            let k = indexes[i];
            k < absent && value_nulls.is_none_or(|nulls| nulls.is_valid(k))
        });
        Some(datafusion::arrow::buffer::NullBuffer::new(bits)).filter(|n| n.null_count() > 0)
    };
    let views: datafusion::arrow::buffer::ScalarBuffer<u128> = out.into();
    #[cfg(debug_assertions)]
    if text {
        StringViewArray::try_new(views.clone(), buffers.clone(), nulls.clone())?;
    } else {
        BinaryViewArray::try_new(views.clone(), buffers.clone(), nulls.clone())?;
    }
    // SAFETY: every view is one of `results`' own views (or the empty inline view) and the
    // buffers are `results`' buffers, so `try_new` accepts these parts (the test-build check
    // above verifies it); `results` is a valid view array of the same kind.
    Ok(unsafe {
        if text {
            Arc::new(StringViewArray::new_unchecked(views, buffers, nulls))
        } else {
            Arc::new(BinaryViewArray::new_unchecked(views, buffers, nulls))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view-cached path gives the same values as the plain one, for repeats, nulls, short
    /// and long results, strings that are not JSON and a path that misses.
    #[test]
    fn views_agree_with_the_plain_path() {
        let texts: Vec<Option<&str>> = vec![
            Some(r#"{"a":"short","b":1}"#),
            Some(r#"{"a":"a value longer than twelve bytes","b":[1,2]}"#),
            None,
            Some(r#"{"a":"short","b":1}"#),
            Some("not json at all"),
            Some(""),
            Some(r#"{"a":null}"#),
            Some(r#"{"a":{"x":"y \"quoted\""}}"#),
            Some(r#"{"a":"a value longer than twelve bytes","b":[1,2]}"#),
            Some(r#"{"b":2}"#),
        ];
        let plain: ArrayRef = Arc::new(BinaryArray::from_iter(texts.iter().map(|t| t.map(str::as_bytes))));
        let views: ArrayRef = Arc::new(BinaryViewArray::from_iter(texts.iter().map(|t| t.map(str::as_bytes))));
        for text in [true, false] {
            let get = Get::new(text);
            let steps = [StepArg::Key(Some("a".into()))];
            let a = get.evaluate(&plain, &steps, texts.len()).expect("plain");
            let b = get.evaluate(&views, &steps, texts.len()).expect("views");
            let target = if text { DataType::Utf8 } else { DataType::Binary };
            let b = datafusion::arrow::compute::cast(&b, &target).expect("cast");
            assert_eq!(a.as_ref(), b.as_ref(), "text = {text}");
        }
    }

    /// Batches that share a dictionary buffer (as a dictionary-encoded Parquet page gives them)
    /// reuse each other's results, and still agree with the plain path.
    #[test]
    fn batches_of_one_dictionary_share_results() {
        let dictionary: Vec<&str> = vec![
            r#"{"Command":"powershell -enc AAAA","Name":"first"}"#,
            r#"{"Command":"cmd /c whoami","Name":"a name over twelve bytes"}"#,
            r#"{"Name":null}"#,
        ];
        let mut bytes = Vec::new();
        let mut views = Vec::new();
        for d in &dictionary {
            views.push(make_view(d.as_bytes(), 0, bytes.len() as u32));
            bytes.extend_from_slice(d.as_bytes());
        }
        let buffer = datafusion::arrow::buffer::Buffer::from_vec(bytes);
        let batch = |keys: &[usize]| -> ArrayRef {
            let v: Vec<u128> = keys.iter().map(|&k| views[k]).collect();
            Arc::new(BinaryViewArray::try_new(v.into(), vec![buffer.clone()], None).expect("views"))
        };
        let get = Get::new(true);
        let steps = [StepArg::Key(Some("Name".into()))];
        for keys in [&[0, 1, 2, 1, 0][..], &[2, 2, 1, 0, 1, 1]] {
            let a = batch(keys);
            let out = get.evaluate(&a, &steps, keys.len()).expect("views");
            let plain = datafusion::arrow::compute::cast(&a, &DataType::Binary).expect("cast");
            let expected = get.evaluate(&plain, &steps, keys.len()).expect("plain");
            let out = datafusion::arrow::compute::cast(&out, &DataType::Utf8).expect("cast");
            assert_eq!(out.as_ref(), expected.as_ref());
        }
        let memo = get.memos.take(&[1, b'k', 4, 0, 0, 0, 0, 0, 0, 0, b'N', b'a', b'm', b'e'], Some(&buffer));
        assert_eq!(memo.hits_for_test(), 6 + 5 - 3, "the second batch parses nothing");
    }

    /// Rows that repeat a text at their own addresses (a plain-encoded page, or the next row
    /// group's dictionary) reuse the result by text.
    #[test]
    fn repeated_texts_at_other_addresses_share_results_by_text() {
        let text = r#"{"Name":"a name over twelve bytes","Other":[1,2,3]}"#;
        let get = Get::new(true);
        let steps = [StepArg::Key(Some("Name".into()))];
        let rows: Vec<Option<&str>> = vec![Some(text); 4];
        for _ in 0..2 {
            // Each row's bytes are their own: a fresh buffer per batch, one copy per row.
            let a: ArrayRef = Arc::new(BinaryViewArray::from_iter(rows.iter().map(|t| t.map(str::as_bytes))));
            let out = get.evaluate(&a, &steps, rows.len()).expect("views");
            let out = datafusion::arrow::compute::cast(&out, &DataType::Utf8).expect("cast");
            assert_eq!(out.as_string::<i32>().iter().collect::<Vec<_>>(), vec![Some("a name over twelve bytes"); 4]);
        }
        let memo = get.memos.take(&[1, b'k', 4, 0, 0, 0, 0, 0, 0, 0, b'N', b'a', b'm', b'e'], None);
        assert_eq!(memo.hits_for_test(), 7, "one parse for eight rows");
    }
}

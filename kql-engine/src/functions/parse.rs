//! The matcher of the `parse` operator: one regular expression with a named group per
//! extracted column, run once per row; the result is a struct of the captured texts (null when
//! the row does not match) that the planner splits into columns and converts.

use std::hash::Hash;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray as _, StringBuilder, StructArray};
use datafusion::arrow::buffer::NullBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `parse`'s regex over a string: a struct with one UTF-8 field per group (`g0`, `g1`, ...).
#[derive(Debug)]
pub struct ParseUdf {
    pub(crate) regex: Arc<regex::Regex>,
    pub(crate) groups: usize,
    fields: Fields,
    signature: Signature,
}

impl PartialEq for ParseUdf {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str() && self.groups == other.groups
    }
}
impl Eq for ParseUdf {}
impl Hash for ParseUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
    }
}

impl ParseUdf {
    /// The name of group `i` in the regex and of field `i` in the result.
    pub fn group_name(i: usize) -> String {
        format!("g{i}")
    }

    /// `regex` (whose named groups are `g0` .. `g{groups-1}`) applied to `text`.
    pub fn call(regex: regex::Regex, groups: usize, text: Expr) -> Expr {
        Self::udf(regex, groups).call(vec![text])
    }

    /// The UDF.
    pub(crate) fn udf(regex: regex::Regex, groups: usize) -> ScalarUDF {
        let fields: Fields = (0..groups).map(|i| Field::new(Self::group_name(i), DataType::Utf8, true)).collect();
        let udf = Self {
            regex: Arc::new(regex),
            groups,
            fields,
            signature: Signature::exact(vec![DataType::Utf8], Volatility::Immutable),
        };
        ScalarUDF::new_from_impl(udf)
    }
}

impl ScalarUDFImpl for ParseUdf {
    fn name(&self) -> &str {
        "parse"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(self.fields.clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        // Each field's group index in the regex (the user's own groups come in between).
        let index: Vec<Option<usize>> = (0..self.groups)
            .map(|g| {
                let name = Self::group_name(g);
                self.regex.capture_names().position(|n| n == Some(name.as_str()))
            })
            .collect();
        let mut locations = self.regex.capture_locations();
        struct_of_texts(&self.fields, &args, "parse", |value, builders| {
            let hit = self.regex.captures_read(&mut locations, value).is_some();
            for (g, b) in builders.iter_mut().enumerate() {
                match index[g].filter(|_| hit).and_then(|k| locations.get(k)) {
                    Some((s, e)) => b.append_value(&value[s..e]),
                    None => b.append_null(),
                }
            }
            hit
        })
    }
}

/// A struct with one UTF-8 field per `fields` from the one string argument: `row` reads each
/// text (null is `""`), appends one value per field, and says whether the row is there (a row it
/// rejects is a null struct).
pub(crate) fn struct_of_texts(
    fields: &Fields,
    args: &ScalarFunctionArgs,
    name: &str,
    mut row: impl FnMut(&str, &mut [StringBuilder]) -> bool,
) -> Result<ColumnarValue> {
    let [text] = args.args.as_slice() else {
        return exec_err!("{name} takes one string");
    };
    let rows = args.number_rows;
    let text = cast(&text.to_array(rows)?, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut builders: Vec<StringBuilder> = fields.iter().map(|_| StringBuilder::new()).collect();
    let mut present = Vec::with_capacity(rows);
    for i in 0..rows {
        let value = if text.is_valid(i) { text.value(i) } else { "" };
        present.push(row(value, &mut builders));
    }
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef).collect();
    let out = StructArray::try_new(fields.clone(), arrays, Some(NullBuffer::from(present)))?;
    Ok(ColumnarValue::Array(Arc::new(out)))
}

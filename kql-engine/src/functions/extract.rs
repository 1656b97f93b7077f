//! `extract(regex, group, text)`: the capture group of the first match, or `""`.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::StringBuilder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, lit,
};

use super::{plain_strings, string_at};

/// `extract` with its regular expression compiled.
#[derive(Debug)]
pub struct Extract {
    pub(crate) regex: regex::Regex,
    pub(crate) group: usize,
    signature: Signature,
}

impl PartialEq for Extract {
    fn eq(&self, other: &Self) -> bool {
        self.regex.as_str() == other.regex.as_str() && self.group == other.group
    }
}
impl Eq for Extract {}
impl Hash for Extract {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.regex.as_str().hash(state);
        self.group.hash(state);
    }
}

/// `extract(regex, group, text)` as an expression.
pub fn call(regex: regex::Regex, group: usize, text: Expr) -> Expr {
    udf(regex, group).call(vec![text])
}

/// The UDF.
pub(crate) fn udf(regex: regex::Regex, group: usize) -> ScalarUDF {
    ScalarUDF::new_from_impl(Extract { regex, group, signature: Signature::any(1, Volatility::Immutable) })
}

/// `nullif(e, '')`: an empty result converts to a typed null.
pub fn nullif_empty(e: Expr) -> Expr {
    datafusion::functions::expr_fn::nullif(e, lit(""))
}

impl ScalarUDFImpl for Extract {
    fn name(&self) -> &str {
        "extract"
    }
    fn display_name(&self, args: &[Expr]) -> Result<String> {
        let text = args.first().map_or_else(String::new, ToString::to_string);
        Ok(format!("extract({:?}, {}, {text})", self.regex.as_str(), self.group))
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args.args.iter().map(|a| a.to_array(args.number_rows)).collect::<Result<Vec<_>>>()?;
        let n = args.number_rows;
        let mut out = StringBuilder::with_capacity(n, n * 8);
        if let Some(text) = arrays.first() {
            let text = plain_strings(text)?;
            for i in 0..n {
                let value = string_at(text.as_ref(), i)?.unwrap_or("");
                let found = self.regex.captures(value).and_then(|c| c.get(self.group)).map_or("", |m| m.as_str());
                out.append_value(found);
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

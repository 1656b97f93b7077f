//! `substring(s, start [, length])`: 0-based, in characters. A negative start counts from the
//! end; one that reaches before the beginning gives `""` (spec §11).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::{plain_strings, string_at};

/// The `substring` UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Substring {
    signature: Signature,
}

/// `substring(args...)` as an expression (string, start as long, optional length as long).
pub fn call(args: Vec<Expr>) -> Expr {
    udf().call(args)
}

/// The UDF.
pub(crate) fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Substring { signature: Signature::variadic_any(Volatility::Immutable) })
}

/// The substring of `s` (`None` when the range is empty or outside).
pub(crate) fn substring(s: &str, start: i64, len: Option<i64>) -> &str {
    let n = s.chars().count() as i64;
    let start = if start < 0 { n + start } else { start };
    if start < 0 || start >= n || len.is_some_and(|l| l <= 0) {
        return "";
    }
    let take = len.map_or(n - start, |l| l.min(n - start));
    let begin = s.char_indices().nth(start as usize).map_or(s.len(), |(i, _)| i);
    let end = s[begin..].char_indices().nth(take as usize).map_or(s.len(), |(i, _)| begin + i);
    &s[begin..end]
}

impl ScalarUDFImpl for Substring {
    fn name(&self) -> &str {
        "substring"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let arrays = args.args.iter().map(|a| a.to_array(args.number_rows)).collect::<Result<Vec<_>>>()?;
        let (Some(s), Some(start)) = (arrays.first(), arrays.get(1)) else {
            return exec_err!("substring takes 2 or 3 arguments");
        };
        let s = plain_strings(s)?;
        let start = start.as_primitive::<Int64Type>();
        let len = arrays.get(2).map(|a| a.as_primitive::<Int64Type>());
        let mut out = StringBuilder::with_capacity(n, n * 8);
        for i in 0..n {
            let text = string_at(s.as_ref(), i)?.unwrap_or("");
            if start.is_null(i) || len.is_some_and(|l| l.is_null(i)) {
                out.append_null();
                continue;
            }
            out.append_value(substring(text, start.value(i), len.map(|l| l.value(i))));
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::substring;

    #[test]
    fn kusto_examples() {
        assert_eq!(substring("123456", 1, None), "23456");
        assert_eq!(substring("123456", 2, Some(2)), "34");
        assert_eq!(substring("ABCD", 0, Some(2)), "AB");
        assert_eq!(substring("123456", -2, Some(2)), "56");
        assert_eq!(substring("abc", -5, None), "");
        assert_eq!(substring("abc", 5, None), "");
        assert_eq!(substring("héllo", 1, Some(3)), "éll");
    }
}

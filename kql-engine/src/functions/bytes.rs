//! `kql_bytes_text(b)`: a binary column of a lake (Parquet `BYTE_ARRAY` without a string or JSON
//! annotation, as older writers store strings) read as a `string`, since KQL has no binary
//! type. Valid UTF-8 is taken as it is; other bytes are replaced by U+FFFD, as
//! `String::from_utf8_lossy` does.

use std::sync::Arc;

use datafusion::arrow::array::StringBuilder;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::dynamic::arrow::bytes_at;

/// The `kql_bytes_text` UDF.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct BytesText {
    signature: Signature,
}

/// `b` (binary) as text.
pub fn call(e: Expr) -> Expr {
    udf().call(vec![e])
}

/// The UDF.
pub(crate) fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(BytesText { signature: Signature::any(1, Volatility::Immutable) })
}

impl ScalarUDFImpl for BytesText {
    fn name(&self) -> &str {
        "kql_bytes_text"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        super::map_unary(self.name(), &args.args, args.number_rows, |a, n| {
            let a = match a.data_type() {
                DataType::Dictionary(_, v) => datafusion::arrow::compute::cast(a, v)?,
                _ => Arc::clone(a),
            };
            let mut out = StringBuilder::with_capacity(n, n * 16);
            for i in 0..n {
                match bytes_at(a.as_ref(), i) {
                    Some(b) => out.append_value(String::from_utf8_lossy(&b)),
                    None => out.append_null(),
                }
            }
            Ok(Arc::new(out.finish()))
        })
    }
}

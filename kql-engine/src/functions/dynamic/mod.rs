//! The `dynamic` function family as UDFs over the representation of [`crate::dynamic`].
//!
//! | file | KQL |
//! |---|---|
//! | `access.rs` | `parse_json`/`todynamic`, member access `d.a[0]`, `tostring(d.a)`, the result edge |
//! | `convert.rs` | `tolong`, `toint`, `toreal`, `tobool`, `todatetime`, `totimespan`, `toguid` of `dynamic` |
//! | `expand.rs` | the element lists, item indexes and `to typeof()` of `mv-expand` |
//! | `memo.rs` | member-access results remembered across batches, by where each value's bytes live |
//! | `schema.rs` | the `buildschema` aggregate |
//! | `rowwise/` | the registry of row-wise functions over whole values (bags, arrays, sets, `gettype`, ...) |

pub mod access;
pub mod aggregate;
pub mod convert;
pub mod expand;
pub mod jsonpath;
pub(crate) mod memo;
pub mod rowwise;
pub mod schema;

use std::sync::Arc;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::dynamic::DYNAMIC_TYPE;
use crate::dynamic::arrow::native_to_json;

/// `kql_dynamic_of(x)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct DynamicOf {
    signature: Signature,
}

/// Any value as a `dynamic` holding it (a string becomes a JSON string, not parsed; JSON text
/// stays as it is).
pub fn value_of(e: Expr) -> Expr {
    value_of_udf().call(vec![e])
}

/// The UDF of [`value_of`].
pub(crate) fn value_of_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(DynamicOf { signature: Signature::any(1, Volatility::Immutable) })
}

fn wrap(array: &ArrayRef) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Binary => Arc::clone(array),
        DataType::LargeBinary | DataType::BinaryView => datafusion::arrow::compute::cast(array, &DYNAMIC_TYPE)?,
        DataType::Dictionary(_, v) if crate::dynamic::is_json_type(v) => {
            datafusion::arrow::compute::cast(array, &DYNAMIC_TYPE)?
        }
        _ => Arc::new(native_to_json(array.as_ref())?),
    })
}

impl ScalarUDFImpl for DynamicOf {
    fn name(&self) -> &str {
        "kql_dynamic_of"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DYNAMIC_TYPE)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        crate::functions::map_unary(self.name(), &args.args, args.number_rows, |a, _| wrap(a))
    }
}

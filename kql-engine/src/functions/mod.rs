//! KQL functions as DataFusion UDFs, one file each.
//!
//! | file | KQL |
//! |---|---|
//! | `term.rs` | the term matcher behind the string operators (spec §5.2) |
//! | `has.rs` | `has`, `has_cs`, `hasprefix`, `hassuffix`, `has_any`, `has_all`, `contains`, `startswith`, `endswith`, `=~`, `in~` |
//! | `tostring.rs` | `tostring()` with Kusto's formatting |
//! | `substring.rs` | `substring()` (0-based, characters, negative starts) |
//! | `extract.rs` | `extract()` with the regular expression compiled once |
//! | `scalar/` | the registry of typed scalar functions: strings, regular expressions, encodings, hashes, IP addresses, numbers, datetimes |
//! | `dynamic/` | the `dynamic` family: `parse_json`, member access, conversions, bags and arrays |

pub mod bytes;
pub mod dynamic;
pub mod extract;
pub mod has;
pub mod ipv4_lookup;
pub mod pair;
pub mod parse;
pub mod parse_kv;
pub(crate) mod re2;
pub mod scalar;
pub mod series_layout;
pub mod substring;
pub mod term;
pub mod tostring;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::ColumnarValue;

/// The one argument of a UDF named `name` mapped by the array function `f` (given the array
/// and its length): a scalar argument gives a scalar result.
pub(crate) fn map_unary(
    name: &str,
    args: &[ColumnarValue],
    rows: usize,
    f: impl FnOnce(&ArrayRef, usize) -> Result<ArrayRef>,
) -> Result<ColumnarValue> {
    let [x] = args else { return exec_err!("{name} takes one argument") };
    Ok(match x {
        ColumnarValue::Array(a) => ColumnarValue::Array(f(a, rows)?),
        ColumnarValue::Scalar(s) => {
            let out = f(&s.to_array_of_size(1)?, 1)?;
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        }
    })
}

/// Reads row `i` of any string layout (`None` for null).
pub(crate) fn string_at(array: &dyn Array, i: usize) -> Result<Option<&str>> {
    if array.is_null(i) {
        return Ok(None);
    }
    Ok(Some(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(i),
        DataType::LargeUtf8 => array.as_string::<i64>().value(i),
        DataType::Utf8View => array.as_string_view().value(i),
        other => return exec_err!("expected a string column, got {other}"),
    }))
}

/// A plain string array from any string layout (dictionaries are unpacked).
pub(crate) fn plain_strings(array: &ArrayRef) -> Result<ArrayRef> {
    match array.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Ok(std::sync::Arc::clone(array)),
        _ => Ok(datafusion::arrow::compute::cast(array, &DataType::Utf8)?),
    }
}

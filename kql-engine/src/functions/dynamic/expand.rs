//! The pieces of `mv-expand` that read `dynamic` values (the operator itself is DataFusion's
//! unnest, which expands several lists in parallel, padding the shorter ones with nulls):
//!
//! * `kql_mv_items(d, kind)`: the elements of each value as a list of `dynamic` values: an
//!   array's elements, a bag's slots (single-slot bags for `kind=bag`, `[key, value]` arrays for
//!   `kind=array`), any other value as itself; a null value stays a null list (one output row
//!   holding null) and an empty array or bag an empty list (no row);
//! * `kql_mv_index(l1, l2, ...)`: `0 .. n-1` per row, `n` the most elements of any of the
//!   lists (a null list counts one), for `with_itemindex`;
//!
//! `to typeof(T)` is [`super::convert::conform`].

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, AsArray, BinaryBuilder, GenericListArray, Int64Builder, ListBuilder, OffsetSizeTrait,
};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use indexmap::IndexMap;

use crate::dynamic::{DYNAMIC_TYPE, Dyn, JsonRows};

/// `kql_mv_items`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MvItems {
    /// `kind=array`: bag slots as `[key, value]`.
    pub(crate) bag_as_array: bool,
    signature: Signature,
}

/// The list of elements `mv-expand` makes of each value of `d`.
pub fn items(d: Expr, bag_as_array: bool) -> Expr {
    items_udf(bag_as_array).call(vec![d])
}

/// The UDF of [`items`].
pub(crate) fn items_udf(bag_as_array: bool) -> ScalarUDF {
    ScalarUDF::new_from_impl(MvItems { bag_as_array, signature: Signature::any(1, Volatility::Immutable) })
}

fn list_type(t: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(t, true)))
}

impl ScalarUDFImpl for MvItems {
    fn name(&self) -> &str {
        if self.bag_as_array { "kql_mv_items_array" } else { "kql_mv_items" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_type(DYNAMIC_TYPE))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [d] = args.args.as_slice() else { return exec_err!("kql_mv_items takes one argument") };
        let n = args.number_rows;
        let rows = JsonRows::new(&d.to_array(n)?)?;
        let mut out = ListBuilder::new(BinaryBuilder::new());
        let mut text = String::new();
        let mut push = |b: &mut ListBuilder<BinaryBuilder>, v: &Dyn| {
            if v.is_null() {
                b.values().append_null();
            } else {
                text.clear();
                v.write_json(&mut text);
                b.values().append_value(text.as_bytes());
            }
        };
        for i in 0..n {
            match rows.dyn_at(i) {
                Dyn::Null => out.append_null(),
                Dyn::Array(items) => {
                    items.iter().for_each(|v| push(&mut out, v));
                    out.append(true);
                }
                Dyn::Bag(map) => {
                    for (k, v) in map {
                        let slot = if self.bag_as_array {
                            Dyn::Array(vec![Dyn::String(k), v])
                        } else {
                            Dyn::Bag(IndexMap::from([(k, v)]))
                        };
                        push(&mut out, &slot);
                    }
                    out.append(true);
                }
                scalar => {
                    push(&mut out, &scalar);
                    out.append(true);
                }
            }
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// `kql_mv_index`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MvIndex {
    signature: Signature,
}

/// `0 .. n-1` per row for the lists being expanded together.
pub fn index(lists: Vec<Expr>) -> Expr {
    index_udf().call(lists)
}

/// The UDF of [`index`].
pub(crate) fn index_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(MvIndex { signature: Signature::variadic_any(Volatility::Immutable) })
}

fn lengths<O: OffsetSizeTrait>(l: &GenericListArray<O>, n: usize, out: &mut [usize]) {
    for (i, slot) in out.iter_mut().enumerate().take(n) {
        let len = if l.is_null(i) { 1 } else { l.value_length(i).as_usize() };
        *slot = (*slot).max(len);
    }
}

impl ScalarUDFImpl for MvIndex {
    fn name(&self) -> &str {
        "kql_mv_index"
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_type(DataType::Int64))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.number_rows;
        let mut len = vec![0usize; n];
        for a in &args.args {
            let a = a.to_array(n)?;
            match a.data_type() {
                DataType::List(_) => lengths(a.as_list::<i32>(), n, &mut len),
                DataType::LargeList(_) => lengths(a.as_list::<i64>(), n, &mut len),
                t => return exec_err!("kql_mv_index takes lists, got {t}"),
            }
        }
        let mut out = ListBuilder::new(Int64Builder::new());
        for l in len {
            for j in 0..l {
                out.values().append_value(j as i64);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

//! `dynamic` in Arrow arrays: which Arrow types hold it, reading any of them row by row as JSON
//! text, and turning any Arrow value into a [`Dyn`].

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BinaryBuilder, BinaryViewArray, GenericBinaryArray, LargeBinaryArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{self as t, DataType, TimeUnit};
use datafusion::common::{Result, exec_err};
use indexmap::IndexMap;

use super::value::Dyn;
use crate::format::nanos;
use crate::functions::string_at;
use crate::functions::tostring::{format_datetime, format_timespan};

/// The Arrow type of the `dynamic` values the engine produces: JSON text as bytes.
pub const DYNAMIC_TYPE: DataType = DataType::Binary;

/// Whether values of this type are `dynamic` JSON text (any binary layout, or a dictionary of
/// one).
pub fn is_json_type(t: &DataType) -> bool {
    match t {
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => true,
        DataType::Dictionary(_, v) => is_json_type(v),
        _ => false,
    }
}

/// Whether values of this type are `dynamic`: JSON text, or Arrow's nested types (lists,
/// structs, maps).
pub fn is_dynamic_type(t: &DataType) -> bool {
    is_json_type(t)
        || matches!(
            t,
            DataType::List(_)
                | DataType::LargeList(_)
                | DataType::FixedSizeList(..)
                | DataType::ListView(_)
                | DataType::LargeListView(_)
                | DataType::Struct(_)
                | DataType::Map(..)
        )
}

/// The rows of a `dynamic` array of any layout, as JSON text.
#[derive(Debug)]
pub enum JsonRows {
    /// `Binary`.
    Binary(BinaryArray),
    /// `LargeBinary`.
    Large(LargeBinaryArray),
    /// `BinaryView`.
    View(BinaryViewArray),
}

impl JsonRows {
    /// Reads `array`: binary layouts as they are, dictionaries unpacked, nested Arrow types
    /// rendered to JSON once.
    ///
    /// # Errors
    /// When the array is not of a `dynamic` type.
    pub fn new(array: &ArrayRef) -> Result<Self> {
        Ok(match array.data_type() {
            DataType::Binary => Self::Binary(array.as_binary::<i32>().clone()),
            DataType::LargeBinary => Self::Large(array.as_binary::<i64>().clone()),
            DataType::BinaryView => Self::View(array.as_binary_view().clone()),
            DataType::Dictionary(_, v) if is_json_type(v) => Self::new(&cast(array, v)?)?,
            t if is_dynamic_type(t) => Self::Binary(native_to_json(array.as_ref())?),
            // Strings, numbers and other scalars as dynamic values of their kind.
            _ => Self::Binary(native_to_json(array.as_ref())?),
        })
    }

    /// Row `i`: `None` for a null (an empty text is null too).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let v = match self {
            Self::Binary(a) => value(a, i),
            Self::Large(a) => value(a, i),
            Self::View(a) => (!a.is_null(i)).then(|| a.value(i)),
        };
        v.filter(|v| !v.is_empty())
    }

    /// Row `i` as a value.
    pub fn dyn_at(&self, i: usize) -> Dyn {
        self.get(i).map_or(Dyn::Null, Dyn::parse)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        match self {
            Self::Binary(a) => a.len(),
            Self::Large(a) => a.len(),
            Self::View(a) => a.len(),
        }
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn value<O: datafusion::arrow::array::OffsetSizeTrait>(a: &GenericBinaryArray<O>, i: usize) -> Option<&[u8]> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// Any Arrow array as `dynamic` JSON text, row by row (nulls stay null).
///
/// # Errors
/// For Arrow types with no KQL meaning.
pub fn native_to_json(array: &dyn Array) -> Result<BinaryArray> {
    let mut out = BinaryBuilder::with_capacity(array.len(), array.len() * 8);
    let mut text = String::new();
    for i in 0..array.len() {
        match to_dyn(array, i)? {
            Dyn::Null => out.append_null(),
            v => {
                text.clear();
                v.write_json(&mut text);
                out.append_value(text.as_bytes());
            }
        }
    }
    Ok(out.finish())
}

/// Builds a `dynamic` array from values (nulls as nulls).
pub fn build(values: impl IntoIterator<Item = Dyn>) -> ArrayRef {
    let mut out = BinaryBuilder::new();
    let mut text = String::new();
    for v in values {
        match v {
            Dyn::Null => out.append_null(),
            v => {
                text.clear();
                v.write_json(&mut text);
                out.append_value(text.as_bytes());
            }
        }
    }
    Arc::new(out.finish())
}

/// Row `i` of any Arrow array as a `dynamic` value: numbers, booleans and strings as
/// themselves, datetimes and timespans as Kusto's text for them, lists as arrays, structs and
/// maps as bags, JSON text parsed.
///
/// # Errors
/// For Arrow types with no KQL meaning.
pub fn to_dyn(array: &dyn Array, i: usize) -> Result<Dyn> {
    if array.is_null(i) {
        return Ok(Dyn::Null);
    }
    Ok(match array.data_type() {
        DataType::Null => Dyn::Null,
        DataType::Boolean => Dyn::Bool(array.as_boolean().value(i)),
        DataType::Int8 => Dyn::Long(i64::from(array.as_primitive::<t::Int8Type>().value(i))),
        DataType::Int16 => Dyn::Long(i64::from(array.as_primitive::<t::Int16Type>().value(i))),
        DataType::Int32 => Dyn::Long(i64::from(array.as_primitive::<t::Int32Type>().value(i))),
        DataType::Int64 => Dyn::Long(array.as_primitive::<t::Int64Type>().value(i)),
        DataType::UInt8 => Dyn::Long(i64::from(array.as_primitive::<t::UInt8Type>().value(i))),
        DataType::UInt16 => Dyn::Long(i64::from(array.as_primitive::<t::UInt16Type>().value(i))),
        DataType::UInt32 => Dyn::Long(i64::from(array.as_primitive::<t::UInt32Type>().value(i))),
        DataType::UInt64 => {
            let v = array.as_primitive::<t::UInt64Type>().value(i);
            i64::try_from(v).map_or(Dyn::Real(v as f64), Dyn::Long)
        }
        DataType::Float16 => Dyn::Real(f64::from(array.as_primitive::<t::Float16Type>().value(i).to_f32())),
        DataType::Float32 => Dyn::Real(f64::from(array.as_primitive::<t::Float32Type>().value(i))),
        DataType::Float64 => Dyn::Real(array.as_primitive::<t::Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Dyn::String(string_at(array, i)?.unwrap_or_default().to_owned())
        }
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => {
            let bytes = match array.data_type() {
                DataType::Binary => array.as_binary::<i32>().value(i),
                DataType::LargeBinary => array.as_binary::<i64>().value(i),
                _ => array.as_binary_view().value(i),
            };
            Dyn::parse(bytes)
        }
        DataType::Timestamp(..) => match nanos(array, i) {
            Some(ns) => Dyn::String(format_datetime(ns)),
            None => Dyn::Null,
        },
        DataType::Duration(_) => match nanos(array, i) {
            Some(ns) => Dyn::String(format_timespan(ns)),
            None => Dyn::Null,
        },
        DataType::Decimal128(..) | DataType::Decimal256(..) | DataType::Date32 | DataType::Date64 => {
            let s = cast(&array.slice(i, 1), &DataType::Utf8)?;
            match array.data_type() {
                DataType::Decimal128(..) | DataType::Decimal256(..) => {
                    let text = string_at(s.as_ref(), 0)?.unwrap_or_default();
                    text.parse::<f64>().map_or_else(|_| Dyn::String(text.to_owned()), Dyn::Real)
                }
                _ => {
                    let ts = cast(&array.slice(i, 1), &DataType::Timestamp(TimeUnit::Nanosecond, None))?;
                    to_dyn(ts.as_ref(), 0)?
                }
            }
        }
        DataType::List(_) => list(array.as_list::<i32>().value(i).as_ref())?,
        DataType::LargeList(_) => list(array.as_list::<i64>().value(i).as_ref())?,
        DataType::FixedSizeList(..) => list(array.as_fixed_size_list().value(i).as_ref())?,
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut map = IndexMap::with_capacity(fields.len());
            for (f, c) in fields.iter().zip(s.columns()) {
                map.insert(f.name().clone(), to_dyn(c.as_ref(), i)?);
            }
            Dyn::Bag(map)
        }
        DataType::Map(..) => {
            let entries = array.as_map().value(i);
            let (keys, values) = (entries.column(0), entries.column(1));
            let mut map = IndexMap::with_capacity(entries.len());
            for j in 0..entries.len() {
                map.insert(to_dyn(keys.as_ref(), j)?.to_text(), to_dyn(values.as_ref(), j)?);
            }
            Dyn::Bag(map)
        }
        DataType::Dictionary(_, v) => {
            let plain = cast(&array.slice(i, 1), v)?;
            to_dyn(plain.as_ref(), 0)?
        }
        other => return exec_err!("a column of Arrow type {other} has no KQL meaning"),
    })
}

fn list(values: &dyn Array) -> Result<Dyn> {
    (0..values.len()).map(|j| to_dyn(values, j)).collect::<Result<Vec<_>>>().map(Dyn::Array)
}

/// Row `i` of a string-or-binary array as bytes, without copying.
pub fn bytes_at(array: &dyn Array, i: usize) -> Option<Cow<'_, [u8]>> {
    if array.is_null(i) {
        return None;
    }
    Some(Cow::Borrowed(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().value(i).as_bytes(),
        DataType::LargeUtf8 => array.as_string::<i64>().value(i).as_bytes(),
        DataType::Utf8View => array.as_string_view().value(i).as_bytes(),
        DataType::Binary => array.as_binary::<i32>().value(i),
        DataType::LargeBinary => array.as_binary::<i64>().value(i),
        DataType::BinaryView => array.as_binary_view().value(i),
        _ => return None,
    }))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Int64Array, ListArray, StringArray, StructArray};
    use datafusion::arrow::datatypes::{Field, Int64Type};

    use super::*;

    #[test]
    fn native_layouts_render_as_json() {
        let l = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![Some(vec![Some(1), None]), None]);
        let j = native_to_json(&l).expect("renders");
        assert_eq!(j.value(0), b"[1,null]");
        assert!(j.is_null(1));
        let s = StructArray::from(vec![
            (Arc::new(Field::new("b", DataType::Utf8, true)), Arc::new(StringArray::from(vec!["x"])) as ArrayRef),
            (Arc::new(Field::new("a", DataType::Int64, true)), Arc::new(Int64Array::from(vec![5])) as ArrayRef),
        ]);
        assert_eq!(native_to_json(&s).expect("renders").value(0), br#"{"b":"x","a":5}"#);
    }
}

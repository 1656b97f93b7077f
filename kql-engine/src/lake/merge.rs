//! One schema for a table whose files disagree (schema drift), merged the way Kusto's `union`
//! merges columns of one name: `int` and `long` make `long`, integers and reals make `real`,
//! timestamps of any unit make one timestamp, text of any Arrow encoding makes text, and a
//! column some files lack is read as null there. A pair with no common type (text in one file,
//! a number in another) is an error naming the column and both files.

use std::path::Path;

use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use indexmap::IndexMap;

/// Where a column's type came from: the file that first had it with this type.
struct Seen<'a> {
    field: Field,
    file: &'a Path,
    /// How many files have the column (fewer than all: nullable).
    files: usize,
}

/// Merges the files' schemas (in the order given: columns in order of first appearance).
///
/// # Errors
/// A column whose types have no common type, as text naming the column and two files.
pub(crate) fn merge<'a>(schemas: impl IntoIterator<Item = (&'a Path, &'a Schema)>) -> Result<Schema, String> {
    let mut columns: IndexMap<String, Seen<'a>> = IndexMap::new();
    let mut count = 0;
    for (file, schema) in schemas {
        count += 1;
        for f in schema.fields() {
            match columns.get_mut(f.name()) {
                None => {
                    columns.insert(f.name().clone(), Seen { field: f.as_ref().clone(), file, files: 1 });
                }
                Some(seen) => {
                    seen.files += 1;
                    let Some(t) = common_type(seen.field.data_type(), f.data_type()) else {
                        return Err(format!(
                            "column `{}` is {} in {} but {} in {}; the files of a table must agree on a \
                             column's type up to widening (int to long to real, any timestamp unit)",
                            f.name(),
                            describe(seen.field.data_type()),
                            seen.file.display(),
                            describe(f.data_type()),
                            file.display()
                        ));
                    };
                    let nullable = seen.field.is_nullable() || f.is_nullable();
                    seen.field = seen.field.clone().with_data_type(t).with_nullable(nullable);
                }
            }
        }
    }
    let fields: Vec<Field> = columns
        .into_values()
        .map(|seen| {
            let nullable = seen.field.is_nullable() || seen.files < count;
            seen.field.with_nullable(nullable)
        })
        .collect();
    Ok(Schema::new(fields))
}

/// The type both `a` and `b` widen to, if any.
pub(crate) fn common_type(a: &DataType, b: &DataType) -> Option<DataType> {
    use DataType as T;
    if a == b {
        return Some(a.clone());
    }
    match (a, b) {
        (T::Null, t) | (t, T::Null) => Some(t.clone()),
        (T::Dictionary(_, v), t) | (t, T::Dictionary(_, v)) if is_text(v) && is_text(t) => Some(T::Utf8),
        (T::Dictionary(ka, va), T::Dictionary(kb, vb)) => {
            let values = common_type(va, vb)?;
            let keys = common_type(ka, kb)?;
            Some(T::Dictionary(Box::new(keys), Box::new(values)))
        }
        _ if is_text(a) && is_text(b) => Some(T::Utf8),
        _ if is_bytes(a) && is_bytes(b) => Some(T::Binary),
        (T::Timestamp(ua, za), T::Timestamp(ub, zb)) => {
            let zone = if za == zb { za.clone() } else { za.clone().or_else(|| zb.clone()) };
            Some(T::Timestamp(finer(*ua, *ub), zone))
        }
        (T::Timestamp(u, z), T::Date32 | T::Date64) | (T::Date32 | T::Date64, T::Timestamp(u, z)) => {
            Some(T::Timestamp(*u, z.clone()))
        }
        (T::Date32, T::Date64) | (T::Date64, T::Date32) => Some(T::Date64),
        (T::Duration(ua), T::Duration(ub)) => Some(T::Duration(finer(*ua, *ub))),
        (T::Decimal128(pa, sa), T::Decimal128(pb, sb)) => {
            let scale = (*sa).max(*sb);
            let whole = (i16::from(*pa) - i16::from(*sa)).max(i16::from(*pb) - i16::from(*sb));
            let precision = u8::try_from(whole + i16::from(scale)).ok()?.min(38);
            Some(T::Decimal128(precision, scale))
        }
        (T::Decimal128(_, s), t) | (t, T::Decimal128(_, s)) if t.is_integer() => Some(T::Decimal128(38, *s)),
        (T::Decimal128(..), t) | (t, T::Decimal128(..)) if t.is_floating() => Some(T::Float64),
        _ if a.is_integer() && b.is_integer() => {
            Some(if width(a) <= 4 && width(b) <= 4 && a.is_signed_integer() && b.is_signed_integer() {
                T::Int32
            } else {
                T::Int64
            })
        }
        _ if a.is_numeric() && b.is_numeric() => Some(T::Float64),
        _ => None,
    }
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn is_bytes(t: &DataType) -> bool {
    matches!(t, DataType::Binary | DataType::LargeBinary | DataType::BinaryView)
}

/// Bytes per value of an integer type.
fn width(t: &DataType) -> usize {
    t.primitive_width().unwrap_or(8)
}

fn finer(a: TimeUnit, b: TimeUnit) -> TimeUnit {
    let rank = |u: TimeUnit| match u {
        TimeUnit::Second => 0,
        TimeUnit::Millisecond => 1,
        TimeUnit::Microsecond => 2,
        TimeUnit::Nanosecond => 3,
    };
    if rank(a) >= rank(b) { a } else { b }
}

/// A column type as a user reads it: the KQL type, and the Arrow type it is stored as.
fn describe(t: &DataType) -> String {
    format!("{} ({t})", crate::planner::read_type(&Field::new("", t.clone(), true), None).kql_type().name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn schema(fields: &[(&str, DataType)]) -> Schema {
        Schema::new(fields.iter().map(|(n, t)| Field::new(*n, t.clone(), false)).collect::<Vec<_>>())
    }

    #[test]
    fn widens_as_union_does() {
        use DataType as T;
        let cases = [
            (T::Int32, T::Int64, Some(T::Int64)),
            (T::Int16, T::Int32, Some(T::Int32)),
            (T::UInt32, T::Int32, Some(T::Int64)),
            (T::Int64, T::Float64, Some(T::Float64)),
            (T::Float32, T::Float64, Some(T::Float64)),
            (T::Utf8, T::Utf8View, Some(T::Utf8)),
            (T::Dictionary(Box::new(T::Int32), Box::new(T::Utf8)), T::LargeUtf8, Some(T::Utf8)),
            (
                T::Timestamp(TimeUnit::Microsecond, None),
                T::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                Some(T::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))),
            ),
            (T::Utf8, T::Int64, None),
            (T::Boolean, T::Int64, None),
            (T::Decimal128(10, 2), T::Decimal128(12, 4), Some(T::Decimal128(12, 4))),
        ];
        for (a, b, want) in cases {
            assert_eq!(common_type(&a, &b), want, "{a} and {b}");
            assert_eq!(common_type(&b, &a), want, "{b} and {a}");
        }
    }

    #[test]
    fn missing_columns_become_nullable_and_conflicts_name_both_files() {
        let (a, b) = (PathBuf::from("/l/T/a.parquet"), PathBuf::from("/l/T/b.parquet"));
        let sa = schema(&[("x", DataType::Int32), ("y", DataType::Utf8)]);
        let sb = schema(&[("x", DataType::Int64), ("z", DataType::Float64)]);
        let merged = merge([(a.as_path(), &sa), (b.as_path(), &sb)]).unwrap();
        let got: Vec<_> =
            merged.fields().iter().map(|f| (f.name().as_str(), f.data_type().clone(), f.is_nullable())).collect();
        assert_eq!(got, [("x", DataType::Int64, false), ("y", DataType::Utf8, true), ("z", DataType::Float64, true)]);
        let sc = schema(&[("y", DataType::Int64)]);
        let e = merge([(a.as_path(), &sa), (b.as_path(), &sc)]).unwrap_err();
        assert!(e.contains("column `y` is string (Utf8) in /l/T/a.parquet but long (Int64) in /l/T/b.parquet"), "{e}");
    }
}

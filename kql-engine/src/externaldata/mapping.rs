//! `ingestionMapping` (`management/mappings.md`, `csv-mapping.md`, `json-mapping.md`): where
//! each declared column takes its cells from, instead of Kusto's default (delimited formats by
//! ordinal, JSON and Parquet by top-level name). A Parquet source is mapped as JSON records
//! are, its Paths limited to top-level columns ([`check_parquet`]).
//!
//! The mapping is a JSON array with one element per column: `{"Column": name, "Properties":
//! {...}}` (the legacy flat forms `{"Name": ..., "Ordinal": ...}` and `{"column": ...,
//! "path": ...}` are read too; property names are case-insensitive, `DataType` is ignored since
//! the schema declares the types). Properties:
//! - `Ordinal` (delimited, `txt` and `raw` sources): the field, counted from 0;
//! - `Path` (JSON sources): a JSONPath of Kusto's subset from the record, `$` the whole record;
//!   a value that does not start with `$` is a constant, as documented; `Field` (the Avro,
//!   Parquet and ORC form) names a top-level property;
//! - `ConstValue` (or `ConstantValue`): a constant;
//! - `Transform`: `SourceLocation` (the source as the query names it), `SourceLineNumber` (the
//!   record's number in its source, from 1, skipped records counted), and with a `Path`,
//!   `DateTimeFromUnixSeconds` / `Milliseconds` / `Microseconds` / `Nanoseconds` (a number or
//!   numeric text to a UTC datetime; anything else null) and `PropertyBagArrayToDictionary` (an
//!   array of property bags merged into one bag).
//!
//! A declared column the mapping does not name is empty, as ingestion leaves an unmapped column.
//! Everything else (an unknown column, an ordinal in a JSON mapping, an unknown transform) is
//! an error naming the element, reported where the query gives the mapping.

use serde_json::{Map, Value};

use crate::dynamic::Step;
use crate::functions::dynamic::jsonpath;

/// Where a column's cells come from.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Source {
    /// A field of a delimited record, from 0.
    Ordinal(usize),
    /// A JSONPath from a JSON record.
    Path(Vec<Step>),
    /// The same text on every row.
    Const(String),
    /// The source's name.
    Location,
    /// The record's number in its source, from 1.
    LineNumber,
}

/// A transformation of the value a `Path` reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transform {
    /// Unix time in units per second (1, 1e3, 1e6, 1e9) to a datetime.
    UnixTime(i64),
    /// An array of property bags merged into one bag.
    BagArrayToDictionary,
}

/// One declared column's mapping.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ColumnMapping {
    pub(crate) source: Source,
    pub(crate) transform: Option<Transform>,
}

/// Per declared column, its mapping (`None`: not mapped, always empty).
pub(crate) type Mapping = Vec<Option<ColumnMapping>>;

/// The element's property `name` (any case): in its `Properties` bag, else in the element
/// itself (the legacy flat forms).
fn property<'a>(element: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    let find =
        |bag: &'a Map<String, Value>, key: &str| bag.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v);
    let inner = match find(element, "properties") {
        Some(Value::Object(props)) => find(props, name),
        _ => None,
    };
    inner.or_else(|| find(element, name))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The `mapping` for the declared `columns` of a source whose records are mapped by Path
/// (`by_path`: JSON, or Parquet after [`check_parquet`]) or by Ordinal (delimited text).
pub(crate) fn parse(mapping: &str, columns: &[&str], by_path: bool) -> Result<Mapping, String> {
    let value: Value =
        serde_json::from_str(mapping).map_err(|e| format!("the ingestion mapping is not valid JSON: {e}"))?;
    let Value::Array(elements) = value else {
        return Err("the ingestion mapping is a JSON array of column mappings".to_owned());
    };
    let mut out: Mapping = vec![None; columns.len()];
    for (n, element) in elements.iter().enumerate() {
        let n = n + 1;
        let Value::Object(element) = element else {
            return Err(format!("element {n} of the ingestion mapping is not a property bag"));
        };
        let element = &expand_properties(element);
        let name = property(element, "Column")
            .or_else(|| property(element, "Name"))
            .and_then(text)
            .ok_or_else(|| format!("element {n} of the ingestion mapping names no `Column`"))?;
        let Some(i) = columns.iter().position(|c| *c == name) else {
            return Err(format!(
                "the ingestion mapping maps `{name}`, which the externaldata schema does not declare; columns: {}",
                columns.join(", ")
            ));
        };
        if out[i].is_some() {
            return Err(format!("the ingestion mapping maps `{name}` twice"));
        }
        out[i] = Some(column(element, &name, by_path)?);
    }
    Ok(out)
}

/// `Properties` given as JSON text (as Kusto's legacy mappings carry them) read as a bag.
fn expand_properties(element: &Map<String, Value>) -> Map<String, Value> {
    let mut out = element.clone();
    for (k, v) in element {
        if k.eq_ignore_ascii_case("properties")
            && let Value::String(s) = v
            && let Ok(Value::Object(bag)) = serde_json::from_str::<Value>(s)
        {
            out.insert(k.clone(), Value::Object(bag));
        }
    }
    out
}

fn column(element: &Map<String, Value>, name: &str, by_path: bool) -> Result<ColumnMapping, String> {
    let ordinal = property(element, "Ordinal");
    let path = property(element, "Path");
    // `Field` (Avro, Parquet and ORC mappings): a top-level property by name.
    let field = property(element, "Field").filter(|_| by_path && path.is_none());
    let constant = property(element, "ConstValue").or_else(|| property(element, "ConstantValue"));
    let transform = property(element, "Transform").and_then(text);
    let given =
        [ordinal.is_some(), path.is_some() || field.is_some(), constant.is_some()].iter().filter(|b| **b).count();
    if given > 1 {
        return Err(format!("the mapping of `{name}` gives more than one of Ordinal, Path and ConstValue"));
    }
    // The transforms that are the whole source of a column.
    let whole = |t: &str| match t.to_ascii_lowercase().as_str() {
        "sourcelocation" => Some(Source::Location),
        "sourcelinenumber" => Some(Source::LineNumber),
        _ => None,
    };
    if let Some(t) = &transform
        && let Some(source) = whole(t)
    {
        if given > 0 {
            return Err(format!("the mapping of `{name}`: `{t}` takes no Ordinal, Path or ConstValue"));
        }
        return Ok(ColumnMapping { source, transform: None });
    }
    let source = if let Some(c) = constant {
        Source::Const(text(c).ok_or_else(|| format!("the ConstValue of `{name}` is not a scalar"))?)
    } else if let Some(o) = ordinal {
        if by_path {
            return Err(format!("the mapping of `{name}` gives an Ordinal, which a JSON source has not; give a Path"));
        }
        let o = text(o).and_then(|t| t.trim().parse::<usize>().ok());
        Source::Ordinal(o.ok_or_else(|| format!("the Ordinal of `{name}` is not a whole number from 0"))?)
    } else if let Some(f) = field {
        Source::Path(vec![Step::Key(text(f).ok_or_else(|| format!("the Field of `{name}` is not text"))?)])
    } else if let Some(p) = path {
        if !by_path {
            return Err(format!(
                "the mapping of `{name}` gives a Path, which a delimited source has not; give an Ordinal"
            ));
        }
        let p = text(p).ok_or_else(|| format!("the Path of `{name}` is not text"))?;
        if p.trim_start().starts_with('$') {
            // The documented `$.['name']` writes a dot before the brackets.
            let steps = jsonpath::parse(&p).or_else(|| jsonpath::parse(&p.replace(".[", "[")));
            Source::Path(steps.ok_or_else(|| format!("the Path of `{name}` is not a JSONPath: `{p}`"))?)
        } else {
            // Documented: a Path that does not start with `$` is a constant value.
            Source::Const(p)
        }
    } else {
        return Err(format!("the mapping of `{name}` gives no Ordinal, Path, ConstValue or Transform"));
    };
    let transform = match transform {
        None => None,
        Some(t) => {
            let found = match t.to_ascii_lowercase().as_str() {
                "datetimefromunixseconds" => Transform::UnixTime(1),
                "datetimefromunixmilliseconds" => Transform::UnixTime(1_000),
                "datetimefromunixmicroseconds" => Transform::UnixTime(1_000_000),
                "datetimefromunixnanoseconds" => Transform::UnixTime(1_000_000_000),
                "propertybagarraytodictionary" => Transform::BagArrayToDictionary,
                _ => {
                    return Err(format!(
                        "unknown Transform `{t}` in the mapping of `{name}`; transforms: SourceLocation, \
                         SourceLineNumber, DateTimeFromUnixSeconds, DateTimeFromUnixMilliseconds, \
                         DateTimeFromUnixMicroseconds, DateTimeFromUnixNanoseconds, PropertyBagArrayToDictionary"
                    ));
                }
            };
            if !matches!(source, Source::Path(_)) {
                return Err(format!("the Transform `{t}` of `{name}` applies to a Path only"));
            }
            Some(found)
        }
    };
    Ok(ColumnMapping { source, transform })
}

/// Checks a mapping parsed for JSON records against what a Parquet source can give: each Path
/// one top-level column; otherwise the construct not supported yet there (a nested path, the
/// whole record, `PropertyBagArrayToDictionary`).
pub(crate) fn check_parquet(mapping: &Mapping, columns: &[&str]) -> Result<(), String> {
    for (m, name) in mapping.iter().zip(columns) {
        let Some(m) = m else { continue };
        if let Source::Path(p) = &m.source
            && !matches!(p.as_slice(), [Step::Key(_)])
        {
            return Err(format!(
                "the mapping of `{name}`: a Parquet source's Path naming anything but a top-level column"
            ));
        }
        if m.transform == Some(Transform::BagArrayToDictionary) {
            return Err(format!("the mapping of `{name}`: PropertyBagArrayToDictionary on a Parquet source"));
        }
    }
    Ok(())
}

/// The value at `path` in `record`.
pub(crate) fn walk<'a>(record: &'a Value, path: &[Step]) -> Option<&'a Value> {
    let mut v = record;
    for step in path {
        v = match (step, v) {
            (Step::Key(k), Value::Object(bag)) => bag.get(k)?,
            (Step::Index(i), Value::Array(items)) => {
                let i = if *i < 0 { items.len().checked_sub(i.unsigned_abs() as usize)? } else { *i as usize };
                items.get(i)?
            }
            _ => return None,
        };
    }
    Some(v)
}

/// Nanoseconds since 1970 of `n` units of which `per_second` make a second; `None` out of range.
pub(crate) fn unix_nanos(n: f64, per_second: i64) -> Option<i64> {
    let ns = n * (1_000_000_000 / per_second) as f64;
    (ns.is_finite() && ns.abs() < i64::MAX as f64).then(|| ns.round() as i64)
}

/// `transform` applied to a value a path reached.
pub(crate) fn apply(transform: Transform, v: &Value) -> Option<Value> {
    match transform {
        Transform::UnixTime(per_second) => {
            let n = match v {
                Value::Number(n) => n.as_f64()?,
                Value::String(s) => s.trim().parse::<f64>().ok()?,
                _ => return None,
            };
            Some(Value::String(crate::functions::tostring::format_datetime(unix_nanos(n, per_second)?)))
        }
        Transform::BagArrayToDictionary => {
            let Value::Array(items) = v else { return None };
            let mut bag = Map::new();
            for item in items {
                let Value::Object(props) = item else { return None };
                for (k, val) in props {
                    bag.insert(k.clone(), val.clone());
                }
            }
            Some(Value::Object(bag))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_json_mapping() {
        let text = r#"[
          {"Column": "event_timestamp", "Properties": {"Path": "$.Timestamp"}},
          {"Column": "event_name",      "Properties": {"Path": "$.Event.Name"}},
          {"Column": "source_uri",      "Properties": {"Transform": "SourceLocation"}},
          {"Column": "source_line",     "Properties": {"Transform": "SourceLineNumber"}},
          {"Column": "event_time",      "Properties": {"Path": "$.Timestamp", "Transform": "DateTimeFromUnixMilliseconds"}},
          {"Column": "ingestion_time",  "Properties": {"ConstValue": "2021-01-01T10:32:00"}},
          {"Column": "full_record",     "Properties": {"Path": "$"}},
          {"Column": "spaced",          "Properties": {"Path": "$.['Property name with space']"}}
        ]"#;
        let cols = [
            "event_timestamp",
            "event_name",
            "source_uri",
            "source_line",
            "event_time",
            "ingestion_time",
            "full_record",
            "spaced",
            "unmapped",
        ];
        let m = parse(text, &cols, true).expect("a mapping");
        let source = |i: usize| m[i].as_ref().map(|c| c.source.clone());
        assert_eq!(source(1), Some(Source::Path(vec![Step::Key("Event".into()), Step::Key("Name".into())])));
        assert_eq!(source(2), Some(Source::Location));
        assert_eq!(source(3), Some(Source::LineNumber));
        assert_eq!(m[4].as_ref().and_then(|c| c.transform), Some(Transform::UnixTime(1_000)));
        assert_eq!(source(5), Some(Source::Const("2021-01-01T10:32:00".into())));
        assert_eq!(source(6), Some(Source::Path(vec![])));
        assert_eq!(source(7), Some(Source::Path(vec![Step::Key("Property name with space".into())])));
        assert_eq!(m[8], None);
    }

    #[test]
    fn documented_csv_mapping_and_legacy_form() {
        let text = r#"[{"Column": "a", "Properties": {"Ordinal": "1"}}, {"Column": "b", "Properties": {"Ordinal": 0}},
                      {"Column": "c", "Properties": {"ConstValue": "x"}}]"#;
        let m = parse(text, &["a", "b", "c"], false).expect("a mapping");
        assert_eq!(m[0].as_ref().map(|c| &c.source), Some(&Source::Ordinal(1)));
        assert_eq!(m[1].as_ref().map(|c| &c.source), Some(&Source::Ordinal(0)));
        let legacy = parse(r#"[{"Name": "a", "DataType": "string", "Ordinal": 2}]"#, &["a"], false).expect("a mapping");
        assert_eq!(legacy[0].as_ref().map(|c| &c.source), Some(&Source::Ordinal(2)));
        let field =
            parse(r#"[{"Column": "a", "Properties": {"Field": "EventName"}}]"#, &["a"], true).expect("a mapping");
        assert_eq!(field[0].as_ref().map(|c| &c.source), Some(&Source::Path(vec![Step::Key("EventName".into())])));
        let legacy =
            parse(r#"[{"column": "a", "path": "$.x", "datatype": "string"}]"#, &["a"], true).expect("a mapping");
        assert_eq!(legacy[0].as_ref().map(|c| &c.source), Some(&Source::Path(vec![Step::Key("x".into())])));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |t: &str, json: bool| parse(t, &["a"], json).unwrap_err();
        assert!(err("[", true).contains("not valid JSON"));
        assert!(err(r#"{"Column":"a"}"#, true).contains("JSON array"));
        assert!(err(r#"[{"Column":"b","Properties":{"Path":"$.b"}}]"#, true).contains("does not declare"));
        assert!(err(r#"[{"Column":"a","Properties":{"Ordinal":"0"}}]"#, true).contains("give a Path"));
        assert!(err(r#"[{"Column":"a","Properties":{"Path":"$.a"}}]"#, false).contains("give an Ordinal"));
        assert!(
            err(r#"[{"Column":"a","Properties":{"Path":"$.a","Transform":"Upper"}}]"#, true)
                .contains("unknown Transform")
        );
        assert!(err(r#"[{"Column":"a","Properties":{"Ordinal":"-1"}}]"#, false).contains("whole number"));
        assert!(err(r#"[{"Column":"a","Properties":{}}]"#, false).contains("gives no Ordinal"));
        assert!(
            err(r#"[{"Column":"a","Properties":{"Ordinal":0}},{"Column":"a","Properties":{"Ordinal":1}}]"#, false)
                .contains("twice")
        );
    }

    #[test]
    fn transforms() {
        let t = |tr, v: &str| apply(tr, &serde_json::from_str(v).expect("json"));
        assert_eq!(
            t(Transform::UnixTime(1_000), "1609497120000"),
            Some(Value::String("2021-01-01T10:32:00.0000000Z".into()))
        );
        assert_eq!(
            t(Transform::UnixTime(1), "\"1609497120.5\""),
            Some(Value::String("2021-01-01T10:32:00.5000000Z".into()))
        );
        assert_eq!(t(Transform::UnixTime(1), "\"soon\""), None);
        assert_eq!(
            t(Transform::BagArrayToDictionary, r#"[{"n1":"v1"},{"n2":"v2"}]"#),
            Some(serde_json::json!({"n1":"v1","n2":"v2"}))
        );
        assert_eq!(t(Transform::BagArrayToDictionary, r#"[1]"#), None);
        let record = serde_json::json!({"a": {"b": [10, 20]}});
        assert_eq!(
            walk(&record, &[Step::Key("a".into()), Step::Key("b".into()), Step::Index(-1)]),
            Some(&serde_json::json!(20))
        );
    }
}

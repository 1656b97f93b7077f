//! Kusto's ingestion formats, read into Arrow: text formats give one UTF-8 cell per declared
//! column (the planner converts cells to the declared types with the `to*` rules); Parquet
//! columns are found by name and cast.
//!
//! Mapping (Kusto's default, no `ingestionMapping`): delimited formats by ordinal (extra fields
//! ignored, missing fields null), JSON formats by top-level property name, Parquet by column
//! name. `txt` is one record per non-empty line in the first column; `raw` the whole text.

use std::borrow::Cow;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder, new_null_array};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;

use super::mapping::{self, ColumnMapping, Mapping, Source, Transform};

/// A data format `externaldata` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Comma-separated values (RFC 4180 quoting).
    Csv,
    /// Tab-separated values, double-quote quoting.
    Tsv,
    /// Tab-separated values with backslash escapes (`\t`, `\n`, `\\`).
    Tsve,
    /// `|`-separated values.
    Psv,
    /// `;`-separated values.
    Scsv,
    /// SOH (0x01)-separated values.
    Sohsv,
    /// One record per non-empty line.
    Txt,
    /// The whole text is one record.
    Raw,
    /// JSON objects, one per line (several per line or across lines are read too).
    Json,
    /// JSON objects separated by whitespace, or a JSON array of objects.
    MultiJson,
    /// Apache Parquet.
    Parquet,
}

/// Formats Kusto ingests that `externaldata` does not read yet.
const NOT_YET: &[&str] = &["avro", "apacheavro", "orc", "w3clogfile", "singlejson", "azmonstream"];

impl Format {
    /// The format a `format=` value names (case-insensitive).
    pub(crate) fn from_name(name: &str) -> Result<Self, String> {
        let lower = name.to_ascii_lowercase();
        Ok(match lower.as_str() {
            "csv" => Self::Csv,
            "tsv" => Self::Tsv,
            "tsve" => Self::Tsve,
            "psv" => Self::Psv,
            "scsv" => Self::Scsv,
            "sohsv" => Self::Sohsv,
            "txt" => Self::Txt,
            "raw" => Self::Raw,
            "json" => Self::Json,
            "multijson" => Self::MultiJson,
            "parquet" => Self::Parquet,
            n if NOT_YET.contains(&n) => return Err(format!("the externaldata format `{name}` is not supported yet")),
            _ => {
                return Err(format!(
                    "unknown externaldata format `{name}`; formats: csv, tsv, tsve, psv, scsv, sohsv, txt, raw, json, \
                     multijson, parquet"
                ));
            }
        })
    }

    /// The format a file name implies (Kusto: "detected from the file extension, defaults to
    /// CSV"), after a `.gz` suffix is set aside.
    pub(crate) fn from_file_name(name: &str) -> Self {
        let lower = name.to_ascii_lowercase();
        let stem = lower.strip_suffix(".gz").unwrap_or(&lower);
        let ext = stem.rsplit_once('.').map_or("", |(_, e)| e);
        match ext {
            "parquet" => Self::Parquet,
            "json" | "jsonl" | "ndjson" => Self::Json,
            "multijson" => Self::MultiJson,
            ext => Self::from_name(ext).unwrap_or(Self::Csv),
        }
    }

    /// Whether cells arrive as text (every format but Parquet).
    pub(crate) fn is_text(self) -> bool {
        self != Self::Parquet
    }

    /// Whether records are JSON (`json`, `multijson`), which take `Path` mappings.
    pub(crate) fn is_json(self) -> bool {
        matches!(self, Self::Json | Self::MultiJson)
    }

    fn delimiter(self) -> Option<u8> {
        match self {
            Self::Csv => Some(b','),
            Self::Tsv | Self::Tsve => Some(b'\t'),
            Self::Psv => Some(b'|'),
            Self::Scsv => Some(b';'),
            Self::Sohsv => Some(1),
            _ => None,
        }
    }
}

/// One column to fill: its name (for JSON and Parquet) and whether its cells are JSON text
/// (a `dynamic` column: JSON values keep their JSON form).
pub(crate) struct Column<'a> {
    pub name: &'a str,
    pub json: bool,
}

/// How records become cells: Kusto's default (fields by ordinal, JSON by top-level name) or an
/// `ingestionMapping`, and the source's name for its `SourceLocation`.
#[derive(Clone, Copy)]
pub(crate) struct Shape<'a> {
    pub mapping: Option<&'a Mapping>,
    pub location: &'a str,
}

/// Text cells of one source, appended to one builder per column.
pub(crate) fn read_text(
    format: Format,
    bytes: &[u8],
    columns: &[Column<'_>],
    ignore_first: bool,
    shape: Shape<'_>,
    out: &mut [StringBuilder],
) -> Result<(), String> {
    // Records are numbered from 1 in their source, skipped ones counted (`SourceLineNumber`).
    let mut n = 0usize;
    let mut next = || {
        n += 1;
        (n, !(ignore_first && n == 1))
    };
    match format {
        Format::Txt => {
            for line in bytes.split(|&b| b == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.is_empty() {
                    continue;
                }
                if let (n, true) = next() {
                    emit_fields(out, &[String::from_utf8_lossy(line).into_owned()], n, shape);
                }
            }
        }
        Format::Raw => {
            if let (n, true) = next() {
                emit_fields(out, &[String::from_utf8_lossy(bytes).into_owned()], n, shape);
            }
        }
        Format::Json | Format::MultiJson => {
            for value in serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>() {
                let value =
                    value.map_err(|e| format!("invalid JSON at line {}, column {}: {e}", e.line(), e.column()))?;
                let records = match value {
                    serde_json::Value::Array(items) => items,
                    other => vec![other],
                };
                for record in records {
                    let (n, keep) = next();
                    if !keep {
                        continue;
                    }
                    if !record.is_object() {
                        return Err(format!("record {n} is not a JSON object (a property bag)"));
                    }
                    emit_json(out, columns, &record, n, shape);
                }
            }
        }
        Format::Tsve => {
            let mut reader = delimited(b'\t', false).from_reader(bytes);
            for record in reader.byte_records() {
                let record = record.map_err(csv_error)?;
                if let (n, true) = next() {
                    let fields: Vec<String> = record.iter().map(|f| unescape(&String::from_utf8_lossy(f))).collect();
                    emit_fields(out, &fields, n, shape);
                }
            }
        }
        Format::Parquet => return Err("a Parquet file is not text".to_owned()),
        delimited_format => {
            let d = delimited_format.delimiter().unwrap_or(b',');
            let mut reader = delimited(d, true).from_reader(bytes);
            for record in reader.byte_records() {
                let record = record.map_err(csv_error)?;
                if let (n, true) = next() {
                    let fields: Vec<String> = record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect();
                    emit_fields(out, &fields, n, shape);
                }
            }
        }
    }
    Ok(())
}

/// The cell a mapping gives that does not come from the record (`None` for `Ordinal` and
/// `Path`).
fn fixed<'a>(m: &'a ColumnMapping, n: usize, shape: Shape<'a>) -> Option<Cow<'a, str>> {
    match &m.source {
        Source::Const(c) => Some(Cow::Borrowed(c)),
        Source::Location => Some(Cow::Borrowed(shape.location)),
        Source::LineNumber => Some(Cow::Owned(n.to_string())),
        Source::Ordinal(_) | Source::Path(_) => None,
    }
}

/// One delimited (or `txt`, `raw`) record's cells: field k to column k, or as mapped.
fn emit_fields(out: &mut [StringBuilder], fields: &[String], n: usize, shape: Shape<'_>) {
    for (k, b) in out.iter_mut().enumerate() {
        let field = |i: usize| fields.get(i).map(|f| Cow::Borrowed(f.as_str()));
        let cell = match shape.mapping {
            None => field(k),
            Some(m) => match m.get(k).and_then(Option::as_ref) {
                None => None,
                Some(cm) => match &cm.source {
                    Source::Ordinal(i) => field(*i),
                    _ => fixed(cm, n, shape),
                },
            },
        };
        match cell {
            Some(text) => b.append_value(text),
            None => b.append_null(),
        }
    }
}

/// One JSON record's cells: columns by top-level property name, or as mapped.
fn emit_json(
    out: &mut [StringBuilder],
    columns: &[Column<'_>],
    record: &serde_json::Value,
    n: usize,
    shape: Shape<'_>,
) {
    use serde_json::Value;
    for (k, (b, c)) in out.iter_mut().zip(columns).enumerate() {
        let value: Option<Cow<'_, Value>> = match shape.mapping {
            None => record.get(c.name).map(Cow::Borrowed),
            Some(m) => match m.get(k).and_then(Option::as_ref) {
                None => None,
                Some(cm) => match &cm.source {
                    Source::Path(p) => match (mapping::walk(record, p), cm.transform) {
                        (Some(v), Some(t)) => mapping::apply(t, v).map(Cow::Owned),
                        (v, None) => v.map(Cow::Borrowed),
                        (None, Some(_)) => None,
                    },
                    Source::LineNumber => Some(Cow::Owned(Value::from(n))),
                    _ => fixed(cm, n, shape).map(|t| Cow::Owned(Value::String(t.into_owned()))),
                },
            },
        };
        match value.as_deref() {
            None | Some(Value::Null) => b.append_null(),
            Some(Value::String(s)) if !c.json => b.append_value(s),
            Some(v) => b.append_value(v.to_string()),
        }
    }
}

fn delimited(delimiter: u8, quoting: bool) -> csv::ReaderBuilder {
    let mut b = csv::ReaderBuilder::new();
    b.has_headers(false).flexible(true).delimiter(delimiter).quoting(quoting);
    b
}

fn csv_error(e: csv::Error) -> String {
    match e.position() {
        Some(p) => format!("invalid delimited text at line {}: {e}", p.line()),
        None => format!("invalid delimited text: {e}"),
    }
}

/// `\t`, `\n`, `\r`, `\\` of the `tsve` format.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// The declared columns of a Parquet source: each found by name (exactly, else ignoring case)
/// and cast to the table's type; a column the file lacks is null. With a mapping, each column
/// is what its Path (a top-level column), constant or transform gives.
pub(crate) fn read_parquet(
    bytes: bytes::Bytes,
    schema: &SchemaRef,
    shape: Shape<'_>,
) -> Result<Vec<RecordBatch>, String> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
        .and_then(|b| b.build())
        .map_err(|e| format!("not a valid Parquet file: {e}"))?;
    let mut out = Vec::new();
    // Rows before this batch in the source (`SourceLineNumber`).
    let mut before = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| format!("cannot read the Parquet file: {e}"))?;
        let file = batch.schema();
        let rows = batch.num_rows();
        let find = |name: &str| {
            file.index_of(name).ok().or_else(|| file.fields().iter().position(|f| f.name().eq_ignore_ascii_case(name)))
        };
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
        for (k, field) in schema.fields().iter().enumerate() {
            let to = field.data_type();
            let named = |name: &str| -> Result<ArrayRef, String> {
                match find(name) {
                    None => Ok(new_null_array(to, rows)),
                    Some(i) => cast_column(batch.column(i), to)
                        .map_err(|e| format!("column `{}` cannot be read as declared: {e}", field.name())),
                }
            };
            let column = match shape.mapping {
                None => named(field.name())?,
                Some(m) => match m.get(k).and_then(Option::as_ref) {
                    None => new_null_array(to, rows),
                    Some(cm) => match (&cm.source, cm.transform) {
                        (Source::Path(p), transform) => {
                            let [crate::dynamic::Step::Key(name)] = p.as_slice() else {
                                return Err(format!("the mapping of `{}` names a nested path", field.name()));
                            };
                            match (transform, find(name)) {
                                (Some(Transform::UnixTime(per_second)), Some(i)) => {
                                    unix_time(batch.column(i), per_second, to).map_err(|e| {
                                        format!("column `{}` cannot be read as a unix time: {e}", field.name())
                                    })?
                                }
                                (Some(_), None) => new_null_array(to, rows),
                                (Some(Transform::BagArrayToDictionary), Some(_)) => {
                                    return Err(format!(
                                        "the mapping of `{}`: PropertyBagArrayToDictionary",
                                        field.name()
                                    ));
                                }
                                (None, _) => named(name)?,
                            }
                        }
                        (Source::LineNumber, _) => {
                            let n: datafusion::arrow::array::Int64Array =
                                (before + 1..=before + rows).map(|i| i as i64).collect();
                            cast_column(&(std::sync::Arc::new(n) as ArrayRef), to).map_err(|e| e.to_string())?
                        }
                        _ => {
                            let Some(text) = fixed(cm, 0, shape) else {
                                return Err(format!("the mapping of `{}` does not apply to Parquet", field.name()));
                            };
                            let texts = datafusion::arrow::array::StringArray::from(vec![text.as_ref(); rows]);
                            cast_column(&(std::sync::Arc::new(texts) as ArrayRef), to).map_err(|e| e.to_string())?
                        }
                    },
                },
            };
            columns.push(column);
        }
        before += rows;
        out.push(
            RecordBatch::try_new(Arc::clone(schema), columns).map_err(|e| format!("cannot build the table: {e}"))?,
        );
    }
    Ok(out)
}

/// A numeric column of unix times (`per_second` units a second) as the declared type: a
/// datetime, or Kusto's text of one for a string column; a value out of range is null.
fn unix_time(a: &ArrayRef, per_second: i64, to: &DataType) -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::{Array as _, AsArray as _, TimestampNanosecondArray};
    use datafusion::arrow::datatypes::Float64Type;
    let f = cast_column(a, &DataType::Float64)?;
    let f = f.as_primitive::<Float64Type>();
    let ns: TimestampNanosecondArray =
        (0..f.len()).map(|i| f.is_valid(i).then(|| mapping::unix_nanos(f.value(i), per_second))?).collect();
    if matches!(to, DataType::Utf8) {
        let text: datafusion::arrow::array::StringArray =
            ns.iter().map(|v| v.map(crate::functions::tostring::format_datetime)).collect();
        return Ok(Arc::new(text));
    }
    cast_column(&(Arc::new(ns) as ArrayRef), to)
}

fn cast_column(a: &ArrayRef, to: &DataType) -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::compute::{CastOptions, cast_with_options};
    // Values that do not convert are null, as Kusto's ingestion leaves them.
    let options = CastOptions { safe: true, ..CastOptions::default() };
    if *to == DataType::Utf8 && matches!(a.data_type(), DataType::Binary | DataType::LargeBinary) {
        // JSON stored as binary reads as its text.
        let text = cast_with_options(a, &DataType::Utf8, &options)?;
        return Ok(text);
    }
    cast_with_options(a, to, &options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, StringArray};

    fn read(format: Format, text: &str, names: &[&str], ignore_first: bool) -> Vec<Vec<Option<String>>> {
        let columns: Vec<Column<'_>> = names.iter().map(|n| Column { name: n, json: *n == "dyn" }).collect();
        let mut out: Vec<StringBuilder> = names.iter().map(|_| StringBuilder::new()).collect();
        read_text(format, text.as_bytes(), &columns, ignore_first, Shape { mapping: None, location: "src" }, &mut out)
            .unwrap();
        out.iter_mut()
            .map(|b| {
                let a: StringArray = b.finish();
                (0..a.len()).map(|i| a.is_valid(i).then(|| a.value(i).to_owned())).collect()
            })
            .collect()
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn csv_by_ordinal_with_quotes_missing_and_extra_fields() {
        let got = read(Format::Csv, "h1,h2\n\"a,b\",1,extra\n\nc\n", &["x", "y"], true);
        assert_eq!(got, vec![vec![s("a,b"), s("c")], vec![s("1"), None]]);
    }

    #[test]
    fn txt_is_one_line_per_record_without_empty_lines() {
        let got = read(Format::Txt, "# comment\r\nexample.com\n\nexample.org", &["d", "e"], false);
        assert_eq!(got, vec![vec![s("# comment"), s("example.com"), s("example.org")], vec![None, None, None]]);
    }

    #[test]
    fn json_by_property_name_and_dynamic_keeps_json() {
        let text = "{\"a\":\"x\",\"dyn\":\"s\"}\n{\"a\":5,\"dyn\":{\"k\":[1]}}\n";
        let got = read(Format::Json, text, &["a", "dyn", "missing"], false);
        assert_eq!(got[0], vec![s("x"), s("5")]);
        assert_eq!(got[1], vec![s("\"s\""), s("{\"k\":[1]}")]);
        assert_eq!(got[2], vec![None, None]);
        let got = read(Format::MultiJson, "[{\"a\":1},{\"a\":2}] {\"a\":3}", &["a"], true);
        assert_eq!(got, vec![vec![s("2"), s("3")]]);
    }

    #[test]
    fn tsve_unescapes_and_raw_is_everything() {
        assert_eq!(read(Format::Tsve, "a\\tb\tc\\\\d\n", &["x", "y"], false), vec![vec![s("a\tb")], vec![s("c\\d")]]);
        assert_eq!(read(Format::Raw, "l1\nl2\n", &["x"], false), vec![vec![s("l1\nl2\n")]]);
    }

    #[test]
    fn formats_from_names_and_extensions() {
        assert_eq!(Format::from_name("CSV"), Ok(Format::Csv));
        assert!(Format::from_name("avro").unwrap_err().contains("not supported yet"));
        assert!(Format::from_name("xlsx").unwrap_err().contains("unknown"));
        assert_eq!(Format::from_file_name("x.TSV.gz"), Format::Tsv);
        assert_eq!(Format::from_file_name("feed"), Format::Csv);
        assert_eq!(Format::from_file_name("a.parquet"), Format::Parquet);
    }
}

//! Shared helpers: reading a written lake back and recomputing the ground truth from every
//! row in the files (background included), independently of the manifest.

#![allow(dead_code, unreachable_pub, missing_docs)] // each test binary uses a different subset

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type, TimeUnit};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use testdata::rules::rules;
use testdata::{ExpectedRow, Manifest, Status, Table};

/// Every Parquet file of `table` in the lake (file or hive layout), sorted.
pub fn table_files(lake: &Path, table: Table) -> Vec<PathBuf> {
    let single = lake.join(format!("{table}.parquet"));
    if single.exists() {
        return vec![single];
    }
    let mut out = Vec::new();
    let mut stack = vec![lake.join(table.name())];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for e in entries {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

pub fn read_file(path: &Path) -> Vec<RecordBatch> {
    let file = fs::File::open(path).expect("open parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("parquet").build().expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

/// A row with its strings, `Timestamp` in nanoseconds, and `ReportId`.
#[derive(Debug)]
pub struct Row {
    pub strings: BTreeMap<String, Option<String>>,
    pub time: i64,
    pub report_id: i64,
}

/// Every row of a table as plain values (whatever the physical types), with the string
/// columns any rule reads.
pub fn rows(lake: &Path, table: Table) -> Vec<Row> {
    let wanted: BTreeSet<String> = rules()
        .iter()
        .flat_map(|r| {
            let mut cols: Vec<String> = r.by.clone().unwrap_or_default();
            cols.extend(r.predicate.iter().flat_map(|p| p.columns()).map(str::to_owned));
            cols
        })
        .collect();
    let mut out = Vec::new();
    for f in table_files(lake, table) {
        for batch in read_file(&f) {
            let schema = batch.schema();
            let mut strings: Vec<(String, arrow::array::ArrayRef)> = Vec::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let col = batch.column(i);
                let string = matches!(
                    field.data_type(),
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _)
                );
                if string && wanted.contains(field.name()) {
                    strings.push((field.name().clone(), cast(col, &DataType::Utf8).expect("cast to utf8")));
                }
            }
            let ts = cast(
                batch.column_by_name("Timestamp").expect("Timestamp"),
                &DataType::Timestamp(TimeUnit::Nanosecond, None),
            )
            .expect("cast time");
            let ts = ts.as_primitive::<arrow::datatypes::TimestampNanosecondType>();
            let ids = batch.column_by_name("ReportId").expect("ReportId").as_primitive::<Int64Type>().clone();
            for r in 0..batch.num_rows() {
                let strings = strings
                    .iter()
                    .map(|(n, a)| {
                        let a = a.as_string::<i32>();
                        (n.clone(), (!a.is_null(r)).then(|| a.value(r).to_owned()))
                    })
                    .collect();
                out.push(Row { strings, time: ts.value(r), report_id: ids.value(r) });
            }
        }
    }
    out
}

/// The expected rows of every rule, recomputed from all rows of the files.
pub fn recompute(lake: &Path, now: i64) -> BTreeMap<String, (Status, Vec<ExpectedRow>)> {
    let mut tables: BTreeMap<Table, Vec<Row>> = BTreeMap::new();
    let start = now - 5 * 86_400 * 1_000_000_000;
    let mut out = BTreeMap::new();
    for rule in rules() {
        let (Some(table), Some(pred), None) = (rule.table(), rule.predicate.as_ref(), rule.broken.as_ref()) else {
            out.insert(rule.file.clone(), (Status::Broken, Vec::new()));
            continue;
        };
        let rows = tables.entry(table).or_insert_with(|| rows(lake, table));
        let by = rule.by.clone().unwrap_or_default();
        let mut groups: BTreeMap<Vec<String>, (i64, i64, BTreeSet<i64>, u64)> = BTreeMap::new();
        for row in rows.iter() {
            let get = |c: &str| row.strings.get(c).and_then(|v| v.as_deref());
            if row.time < start || row.time > now || !testdata::oracle::eval(pred, &get) {
                continue;
            }
            let key = by.iter().map(|c| get(c).unwrap_or("").to_owned()).collect();
            let g = groups.entry(key).or_insert((i64::MAX, i64::MIN, BTreeSet::new(), 0));
            g.0 = g.0.min(row.time);
            g.1 = g.1.max(row.time);
            g.2.insert(row.report_id);
            g.3 += 1;
        }
        let status = if groups.is_empty() { Status::NoHits } else { Status::Hits };
        let rows = groups
            .into_iter()
            .map(|(key, (f, l, r, c))| ExpectedRow {
                keys: by.iter().cloned().zip(key).collect(),
                first_seen: testdata::format_rfc3339(f),
                last_seen: testdata::format_rfc3339(l),
                report: r.into_iter().collect(),
                count: c,
            })
            .collect();
        out.insert(rule.file.clone(), (status, rows));
    }
    out
}

pub fn read_manifest(lake: &Path) -> Manifest {
    serde_json::from_str(&fs::read_to_string(lake.join("manifest.json")).expect("manifest")).expect("manifest json")
}

/// Asserts the manifest equals what the files contain.
pub fn assert_manifest_matches_files(lake: &Path) {
    let manifest = read_manifest(lake);
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");
    let recomputed = recompute(lake, now);
    assert_eq!(manifest.rules.len(), recomputed.len());
    for rule in &manifest.rules {
        let (status, rows) = &recomputed[&rule.file];
        assert_eq!(&rule.status, status, "{}", rule.file);
        assert_eq!(&rule.rows, rows, "{}: the files and the manifest disagree", rule.file);
    }
}

//! Every seed and corpus rule, run verbatim over a generated Parquet lake, returns exactly the
//! rows the generator's ground truth says (sets compared as sets), and every rule broken at
//! the source fails with a located error.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

#[path = "../../kql-parser/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampNanosecondType};
use kql_engine::KqlContext;
use testdata::{ExpectedRow, Generator, LakeOptions, Layout, PhysicalTypes, Status, write_lake};

/// The rows of a hunt's result in the manifest's shape.
fn actual_rows(batches: &[RecordBatch], by: &[String]) -> Vec<ExpectedRow> {
    let mut out = Vec::new();
    for b in batches {
        let col = |name: &str| b.column_by_name(name).unwrap_or_else(|| panic!("no column {name}"));
        let times = |name: &str| cast(col(name), &DataType::Timestamp(TimeUnit::Nanosecond, None)).expect("cast time");
        let first = times("FirstSeen");
        let last = times("LastSeen");
        let count = col("Count").as_primitive::<Int64Type>().clone();
        let report = col("Report").as_list::<i32>().clone();
        let keys: Vec<_> = by.iter().map(|k| (k.clone(), cast(col(k), &DataType::Utf8).expect("cast key"))).collect();
        for r in 0..b.num_rows() {
            let mut ids: Vec<i64> = report.value(r).as_primitive::<Int64Type>().values().to_vec();
            ids.sort_unstable();
            out.push(ExpectedRow {
                keys: keys.iter().map(|(k, a)| (k.clone(), a.as_string::<i32>().value(r).to_owned())).collect(),
                first_seen: testdata::format_rfc3339(first.as_primitive::<TimestampNanosecondType>().value(r)),
                last_seen: testdata::format_rfc3339(last.as_primitive::<TimestampNanosecondType>().value(r)),
                report: ids,
                count: u64::try_from(count.value(r)).expect("count"),
            });
        }
    }
    out.sort_by(|a, b| a.keys.cmp(&b.keys));
    out
}

async fn check_lake(physical: PhysicalTypes, layout: Layout) {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(9).rows(4_000).devices(60).physical(physical).build().expect("generator");
    let options = LakeOptions { layout, rows_per_file: 1_500, ..LakeOptions::default() };
    write_lake(&generator, dir.path(), &options).expect("lake");
    let manifest = generator.manifest();
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");
    let ctx = KqlContext::builder().now(now).build().expect("context");
    ctx.register_lake(dir.path()).await.expect("register");
    let queries: BTreeMap<String, String> =
        common::corpus().into_iter().map(|(label, q)| (label.trim_start_matches("corpus/").to_owned(), q)).collect();
    let mut failures = Vec::new();
    for rule in &manifest.rules {
        let query = &queries[&rule.file];
        let result = match ctx.kql(query).await {
            Ok(df) => df.collect().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.render(query)),
        };
        match (&rule.status, result) {
            (Status::Broken, Err(_)) => {}
            (Status::Broken, Ok(_)) => {
                failures.push(format!("{}: ran, but is broken at the source ({:?})", rule.file, rule.reason))
            }
            (_, Err(e)) => failures.push(format!("{}: failed:\n{e}", rule.file)),
            (_, Ok(batches)) => {
                let actual = actual_rows(&batches, &rule.by);
                let mut expected = rule.rows.clone();
                expected.sort_by(|a, b| a.keys.cmp(&b.keys));
                if actual != expected {
                    failures.push(format!(
                        "{}: rows differ\n  expected {:#?}\n  actual   {:#?}",
                        rule.file, rule.rows, actual
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules wrong:\n{}",
        failures.len(),
        manifest.rules.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_matches_the_ground_truth() {
    check_lake(PhysicalTypes::default(), Layout::File).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_matches_on_other_physical_types_and_hive_layout() {
    let physical = PhysicalTypes {
        time_unit: datafusion::arrow::datatypes::TimeUnit::Millisecond,
        utc: false,
        strings: testdata::StringEncoding::Dictionary,
    };
    check_lake(physical, Layout::Hive).await;
}

//! The `has` family on its own, per byte of strings: a literal needle, `has_any` with 2 and with
//! 200 needles (the RMM tool domains), against a regex formulation of the same test (a boundary
//! regex per value, what a SQL engine would run), on Utf8, Utf8View and dictionary arrays of
//! realistic `RemoteUrl` values, and on string views as a dictionary-encoded Parquet page gives
//! them (rows of one value share its view).
//!
//! `cargo bench -p benches --bench has`

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use std::path::Path;
use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use kql_engine::functions::has::{HasUdf, MatchOp};
use kql_engine::functions::term::TermKind;
use testdata::{Generator, Table};

/// 200 needles: the tool domains of the RMM indicator list (padded with variants if short).
fn domains() -> Vec<String> {
    let csv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rmm-tools/RMM_SummaryNetworkURI.csv");
    let text = std::fs::read_to_string(csv).unwrap_or_default();
    let mut out: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .map(|d| d.trim_start_matches("*.").to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    let mut i = 0;
    while out.len() < 200 {
        out.push(format!("rmm-tool-{i}.example.net"));
        i += 1;
    }
    out.truncate(200);
    out
}

fn urls() -> ArrayRef {
    let generator = Generator::builder().rows(262_144).batch_size(262_144).build().expect("generator");
    let batch = generator.background_batch(Table::DeviceNetworkEvents, 0).expect("batch");
    let urls = batch.column_by_name("RemoteUrl").expect("RemoteUrl");
    cast(urls, &DataType::Utf8).expect("utf8")
}

fn dictionary_page_views(utf8: &ArrayRef) -> ArrayRef {
    let dict = cast(utf8, &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))).expect("dict");
    let dict = dict.as_dictionary::<datafusion::arrow::datatypes::Int32Type>();
    let values = cast(dict.values(), &DataType::Utf8View).expect("views");
    datafusion::arrow::compute::take(&values, dict.keys(), None).expect("take")
}

fn regex_test(re: &regex::Regex, array: &dyn Array) -> BooleanArray {
    let a = array.as_string::<i32>();
    a.iter().map(|v| Some(re.is_match(v.unwrap_or("")))).collect()
}

fn has(c: &mut Criterion) {
    let utf8 = urls();
    let bytes = utf8.as_string::<i32>().value_data().len() as u64;
    let layouts: Vec<(&str, ArrayRef)> = vec![
        ("utf8", Arc::clone(&utf8)),
        ("utf8view", cast(&utf8, &DataType::Utf8View).expect("view")),
        (
            "dictionary",
            cast(&utf8, &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))).expect("dict"),
        ),
        // What the Parquet reader gives for a dictionary-encoded page: every row of one value
        // carries the view of its dictionary entry.
        ("utf8view-dictionary-page", dictionary_page_views(&utf8)),
    ];
    let domains = domains();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("has", vec!["atera.com".into()]),
        ("has_any-2", vec!["atera.com".into(), "atera-agent-heartbeat".into()]),
        ("has_any-200", domains),
    ];
    let mut group = c.benchmark_group("has");
    group.throughput(Throughput::Bytes(bytes));
    for (name, needles) in &cases {
        let op = MatchOp { kind: TermKind::Has, case_sensitive: false, negated: false, all: false, name: "has_any" };
        let udf = HasUdf::new(op, needles.clone());
        for (layout, array) in &layouts {
            group.bench_function(BenchmarkId::new(*name, layout), |b| {
                b.iter(|| udf.evaluate(array.as_ref()).expect("evaluate"));
            });
        }
        let alternatives: Vec<String> = needles.iter().map(|n| regex::escape(n)).collect();
        let re = regex::Regex::new(&format!(r"(?i)(?:^|[^\pL\pN])(?:{})(?:$|[^\pL\pN])", alternatives.join("|")))
            .expect("regex");
        group.bench_function(BenchmarkId::new(*name, "regex-utf8"), |b| b.iter(|| regex_test(&re, utf8.as_ref())));
        // Sanity: both find the same rows (the regex is exact here: no needle overlaps a boundary).
        let ours = udf.evaluate(utf8.as_ref()).expect("evaluate");
        let theirs = regex_test(&re, utf8.as_ref());
        assert_eq!(ours.true_count(), theirs.true_count(), "{name}");
    }
    group.finish();
}

criterion_group!(benches, has);
criterion_main!(benches);

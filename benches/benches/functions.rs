//! The hot scalar functions of hunts on their own, per row of generated telemetry, each beside
//! the formulation a SQL engine without them runs (a regular expression, or the same library
//! call written row by row): `ipv4_is_private` and `ipv4_is_in_range` on `RemoteIP`,
//! `parse_url(...).Host` on `RemoteUrl`, `extract` and `base64_decode_tostring` on command
//! lines, `hash_sha256`, `format_datetime` on `Timestamp`. Each case runs on the plain string
//! column and on its dictionary (what a dictionary-encoded Parquet column gives).
//!
//! `cargo bench -p benches --bench functions`

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use std::sync::Arc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::ColumnarValue;
use kql_engine::functions::scalar::{evaluate, lookup};
use testdata::{Generator, Table};

const ROWS: usize = 262_144;

fn column(table: Table, name: &str) -> ArrayRef {
    let generator = Generator::builder().rows(ROWS as u64).batch_size(ROWS).build().expect("generator");
    let batch = generator.background_batch(table, 0).expect("batch");
    let c = batch.column_by_name(name).expect("column");
    match c.data_type() {
        DataType::Timestamp(..) => cast(c, &DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))).expect("ts"),
        _ => cast(c, &DataType::Utf8).expect("utf8"),
    }
}

fn dictionary(a: &ArrayRef) -> ArrayRef {
    cast(a, &DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))).expect("dict")
}

fn run(name: &str, regex: Option<&regex::Regex>, args: &[ColumnarValue]) -> ColumnarValue {
    let def = lookup(name).expect("registered");
    evaluate(def, regex, args, ROWS).expect("evaluate")
}

fn text(s: &str) -> ColumnarValue {
    ColumnarValue::Scalar(ScalarValue::Utf8(Some(s.to_owned())))
}

fn regex_bool(re: &regex::Regex, a: &dyn Array) -> BooleanArray {
    a.as_string::<i32>().iter().map(|v| v.map(|v| re.is_match(v))).collect()
}

fn functions(c: &mut Criterion) {
    let ips = column(Table::DeviceNetworkEvents, "RemoteIP");
    let urls = column(Table::DeviceNetworkEvents, "RemoteUrl");
    let commands = column(Table::DeviceProcessEvents, "ProcessCommandLine");
    let times = column(Table::DeviceProcessEvents, "Timestamp");
    let mut group = c.benchmark_group("functions");
    group.throughput(Throughput::Elements(ROWS as u64));

    // ipv4_is_private: the registry kernel, and the regex SQL users write for it.
    let private = regex::Regex::new(r"^(10\.|172\.(1[6-9]|2[0-9]|3[01])\.|192\.168\.)").expect("regex");
    for (layout, a) in [("utf8", Arc::clone(&ips)), ("dictionary", dictionary(&ips))] {
        group.bench_function(BenchmarkId::new("ipv4_is_private", layout), |b| {
            b.iter(|| run("ipv4_is_private", None, &[ColumnarValue::Array(Arc::clone(&a))]));
        });
    }
    group.bench_function(BenchmarkId::new("ipv4_is_private", "regex-utf8"), |b| b.iter(|| regex_bool(&private, &ips)));
    group.bench_function(BenchmarkId::new("ipv4_is_private", "parse-only"), |b| {
        b.iter(|| {
            ips.as_string::<i32>()
                .iter()
                .filter(|v| v.and_then(kql_engine::functions::scalar::ip::parse_v4).is_some())
                .count()
        })
    });

    // ipv4_is_in_range against a /16, and the prefix regex.
    let range = regex::Regex::new(r"^10\.1\.").expect("regex");
    for (layout, a) in [("utf8", Arc::clone(&ips)), ("dictionary", dictionary(&ips))] {
        group.bench_function(BenchmarkId::new("ipv4_is_in_range", layout), |b| {
            b.iter(|| run("ipv4_is_in_range", None, &[ColumnarValue::Array(Arc::clone(&a)), text("10.1.0.0/16")]));
        });
    }
    group.bench_function(BenchmarkId::new("ipv4_is_in_range", "regex-utf8"), |b| b.iter(|| regex_bool(&range, &ips)));

    // parse_url: the whole bag (what `parse_url(u).Host` reads from), and the host regex.
    let host = regex::Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^/:?#]+)").expect("regex");
    let with_scheme: ArrayRef = Arc::new(
        urls.as_string::<i32>().iter().map(|u| u.map(|u| format!("https://{u}/path?q=1"))).collect::<StringArray>(),
    );
    for (layout, a) in [("utf8", Arc::clone(&with_scheme)), ("dictionary", dictionary(&with_scheme))] {
        group.bench_function(BenchmarkId::new("parse_url", layout), |b| {
            b.iter(|| run("parse_url", None, &[ColumnarValue::Array(Arc::clone(&a))]));
        });
    }
    group.bench_function(BenchmarkId::new("parse_url", "host-regex-utf8"), |b| {
        b.iter(|| {
            with_scheme
                .as_string::<i32>()
                .iter()
                .map(|v| v.and_then(|v| host.captures(v)).and_then(|c| c.get(1)).map(|m| m.as_str().to_owned()))
                .collect::<StringArray>()
        });
    });

    // replace_regex and extract over command lines: ours (regex compiled once) and the regex
    // crate row by row.
    let flag = regex::Regex::new(r"(?i)-enc(?:odedcommand)?\s+(\S+)").expect("regex");
    for (layout, a) in [("utf8", Arc::clone(&commands)), ("dictionary", dictionary(&commands))] {
        group.bench_function(BenchmarkId::new("replace_regex", layout), |b| {
            b.iter(|| {
                run(
                    "replace_regex",
                    Some(&flag),
                    &[ColumnarValue::Array(Arc::clone(&a)), text(flag.as_str()), text(r"-enc <\1>")],
                )
            });
        });
    }
    group.bench_function(BenchmarkId::new("replace_regex", "regex-utf8"), |b| {
        b.iter(|| {
            commands
                .as_string::<i32>()
                .iter()
                .map(|v| v.map(|v| flag.replace_all(v, "-enc <${1}>").into_owned()))
                .collect::<StringArray>()
        });
    });

    // base64_decode_tostring and hash_sha256 of command lines.
    let encoded: ArrayRef = {
        let out = run("base64_encode_tostring", None, &[ColumnarValue::Array(Arc::clone(&commands))]);
        out.into_array(ROWS).expect("array")
    };
    group.bench_function(BenchmarkId::new("base64_decode_tostring", "utf8"), |b| {
        b.iter(|| run("base64_decode_tostring", None, &[ColumnarValue::Array(Arc::clone(&encoded))]));
    });
    group.bench_function(BenchmarkId::new("hash_sha256", "utf8"), |b| {
        b.iter(|| run("hash_sha256", None, &[ColumnarValue::Array(Arc::clone(&commands))]));
    });
    group.bench_function(BenchmarkId::new("hash_sha256", "dictionary"), |b| {
        let d = dictionary(&commands);
        b.iter(|| run("hash_sha256", None, &[ColumnarValue::Array(Arc::clone(&d))]));
    });

    // format_datetime, and chrono's own formatting row by row.
    group.bench_function(BenchmarkId::new("format_datetime", "timestamp"), |b| {
        b.iter(|| run("format_datetime", None, &[ColumnarValue::Array(Arc::clone(&times)), text("yyyy-MM-dd HH:mm")]));
    });
    group.bench_function(BenchmarkId::new("format_datetime", "chrono-row-by-row"), |b| {
        let t = times.as_primitive::<datafusion::arrow::datatypes::TimestampNanosecondType>();
        b.iter(|| {
            t.iter()
                .map(|v| v.map(|ns| chrono::DateTime::from_timestamp_nanos(ns).format("%Y-%m-%d %H:%M").to_string()))
                .collect::<StringArray>()
        });
    });
    group.finish();

    // Sanity: the kernels and the formulations beside them agree where they are exact.
    let ours = run("ipv4_is_private", None, &[ColumnarValue::Array(Arc::clone(&ips))]).into_array(ROWS).expect("a");
    assert_eq!(ours.as_boolean().true_count(), regex_bool(&private, &ips).true_count());
}

criterion_group!(benches, functions);
criterion_main!(benches);

//! `dynamic` values: member access on `AdditionalFields` JSON text.
//!
//! * `access`: one key read from 65,536 generated `AdditionalFields` values, lazily (the path
//!   walk the engine uses, which skips every other value) against building the whole bag first
//!   (our value model, and `serde_json`'s), per byte of JSON text;
//! * `queries`: the two queries of the harness's `--dynamic` table over a 1M-row
//!   `DeviceEvents` file (`benches::DYNAMIC_QUERIES`).
//!
//! `cargo bench -p benches --bench dynamic` (needs `../shared/schema/tables`)

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use kql_engine::dynamic::{Dyn, StepRef, path};
use testdata::documented::{DocConfig, DocumentedGenerator, load_schemas};

/// 65,536 `AdditionalFields` values as the generator writes them (nulls left out).
fn values() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/schema/tables");
    let schemas: Vec<_> =
        load_schemas(&dir).expect("schemas").into_iter().filter(|s| s.name == "DeviceEvents").collect();
    let config = DocConfig { rows: 65_536, batch_size: 65_536, ..DocConfig::default() };
    let generator = DocumentedGenerator::new(schemas, config);
    let batch = generator.batch("DeviceEvents", 0).expect("batch");
    let fields = cast(batch.column_by_name("AdditionalFields").expect("column"), &DataType::Utf8).expect("utf8");
    let fields = fields.as_string::<i32>();
    (0..fields.len()).filter(|&i| !fields.is_null(i)).map(|i| fields.value(i).to_owned()).collect()
}

fn access(c: &mut Criterion) {
    let values = values();
    let bytes: usize = values.iter().map(String::len).sum();
    let mut g = c.benchmark_group("dynamic/access");
    g.throughput(Throughput::Bytes(bytes as u64));
    let key = [StepRef::Key("Command")];
    g.bench_function("lazy path (engine)", |b| {
        b.iter(|| values.iter().filter(|v| path::get(v.as_bytes(), &key).is_some()).count())
    });
    g.bench_function("whole bag (Dyn::parse)", |b| {
        b.iter(|| {
            values
                .iter()
                .filter(|v| matches!(Dyn::parse(v.as_bytes()), Dyn::Bag(m) if m.contains_key("Command")))
                .count()
        })
    });
    g.bench_function("whole bag (serde_json)", |b| {
        b.iter(|| {
            values
                .iter()
                .filter(|v| {
                    serde_json::from_str::<serde_json::Value>(v).ok().is_some_and(|j| j.get("Command").is_some())
                })
                .count()
        })
    });
    g.finish();
}

fn queries(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let lake = benches::dynamic_lake(1_000_000).expect("lake");
    let ctx = rt.block_on(benches::context(&lake)).expect("context");
    let mut g = c.benchmark_group("dynamic/queries");
    g.sample_size(20);
    for (key, kql) in benches::DYNAMIC_QUERIES {
        g.bench_with_input(BenchmarkId::new(key, "1M rows"), &kql, |b, kql| {
            b.to_async(&rt).iter(|| async { ctx.kql(kql).await.expect("plans").collect().await.expect("runs") })
        });
    }
    g.finish();
}

criterion_group!(benches, access, queries);
criterion_main!(benches);

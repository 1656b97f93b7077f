//! The seed hunts end to end (KQL text to collected batches) over generated lakes of 1M and 10M
//! rows per table (one zstd file per table, 1M-row groups, time-ordered; and the hive layout),
//! and the whole RMM catalog as one hunt over the 10M-row lake. Lakes are generated once and
//! cached under `target/bench-lakes`; the runtime and session are built outside the timing.
//!
//! `cargo bench -p benches --bench hunts` (`KQL_BENCH_ROWS=1000000` for the small lake only)

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use std::path::Path;
use std::time::Duration;

use benches::{bench_lake, context, hand_written, seed_hunts};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use testdata::Layout;

fn sizes() -> Vec<u64> {
    match std::env::var("KQL_BENCH_ROWS") {
        Ok(v) => v.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
        Err(_) => vec![1_000_000, 10_000_000],
    }
}

fn hunts(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut group = c.benchmark_group("seed-hunts");
    group.sample_size(10).measurement_time(Duration::from_secs(10));
    for rows in sizes() {
        for layout in [Layout::File, Layout::Hive] {
            let lake = bench_lake(rows, layout).expect("lake");
            let ctx = rt.block_on(context(&lake)).expect("context");
            for hunt in seed_hunts() {
                let id = format!("{}/{rows}/{layout:?}", hunt.key);
                group.bench_function(BenchmarkId::new("kql", &id), |b| {
                    b.iter(|| {
                        rt.block_on(async { ctx.kql(&hunt.kql).await?.collect().await.map_err(Into::into) })
                            .map_err(|e: kql_engine::KqlError| e.to_string())
                            .expect("hunt")
                    });
                });
                if layout == Layout::File {
                    group.bench_function(BenchmarkId::new("datafusion-hand-written", &id), |b| {
                        b.iter(|| {
                            rt.block_on(async { hand_written(&ctx, &hunt).await?.collect().await }).expect("hunt")
                        });
                    });
                }
            }
        }
    }
    group.finish();
}

fn catalog(c: &mut Criterion) {
    let rows = sizes().into_iter().max().unwrap_or(1_000_000);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let lake = bench_lake(rows, Layout::File).expect("lake");
    let ctx = rt.block_on(context(&lake)).expect("context");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rmm-tools/rules");
    let catalog = rmm_rules::Catalog::from_dir(&dir).expect("the RMM catalog in ../shared");
    let runner = rmm_rules::Runner::new(ctx);
    let mut group = c.benchmark_group("rmm-catalog");
    group.sample_size(10).measurement_time(Duration::from_secs(30));
    group.bench_function(format!("168 rules/{rows}"), |b| b.iter(|| rt.block_on(runner.run(&catalog))));
    group.finish();
}

criterion_group!(benches, hunts, catalog);
criterion_main!(benches);

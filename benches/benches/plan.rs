//! Parse + plan time of every rule of the RMM catalog against the documented schemas (no data).
//! Target: well under 1 ms per rule.
//!
//! `cargo bench -p benches --bench plan`

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use datafusion::datasource::MemTable;
use kql_engine::KqlContext;
use testdata::{PhysicalTypes, Table};

fn plan(c: &mut Criterion) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus/rmm-tools/rules");
    let catalog = rmm_rules::Catalog::from_dir(&dir).expect("the RMM catalog in ../shared");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let ctx = KqlContext::builder().now(1_717_243_200_000_000_000).build().expect("context");
    for t in Table::ALL {
        let table = MemTable::try_new(t.schema(&PhysicalTypes::default()), vec![vec![]]).expect("table");
        ctx.register_table(t.name(), Arc::new(table)).expect("register");
    }
    // The rules that plan (the broken ones fail fast and would flatter the average).
    let queries: Vec<String> =
        catalog.iter().map(|r| r.query.clone()).filter(|q| rt.block_on(ctx.plan(q)).is_ok()).collect();
    let mut group = c.benchmark_group("plan");
    group.throughput(Throughput::Elements(queries.len() as u64));
    group.bench_function(format!("parse+plan {} rmm rules", queries.len()), |b| {
        b.iter(|| {
            for q in &queries {
                rt.block_on(ctx.plan(q)).expect("plans");
            }
        });
    });
    let seed = &queries[0];
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse+plan one rule", |b| b.iter(|| rt.block_on(ctx.plan(seed)).expect("plans")));
    group.finish();
}

criterion_group!(benches, plan);
criterion_main!(benches);

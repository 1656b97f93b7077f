//! Parse time of the seed hunting rules and of the whole RMM rule corpus.
//!
//! `cargo bench -p benches --bench parse`

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

#[path = "../../kql-parser/tests/common/mod.rs"]
mod common;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn parse_seeds(c: &mut Criterion) {
    let corpus = common::corpus();
    let mut group = c.benchmark_group("parse");
    for (label, text) in corpus.iter().filter(|(l, _)| l.starts_with("seeds/")) {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::new("seed", label.trim_start_matches("seeds/")), text, |b, text| {
            b.iter(|| kql_parser::parse(std::hint::black_box(text)).expect("seed parses"));
        });
    }
    let rules: Vec<&String> = corpus.iter().filter(|(l, _)| l.contains("rmm-tools")).map(|(_, q)| q).collect();
    group.throughput(Throughput::Elements(rules.len() as u64));
    group.bench_function("rmm-catalog (168 rules)", |b| {
        b.iter(|| {
            for text in &rules {
                let _ = std::hint::black_box(kql_parser::parse(text));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, parse_seeds);
criterion_main!(benches);

//! Generator throughput: background rows of `DeviceNetworkEvents` (44 columns) per second on
//! one core, generated alone and generated then encoded as zstd Parquet.
//!
//! `cargo bench -p benches --bench generate`

#![allow(unused_crate_dependencies, missing_docs)] // dev-dependencies are shared by all targets

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use testdata::{Generator, Table};

fn generate(c: &mut Criterion) {
    const BATCH: usize = 65_536;
    let generator = Generator::builder().rows(100 * BATCH as u64).batch_size(BATCH).build().expect("generator");
    let mut group = c.benchmark_group("generate");
    group.throughput(Throughput::Elements(BATCH as u64));
    for table in [Table::DeviceNetworkEvents, Table::DeviceProcessEvents, Table::DeviceFileCertificateInfo] {
        let mut index = 0;
        group.bench_function(BenchmarkId::new("batch", table.name()), |b| {
            b.iter(|| {
                index = (index + 1) % 100;
                generator.background_batch(table, index).expect("batch")
            });
        });
    }
    let props =
        WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("level"))).build();
    let mut index = 0;
    group.bench_function(BenchmarkId::new("batch+parquet", "DeviceNetworkEvents"), |b| {
        b.iter(|| {
            index = (index + 1) % 100;
            let batch = generator.background_batch(Table::DeviceNetworkEvents, index).expect("batch");
            let mut out = Vec::with_capacity(4 << 20);
            let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props.clone())).expect("writer");
            writer.write(&batch).expect("write");
            writer.close().expect("close");
            out.len()
        });
    });
    group.finish();
}

criterion_group!(benches, generate);
criterion_main!(benches);

//! Layouts and physical types: hive partitions by day with several sorted files per partition,
//! every documented column present, and each timestamp unit and string layout readable with
//! the manifest still true.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

mod common;

use arrow::datatypes::{DataType, TimeUnit};
use testdata::{Compression, Generator, LakeOptions, Layout, PhysicalTypes, StringEncoding, Table, write_lake};

#[test]
fn hive_layout_partitions_by_day_with_sorted_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().rows(8_000).devices(60).batch_size(1_024).build().expect("generator");
    let opts = LakeOptions {
        layout: Layout::Hive,
        rows_per_file: 300,
        compression: Compression::Snappy,
        tables: vec![Table::DeviceNetworkEvents, Table::DeviceInfo],
        ..LakeOptions::default()
    };
    let summary = write_lake(&generator, dir.path(), &opts).expect("lake");
    assert_eq!(summary.tables.len(), 2);
    let files = common::table_files(dir.path(), Table::DeviceNetworkEvents);
    let mut days = std::collections::BTreeMap::<String, usize>::new();
    let mut rows = 0;
    for f in &files {
        let part = f.parent().and_then(|p| p.file_name()).and_then(|n| n.to_str()).expect("partition");
        assert!(part.starts_with("date=2024-0"), "{part}");
        *days.entry(part.to_owned()).or_default() += 1;
        let mut last = i64::MIN;
        for b in common::read_file(f) {
            rows += b.num_rows();
            let ts = arrow::compute::cast(b.column(0), &DataType::Timestamp(TimeUnit::Nanosecond, None)).expect("cast");
            let ts = ts.as_any().downcast_ref::<arrow::array::TimestampNanosecondArray>().expect("ts");
            for t in ts.values() {
                assert!(*t >= last, "{} is not sorted by Timestamp", f.display());
                last = *t;
            }
        }
    }
    // Seven days of background plus planted events in the future.
    assert!(days.len() >= 8, "{days:?}");
    assert!(days.values().any(|&n| n > 1), "several files per partition: {days:?}");
    assert_eq!(rows as u64, summary.tables[0].rows);
    assert!(!dir.path().join("DeviceNetworkEvents.parquet").exists());
}

#[test]
fn every_physical_variant_is_written_as_declared_and_keeps_the_ground_truth() {
    let variants = [
        PhysicalTypes { time_unit: TimeUnit::Second, utc: false, strings: StringEncoding::Dictionary },
        PhysicalTypes { time_unit: TimeUnit::Millisecond, utc: true, strings: StringEncoding::LargeUtf8 },
        PhysicalTypes { time_unit: TimeUnit::Nanosecond, utc: true, strings: StringEncoding::Utf8View },
        PhysicalTypes::default(),
    ];
    for physical in variants {
        let dir = tempfile::tempdir().expect("tempdir");
        let generator =
            Generator::builder().rows(1_500).devices(30).physical(physical.clone()).build().expect("generator");
        write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
        for table in Table::ALL {
            let files = common::table_files(dir.path(), table);
            assert_eq!(files.len(), 1);
            let batches = common::read_file(&files[0]);
            let schema = batches[0].schema();
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            let documented: Vec<&str> = table.columns().iter().map(|(n, _)| *n).collect();
            assert_eq!(names, documented, "{table}: every documented column, in order");
            let ts = schema.field_with_name("Timestamp").expect("Timestamp").data_type().clone();
            assert_eq!(ts, DataType::Timestamp(physical.time_unit, physical.utc.then(|| "UTC".into())), "{table}");
        }
        common::assert_manifest_matches_files(dir.path());
    }
}

#[test]
fn the_file_layout_keeps_every_row_in_one_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().rows(5_000).devices(20).batch_size(700).build().expect("generator");
    let opts = LakeOptions {
        rows_per_file: 1_000,
        row_group_size: 1_500,
        tables: vec![Table::DeviceNetworkEvents],
        ..LakeOptions::default()
    };
    let summary = write_lake(&generator, dir.path(), &opts).expect("lake");
    let files = common::table_files(dir.path(), Table::DeviceNetworkEvents);
    assert_eq!(files.len(), 1);
    let rows: usize = common::read_file(&files[0]).iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows as u64, summary.tables[0].rows);
    assert_eq!(summary.tables[0].bytes, std::fs::metadata(&files[0]).expect("file").len());
}

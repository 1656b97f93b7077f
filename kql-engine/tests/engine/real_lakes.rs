//! Lakes as users have them: unreadable files, files that disagree on a column's type,
//! Spark's markers, files that change under a session, and time-ordered files whose surviving
//! row groups must keep every core busy.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray,
    TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::physical_plan::parquet::ParquetAccessPlan;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use kql_engine::KqlContext;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, rows_per_group: usize) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let fields: Vec<Field> = columns.iter().map(|(n, a)| Field::new(*n, a.data_type().clone(), true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(rows_per_group)).build();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn ids(n: i64) -> Vec<(&'static str, ArrayRef)> {
    vec![
        ("id", Arc::new(Int64Array::from_iter_values(0..n)) as ArrayRef),
        ("name", Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("n{i}")))) as ArrayRef),
    ]
}

async fn text(ctx: &KqlContext, q: &str) -> String {
    let batches = ctx.kql(q).await.unwrap_or_else(|e| panic!("{q}: {e}")).collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

async fn count(ctx: &KqlContext, q: &str) -> i64 {
    let batches = ctx.kql(q).await.unwrap_or_else(|e| panic!("{q}: {e}")).collect().await.unwrap();
    let column = batches[0].column(0);
    column.as_any().downcast_ref::<Int64Array>().unwrap().value(0)
}

async fn error(ctx: &KqlContext, q: &str) -> String {
    match ctx.kql(q).await {
        Err(e) => e.to_string(),
        Ok(df) => match df.collect().await {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{q}: expected an error"),
        },
    }
}

/// A lake with a good table, and a table of one good file, one truncated and one that is not
/// Parquet at all.
fn lake_with_bad_files(dir: &Path) {
    write(&dir.join("Good.parquet"), ids(10), 100);
    write(&dir.join("Mixed/a.parquet"), ids(7), 100);
    let bytes = std::fs::read(dir.join("Mixed/a.parquet")).unwrap();
    std::fs::write(dir.join("Mixed/b.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.join("Mixed/c.parquet"), "id,name\n1,x\n").unwrap();
}

#[tokio::test]
async fn an_unreadable_file_fails_only_its_table_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_bad_files(dir.path());
    let ctx = KqlContext::new();
    // Registering lists the tables only: no footer is read, so nothing fails yet.
    assert_eq!(ctx.register_lake(dir.path()).await.unwrap(), ["Good", "Mixed"]);
    assert_eq!(count(&ctx, "Good | count").await, 10);
    let e = error(&ctx, "Mixed | count").await;
    assert!(e.contains("table Mixed: 2 of its 3 files cannot be read"), "{e}");
    assert!(e.contains("b.parquet: truncated"), "{e}");
    assert!(e.contains("c.parquet: not a Parquet file"), "{e}");
    assert!(e.contains("--skip-bad-files"), "{e}");
    // Still fine for the other table, and for queries that do not read the bad one.
    assert_eq!(count(&ctx, "Good | where id > 4 | count").await, 5);
}

#[tokio::test]
async fn a_file_damaged_past_its_footer_is_named_when_read() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("T/good.parquet"), ids(2_000), 500);
    write(&dir.path().join("T/bad.parquet"), ids(2_000), 500);
    // The footer stays sound (so the table opens); the data pages are scrambled.
    let path = dir.path().join("T/bad.parquet");
    let mut bytes = std::fs::read(&path).unwrap();
    let half = bytes.len() / 2;
    for (i, b) in bytes.iter_mut().enumerate().take(half).skip(8) {
        *b = b.wrapping_mul(31).wrapping_add(i as u8);
    }
    std::fs::write(&path, bytes).unwrap();
    let ctx = KqlContext::new();
    ctx.register_lake(dir.path()).await.unwrap();
    let e = error(&ctx, "T | summarize count() by name | count").await;
    assert!(e.contains(&format!("{}: the file cannot be read: ", path.display())), "{e}");
    assert!(e.contains("it is damaged"), "{e}");
    assert!(!e.contains("good.parquet"), "{e}");
}

#[tokio::test]
async fn bad_files_can_be_skipped_and_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    lake_with_bad_files(dir.path());
    let ctx = KqlContext::builder().skip_bad_files(true).build().unwrap();
    ctx.register_lake(dir.path()).await.unwrap();
    assert_eq!(count(&ctx, "Mixed | count").await, 7);
    let skipped = ctx.skipped_files();
    let names: Vec<(String, String)> =
        skipped.iter().map(|(t, b)| (t.clone(), b.path.file_name().unwrap().to_string_lossy().into_owned())).collect();
    assert_eq!(names, [("Mixed".to_owned(), "b.parquet".to_owned()), ("Mixed".to_owned(), "c.parquet".to_owned())]);
    // A table whose every file is bad has no columns to offer.
    let only_bad = tempfile::tempdir().unwrap();
    std::fs::write(only_bad.path().join("T.parquet"), "nope").unwrap();
    let ctx = KqlContext::builder().skip_bad_files(true).build().unwrap();
    ctx.register_lake(only_bad.path()).await.unwrap();
    let e = error(&ctx, "T | count").await;
    assert!(e.contains("table T: none of its 1 files can be read"), "{e}");
}

#[tokio::test]
async fn register_parquet_still_fails_at_once_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.parquet"), "").unwrap();
    let e = KqlContext::new().register_parquet("X", dir.path().join("x.parquet")).await.unwrap_err().to_string();
    assert!(e.contains("x.parquet: empty (0 bytes), not a Parquet file"), "{e}");
    let e = KqlContext::new().register_parquet("X", dir.path().join("missing.parquet")).await.unwrap_err().to_string();
    assert!(e.contains("missing.parquet"), "{e}");
}

#[tokio::test]
async fn schema_drift_merges_as_union_does() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("T");
    write(
        &t.join("1.parquet"),
        vec![
            ("x", Arc::new(Int32Array::from(vec![1, 2])) as ArrayRef),
            ("s", Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef),
            (
                "ts",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![1_717_200_000_000_000, 1_717_200_001_000_000])
                        .with_timezone("UTC"),
                ) as ArrayRef,
            ),
        ],
        100,
    );
    write(
        &t.join("2.parquet"),
        vec![
            ("x", Arc::new(Int64Array::from(vec![5_000_000_000])) as ArrayRef),
            ("y", Arc::new(Float64Array::from(vec![0.5])) as ArrayRef),
            ("ts", Arc::new(TimestampNanosecondArray::from(vec![1_717_200_002_000_000_123])) as ArrayRef),
        ],
        100,
    );
    let ctx = KqlContext::new();
    ctx.register_lake(dir.path()).await.unwrap();
    let got = text(&ctx, "T | getschema | project ColumnName, ColumnType").await;
    assert!(got.contains("| x          | long       |"), "{got}");
    assert!(got.contains("| y          | real       |"), "{got}");
    assert!(got.contains("| ts         | datetime   |"), "{got}");
    let got = text(&ctx, "T | summarize sum(x), countif(isnull(y)), countif(s == ''), max(ts)").await;
    assert!(got.contains("| 5000000003 | 2        | 1         | 2024-06-01T00:00:02.000000123Z |"), "{got}");
}

#[tokio::test]
async fn irreconcilable_types_name_the_column_and_both_files() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("T/1.parquet"), vec![("x", Arc::new(StringArray::from(vec!["a"])) as ArrayRef)], 100);
    write(&dir.path().join("T/2.parquet"), vec![("x", Arc::new(Int64Array::from(vec![1])) as ArrayRef)], 100);
    let ctx = KqlContext::new();
    ctx.register_lake(dir.path()).await.unwrap();
    let e = error(&ctx, "T | count").await;
    assert!(e.contains("column `x` is string (Utf8) in "), "{e}");
    assert!(e.contains("1.parquet but long (Int64) in "), "{e}");
    assert!(e.contains("2.parquet"), "{e}");
}

#[tokio::test]
async fn spark_layouts_markers_and_empty_files_work() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("Events");
    write(&t.join("day=2024-06-01/part-00000.snappy.parquet"), ids(3), 100);
    write(&t.join("day=2024-06-02/part-00000.snappy.parquet"), ids(4), 100);
    write(&t.join("day=2024-06-03/part-00000.snappy.parquet"), ids(0), 100);
    std::fs::write(t.join("_SUCCESS"), "").unwrap();
    std::fs::write(t.join("day=2024-06-01/.part-00000.snappy.parquet.crc"), "crc").unwrap();
    std::fs::create_dir_all(dir.path().join("_temporary/0")).unwrap();
    std::fs::create_dir_all(dir.path().join("Empty")).unwrap();
    let ctx = KqlContext::new();
    assert_eq!(ctx.register_lake(dir.path()).await.unwrap(), ["Events"]);
    let got = text(&ctx, "Events | summarize count() by day | order by day asc").await;
    assert!(got.contains("| 2024-06-01 | 3      |\n| 2024-06-02 | 4      |\n+"), "{got}");
    assert_eq!(count(&ctx, "Events | where day == '2024-06-02' | count").await, 4);
    // A table of one zero-row file.
    let zero = tempfile::tempdir().unwrap();
    write(&zero.path().join("Z.parquet"), ids(0), 100);
    let ctx = KqlContext::new();
    ctx.register_lake(zero.path()).await.unwrap();
    assert_eq!(count(&ctx, "Z | count").await, 0);
    // An empty lake.
    let empty = tempfile::tempdir().unwrap();
    assert!(KqlContext::new().register_lake(empty.path()).await.unwrap().is_empty());
}

#[tokio::test]
async fn files_that_change_are_read_again() {
    let dir = tempfile::tempdir().unwrap();
    write(&dir.path().join("T.parquet"), ids(10), 100);
    let ctx = KqlContext::new();
    ctx.register_lake(dir.path()).await.unwrap();
    assert_eq!(count(&ctx, "T | count").await, 10);
    write(&dir.path().join("T.parquet"), ids(25), 100);
    assert_eq!(count(&ctx, "T | count").await, 25);
    // A table that appears after registration is there for the next query.
    write(&dir.path().join("U.parquet"), ids(3), 100);
    assert_eq!(count(&ctx, "U | count").await, 3);
    assert!(ctx.table_names().contains(&"U".to_owned()));
    // And one that goes away is gone.
    std::fs::remove_file(dir.path().join("U.parquet")).unwrap();
    let e = error(&ctx, "U | count").await;
    assert!(e.contains('U'), "{e}");
}

/// The Parquet scans of a physical plan.
fn scans(plan: &Arc<dyn ExecutionPlan>, out: &mut Vec<FileScanConfig>) {
    if let Some(conf) =
        plan.downcast_ref::<DataSourceExec>().and_then(|e| e.data_source().downcast_ref::<FileScanConfig>())
        && conf.file_source().file_type() == "parquet"
    {
        out.push(conf.clone());
    }
    for child in plan.children() {
        scans(child, out);
    }
}

#[tokio::test]
async fn surviving_row_groups_are_spread_over_every_partition() {
    let dir = tempfile::tempdir().unwrap();
    // Time-ordered: 20 row groups of 1,000 rows, one a minute apart.
    let n = 20_000_i64;
    let base = 1_717_200_000_000_000_i64;
    let columns = vec![
        (
            "Timestamp",
            Arc::new(
                TimestampMicrosecondArray::from_iter_values((0..n).map(|i| base + i * 60_000_000)).with_timezone("UTC"),
            ) as ArrayRef,
        ),
        ("Text", Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("value {} here", i % 7)))) as ArrayRef),
    ];
    write(&dir.path().join("T.parquet"), columns, 1_000);
    for partitions in [2, 3, 4] {
        let ctx = KqlContext::builder().target_partitions(partitions).build().unwrap();
        // Byte ranges even for this small file, as for a large one.
        ctx.session().state_ref().write().config_mut().options_mut().optimizer.repartition_file_min_size = 1;
        ctx.register_lake(dir.path()).await.unwrap();
        // The last 5 of 20 row groups survive the window.
        let q = "T | where Timestamp >= datetime(2024-06-11T10:40:00Z) | where Text has 'value' | count";
        let df = ctx.kql(q).await.unwrap();
        let plan = df.clone().create_physical_plan().await.unwrap();
        let mut found = Vec::new();
        scans(&plan, &mut found);
        assert_eq!(found.len(), 1);
        let groups: Vec<Vec<usize>> = found[0]
            .file_groups
            .iter()
            .map(|g| {
                g.files()
                    .iter()
                    .flat_map(|f| f.extensions.get::<ParquetAccessPlan>().unwrap().row_group_indexes())
                    .collect()
            })
            .collect();
        assert_eq!(groups.len(), partitions, "{groups:?}");
        // Every row group is dealt to one partition; the 5 that survive are spread.
        let mut all: Vec<usize> = groups.concat();
        all.sort_unstable();
        assert_eq!(all, (0..20).collect::<Vec<_>>(), "{groups:?}");
        let surviving: Vec<usize> = groups.iter().map(|g| g.iter().filter(|&&rg| rg >= 15).count()).collect();
        assert!(surviving.iter().all(|&n| n >= 1 && n <= 5_usize.div_ceil(partitions)), "{surviving:?}");
        let batches = df.collect().await.unwrap();
        let rows = batches[0].column(0).as_any().downcast_ref::<Int64Array>().unwrap().value(0);
        assert_eq!(rows, 5_000 - 40, "{partitions} partitions");
    }
}

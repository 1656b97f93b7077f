//! Shared scans (`KqlContext::results_shared`): the whole rule corpus planned as one batch
//! returns, rule by rule, exactly what each rule returns alone and what the generator's ground
//! truth says, on two physical layouts; the tables the rules read are shared; a batch with a
//! broken query keeps its error in its own slot.

use crate::corpus_common as common;

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use kql_engine::{KqlContext, SharedScanOptions, TablePath};
use testdata::{Generator, LakeOptions, Layout, PhysicalTypes, write_lake};

/// Rows as sorted text lines (a rule's result is a set).
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| {
                    // make_set/make_list order is not a property of the result.
                    let text = array_value_to_string(c.as_ref(), r).unwrap_or_default();
                    match text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                        Some(inner) => {
                            let mut parts: Vec<&str> = inner.split(',').map(str::trim).collect();
                            parts.sort_unstable();
                            format!("[{}]", parts.join(","))
                        }
                        None => text,
                    }
                })
                .collect();
            out.push(cells.join("|"));
        }
    }
    out.sort();
    out
}

async fn check(physical: PhysicalTypes, layout: Layout) {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator =
        Generator::builder().seed(11).rows(4_000).devices(60).physical(physical).build().expect("generator");
    let options = LakeOptions { layout, rows_per_file: 1_500, ..LakeOptions::default() };
    write_lake(&generator, dir.path(), &options).expect("lake");
    let manifest = generator.manifest();
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");
    let ctx = KqlContext::builder().now(now).build().expect("context");
    ctx.register_lake(dir.path()).await.expect("register");
    let queries: BTreeMap<String, String> =
        common::corpus().into_iter().map(|(label, q)| (label.trim_start_matches("corpus/").to_owned(), q)).collect();
    let rules: Vec<(&String, &String)> = manifest.rules.iter().map(|r| (&r.file, &queries[&r.file])).collect();
    let texts: Vec<&str> = rules.iter().map(|(_, q)| q.as_str()).collect();
    let (shared, report) =
        ctx.results_shared(&texts, &Default::default(), SharedScanOptions::default()).await.expect("batch");
    assert!(report.is_shared("DeviceNetworkEvents"), "{report:?}");
    assert!(report.is_shared("DeviceProcessEvents"), "{report:?}");
    let mut failures = Vec::new();
    for (((file, query), rule), result) in rules.iter().zip(&manifest.rules).zip(shared) {
        let batched = match result {
            Ok(mut r) => match r.pop() {
                Some(last) => last.frame.collect().await.map_err(|e| e.to_string()),
                None => Err("no result".to_owned()),
            },
            Err(e) => Err(e.render(query)),
        };
        let alone = match ctx.kql(query).await {
            Ok(df) => df.collect().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.render(query)),
        };
        match (&batched, &alone) {
            (Ok(b), Ok(a)) if rows(b) != rows(a) => failures.push(format!(
                "{file}: shared and alone differ:\n  shared {:?}\n  alone  {:?}",
                rows(b),
                rows(a)
            )),
            (Ok(_), Err(e)) | (Err(e), Ok(_)) => failures.push(format!("{file}: one mode failed: {e}")),
            _ => {}
        }
        if let Err(e) = testdata::check_result(rule, batched.as_deref().map_err(String::as_str)) {
            failures.push(format!("{file}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} rules wrong:\n{}", failures.len(), rules.len(), failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_corpus_as_one_batch_gives_each_rule_its_own_answer() {
    check(PhysicalTypes::default(), Layout::File).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_on_another_layout() {
    let physical = PhysicalTypes {
        time_unit: datafusion::arrow::datatypes::TimeUnit::Millisecond,
        utc: false,
        strings: testdata::StringEncoding::Dictionary,
    };
    check(physical, Layout::Hive).await;
}

#[tokio::test]
async fn errors_stay_in_their_slot_and_unfiltered_scans_are_not_shared() {
    let ctx = KqlContext::new();
    let (results, report) = ctx
        .results_shared(
            &["range x from 1 to 10 step 1 | where x > 5", "print nope(1)", "print 1"],
            &Default::default(),
            SharedScanOptions::default(),
        )
        .await
        .expect("batch");
    assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok());
    assert!(report.tables.values().all(|p| matches!(p, TablePath::Alone(_))), "{report:?}");
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(3).rows(500).devices(10).build().expect("generator");
    write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
    ctx.register_lake(dir.path()).await.expect("register");
    let (_, report) = ctx
        .results_shared(
            &["DeviceInfo | where DeviceName has 'ws'", "DeviceInfo | count"],
            &Default::default(),
            SharedScanOptions::default(),
        )
        .await
        .expect("batch");
    assert!(matches!(report.tables.get("DeviceInfo"), Some(TablePath::Alone(_))), "{report:?}");
    let (results, report) = ctx
        .results_shared(
            &["DeviceInfo | where DeviceName has 'ws' | count", "DeviceInfo | where DeviceName has 'srv' | count"],
            &Default::default(),
            SharedScanOptions { max_bytes_per_table: 1 },
        )
        .await
        .expect("batch");
    assert!(
        matches!(report.tables.get("DeviceInfo"), Some(TablePath::Alone(why)) if why.contains("bytes")),
        "{report:?}"
    );
    assert_eq!(results.len(), 2);
}

//! Every seed and corpus rule, run verbatim over a generated Parquet lake, returns exactly the
//! rows the generator's ground truth says (sets compared as sets), and every rule broken at
//! the source fails with a located error.

use crate::corpus_common as common;

use std::collections::BTreeMap;

use kql_engine::KqlContext;
use testdata::{Generator, LakeOptions, Layout, PhysicalTypes, write_lake};

async fn check_lake(physical: PhysicalTypes, layout: Layout) {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(9).rows(4_000).devices(60).physical(physical).build().expect("generator");
    let options = LakeOptions { layout, rows_per_file: 1_500, ..LakeOptions::default() };
    write_lake(&generator, dir.path(), &options).expect("lake");
    let manifest = generator.manifest();
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");
    let ctx = KqlContext::builder().now(now).build().expect("context");
    ctx.register_lake(dir.path()).await.expect("register");
    let queries: BTreeMap<String, String> =
        common::corpus().into_iter().map(|(label, q)| (label.trim_start_matches("corpus/").to_owned(), q)).collect();
    let mut failures = Vec::new();
    for rule in &manifest.rules {
        let query = &queries[&rule.file];
        let result = match ctx.kql(query).await {
            Ok(df) => df.collect().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.render(query)),
        };
        if let Err(e) = testdata::check_result(rule, result.as_deref().map_err(String::as_str)) {
            failures.push(format!("{}: {e}", rule.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rules wrong:\n{}",
        failures.len(),
        manifest.rules.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_matches_the_ground_truth() {
    check_lake(PhysicalTypes::default(), Layout::File).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rule_matches_on_other_physical_types_and_hive_layout() {
    let physical = PhysicalTypes {
        time_unit: datafusion::arrow::datatypes::TimeUnit::Millisecond,
        utc: false,
        strings: testdata::StringEncoding::Dictionary,
    };
    check_lake(physical, Layout::Hive).await;
}

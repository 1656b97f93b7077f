//! A Ballista cluster in this process (a scheduler and two executors on loopback, carrying the
//! KQL engine) runs every seed and every rule of both RMM corpora over a generated lake with
//! exactly the rows local execution gives and the generator's ground truth; the catalog
//! runner and the standalone mode do too; what cannot run on a cluster says so.

use crate::corpus_common as common;

use std::collections::BTreeMap;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use futures::StreamExt as _;
use kql_engine::KqlContext;
use testdata::{Generator, LakeOptions, Layout, write_lake};

/// Rows as sorted text lines (a rule's result is a set; `make_set` orders are not a property).
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let mut out = Vec::new();
    for b in batches {
        for r in 0..b.num_rows() {
            let cells: Vec<String> = b
                .columns()
                .iter()
                .map(|c| {
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

/// A scheduler and two executors in this process; the scheduler's `df://` URL.
async fn cluster() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
    let addr = kql_cluster::spawn_scheduler(listener).await.expect("scheduler");
    for _ in 0..2 {
        kql_cluster::spawn_executor(addr, 8).await.expect("executor");
    }
    format!("df://{addr}")
}

async fn run(ctx: &KqlContext, query: &str) -> Result<Vec<RecordBatch>, String> {
    match ctx.kql(query).await {
        Ok(df) => df.collect().await.map_err(|e| e.to_string()),
        Err(e) => Err(e.render(query)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rule_gives_the_same_rows_on_the_cluster() {
    let url = cluster().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(11).rows(3_000).devices(40).build().expect("generator");
    // Several files per table in hive folders: the scan is split across executors.
    let options = LakeOptions { layout: Layout::Hive, rows_per_file: 1_000, ..LakeOptions::default() };
    write_lake(&generator, dir.path(), &options).expect("lake");
    let manifest = generator.manifest();
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");

    let local = KqlContext::builder().now(now).build().expect("context");
    local.register_lake(dir.path()).await.expect("register");
    let mut remote = kql_cluster::connect(&url).await.expect("connect");
    remote.set_now(Some(now));
    remote.register_lake(dir.path()).await.expect("register on the cluster");

    let queries: BTreeMap<String, String> =
        common::corpus().into_iter().map(|(label, q)| (label.trim_start_matches("corpus/").to_owned(), q)).collect();
    // Rules run 16 at a time (a job's latency on the cluster is mostly scheduling).
    let outcomes: Vec<_> = futures::stream::iter(&manifest.rules)
        .map(|rule| {
            let (remote, local, query) = (&remote, &local, &queries[&rule.file]);
            async move { (rule, run(remote, query).await, run(local, query).await) }
        })
        .buffered(16)
        .collect()
        .await;
    let mut failures = Vec::new();
    let ran = outcomes.len();
    for (rule, on_cluster, here) in outcomes {
        match (&on_cluster, &here) {
            (Ok(c), Ok(l)) if rows(c) != rows(l) => failures.push(format!(
                "{}: the cluster and local execution differ:\n  cluster {:?}\n  local   {:?}",
                rule.file,
                rows(c),
                rows(l)
            )),
            (Ok(_), Err(e)) => failures.push(format!("{}: fails only locally: {e}", rule.file)),
            (Err(e), Ok(_)) => failures.push(format!("{}: fails only on the cluster: {e}", rule.file)),
            _ => {}
        }
        if let Err(e) = testdata::check_result(rule, on_cluster.as_deref().map_err(String::as_str)) {
            failures.push(format!("{}: {e}", rule.file));
        }
    }
    assert!(ran > 250, "only {ran} rules");
    assert!(failures.is_empty(), "{} of {ran} rules wrong:\n{}", failures.len(), failures.join("\n"));

    // What cannot travel is named, and the session keeps working.
    let e = run(&remote, "range x from 1 to 3 step 1 | scan declare (s:long = 0) with (step a: true => s = a.s + x;)")
        .await
        .expect_err("scan on a cluster");
    assert!(e.contains("the `scan` operator does not run on a cluster yet"), "{e}");
    let count = run(&remote, "DeviceProcessEvents | count").await.expect("count after an error");
    assert_eq!(rows(&count), rows(&run(&local, "DeviceProcessEvents | count").await.expect("local count")));

    // A plan node of the KQL engine's own runs on the executors.
    let components = "DeviceNetworkEvents | make-graph DeviceName --> RemoteIP with_node_id=n \
                      | graph-mark-components | graph-to-table nodes | summarize c = dcount(ComponentId)";
    assert_eq!(
        rows(&run(&remote, components).await.expect("components on the cluster")),
        rows(&run(&local, components).await.expect("components locally"))
    );

    // A table provider of an embedder's own cannot travel; the error names the table.
    remote.register_table("Custom", std::sync::Arc::new(Custom)).expect("register");
    let e = run(&remote, "Custom | where x > 0 | project x").await.expect_err("a custom table on the cluster");
    assert!(e.contains("the table `Custom` cannot be sent to the cluster"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_catalog_runner_and_the_standalone_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(21).rows(2_000).devices(30).build().expect("generator");
    write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
    let now = testdata::parse_rfc3339(&generator.manifest().generator.now).expect("now");
    let local = KqlContext::builder().now(now).build().expect("context");
    local.register_lake(dir.path()).await.expect("register");
    let mut standalone = kql_cluster::standalone().await.expect("standalone");
    standalone.set_now(Some(now));
    standalone.register_lake(dir.path()).await.expect("register");

    let catalog = rmm_rules::Catalog::builtin();
    let report_here = rmm_rules::Runner::new(local.clone()).run(&catalog).await;
    let report_there = rmm_rules::Runner::new(standalone.clone()).run(&catalog).await;
    assert_eq!(report_here.results.len(), report_there.results.len());
    for (a, b) in report_here.results.iter().zip(&report_there.results) {
        assert_eq!(a.status.name(), b.status.name(), "{}", a.rule.id);
        assert_eq!(rows(&a.batches), rows(&b.batches), "{}", a.rule.id);
    }
}

/// A table provider only this process knows.
#[derive(Debug)]
struct Custom;

#[async_trait::async_trait]
impl datafusion::catalog::TableProvider for Custom {
    fn schema(&self) -> datafusion::arrow::datatypes::SchemaRef {
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        std::sync::Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]))
    }
    fn table_type(&self) -> datafusion::logical_expr::TableType {
        datafusion::logical_expr::TableType::Base
    }
    async fn scan(
        &self,
        _state: &dyn datafusion::catalog::Session,
        projection: Option<&Vec<usize>>,
        _filters: &[datafusion::logical_expr::Expr],
        _limit: Option<usize>,
    ) -> datafusion::common::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
        let schema = match projection {
            Some(p) => std::sync::Arc::new(self.schema().project(p)?),
            None => self.schema(),
        };
        Ok(std::sync::Arc::new(datafusion::physical_plan::empty::EmptyExec::new(schema)))
    }
}

//! Every family of KQL functions survives the trip a plan makes to a Ballista scheduler
//! (logical plan) and on to its executors (physical plan): the plan written with the KQL
//! codecs, read back in a fresh session and run gives exactly the rows of the original, and
//! what cannot travel fails with an error naming it.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::collect;
use datafusion_proto::bytes::{
    logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    physical_plan_from_bytes_with_extension_codec, physical_plan_to_bytes_with_extension_codec,
};
use kql_cluster::{KqlLogicalCodec, KqlPhysicalCodec};
use kql_engine::KqlContext;
use testdata::{Generator, LakeOptions, write_lake};

/// A fixed clock (2024-06-01T12:00:00Z).
const NOW: i64 = 1_717_243_200_000_000_000;

fn text(batches: &[RecordBatch]) -> String {
    pretty_format_batches(batches).expect("format").to_string()
}

/// A context over a small generated lake, and the lake's folder.
async fn context() -> (KqlContext, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(5).rows(600).devices(12).build().expect("generator");
    write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
    let now = testdata::parse_rfc3339(&generator.manifest().generator.now).expect("now");
    let ctx = KqlContext::builder().now(now).build().expect("context");
    ctx.register_lake(dir.path()).await.expect("register");
    (ctx, dir)
}

/// `query` run directly, after a logical round trip and after a physical round trip (each
/// read back in a fresh KQL session, as a scheduler and an executor would).
async fn round_trip(ctx: &KqlContext, query: &str) {
    let df = ctx.kql(query).await.unwrap_or_else(|e| panic!("{query}: {}", e.render(query)));
    let plan = df.logical_plan().clone();
    let expected = text(&df.collect().await.expect("direct"));

    let fresh = kql_cluster::kql_state(kql_cluster::kql_config(), Arc::default());
    let task = TaskContext::from(&fresh);
    let bytes = logical_plan_to_bytes_with_extension_codec(&plan, &KqlLogicalCodec::default())
        .unwrap_or_else(|e| panic!("{query}: the logical plan does not encode: {e}"));
    let decoded = logical_plan_from_bytes_with_extension_codec(&bytes, &task, &KqlLogicalCodec::default())
        .unwrap_or_else(|e| panic!("{query}: the logical plan does not decode: {e}"));
    let physical = fresh.create_physical_plan(&decoded).await.expect("physical plan of the decoded plan");
    let bytes = physical_plan_to_bytes_with_extension_codec(Arc::clone(&physical), &KqlPhysicalCodec::default())
        .unwrap_or_else(|e| panic!("{query}: the physical plan does not encode: {e}"));
    let executor = kql_cluster::kql_state(kql_cluster::kql_config(), Arc::default());
    let task = Arc::new(TaskContext::from(&executor));
    let shipped = physical_plan_from_bytes_with_extension_codec(&bytes, &task, &KqlPhysicalCodec::default())
        .unwrap_or_else(|e| panic!("{query}: the physical plan does not decode: {e}"));
    let got = text(&collect(shipped, task).await.unwrap_or_else(|e| panic!("{query}: {e}")));
    assert_eq!(got, expected, "{query}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_tests_and_registry_functions() {
    let (ctx, _dir) = context().await;
    for q in [
        // the has family, over plain and member-access haystacks, negated and case-sensitive
        "DeviceProcessEvents | where ProcessCommandLine has_any ('powershell', 'cmd') and FileName !has_cs 'X' \
         | summarize count() by FileName | order by FileName asc",
        "DeviceNetworkEvents | where RemoteUrl contains 'a' or RemoteUrl startswith 'w' or RemoteUrl =~ 'x.com' \
         | count",
        "DeviceNetworkEvents | where RemoteIP in~ ('10.0.0.1', '192.168.0.1') or RemoteUrl endswith_cs '.com' | count",
        "datatable(d:dynamic) [dynamic({'Command': 'a x b', 'Name': 'abc'}), dynamic({'Command': 'y'})] \
         | where d.Command has 'x' or tostring(d.Name) hasprefix 'a' | count",
        // registry functions, with a regex constant, over columns
        "DeviceProcessEvents | extend a = tolower(FileName), b = extract('([a-z]+)\\\\.exe', 1, FileName), \
         c = replace_regex(FileName, '[aeiou]', '_'), d = countof(FileName, 'e'), e = strlen(FileName), \
         f = hash_sha256(FileName), g = ipv4_is_private('10.1.2.3') \
         | project a, b, c, d, e, f, g | order by a asc, c asc | take 20",
        "DeviceNetworkEvents | where RemoteUrl == tolower(RemoteUrl) | where RemoteUrl has RemoteUrl \
         | summarize dcount(RemoteUrl) by bin(Timestamp, 1d) | order by Timestamp asc",
        "DeviceProcessEvents | extend s = substring(FileName, 1, 3), t = tostring(ProcessId), \
         d = datetime_diff('hour', Timestamp, datetime(2024-01-01)) | project s, t, d | order by t asc | take 10",
    ] {
        round_trip(&ctx, q).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_functions_and_aggregates() {
    let (ctx, _dir) = context().await;
    for q in [
        "datatable(a:string, d:dynamic) ['x', dynamic({'Command': 'c1', 'Count': 2}), 'x', dynamic({'Command': 'c2'}), \
         'y', dynamic({'Count': 3})] | extend c = tostring(d.Command), n = toint(d.Count) \
         | summarize make_set(c), make_list(n, 5), make_bag(d) by a | order by a asc",
        "datatable(d:dynamic) [dynamic({'a': 1}), dynamic({'b': 'x'})] | summarize buildschema(d)",
        "print d = dynamic({'a': [1, 2, {'b': 'x'}]}) | mv-expand e = d.a | extend k = bag_keys(e), t = gettype(e)",
        "print d = dynamic([1, 2, 3]) | mv-expand with_itemindex = i x = d to typeof(long) | extend y = x * 2",
        "print j = parse_json('{\"a\": 1, \"b\": [1, 2]}') | extend l = array_length(j.b), p = bag_pack('k', j.a), \
         s = todynamic('[1]'), z = pack_array(1, 'a')",
        "datatable(s:string) ['k1=v1, k2=v2', 'k1=x'] | parse-kv s as (k1:string, k2:string) with (pair_delimiter=',', \
         kv_delimiter='=')",
        "datatable(s:string) ['a=1 b=2', 'a=3'] | parse s with 'a=' a:long ' b=' b:long",
        "datatable(s:string) ['2024-01-01 x', 'y'] | parse kind=regex s with d:datetime ' ' w",
    ] {
        round_trip(&ctx, q).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_series_lookups_and_in_memory_tables() {
    let (ctx, _dir) = context().await;
    for q in [
        "DeviceProcessEvents | order by DeviceName asc, Timestamp asc \
         | extend r = row_number(0, prev(DeviceName) != DeviceName), c = row_cumsum(1, DeviceName != prev(DeviceName)) \
         | project DeviceName, Timestamp, r, c | take 50",
        "DeviceProcessEvents | order by Timestamp asc | extend s = row_window_session(Timestamp, 1h, 5m) \
         | project Timestamp, s | take 50",
        "DeviceNetworkEvents | make-series n = count() default = 0 on Timestamp from datetime(2024-05-01) \
         to datetime(2024-06-02) step 1d by ActionType | order by ActionType asc",
        "let nets = datatable(net:string, name:string) ['10.0.0.0/8', 'ten', '192.168.0.0/16', 'home']; \
         DeviceNetworkEvents | take 50 | evaluate ipv4_lookup(nets, RemoteIP, net, return_unmatched = true) \
         | summarize count() by name | order by name asc",
        "let m = materialize(DeviceProcessEvents | summarize n = count() by DeviceName); \
         m | join kind=inner (m | where n > 0) on DeviceName | order by DeviceName asc",
        "range x from 1 to 5 step 1 | extend y = x * x",
        // graph-mark-components: a plan node of the KQL engine's own
        "let e = datatable(a:string, b:string) ['x', 'y', 'y', 'z', 'p', 'q']; \
         e | make-graph a --> b with_node_id=n | graph-mark-components kind=weak | graph-to-table nodes \
         | order by n asc",
    ] {
        round_trip(&ctx, q).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_cannot_travel_says_what_it_is() {
    let (ctx, _dir) = context().await;
    let scan = "range x from 1 to 5 step 1 | scan declare (s:long = 0) with (step a: true => s = a.s + x;)";
    let plan = ctx.kql(scan).await.expect("scan plans").logical_plan().clone();
    let e = logical_plan_to_bytes_with_extension_codec(&plan, &KqlLogicalCodec::default()).expect_err("scan travels");
    assert!(e.to_string().contains("the `scan` operator does not run on a cluster yet"), "{e}");

    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("feed.csv");
    std::fs::write(&file, "a\nb\n").expect("feed");
    let options = kql_engine::ExternalDataOptions::new().allow_local_dir(dir.path());
    let mut local = KqlContext::builder().now(NOW).build().expect("context");
    local.set_externaldata_options(options);
    let q = format!("externaldata(x:string) [@'{}'] with (format='csv')", file.display());
    let plan = local.kql(&q).await.expect("externaldata plans").logical_plan().clone();
    let e = logical_plan_to_bytes_with_extension_codec(&plan, &KqlLogicalCodec::default())
        .expect_err("externaldata travels");
    assert!(e.to_string().contains("externaldata does not run on a cluster yet"), "{e}");
}

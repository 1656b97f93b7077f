//! Execution fuzzing: random valid queries, built from the operators and functions we run, over a
//! small generated Parquet lake (hive layout, small row groups, two partitions, so the lazy
//! tables, the row-group balancing and the scans' pruning are all exercised). Every query must
//! finish within its time limit with a result or an error (under a 1 GiB memory cap: going over
//! it is an error too), every planning error must carry a location, and nothing may panic.
//!
//! A few hundred cases run in CI; `PROPTEST_CASES=20000 cargo test --release -p kql-engine --test
//! exec_fuzz` is the long run (see the README).

use std::sync::OnceLock;
use std::time::Duration;

use kql_engine::KqlContext;
use proptest::prelude::*;
use testdata::{Generator, LakeOptions, Layout, Table};

/// The longest one query may take (debug build, tiny tables: far above any honest query).
const LIMIT: Duration = Duration::from_secs(60);

struct Lake {
    runtime: tokio::runtime::Runtime,
    ctx: KqlContext,
    _dir: tempfile::TempDir,
}

fn lake() -> &'static Lake {
    static LAKE: OnceLock<Lake> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        let generator = Generator::builder().seed(11).rows(2_000).devices(9).build().expect("generator");
        let options = LakeOptions {
            layout: Layout::Hive,
            row_group_size: 250,
            tables: vec![Table::DeviceNetworkEvents, Table::DeviceProcessEvents],
            ..LakeOptions::default()
        };
        testdata::write_lake(&generator, dir.path(), &options).expect("lake");
        let now = testdata::parse_rfc3339(&generator.manifest().generator.now).expect("now");
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
        // A memory cap: a chain of random joins can ask for more than the machine has (and this
        // test shares its process with the other engine tests); going over it is a clean error.
        let ctx = KqlContext::builder().now(now).target_partitions(2).memory_limit(1 << 30).build().expect("context");
        runtime.block_on(ctx.register_lake(dir.path())).expect("register");
        Lake { runtime, ctx, _dir: dir }
    })
}

/// Columns by KQL type, shared by both tables.
const STRINGS: &[&str] =
    &["DeviceName", "DeviceId", "ActionType", "InitiatingProcessFileName", "InitiatingProcessCommandLine"];
const LONGS: &[&str] = &["InitiatingProcessId", "ReportId"];
const TIMES: &[&str] = &["Timestamp"];
const NEEDLES: &[&str] = &["'atera'", "'.exe'", "'cmd'", "''", "'Ä'", "'a b'"];

/// A boolean predicate over the table's columns.
fn predicate() -> impl Strategy<Value = String> {
    let s = prop::sample::select(STRINGS);
    let l = prop::sample::select(LONGS);
    let n = prop::sample::select(NEEDLES);
    let op = prop::sample::select(
        &["has", "!has", "contains", "startswith", "endswith", "=~", "==", "!=", "has_cs", "matches regex"][..],
    );
    let leaf = prop_oneof![
        (s.clone(), op, n.clone()).prop_map(|(c, o, n)| format!("{c} {o} {n}")),
        (l.clone(), prop::sample::select(&[">", "<", "==", "!=", ">="][..]), -3i64..100_000)
            .prop_map(|(c, o, v)| format!("{c} {o} {v}")),
        (prop::sample::select(TIMES), prop::sample::select(&["1h", "1d", "3d", "30d", "0s"][..]))
            .prop_map(|(c, d)| format!("{c} > ago({d})")),
        (prop::sample::select(TIMES), 0i64..40).prop_map(|(c, d)| format!("{c} between (ago({d}d) .. now())")),
        (s.clone(), prop::collection::vec(n.clone(), 1..3))
            .prop_map(|(c, ns)| format!("{c} has_any ({})", ns.join(", "))),
        (s.clone(), prop::collection::vec(n, 1..3)).prop_map(|(c, ns)| format!("{c} in~ ({})", ns.join(", "))),
        s.clone().prop_map(|c| format!("isnotempty({c})")),
        l.prop_map(|c| format!("{c} % 3 == 0")),
    ];
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
            inner.prop_map(|a| format!("not({a})")),
        ]
    })
}

/// A scalar expression, named by what it computes.
fn scalar() -> impl Strategy<Value = String> {
    let s = prop::sample::select(STRINGS);
    let l = prop::sample::select(LONGS);
    prop_oneof![
        s.clone().prop_map(|c| format!("tolower({c})")),
        s.clone().prop_map(|c| format!("strlen({c})")),
        (s.clone(), 0i64..5, -1i64..4).prop_map(|(c, a, b)| format!("substring({c}, {a}, {b})")),
        s.clone().prop_map(|c| format!("split({c}, '.')")),
        s.clone().prop_map(|c| format!("extract('([a-z]+)', 1, {c})")),
        s.clone().prop_map(|c| format!("strcat({c}, '-', 1)")),
        s.prop_map(|c| format!("parse_path({c})")),
        l.clone().prop_map(|c| format!("{c} / 7")),
        l.clone().prop_map(|c| format!("{c} % 5")),
        l.prop_map(|c| format!("tostring({c})")),
        prop::sample::select(TIMES).prop_map(|c| format!("bin({c}, 1h)")),
        prop::sample::select(TIMES).prop_map(|c| format!("datetime_part('hour', {c})")),
        Just("iff(InitiatingProcessId > 1000, 'hi', 'lo')".to_owned()),
        Just("pack_array(DeviceName, InitiatingProcessId)".to_owned()),
    ]
}

fn aggregate() -> impl Strategy<Value = String> {
    let s = prop::sample::select(STRINGS);
    let l = prop::sample::select(LONGS);
    prop_oneof![
        Just("count()".to_owned()),
        s.clone().prop_map(|c| format!("dcount({c})")),
        s.clone().prop_map(|c| format!("make_set({c}, 5)")),
        l.clone().prop_map(|c| format!("sum({c})")),
        l.clone().prop_map(|c| format!("avg({c})")),
        l.prop_map(|c| format!("max({c})")),
        Just("min(Timestamp)".to_owned()),
        Just("arg_max(Timestamp, DeviceName)".to_owned()),
        s.prop_map(|c| format!("countif({c} has 'a')")),
    ]
}

/// One tabular operator (it may change the columns: later operators that name a column that
/// is gone fail to plan, with a location, which is a valid outcome too).
fn operator() -> impl Strategy<Value = String> {
    let s = prop::sample::select(STRINGS);
    prop_oneof![
        3 => predicate().prop_map(|p| format!("where {p}")),
        2 => scalar().prop_map(|e| format!("extend x = {e}")),
        1 => (prop::collection::vec(aggregate(), 1..3), prop::collection::vec(s.clone(), 0..3)).prop_map(|(a, by)| {
            let aggs: Vec<String> = a.iter().enumerate().map(|(i, a)| format!("a{i} = {a}")).collect();
            if by.is_empty() { format!("summarize {}", aggs.join(", ")) } else { format!("summarize {} by {}", aggs.join(", "), by.join(", ")) }
        }),
        1 => (-2i64..20).prop_map(|n| format!("take {n}")),
        1 => (0i64..20, s.clone()).prop_map(|(n, c)| format!("top {n} by {c} desc")),
        1 => s.clone().prop_map(|c| format!("order by {c} asc, Timestamp desc")),
        1 => prop::collection::vec(s.clone(), 1..3).prop_map(|c| format!("project Timestamp, {}", c.join(", "))),
        1 => s.clone().prop_map(|c| format!("distinct {c}")),
        1 => Just("count".to_owned()),
        1 => s.clone().prop_map(|c| format!("join kind=inner (DeviceProcessEvents | take 50) on {c}")),
        1 => s.clone().prop_map(|c| format!("join kind=leftanti (DeviceNetworkEvents | where ActionType has 'Success') on {c}")),
        1 => Just("union (DeviceProcessEvents | take 7)".to_owned()),
        1 => s.clone().prop_map(|c| format!("mv-expand p = split({c}, '.') take 20")),
        1 => s.clone().prop_map(|c| format!("parse {c} with a '.' b")),
        1 => Just("serialize n = row_number()".to_owned()),
        1 => s.prop_map(|c| format!("summarize arg_max(Timestamp, *) by {c}")),
    ]
}

fn query() -> impl Strategy<Value = String> {
    (prop::sample::select(&["DeviceNetworkEvents", "DeviceProcessEvents"][..]), prop::collection::vec(operator(), 0..5))
        .prop_map(|(t, ops)| std::iter::once(t.to_owned()).chain(ops).collect::<Vec<_>>().join("\n| "))
}

fn run(query: &str) -> Result<(), String> {
    let lake = lake();
    lake.runtime.block_on(async {
        let work = async {
            match lake.ctx.kql(query).await {
                // Errors while running (a failed cast, the memory cap) are results too; panics
                // are not. Batches are read and dropped: a huge result is not held in memory.
                Ok(df) => {
                    if let Ok(mut stream) = df.execute_stream().await {
                        while let Some(batch) = futures::StreamExt::next(&mut stream).await {
                            if batch.is_err() {
                                break;
                            }
                        }
                    }
                    Ok(())
                }
                Err(e) if e.span().is_none() => Err(format!("an error without a location: {e}\n{query}")),
                Err(_) => Ok(()),
            }
        };
        match tokio::time::timeout(LIMIT, work).await {
            Ok(r) => r,
            Err(_) => Err(format!("no answer within {LIMIT:?}:\n{query}")),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(300),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_queries_run_or_fail_cleanly(q in query()) {
        prop_assert_eq!(run(&q), Ok(()));
    }
}

#[test]
fn a_generated_query_reads_the_lake() {
    // The fuzzing is only worth something if plain queries return rows.
    let lake = lake();
    let n = lake.runtime.block_on(async {
        let df = lake.ctx.kql("DeviceNetworkEvents | where Timestamp > ago(30d) | count").await.expect("plans");
        let batches = df.collect().await.expect("runs");
        let column = std::sync::Arc::clone(batches[0].column(0));
        column.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().expect("long").value(0)
    });
    assert!(n > 0);
}

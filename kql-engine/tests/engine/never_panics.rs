//! No input makes the engine panic: corpus rules with random edits (a token replaced by another
//! of its kind: values of every type and columns of every type, operators; or by any snippet:
//! brackets, tabular operators, statements) are parsed,
//! planned and, when they plan, executed over small generated tables. Each outcome must be a
//! result or an error, and every planning error must carry a location.

use crate::corpus_common as common;

use std::sync::{Arc, OnceLock};

use datafusion::datasource::MemTable;
use kql_engine::KqlContext;
use proptest::prelude::*;
use testdata::{Generator, Table};

/// Values spliced in place of a value: literals of every type, columns of every type, calls.
const VALUES: &[&str] = &[
    "\"x\"",
    "'atera.com'",
    "''",
    "123",
    "-1",
    "1.5",
    "true",
    "null",
    "long(null)",
    "datetime(2024-05-30)",
    "1d",
    "-5m",
    "dynamic([1, 'a'])",
    "dynamic(['a.com', 'b.com'])",
    "Timestamp",
    "DeviceId",
    "RemoteUrl",
    "RemotePort",
    "ReportId",
    "ActionType",
    "InitiatingProcessFileName",
    "NoSuchColumn",
    "count()",
    "dcount(DeviceId)",
    "make_set(RemotePort)",
    "arg_max(Timestamp, *)",
    "bin(Timestamp, 1h)",
    "tostring(RemotePort)",
    "strcat(DeviceName, 1)",
    "iff(true, 1, 'a')",
    "case(false, 1, 2)",
    "substring(RemoteUrl, -1, 2)",
    "extract('(a', 1, RemoteUrl)",
    "now()",
    "ago(Timestamp)",
    "isempty(RemotePort)",
    "toscalar(DeviceEvents | count)",
    "split(RemoteUrl, '.')[1]",
    "pack_array(1, 2)[5]",
    "datetime_diff('day', now(), Timestamp)",
    "1 / 0",
    "RemotePort % 0",
];

/// Binary operators spliced in place of an operator.
const OPERATORS: &[&str] = &[
    "==",
    "!=",
    "=~",
    "!~",
    "<",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "has",
    "!has",
    "has_cs",
    "hasprefix",
    "has_any",
    "has_all",
    "contains",
    "!contains_cs",
    "startswith",
    "endswith",
    "in",
    "!in~",
    "matches regex",
    "and",
    "or",
];

/// Anything else: brackets, pipes, tabular operators, statements.
const OTHER: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    "|",
    "..",
    "between",
    "not(",
    "where",
    "summarize",
    "by",
    "project",
    "extend",
    "take",
    "top 3 by",
    "sort by",
    "distinct",
    "count",
    "join",
    "union",
    "mv-expand",
    "lookup",
    "let",
    "=",
    ";",
    "datatable(a:long)[1]",
    "print",
    "kind=leftouter",
    "on",
    "$left.DeviceId",
    "| where true",
    "| take 0",
    "| summarize by DeviceId",
    "| extend RemotePort = 'a'",
    "| project-away Timestamp",
    "| sort by Timestamp",
    "| top 1 by RemoteUrl",
    "| distinct DeviceName",
    "| mv-expand Report",
    "| partition by DeviceName (count)",
    "| partition hint.strategy=native by DeviceName (top 1 by Timestamp)",
    "| fork (count) (take 1)",
    "| facet by DeviceName",
    "| top-hitters 2 of DeviceName",
    "| scan declare (n:long=0) with (step s: true => n = s.n + 1;)",
    "| scan with_match_id=m with (step a: RemotePort > 1; step b output=last: Timestamp > a.Timestamp;)",
    "| partition hint.strategy=native by DeviceName (sort by Timestamp | scan with (step s: true;))",
    "| evaluate narrow()",
    "| make-graph DeviceId --> RemoteUrl | graph-match (a)-[e]->(b) where a.DeviceId != '' project e.RemotePort",
    "| make-graph DeviceId --> RemoteUrl | graph-match cycles=none (a)-[e*1..3]-(b) project e.RemotePort",
    "| make-graph DeviceId --> RemoteUrl | graph-to-table edges with_source_id=S",
    "| make-graph DeviceId --> RemoteUrl | graph-mark-components kind=strong | graph-to-table nodes",
    "| make-graph DeviceId --> RemoteUrl | graph-shortest-paths (a)-[e*1..3]->(b) project b.ComponentId",
    "| evaluate sequence_detect(Timestamp, 1h, 2h, a=(RemotePort > 1), b=(RemotePort < 9), DeviceName)",
    "| evaluate sliding_window_counts(DeviceId, Timestamp, ago(3d), now(), 2d, 1d)",
    "| evaluate activity_counts_metrics(DeviceId, Timestamp, ago(3d), now(), 1d, DeviceName)",
    "| evaluate pivot(DeviceName)",
    "| top-nested 2 of DeviceName with others = 'x' by count()",
    "materialize(",
    "series_decompose_anomalies(",
    "geo_point_to_h3cell(",
    "geo_point_in_polygon(",
    "geo_polygon_area(",
    "geo_polygon_densify(",
    "geo_line_centroid(",
    "dynamic({'type':'Polygon','coordinates':[[[0,0],[1,0],[1,1],[0,0]]]})",
    "dynamic({'type':'LineString','coordinates':[[0,0],[180,0]]})",
    "convert_length(",
    "",
];

const OPERATOR_WORDS: &[&str] = &[
    "has",
    "has_cs",
    "has_any",
    "has_all",
    "hasprefix",
    "hassuffix",
    "contains",
    "contains_cs",
    "startswith",
    "endswith",
    "in",
    "and",
    "or",
    "matches",
    "between",
];

/// Words that shape a query rather than name a value: never replaced by a value.
const KEYWORDS: &[&str] = &[
    "let",
    "where",
    "summarize",
    "by",
    "project",
    "extend",
    "take",
    "limit",
    "top",
    "sort",
    "order",
    "distinct",
    "count",
    "join",
    "union",
    "lookup",
    "kind",
    "on",
    "mv-expand",
    "set",
    "datatable",
    "print",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "not",
    "dynamic",
    "datetime",
    "timespan",
    "project-away",
    "project-rename",
    "summarize",
    "arg_max",
    "arg_min",
];

/// The pool a replacement for `token` comes from (so most edits keep the query parseable), or
/// `None` for punctuation and keywords.
fn pool_for(token: &str) -> Option<&'static [&'static str]> {
    let t = token.trim_start();
    let t = t.rsplit('\n').next().unwrap_or(t).trim_start();
    let first = t.chars().next().unwrap_or(' ');
    if OPERATOR_WORDS.contains(&t.trim_start_matches('!')) || ("=!<>~+-*/%".contains(first) && t != "=") {
        Some(OPERATORS)
    } else if KEYWORDS.contains(&t) {
        None
    } else if first.is_alphanumeric() || first == '_' || first == '\'' || first == '"' || first == '@' {
        Some(VALUES)
    } else {
        None
    }
}

fn context() -> &'static (tokio::runtime::Runtime, KqlContext) {
    static CONTEXT: OnceLock<(tokio::runtime::Runtime, KqlContext)> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let generator = Generator::builder().seed(3).rows(300).devices(12).build().expect("generator");
        let now = testdata::parse_rfc3339(&generator.manifest().generator.now).expect("now");
        let ctx = KqlContext::builder().now(now).target_partitions(1).build().expect("context");
        for t in Table::ALL {
            let batches: Vec<_> = generator.batches(t).collect::<Result<_, _>>().expect("batches");
            let schema = batches.first().map(|b| b.schema()).expect("a batch");
            let table = MemTable::try_new(schema, vec![batches]).expect("table");
            ctx.register_table(t.name(), Arc::new(table)).expect("register");
        }
        (runtime, ctx)
    })
}

fn rules() -> &'static [(String, String)] {
    static RULES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    RULES.get_or_init(common::corpus)
}

/// The tokens of a query: strings, names, numbers, operators and single punctuation, with the
/// whitespace and comments between them kept in the following token.
fn tokens(text: &str) -> Vec<&str> {
    static TOKEN: OnceLock<regex::Regex> = OnceLock::new();
    let re = TOKEN.get_or_init(|| {
        regex::Regex::new(
            r#"\s*(//[^\n]*\n\s*)*(@?'[^']*'|@?"[^"]*"|[A-Za-z_][A-Za-z0-9_\-]*|[0-9][0-9.]*[a-z]*|[=!<>~]+|\.\.|.)"#,
        )
        .expect("regex")
    });
    re.find_iter(text).map(|m| m.as_str()).collect()
}

/// One edit: with `any_pool`, `len` tokens (0 to 2) from token `start` are replaced by any
/// snippet; otherwise the first value or operator token at or after `start` is replaced by one of
/// its kind. `pick` chooses the snippet.
fn splice(text: &str, start: usize, len: usize, pick: usize, any_pool: bool) -> String {
    let tokens = tokens(text);
    let mut start = start % (tokens.len() + 1);
    let (end, pool) = if any_pool {
        ((start + len).min(tokens.len()), [VALUES, OPERATORS, OTHER][pick % 3])
    } else {
        match (start..tokens.len()).chain(0..start).find_map(|i| pool_for(tokens[i]).map(|p| (i, p))) {
            Some((i, pool)) => {
                start = i;
                (i + 1, pool)
            }
            None => (start, OTHER),
        }
    };
    let mut out: String = tokens[..start].concat();
    out.push(' ');
    out.push_str(pool[pick % pool.len()]);
    out.push(' ');
    out.push_str(&tokens[end..].concat());
    out
}

fn run(query: &str) -> Result<(), String> {
    let (runtime, ctx) = context();
    runtime.block_on(async {
        match ctx.kql(query).await {
            Ok(df) => {
                // Execution errors (a cast that fails at run time, say) are fine; panics are not.
                let _ = df.collect().await;
                Ok(())
            }
            Err(e) if e.span().is_none() => Err(format!("an error without a location: {e}\n{query}")),
            Err(_) => Ok(()),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=20000 for a longer hunt.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn edited_rules_never_panic(
        rule in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<usize>(), 0usize..3, any::<usize>(), prop::bool::weighted(0.15)), 1..3),
    ) {
        let rules = rules();
        let mut query = rules[rule.index(rules.len())].1.clone();
        for (start, len, class, any_pool) in edits {
            query = splice(&query, start, len, class, any_pool);
        }
        prop_assert_eq!(run(&query), Ok(()));
    }
}

#[test]
fn every_corpus_rule_runs_over_small_tables() {
    for (label, query) in rules() {
        assert_eq!(run(query), Ok(()), "{label}");
    }
}

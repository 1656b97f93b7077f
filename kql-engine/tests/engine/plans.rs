//! Snapshots of the logical plan, or the rendered error, of every seed and corpus rule
//! planned against the documented Defender schemas (no data needed). Broken rules show the
//! caret and the suggested name; every other rule shows its plan.
//!
//! Review changes with `INSTA_UPDATE=always cargo test -p kql-engine --test engine plans` and a diff.

use crate::corpus_common as common;

use std::sync::Arc;

use datafusion::datasource::MemTable;
use kql_engine::KqlContext;
use testdata::{PhysicalTypes, Table};

async fn context() -> KqlContext {
    // 2024-06-01T12:00:00Z
    let ctx = KqlContext::builder().now(1_717_243_200_000_000_000).build().expect("context");
    for t in Table::ALL {
        let table = MemTable::try_new(t.schema(&PhysicalTypes::default()), vec![vec![]]).expect("table");
        ctx.register_table(t.name(), Arc::new(table)).expect("register");
    }
    ctx
}

#[tokio::test]
async fn every_corpus_rule_plans_or_fails_with_a_located_error() {
    let ctx = context().await;
    let corpus = common::corpus();
    let mut planned = 0;
    for (label, query) in &corpus {
        let text = match ctx.plan(query).await {
            Ok(plan) => {
                planned += 1;
                format!("{}", plan.display_indent())
            }
            Err(e) => {
                assert!(e.span().is_some(), "{label}: the error has no location: {e}");
                e.render(query)
            }
        };
        let name = label.replace(['/', '.'], "_");
        insta::assert_snapshot!(name, text, label);
    }
    // 5 seeds + 168 + 118 rules; the rest are broken at the source.
    assert_eq!(planned, 212, "rules that plan");
}

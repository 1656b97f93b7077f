//! Helpers shared by the engine's integration tests.

use kql_engine::KqlContext;

/// The rows of a query's result as JSON values (one object per row, in the result's order);
/// a query that fails to plan panics with its rendered error.
pub(crate) async fn json_rows(ctx: &KqlContext, q: &str) -> Vec<serde_json::Value> {
    let batches = ctx.kql(q).await.unwrap_or_else(|e| panic!("{q}: {}", e.render(q))).collect().await.expect("runs");
    batches
        .iter()
        .flat_map(|b| kql_engine::format::json_rows(b).expect("json"))
        .map(serde_json::Value::Object)
        .collect()
}

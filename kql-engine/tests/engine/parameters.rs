//! `declare query_parameters` (query-parameters-statement.md): values given by the caller as
//! text and converted to each declared type, defaults, and the errors.

use kql_engine::{KqlContext, QueryParameters};
use serde_json::json;

async fn rows(ctx: &KqlContext, q: &str, params: &[(&str, &str)]) -> Vec<serde_json::Value> {
    let params: QueryParameters = params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    let df = ctx.kql_with_parameters(q, &params).await.unwrap_or_else(|e| panic!("{}", e.render(q)));
    df.collect()
        .await
        .expect("runs")
        .iter()
        .flat_map(|b| kql_engine::format::json_rows(b).expect("json"))
        .map(serde_json::Value::Object)
        .collect()
}

const Q: &str = "declare query_parameters(n:long = 2, since:datetime = datetime(2024-01-01), who:string, \
                 d:dynamic = dynamic([1]), span:timespan = 1h, flag:bool = false, r:real = 0.5);
range x from 1 to 4 step 1 | where x > n | project x, since, who, d, span, flag, r";

#[tokio::test]
async fn values_are_converted_to_the_declared_types() {
    let ctx = KqlContext::new();
    let got = rows(
        &ctx,
        Q,
        &[
            ("n", "3"),
            ("since", "2024-06-01T12:00:00Z"),
            ("who", "web 01"),
            ("d", "{\"a\":[2]}"),
            ("span", "1.02:00:00"),
            ("flag", "true"),
            ("r", "1e3"),
            ("unused", "x"),
        ],
    )
    .await;
    assert_eq!(
        got,
        vec![
            json!({"x": 4, "since": "2024-06-01T12:00:00Z", "who": "web 01", "d": {"a": [2]}, "span": "1.02:00:00", "flag": true, "r": 1000.0})
        ]
    );
}

#[tokio::test]
async fn defaults_apply_and_missing_or_wrong_values_are_located_errors() {
    let ctx = KqlContext::new();
    let got = rows(&ctx, Q, &[("who", "")]).await;
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["since"], json!("2024-01-01T00:00:00Z"));
    assert_eq!(got[0]["span"], json!("01:00:00"));
    let none = QueryParameters::new();
    let e = ctx.kql_with_parameters(Q, &none).await.expect_err("who has no value");
    assert!(e.to_string().contains("`who` has no value and no default"), "{e}");
    assert_eq!(e.span().map(|s| &Q[s.start..s.end]), Some("who"));
    let bad: QueryParameters = [("who".to_owned(), "x".to_owned()), ("n".to_owned(), "many".to_owned())].into();
    let e = ctx.kql_with_parameters(Q, &bad).await.expect_err("n is not a long");
    assert!(e.to_string().contains("`n` is a long; `many` is not one"), "{e}");
    let e = ctx.kql("let f = () { declare query_parameters(a:long = 1); print a }; f()").await;
    assert!(e.is_err());
}

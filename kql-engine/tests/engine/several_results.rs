//! Statements with several results: `fork` (one per leg) and `facet` (the `with` subquery's, then
//! one per column), each as its own frame, in order.

use kql_engine::KqlContext;

async fn all(q: &str) -> Vec<Vec<serde_json::Value>> {
    let ctx = KqlContext::new();
    let frames = ctx.kql_all(q).await.unwrap_or_else(|e| panic!("{}", e.render(q)));
    let mut out = Vec::new();
    for df in frames {
        let batches = df.collect().await.expect("runs");
        out.push(
            batches
                .iter()
                .flat_map(|b| kql_engine::format::json_rows(b).expect("json"))
                .map(serde_json::Value::Object)
                .collect(),
        );
    }
    out
}

const STORMS: &str = r#"datatable(State:string, EventType:string, Deaths:long)
    ["FLORIDA", "Heat", 2, "FLORIDA", "Flood", 0, "FLORIDA", "Wind", 1, "ALASKA", "Snow", 3]"#;

#[tokio::test]
async fn fork_gives_one_result_per_leg() {
    let q = format!(
        "{STORMS} | where State == 'FLORIDA' | fork (where Deaths > 1 | project EventType) \
         Counted = (summarize n = count()) (top 1 by Deaths asc | project Deaths)"
    );
    let got = all(&q).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[0], vec![serde_json::json!({"EventType": "Heat"})]);
    assert_eq!(got[1], vec![serde_json::json!({"n": 3})]);
    assert_eq!(got[2], vec![serde_json::json!({"Deaths": 0})]);
}

#[tokio::test]
async fn facet_counts_each_column_after_the_with_table() {
    let q = format!("{STORMS} | facet by State, EventType with (where Deaths >= 2 | project EventType)");
    let mut got = all(&q).await;
    assert_eq!(got.len(), 3);
    got.iter_mut().for_each(|rows| rows.sort_by_key(|r| r.to_string()));
    assert_eq!(got[0], vec![serde_json::json!({"EventType": "Heat"}), serde_json::json!({"EventType": "Snow"})]);
    assert_eq!(
        got[1],
        vec![
            serde_json::json!({"State": "ALASKA", "count_State": 1}),
            serde_json::json!({"State": "FLORIDA", "count_State": 3})
        ]
    );
    assert_eq!(got[2].len(), 4);
}

#[tokio::test]
async fn fork_and_facet_end_the_statement() {
    let ctx = KqlContext::new();
    let q = format!("{STORMS} | fork (count) (take 1) | count");
    let err = ctx.kql_all(&q).await.expect_err("fork is not the last operator");
    assert!(err.to_string().contains("end a query statement"), "{err}");
    let q = format!("{STORMS} | partition by State (facet by EventType)");
    assert!(ctx.kql_all(&q).await.is_err());
}

#[tokio::test]
async fn fork_legs_carry_their_names() {
    let ctx = KqlContext::new();
    let q = format!("{STORMS} | fork Deadly = (where Deaths > 1) (count) (take 1 | as First)");
    let results = ctx.results(&q, &Default::default()).await.unwrap_or_else(|e| panic!("{}", e.render(&q)));
    let names: Vec<Option<&str>> = results.iter().map(|r| r.name.as_deref()).collect();
    assert_eq!(names, [Some("Deadly"), None, Some("First")]);
    let plain = ctx.results("print a = 1", &Default::default()).await.expect("plans");
    assert_eq!(plain[0].name, None);
}

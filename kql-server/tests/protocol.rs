//! The Kusto REST protocol, request by request, against the router (no network): v2 frames and
//! value encodings, v1 tables, management commands, errors, limits and authentication. The
//! real clients' view (the Python SDK) is tested in `kql-python/tests/test_serve_sdk.py`.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use datafusion::arrow::array::{Int64Array, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use http_body_util::BodyExt;
use kql_engine::KqlContext;
use kql_server::{ServerConfig, router};
use serde_json::{Value, json};
use tower::ServiceExt;
// The library's own dependencies, unused by this test crate.
use {chrono as _, futures as _, subtle as _, tower_http as _, uuid as _};

fn context() -> KqlContext {
    let ctx = KqlContext::new();
    let schema = Arc::new(Schema::new(vec![
        Field::new("Name", DataType::Utf8, true),
        Field::new("Count", DataType::Int64, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(StringArray::from(vec![Some("a"), None, Some("c")])),
            Arc::new(Int64Array::from(vec![Some(1), Some(2), None])),
        ],
    )
    .expect("batch");
    let table = MemTable::try_new(schema, vec![vec![batch]]).expect("table");
    ctx.register_table("Events", Arc::new(table)).expect("register");
    ctx
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

async fn call(config: ServerConfig, request: Request<Body>) -> Answer {
    let response = router(context(), config).oneshot(request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

fn post(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ms-client-request-id", "test;1")
        .body(Body::from(body.to_string()))
        .expect("request")
}

async fn query(path: &str, body: Value) -> Answer {
    call(ServerConfig::new("lake"), post(path, &body)).await
}

/// The v2 frames of an answer, checking `FrameType` is every frame's first key.
fn frames(a: &Answer) -> Vec<Value> {
    for line in a.body.lines() {
        let frame = line.trim_start_matches(['[', ',']);
        if frame.starts_with('{') {
            assert!(frame.starts_with("{\"FrameType\":"), "FrameType is not first: {frame}");
        }
    }
    match a.json() {
        Value::Array(f) => f,
        other => panic!("not an array of frames: {other}"),
    }
}

fn primary(frames: &[Value]) -> &Value {
    frames.iter().find(|f| f["TableKind"] == "PrimaryResult").expect("a primary result")
}

#[tokio::test]
async fn v2_frames_and_value_encodings() {
    let csl = "print b=true, i=int(3), l=5, r=2.5, d=decimal(1.5), s='x', e=tostring(dynamic(null)), \
               t=datetime(2024-01-02 03:04:05.1234567), ts=1d+2h+3.5s, dy=dynamic({'a':[1,2]}), n=real(null), \
               nan=real(nan), inf=real(+inf), ninf=real(-inf)";
    let a = query("/v2/rest/query", json!({"db": "lake", "csl": csl})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(a.headers.get("x-ms-client-request-id").and_then(|v| v.to_str().ok()), Some("test;1"));
    assert!(a.headers.get("x-ms-activity-id").is_some());
    let f = frames(&a);
    let kinds: Vec<&str> = f.iter().map(|x| x["FrameType"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds, ["DataSetHeader", "DataTable", "DataTable", "DataTable", "DataSetCompletion"]);
    assert_eq!(f[0]["Version"], "v2.0");
    assert_eq!(f[1]["TableKind"], "QueryProperties");
    assert_eq!(f[3]["TableKind"], "QueryCompletionInformation");
    assert_eq!(f[4]["HasErrors"], false);
    let p = primary(&f);
    let types: Vec<&str> =
        p["Columns"].as_array().into_iter().flatten().map(|c| c["ColumnType"].as_str().unwrap_or("")).collect();
    assert_eq!(
        types,
        [
            "bool", "int", "long", "real", "decimal", "string", "string", "datetime", "timespan", "dynamic", "real",
            "real", "real", "real"
        ]
    );
    assert_eq!(
        p["Rows"],
        json!([[
            true, 3, 5, 2.5, "1.5", "x", "", "2024-01-02T03:04:05.1234567Z", "1.02:00:03.5000000", {"a": [1, 2]}, null,
            "NaN", "Infinity", "-Infinity"
        ]])
    );
}

#[tokio::test]
async fn properties_as_text_set_now_and_parameters() {
    let properties = json!({"Options": {"Query_Now": "2024-06-01T12:00:00Z"}, "Parameters": {"who": "c"}}).to_string();
    let csl = "declare query_parameters(who:string); Events | where Name == who | extend At = now() | project Name, At";
    let a = query("/v2/rest/query", json!({"db": "lake", "csl": csl, "properties": properties})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(primary(&frames(&a))["Rows"], json!([["c", "2024-06-01T12:00:00.0000000Z"]]));
    // The server's own parameters are defaults a request overrides.
    let mut config = ServerConfig::new("lake");
    config.parameters.insert("who".into(), "a".into());
    let csl = "declare query_parameters(who:string); Events | where Name == who | project Name";
    let a = call(config.clone(), post("/v2/rest/query", &json!({"csl": csl}))).await;
    assert_eq!(primary(&frames(&a))["Rows"], json!([["a"]]));
    let body = json!({"csl": csl, "properties": {"Parameters": {"who": "c"}}});
    assert_eq!(primary(&frames(&call(config, post("/v2/rest/query", &body)).await))["Rows"], json!([["c"]]));
}

#[tokio::test]
async fn render_is_a_query_property_and_fork_gives_tables() {
    let a =
        query("/v2/rest/query", json!({"csl": "Events | summarize c = count() by Name | render columnchart"})).await;
    let f = frames(&a);
    let row = &f[1]["Rows"][0];
    assert_eq!(row[0], 1);
    assert_eq!(row[1], "Visualization");
    assert!(row[2].as_str().unwrap_or("").contains("columnchart"), "{row}");
    let a = query("/v2/rest/query", json!({"csl": "Events | fork (count) (take 1)"})).await;
    let tables = frames(&a).into_iter().filter(|x| x["TableKind"] == "PrimaryResult").count();
    assert_eq!(tables, 2);
}

#[tokio::test]
async fn fragmented_primary_tables() {
    let body = json!({"csl": "Events | project Name", "properties": {"Options": {"results_v2_fragment_primary_tables": true}}});
    let a = query("/v2/rest/query", body).await;
    let f = frames(&a);
    let kinds: Vec<&str> = f.iter().map(|x| x["FrameType"].as_str().unwrap_or("")).collect();
    assert_eq!(kinds[0], "DataSetHeader");
    assert_eq!(f[0]["IsFragmented"], true);
    assert!(
        kinds.contains(&"TableHeader") && kinds.contains(&"TableFragment") && kinds.contains(&"TableCompletion"),
        "{kinds:?}"
    );
    let rows: Vec<Value> = f
        .iter()
        .filter(|x| x["FrameType"] == "TableFragment")
        .flat_map(|x| x["Rows"].as_array().cloned().unwrap_or_default())
        .collect();
    assert_eq!(rows, vec![json!(["a"]), json!([""]), json!(["c"])]);
    let done = f.iter().find(|x| x["FrameType"] == "TableCompletion").cloned().unwrap_or_default();
    assert_eq!(done["RowCount"], 3);
}

#[tokio::test]
async fn row_limit_reports_in_band() {
    let body = json!({"csl": "range x from 1 to 100 step 1", "properties": {"Options": {"truncationmaxrecords": 10}}});
    let a = query("/v2/rest/query", body).await;
    assert_eq!(a.status, StatusCode::OK);
    let f = frames(&a);
    let rows = primary(&f)["Rows"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 11, "ten rows then the error object");
    assert!(
        rows[10]["OneApiErrors"][0]["error"]["@message"]
            .as_str()
            .unwrap_or("")
            .contains("E_QUERY_RESULT_SET_TOO_LARGE")
    );
    let done = f.last().cloned().unwrap_or_default();
    assert_eq!(done["FrameType"], "DataSetCompletion");
    assert_eq!(done["HasErrors"], true);
    // notruncation lifts the default limit.
    let body =
        json!({"csl": "range x from 1 to 600000 step 1 | count", "properties": {"Options": {"notruncation": true}}});
    assert_eq!(primary(&frames(&query("/v2/rest/query", body).await))["Rows"], json!([[600000]]));
}

#[tokio::test]
async fn query_errors_are_one_api_errors_with_the_located_text() {
    let a = query("/v2/rest/query", json!({"csl": "Events | where Nope == 1"})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let e = &a.json()["error"];
    assert_eq!(e["code"], "General_BadRequest");
    assert_eq!(e["@type"], "Kusto.Data.Exceptions.SemanticException");
    let message = e["@message"].as_str().unwrap_or("");
    assert!(message.contains("unknown column or name `Nope`") && message.contains("1:16"), "{message}");
    assert_eq!(e["@permanent"], true);
    assert_eq!(e["@context"]["clientRequestId"], "test;1");
    let a = query("/v2/rest/query", json!({"csl": "Events | where"})).await;
    assert_eq!(a.json()["error"]["@type"], "Kusto.Data.Exceptions.SyntaxException");
}

#[tokio::test]
async fn v1_query_tables_and_table_of_contents() {
    let a = query("/v1/rest/query", json!({"db": "lake", "csl": "Events | project Name, Count"})).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    let tables = a.json()["Tables"].as_array().cloned().unwrap_or_default();
    assert_eq!(tables.len(), 4);
    assert_eq!(tables[0]["Columns"][1], json!({"ColumnName": "Count", "DataType": "Int64", "ColumnType": "long"}));
    assert_eq!(tables[0]["Rows"], json!([["a", 1], ["", 2], ["c", null]]));
    let toc = &tables[3];
    assert_eq!(toc["Rows"][0][1], "QueryResult");
    assert_eq!(toc["Rows"][1][1], "QueryProperties");
    assert_eq!(toc["Rows"][2][1], "QueryStatus");
}

#[tokio::test]
async fn management_commands() {
    let one = |a: &Answer| {
        let tables = a.json()["Tables"].as_array().cloned().unwrap_or_default();
        assert_eq!(tables.len(), 1, "{}", a.body);
        tables[0].clone()
    };
    let t = one(&query("/v1/rest/mgmt", json!({"db": "lake", "csl": ".show tables"})).await);
    assert_eq!(t["Rows"], json!([["Events", "lake", "", ""]]));
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show databases"})).await);
    assert_eq!(t["Rows"][0][0], "lake");
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show version"})).await);
    assert_eq!(t["Columns"][0]["ColumnName"], "BuildVersion");
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show database lake schema as json"})).await);
    let schema: Value = serde_json::from_str(t["Rows"][0][0].as_str().unwrap_or("")).unwrap_or_default();
    assert_eq!(
        schema["Databases"]["lake"]["Tables"]["Events"]["OrderedColumns"],
        json!([
            {"Name": "Name", "Type": "System.String", "CslType": "string"},
            {"Name": "Count", "Type": "System.Int64", "CslType": "long"}
        ])
    );
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show table ['Events'] schema as json"})).await);
    assert_eq!(t["Rows"][0][0], "Events");
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show table Events cslschema"})).await);
    assert_eq!(t["Rows"][0][1], "Name:string, Count:long");
    let t = one(&query("/v1/rest/mgmt", json!({"csl": ".show database schema"})).await);
    assert_eq!(t["Rows"].as_array().map(Vec::len), Some(4));
    // A command sent to the v1 query endpoint is run as a command.
    let t = one(&query("/v1/rest/query", json!({"csl": ".show functions"})).await);
    assert_eq!(t["Rows"], json!([]));
    let a = query("/v1/rest/mgmt", json!({"csl": ".drop table Events"})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["error"]["@message"].as_str().unwrap_or("").contains(".show tables"));
    let a = query("/v1/rest/mgmt", json!({"csl": ".show database other schema"})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn bad_requests_get_clean_answers() {
    let config = ServerConfig::new("lake");
    let raw = |path: &str, ctype: &str, body: &str| {
        Request::post(path).header("content-type", ctype).body(Body::from(body.to_owned())).expect("request")
    };
    let a = call(config.clone(), raw("/v2/rest/query", "application/json", "{not json")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.json()["error"]["@message"].as_str().unwrap_or("").contains("not JSON"));
    let a = call(config.clone(), raw("/v2/rest/query", "text/xml", "<q/>")).await;
    assert_eq!(a.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let a = call(config.clone(), raw("/v2/rest/query", "application/json", "{\"db\":\"lake\"}")).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = call(config.clone(), raw("/v2/rest/nothing", "application/json", "{}")).await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = query("/v2/rest/query", json!({"db": "elsewhere", "csl": "print 1"})).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let mut small = config.clone();
    small.max_body_bytes = 64;
    let big = json!({"csl": format!("print '{}'", "x".repeat(200))}).to_string();
    let a = call(small, raw("/v2/rest/query", "application/json", &big)).await;
    assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(a.json()["error"]["code"], "BadRequest");
}

#[tokio::test]
async fn bearer_token_and_cors() {
    let mut config = ServerConfig::new("lake");
    config.token = Some("s3cret".into());
    let body = json!({"csl": "print 1"});
    let a = call(config.clone(), post("/v2/rest/query", &body)).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let mut with = post("/v2/rest/query", &body);
    with.headers_mut().insert("authorization", "Bearer s3cret".parse().expect("header"));
    assert_eq!(call(config.clone(), with).await.status, StatusCode::OK);
    let mut wrong = post("/v2/rest/query", &body);
    wrong.headers_mut().insert("authorization", "Bearer s3cre".parse().expect("header"));
    assert_eq!(call(config.clone(), wrong).await.status, StatusCode::UNAUTHORIZED);
    let preflight = Request::options("/v2/rest/query")
        .header("origin", "https://dataexplorer.azure.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "authorization,content-type")
        .header("access-control-request-private-network", "true")
        .body(Body::empty())
        .expect("request");
    let a = call(config, preflight).await;
    assert!(a.status.is_success(), "{}", a.status);
    assert_eq!(a.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    assert_eq!(a.headers.get("access-control-allow-private-network").and_then(|v| v.to_str().ok()), Some("true"));
}

#[tokio::test]
async fn exposure_rules() {
    let mut config = ServerConfig::new("lake");
    let public: std::net::SocketAddr = "0.0.0.0:8080".parse().expect("addr");
    let local: std::net::SocketAddr = "127.0.0.1:8080".parse().expect("addr");
    assert!(kql_server::check_exposure(local, &config, false).is_ok());
    assert!(kql_server::check_exposure(public, &config, false).unwrap_err().contains("--token"));
    assert!(kql_server::check_exposure(public, &config, true).is_ok());
    config.token = Some("t".into());
    assert!(kql_server::check_exposure(public, &config, false).is_ok());
}

#[tokio::test]
async fn status_page() {
    let a = call(ServerConfig::new("lake"), Request::get("/").body(Body::empty()).expect("request")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("database <b>lake</b>, 1 tables"));
}

/// A real server on a loopback port: a client that goes away in the middle of a large answer
/// does not stop it from serving the next request, and shutdown ends it.
#[tokio::test]
async fn loopback_server_survives_a_client_that_leaves() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut config = ServerConfig::new("lake");
    config.max_rows = 100_000_000;
    let server = tokio::spawn(kql_server::serve(listener, context(), config, async {
        let _ = stopped.await;
    }));
    let request = |csl: &str| {
        let body = json!({"csl": csl, "properties": {"Options": {"notruncation": true}}}).to_string();
        format!(
            "POST /v2/rest/query HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    };
    // Ask for a large answer, read a little of it, and hang up.
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request("range x from 1 to 50000000 step 1").as_bytes()).await.expect("write");
    let mut some = vec![0u8; 4096];
    let n = s.read(&mut some).await.expect("read");
    assert!(String::from_utf8_lossy(&some[..n]).starts_with("HTTP/1.1 200"));
    drop(s);
    // The next client is served.
    let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
    s.write_all(request("print x = 41 + 1").as_bytes()).await.expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("[[42]]"), "{answer}");
    let _ = stop.send(());
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), server).await;
    assert!(matches!(ended, Ok(Ok(Ok(())))), "the server did not stop: {ended:?}");
}

/// One query at a time and no waiting room: a second query while the first streams is
/// throttled (429); once the first client goes away, queries run again.
#[tokio::test]
async fn concurrency_limit_throttles_then_recovers() {
    let mut config = ServerConfig::new("lake");
    config.max_concurrent = 1;
    config.max_queued = 0;
    config.max_rows = 100_000_000;
    let app = router(context(), config);
    let big = json!({"csl": "range x from 1 to 50000000 step 1", "properties": {"Options": {"notruncation": true}}});
    let first = app.clone().oneshot(post("/v2/rest/query", &big)).await.expect("response");
    assert_eq!(first.status(), StatusCode::OK);
    let second = app.clone().oneshot(post("/v2/rest/query", &json!({"csl": "print 1"}))).await.expect("response");
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    drop(first);
    let mut ok = false;
    for _ in 0..100 {
        let again = app.clone().oneshot(post("/v2/rest/query", &json!({"csl": "print 1"}))).await.expect("response");
        if again.status() == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ok, "the slot was never given back");
}

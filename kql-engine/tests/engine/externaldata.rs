//! `externaldata` end to end: every text format and Parquet, the declared types, and the access
//! policy (lake folders, allowed folders, the mirror, the network from a loopback server).

use crate::common;

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::sync::Arc;

use common::json_rows;
use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use kql_engine::{ExternalDataOptions, KqlContext, KqlError};
use serde_json::json;

const NOW: i64 = 1_717_243_200_000_000_000;

fn context(options: ExternalDataOptions) -> KqlContext {
    KqlContext::builder().now(NOW).externaldata(options).build().expect("context")
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

async fn plan_error(ctx: &KqlContext, q: &str) -> KqlError {
    match ctx.kql(q).await {
        Ok(_) => panic!("{q} should not plan"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn csv_cells_convert_to_the_declared_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "feed.csv",
        "Name,Count,Ratio,When,Span,Flag,Id,Bag\n\
         \"a,b\",5,1.5,2024-01-02T03:04:05Z,01:00:00,true,6d4fcbc5-5b5e-4b1e-9f0a-0f2f2e2a2b2c,\"{\"\"k\"\":1}\"\n\
         c,not a number,,,,False,,[1]\n\
         short\n",
    );
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let rows = json_rows(
        &ctx,
        "externaldata(Name:string, Count:long, Ratio:real, When:datetime, Span:timespan, Flag:bool, Id:guid, Bag:dynamic)
         [@'feed.csv'] with (ignoreFirstRecord=true)
         | extend k = Bag.k, t = gettype(Bag)",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            json!({"Name": "a,b", "Count": 5, "Ratio": 1.5, "When": "2024-01-02T03:04:05Z", "Span": "01:00:00",
                   "Flag": true, "Id": "6d4fcbc5-5b5e-4b1e-9f0a-0f2f2e2a2b2c", "Bag": {"k": 1}, "k": 1, "t": "dictionary"}),
            // A guid is text here, and text is never null.
            json!({"Name": "c", "Count": null, "Ratio": null, "When": null, "Span": null, "Flag": false, "Id": "",
                   "Bag": [1], "k": null, "t": "array"}),
            json!({"Name": "short", "Count": null, "Ratio": null, "When": null, "Span": null, "Flag": null, "Id": "",
                   "Bag": null, "k": null, "t": "null"}),
        ]
    );
}

#[tokio::test]
async fn text_json_and_delimited_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "list.txt", "# header\nevil.example\n\nbad.example\r\n");
    write(dir.path(), "rows.json", "{\"a\":\"x\",\"n\":1}\n{\"a\":\"y\",\"n\":\"2\",\"more\":true}\n");
    write(dir.path(), "many.multijson", "[{\"a\":\"p\"},{\"a\":\"q\"}]\n{\"a\":\"r\"}");
    write(dir.path(), "t.tsv", "x\t1\ny\t2\n");
    write(dir.path(), "p.data", "x|1\n");
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let txt = json_rows(&ctx, "externaldata(d:string)['list.txt'] with (format=txt, ignoreFirstRecord=True)").await;
    assert_eq!(txt, vec![json!({"d": "evil.example"}), json!({"d": "bad.example"})]);
    let j = json_rows(&ctx, "externaldata(a:string, n:long, gone:string)['rows.json'] | order by a asc").await;
    assert_eq!(j, vec![json!({"a": "x", "n": 1, "gone": ""}), json!({"a": "y", "n": 2, "gone": ""})]);
    let m = json_rows(&ctx, "externaldata(a:string)['many.multijson'] | summarize make_list(a)").await;
    assert_eq!(m, vec![json!({"list_a": ["p", "q", "r"]})]);
    let t = json_rows(&ctx, "externaldata(s:string, n:int)['t.tsv'] | summarize sum(n)").await;
    assert_eq!(t, vec![json!({"sum_n": 3})]);
    let p = json_rows(&ctx, "external_data(s:string, n:int)['p.data'] with (format='psv')").await;
    assert_eq!(p, vec![json!({"s": "x", "n": 1})]);
    // Two sources are read in order, each with the first record skipped.
    let two =
        json_rows(&ctx, "externaldata(s:string)['t.tsv', 'p.data'] with (format=csv, ignoreFirstRecord=true)").await;
    assert_eq!(two, vec![json!({"s": "y\t2"})]);
    let last = json_rows(&ctx, "externaldata(s:string)['t.tsv'] with (format=tsv, ignoreLastRecord=true)").await;
    assert_eq!(last, vec![json!({"s": "x"})]);
    let raw = json_rows(&ctx, "externaldata(s:string)['t.tsv'] with (format=raw) | extend n = strlen(s)").await;
    assert_eq!(raw, vec![json!({"s": "x\t1\ny\t2\n", "n": 8})]);
}

#[tokio::test]
async fn gzip_sources_are_decompressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = std::fs::File::create(dir.path().join("f.csv.gz")).expect("create");
    let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    gz.write_all(b"a,1\nb,2\n").expect("write");
    gz.finish().expect("finish");
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let rows = json_rows(&ctx, "externaldata(s:string, n:long)['f.csv.gz'] | summarize sum(n)").await;
    assert_eq!(rows, vec![json!({"sum_n": 3})]);
}

#[tokio::test]
async fn parquet_columns_by_name_cast_to_the_declared_types() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = Arc::new(Schema::new(vec![
        Field::new("Host", DataType::Utf8, true),
        Field::new("Hits", DataType::Int64, true),
        Field::new("Seen", DataType::Timestamp(TimeUnit::Microsecond, None), true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["h1", "h2"])),
        Arc::new(Int64Array::from(vec![3, 4])),
        Arc::new(TimestampMicrosecondArray::from(vec![1_704_164_645_000_000, 0])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch");
    let file = std::fs::File::create(dir.path().join("t.parquet")).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let rows = json_rows(&ctx, "externaldata(hits:real, Host:string, Seen:datetime, Missing:long)['t.parquet']").await;
    assert_eq!(
        rows,
        vec![
            json!({"hits": 3.0, "Host": "h1", "Seen": "2024-01-02T03:04:05Z", "Missing": null}),
            json!({"hits": 4.0, "Host": "h2", "Seen": "1970-01-01T00:00:00Z", "Missing": null}),
        ]
    );
}

#[tokio::test]
async fn parquet_ingestion_mappings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let schema = Arc::new(Schema::new(vec![
        Field::new("host_name", DataType::Utf8, true),
        Field::new("epoch_ms", DataType::Int64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(vec!["h1", "h2"])),
        Arc::new(Int64Array::from(vec![Some(1_609_497_120_000), None])),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch");
    let file = std::fs::File::create(dir.path().join("m.parquet")).expect("create");
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema, None).expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let q = "externaldata(Host:string, When:datetime, WhenText:string, Line:long, Tag:string, Seen:datetime, Empty:long)
             ['m.parquet'] with (format='parquet', ingestionMapping='['
               '{\"Column\":\"Host\",\"Properties\":{\"Field\":\"host_name\"}},'
               '{\"Column\":\"When\",\"Properties\":{\"Path\":\"$.epoch_ms\",\"Transform\":\"DateTimeFromUnixMilliseconds\"}},'
               '{\"Column\":\"WhenText\",\"Properties\":{\"Path\":\"$.epoch_ms\",\"Transform\":\"DateTimeFromUnixMilliseconds\"}},'
               '{\"Column\":\"Line\",\"Properties\":{\"Transform\":\"SourceLineNumber\"}},'
               '{\"Column\":\"Tag\",\"Properties\":{\"ConstValue\":\"feed\"}},'
               '{\"Column\":\"Seen\",\"Properties\":{\"ConstValue\":\"2021-01-01T10:32:00Z\"}}'
             ']')";
    assert_eq!(
        json_rows(&ctx, q).await,
        vec![
            json!({"Host": "h1", "When": "2021-01-01T10:32:00Z", "WhenText": "2021-01-01T10:32:00.0000000Z", "Line": 1,
                   "Tag": "feed", "Seen": "2021-01-01T10:32:00Z", "Empty": null}),
            json!({"Host": "h2", "When": null, "WhenText": "", "Line": 2, "Tag": "feed", "Seen": "2021-01-01T10:32:00Z",
                   "Empty": null}),
        ]
    );
    let e = plan_error(
        &ctx,
        "externaldata(a:string)['m.parquet'] with (ingestionMapping='[{\"Column\":\"a\",\"Properties\":{\"Path\":\"$.x.y\"}}]')",
    )
    .await;
    assert!(e.to_string().contains("top-level column is not supported yet"), "{e}");
}

#[tokio::test]
async fn local_files_need_permission_and_errors_are_located() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "lake/T.csv", "x\n");
    write(dir.path(), "outside.csv", "x\n");
    let ctx = context(ExternalDataOptions::new());
    let outside = dir.path().join("outside.csv");
    let q = format!("externaldata(s:string)[@'{}']", outside.display());
    let e = plan_error(&ctx, &q).await;
    assert!(e.to_string().contains("may not read"), "{e}");
    assert_eq!(e.span().map(|s| s.start), Some(q.find("@'").expect("the uri")));

    // A registered lake's folder is allowed, and relative paths are read from it.
    let lake = dir.path().join("lake");
    let parquet = lake.join("Tbl.parquet");
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
    let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(Int64Array::from(vec![1])) as ArrayRef])
        .expect("batch");
    let mut w = parquet::arrow::ArrowWriter::try_new(std::fs::File::create(&parquet).expect("create"), schema, None)
        .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    ctx.register_lake(&lake).await.expect("lake");
    assert_eq!(json_rows(&ctx, "externaldata(s:string)['T.csv']").await, vec![json!({"s": "x"})]);
    let e = plan_error(&ctx, "externaldata(s:string)['../outside.csv']").await;
    assert!(e.to_string().contains("may not read"), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string)['nothere.csv']").await;
    assert!(e.to_string().contains("cannot read"), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string)['T.csv'] with (format=avro)").await;
    assert!(matches!(e, KqlError::NotSupported(_)), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string)['T.csv'] with (format=xlsx)").await;
    assert!(e.to_string().contains("unknown externaldata format"), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string, s:long)['T.csv']").await;
    assert!(e.to_string().contains("declared twice"), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string)['T.csv'] with (ignoreFirstRecord=maybe)").await;
    assert!(e.to_string().contains("true or false"), "{e}");
    let e = plan_error(&ctx, "externaldata(s:string)['s3://bucket/x.csv']").await;
    assert!(e.to_string().contains("not supported yet"), "{e}");
    // Bad content is an error naming the source, not a panic or a silent empty table.
    write(&lake, "bad.json", "{\"s\": ");
    let df = ctx.kql("externaldata(s:string)['bad.json']").await.expect("plans");
    let err = df.collect().await.expect_err("bad JSON");
    assert!(err.to_string().contains("bad.json") && err.to_string().contains("invalid JSON"), "{err}");
}

#[tokio::test]
async fn the_mirror_serves_urls_and_the_network_needs_permission() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "mirror/feeds.example.org/lists/bad domains.txt", "one.example\ntwo.example\n");
    let q = "externaldata(d:string)[@'https://feeds.example.org/lists/bad%20domains.txt'] with (format='txt') | count";
    let ctx = context(ExternalDataOptions::new());
    let e = plan_error(&ctx, q).await;
    assert!(e.to_string().contains("--allow-network"), "{e}");
    let ctx = context(ExternalDataOptions::new().mirror(dir.path().join("mirror")));
    assert_eq!(json_rows(&ctx, q).await, vec![json!({"Count": 2})]);
    let e = plan_error(&ctx, "externaldata(d:string)[@'https://feeds.example.org/other.txt']").await;
    assert!(e.to_string().contains("not in the externaldata mirror"), "{e}");
}

/// A loopback HTTP server that answers every request with `body`, for `requests` requests.
fn serve(body: &'static str, requests: usize) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
    });
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_sources_are_fetched_when_allowed_within_the_limit() {
    let base = serve("host,ip\nh1,10.0.0.1\nh2,10.0.0.2\n", 2);
    let ctx = context(ExternalDataOptions::new().allow_network(true));
    let q = format!("externaldata(host:string, ip:string)[@'{base}/data/last.csv'] with (ignoreFirstRecord=true)");
    assert_eq!(
        json_rows(&ctx, &q).await,
        vec![json!({"host": "h1", "ip": "10.0.0.1"}), json!({"host": "h2", "ip": "10.0.0.2"})]
    );
    let small = context(ExternalDataOptions::new().allow_network(true).max_bytes(10));
    let err = small.kql(&q).await.expect("plans").collect().await.expect_err("over the limit");
    assert!(err.to_string().contains("last.csv"), "{err}");
}

#[tokio::test]
async fn ingestion_mappings() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "events.json",
        "{\"Timestamp\":1609497120000,\"Event\":{\"Name\":\"logon\",\"Type\":\"a\"},\"Property name with space\":1,\
          \"tags\":[{\"k1\":\"v1\"},{\"k2\":2}]}\n\
         {\"Timestamp\":\"1609497121500\",\"Event\":{\"Name\":\"logoff\"},\"tags\":\"none\"}\n",
    );
    write(dir.path(), "feed.csv", "skip,me,please\n10.0.0.1,evil,5\n10.0.0.2,worse,7\n");
    let ctx = context(ExternalDataOptions::new().allow_local_dir(dir.path()).base_dir(dir.path()));
    let json_mapping = r#"[
        {"Column": "When", "Properties": {"Path": "$.Timestamp", "Transform": "DateTimeFromUnixMilliseconds"}},
        {"Column": "Name", "Properties": {"Path": "$.Event.Name"}},
        {"Column": "Spaced", "Properties": {"Path": "$.[\'Property name with space\']"}},
        {"Column": "Tags", "Properties": {"Path": "$.tags", "Transform": "PropertyBagArrayToDictionary"}},
        {"Column": "Line", "Properties": {"Transform": "SourceLineNumber"}},
        {"Column": "Fixed", "Properties": {"ConstValue": "2021-01-01T10:32:00"}},
        {"Column": "Whole", "Properties": {"Path": "$"}}
    ]"#;
    // A KQL string literal is one line.
    let json_mapping = json_mapping.replace('\n', " ");
    let q = format!(
        "externaldata(When:datetime, Name:string, Spaced:long, Tags:dynamic, Line:long, Fixed:datetime, Whole:dynamic, \
         Unmapped:string) ['events.json'] with (format='multijson', ingestionMapping='{json_mapping}')
         | project When, Name, Spaced, Tags, Line, Fixed, Type = tostring(Whole.Event.Type), Unmapped"
    );
    assert_eq!(
        json_rows(&ctx, &q).await,
        vec![
            json!({"When": "2021-01-01T10:32:00Z", "Name": "logon", "Spaced": 1, "Tags": {"k1": "v1", "k2": 2},
                   "Line": 1, "Fixed": "2021-01-01T10:32:00Z", "Type": "a", "Unmapped": ""}),
            json!({"When": "2021-01-01T10:32:01.5Z", "Name": "logoff", "Spaced": null, "Tags": null,
                   "Line": 2, "Fixed": "2021-01-01T10:32:00Z", "Type": "", "Unmapped": ""}),
        ]
    );
    // A CSV mapping by ordinal, written as Kusto's documentation writes it: adjacent string
    // literals, numbers or text for the ordinals.
    let rows = json_rows(
        &ctx,
        "externaldata(Count:long, Ip:string, Source:string, Line:long)['feed.csv']
         with (ignoreFirstRecord=true, ingestionMapping=
           '['
             '{\"Column\": \"Ip\", \"Properties\": {\"Ordinal\": 0}},'
             '{\"Column\": \"Count\", \"Properties\": {\"Ordinal\": \"2\"}},'
             '{\"Column\": \"Source\", \"Properties\": {\"Transform\": \"SourceLocation\"}},'
             '{\"Column\": \"Line\", \"Properties\": {\"Transform\": \"SourceLineNumber\"}}'
           ']')
         | extend Source = tostring(split(Source, '/')[-1])",
    )
    .await;
    assert_eq!(
        rows,
        vec![
            json!({"Count": 5, "Ip": "10.0.0.1", "Source": "feed.csv", "Line": 2}),
            json!({"Count": 7, "Ip": "10.0.0.2", "Source": "feed.csv", "Line": 3}),
        ]
    );
    // Mistakes are located at the mapping.
    let q = "externaldata(a:string)['feed.csv'] with (ingestionMapping='[{\"Column\":\"b\",\"Properties\":{\"Ordinal\":0}}]')";
    let e = plan_error(&ctx, q).await;
    assert!(e.to_string().contains("does not declare"), "{e}");
    assert_eq!(e.span().map(|s| &q[s.start..s.start + 16]), Some("ingestionMapping"));
    let e = plan_error(&ctx, "externaldata(a:string)['events.json'] with (ingestionMapping='[{\"Column\":\"a\",\"Properties\":{\"Ordinal\":0}}]')").await;
    assert!(e.to_string().contains("give a Path"), "{e}");
    let e = plan_error(&ctx, "externaldata(a:string)['feed.csv'] with (ingestionMappingReference='m')").await;
    assert!(e.to_string().contains("stored in a Kusto database"), "{e}");
}

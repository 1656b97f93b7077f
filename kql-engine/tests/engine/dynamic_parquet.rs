//! `dynamic` columns from Parquet in every layout the issue names: the JSON logical type, Arrow's
//! nested types (lists, structs, maps), strings that a documented schema types `dynamic` (plain,
//! dictionary and large layouts), and binary columns (not JSON: read as strings); and back out,
//! as JSON text with the `arrow.json` extension type and Parquet's JSON logical type.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, DictionaryArray, Int64Array, Int64Builder, LargeStringArray, ListArray, MapBuilder,
    RecordBatch, StringArray, StringBuilder, StructArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Int64Type, Schema};
use kql_engine::{DocumentedSchemas, KqlContext};
use parquet::arrow::ArrowWriter;

fn write(path: &Path, batch: &RecordBatch) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
}

fn json_field(name: &str) -> Field {
    Field::new(name, DataType::Utf8, true).with_metadata(
        [
            ("ARROW:extension:name".to_owned(), "arrow.json".to_owned()),
            ("ARROW:extension:metadata".to_owned(), String::new()),
        ]
        .into(),
    )
}

/// One row per value of every layout; `id` orders them.
fn lake(dir: &Path) {
    let ids: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
    let json: ArrayRef =
        Arc::new(StringArray::from(vec![Some(r#"{"a": {"b": [1, 2]}, "s": "x"}"#), Some("not json"), None]));
    let list: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(10), Some(20)]),
        Some(vec![]),
        None,
    ]));
    let structs: ArrayRef = Arc::new(StructArray::from(vec![
        (
            Arc::new(Field::new("k", DataType::Utf8, true)),
            Arc::new(StringArray::from(vec!["v1", "v2", "v3"])) as ArrayRef,
        ),
        (Arc::new(Field::new("n", DataType::Int64, true)), Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
    ]));
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    for (k, v) in [("x", 1), ("y", 2), ("z", 3)] {
        map.keys().append_value(k);
        map.values().append_value(v);
        map.append(true).expect("map row");
    }
    let map: ArrayRef = Arc::new(map.finish());
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        json_field("J"),
        Field::new("L", list.data_type().clone(), true),
        Field::new("S", structs.data_type().clone(), true),
        Field::new("M", map.data_type().clone(), true),
    ]));
    let batch = RecordBatch::try_new(schema, vec![Arc::clone(&ids), json, list, structs, map]).expect("batch");
    write(&dir.join("Nested.parquet"), &batch);

    // Strings typed `dynamic` by a documented schema, in three layouts; and bytes.
    let plain: ArrayRef = Arc::new(StringArray::from(vec![r#"{"Command":"powershell -nop"}"#, "[1,2]", ""]));
    let dict: ArrayRef = Arc::new(DictionaryArray::<Int32Type>::from_iter([r#"{"k":1}"#, r#"{"k":1}"#, r#"{"k":2}"#]));
    let large: ArrayRef = Arc::new(LargeStringArray::from(vec![r#"{"z":true}"#, "7", r#""s""#]));
    let bytes: ArrayRef = Arc::new(BinaryArray::from(vec![b"raw bytes".as_ref(), b"\xff\xfe".as_ref(), b"".as_ref()]));
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("AdditionalFields", DataType::Utf8, true),
        Field::new("DictFields", dict.data_type().clone(), true),
        Field::new("LargeFields", DataType::LargeUtf8, true),
        Field::new("Blob", DataType::Binary, true),
    ]));
    let batch = RecordBatch::try_new(schema, vec![ids, plain, dict, large, bytes]).expect("batch");
    write(&dir.join("Events.parquet"), &batch);
}

async fn context(dir: &Path) -> KqlContext {
    let mut schemas = DocumentedSchemas::default();
    schemas
        .add_json(
            r#"{"name": "Events", "columns": [["id", "long"], ["AdditionalFields", "dynamic"], ["DictFields", "dynamic"],
                ["LargeFields", "dynamic"], ["Blob", "string"]]}"#,
        )
        .expect("schema");
    let ctx = KqlContext::builder().documented_schemas(schemas).build().expect("context");
    ctx.register_lake(dir).await.expect("lake");
    ctx
}

#[tokio::test]
async fn every_layout_reads_as_dynamic() {
    let dir = tempfile::tempdir().expect("tempdir");
    lake(dir.path());
    let ctx = context(dir.path()).await;
    let types = common::json_rows(&ctx, "Nested | getschema | project ColumnName, ColumnType").await;
    let types: Vec<String> = types.iter().map(|r| format!("{}:{}", r["ColumnName"], r["ColumnType"])).collect();
    assert_eq!(
        types,
        [r#""id":"long""#, r#""J":"dynamic""#, r#""L":"dynamic""#, r#""S":"dynamic""#, r#""M":"dynamic""#]
            .map(String::from)
    );
    let got = common::json_rows(
        &ctx,
        "Nested | order by id asc | project id, jb = J.a.b[1], js = tostring(J.s), jt = gettype(J), l0 = L[0], sk = S.k, my = M.y, ln = array_length(L)",
    )
    .await;
    assert_eq!(
        serde_json::Value::Array(got),
        serde_json::json!([
            {"id": 1, "jb": 2, "js": "x", "jt": "dictionary", "l0": 10, "sk": "v1", "my": null, "ln": 2},
            {"id": 2, "jb": null, "js": "", "jt": "string", "l0": null, "sk": "v2", "my": 2, "ln": 0},
            {"id": 3, "jb": null, "js": "", "jt": "null", "l0": null, "sk": "v3", "my": null, "ln": null}
        ])
    );
}

#[tokio::test]
async fn documented_strings_read_as_dynamic_and_bytes_as_strings() {
    let dir = tempfile::tempdir().expect("tempdir");
    lake(dir.path());
    let ctx = context(dir.path()).await;
    let got = common::json_rows(
        &ctx,
        "Events | order by id asc | project id, c = AdditionalFields.Command, k = DictFields.k, z = LargeFields, t = gettype(LargeFields), b = Blob",
    )
    .await;
    assert_eq!(
        serde_json::Value::Array(got),
        serde_json::json!([
            {"id": 1, "c": "powershell -nop", "k": 1, "z": {"z": true}, "t": "dictionary", "b": "raw bytes"},
            {"id": 2, "c": null, "k": 1, "z": 7, "t": "int", "b": "\u{fffd}\u{fffd}"},
            {"id": 3, "c": null, "k": 2, "z": "s", "t": "string", "b": ""}
        ])
    );
    let hits = common::json_rows(&ctx, r#"Events | where AdditionalFields.Command has "powershell" | count"#).await;
    assert_eq!(hits, [serde_json::json!({"Count": 1})]);
}

#[tokio::test]
async fn results_are_json_text_with_the_extension_type_and_round_trip_through_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    lake(dir.path());
    let ctx = context(dir.path()).await;
    let df = ctx.kql("Events | project id, AdditionalFields, Bag = bag_pack('k', id)").await.expect("plans");
    let schema = df.schema().clone();
    let field = schema.field_with_unqualified_name("AdditionalFields").expect("column");
    assert_eq!(field.data_type(), &DataType::Utf8);
    assert!(kql_engine::dynamic::has_json_extension(field), "{field:?}");
    let batches = df.collect().await.expect("runs");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).expect("dir");
    write(&out.join("Result.parquet"), &batches[0]);
    // The file has Parquet's JSON logical type, and reads back as dynamic.
    let reader = parquet::file::reader::SerializedFileReader::new(
        std::fs::File::open(out.join("Result.parquet")).expect("open"),
    )
    .expect("reader");
    use parquet::file::reader::FileReader as _;
    let descr = reader.metadata().file_metadata().schema_descr_ptr();
    let json_columns: Vec<String> = descr
        .columns()
        .iter()
        .filter(|c| matches!(c.logical_type_ref(), Some(parquet::basic::LogicalType::Json)))
        .map(|c| c.name().to_owned())
        .collect();
    assert_eq!(json_columns, ["AdditionalFields", "Bag"]);
    let back = KqlContext::new();
    back.register_lake(&out).await.expect("lake");
    let got =
        common::json_rows(&back, "Result | order by id asc | project id, k = Bag.k, t = gettype(AdditionalFields)")
            .await;
    assert_eq!(
        serde_json::Value::Array(got),
        serde_json::json!([{"id": 1, "k": 1, "t": "dictionary"}, {"id": 2, "k": 2, "t": "array"}, {"id": 3, "k": 3, "t": "null"}])
    );
}

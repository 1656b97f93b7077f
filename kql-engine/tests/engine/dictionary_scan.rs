//! `dynamic` text stored dictionary-encoded is read as Arrow dictionaries (`scan`): the answers
//! must be those of the same rows read as plain strings, across row groups, batches, pages that
//! fell back from dictionary to plain encoding, nulls and texts that are not JSON.

use crate::common;

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use kql_engine::{DocumentedSchemas, KqlContext};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

/// 20,000 rows: ids, and JSON bags drawn from a few hundred texts, with nulls, empty strings,
/// texts that are not JSON, and (from row 15,000) texts each of its own, which overflow the
/// dictionary page so later pages fall back to plain encoding.
fn rows() -> (Vec<i64>, Vec<Option<String>>) {
    let names = ["powershell.exe", "cmd.exe", "svchost.exe", "Édition", "rundll32.exe"];
    let mut ids = Vec::new();
    let mut texts = Vec::new();
    for i in 0..20_000_i64 {
        ids.push(i);
        let t = match i % 97 {
            0 => None,
            1 => Some(String::new()),
            2 => Some("not json at all".to_owned()),
            _ if i >= 15_000 => Some(format!(r#"{{"Name":"unique-{i}","Command":"powershell -c {i}","N":{i}}}"#)),
            k => {
                let name = names[(k % 5) as usize];
                let command = if k % 3 == 0 { format!("powershell -enc {k}") } else { format!("{name} /c run {k}") };
                Some(format!(r#"{{"Name":"{name}","Command":"{command}","N":{k},"Tags":["a","b"]}}"#))
            }
        };
        texts.push(t);
    }
    (ids, texts)
}

fn write(path: &Path, json_type: bool) {
    let (ids, texts) = rows();
    let mut field = Field::new("Fields", DataType::Utf8, true);
    if json_type {
        field = field.with_metadata(
            [
                ("ARROW:extension:name".to_owned(), "arrow.json".to_owned()),
                ("ARROW:extension:metadata".to_owned(), String::new()),
            ]
            .into(),
        );
    }
    let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false), field]));
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(6_000))
        .set_data_page_row_count_limit(1_000)
        .set_write_batch_size(500)
        .set_dictionary_page_size_limit(16 * 1024)
        .build();
    let file = std::fs::File::create(path).expect("create");
    let mut w = ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).expect("writer");
    let ids: ArrayRef = Arc::new(Int64Array::from(ids));
    let texts: ArrayRef = Arc::new(StringArray::from(texts));
    let batch = RecordBatch::try_new(schema, vec![ids, texts]).expect("batch");
    w.write(&batch).expect("write");
    w.close().expect("close");
}

/// Three tables over the same rows: `Json` (JSON logical type), `Documented` (a plain string
/// column a documented schema types `dynamic`) and `Plain` (an undocumented string).
async fn context(dir: &Path) -> KqlContext {
    write(&dir.join("Json.parquet"), true);
    write(&dir.join("Documented.parquet"), false);
    write(&dir.join("Plain.parquet"), false);
    let mut schemas = DocumentedSchemas::default();
    schemas.add_json(r#"{"name": "Documented", "columns": [["id", "long"], ["Fields", "dynamic"]]}"#).expect("schema");
    let ctx = KqlContext::builder().documented_schemas(schemas).batch_size(700).build().expect("context");
    ctx.register_lake(dir).await.expect("lake");
    ctx
}

#[tokio::test]
async fn dictionary_reads_answer_as_plain_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = context(dir.path()).await;
    for (table, column_type) in [("Json", "dynamic"), ("Documented", "dynamic")] {
        let columns = ctx.table_columns(table).await.expect("columns");
        let fields = columns.iter().find(|c| c.0 == "Fields").expect("Fields");
        assert_eq!(fields.1.name(), column_type);
        assert!(matches!(fields.2, DataType::Dictionary(..)), "{table}.Fields reads as a dictionary: {:?}", fields.2);
    }
    let queries = [
        "{T} | where parse_json(Fields).Command has 'powershell' | count",
        "{T} | where parse_json(Fields).Command !has 'powershell' | count",
        "{T} | summarize n = count() by name = tostring(parse_json(Fields).Name) | sort by name asc",
        "{T} | project id, c = tostring(parse_json(Fields).Command), n = toint(parse_json(Fields).N), t = parse_json(Fields).Tags[1] | sort by id asc",
        "{T} | where parse_json(Fields).N > 90 | summarize count(), max(id)",
        "{T} | where parse_json(Fields).Command has_any ('powershell', 'rundll32') | count",
        "{T} | where parse_json(Fields).Name startswith 'cmd' or parse_json(Fields).Name endswith '.EXE' | count",
        "{T} | where parse_json(Fields).Command !contains 'run' | count",
        "{T} | where parse_json(Fields).Name in~ ('CMD.EXE', 'édition') | count",
        "{T} | where parse_json(Fields).Missing !has 'x' | count",
        "{T} | where tostring(Fields) has 'rundll32' | count",
        "{T} | where isempty(tostring(parse_json(Fields).Name)) | summarize count(), min(id), max(id)",
        "{T} | extend d = parse_json(Fields) | where d.Name == 'Édition' | project id, d | sort by id asc | take 5",
    ];
    for q in queries {
        let plain = common::json_rows(&ctx, &q.replace("{T}", "Plain")).await;
        assert!(!plain.is_empty(), "{q}");
        for table in ["Json", "Documented"] {
            let dictionary = common::json_rows(&ctx, &q.replace("{T}", table)).await;
            assert_eq!(dictionary, plain, "{q} on {table}");
        }
    }
    // A row group whose column is null throughout has a dictionary of no values.
    let dir2 = tempfile::tempdir().expect("tempdir");
    let nulls: ArrayRef = Arc::new(StringArray::from(vec![None::<&str>; 10]));
    let ids: ArrayRef = Arc::new(Int64Array::from((0..10).collect::<Vec<i64>>()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("Fields", DataType::Utf8, true),
    ]));
    let file = std::fs::File::create(dir2.path().join("Documented.parquet")).expect("create");
    let mut w = ArrowWriter::try_new(file, Arc::clone(&schema), None).expect("writer");
    w.write(&RecordBatch::try_new(schema, vec![ids, nulls]).expect("batch")).expect("write");
    w.close().expect("close");
    let mut schemas = DocumentedSchemas::default();
    schemas.add_json(r#"{"name": "Documented", "columns": [["id", "long"], ["Fields", "dynamic"]]}"#).expect("schema");
    let empty = KqlContext::builder().documented_schemas(schemas).build().expect("context");
    empty.register_lake(dir2.path()).await.expect("lake");
    let got = common::json_rows(&empty, "Documented | summarize n = count() by c = tostring(Fields.Command)").await;
    assert_eq!(got, vec![serde_json::json!({"c": "", "n": 10})]);
    let got = common::json_rows(&empty, "Documented | where isnull(Fields.Command) | count").await;
    assert_eq!(got, vec![serde_json::json!({"Count": 10})]);

    // The column itself, and access on it, as the documented table gives them.
    let direct = common::json_rows(&ctx, "Documented | where Fields.Command has 'powershell' | count").await;
    let parsed = common::json_rows(&ctx, "Plain | where parse_json(Fields).Command has 'powershell' | count").await;
    assert_eq!(direct, parsed);
}

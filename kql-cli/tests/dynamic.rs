//! End-to-end tests of `dynamic` through the `kql` binary: documented schemas (`--schemas`,
//! `KQL_SCHEMAS`), `kql gen --schemas`, and `dynamic` values in every output format.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use predicates::prelude::*;

const NOW: &str = "2024-06-01T12:00:00Z";

fn kql() -> Command {
    Command::cargo_bin("kql").expect("the kql binary")
}

fn schemas() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/schema/tables")
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

/// A small lake of two documented tables, made once per test run with `kql gen --schemas`.
fn lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-documented-lake");
        let _ = std::fs::remove_dir_all(&dir);
        kql()
            .args(["gen", "--schemas"])
            .arg(schemas())
            .args(["--tables", "DeviceEvents,AADSignInEventsBeta", "--rows", "400", "--seed", "3", "--now", NOW])
            .arg("--out")
            .arg(&dir)
            .assert()
            .success()
            .stdout(predicate::str::contains("DeviceEvents").and(predicate::str::contains("400 rows")));
        dir
    })
}

#[test]
fn gen_with_schemas_writes_the_documented_columns() {
    let out = stdout(kql().args(["tables", "--format", "json", "--schemas"]).arg(schemas()).arg("--lake").arg(lake()));
    let tables: serde_json::Value = serde_json::from_str(&out).expect("json");
    let tables = tables.as_array().expect("an array");
    assert_eq!(tables.len(), 2, "{out}");
    let events = tables.iter().find(|t| t["name"] == "DeviceEvents").expect("DeviceEvents");
    assert_eq!(events["rows"], 400);
    let columns = events["columns"].as_array().expect("columns");
    // Every documented column is there, with the documented KQL type.
    let documented: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schemas().join("DeviceEvents.json")).expect("schema"))
            .expect("json");
    let documented_columns = documented["columns"].as_array().expect("documented columns");
    assert_eq!(columns.len(), documented_columns.len());
    let additional = columns.iter().find(|c| c["name"] == "AdditionalFields").expect("AdditionalFields");
    assert_eq!(additional["type"], "dynamic");
    // Unknown tables are refused by name.
    kql()
        .args(["gen", "--schemas"])
        .arg(schemas())
        .args(["--tables", "NoSuchTable", "--rows", "5", "--out"])
        .arg(Path::new(env!("CARGO_TARGET_TMPDIR")).join("never-written"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("`NoSuchTable` is not one of the documented tables"));
}

#[test]
fn schemas_type_json_columns_as_dynamic() {
    let query = "DeviceEvents | where isnotempty(AdditionalFields.Command) | summarize n = count()";
    let with = stdout(
        kql().args(["query", "--format", "csv", "--schemas"]).arg(schemas()).arg("--lake").arg(lake()).arg(query),
    );
    let n: u64 = with.lines().nth(1).and_then(|l| l.parse().ok()).expect("a count");
    // The same count through parse_json, with no schemas.
    let parsed = stdout(
        kql()
            .args(["query", "--format", "csv", "--lake"])
            .arg(lake())
            .arg("DeviceEvents | where isnotempty(parse_json(AdditionalFields).Command) | summarize n = count()"),
    );
    assert_eq!(parsed, with);
    assert!(n > 0 && n < 400, "{with}");
    // The environment variable does the same.
    let env =
        stdout(kql().env("KQL_SCHEMAS", schemas()).args(["query", "--format", "csv", "--lake"]).arg(lake()).arg(query));
    assert_eq!(env, with);
    // Without them, member access on the JSON text is a located error that says what to do.
    kql()
        .args(["query", "--lake"])
        .arg(lake())
        .arg(query)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("`AdditionalFields` is a string").and(predicate::str::contains("query:1:33")))
        .stderr(predicate::str::contains("parse_json(AdditionalFields).Command"));
}

#[test]
fn check_plans_against_the_documented_tables_without_a_lake() {
    assert_eq!(
        stdout(
            kql()
                .args(["check", "--schemas"])
                .arg(schemas())
                .arg("DeviceEvents | extend c = tostring(AdditionalFields.Command) | summarize count() by c")
        ),
        "ok: 1 statement(s), 1 result(s) plan against the tables\n"
    );
    kql()
        .args(["check", "--schemas"])
        .arg(schemas())
        .arg("DeviceEvents | where NoSuchColumn has 'x'")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown column or name `NoSuchColumn`"));
    // A query runs against the documented (empty) tables too.
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", "--schemas"]).arg(schemas()).arg("DeviceEvents | count")),
        "Count\n0\n"
    );
    // A folder that is not there is an error naming it.
    kql()
        .args(["check", "--schemas", "/no/such/folder", "print 1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/no/such/folder"));
}

const DYNAMIC: &str =
    r#"print d = dynamic({"a": [1, 2.5, "x"], "b": {"c": null}}), e = dynamic(null), s = dynamic("text")"#;

#[test]
fn dynamic_values_in_every_format() {
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", DYNAMIC])),
        "d,e,s\n\"{\"\"a\"\":[1,2.5,\"\"x\"\"],\"\"b\"\":{\"\"c\"\":null}}\",,text\n"
    );
    assert_eq!(
        stdout(kql().args(["query", "--format", "ndjson", DYNAMIC])),
        "{\"d\":{\"a\":[1,2.5,\"x\"],\"b\":{\"c\":null}},\"e\":null,\"s\":\"text\"}\n"
    );
    assert_eq!(
        stdout(kql().args(["query", "--format", "json", DYNAMIC])),
        "[\n  {\"d\":{\"a\":[1,2.5,\"x\"],\"b\":{\"c\":null}},\"e\":null,\"s\":\"text\"}\n]\n"
    );
    let table = stdout(kql().args(["query", DYNAMIC]));
    assert!(table.contains(r#"{"a":[1,2.5,"x"],"b":{"c":null}}"#), "{table}");
    // Parquet keeps the values as JSON text with the canonical JSON type, so they read back as
    // dynamic.
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("d.parquet");
    kql().args(["query", "--format", "parquet", "-o"]).arg(&file).arg(DYNAMIC).assert().success();
    assert_eq!(
        stdout(
            kql()
                .args(["query", "--format", "csv", "--table"])
                .arg(format!("R={}", file.display()))
                .arg("R | project t = gettype(d), a = d.a[1], c = gettype(d.b.c), e = isnull(e), s = gettype(s)")
        ),
        "t,a,c,e,s\ndictionary,2.5,null,true,string\n"
    );
}

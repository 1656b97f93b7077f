//! The CLI on lakes as users have them: unreadable files (`--skip-bad-files`, `kql tables`)
//! and queries that must stop (`--timeout`).

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn kql() -> Command {
    Command::cargo_bin("kql").expect("the kql binary")
}

/// A lake of a good table and a table of one good, one truncated and one non-Parquet file.
fn bad_lake(dir: &Path) {
    kql()
        .args(["gen", "--rows", "300", "--devices", "5", "--seed", "1", "--tables", "DeviceInfo,DeviceNetworkEvents"])
        .args(["--now", "2024-06-01T12:00:00Z", "--out"])
        .arg(dir)
        .assert()
        .success();
    let mixed = dir.join("Mixed");
    std::fs::create_dir_all(&mixed).expect("mkdir");
    let good = std::fs::read(dir.join("DeviceInfo.parquet")).expect("read");
    std::fs::write(mixed.join("a.parquet"), &good).expect("write");
    std::fs::write(mixed.join("b.parquet"), &good[..good.len() / 3]).expect("write");
    std::fs::write(mixed.join("c.parquet"), "DeviceId,DeviceName\n1,x\n").expect("write");
}

#[test]
fn a_bad_file_fails_its_table_only_and_can_be_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_lake(dir.path());
    kql().args(["query", "--lake"]).arg(dir.path()).arg("Mixed | count").assert().code(1).stderr(
        predicate::str::contains("table Mixed: 2 of its 3 files cannot be read")
            .and(predicate::str::contains("b.parquet: truncated"))
            .and(predicate::str::contains("c.parquet: not a Parquet file"))
            .and(predicate::str::contains("--skip-bad-files")),
    );
    // The other tables do not notice.
    let out = kql()
        .args(["query", "--format", "csv", "--lake"])
        .arg(dir.path())
        .arg("DeviceNetworkEvents | count")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.starts_with("Count\n") && text != "Count\n0\n", "{text}");
    // Skipped, with a warning that counts and names them.
    let assert = kql()
        .args(["query", "--format", "csv", "--skip-bad-files", "--lake"])
        .arg(dir.path())
        .arg("Mixed | count")
        .assert()
        .success()
        .stderr(
            predicate::str::contains("--skip-bad-files left out 2 unreadable file(s)")
                .and(predicate::str::contains("table Mixed:"))
                .and(predicate::str::contains("b.parquet: truncated")),
        );
    let rows = String::from_utf8(assert.get_output().stdout.clone()).expect("utf-8");
    assert!(rows.starts_with("Count\n") && rows != "Count\n0\n", "{rows}");
    // No warning when the query reads no bad table.
    kql()
        .args(["query", "--skip-bad-files", "--lake"])
        .arg(dir.path())
        .arg("DeviceInfo | count")
        .assert()
        .success()
        .stderr(predicate::str::is_empty());
}

#[test]
fn tables_marks_unreadable_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    bad_lake(dir.path());
    let out = kql().args(["tables", "--lake"]).arg(dir.path()).assert().success().get_output().stdout.clone();
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("b.parquet UNREADABLE: truncated"), "{text}");
    assert!(text.contains("c.parquet UNREADABLE: not a Parquet file"), "{text}");
    assert!(text.contains("a.parquet ("), "{text}");
    let out = kql()
        .args(["tables", "--format", "json", "--lake"])
        .arg(dir.path())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let mixed = json.as_array().expect("array").iter().find(|t| t["name"] == "Mixed").expect("Mixed");
    let unreadable: Vec<&str> =
        mixed["files"].as_array().expect("files").iter().filter_map(|f| f["unreadable"].as_str()).collect();
    assert_eq!(unreadable.len(), 2, "{mixed}");
    assert!(mixed["columns"].as_array().is_some_and(|c| !c.is_empty()), "{mixed}");
}

#[test]
fn timeout_stops_the_query_and_leaves_no_output() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.csv");
    let started = std::time::Instant::now();
    kql()
        .args(["query", "--timeout", "300ms", "--format", "csv", "-o"])
        .arg(&out)
        .arg("range x from 1 to 100000000000 step 1 | summarize count() by x % 7")
        .assert()
        .code(124)
        .stderr(predicate::str::contains("stopped after the --timeout of 300ms"));
    // Promptly: far less than the query would take.
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "{left:?}");
    // A query within its limit is not affected.
    kql().args(["query", "--timeout", "5m", "--format", "csv", "print a = 1"]).assert().success().stdout("a\n1\n");
    kql()
        .args(["query", "--timeout", "soon", "print 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a duration"));
}

//! `kql serve`: the security defaults and a query over a loopback port, end to end through the
//! binary (the protocol itself is tested in `kql-server`, real clients in `kql-python`).

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};

use assert_cmd::Command;
use predicates::prelude::*;

fn kql() -> Command {
    Command::cargo_bin("kql").expect("the kql binary")
}

fn lake(dir: &std::path::Path) {
    kql()
        .args(["gen", "--rows", "300", "--devices", "5", "--seed", "1", "--tables", "DeviceInfo"])
        .args(["--now", "2024-06-01T12:00:00Z", "--out"])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn an_address_others_can_reach_needs_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    lake(dir.path());
    kql()
        .args(["serve", "--bind", "0.0.0.0:0", "--lake"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--token FILE").and(predicate::str::contains("--insecure-no-auth")));
    kql().args(["serve"]).assert().code(2).stderr(predicate::str::contains("give --lake DIR"));
    let empty = dir.path().join("empty-token");
    std::fs::write(&empty, "\n").expect("write");
    kql()
        .args(["serve", "--lake"])
        .arg(dir.path())
        .arg("--token")
        .arg(&empty)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("is empty"));
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serves_a_query_on_a_loopback_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    lake(dir.path());
    let bin = assert_cmd::cargo::cargo_bin("kql");
    let child = std::process::Command::new(bin)
        .args(["serve", "--bind", "127.0.0.1:0", "--database", "lake", "--lake"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut server = Server(child);
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().expect("stdout")).read_line(&mut line).expect("read");
    assert!(line.contains("database lake, 1 tables; no authentication (loopback only)"), "{line}");
    let addr = line.split("http://").nth(1).and_then(|r| r.split_whitespace().next()).expect("address").to_owned();
    let body = r#"{"db":"lake","csl":"DeviceInfo | count"}"#;
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        s,
        "POST /v2/rest/query HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut answer = String::new();
    s.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"TableKind\":\"PrimaryResult\""), "{answer}");
    assert!(answer.contains("[[5]]"), "five devices: {answer}");
}

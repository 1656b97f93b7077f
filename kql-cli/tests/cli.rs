//! End-to-end tests of the `kql` binary: every command and format, and the error paths, with
//! exact output where it is deterministic.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use predicates::prelude::*;

const NOW: &str = "2024-06-01T12:00:00Z";

fn kql() -> Command {
    Command::cargo_bin("kql").expect("the kql binary")
}

/// A small generated lake, made once per test run with `kql gen`.
fn lake() -> &'static Path {
    static LAKE: OnceLock<PathBuf> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-lake");
        let _ = std::fs::remove_dir_all(&dir);
        kql()
            .args(["gen", "--out"])
            .arg(&dir)
            .args(["--rows", "1500", "--devices", "30", "--seed", "7", "--now", NOW])
            .assert()
            .success()
            .stdout(predicate::str::contains("DeviceNetworkEvents").and(predicate::str::contains("manifest")));
        dir
    })
}

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

fn stdout(cmd: &mut Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

const PRINT: &str = r#"print n = 1, s = "a,b", t = datetime(2024-06-01 10:30), d = 1d + 2h, l = pack_array(1, 2), z = long(null), b = true"#;

#[test]
fn query_formats() {
    assert_eq!(
        stdout(kql().args(["query", PRINT])),
        "\
┌───┬─────┬──────────────────────┬────────────┬───────┬──────┬──────┐
│ n ┆ s   ┆ t                    ┆ d          ┆ l     ┆ z    ┆ b    │
╞═══╪═════╪══════════════════════╪════════════╪═══════╪══════╪══════╡
│ 1 ┆ a,b ┆ 2024-06-01T10:30:00Z ┆ 1.02:00:00 ┆ [1,2] ┆ null ┆ true │
└───┴─────┴──────────────────────┴────────────┴───────┴──────┴──────┘
"
    );
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", PRINT])),
        "n,s,t,d,l,z,b\n1,\"a,b\",2024-06-01T10:30:00Z,1.02:00:00,\"[1,2]\",,true\n"
    );
    assert_eq!(
        stdout(kql().args(["query", "--format", "json", PRINT])),
        "[\n  {\"n\":1,\"s\":\"a,b\",\"t\":\"2024-06-01T10:30:00Z\",\"d\":\"1.02:00:00\",\"l\":[1,2],\"z\":null,\"b\":true}\n]\n"
    );
    assert_eq!(
        stdout(kql().args(["query", "--format", "ndjson", "datatable(a:long, b:string)[1, 'x', 2, 'y']"])),
        "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n"
    );
    assert_eq!(stdout(kql().args(["query", "--format", "json", "datatable(a:long)[]"])), "[]\n");
    // Self-contained queries need no lake.
    assert_eq!(stdout(kql().args(["query", "--format", "csv", "range x from 1 to 3 step 1"])), "x\n1\n2\n3\n");
}

#[test]
fn several_statements_give_several_results() {
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", "let a = 1; print x = a; print y = a + 1"])),
        "x\n1\n\ny\n2\n"
    );
}

#[test]
fn query_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("q.kql");
    std::fs::write(&file, "print x = 40 + 2\n").expect("write");
    assert_eq!(stdout(kql().args(["query", "--format", "csv", "-f"]).arg(&file)), "x\n42\n");
    assert_eq!(stdout(kql().args(["query", "--format", "csv", "-"]).write_stdin("print y = 'in'")), "y\nin\n");
}

#[test]
fn queries_over_a_lake_with_a_pinned_clock() {
    let out =
        stdout(kql().args(["query", "--format", "csv", "--now", NOW, "--lake"]).arg(lake()).arg(
            "DeviceNetworkEvents | where Timestamp > ago(5d) and RemoteUrl has 'atera.com' | summarize c = count()",
        ));
    let count: u64 = out.lines().nth(1).and_then(|l| l.parse().ok()).expect("a count");
    assert!(count > 0, "{out}");
    // --table registers one file under any name.
    let file = lake().join("DeviceInfo.parquet");
    assert_eq!(
        stdout(
            kql()
                .args(["query", "--format", "csv", "--table"])
                .arg(format!("Devices={}", file.display()))
                .arg("Devices | count")
        ),
        "Count\n30\n"
    );
}

#[test]
fn parquet_output_round_trips_and_needs_a_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.parquet");
    kql()
        .args(["query", "--format", "parquet", "-o"])
        .arg(&out)
        .arg("range x from 1 to 1000 step 1 | extend s = tostring(x)")
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        stdout(
            kql()
                .args(["query", "--format", "csv", "--table"])
                .arg(format!("R={}", out.display()))
                .arg("R | summarize n = count(), m = max(x), l = max(strlen(s))")
        ),
        "n,m,l\n1000,1000,4\n"
    );
    kql()
        .args(["query", "--format", "parquet", "print 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--format parquet needs --output"));
}

#[test]
fn a_failed_output_leaves_no_file_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.csv");
    // Fails while running (abs of the smallest long overflows, as .NET's Math.Abs does).
    kql()
        .args(["query", "--format", "csv", "-o"])
        .arg(&out)
        .arg("range x from 0 to 3 step 1 | extend y = abs(x - 9223372036854775807 - 1)")
        .assert()
        .code(1);
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert!(left.is_empty(), "{left:?}");
    // A successful one appears complete.
    kql().args(["query", "--format", "csv", "-o"]).arg(&out).arg("print a = 1").assert().success();
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "a\n1\n");
}

#[test]
fn query_errors_are_located_and_exit_with_1() {
    kql()
        .args(["query", "T | where x hsa 'y'"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("query:1:13").and(predicate::str::contains("did you mean `has`?")));
    kql().args(["query", "--lake"]).arg(lake()).arg("DeviceNetworkEvent | count").assert().code(1).stderr(
        predicate::str::contains("unknown table `DeviceNetworkEvent`")
            .and(predicate::str::contains("did you mean `DeviceNetworkEvents`?")),
    );
    kql()
        .args(["query", "--lake"])
        .arg(lake())
        .arg("DeviceNetworkEvents | summarize count() by AccountUpn")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("InitiatingProcessAccountUpn").and(predicate::str::contains("1:44")));
}

#[test]
fn data_errors_exit_with_1_and_bad_usage_with_2() {
    kql()
        .args(["query", "--lake", "/no/such/lake", "print 1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/no/such/lake does not exist"));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Broken.parquet"), b"not parquet at all").expect("write");
    kql()
        .args(["query", "--lake"])
        .arg(dir.path())
        .arg("Broken | count")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Broken.parquet"));
    kql()
        .args(["query", "--now", "yesterday", "print 1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not an RFC 3339 time"));
    kql().args(["query", "--memory-limit", "lots", "print 1"]).assert().code(2);
    kql().args(["frobnicate"]).assert().code(2);
    kql().args(["tables"]).assert().code(2).stderr(predicate::str::contains("needs --lake"));
}

#[test]
fn an_empty_lake_is_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(stdout(kql().args(["query", "--format", "csv", "--lake"]).arg(dir.path()).arg("print a = 1")), "a\n1\n");
    assert!(stdout(kql().args(["tables", "--lake"]).arg(dir.path())).starts_with("no tables"));
}

#[test]
fn explain_shows_plans_and_analyze_shows_metrics() {
    let q = "DeviceNetworkEvents | where RemoteUrl has 'atera.com' | count";
    let out = stdout(kql().args(["explain", "--lake"]).arg(lake()).arg(q));
    assert!(out.contains("logical plan:") && out.contains("physical plan:") && out.contains("has("), "{out}");
    let out = stdout(kql().args(["explain", "--analyze", "--lake"]).arg(lake()).arg(q));
    assert!(out.contains("metrics=[output_rows="), "{out}");
}

#[test]
fn check_parses_and_plans() {
    assert_eq!(
        stdout(kql().args(["check", "T | take 1"])),
        "ok: 1 statement(s), no syntax errors, every function known\n"
    );
    // Without a lake a misspelt function is still found, with the name it resembles.
    kql()
        .args(["check", "T | where ipv4_is_privat(RemoteIP)"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown function `ipv4_is_privat()`"))
        .stderr(predicate::str::contains("did you mean `ipv4_is_private()`?"));
    kql()
        .args(["check", "T | extend p = FileProfile(SHA1)"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("function of the Kusto or Defender service"));
    kql().args(["check", "T | take"]).assert().code(1).stderr(predicate::str::contains("query:1:"));
    assert_eq!(
        stdout(kql().args(["check", "--lake"]).arg(lake()).arg("DeviceInfo | take 1")),
        "ok: 1 statement(s), 1 result(s) plan against the tables\n"
    );
    kql()
        .args(["check", "--lake"])
        .arg(lake())
        .arg("DeviceInfo | where NoSuchColumn == 1")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("unknown column or name `NoSuchColumn`"));
}

#[test]
fn tables_lists_files_rows_and_schemas() {
    let out = stdout(kql().args(["tables", "--lake"]).arg(lake()));
    assert!(out.contains("DeviceInfo: 30 rows, 1 file(s)"), "{out}");
    assert!(out.contains("  Timestamp ") && out.contains("datetime"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(kql().args(["tables", "--format", "json", "--lake"]).arg(lake()))).expect("json");
    let tables = json.as_array().expect("an array");
    assert_eq!(tables.len(), 6);
    let info = tables.iter().find(|t| t["name"] == "DeviceInfo").expect("DeviceInfo");
    assert_eq!(info["rows"], 30);
    assert!(
        info["columns"].as_array().is_some_and(|c| c.iter().any(|c| c["name"] == "DeviceId" && c["type"] == "string"))
    );
}

#[test]
fn hunt_runs_the_builtin_rules() {
    let out = stdout(kql().args(["hunt", "--now", NOW, "--lake"]).arg(lake()));
    assert!(out.contains("4 rules: 4 with hits, 0 without, 0 skipped, 0 failed"), "{out}");
    assert!(out.contains("Remote Management and Monitoring tool - Atera - Network Connection ("), "{out}");
    let lines = stdout(kql().args(["hunt", "--format", "ndjson", "--now", NOW, "--lake"]).arg(lake()));
    let objects: Vec<serde_json::Value> = lines.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(objects.len(), 4);
    assert!(objects.iter().all(|o| o["status"] == "hits" && o["rows_scanned"].as_u64().is_some_and(|n| n > 0)));
    let json: serde_json::Value = serde_json::from_str(&stdout(
        kql().args(["hunt", "--format", "json", "--filter", "action1", "--now", NOW, "--lake"]).arg(lake()),
    ))
    .expect("json");
    assert_eq!(json.as_array().map(Vec::len), Some(1));
    // Without the generator's clock nothing is in the window, and the hint says why.
    kql()
        .args(["hunt", "--lake"])
        .arg(lake())
        .assert()
        .success()
        .stderr(predicate::str::contains(format!("add --now {NOW}")));
    kql().args(["hunt", "--now", NOW]).assert().code(2);
}

#[test]
fn hunt_runs_a_rule_folder_with_filters_and_strict_mode() {
    let rules = shared().join("corpus/rmm-tools/rules");
    let out = stdout(
        kql()
            .args(["hunt", "--now", NOW, "--filter", "*_netconn*", "--filter", "atera", "--rules"])
            .arg(&rules)
            .arg("--lake")
            .arg(lake()),
    );
    assert!(out.contains(" rules: "), "{out}");
    assert!(out.contains("failed: ") && out.contains("AccountUpn"), "broken rules are reported: {out}");
    kql()
        .args(["hunt", "--strict", "--now", NOW, "--filter", "Atera", "--rules"])
        .arg(&rules)
        .arg("--lake")
        .arg(lake())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("rule(s) failed"));
    kql()
        .args(["hunt", "--now", NOW, "--filter", "no-such-rule-anywhere", "--lake"])
        .arg(lake())
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no rule matches"));
}

#[test]
fn demo_makes_a_lake_hunts_and_checks_the_ground_truth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lake = dir.path().join("demo");
    let args = ["demo", "--rows", "3000", "--dir"];
    kql()
        .args(args)
        .arg(&lake)
        .assert()
        .success()
        .stdout(predicate::str::contains("ground truth: all 4 hunts returned exactly the planted activity"))
        .stderr(predicate::str::contains("making a demo lake"));
    kql().args(args).arg(&lake).assert().success().stderr(predicate::str::contains("using the demo lake"));
    let occupied = dir.path().join("mine");
    std::fs::create_dir(&occupied).expect("mkdir");
    std::fs::write(occupied.join("notes.txt"), "mine").expect("write");
    kql().args(args).arg(&occupied).assert().code(2).stderr(predicate::str::contains("not empty"));
}

#[test]
fn shell_runs_queries_and_commands_from_stdin() {
    let history = tempfile::NamedTempFile::new().expect("history");
    let script = "print x = 1;\n.format csv\nDeviceInfo\n| count\n\n.schema DeviceInfo\n.now 2024-06-01T12:00:00Z\nprint t = now()\n";
    let out =
        stdout(kql().args(["shell", "--history"]).arg(history.path()).arg("--lake").arg(lake()).write_stdin(script));
    assert!(out.starts_with("┌───┐\n│ x │\n╞═══╡\n│ 1 │\n└───┘\n"), "{out}");
    assert!(out.contains("Count\n30\n"), "{out}");
    assert!(out.contains("DeviceId  string"), "{out}");
    assert!(out.ends_with("t\n2024-06-01T12:00:00Z\n"), "{out}");
}

/// A loopback HTTP server that answers `requests` requests with `body`, then stops.
fn serve_once(body: &'static str, requests: usize) -> String {
    use std::io::{Read as _, Write as _};
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

#[test]
fn externaldata_reads_the_network_only_when_allowed() {
    let base = serve_once("Domain\nevil.example\nbad.example\n", 1);
    let q = format!("externaldata(Domain:string)[@'{base}/feeds/list.txt'] with (format=txt, ignoreFirstRecord=true)");
    kql()
        .args(["query", &q])
        .assert()
        .failure()
        .stderr(predicate::str::contains("--allow-network").and(predicate::str::contains("query:1:")));
    assert_eq!(
        stdout(kql().args(["query", "--allow-network", "--format", "csv", &q])),
        "Domain\nevil.example\nbad.example\n"
    );
}

#[test]
fn externaldata_mirror_and_paths_relative_to_the_query_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mirror = dir.path().join("mirror");
    std::fs::create_dir_all(mirror.join("raw.example.com/lists")).expect("mkdir");
    std::fs::write(mirror.join("raw.example.com/lists/rmm tools.csv"), "Tool,Risk\nAnyDesk,3\nAtera,2\n")
        .expect("write");
    std::fs::create_dir_all(dir.path().join("hunts/feeds")).expect("mkdir");
    std::fs::write(dir.path().join("hunts/feeds/local.csv"), "AnyDesk\n").expect("write");
    let hunt = dir.path().join("hunts/hunt.kql");
    std::fs::write(
        &hunt,
        "let Tools = externaldata(Tool:string, Risk:long)[@'https://raw.example.com/lists/rmm%20tools.csv'] \
         with (format='csv', ignoreFirstRecord=true);\n\
         let Local = externaldata(Tool:string)['feeds/local.csv'];\n\
         Tools | where Tool in (Local) | project Tool, Risk\n",
    )
    .expect("write");
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", "--externaldata-mirror"]).arg(&mirror).arg("-f").arg(&hunt)),
        "Tool,Risk\nAnyDesk,3\n"
    );
    // Without the mirror the URL would need the network.
    kql().arg("query").arg("-f").arg(&hunt).assert().failure().stderr(predicate::str::contains("--allow-network"));
    kql()
        .args(["query", "--externaldata-mirror", "/nonexistent/mirror", "print 1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not a folder"));
}

#[test]
fn query_parameters_come_from_param() {
    let q = "declare query_parameters(n:long = 1, who:string); range x from 1 to 3 step 1 | where x > n | extend who";
    assert_eq!(
        stdout(kql().args(["query", "--format", "csv", "--param", "n=2", "--param", "who=a=b", q])),
        "x,who\n3,a=b\n"
    );
    kql()
        .args(["query", q])
        .assert()
        .failure()
        .stderr(predicate::str::contains("`who` has no value and no default").and(predicate::str::contains("--param")));
    kql().args(["query", "--param", "novalue", "print 1"]).assert().failure().code(2);
}

#[test]
fn blocks_run_each_blank_line_separated_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("hunts.kql");
    std::fs::write(&file, "// first\nprint a = 1\n\n// broken\nprint b =\n\nprint c = ```x\n\ny```\n").expect("write");
    let out = kql().args(["query", "--blocks", "--format", "csv", "-f"]).arg(&file).assert().failure().code(1);
    let output = out.get_output();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "a\n1\n\nc\n\"x\n\ny\"\n");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hunts.kql:5:") && stderr.contains("1 of 3 blocks failed"), "{stderr}");
    // Without --blocks the text is one query, as in Kusto.
    kql().args(["query", "-f"]).arg(&file).assert().failure().stderr(predicate::str::contains("hunts.kql:5:"));
}

#[test]
fn render_ladderchart_draws_a_bar_per_interval_in_lanes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let q = "datatable(Host:string, Phase:string, Start:datetime, End:datetime)[
               'web01', 'logon', datetime(2024-01-01 08:00), datetime(2024-01-01 09:30),
               'web01', 'copy', datetime(2024-01-01 09:00), datetime(2024-01-01 11:00),
               'db02', 'logon', datetime(2024-01-01 10:00), datetime(2024-01-01 10:00),
               'db02', 'gone', datetime(null), datetime(2024-01-01 10:00)]
             | render ladderchart with (title='Sessions')";
    // The data comes out as it is.
    assert_eq!(stdout(kql().args(["query", "--format", "csv", q])).lines().count(), 5);
    let svg = dir.path().join("ladder.svg");
    kql().args(["query", "-o"]).arg(&svg).arg(q).assert().success();
    let text = std::fs::read_to_string(&svg).expect("the chart");
    assert!(text.contains("Sessions"));
    // Three lanes labelled in order of appearance; a row without a start is left out. One
    // rectangle is the plotting area's background, the others are the three bars.
    for lane in ["web01/logon", "web01/copy", "db02/logon"] {
        assert_eq!(text.matches(lane).count(), 1, "{lane} in {text}");
    }
    assert!(!text.contains("db02/gone"));
    assert_eq!(text.matches("<rect").count(), 4, "{text}");
    // The last two columns must be the interval.
    kql()
        .args(["query", "-o"])
        .arg(dir.path().join("bad.svg"))
        .arg("datatable(Start:datetime, Host:string)[datetime(2024-01-01), 'a'] | render ladderchart")
        .assert()
        .failure()
        .stderr(predicate::str::contains("last two columns are each row's start and end"));
}

#[test]
fn render_draws_charts_and_returns_the_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let q = "range t from datetime(2024-01-01) to datetime(2024-01-01T05:00) step 1h \
             | extend Count = hourofday(t) * 2, Host = iff(hourofday(t) % 2 == 0, 'even-host', 'odd-host') \
             | render timechart with (title='Hits per hour', ytitle='hits')";
    // The data still comes out (render describes the result, it does not change it).
    assert_eq!(stdout(kql().args(["query", "--format", "csv", q])).lines().count(), 7);
    let svg = dir.path().join("chart.svg");
    kql().args(["query", "-o"]).arg(&svg).arg(q).assert().success();
    let text = std::fs::read_to_string(&svg).expect("the chart");
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"), "{text}");
    assert!(text.contains("Hits per hour") && text.contains("hits"));
    // One line per series (the string column splits them) and its legend entry.
    assert_eq!(text.matches("stroke-width=\"2\"").count(), 4, "{text}");
    assert!(text.contains("even-host") && text.contains("odd-host"));
    // The same chart as a PNG image: its size, the two series' colored lines, dark text and axes.
    let png = dir.path().join("chart.png");
    kql().args(["query", "-o"]).arg(&png).arg(q).assert().success();
    let bytes = std::fs::read(&png).expect("the image");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    let image = image::load_from_memory(&bytes).expect("a valid PNG").to_rgb8();
    assert_eq!(image.dimensions(), (1000, 600));
    let colored = image.pixels().filter(|p| p.0.iter().max().unwrap_or(&0) - p.0.iter().min().unwrap_or(&0) > 100);
    let mut colors: Vec<[u8; 3]> = colored.map(|p| p.0).collect();
    assert!(colors.len() > 500, "the lines: {} colored pixels", colors.len());
    colors.sort_unstable();
    colors.dedup();
    assert!(colors.len() >= 2, "two series, two colors");
    let dark = image.pixels().filter(|p| p.0.iter().all(|c| *c < 80)).count();
    assert!(dark > 1000, "text and axes: {dark} dark pixels");
    let html = dir.path().join("chart.html");
    kql()
        .args(["query", "-o"])
        .arg(&html)
        .arg("datatable(k:string, v:long)['a', 3, 'b', 5] | render barchart")
        .assert()
        .success();
    let page = std::fs::read_to_string(&html).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg") && page.matches("<rect").count() >= 3);
    kql()
        .args(["query", "-o"])
        .arg(dir.path().join("x.svg"))
        .arg("print 1")
        .assert()
        .failure()
        .stderr(predicate::str::contains("has no `render`"));
    kql()
        .args(["query", "print 1 | render frobchart"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown visualization `frobchart`"));
    kql()
        .args(["query", "print 1 | render table | where true"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("`render` must be the last operator"));
}

//! The whole RMM catalog, the Sentinel copies and the built-in seeds, run over a generated lake
//! in one call each, match the generator's ground truth for every rule; broken rules fail with
//! a location in their file; skipped rules, JSON Lines and the summary say what happened.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kql_engine::KqlContext;
use rmm_rules::{Catalog, Filter, Report, RuleSource, Runner, Status};
use testdata::{Generator, LakeOptions, Manifest, RuleExpectation, write_lake};

fn shared() -> PathBuf {
    let dir = std::env::var_os("KQL_SHARED_DIR")
        .map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"), PathBuf::from);
    assert!(dir.is_dir(), "the shared material is missing: expected {}", dir.display());
    dir
}

struct Lake {
    _dir: tempfile::TempDir,
    ctx: KqlContext,
    manifest: Manifest,
    /// Rows in `DeviceNetworkEvents`.
    network_rows: u64,
}

async fn lake(tables: Option<&[testdata::Table]>) -> Lake {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(21).rows(3_000).devices(40).build().expect("generator");
    write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
    if let Some(keep) = tables {
        for t in testdata::Table::ALL {
            if !keep.contains(&t) {
                std::fs::remove_file(dir.path().join(format!("{}.parquet", t.name()))).expect("remove a table");
            }
        }
    }
    let manifest = generator.manifest();
    let now = testdata::parse_rfc3339(&manifest.generator.now).expect("now");
    let ctx = KqlContext::builder().now(now).build().expect("context");
    ctx.register_lake(dir.path()).await.expect("register");
    let t = testdata::Table::DeviceNetworkEvents;
    let network_rows = generator.background_rows(t) + generator.planted(t).len() as u64;
    Lake { _dir: dir, ctx, manifest, network_rows }
}

/// Checks every result of `report` against the manifest entry named `prefix` + file name.
fn check(report: &Report, manifest: &Manifest, prefix: &str) {
    let expected: BTreeMap<&str, &RuleExpectation> = manifest.rules.iter().map(|r| (r.file.as_str(), r)).collect();
    let mut failures = Vec::new();
    for r in &report.results {
        let file = match &r.rule.source {
            RuleSource::File(p) => p.file_name().expect("a file name").to_string_lossy().into_owned(),
            RuleSource::Builtin(name) => (*name).to_owned(),
            RuleSource::Inline => unreachable!("no inline rules here"),
        };
        let key = format!("{prefix}{file}");
        let Some(rule) = expected.get(key.as_str()) else { panic!("no expectation for {key}") };
        assert_eq!(r.rule.id, rule.id, "{key}");
        let outcome = match &r.status {
            Status::Hits | Status::NoHits => Ok(r.batches.as_slice()),
            Status::Failed(f) => Err(f.render(&r.rule, false)),
            Status::Skipped { missing_tables } => panic!("{key}: skipped, no {missing_tables:?}"),
        };
        let wanted = match rule.status {
            testdata::Status::Hits => "hits",
            testdata::Status::NoHits => "no hits",
            testdata::Status::Broken => "failed",
        };
        if r.status.name() != wanted {
            failures.push(format!("{key}: {} instead of {wanted}", r.status.name()));
        }
        if let Err(e) = testdata::check_result(rule, outcome.as_ref().map(|b| *b).map_err(String::as_str)) {
            failures.push(format!("{key}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{} rules wrong:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_rmm_catalog_matches_the_ground_truth() {
    let lake = lake(None).await;
    let catalog = Catalog::from_dir(shared().join("corpus/rmm-tools/rules")).expect("catalog");
    assert_eq!(catalog.len(), 168);
    assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
    // Every upstream file needs the dataTypes repair, and says so.
    assert!(catalog.iter().all(|r| r.repairs.len() == 1 && r.repairs[0].message.contains("dataTypes")));
    let report = Runner::new(lake.ctx.clone()).run(&catalog).await;
    assert_eq!(report.results.len(), 168);
    check(&report, &lake.manifest, "rmm-tools/rules/");
    let counts = report.counts();
    assert_eq!(counts.hits + counts.no_hits + counts.failed, 168);
    assert!(counts.hits > 50 && counts.failed > 0, "{counts:?}");

    // A rule broken by a column the schema lacks fails at that column's place in its file.
    let atera = report.results.iter().find(|r| r.rule.name.ends_with("Atera - Network Connection")).expect("rule");
    let Status::Failed(f) = &atera.status else { panic!("{:?}", atera.status) };
    let (line, column) = f.location.expect("a location");
    let RuleSource::File(path) = &atera.rule.source else { panic!("a file") };
    let text = std::fs::read_to_string(path).expect("read");
    let at = text.lines().nth(line - 1).expect("the line");
    assert!(at.chars().skip(column - 1).collect::<String>().starts_with("AccountUpn"), "{line}:{column}: {at}");
    assert!(f.error.help().is_some_and(|h| h.contains("InitiatingProcessAccountUpn")), "{:?}", f.error.help());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sentinel_copies_and_the_builtin_seeds_match_the_ground_truth() {
    let lake = lake(None).await;
    let catalog = Catalog::from_dir(shared().join("corpus/sentinel-rmm")).expect("catalog");
    assert_eq!(catalog.len(), 118);
    assert!(catalog.problems().is_empty(), "{:?}", catalog.problems());
    assert_eq!(catalog.iter().filter(|r| !r.repairs.is_empty()).count(), 2, "the two F1 files");
    let report = Runner::new(lake.ctx.clone()).concurrency(3).run(&catalog).await;
    check(&report, &lake.manifest, "sentinel-rmm/");

    // The built-in rules are the published Sentinel rules: same expectations.
    let report = Runner::new(lake.ctx.clone()).run(&Catalog::builtin()).await;
    check(&report, &lake.manifest, "sentinel-rmm/");
    assert_eq!(report.counts().failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_whose_tables_are_absent_are_skipped_and_reports_are_written() {
    let lake = lake(Some(&[testdata::Table::DeviceNetworkEvents])).await;
    let catalog = Catalog::builtin();
    let report = Runner::new(lake.ctx.clone()).max_rows(1).run(&catalog).await;
    let statuses: Vec<_> = report.results.iter().map(|r| r.status.name()).collect();
    assert_eq!(statuses, ["skipped", "hits", "skipped", "skipped"]);
    let Status::Skipped { missing_tables } = &report.results[0].status else { panic!() };
    assert_eq!(missing_tables, &["DeviceFileCertificateInfo"]);
    let netconn = &report.results[1];
    // The time filter prunes nothing in a small lake (one row group): every row is tested.
    assert_eq!(netconn.rows_scanned, lake.network_rows);
    assert!(netconn.row_count >= 1);
    assert_eq!(netconn.truncated(), netconn.row_count > 1);

    let mut out = Vec::new();
    report.write_jsonl(&mut out).expect("jsonl");
    let lines: Vec<serde_json::Value> =
        String::from_utf8(out).expect("utf-8").lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["status"], "hits");
    assert_eq!(lines[1]["id"], "774bb5a8-c93b-4fa1-8ebf-4053b99622ed");
    assert_eq!(lines[1]["rows"].as_array().expect("rows").len(), 1);
    let row = &lines[1]["rows"][0];
    assert!(row["FirstSeen"].as_str().is_some_and(|t| t.ends_with('Z')), "{row}");
    assert!(row["Report"].is_array() && row["Count"].is_u64(), "{row}");
    assert_eq!(lines[0]["missing_tables"][0], "DeviceFileCertificateInfo");

    let summary = report.summary();
    assert!(summary.contains("4 rules: 1 with hits, 0 without, 3 skipped, 0 failed"), "{summary}");
    assert!(summary.contains("skipped: builtin:rmm_Atera_filesig.yaml"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_file_is_reported_and_the_rest_loads_and_runs() {
    let lake = lake(Some(&[testdata::Table::DeviceNetworkEvents])).await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a_bad.yaml"), "id: 1\nname: [unclosed\nquery: |\n  T\n").expect("write");
    std::fs::write(
        dir.path().join("b_good.yaml"),
        "id: 2\nname: Count\nquery: |\n  DeviceNetworkEvents\n  | summarize n = count()\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("c_typo.yaml"),
        "id: 3\nname: Typo\nquery: |\n  DeviceNetworkEvents\n  | where RemoteUrll has 'x'\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a rule").expect("write");
    let catalog = Catalog::from_dir(dir.path()).expect("catalog");
    assert_eq!(catalog.len(), 2);
    assert_eq!(catalog.problems().len(), 1);
    let problem = &catalog.problems()[0];
    assert!(problem.to_string().starts_with(&format!("{}:", dir.path().join("a_bad.yaml").display())), "{problem}");
    assert!(problem.location.is_some_and(|(line, _)| line >= 2), "{problem:?}");

    let report = Runner::new(lake.ctx.clone()).run(&catalog).await;
    assert_eq!(report.results[0].status.name(), "hits");
    let Status::Failed(f) = &report.results[1].status else { panic!("{:?}", report.results[1].status) };
    assert_eq!(f.location, Some((5, 11)), "the typo's place in c_typo.yaml");
    assert!(report.summary().contains("unreadable: "), "{}", report.summary());
    assert_eq!(report.counts().unreadable, 1);

    let only = catalog.filter(&Filter::new().pattern("typo").expect("glob"));
    assert_eq!(only.len(), 1);
}

/// The catalog with shared scans (the default) and with each rule alone: the same status and
/// row count for every rule, the same rows scanned, and the shared path named in the report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_scans_change_nothing_but_the_work() {
    let lake = lake(None).await;
    let catalog = Catalog::from_dir(shared().join("corpus/rmm-tools/rules")).expect("catalog");
    let together = Runner::new(lake.ctx.clone()).run(&catalog).await;
    let alone = Runner::new(lake.ctx.clone()).shared_scans(false).run(&catalog).await;
    assert_eq!(together.results.len(), alone.results.len());
    let mut differ = Vec::new();
    for (t, a) in together.results.iter().zip(&alone.results) {
        if t.status.name() != a.status.name() || t.row_count != a.row_count || t.rows_scanned != a.rows_scanned {
            differ.push(format!(
                "{}: {} {} rows {} scanned, alone {} {} rows {} scanned",
                t.rule.source,
                t.status.name(),
                t.row_count,
                t.rows_scanned,
                a.status.name(),
                a.row_count,
                a.rows_scanned
            ));
        }
        assert!(a.shared_tables.is_empty());
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // (The corpus's network rules name a column DeviceNetworkEvents lacks and fail alike.)
    let shared_rules =
        together.results.iter().filter(|r| r.shared_tables.iter().any(|t| t == "DeviceProcessEvents")).count();
    assert!(shared_rules > 10, "{shared_rules} rules read DeviceProcessEvents through the shared scan");
    let mut out = Vec::new();
    together.write_jsonl(&mut out).expect("jsonl");
    assert!(String::from_utf8_lossy(&out).contains("\"shared_tables\":[\"DeviceProcessEvents\"]"));
}

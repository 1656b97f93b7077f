//! The manifest's expectations hold for the files actually written: every rule's result is
//! recomputed from every row of the Parquet files (background included, so this also proves
//! the background never matches a rule) and compared with the manifest.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

mod common;

use testdata::{Generator, LakeOptions, Status, write_lake};

#[test]
fn manifest_matches_the_written_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let generator = Generator::builder().seed(3).rows(6_000).devices(80).batch_size(1_024).build().expect("generator");
    write_lake(&generator, dir.path(), &LakeOptions::default()).expect("lake");
    common::assert_manifest_matches_files(dir.path());
}

#[test]
fn every_runnable_rule_has_hits_and_broken_rules_say_why() {
    let manifest = Generator::builder().rows(0).build().expect("generator").manifest();
    assert_eq!(manifest.rules.len(), 5 + 168 + 118);
    for rule in &manifest.rules {
        match rule.status {
            Status::Hits => {
                // Pairs of planted events share values, so some groups have several rows.
                assert!(!rule.rows.is_empty(), "{}", rule.file);
            }
            Status::NoHits => panic!("{}: planted activity should make every runnable rule hit", rule.file),
            Status::Broken => assert!(rule.reason.is_some(), "{}", rule.file),
        }
    }
    let counts = |s: Status| manifest.rules.iter().filter(|r| r.status == s).count();
    assert_eq!(counts(Status::Hits), 212);
    assert_eq!(counts(Status::Broken), 79);
    // Multi-row groups exercise min, max, make_set and count.
    assert!(manifest.rules.iter().flat_map(|r| &r.rows).any(|r| r.count > 1 && r.first_seen != r.last_seen));
}

#[test]
fn window_edges_and_near_misses_are_planted() {
    let manifest = Generator::builder().rows(0).build().expect("generator").manifest();
    let atera = manifest.rule("sentinel-rmm/rmm_Atera_netconn.yaml").expect("Atera netconn");
    let urls: Vec<&str> = atera.rows.iter().map(|r| r.keys["RemoteUrl"].as_str()).collect();
    // Upper case matches (has is case-insensitive); glued neighbours and underscores do not.
    assert!(urls.contains(&"ATERA.COM"), "{urls:?}");
    for bad in ["myatera.com", "atera.communitymunity", "atera_com", "éatera.com"] {
        assert!(!urls.iter().any(|u| u.contains(bad)), "{bad} must not match: {urls:?}");
    }
    // Both window edges are inside (between is inclusive).
    let [start, end] = &manifest.rule_window;
    let seen: Vec<&str> = atera.rows.iter().flat_map(|r| [r.first_seen.as_str(), r.last_seen.as_str()]).collect();
    assert!(seen.contains(&start.as_str()) && seen.contains(&end.as_str()), "{seen:?}");
}

//! The embedded rule profiles mirror the rule files in `../shared`: every rule of the catalog
//! has one, with the same id, and every needle it lists is in the rule's text; every tool has
//! planted activity.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::collections::BTreeSet;
use std::path::PathBuf;

use testdata::rules::{Predicate, rules};
use testdata::{Generator, Purpose, Table};

fn shared() -> PathBuf {
    std::env::var_os("KQL_SHARED_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"), PathBuf::from)
}

fn needles(p: &Predicate, out: &mut Vec<String>) {
    match p {
        Predicate::And(ps) | Predicate::Or(ps) => ps.iter().for_each(|q| needles(q, out)),
        Predicate::Has { needles: n, .. } => out.extend(n.iter().cloned()),
        Predicate::Startswith { prefix, .. } => out.push(prefix.clone()),
        Predicate::EqualsCi { value, .. } => out.push(value.clone()),
        Predicate::Isempty(c) => out.push(c.clone()),
    }
}

#[test]
fn every_catalog_rule_has_a_profile_that_mirrors_its_text() {
    let shared = shared();
    assert!(shared.is_dir(), "the shared material is missing at {}", shared.display());
    let profiled: BTreeSet<&str> = rules().iter().map(|r| r.file.as_str()).collect();
    let mut files = Vec::new();
    for (dir, label, ext) in [
        ("seeds", "seeds", "txt"),
        ("corpus/rmm-tools/rules", "rmm-tools/rules", "yaml"),
        ("corpus/sentinel-rmm", "sentinel-rmm", "yaml"),
    ] {
        for e in std::fs::read_dir(shared.join(dir)).expect("corpus dir") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == ext) {
                files.push((format!("{label}/{}", p.file_name().unwrap_or_default().to_string_lossy()), p));
            }
        }
    }
    assert_eq!(files.len(), 5 + 168 + 118);
    for (label, path) in &files {
        assert!(profiled.contains(label.as_str()), "{label} has no profile: rerun testdata/data/extract_rules.py");
        let text = std::fs::read_to_string(path).expect("rule");
        let rule = rules().iter().find(|r| &r.file == label).expect("profile");
        assert!(text.contains(&rule.id), "{label}: id");
        if let Some(p) = &rule.predicate {
            let mut found = Vec::new();
            needles(p, &mut found);
            for n in found {
                assert!(text.contains(&n), "{label}: `{n}` is not in the rule text");
            }
            assert!(text.contains("now(-5d)"), "{label}: the generator assumes a 5-day window");
        }
    }
}

#[test]
fn every_tool_has_planted_activity() {
    let generator = Generator::builder().rows(0).build().expect("generator");
    let tools: BTreeSet<&str> =
        rules().iter().filter_map(|r| r.tool.as_deref()).filter(|t| !t.is_empty() && *t != "_all").collect();
    assert!(tools.len() >= 59, "{} tools", tools.len());
    let mut planted_for = BTreeSet::new();
    for table in Table::ALL {
        for row in generator.planted(table) {
            if let Purpose::Match { rule } = &row.purpose {
                planted_for
                    .insert(rules().iter().find(|r| &r.file == rule).and_then(|r| r.tool.clone()).unwrap_or_default());
            }
        }
    }
    let missing: Vec<&&str> = tools.iter().filter(|t| !planted_for.contains(**t)).collect();
    // DWService's only runnable rule in the corpus is its file signature; it is planted too.
    assert!(missing.is_empty(), "tools without planted activity: {missing:?}");
}

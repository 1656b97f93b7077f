//! Every seed and corpus rule parses and round-trips through `Display`; the rules broken at
//! the source get a located error, pinned in a snapshot.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

mod common;

use std::fmt::Write as _;

#[test]
fn every_corpus_query_parses_and_round_trips_or_is_known_broken() {
    let corpus = common::corpus();
    assert!(corpus.len() >= 5 + 168 + 118, "corpus incomplete: {}", corpus.len());
    let mut broken = String::new();
    let mut ok = 0;
    for (label, text) in &corpus {
        match kql_parser::parse(text) {
            Ok(q) => {
                let printed = q.to_string();
                let again = kql_parser::parse(&printed).unwrap_or_else(|e| {
                    panic!("{label}: canonical form does not parse:\n{printed}\n{}", e.render(&printed))
                });
                assert_eq!(q, again, "{label}: round trip changed the AST:\n{printed}");
                assert_eq!(printed, again.to_string(), "{label}: Display is not a fixpoint");
                ok += 1;
            }
            Err(e) => {
                writeln!(broken, "=== {label}\n{}", e.render(text)).unwrap();
            }
        }
    }
    println!("{ok} of {} parse", corpus.len());
    insta::assert_snapshot!("broken_at_source", broken);
}

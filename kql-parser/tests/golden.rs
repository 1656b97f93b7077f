//! Golden tests as data: each `queries/*.kql` is parsed, round-tripped through `Display`, and
//! its canonical form and AST are snapshotted; each `errors/*.kql` snapshots its rendered error.
//! Add a case by adding a file; `INSTA_UPDATE=always cargo test -p kql-parser` writes its
//! snapshot for review.

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::fs;

#[test]
fn valid_queries() {
    insta::glob!("queries/*.kql", |path| {
        let text = fs::read_to_string(path).expect("read query");
        let q = kql_parser::parse(&text).unwrap_or_else(|e| panic!("{}", e.render(&text)));
        let printed = q.to_string();
        let again = kql_parser::parse(&printed)
            .unwrap_or_else(|e| panic!("canonical form:\n{printed}\n{}", e.render(&printed)));
        assert_eq!(q, again, "round trip changed the AST");
        insta::assert_snapshot!(format!("{printed}\n\n---- AST ----\n{q:#?}"));
    });
}

#[test]
fn error_messages() {
    insta::glob!("errors/*.kql", |path| {
        let text = fs::read_to_string(path).expect("read query");
        let e = kql_parser::parse(&text).expect_err("the query should not parse");
        assert!(e.span.end <= text.len() && e.span.start <= e.span.end, "span out of range");
        insta::assert_snapshot!(format!("{}\n\n{e:#?}", e.render(&text)));
    });
}

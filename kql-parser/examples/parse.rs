//! Parses KQL and prints the canonical form, or the error with a caret.
//!
//! ```text
//! cargo run -p kql-parser --example parse -- query.kql
//! echo 'T | where x has "y"' | cargo run -p kql-parser --example parse
//! ```

#![allow(unused_crate_dependencies)] // dev-dependencies are shared by all test targets

use std::io::Read as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut text = String::new();
    let name = match std::env::args().nth(1) {
        Some(path) => match std::fs::read_to_string(&path) {
            Ok(t) => {
                text = t;
                path
            }
            Err(e) => {
                eprintln!("cannot read {path}: {e}");
                return ExitCode::from(2);
            }
        },
        None => {
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            "<stdin>".to_owned()
        }
    };
    match kql_parser::parse(&text) {
        Ok(q) => {
            println!("{q}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprint!("{}", e.render_named(&text, &name, false));
            ExitCode::FAILURE
        }
    }
}

//! `kql check`: parse a query and report every problem with a caret.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use crate::input;

/// Arguments of `kql check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The query text, or `-` to read it from standard input.
    query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> Result<(), String> {
    let q = input::read(args.query.as_deref(), args.file.as_deref())?;
    match kql_parser::parse(&q.text) {
        Ok(query) => {
            println!("ok: {} statement(s), no syntax errors", query.statements.len());
            Ok(())
        }
        Err(e) => Err(e.render_named(&q.text, &q.name, std::io::stderr().is_terminal())),
    }
}

//! `kql check`: parse a query (and plan it against a lake, or against the documented table
//! schemas, when one is given); report every problem with a caret.

use std::path::PathBuf;

use crate::failure::{CliResult, Failure};
use crate::input;
use crate::query::{interruptible, query_error};
use crate::session::LakeArgs;

/// Arguments of `kql check`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The query text, or `-` to read it from standard input.
    query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    lake: LakeArgs,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let q = input::read(args.query.as_deref(), args.file.as_deref())?;
    let parsed = kql_parser::parse(&q.text).map_err(|e| query_error(&e.into(), &q))?;
    if !args.lake.has_tables() {
        // Without tables only function names can be checked beyond the syntax.
        if let Some(first) = kql_engine::planner::check_function_names(&parsed).into_iter().next() {
            return Err(query_error(&first, &q));
        }
        println!("ok: {} statement(s), no syntax errors, every function known", parsed.statements.len());
        return Ok(());
    }
    let rt = args.lake.runtime()?;
    rt.block_on(interruptible(async {
        let ctx = args.lake.context().await?;
        let plans =
            ctx.plans_with_parameters(&q.text, &args.lake.parameters()).await.map_err(|e| query_error(&e, &q))?;
        println!("ok: {} statement(s), {} result(s) plan against the tables", parsed.statements.len(), plans.len());
        Ok::<(), Failure>(())
    }))
}

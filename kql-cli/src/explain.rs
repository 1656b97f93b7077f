//! `kql explain`: the plans of a query, or with `--analyze` the plan as it ran.

use std::path::PathBuf;

use crate::failure::CliResult;
use crate::input;
use crate::query::{bounded, query_error, run_error};
use crate::session::LakeArgs;

/// Arguments of `kql explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The query text, or `-` to read it from standard input.
    query: Option<String>,
    /// Read the query from a file.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    file: Option<PathBuf>,
    #[command(flatten)]
    lake: LakeArgs,
    /// Run the query and show each operator's rows, times and pruning.
    #[arg(long)]
    analyze: bool,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let q = input::read(args.query.as_deref(), args.file.as_deref())?;
    let rt = args.lake.runtime()?;
    rt.block_on(bounded(args.lake.timeout, async {
        let ctx = args.lake.context().await?;
        let texts = ctx.explain(&q.text, args.analyze).await.map_err(|e| match e.span() {
            Some(_) => query_error(&e, &q),
            None => run_error(&e),
        })?;
        let several = texts.len() > 1;
        for (i, text) in texts.iter().enumerate() {
            if several {
                println!("{}== result {} ==", if i > 0 { "\n" } else { "" }, i + 1);
            }
            print!("{text}");
        }
        Ok(())
    }))
}

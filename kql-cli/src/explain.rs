//! `kql explain`: the plans of a query, or with `--analyze` the plan as it ran.

use std::path::PathBuf;

use datafusion::arrow::array::AsArray as _;
use datafusion::physical_plan::displayable;

use crate::failure::CliResult;
use crate::input;
use crate::query::{interruptible, query_error, run_error};
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
    rt.block_on(interruptible(async {
        let ctx = args.lake.context().await?;
        let frames = ctx.kql_all(&q.text).await.map_err(|e| query_error(&e, &q))?;
        let several = frames.len() > 1;
        for (i, df) in frames.into_iter().enumerate() {
            if several {
                println!("{}== result {} ==", if i > 0 { "\n" } else { "" }, i + 1);
            }
            if args.analyze {
                let batches = df
                    .explain(false, true)
                    .map_err(|e| run_error(&e.into()))?
                    .collect()
                    .await
                    .map_err(|e| run_error(&e.into()))?;
                for b in &batches {
                    let plans = b.column(1).as_string_opt::<i32>();
                    for plan in plans.into_iter().flatten().flatten() {
                        println!("{plan}");
                    }
                }
            } else {
                let logical = df.clone().into_optimized_plan().map_err(|e| run_error(&e.into()))?;
                let physical = df.create_physical_plan().await.map_err(|e| run_error(&e.into()))?;
                println!("logical plan:\n{}\n", logical.display_indent());
                print!("physical plan:\n{}", displayable(physical.as_ref()).indent(true));
            }
        }
        Ok(())
    }))
}

//! `kql gen`: write a generated Defender lake with planted RMM activity and its ground truth, or
//! (with `--schemas`) any documented table with plausible values.

use crate::failure::{CliResult, Failure};

/// Arguments of `kql gen` (the same as the `gen-telemetry` binary's).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    gen_args: testdata::cli::GenArgs,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let summary = args.gen_args.write().map_err(|e| match e {
        testdata::Error::Config(_) => Failure::usage(format!("kql: {e}")),
        other => Failure::query(format!("kql: {other}")),
    })?;
    print!("{summary}");
    Ok(())
}

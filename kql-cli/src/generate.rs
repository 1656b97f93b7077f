//! `kql gen`: write a generated Defender lake with planted RMM activity and its ground truth.

use crate::failure::{CliResult, Failure};

/// Arguments of `kql gen` (the same as the `gen-telemetry` binary's).
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    gen_args: testdata::cli::GenArgs,
}

pub(crate) fn run(args: &Args) -> CliResult {
    let generator = args.gen_args.generator().map_err(|e| Failure::usage(format!("kql: {e}")))?;
    let summary = testdata::write_lake(&generator, &args.gen_args.out, &args.gen_args.lake_options())
        .map_err(|e| Failure::query(format!("kql: {e}")))?;
    print!("{summary}");
    Ok(())
}

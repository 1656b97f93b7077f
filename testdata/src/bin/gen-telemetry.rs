//! `gen-telemetry`: writes a generated Defender lake and its ground-truth manifest.
//!
//! ```text
//! gen-telemetry --out lake --rows 1000000 --seed 42 --now 2024-06-01T12:00:00Z --layout hive
//! ```

// The binary sees the library's dependencies; it uses the library.
#![allow(unused_crate_dependencies)]

use std::process::ExitCode;

use clap::Parser;

/// Generate Microsoft Defender advanced-hunting telemetry as Parquet, with planted RMM activity
/// and a manifest of what each hunting rule must find.
#[derive(Debug, Parser)]
#[command(name = "gen-telemetry", version, about)]
struct Cli {
    #[command(flatten)]
    args: testdata::cli::GenArgs,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.args.write() {
        Ok(summary) => {
            print!("{summary}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-telemetry: {e}");
            ExitCode::FAILURE
        }
    }
}

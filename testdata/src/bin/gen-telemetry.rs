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
    let run = || -> Result<testdata::LakeSummary, testdata::Error> {
        let generator = cli.args.generator()?;
        testdata::write_lake(&generator, &cli.args.out, &cli.args.lake_options())
    };
    match run() {
        Ok(summary) => {
            for t in &summary.tables {
                println!(
                    "{:<28} {:>12} rows {:>4} file(s) {:>10.1} MiB",
                    t.table.name(),
                    t.rows,
                    t.files.len(),
                    t.bytes as f64 / 1048576.0
                );
            }
            let secs = summary.elapsed.as_secs_f64();
            println!(
                "{} rows, {:.1} MiB in {secs:.1} s ({:.0} rows/s); manifest: {}",
                summary.rows(),
                summary.bytes() as f64 / 1048576.0,
                summary.rows() as f64 / secs.max(1e-9),
                summary.manifest.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-telemetry: {e}");
            ExitCode::FAILURE
        }
    }
}

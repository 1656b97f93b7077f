//! `kql`: run KQL hunting queries over Parquet lakes from the command line.

mod check;
mod input;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Run KQL (Kusto Query Language) hunting queries over Parquet telemetry.
#[derive(Debug, Parser)]
#[command(name = "kql", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a query for syntax errors; prints every problem with its line, column and a caret.
    Check(check::Args),
}

/// Exit status for a query or data error (bad usage is 2, from clap).
const QUERY_ERROR: u8 = 1;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(QUERY_ERROR)
        }
    }
}

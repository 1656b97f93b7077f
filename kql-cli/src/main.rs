//! `kql`: run KQL hunting queries over Parquet lakes from the command line.
//!
//! Commands: `query`, `explain`, `check`, `tables`, `hunt`, `gen`, `demo`, `shell`, `serve`,
//! `cluster`. Exit status:
//! 0 on success, 1 on a query or data error (the message on stderr), 2 on bad usage.

// Unit tests see the dev-dependencies meant for the end-to-end tests.
#![cfg_attr(test, allow(unused_crate_dependencies))]

mod chart;
mod check;
mod cluster;
mod demo;
mod explain;
mod failure;
mod generate;
mod hunt;
mod input;
mod ladder;
mod output;
mod query;
mod serve;
mod session;
mod shell;
mod tables;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator: Arrow and Parquet allocate and free large buffers
/// per batch, which glibc's malloc returns to the kernel and takes back (page faults and zeroed
/// pages were a fifth of a catalog run's profile); mimalloc keeps and reuses them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Run KQL (Kusto Query Language) hunting queries, verbatim, over Parquet telemetry.
#[derive(Debug, Parser)]
#[command(name = "kql", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a query (several statements allowed) and print or write its results.
    Query(query::Args),
    /// Show a query's logical and physical plans; with --analyze, run it and show per-operator
    /// rows and times.
    Explain(explain::Args),
    /// Check a query: parse it, and plan it when a lake (or --schemas) is given; every problem is shown with
    /// its line, column and a caret.
    Check(check::Args),
    /// List a lake's tables with their files, row counts and schemas.
    Tables(tables::Args),
    /// Run a catalog of hunting rules (Sentinel YAML) over a lake.
    Hunt(hunt::Args),
    /// Generate a Defender telemetry lake with planted RMM activity and its ground truth.
    Gen(generate::Args),
    /// Make a demo lake and run the built-in hunts on it.
    Demo(demo::Args),
    /// An interactive prompt over a lake.
    Shell(shell::Args),
    /// Serve a lake over the Kusto REST protocol, for Kusto clients (SDKs, Kqlmagic, Kusto
    /// Explorer, the ADX web UI).
    Serve(serve::Args),
    /// Run a node of an Apache Ballista cluster that runs KQL (`--cluster` on the other
    /// commands); needs a kql built with `--features cluster`.
    Cluster(cluster::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Servers keep Rust's default (SIGPIPE ignored): a peer that hangs up must cost one
    // connection, not the process.
    if !matches!(cli.command, Command::Serve(_) | Command::Cluster(_)) {
        restore_sigpipe();
    }
    let result = match &cli.command {
        Command::Query(args) => query::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Check(args) => check::run(args),
        Command::Tables(args) => tables::run(args),
        Command::Hunt(args) => hunt::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Shell(args) => shell::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Cluster(args) => cluster::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!("{}", failure.message);
            }
            ExitCode::from(failure.code)
        }
    }
}

/// `kql ... | head` closes the pipe early: end quietly, like other command-line tools, instead of
/// failing on the next write (Rust ignores SIGPIPE by default).
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

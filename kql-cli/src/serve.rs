//! `kql serve`: the Kusto REST query protocol over a lake (the `kql-server` crate), until
//! Ctrl-C or SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::failure::{CliResult, Failure};
use crate::session::{LakeArgs, parse_duration, parse_size};

/// `kql serve` options.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    lake: LakeArgs,
    /// The address to listen on (port 0: any free port, printed at start). An address other
    /// machines can reach needs --token or --insecure-no-auth.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:8080")]
    bind: SocketAddr,
    /// The database name clients see (default: the lake folder's name).
    #[arg(long, value_name = "NAME")]
    database: Option<String>,
    /// A file holding the bearer token every request must carry (`Authorization: Bearer ...`).
    #[arg(long, value_name = "FILE")]
    token: Option<PathBuf>,
    /// Serve an address other machines can reach without a token.
    #[arg(long)]
    insecure_no_auth: bool,
    /// The most queries run at once; more wait their turn (within their time limit).
    #[arg(long, value_name = "N", default_value_t = 16)]
    max_concurrent: usize,
    /// The most requests that may wait for a turn; more are answered 429 (throttled).
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_queued: usize,
    /// The most rows one result may have, even with `notruncation`.
    #[arg(long, value_name = "N", default_value_t = 10_000_000)]
    max_rows: u64,
    /// The largest request body (e.g. 1MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    max_body: Option<usize>,
    /// The longest a query may run, whatever its `servertimeout` asks (default 10m; --timeout
    /// sets the same bound).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_timeout: Option<Duration>,
}

/// Runs the server until interrupted.
pub(crate) fn run(args: &Args) -> CliResult {
    let Some(lake) = &args.lake.lake else {
        if args.lake.tables.is_empty() {
            return Err(Failure::usage("kql serve: give --lake DIR (or --table NAME=PATH) to serve"));
        }
        return serve(args, args.database.clone().unwrap_or_else(|| "lake".to_owned()));
    };
    let name = args.database.clone().unwrap_or_else(|| {
        let canonical = lake.canonicalize().unwrap_or_else(|_| lake.clone());
        canonical.file_name().map_or_else(|| "lake".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    serve(args, name)
}

fn serve(args: &Args, database: String) -> CliResult {
    let mut config = kql_server::ServerConfig::new(database);
    if let Some(path) = &args.token {
        let token = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("kql serve: cannot read the token file {}: {e}", path.display())))?;
        let token = token.trim();
        if token.is_empty() {
            return Err(Failure::usage(format!("kql serve: the token file {} is empty", path.display())));
        }
        config.token = Some(token.to_owned());
    }
    config.max_concurrent = args.max_concurrent.max(1);
    config.max_queued = args.max_queued;
    config.parameters = args.lake.parameters();
    config.max_rows = args.max_rows;
    if let Some(b) = args.max_body {
        config.max_body_bytes = b;
    }
    if let Some(t) = args.max_timeout.or(args.lake.timeout) {
        config.max_timeout = t;
        config.default_timeout = config.default_timeout.min(t);
    }
    kql_server::check_exposure(args.bind, &config, args.insecure_no_auth)
        .map_err(|m| Failure::usage(format!("kql serve: {m}")))?;
    let rt = args.lake.runtime()?;
    rt.block_on(async {
        let ctx = args.lake.context().await?;
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .map_err(|e| Failure::query(format!("kql serve: cannot listen on {}: {e}", args.bind)))?;
        let addr = listener.local_addr().map_err(|e| Failure::query(format!("kql serve: {e}")))?;
        let auth = match (&config.token, addr.ip().is_loopback()) {
            (Some(_), _) => "bearer token required",
            (None, true) => "no authentication (loopback only)",
            (None, false) => {
                "NO AUTHENTICATION (--insecure-no-auth): anyone who reaches this address can query the lake"
            }
        };
        println!(
            "kql serve: listening on http://{addr} (database {}, {} tables; {auth})",
            config.database,
            ctx.table_names().len()
        );
        let _ = std::io::stdout().flush();
        kql_server::serve(listener, ctx, config, shutdown())
            .await
            .map_err(|e| Failure::query(format!("kql serve: {e}")))
    })
}

/// Completes on Ctrl-C or SIGTERM.
pub(crate) async fn shutdown() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

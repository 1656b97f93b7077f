//! `kql cluster scheduler|executor`: the nodes of an Apache Ballista cluster that runs KQL
//! (`--cluster` on `query`, `hunt`, ...), and the client side of `--cluster`. Built with
//! `--features cluster`; without it each says how to get it.

use std::net::SocketAddr;

use crate::failure::{CliResult, Failure};

/// `kql cluster ...`.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    role: Role,
}

#[derive(Debug, clap::Subcommand)]
enum Role {
    /// Run a scheduler: clients (`--cluster df://HOST:PORT`) submit plans to it, it splits them
    /// into stages for its executors. Stops on Ctrl-C or SIGTERM.
    Scheduler {
        /// The address to listen on (0.0.0.0:50050 for other hosts).
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50050")]
        bind: SocketAddr,
        /// The host name executors and clients reach this scheduler by (default: the bind
        /// address).
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
    },
    /// Run an executor of the scheduler at HOST:PORT: it runs plan stages and serves their
    /// shuffle data to the other executors. Stops on Ctrl-C or SIGTERM.
    Executor {
        /// The scheduler's host and port.
        #[arg(long, value_name = "HOST:PORT", value_parser = parse_host_port)]
        scheduler: (String, u16),
        /// The address to listen on for shuffle data (Arrow Flight).
        #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:50051")]
        bind: SocketAddr,
        /// The port for the scheduler's task launches (gRPC).
        #[arg(long, value_name = "PORT", default_value_t = 50052)]
        grpc_port: u16,
        /// The host name the scheduler and the other executors reach this one by (default: the
        /// bind address).
        #[arg(long, value_name = "HOST")]
        external_host: Option<String>,
        /// Tasks run at once (default: one per core).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        concurrent_tasks: Option<u16>,
        /// Where shuffle files are written (default: a temporary folder).
        #[arg(long, value_name = "DIR")]
        work_dir: Option<std::path::PathBuf>,
    },
}

fn parse_host_port(s: &str) -> Result<(String, u16), String> {
    let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("`{s}` is not HOST:PORT"))?;
    let port = port.parse().map_err(|_| format!("`{port}` is not a port number"))?;
    if host.is_empty() {
        return Err(format!("`{s}` has no host"));
    }
    Ok((host.to_owned(), port))
}

#[cfg(not(feature = "cluster"))]
fn without_feature() -> Failure {
    Failure::usage(
        "kql: this kql was built without cluster support; build it with `cargo build --release -p kql-cli \
         --features cluster`",
    )
}

/// A KQL context whose queries run on the cluster at `url`.
#[cfg(feature = "cluster")]
pub(crate) async fn connect(url: &str, builder: kql_engine::KqlContextBuilder) -> CliResult<kql_engine::KqlContext> {
    kql_cluster::connect_with(url, builder).await.map_err(|e| Failure::query(format!("kql: {e}")))
}

/// Without the feature: the error saying how to get it.
#[cfg(not(feature = "cluster"))]
pub(crate) async fn connect(_url: &str, _builder: kql_engine::KqlContextBuilder) -> CliResult<kql_engine::KqlContext> {
    Err(without_feature())
}

/// Runs a node until Ctrl-C or SIGTERM.
pub(crate) fn run(args: &Args) -> CliResult {
    #[cfg(not(feature = "cluster"))]
    {
        let _ = (&args.role, parse_host_port as fn(&str) -> _);
        Err(without_feature())
    }
    #[cfg(feature = "cluster")]
    {
        let runtime = crate::session::runtime(None)?;
        runtime.block_on(async {
            let node = async {
                match &args.role {
                    Role::Scheduler { bind, external_host } => {
                        println!("kql cluster: scheduler listening on {bind} (clients: --cluster df://{bind})");
                        kql_cluster::run_scheduler(*bind, external_host.as_deref()).await
                    }
                    Role::Executor { scheduler, bind, grpc_port, external_host, concurrent_tasks, work_dir } => {
                        println!(
                            "kql cluster: executor on {bind} (gRPC port {grpc_port}) for the scheduler at {}:{}",
                            scheduler.0, scheduler.1
                        );
                        kql_cluster::run_executor(kql_cluster::ExecutorOptions {
                            scheduler: scheduler.clone(),
                            bind: *bind,
                            grpc_port: *grpc_port,
                            external_host: external_host.clone(),
                            vcores: concurrent_tasks.map(usize::from),
                            work_dir: work_dir.as_ref().map(|d| d.display().to_string()),
                        })
                        .await
                    }
                }
            };
            tokio::select! {
                r = node => r.map_err(|e| Failure::query(format!("kql cluster: {e}"))),
                () = crate::serve::shutdown() => Ok(()),
            }
        })
    }
}

//! A scheduler and executors that carry the KQL engine: each plans and runs with the KQL
//! session ([`crate::kql_state`]) and reads plans with the KQL codecs.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_core::serde::BallistaCodec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use ballista_scheduler::scheduler_server::SessionBuilder;
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use kql_engine::KqlError;

use crate::codec::{KqlLogicalCodec, KqlPhysicalCodec};
use crate::session::{config_producer, kql_state, runtime_producer};

fn session_builder() -> SessionBuilder {
    let runtime = runtime_producer();
    Arc::new(move |config| Ok(kql_state(config.clone(), runtime(&config)?)))
}

fn codec() -> BallistaCodec {
    BallistaCodec::new(Arc::new(KqlLogicalCodec::default()), Arc::new(KqlPhysicalCodec::default()))
}

fn error(what: &str, e: impl std::fmt::Display) -> KqlError {
    KqlError::Internal(format!("{what}: {e}"))
}

/// The scheduler's settings: bound to `bind`, announced to executors as `external_host`
/// (the bind address when none), scheduling by `policy`, with the KQL session, settings and
/// codecs.
fn scheduler_config(bind: SocketAddr, external_host: Option<&str>, policy: TaskSchedulingPolicy) -> SchedulerConfig {
    SchedulerConfig {
        scheduling_policy: policy,
        bind_host: bind.ip().to_string(),
        bind_port: bind.port(),
        external_host: external_host.map_or_else(|| bind.ip().to_string(), str::to_owned),
        override_session_builder: Some(session_builder()),
        override_config_producer: Some(config_producer()),
        override_logical_codec: Some(Arc::new(KqlLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(KqlPhysicalCodec::default())),
        ..SchedulerConfig::default()
    }
}

/// Starts a scheduler on `listener` in the background; its address.
///
/// # Errors
/// When the scheduler cannot start.
pub async fn spawn_scheduler(listener: tokio::net::TcpListener) -> Result<SocketAddr, KqlError> {
    let addr = listener.local_addr().map_err(|e| error("the scheduler's address", e))?;
    // Executors in this process poll for tasks (Ballista's standalone executors).
    let config = Arc::new(scheduler_config(addr, None, TaskSchedulingPolicy::PullStaged));
    let cluster = BallistaCluster::new_memory(config.scheduler_endpoint(), session_builder(), config_producer());
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(|e| error("the scheduler does not start", e))?;
    tokio::spawn(async move {
        if let Err(e) = start_grpc_service_with_listener(listener, scheduler).await {
            eprintln!("kql scheduler: {e}");
        }
    });
    Ok(addr)
}

/// Runs a scheduler on `bind` until the process is stopped.
///
/// # Errors
/// When the address cannot be bound or the scheduler fails.
pub async fn run_scheduler(bind: SocketAddr, external_host: Option<&str>) -> Result<(), KqlError> {
    let config = scheduler_config(bind, external_host, TaskSchedulingPolicy::PushStaged);
    config.validate().map_err(|e| error("scheduler settings", e))?;
    let config = Arc::new(config);
    let listener =
        tokio::net::TcpListener::bind(bind).await.map_err(|e| error(&format!("cannot listen on {bind}"), e))?;
    let cluster = BallistaCluster::new_memory(config.scheduler_endpoint(), session_builder(), config_producer());
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(|e| error("the scheduler does not start", e))?;
    start_grpc_service_with_listener(listener, scheduler).await.map_err(|e| error("the scheduler stopped", e))
}

/// Starts an executor in the background, in this process, registered with the scheduler at
/// `scheduler` (shuffle data on an ephemeral loopback port): what tests and `standalone`
/// clusters use.
///
/// # Errors
/// When the scheduler does not answer or the executor cannot start.
pub async fn spawn_executor(scheduler: SocketAddr, vcores: usize) -> Result<(), KqlError> {
    let url = format!("http://{scheduler}");
    let client =
        SchedulerGrpcClient::connect(url.clone()).await.map_err(|e| error(&format!("no scheduler at {url}"), e))?;
    ballista_executor::new_standalone_executor_from_builder(
        client,
        vcores.max(1),
        config_producer(),
        runtime_producer(),
        codec(),
        Default::default(),
    )
    .await
    .map_err(|e| error("the executor does not start", e))
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's host and port.
    pub scheduler: (String, u16),
    /// The address to listen on; its port serves shuffle data (Arrow Flight).
    pub bind: SocketAddr,
    /// The gRPC port (task launches).
    pub grpc_port: u16,
    /// The host name the other nodes reach this executor by (the bind address when none).
    pub external_host: Option<String>,
    /// Tasks run at once (the machine's cores when none).
    pub vcores: Option<usize>,
    /// Where shuffle files are written (a temporary folder when none).
    pub work_dir: Option<String>,
}

/// Runs an executor until the process is stopped.
///
/// # Errors
/// When the scheduler does not answer or the executor fails.
pub async fn run_executor(options: ExecutorOptions) -> Result<(), KqlError> {
    let mut config = ExecutorProcessConfig {
        scheduler_host: options.scheduler.0,
        scheduler_port: options.scheduler.1,
        bind_host: options.bind.ip().to_string(),
        port: options.bind.port(),
        grpc_port: options.grpc_port,
        external_host: options.external_host,
        work_dir: options.work_dir,
        override_config_producer: Some(config_producer()),
        override_runtime_producer: Some(runtime_producer()),
        override_logical_codec: Some(Arc::new(KqlLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(KqlPhysicalCodec::default())),
        ..ExecutorProcessConfig::default()
    };
    if let Some(n) = options.vcores {
        config.vcores = n.max(1);
    }
    start_executor_process(Arc::new(config)).await.map_err(|e| error("the executor stopped", e))
}

//! Sessions for the three roles: the client that plans KQL ([`connect`], [`standalone`]) and
//! the scheduler and executors that run the plans ([`kql_state`]).

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::{ConfigProducer, RuntimeProducer};
use datafusion::execution::SessionState;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::prelude::{SessionConfig, SessionContext};
use kql_engine::{KqlContext, KqlContextBuilder, KqlError};

use crate::codec::{KqlLogicalCodec, KqlPhysicalCodec};

/// The session settings of every role: the KQL engine's (late materialisation, page indexes),
/// Ballista's, and the codecs that carry the KQL functions and tables.
pub fn kql_config() -> SessionConfig {
    let kql = kql_engine::kql_session_config();
    let mut config = SessionConfig::new_with_ballista()
        .with_information_schema(false)
        .with_ballista_logical_extension_codec(Arc::new(KqlLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(KqlPhysicalCodec::default()))
        // Scans travel as DataFusion's own Parquet scans (their errors do not name the file).
        .with_extension(Arc::new(kql_engine::PlainParquetScans));
    let parquet = &kql.options().execution.parquet;
    let (pushdown, reorder, page_index) =
        (parquet.pushdown_filters, parquet.reorder_filters, parquet.enable_page_index);
    let options = config.options_mut();
    options.execution.parquet.pushdown_filters = pushdown;
    options.execution.parquet.reorder_filters = reorder;
    options.execution.parquet.enable_page_index = page_index;
    config
}

/// The session a scheduler or an executor runs KQL plans with, for a job's `config`.
pub fn kql_state(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> SessionState {
    kql_engine::kql_session_state(config, runtime)
}

/// What a scheduler or an executor makes each job's settings from.
pub(crate) fn config_producer() -> ConfigProducer {
    Arc::new(kql_config)
}

/// What an executor makes each job's runtime from (DataFusion's defaults, the memory cap of
/// the KQL engine).
pub(crate) fn runtime_producer() -> RuntimeProducer {
    Arc::new(|_config: &SessionConfig| {
        let mut runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new();
        if let Some(limit) = kql_engine::default_memory_limit() {
            runtime = runtime.with_memory_limit(limit, 1.0);
        }
        runtime.build_arc()
    })
}

fn client_state() -> SessionState {
    kql_state(kql_config(), Arc::new(RuntimeEnv::default()))
}

fn cluster_error(url: &str, e: impl std::fmt::Display) -> KqlError {
    KqlError::Internal(format!("cannot reach the Ballista scheduler at {url}: {e}"))
}

/// A KQL context whose queries run on the Ballista cluster whose scheduler is at `url`
/// (`df://host:port`). Tables must be at paths every executor and the scheduler can read.
///
/// # Errors
/// A malformed URL or a scheduler that does not answer.
pub async fn connect(url: &str) -> Result<KqlContext, KqlError> {
    connect_with(url, KqlContext::builder()).await
}

/// [`connect`] with the settings of `builder` (clock, documented schemas, `externaldata` rules,
/// `skip_bad_files`; memory and threads are each executor's own).
///
/// # Errors
/// A malformed URL or a scheduler that does not answer.
pub async fn connect_with(url: &str, builder: KqlContextBuilder) -> Result<KqlContext, KqlError> {
    let session = SessionContext::remote_with_state(url, client_state()).await.map_err(|e| cluster_error(url, e))?;
    Ok(builder.build_distributed(session))
}

/// A KQL context on Ballista's standalone mode: a scheduler and an executor in this process
/// (plans go through the same serialization and scheduling as on a cluster).
///
/// # Errors
/// When the in-process scheduler or executor cannot start.
pub async fn standalone() -> Result<KqlContext, KqlError> {
    let session = SessionContext::standalone_with_state(client_state())
        .await
        .map_err(|e| KqlError::Internal(format!("cannot start Ballista's standalone mode: {e}")))?;
    Ok(KqlContext::builder().build_distributed(session))
}

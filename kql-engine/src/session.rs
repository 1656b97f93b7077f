//! The DataFusion sessions KQL runs in: settings, the memory cap, the KQL query planner and
//! the lazily opened lake schema.

use std::sync::Arc;

use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

/// The memory cap of a context built without one: three quarters of the machine's memory
/// (`MemTotal` of `/proc/meminfo`), or none where that is not known. Joins, sorts, windows and
/// aggregations reserve their memory from the pool, so a query that outgrows it (a graph
/// pattern that enumerates billions of paths, say) fails with an error instead of exhausting
/// the machine.
pub fn default_memory_limit() -> Option<usize> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib.saturating_mul(1024) / 4 * 3)
}

/// A runtime with [`default_memory_limit`].
pub(crate) fn default_runtime() -> Arc<datafusion::execution::runtime_env::RuntimeEnv> {
    let mut runtime = RuntimeEnvBuilder::new();
    if let Some(limit) = default_memory_limit() {
        runtime = runtime.with_memory_limit(limit, 1.0);
    }
    runtime.build_arc().unwrap_or_default()
}

/// A session with `config`, `runtime`, DataFusion's defaults and the KQL query planner.
pub(crate) fn kql_session(
    config: SessionConfig,
    runtime: Arc<datafusion::execution::runtime_env::RuntimeEnv>,
) -> SessionContext {
    with_lake_schema(SessionContext::new_with_state(kql_session_state(config, runtime)))
}

/// A DataFusion session state that runs KQL plans: `config`, `runtime`, DataFusion's defaults,
/// the KQL query planner ([`crate::physical::KqlQueryPlanner`]) and the row-group balancing of
/// lake scans. What a process that executes plans made elsewhere (a Ballista scheduler or
/// executor) runs them with.
pub fn kql_session_state(
    config: SessionConfig,
    runtime: Arc<datafusion::execution::runtime_env::RuntimeEnv>,
) -> datafusion::execution::SessionState {
    datafusion::execution::SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(Arc::clone(&runtime))
        .with_default_features()
        .with_query_planner(Arc::new(crate::physical::KqlQueryPlanner))
        .with_physical_optimizer_rule(Arc::new(crate::lake::BalanceRowGroups::new(
            runtime.cache_manager.get_file_metadata_cache(),
        )))
        .build()
}

/// `session` with its default schema wrapped in a [`crate::lake::KqlSchemaProvider`] (its
/// tables kept), so lakes can be registered and opened lazily.
pub(crate) fn with_lake_schema(session: SessionContext) -> SessionContext {
    lake_schema_of(&session);
    session
}

/// The default catalog and schema names of `session`, read in place (`state()` clones the
/// whole session state, a visible share of planning time).
pub(crate) fn default_schema_names(session: &SessionContext) -> (String, String) {
    let state = session.state_ref();
    let guard = state.read();
    let options = &guard.config().options().catalog;
    (options.default_catalog.clone(), options.default_schema.clone())
}

/// The session's default schema as a [`crate::lake::KqlSchemaProvider`], wrapping (and
/// replacing) the one it had the first time.
pub(crate) fn lake_schema_of(session: &SessionContext) -> Arc<crate::lake::KqlSchemaProvider> {
    let (catalog, schema) = default_schema_names(session);
    let catalog = session.catalog(&catalog);
    let inner = catalog.as_ref().and_then(|c| c.schema(&schema));
    if let Some(found) = &inner {
        let any: Arc<dyn std::any::Any + Send + Sync> = Arc::clone(found) as _;
        if let Ok(lake) = any.downcast::<crate::lake::KqlSchemaProvider>() {
            return lake;
        }
    }
    let parquet = session.state_ref().read().default_table_options().parquet.clone();
    let inner = inner.unwrap_or_else(|| Arc::new(datafusion::catalog::MemorySchemaProvider::new()));
    let lake = Arc::new(crate::lake::KqlSchemaProvider::new(inner, session.runtime_env(), parquet));
    if let Some(c) = catalog {
        // Registering a schema replaces the one of that name; it cannot fail for a catalog
        // that holds schemas in memory (the error is DataFusion's for others).
        let _ = c.register_schema(&schema, Arc::clone(&lake) as _);
    }
    lake
}

/// The session settings KQL hunts run best with: filters evaluated inside the Parquet scan
/// (late materialisation, cheapest first) and page indexes used for pruning.
pub fn kql_session_config() -> SessionConfig {
    let mut config = SessionConfig::new().with_information_schema(false);
    let options = config.options_mut();
    options.execution.parquet.pushdown_filters = true;
    options.execution.parquet.reorder_filters = true;
    options.execution.parquet.enable_page_index = true;
    // No predicate cache: the Parquet reader would keep the decoded filter columns of the rows
    // it tests so the projection need not decode them again, but hunts keep few of the rows
    // they test, and decoding those again is cheaper than caching every row (measured: a
    // catalog's shared scans 0.33 -> 0.25 s and 300 -> 195 MB; single hunts and broad filters
    // the same or faster).
    options.execution.parquet.max_predicate_cache_size = Some(0);
    config
}

//! [`KqlContext`]: a DataFusion `SessionContext` that runs KQL.

use std::collections::HashMap;
use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::provider_as_source;
use datafusion::execution::context::SessionContext;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{LogicalPlan, LogicalPlanBuilder, TableSource};
use kql_parser::ast::visit::{Visitor, walk_query};
use kql_parser::ast::{Expr, ExprKind, Literal, NamePattern};

use crate::error::{KqlError, Result};
use crate::planner::{DataRequest, KqlContextProvider, KqlToRel, KqlType, PlannerOptions};

/// One result of a query: the rows to run, and how to draw them when the statement ends with
/// `render`.
#[derive(Debug)]
pub struct KqlResult {
    /// The result, ready to collect, stream or write.
    pub frame: DataFrame,
    /// The `render` of the statement, if any.
    pub visualization: Option<crate::render::Visualization>,
    /// The result's name, when the query gives one (a `fork` leg's `name = (...)` or `| as name`).
    pub name: Option<String>,
}

/// Values of a query's `declare query_parameters`, by name, as text.
pub type QueryParameters = std::collections::BTreeMap<String, String>;

/// How many times planning may stop to read data it needs (one table or bag each).
const MAX_DATA_ROUNDS: usize = 256;

/// The most bytes one `materialize()` keeps in memory (Kusto's cache holds 5 GB per query).
const MATERIALIZE_LIMIT: usize = 5 << 30;
use crate::schemas::DocumentedSchemas;
pub use crate::session::{default_memory_limit, kql_session_config, kql_session_state};
use crate::session::{default_runtime, default_schema_names, kql_session, lake_schema_of, with_lake_schema};

/// Settings for a [`KqlContext`].
#[derive(Clone, Debug, Default)]
pub struct KqlContextBuilder {
    now: Option<i64>,
    schemas: Option<Arc<DocumentedSchemas>>,
    memory_limit: Option<usize>,
    target_partitions: Option<usize>,
    batch_size: Option<usize>,
    externaldata: crate::ExternalDataOptions,
    skip_bad_files: bool,
}

impl KqlContextBuilder {
    /// Leaves unreadable Parquet files (corrupt, truncated, not Parquet) out of their tables
    /// instead of failing the queries that read them; [`KqlContext::skipped_files`] names them.
    pub fn skip_bad_files(mut self, skip: bool) -> Self {
        self.skip_bad_files = skip;
        self
    }

    /// Pins `now()` (nanoseconds since the Unix epoch), like Kusto's `query_now`. Without it
    /// each query reads the wall clock once.
    pub fn now(mut self, nanos: i64) -> Self {
        self.now = Some(nanos);
        self
    }

    /// The documented table schemas ([`DocumentedSchemas`]): string columns they type `dynamic`
    /// are read as `dynamic`, and [`KqlContext::register_documented_tables`] can plan against
    /// them without a lake.
    pub fn documented_schemas(mut self, schemas: DocumentedSchemas) -> Self {
        self.schemas = Some(Arc::new(schemas));
        self
    }

    /// Caps the memory of query execution (bytes); large aggregations spill to disk. Without
    /// it, the cap is three quarters of the machine's memory ([`default_memory_limit`]), so a
    /// query that needs more fails with an error instead of exhausting the machine.
    pub fn memory_limit(mut self, bytes: usize) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// How many partitions execution uses (default: the number of cores).
    pub fn target_partitions(mut self, n: usize) -> Self {
        self.target_partitions = Some(n);
        self
    }

    /// Rows per batch (default 8192).
    pub fn batch_size(mut self, rows: usize) -> Self {
        self.batch_size = Some(rows);
        self
    }

    /// What `externaldata` may read: by default local files under the registered lakes only.
    pub fn externaldata(mut self, options: crate::ExternalDataOptions) -> Self {
        self.externaldata = options;
        self
    }

    /// Builds a context over `session`, a session whose query planner runs plans elsewhere (a
    /// Ballista client session, see the `kql-cluster` crate): its planner is kept (the
    /// processes that run the plans plan the KQL operators, see [`kql_session_state`]). The
    /// clock, documented schemas, `externaldata` rules and `skip_bad_files` apply; the memory
    /// limit, partitions and batch size are the executing processes' own.
    pub fn build_distributed(self, session: SessionContext) -> KqlContext {
        let ctx = KqlContext {
            session: with_lake_schema(session),
            now: self.now,
            schemas: self.schemas,
            externaldata: self.externaldata,
            lakes: Arc::default(),
            distributed: true,
        };
        ctx.lake_schema().set_options(crate::lake::OpenOptions {
            skip_bad_files: self.skip_bad_files,
            schemas: ctx.schemas.clone(),
        });
        ctx
    }

    /// Builds the context.
    ///
    /// # Errors
    /// When the runtime (memory pool, spill directory) cannot be created.
    pub fn build(self) -> Result<KqlContext> {
        let mut config = kql_session_config();
        if let Some(n) = self.target_partitions {
            config = config.with_target_partitions(n.max(1));
        }
        if let Some(b) = self.batch_size {
            config = config.with_batch_size(b.max(1));
        }
        let mut runtime = RuntimeEnvBuilder::new();
        if let Some(limit) = self.memory_limit.or_else(default_memory_limit) {
            runtime = runtime.with_memory_limit(limit, 1.0);
        }
        let runtime = runtime.build_arc()?;
        let ctx = KqlContext {
            session: kql_session(config, runtime),
            now: self.now,
            schemas: self.schemas,
            externaldata: self.externaldata,
            lakes: Arc::default(),
            distributed: false,
        };
        ctx.lake_schema().set_options(crate::lake::OpenOptions {
            skip_bad_files: self.skip_bad_files,
            schemas: ctx.schemas.clone(),
        });
        Ok(ctx)
    }
}

/// A DataFusion session that runs KQL over registered tables.
///
/// ```no_run
/// # async fn demo() -> Result<(), kql_engine::KqlError> {
/// let ctx = kql_engine::KqlContext::new();
/// ctx.register_lake("lake").await?;
/// let df = ctx.kql("DeviceNetworkEvents | where RemoteUrl has 'atera.com' | count").await?;
/// df.show().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct KqlContext {
    session: SessionContext,
    now: Option<i64>,
    schemas: Option<Arc<DocumentedSchemas>>,
    externaldata: crate::ExternalDataOptions,
    /// The folders given to `register_lake` (externaldata may read files under them).
    lakes: Arc<std::sync::Mutex<Vec<std::path::PathBuf>>>,
    /// Whether plans run in other processes ([`KqlContextBuilder::build_distributed`]).
    distributed: bool,
}

impl std::fmt::Debug for KqlContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KqlContext")
            .field("session", &self.session.session_id())
            .field("now", &self.now)
            .field("documented_tables", &self.schemas.as_ref().map_or(0, |s| s.len()))
            .finish()
    }
}

impl Default for KqlContext {
    fn default() -> Self {
        Self::new()
    }
}

impl KqlContext {
    /// A context with the KQL session settings and the wall clock.
    pub fn new() -> Self {
        Self {
            session: kql_session(kql_session_config(), default_runtime()),
            now: None,
            schemas: None,
            externaldata: crate::ExternalDataOptions::default(),
            lakes: Arc::default(),
            distributed: false,
        }
    }

    /// Settings: a pinned `now()`, a memory limit, partitions.
    pub fn builder() -> KqlContextBuilder {
        KqlContextBuilder::default()
    }

    /// Runs KQL over an existing DataFusion session (its tables, functions and settings).
    /// Its query planner becomes [`crate::physical::KqlQueryPlanner`] (DataFusion's, plus the
    /// KQL operators DataFusion has no node for, such as `scan`).
    pub fn from_session(session: SessionContext) -> Self {
        Self {
            session: with_lake_schema(crate::physical::with_kql_planner(&session)),
            now: None,
            schemas: None,
            externaldata: crate::ExternalDataOptions::default(),
            lakes: Arc::default(),
            distributed: false,
        }
    }

    /// Whether plans run in other processes (a cluster, see
    /// [`KqlContextBuilder::build_distributed`]): this process then reads no table rows itself.
    pub fn is_distributed(&self) -> bool {
        self.distributed
    }

    /// The DataFusion session underneath.
    pub fn session(&self) -> &SessionContext {
        &self.session
    }

    /// Pins `now()` for the following queries (`None`: the wall clock).
    pub fn set_now(&mut self, nanos: Option<i64>) {
        self.now = nanos;
    }

    /// The pinned `now()`, if any.
    pub fn now(&self) -> Option<i64> {
        self.now
    }

    /// Uses the documented table schemas from now on (see [`KqlContextBuilder::documented_schemas`]).
    pub fn set_documented_schemas(&mut self, schemas: Option<DocumentedSchemas>) {
        self.schemas = schemas.map(Arc::new);
        let lake = self.lake_schema();
        lake.set_options(crate::lake::OpenOptions { schemas: self.schemas.clone(), ..lake.options() });
    }

    /// The files left out of the Parquet tables opened so far (with
    /// [`KqlContextBuilder::skip_bad_files`]), as (table, file and why), sorted.
    pub fn skipped_files(&self) -> Vec<(String, crate::lake::BadFile)> {
        self.lake_schema().skipped_files()
    }

    /// The session's default schema, which holds the lakes.
    fn lake_schema(&self) -> Arc<crate::lake::KqlSchemaProvider> {
        lake_schema_of(&self.session)
    }

    /// The documented table schemas, if any.
    pub fn documented_schemas(&self) -> Option<&DocumentedSchemas> {
        self.schemas.as_deref()
    }

    /// Registers every documented table that is not registered yet as an empty table with its
    /// documented columns, so queries plan (and run, returning no rows) with no lake: the way
    /// Sentinel validates a query against the published schemas. Returns the names registered.
    ///
    /// # Errors
    /// When no documented schemas are set.
    pub fn register_documented_tables(&self) -> Result<Vec<String>> {
        let Some(schemas) = &self.schemas else {
            return Err(KqlError::Lake("no documented table schemas are loaded".into()));
        };
        let existing = self.table_names();
        let mut added = Vec::new();
        for name in schemas.table_names() {
            if existing.contains(&name) {
                continue;
            }
            let Some(schema) = schemas.arrow_schema(&name) else { continue };
            let table = datafusion::datasource::MemTable::try_new(schema, vec![vec![]])?;
            self.register_table(&name, Arc::new(table))?;
            added.push(name);
        }
        Ok(added)
    }

    /// A registered table's columns as queries see them: name, KQL type, Arrow type.
    ///
    /// # Errors
    /// When no table has that name.
    pub async fn table_columns(
        &self,
        table: &str,
    ) -> Result<Vec<(String, KqlType, datafusion::arrow::datatypes::DataType)>> {
        let provider = self.session.table_provider(TableReference::bare(table)).await?;
        let schema = provider.schema();
        Ok(schema
            .fields()
            .iter()
            .map(|f| {
                let documented = self.schemas.as_ref().and_then(|s| s.kql_type(table, f.name()));
                let t = crate::planner::read_type(f, documented).kql_type();
                (f.name().clone(), t, f.data_type().clone())
            })
            .collect())
    }

    /// Registers a table under its exact (case-sensitive) name.
    ///
    /// # Errors
    /// When a table of that name is already registered.
    pub fn register_table(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        self.session.register_table(TableReference::bare(name), table)?;
        Ok(())
    }

    /// Registers a Parquet file, or a folder of Parquet files (searched recursively, with
    /// `key=value` folders read as hive partition columns), as table `name`.
    ///
    /// # Errors
    /// When the path does not exist, holds no Parquet file, or a file is not valid Parquet.
    pub async fn register_parquet(&self, name: &str, path: impl AsRef<Path>) -> Result<()> {
        self.lake_schema().add_path(name, path.as_ref()).await
    }

    /// Registers every table of a lake folder: each `*.parquet` file is a table named by its
    /// stem, each sub-folder a table named by the folder. Other files (a `manifest.json`, Spark's
    /// `_SUCCESS`) and hidden entries are ignored; an empty folder is a valid, empty lake.
    /// Returns the names.
    ///
    /// Nothing is read but the directory: a table's footers are read the first time a query
    /// names it, and read again when its files change. So an unreadable file fails only the
    /// queries that read its table, with an error naming the file (see
    /// [`KqlContextBuilder::skip_bad_files`]).
    ///
    /// # Errors
    /// When the folder cannot be read or holds a table that is registered already.
    pub async fn register_lake(&self, dir: impl AsRef<Path>) -> Result<Vec<String>> {
        let names = self.lake_schema().add_lake(dir.as_ref())?;
        if let Ok(mut lakes) = self.lakes.lock() {
            lakes.push(dir.as_ref().to_path_buf());
        }
        Ok(names)
    }

    /// Every registered table name, sorted.
    pub fn table_names(&self) -> Vec<String> {
        let (catalog, schema) = default_schema_names(&self.session);
        let mut names =
            self.session.catalog(&catalog).and_then(|c| c.schema(&schema)).map(|s| s.table_names()).unwrap_or_default();
        names.sort();
        names
    }

    /// What `externaldata` may read.
    pub fn externaldata_options(&self) -> &crate::ExternalDataOptions {
        &self.externaldata
    }

    /// Sets what `externaldata` may read (local files under the registered lakes are always
    /// allowed).
    pub fn set_externaldata_options(&mut self, options: crate::ExternalDataOptions) {
        self.externaldata = options;
    }

    /// Plans every result statement of a query.
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn plans(&self, kql: &str) -> Result<Vec<LogicalPlan>> {
        self.plans_with_parameters(kql, &QueryParameters::new()).await
    }

    /// Plans every result statement, with values for the query's `declare query_parameters`
    /// (text, converted to each declared type by the `to*` rules; names not declared are
    /// ignored, as Kusto does).
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql` (a parameter with neither a value nor a
    /// default, or a value that is not of its type, among them).
    pub async fn plans_with_parameters(&self, kql: &str, parameters: &QueryParameters) -> Result<Vec<LogicalPlan>> {
        Ok(self.planned(kql, parameters).await?.into_iter().map(|r| r.plan).collect())
    }

    /// Every result of a query with its visualization (`render`), ready to run.
    ///
    /// ```no_run
    /// # async fn demo(ctx: &kql_engine::KqlContext) -> Result<(), kql_engine::KqlError> {
    /// for result in ctx.results("T | summarize count() by bin(Timestamp, 1h) | render timechart", &Default::default()).await? {
    ///     if let Some(v) = &result.visualization {
    ///         println!("draw a {}", v.kind);
    ///     }
    ///     let batches = result.frame.collect().await?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn results(&self, kql: &str, parameters: &QueryParameters) -> Result<Vec<KqlResult>> {
        let state = self.session.state();
        Ok(self
            .planned(kql, parameters)
            .await?
            .into_iter()
            .map(|r| KqlResult {
                frame: DataFrame::new(state.clone(), r.plan),
                visualization: r.visualization,
                name: r.name,
            })
            .collect())
    }

    async fn planned(&self, kql: &str, parameters: &QueryParameters) -> Result<Vec<crate::planner::PlannedResult>> {
        let query = kql_parser::parse(kql)?;
        let tables = self.resolve(&query).await?;
        let now = self.now.unwrap_or_else(wall_clock);
        let mut options = PlannerOptions::at(now);
        options.parameters.clone_from(parameters);
        let lakes = self.lakes.lock().map(|l| l.clone()).unwrap_or_default();
        options.externaldata = Arc::new(self.externaldata.with_lakes(&lakes));
        // Planning may need data: the bags a `bag_unpack` without an output schema unpacks, the
        // values of a table on the right of `in`. Run what it asks for and plan again (each
        // round answers one request).
        for _ in 0..MAX_DATA_ROUNDS {
            let planner = KqlToRel::new(&tables, options.clone());
            match planner.plan_query_results(&query) {
                Ok(plans) => {
                    return plans
                        .into_iter()
                        .map(|r| Ok(crate::planner::PlannedResult { plan: finish(r.plan)?, ..r }))
                        .collect();
                }
                Err(e) => match planner.take_data_request() {
                    Some(DataRequest::Slots { at, plan }) => {
                        let slots = self.slots_of(plan).await?;
                        options.unpacked.insert(at, slots);
                    }
                    Some(DataRequest::Materialize { key, span, plan }) => {
                        let table = self.materialized(plan, span).await?;
                        options.materialized.insert(key, crate::planner::Materialized(Arc::new(table)));
                    }
                    Some(DataRequest::Values { key, plan }) => {
                        let values = self.values_of(plan).await?;
                        options.values.insert(key, values.map(Arc::new));
                    }
                    None => return Err(e),
                },
            }
        }
        Err(KqlError::Internal(format!(
            "planning needed the data of more than {MAX_DATA_ROUNDS} tables (bag_unpack, in with a table)"
        )))
    }

    /// A `materialize()` argument's rows, in memory; at most [`MATERIALIZE_LIMIT`] bytes (Kusto's
    /// own cache limit), beyond which the query fails with a worded error.
    async fn materialized(
        &self,
        plan: LogicalPlan,
        span: kql_parser::Span,
    ) -> Result<datafusion::datasource::MemTable> {
        use futures::StreamExt as _;
        let schema = Arc::clone(plan.schema().inner());
        let mut stream = DataFrame::new(self.session.state(), plan).execute_stream().await?;
        let mut batches = Vec::new();
        let mut bytes = 0usize;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            bytes += batch.get_array_memory_size();
            if bytes > MATERIALIZE_LIMIT {
                return Err(KqlError::plan(
                    span,
                    format!(
                        "materialize(): the result is over {} GiB, the most a query keeps in memory",
                        MATERIALIZE_LIMIT >> 30
                    ),
                )
                .with_help("filter or summarize the rows before materializing them"));
            }
            batches.push(batch);
        }
        Ok(datafusion::datasource::MemTable::try_new(schema, vec![batches])?)
    }

    /// The distinct non-null values of a plan's one column, or `None` when there are more than
    /// [`crate::planner::MAX_TABLE_VALUES`].
    async fn values_of(&self, plan: LogicalPlan) -> Result<Option<Vec<datafusion::common::ScalarValue>>> {
        use futures::StreamExt as _;
        let mut stream = DataFrame::new(self.session.state(), plan).execute_stream().await?;
        let mut seen = std::collections::HashSet::new();
        let mut values = Vec::new();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let column = batch.column(0);
            for i in 0..column.len() {
                if column.is_null(i) {
                    continue;
                }
                let v = datafusion::common::ScalarValue::try_from_array(column, i)?;
                if seen.insert(v.clone()) {
                    if values.len() == crate::planner::MAX_TABLE_VALUES {
                        return Ok(None);
                    }
                    values.push(v);
                }
            }
        }
        Ok(Some(values))
    }

    /// The slots of the bags a plan's one column holds.
    async fn slots_of(&self, plan: LogicalPlan) -> Result<Vec<(String, KqlType)>> {
        use futures::StreamExt as _;
        let mut stream = DataFrame::new(self.session.state(), plan).execute_stream().await?;
        let mut slots = crate::planner::SlotTypes::default();
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let rows = crate::dynamic::JsonRows::new(batch.column(0))?;
            for i in 0..rows.len() {
                slots.add(&rows.dyn_at(i));
            }
        }
        Ok(slots.finish())
    }

    /// Plans a query: the plan of its last result statement.
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn plan(&self, kql: &str) -> Result<LogicalPlan> {
        let mut plans = self.plans(kql).await?;
        plans.pop().ok_or_else(|| KqlError::Internal("a parsed query always has a result statement".into()))
    }

    /// Runs a query: a DataFrame of its last result statement, to collect, stream, write or
    /// explain.
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn kql(&self, kql: &str) -> Result<DataFrame> {
        self.kql_with_parameters(kql, &QueryParameters::new()).await
    }

    /// Every result of a batch (`;`-separated tabular statements), in order.
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn kql_all(&self, kql: &str) -> Result<Vec<DataFrame>> {
        self.kql_all_with_parameters(kql, &QueryParameters::new()).await
    }

    /// [`Self::kql`] with values for the query's `declare query_parameters`.
    ///
    /// ```no_run
    /// # async fn demo(ctx: &kql_engine::KqlContext) -> Result<(), kql_engine::KqlError> {
    /// let params = [("threshold".to_owned(), "5".to_owned())].into_iter().collect();
    /// let df = ctx
    ///     .kql_with_parameters("declare query_parameters(threshold:long = 10); T | where n > threshold", &params)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn kql_with_parameters(&self, kql: &str, parameters: &QueryParameters) -> Result<DataFrame> {
        let mut frames = self.kql_all_with_parameters(kql, parameters).await?;
        frames.pop().ok_or_else(|| KqlError::Internal("a parsed query always has a result statement".into()))
    }

    /// [`Self::kql_all`] with values for the query's `declare query_parameters`.
    ///
    /// # Errors
    /// A [`KqlError`] locating the problem in `kql`.
    pub async fn kql_all_with_parameters(&self, kql: &str, parameters: &QueryParameters) -> Result<Vec<DataFrame>> {
        let state = self.session.state();
        Ok(self
            .plans_with_parameters(kql, parameters)
            .await?
            .into_iter()
            .map(|p| DataFrame::new(state.clone(), p))
            .collect())
    }

    /// Looks up every table the query may name (tables are found asynchronously, planning is
    /// synchronous).
    async fn resolve(&self, query: &kql_parser::ast::Query) -> Result<ResolvedTables> {
        struct Names {
            names: Vec<String>,
            wildcard: bool,
        }
        impl Visitor for Names {
            fn visit_expr(&mut self, e: &Expr) {
                match &e.kind {
                    ExprKind::Name(n) => self.names.push(n.clone()),
                    ExprKind::Call { name, args } if name.name == "table" => {
                        if let Some(ExprKind::Literal(Literal::String(t))) = args.first().map(|a| &a.value.kind) {
                            self.names.push(t.clone());
                        }
                    }
                    _ => {}
                }
            }
            fn visit_table_pattern(&mut self, _: &NamePattern) {
                self.wildcard = true;
            }
        }
        let mut v = Names { names: Vec::new(), wildcard: false };
        walk_query(&mut v, query);
        let all = self.table_names();
        let wanted: Vec<String> = if v.wildcard { all.clone() } else { v.names };
        let mut tables = HashMap::new();
        for name in wanted {
            if tables.contains_key(&name) || !all.contains(&name) {
                continue;
            }
            let provider = self.session.table_provider(TableReference::bare(name.as_str())).await?;
            tables.insert(name, provider_as_source(provider));
        }
        Ok(ResolvedTables { tables, names: all, schemas: self.schemas.clone() })
    }
}

/// The tables a query names, looked up before planning.
struct ResolvedTables {
    tables: HashMap<String, Arc<dyn TableSource>>,
    names: Vec<String>,
    schemas: Option<Arc<DocumentedSchemas>>,
}

impl KqlContextProvider for ResolvedTables {
    fn get_table_source(&self, name: &str) -> Option<Arc<dyn TableSource>> {
        self.tables.get(name).cloned()
    }
    fn table_names(&self) -> Vec<String> {
        self.names.clone()
    }
    fn documented_type(&self, table: &str, column: &str) -> Option<KqlType> {
        self.schemas.as_ref()?.kql_type(table, column)
    }
}

fn wall_clock() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// The last step of every plan: string columns that may be null read as `""` (a KQL string
/// is never null), and `dynamic` JSON columns are handed out as UTF-8 JSON text in Kusto's
/// rendering, typed with Arrow's canonical `arrow.json` extension type, so results are exactly
/// Kusto's and every Arrow consumer can read them.
fn finish(plan: LogicalPlan) -> Result<LogicalPlan> {
    let schema = Arc::clone(plan.schema());
    let null_string =
        |f: &datafusion::arrow::datatypes::Field| f.is_nullable() && KqlType::of(f.data_type()) == KqlType::String;
    let json = |f: &datafusion::arrow::datatypes::Field| crate::dynamic::is_json_type(f.data_type());
    if !schema.fields().iter().any(|f| null_string(f) || json(f)) {
        return Ok(plan);
    }
    let exprs: Vec<datafusion::logical_expr::Expr> = schema
        .iter()
        .map(|(q, f)| {
            let c = datafusion::logical_expr::Expr::Column(datafusion::common::Column::new(q.cloned(), f.name()));
            if json(f) {
                crate::functions::dynamic::access::dynamic_out(c).alias(f.name())
            } else if null_string(f) {
                crate::planner::non_null_string_expr(c).alias(f.name())
            } else {
                c
            }
        })
        .collect();
    Ok(LogicalPlanBuilder::from(plan).project(exprs)?.build()?)
}

/// Adds `.kql(text)` to DataFusion's `SessionContext`.
pub trait SessionContextExt {
    /// Runs KQL over this session's tables (the wall clock is `now()`).
    fn kql(&self, text: &str) -> impl Future<Output = Result<DataFrame>> + Send;
}

impl SessionContextExt for SessionContext {
    fn kql(&self, text: &str) -> impl Future<Output = Result<DataFrame>> + Send {
        let ctx = KqlContext::from_session(self.clone());
        let text = text.to_owned();
        async move { ctx.kql(&text).await }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn the_default_memory_cap_is_most_of_the_machine() {
        let cap = super::default_memory_limit().expect("/proc/meminfo");
        assert!(cap > 64 << 20, "{cap}");
    }
}

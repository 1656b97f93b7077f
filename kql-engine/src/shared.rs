//! Shared scans: a batch of queries (a hunting catalog) planned together so that a table several
//! of them read is scanned once.
//!
//! Each query is planned and optimized alone; its table scans then carry the filters the
//! optimizer pushed into them. For every table that two or more scans read, all with pushed
//! filters and none of them volatile, one scan reads the union of their columns with the
//! disjunction of their filters and keeps the matching rows in memory (up to a budget); each
//! query's scans of that table are then pointed at those rows. Every scan keeps its own filter
//! above it, so each query sees exactly the rows it would have read from the files: the shared
//! rows are a superset of each scan's rows, and nothing else changes in its plan. A table whose
//! matching rows exceed the budget, or that some scan reads without a filter, is read by each
//! query as before. [`SharedReport`] says which tables were shared and why the others were not.
//!
//! The shared scan tests the rows in one pass where it can: when every scan's filter requires a
//! positive string test on a column (`has`, `has_any`, `contains`, `startswith`, ... as
//! compiled by [`crate::functions::has`]), the needles of all scans that test the same column the
//! same way are merged into one test (one automaton over all of them), and only the rows some
//! merged test accepts are checked against the scans' own filters.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::tree_node::{Transformed, TreeNodeRecursion};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::logical_expr::utils::{conjunction, disjunction};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, TableScanBuilder};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::DataFrame;
use futures::StreamExt;

use crate::context::{KqlContext, KqlResult, QueryParameters};
use crate::error::{KqlError, Result};
use crate::functions::has::{HasUdf, MatchOp};

/// How much a shared scan may keep.
#[derive(Clone, Copy, Debug)]
pub struct SharedScanOptions {
    /// The most bytes of matching rows kept per table; beyond them the table is read by each
    /// query as before.
    pub max_bytes_per_table: usize,
}

impl Default for SharedScanOptions {
    /// 512 MiB per table.
    fn default() -> Self {
        Self { max_bytes_per_table: 512 << 20 }
    }
}

/// What happened to a table the batch reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TablePath {
    /// Read once for `scans` scans; `rows` matched at least one of them.
    Shared {
        /// How many scans (over all queries) read these rows.
        scans: usize,
        /// The rows kept.
        rows: usize,
        /// The rows the shared scan read from the files ([`rows_read`]).
        rows_read: u64,
    },
    /// Read by each scan itself, for this reason.
    Alone(String),
}

/// Which tables a batch shared.
#[derive(Clone, Debug, Default)]
pub struct SharedReport {
    /// Every table a planned query reads, and its path.
    pub tables: BTreeMap<String, TablePath>,
}

impl SharedReport {
    /// Whether `table` was read once for several scans.
    pub fn is_shared(&self, table: &str) -> bool {
        matches!(self.tables.get(table), Some(TablePath::Shared { .. }))
    }

    /// The rows the shared scan of `table` read from its files, if it was shared.
    pub fn rows_read(&self, table: &str) -> Option<u64> {
        match self.tables.get(table) {
            Some(TablePath::Shared { rows_read, .. }) => Some(*rows_read),
            _ => None,
        }
    }
}

/// The rows the leaves of an executed physical plan read from their sources: each leaf's output
/// rows plus the rows a Parquet scan's pushed-down filter read and dropped. With
/// `skip_memory`, leaves over in-memory tables (the rows of a shared scan) are left out. Only
/// scans of sources count: a plan run on a cluster reads nothing in this process (its leaf
/// stands for the remote job) and gives 0.
pub fn rows_read(plan: &dyn ExecutionPlan, skip_memory: bool) -> u64 {
    let children = plan.children();
    if children.is_empty() {
        let Some(source) = plan.downcast_ref::<DataSourceExec>() else { return 0 };
        let in_memory = source.data_source().downcast_ref::<MemorySourceConfig>().is_some();
        if skip_memory && in_memory {
            return 0;
        }
        let Some(metrics) = plan.metrics() else { return 0 };
        let output = metrics.output_rows().unwrap_or(0);
        let pruned = metrics.sum_by_name("pushdown_rows_pruned").map_or(0, |v| v.as_usize());
        return (output + pruned) as u64;
    }
    children.into_iter().map(|c| rows_read(c.as_ref(), skip_memory)).sum()
}

/// One table scan of one planned query.
struct Scan {
    table: String,
    reference: datafusion::common::TableReference,
    columns: Vec<String>,
    filters: Vec<Expr>,
}

fn scans_of(plan: &LogicalPlan) -> Vec<Scan> {
    let mut out = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(s) = node {
            out.push(Scan {
                table: s.table_name.to_string(),
                reference: s.table_name.clone(),
                columns: s.projected_schema.fields().iter().map(|f| f.name().clone()).collect(),
                filters: s.filters.clone(),
            });
        }
        Ok(TreeNodeRecursion::Continue)
    });
    out
}

impl KqlContext {
    /// Plans and prepares a batch of queries with shared scans (see [`crate::shared`]): one
    /// result list (or error) per query, in order, each ready to run as if planned alone, and
    /// the report of which tables were read once for several scans.
    ///
    /// ```no_run
    /// # async fn f(ctx: kql_engine::KqlContext) -> kql_engine::Result<()> {
    /// let hunts = ["DeviceNetworkEvents | where RemoteUrl has 'atera.com'",
    ///              "DeviceNetworkEvents | where RemoteUrl has 'anydesk.com'"];
    /// let (results, report) = ctx.results_shared(&hunts, &Default::default(), Default::default()).await?;
    /// assert!(report.is_shared("DeviceNetworkEvents"));
    /// for r in results { let batches = r?.remove(0).frame.collect().await?; }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Only when a shared scan fails to run (reading a table); a query that does not plan is
    /// an error in its own slot.
    pub async fn results_shared(
        &self,
        queries: &[&str],
        parameters: &QueryParameters,
        options: SharedScanOptions,
    ) -> Result<(Vec<Result<Vec<KqlResult>>>, SharedReport)> {
        let state = self.session().state();
        // Plan and optimize every query, as many at a time as the session has partitions
        // (planning a catalog of rules is CPU work of a millisecond or two per rule).
        let at_once = state.config().target_partitions().max(1);
        // (The jobs own their inputs, so the batch's future stays `Send` for any caller.)
        let jobs: Vec<_> = queries
            .iter()
            .map(|q| {
                let (ctx, q, parameters) = (self.clone(), (*q).to_owned(), parameters.clone());
                async move {
                    tokio::spawn(async move { ctx.planned_and_optimized(&q, &parameters).await })
                        .await
                        .unwrap_or_else(|e| Err(KqlError::Internal(format!("planning a query stopped: {e}"))))
                }
            })
            .collect();
        let planned: Vec<Result<Vec<(KqlResult, LogicalPlan)>>> =
            futures::stream::iter(jobs).buffered(at_once).collect().await;
        // The scans of every table.
        let mut by_table: BTreeMap<String, Vec<Scan>> = BTreeMap::new();
        for p in planned.iter().flatten() {
            for (_, plan) in p {
                for s in scans_of(plan) {
                    by_table.entry(s.table.clone()).or_default().push(s);
                }
            }
        }
        let mut report = SharedReport::default();
        let mut shared: BTreeMap<String, Arc<MemTable>> = BTreeMap::new();
        // The tables' shared scans run at the same time.
        let outcomes = futures::future::join_all(by_table.values().map(|scans| self.share(scans, options))).await;
        for ((table, scans), outcome) in by_table.into_iter().zip(outcomes) {
            let path = match outcome? {
                Ok((mem, rows, rows_read)) => {
                    shared.insert(table.clone(), mem);
                    TablePath::Shared { scans: scans.len(), rows, rows_read }
                }
                Err(why) => TablePath::Alone(why),
            };
            report.tables.insert(table, path);
        }
        // Point the scans of shared tables at the shared rows.
        let results = planned
            .into_iter()
            .map(|p| {
                p.and_then(|list| {
                    list.into_iter()
                        .map(|(r, plan)| {
                            let plan = if shared.is_empty() { plan } else { repoint(plan, &shared)? };
                            Ok(KqlResult { frame: DataFrame::new(state.clone(), plan), ..r })
                        })
                        .collect()
                })
            })
            .collect();
        Ok((results, report))
    }

    /// A query's results, each with its optimized plan.
    async fn planned_and_optimized(
        &self,
        query: &str,
        parameters: &QueryParameters,
    ) -> Result<Vec<(KqlResult, LogicalPlan)>> {
        let state = self.session().state();
        self.results(query, parameters)
            .await?
            .into_iter()
            .map(|r| {
                let plan = state.optimize(r.frame.logical_plan())?;
                Ok((r, plan))
            })
            .collect()
    }

    /// Reads `table` once for `scans`: the shared rows, or why not.
    async fn share(
        &self,
        scans: &[Scan],
        options: SharedScanOptions,
    ) -> Result<std::result::Result<(Arc<MemTable>, usize, u64), String>> {
        if scans.len() < 2 {
            return Ok(Err("read by one scan".into()));
        }
        if scans.iter().any(|s| s.filters.is_empty()) {
            return Ok(Err("a scan reads it without a filter".into()));
        }
        if scans.iter().flat_map(|s| &s.filters).any(Expr::is_volatile) {
            return Ok(Err("a filter is volatile".into()));
        }
        let Ok(provider) = self.session().table_provider(scans[0].reference.clone()).await else {
            return Ok(Err("not a registered table".into()));
        };
        let schema = provider.schema();
        let wanted: BTreeSet<&str> = scans.iter().flat_map(|s| s.columns.iter().map(String::as_str)).collect();
        let indices: Vec<usize> =
            (0..schema.fields().len()).filter(|&i| wanted.contains(schema.field(i).name().as_str())).collect();
        let mut alternatives: Vec<Expr> = Vec::new();
        for s in scans {
            if let Some(c) = conjunction(s.filters.iter().cloned())
                && !alternatives.contains(&c)
            {
                alternatives.push(c);
            }
        }
        let Some(any) = disjunction(alternatives) else { return Ok(Err("no filter".into())) };
        let any = match prefilter(scans) {
            Some(pre) => pre.and(any),
            None => any,
        };
        let reference = scans[0].reference.clone();
        let plan = LogicalPlanBuilder::scan_with_filters(
            reference,
            provider_as_source(provider),
            Some(indices),
            vec![any.clone()],
        )
        .and_then(|b| b.filter(any))
        .and_then(LogicalPlanBuilder::build)?;
        let frame = DataFrame::new(self.session().state(), plan);
        let physical = frame.create_physical_plan().await?;
        let mut stream = datafusion::physical_plan::execute_stream(Arc::clone(&physical), self.session().task_ctx())?;
        let out_schema = stream.schema();
        let (mut batches, mut bytes, mut rows): (Vec<RecordBatch>, usize, usize) = (Vec::new(), 0, 0);
        while let Some(b) = stream.next().await {
            let b = b?;
            bytes += b.get_array_memory_size();
            rows += b.num_rows();
            if bytes > options.max_bytes_per_table {
                return Ok(Err(format!("more than {} bytes match the scans", options.max_bytes_per_table)));
            }
            if b.num_rows() > 0 {
                batches.push(b);
            }
        }
        let parts = self.session().state().config().target_partitions().max(1);
        let mut partitions: Vec<Vec<RecordBatch>> = (0..parts.min(batches.len().max(1))).map(|_| Vec::new()).collect();
        let n = partitions.len();
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % n].push(b);
        }
        Ok(Ok((Arc::new(MemTable::try_new(out_schema, partitions)?), rows, rows_read(physical.as_ref(), false))))
    }
}

/// A positive string test: its column, its kind, and its needles.
type Test = (Expr, MatchOp, Vec<String>);

/// `e` as positive string tests one of which holds whenever `e` holds: a test, or an `or` of
/// such.
fn alternatives(e: &Expr) -> Option<Vec<Test>> {
    match e {
        Expr::BinaryExpr(b) if b.op == datafusion::logical_expr::Operator::Or => {
            let mut out = alternatives(&b.left)?;
            out.extend(alternatives(&b.right)?);
            Some(out)
        }
        Expr::ScalarFunction(call) => {
            let test = call.func.inner().downcast_ref::<HasUdf>()?;
            let op = test.op();
            let column = call.args.first()?;
            (!op.negated && !op.all && matches!(column, Expr::Column(_)))
                .then(|| vec![(column.clone(), op, test.needles().to_vec())])
        }
        _ => None,
    }
}

/// The string tests one of which a scan's filters require: of its filters made of such tests,
/// the one whose shortest needle is longest (a longer term is rarer: `'Chrome Remote Desktop'`
/// rather than `'Google'`), the first of equals.
fn required_tests(filters: &[Expr]) -> Option<Vec<Test>> {
    let shortest = |tests: &Vec<Test>| tests.iter().flat_map(|(_, _, n)| n.iter().map(String::len)).min().unwrap_or(0);
    let mut best: Option<Vec<Test>> = None;
    for tests in filters.iter().filter_map(alternatives) {
        if best.as_ref().is_none_or(|b| shortest(&tests) > shortest(b)) {
            best = Some(tests);
        }
    }
    best
}

/// One test per column and kind with the needles of every scan merged, or-ed: true for every row
/// any scan can accept (each scan requires one of these tests); `None` when some scan requires
/// no string test.
fn prefilter(scans: &[Scan]) -> Option<Expr> {
    let mut merged: Vec<Test> = Vec::new();
    for s in scans {
        for (column, op, needles) in required_tests(&s.filters)? {
            let same =
                |(c, o, _): &&mut Test| *c == column && o.kind == op.kind && o.case_sensitive == op.case_sensitive;
            match merged.iter_mut().find(same) {
                Some((_, _, all)) => {
                    for n in needles {
                        if !all.contains(&n) {
                            all.push(n);
                        }
                    }
                }
                None => merged.push((column, op, needles)),
            }
        }
    }
    disjunction(merged.into_iter().map(|(column, op, needles)| HasUdf::call(op, column, needles)))
}

/// The plan with each scan of a shared table reading the shared rows (its columns found by
/// name, its filters kept).
fn repoint(plan: LogicalPlan, shared: &BTreeMap<String, Arc<MemTable>>) -> Result<LogicalPlan> {
    let out = plan.transform_up_with_subqueries(|node| {
        let LogicalPlan::TableScan(s) = &node else { return Ok(Transformed::no(node)) };
        let Some(mem) = shared.get(&s.table_name.to_string()) else { return Ok(Transformed::no(node)) };
        let schema = datafusion::catalog::TableProvider::schema(mem.as_ref());
        let projection = s
            .projected_schema
            .fields()
            .iter()
            .map(|f| schema.index_of(f.name()))
            .collect::<std::result::Result<Vec<usize>, _>>()?;
        let source = provider_as_source(Arc::clone(mem) as Arc<dyn datafusion::catalog::TableProvider>);
        let scan = TableScanBuilder::new(s.table_name.clone(), source)
            .with_projection(Some(projection))
            .with_filters(s.filters.clone())
            .with_fetch(s.fetch)
            .build()?;
        Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
    })?;
    Ok(out.data)
}

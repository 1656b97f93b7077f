//! Running a catalog over a lake: every rule concurrently, on one shared session.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::collect;
use datafusion::prelude::DataFrame;
use futures::StreamExt;
use kql_engine::{KqlContext, KqlError, SharedReport, SharedScanOptions, rows_read};

use crate::catalog::Catalog;
use crate::report::Report;
use crate::rule::Rule;

/// Runs rules over the tables of a [`KqlContext`].
///
/// Every rule of a run sees the same `now()`: the context's pinned clock, or the wall clock
/// read once when the run starts. Rules run concurrently (by default as many at a time as the
/// machine has cores) on one DataFusion session, so the Parquet footers and page indexes read
/// by one rule are cached for the others. By default the rules are planned together with shared
/// scans ([`KqlContext::results_shared`]): a table several rules read with filters is read once
/// with the disjunction of their filters, and each rule runs over the matching rows with its
/// own filter, so each rule returns exactly what it returns alone; [`RuleResult::shared_tables`]
/// says which of its tables came from a shared scan. [`Runner::shared_scans`] turns this off.
///
/// ```no_run
/// # async fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let ctx = kql_engine::KqlContext::new();
/// ctx.register_lake("lake/").await?;
/// let report = rmm_rules::Runner::new(ctx).run(&rmm_rules::Catalog::builtin()).await;
/// print!("{}", report.summary());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Runner {
    ctx: KqlContext,
    concurrency: usize,
    max_rows: Option<usize>,
    shared_scans: bool,
}

/// What one rule did.
#[derive(Debug)]
pub struct RuleResult {
    /// The rule.
    pub rule: Arc<Rule>,
    /// Hits, no hits, skipped or failed.
    pub status: Status,
    /// The result rows (at most the runner's `max_rows`; see [`RuleResult::truncated`]).
    pub batches: Vec<RecordBatch>,
    /// How many rows the rule returned (all of them, even when `batches` keeps fewer).
    pub row_count: usize,
    /// How many table rows the rule's scans read and tested: the rows of the row groups and
    /// pages that statistics could not skip. Rows skipped by Parquet statistics are not counted.
    /// A table read by a shared scan counts the rows that scan read.
    pub rows_scanned: u64,
    /// The tables this rule read through a shared scan (empty when it read its own).
    pub shared_tables: Vec<String>,
    /// Wall time from planning to the last row.
    pub elapsed: Duration,
}

impl RuleResult {
    /// Whether `batches` holds fewer rows than the rule returned.
    pub fn truncated(&self) -> bool {
        self.batches.iter().map(RecordBatch::num_rows).sum::<usize>() < self.row_count
    }
}

/// The outcome of one rule.
#[derive(Debug)]
pub enum Status {
    /// The rule returned rows.
    Hits,
    /// The rule ran and returned nothing.
    NoHits,
    /// The rule did not run: tables it requires (`requiredDataConnectors`) are not in the lake.
    Skipped {
        /// The absent tables.
        missing_tables: Vec<String>,
    },
    /// The rule could not be planned or run.
    Failed(Failure),
}

impl Status {
    /// `hits`, `no hits`, `skipped` or `failed`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Hits => "hits",
            Self::NoHits => "no hits",
            Self::Skipped { .. } => "skipped",
            Self::Failed(_) => "failed",
        }
    }
}

/// Why a rule failed, located in its file where possible.
#[derive(Debug)]
pub struct Failure {
    /// The engine's error (its span points into the rule's query).
    pub error: KqlError,
    /// The line and column (1-based) of the problem in the rule's file, when known.
    pub location: Option<(usize, usize)>,
}

impl Failure {
    fn new(error: KqlError, rule: &Rule) -> Self {
        let location = error.span().and_then(|s| {
            let lc = s.line_col(&rule.query);
            rule.file_position(lc.line, lc.column)
        });
        Self { error, location }
    }

    /// The error drawn against the rule's query, with the source line and a caret.
    pub fn render(&self, rule: &Rule, color: bool) -> String {
        self.error.render_named(&rule.query, &rule.source.to_string(), color)
    }
}

impl Runner {
    /// A runner over the tables of `ctx`.
    pub fn new(ctx: KqlContext) -> Self {
        let concurrency = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self { ctx, concurrency, max_rows: None, shared_scans: true }
    }

    /// Whether rules are planned together with shared scans (the default) or each alone.
    pub fn shared_scans(mut self, on: bool) -> Self {
        self.shared_scans = on;
        self
    }

    /// How many rules run at a time (at least 1).
    pub fn concurrency(mut self, rules: usize) -> Self {
        self.concurrency = rules.max(1);
        self
    }

    /// Keeps at most this many result rows per rule ([`RuleResult::row_count`] still counts
    /// them all, and [`RuleResult::truncated`] says so).
    pub fn max_rows(mut self, rows: usize) -> Self {
        self.max_rows = Some(rows);
        self
    }

    /// The context the rules run in.
    pub fn context(&self) -> &KqlContext {
        &self.ctx
    }

    /// Runs every rule of the catalog. Results are in catalog order.
    pub async fn run(&self, catalog: &Catalog) -> Report {
        self.run_with(catalog, |_| {}).await
    }

    /// Runs every rule, calling `on_result` as each one finishes (for progress), in completion
    /// order. The report lists results in catalog order.
    pub async fn run_with(&self, catalog: &Catalog, mut on_result: impl FnMut(&RuleResult)) -> Report {
        let started = Instant::now();
        let now = self.ctx.now().unwrap_or_else(wall_clock);
        let mut ctx = self.ctx.clone();
        ctx.set_now(Some(now));
        let tables: Arc<BTreeSet<String>> = Arc::new(ctx.table_names().into_iter().collect());
        let max_rows = self.max_rows;
        let (mut prepared, shared) =
            if self.shared_scans { prepare_shared(&ctx, catalog, &tables).await } else { (Vec::new(), None) };
        let shared = Arc::new(shared.unwrap_or_default());
        let mut slots: Vec<Option<RuleResult>> = (0..catalog.len()).map(|_| None).collect();
        let tasks = catalog.iter().cloned().enumerate().map(|(i, rule)| {
            let (ctx, tables, rule, shared) = (ctx.clone(), Arc::clone(&tables), Arc::new(rule), Arc::clone(&shared));
            let plan = prepared.get_mut(i).and_then(Option::take);
            let handle = tokio::spawn({
                let rule = Arc::clone(&rule);
                async move { run_rule(&ctx, &tables, rule, max_rows, plan, &shared).await }
            });
            async move {
                let started = Instant::now();
                let result = handle.await.unwrap_or_else(|e| RuleResult {
                    status: Status::Failed(Failure {
                        error: KqlError::Internal(format!("running the rule stopped: {e}")),
                        location: None,
                    }),
                    rule,
                    batches: Vec::new(),
                    row_count: 0,
                    rows_scanned: 0,
                    shared_tables: Vec::new(),
                    elapsed: started.elapsed(),
                });
                (i, result)
            }
        });
        let mut results = futures::stream::iter(tasks).buffer_unordered(self.concurrency);
        while let Some((i, result)) = results.next().await {
            on_result(&result);
            slots[i] = Some(result);
        }
        Report {
            now,
            elapsed: started.elapsed(),
            results: slots.into_iter().flatten().collect(),
            problems: catalog.problems().to_vec(),
            remote: self.ctx.is_distributed(),
        }
    }

    /// Runs one rule (with the context's clock, or the wall clock now).
    pub async fn run_rule(&self, rule: &Rule) -> RuleResult {
        let tables: BTreeSet<String> = self.ctx.table_names().into_iter().collect();
        run_rule(&self.ctx, &tables, Arc::new(rule.clone()), self.max_rows, None, &SharedReport::default()).await
    }
}

/// A rule planned in the shared batch: its results, or its planning error.
type Prepared = kql_engine::Result<Vec<kql_engine::KqlResult>>;

/// Plans the runnable rules of `catalog` together with shared scans: per catalog position, the
/// rule's prepared results (none for rules that will be skipped), and the report; nothing when
/// the shared scans could not run (each rule then runs alone and reports its own error).
async fn prepare_shared(
    ctx: &KqlContext,
    catalog: &Catalog,
    tables: &BTreeSet<String>,
) -> (Vec<Option<Prepared>>, Option<SharedReport>) {
    let runnable: Vec<usize> = catalog
        .iter()
        .enumerate()
        .filter(|(_, r)| r.tables().iter().all(|t| tables.contains(*t)))
        .map(|(i, _)| i)
        .collect();
    let rules: Vec<&Rule> = catalog.iter().collect();
    let texts: Vec<&str> = runnable.iter().map(|&i| rules[i].query.as_str()).collect();
    if texts.len() < 2 {
        return (Vec::new(), None);
    }
    let Ok((results, report)) = ctx.results_shared(&texts, &Default::default(), SharedScanOptions::default()).await
    else {
        return (Vec::new(), None);
    };
    let mut prepared: Vec<Option<Prepared>> = (0..catalog.len()).map(|_| None).collect();
    for (i, r) in runnable.into_iter().zip(results) {
        prepared[i] = Some(r);
    }
    (prepared, Some(report))
}

async fn run_rule(
    ctx: &KqlContext,
    tables: &BTreeSet<String>,
    rule: Arc<Rule>,
    max_rows: Option<usize>,
    prepared: Option<Prepared>,
    shared: &SharedReport,
) -> RuleResult {
    let started = Instant::now();
    let missing: Vec<String> = rule.tables().into_iter().filter(|t| !tables.contains(*t)).map(str::to_owned).collect();
    let mut result = RuleResult {
        rule: Arc::clone(&rule),
        status: Status::NoHits,
        batches: Vec::new(),
        row_count: 0,
        rows_scanned: 0,
        shared_tables: Vec::new(),
        elapsed: Duration::ZERO,
    };
    if !missing.is_empty() {
        result.status = Status::Skipped { missing_tables: missing };
        return result;
    }
    let run = match prepared {
        Some(Ok(mut results)) => match results.pop() {
            Some(last) => execute_prepared(ctx, last.frame, shared).await,
            None => Err(KqlError::Internal("a parsed query always has a result statement".into())),
        },
        Some(Err(e)) => Err(e),
        None => execute(ctx, &rule.query).await,
    };
    match run {
        Ok((batches, scanned, shared_tables)) => {
            result.row_count = batches.iter().map(RecordBatch::num_rows).sum();
            result.rows_scanned = scanned;
            result.shared_tables = shared_tables;
            result.status = if result.row_count > 0 { Status::Hits } else { Status::NoHits };
            result.batches = match max_rows {
                Some(limit) => keep_rows(batches, limit),
                None => batches,
            };
        }
        Err(e) => result.status = Status::Failed(Failure::new(e, &rule)),
    }
    result.elapsed = started.elapsed();
    result
}

/// Rows, rows scanned and the tables read through a shared scan.
type Executed = (Vec<RecordBatch>, u64, Vec<String>);

async fn execute(ctx: &KqlContext, query: &str) -> Result<Executed, KqlError> {
    let df = ctx.kql(query).await?;
    let plan = df.create_physical_plan().await?;
    let batches = collect(Arc::clone(&plan), ctx.session().task_ctx()).await?;
    Ok((batches, rows_read(plan.as_ref(), false), Vec::new()))
}

/// Runs a result planned in the shared batch: its own scans count what they read, a shared
/// table counts what the shared scan read.
async fn execute_prepared(ctx: &KqlContext, frame: DataFrame, shared: &SharedReport) -> Result<Executed, KqlError> {
    let mut shared_tables = Vec::new();
    let _ = frame.logical_plan().apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(s) = node {
            let name = s.table_name.to_string();
            if shared.is_shared(&name) && !shared_tables.contains(&name) {
                shared_tables.push(name);
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    // The batch optimized the plan already: only the physical planner runs again.
    let (state, logical) = frame.into_parts();
    let plan = state.query_planner().create_physical_plan(&logical, &state).await?;
    let batches = collect(Arc::clone(&plan), ctx.session().task_ctx()).await?;
    let from_shared: u64 = shared_tables.iter().filter_map(|t| shared.rows_read(t)).sum();
    Ok((batches, rows_read(plan.as_ref(), true) + from_shared, shared_tables))
}

fn keep_rows(batches: Vec<RecordBatch>, limit: usize) -> Vec<RecordBatch> {
    let mut left = limit;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let take = b.num_rows().min(left);
        left -= take;
        out.push(if take == b.num_rows() { b } else { b.slice(0, take) });
    }
    out
}

fn wall_clock() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

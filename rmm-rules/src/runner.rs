//! Running a catalog over a lake: every rule concurrently, on one shared session.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::physical_plan::{ExecutionPlan, collect};
use futures::StreamExt;
use kql_engine::{KqlContext, KqlError};

use crate::catalog::Catalog;
use crate::report::Report;
use crate::rule::Rule;

/// Runs rules over the tables of a [`KqlContext`].
///
/// Every rule of a run sees the same `now()`: the context's pinned clock, or the wall clock
/// read once when the run starts. Rules run concurrently (by default as many at a time as the
/// machine has cores) on one DataFusion session, so the Parquet footers and page indexes read
/// by one rule are cached for the others.
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
    pub rows_scanned: u64,
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
        Self { ctx, concurrency, max_rows: None }
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
        let mut slots: Vec<Option<RuleResult>> = (0..catalog.len()).map(|_| None).collect();
        let tasks = catalog.iter().cloned().enumerate().map(|(i, rule)| {
            let (ctx, tables, rule) = (ctx.clone(), Arc::clone(&tables), Arc::new(rule));
            let handle = tokio::spawn({
                let rule = Arc::clone(&rule);
                async move { run_rule(&ctx, &tables, rule, max_rows).await }
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
        }
    }

    /// Runs one rule (with the context's clock, or the wall clock now).
    pub async fn run_rule(&self, rule: &Rule) -> RuleResult {
        let tables: BTreeSet<String> = self.ctx.table_names().into_iter().collect();
        run_rule(&self.ctx, &tables, Arc::new(rule.clone()), self.max_rows).await
    }
}

async fn run_rule(ctx: &KqlContext, tables: &BTreeSet<String>, rule: Arc<Rule>, max_rows: Option<usize>) -> RuleResult {
    let started = Instant::now();
    let missing: Vec<String> = rule.tables().into_iter().filter(|t| !tables.contains(*t)).map(str::to_owned).collect();
    let mut result = RuleResult {
        rule: Arc::clone(&rule),
        status: Status::NoHits,
        batches: Vec::new(),
        row_count: 0,
        rows_scanned: 0,
        elapsed: Duration::ZERO,
    };
    if !missing.is_empty() {
        result.status = Status::Skipped { missing_tables: missing };
        return result;
    }
    match execute(ctx, &rule.query).await {
        Ok((batches, scanned)) => {
            result.row_count = batches.iter().map(RecordBatch::num_rows).sum();
            result.rows_scanned = scanned;
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

async fn execute(ctx: &KqlContext, query: &str) -> Result<(Vec<RecordBatch>, u64), KqlError> {
    let df = ctx.kql(query).await?;
    let plan = df.create_physical_plan().await?;
    let batches = collect(Arc::clone(&plan), ctx.session().task_ctx()).await?;
    Ok((batches, rows_scanned(plan.as_ref())))
}

/// The rows the leaves of a plan produced, plus the rows a Parquet scan's pushed-down filter
/// read and dropped.
fn rows_scanned(plan: &dyn ExecutionPlan) -> u64 {
    let children = plan.children();
    if children.is_empty() {
        let Some(metrics) = plan.metrics() else { return 0 };
        let output = metrics.output_rows().unwrap_or(0);
        let pruned = metrics.sum_by_name("pushdown_rows_pruned").map_or(0, |v| v.as_usize());
        return (output + pruned) as u64;
    }
    children.into_iter().map(|c| rows_scanned(c.as_ref())).sum()
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

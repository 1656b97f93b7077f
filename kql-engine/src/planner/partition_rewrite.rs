//! `partition hint.strategy=native|shuffle by K (subquery)` run once over every row, for the
//! subqueries whose operators have a per-partition form: the key rides along in a hidden
//! column, row-wise operators keep it, `summarize`, `count`, `distinct` and `make-series` group
//! by it too, and `top` and `take` keep their first rows per key (a window numbering each key's
//! rows). The result equals the union of the subquery run on each key's rows (the order of rows
//! across partitions is unspecified, as in Kusto). Other operators fall back to one branch per
//! value ([`super::partition`]).

use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{Expr as DfExpr, ExprFunctionExt as _, LogicalPlan, LogicalPlanBuilder, SortExpr, lit};
use kql_parser::ast::{Expr, ExprKind, NamePattern, NamedExpr, Operator, OperatorKind, Summarize};

use super::expr::ExprCtx;
use super::tabular::df;
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::Result;

/// The hidden key column (no query can write this name).
const PART: &str = "__kql_partition";

fn named(name: &str, span: kql_parser::Span) -> NamedExpr {
    NamedExpr { names: Vec::new(), expr: Expr { kind: ExprKind::Name(name.to_owned()), span }, span }
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    /// The partitioned subquery as one plan, or `None` when an operator has no per-partition
    /// form here.
    pub(crate) fn partition_rewrite(
        &self,
        input: LogicalPlan,
        key: &str,
        ops: &[Operator],
        scope: &Scope,
        depth: usize,
    ) -> Result<Option<LogicalPlan>> {
        if column_names(input.schema()).iter().any(|c| c == PART) {
            return Ok(None);
        }
        let exprs =
            column_names(input.schema()).iter().map(|c| col(c)).chain([col(key).alias(PART)]).collect::<Vec<_>>();
        let mut plan =
            LogicalPlanBuilder::from(input).project(exprs).and_then(LogicalPlanBuilder::build).map_err(df)?;
        // The order a `take` keeps rows in: the last `sort`'s.
        let mut order: Vec<SortExpr> = Vec::new();
        for op in ops {
            let span = op.span;
            plan = match &op.kind {
                OperatorKind::Where(_)
                | OperatorKind::Extend(_)
                | OperatorKind::Parse(_)
                | OperatorKind::ParseKv(_)
                | OperatorKind::MvExpand(_)
                | OperatorKind::ProjectRename(_)
                | OperatorKind::ProjectReorder(_)
                | OperatorKind::ProjectAway(_) => self.operator(plan, op, scope, depth)?,
                OperatorKind::Serialize(cols) if cols.is_empty() => plan,
                OperatorKind::Project(cols) => {
                    let mut cols = cols.clone();
                    cols.push(named(PART, span));
                    self.project(plan, &cols, scope, depth)?
                }
                OperatorKind::ProjectKeep(patterns) => {
                    let mut patterns = patterns.clone();
                    patterns.push(NamePattern { pattern: PART.to_owned(), span });
                    self.project_keep(plan, &patterns)?
                }
                OperatorKind::Summarize(s) => {
                    let mut s: Summarize = s.clone();
                    s.by.insert(0, named(PART, span));
                    order.clear();
                    self.summarize(plan, &s, scope, depth)?
                }
                OperatorKind::Count => {
                    order.clear();
                    let counted = LogicalPlanBuilder::from(plan)
                        .aggregate(
                            vec![col(PART)],
                            vec![datafusion::functions_aggregate::count::count(lit(1i64)).alias("Count")],
                        )
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?;
                    LogicalPlanBuilder::from(counted)
                        .project(vec![col("Count"), col(PART)])
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?
                }
                OperatorKind::Distinct(d) if !d.columns.is_empty() => {
                    let mut d = d.clone();
                    d.columns.push(named(PART, span));
                    order.clear();
                    self.distinct(plan, &d, scope, depth)?
                }
                OperatorKind::Distinct(d) => {
                    order.clear();
                    self.distinct(plan, d, scope, depth)?
                }
                OperatorKind::Sort(keys) => {
                    let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
                    order = keys.iter().map(|k| self.sort_expr(k, &ctx)).collect::<Result<Vec<_>>>()?;
                    self.operator(plan, op, scope, depth)?
                }
                OperatorKind::Top(t) => {
                    let n = self.constant_long(&t.count, scope, "the number of rows of `top`")?.max(0);
                    let ctx = ExprCtx { schema: plan.schema(), scope, depth, filter: false };
                    order = vec![self.sort_expr(&t.key, &ctx)?];
                    let first = self.first_per_partition(plan, &order, n)?;
                    LogicalPlanBuilder::from(first)
                        .sort(order.clone())
                        .and_then(LogicalPlanBuilder::build)
                        .map_err(df)?
                }
                OperatorKind::Scan(s) => self.scan(plan, s, scope, depth, Some(PART))?,
                OperatorKind::Take(n) => {
                    let n = self.constant_long(n, scope, "the number of rows of `take`")?.max(0);
                    self.first_per_partition(plan, &order, n)?
                }
                _ => return Ok(None),
            };
            if !column_names(plan.schema()).iter().any(|c| c == PART) {
                return Ok(None);
            }
        }
        let kept: Vec<DfExpr> =
            column_names(plan.schema()).into_iter().filter(|c| c != PART).map(|c| col(&c)).collect();
        LogicalPlanBuilder::from(plan).project(kept).and_then(LogicalPlanBuilder::build).map_err(df).map(Some)
    }

    /// The first `n` rows of each partition in `order` (any rows when there is no order).
    fn first_per_partition(&self, plan: LogicalPlan, order: &[SortExpr], n: i64) -> Result<LogicalPlan> {
        const RANK: &str = "__kql_partition_row";
        let names = column_names(plan.schema());
        let numbered =
            row_number().partition_by(vec![col(PART)]).order_by(order.to_vec()).build().map_err(df)?.alias(RANK);
        LogicalPlanBuilder::from(plan)
            .window(vec![numbered])
            .and_then(|b| b.filter(col(RANK).lt_eq(lit(n))))
            .and_then(|b| b.project(names.iter().map(|c| col(c))))
            .and_then(LogicalPlanBuilder::build)
            .map_err(df)
    }
}

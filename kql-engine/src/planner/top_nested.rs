//! `top-nested` (top-nested-operator.md): level by level, the input is aggregated by the values
//! of this level and every level above (the same code as `summarize`), the values are ranked
//! within their parent by the aggregate (largest first, `asc` smallest first; ties broken
//! arbitrarily), the first N kept, and only the children of kept parents stay. Columns: each
//! level's value and its aggregate (`aggregated_<name>` unless named), level after level.
//! `with others = v` adds per kept parent a row valued `v` aggregating the rows the level did not
//! keep, deeper levels empty.

use datafusion::common::{Column, NullEquality};
use datafusion::functions_window::expr_fn as win;
use datafusion::logical_expr::{
    Expr as DfExpr, ExprFunctionExt, JoinType, LogicalPlan, LogicalPlanBuilder, SortExpr, lit,
};
use kql_parser::ast::{Expr, ExprKind, Ident, NamedExpr, SortOrder, Summarize, TopNestedClause};

use super::expr::ExprCtx;
use super::names::Namer;
use super::tabular::{build, df};
use super::{KqlContextProvider, KqlToRel, Scope, col, column_names};
use crate::error::{KqlError, Result};

fn key(i: usize) -> String {
    format!("__kql_tn_key{i}")
}
fn aggregate(i: usize) -> String {
    format!("__kql_tn_agg{i}")
}

impl<P: KqlContextProvider> KqlToRel<'_, P> {
    pub(super) fn top_nested(
        &self,
        input: LogicalPlan,
        clauses: &[TopNestedClause],
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let mut counts = Vec::with_capacity(clauses.len());
        for c in clauses {
            counts.push(match &c.count {
                Some(n) => {
                    let n = self.constant_long(n, scope, "the count of top-nested")?;
                    Some(u64::try_from(n).map_err(|_| KqlError::plan(c.span, "the count of top-nested is negative"))?)
                }
                None => None,
            });
        }
        // Each level's value as a column, beside the input's.
        let ctx = ExprCtx { schema: input.schema(), scope, depth, filter: false };
        let mut exprs: Vec<DfExpr> = input.schema().columns().into_iter().map(DfExpr::Column).collect();
        let mut namer = Namer::default();
        let mut names = Vec::with_capacity(clauses.len());
        for (i, c) in clauses.iter().enumerate() {
            exprs.push(self.expr(&c.of.expr, &ctx)?.alias(key(i)));
            let name = self.output_name(&c.of, &mut namer)?;
            let agg_name = match c.by.names.as_slice() {
                [n] => n.name.clone(),
                _ => namer.unique(&format!("aggregated_{name}")),
            };
            names.push((name, agg_name));
        }
        let keyed = build(LogicalPlanBuilder::from(input).project(exprs).map_err(df)?)?;

        let mut result: Option<LogicalPlan> = None;
        let mut others_rows: Vec<(usize, LogicalPlan)> = Vec::new();
        for (i, c) in clauses.iter().enumerate() {
            let span = c.span;
            let by: Vec<NamedExpr> = (0..=i)
                .map(|j| NamedExpr {
                    names: vec![Ident { name: key(j), span }],
                    expr: Expr { kind: ExprKind::Name(key(j)), span },
                    span,
                })
                .collect();
            let agg = NamedExpr { names: vec![Ident { name: aggregate(i), span }], expr: c.by.expr.clone(), span };
            let summarize = Summarize { params: Vec::new(), aggregates: vec![agg], by, span };
            let mut level = self.summarize(keyed.clone(), &summarize, scope, depth)?;
            if let Some(n) = counts[i] {
                let parents: Vec<DfExpr> = (0..i).map(|j| col(&key(j))).collect();
                let asc = c.order == Some(SortOrder::Asc);
                let order = vec![SortExpr::new(col(&aggregate(i)), asc, !asc)];
                let rank = win::row_number().partition_by(parents).order_by(order).build().map_err(df)?;
                let with_rank =
                    build(LogicalPlanBuilder::from(level).window(vec![rank.alias("__kql_tn_rank")]).map_err(df)?)?;
                let kept =
                    build(LogicalPlanBuilder::from(with_rank).filter(col("__kql_tn_rank").lt_eq(lit(n))).map_err(df)?)?;
                let columns: Vec<DfExpr> =
                    column_names(kept.schema()).iter().filter(|c| *c != "__kql_tn_rank").map(|c| col(c)).collect();
                level = build(LogicalPlanBuilder::from(kept).project(columns).map_err(df)?)?;
            }
            // `with others = v`: per kept parent, the aggregate of the rows whose value this
            // level did not keep, as one row valued `v` (deeper levels empty).
            if let (Some(others), Some(_)) = (&c.others, counts[i]) {
                let rest = self.top_nested_others(&keyed, &level, result.as_ref(), c, i, others, scope, depth)?;
                others_rows.push((i, rest));
            }
            result = Some(match result {
                None => level,
                Some(parents) => under_parents(parents, level, i)?,
            });
        }
        let mut result = result.ok_or_else(|| KqlError::Internal("top-nested without a clause".into()))?;
        if !others_rows.is_empty() {
            // Each level's others rows, with the deeper levels empty, after the kept paths.
            let levels = clauses.len();
            let mut parts = vec![result];
            for (i, rows) in others_rows {
                let schema = std::sync::Arc::clone(parts[0].schema());
                let mut exprs: Vec<DfExpr> = Vec::new();
                for j in 0..levels {
                    for name in [key(j), aggregate(j)] {
                        if j <= i {
                            exprs.push(col(&name));
                        } else {
                            let t = schema.field_with_unqualified_name(&name).map_err(df)?.data_type().clone();
                            exprs.push(
                                datafusion::logical_expr::cast(lit(datafusion::common::ScalarValue::Null), t)
                                    .alias(name),
                            );
                        }
                    }
                }
                parts.push(build(LogicalPlanBuilder::from(rows).project(exprs).map_err(df)?)?);
            }
            let mut union = LogicalPlanBuilder::from(parts.remove(0));
            for p in parts {
                union = union.union(p).map_err(df)?;
            }
            result = build(union)?;
        }
        let out: Vec<DfExpr> = names
            .iter()
            .enumerate()
            .flat_map(|(i, (name, agg))| [col(&key(i)).alias(name), col(&aggregate(i)).alias(agg)])
            .collect();
        build(LogicalPlanBuilder::from(result).project(out).map_err(df)?)
    }

    /// The others row of level `i` for each kept parent: the aggregate over the rows whose
    /// level-`i` value is not among `kept`, valued `others`, beside the parents' columns.
    #[allow(clippy::too_many_arguments)]
    fn top_nested_others(
        &self,
        keyed: &LogicalPlan,
        kept: &LogicalPlan,
        parents: Option<&LogicalPlan>,
        c: &TopNestedClause,
        i: usize,
        others: &Expr,
        scope: &Scope,
        depth: usize,
    ) -> Result<LogicalPlan> {
        let span = c.span;
        let keys: Vec<Column> = (0..=i).map(|j| Column::from_name(key(j))).collect();
        let kept_keys = build(
            LogicalPlanBuilder::from(kept.clone()).project(keys.iter().cloned().map(DfExpr::Column)).map_err(df)?,
        )?;
        let rest = build(
            LogicalPlanBuilder::from(keyed.clone())
                .join_detailed(
                    kept_keys,
                    JoinType::LeftAnti,
                    (keys.clone(), keys.clone()),
                    None,
                    NullEquality::NullEqualsNull,
                )
                .map_err(df)?,
        )?;
        let by: Vec<NamedExpr> = (0..i)
            .map(|j| NamedExpr {
                names: vec![Ident { name: key(j), span }],
                expr: Expr { kind: ExprKind::Name(key(j)), span },
                span,
            })
            .collect();
        let agg = NamedExpr { names: vec![Ident { name: aggregate(i), span }], expr: c.by.expr.clone(), span };
        let summarize = Summarize { params: Vec::new(), aggregates: vec![agg], by, span };
        let summed = self.summarize(rest, &summarize, scope, depth)?;
        // The others value, as the level's type.
        let ctx = ExprCtx { schema: summed.schema(), scope, depth, filter: false };
        let value = self.expr(others, &ctx)?;
        let key_type = keyed.schema().field_with_unqualified_name(&key(i)).map_err(df)?.data_type().clone();
        let value = datafusion::logical_expr::cast(value, key_type).alias(key(i));
        let mut exprs: Vec<DfExpr> = (0..i).map(|j| col(&key(j))).collect();
        exprs.push(value);
        exprs.push(col(&aggregate(i)));
        let rows = build(LogicalPlanBuilder::from(summed).project(exprs).map_err(df)?)?;
        let Some(parents) = parents else { return Ok(rows) };
        under_parents(parents.clone(), rows, i)
    }
}

/// The rows of level `i` (`key(0..=i)`, `aggregate(i)`) whose path is among the kept `parents`
/// (levels `0..i`), with the parents' keys and aggregates before their own.
fn under_parents(parents: LogicalPlan, level: LogicalPlan, i: usize) -> Result<LogicalPlan> {
    let l = build(LogicalPlanBuilder::from(parents).alias("p").map_err(df)?)?;
    let r = build(LogicalPlanBuilder::from(level).alias("c").map_err(df)?)?;
    let lk: Vec<Column> = (0..i).map(|j| Column::new(Some("p"), key(j))).collect();
    let rk: Vec<Column> = (0..i).map(|j| Column::new(Some("c"), key(j))).collect();
    let joined = build(
        LogicalPlanBuilder::from(l)
            .join_detailed(r, JoinType::Inner, (lk, rk), None, NullEquality::NullEqualsNull)
            .map_err(df)?,
    )?;
    let mut out: Vec<DfExpr> = Vec::new();
    for j in 0..i {
        out.push(DfExpr::Column(Column::new(Some("p"), key(j))).alias(key(j)));
        out.push(DfExpr::Column(Column::new(Some("p"), aggregate(j))).alias(aggregate(j)));
    }
    out.push(DfExpr::Column(Column::new(Some("c"), key(i))).alias(key(i)));
    out.push(DfExpr::Column(Column::new(Some("c"), aggregate(i))).alias(aggregate(i)));
    build(LogicalPlanBuilder::from(joined).project(out).map_err(df)?)
}
